package schema

import "github.com/scimconnect/scimconnect/scim"

// Resource returns the representation of s served at /Schemas/{id} (RFC
// 7643 §7, with the layout of §8.7.1): schemas, id, name, description,
// attributes and meta. location is the absolute URL of the resource; meta
// omits it when empty. The result is a fresh JSON-shaped value.
func (s *Schema) Resource(location string) map[string]any {
	res := map[string]any{
		"schemas":    []any{scim.SchemaSchema},
		"id":         s.ID,
		"attributes": attributesResource(s.Attributes),
		"meta":       meta("Schema", location),
	}
	if s.Name != "" {
		res["name"] = s.Name
	}
	if s.Description != "" {
		res["description"] = s.Description
	}
	return res
}

// Resource returns the representation of rt served at /ResourceTypes/{id}
// (RFC 7643 §6): schemas, id, name, endpoint, description, schema,
// schemaExtensions (when there are any) and meta. location is the absolute
// URL of the resource; meta omits it when empty.
func (rt *ResourceType) Resource(location string) map[string]any {
	res := map[string]any{
		"schemas":  []any{scim.ResourceTypeSchema},
		"id":       rt.ID,
		"name":     rt.Name,
		"endpoint": rt.Endpoint,
		"schema":   rt.Schema.ID,
		"meta":     meta("ResourceType", location),
	}
	if rt.Description != "" {
		res["description"] = rt.Description
	}
	if len(rt.Extensions) > 0 {
		exts := make([]any, len(rt.Extensions))
		for i, e := range rt.Extensions {
			exts[i] = map[string]any{"schema": e.Schema.ID, "required": e.Required}
		}
		res["schemaExtensions"] = exts
	}
	return res
}

func meta(resourceType, location string) map[string]any {
	m := map[string]any{"resourceType": resourceType}
	if location != "" {
		m["location"] = location
	}
	return m
}

func attributesResource(attrs []*Attribute) []any {
	out := make([]any, len(attrs))
	for i, a := range attrs {
		out[i] = attributeResource(a)
	}
	return out
}

// attributeResource renders one attribute definition with the field names
// of RFC 7643 §7 and §8.7.1. Characteristics left empty get the defaults of
// RFC 7643 §2.2 (readWrite, default, none). As in §8.7.1, caseExact is not
// listed for complex attributes, subAttributes only for complex ones, and
// canonicalValues and referenceTypes only when there are any.
func attributeResource(a *Attribute) map[string]any {
	m := map[string]any{
		"name":        a.Name,
		"type":        string(a.Type),
		"multiValued": a.MultiValued,
		"required":    a.Required,
		"mutability":  string(orDefault(a.Mutability, ReadWrite)),
		"returned":    string(orDefault(a.Returned, Default)),
		"uniqueness":  string(orDefault(a.Uniqueness, None)),
	}
	if a.Description != "" {
		m["description"] = a.Description
	}
	if a.Type == Complex {
		m["subAttributes"] = attributesResource(a.SubAttributes)
	} else {
		m["caseExact"] = a.CaseExact
	}
	if len(a.CanonicalValues) > 0 {
		m["canonicalValues"] = stringsToAny(a.CanonicalValues)
	}
	if len(a.ReferenceTypes) > 0 {
		m["referenceTypes"] = stringsToAny(a.ReferenceTypes)
	}
	return m
}

func orDefault[T ~string](v, def T) T {
	if v == "" {
		return def
	}
	return v
}

func stringsToAny(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}
