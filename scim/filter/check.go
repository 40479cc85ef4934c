package filter

import (
	"encoding/json"
	"errors"

	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// errNoResourceType is returned when a caller passes no resource type; it is
// a programming error, not the client's.
var errNoResourceType = errors.New("filter: no resource type")

// Check validates a parsed filter against a resource type (RFC 7644
// §3.4.2.2) and returns a 400 invalidFilter *scim.Error naming the first
// problem:
//   - every attribute path resolves, case-insensitively; inside a value
//     path, names resolve as sub-attributes of its complex attribute;
//   - a value path names a complex attribute;
//   - a complex attribute without a "value" sub-attribute is only tested
//     with "pr" (a multi-valued complex attribute compared directly compares
//     its "value", as in `emails co "example.com"`);
//   - gt, ge, lt and le are not used on boolean or binary attributes;
//   - co, sw and ew are used only on string and reference attributes;
//   - the value fits the type: true/false for booleans, numbers for integers
//     and decimals, RFC 3339 strings for dateTimes, strings (or, leniently,
//     unquoted numbers such as numeric IDs) for strings; null only with eq
//     and ne.
func Check(e Expr, rt *schema.ResourceType) error {
	if rt == nil || rt.Schema == nil {
		return errNoResourceType
	}
	if e == nil {
		return nil
	}
	return checkExpr(e, rt, nil, AttrPath{})
}

// checkExpr checks e; parent is the complex attribute of an enclosing value
// path (named parentPath), or nil at the top level.
func checkExpr(e Expr, rt *schema.ResourceType, parent *schema.Attribute, parentPath AttrPath) error {
	switch e := e.(type) {
	case *And:
		if err := checkExpr(e.Left, rt, parent, parentPath); err != nil {
			return err
		}
		return checkExpr(e.Right, rt, parent, parentPath)
	case *Or:
		if err := checkExpr(e.Left, rt, parent, parentPath); err != nil {
			return err
		}
		return checkExpr(e.Right, rt, parent, parentPath)
	case *Not:
		return checkExpr(e.X, rt, parent, parentPath)
	case *ValuePath:
		if parent != nil {
			return invalid("value paths cannot be nested: %q inside %q", e.Path.String(), parentPath.String())
		}
		r, err := resolvePath(e.Path, rt)
		if err != nil {
			return err
		}
		if r.Sub != nil || r.Attr.Type != schema.Complex {
			return invalid("value path %q: attribute %q is not complex", e.String(), e.Path.String())
		}
		if e.Filter == nil {
			return invalid("value path %q has no filter", e.Path.String())
		}
		return checkExpr(e.Filter, rt, r.Attr, e.Path)
	case *Compare:
		return checkCompare(e, rt, parent, parentPath)
	case nil:
		return invalid("empty filter")
	default:
		return invalid("unsupported filter node %T", e)
	}
}

func invalid(format string, args ...any) *scim.Error {
	return scim.BadRequest(scim.InvalidFilter, "invalid filter: "+format, args...)
}

// resolvePath resolves a top-level path, distinguishing an unknown attribute
// from an unknown sub-attribute in the error.
func resolvePath(p AttrPath, rt *schema.ResourceType) (schema.Resolved, error) {
	r, ok := rt.Resolve(p.URN, p.Attr, p.Sub)
	if ok {
		return r, nil
	}
	if p.Sub != "" {
		if top, ok := rt.Resolve(p.URN, p.Attr, ""); ok {
			if top.Attr.Type != schema.Complex {
				return r, invalid("attribute %q is not complex: it has no sub-attribute %q", AttrPath{URN: p.URN, Attr: p.Attr}.String(), p.Sub)
			}
			return r, invalid("unknown sub-attribute %q of %q", p.Sub, AttrPath{URN: p.URN, Attr: p.Attr}.String())
		}
	}
	if p.URN != "" && rt.SchemaByURN(p.URN) == nil {
		return r, invalid("unknown schema %q in attribute path %q", p.URN, p.String())
	}
	return r, invalid("unknown attribute %q", p.String())
}

func checkCompare(c *Compare, rt *schema.ResourceType, parent *schema.Attribute, parentPath AttrPath) error {
	var attr *schema.Attribute
	name := c.Path.String()
	if parent != nil {
		if c.Path.URN != "" || c.Path.Sub != "" {
			return invalid("inside value path %q, %q must name a sub-attribute", parentPath.String(), name)
		}
		attr = parent.Sub(c.Path.Attr)
		if attr == nil {
			return invalid("unknown sub-attribute %q of %q", c.Path.Attr, parentPath.String())
		}
		name = parentPath.String() + "." + c.Path.Attr
	} else {
		r, err := resolvePath(c.Path, rt)
		if err != nil {
			return err
		}
		attr = r.Target()
	}
	if attr.Type == schema.Complex {
		if c.Op == Pr {
			return nil
		}
		// A complex attribute compared directly compares its "value"
		// sub-attribute: RFC 7644 §3.4.2.2 for multi-valued ones, and
		// Entra asks `id eq "…" and manager eq "…"` of the enterprise
		// manager.
		v := attr.Sub("value")
		if v == nil {
			return invalid("attribute %q is complex: compare one of its sub-attributes", name)
		}
		attr, name = v, name+".value"
	}
	return checkOp(c, attr, name)
}

// checkOp checks the operator and value of c against attr (named name).
func checkOp(c *Compare, attr *schema.Attribute, name string) error {
	switch c.Op {
	case Pr:
		return nil
	case Eq, Ne:
		if c.Value == nil {
			return nil
		}
	case Co, Sw, Ew:
		if attr.Type != schema.String && attr.Type != schema.Reference {
			return invalid("operator %q needs a string attribute, but %q is %s", c.Op, name, article(attr.Type))
		}
	case Gt, Ge, Lt, Le:
		// RFC 7644 §3.4.2.2: "Boolean and Binary attributes SHALL cause a
		// failed response ... with scimType of invalidFilter."
		if attr.Type == schema.Boolean || attr.Type == schema.Binary {
			return invalid("operator %q is not defined for %s attribute %q", c.Op, attr.Type, name)
		}
	default:
		return invalid("unknown operator %q", c.Op)
	}
	if c.Value == nil {
		return invalid("operator %q cannot compare %q with null", c.Op, name)
	}
	return checkValue(c, attr, name)
}

func article(t schema.Type) string {
	switch t {
	case schema.Integer:
		return "an integer"
	}
	return "a " + string(t)
}

// checkValue checks that the (non-null) value of c fits attr's type.
func checkValue(c *Compare, attr *schema.Attribute, name string) error {
	v := quoteForMessage(c.Value)
	switch attr.Type {
	case schema.String, schema.Reference, schema.Binary:
		switch c.Value.(type) {
		case string, json.Number:
			// A number compares as its literal: Entra ID sends unquoted numeric IDs.
			return nil
		}
		return invalid("%q is %s attribute: expected a string, found %s", name, article(attr.Type), v)
	case schema.Boolean:
		if _, ok := c.Value.(bool); ok {
			return nil
		}
		return invalid("%q is a boolean attribute: expected true or false, found %s", name, v)
	case schema.Integer, schema.Decimal:
		if _, ok := toNumber(c.Value); ok {
			if _, isString := c.Value.(string); !isString {
				return nil
			}
		}
		return invalid("%q is %s attribute: expected a number, found %s", name, article(attr.Type), v)
	case schema.DateTime:
		if s, ok := c.Value.(string); ok {
			if _, ok := parseDateTime(s); ok {
				return nil
			}
		}
		return invalid("%q is a dateTime attribute: expected an RFC 3339 date and time such as \"2011-05-13T04:42:34Z\", found %s", name, v)
	}
	return invalid("attribute %q of type %s cannot be compared", name, attr.Type)
}
