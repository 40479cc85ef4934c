package schema

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/scim"
)

const (
	coreUser = scim.UserSchema
	entUser  = scim.EnterpriseUserSchema
)

// decodeJSON decodes a JSON object as the HTTP layer does.
func decodeJSON(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test JSON %q: %v", s, err)
	}
	return m
}

// checkError asserts that err is a 400 *scim.Error with the given scimType
// and detail.
func checkError(t *testing.T, err error, scimType, detail string) {
	t.Helper()
	var se *scim.Error
	if !errors.As(err, &se) {
		t.Fatalf("error = %v (%T), want *scim.Error", err, err)
	}
	if se.Status != http.StatusBadRequest || se.ScimType != scimType || se.Detail != detail {
		t.Errorf("error = %d %q %q\nwant    400 %q %q", se.Status, se.ScimType, se.Detail, scimType, detail)
	}
}

// fullUserJSON is the full User example of RFC 7643 §8.2 (with the
// country codes corrected by erratum 5990 and a shorter certificate).
const fullUserJSON = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
  "id": "2819c223-7f76-453a-919d-413861904646",
  "externalId": "701984",
  "userName": "bjensen@example.com",
  "name": {
    "formatted": "Ms. Barbara J Jensen, III",
    "familyName": "Jensen",
    "givenName": "Barbara",
    "middleName": "Jane",
    "honorificPrefix": "Ms.",
    "honorificSuffix": "III"
  },
  "displayName": "Babs Jensen",
  "nickName": "Babs",
  "profileUrl": "https://login.example.com/bjensen",
  "emails": [
    {"value": "bjensen@example.com", "type": "work", "primary": true},
    {"value": "babs@jensen.org", "type": "home"}
  ],
  "addresses": [
    {"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood",
     "region": "CA", "postalCode": "91608", "country": "US",
     "formatted": "100 Universal City Plaza\nHollywood, CA 91608 USA", "primary": true},
    {"type": "home", "streetAddress": "456 Hollywood Blvd", "locality": "Hollywood",
     "region": "CA", "postalCode": "91608", "country": "US",
     "formatted": "456 Hollywood Blvd\nHollywood, CA 91608 USA"}
  ],
  "phoneNumbers": [
    {"value": "555-555-5555", "type": "work"},
    {"value": "555-555-4444", "type": "mobile"}
  ],
  "ims": [{"value": "someaimhandle", "type": "aim"}],
  "photos": [
    {"value": "https://photos.example.com/profilephoto/72930000000Ccne/F", "type": "photo"},
    {"value": "https://photos.example.com/profilephoto/72930000000Ccne/T", "type": "thumbnail"}
  ],
  "userType": "Employee",
  "title": "Tour Guide",
  "preferredLanguage": "en-US",
  "locale": "en-US",
  "timezone": "America/Los_Angeles",
  "active": true,
  "password": "t1meMa$heen",
  "groups": [
    {"value": "e9e30dba-f08f-4109-8486-d5c6a331660a",
     "$ref": "https://example.com/v2/Groups/e9e30dba-f08f-4109-8486-d5c6a331660a", "display": "Tour Guides"},
    {"value": "fc348aa8-3835-40eb-a20b-c726e15c55b5",
     "$ref": "https://example.com/v2/Groups/fc348aa8-3835-40eb-a20b-c726e15c55b5", "display": "Employees"}
  ],
  "x509Certificates": [
    {"value": "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB1L9RIvNEVUxTveLruM0rfj0WAK1jHDhaXXzOI8d4VFmtvBtMkA/+SNV1tdpcY4BAEl9l2w/j4kSUt26phkV9mGCE/tCA=="}
  ],
  "meta": {
    "resourceType": "User",
    "created": "2010-01-23T04:56:22Z",
    "lastModified": "2011-05-13T04:42:34Z",
    "version": "W/\"a330bc54f0671c9\"",
    "location": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646"
  }
}`

// entraCreateJSON is a create body as Microsoft Entra provisioning sends it.
const entraCreateJSON = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
  "userName": "Test_User_ab6490ee@testuser.com",
  "active": "True",
  "displayName": "Test User",
  "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
  "meta": {"resourceType": "User"},
  "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
  "roles": [],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    "employeeNumber": "1", "department": "Sales", "manager": {"value": "mgr-1", "displayName": "Boss"}
  }
}`

// widgetType is a custom resource type exercising every data type,
// immutability and the "request"/"always"/"never" returned values.
func widgetType() *ResourceType {
	s := &Schema{ID: "urn:example:scim:schemas:Widget", Name: "Widget", Attributes: []*Attribute{
		str("label").required(),
		typed("count", Integer),
		typed("ratio", Decimal),
		typed("when", DateTime),
		typed("blob", Binary),
		str("tags").multi(),
		str("badge").mut(Immutable),
		str("serial").mut(Immutable).exact(),
		str("codes").multi().mut(Immutable),
		complexAttr("card",
			str("number").mut(Immutable),
			str("label"),
			str("code").required(),
		),
		str("hint").ret(Request),
		str("secret").mut(WriteOnly).ret(Never),
		complexAttr("parts",
			str("value"),
			str("kind").ret(Always),
			str("note").ret(Request),
			str("pin").ret(Never),
		).multi(),
	}}
	s.reindex()
	ext := &Schema{ID: "urn:example:scim:schemas:WidgetExt", Name: "WidgetExt", Attributes: []*Attribute{
		str("color"),
		str("size").required(),
		str("origin").mut(Immutable),
	}}
	ext.reindex()
	return &ResourceType{ID: "Widget", Name: "Widget", Endpoint: "/Widgets", Schema: s,
		Extensions: []Extension{{Schema: ext}}}
}

func TestValidateValid(t *testing.T) {
	fullWant := decodeJSON(t, fullUserJSON)
	delete(fullWant, "id")
	delete(fullWant, "meta")
	delete(fullWant, "groups")

	tests := []struct {
		name     string
		rt       *ResourceType
		body     string
		mode     Mode
		existing string
		want     map[string]any // when set, compared instead of wantJSON
		wantJSON string
	}{
		{
			name: "RFC 7643 §8.2 full user drops readOnly and keeps writeOnly",
			body: fullUserJSON,
			want: fullWant,
		},
		{
			name: "Entra create with enterprise extension",
			body: entraCreateJSON,
			wantJSON: `{
			  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
			              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			  "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
			  "userName": "Test_User_ab6490ee@testuser.com",
			  "active": true,
			  "displayName": "Test User",
			  "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
			  "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
			    "employeeNumber": "1", "department": "Sales", "manager": {"value": "mgr-1"}
			  }
			}`,
		},
		{
			// Microsoft's SCIM tutorial (Create Group), and Entra's older
			// provisioning jobs, list a legacy schema URI of their own.
			name: "Entra group create with its legacy schema URI",
			rt:   GroupResourceType(),
			body: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group",
			                    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/Group"],
			        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "displayName", "meta": {"resourceType": "Group"}}`,
			wantJSON: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
			            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "displayName"}`,
		},
		{
			name: "case-insensitive names are canonicalized",
			body: `{
			  "SCHEMAS": ["URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER",
			              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"],
			  "USERNAME": "bjensen",
			  "Name": {"GIVENNAME": "Barbara"},
			  "Emails": [{"VALUE": "b@example.com", "Primary": "TRUE"}],
			  "ExternalID": "x1",
			  "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER": {"EmployeeNumber": "7", "Manager": {"Value": "m"}}
			}`,
			wantJSON: `{
			  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
			              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			  "userName": "bjensen",
			  "name": {"givenName": "Barbara"},
			  "emails": [{"value": "b@example.com", "primary": true}],
			  "externalId": "x1",
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "7", "manager": {"value": "m"}}
			}`,
		},
		{
			name: "URN-qualified keys for core and extension attributes",
			body: `{
			  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
			              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			  "urn:ietf:params:scim:schemas:core:2.0:User:userName": "bjensen",
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "7",
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager": {"value": "m"},
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"}
			}`,
			wantJSON: `{
			  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
			              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			  "userName": "bjensen",
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
			    "employeeNumber": "7", "department": "R&D", "manager": {"value": "m"}
			  }
			}`,
		},
		{
			name: "nulls, empty arrays, empty objects and null elements are unassigned",
			body: `{
			  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
			              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			  "userName": "u", "displayName": null, "emails": [], "name": {"givenName": null},
			  "phoneNumbers": [null, {"value": "1"}, null], "addresses": [{}],
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"displayName": "ro"}}
			}`,
			wantJSON: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u",
			            "phoneNumbers": [{"value": "1"}]}`,
		},
		{
			name: "a single value is wrapped into an array",
			body: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u",
			        "emails": {"value": "a@example.com"}}`,
			wantJSON: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u",
			            "emails": [{"value": "a@example.com"}]}`,
		},
		{
			name: "exact duplicate elements are removed",
			body: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u",
			        "emails": [{"value": "a@example.com", "primary": true}, {"value": "b@example.com"},
			                   {"value": "a@example.com", "primary": true}, {"value": "A@example.com"}]}`,
			wantJSON: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u",
			            "emails": [{"value": "a@example.com", "primary": true}, {"value": "b@example.com"},
			                       {"value": "A@example.com"}]}`,
		},
		{
			name: "booleans from strings in any case",
			body: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u",
			        "active": "False", "emails": [{"value": "a", "primary": "true"}]}`,
			wantJSON: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u",
			            "active": false, "emails": [{"value": "a", "primary": true}]}`,
		},
		{
			name: "extension listed in schemas without data is left out",
			body: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
			                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"], "userName": "u"}`,
			wantJSON: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u"}`,
		},
		{
			name:     "patched mode recomputes schemas without checking them",
			body:     `{"schemas": ["urn:bogus"], "userName": "u", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"division": "d"}}`,
			mode:     Patched,
			existing: `{"userName": "old"}`,
			wantJSON: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
			                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			            "userName": "u", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"division": "d"}}`,
		},
		{
			name: "group with members",
			rt:   GroupResourceType(),
			body: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G", "id": "x",
			        "Members": [{"Value": "1", "type": "User"}, {"value": "2", "$REF": "https://e/Users/2"}]}`,
			wantJSON: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G",
			            "members": [{"value": "1", "type": "User"}, {"value": "2", "$ref": "https://e/Users/2"}]}`,
		},
		{
			name: "custom types are converted",
			rt:   widgetType(),
			body: `{"schemas": ["urn:example:scim:schemas:Widget"], "label": "w", "count": 3, "ratio": 2,
			        "when": "2024-02-29T12:00:00.5+01:00", "blob": "aGVsbG8", "tags": ["a", "b", "a"],
			        "card": {"code": "c1"}}`,
			want: map[string]any{
				"schemas": []any{"urn:example:scim:schemas:Widget"}, "label": "w", "count": int64(3), "ratio": 2.0,
				"when": "2024-02-29T12:00:00.5+01:00", "blob": "aGVsbG8", "tags": []any{"a", "b"},
				"card": map[string]any{"code": "c1"},
			},
		},
		{
			name: "dateTime without time zone is an xsd:dateTime",
			rt:   widgetType(),
			body: `{"schemas": ["urn:example:scim:schemas:Widget"], "label": "w", "when": "2024-01-02T03:04:05"}`,
			want: map[string]any{"schemas": []any{"urn:example:scim:schemas:Widget"}, "label": "w", "when": "2024-01-02T03:04:05"},
		},
		{
			name:     "replace keeps an equal immutable value, case-insensitively unless caseExact",
			rt:       widgetType(),
			mode:     Replace,
			body:     `{"schemas": ["urn:example:scim:schemas:Widget"], "label": "w", "badge": "GOLD", "serial": "S1", "card": {"number": "n1", "code": "c"}}`,
			existing: `{"label": "old", "badge": "gold", "serial": "S1", "card": {"number": "n1", "code": "old"}}`,
			want: map[string]any{"schemas": []any{"urn:example:scim:schemas:Widget"}, "label": "w", "badge": "GOLD", "serial": "S1",
				"card": map[string]any{"number": "n1", "code": "c"}},
		},
		{
			name:     "immutable multi-valued comparison ignores order and duplicates",
			rt:       widgetType(),
			mode:     Replace,
			body:     `{"schemas": ["urn:example:scim:schemas:Widget"], "label": "w", "codes": ["b", "a", "b"]}`,
			existing: `{"label": "old", "codes": ["a", "b"]}`,
			want:     map[string]any{"schemas": []any{"urn:example:scim:schemas:Widget"}, "label": "w", "codes": []any{"b", "a"}},
		},
		{
			name:     "replace carries over omitted immutable values",
			rt:       widgetType(),
			mode:     Replace,
			body:     `{"schemas": ["urn:example:scim:schemas:Widget"], "label": "w", "card": {"code": "c"}}`,
			existing: `{"label": "old", "badge": "gold", "card": {"number": "n1", "code": "old"}}`,
			want: map[string]any{"schemas": []any{"urn:example:scim:schemas:Widget"}, "label": "w", "badge": "gold",
				"card": map[string]any{"number": "n1", "code": "c"}},
		},
		{
			name:     "replace carries an omitted immutable extension attribute",
			rt:       widgetType(),
			mode:     Replace,
			body:     `{"schemas": ["urn:example:scim:schemas:Widget"], "label": "w"}`,
			existing: `{"label": "old", "urn:example:scim:schemas:WidgetExt": {"size": "L", "origin": "factory"}}`,
			want: map[string]any{"schemas": []any{"urn:example:scim:schemas:Widget", "urn:example:scim:schemas:WidgetExt"}, "label": "w",
				"urn:example:scim:schemas:WidgetExt": map[string]any{"origin": "factory"}},
		},
		{
			name:     "replace may set an immutable value the resource lacks",
			rt:       widgetType(),
			mode:     Replace,
			body:     `{"schemas": ["urn:example:scim:schemas:Widget"], "label": "w", "badge": "new"}`,
			existing: `{"label": "old"}`,
			want:     map[string]any{"schemas": []any{"urn:example:scim:schemas:Widget"}, "label": "w", "badge": "new"},
		},
		{
			name:     "create ignores existing",
			rt:       widgetType(),
			body:     `{"schemas": ["urn:example:scim:schemas:Widget"], "label": "w", "badge": "new"}`,
			existing: `{"badge": "old"}`,
			want:     map[string]any{"schemas": []any{"urn:example:scim:schemas:Widget"}, "label": "w", "badge": "new"},
		},
		{
			name:     "group members may change in replace although their sub-attributes are immutable",
			rt:       GroupResourceType(),
			mode:     Replace,
			body:     `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G", "members": [{"value": "2"}]}`,
			existing: `{"displayName": "G", "members": [{"value": "1"}]}`,
			wantJSON: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G", "members": [{"value": "2"}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := tt.rt
			if rt == nil {
				rt = UserResourceType()
			}
			body := decodeJSON(t, tt.body)
			before := decodeJSON(t, tt.body)
			var existing map[string]any
			if tt.existing != "" {
				existing = decodeJSON(t, tt.existing)
			}
			got, err := rt.Validate(body, tt.mode, existing)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			want := tt.want
			if want == nil {
				want = decodeJSON(t, tt.wantJSON)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Validate mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, body); diff != "" {
				t.Errorf("Validate modified its input (-before +after):\n%s", diff)
			}
		})
	}
}

func TestValidateJSONNumber(t *testing.T) {
	dec := json.NewDecoder(strings.NewReader(`{"schemas": ["urn:example:scim:schemas:Widget"], "label": "w", "count": 12, "ratio": 0.25}`))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil {
		t.Fatal(err)
	}
	got, err := widgetType().Validate(body, Create, nil)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	want := map[string]any{"schemas": []any{"urn:example:scim:schemas:Widget"}, "label": "w", "count": int64(12), "ratio": 0.25}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestValidateErrors(t *testing.T) {
	const ok = `"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u"`
	const widget = `"schemas": ["urn:example:scim:schemas:Widget"], "label": "w"`
	tests := []struct {
		name     string
		rt       *ResourceType
		body     string
		mode     Mode
		existing string
		scimType string
		detail   string
	}{
		{
			name:     "unknown attributes are all named",
			body:     `{` + ok + `, "foo": 1, "name": {"bar": "x", "givenName": "g"}, "emails": [{"value": "a", "kind": "k"}]}`,
			scimType: scim.InvalidSyntax,
			detail:   `unknown attributes: "emails.kind", "foo", "name.bar"`,
		},
		{
			name:     "unknown extension attribute",
			body:     `{` + ok + `, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"nope": 1}}`,
			scimType: scim.InvalidSyntax,
			detail:   `unknown attribute: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:nope"`,
		},
		{
			name:     "unknown URN-qualified key",
			body:     `{` + ok + `, "urn:example:unknown:2.0:Thing:attr": 1}`,
			scimType: scim.InvalidSyntax,
			detail:   `unknown attribute: "urn:example:unknown:2.0:Thing:attr"`,
		},
		{
			name:     "extension attribute without its URN",
			body:     `{` + ok + `, "employeeNumber": "7"}`,
			scimType: scim.InvalidSyntax,
			detail:   `unknown attribute: "employeeNumber"`,
		},
		{
			name:     "dotted URN-qualified key is not an attribute",
			body:     `{` + ok + `, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value": "m"}`,
			scimType: scim.InvalidSyntax,
			detail:   `unknown attribute: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"`,
		},
		{
			name:     "same attribute twice under different spellings",
			body:     `{` + ok + `, "USERNAME": "v"}`,
			scimType: scim.InvalidSyntax,
			detail:   `attribute "userName" is given more than once`,
		},
		{
			name: "extension attribute both qualified and in the object",
			body: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"], "userName": "u",
			        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division": "a",
			        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"division": "b"}}`,
			scimType: scim.InvalidSyntax,
			detail:   `attribute "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division" is given more than once`,
		},
		{
			name:     "extension value is not an object",
			body:     `{` + ok + `, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": "x"}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" must be an object, got string "x"`,
		},
		{
			name:     "schemas missing",
			body:     `{"userName": "u"}`,
			scimType: scim.InvalidSyntax,
			detail:   `attribute "schemas" is required`,
		},
		{
			name:     "schemas not an array",
			body:     `{"schemas": "urn:ietf:params:scim:schemas:core:2.0:User", "userName": "u"}`,
			scimType: scim.InvalidSyntax,
			detail:   `attribute "schemas" must be an array of strings, got string "urn:ietf:params:scim:schemas:core:2.0:User"`,
		},
		{
			name:     "schemas element not a string",
			body:     `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", 5], "userName": "u"}`,
			scimType: scim.InvalidSyntax,
			detail:   `attribute "schemas" must be an array of strings, got an element number 5`,
		},
		{
			name:     "schemas without the core schema",
			body:     `{"schemas": ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"], "userName": "u"}`,
			scimType: scim.InvalidSyntax,
			detail:   `attribute "schemas" must contain "urn:ietf:params:scim:schemas:core:2.0:User"`,
		},
		{
			name:     "schemas with an unknown URN",
			body:     `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:example:other"], "userName": "u"}`,
			scimType: scim.InvalidSyntax,
			detail:   `attribute "schemas" holds schemas unknown to resource type User: "urn:example:other"`,
		},
		{
			name:     "schemas with a look-alike of Entra's legacy group schema",
			body:     `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "http://schemas.microsoft.com/2006/11/ResourceManagement/Other/Group"], "userName": "u"}`,
			scimType: scim.InvalidSyntax,
			detail:   `attribute "schemas" holds schemas unknown to resource type User: "http://schemas.microsoft.com/2006/11/ResourceManagement/Other/Group"`,
		},
		{
			name:     "schemas with the Group schema on a user",
			body:     `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:core:2.0:Group"], "userName": "u"}`,
			scimType: scim.InvalidSyntax,
			detail:   `attribute "schemas" holds schemas unknown to resource type User: "urn:ietf:params:scim:schemas:core:2.0:Group"`,
		},
		{
			name:     "extension data not listed in schemas",
			body:     `{` + ok + `, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"division": "d"}}`,
			scimType: scim.InvalidSyntax,
			detail:   `extension "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" has attributes but is not listed in "schemas"`,
		},
		{
			name:     "schemas required in replace",
			body:     `{"userName": "u"}`,
			mode:     Replace,
			existing: `{"userName": "u"}`,
			scimType: scim.InvalidSyntax,
			detail:   `attribute "schemas" is required`,
		},
		{
			name:     "required attribute missing",
			body:     `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "displayName": "d"}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "userName" is required`,
		},
		{
			name:     "required attribute null",
			body:     `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": null}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "userName" is required`,
		},
		{
			name:     "required attribute empty",
			body:     `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": ""}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "userName" is required`,
		},
		{
			// RFC 7644 §3.5.2.2: removing or unassigning a required
			// attribute is "mutability".
			name:     "required attribute removed by a patch",
			body:     `{"displayName": "d"}`,
			mode:     Patched,
			existing: `{"userName": "u"}`,
			scimType: scim.Mutability,
			detail:   `attribute "userName" is required`,
		},
		{
			name:     "required sub-attribute removed by a patch",
			rt:       widgetType(),
			body:     `{"label": "w", "card": {"label": "l"}}`,
			mode:     Patched,
			existing: `{"label": "w", "card": {"label": "l", "code": "c"}}`,
			scimType: scim.Mutability,
			detail:   `attribute "card.code" is required`,
		},
		{
			name:     "group displayName required",
			rt:       GroupResourceType(),
			body:     `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "members": [{"value": "1"}]}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "displayName" is required`,
		},
		{
			name:     "required sub-attribute of a present complex value",
			rt:       widgetType(),
			body:     `{` + widget + `, "card": {"label": "l"}}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "card.code" is required`,
		},
		{
			name:     "required attribute of a present extension",
			rt:       widgetType(),
			body:     `{"schemas": ["urn:example:scim:schemas:Widget", "urn:example:scim:schemas:WidgetExt"], "label": "w", "urn:example:scim:schemas:WidgetExt": {"color": "red"}}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "urn:example:scim:schemas:WidgetExt:size" is required`,
		},
		{
			name:     "every missing required attribute named at once",
			rt:       widgetType(),
			body:     `{"schemas": ["urn:example:scim:schemas:Widget", "urn:example:scim:schemas:WidgetExt"], "urn:example:scim:schemas:WidgetExt": {"color": "red"}}`,
			scimType: scim.InvalidValue,
			detail:   `attributes "label", "urn:example:scim:schemas:WidgetExt:size" are required`,
		},
		{
			name: "missing required complex attribute named by its required sub-attributes",
			rt: func() *ResourceType {
				rt := widgetType()
				rt.Schema.Attr("card").Required = true
				return rt
			}(),
			body:     `{` + widget + `}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "card.code" is required`,
		},
		{
			name: "required extension missing",
			rt: func() *ResourceType {
				rt := UserResourceType()
				rt.Extensions[0].Required = true
				return rt
			}(),
			body:     `{` + ok + `}`,
			scimType: scim.InvalidValue,
			detail:   `extension "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" is required`,
		},
		{
			name:     "boolean from a bad string",
			body:     `{` + ok + `, "active": "maybe"}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "active" must be a boolean, got string "maybe"`,
		},
		{
			name:     "string from a number",
			body:     `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": 42}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "userName" must be a string, got number 42`,
		},
		{
			name:     "string from an array",
			body:     `{` + ok + `, "displayName": ["a"]}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "displayName" must be a string, got an array`,
		},
		{
			name:     "complex from a string",
			body:     `{` + ok + `, "name": "Barbara"}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "name" must be a complex object, got string "Barbara"`,
		},
		{
			name:     "sub-attribute type",
			body:     `{` + ok + `, "emails": [{"value": true}]}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "emails.value" must be a string, got boolean true`,
		},
		{
			name:     "extension sub-attribute type",
			body:     `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"], "userName": "u", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": 7}}}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value" must be a string, got number 7`,
		},
		{
			name:     "reference from a number",
			body:     `{` + ok + `, "profileUrl": 3}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "profileUrl" must be a reference (string), got number 3`,
		},
		{
			name:     "binary that is not base64",
			body:     `{` + ok + `, "x509Certificates": [{"value": "not base64!"}]}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "x509Certificates.value" must be base64 binary, got string "not base64!"`,
		},
		{
			name:     "binary with a bad length",
			rt:       widgetType(),
			body:     `{` + widget + `, "blob": "abcde"}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "blob" must be base64 binary, got string "abcde"`,
		},
		{
			name:     "integer from a fraction",
			rt:       widgetType(),
			body:     `{` + widget + `, "count": 1.5}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "count" must be an integer, got number 1.5`,
		},
		{
			name:     "integer from a string",
			rt:       widgetType(),
			body:     `{` + widget + `, "count": "2"}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "count" must be an integer, got string "2"`,
		},
		{
			name:     "decimal from a string",
			rt:       widgetType(),
			body:     `{` + widget + `, "ratio": "0.5"}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "ratio" must be a decimal, got string "0.5"`,
		},
		{
			name:     "dateTime that does not parse",
			rt:       widgetType(),
			body:     `{` + widget + `, "when": "yesterday"}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "when" must be a dateTime (RFC 3339), got string "yesterday"`,
		},
		{
			name:     "dateTime with an impossible date",
			rt:       widgetType(),
			body:     `{` + widget + `, "when": "2023-02-29T00:00:00Z"}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "when" must be a dateTime (RFC 3339), got string "2023-02-29T00:00:00Z"`,
		},
		{
			name:     "multi-valued simple element type",
			rt:       widgetType(),
			body:     `{` + widget + `, "tags": ["a", 1]}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "tags" must be a string, got number 1`,
		},
		{
			name:     "nested arrays",
			body:     `{` + ok + `, "emails": [[{"value": "a"}]]}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "emails" must not contain nested arrays`,
		},
		{
			name:     "two primary values",
			body:     `{` + ok + `, "emails": [{"value": "a", "primary": true}, {"value": "b", "primary": "True"}]}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "emails" has 2 values with primary true, at most one is allowed`,
		},
		{
			name:     "first value error in schema order wins",
			body:     `{` + ok + `, "title": 1, "active": "x", "nickName": 2}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "nickName" must be a string, got number 2`,
		},
		{
			name:     "unknown attributes are reported before value errors",
			body:     `{` + ok + `, "active": "x", "zzz": 1}`,
			scimType: scim.InvalidSyntax,
			detail:   `unknown attribute: "zzz"`,
		},
		{
			name:     "immutable attribute changed",
			rt:       widgetType(),
			mode:     Replace,
			body:     `{` + widget + `, "badge": "silver"}`,
			existing: `{"label": "w", "badge": "gold"}`,
			scimType: scim.Mutability,
			detail:   `attribute "badge" is immutable and cannot be changed`,
		},
		{
			name:     "caseExact immutable attribute changed in case only",
			rt:       widgetType(),
			mode:     Replace,
			body:     `{` + widget + `, "serial": "s1"}`,
			existing: `{"label": "w", "serial": "S1"}`,
			scimType: scim.Mutability,
			detail:   `attribute "serial" is immutable and cannot be changed`,
		},
		{
			name:     "immutable attribute changed by a patch",
			rt:       widgetType(),
			mode:     Patched,
			body:     `{"label": "w", "badge": "silver"}`,
			existing: `{"label": "w", "badge": "gold"}`,
			scimType: scim.Mutability,
			detail:   `attribute "badge" is immutable and cannot be changed`,
		},
		{
			name:     "immutable attribute removed by a patch",
			rt:       widgetType(),
			mode:     Patched,
			body:     `{"label": "w"}`,
			existing: `{"label": "w", "badge": "gold"}`,
			scimType: scim.Mutability,
			detail:   `attribute "badge" is immutable and cannot be removed`,
		},
		{
			name:     "immutable extension attribute changed",
			rt:       widgetType(),
			mode:     Replace,
			body:     `{"schemas": ["urn:example:scim:schemas:Widget", "urn:example:scim:schemas:WidgetExt"], "label": "w", "urn:example:scim:schemas:WidgetExt": {"size": "M", "origin": "elsewhere"}}`,
			existing: `{"label": "w", "urn:example:scim:schemas:WidgetExt": {"size": "L", "origin": "factory"}}`,
			scimType: scim.Mutability,
			detail:   `attribute "urn:example:scim:schemas:WidgetExt:origin" is immutable and cannot be changed`,
		},
		{
			name:     "immutable multi-valued attribute changed",
			rt:       widgetType(),
			mode:     Replace,
			body:     `{` + widget + `, "codes": ["a", "c"]}`,
			existing: `{"label": "w", "codes": ["b", "a"]}`,
			scimType: scim.Mutability,
			detail:   `attribute "codes" is immutable and cannot be changed`,
		},
		{
			name:     "immutable sub-attribute changed",
			rt:       widgetType(),
			mode:     Replace,
			body:     `{` + widget + `, "card": {"number": "n2", "code": "c"}}`,
			existing: `{"label": "w", "card": {"number": "n1", "code": "c"}}`,
			scimType: scim.Mutability,
			detail:   `attribute "card.number" is immutable and cannot be changed`,
		},
		{
			// RFC 7643 §4.2: a member is named by its id; display is read-only.
			name:     "group members named by display alone",
			rt:       GroupResourceType(),
			mode:     Replace,
			body:     `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G", "members": [{"display": "u1"}, {"display": "u2"}]}`,
			existing: `{"displayName": "G", "members": [{"value": "1"}]}`,
			scimType: scim.InvalidValue,
			detail:   `every element of "members" needs a "value": the id of a member resource ("display" is read-only and identifies no one)`,
		},
		{
			name:     "group member with a null value among valid ones",
			rt:       GroupResourceType(),
			body:     `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G", "members": [{"value": "1"}, {"value": null, "type": "User"}]}`,
			scimType: scim.InvalidValue,
			detail:   `every element of "members" needs a "value": the id of a member resource ("display" is read-only and identifies no one)`,
		},
		{
			name:     "string longer than the limit",
			body:     `{` + ok + `, "displayName": "` + strings.Repeat("x", 65<<10) + `"}`,
			scimType: scim.InvalidValue,
			detail:   `attribute "displayName" is 66560 bytes long, more than the limit of 65536`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := tt.rt
			if rt == nil {
				rt = UserResourceType()
			}
			var existing map[string]any
			if tt.existing != "" {
				existing = decodeJSON(t, tt.existing)
			}
			got, err := rt.Validate(decodeJSON(t, tt.body), tt.mode, existing)
			if got != nil {
				t.Errorf("Validate returned a resource with an error: %v", got)
			}
			checkError(t, err, tt.scimType, tt.detail)
		})
	}
}

func TestValidateMaxValues(t *testing.T) {
	old := MaxValues
	MaxValues = 2
	t.Cleanup(func() { MaxValues = old })

	tests := []struct {
		name   string
		rt     *ResourceType
		body   string
		detail string // "" for success
	}{
		{
			name:   "emails over the limit",
			rt:     UserResourceType(),
			body:   `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u", "emails": [{"value": "a"}, {"value": "b"}, {"value": "c"}]}`,
			detail: `attribute "emails" has 3 values, more than the limit of 2`,
		},
		{
			name: "emails at the limit",
			rt:   UserResourceType(),
			body: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u", "emails": [{"value": "a"}, {"value": "b"}]}`,
		},
		{
			name: "group members are exempt",
			rt:   GroupResourceType(),
			body: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "g", "members": [{"value": "a"}, {"value": "b"}, {"value": "c"}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.rt.Validate(decodeJSON(t, tt.body), Create, nil)
			if tt.detail == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			checkError(t, err, scim.InvalidValue, tt.detail)
		})
	}
}

// TestValidateLargeGroupDedupe covers the hashed duplicate removal used
// for long lists.
func TestValidateLargeGroupDedupe(t *testing.T) {
	var members []any
	for i := range 40 {
		members = append(members, map[string]any{"value": string(rune('a' + i%20)), "type": "User"})
	}
	body := map[string]any{"schemas": []any{scim.GroupSchema}, "displayName": "g", "members": members}
	got, err := GroupResourceType().Validate(body, Create, nil)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	var want []any
	for i := range 20 {
		want = append(want, map[string]any{"value": string(rune('a' + i)), "type": "User"})
	}
	if diff := cmp.Diff(want, got["members"]); diff != "" {
		t.Errorf("members mismatch (-want +got):\n%s", diff)
	}
	if len(members) != 40 {
		t.Errorf("input members changed length to %d", len(members))
	}
}

func TestValidateCarriedValueIsCopied(t *testing.T) {
	rt := widgetType()
	existing := decodeJSON(t, `{"label": "w", "card": {"number": "n1", "code": "c"}, "badge": "b"}`)
	got, err := rt.Validate(decodeJSON(t, `{"schemas": ["urn:example:scim:schemas:Widget"], "label": "w"}`), Replace, existing)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	want := map[string]any{"schemas": []any{"urn:example:scim:schemas:Widget"}, "label": "w", "badge": "b",
		"card": map[string]any{"number": "n1"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("mismatch (-want +got):\n%s", diff)
	}
	got["card"].(map[string]any)["number"] = "changed"
	if n := existing["card"].(map[string]any)["number"]; n != "n1" {
		t.Errorf("existing card.number = %v after changing the result, want n1", n)
	}
}

func TestValidBase64(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"", true},
		{"aGVsbG8=", true},
		{"aGVsbG8", true},
		{"aGVsbA==", true},
		{"aGVsbA", true},
		{"aGVsb", false},
		{"aGVsbG8==", false},
		{"aGV=bG8=", false},
		{"aGVs bG8=", false},
		{"aGVs-G8=", false},
		{"====", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := validBase64(tt.in); got != tt.want {
				t.Errorf("validBase64(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestEqualAttr covers the comparison behind immutability, which must
// accept stored values that are decoded JSON rather than canonical.
func TestEqualAttr(t *testing.T) {
	w := widgetType()
	attr := func(name string) *Attribute { return w.Schema.Attr(name) }
	card := attr("card")
	tests := []struct {
		name string
		a    *Attribute
		x, y any
		want bool
	}{
		{"integer vs float64", attr("count"), int64(3), 3.0, true},
		{"integer vs json.Number", attr("count"), int64(3), json.Number("3"), true},
		{"integer differs", attr("count"), int64(3), 4.0, false},
		{"decimal vs int", attr("ratio"), 2.0, int64(2), true},
		{"decimal differs", attr("ratio"), 2.5, 2.0, false},
		{"boolean vs string", NewAttribute("b", Boolean), true, "True", true},
		{"boolean differs", NewAttribute("b", Boolean), true, false, false},
		{"dateTime same instant", attr("when"), "2024-01-01T10:00:00Z", "2024-01-01T11:00:00+01:00", true},
		{"dateTime differs", attr("when"), "2024-01-01T10:00:00Z", "2024-01-01T10:00:01Z", false},
		{"caseExact string", attr("serial"), "A", "a", false},
		{"caseless string", attr("badge"), "A", "a", true},
		{"string vs number", attr("badge"), "1", 1.0, false},
		{"complex equal ignoring case of keys", card, map[string]any{"number": "n", "label": "L"}, map[string]any{"Number": "n", "label": "l"}, true},
		{"complex sub missing", card, map[string]any{"number": "n"}, map[string]any{"number": "n", "label": "l"}, false},
		{"complex vs nil", card, map[string]any{"number": "n"}, nil, false},
		{"multi-valued as sets", attr("codes"), []any{"a", "b"}, []any{"B", "A"}, true},
		{"multi-valued single value", attr("codes"), []any{"a"}, "a", true},
		{"multi-valued differs", attr("codes"), []any{"a", "b"}, []any{"a", "c"}, false},
		{"multi-valued lengths", attr("codes"), []any{"a", "b"}, []any{"a"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := equalAttr(tt.a, tt.x, tt.y); got != tt.want {
				t.Errorf("equalAttr(%v, %v) = %v, want %v", tt.x, tt.y, got, tt.want)
			}
		})
	}
}

func TestToInt64(t *testing.T) {
	tests := []struct {
		in     any
		want   int64
		wantOK bool
	}{
		{3.0, 3, true},
		{-7.0, -7, true},
		{1.5, 0, false},
		{1e19, 0, false},
		{json.Number("9007199254740993"), 9007199254740993, true},
		{json.Number("2.0"), 2, true},
		{json.Number("2.5"), 0, false},
		{int64(5), 5, true},
		{5, 5, true},
		{int32(5), 5, true},
		{"5", 0, false},
		{true, 0, false},
	}
	for _, tt := range tests {
		t.Run(describe(tt.in), func(t *testing.T) {
			got, ok := toInt64(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("toInt64(%v) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
