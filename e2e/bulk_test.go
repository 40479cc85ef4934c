package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// bulkRequest builds a BulkRequest body (RFC 7644 §3.7).
func bulkRequest(failOnErrors int, ops ...map[string]any) map[string]any {
	b := map[string]any{"schemas": []string{bulkRequestURN}, "Operations": ops}
	if failOnErrors > 0 {
		b["failOnErrors"] = failOnErrors
	}
	return b
}

// TestBulk checks bulk requests, bulkId references, failOnErrors and the
// advertised limits (RFC 7644 §3.7).
func TestBulk(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	spc := d.get(t, "/ServiceProviderConfig")
	wantStatus(t, spc, http.StatusOK)
	maxOps := num(t, obj(spc.Body, "bulk"), "maxOperations")
	maxPayload := num(t, obj(spc.Body, "bulk"), "maxPayloadSize")

	checkCreated := func(t *testing.T, body map[string]any, order []string) map[string]string {
		t.Helper()
		if !slices.Contains(strs(body["schemas"]), bulkRespURN) {
			t.Errorf("schemas = %v, want %s", body["schemas"], bulkRespURN)
		}
		results := list(body, "Operations")
		if len(results) != len(order) {
			t.Fatalf("want %d results, got %v", len(order), body)
		}
		locations := map[string]string{}
		for _, res := range results {
			if str(res, "status") != "201" || str(res, "method") != "POST" {
				t.Errorf("result %v: want POST with status \"201\"", res)
			}
			loc := str(res, "location")
			if !strings.HasPrefix(loc, d.BaseURL+"/") || str(res, "version") == "" {
				t.Errorf("result %v: want an absolute location and a version", res)
			}
			locations[str(res, "bulkId")] = loc
		}
		for _, id := range order {
			if locations[id] == "" {
				t.Errorf("no result for bulkId %q in %v", id, body)
			}
		}
		return locations
	}
	// checkGroupHasUser GETs the group and user at the locations and checks
	// that the bulkId reference became the user's id.
	checkGroupHasUser := func(t *testing.T, groupLoc, userLoc string) {
		t.Helper()
		user := d.doURL(t, http.MethodGet, userLoc, nil, header{"Authorization", "Bearer " + d.Token})
		wantStatus(t, user, http.StatusOK)
		group := d.doURL(t, http.MethodGet, groupLoc, nil, header{"Authorization", "Bearer " + d.Token})
		wantStatus(t, group, http.StatusOK)
		if diff := cmp.Diff([]string{str(user.Body, "id")}, memberValues(group.Body)); diff != "" {
			t.Errorf("group members (-want +got):\n%s", diff)
		}
	}

	t.Run("bulkId reference", func(t *testing.T) {
		r := d.do(t, http.MethodPost, "/Bulk", bulkRequest(0,
			map[string]any{"method": "POST", "path": "/Users", "bulkId": "qwerty",
				"data": map[string]any{"schemas": []string{userURN}, "userName": "bulk.alice@example.com"}},
			map[string]any{"method": "POST", "path": "/Groups", "bulkId": "ytrewq",
				"data": map[string]any{"schemas": []string{groupURN}, "displayName": "Bulk Group",
					"members": []any{map[string]any{"type": "User", "value": "bulkId:qwerty"}}}},
		))
		wantStatus(t, r, http.StatusOK)
		locs := checkCreated(t, r.Body, []string{"qwerty", "ytrewq"})
		checkGroupHasUser(t, locs["ytrewq"], locs["qwerty"])
	})

	t.Run("forward reference", func(t *testing.T) {
		// RFC 7644 §3.7.2: bulkId references are resolved whatever the
		// order of the operations.
		r := d.do(t, http.MethodPost, "/Bulk", bulkRequest(0,
			map[string]any{"method": "POST", "path": "/Groups", "bulkId": "g2",
				"data": map[string]any{"schemas": []string{groupURN}, "displayName": "Forward Group",
					"members": []any{map[string]any{"type": "User", "value": "bulkId:u2"}}}},
			map[string]any{"method": "POST", "path": "/Users", "bulkId": "u2",
				"data": map[string]any{"schemas": []string{userURN}, "userName": "bulk.bob@example.com"}},
		))
		wantStatus(t, r, http.StatusOK)
		locs := checkCreated(t, r.Body, []string{"g2", "u2"})
		checkGroupHasUser(t, locs["g2"], locs["u2"])
	})

	t.Run("mixed methods", func(t *testing.T) {
		id := d.newUser(t, "bulk.carol@example.com")
		victim := d.newUser(t, "bulk.dave@example.com")
		r := d.do(t, http.MethodPost, "/Bulk", bulkRequest(0,
			map[string]any{"method": "PATCH", "path": "/Users/" + id, "data": patchOp(map[string]any{"op": "add", "path": "title", "value": "Bulked"})},
			map[string]any{"method": "DELETE", "path": "/Users/" + victim},
			map[string]any{"method": "DELETE", "path": "/Users/" + victim},
		))
		wantStatus(t, r, http.StatusOK)
		var statuses []string
		for _, res := range list(r.Body, "Operations") {
			statuses = append(statuses, str(res, "status"))
		}
		if diff := cmp.Diff([]string{"200", "204", "404"}, statuses); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		g := d.get(t, "/Users/"+id)
		wantStatus(t, g, http.StatusOK)
		if str(g.Body, "title") != "Bulked" {
			t.Errorf("bulk PATCH not applied: %s", g.Raw)
		}
	})

	t.Run("failOnErrors", func(t *testing.T) {
		// RFC 7644 §3.7.3: after failOnErrors errors the service provider
		// stops processing and returns the results so far.
		r := d.do(t, http.MethodPost, "/Bulk", bulkRequest(1,
			map[string]any{"method": "POST", "path": "/Users", "bulkId": "dup",
				"data": map[string]any{"schemas": []string{userURN}, "userName": "BULK.ALICE@example.com"}},
			map[string]any{"method": "POST", "path": "/Users", "bulkId": "never",
				"data": map[string]any{"schemas": []string{userURN}, "userName": "never.created@example.com"}},
		))
		wantStatus(t, r, http.StatusOK)
		results := list(r.Body, "Operations")
		if len(results) != 1 || str(results[0], "status") != "409" || str(results[0], "bulkId") != "dup" {
			t.Fatalf("want only the failed operation with status 409, got %s", r.Raw)
		}
		if resp := obj(results[0], "response"); str(resp, "scimType") != "uniqueness" {
			t.Errorf("failed operation's response = %v, want scimType uniqueness", resp)
		}
		b := d.listAll(t, "/Users", "filter", `userName eq "never.created@example.com"`)
		if n := num(t, b, "totalResults"); n != 0 {
			t.Errorf("operation after failOnErrors was run: %d users", n)
		}
	})

	t.Run("too many operations", func(t *testing.T) {
		ops := make([]map[string]any, maxOps+1)
		for i := range ops {
			ops[i] = map[string]any{"method": "DELETE", "path": fmt.Sprintf("/Users/none-%d", i)}
		}
		wantError(t, d.do(t, http.MethodPost, "/Bulk", bulkRequest(0, ops...)), http.StatusRequestEntityTooLarge, "")
	})

	t.Run("payload too large", func(t *testing.T) {
		big := bulkRequest(0, map[string]any{"method": "POST", "path": "/Users", "bulkId": "big",
			"data": map[string]any{"schemas": []string{userURN}, "userName": "big@example.com", "nickName": strings.Repeat("x", maxPayload)}})
		wantError(t, d.do(t, http.MethodPost, "/Bulk", big), http.StatusRequestEntityTooLarge, "")
		b := d.listAll(t, "/Users", "filter", `userName eq "big@example.com"`)
		if n := num(t, b, "totalResults"); n != 0 {
			t.Errorf("oversized bulk created %d users", n)
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		wantError(t, d.do(t, http.MethodPost, "/Bulk", map[string]any{"Operations": []any{}}), http.StatusBadRequest, "")
		wantError(t, d.do(t, http.MethodPost, "/Bulk", `{"schemas":[`), http.StatusBadRequest, "invalidSyntax")
	})
}
