package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGroups checks groups, membership changes and the computed User.groups
// (RFC 7643 §4.1.2, §4.2; RFC 7644 §3.5.2).
func TestGroups(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	u1 := d.newUser(t, "member1@example.com")
	u2 := d.newUser(t, "member2@example.com")
	u3 := d.newUser(t, "member3@example.com")
	u4 := d.newUser(t, "member4@example.com")
	const unknownID = "00000000-0000-4000-8000-000000000000"

	r := d.do(t, http.MethodPost, "/Groups", map[string]any{
		"schemas":     []string{groupURN},
		"displayName": "Engineering",
		"members":     []any{map[string]any{"value": u1}, map[string]any{"value": u2}},
	})
	wantStatus(t, r, http.StatusCreated)
	gid := str(r.Body, "id")
	gpath := "/Groups/" + gid
	if loc := r.Header.Get("Location"); loc != d.BaseURL+gpath {
		t.Errorf("Location = %q, want %q", loc, d.BaseURL+gpath)
	}
	if diff := cmp.Diff(sorted([]string{u1, u2}), memberValues(r.Body)); diff != "" {
		t.Errorf("created members (-want +got):\n%s", diff)
	}

	// groupMembers GETs the group and returns its sorted member ids.
	groupMembers := func(t *testing.T) []string {
		t.Helper()
		g := d.get(t, gpath)
		wantStatus(t, g, http.StatusOK)
		return memberValues(g.Body)
	}
	// userGroups GETs a user and returns its groups.
	userGroups := func(t *testing.T, uid string) []map[string]any {
		t.Helper()
		g := d.get(t, "/Users/"+uid)
		wantStatus(t, g, http.StatusOK)
		return list(g.Body, "groups")
	}
	wantMembers := func(t *testing.T, want ...string) {
		t.Helper()
		if diff := cmp.Diff(sorted(want), groupMembers(t)); diff != "" {
			t.Errorf("members (-want +got):\n%s", diff)
		}
	}

	t.Run("members on GET", func(t *testing.T) {
		g := d.get(t, gpath)
		wantStatus(t, g, http.StatusOK)
		for _, m := range list(g.Body, "members") {
			id := str(m, "value")
			if str(m, "type") != "User" || str(m, "$ref") != d.BaseURL+"/Users/"+id {
				t.Errorf("member %v: want type User and $ref %s", m, d.BaseURL+"/Users/"+id)
			}
		}
		if str(g.Body, "displayName") != "Engineering" {
			t.Errorf("displayName = %q", str(g.Body, "displayName"))
		}
	})

	t.Run("User.groups", func(t *testing.T) {
		gs := userGroups(t, u1)
		if len(gs) != 1 {
			t.Fatalf("groups of a member = %v, want one", gs)
		}
		g := gs[0]
		if str(g, "value") != gid || str(g, "display") != "Engineering" || str(g, "type") != "direct" || str(g, "$ref") != d.BaseURL+gpath {
			t.Errorf("group entry = %v, want value %s, display Engineering, type direct, $ref %s", g, gid, d.BaseURL+gpath)
		}
		if gs := userGroups(t, u3); len(gs) != 0 {
			t.Errorf("a non-member has groups %v", gs)
		}
		b := d.listAll(t, "/Groups", "filter", `members.value eq "`+u2+`"`)
		if diff := cmp.Diff([]string{gid}, ids(b)); diff != "" {
			t.Errorf("groups filtered by member (-want +got):\n%s", diff)
		}
		b = d.listAll(t, "/Users", "filter", `groups.value eq "`+gid+`"`)
		if diff := cmp.Diff(sorted([]string{u1, u2}), sorted(ids(b))); diff != "" {
			t.Errorf("users filtered by group (-want +got):\n%s", diff)
		}
	})

	t.Run("add members", func(t *testing.T) {
		r := d.do(t, http.MethodPatch, gpath, patchOp(map[string]any{
			"op": "add", "path": "members",
			"value": []any{map[string]any{"value": u3}, map[string]any{"value": u4}, map[string]any{"value": u1}},
		}))
		wantStatus(t, r, http.StatusOK)
		if diff := cmp.Diff(sorted([]string{u1, u2, u3, u4}), memberValues(r.Body)); diff != "" {
			t.Errorf("PATCH response members (-want +got):\n%s", diff)
		}
		wantMembers(t, u1, u2, u3, u4)
	})

	t.Run("remove by filter", func(t *testing.T) {
		r := d.do(t, http.MethodPatch, gpath, patchOp(map[string]any{"op": "remove", "path": `members[value eq "` + u2 + `"]`}))
		wantStatus(t, r, http.StatusOK)
		wantMembers(t, u1, u3, u4)
		if gs := userGroups(t, u2); len(gs) != 0 {
			t.Errorf("removed member still has groups %v", gs)
		}
	})

	t.Run("Entra remove with value", func(t *testing.T) {
		r := d.do(t, http.MethodPatch, gpath, patchOp(map[string]any{"op": "Remove", "path": "members", "value": []any{map[string]any{"value": u3}}}))
		wantStatus(t, r, http.StatusOK)
		wantMembers(t, u1, u4)
	})

	t.Run("delete member user", func(t *testing.T) {
		del := d.do(t, http.MethodDelete, "/Users/"+u4, nil)
		if del.Status != http.StatusNoContent {
			t.Fatalf("delete user: %s", del)
		}
		wantMembers(t, u1)
	})

	t.Run("unknown member", func(t *testing.T) {
		before := d.get(t, gpath)
		r := d.do(t, http.MethodPatch, gpath, patchOp(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": u3}, map[string]any{"value": unknownID}}}))
		wantError(t, r, http.StatusBadRequest, "")
		after := d.get(t, gpath)
		if diff := cmp.Diff(before.Body, after.Body); diff != "" {
			t.Errorf("failed member add changed the group (-before +after):\n%s", diff)
		}
		c := d.do(t, http.MethodPost, "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Ghosts", "members": []any{map[string]any{"value": unknownID}}})
		wantError(t, c, http.StatusBadRequest, "")
		if n := num(t, d.listAll(t, "/Groups", "count", "0"), "totalResults"); n != 1 {
			t.Errorf("a failed group create left %d groups, want 1", n)
		}
	})

	t.Run("excludedAttributes=members", func(t *testing.T) {
		g := d.get(t, gpath, "excludedAttributes", "members")
		wantStatus(t, g, http.StatusOK)
		if _, ok := g.Body["members"]; ok {
			t.Errorf("GET excludedAttributes=members returned members")
		}
		if str(g.Body, "displayName") != "Engineering" {
			t.Errorf("displayName missing: %s", g.Raw)
		}
		p := d.do(t, http.MethodPatch, withQuery(gpath, "excludedAttributes", "members"), patchOp(
			map[string]any{"op": "Replace", "path": "displayName", "value": "Platform"},
			map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"value": u2}}},
		))
		wantStatus(t, p, http.StatusOK)
		if _, ok := p.Body["members"]; ok {
			t.Errorf("PATCH excludedAttributes=members returned members")
		}
		if str(p.Body, "displayName") != "Platform" {
			t.Errorf("displayName = %q, want Platform", str(p.Body, "displayName"))
		}
		wantMembers(t, u1, u2)
		l := d.listAll(t, "/Groups", "excludedAttributes", "members")
		for _, g := range list(l, "Resources") {
			if _, ok := g["members"]; ok {
				t.Errorf("list excludedAttributes=members returned members")
			}
		}
		if gs := userGroups(t, u1); len(gs) != 1 || str(gs[0], "display") != "Platform" {
			t.Errorf("User.groups after rename = %v, want display Platform", gs)
		}
	})

	t.Run("replace members", func(t *testing.T) {
		r := d.do(t, http.MethodPatch, gpath, patchOp(map[string]any{"op": "replace", "path": "members", "value": []any{map[string]any{"value": u3}}}))
		wantStatus(t, r, http.StatusOK)
		wantMembers(t, u3)
		p := d.do(t, http.MethodPut, gpath, map[string]any{"schemas": []string{groupURN}, "displayName": "Platform", "members": []any{map[string]any{"value": u1}, map[string]any{"value": u2}}})
		wantStatus(t, p, http.StatusOK)
		wantMembers(t, u1, u2)
		r = d.do(t, http.MethodPatch, gpath, patchOp(map[string]any{"op": "remove", "path": "members"}))
		wantStatus(t, r, http.StatusOK)
		wantMembers(t)
	})

	// A client that lost the answer to its create and sends it again
	// must not make a second group: displayName is unique, as the
	// instance's /Schemas says.
	t.Run("retried create", func(t *testing.T) {
		again := d.do(t, http.MethodPost, "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "PLATFORM"})
		wantError(t, again, http.StatusConflict, "uniqueness")
		found := d.get(t, "/Groups", "filter", `displayName eq "platform"`)
		if ids := ids(found.Body); !cmp.Equal(ids, []string{gid}) {
			t.Errorf("groups named platform after the retry = %v, want [%s]", ids, gid)
		}
		schemaDoc := d.get(t, "/Schemas/"+groupURN)
		wantStatus(t, schemaDoc, http.StatusOK)
		for _, a := range list(schemaDoc.Body, "attributes") {
			if str(a, "name") == "displayName" && str(a, "uniqueness") != "server" {
				t.Errorf("Group displayName advertised with uniqueness %q, want server", str(a, "uniqueness"))
			}
		}
	})

	// RFC 7643 §4.2: a member is the resource whose id is its "value";
	// "display" is read-only. A PUT naming members by display alone is
	// refused and leaves the members as they were, on both instances,
	// instead of emptying the group.
	t.Run("members by display alone", func(t *testing.T) {
		okta := d.instance(t, "okta")
		ou := str(okta.createUser(t, map[string]any{"schemas": []string{userURN}, "userName": "display-only@example.com",
			"name": map[string]any{"givenName": "Dee", "familyName": "Only"}}), "id") // Okta needs both names
		og := okta.do(t, http.MethodPost, "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "DisplayOnly", "members": []any{map[string]any{"value": ou}}})
		wantStatus(t, og, http.StatusCreated)
		for _, c := range []struct {
			inst   *demo
			path   string
			member string
		}{{d, gpath, u1}, {okta, "/Groups/" + str(og.Body, "id"), ou}} {
			r := c.inst.do(t, http.MethodPatch, c.path, patchOp(map[string]any{"op": "replace", "path": "members", "value": []any{map[string]any{"value": c.member}}}))
			wantStatus(t, r, http.StatusOK)
			name := str(r.Body, "displayName")
			for _, body := range []map[string]any{
				{"schemas": []string{groupURN}, "displayName": name, "members": []any{map[string]any{"display": "someone"}}},
				{"schemas": []string{groupURN}, "displayName": name, "members": []any{map[string]any{"value": c.member}, map[string]any{"value": nil, "display": "someone"}}},
			} {
				p := c.inst.do(t, http.MethodPut, c.path, body)
				wantError(t, p, http.StatusBadRequest, "invalidValue")
				if !strings.Contains(str(p.Body, "detail"), `"value"`) {
					t.Errorf("detail does not say a member needs a value: %s", p)
				}
				g := c.inst.get(t, c.path)
				wantStatus(t, g, http.StatusOK)
				if diff := cmp.Diff([]string{c.member}, memberValues(g.Body)); diff != "" {
					t.Errorf("%s members after the refused PUT (-want +got):\n%s", c.inst.BaseURL, diff)
				}
			}
		}
	})

	t.Run("delete group", func(t *testing.T) {
		r := d.do(t, http.MethodPatch, gpath, patchOp(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": u1}}}))
		wantStatus(t, r, http.StatusOK)
		del := d.do(t, http.MethodDelete, gpath, nil)
		if del.Status != http.StatusNoContent {
			t.Fatalf("delete group: %s", del)
		}
		if gs := userGroups(t, u1); len(gs) != 0 {
			t.Errorf("User.groups after the group was deleted = %v", gs)
		}
		wantError(t, d.get(t, gpath), http.StatusNotFound, "")
	})
}

// TestETags checks conditional requests (RFC 7644 §3.14, RFC 7232).
func TestETags(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	u := d.createUser(t, map[string]any{"userName": "etag@example.com", "displayName": "Version One"})
	path := "/Users/" + str(u, "id")
	v1 := str(obj(u, "meta"), "version")
	if v1 == "" {
		t.Fatalf("no meta.version in %v", u)
	}

	unchanged := func(t *testing.T, wantTag, wantName string) {
		t.Helper()
		g := d.get(t, path)
		wantStatus(t, g, http.StatusOK)
		if g.Header.Get("ETag") != wantTag || str(g.Body, "displayName") != wantName {
			t.Errorf("after a failed conditional request: ETag %q displayName %q, want %q %q", g.Header.Get("ETag"), str(g.Body, "displayName"), wantTag, wantName)
		}
	}

	nm := d.do(t, http.MethodGet, path, nil, header{"If-None-Match", v1})
	if nm.Status != http.StatusNotModified || len(nm.Raw) != 0 {
		t.Errorf("If-None-Match with the current ETag: want 304 without body, got %s", nm)
	}
	other := d.do(t, http.MethodGet, path, nil, header{"If-None-Match", `W/"not-the-version"`})
	wantStatus(t, other, http.StatusOK)

	p := d.do(t, http.MethodPatch, path, patchOp(map[string]any{"op": "replace", "path": "displayName", "value": "Version Two"}), header{"If-Match", v1})
	wantStatus(t, p, http.StatusOK)
	v2 := p.Header.Get("ETag")
	if v2 == "" || v2 == v1 {
		t.Fatalf("ETag after PATCH = %q, was %q", v2, v1)
	}
	if g := d.do(t, http.MethodGet, path, nil, header{"If-None-Match", v1}); g.Status != http.StatusOK {
		t.Errorf("If-None-Match with a stale ETag: want 200, got %s", g)
	}

	stale := []struct {
		name   string
		method string
		body   any
	}{
		{"PUT", http.MethodPut, map[string]any{"schemas": []string{userURN}, "userName": "etag@example.com", "displayName": "Lost Update"}},
		{"PATCH", http.MethodPatch, patchOp(map[string]any{"op": "replace", "path": "displayName", "value": "Lost Update"})},
		{"DELETE", http.MethodDelete, nil},
	}
	for _, c := range stale {
		t.Run("stale "+c.name, func(t *testing.T) {
			wantError(t, d.do(t, c.method, path, c.body, header{"If-Match", v1}), http.StatusPreconditionFailed, "")
			unchanged(t, v2, "Version Two")
		})
	}

	put := d.do(t, http.MethodPut, path, map[string]any{"schemas": []string{userURN}, "userName": "etag@example.com", "displayName": "Version Three"}, header{"If-Match", v2})
	wantStatus(t, put, http.StatusOK)
	v3 := put.Header.Get("ETag")
	if v3 == v2 || v3 != str(obj(put.Body, "meta"), "version") {
		t.Errorf("ETag after PUT = %q (meta.version %q), was %q", v3, str(obj(put.Body, "meta"), "version"), v2)
	}
	wantStatus(t, d.do(t, http.MethodGet, path, nil, header{"If-Match", v3}), http.StatusOK)
	del := d.do(t, http.MethodDelete, path, nil, header{"If-Match", v3})
	if del.Status != http.StatusNoContent {
		t.Errorf("DELETE with the current ETag: want 204, got %s", del)
	}
	wantError(t, d.get(t, path), http.StatusNotFound, "")
}
