// Package schema is the SCIM attribute model of RFC 7643 §2 and §7: attribute
// characteristics, schemas, resource types, and the core User, Group and
// Enterprise User schemas as data. Discovery endpoints, validation, filters,
// PATCH and projection all read from these definitions, so what an instance
// advertises is exactly what it enforces.
//
// Resources are plain JSON objects (map[string]any as produced by
// encoding/json). After validation, attribute names are in their canonical
// case and extension attributes sit under their schema URN.
package schema

import (
	"encoding/json"
	"strings"
)

// Type is an attribute data type (RFC 7643 §2.3).
type Type string

// Data types.
const (
	String    Type = "string"
	Boolean   Type = "boolean"
	Decimal   Type = "decimal"
	Integer   Type = "integer"
	DateTime  Type = "dateTime"
	Reference Type = "reference"
	Complex   Type = "complex"
	Binary    Type = "binary"
)

// Mutability says whether and when a client may write an attribute (RFC 7643 §7).
type Mutability string

// Mutability values.
const (
	ReadOnly  Mutability = "readOnly"
	ReadWrite Mutability = "readWrite"
	Immutable Mutability = "immutable"
	WriteOnly Mutability = "writeOnly"
)

// Returned says when an attribute appears in responses (RFC 7643 §7).
type Returned string

// Returned values.
const (
	Always  Returned = "always"
	Never   Returned = "never"
	Default Returned = "default"
	Request Returned = "request"
)

// Uniqueness says how an attribute's values must be unique (RFC 7643 §7).
type Uniqueness string

// Uniqueness values.
const (
	None   Uniqueness = "none"
	Server Uniqueness = "server"
	Global Uniqueness = "global"
)

// Attribute describes one attribute or sub-attribute (RFC 7643 §7).
type Attribute struct {
	Name            string       `json:"name"`
	Type            Type         `json:"type"`
	MultiValued     bool         `json:"multiValued"`
	Description     string       `json:"description,omitempty"`
	Required        bool         `json:"required"`
	CanonicalValues []string     `json:"canonicalValues,omitempty"`
	CaseExact       bool         `json:"caseExact"`
	Mutability      Mutability   `json:"mutability"`
	Returned        Returned     `json:"returned"`
	Uniqueness      Uniqueness   `json:"uniqueness"`
	ReferenceTypes  []string     `json:"referenceTypes,omitempty"`
	SubAttributes   []*Attribute `json:"subAttributes,omitempty"`

	subIndex map[string]*Attribute
}

// NewAttribute returns a single-valued, optional, readWrite attribute returned
// by default, with no uniqueness and caseExact false: the characteristics of
// a custom attribute.
func NewAttribute(name string, t Type) *Attribute {
	return &Attribute{Name: name, Type: t, Mutability: ReadWrite, Returned: Default, Uniqueness: None}
}

// Sub returns the sub-attribute with the given name, case-insensitively, or nil.
func (a *Attribute) Sub(name string) *Attribute {
	if a == nil || len(a.SubAttributes) == 0 {
		return nil
	}
	if a.subIndex != nil {
		return a.subIndex[strings.ToLower(name)]
	}
	for _, s := range a.SubAttributes {
		if strings.EqualFold(s.Name, name) {
			return s
		}
	}
	return nil
}

// Clone returns a deep copy of a.
func (a *Attribute) Clone() *Attribute {
	c := *a
	c.CanonicalValues = append([]string(nil), a.CanonicalValues...)
	c.ReferenceTypes = append([]string(nil), a.ReferenceTypes...)
	c.SubAttributes = nil
	for _, s := range a.SubAttributes {
		c.SubAttributes = append(c.SubAttributes, s.Clone())
	}
	c.index()
	return &c
}

func (a *Attribute) index() {
	if len(a.SubAttributes) == 0 {
		a.subIndex = nil
		return
	}
	a.subIndex = make(map[string]*Attribute, len(a.SubAttributes))
	for _, s := range a.SubAttributes {
		a.subIndex[strings.ToLower(s.Name)] = s
		s.index()
	}
}

// MarshalJSON renders the attribute as in /Schemas; an empty list of
// canonical values or reference types is omitted, sub-attributes only for complex.
func (a *Attribute) MarshalJSON() ([]byte, error) {
	type plain Attribute
	return json.Marshal((*plain)(a))
}

// Schema is a SCIM schema: a URN and its attributes (RFC 7643 §7).
type Schema struct {
	ID          string       `json:"id"`
	Name        string       `json:"name,omitempty"`
	Description string       `json:"description,omitempty"`
	Attributes  []*Attribute `json:"attributes"`

	attrIndex map[string]*Attribute
}

// Attr returns the top-level attribute with the given name,
// case-insensitively, or nil.
func (s *Schema) Attr(name string) *Attribute {
	if s == nil {
		return nil
	}
	if s.attrIndex != nil {
		return s.attrIndex[strings.ToLower(name)]
	}
	for _, a := range s.Attributes {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}

// Clone returns a deep copy of s that can be changed independently.
func (s *Schema) Clone() *Schema {
	c := &Schema{ID: s.ID, Name: s.Name, Description: s.Description}
	for _, a := range s.Attributes {
		c.Attributes = append(c.Attributes, a.Clone())
	}
	c.reindex()
	return c
}

// AddAttribute adds (or replaces, by name) a top-level attribute.
func (s *Schema) AddAttribute(a *Attribute) {
	for i, old := range s.Attributes {
		if strings.EqualFold(old.Name, a.Name) {
			s.Attributes[i] = a
			s.reindex()
			return
		}
	}
	s.Attributes = append(s.Attributes, a)
	s.reindex()
}

// RemoveAttribute removes a top-level attribute, or a sub-attribute when
// name is "attr.sub". It reports whether anything was removed.
func (s *Schema) RemoveAttribute(name string) bool {
	parent, sub, hasSub := strings.Cut(name, ".")
	for i, a := range s.Attributes {
		if !strings.EqualFold(a.Name, parent) {
			continue
		}
		if !hasSub {
			s.Attributes = append(s.Attributes[:i:i], s.Attributes[i+1:]...)
			s.reindex()
			return true
		}
		for j, sa := range a.SubAttributes {
			if strings.EqualFold(sa.Name, sub) {
				a.SubAttributes = append(a.SubAttributes[:j:j], a.SubAttributes[j+1:]...)
				a.index()
				return true
			}
		}
	}
	return false
}

func (s *Schema) reindex() {
	s.attrIndex = make(map[string]*Attribute, len(s.Attributes))
	for _, a := range s.Attributes {
		s.attrIndex[strings.ToLower(a.Name)] = a
		a.index()
	}
}

// Extension is a schema extension of a resource type (RFC 7643 §6).
type Extension struct {
	Schema   *Schema
	Required bool
}

// ResourceType binds an endpoint to a core schema and its extensions (RFC 7643 §6).
type ResourceType struct {
	ID          string
	Name        string
	Endpoint    string // "/Users"
	Description string
	Schema      *Schema
	Extensions  []Extension
}

// Clone returns a deep copy of rt whose schemas can be changed independently.
func (rt *ResourceType) Clone() *ResourceType {
	c := *rt
	c.Schema = rt.Schema.Clone()
	c.Extensions = nil
	for _, e := range rt.Extensions {
		c.Extensions = append(c.Extensions, Extension{Schema: e.Schema.Clone(), Required: e.Required})
	}
	return &c
}

// Extension returns the extension schema with the given URN (case-insensitive), or nil.
func (rt *ResourceType) Extension(urn string) *Schema {
	for _, e := range rt.Extensions {
		if strings.EqualFold(e.Schema.ID, urn) {
			return e.Schema
		}
	}
	return nil
}

// SchemaByURN returns the core schema or an extension schema by URN, or nil.
func (rt *ResourceType) SchemaByURN(urn string) *Schema {
	if strings.EqualFold(rt.Schema.ID, urn) {
		return rt.Schema
	}
	return rt.Extension(urn)
}

// Schemas returns the URNs of the core schema followed by every extension.
func (rt *ResourceType) Schemas() []string {
	out := []string{rt.Schema.ID}
	for _, e := range rt.Extensions {
		out = append(out, e.Schema.ID)
	}
	return out
}

// Resolved is an attribute path resolved against a resource type.
type Resolved struct {
	// Schema is the schema that defines Attr; nil for the common attributes
	// id, externalId, meta and schemas (RFC 7643 §3.1).
	Schema *Schema
	Attr   *Attribute // the top-level attribute
	Sub    *Attribute // the sub-attribute, or nil
}

// Target returns the innermost attribute: Sub if set, else Attr.
func (r Resolved) Target() *Attribute {
	if r.Sub != nil {
		return r.Sub
	}
	return r.Attr
}

// InExtension reports whether the attribute lives under an extension URN key.
func (r Resolved) InExtension(rt *ResourceType) bool {
	return r.Schema != nil && r.Schema != rt.Schema
}

// Resolve finds the attribute named by urn (may be ""), attr and sub (may be
// "") in the resource type: the common attributes first, then the core
// schema, then extensions. Without a URN an attribute is searched in the
// core schema and then in each extension. Names match case-insensitively.
func (rt *ResourceType) Resolve(urn, attr, sub string) (Resolved, bool) {
	var r Resolved
	if urn == "" {
		if a := Common.Attr(attr); a != nil {
			r.Attr = a
		} else if a := rt.Schema.Attr(attr); a != nil {
			r.Schema, r.Attr = rt.Schema, a
		} else {
			for _, e := range rt.Extensions {
				if a := e.Schema.Attr(attr); a != nil {
					r.Schema, r.Attr = e.Schema, a
					break
				}
			}
		}
	} else {
		s := rt.SchemaByURN(urn)
		if s == nil {
			return r, false
		}
		r.Schema, r.Attr = s, s.Attr(attr)
		if r.Attr == nil && s == rt.Schema {
			if a := Common.Attr(attr); a != nil {
				r.Schema, r.Attr = nil, a
			}
		}
	}
	if r.Attr == nil {
		return r, false
	}
	if sub != "" {
		r.Sub = r.Attr.Sub(sub)
		if r.Sub == nil {
			return r, false
		}
	}
	return r, true
}

// ResolvePath resolves a dotted path as written in `attributes`, `sortBy` or
// a PATCH path without filter: "userName", "name.givenName",
// "urn:...:enterprise:2.0:User:manager.value", or a bare schema URN (which
// resolves with Attr nil and ok true, meaning the whole extension).
func (rt *ResourceType) ResolvePath(path string) (Resolved, bool) {
	urn, rest := SplitURN(path, rt)
	if rest == "" {
		if s := rt.SchemaByURN(urn); s != nil {
			return Resolved{Schema: s}, true
		}
		return Resolved{}, false
	}
	attr, sub, _ := strings.Cut(rest, ".")
	return rt.Resolve(urn, attr, sub)
}

// SplitURN splits a path into a schema URN known to rt and the rest
// ("name.givenName"). A path without a known URN prefix returns "" and path.
func SplitURN(path string, rt *ResourceType) (urn, rest string) {
	if len(path) < 4 || !strings.EqualFold(path[:4], "urn:") {
		return "", path
	}
	for _, id := range rt.Schemas() {
		if len(path) >= len(id) && strings.EqualFold(path[:len(id)], id) {
			if len(path) == len(id) {
				return id, ""
			}
			if path[len(id)] == ':' {
				return id, path[len(id)+1:]
			}
		}
	}
	// Unknown URN: split at the last colon so callers can report it.
	i := strings.LastIndexByte(path, ':')
	return path[:i], path[i+1:]
}
