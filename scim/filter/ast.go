package filter

import (
	"strings"
)

// Expr is a node of a parsed filter: *Compare, *And, *Or, *Not or *ValuePath.
type Expr interface {
	// String renders the node in SCIM filter syntax; parsing the result
	// yields an equal AST.
	String() string
	node()
}

// AttrPath names an attribute: an optional schema URN, an attribute and an
// optional sub-attribute, as written by the client (not yet canonicalized).
type AttrPath struct {
	URN  string // "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", or ""
	Attr string // "emails"
	Sub  string // "value", or ""
}

// String renders the path as in a filter: [URN ":"] attr ["." sub]. A bare
// schema URN (Attr empty, as in a PATCH path) renders as the URN alone.
func (p AttrPath) String() string {
	var b strings.Builder
	if p.URN != "" {
		b.WriteString(p.URN)
		if p.Attr != "" {
			b.WriteByte(':')
		}
	}
	b.WriteString(p.Attr)
	if p.Sub != "" {
		b.WriteByte('.')
		b.WriteString(p.Sub)
	}
	return b.String()
}

// Op is a comparison operator.
type Op string

// Comparison operators of RFC 7644 §3.4.2.2 table 3.
const (
	Eq Op = "eq"
	Ne Op = "ne"
	Co Op = "co"
	Sw Op = "sw"
	Ew Op = "ew"
	Pr Op = "pr"
	Gt Op = "gt"
	Ge Op = "ge"
	Lt Op = "lt"
	Le Op = "le"
)

// Compare is `path op value`, or `path pr` (Value nil).
//
// Value holds a string, a bool, nil (the JSON null) or a json.Number that
// keeps the literal exactly as the client wrote it.
type Compare struct {
	Path  AttrPath
	Op    Op
	Value any
}

// And is `left and right`.
type And struct{ Left, Right Expr }

// Or is `left or right`.
type Or struct{ Left, Right Expr }

// Not is `not (x)`.
type Not struct{ X Expr }

// ValuePath is `attr[filter]`: the filter's paths are relative to the
// elements of the multi-valued complex attribute Path (their Attr is the
// sub-attribute name, their URN empty).
type ValuePath struct {
	Path   AttrPath
	Filter Expr
}

// Loosened returns the value path's filter written on the attribute's
// sub-attributes, without the condition that one element satisfies all of
// it: emails[type eq "work" and value eq "x"] → emails.type eq "work" and
// emails.value eq "x". Every resource the value path matches, it matches
// too, so an index lookup or a target search may answer it as long as the
// value path itself is checked on what comes back. ok is false when the
// filter holds a not, whose loosening would drop matches.
func (v *ValuePath) Loosened() (Expr, bool) {
	return loosen(v.Path, v.Filter)
}

func loosen(attr AttrPath, f Expr) (Expr, bool) {
	switch e := f.(type) {
	case *And:
		l, lok := loosen(attr, e.Left)
		r, rok := loosen(attr, e.Right)
		return &And{Left: l, Right: r}, lok && rok
	case *Or:
		l, lok := loosen(attr, e.Left)
		r, rok := loosen(attr, e.Right)
		return &Or{Left: l, Right: r}, lok && rok
	case *Compare:
		c := *e
		c.Path = AttrPath{URN: attr.URN, Attr: attr.Attr, Sub: e.Path.Attr}
		return &c, true
	}
	return nil, false
}

// Walk calls fn with the path of every comparison and value path of e.
// The paths inside a value path's filter, which name sub-attributes of its
// elements, are not visited.
func Walk(e Expr, fn func(AttrPath)) {
	switch n := e.(type) {
	case *Compare:
		fn(n.Path)
	case *And:
		Walk(n.Left, fn)
		Walk(n.Right, fn)
	case *Or:
		Walk(n.Left, fn)
		Walk(n.Right, fn)
	case *Not:
		Walk(n.X, fn)
	case *ValuePath:
		fn(n.Path)
	}
}

// WalkCompares calls fn with every comparison of e, those inside value
// paths included; parent is the enclosing value path's attribute path,
// zero at the top level (where a comparison's path is whole).
func WalkCompares(e Expr, fn func(parent AttrPath, c *Compare)) {
	var walk func(e Expr, parent AttrPath)
	walk = func(e Expr, parent AttrPath) {
		switch n := e.(type) {
		case *Compare:
			fn(parent, n)
		case *And:
			walk(n.Left, parent)
			walk(n.Right, parent)
		case *Or:
			walk(n.Left, parent)
			walk(n.Right, parent)
		case *Not:
			walk(n.X, parent)
		case *ValuePath:
			walk(n.Filter, n.Path)
		}
	}
	walk(e, AttrPath{})
}

// Mentions reports whether e names the attribute attr of the schema urn,
// with or without the URN: a filter may qualify a core attribute
// ("urn:ietf:params:scim:schemas:core:2.0:User:groups.value"), which the
// parser keeps in AttrPath.URN.
func Mentions(e Expr, urn, attr string) bool {
	found := false
	Walk(e, func(p AttrPath) {
		if strings.EqualFold(p.Attr, attr) && (p.URN == "" || strings.EqualFold(p.URN, urn)) {
			found = true
		}
	})
	return found
}

func (*Compare) node()   {}
func (*And) node()       {}
func (*Or) node()        {}
func (*Not) node()       {}
func (*ValuePath) node() {}

// PatchPath is a parsed PATCH "path" (RFC 7644 §3.5.2):
// attrPath, or valuePath with an optional sub-attribute after the filter
// (`emails[type eq "work"].value`).
type PatchPath struct {
	Path      AttrPath // the attribute; Path.Sub set for "name.givenName"
	Filter    Expr     // the value filter, or nil
	FilterSub string   // the sub-attribute after "]", or ""
}

// Limits bound what the parser accepts, so a filter can't exhaust the server.
type Limits struct {
	MaxLength int // characters in the filter string
	MaxDepth  int // nesting of parentheses, not and value paths
	MaxNodes  int // comparisons and logical operators in total
}

// DefaultLimits are the limits Parse applies.
var DefaultLimits = Limits{MaxLength: 4096, MaxDepth: 16, MaxNodes: 200}
