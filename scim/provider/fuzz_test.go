package provider_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimconnect/scimconnect/scim"
)

// createSeeds are POST /Users bodies covering the shapes Validate handles.
var createSeeds = []string{
	`{"schemas":["` + scim.UserSchema + `"],"userName":"bjensen"}`,
	`{"schemas":["` + scim.UserSchema + `","` + scim.EnterpriseUserSchema + `"],"userName":"b","name":{"givenName":"B","familyName":"J"},"emails":[{"value":"b@x","type":"work","primary":true}],"active":"True",` +
		`"` + scim.EnterpriseUserSchema + `":{"employeeNumber":"1","manager":{"value":"2"}}}`,
	`{"schemas":["` + scim.UserSchema + `"],"USERNAME":"x","` + scim.EnterpriseUserSchema + `:department":"d"}`,
	`{"schemas":["` + scim.UserSchema + `"],"userName":"x","id":"mine","meta":{"created":"x"},"groups":[{"value":"1"}]}`,
	`{"schemas":["` + scim.UserSchema + `"],"userName":"x","emails":{"value":"single"},"x509Certificates":[{"value":"AAEC"}]}`,
	`{"schemas":["` + scim.UserSchema + `"],"userName":"x","emails":[null,{"value":"a"},{"value":"a"}],"addresses":[{}]}`,
	`{"schemas":["` + scim.UserSchema + `"],"userName":"","password":"p"}`,
	`{"schemas":"x","userName":1e999}`,
	`{"userName":"x"}`,
	`{"schemas":["` + scim.UserSchema + `"],"userName":"x"}}`,
	`{"schemas":["` + scim.UserSchema + `"],"userName":"x"} {}`,
	`[]`, `null`, ``, `{`, `{"a":`, "\xff\xfe",
}

// FuzzCreateBody: arbitrary POST /Users bodies never make the server fail
// or panic, and a created resource can be read back at its Location.
func FuzzCreateBody(f *testing.F) {
	for _, s := range createSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fx := newFixture(t)
		res := fx.do(t, "POST", "/Users", string(body))
		if res.Status >= 500 {
			t.Fatalf("POST %q = %d: %s", body, res.Status, res.Body)
		}
		if res.Status != http.StatusCreated {
			return
		}
		loc := res.Header.Get("Location")
		got := fx.do(t, "GET", pathOf(t, loc), "")
		if got.Status != http.StatusOK {
			t.Fatalf("GET %s after POST %q = %d: %s", loc, body, got.Status, got.Body)
		}
		if diff := cmp.Diff(res.object(t), got.object(t)); diff != "" {
			t.Fatalf("GET differs from the POST response for %q (-post +get):\n%s", body, diff)
		}
	})
}

// patchSeeds are PatchOp "Operations" arrays.
var patchSeeds = []string{
	`[{"op":"replace","path":"displayName","value":"B"}]`,
	`[{"op":"Add","path":"emails[type eq \"work\"].value","value":"a@b.c"}]`,
	`[{"op":"add","value":{"emails":[{"value":"b@j.org","type":"home"}],"nickName":"Babs"}}]`,
	`[{"op":"Replace","path":"active","value":"False"},{"op":"Replace","path":"name.givenName","value":"B"}]`,
	`[{"op":"replace","value":{"active":false,"id":"x","meta":{}}}]`,
	`[{"op":"remove","path":"emails[type eq \"work\"]"}]`,
	`[{"op":"remove","path":"emails"},{"op":"add","path":"nosuch","value":1}]`,
	`[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"1"}}]`,
	`[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]`,
	`[{"op":"replace","path":"userName","value":"other"}]`,
	`[{"op":"replace","path":"userName","value":null}]`,
	`[{"op":"replace","path":"userName","value":""}]`,
	`[{"op":"add","path":"groups","value":[{"value":"1"}]}]`,
	`[{"op":"replace","path":"emails[value eq \"u@x\"].primary","value":true},{"op":"add","path":"emails","value":{"value":"v@x","primary":true}}]`,
	`[{"op":"remove","path":"addresses[type eq \"work\"].locality"}]`,
	`[]`, `{}`, `null`,
}

// FuzzPatchBody: arbitrary PATCH bodies on an existing user never make the
// server fail or panic; a rejected PATCH changes nothing (RFC 7644 §3.5.2:
// all or nothing); an accepted one returns what a later GET returns.
func FuzzPatchBody(f *testing.F) {
	for _, s := range patchSeeds {
		f.Add([]byte(`{"schemas":["` + scim.PatchOpSchema + `"],"Operations":` + s + `}`))
	}
	f.Add([]byte(`{"schemas":["` + scim.PatchOpSchema + `"],"Operations":[{"op":"remove","path":"title"}]} x`))
	f.Add([]byte(`{"schemas":[],"Operations":[{"op":"remove"}],"x":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fx := newFixture(t)
		fx.createUser(t, "other")
		id := fx.createUser(t, "bjensen", `"title":"T","emails":[{"value":"u@x","type":"work"}],"addresses":[{"type":"work","locality":"L"}]`)["id"].(string)
		before := fx.do(t, "GET", "/Users/"+id, "")
		res := fx.do(t, "PATCH", "/Users/"+id, string(body))
		if res.Status >= 500 {
			t.Fatalf("PATCH %q = %d: %s", body, res.Status, res.Body)
		}
		after := fx.do(t, "GET", "/Users/"+id, "")
		if res.Status >= 400 {
			if diff := cmp.Diff(before.object(t), after.object(t)); diff != "" {
				t.Fatalf("rejected PATCH %q (%d) changed the user (-before +after):\n%s", body, res.Status, diff)
			}
			return
		}
		if diff := cmp.Diff(res.object(t), after.object(t)); diff != "" {
			t.Fatalf("PATCH %q response differs from GET (-patch +get):\n%s", body, diff)
		}
	})
}

// FuzzListQuery: arbitrary raw query strings on GET /Users never make the
// server fail or panic.
func FuzzListQuery(f *testing.F) {
	for _, q := range hostileQueries {
		if len(q) < 2000 {
			f.Add(q)
		}
	}
	f.Add("filter=" + url.QueryEscape(`emails[type eq "work" and value co "@"] or not (title pr)`) + "&sortBy=emails.value&sortOrder=descending&count=2&startIndex=2")
	f.Add("filter=" + url.QueryEscape(`meta.lastModified ge "2025-01-01T00:00:00Z"`) + "&cursor=&count=1")
	fx := newFixture(f)
	fx.seedUsers(f, 4)
	fx.createGroup(f, "g", "1")
	f.Fuzz(func(t *testing.T, query string) {
		res := fx.do(t, "GET", "/Users?"+query, "")
		if res.Status >= 500 {
			t.Fatalf("GET /Users?%s = %d: %s", query, res.Status, res.Body)
		}
	})
}
