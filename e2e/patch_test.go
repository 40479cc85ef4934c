package e2e

import (
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPatch checks PATCH as Entra ID and Okta send it, its errors and its
// atomicity (RFC 7644 §3.5.2).
func TestPatch(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	email := func(typ, value string) map[string]any { return map[string]any{"type": typ, "value": value} }
	u := d.createUser(t, map[string]any{
		"userName":    "patch.me@example.com",
		"displayName": "Patch Me",
		"active":      true,
		"name":        map[string]any{"givenName": "Patch", "familyName": "Target", "formatted": "Patch Target"},
		"emails":      []any{email("work", "patch.me@example.com"), email("home", "patch@home.example")},
	})
	id := str(u, "id")
	path := "/Users/" + id

	// patched sends a PATCH that must succeed and checks that the response
	// is the resource as a later GET returns it, with a new version.
	patched := func(t *testing.T, ops ...map[string]any) map[string]any {
		t.Helper()
		before := d.get(t, path)
		wantStatus(t, before, http.StatusOK)
		r := d.do(t, http.MethodPatch, path, patchOp(ops...))
		wantStatus(t, r, http.StatusOK)
		after := d.get(t, path)
		wantStatus(t, after, http.StatusOK)
		if diff := cmp.Diff(after.Body, r.Body); diff != "" {
			t.Errorf("PATCH response differs from a GET after it (-get +patch):\n%s", diff)
		}
		if tag := r.Header.Get("ETag"); tag == "" || tag != str(obj(r.Body, "meta"), "version") || tag == before.Header.Get("ETag") {
			t.Errorf("ETag %q (before %q, meta.version %q): want a new version equal to meta.version", tag, before.Header.Get("ETag"), str(obj(r.Body, "meta"), "version"))
		}
		return r.Body
	}

	t.Run("Entra", func(t *testing.T) {
		b := patched(t,
			map[string]any{"op": "Replace", "path": "active", "value": "False"},
			map[string]any{"op": "Replace", "path": enterpriseURN + ":employeeNumber", "value": "42"},
			map[string]any{"op": "Add", "path": `addresses[type eq "work"].locality`, "value": "Redmond"},
			map[string]any{"op": "Replace", "path": "displayName", "value": "Entra Name"},
			map[string]any{"op": "Add", "path": "title", "value": "Director"},
		)
		if b["active"] != false {
			t.Errorf(`active = %#v, want false from the string "False"`, b["active"])
		}
		if str(obj(b, enterpriseURN), "employeeNumber") != "42" {
			t.Errorf("enterprise extension = %v, want employeeNumber 42", b[enterpriseURN])
		}
		if schemas := strs(b["schemas"]); !slices.Contains(schemas, enterpriseURN) {
			t.Errorf("schemas = %v, want the extension listed once it has a value", schemas)
		}
		addrs := list(b, "addresses")
		if len(addrs) != 1 || str(addrs[0], "type") != "work" || str(addrs[0], "locality") != "Redmond" {
			t.Errorf("addresses = %v, want one work address in Redmond", b["addresses"])
		}
		if str(b, "displayName") != "Entra Name" || str(b, "title") != "Director" {
			t.Errorf("displayName %q title %q", str(b, "displayName"), str(b, "title"))
		}
		// A second add through the same filter updates the same element.
		b = patched(t, map[string]any{"op": "Add", "path": `addresses[type eq "work"].postalCode`, "value": "98052"})
		addrs = list(b, "addresses")
		if len(addrs) != 1 || str(addrs[0], "locality") != "Redmond" || str(addrs[0], "postalCode") != "98052" {
			t.Errorf("addresses = %v, want one work address with locality and postalCode", b["addresses"])
		}
	})

	t.Run("Okta", func(t *testing.T) {
		// Replace without a path: the value's attributes are replaced and a
		// complex value replaces only the given sub-attributes
		// (RFC 7644 §3.5.2.3).
		b := patched(t, map[string]any{"op": "replace", "value": map[string]any{
			"active": true,
			"name":   map[string]any{"givenName": "Okta"},
		}})
		if b["active"] != true {
			t.Errorf("active = %#v, want true", b["active"])
		}
		want := map[string]any{"givenName": "Okta", "familyName": "Target", "formatted": "Patch Target"}
		if diff := cmp.Diff(want, obj(b, "name")); diff != "" {
			t.Errorf("name after partial replace (-want +got):\n%s", diff)
		}
		if str(b, "displayName") != "Entra Name" {
			t.Errorf("displayName = %q: attributes absent from value must not change", str(b, "displayName"))
		}
	})

	t.Run("value path", func(t *testing.T) {
		b := patched(t, map[string]any{"op": "replace", "path": `emails[type eq "work"].value`, "value": "new.work@example.com"})
		got := map[string]string{}
		for _, e := range list(b, "emails") {
			got[str(e, "type")] = str(e, "value")
		}
		if diff := cmp.Diff(map[string]string{"work": "new.work@example.com", "home": "patch@home.example"}, got); diff != "" {
			t.Errorf("emails (-want +got):\n%s", diff)
		}
		b = patched(t, map[string]any{"op": "remove", "path": `emails[type eq "home"]`})
		es := list(b, "emails")
		if len(es) != 1 || str(es[0], "type") != "work" {
			t.Errorf("emails after remove = %v, want only the work email", b["emails"])
		}
		b = patched(t, map[string]any{"op": "remove", "path": "title"})
		if _, ok := b["title"]; ok {
			t.Errorf("title still present after remove")
		}
	})

	t.Run("errors", func(t *testing.T) {
		cases := []struct {
			name     string
			ops      []map[string]any
			status   int
			scimType string
		}{
			// RFC 7644 §3.5.2.3: a filter that matches nothing on replace is
			// noTarget (a sub-attribute after an eq filter is created instead,
			// see TestEntra).
			{"replace no match", []map[string]any{{"op": "replace", "path": `emails[type eq "other"]`, "value": map[string]any{"value": "x@example.com"}}}, http.StatusBadRequest, "noTarget"},
			// RFC 7644 §3.5.2.2: remove without a path is noTarget.
			{"remove without path", []map[string]any{{"op": "remove"}}, http.StatusBadRequest, "noTarget"},
			{"unknown attribute", []map[string]any{{"op": "replace", "path": "noSuchAttribute", "value": "x"}}, http.StatusBadRequest, "invalidPath"},
			{"malformed path", []map[string]any{{"op": "replace", "path": `emails[type eq`, "value": "x"}}, http.StatusBadRequest, "invalidPath"},
			// RFC 7643 §2.2: readOnly attributes cannot be modified.
			{"replace id", []map[string]any{{"op": "replace", "path": "id", "value": "other"}}, http.StatusBadRequest, "mutability"},
			{"replace groups", []map[string]any{{"op": "replace", "path": "groups", "value": []any{map[string]any{"value": "g"}}}}, http.StatusBadRequest, "mutability"},
			{"add groups", []map[string]any{{"op": "add", "path": "groups", "value": []any{map[string]any{"value": "g"}}}}, http.StatusBadRequest, "mutability"},
			{"wrong type", []map[string]any{{"op": "replace", "path": "active", "value": "maybe"}}, http.StatusBadRequest, "invalidValue"},
			{"unknown op", []map[string]any{{"op": "frobnicate", "path": "title", "value": "x"}}, http.StatusBadRequest, ""},
			{"required removed", []map[string]any{{"op": "remove", "path": "userName"}}, http.StatusBadRequest, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := d.get(t, path)
				wantError(t, d.do(t, http.MethodPatch, path, patchOp(c.ops...)), c.status, c.scimType)
				after := d.get(t, path)
				if diff := cmp.Diff(before.Body, after.Body); diff != "" {
					t.Errorf("a failed PATCH changed the user (-before +after):\n%s", diff)
				}
			})
		}
		wantError(t, d.do(t, http.MethodPatch, path, map[string]any{"schemas": []string{patchOpURN}, "Operations": []any{}}), http.StatusBadRequest, "")
		wantError(t, d.do(t, http.MethodPatch, path, map[string]any{"Operations": []any{map[string]any{"op": "add", "path": "title", "value": "x"}}}), http.StatusBadRequest, "")
		wantError(t, d.do(t, http.MethodPatch, "/Users/00000000-0000-4000-8000-000000000000", patchOp(map[string]any{"op": "add", "path": "title", "value": "x"})), http.StatusNotFound, "")
	})

	t.Run("atomicity", func(t *testing.T) {
		// RFC 7644 §3.5.2: if one operation fails, no change is applied.
		before := d.get(t, path)
		wantStatus(t, before, http.StatusOK)
		r := d.do(t, http.MethodPatch, path, patchOp(
			map[string]any{"op": "replace", "path": "displayName", "value": "Half Applied"},
			map[string]any{"op": "add", "path": "nickName", "value": "half"},
			map[string]any{"op": "replace", "path": "id", "value": "stolen"},
		))
		wantError(t, r, http.StatusBadRequest, "mutability")
		after := d.get(t, path)
		wantStatus(t, after, http.StatusOK)
		if diff := cmp.Diff(before.Body, after.Body); diff != "" {
			t.Errorf("failed PATCH was partly applied (-before +after):\n%s", diff)
		}
		if before.Header.Get("ETag") != after.Header.Get("ETag") {
			t.Errorf("ETag changed from %q to %q", before.Header.Get("ETag"), after.Header.Get("ETag"))
		}
	})

	t.Run("password", func(t *testing.T) {
		b := patched(t, map[string]any{"op": "replace", "path": "password", "value": "N3w-Passw0rd!"})
		if _, ok := b["password"]; ok {
			t.Errorf("password returned after PATCH (RFC 7643 §4.1.1: returned never)")
		}
	})
}
