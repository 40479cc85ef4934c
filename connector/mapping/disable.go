package mapping

import (
	"errors"
	"fmt"
	"strings"

	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// DisableAttributes returns a clone of rt without the listed attributes, so
// they vanish from /Schemas and from validation. A path is an attribute
// ("nickName"), a sub-attribute ("name.middleName") or an extension
// attribute named with its URN (Enterprise+"costCenter"). Configuration
// mistakes are errors, reported together: paths rt does not define (all
// named in one message, so a typo is caught at start-up), extension
// attributes without their URN, the common attributes (id, externalId,
// meta, schemas) and required attributes such as userName.
func DisableAttributes(rt *schema.ResourceType, paths []string) (*schema.ResourceType, error) {
	out := rt.Clone()
	var unknown []string
	var errs []error
	for _, p := range paths {
		p = strings.TrimSpace(p)
		urn, rest := schema.SplitURN(p, rt)
		attr, sub, _ := strings.Cut(rest, ".")
		r, ok := rt.Resolve(urn, attr, sub)
		switch {
		case !ok || !validName(attr) || (sub != "" && !validName(sub)):
			unknown = append(unknown, fmt.Sprintf("%q", p))
		case r.Schema == nil:
			errs = append(errs, fmt.Errorf("%q is a common attribute and cannot be disabled", p))
		case urn == "" && r.InExtension(rt):
			errs = append(errs, fmt.Errorf("%q is an extension attribute: name it with its schema URN, %s:%s", p, r.Schema.ID, rest))
		case r.Attr.Required || r.Sub != nil && r.Sub.Required:
			errs = append(errs, fmt.Errorf("%q is required and cannot be disabled", p))
		default:
			name := r.Attr.Name
			if r.Sub != nil {
				name += "." + r.Sub.Name
			}
			out.SchemaByURN(r.Schema.ID).RemoveAttribute(name)
		}
	}
	if len(unknown) > 0 {
		errs = append([]error{fmt.Errorf("resource type %s has no attribute %s", rt.Name, strings.Join(unknown, ", "))}, errs...)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("mapping: disabled attributes: %w", errors.Join(errs...))
	}
	return out, nil
}

// loosePath is an attribute path split without validation, for matching
// request keys and PATCH paths against the disabled list.
type loosePath struct{ urn, attr, sub string }

func splitLoose(p string) loosePath {
	p = strings.TrimSpace(p)
	var lp loosePath
	if len(p) > 4 && strings.EqualFold(p[:4], "urn:") {
		head := p
		if i := strings.IndexByte(p, '['); i >= 0 {
			head = p[:i]
		}
		i := strings.LastIndexByte(head, ':')
		lp.urn, p = p[:i], p[i+1:]
		if strings.EqualFold(lp.urn, scim.UserSchema) || strings.EqualFold(lp.urn, scim.GroupSchema) {
			lp.urn = "" // core attributes may be URN-qualified (RFC 7644 §3.10)
		}
	}
	end := strings.IndexAny(p, "[.")
	if end < 0 {
		return loosePath{lp.urn, p, ""}
	}
	lp.attr = p[:end]
	rest := p[end:]
	if rest[0] == '[' {
		if c := closingBracket(rest); c >= 0 {
			rest = rest[c+1:]
		} else {
			rest = ""
		}
	}
	lp.sub = strings.TrimPrefix(rest, ".")
	return lp
}

// covers reports whether disabling d removes path p: the same attribute,
// and either all of it or the same sub-attribute.
func (d loosePath) covers(p loosePath) bool {
	return strings.EqualFold(d.urn, p.urn) && strings.EqualFold(d.attr, p.attr) &&
		(d.sub == "" || strings.EqualFold(d.sub, p.sub))
}

// IsDisabled reports whether a SCIM path (a table's SCIM side, or a PATCH
// operation's path such as `emails[type eq "work"].value`) names a disabled
// attribute or something inside one.
func IsDisabled(path string, disabled []string) bool {
	p := splitLoose(path)
	for _, d := range disabled {
		if splitLoose(d).covers(p) {
			return true
		}
	}
	return false
}

// StripDisabled removes disabled attributes from an incoming request body
// in place and returns the disabled paths it found, for a debug log line.
// It runs before schema validation (the disabled attributes are no longer
// in the schema, so validation would reject them): it matches keys
// case-insensitively, looks into the extension objects (and an object
// under the core schema's URN) and URN-qualified top-level keys, and
// removes a sub-attribute from a complex value and from every element of
// a multi-valued one. Keys that are attribute paths, as the value of a
// PATCH without a path may have them ("name.middleName",
// "urn:...:User:name.middleName"), are removed when they name a disabled
// attribute or sub-attribute. Containers left empty are removed too.
func StripDisabled(res map[string]any, paths []string) (stripped []string) {
	for _, raw := range paths {
		d := splitLoose(raw)
		found := false
		for k, v := range res {
			if len(k) > 4 && strings.EqualFold(k[:4], "urn:") && isExtensionObject(k, v) {
				urn := k
				if strings.EqualFold(k, scim.UserSchema) || strings.EqualFold(k, scim.GroupSchema) {
					urn = "" // core attributes under their schema's URN
				}
				if !strings.EqualFold(urn, d.urn) {
					continue
				}
				ext := v.(map[string]any)
				for ak := range ext {
					ap := splitLoose(ak)
					ap.urn = urn
					found = stripKey(ext, ak, ap, d) || found
				}
				if len(ext) == 0 {
					delete(res, k)
				}
				continue
			}
			found = stripKey(res, k, splitLoose(k), d) || found
		}
		if found {
			stripped = append(stripped, strings.TrimSpace(raw))
		}
	}
	return stripped
}

// stripKey removes from m what the disabled path d covers of its member k,
// whose key reads as the path kp: the whole member when it names the
// disabled attribute or, as an attribute path ("name.middleName"), the
// disabled sub-attribute; otherwise the sub-attribute from its value.
func stripKey(m map[string]any, k string, kp, d loosePath) bool {
	if !strings.EqualFold(kp.urn, d.urn) || !strings.EqualFold(kp.attr, d.attr) {
		return false
	}
	if kp.sub != "" {
		if !d.covers(kp) {
			return false
		}
		delete(m, k)
		return true
	}
	return stripIn(m, k, d.sub)
}

// isExtensionObject tells an extension object ("urn:...:User": {...}) from
// a URN-qualified attribute whose value happens to be complex
// ("urn:...:User:manager": {...}) by the schema URN convention of ending
// in ":<version>:<Name>" (the same rule the PATCH path parser uses).
func isExtensionObject(k string, v any) bool {
	if _, ok := v.(map[string]any); !ok {
		return false
	}
	i := strings.LastIndexByte(k, ':')
	j := strings.LastIndexByte(k[:i], ':')
	if j < 0 {
		return false
	}
	ver := k[j+1 : i]
	return ver != "" && ver[0] >= '0' && ver[0] <= '9'
}

// stripIn removes key (or its sub-attribute sub) from m and reports
// whether anything was there.
func stripIn(m map[string]any, key, sub string) bool {
	if sub == "" {
		delete(m, key)
		return true
	}
	removed := false
	dropSub := func(el any) bool {
		em, ok := el.(map[string]any)
		if !ok {
			return false
		}
		for sk := range em {
			if strings.EqualFold(sk, sub) {
				delete(em, sk)
				removed = true
			}
		}
		return len(em) == 0
	}
	switch x := m[key].(type) {
	case map[string]any:
		if dropSub(x) {
			delete(m, key)
		}
	case []any:
		kept := x[:0]
		for _, el := range x {
			if !dropSub(el) {
				kept = append(kept, el)
			}
		}
		if len(kept) == 0 {
			delete(m, key)
		} else {
			m[key] = kept
		}
	}
	return removed
}

// CheckMandatory returns a 400 invalidValue error naming every path of
// paths that res does not assign (null, "" and [] count as missing), to run
// before any target call. Paths use the table syntax, selectors included:
// Enterprise+"startDate", `emails[type eq "work"].value`, "groups[].value"
// (any element). A malformed path is a configuration error.
func CheckMandatory(res map[string]any, paths []string) error {
	var missing []string
	for _, raw := range paths {
		p, err := parseSCIMPath(strings.TrimSpace(raw), nil)
		if err != nil {
			return fmt.Errorf("mapping: mandatory attribute %q: %w", raw, err)
		}
		if !assignedAt(res, p) {
			missing = append(missing, strings.TrimSpace(raw))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	noun := "attribute"
	if len(missing) > 1 {
		noun = "attributes"
	}
	return scim.BadRequest(scim.InvalidValue, "missing mandatory %s: %s", noun, strings.Join(missing, ", "))
}

func assignedAt(res map[string]any, p *scimPath) bool {
	cont := scimContainer(res, p.urn)
	if cont == nil {
		return false
	}
	av := scim.Get(cont, p.attr)
	if unassigned(av) {
		return false
	}
	switch {
	case p.each || len(p.sel) > 0:
		for _, el := range asArray(av) {
			if (len(p.sel) == 0 || matchElement(el, p.sel)) && !unassigned(subOf(el, p.sub)) {
				return true
			}
		}
		return false
	case p.sub != "":
		return !unassigned(subOf(av, p.sub))
	}
	return true
}
