package schema

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// roundTrip encodes v and decodes it back, as a client would see it.
func roundTrip(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return decodeJSON(t, string(b))
}

func TestSchemaResource(t *testing.T) {
	const loc = "https://example.com/v2/Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	strAttr := func(name, desc string) string {
		return `{"name": "` + name + `", "type": "string", "multiValued": false, "required": false, "caseExact": false,
		         "description": "` + desc + `", "mutability": "readWrite", "returned": "default", "uniqueness": "none"}`
	}
	tests := []struct {
		name     string
		schema   *Schema
		location string
		want     string
	}{
		{
			name:     "enterprise user",
			schema:   EnterpriseUserSchemaDef(),
			location: loc,
			want: `{
			  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
			  "id": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
			  "name": "EnterpriseUser",
			  "description": "Enterprise User",
			  "attributes": [` + strAttr("employeeNumber", "Numeric or alphanumeric identifier assigned to a person by the organization.") + `,
			    ` + strAttr("costCenter", "Identifies the name of a cost center.") + `,
			    ` + strAttr("organization", "Identifies the name of an organization.") + `,
			    ` + strAttr("division", "Identifies the name of a division.") + `,
			    ` + strAttr("department", "Identifies the name of a department.") + `,
			    {"name": "manager", "type": "complex", "multiValued": false, "required": false,
			     "description": "The User's manager.",
			     "mutability": "readWrite", "returned": "default", "uniqueness": "none",
			     "subAttributes": [` + strAttr("value", "The id of the SCIM resource representing the User's manager.") + `,
			       {"name": "$ref", "type": "reference", "multiValued": false, "required": false, "caseExact": false,
			        "description": "The URI of the SCIM resource representing the User's manager.",
			        "mutability": "readWrite", "returned": "default", "uniqueness": "none", "referenceTypes": ["User"]},
			       {"name": "displayName", "type": "string", "multiValued": false, "required": false, "caseExact": false,
			        "description": "The displayName of the User's manager.",
			        "mutability": "readOnly", "returned": "default", "uniqueness": "none"}]}
			  ],
			  "meta": {"resourceType": "Schema", "location": "` + loc + `"}
			}`,
		},
		{
			name: "defaults filled and empty fields omitted",
			schema: &Schema{ID: "urn:example:x", Attributes: []*Attribute{
				{Name: "code", Type: String, Required: true, CaseExact: true, CanonicalValues: []string{"a", "b"}, Description: "A code."},
			}},
			want: `{
			  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
			  "id": "urn:example:x",
			  "attributes": [{"name": "code", "type": "string", "multiValued": false, "required": true, "caseExact": true,
			    "description": "A code.", "canonicalValues": ["a", "b"],
			    "mutability": "readWrite", "returned": "default", "uniqueness": "none"}],
			  "meta": {"resourceType": "Schema"}
			}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := roundTrip(t, tt.schema.Resource(tt.location))
			if diff := cmp.Diff(decodeJSON(t, tt.want), got); diff != "" {
				t.Errorf("Resource mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSchemaResourceShape checks every attribute of the core schemas for
// the field layout of RFC 7643 §8.7.1, a description included (§7: "When
// applicable, service providers MUST specify the description").
func TestSchemaResourceShape(t *testing.T) {
	common := []string{"name", "type", "multiValued", "description", "required", "mutability", "returned", "uniqueness"}
	for _, s := range []*Schema{UserSchemaDef(), GroupSchemaDef(), EnterpriseUserSchemaDef()} {
		t.Run(s.Name, func(t *testing.T) {
			res := roundTrip(t, s.Resource(""))
			var check func(path string, attrs []any)
			check = func(path string, attrs []any) {
				for _, x := range attrs {
					a := x.(map[string]any)
					name := path + a["name"].(string)
					for _, k := range common {
						if _, ok := a[k]; !ok {
							t.Errorf("%s: missing %q", name, k)
						}
					}
					subs, hasSubs := a["subAttributes"]
					_, hasCaseExact := a["caseExact"]
					if isComplex := a["type"] == "complex"; isComplex != hasSubs || isComplex == hasCaseExact {
						t.Errorf("%s: type %v with subAttributes %v and caseExact %v", name, a["type"], hasSubs, hasCaseExact)
					}
					if hasSubs {
						check(name+".", subs.([]any))
					}
				}
			}
			check("", res["attributes"].([]any))
		})
	}
}

func TestResourceTypeResource(t *testing.T) {
	tests := []struct {
		name     string
		rt       *ResourceType
		location string
		want     string
	}{
		{
			name:     "user with extension",
			rt:       UserResourceType(),
			location: "https://example.com/v2/ResourceTypes/User",
			want: `{
			  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
			  "id": "User", "name": "User", "endpoint": "/Users", "description": "User Account",
			  "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
			  "schemaExtensions": [{"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": false}],
			  "meta": {"resourceType": "ResourceType", "location": "https://example.com/v2/ResourceTypes/User"}
			}`,
		},
		{
			name:     "required extension",
			rt:       func() *ResourceType { rt := UserResourceType(); rt.Extensions[0].Required = true; return rt }(),
			location: "/ResourceTypes/User",
			want: `{
			  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
			  "id": "User", "name": "User", "endpoint": "/Users", "description": "User Account",
			  "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
			  "schemaExtensions": [{"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": true}],
			  "meta": {"resourceType": "ResourceType", "location": "/ResourceTypes/User"}
			}`,
		},
		{
			name: "group without extensions nor location",
			rt:   GroupResourceType(),
			want: `{
			  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
			  "id": "Group", "name": "Group", "endpoint": "/Groups", "description": "Group",
			  "schema": "urn:ietf:params:scim:schemas:core:2.0:Group",
			  "meta": {"resourceType": "ResourceType"}
			}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := roundTrip(t, tt.rt.Resource(tt.location))
			if diff := cmp.Diff(decodeJSON(t, tt.want), got); diff != "" {
				t.Errorf("Resource mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
