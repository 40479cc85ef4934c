package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// entraGroupSchema is the schema URI Microsoft's SCIM tutorial lists in
// its Create Group request besides the core Group schema.
const entraGroupSchema = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"

// TestEntra replays, against both demo instances (the local directory and
// the Okta connector over its simulator), the requests Microsoft Entra ID
// sends: the examples of Microsoft's tutorial "Develop and plan
// provisioning for a SCIM endpoint", the PATCH forms with and without the
// aadOptscim062020 flag ("Known issues and resolutions with SCIM 2.0
// protocol compliance"), the reference checks (`id eq … and manager eq …`,
// `id eq … and members eq …`) and the SCIM Validator's manager and null
// update tests. Only attributes both instances store are checked; the
// Okta connector's /Schemas says which.
func TestEntra(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	for _, name := range []string{"local", "okta"} {
		t.Run(name, func(t *testing.T) { entraFlows(t, d.instance(t, name)) })
	}
}

func entraFlows(t *testing.T, d *demo) {
	// count runs a filter and returns totalResults.
	count := func(t *testing.T, path, filter string, kv ...string) int {
		t.Helper()
		return num(t, d.listAll(t, path, append([]string{"filter", filter}, kv...)...), "totalResults")
	}
	patched := func(t *testing.T, path string, ops ...map[string]any) {
		t.Helper()
		r := d.do(t, http.MethodPatch, path, patchOp(ops...))
		if r.Status != http.StatusNoContent {
			wantStatus(t, r, http.StatusOK)
		}
	}
	get := func(t *testing.T, path string) map[string]any {
		t.Helper()
		r := d.get(t, path)
		wantStatus(t, r, http.StatusOK)
		return r.Body
	}
	typed := func(u map[string]any, attr, typ string) map[string]any {
		for _, v := range list(u, attr) {
			if str(v, "type") == typ {
				return v
			}
		}
		return nil
	}
	manager := func(u map[string]any) string { return str(obj(u, enterpriseURN, "manager"), "value") }

	// Create User, as in the tutorial.
	userName := "Test_User_ab6490ee@testuser.com"
	u := d.createUser(t, map[string]any{
		"schemas":    []string{userURN, enterpriseURN},
		"externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
		"userName":   userName,
		"active":     true,
		"emails":     []any{map[string]any{"primary": true, "type": "work", "value": userName}},
		"meta":       map[string]any{"resourceType": "User"},
		"name":       map[string]any{"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
		"roles":      []any{},
	})
	id, userPath := str(u, "id"), "/Users/"+str(u, "id")
	if str(u, "userName") != userName || str(u, "externalId") != "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef" {
		t.Errorf("created user = %v, want userName and externalId as sent", u)
	}
	boss := str(d.createUser(t, map[string]any{"userName": "boss@testuser.com", "name": map[string]any{"givenName": "Big", "familyName": "Boss"}}), "id")

	t.Run("queries", func(t *testing.T) {
		for _, c := range []struct {
			filter string
			want   int
		}{
			{`userName eq "` + userName + `"`, 1},
			{`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`, 1},
			// The matching attribute named as in Entra's mappings.
			{`emails[type eq "work"].value eq "` + userName + `"`, 1},
			{`emails[type eq "work"].value eq "someone.else@testuser.com"`, 0},
			{`userName eq "non-existent user"`, 0},
		} {
			if got := count(t, "/Users", c.filter); got != c.want {
				t.Errorf("filter %s: totalResults %d, want %d", c.filter, got, c.want)
			}
		}
	})

	t.Run("update", func(t *testing.T) {
		// Tutorial: Update User [Multi-valued properties].
		patched(t, userPath,
			map[string]any{"op": "Replace", "path": `emails[type eq "work"].value`, "value": "updatedEmail@microsoft.com"},
			map[string]any{"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"})
		b := get(t, userPath)
		if str(typed(b, "emails", "work"), "value") != "updatedEmail@microsoft.com" || str(obj(b, "name"), "familyName") != "updatedFamilyName" {
			t.Errorf("after the tutorial's update: emails %v name %v", b["emails"], b["name"])
		}
		// Known issues: replacing several attributes without the flag,
		// externalId included, and with it.
		patched(t, userPath,
			map[string]any{"op": "Replace", "path": "displayName", "value": "Pvlo"},
			map[string]any{"op": "Replace", "path": "name.givenName", "value": "Gtfd"},
			map[string]any{"op": "Replace", "path": "externalId", "value": "Eqpj"},
			map[string]any{"op": "Replace", "path": enterpriseURN + ":employeeNumber", "value": "Eqpj"})
		if got := count(t, "/Users", `externalId eq "Eqpj"`); got != 1 {
			t.Errorf("filter on the replaced externalId: totalResults %d, want 1", got)
		}
		patched(t, userPath,
			map[string]any{"op": "replace", "path": `emails[type eq "work"].value`, "value": "TestMhvaes@test.microsoft.com"},
			map[string]any{"op": "replace", "value": map[string]any{
				"displayName": "Bjfe", "name.givenName": "Kkom", "name.familyName": "Unua", enterpriseURN + ":employeeNumber": "Aklq"}})
		b = get(t, userPath)
		if str(b, "displayName") != "Bjfe" || str(obj(b, "name"), "givenName") != "Kkom" || str(obj(b, enterpriseURN), "employeeNumber") != "Aklq" {
			t.Errorf("after the flagged replace: %v", b)
		}
		// Entra picks Replace or Add from its own records: a Replace of a
		// typed value the user does not have yet must create it.
		patched(t, userPath, map[string]any{"op": "Replace", "path": `phoneNumbers[type eq "work"].value`, "value": "+1 425 555 0100"})
		if got := str(typed(get(t, userPath), "phoneNumbers", "work"), "value"); got != "+1 425 555 0100" {
			t.Errorf("work phone after Replace on a user without one = %q", got)
		}
	})

	t.Run("manager", func(t *testing.T) {
		// SCIM Validator: set (Add), check, remove (replace with "").
		patched(t, userPath, map[string]any{"op": "Add", "path": enterpriseURN + ":manager", "value": boss})
		if got := manager(get(t, userPath)); got != boss {
			t.Errorf("manager.value = %q, want %q", got, boss)
		}
		// Entra's reference check, values unquoted as in the tutorial.
		if got := count(t, "/Users", fmt.Sprintf("id eq %s and manager eq %s", id, boss), "attributes", "id"); got != 1 {
			t.Errorf("id eq … and manager eq …: totalResults %d, want 1", got)
		}
		patched(t, userPath, map[string]any{"op": "replace", "path": enterpriseURN + ":manager", "value": ""})
		if got := obj(get(t, userPath), enterpriseURN, "manager"); got != nil {
			t.Errorf("manager after replace with \"\" = %v, want none", got)
		}
	})

	t.Run("null update", func(t *testing.T) {
		// SCIM Validator: every mapped optional attribute cleared with ""
		// and then null, typed values the user never had included.
		paths := []string{"title", "displayName", `phoneNumbers[type eq "work"].value`, `phoneNumbers[type eq "fax"].value`,
			`addresses[type eq "home"].streetAddress`, enterpriseURN + ":department"}
		for _, v := range []any{"", nil} {
			var ops []map[string]any
			for _, p := range paths {
				ops = append(ops, map[string]any{"op": "replace", "path": p, "value": v})
			}
			patched(t, userPath, ops...)
			b := get(t, userPath)
			if str(b, "title") != "" || str(b, "displayName") != "" || str(typed(b, "phoneNumbers", "work"), "value") != "" || str(obj(b, enterpriseURN), "department") != "" {
				t.Errorf("after clearing with %#v: %v", v, b)
			}
		}
	})

	t.Run("disable", func(t *testing.T) {
		patched(t, userPath, map[string]any{"op": "Replace", "path": "active", "value": "False"})
		if b := get(t, userPath); b["active"] != false {
			t.Errorf("active = %#v after Replace \"False\"", b["active"])
		}
		patched(t, userPath, map[string]any{"op": "replace", "value": map[string]any{"active": true}})
		if b := get(t, userPath); b["active"] != true {
			t.Errorf("active = %#v after replace {active: true}", b["active"])
		}
	})

	t.Run("groups", func(t *testing.T) {
		// Tutorial: Create Group, with Microsoft's extra schema URI.
		r := d.do(t, http.MethodPost, "/Groups", map[string]any{
			"schemas":     []string{groupURN, entraGroupSchema},
			"externalId":  "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
			"displayName": "displayName",
			"meta":        map[string]any{"resourceType": "Group"},
		})
		wantStatus(t, r, http.StatusCreated)
		gid, groupPath := str(r.Body, "id"), "/Groups/"+str(r.Body, "id")
		if got := strs(r.Body["schemas"]); !slices.Equal(got, []string{groupURN}) || str(r.Body, "externalId") != "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159" {
			t.Errorf("created group = %v, want only the core schema and the externalId sent", r.Body)
		}
		if b := get(t, groupPath+"?excludedAttributes=members"); str(b, "displayName") != "displayName" || b["members"] != nil {
			t.Errorf("GET with excludedAttributes=members = %v", b)
		}
		if got := count(t, "/Groups", `displayName eq "displayName"`, "excludedAttributes", "members"); got != 1 {
			t.Errorf("group by displayName: totalResults %d, want 1", got)
		}
		patched(t, groupPath, map[string]any{"op": "Replace", "path": "displayName", "value": "1879db59updatedDisplayName"})
		patched(t, groupPath, map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"$ref": nil, "value": id}}})
		if got := memberValues(get(t, groupPath)); !slices.Equal(got, []string{id}) {
			t.Errorf("members = %v, want [%s]", got, id)
		}
		for filter, want := range map[string]int{
			fmt.Sprintf("id eq %s and members eq %s", gid, id):   1,
			fmt.Sprintf("id eq %s and members eq %s", gid, boss): 0,
		} {
			if got := count(t, "/Groups", filter, "excludedAttributes", "members"); got != want {
				t.Errorf("filter %s: totalResults %d, want %d", filter, got, want)
			}
		}
		// Removal without the flag, then with it.
		patched(t, groupPath, map[string]any{"op": "Remove", "path": "members", "value": []any{map[string]any{"value": id}}})
		if got := memberValues(get(t, groupPath)); len(got) != 0 {
			t.Errorf("members after Remove with a value = %v", got)
		}
		patched(t, groupPath, map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": id}, map[string]any{"value": boss}}})
		patched(t, groupPath, map[string]any{"op": "remove", "path": fmt.Sprintf("members[value eq %q]", boss)})
		if got := memberValues(get(t, groupPath)); !slices.Equal(got, []string{id}) {
			t.Errorf("members after remove members[value eq …] = %v, want [%s]", got, id)
		}
		wantStatus(t, d.do(t, http.MethodDelete, groupPath, nil), http.StatusNoContent)
		wantError(t, d.get(t, groupPath), http.StatusNotFound, "")
	})

	// Delete User. The Okta connector's first DELETE deactivates (its
	// documented soft delete), so only the status is common to both.
	wantStatus(t, d.do(t, http.MethodDelete, userPath, nil), http.StatusNoContent)
}
