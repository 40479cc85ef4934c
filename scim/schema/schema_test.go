package schema

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/scim"
)

// resolvedNames flattens a Resolved for comparison: the schema ID ("" for
// the common attributes), the attribute and sub-attribute names.
type resolvedNames struct {
	Schema, Attr, Sub string
	OK                bool
}

func namesOf(r Resolved, ok bool) resolvedNames {
	n := resolvedNames{OK: ok}
	if r.Schema != nil {
		n.Schema = r.Schema.ID
	}
	if r.Attr != nil {
		n.Attr = r.Attr.Name
	}
	if r.Sub != nil {
		n.Sub = r.Sub.Name
	}
	return n
}

func TestResolve(t *testing.T) {
	rt := UserResourceType()
	tests := []struct {
		name           string
		urn, attr, sub string
		want           resolvedNames
	}{
		{"core attribute", "", "userName", "", resolvedNames{coreUser, "userName", "", true}},
		{"case-insensitive", "", "USERNAME", "", resolvedNames{coreUser, "userName", "", true}},
		{"simple attribute has no sub-attribute", "", "userName", "givenName", resolvedNames{}},
		{"sub-attribute any case", "", "NAME", "givenname", resolvedNames{coreUser, "name", "givenName", true}},
		{"common attribute", "", "id", "", resolvedNames{"", "id", "", true}},
		{"common sub-attribute", "", "meta", "lastModified", resolvedNames{"", "meta", "lastModified", true}},
		{"extension attribute without URN", "", "employeeNumber", "", resolvedNames{entUser, "employeeNumber", "", true}},
		{"extension attribute with URN", entUser, "manager", "value", resolvedNames{entUser, "manager", "value", true}},
		{"common attribute under the core URN", coreUser, "id", "", resolvedNames{"", "id", "", true}},
		{"extension attribute under the core URN", coreUser, "employeeNumber", "", resolvedNames{}},
		{"unknown URN", "urn:example:x", "userName", "", resolvedNames{}},
		{"unknown sub-attribute", "", "name", "nope", resolvedNames{}},
		{"unknown attribute", "", "nope", "", resolvedNames{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := namesOf(rt.Resolve(tt.urn, tt.attr, tt.sub))
			if !got.OK {
				got = resolvedNames{} // only the outcome matters on failure
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Resolve(%q, %q, %q) mismatch (-want +got):\n%s", tt.urn, tt.attr, tt.sub, diff)
			}
		})
	}
}

func TestResolvePath(t *testing.T) {
	rt := UserResourceType()
	tests := []struct {
		path string
		want resolvedNames
	}{
		{"userName", resolvedNames{coreUser, "userName", "", true}},
		{"name.givenName", resolvedNames{coreUser, "name", "givenName", true}},
		{"emails.VALUE", resolvedNames{coreUser, "emails", "value", true}},
		{"meta.created", resolvedNames{"", "meta", "created", true}},
		{entUser, resolvedNames{entUser, "", "", true}},
		{"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER", resolvedNames{entUser, "", "", true}},
		{coreUser, resolvedNames{coreUser, "", "", true}},
		{entUser + ":manager.value", resolvedNames{entUser, "manager", "value", true}},
		{coreUser + ":name.familyName", resolvedNames{coreUser, "name", "familyName", true}},
		{"urn:example:unknown:attr", resolvedNames{}},
		{"urn:example:unknown", resolvedNames{}},
		{"name.nope", resolvedNames{}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got := namesOf(rt.ResolvePath(tt.path))
			if !got.OK {
				got = resolvedNames{}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ResolvePath(%q) mismatch (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

func TestResolvedHelpers(t *testing.T) {
	rt := UserResourceType()
	tests := []struct {
		path        string
		target      string
		inExtension bool
	}{
		{"name.givenName", "givenName", false},
		{"userName", "userName", false},
		{"id", "id", false},
		{entUser + ":manager.value", "value", true},
		{entUser + ":department", "department", true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r, ok := rt.ResolvePath(tt.path)
			if !ok {
				t.Fatalf("ResolvePath(%q) failed", tt.path)
			}
			if got := r.Target().Name; got != tt.target {
				t.Errorf("Target = %q, want %q", got, tt.target)
			}
			if got := r.InExtension(rt); got != tt.inExtension {
				t.Errorf("InExtension = %v, want %v", got, tt.inExtension)
			}
		})
	}
}

func TestSplitURN(t *testing.T) {
	rt := UserResourceType()
	tests := []struct {
		path, urn, rest string
	}{
		{"userName", "", "userName"},
		{"name.givenName", "", "name.givenName"},
		{"urn", "", "urn"},
		{entUser, entUser, ""},
		{entUser + ":manager.value", entUser, "manager.value"},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:department", entUser, "department"},
		{coreUser + ":userName", coreUser, "userName"},
		{entUser + "X:foo", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:UserX", "foo"},
		{"urn:example:unknown:attr", "urn:example:unknown", "attr"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			urn, rest := SplitURN(tt.path, rt)
			if urn != tt.urn || rest != tt.rest {
				t.Errorf("SplitURN(%q) = %q, %q; want %q, %q", tt.path, urn, rest, tt.urn, tt.rest)
			}
		})
	}
}

func TestCloneIndependence(t *testing.T) {
	orig := UserResourceType()
	c := orig.Clone()

	c.Schema.Attr("userName").Required = false
	c.Schema.Attr("name").Sub("givenName").CaseExact = true
	c.Schema.Attr("emails").Sub("type").CanonicalValues[0] = "changed"
	c.Schema.AddAttribute(NewAttribute("favoriteColor", String))
	if !c.Schema.RemoveAttribute("nickName") {
		t.Fatal("RemoveAttribute(nickName) on the clone = false")
	}
	c.Extension(entUser).AddAttribute(NewAttribute("badgeNumber", String))

	tests := []struct {
		name string
		got  any
		want any
	}{
		{"userName still required", orig.Schema.Attr("userName").Required, true},
		{"givenName still not caseExact", orig.Schema.Attr("name").Sub("givenName").CaseExact, false},
		{"canonical values untouched", orig.Schema.Attr("emails").Sub("type").CanonicalValues[0], "work"},
		{"no favoriteColor in original", orig.Schema.Attr("favoriteColor") == nil, true},
		{"nickName still in original", orig.Schema.Attr("nickName") != nil, true},
		{"no badgeNumber in original extension", orig.Extension(entUser).Attr("badgeNumber") == nil, true},
		{"favoriteColor in clone", c.Schema.Attr("FAVORITECOLOR") != nil, true},
		{"badgeNumber in clone extension", c.Extension(entUser).Attr("badgenumber") != nil, true},
		{"clone keeps its sub index", c.Schema.Attr("addresses").Sub("POSTALCODE") != nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !cmp.Equal(tt.got, tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestAddAndRemoveAttribute(t *testing.T) {
	tests := []struct {
		name       string
		change     func(s *Schema) bool
		wantResult bool
		wantNames  []string // top-level names after the change
		check      func(s *Schema) bool
	}{
		{
			name:       "add appends",
			change:     func(s *Schema) bool { s.AddAttribute(NewAttribute("extra", Integer)); return true },
			wantResult: true,
			wantNames:  []string{"employeeNumber", "costCenter", "organization", "division", "department", "manager", "extra"},
			check:      func(s *Schema) bool { return s.Attr("EXTRA").Type == Integer },
		},
		{
			name: "add replaces by name, case-insensitively",
			change: func(s *Schema) bool {
				s.AddAttribute(NewAttribute("DIVISION", Integer))
				return true
			},
			wantResult: true,
			wantNames:  []string{"employeeNumber", "costCenter", "organization", "DIVISION", "department", "manager"},
			check:      func(s *Schema) bool { return s.Attr("division").Type == Integer },
		},
		{
			name:       "remove a top-level attribute",
			change:     func(s *Schema) bool { return s.RemoveAttribute("CostCenter") },
			wantResult: true,
			wantNames:  []string{"employeeNumber", "organization", "division", "department", "manager"},
			check:      func(s *Schema) bool { return s.Attr("costCenter") == nil },
		},
		{
			name:       "remove a sub-attribute",
			change:     func(s *Schema) bool { return s.RemoveAttribute("manager.$ref") },
			wantResult: true,
			wantNames:  []string{"employeeNumber", "costCenter", "organization", "division", "department", "manager"},
			check: func(s *Schema) bool {
				m := s.Attr("manager")
				return m.Sub("$ref") == nil && m.Sub("value") != nil && len(m.SubAttributes) == 2
			},
		},
		{
			name:       "remove an unknown attribute",
			change:     func(s *Schema) bool { return s.RemoveAttribute("nope") },
			wantResult: false,
			wantNames:  []string{"employeeNumber", "costCenter", "organization", "division", "department", "manager"},
			check:      func(s *Schema) bool { return true },
		},
		{
			name:       "remove an unknown sub-attribute",
			change:     func(s *Schema) bool { return s.RemoveAttribute("manager.nope") },
			wantResult: false,
			wantNames:  []string{"employeeNumber", "costCenter", "organization", "division", "department", "manager"},
			check:      func(s *Schema) bool { return len(s.Attr("manager").SubAttributes) == 3 },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := EnterpriseUserSchemaDef()
			if got := tt.change(s); got != tt.wantResult {
				t.Errorf("result = %v, want %v", got, tt.wantResult)
			}
			var names []string
			for _, a := range s.Attributes {
				names = append(names, a.Name)
			}
			if diff := cmp.Diff(tt.wantNames, names); diff != "" {
				t.Errorf("attributes mismatch (-want +got):\n%s", diff)
			}
			if !tt.check(s) {
				t.Error("check failed")
			}
		})
	}
}

func TestLookupWithoutIndex(t *testing.T) {
	// Schemas built as literals have no index yet; lookups must still work.
	a := &Attribute{Name: "addr", Type: Complex, SubAttributes: []*Attribute{NewAttribute("zip", String)}}
	s := &Schema{ID: "urn:x", Attributes: []*Attribute{a}}
	tests := []struct {
		name string
		ok   bool
	}{
		{"attr", s.Attr("ADDR") == a},
		{"sub", a.Sub("ZIP") != nil},
		{"missing sub", a.Sub("nope") == nil},
		{"nil schema", (*Schema)(nil).Attr("x") == nil},
		{"nil attribute", (*Attribute)(nil).Sub("x") == nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok {
				t.Error("lookup failed")
			}
		})
	}
}

func TestAttributeJSONFieldNames(t *testing.T) {
	// RFC 7643 §7 and §8.7.1 spell the characteristics exactly so.
	tests := []struct {
		attr string
		want []string
	}{
		{"emails", []string{"caseExact", "description", "multiValued", "mutability", "name", "required", "returned", "subAttributes", "type", "uniqueness"}},
		{"profileUrl", []string{"caseExact", "description", "multiValued", "mutability", "name", "referenceTypes", "required", "returned", "type", "uniqueness"}},
		{"userName", []string{"caseExact", "description", "multiValued", "mutability", "name", "required", "returned", "type", "uniqueness"}},
	}
	s := UserSchemaDef()
	for _, tt := range tests {
		t.Run(tt.attr, func(t *testing.T) {
			b, err := json.Marshal(s.Attr(tt.attr))
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			var keys []string
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if diff := cmp.Diff(tt.want, keys); diff != "" {
				t.Errorf("JSON keys mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResourceTypeSchemas(t *testing.T) {
	tests := []struct {
		rt   *ResourceType
		want []string
	}{
		{UserResourceType(), []string{scim.UserSchema, scim.EnterpriseUserSchema}},
		{GroupResourceType(), []string{scim.GroupSchema}},
	}
	for _, tt := range tests {
		t.Run(tt.rt.ID, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.rt.Schemas()); diff != "" {
				t.Errorf("Schemas mismatch (-want +got):\n%s", diff)
			}
			for _, urn := range tt.want {
				if s := tt.rt.SchemaByURN(urn); s == nil || s.ID != urn {
					t.Errorf("SchemaByURN(%q) = %v", urn, s)
				}
			}
			if tt.rt.SchemaByURN("urn:example:none") != nil {
				t.Error("SchemaByURN of an unknown URN is not nil")
			}
		})
	}
}

// TestGroupMemberDisplayReadOnly: the service provider derives a member's
// display from the member, so /Schemas must not offer it as writable (a
// client's value would come back replaced), and Validate drops one sent.
func TestGroupMemberDisplayReadOnly(t *testing.T) {
	rt := GroupResourceType()
	display := rt.Schema.Attr("members").Sub("display")
	if display == nil || display.Mutability != ReadOnly {
		t.Fatalf("members.display = %+v, want readOnly", display)
	}
	out, err := rt.Validate(decodeJSON(t, `{"schemas": ["`+scim.GroupSchema+`"], "displayName": "g",
		"members": [{"value": "u1", "display": "Made Up", "type": "User"}]}`), Create, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{map[string]any{"value": "u1", "type": "User"}}
	if diff := cmp.Diff(want, out["members"]); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}
