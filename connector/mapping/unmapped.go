package mapping

import (
	"slices"
	"strings"

	"github.com/scimconnect/scimconnect/scim/schema"
)

// Unmapped returns the paths of the attributes of rt that no rule of t
// reads or writes, in either direction, so that a connector's schema can
// describe only what its target stores (otherwise /Schemas would offer
// attributes that a write silently drops). The
// paths are in the form DisableAttributes takes: "profileUrl",
// "name.formatted", Enterprise+"manager.$ref".
//
// It is cautious: the common attributes (id, externalId, meta, schemas),
// required attributes and the attributes named in keep (such as a
// membership attribute changed through separate target calls, which carry
// the members' ids: its "value" is kept too, and when its "$ref" names one
// resource type, the "$ref" and the "type" listing it, which the service
// provider then derives from the value) are never returned, and a rule
// naming an attribute without a sub-attribute maps all of it. Sub-attributes are pruned one by one: of a single-valued complex
// attribute (name.formatted), those no rule names; of a multi-valued one,
// those no rule names, selects elements by (the "type" of
// addresses[type eq "work"].locality) or carries through its transform
// (multiToSingle carries its "sub", "type" and "primary"): a table mapping
// only the work address's parts leaves addresses.formatted out.
func (t Table) Unmapped(rt *schema.ResourceType, keep ...string) []string {
	type key struct{ schema, attr string }
	whole := map[key]bool{}           // attribute mapped as a whole
	subs := map[key]map[string]bool{} // attribute → mapped sub-attributes
	mark := func(urn, attr, sub string) {
		r, ok := rt.Resolve(urn, attr, "")
		if !ok || r.Schema == nil {
			return
		}
		k := key{r.Schema.ID, strings.ToLower(r.Attr.Name)}
		if sub == "" {
			whole[k] = true
			return
		}
		if subs[k] == nil {
			subs[k] = map[string]bool{}
		}
		subs[k][strings.ToLower(sub)] = true
	}
	markLoose := func(path string) {
		if lp := splitLoose(path); lp.attr != "" {
			mark(lp.urn, lp.attr, lp.sub)
		}
	}
	for _, r := range t {
		if r.SCIM == "" {
			continue
		}
		p, err := parseSCIMPath(r.SCIM, rt)
		if err != nil {
			markLoose(r.SCIM)
			continue
		}
		for _, c := range p.sel {
			mark(p.urn, p.attr, c.sub)
		}
		kept := elementSubAttributes(r)
		if p.sub != "" || kept == nil {
			mark(p.urn, p.attr, p.sub)
			continue
		}
		for _, sub := range kept {
			mark(p.urn, p.attr, sub)
		}
	}
	for _, p := range keep {
		lp := splitLoose(p)
		if lp.attr == "" {
			continue
		}
		if r, ok := rt.Resolve(lp.urn, lp.attr, ""); ok && lp.sub == "" && r.Attr != nil && r.Attr.Type == schema.Complex && r.Attr.Sub("value") != nil {
			// The calls carry ids, from which the provider derives the $ref
			// and type of a reference to one resource type (Okta groups hold
			// only users); the other sub-attributes are described only when
			// rules read them (Okta: members[].display).
			mark(lp.urn, lp.attr, "value")
			if ref := r.Attr.Sub("$ref"); ref != nil && len(ref.ReferenceTypes) == 1 {
				mark(lp.urn, lp.attr, ref.Name)
				if typ := r.Attr.Sub("type"); typ != nil && slices.Contains(typ.CanonicalValues, ref.ReferenceTypes[0]) {
					mark(lp.urn, lp.attr, typ.Name)
				}
			}
			continue
		}
		mark(lp.urn, lp.attr, lp.sub)
	}
	var out []string
	schemas := []*schema.Schema{rt.Schema}
	for _, e := range rt.Extensions {
		schemas = append(schemas, e.Schema)
	}
	for _, s := range schemas {
		prefix := ""
		if s != rt.Schema {
			prefix = s.ID + ":"
		}
		for _, a := range s.Attributes {
			k := key{s.ID, strings.ToLower(a.Name)}
			mapped := subs[k]
			switch {
			case a.Required || whole[k]:
				continue
			case mapped == nil:
				out = append(out, prefix+a.Name)
			case a.Type == schema.Complex:
				for _, sa := range a.SubAttributes {
					if !sa.Required && !mapped[strings.ToLower(sa.Name)] {
						out = append(out, prefix+a.Name+"."+sa.Name)
					}
				}
			}
		}
	}
	return out
}

// elementSubAttributes returns the sub-attributes that the transform of a
// rule mapping a whole multi-valued complex attribute carries, or nil when
// it carries them all (or the rule has no such transform).
func elementSubAttributes(r Rule) []string {
	if k, ok := ruleConverter(r).(interface{ elementSubAttributes() []string }); ok {
		return k.elementSubAttributes()
	}
	return nil
}

// ruleConverter is the converter of a rule's transform, or nil when it has
// none (or an invalid one, which Compile reports).
func ruleConverter(r Rule) Converter {
	if r.Transform == "" {
		return nil
	}
	c, err := newConverter(r.Transform, r.Args, Options{}, strings.Count(r.Target, "+")+1)
	if err != nil {
		return nil
	}
	return c
}

// NarrowTypes sets the canonical values of the "type" sub-attribute of
// each multi-valued complex attribute of rt to the types the table keeps,
// when every rule naming the attribute keeps elements of fixed types only:
// a selector on type (addresses[type eq "work"].locality) or
// multiToSingle's "type" argument (the element reads back with it). So
// /Schemas tells a client which types the target stores (Okta: one work
// e-mail, phone number and address); a value of another type would be
// read back as the kept type or lost. rt is modified: pass a clone.
func (t Table) NarrowTypes(rt *schema.ResourceType) {
	type key struct{ schema, attr string }
	types := map[key][]string{}
	open := map[key]bool{} // some rule maps elements of any type
	for _, r := range t {
		if r.SCIM == "" {
			continue
		}
		p, err := parseSCIMPath(r.SCIM, rt)
		if err != nil {
			continue
		}
		res, ok := rt.Resolve(p.urn, p.attr, "")
		if !ok || res.Schema == nil || !res.Attr.MultiValued || res.Attr.Type != schema.Complex {
			continue
		}
		k := key{res.Schema.ID, strings.ToLower(res.Attr.Name)}
		typ := ""
		for _, c := range p.sel {
			if v, ok := c.val.(string); ok && strings.EqualFold(c.sub, "type") {
				typ = v
			}
		}
		if typ == "" && len(p.sel) == 0 && p.sub == "" && !p.each {
			typ = elementType(r)
		}
		if typ == "" {
			open[k] = true
			continue
		}
		if !slices.Contains(types[k], typ) {
			types[k] = append(types[k], typ)
		}
	}
	for k, ts := range types {
		if open[k] {
			continue
		}
		s := rt.SchemaByURN(k.schema)
		if s == nil {
			continue
		}
		if a := s.Attr(k.attr); a != nil {
			if sub := a.Sub("type"); sub != nil {
				sub.CanonicalValues = ts
			}
		}
	}
}

// elementType is the type a rule's transform gives the one element it
// reads back (multiToSingle's "type"), or "".
func elementType(r Rule) string {
	if k, ok := ruleConverter(r).(interface{ elementType() string }); ok {
		return k.elementType()
	}
	return ""
}
