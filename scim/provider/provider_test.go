package provider_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/scim/schema"
)

func TestRouting(t *testing.T) {
	f := newFixture(t)
	id := f.createUser(t, "bjensen")["id"].(string)
	tests := []struct {
		method, path string
		status       int
		allow        string // the Allow header of a 405 (RFC 9110 §15.5.6)
	}{
		{"GET", "/Users", 200, ""},
		{"GET", "/users", 200, ""},
		{"GET", "/USERS/", 200, ""},
		{"GET", "/Groups", 200, ""},
		{"HEAD", "/Users", 200, ""},
		{"GET", "/Users/" + id, 200, ""},
		{"GET", "/uSeRs/" + id + "/", 200, ""},
		{"GET", "/Users/missing", 404, ""},
		{"GET", "/Users/" + id + "/extra", 404, ""},
		{"POST", "/", 405, "GET, HEAD"},
		{"GET", "/Nope", 404, ""},
		{"GET", "/Nope/1", 404, ""},
		{"GET", "/Bulk/x", 404, ""},
		{"POST", "/.search/x", 404, ""},
		{"GET", "/Me", 501, ""},
		{"PATCH", "/Me", 501, ""},
		{"GET", "/me/", 501, ""},
		{"DELETE", "/Users", 405, "GET, POST"},
		{"PUT", "/Groups", 405, "GET, POST"},
		{"POST", "/Users/" + id, 405, "GET, PUT, PATCH, DELETE"},
		{"GET", "/Bulk", 405, "POST"},
		{"GET", "/.search", 405, "POST"},
		{"GET", "/Users/.search", 405, "POST"},
		{"DELETE", "/Users/.SEARCH", 405, "POST"},
		{"POST", "/ServiceProviderConfig", 405, "GET"},
		{"DELETE", "/Schemas", 405, "GET"},
		{"PUT", "/ResourceTypes/User", 405, "GET"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			res := f.do(t, tt.method, tt.path, "")
			wantStatus(t, res, tt.status)
			if got := res.Header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
		})
	}
}

func TestLifecycle(t *testing.T) {
	f := newFixture(t)
	created := f.do(t, "POST", "/Users", `{"schemas":["`+scim.UserSchema+`"],"userName":"bjensen","id":"client-chosen","meta":{"version":"W/\"x\""},"name":{"givenName":"Barbara"}}`)
	wantStatus(t, created, http.StatusCreated)
	c := created.object(t)
	id, _ := c["id"].(string)
	if id == "" || id == "client-chosen" {
		t.Fatalf("id = %q: the service provider assigns ids and ignores the client's (RFC 7643 §3.1)", id)
	}
	meta, _ := c["meta"].(map[string]any)
	wantLoc := testBase + "/Users/" + id
	wantMeta := map[string]any{
		"resourceType": "User",
		"location":     wantLoc,
		"created":      "2025-01-02T03:04:06Z",
		"lastModified": "2025-01-02T03:04:06Z",
		"version":      `W/"1"`,
	}
	if diff := cmp.Diff(wantMeta, meta); diff != "" {
		t.Errorf("meta of POST (-want +got):\n%s", diff)
	}
	// RFC 7644 §3.3: Location is meta.location; §3.14: ETag is meta.version.
	if got := created.Header.Get("Location"); got != wantLoc {
		t.Errorf("Location = %q, want %q", got, wantLoc)
	}
	if got := created.Header.Get("ETag"); got != `W/"1"` {
		t.Errorf("ETag = %q, want W/\"1\"", got)
	}
	if got := c["schemas"]; !cmp.Equal(got, []any{scim.UserSchema}) {
		t.Errorf("schemas = %v", got)
	}

	got := f.do(t, "GET", pathOf(t, wantLoc), "")
	wantStatus(t, got, http.StatusOK)
	if diff := cmp.Diff(c, got.object(t)); diff != "" {
		t.Errorf("GET differs from the POST response (-post +get):\n%s", diff)
	}
	if got.Header.Get("Location") != "" {
		t.Errorf("GET sent Location %q", got.Header.Get("Location"))
	}

	put := f.do(t, "PUT", "/Users/"+id, `{"schemas":["`+scim.UserSchema+`"],"userName":"bjensen","displayName":"Babs"}`)
	wantStatus(t, put, http.StatusOK)
	p := put.object(t)
	if p["displayName"] != "Babs" || p["name"] != nil {
		t.Errorf("PUT did not replace every attribute: %v", p)
	}
	pm := p["meta"].(map[string]any)
	if pm["created"] != meta["created"] || pm["lastModified"] == meta["lastModified"] || pm["version"] != `W/"2"` {
		t.Errorf("meta after PUT = %v", pm)
	}
	if put.Header.Get("ETag") != `W/"2"` {
		t.Errorf("ETag after PUT = %q", put.Header.Get("ETag"))
	}

	patched := f.do(t, "PATCH", "/Users/"+id, `{"schemas":["`+scim.PatchOpSchema+`"],"Operations":[{"op":"Replace","path":"displayName","value":"B."},{"op":"add","path":"emails","value":[{"value":"b@example.com","type":"work"}]}]}`)
	wantStatus(t, patched, http.StatusOK)
	pa := patched.object(t)
	if pa["displayName"] != "B." || pa["emails"] == nil || patched.Header.Get("ETag") != `W/"3"` {
		t.Errorf("PATCH response = %s, ETag %q", patched.Body, patched.Header.Get("ETag"))
	}
	if diff := cmp.Diff(pa, f.do(t, "GET", "/Users/"+id, "").object(t)); diff != "" {
		t.Errorf("GET after PATCH differs from the PATCH response (-patch +get):\n%s", diff)
	}

	del := f.do(t, "DELETE", "/Users/"+id, "")
	wantStatus(t, del, http.StatusNoContent)
	wantError(t, f.do(t, "GET", "/Users/"+id, ""), http.StatusNotFound, "")
	wantError(t, f.do(t, "DELETE", "/Users/"+id, ""), http.StatusNotFound, "")
	wantError(t, f.do(t, "PUT", "/Users/"+id, `{"schemas":["`+scim.UserSchema+`"],"userName":"x"}`), http.StatusNotFound, "")
	wantError(t, f.do(t, "PATCH", "/Users/"+id, `{"schemas":["`+scim.PatchOpSchema+`"],"Operations":[{"op":"remove","path":"title"}]}`), http.StatusNotFound, "")
}

func TestCreateErrors(t *testing.T) {
	f := newFixture(t)
	f.createUser(t, "bjensen")
	other := f.createUser(t, "other")["id"].(string)
	tests := []struct {
		name, method, path, body string
		status                   int
		scimType                 string
	}{
		{"duplicate userName in another case", "POST", "/Users", `{"schemas":["` + scim.UserSchema + `"],"userName":"BJensen"}`, 409, scim.Uniqueness},
		{"PUT taking another userName", "PUT", "/Users/" + other, `{"schemas":["` + scim.UserSchema + `"],"userName":"bjensen"}`, 409, scim.Uniqueness},
		{"PATCH taking another userName", "PATCH", "/Users/" + other, `{"schemas":["` + scim.PatchOpSchema + `"],"Operations":[{"op":"replace","path":"userName","value":"BJENSEN"}]}`, 409, scim.Uniqueness},
		{"missing userName", "POST", "/Users", `{"schemas":["` + scim.UserSchema + `"]}`, 400, scim.InvalidValue},
		{"unknown attribute", "POST", "/Users", `{"schemas":["` + scim.UserSchema + `"],"userName":"x","shoeSize":1}`, 400, scim.InvalidSyntax},
		{"PATCH bad path", "PATCH", "/Users/" + other, `{"schemas":["` + scim.PatchOpSchema + `"],"Operations":[{"op":"replace","path":"emails[","value":"x"}]}`, 400, scim.InvalidPath},
		{"PATCH remove without path", "PATCH", "/Users/" + other, `{"schemas":["` + scim.PatchOpSchema + `"],"Operations":[{"op":"remove"}]}`, 400, scim.NoTarget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.do(t, "GET", "/Users?sortBy=userName", "")
			res := f.do(t, tt.method, tt.path, tt.body)
			if res.Status != tt.status {
				t.Fatalf("status = %d, want %d: %s", res.Status, tt.status, res.Body)
			}
			wantError(t, res, tt.status, tt.scimType)
			after := f.do(t, "GET", "/Users?sortBy=userName", "")
			if diff := cmp.Diff(before.object(t), after.object(t)); diff != "" {
				t.Errorf("a failed request changed the users (-before +after):\n%s", diff)
			}
		})
	}
}

// TestRequestBodies covers RFC 7644 §3.12 invalidSyntax, the body limit
// (413, RFC 9110 §15.5.14) and the media type (415, RFC 9110 §15.5.16) on
// every endpoint that reads a body.
func TestRequestBodies(t *testing.T) {
	const limit = 512
	setup := func(t *testing.T) (*fixture, string) {
		f := newFixture(t, func(c *provider.Config) { c.MaxBodyBytes = limit; c.BulkMaxPayload = 2 * limit })
		return f, f.createUser(t, "bjensen")["id"].(string)
	}
	const id = "1" // the memory backend's first id
	endpoints := []struct{ method, path, valid string }{
		{"POST", "/Users", `{"schemas":["` + scim.UserSchema + `"],"userName":"new"}`},
		{"PUT", "/Users/" + id, `{"schemas":["` + scim.UserSchema + `"],"userName":"bjensen"}`},
		{"PATCH", "/Users/" + id, `{"schemas":["` + scim.PatchOpSchema + `"],"Operations":[{"op":"replace","path":"title","value":"t"}]}`},
		{"POST", "/Users/.search", `{"schemas":["` + scim.SearchRequestSchema + `"]}`},
		{"POST", "/.search", `{"schemas":["` + scim.SearchRequestSchema + `"]}`},
		{"POST", "/Bulk", `{"schemas":["` + scim.BulkRequestSchema + `"],"Operations":[{"method":"DELETE","path":"/Users/nope"}]}`},
	}
	bodies := []struct {
		name        string
		body        func(valid string) string
		contentType string
		status      int
		scimType    string
	}{
		{"empty", func(string) string { return "" }, scim.MediaType, 400, scim.InvalidSyntax},
		{"invalid JSON", func(string) string { return `{"userName":` }, scim.MediaType, 400, scim.InvalidSyntax},
		{"array", func(string) string { return `[{"userName":"x"}]` }, scim.MediaType, 400, scim.InvalidSyntax},
		{"string", func(string) string { return `"x"` }, scim.MediaType, 400, scim.InvalidSyntax},
		{"null", func(string) string { return `null` }, scim.MediaType, 400, scim.InvalidSyntax},
		{"trailing object", func(v string) string { return v + ` {}` }, scim.MediaType, 400, scim.InvalidSyntax},
		{"trailing word", func(v string) string { return v + ` x` }, scim.MediaType, 400, scim.InvalidSyntax},
		{"trailing brace", func(v string) string { return v + `}` }, scim.MediaType, 400, scim.InvalidSyntax},
		{"trailing bracket", func(v string) string { return v + `]` }, scim.MediaType, 400, scim.InvalidSyntax},
		{"a key twice", func(v string) string { return v[:len(v)-1] + `,"schemas":[]}` }, scim.MediaType, 400, scim.InvalidSyntax},
		{"text/xml", func(v string) string { return v }, "text/xml", 415, ""},
		{"form", func(v string) string { return v }, "application/x-www-form-urlencoded", 415, ""},
		{"too large", func(v string) string {
			return v[:len(v)-1] + `,"padding":"` + strings.Repeat("x", 4*limit) + `"}`
		}, scim.MediaType, 413, ""},
	}
	for _, e := range endpoints {
		for _, b := range bodies {
			t.Run(e.method+" "+e.path+"/"+b.name, func(t *testing.T) {
				f, id := setup(t)
				before := f.do(t, "GET", "/Users/"+id, "")
				res := f.do(t, e.method, e.path, b.body(e.valid), header{"Content-Type", b.contentType})
				wantError(t, res, b.status, b.scimType)
				after := f.do(t, "GET", "/Users/"+id, "")
				if diff := cmp.Diff(before.object(t), after.object(t)); diff != "" {
					t.Errorf("a rejected request changed the user:\n%s", diff)
				}
			})
		}
	}
	// The JSON media types are accepted, with parameters, and so is a body without type.
	for _, ct := range []string{"application/scim+json", "application/json", "application/scim+json; charset=utf-8", ""} {
		t.Run("accepts "+ct, func(t *testing.T) {
			f, id := setup(t)
			res := f.do(t, "PATCH", "/Users/"+id, endpoints[2].valid, header{"Content-Type", ct})
			wantStatus(t, res, http.StatusOK)
		})
	}
}

// TestDuplicateKeys: a body that gives a key twice says two things at
// once; encoding/json would keep the last silently. It is refused like a
// key given twice in different case, naming the key.
func TestDuplicateKeys(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ method, path, body, key string }{
		{"POST", "/Users", `{"schemas":["` + scim.UserSchema + `"],"userName":"a","userName":"b"}`, `"userName"`},
		{"POST", "/Users", `{"schemas":["` + scim.UserSchema + `"],"userName":"a","name":{"givenName":"A","givenName":"B"}}`, `"name.givenName"`},
		{"POST", "/Users", `{"schemas":["` + scim.UserSchema + `"],"userName":"a","emails":[{"value":"a@x","value":"b@x"}]}`, `"emails.value"`},
		{"POST", "/Bulk", `{"schemas":["` + scim.BulkRequestSchema + `"],"Operations":[{"method":"POST","path":"/Users","bulkId":"1","data":{"schemas":["` + scim.UserSchema + `"],"userName":"a","userName":"b"}}]}`, `"Operations.data.userName"`},
	} {
		res := f.do(t, tc.method, tc.path, tc.body)
		wantError(t, res, 400, scim.InvalidSyntax)
		if detail, _ := res.object(t)["detail"].(string); !strings.Contains(detail, tc.key) || !strings.Contains(detail, "more than once") {
			t.Errorf("%s %s: detail %q, want it to name %s given more than once", tc.method, tc.path, detail, tc.key)
		}
	}
	if n := f.do(t, "GET", "/Users?count=0", "").object(t)["totalResults"]; fmt.Sprint(n) != "0" {
		t.Errorf("totalResults = %v after refused creates, want 0", n)
	}
}

// TestNumberOutOfRange: a number no float64 holds is a 400 whose detail
// names the number, not encoding/json's Go types.
func TestNumberOutOfRange(t *testing.T) {
	f := newFixture(t)
	body := `{"schemas":["` + scim.UserSchema + `"],"userName":"x","title":1e400}`
	res := f.do(t, "POST", "/Users", body)
	wantError(t, res, 400, scim.InvalidSyntax)
	detail, _ := res.object(t)["detail"].(string)
	if want := "the number 1e400 is out of range"; !strings.Contains(detail, want) || strings.Contains(detail, "float64") {
		t.Errorf("detail %q, want it to contain %q and no Go type", detail, want)
	}
}

// TestNeverReturned checks that the writeOnly password (returned "never",
// RFC 7643 §4.1.1 and §7) never appears in a response, whatever the
// backend hands back.
func TestNeverReturned(t *testing.T) {
	f := newFixture(t)
	c := f.createUser(t, "bjensen", `"password":"s3cret!"`)
	id := c["id"].(string)
	tests := []struct{ name, method, path, body string }{
		{"POST", "POST", "/Users", `{"schemas":["` + scim.UserSchema + `"],"userName":"other","password":"s3cret!"}`},
		{"GET", "GET", "/Users/" + id, ""},
		{"GET with attributes", "GET", "/Users/" + id + "?attributes=password,userName", ""},
		{"GET with excludedAttributes", "GET", "/Users/" + id + "?excludedAttributes=emails", ""},
		{"list", "GET", "/Users", ""},
		{"search", "POST", "/Users/.search", `{"schemas":["` + scim.SearchRequestSchema + `"]}`},
		{"root search", "POST", "/.search", `{"schemas":["` + scim.SearchRequestSchema + `"]}`},
		{"PUT", "PUT", "/Users/" + id, `{"schemas":["` + scim.UserSchema + `"],"userName":"bjensen","password":"n3w"}`},
		{"PATCH", "PATCH", "/Users/" + id, `{"schemas":["` + scim.PatchOpSchema + `"],"Operations":[{"op":"replace","path":"password","value":"n3w2"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.do(t, tt.method, tt.path, tt.body)
			if res.Status >= 300 {
				t.Fatalf("status %d: %s", res.Status, res.Body)
			}
			if strings.Contains(string(res.Body), "password") || strings.Contains(string(res.Body), "s3cret") || strings.Contains(string(res.Body), "n3w") {
				t.Errorf("response reveals the password: %s", res.Body)
			}
		})
	}
	if _, ok := c["password"]; ok {
		t.Errorf("POST response has password %v", c["password"])
	}
}

// TestEscapedIDs: ids are opaque strings (RFC 7643 §3.1), so the provider
// must percent-encode them in meta.location and Location and decode them
// when routing (RFC 3986 §2.1).
func TestEscapedIDs(t *testing.T) {
	ids := []string{
		"a/b#c%d?e f-é",
		"with/slash",
		"hash#tag",
		"50%off",
		"%41",
		"a%2Fb",
		"why?",
		"a b",
		"José",
		"日本",
		"plus+sign;semi,comma=eq@at",
	}
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			f := newFixture(t)
			f.users.newID = func() string { return id }
			c := f.createUser(t, "u")
			wantLoc := testBase + "/Users/" + url.PathEscape(id)
			if c["id"] != id {
				t.Errorf("id = %q, want %q", c["id"], id)
			}
			if loc := c["meta"].(map[string]any)["location"]; loc != wantLoc {
				t.Errorf("meta.location = %q, want %q", loc, wantLoc)
			}
			path := pathOf(t, wantLoc)
			got := f.do(t, "GET", path, "")
			if got.Status != http.StatusOK {
				t.Fatalf("GET %s = %d, want 200: %s", path, got.Status, got.Body)
			}
			if gid := got.object(t)["id"]; gid != id {
				t.Errorf("GET %s returned id %q", path, gid)
			}
			res := f.do(t, "PATCH", path, `{"schemas":["`+scim.PatchOpSchema+`"],"Operations":[{"op":"replace","path":"title","value":"t"}]}`)
			wantStatus(t, res, http.StatusOK)
			wantStatus(t, f.do(t, "DELETE", path, ""), http.StatusNoContent)
			wantStatus(t, f.do(t, "GET", path, ""), http.StatusNotFound)
		})
	}
	t.Run("bulk path reference", func(t *testing.T) {
		f := newFixture(t)
		f.users.newID = func() string { return "50%off" }
		res := f.do(t, "POST", "/Bulk", `{"schemas":["`+scim.BulkRequestSchema+`"],"Operations":[
			{"method":"POST","bulkId":"u","path":"/Users","data":{"schemas":["`+scim.UserSchema+`"],"userName":"u"}},
			{"method":"PATCH","path":"/Users/bulkId:u","data":{"schemas":["`+scim.PatchOpSchema+`"],"Operations":[{"op":"replace","path":"title","value":"t"}]}}]}`)
		wantStatus(t, res, http.StatusOK)
		if got := bulkStatuses(t, res); !cmp.Equal(got, []string{"201", "200"}) {
			t.Errorf("statuses = %v, want [201 200]: %s", got, res.Body)
		}
	})
}

// TestRefs: "$ref" is the URI of the referenced resource (RFC 7643 §4.1.2,
// §4.2, §4.3), filled in from value and type.
func TestRefs(t *testing.T) {
	f := newFixture(t)
	boss := f.createUser(t, "boss")["id"].(string)
	created := f.do(t, "POST", "/Users", `{"schemas":["`+scim.UserSchema+`","`+scim.EnterpriseUserSchema+`"],"userName":"bjensen",
		"`+scim.EnterpriseUserSchema+`":{"manager":{"value":"`+boss+`"}}}`)
	wantStatus(t, created, http.StatusCreated)
	uid := created.object(t)["id"].(string)
	g := f.createGroup(t, "Admins", uid)
	gid := g["id"].(string)
	t.Run("Group members", func(t *testing.T) {
		members, _ := g["members"].([]any)
		want := []any{map[string]any{"value": uid, "type": "User", "$ref": testBase + "/Users/" + uid}}
		if diff := cmp.Diff(want, members); diff != "" {
			t.Errorf("members (-want +got):\n%s", diff)
		}
	})
	t.Run("User groups", func(t *testing.T) {
		u := f.do(t, "GET", "/Users/"+uid, "").object(t)
		want := []any{map[string]any{"value": gid, "display": "Admins", "type": "direct", "$ref": testBase + "/Groups/" + gid}}
		if diff := cmp.Diff(want, u["groups"]); diff != "" {
			t.Errorf("groups (-want +got):\n%s", diff)
		}
	})
	t.Run("enterprise manager", func(t *testing.T) {
		u := f.do(t, "GET", "/Users/"+uid, "").object(t)
		ext, _ := u[scim.EnterpriseUserSchema].(map[string]any)
		want := map[string]any{"value": boss, "$ref": testBase + "/Users/" + boss}
		if diff := cmp.Diff(want, ext["manager"]); diff != "" {
			t.Errorf("manager (-want +got):\n%s", diff)
		}
	})
	t.Run("client $ref kept", func(t *testing.T) {
		res := f.do(t, "POST", "/Groups", `{"schemas":["`+scim.GroupSchema+`"],"displayName":"x","members":[{"value":"`+uid+`","type":"User","$ref":"https://elsewhere/u"}]}`)
		wantStatus(t, res, http.StatusCreated)
		m := res.object(t)["members"].([]any)[0].(map[string]any)
		if m["$ref"] != "https://elsewhere/u" {
			t.Errorf("$ref = %v", m["$ref"])
		}
	})
}

// TestRefsOfOneResourceType: a member stored as an id alone (how target
// connectors keep group members) gets the $ref and the type of the one
// resource type its $ref may reference; with two possible types it gets
// neither, since the provider cannot tell which.
func TestRefsOfOneResourceType(t *testing.T) {
	usersOnly := schema.GroupResourceType().Clone()
	members := usersOnly.Schema.Attr("members")
	members.Sub("$ref").ReferenceTypes = []string{"User"}
	members.Sub("type").CanonicalValues = []string{"User"}
	groups := newMemBackend(usersOnly, "")
	users := newMemBackend(schema.UserResourceType(), "userName")
	p, err := provider.New(testConfig(), provider.ResourceType{Type: users.rt, Backend: users}, provider.ResourceType{Type: groups.rt, Backend: groups})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{h: p, users: users, groups: groups}
	uid := f.createUser(t, "u")["id"].(string)
	body := `{"schemas":["` + scim.GroupSchema + `"],"displayName":"g","members":[{"value":"` + uid + `"}]}`
	res := f.do(t, "POST", "/Groups", body)
	wantStatus(t, res, http.StatusCreated)
	want := []any{map[string]any{"value": uid, "type": "User", "$ref": testBase + "/Users/" + uid}}
	if diff := cmp.Diff(want, res.object(t)["members"]); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}

	f = newFixture(t) // members may be Users or Groups
	uid = f.createUser(t, "u")["id"].(string)
	res = f.do(t, "POST", "/Groups", `{"schemas":["`+scim.GroupSchema+`"],"displayName":"g","members":[{"value":"`+uid+`"}]}`)
	wantStatus(t, res, http.StatusCreated)
	want = []any{map[string]any{"value": uid}}
	if diff := cmp.Diff(want, res.object(t)["members"]); diff != "" {
		t.Errorf("members of two possible types (-want +got):\n%s", diff)
	}
}

// TestProjection: attributes and excludedAttributes apply to every
// response that returns resources (RFC 7644 §3.4.2.5, §3.9).
func TestProjection(t *testing.T) {
	f := newFixture(t)
	c := f.createUser(t, "bjensen", `"displayName":"Babs","name":{"givenName":"Barbara","familyName":"Jensen"},"emails":[{"value":"b@example.com","type":"work"}]`)
	id := c["id"].(string)
	patchBody := `{"schemas":["` + scim.PatchOpSchema + `"],"Operations":[{"op":"replace","path":"title","value":"Boss"}]}`
	putBody := `{"schemas":["` + scim.UserSchema + `"],"userName":"bjensen","displayName":"Babs","name":{"givenName":"Barbara","familyName":"Jensen"},"emails":[{"value":"b@example.com","type":"work"}]}`
	tests := []struct {
		name, method, path, body string
		wantKeys                 []string
		list                     bool
	}{
		{"GET attributes", "GET", "/Users/" + id + "?attributes=userName", "", []string{"id", "schemas", "userName"}, false},
		{"GET attributes sub", "GET", "/Users/" + id + "?attributes=name.givenName,emails.value", "", []string{"emails", "id", "name", "schemas"}, false},
		{"GET excludedAttributes", "GET", "/Users/" + id + "?excludedAttributes=emails,name,meta", "", []string{"displayName", "id", "schemas", "userName"}, false},
		{"GET excluding always", "GET", "/Users/" + id + "?excludedAttributes=id,emails,name,displayName,meta", "", []string{"id", "schemas", "userName"}, false},
		{"list attributes", "GET", "/Users?attributes=displayName", "", []string{"displayName", "id", "schemas"}, true},
		{"search attributes", "POST", "/Users/.search", `{"schemas":["` + scim.SearchRequestSchema + `"],"attributes":["displayName"]}`, []string{"displayName", "id", "schemas"}, true},
		{"search excludedAttributes", "POST", "/Users/.search", `{"schemas":["` + scim.SearchRequestSchema + `"],"excludedAttributes":["name","emails","meta","displayName","title"]}`, []string{"id", "schemas", "userName"}, true},
		{"POST attributes", "POST", "/Users?attributes=userName", `{"schemas":["` + scim.UserSchema + `"],"userName":"new","title":"x"}`, []string{"id", "schemas", "userName"}, false},
		{"PUT attributes", "PUT", "/Users/" + id + "?attributes=displayName", putBody, []string{"displayName", "id", "schemas"}, false},
		{"PATCH attributes", "PATCH", "/Users/" + id + "?attributes=title", patchBody, []string{"id", "schemas", "title"}, false},
		{"PATCH excludedAttributes", "PATCH", "/Users/" + id + "?excludedAttributes=meta,name,emails,title", patchBody, []string{"displayName", "id", "schemas", "userName"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.do(t, tt.method, tt.path, tt.body)
			if res.Status >= 300 {
				t.Fatalf("status %d: %s", res.Status, res.Body)
			}
			obj := res.object(t)
			if tt.list {
				rs, _ := obj["Resources"].([]any)
				if len(rs) == 0 {
					t.Fatalf("no resources: %s", res.Body)
				}
				obj = rs[0].(map[string]any)
			}
			var keys []string
			for k := range obj {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if diff := cmp.Diff(tt.wantKeys, keys); diff != "" {
				t.Errorf("attributes (-want +got):\n%s\nbody %s", diff, res.Body)
			}
		})
	}
	t.Run("sub-attribute only", func(t *testing.T) {
		obj := f.do(t, "GET", "/Users/"+id+"?attributes=name.givenName", "").object(t)
		if diff := cmp.Diff(map[string]any{"givenName": "Barbara"}, obj["name"]); diff != "" {
			t.Errorf("name (-want +got):\n%s", diff)
		}
	})
	for _, q := range []string{"attributes=a..b", "excludedAttributes=name.givenName.x", "attributes=1abc"} {
		t.Run("invalid "+q, func(t *testing.T) {
			wantError(t, f.do(t, "GET", "/Users/"+id+"?"+q, ""), 400, scim.InvalidValue)
			wantError(t, f.do(t, "GET", "/Users?"+q, ""), 400, scim.InvalidValue)
		})
	}
}

// TestETags covers RFC 7644 §3.14: If-Match on writes, If-None-Match on
// reads, and If-None-Match on writes (RFC 9110 §13.1.2).
func TestETags(t *testing.T) {
	stale := header{"If-Match", `W/"999"`}
	patchBody := `{"schemas":["` + scim.PatchOpSchema + `"],"Operations":[{"op":"replace","path":"title","value":"changed"}]}`
	putBody := `{"schemas":["` + scim.UserSchema + `"],"userName":"changed"}`
	tests := []struct {
		name, method, body string
		h                  header
		status             int
	}{
		{"PUT stale", "PUT", putBody, stale, 412},
		{"PATCH stale", "PATCH", patchBody, stale, 412},
		{"DELETE stale", "DELETE", "", stale, 412},
		{"GET stale If-Match", "GET", "", stale, 412},
		{"PUT stale strong", "PUT", putBody, header{"If-Match", `"999"`}, 412},
		{"PATCH list without current", "PATCH", patchBody, header{"If-Match", `W/"7", W/"8"`}, 412},
		{"PUT current weak", "PUT", putBody, header{"If-Match", `W/"1"`}, 200},
		{"PATCH current in list", "PATCH", patchBody, header{"If-Match", `W/"7", W/"1"`}, 200},
		{"DELETE star", "DELETE", "", header{"If-Match", `*`}, 204},
		{"DELETE current", "DELETE", "", header{"If-Match", `W/"1"`}, 204},
		{"GET If-None-Match current", "GET", "", header{"If-None-Match", `W/"1"`}, 304},
		{"GET If-None-Match star", "GET", "", header{"If-None-Match", `*`}, 304},
		{"GET If-None-Match stale", "GET", "", header{"If-None-Match", `W/"999"`}, 200},
		{"HEAD If-None-Match current", "HEAD", "", header{"If-None-Match", `W/"1"`}, 304},
		// RFC 9110 §13.1.2: a write whose If-None-Match matches is 412.
		{"PUT If-None-Match current", "PUT", putBody, header{"If-None-Match", `W/"1"`}, 412},
		{"PATCH If-None-Match star", "PATCH", patchBody, header{"If-None-Match", `*`}, 412},
		{"DELETE If-None-Match in list", "DELETE", "", header{"If-None-Match", `W/"7", W/"1"`}, 412},
		{"PATCH If-None-Match stale", "PATCH", patchBody, header{"If-None-Match", `W/"999"`}, 200},
		{"DELETE If-None-Match stale", "DELETE", "", header{"If-None-Match", `W/"999"`}, 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			id := f.createUser(t, "bjensen")["id"].(string)
			before := f.do(t, "GET", "/Users/"+id, "")
			res := f.do(t, tt.method, "/Users/"+id, tt.body, tt.h)
			wantStatus(t, res, tt.status)
			switch tt.status {
			case 412:
				wantError(t, res, 412, "")
				after := f.do(t, "GET", "/Users/"+id, "")
				if diff := cmp.Diff(before.object(t), after.object(t)); diff != "" {
					t.Errorf("412 changed the resource (-before +after):\n%s", diff)
				}
			case 304:
				if res.Header.Get("ETag") != `W/"1"` {
					t.Errorf("304 ETag = %q, want W/\"1\"", res.Header.Get("ETag"))
				}
			case 200:
				want := `W/"1"`
				if tt.method != "GET" {
					want = `W/"2"`
				}
				if res.Header.Get("ETag") != want {
					t.Errorf("ETag = %q, want %q", res.Header.Get("ETag"), want)
				}
			}
		})
	}
}

// TestMetaTimes: meta.created and meta.lastModified are xsd:dateTime in UTC
// (RFC 7643 §3.1) and follow the backend's times.
func TestMetaTimes(t *testing.T) {
	f := newFixture(t)
	c := f.createUser(t, "bjensen")
	id := c["id"].(string)
	for range 3 {
		wantStatus(t, f.do(t, "PATCH", "/Users/"+id, `{"schemas":["`+scim.PatchOpSchema+`"],"Operations":[{"op":"replace","path":"title","value":"t"}]}`), 200)
	}
	meta := f.do(t, "GET", "/Users/"+id, "").object(t)["meta"].(map[string]any)
	created, err := time.Parse(time.RFC3339, meta["created"].(string))
	if err != nil {
		t.Fatal(err)
	}
	modified, err := time.Parse(time.RFC3339, meta["lastModified"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if got := modified.Sub(created); got != 3*time.Second {
		t.Errorf("lastModified - created = %v, want 3s", got)
	}
	if meta["version"] != `W/"`+strconv.Itoa(4)+`"` {
		t.Errorf("version = %v", meta["version"])
	}
}

// TestInstanceReturned: the "returned" characteristic of attributes an
// instance adds to its resource type is honoured too (RFC 7643 §7: "never"
// attributes MUST NOT be returned; "request" ones only when named in
// attributes, RFC 7644 §3.9), not only that of the built-in schemas.
func TestInstanceReturned(t *testing.T) {
	rt := schema.UserResourceType().Clone()
	secret := schema.NewAttribute("apiSecret", schema.String)
	secret.Returned, secret.Mutability = schema.Never, schema.WriteOnly
	costly := schema.NewAttribute("riskScore", schema.String)
	costly.Returned = schema.Request
	rt.Schema.AddAttribute(secret)
	rt.Schema.AddAttribute(costly)
	users := newMemBackend(rt, "userName")
	p, err := provider.New(testConfig(), provider.ResourceType{Type: rt, Backend: users})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{h: p, users: users}
	c := f.do(t, "POST", "/Users", `{"schemas":["`+scim.UserSchema+`"],"userName":"bjensen","apiSecret":"s3cret!","riskScore":"high"}`)
	wantStatus(t, c, http.StatusCreated)
	tests := []struct {
		name     string
		res      response
		wantRisk bool
	}{
		{"POST", c, false},
		{"GET", f.do(t, "GET", "/Users/1", ""), false},
		{"GET excludedAttributes", f.do(t, "GET", "/Users/1?excludedAttributes=title", ""), false},
		{"GET attributes", f.do(t, "GET", "/Users/1?attributes=riskScore,apiSecret", ""), true},
		{"list", f.do(t, "GET", "/Users", ""), false},
		{"list attributes", f.do(t, "GET", "/Users?attributes=riskScore", ""), true},
		{"PATCH", f.do(t, "PATCH", "/Users/1", `{"schemas":["`+scim.PatchOpSchema+`"],"Operations":[{"op":"replace","path":"title","value":"t"}]}`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.res.Status >= 300 {
				t.Fatalf("status %d: %s", tt.res.Status, tt.res.Body)
			}
			body := string(tt.res.Body)
			if strings.Contains(body, "apiSecret") || strings.Contains(body, "s3cret") {
				t.Errorf("response reveals a returned:never attribute: %s", body)
			}
			if got := strings.Contains(body, "riskScore"); got != tt.wantRisk {
				t.Errorf("riskScore (returned:request) present = %v, want %v: %s", got, tt.wantRisk, body)
			}
		})
	}
}

func TestInvalidUTF8Refused(t *testing.T) {
	f := newFixture(t)
	body := "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"a\xff\xfe\"}"
	wantError(t, f.do(t, "POST", "/Users", body), http.StatusBadRequest, "invalidSyntax")
}
