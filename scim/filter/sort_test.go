package filter

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// ids returns the "id" of each resource, to compare orders.
func ids(resources []map[string]any) []string {
	out := make([]string, len(resources))
	for i, r := range resources {
		out[i], _ = r["id"].(string)
	}
	return out
}

func sortFixture() []map[string]any {
	const ext = "urn:example:params:scim:schemas:extension:test:1.0:User"
	return []map[string]any{
		{"id": "1", "userName": "carol", "name": map[string]any{"familyName": "Zed"},
			"emails": []any{map[string]any{"value": "z@x", "type": "home"}, map[string]any{"value": "c@x", "primary": true}},
			ext:      map[string]any{"loginCount": float64(10), "hiredAt": "2020-01-01T00:00:00Z"},
			"meta":   map[string]any{"lastModified": "2021-01-01T00:00:00Z"}},
		{"id": "2", "userName": "Alice", "name": map[string]any{"familyName": "young"},
			"emails":      []any{map[string]any{"value": "b@x"}, map[string]any{"value": "a@x"}},
			ext:           map[string]any{"loginCount": json.Number("9"), "hiredAt": "2019-12-31T23:00:00-02:00"},
			"meta":        map[string]any{"lastModified": "2021-01-01T00:00:00.5Z"},
			enterpriseURN: map[string]any{"employeeNumber": "B"}},
		{"id": "3", "userName": "bob",
			ext:           map[string]any{"loginCount": int64(-1)},
			enterpriseURN: map[string]any{"employeeNumber": "a"}},
		{"id": "4", "userName": "BOB", "name": map[string]any{"familyName": ""},
			"emails": []any{}},
	}
}

func TestSort(t *testing.T) {
	rt := testUserType()
	tests := []struct {
		sortBy     string
		descending bool
		want       []string
	}{
		{"userName", false, []string{"2", "3", "4", "1"}}, // case-insensitive and stable: bob before BOB
		{"userName", true, []string{"1", "3", "4", "2"}},  // stable in descending order too
		{"USERNAME", false, []string{"2", "3", "4", "1"}},
		{"id", true, []string{"4", "3", "2", "1"}},
		{"name.familyName", false, []string{"2", "1", "3", "4"}}, // missing and "" last
		{"name.familyName", true, []string{"3", "4", "1", "2"}},  // missing first
		{"emails", false, []string{"2", "1", "3", "4"}},          // primary value c@x, else first b@x
		{"emails.value", true, []string{"3", "4", "1", "2"}},
		{"loginCount", false, []string{"3", "2", "1", "4"}}, // numerically, whatever the Go type
		{"loginCount", true, []string{"4", "1", "2", "3"}},
		{"hiredAt", false, []string{"1", "2", "3", "4"}}, // 2019-12-31T23:00-02:00 is after 2020-01-01T00:00Z
		{"meta.lastModified", false, []string{"1", "2", "3", "4"}},
		{enterpriseURN + ":employeeNumber", false, []string{"3", "2", "1", "4"}},
		{"employeeNumber", true, []string{"1", "4", "2", "3"}},
	}
	for _, tt := range tests {
		name := tt.sortBy
		if tt.descending {
			name += " descending"
		}
		t.Run(name, func(t *testing.T) {
			res := sortFixture()
			if err := Sort(res, rt, tt.sortBy, tt.descending); err != nil {
				t.Fatalf("Sort: %v", err)
			}
			if diff := cmp.Diff(tt.want, ids(res)); diff != "" {
				t.Errorf("order mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSortErrors(t *testing.T) {
	rt := testUserType()
	tests := []struct {
		sortBy   string
		fragment string
	}{
		{"nickname2", `unknown attribute "nickname2"`},
		{"name.nope", `unknown attribute "name.nope"`},
		{"urn:example:nope:1.0:User:x", `unknown attribute`},
		{enterpriseURN, `unknown attribute`},
		{"name", `"name" is a complex attribute`},
		{enterpriseURN + ":manager", "complex attribute"},
		{"", "unknown attribute"},
	}
	for _, tt := range tests {
		t.Run(tt.sortBy, func(t *testing.T) {
			res := sortFixture()
			wantSCIMError(t, Sort(res, rt, tt.sortBy, false), scim.InvalidValue, tt.fragment)
			if diff := cmp.Diff([]string{"1", "2", "3", "4"}, ids(res)); diff != "" {
				t.Errorf("a failed Sort changed the order:\n%s", diff)
			}
		})
	}
	t.Run("nil resource type", func(t *testing.T) {
		if err := Sort(sortFixture(), nil, "userName", false); !errors.Is(err, errNoResourceType) {
			t.Errorf("Sort(nil rt) = %v, want errNoResourceType", err)
		}
	})
}

func TestCompareValues(t *testing.T) {
	str := schema.NewAttribute("s", schema.String)
	exact := schema.NewAttribute("e", schema.String)
	exact.CaseExact = true
	integer := schema.NewAttribute("i", schema.Integer)
	dt := schema.NewAttribute("d", schema.DateTime)
	boolean := schema.NewAttribute("b", schema.Boolean)
	tests := []struct {
		name string
		a, b any
		attr *schema.Attribute
		want int
	}{
		{"fold equal", "ABC", "abc", str, 0},
		{"fold less", "abc", "ABD", str, -1},
		{"prefix shorter first", "ab", "ABC", str, -1},
		{"unicode folded equal", "ÉCOLE", "école", str, 0},
		{"unicode folded order", "Émile", "ÉMILF", str, -1},
		{"unicode after ascii prefix", "abcé", "ABCZ", str, 1},
		{"exact", "B", "a", exact, -1},
		{"exact equal", "a", "a", exact, 0},
		{"numbers across types", int64(10), json.Number("9.5"), integer, 1},
		{"float equals int", float64(3), json.Number("3"), integer, 0},
		{"number before non-number", json.Number("3"), "x", integer, -1},
		{"non-number after number", "x", 1, integer, 1},
		{"dateTime with offsets", "2020-01-01T00:00:00+01:00", "2019-12-31T23:30:00Z", dt, -1},
		{"dateTime fractional", "2020-01-01T00:00:00.1Z", "2020-01-01T00:00:00Z", dt, 1},
		{"valid dateTime before invalid", "2020-01-01T00:00:00Z", "garbage", dt, -1},
		{"false before true", false, true, boolean, -1},
		{"true equal", true, true, boolean, 0},
		{"missing last", nil, "a", str, 1},
		{"present before missing", "a", nil, str, -1},
		{"empty string is missing", "", "a", str, 1},
		{"both missing", nil, "", str, 0},
		{"no attribute: strings fold", "B", "a", nil, 1},
		{"no attribute: numbers before strings", 5, "a", nil, -1},
		{"no attribute: numbers", json.Number("2"), float64(10), nil, -1},
		{"no attribute: bools", true, false, nil, 1},
		{"no attribute: other kinds equal", []any{"x"}, map[string]any{"a": "b"}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CompareValues(tt.a, tt.b, tt.attr); got != tt.want {
				t.Errorf("CompareValues(%v, %v) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := CompareValues(tt.b, tt.a, tt.attr); got != -tt.want {
				t.Errorf("CompareValues(%v, %v) = %d, want %d (antisymmetry)", tt.b, tt.a, got, -tt.want)
			}
		})
	}
}
