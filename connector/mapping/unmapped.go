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
// returned; a rule naming an attribute without a sub-attribute maps all of
// it; and the sub-attributes of a multi-valued complex attribute are kept
// as soon as one rule maps one of them (a table mapping only the "work"
// address still describes addresses whole), since their selectors and
// primary flags are part of how the elements are written. Only the
// sub-attributes of single-valued complex attributes (name.formatted) are
// pruned one by one.
func (t Table) Unmapped(rt *schema.ResourceType, keep ...string) []string {
	type key struct{ schema, attr string }
	whole := map[key]bool{}           // attribute mapped as a whole
	subs := map[key]map[string]bool{} // attribute → mapped sub-attributes
	mark := func(path string) {
		lp := splitLoose(path)
		if lp.attr == "" {
			return
		}
		r, ok := rt.Resolve(lp.urn, lp.attr, "")
		if !ok || r.Schema == nil {
			return
		}
		k := key{r.Schema.ID, strings.ToLower(r.Attr.Name)}
		if lp.sub == "" {
			whole[k] = true
			return
		}
		if subs[k] == nil {
			subs[k] = map[string]bool{}
		}
		subs[k][strings.ToLower(lp.sub)] = true
	}
	for _, r := range t {
		if r.SCIM != "" {
			mark(r.SCIM)
		}
	}
	for _, p := range keep {
		if p != "" {
			mark(p)
		}
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
			case a.Type == schema.Complex && !a.MultiValued:
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
