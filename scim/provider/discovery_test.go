package provider_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/provider"
)

// TestServiceProviderConfig: the document advertises exactly the
// configured features and limits (RFC 7643 §5, RFC 9865 §3).
func TestServiceProviderConfig(t *testing.T) {
	scheme := provider.AuthScheme{Type: "httpbasic", Name: "Basic", Description: "HTTP Basic"}
	tests := []struct {
		name      string
		configure func(*provider.Config)
		want      string
	}{
		{
			name: "all features",
			configure: func(c *provider.Config) {
				c.MaxPageSize, c.DefaultPageSize = 250, 50
				c.BulkMaxOperations, c.BulkMaxPayload = 7, 12345
				c.CursorTTL = 90 * time.Second
				c.DocumentationURI = "https://docs.example.com"
			},
			want: `{
				"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
				"documentationUri": "https://docs.example.com",
				"patch": {"supported": true},
				"bulk": {"supported": true, "maxOperations": 7, "maxPayloadSize": 12345},
				"filter": {"supported": true, "maxResults": 250},
				"changePassword": {"supported": true},
				"sort": {"supported": true},
				"etag": {"supported": true},
				"pagination": {"cursor": true, "index": true, "defaultPaginationMethod": "index",
					"defaultPageSize": 50, "maxPageSize": 250, "cursorTimeout": 90},
				"authenticationSchemes": [{"type": "oauthbearertoken", "name": "OAuth Bearer Token",
					"description": "Authentication with a bearer token in the Authorization header.",
					"specUri": "https://www.rfc-editor.org/info/rfc6750", "primary": true}],
				"meta": {"resourceType": "ServiceProviderConfig", "location": "` + testBase + `/ServiceProviderConfig"}
			}`,
		},
		{
			name: "no features",
			configure: func(c *provider.Config) {
				c.Features = provider.Features{}
				c.AuthSchemes = []provider.AuthScheme{scheme}
			},
			want: `{
				"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
				"documentationUri": "https://github.com/scimconnect/scimconnect",
				"patch": {"supported": false},
				"bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
				"filter": {"supported": false, "maxResults": 1000},
				"changePassword": {"supported": false},
				"sort": {"supported": false},
				"etag": {"supported": false},
				"pagination": {"cursor": false, "index": true, "defaultPaginationMethod": "index",
					"defaultPageSize": 100, "maxPageSize": 1000},
				"authenticationSchemes": [{"type": "httpbasic", "name": "Basic", "description": "HTTP Basic"}],
				"meta": {"resourceType": "ServiceProviderConfig", "location": "` + testBase + `/ServiceProviderConfig"}
			}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.configure)
			var want any
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			for _, path := range []string{"/ServiceProviderConfig", "/serviceproviderconfig/"} {
				var got any
				res := f.do(t, "GET", path, "")
				wantStatus(t, res, http.StatusOK)
				res.decode(t, &got)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("GET %s (-want +got):\n%s", path, diff)
				}
			}
			obj := f.do(t, "GET", "/ServiceProviderConfig", "").object(t)
			pg := obj["pagination"].(map[string]any)
			jsonInt(t, "maxPageSize", pg["maxPageSize"])
			jsonInt(t, "maxOperations", obj["bulk"].(map[string]any)["maxOperations"])
		})
	}
}

func TestResourceTypesAndSchemas(t *testing.T) {
	f := newFixture(t)
	t.Run("ResourceTypes", func(t *testing.T) {
		p := listPage(t, f.do(t, "GET", "/ResourceTypes", ""))
		if p.total != 2 || p.start != 1 {
			t.Errorf("totalResults, startIndex = %d, %d", p.total, p.start)
		}
		var ids []any
		for _, r := range p.raw["Resources"].([]any) {
			ids = append(ids, r.(map[string]any)["id"])
		}
		if !cmp.Equal(ids, []any{"User", "Group"}) {
			t.Errorf("ids = %v", ids)
		}
	})
	t.Run("ResourceTypes/User", func(t *testing.T) {
		var got any
		f.do(t, "GET", "/ResourceTypes/User", "").decode(t, &got)
		var want any
		if err := json.Unmarshal([]byte(`{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
			"id": "User", "name": "User", "endpoint": "/Users", "description": "User Account",
			"schema": "urn:ietf:params:scim:schemas:core:2.0:User",
			"schemaExtensions": [{"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": false}],
			"meta": {"resourceType": "ResourceType", "location": "`+testBase+`/ResourceTypes/User"}
		}`), &want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("Schemas", func(t *testing.T) {
		p := listPage(t, f.do(t, "GET", "/Schemas", ""))
		var ids []string
		for _, r := range p.raw["Resources"].([]any) {
			ids = append(ids, r.(map[string]any)["id"].(string))
		}
		slices.Sort(ids)
		want := []string{scim.GroupSchema, scim.UserSchema, scim.EnterpriseUserSchema}
		slices.Sort(want)
		if !cmp.Equal(ids, want) || p.total != 3 {
			t.Errorf("ids = %v (total %d), want %v", ids, p.total, want)
		}
	})
	for _, urn := range []string{scim.UserSchema, scim.EnterpriseUserSchema, scim.GroupSchema} {
		t.Run("Schemas/"+urn, func(t *testing.T) {
			obj := f.do(t, "GET", "/Schemas/"+urn, "").object(t)
			if obj["id"] != urn {
				t.Errorf("id = %v", obj["id"])
			}
			meta := obj["meta"].(map[string]any)
			if meta["resourceType"] != "Schema" || meta["location"] != testBase+"/Schemas/"+urn {
				t.Errorf("meta = %v", meta)
			}
			if attrs, _ := obj["attributes"].([]any); len(attrs) == 0 {
				t.Errorf("no attributes")
			}
		})
	}
	for _, path := range []string{"/ResourceTypes/Nope", "/Schemas/urn:nope", "/ServiceProviderConfig/x", "/ResourceTypes/User/x"} {
		t.Run(path, func(t *testing.T) {
			wantError(t, f.do(t, "GET", path, ""), http.StatusNotFound, "")
		})
	}
	// RFC 7644 §4: a filter on a discovery endpoint is refused with 403.
	for _, path := range []string{"/ServiceProviderConfig", "/ResourceTypes", "/Schemas", "/ResourceTypes/User"} {
		t.Run("filter on "+path, func(t *testing.T) {
			wantError(t, f.do(t, "GET", path+"?filter=id+eq+%22User%22", ""), http.StatusForbidden, "")
		})
	}
}

// TestFeaturesAreEnforced: what /ServiceProviderConfig says is unsupported
// is refused, not silently performed.
func TestFeaturesAreEnforced(t *testing.T) {
	f := newFixture(t, func(c *provider.Config) { c.Features = provider.Features{} })
	u := f.createUser(t, "bjensen")
	id := u["id"].(string)
	patchBody := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"x"}]}`
	wantError(t, f.do(t, "PATCH", "/Users/"+id, patchBody), http.StatusNotImplemented, "")
	wantError(t, f.do(t, "GET", `/Users?filter=userName%20eq%20%22bjensen%22`, ""), http.StatusNotImplemented, "")
	wantError(t, f.do(t, "GET", "/Users?sortBy=userName", ""), http.StatusNotImplemented, "")
	wantError(t, f.do(t, "GET", "/Users?cursor=", ""), http.StatusBadRequest, "invalidValue")
	wantError(t, f.do(t, "POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[]}`), http.StatusNotImplemented, "")
	// Index paging still works.
	wantStatus(t, f.do(t, "GET", "/Users?startIndex=1&count=1", ""), http.StatusOK)
	got := f.do(t, "GET", "/Users/"+id, "").object(t)
	if got["displayName"] != nil {
		t.Errorf("the refused PATCH changed the user: %v", got["displayName"])
	}
}
