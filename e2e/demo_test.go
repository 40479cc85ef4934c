package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestDiscovery checks the three discovery endpoints (RFC 7644 §4,
// RFC 7643 §5–§7).
func TestDiscovery(t *testing.T) {
	t.Parallel()
	d := newDemo(t)

	t.Run("ServiceProviderConfig", func(t *testing.T) {
		r := d.get(t, "/ServiceProviderConfig")
		wantStatus(t, r, http.StatusOK)
		b := r.Body
		if !slices.Contains(strs(b["schemas"]), spcURN) {
			t.Errorf("schemas = %v, want %s", b["schemas"], spcURN)
		}
		// The local connector supports every optional feature; the config
		// must say so (RFC 7643 §5).
		for _, feature := range []string{"patch", "bulk", "filter", "sort", "etag", "changePassword"} {
			if got := obj(b, feature)["supported"]; got != true {
				t.Errorf("%s.supported = %#v, want true", feature, got)
			}
		}
		if n := num(t, obj(b, "bulk"), "maxOperations"); n <= 0 {
			t.Errorf("bulk.maxOperations = %d, want > 0", n)
		}
		if n := num(t, obj(b, "bulk"), "maxPayloadSize"); n <= 0 {
			t.Errorf("bulk.maxPayloadSize = %d, want > 0", n)
		}
		if n := num(t, obj(b, "filter"), "maxResults"); n <= 0 {
			t.Errorf("filter.maxResults = %d, want > 0", n)
		}
		// RFC 9865 §4: pagination advertises cursor and index support.
		pg := obj(b, "pagination")
		if pg["cursor"] != true || pg["index"] != true {
			t.Errorf("pagination = %v, want cursor and index true", pg)
		}
		schemes := list(b, "authenticationSchemes")
		if len(schemes) == 0 {
			t.Fatalf("authenticationSchemes is empty (RFC 7643 §5 requires it)")
		}
		for _, s := range schemes {
			if str(s, "type") == "" || str(s, "name") == "" || str(s, "description") == "" {
				t.Errorf("authentication scheme %v lacks type, name or description", s)
			}
		}
	})

	t.Run("ResourceTypes", func(t *testing.T) {
		b := d.listAll(t, "/ResourceTypes")
		byID := map[string]map[string]any{}
		for _, rt := range list(b, "Resources") {
			byID[str(rt, "id")] = rt
		}
		if got := num(t, b, "totalResults"); got != 2 || len(byID) != 2 {
			t.Fatalf("totalResults = %d, types = %v, want User and Group", got, b["Resources"])
		}
		user, group := byID["User"], byID["Group"]
		if user == nil || group == nil {
			t.Fatalf("resource types = %v, want User and Group", b["Resources"])
		}
		if str(user, "endpoint") != "/Users" || str(user, "schema") != userURN {
			t.Errorf("User resource type = %v", user)
		}
		exts := list(user, "schemaExtensions")
		if len(exts) != 1 || str(exts[0], "schema") != enterpriseURN || exts[0]["required"] != false {
			t.Errorf("User schemaExtensions = %v, want the enterprise extension, not required", user["schemaExtensions"])
		}
		if str(group, "endpoint") != "/Groups" || str(group, "schema") != groupURN {
			t.Errorf("Group resource type = %v", group)
		}
		one := d.get(t, "/ResourceTypes/User")
		wantStatus(t, one, http.StatusOK)
		if diff := cmp.Diff(user, one.Body); diff != "" {
			t.Errorf("/ResourceTypes/User differs from its list entry (-list +one):\n%s", diff)
		}
	})

	t.Run("Schemas", func(t *testing.T) {
		b := d.listAll(t, "/Schemas")
		var got []string
		for _, s := range list(b, "Resources") {
			got = append(got, str(s, "id"))
		}
		if diff := cmp.Diff(sorted([]string{userURN, groupURN, enterpriseURN}), sorted(got)); diff != "" {
			t.Errorf("schema ids (-want +got):\n%s", diff)
		}
		r := d.get(t, "/Schemas/"+userURN)
		wantStatus(t, r, http.StatusOK)
		if str(r.Body, "id") != userURN {
			t.Fatalf("id = %q, want %s", str(r.Body, "id"), userURN)
		}
		if loc := str(obj(r.Body, "meta"), "location"); loc != d.BaseURL+"/Schemas/"+userURN {
			t.Errorf("meta.location = %q, want %q", loc, d.BaseURL+"/Schemas/"+userURN)
		}
		attrs := map[string]map[string]any{}
		for _, a := range list(r.Body, "attributes") {
			attrs[str(a, "name")] = a
		}
		checks := []struct{ attr, key, want string }{
			{"userName", "uniqueness", "server"},
			{"userName", "type", "string"},
			{"password", "returned", "never"},
			{"password", "mutability", "writeOnly"},
			{"groups", "mutability", "readOnly"},
			{"emails", "type", "complex"},
		}
		for _, c := range checks {
			if got := str(attrs[c.attr], c.key); got != c.want {
				t.Errorf("%s.%s = %q, want %q", c.attr, c.key, got, c.want)
			}
		}
		if attrs["userName"]["required"] != true {
			t.Errorf("userName.required = %#v, want true", attrs["userName"]["required"])
		}
		if attrs["emails"]["multiValued"] != true {
			t.Errorf("emails.multiValued = %#v, want true", attrs["emails"]["multiValued"])
		}
	})

	t.Run("errors", func(t *testing.T) {
		wantError(t, d.get(t, "/Schemas/urn:example:unknown"), http.StatusNotFound, "")
		wantError(t, d.get(t, "/ResourceTypes/Printer"), http.StatusNotFound, "")
		// RFC 7644 §4: a filter on a discovery endpoint SHOULD be refused with 403.
		wantError(t, d.get(t, "/Schemas", "filter", `id eq "x"`), http.StatusForbidden, "")
	})
}

// TestAuth checks bearer token authentication (RFC 7644 §2, RFC 6750 §3).
func TestAuth(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	other := strings.Replace(d.BaseURL, "/scim/local/", "/scim/nosuchinstance/", 1)
	cases := []struct {
		name    string
		url     string
		headers []header
	}{
		{"no token", d.BaseURL + "/Users", nil},
		{"wrong token", d.BaseURL + "/Users", []header{{"Authorization", "Bearer wrong"}}},
		{"token with extra character", d.BaseURL + "/Users", []header{{"Authorization", "Bearer " + d.Token + "x"}}},
		{"basic scheme", d.BaseURL + "/Users", []header{{"Authorization", "Basic " + d.Token}}},
		{"empty bearer", d.BaseURL + "/Users", []header{{"Authorization", "Bearer "}}},
		{"valid token, made-up instance", other + "/Users", []header{{"Authorization", "Bearer " + d.Token}}},
		{"no token on discovery", d.BaseURL + "/ServiceProviderConfig", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := d.doURL(t, http.MethodGet, c.url, nil, c.headers...)
			wantError(t, r, http.StatusUnauthorized, "")
			if www := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(www, "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge (RFC 6750 §3)", www)
			}
		})
	}
	// Credentials of a scheme the server does not offer (SCIM test suites
	// send Basic to /Me) lack a bearer token: the challenge carries no error
	// code (RFC 6750 §3.1) and the detail names the scheme that works.
	t.Run("basic scheme challenge", func(t *testing.T) {
		r := d.doURL(t, http.MethodGet, d.BaseURL+"/Me", nil, header{"Authorization", "Basic bG9naW5Vc2VyOnB3"})
		wantError(t, r, http.StatusUnauthorized, "")
		if www := r.Header.Get("WWW-Authenticate"); www != `Bearer realm="scimconnect"` {
			t.Errorf("WWW-Authenticate = %q, want the challenge without an error code", www)
		}
		if !strings.Contains(str(r.Body, "detail"), "accepts only bearer tokens") {
			t.Errorf("detail does not name the accepted scheme: %s", r)
		}
		r = d.doURL(t, http.MethodGet, d.BaseURL+"/Users", nil, header{"Authorization", "Bearer wrong"})
		if www := r.Header.Get("WWW-Authenticate"); www != `Bearer realm="scimconnect", error="invalid_token"` {
			t.Errorf("WWW-Authenticate for a wrong bearer token = %q", www)
		}
	})
	t.Run("valid token", func(t *testing.T) {
		r := d.get(t, "/Users")
		wantStatus(t, r, http.StatusOK)
		if r.Header.Get("WWW-Authenticate") != "" {
			t.Errorf("WWW-Authenticate on a 200: %q", r.Header.Get("WWW-Authenticate"))
		}
	})
}

// entraUser is a create request as Microsoft Entra ID sends it.
func entraUser(userName, managerID string) map[string]any {
	return map[string]any{
		"schemas":     []string{userURN, enterpriseURN},
		"externalId":  "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
		"userName":    userName,
		"active":      true,
		"displayName": "Test User",
		"title":       "Tour Guide",
		"password":    "S3cret!pass-word",
		"emails": []any{
			map[string]any{"primary": true, "type": "work", "value": userName},
		},
		"name": map[string]any{
			"formatted":  "Ada Lovelace",
			"familyName": "Lovelace",
			"givenName":  "Ada",
		},
		"locale": "en-US",
		enterpriseURN: map[string]any{
			"employeeNumber": "701984",
			"department":     "Tour Operations",
			"manager":        map[string]any{"value": managerID},
		},
	}
}

// TestUserCRUD creates, reads, replaces and deletes users (RFC 7644 §3.3,
// §3.4.1, §3.5.1, §3.6).
func TestUserCRUD(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	managerID := d.newUser(t, "manager@contoso.com")
	userName := "Test_User_ab6490ee@contoso.com"

	before := time.Now().Add(-time.Minute)
	r := d.do(t, http.MethodPost, "/Users", entraUser(userName, managerID))
	wantStatus(t, r, http.StatusCreated)
	created := r.Body
	id := str(created, "id")
	meta := obj(created, "meta")

	t.Run("create", func(t *testing.T) {
		if id == "" {
			t.Fatalf("no id in %s", r.Raw)
		}
		if loc := r.Header.Get("Location"); loc != d.BaseURL+"/Users/"+id || loc != str(meta, "location") {
			t.Errorf("Location = %q, meta.location = %q, want both %q (RFC 7644 §3.3)", loc, str(meta, "location"), d.BaseURL+"/Users/"+id)
		}
		if tag := r.Header.Get("ETag"); tag == "" || tag != str(meta, "version") {
			t.Errorf("ETag = %q, meta.version = %q, want equal and non-empty (RFC 7644 §3.14)", tag, str(meta, "version"))
		}
		if str(meta, "resourceType") != "User" {
			t.Errorf("meta.resourceType = %q, want User", str(meta, "resourceType"))
		}
		for _, k := range []string{"created", "lastModified"} {
			ts, err := time.Parse(time.RFC3339, str(meta, k))
			if err != nil || ts.Before(before) || ts.After(time.Now().Add(time.Minute)) {
				t.Errorf("meta.%s = %q (%v), want a current RFC 3339 time", k, str(meta, k), err)
			}
		}
		if _, ok := created["password"]; ok {
			t.Errorf("password returned on create (RFC 7643 §4.1.1: returned never)")
		}
		if !slices.Contains(strs(created["schemas"]), enterpriseURN) {
			t.Errorf("schemas = %v, want the enterprise extension listed", created["schemas"])
		}
		ext := obj(created, enterpriseURN)
		if str(ext, "employeeNumber") != "701984" || str(obj(ext, "manager"), "value") != managerID {
			t.Errorf("enterprise extension = %v", ext)
		}
		if str(created, "userName") != userName || str(obj(created, "name"), "familyName") != "Lovelace" || created["active"] != true {
			t.Errorf("created user = %s", r.Raw)
		}
	})

	t.Run("get", func(t *testing.T) {
		g := d.get(t, "/Users/"+id)
		wantStatus(t, g, http.StatusOK)
		if diff := cmp.Diff(created, g.Body); diff != "" {
			t.Errorf("GET differs from the create response (-create +get):\n%s", diff)
		}
		if g.Header.Get("ETag") != str(meta, "version") {
			t.Errorf("ETag = %q, want %q", g.Header.Get("ETag"), str(meta, "version"))
		}
		p := d.get(t, "/Users/"+id, "attributes", "password,userName")
		wantStatus(t, p, http.StatusOK)
		if _, ok := p.Body["password"]; ok {
			t.Errorf("password returned although asked for (RFC 7643 §7: returned never)")
		}
	})

	t.Run("create errors", func(t *testing.T) {
		cases := []struct {
			name     string
			body     map[string]any
			status   int
			scimType string
		}{
			{"duplicate userName, other case", map[string]any{"schemas": []string{userURN}, "userName": strings.ToUpper(userName)}, http.StatusConflict, "uniqueness"},
			{"duplicate userName", map[string]any{"schemas": []string{userURN}, "userName": userName}, http.StatusConflict, "uniqueness"},
			{"missing userName", map[string]any{"schemas": []string{userURN}, "displayName": "No Name"}, http.StatusBadRequest, "invalidValue"},
			{"unknown attribute", map[string]any{"schemas": []string{userURN}, "userName": "u1@example.com", "favouriteColour": "red"}, http.StatusBadRequest, "invalidSyntax"},
			{"wrong type", map[string]any{"schemas": []string{userURN}, "userName": "u2@example.com", "active": "maybe"}, http.StatusBadRequest, "invalidValue"},
			{"userName not a string", map[string]any{"schemas": []string{userURN}, "userName": 42}, http.StatusBadRequest, "invalidValue"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				wantError(t, d.do(t, http.MethodPost, "/Users", c.body), c.status, c.scimType)
			})
		}
		// Nothing was created by the failed requests.
		b := d.listAll(t, "/Users", "count", "0")
		if n := num(t, b, "totalResults"); n != 2 {
			t.Errorf("totalResults = %d after failed creates, want 2", n)
		}
	})

	t.Run("get unknown", func(t *testing.T) {
		wantError(t, d.get(t, "/Users/00000000-0000-4000-8000-000000000000"), http.StatusNotFound, "")
		wantError(t, d.get(t, "/Groups/"+id), http.StatusNotFound, "")
	})

	t.Run("replace", func(t *testing.T) {
		// RFC 7644 §3.5.1: PUT replaces all attributes; omitted ones are cleared.
		body := map[string]any{
			"schemas":     []string{userURN},
			"userName":    userName,
			"displayName": "Replaced User",
			"active":      false,
		}
		p := d.do(t, http.MethodPut, "/Users/"+id, body)
		wantStatus(t, p, http.StatusOK)
		for _, gone := range []string{"name", "title", "emails", "externalId", "locale", enterpriseURN, "password"} {
			if _, ok := p.Body[gone]; ok {
				t.Errorf("%s still present after PUT without it: %v", gone, p.Body[gone])
			}
		}
		if slices.Contains(strs(p.Body["schemas"]), enterpriseURN) {
			t.Errorf("schemas = %v still lists the removed extension", p.Body["schemas"])
		}
		if str(p.Body, "displayName") != "Replaced User" || p.Body["active"] != false || str(p.Body, "id") != id {
			t.Errorf("replaced user = %s", p.Raw)
		}
		pm := obj(p.Body, "meta")
		if str(pm, "created") != str(meta, "created") {
			t.Errorf("meta.created changed from %q to %q", str(meta, "created"), str(pm, "created"))
		}
		if str(pm, "version") == str(meta, "version") || p.Header.Get("ETag") != str(pm, "version") {
			t.Errorf("version %q → %q, ETag %q: want a new version equal to the ETag", str(meta, "version"), str(pm, "version"), p.Header.Get("ETag"))
		}
		g := d.get(t, "/Users/"+id)
		wantStatus(t, g, http.StatusOK)
		if diff := cmp.Diff(p.Body, g.Body); diff != "" {
			t.Errorf("GET after PUT differs (-put +get):\n%s", diff)
		}
		wantError(t, d.do(t, http.MethodPut, "/Users/00000000-0000-4000-8000-000000000000", body), http.StatusNotFound, "")
		// Taking another user's userName on PUT is a uniqueness conflict.
		taken := map[string]any{"schemas": []string{userURN}, "userName": "MANAGER@contoso.com"}
		wantError(t, d.do(t, http.MethodPut, "/Users/"+id, taken), http.StatusConflict, "uniqueness")
	})

	t.Run("delete", func(t *testing.T) {
		del := d.do(t, http.MethodDelete, "/Users/"+id, nil)
		if del.Status != http.StatusNoContent || len(del.Raw) != 0 {
			t.Fatalf("want 204 with no body, got %s", del)
		}
		wantError(t, d.get(t, "/Users/"+id), http.StatusNotFound, "")
		wantError(t, d.do(t, http.MethodDelete, "/Users/"+id, nil), http.StatusNotFound, "")
		b := d.listAll(t, "/Users")
		if diff := cmp.Diff([]string{managerID}, ids(b)); diff != "" {
			t.Errorf("users after delete (-want +got):\n%s", diff)
		}
	})
}
