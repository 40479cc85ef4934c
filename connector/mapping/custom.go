package mapping

import (
	"errors"
	"fmt"
	"strings"

	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// Custom attribute types ParseCustomAttributes knows. A connector accepts a
// subset (Coupa: string and boolean; PingOne: string and json).
const (
	TypeString   = "string"
	TypeBoolean  = "boolean"
	TypeJSON     = "json"
	TypeInteger  = "integer"
	TypeDecimal  = "decimal"
	TypeDateTime = "datetime"
)

// customTypes maps a custom attribute type to its SCIM type and to the
// transform of its generated rule.
var customTypes = map[string]struct {
	scim      schema.Type
	transform string
	args      Args
}{
	TypeString:   {schema.String, "multiFormat", nil},
	TypeBoolean:  {schema.Boolean, "stringBool", Args{"target": "boolean"}},
	TypeJSON:     {schema.String, "json", nil},
	TypeInteger:  {schema.Integer, "", nil},
	TypeDecimal:  {schema.Decimal, "", nil},
	TypeDateTime: {schema.DateTime, "dateTime", nil},
}

// CustomAttribute is one entry of a connector's "custom properties"
// parameter: an Enterprise User extension attribute stored in a target
// field of the same name.
type CustomAttribute struct {
	Name string
	Type string // one of the Type constants, lower case
}

// SchemaType returns the SCIM type of the attribute: a json attribute is a
// string holding JSON text.
func (c CustomAttribute) SchemaType() schema.Type {
	return customTypes[c.Type].scim
}

// Attribute returns the schema attribute: readWrite, returned default,
// caseExact false, required false, single-valued, uniqueness none, as the
// seeds specify for every custom attribute; its description names the
// declared type, since json attributes are advertised as strings.
func (c CustomAttribute) Attribute() *schema.Attribute {
	a := schema.NewAttribute(c.Name, c.SchemaType())
	a.Description = fmt.Sprintf("Custom attribute of this connector instance (%s).", c.Type)
	return a
}

// ParseCustomAttributes reads the seeds' custom attribute format,
// "name|type;name2|type;" (trailing semicolon optional, spaces around names
// and types ignored, types case-insensitive). Every broken entry is
// reported with its 1-based position, e.g.
// `custom attribute 2 ("nickname|"): missing type`; a type not in
// allowedTypes lists the accepted ones; a name given twice
// (case-insensitively, as SCIM names compare) is an error. An empty spec
// yields no attributes.
func ParseCustomAttributes(spec string, allowedTypes []string) ([]CustomAttribute, error) {
	entries := strings.Split(spec, ";")
	if strings.TrimSpace(entries[len(entries)-1]) == "" {
		entries = entries[:len(entries)-1]
	}
	var out []CustomAttribute
	var errs []error
	first := map[string]int{}
	for i, raw := range entries {
		fail := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("custom attribute %d (%q): %s", i+1, strings.TrimSpace(raw), fmt.Sprintf(format, args...)))
		}
		entry := strings.TrimSpace(raw)
		name, typ, hasBar := strings.Cut(entry, "|")
		name, typ = strings.TrimSpace(name), strings.ToLower(strings.TrimSpace(typ))
		switch {
		case entry == "":
			fail("empty entry")
			continue
		case !hasBar:
			fail(`missing "|type"`)
			continue
		case name == "":
			fail("missing name")
			continue
		case typ == "":
			fail("missing type")
			continue
		case strings.Contains(typ, "|"):
			fail(`more than one "|"`)
			continue
		case !validName(name) || name == "$ref":
			fail(`invalid name %q: a letter, then letters, digits, "_" or "-" (RFC 7643 §2.1)`, name)
			continue
		}
		if !containsFold(allowedTypes, typ) {
			fail("unknown type %q (accepted: %s)", typ, strings.Join(allowedTypes, ", "))
			continue
		}
		if _, known := customTypes[typ]; !known {
			fail("type %q is not supported by the mapping engine", typ)
			continue
		}
		if j, dup := first[strings.ToLower(name)]; dup {
			fail("duplicate name %q (also custom attribute %d)", name, j)
			continue
		}
		first[strings.ToLower(name)] = i + 1
		out = append(out, CustomAttribute{Name: name, Type: typ})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// AddCustomAttributes adds attrs to rt's Enterprise User extension. rt is
// changed in place: pass a clone (schema.ResourceType.Clone) so the
// built-in definitions stay untouched. A name that clashes with an existing
// extension attribute (employeeNumber, manager, ...) is an error, and then
// nothing is added.
func AddCustomAttributes(rt *schema.ResourceType, attrs []CustomAttribute) error {
	ext := rt.Extension(scim.EnterpriseUserSchema)
	if ext == nil {
		return fmt.Errorf("mapping: resource type %s has no enterprise extension for custom attributes", rt.Name)
	}
	var errs []error
	for _, a := range attrs {
		if old := ext.Attr(a.Name); old != nil {
			errs = append(errs, fmt.Errorf("custom attribute %q clashes with the enterprise attribute %q", a.Name, old.Name))
		}
		if _, ok := customTypes[a.Type]; !ok {
			errs = append(errs, fmt.Errorf("custom attribute %q has unknown type %q", a.Name, a.Type))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("mapping: %w", errors.Join(errs...))
	}
	for _, a := range attrs {
		ext.AddAttribute(a.Attribute())
	}
	return nil
}

// CustomRules returns one rule per custom attribute, from the Enterprise
// User extension attribute to the target field target+name (Okta
// "profile.", Coupa and PingOne ""). A target holding "{name}" is a
// template instead: "UserAttributes[Name=custom:{name}].Value" for Cognito.
// String attributes use multiFormat (a target array shows as "[a;; b]"),
// json attributes json, booleans stringBool writing JSON booleans,
// dateTime attributes dateTime.
func CustomRules(attrs []CustomAttribute, target string) Table {
	out := make(Table, 0, len(attrs))
	for _, a := range attrs {
		t := target + a.Name
		if strings.Contains(target, "{name}") {
			t = strings.ReplaceAll(target, "{name}", a.Name)
		}
		ct := customTypes[a.Type]
		out = append(out, Rule{SCIM: Enterprise + a.Name, Target: t, Transform: ct.transform, Args: ct.args})
	}
	return out
}

// FormatMulti renders values in the seeds' multi-valued custom attribute
// format: "[abcd;; efgh;; xyzw]". So that any value survives ParseMulti,
// every ";" in a value is written as `\;`, and a backslash that precedes
// ";" or "\" or ends the value as `\\`; other backslashes (DOMAIN\user)
// stay as they are. Values are trimmed by ParseMulti, so leading and
// trailing spaces are not kept, and [""] renders as "[]", an empty list.
func FormatMulti(values []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range values {
		if i > 0 {
			b.WriteString(";; ")
		}
		for j := 0; j < len(v); j++ {
			switch c := v[j]; {
			case c == ';':
				b.WriteString(`\;`)
			case c == '\\' && (j+1 == len(v) || v[j+1] == ';' || v[j+1] == '\\'):
				b.WriteString(`\\`)
			default:
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte(']')
	return b.String()
}

// ParseMulti reads the format of FormatMulti. ok is false when s is not
// enclosed in "[" and "]" (spaces around are ignored): the value is then a
// plain single value. Separators may come without the space ("[a;;b]"),
// values are trimmed, `\;` and `\\` are unescaped, a lone ";" is kept.
func ParseMulti(s string) (values []string, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, false
	}
	inner := s[1 : len(s)-1]
	values = []string{}
	if strings.TrimSpace(inner) == "" {
		return values, true
	}
	var cur strings.Builder
	for i := 0; i < len(inner); i++ {
		c := inner[i]
		switch {
		case c == '\\' && i+1 < len(inner) && (inner[i+1] == ';' || inner[i+1] == '\\'):
			cur.WriteByte(inner[i+1])
			i++
		case c == ';' && i+1 < len(inner) && inner[i+1] == ';':
			values = append(values, strings.TrimSpace(cur.String()))
			cur.Reset()
			i++
		default:
			cur.WriteByte(c)
		}
	}
	return append(values, strings.TrimSpace(cur.String())), true
}
