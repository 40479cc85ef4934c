package schema

import (
	"strings"
	"sync"

	"github.com/scimconnect/scimconnect/scim"
)

// Projection selects the attributes of a response from the "returned"
// characteristic (RFC 7643 §7) and the "attributes" and
// "excludedAttributes" parameters (RFC 7644 §3.4.2.5, §3.9). It is compiled
// once per request by NewProjection and is safe for concurrent use.
type Projection struct {
	rt   *ResourceType
	mode projMode
	// sel holds the named (include) or excluded (exclude) attributes,
	// keyed by their top-level attribute.
	sel map[*Attribute]*selection
	// schemas holds the schemas named or excluded as a whole by a bare URN.
	schemas []*Schema
}

type projMode uint8

const (
	modeDefault projMode = iota // no parameter: only the returned rules apply
	modeInclude                 // "attributes"
	modeExclude                 // "excludedAttributes"
)

// selection is what a parameter says about one top-level attribute.
type selection struct {
	whole bool         // the attribute itself is named
	subs  []*Attribute // named sub-attributes
}

// subRule says which sub-attributes of a kept complex attribute survive.
type subRule uint8

const (
	subsAll     subRule = iota // parent named: all but "never"
	subsDefault                // "always" and "default"
	subsPick                   // "always" and the named ones (not "never")
	subsDrop                   // "always", and "default" ones not excluded
)

// NewProjection compiles the attributes and excludedAttributes parameters,
// each a list of paths as clients write them: "userName", "name.givenName",
// "emails.value", "urn:...:enterprise:2.0:User:manager.value", or a bare
// schema URN meaning the whole schema. Paths that do not resolve in rt are
// ignored, since a client may ask for attributes this instance lacks; a
// syntactically broken path ("", "a..b", "a.b.c") is a 400 invalidValue.
//
// RFC 7644 §3.4.2.5 makes the two parameters mutually exclusive; when both
// are given, attributes wins and excludedAttributes is ignored.
//
// With neither parameter the result is the default projection, which only
// applies the "returned" rules. NewProjection never returns a nil
// *Projection without an error.
func (rt *ResourceType) NewProjection(attributes, excludedAttributes []string) (*Projection, error) {
	p := &Projection{rt: rt}
	list := attributes
	switch {
	case len(attributes) > 0:
		p.mode = modeInclude
	case len(excludedAttributes) > 0:
		p.mode, list = modeExclude, excludedAttributes
	default:
		return p, nil
	}
	p.sel = make(map[*Attribute]*selection, len(list))
	for _, path := range list {
		if !validPath(path, rt) {
			return nil, scim.BadRequest(scim.InvalidValue, "invalid attribute path %q", path)
		}
		r, ok := rt.ResolvePath(path)
		if !ok {
			continue
		}
		if r.Attr == nil {
			p.schemas = append(p.schemas, r.Schema)
			continue
		}
		s := p.sel[r.Attr]
		if s == nil {
			s = &selection{}
			p.sel[r.Attr] = s
		}
		if r.Sub == nil {
			s.whole = true
		} else {
			s.subs = append(s.subs, r.Sub)
		}
	}
	return p, nil
}

// ParseAttrList splits a comma-separated attributes or excludedAttributes
// query parameter, trimming spaces and dropping empty entries.
func ParseAttrList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// validPath checks the syntax of an attribute path (RFC 7644 §3.10, RFC
// 7643 §2.1): an optional URN, then ATTRNAME and at most one ".subAttr".
func validPath(path string, rt *ResourceType) bool {
	if path == "" {
		return false
	}
	rest := path
	if len(path) >= 4 && strings.EqualFold(path[:4], "urn:") {
		if _, rest = SplitURN(path, rt); rest == "" {
			return true
		}
	}
	attr, sub, hasSub := strings.Cut(rest, ".")
	return validAttrName(attr) && (!hasSub || validAttrName(sub))
}

// validAttrName checks ATTRNAME = ALPHA *(nameChar) of RFC 7643 §2.1,
// allowing the reserved "$ref".
func validAttrName(name string) bool {
	if name == "$ref" {
		return true
	}
	if name == "" || !isAlpha(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		c := name[i]
		if !isAlpha(c) && !('0' <= c && c <= '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// Apply returns the representation of res to send. res must use canonical
// names, as Validate produces. Attributes returned "never" are left out;
// "always" ones are kept; "default" ones unless excluded, or unless
// attributes was given and does not name them; "request" ones only when
// named in attributes. Naming a sub-attribute keeps its parent with only
// the named sub-attributes plus the parent's "always" ones; naming a
// complex attribute keeps all its sub-attributes except "never" ones.
// Keys the resource type does not define are kept unless attributes was
// given. Extension objects left empty are dropped and "schemas" is
// recomputed to list the core schema and the extensions still present.
//
// Apply never modifies res, but the result shares unchanged values with it
// and may be res itself when nothing is removed (the default projection's
// fast path): treat it as read-only, or copy before changing it.
//
// A nil *Projection cannot see the instance's resource type. As a safety
// net it applies the default projection of the built-in User or Group
// resource type named in res's "schemas" (so "password" is never
// returned), and returns any other resource unchanged. Attributes an
// instance adds with returned "never" or "request" are only stripped by a
// projection from NewProjection, which never returns nil.
func (p *Projection) Apply(res map[string]any) map[string]any {
	if res == nil {
		return res
	}
	if p == nil {
		if rt := builtinTypeOf(res); rt != nil {
			return (&Projection{rt: rt}).Apply(res)
		}
		return res
	}
	if p.mode == modeDefault && !p.hidesAny(res) {
		return res
	}
	rt := p.rt
	out := make(map[string]any, len(res))
	for k, val := range res {
		if strings.EqualFold(k, "schemas") {
			continue
		}
		if len(k) >= 4 && strings.EqualFold(k[:4], "urn:") {
			if ext := rt.Extension(k); ext != nil {
				if m, ok := val.(map[string]any); ok {
					if p.mode == modeDefault && len(m) > 0 && !hidesIn(ext, m) {
						out[ext.ID] = m // unchanged: share it
					} else if pm := p.object(ext, m); len(pm) > 0 {
						out[ext.ID] = pm
					}
				}
				continue
			}
		}
		var a *Attribute
		var s *Schema
		if i := lookup(rt.Schema.Attributes, k); i >= 0 {
			a, s = rt.Schema.Attributes[i], rt.Schema
		} else if i := lookup(Common.Attributes, k); i >= 0 {
			a = Common.Attributes[i]
		}
		if a == nil {
			if p.mode != modeInclude {
				out[k] = val
			}
			continue
		}
		if pv, ok := p.attr(a, s, val); ok {
			out[a.Name] = pv
		}
	}
	schemas := make([]any, 1, 1+len(rt.Extensions))
	schemas[0] = rt.Schema.ID
	for _, e := range rt.Extensions {
		if _, ok := out[e.Schema.ID]; ok {
			schemas = append(schemas, e.Schema.ID)
		}
	}
	// Objects under URNs rt does not know, kept above, stay listed.
	given, _ := res["schemas"].([]any)
	for _, x := range given {
		if urn, _ := x.(string); urn != "" && rt.SchemaByURN(urn) == nil {
			if _, ok := out[urn]; ok {
				schemas = append(schemas, urn)
			}
		}
	}
	out["schemas"] = schemas
	return out
}

// builtinTypes are the resource types of RFC 7643 §4 as defined in this
// package, for the nil *Projection's safety net.
var builtinTypes = sync.OnceValue(func() []*ResourceType {
	return []*ResourceType{UserResourceType(), GroupResourceType()}
})

// builtinTypeOf returns the built-in resource type whose core schema res
// lists in "schemas", or nil.
func builtinTypeOf(res map[string]any) *ResourceType {
	given, _ := res["schemas"].([]any)
	for _, x := range given {
		urn, _ := x.(string)
		for _, rt := range builtinTypes() {
			if strings.EqualFold(urn, rt.Schema.ID) {
				return rt
			}
		}
	}
	return nil
}

// hidesAny reports whether the default projection removes anything from
// res. It only looks at the definitions and probes res for the attributes
// that are "never" or "request" or have such sub-attributes, so the common
// case allocates nothing.
func (p *Projection) hidesAny(res map[string]any) bool {
	if hidesIn(p.rt.Schema, res) || hidesIn(Common, res) {
		return true
	}
	for _, e := range p.rt.Extensions {
		if m, ok := res[e.Schema.ID].(map[string]any); ok && hidesIn(e.Schema, m) {
			return true
		}
	}
	return false
}

func hidesIn(s *Schema, m map[string]any) bool {
	for _, a := range s.Attributes {
		if a.Returned == Never || a.Returned == Request {
			if _, ok := m[a.Name]; ok {
				return true
			}
			continue
		}
		if a.Type == Complex && dropsSub(a, subsDefault, nil) {
			if _, ok := m[a.Name]; ok {
				return true
			}
		}
	}
	return false
}

// object projects an extension object.
func (p *Projection) object(s *Schema, m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, val := range m {
		i := lookup(s.Attributes, k)
		if i < 0 {
			if p.mode != modeInclude {
				out[k] = val
			}
			continue
		}
		a := s.Attributes[i]
		if pv, ok := p.attr(a, s, val); ok {
			out[a.Name] = pv
		}
	}
	return out
}

// decide says whether top-level attribute a of schema s (nil for the
// common attributes) is kept, and under which rule for its sub-attributes.
func (p *Projection) decide(a *Attribute, s *Schema) (keep bool, rule subRule, named []*Attribute) {
	if a.Returned == Never {
		return false, 0, nil
	}
	sel := p.sel[a]
	switch p.mode {
	case modeInclude:
		if p.schemaListed(s) || sel != nil && sel.whole {
			return true, subsAll, nil
		}
		if sel != nil {
			return true, subsPick, sel.subs
		}
		return a.Returned == Always, subsDefault, nil
	case modeExclude:
		if a.Returned == Always {
			if sel != nil && !sel.whole {
				return true, subsDrop, sel.subs
			}
			return true, subsDefault, nil
		}
		if a.Returned == Request || p.schemaListed(s) || sel != nil && sel.whole {
			return false, 0, nil
		}
		if sel != nil {
			return true, subsDrop, sel.subs
		}
		return true, subsDefault, nil
	}
	return a.Returned != Request, subsDefault, nil
}

func (p *Projection) schemaListed(s *Schema) bool {
	for _, x := range p.schemas {
		if x == s {
			return true
		}
	}
	return false
}

// attr projects the value of top-level attribute a.
func (p *Projection) attr(a *Attribute, s *Schema, val any) (any, bool) {
	keep, rule, named := p.decide(a, s)
	if !keep {
		return nil, false
	}
	if a.Type != Complex || !dropsSub(a, rule, named) {
		return val, true
	}
	switch t := val.(type) {
	case map[string]any:
		m := filterSubs(a, t, rule, named)
		return m, len(m) > 0
	case []any:
		out := make([]any, 0, len(t))
		for _, el := range t {
			if m, ok := el.(map[string]any); ok {
				if m = filterSubs(a, m, rule, named); len(m) > 0 {
					out = append(out, m)
				}
				continue
			}
			out = append(out, el)
		}
		return out, len(out) > 0
	}
	return val, true
}

// keepSub applies rule to sub-attribute s.
func keepSub(s *Attribute, rule subRule, named []*Attribute) bool {
	switch rule {
	case subsAll:
		return s.Returned != Never
	case subsPick:
		return s.Returned == Always || s.Returned != Never && contains(named, s)
	case subsDrop:
		return s.Returned == Always || s.Returned == Default && !contains(named, s)
	}
	return s.Returned == Always || s.Returned == Default
}

// dropsSub reports whether rule removes any sub-attribute of a, so that
// values can be shared untouched when it does not.
func dropsSub(a *Attribute, rule subRule, named []*Attribute) bool {
	for _, s := range a.SubAttributes {
		if !keepSub(s, rule, named) {
			return true
		}
	}
	return false
}

func filterSubs(a *Attribute, m map[string]any, rule subRule, named []*Attribute) map[string]any {
	out := make(map[string]any, len(m))
	for k, val := range m {
		i := lookup(a.SubAttributes, k)
		if i < 0 {
			if rule != subsPick {
				out[k] = val
			}
			continue
		}
		if s := a.SubAttributes[i]; keepSub(s, rule, named) {
			out[s.Name] = val
		}
	}
	return out
}

func contains(list []*Attribute, a *Attribute) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

// Includes reports whether Apply may output the attribute at path, or a
// part of it, so that callers can skip computing expensive values (Group
// members, User groups) that would be dropped anyway. path is written as
// in the parameters: "members", "emails.value", a URN-qualified path or a
// bare schema URN. The answer is about the definitions and parameters, not
// about a given resource: true means "may appear". Paths rt does not
// define report true unless attributes was given, matching Apply, which
// keeps unknown keys in that case. A nil *Projection includes everything.
func (p *Projection) Includes(path string) bool {
	if p == nil {
		return true
	}
	r, ok := p.rt.ResolvePath(path)
	if !ok {
		return p.mode != modeInclude
	}
	if r.Attr == nil {
		return p.includesSchema(r.Schema)
	}
	keep, rule, named := p.decide(r.Attr, r.Schema)
	if !keep {
		return false
	}
	if r.Sub == nil {
		return true
	}
	return keepSub(r.Sub, rule, named)
}

// includesSchema reports whether any attribute of s may be output.
func (p *Projection) includesSchema(s *Schema) bool {
	for _, a := range s.Attributes {
		if keep, _, _ := p.decide(a, s); keep {
			return true
		}
	}
	return false
}
