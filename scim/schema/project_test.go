package schema

import (
	"reflect"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/scim"
)

// storedUserJSON is a User as the service provider holds it: canonical,
// with id, meta and groups set, and the writeOnly password kept.
const storedUserJSON = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "id": "2819c223",
  "externalId": "701984",
  "userName": "bjensen",
  "name": {"givenName": "Barbara", "familyName": "Jensen"},
  "emails": [{"value": "b@example.com", "type": "work", "primary": true}, {"value": "babs@example.org", "type": "home"}],
  "password": "t1meMa$heen",
  "active": true,
  "groups": [{"value": "g1", "display": "Admins"}],
  "meta": {"resourceType": "User", "location": "https://example.com/v2/Users/2819c223"},
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    "employeeNumber": "7", "department": "R&D", "manager": {"value": "m1", "displayName": "Boss"}
  }
}`

const storedWidgetJSON = `{
  "schemas": ["urn:example:scim:schemas:Widget"],
  "id": "w1", "label": "l", "hint": "h", "secret": "s", "x-internal": 1,
  "parts": [{"value": "v", "kind": "k", "note": "n", "pin": "p", "extra": "e"}, {"pin": "only"}]
}`

func TestProjectionApply(t *testing.T) {
	const ent = `"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
	const schemasCore = `"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]`
	const schemasBoth = `"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ` + ent + `]`
	const entAll = ent + `: {"employeeNumber": "7", "department": "R&D", "manager": {"value": "m1", "displayName": "Boss"}}`
	const restOfUser = `"externalId": "701984", "userName": "bjensen", "active": true,
	  "groups": [{"value": "g1", "display": "Admins"}],
	  "meta": {"resourceType": "User", "location": "https://example.com/v2/Users/2819c223"}`

	tests := []struct {
		name       string
		widget     bool
		attributes []string
		excluded   []string
		want       string
	}{
		{
			name: "no parameters drops never",
			want: `{` + schemasBoth + `, "id": "2819c223", ` + restOfUser + `,
			  "name": {"givenName": "Barbara", "familyName": "Jensen"},
			  "emails": [{"value": "b@example.com", "type": "work", "primary": true}, {"value": "babs@example.org", "type": "home"}],
			  ` + entAll + `}`,
		},
		{
			name:       "attributes keeps always ones",
			attributes: []string{"userName"},
			want:       `{` + schemasCore + `, "id": "2819c223", "userName": "bjensen"}`,
		},
		{
			name:       "attribute names match case-insensitively",
			attributes: []string{"USERNAME", "Active"},
			want:       `{` + schemasCore + `, "id": "2819c223", "userName": "bjensen", "active": true}`,
		},
		{
			name:       "sub-attribute of a single-valued complex",
			attributes: []string{"name.givenName"},
			want:       `{` + schemasCore + `, "id": "2819c223", "name": {"givenName": "Barbara"}}`,
		},
		{
			name:       "sub-attribute of a multi-valued complex",
			attributes: []string{"emails.value"},
			want:       `{` + schemasCore + `, "id": "2819c223", "emails": [{"value": "b@example.com"}, {"value": "babs@example.org"}]}`,
		},
		{
			name:       "sub-attribute and parent named",
			attributes: []string{"name.givenName", "name"},
			want:       `{` + schemasCore + `, "id": "2819c223", "name": {"givenName": "Barbara", "familyName": "Jensen"}}`,
		},
		{
			name:       "bare extension URN",
			attributes: []string{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
			want:       `{` + schemasBoth + `, "id": "2819c223", ` + entAll + `}`,
		},
		{
			name:       "extension sub-attribute",
			attributes: []string{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"},
			want:       `{` + schemasBoth + `, "id": "2819c223", ` + ent + `: {"manager": {"value": "m1"}}}`,
		},
		{
			name:       "extension attribute without URN resolves",
			attributes: []string{"employeeNumber"},
			want:       `{` + schemasBoth + `, "id": "2819c223", ` + ent + `: {"employeeNumber": "7"}}`,
		},
		{
			name:       "core URN-qualified attribute",
			attributes: []string{"urn:ietf:params:scim:schemas:core:2.0:User:userName"},
			want:       `{` + schemasCore + `, "id": "2819c223", "userName": "bjensen"}`,
		},
		{
			name:       "meta sub-attribute",
			attributes: []string{"meta.location"},
			want:       `{` + schemasCore + `, "id": "2819c223", "meta": {"location": "https://example.com/v2/Users/2819c223"}}`,
		},
		{
			name:       "unknown paths are ignored",
			attributes: []string{"nickname2", "name.nothing", "urn:example:other:attr"},
			want:       `{` + schemasCore + `, "id": "2819c223"}`,
		},
		{
			name:       "never is never returned",
			attributes: []string{"password"},
			want:       `{` + schemasCore + `, "id": "2819c223"}`,
		},
		{
			name:     "excluded attributes and sub-attributes",
			excluded: []string{"emails", "name.familyName", "groups", "meta"},
			want: `{` + schemasBoth + `, "id": "2819c223", "externalId": "701984", "userName": "bjensen", "active": true,
			  "name": {"givenName": "Barbara"}, ` + entAll + `}`,
		},
		{
			name:     "excluded sub-attribute of a multi-valued complex",
			excluded: []string{"emails.value", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "groups", "meta", "name", "externalId", "active"},
			want:     `{` + schemasCore + `, "id": "2819c223", "userName": "bjensen", "emails": [{"type": "work", "primary": true}, {"type": "home"}]}`,
		},
		{
			name:     "always attributes cannot be excluded",
			excluded: []string{"id", "schemas", "emails", "name", "groups", "meta", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
			want:     `{` + schemasCore + `, "id": "2819c223", "externalId": "701984", "userName": "bjensen", "active": true}`,
		},
		{
			name: "extension emptied by exclusions is dropped from schemas",
			excluded: []string{
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
				"emails", "name", "groups", "meta",
			},
			want: `{` + schemasCore + `, "id": "2819c223", "externalId": "701984", "userName": "bjensen", "active": true}`,
		},
		{
			name:     "excluded extension sub-attribute",
			excluded: []string{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName", "emails", "name", "groups", "meta"},
			want: `{` + schemasBoth + `, "id": "2819c223", "externalId": "701984", "userName": "bjensen", "active": true,
			  ` + ent + `: {"employeeNumber": "7", "department": "R&D", "manager": {"value": "m1"}}}`,
		},
		{
			name:       "attributes wins over excludedAttributes",
			attributes: []string{"userName"},
			excluded:   []string{"userName"},
			want:       `{` + schemasCore + `, "id": "2819c223", "userName": "bjensen"}`,
		},
		{
			name:   "widget default: request and never dropped, unknown keys kept",
			widget: true,
			want:   `{"schemas": ["urn:example:scim:schemas:Widget"], "id": "w1", "label": "l", "x-internal": 1, "parts": [{"value": "v", "kind": "k", "extra": "e"}]}`,
		},
		{
			name:       "widget request attribute when named",
			widget:     true,
			attributes: []string{"hint", "secret"},
			want:       `{"schemas": ["urn:example:scim:schemas:Widget"], "id": "w1", "hint": "h"}`,
		},
		{
			name:       "widget named sub-attribute keeps the always sub-attribute",
			widget:     true,
			attributes: []string{"parts.value"},
			want:       `{"schemas": ["urn:example:scim:schemas:Widget"], "id": "w1", "parts": [{"value": "v", "kind": "k"}]}`,
		},
		{
			name:       "widget named parent includes request sub-attributes but not never ones",
			widget:     true,
			attributes: []string{"parts"},
			want:       `{"schemas": ["urn:example:scim:schemas:Widget"], "id": "w1", "parts": [{"value": "v", "kind": "k", "note": "n", "extra": "e"}]}`,
		},
		{
			name:       "widget named request sub-attribute",
			widget:     true,
			attributes: []string{"parts.note", "parts.pin"},
			want:       `{"schemas": ["urn:example:scim:schemas:Widget"], "id": "w1", "parts": [{"kind": "k", "note": "n"}]}`,
		},
		{
			name:     "widget exclusions cannot reveal request nor drop always",
			widget:   true,
			excluded: []string{"parts.kind", "parts.value", "x-internal"},
			want:     `{"schemas": ["urn:example:scim:schemas:Widget"], "id": "w1", "label": "l", "x-internal": 1, "parts": [{"kind": "k", "extra": "e"}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, src := UserResourceType(), storedUserJSON
			if tt.widget {
				rt, src = widgetType(), storedWidgetJSON
			}
			p, err := rt.NewProjection(tt.attributes, tt.excluded)
			if err != nil {
				t.Fatalf("NewProjection: %v", err)
			}
			res := decodeJSON(t, src)
			got := p.Apply(res)
			if diff := cmp.Diff(decodeJSON(t, tt.want), got); diff != "" {
				t.Errorf("Apply mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(decodeJSON(t, src), res); diff != "" {
				t.Errorf("Apply modified its input (-before +after):\n%s", diff)
			}
		})
	}
}

func TestProjectionDefaultFastPath(t *testing.T) {
	rt := UserResourceType()
	p, err := rt.NewProjection(nil, nil)
	if err != nil {
		t.Fatalf("NewProjection: %v", err)
	}
	if p == nil {
		t.Fatal("NewProjection(nil, nil) = nil, want the default projection")
	}
	res := decodeJSON(t, storedUserJSON)
	delete(res, "password")
	got := p.Apply(res)
	if reflect.ValueOf(got).UnsafePointer() != reflect.ValueOf(res).UnsafePointer() {
		t.Error("Apply copied a resource that needed no change")
	}

	res["password"] = "x"
	got = p.Apply(res)
	if _, ok := got["password"]; ok {
		t.Error("Apply kept the password")
	}
	if _, ok := res["password"]; !ok {
		t.Error("Apply removed the password from its input")
	}
}

func TestProjectionNilReceiver(t *testing.T) {
	const custom = "urn:example:scim:schemas:Custom"
	tests := []struct {
		name string
		res  string
		want string
	}{
		{
			name: "built-in user loses its password, custom extension stays listed",
			res: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "` + custom + `"], "id": "1",
			       "userName": "u", "password": "p", "secret": "kept: unknown to the built-in schema",
			       "` + custom + `": {"x": 1}}`,
			want: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "` + custom + `"], "id": "1",
			        "userName": "u", "secret": "kept: unknown to the built-in schema", "` + custom + `": {"x": 1}}`,
		},
		{
			name: "built-in group is unchanged",
			res:  `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "1", "displayName": "g"}`,
			want: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "1", "displayName": "g"}`,
		},
		{
			name: "unknown resource type is unchanged",
			res:  `{"schemas": ["urn:example:Thing"], "password": "p"}`,
			want: `{"schemas": ["urn:example:Thing"], "password": "p"}`,
		},
		{
			name: "no schemas",
			res:  `{"password": "p"}`,
			want: `{"password": "p"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p *Projection
			res := decodeJSON(t, tt.res)
			if diff := cmp.Diff(decodeJSON(t, tt.want), p.Apply(res)); diff != "" {
				t.Errorf("nil Apply mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(decodeJSON(t, tt.res), res); diff != "" {
				t.Errorf("nil Apply modified its input (-before +after):\n%s", diff)
			}
		})
	}
	var p *Projection
	if !p.Includes("members") {
		t.Error("nil Includes(members) = false, want true")
	}
}

func TestNewProjectionErrors(t *testing.T) {
	tests := []struct {
		name  string
		paths []string
		bad   string
	}{
		{"empty", []string{"userName", ""}, ""},
		{"empty segment", []string{"a..b"}, "a..b"},
		{"trailing dot", []string{"name."}, "name."},
		{"three segments", []string{"name.givenName.x"}, "name.givenName.x"},
		{"filter in path", []string{`emails[type eq "work"].value`}, `emails[type eq "work"].value`},
		{"leading digit", []string{"1abc"}, "1abc"},
		{"space", []string{" userName"}, " userName"},
		{"bad after URN", []string{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager..value"}, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager..value"},
	}
	for _, tt := range tests {
		for _, excluded := range []bool{false, true} {
			name := tt.name
			if excluded {
				name += " excluded"
			}
			t.Run(name, func(t *testing.T) {
				var p *Projection
				var err error
				if excluded {
					p, err = UserResourceType().NewProjection(nil, tt.paths)
				} else {
					p, err = UserResourceType().NewProjection(tt.paths, nil)
				}
				if p != nil {
					t.Errorf("NewProjection returned a projection with an error")
				}
				checkError(t, err, scim.InvalidValue, "invalid attribute path "+strconv.Quote(tt.bad))
			})
		}
	}
}

func TestProjectionIncludes(t *testing.T) {
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	tests := []struct {
		name       string
		rt         *ResourceType
		attributes []string
		excluded   []string
		want       map[string]bool
	}{
		{
			name: "group default",
			rt:   GroupResourceType(),
			want: map[string]bool{"members": true, "members.value": true, "displayName": true, "id": true, "unknown": true},
		},
		{
			name:       "group attributes without members",
			rt:         GroupResourceType(),
			attributes: []string{"displayName"},
			want:       map[string]bool{"members": false, "members.value": false, "displayName": true, "id": true, "meta": false, "unknown": false},
		},
		{
			name:       "group attributes with a members sub-attribute",
			rt:         GroupResourceType(),
			attributes: []string{"members.value"},
			want:       map[string]bool{"members": true, "members.value": true, "members.display": false, "displayName": false},
		},
		{
			name:     "group excluded members",
			rt:       GroupResourceType(),
			excluded: []string{"members"},
			want:     map[string]bool{"members": false, "members.value": false, "displayName": true, "meta": true},
		},
		{
			name: "user default",
			rt:   UserResourceType(),
			want: map[string]bool{"groups": true, "password": false, ent: true, ent + ":manager.value": true},
		},
		{
			name:       "user extension named",
			rt:         UserResourceType(),
			attributes: []string{ent},
			want:       map[string]bool{"groups": false, ent: true, ent + ":manager.value": true, "employeeNumber": true, "userName": false},
		},
		{
			name:     "user extension excluded",
			rt:       UserResourceType(),
			excluded: []string{ent, "groups"},
			want:     map[string]bool{"groups": false, ent: false, ent + ":employeeNumber": false, "userName": true},
		},
		{
			name:       "user extension attribute named",
			rt:         UserResourceType(),
			attributes: []string{ent + ":manager"},
			want:       map[string]bool{ent: true, ent + ":manager.value": true, ent + ":department": false},
		},
		{
			name:       "widget request sub-attribute",
			rt:         widgetType(),
			attributes: []string{"parts.value"},
			want:       map[string]bool{"parts": true, "parts.value": true, "parts.kind": true, "parts.note": false, "hint": false},
		},
		{
			name: "widget default",
			rt:   widgetType(),
			want: map[string]bool{"hint": false, "secret": false, "parts.note": false, "parts.pin": false, "parts.kind": true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.rt.NewProjection(tt.attributes, tt.excluded)
			if err != nil {
				t.Fatalf("NewProjection: %v", err)
			}
			got := make(map[string]bool, len(tt.want))
			for path := range tt.want {
				got[path] = p.Includes(path)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Includes mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseAttrList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"userName", []string{"userName"}},
		{" userName , name.givenName,,emails ", []string{"userName", "name.givenName", "emails"}},
		{" , ,", nil},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value,id",
			[]string{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "id"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ParseAttrList(tt.in)); diff != "" {
				t.Errorf("ParseAttrList(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestProjectionUnknownExtensionKeys covers keys a resource holds under an
// extension that its schema does not define: like unknown top-level keys,
// they are kept unless attributes was given.
func TestProjectionUnknownExtensionKeys(t *testing.T) {
	const ent = scim.EnterpriseUserSchema
	tests := []struct {
		name                 string
		attributes, excluded []string
		want                 map[string]any
	}{
		{"default", nil, nil, map[string]any{"custom": "c", "division": "d"}},
		{"excluded", nil, []string{ent + ":division"}, map[string]any{"custom": "c"}},
		{"attributes", []string{ent + ":division"}, nil, map[string]any{"division": "d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := UserResourceType().NewProjection(tt.attributes, tt.excluded)
			if err != nil {
				t.Fatalf("NewProjection: %v", err)
			}
			res := map[string]any{"id": "1", "password": "p", ent: map[string]any{"custom": "c", "division": "d"}}
			got := p.Apply(res)
			if diff := cmp.Diff(tt.want, got[ent]); diff != "" {
				t.Errorf("extension mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
