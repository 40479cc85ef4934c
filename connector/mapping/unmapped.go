package mapping

import (
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
// membership attribute changed through separate target calls) are never
// returned, and a rule naming an attribute without a sub-attribute maps all
// of it. Sub-attributes are pruned one by one: of a single-valued complex
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
		markLoose(p)
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
	if r.Transform == "" {
		return nil
	}
	c, err := newConverter(r.Transform, r.Args, Options{}, strings.Count(r.Target, "+")+1)
	if err != nil {
		return nil
	}
	if k, ok := c.(interface{ elementSubAttributes() []string }); ok {
		return k.elementSubAttributes()
	}
	return nil
}
