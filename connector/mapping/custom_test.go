package mapping_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/connector/mapping"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/schema"
)

var coupaTypes = []string{"string", "boolean"}

func TestParseCustomAttributes(t *testing.T) {
	tests := []struct {
		name string
		spec string
		want []mapping.CustomAttribute
	}{
		{"seed example", "custom_attribute_name1|string;custom_attribute_name2|string;",
			[]mapping.CustomAttribute{{Name: "custom_attribute_name1", Type: "string"}, {Name: "custom_attribute_name2", Type: "string"}}},
		{"no trailing semicolon", "a|string;b|boolean",
			[]mapping.CustomAttribute{{Name: "a", Type: "string"}, {Name: "b", Type: "boolean"}}},
		{"spaces and case", "  new_user | Boolean ;\n cost-center|STRING ; ",
			[]mapping.CustomAttribute{{Name: "new_user", Type: "boolean"}, {Name: "cost-center", Type: "string"}}},
		{"empty", "", nil},
		{"only spaces", "   ", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mapping.ParseCustomAttributes(tc.spec, coupaTypes)
			if err != nil {
				t.Fatalf("ParseCustomAttributes: %v", err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestParseCustomAttributesErrors(t *testing.T) {
	tests := []struct {
		name string
		spec string
		want []string // substrings, all required
	}{
		{"missing type", "name|string;nickname|", []string{`custom attribute 2 ("nickname|"): missing type`}},
		{"missing bar", "nickname", []string{`custom attribute 1 ("nickname"): missing "|type"`}},
		{"missing name", "|string", []string{`custom attribute 1 ("|string"): missing name`}},
		{"empty entry", "a|string;;b|string", []string{`custom attribute 2 (""): empty entry`}},
		{"two bars", "a|string|x", []string{`more than one "|"`}},
		{"invalid name", "1abc|string;a b|string", []string{`custom attribute 1 ("1abc|string"): invalid name "1abc"`, `custom attribute 2 ("a b|string"): invalid name "a b"`}},
		{"unknown type", "a|integer", []string{`custom attribute 1 ("a|integer"): unknown type "integer" (accepted: string, boolean)`}},
		{"duplicate", "a|string;b|string;A|boolean", []string{`custom attribute 3 ("A|boolean"): duplicate name "A" (also custom attribute 1)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mapping.ParseCustomAttributes(tc.spec, coupaTypes)
			if err == nil {
				t.Fatalf("ParseCustomAttributes = %v, want an error", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	// A type the connector accepts but the engine does not know.
	if _, err := mapping.ParseCustomAttributes("a|blob", []string{"blob"}); err == nil || !strings.Contains(err.Error(), "not supported by the mapping engine") {
		t.Errorf("error = %v, want an unsupported type", err)
	}
}

func TestAddCustomAttributes(t *testing.T) {
	base := schema.UserResourceType()
	rt := base.Clone()
	attrs, err := mapping.ParseCustomAttributes("new_user|boolean;prefs|json;nick|string", []string{"string", "boolean", "json"})
	if err != nil {
		t.Fatalf("ParseCustomAttributes: %v", err)
	}
	if err := mapping.AddCustomAttributes(rt, attrs); err != nil {
		t.Fatalf("AddCustomAttributes: %v", err)
	}
	ext := rt.Extension(scim.EnterpriseUserSchema)
	for _, tc := range []struct {
		name string
		typ  schema.Type
	}{{"new_user", schema.Boolean}, {"prefs", schema.String}, {"nick", schema.String}} {
		a := ext.Attr(tc.name)
		if a == nil {
			t.Fatalf("attribute %s not added", tc.name)
		}
		want := &schema.Attribute{Name: tc.name, Type: tc.typ, Mutability: schema.ReadWrite, Returned: schema.Default, Uniqueness: schema.None}
		if d := cmp.Diff(want, a, cmp.Comparer(func(x, y *schema.Attribute) bool {
			return x.Name == y.Name && x.Type == y.Type && x.Mutability == y.Mutability && x.Returned == y.Returned &&
				x.Uniqueness == y.Uniqueness && x.CaseExact == y.CaseExact && x.Required == y.Required && x.MultiValued == y.MultiValued
		})); d != "" {
			t.Errorf("attribute %s (-want +got):\n%s", tc.name, d)
		}
		// RFC 7643 §7: when applicable, the description MUST be given.
		if a.Description == "" {
			t.Errorf("attribute %s has no description for /Schemas", tc.name)
		}
	}
	if base.Extension(scim.EnterpriseUserSchema).Attr("new_user") != nil {
		t.Error("the original resource type was changed")
	}
	// The extended type validates a request that sets the attributes.
	if _, err := rt.Validate(map[string]any{
		"schemas":                 []any{scim.UserSchema, scim.EnterpriseUserSchema},
		"userName":                "a",
		scim.EnterpriseUserSchema: map[string]any{"new_user": "true", "prefs": `{"a":1}`},
	}, schema.Create, nil); err != nil {
		t.Errorf("Validate: %v", err)
	}

	clash := []mapping.CustomAttribute{{Name: "EmployeeNumber", Type: "string"}, {Name: "fine", Type: "string"}}
	if err := mapping.AddCustomAttributes(rt, clash); err == nil || !strings.Contains(err.Error(), `"EmployeeNumber" clashes with the enterprise attribute "employeeNumber"`) {
		t.Errorf("error = %v, want a clash", err)
	}
	if rt.Extension(scim.EnterpriseUserSchema).Attr("fine") != nil {
		t.Error("a failed AddCustomAttributes added attributes")
	}
	if err := mapping.AddCustomAttributes(rt, []mapping.CustomAttribute{{Name: "x", Type: "blob"}}); err == nil {
		t.Error("AddCustomAttributes accepted an unknown type")
	}
	if err := mapping.AddCustomAttributes(schema.GroupResourceType(), attrs); err == nil || !strings.Contains(err.Error(), "no enterprise extension") {
		t.Errorf("error = %v, want no enterprise extension", err)
	}
}

func TestCustomRules(t *testing.T) {
	attrs := []mapping.CustomAttribute{{Name: "nick", Type: "string"}, {Name: "new_user", Type: "boolean"}, {Name: "prefs", Type: "json"}, {Name: "hired", Type: "datetime"}, {Name: "level", Type: "integer"}}
	got := mapping.CustomRules(attrs, "profile.")
	want := mapping.Table{
		{SCIM: E + "nick", Target: "profile.nick", Transform: "multiFormat"},
		{SCIM: E + "new_user", Target: "profile.new_user", Transform: "stringBool", Args: mapping.Args{"target": "boolean"}},
		{SCIM: E + "prefs", Target: "profile.prefs", Transform: "json"},
		{SCIM: E + "hired", Target: "profile.hired", Transform: "dateTime"},
		{SCIM: E + "level", Target: "profile.level"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("CustomRules (-want +got):\n%s", d)
	}
	cognito := mapping.CustomRules(attrs[:1], "UserAttributes[Name=custom:{name}].Value")
	if cognito[0].Target != "UserAttributes[Name=custom:nick].Value" {
		t.Errorf("template target = %q", cognito[0].Target)
	}
	// The Cognito rule runs: a custom attribute in a name/value list.
	out, _, err := cognito.ToTarget(map[string]any{scim.EnterpriseUserSchema: map[string]any{"nick": "[a;; b]"}}, mapping.Options{})
	if err != nil {
		t.Fatalf("ToTarget: %v", err)
	}
	wantOut := map[string]any{"UserAttributes": []any{map[string]any{"Name": "custom:nick", "Value": []any{"a", "b"}}}}
	if d := cmp.Diff(wantOut, out); d != "" {
		t.Errorf("ToTarget (-want +got):\n%s", d)
	}
}

func TestFormatMulti(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   string
	}{
		{"seed", []string{"abcd", "efgh", "xyzw", "uvty"}, "[abcd;; efgh;; xyzw;; uvty]"},
		{"one", []string{"abcd"}, "[abcd]"},
		{"none", nil, "[]"},
		{"double semicolon escaped", []string{"a;;b", "c"}, `[a\;\;b;; c]`},
		{"single semicolon escaped", []string{"a;b"}, `[a\;b]`},
		{"backslash before semicolon", []string{`a\;`}, `[a\\\;]`},
		{"trailing backslash", []string{`a\`, "b"}, `[a\\;; b]`},
		{"plain backslash kept", []string{`CORP\ann`}, `[CORP\ann]`},
		{"double backslash", []string{`a\\b`}, `[a\\\b]`},
		{"brackets inside", []string{"[x]", "y]"}, "[[x];; y]]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mapping.FormatMulti(tc.values)
			if got != tc.want {
				t.Errorf("FormatMulti = %s, want %s", got, tc.want)
			}
			back, ok := mapping.ParseMulti(got)
			if !ok {
				t.Fatalf("ParseMulti(%s) not ok", got)
			}
			want := tc.values
			if want == nil {
				want = []string{}
			}
			if d := cmp.Diff(want, back); d != "" {
				t.Errorf("ParseMulti(FormatMulti(x)) (-want +got):\n%s", d)
			}
		})
	}
}

func TestParseMulti(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
		ok   bool
	}{
		{"seed", "[abcd;; efgh;; xyzw;; uvty]", []string{"abcd", "efgh", "xyzw", "uvty"}, true},
		{"no spaces", "[a;;b;;c]", []string{"a", "b", "c"}, true},
		{"extra spaces", "  [ a ;;   b ]  ", []string{"a", "b"}, true},
		{"empty", "[]", []string{}, true},
		{"blank", "[  ]", []string{}, true},
		{"empty element", "[a;; ;; b]", []string{"a", "", "b"}, true},
		{"lone semicolon kept", "[a;b]", []string{"a;b"}, true},
		{"other backslash kept", `[C:\dir;; x]`, []string{`C:\dir`, "x"}, true},
		{"not bracketed", "abcd", nil, false},
		{"only opening", "[abcd", nil, false},
		{"only closing", "abcd]", nil, false},
		{"single bracket", "[", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := mapping.ParseMulti(tc.in)
			if ok != tc.ok {
				t.Fatalf("ParseMulti(%q) ok = %t, want %t", tc.in, ok, tc.ok)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestCustomAttributeSchemaTypes(t *testing.T) {
	for typ, want := range map[string]schema.Type{"string": schema.String, "boolean": schema.Boolean, "json": schema.String,
		"integer": schema.Integer, "decimal": schema.Decimal, "datetime": schema.DateTime} {
		if got := (mapping.CustomAttribute{Name: "x", Type: typ}).SchemaType(); got != want {
			t.Errorf("SchemaType(%s) = %s, want %s", typ, got, want)
		}
	}
}
