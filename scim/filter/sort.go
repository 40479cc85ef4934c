package filter

import (
	"slices"

	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// Sort orders resources in place by the attribute sortBy (RFC 7644
// §3.4.2.3), a path as in `attributes`: "userName", "name.familyName",
// "emails" or "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value".
//
// Strings order case-insensitively unless the attribute is caseExact,
// numbers numerically, dateTimes chronologically. A multi-valued attribute
// sorts by its primary value, else its first; a multi-valued complex
// attribute without a sub-attribute sorts by its "value". Resources with no
// value (missing, null, "", empty) sort last in ascending order and first in
// descending order, as the RFC requires. The sort is stable.
//
// An unknown sortBy, a bare schema URN or a complex attribute without a
// "value" sub-attribute is a 400 invalidValue *scim.Error (the RFC names no
// scimType for it).
func Sort(resources []map[string]any, rt *schema.ResourceType, sortBy string, descending bool) error {
	if rt == nil || rt.Schema == nil {
		return errNoResourceType
	}
	r, ok := rt.ResolvePath(sortBy)
	if !ok || r.Attr == nil {
		return scim.BadRequest(scim.InvalidValue, "invalid sortBy: unknown attribute %q", sortBy)
	}
	b := binding{ok: true, top: r.Attr, sub: r.Sub}
	if r.InExtension(rt) {
		b.ext = r.Schema.ID
	}
	target := b.attr()
	if target.Type == schema.Complex {
		if b.sub != nil || !r.Attr.MultiValued || r.Attr.Sub("value") == nil {
			return scim.BadRequest(scim.InvalidValue, "invalid sortBy: %q is a complex attribute: sort by one of its sub-attributes", sortBy)
		}
		b.sub = r.Attr.Sub("value")
		target = b.sub
	}
	type keyed struct {
		key any
		res map[string]any
	}
	// Keys are normalized once (folded, parsed) so that comparisons are cheap.
	cmpAttr := target
	if (target.Type == schema.String || target.Type == schema.Reference) && !target.CaseExact {
		exact := *target
		exact.CaseExact = true
		cmpAttr = &exact
	}
	items := make([]keyed, len(resources))
	for i, res := range resources {
		items[i] = keyed{key: normalizeKey(sortKey(b.value(res), b.sub), target), res: res}
	}
	slices.SortStableFunc(items, func(x, y keyed) int {
		c := CompareValues(x.key, y.key, cmpAttr)
		if descending {
			return -c
		}
		return c
	})
	for i, it := range items {
		resources[i] = it.res
	}
	return nil
}

// sortKey picks the value a resource sorts by from v, the value of the top
// attribute: for a multi-valued attribute the primary element, else the
// first present one; with sub, that element's sub-attribute.
func sortKey(v any, sub *schema.Attribute) any {
	if list, ok := v.([]any); ok {
		v = pickElement(list)
	}
	if sub == nil {
		return v
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	return scim.Get(m, sub.Name)
}

func pickElement(list []any) any {
	for _, el := range list {
		if m, ok := el.(map[string]any); ok {
			if p, ok := scim.Get(m, "primary").(bool); ok && p {
				return el
			}
		}
	}
	for _, el := range list {
		if isPresent(el) {
			return el
		}
	}
	return nil
}

// normalizeKey prepares a sort key of attr for repeated comparison: strings
// that are not caseExact are folded, dateTimes parsed and numbers converted,
// leaving CompareValues's order unchanged.
func normalizeKey(v any, attr *schema.Attribute) any {
	switch attr.Type {
	case schema.String, schema.Reference:
		if s, ok := v.(string); ok && !attr.CaseExact {
			return foldString(s)
		}
	case schema.DateTime:
		if t, ok := toTime(v); ok {
			return t
		}
	case schema.Integer, schema.Decimal:
		if _, isString := v.(string); !isString {
			if n, ok := toNumber(v); ok {
				if n.isInt {
					return n.i
				}
				return n.f
			}
		}
	}
	return v
}
