package patch

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimconnect/scimconnect/scim/schema"
)

func TestSameValue(t *testing.T) {
	rt := schema.UserResourceType()
	attr := func(path string) *schema.Attribute {
		r, ok := rt.ResolvePath(path)
		if !ok {
			t.Fatalf("ResolvePath(%q) failed", path)
		}
		return r.Target()
	}
	tests := []struct {
		name string
		attr *schema.Attribute
		x, y any
		want bool
	}{
		{"caseExact string differs by case", attr("id"), "Abc", "abc", false},
		{"caseExact string equal", attr("id"), "Abc", "Abc", true},
		{"case-insensitive string", attr("userName"), "Bjensen", "bjensen", true},
		{"string vs number", attr("userName"), "1", json.Number("1"), false},
		{"json.Number vs float64", schema.NewAttribute("n", schema.Integer), json.Number("42"), float64(42), true},
		{"json.Number vs int", schema.NewAttribute("n", schema.Integer), json.Number("42.0"), 42, true},
		{"int64 vs float32", schema.NewAttribute("n", schema.Decimal), int64(2), float32(2), true},
		{"int32 differs", schema.NewAttribute("n", schema.Integer), int32(2), json.Number("3"), false},
		{"big integers keep their digits", schema.NewAttribute("n", schema.Integer), json.Number("12345678901234567891"), json.Number("12345678901234567890"), false},
		{"NaN never equal", schema.NewAttribute("n", schema.Decimal), math.NaN(), math.NaN(), false},
		{"bad json.Number", schema.NewAttribute("n", schema.Decimal), json.Number("x"), json.Number("x"), false},
		{"bools", attr("active"), true, true, true},
		{"bool vs string", attr("active"), true, "true", false},
		{"nil vs nil", attr("title"), nil, nil, true},
		{"nil vs value", attr("title"), nil, "x", false},
		{"complex equal, names in any case", attr("name"), map[string]any{"givenName": "B"}, map[string]any{"GIVENNAME": "b"}, true},
		{"complex differs", attr("name"), map[string]any{"givenName": "B"}, map[string]any{"givenName": "C"}, false},
		{"complex vs scalar", attr("name"), map[string]any{"givenName": "B"}, "B", false},
		{"complex different sizes", attr("name"), map[string]any{"givenName": "B"}, map[string]any{"givenName": "B", "familyName": "J"}, false},
		{"multi-valued equal", attr("emails"), []any{map[string]any{"value": "a@b"}}, []map[string]any{{"value": "A@B"}}, true},
		{"multi-valued lengths differ", attr("emails"), []any{map[string]any{"value": "a@b"}}, []any{}, false},
		{"multi-valued order matters", attr("emails"), []any{map[string]any{"value": "a"}, map[string]any{"value": "b"}}, []any{map[string]any{"value": "b"}, map[string]any{"value": "a"}}, false},
		{"unknown sub-attributes compare case-insensitively", attr("name"), map[string]any{"x": "A"}, map[string]any{"x": "a"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sameValue(tt.attr, tt.x, tt.y); got != tt.want {
				t.Errorf("sameValue(%v, %v) = %v, want %v", tt.x, tt.y, got, tt.want)
			}
		})
	}
}

func TestCloneValue(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want any
	}{
		{"map", map[string]any{"a": []any{map[string]any{"b": 1}}}, map[string]any{"a": []any{map[string]any{"b": 1}}}},
		{"[]map", []map[string]any{{"a": "b"}}, []any{map[string]any{"a": "b"}}},
		{"[]string", []string{"a", "b"}, []any{"a", "b"}},
		{"scalar", json.Number("1"), json.Number("1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cloneValue(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("cloneValue mismatch (-want +got):\n%s", diff)
			}
			// Changing the copy must leave the original as it was.
			switch c := got.(type) {
			case map[string]any:
				c["a"].([]any)[0].(map[string]any)["b"] = 2
				if tt.in.(map[string]any)["a"].([]any)[0].(map[string]any)["b"] != 1 {
					t.Error("the copy shares a nested map with the original")
				}
			case []any:
				if m, ok := c[0].(map[string]any); ok {
					m["a"] = "changed"
					if tt.in.([]map[string]any)[0]["a"] != "b" {
						t.Error("the copy shares an element map with the original")
					}
				}
			}
		})
	}
}

func TestIsEmpty(t *testing.T) {
	tests := []struct {
		in   any
		want bool
	}{
		{nil, true}, {[]any{}, true}, {map[string]any{}, true}, {[]map[string]any{}, true}, {[]string{}, true},
		{"", false}, {false, false}, {[]any{nil}, false}, {map[string]any{"a": nil}, false}, {[]string{"a"}, false},
	}
	for _, tt := range tests {
		if got := isEmpty(tt.in); got != tt.want {
			t.Errorf("isEmpty(%#v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
