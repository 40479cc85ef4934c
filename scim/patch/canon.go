package patch

import (
	"strings"

	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/filter"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// canonAttr canonicalizes a value for attribute a, single or multi-valued.
func canonAttr(a *schema.Attribute, v any) (any, error) {
	if a.MultiValued {
		return canonElements(a, v)
	}
	return canonSingle(a, v)
}

// canonElements canonicalizes the values for multi-valued attribute a: an
// array, or a single value taken as a one-element array. Null and empty
// values are dropped. The result is always a fresh slice.
func canonElements(a *schema.Attribute, v any) ([]any, error) {
	in, ok := v.([]any)
	if !ok {
		in = []any{v}
	}
	out := make([]any, 0, len(in))
	for _, e := range in {
		if e == nil {
			continue
		}
		c, err := canonSingle(a, e)
		if err != nil {
			return nil, err
		}
		if !isEmpty(c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// canonSingle canonicalizes one value of attribute a (one element when a is
// multi-valued) into a fresh value: sub-attribute names in their canonical
// case, readOnly and null sub-attributes dropped (RFC 7644 §3.5.1 ignores
// readOnly values sent by clients), booleans sent as "True"/"False"
// (Microsoft Entra) coerced. A scalar for a complex attribute with a
// "value" sub-attribute becomes {"value": scalar}: Entra sends the manager
// as a bare id, and "" (no id) to clear it, which becomes null.
func canonSingle(a *schema.Attribute, v any) (any, error) {
	if a.Type == schema.Complex {
		switch t := v.(type) {
		case map[string]any:
			out := make(map[string]any, len(t))
			for k, sv := range t {
				s := a.Sub(k)
				if s == nil {
					return nil, scim.BadRequest(scim.InvalidValue, "%q is not a sub-attribute of %q", k, a.Name)
				}
				if len(t) > 1 && givenTwice(t, k) {
					return nil, scim.BadRequest(scim.InvalidValue, "sub-attribute %q of %q is given more than once", s.Name, a.Name)
				}
				if s.Mutability == schema.ReadOnly || sv == nil {
					continue
				}
				c, err := canonAttr(s, sv)
				if err != nil {
					return nil, err
				}
				out[s.Name] = c
			}
			return out, nil
		case []any:
			return nil, scim.BadRequest(scim.InvalidValue, "%q takes a single value, not an array", a.Name)
		default:
			if v == "" && !a.MultiValued {
				// An empty reference is no reference: Entra clears the
				// manager with "" (RFC 7643 §2.5 treats unassigned as null).
				return nil, nil
			}
			if s := a.Sub("value"); s != nil && v != nil {
				return map[string]any{s.Name: coerce(s, v)}, nil
			}
			return nil, scim.BadRequest(scim.InvalidValue, "the value of %q must be an object", a.Name)
		}
	}
	switch v.(type) {
	case map[string]any:
		return nil, scim.BadRequest(scim.InvalidValue, "%q takes a %s, not an object", a.Name, a.Type)
	case []any:
		return nil, scim.BadRequest(scim.InvalidValue, "%q takes a single %s, not an array", a.Name, a.Type)
	}
	return coerce(a, v), nil
}

// givenTwice reports whether m has another key equal to k but for case,
// which would make the outcome depend on map order.
func givenTwice(m map[string]any, k string) bool {
	for other := range m {
		if other != k && strings.EqualFold(other, k) {
			return true
		}
	}
	return false
}

// coerce turns "True"/"False" (any case) into a bool for boolean attributes.
func coerce(a *schema.Attribute, v any) any {
	if a.Type != schema.Boolean {
		return v
	}
	if s, ok := v.(string); ok {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			return true
		case "false":
			return false
		}
	}
	return v
}

// elementFromFilter builds the value a filter of eq comparisons joined by
// "and" describes: addresses[type eq "work"] gives {"type": "work"}. ok is
// false for any other filter, which cannot say what to create.
func elementFromFilter(a *schema.Attribute, e filter.Expr) (map[string]any, bool) {
	out := map[string]any{}
	var walk func(filter.Expr) bool
	walk = func(e filter.Expr) bool {
		switch n := e.(type) {
		case *filter.And:
			return walk(n.Left) && walk(n.Right)
		case *filter.Compare:
			s := a.Sub(n.Path.Attr)
			if n.Op != filter.Eq || n.Value == nil || s == nil || n.Path.Sub != "" || s.Mutability == schema.ReadOnly {
				return false
			}
			v := coerce(s, n.Value)
			if old, ok := out[s.Name]; ok && !sameScalar(s, old, v) {
				return false // type eq "work" and type eq "home" describes nothing
			}
			out[s.Name] = v
			return true
		}
		return false
	}
	if !walk(e) {
		return nil, false
	}
	return out, true
}

// matchAll returns the indexes of the elements of arr that t's filter selects.
func (ap *applier) matchAll(t target, arr []any) []int {
	var idx []int
	for i, e := range arr {
		if ap.matchElement(t, e) {
			idx = append(idx, i)
		}
	}
	return idx
}

// matchElement evaluates t's value filter on one element by wrapping it as
// the only value of its attribute in a resource of its own: attr[filter]
// then holds exactly when the element matches.
func (ap *applier) matchElement(t target, elem any) bool {
	res := map[string]any{t.attr.Name: []any{elem}}
	if t.schema != nil && t.schema != ap.rt.Schema {
		res = map[string]any{t.schema.ID: res}
	}
	return t.matcher.Match(res)
}
