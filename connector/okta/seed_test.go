package okta_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/connectortest"
	"github.com/scimconnect/scimconnect/connector/okta"
	"github.com/scimconnect/scimconnect/connector/okta/oktasim"
	"github.com/scimconnect/scimconnect/scim"
)

// The tests in this file check the seed's Okta page line by line through
// the SCIM surface, looking at the simulated org for what reached Okta.

const ent = scim.EnterpriseUserSchema + ":"

// seedUser is a user with a value for every writable row of the seed's
// user mapping.
func seedUser() map[string]any {
	return map[string]any{
		"schemas":     []string{scim.UserSchema, scim.EnterpriseUserSchema},
		"userName":    "ada@example.com",
		"displayName": "Ada L",
		"nickName":    "adi",
		"name": map[string]any{"givenName": "Ada", "familyName": "Lovelace", "middleName": "King",
			"honorificPrefix": "Lady", "honorificSuffix": "II"},
		"addresses": []any{map[string]any{"type": "work", "streetAddress": "1 Main St", "locality": "London",
			"region": "LDN", "postalCode": "N1", "country": "GB"}},
		"emails":            []any{map[string]any{"type": "work", "value": "ada.work@example.com", "primary": true}},
		"phoneNumbers":      []any{map[string]any{"type": "work", "value": "+44 1234"}},
		"userType":          "Employee",
		"title":             "Countess",
		"preferredLanguage": "en-GB",
		"locale":            "en_GB",
		"timezone":          "Europe/London",
		scim.EnterpriseUserSchema: map[string]any{"employeeNumber": "42", "division": "Div", "department": "Math",
			"costCenter": "CC1", "organization": "Org", "manager": map[string]any{"value": "00u000000000000000ab"}},
	}
}

// readPath reads a SCIM path of a resource: "name.givenName",
// "addresses.locality" (first element), ent+"manager.value".
func readPath(res map[string]any, path string) any {
	var cur any = res
	if rest, ok := strings.CutPrefix(path, ent); ok {
		cur, path = res[scim.EnterpriseUserSchema], rest
	}
	for _, part := range strings.Split(path, ".") {
		if arr, ok := cur.([]any); ok && len(arr) > 0 {
			cur = arr[0]
		}
		m, _ := cur.(map[string]any)
		cur = m[part]
	}
	return cur
}

func userProfile(t *testing.T, sim *oktasim.Server, id string) map[string]any {
	t.Helper()
	u, ok := sim.User(id)
	if !ok {
		t.Fatalf("user %s not in Okta", id)
	}
	return u.Profile
}

// TestSeedUserMappingRows writes every writable row of the seed's Okta
// user mapping ("SCIM parameter | Okta parameter"), on create and again
// with PATCH, and checks that the value reached the Okta field of the row,
// reads back over SCIM and is found by a filter on the SCIM attribute.
func TestSeedUserMappingRows(t *testing.T) {
	sim := oktasim.New()
	s := startOktaSim(t, sim, connector.Env{})
	code, created := s.Do(t, "POST", "/Users", seedUser())
	if code != 201 {
		t.Fatalf("create: %d %v", code, created)
	}
	id := created["id"].(string)
	for _, row := range []struct {
		patch, read string // PATCH path; path read back and filtered on
		field       string // Okta profile field
		first, next string // value on create, value after PATCH
	}{
		{"userName", "userName", "login", "ada@example.com", "ada.l@example.com"},
		{"displayName", "displayName", "displayName", "Ada L", "Ada K"},
		{"nickName", "nickName", "nickName", "adi", "ad"},
		{"name.givenName", "name.givenName", "firstName", "Ada", "Augusta"},
		{"name.familyName", "name.familyName", "lastName", "Lovelace", "King"},
		{"name.middleName", "name.middleName", "middleName", "King", "Ada"},
		{"name.honorificPrefix", "name.honorificPrefix", "honorificPrefix", "Lady", "Countess"},
		{"name.honorificSuffix", "name.honorificSuffix", "honorificSuffix", "II", "III"},
		{`addresses[type eq "work"].streetAddress`, "addresses.streetAddress", "streetAddress", "1 Main St", "2 High St"},
		{`addresses[type eq "work"].locality`, "addresses.locality", "city", "London", "Ockham"},
		{`addresses[type eq "work"].region`, "addresses.region", "state", "LDN", "SRY"},
		{`addresses[type eq "work"].postalCode`, "addresses.postalCode", "zipCode", "N1", "GU23"},
		{`addresses[type eq "work"].country`, "addresses.country", "countryCode", "GB", "IE"},
		{`phoneNumbers[type eq "work"].value`, "phoneNumbers.value", "primaryPhone", "+44 1234", "+44 5678"},
		{"userType", "userType", "userType", "Employee", "Contractor"},
		{"title", "title", "title", "Countess", "Analyst"},
		{"preferredLanguage", "preferredLanguage", "preferredLanguage", "en-GB", "fr"},
		{"locale", "locale", "locale", "en_GB", "fr_FR"},
		{"timezone", "timezone", "timezone", "Europe/London", "Europe/Paris"},
		{ent + "employeeNumber", ent + "employeeNumber", "employeeNumber", "42", "43"},
		{ent + "division", ent + "division", "division", "Div", "Div2"},
		{ent + "department", ent + "department", "department", "Math", "Engines"},
		{ent + "costCenter", ent + "costCenter", "costCenter", "CC1", "CC2"},
		{ent + "organization", ent + "organization", "organization", "Org", "Org2"},
		{ent + "manager.value", ent + "manager.value", "managerId", "00u000000000000000ab", "00u000000000000000cd"},
		// Last: changing the email changes the login too (seed limitation).
		{`emails[type eq "work"].value`, "emails.value", "email", "ada.work@example.com", "augusta@example.com"},
	} {
		t.Run(row.field, func(t *testing.T) {
			if got := userProfile(t, sim, id)[row.field]; got != row.first {
				t.Errorf("after create: Okta %s = %v, want %q", row.field, got, row.first)
			}
			code, res := s.Do(t, "PATCH", "/Users/"+id, patchOp("replace", row.patch, row.next))
			if code != 200 {
				t.Fatalf("PATCH %s: %d %v", row.patch, code, res)
			}
			if got := userProfile(t, sim, id)[row.field]; got != row.next {
				t.Errorf("after PATCH: Okta %s = %v, want %q", row.field, got, row.next)
			}
			code, got := s.Do(t, "GET", "/Users/"+id, nil)
			if code != 200 {
				t.Fatalf("GET: %d %v", code, got)
			}
			if v := readPath(got, row.read); v != row.next {
				t.Errorf("read back %s = %v, want %q", row.read, v, row.next)
			}
			ids, _, _ := list(t, s, fmt.Sprintf("%s eq %q", row.read, row.next), "")
			if !slices.Contains(ids, id) {
				t.Errorf("filter %s eq %q does not find the user: %v", row.read, row.next, ids)
			}
		})
	}
	// Seed: "When you modify the email value, both the username and email
	// values get updated."
	if p := userProfile(t, sim, id); p["login"] != "augusta@example.com" {
		t.Errorf("after the email change, login = %v, want the new email", p["login"])
	}
}

// TestSeedUserReadOnlyRows checks the rows Okta fills: id, active (status),
// groups (on demand), manager.displayName (manager), meta.created and
// meta.lastModified.
func TestSeedUserReadOnlyRows(t *testing.T) {
	sim := oktasim.New()
	s := startOktaSim(t, sim, connector.Env{})
	u, err := sim.AddUser(oktasim.UserSeed{Profile: map[string]any{"login": "ro@example.com", "email": "ro@example.com",
		"firstName": "R", "lastName": "O", "managerId": "00u000000000000000ab", "manager": "Babbage"}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := sim.AddGroup(oktasim.GroupSeed{Profile: map[string]any{"name": "Engines"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.AddMember(g.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	code, got := s.Do(t, "GET", "/Users/"+u.ID, nil)
	if code != 200 {
		t.Fatalf("GET: %d %v", code, got)
	}
	for path, want := range map[string]any{
		"id":                        u.ID,
		"active":                    true,
		ent + "manager.displayName": "Babbage",
		"meta.created":              u.Created.Format("2006-01-02T15:04:05.999Z07:00"),
		"meta.lastModified":         u.LastUpdated.Format("2006-01-02T15:04:05.999Z07:00"),
	} {
		if v := readPath(got, path); v != want {
			t.Errorf("%s = %v, want %v", path, v, want)
		}
	}
	if _, ok := got["groups"]; ok {
		t.Errorf("groups returned without being asked for (seed: on demand): %v", got["groups"])
	}
	code, got = s.Do(t, "GET", "/Users/"+u.ID+"?attributes=groups", nil)
	if code != 200 {
		t.Fatalf("GET groups: %d %v", code, got)
	}
	found := false
	for _, e := range got["groups"].([]any) {
		el := e.(map[string]any)
		if el["value"] == g.ID && el["display"] == "Engines" {
			found = true
		}
	}
	if !found {
		t.Errorf("groups = %v, want the group %s displayed as Engines", got["groups"], g.ID)
	}
	// Extension.Manager.DisplayName is readOnly (RFC 7643 §4.3): a write
	// does not reach Okta's manager field.
	code, res := s.Do(t, "PATCH", "/Users/"+u.ID, patchOp("replace", ent+"manager", map[string]any{"value": "00u000000000000000ab", "displayName": "Other"}))
	if code != 200 {
		t.Fatalf("PATCH manager: %d %v", code, res)
	}
	if p := userProfile(t, sim, u.ID); p["manager"] != "Babbage" {
		t.Errorf("Okta manager = %v after a write of the readOnly manager.displayName", p["manager"])
	}
}

// TestSeedGroupMappingRows checks every row of the seed's Okta group
// mapping and the membership operations.
func TestSeedGroupMappingRows(t *testing.T) {
	sim := oktasim.New()
	s := startOktaSim(t, sim, connector.Env{})
	uid := createUser(t, s, "member@example.com")
	code, res := s.Do(t, "PATCH", "/Users/"+uid, patchOp("replace", "displayName", "Member One"))
	if code != 200 {
		t.Fatalf("PATCH: %d %v", code, res)
	}
	code, created := s.Do(t, "POST", "/Groups", map[string]any{
		"schemas": []string{scim.GroupSchema, okta.GroupExtension}, "displayName": "Engines",
		okta.GroupExtension: map[string]any{"description": "Analytical"},
		"members":           []any{map[string]any{"value": uid}},
	})
	if code != 201 {
		t.Fatalf("create group: %d %v", code, created)
	}
	gid := created["id"].(string)
	g, ok := sim.Group(gid)
	if !ok {
		t.Fatalf("group %s not in Okta", gid)
	}
	if g.Profile["name"] != "Engines" || g.Profile["description"] != "Analytical" || !reflect.DeepEqual(g.MemberIDs, []string{uid}) {
		t.Errorf("Okta group = %+v, want name Engines, description Analytical, member %s", g, uid)
	}
	code, got := s.Do(t, "GET", "/Groups/"+gid, nil)
	if code != 200 {
		t.Fatalf("GET group: %d %v", code, got)
	}
	want := map[string]any{
		"id": gid, "displayName": "Engines",
		"meta.created":      g.Created.Format("2006-01-02T15:04:05.999Z07:00"),
		"meta.lastModified": g.LastUpdated.Format("2006-01-02T15:04:05.999Z07:00"),
		"members.value":     uid, "members.display": "Member One",
	}
	for path, w := range want {
		if v := readPath(got, path); v != w {
			t.Errorf("%s = %v, want %v", path, v, w)
		}
	}
	if ext, _ := got[okta.GroupExtension].(map[string]any); ext["description"] != "Analytical" {
		t.Errorf("description = %v", got[okta.GroupExtension])
	}
	for _, f := range []string{`displayName eq "Engines"`, okta.GroupExtension + `:description eq "Analytical"`} {
		code, page := s.Do(t, "GET", "/Groups?filter="+url.QueryEscape(f), nil)
		if code != 200 || page["totalResults"] != float64(1) {
			t.Errorf("filter %s: %d %v, want the group", f, code, page)
		}
	}
	// Delete Membership, then Add Membership.
	code, res = s.Do(t, "PATCH", "/Groups/"+gid, patchOp("remove", `members[value eq "`+uid+`"]`, nil))
	if code != 200 {
		t.Fatalf("remove member: %d %v", code, res)
	}
	if g, _ := sim.Group(gid); len(g.MemberIDs) != 0 {
		t.Errorf("members after removal: %v", g.MemberIDs)
	}
	code, res = s.Do(t, "PATCH", "/Groups/"+gid, patchOp("add", "members", []any{map[string]any{"value": uid}}))
	if code != 200 {
		t.Fatalf("add member: %d %v", code, res)
	}
	if g, _ := sim.Group(gid); !reflect.DeepEqual(g.MemberIDs, []string{uid}) {
		t.Errorf("members after adding: %v", g.MemberIDs)
	}
	// Update Group (PUT) replaces the profile.
	code, res = s.Do(t, "PUT", "/Groups/"+gid, map[string]any{"schemas": []string{scim.GroupSchema}, "displayName": "Engines 2",
		"members": []any{map[string]any{"value": uid}}})
	if code != 200 {
		t.Fatalf("PUT group: %d %v", code, res)
	}
	if g, _ := sim.Group(gid); g.Profile["name"] != "Engines 2" || g.Profile["description"] != nil {
		t.Errorf("Okta profile after PUT: %v, want name Engines 2 and no description", g.Profile)
	}
}

func patchOp(op, path string, value any) map[string]any {
	o := map[string]any{"op": op}
	if path != "" {
		o["path"] = path
	}
	if value != nil {
		o["value"] = value
	}
	return map[string]any{"schemas": []string{scim.PatchOpSchema}, "Operations": []any{o}}
}

// customEnv declares one custom attribute of every type the Okta
// connector accepts, and a string attribute holding several values.
const customSpec = "badge|string;flag|boolean;level|integer;score|decimal;tags|string;"

func startCustom(t *testing.T) (*connectortest.Server, *oktasim.Server) {
	t.Helper()
	sim := oktasim.New(oktasim.WithUserProfileAttributes("badge", "flag", "level", "score", "tags"))
	return startOktaSim(t, sim, connector.Env{CustomAttributes: customSpec}), sim
}

// TestCustomAttributes checks the platform's custom attributes on an Okta
// instance: /Schemas describes them as the seeds say (Enterprise User
// extension, readWrite, returned default, caseExact false, required
// false, single-valued, uniqueness none), each type round trips through
// Okta's profile.<name>, a multi-valued one reads as "[a;; b]" and is
// written as an Okta array.
func TestCustomAttributes(t *testing.T) {
	s, sim := startCustom(t)
	types := map[string]string{"badge": "string", "flag": "boolean", "level": "integer", "score": "decimal", "tags": "string"}
	for name, typ := range types {
		a := attrNamed(schemaAttrs(t, s, scim.EnterpriseUserSchema), name)
		want := map[string]any{"type": typ, "multiValued": false, "mutability": "readWrite", "returned": "default",
			"caseExact": false, "required": false, "uniqueness": "none"}
		for k, v := range want {
			if a == nil || a[k] != v {
				t.Errorf("/Schemas %s: %v, want %s %v", name, a, k, v)
			}
		}
	}
	u := connectortest.DefaultUser(1)
	u["schemas"] = []string{scim.UserSchema, scim.EnterpriseUserSchema}
	u[scim.EnterpriseUserSchema] = map[string]any{"badge": "B-1", "flag": true, "level": 3, "score": 2.5, "tags": "[red;; green]"}
	code, created := s.Do(t, "POST", "/Users", u)
	if code != 201 {
		t.Fatalf("create: %d %v", code, created)
	}
	id := created["id"].(string)
	// Okta's profile as the simulator keeps it: numbers exact, as JSON
	// numbers (never strings), arrays for the multi-valued format.
	check := func(when string, scimWant map[string]any, oktaWant map[string]any) {
		t.Helper()
		p := userProfile(t, sim, id)
		for k, v := range oktaWant {
			if !reflect.DeepEqual(p[k], v) {
				t.Errorf("%s: Okta profile.%s = %#v, want %#v", when, k, p[k], v)
			}
		}
		code, got := s.Do(t, "GET", "/Users/"+id, nil)
		if code != 200 {
			t.Fatalf("%s: GET %d %v", when, code, got)
		}
		ext, _ := got[scim.EnterpriseUserSchema].(map[string]any)
		for k, v := range scimWant {
			if !reflect.DeepEqual(ext[k], v) {
				t.Errorf("%s: read back %s = %#v, want %#v", when, k, ext[k], v)
			}
		}
	}
	check("create",
		map[string]any{"badge": "B-1", "flag": true, "level": float64(3), "score": 2.5, "tags": "[red;; green]"},
		map[string]any{"badge": "B-1", "flag": true, "level": json.Number("3"), "score": json.Number("2.5"), "tags": []any{"red", "green"}})
	code, res := s.Do(t, "PATCH", "/Users/"+id, patchOp("replace", "", map[string]any{
		scim.EnterpriseUserSchema: map[string]any{"badge": "B-2", "flag": false, "level": 4, "score": 0.5, "tags": "[blue]"}}))
	if code != 200 {
		t.Fatalf("PATCH: %d %v", code, res)
	}
	check("patch",
		map[string]any{"badge": "B-2", "flag": false, "level": float64(4), "score": 0.5, "tags": "[blue]"},
		map[string]any{"badge": "B-2", "flag": false, "level": json.Number("4"), "score": json.Number("0.5"), "tags": []any{"blue"}})
	// An array an Okta administrator set reads in the multi-valued format.
	seeded, err := sim.AddUser(oktasim.UserSeed{Profile: map[string]any{"login": "arr@example.com", "email": "arr@example.com",
		"firstName": "A", "lastName": "R", "tags": []any{"x", "y;z"}}})
	if err != nil {
		t.Fatal(err)
	}
	code, got := s.Do(t, "GET", "/Users/"+seeded.ID, nil)
	if ext, _ := got[scim.EnterpriseUserSchema].(map[string]any); code != 200 || ext["tags"] != `[x;; y\;z]` {
		t.Errorf("array read as %v (%d), want [x;; y\\;z]", got[scim.EnterpriseUserSchema], code)
	}
}

// TestCustomAttributeFilters filters on custom attributes: a filter
// compares the SCIM value, so a multi-valued attribute is found by its
// "[a;; b]" form and not by one of its elements.
func TestCustomAttributeFilters(t *testing.T) {
	s, _ := startCustom(t)
	u := connectortest.DefaultUser(1)
	u["schemas"] = []string{scim.UserSchema, scim.EnterpriseUserSchema}
	u[scim.EnterpriseUserSchema] = map[string]any{"badge": "B-1", "flag": true, "level": 3, "tags": "[red;; green]"}
	code, created := s.Do(t, "POST", "/Users", u)
	if code != 201 {
		t.Fatalf("create: %d %v", code, created)
	}
	id := created["id"].(string)
	other := connectortest.DefaultUser(2)
	other["schemas"] = []string{scim.UserSchema, scim.EnterpriseUserSchema}
	other[scim.EnterpriseUserSchema] = map[string]any{"tags": "red"}
	if code, res := s.Do(t, "POST", "/Users", other); code != 201 {
		t.Fatalf("create other: %d %v", code, res)
	}
	for _, tc := range []struct {
		filter string
		found  bool
	}{
		{ent + `badge eq "b-1"`, true},
		{ent + `flag eq true`, true},
		{ent + `level eq 3`, true},
		{ent + `tags eq "[red;; green]"`, true},
		{ent + `tags eq "red"`, false},
		{ent + `tags sw "red"`, false},
		{ent + `tags sw "[red"`, true},
		{ent + `tags pr`, true},
	} {
		ids, _, _ := list(t, s, tc.filter, "")
		if slices.Contains(ids, id) != tc.found {
			t.Errorf("filter %s: ids %v, want the user found: %v", tc.filter, ids, tc.found)
		}
	}
}

// TestDisabledAttributes checks the platform's disabled attributes on an
// Okta instance: gone from /Schemas, never returned even when Okta holds
// them, and accepted but ignored in every kind of write (POST, PUT, PATCH
// with and without a path, Bulk), so Okta's value is never touched.
func TestDisabledAttributes(t *testing.T) {
	sim := oktasim.New()
	disabled := []string{"nickName", "title", ent + "costCenter", "name.middleName"}
	s := startOktaSim(t, sim, connector.Env{DisabledAttributes: disabled})
	user := schemaAttrs(t, s, scim.UserSchema)
	for _, gone := range []string{"nickName", "title"} {
		if attrNamed(user, gone) != nil {
			t.Errorf("/Schemas describes the disabled %s", gone)
		}
	}
	if attrNamed(subsOf(attrNamed(user, "name")), "middleName") != nil {
		t.Error("/Schemas describes the disabled name.middleName")
	}
	if attrNamed(schemaAttrs(t, s, scim.EnterpriseUserSchema), "costCenter") != nil {
		t.Error("/Schemas describes the disabled costCenter")
	}
	// Okta holds values for all of them.
	held := map[string]any{"nickName": "adi", "title": "Countess", "costCenter": "CC9", "middleName": "King"}
	profile := map[string]any{"login": "dis@example.com", "email": "dis@example.com", "firstName": "D", "lastName": "S"}
	for k, v := range held {
		profile[k] = v
	}
	u, err := sim.AddUser(oktasim.UserSeed{Profile: profile})
	if err != nil {
		t.Fatal(err)
	}
	unchanged := func(when string) {
		t.Helper()
		p := userProfile(t, sim, u.ID)
		for k, v := range held {
			if p[k] != v {
				t.Errorf("%s: Okta %s = %v, want it untouched (%v)", when, k, p[k], v)
			}
		}
	}
	returned := func(when string, res map[string]any) {
		t.Helper()
		ext, _ := res[scim.EnterpriseUserSchema].(map[string]any)
		name, _ := res["name"].(map[string]any)
		if res["nickName"] != nil || res["title"] != nil || ext["costCenter"] != nil || name["middleName"] != nil {
			t.Errorf("%s: a disabled attribute is returned: %v", when, res)
		}
	}
	code, got := s.Do(t, "GET", "/Users/"+u.ID, nil)
	if code != 200 {
		t.Fatalf("GET: %d %v", code, got)
	}
	returned("GET", got)
	code, page := s.Do(t, "GET", "/Users?filter="+url.QueryEscape(`userName eq "dis@example.com"`), nil)
	if code != 200 || page["totalResults"] != float64(1) {
		t.Fatalf("list: %d %v", code, page)
	}
	returned("list", page["Resources"].([]any)[0].(map[string]any))

	for _, tc := range []struct {
		name string
		ops  []any
	}{
		{"with paths", []any{
			map[string]any{"op": "replace", "path": "nickName", "value": "x"},
			map[string]any{"op": "replace", "path": "name.middleName", "value": "x"},
			map[string]any{"op": "add", "path": ent + "costCenter", "value": "x"},
			map[string]any{"op": "remove", "path": "title"},
		}},
		{"without path", []any{map[string]any{"op": "replace", "value": map[string]any{
			"title": "x", "name": map[string]any{"middleName": "x"},
			scim.EnterpriseUserSchema: map[string]any{"costCenter": "x"},
		}}}},
		// Attribute paths as keys of a path-less value (RFC 7644
		// §3.5.2.3), as Entra sends them.
		{"without path, attribute paths as keys", []any{map[string]any{"op": "replace", "value": map[string]any{
			"name.middleName": "x", "name.givenName": "Dee", "urn:ietf:params:scim:schemas:core:2.0:User:nickName": "x",
			scim.UserSchema + ":name.middleName": "y", ent + "costCenter": "x",
		}}}},
	} {
		t.Run("PATCH "+tc.name, func(t *testing.T) {
			code, res := s.Do(t, "PATCH", "/Users/"+u.ID, map[string]any{"schemas": []string{scim.PatchOpSchema}, "Operations": tc.ops})
			if code != 200 {
				t.Fatalf("PATCH: %d %v, want 200 with the disabled attributes ignored", code, res)
			}
			returned("PATCH", res)
			unchanged("PATCH")
		})
	}
	if p := userProfile(t, sim, u.ID); p["firstName"] != "Dee" {
		t.Errorf("the enabled attribute of the PATCH was not written: firstName = %v", p["firstName"])
	}
	body := seedUser()
	body["userName"] = "dis@example.com"
	code, res := s.Do(t, "PUT", "/Users/"+u.ID, body)
	if code != 200 {
		t.Fatalf("PUT: %d %v", code, res)
	}
	returned("PUT", res)
	unchanged("PUT")

	body["userName"] = "dis2@example.com"
	code, res = s.Do(t, "POST", "/Users", body)
	if code != 201 {
		t.Fatalf("POST: %d %v", code, res)
	}
	returned("POST", res)
	p := userProfile(t, sim, res["id"].(string))
	for k := range held {
		if _, ok := p[k]; ok {
			t.Errorf("POST wrote the disabled %s to Okta: %v", k, p[k])
		}
	}

	body["userName"] = "dis3@example.com"
	body["name"].(map[string]any)["formatted"] = "Ada King" // not mapped: disabled the same way
	put := map[string]any{"schemas": []string{scim.UserSchema, scim.EnterpriseUserSchema}, "userName": userProfile(t, sim, u.ID)["login"],
		"name": map[string]any{"givenName": "D", "familyName": "S", "middleName": "x", "formatted": "D S"}, "nickName": "x", "title": "x",
		scim.EnterpriseUserSchema: map[string]any{"costCenter": "x"}}
	code, res = s.Do(t, "POST", "/Bulk", map[string]any{"schemas": []string{scim.BulkRequestSchema}, "Operations": []any{
		map[string]any{"method": "POST", "path": "/Users", "bulkId": "u1", "data": body},
		map[string]any{"method": "PUT", "path": "/Users/" + u.ID, "data": put},
	}})
	if code != 200 {
		t.Fatalf("Bulk: %d %v", code, res)
	}
	for i, op := range res["Operations"].([]any) {
		if st := op.(map[string]any)["status"]; st != "201" && st != "200" {
			t.Errorf("Bulk operation %d: %v, want the disabled attributes ignored", i+1, op)
		}
	}
	unchanged("Bulk PUT")
}

// TestActiveFalseFindsDeactivated: a filter on active=false finds the
// users Okta holds as DEPROVISIONED (deactivated through SCIM, or deleted
// once), as filters on other attributes do (Okta's search includes them);
// only a plain listing leaves them out, as Okta's does.
func TestActiveFalseFindsDeactivated(t *testing.T) {
	sim := oktasim.New()
	s := startOktaSim(t, sim, connector.Env{})
	// Created without a password: PROVISIONED, so active=false deactivates.
	deact := createUser(t, s, "deact@example.com")
	if code, res := s.Do(t, "PATCH", "/Users/"+deact, patchOp("replace", "active", false)); code != 200 {
		t.Fatalf("deactivate: %d %v", code, res)
	}
	deleted := createUser(t, s, "deleted@example.com")
	if code, res := s.Do(t, "DELETE", "/Users/"+deleted, nil); code != 204 {
		t.Fatalf("delete: %d %v", code, res)
	}
	staged := s2create(t, s, "staged@example.com", false)
	active := createUser(t, s, "active@example.com")
	for id, want := range map[string]string{deact: "DEPROVISIONED", deleted: "DEPROVISIONED", staged: "STAGED"} {
		if u, _ := sim.User(id); u.Status != want {
			t.Fatalf("user %s is %s in Okta, want %s", id, u.Status, want)
		}
	}
	for _, f := range []string{`active eq false`, `active eq false and name.familyName eq "Lovelace"`} {
		ids, total, _ := list(t, s, f, "")
		slices.Sort(ids)
		want := []string{deact, deleted, staged}
		slices.Sort(want)
		if !slices.Equal(ids, want) || total != 3 {
			t.Errorf("filter %s: %v (total %d), want %v", f, ids, total, want)
		}
	}
	if ids, _, _ := list(t, s, `active eq true`, ""); !slices.Equal(ids, []string{active}) {
		t.Errorf("active eq true: %v, want %v", ids, []string{active})
	}
}

func s2create(t *testing.T, s *connectortest.Server, userName string, active bool) string {
	t.Helper()
	code, res := s.Do(t, "POST", "/Users", map[string]any{
		"schemas": []string{scim.UserSchema}, "userName": userName, "active": active,
		"name": map[string]any{"givenName": "Ada", "familyName": "Lovelace"},
	})
	if code != 201 {
		t.Fatalf("create %s: %d %v", userName, code, res)
	}
	return res["id"].(string)
}

// TestDisableWhatOktaNeeds: an Okta instance refuses to disable a
// mandatory field (every create would then fail for want of it), and
// disables the User's displayName while the Group's, which Okta requires,
// stays.
func TestDisableWhatOktaNeeds(t *testing.T) {
	for _, p := range []string{"name.givenName", "name.familyName", "name"} {
		_, err := okta.Type.Open(t.Context(), connector.Env{DisabledAttributes: []string{p}},
			[]byte(`{"token":"x","target_url":"https://example.okta.com"}`))
		if err == nil || !strings.Contains(err.Error(), "cannot be disabled") {
			t.Errorf("disabling %s: %v, want a configuration error", p, err)
		}
	}
	s := startOktaSim(t, oktasim.New(), connector.Env{DisabledAttributes: []string{"displayName"}})
	if attrNamed(schemaAttrs(t, s, scim.UserSchema), "displayName") != nil {
		t.Error("User displayName still described")
	}
	if a := attrNamed(schemaAttrs(t, s, scim.GroupSchema), "displayName"); a == nil || a["required"] != true {
		t.Errorf("Group displayName: %v, want it described, required", a)
	}
	u := connectortest.DefaultUser(1)
	u["displayName"] = "Ignored"
	if code, res := s.Do(t, "POST", "/Users", u); code != 201 || res["displayName"] != nil {
		t.Errorf("create with the disabled displayName: %d %v", code, res)
	}
	if code, res := s.Do(t, "POST", "/Groups", map[string]any{"schemas": []string{scim.GroupSchema}, "displayName": "Kept"}); code != 201 || res["displayName"] != "Kept" {
		t.Errorf("create group: %d %v", code, res)
	}
}
