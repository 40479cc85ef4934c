package okta

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/connector/bridge"
	"github.com/scimconnect/scimconnect/connector/httpx"
	"github.com/scimconnect/scimconnect/connector/mapping"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/filter"
)

func TestPush(t *testing.T) {
	m, err := userTable.Compile(mapping.Options{ResourceType: userType()})
	if err != nil {
		t.Fatal(err)
	}
	u := &users{}
	for _, tc := range []struct {
		filter, native string
		exact          bool
	}{
		{`userName eq "ada@example.com"`, `profile.login eq "ada@example.com"`, true},
		{`userName eq "a\" or id pr or \"b"`, `profile.login eq "a\" or id pr or \"b"`, true},
		{`userName eq "back\\slash"`, `profile.login eq "back\\slash"`, true},
		{`name.familyName sw "Lo" and title eq "CEO"`, `(profile.lastName sw "Lo") and (profile.title eq "CEO")`, true},
		{`emails.value co "@example"`, `profile.email co "@example"`, true},
		{`emails[type eq "work" and value eq "ada@example.com"]`, `profile.email eq "ada@example.com"`, false},
		{`emails[type eq "work"].value eq "ada@example.com"`, `profile.email eq "ada@example.com"`, false},
		{`emails[value sw "ada"] and title eq "CEO"`, `(profile.email sw "ada") and (profile.title eq "CEO")`, false},
		{`emails[type eq "work" or value eq "ada@example.com"]`, "", false},
		{`phoneNumbers[type eq "work"]`, "", false},
		{`title co "x"`, "", false},
		{`userName eq "a@x.io" and not (title eq "x")`, `profile.login eq "a@x.io"`, false},
		{`userName ne "a@x.io"`, "", false},
		{`id eq "00u1"`, `id eq "00u1"`, false},
		{`active eq true`, `(status eq "ACTIVE" or status eq "PROVISIONED" or status eq "RECOVERY" or status eq "LOCKED_OUT" or status eq "PASSWORD_EXPIRED")`, true},
		{`active eq false`, `(status eq "STAGED" or status eq "SUSPENDED" or status eq "DEPROVISIONED")`, true},
		{`active eq "true"`, "", false},
		{`userName eq "a@x.io" or title ne "x"`, "", false},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D"`, `profile.department eq "R&D"`, true},
		{`name.givenName pr`, `profile.firstName pr`, true},
		// Okta's search takes dates only as yyyy-MM-dd'T'HH:mm:ss.SSSZZ
		// (400 E0000030 otherwise): UTC milliseconds, rounded to a superset.
		// Delta queries (a lower bound on meta.lastModified) go to Okta's
		// filter, which is consistent, unlike search.
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, `filter:lastUpdated gt "2011-05-13T04:42:34.000Z"`, false},
		{`meta.lastModified ge "2011-05-13T06:42:34.1239+02:00"`, `filter:lastUpdated ge "2011-05-13T04:42:34.123Z"`, false},
		{`userName sw "sp." and meta.lastModified gt "2011-05-13T04:42:34Z" and meta.lastModified le "2012-01-01T00:00:00Z"`,
			`filter:lastUpdated gt "2011-05-13T04:42:34.000Z" and lastUpdated le "2012-01-01T00:00:00.000Z"`, false},
		{`userName sw "sp." or meta.lastModified gt "2011-05-13T04:42:34Z"`, `(profile.login sw "sp.") or (lastUpdated gt "2011-05-13T04:42:34.000Z")`, false},
		{`meta.lastModified lt "2011-05-13T04:42:34.1231Z"`, `lastUpdated lt "2011-05-13T04:42:34.124Z"`, false},
		{`meta.created le "2011-05-13T04:42:34.5Z"`, `created le "2011-05-13T04:42:34.500Z"`, false},
		{`meta.created eq "2011-05-13T04:42:34-01:00"`, `created eq "2011-05-13T05:42:34.000Z"`, true},
		{`meta.created eq "2011-05-13T04:42:34.0001Z"`, `created eq "2011-05-13T04:42:34.000Z"`, false},
		{`meta.created pr`, `created pr`, true},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			f, err := filter.Parse(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			native, exact := u.Push(f, m)
			if diff := cmp.Diff(tc.native, native); diff != "" || exact != tc.exact {
				t.Errorf("Push = %q, %v; want %q, %v (-want +got):\n%s", native, exact, tc.native, tc.exact, diff)
			}
		})
	}
}

// TestPushMulti checks filters on a custom string attribute, which Okta
// may hold as an array (read as "[a;; b]"): Okta matches any element, so
// nothing is exact, and what its search cannot express is not pushed.
func TestPushMulti(t *testing.T) {
	custom := []mapping.CustomAttribute{{Name: "tags", Type: mapping.TypeString}}
	rt := userType()
	if err := mapping.AddCustomAttributes(rt, custom); err != nil {
		t.Fatal(err)
	}
	table := append(append(mapping.Table{}, userTable...), mapping.CustomRules(custom, customTarget)...)
	m, err := table.Compile(mapping.Options{ResourceType: rt})
	if err != nil {
		t.Fatal(err)
	}
	u := &users{multi: map[string]bool{"profile.tags": true}}
	const tags = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:tags"
	for _, tc := range []struct {
		filter, native string
		exact          bool
	}{
		{tags + ` eq "red"`, `profile.tags eq "red"`, false},
		{tags + ` eq "[red;; green]"`, `(profile.tags eq "red" and profile.tags eq "green")`, false},
		{tags + ` eq "[]"`, "", false},
		{tags + ` eq "[red;; ]"`, `(profile.tags eq "red")`, false},
		{tags + ` sw "re"`, `profile.tags sw "re"`, false},
		{tags + ` sw "[red"`, "", false},
		{tags + ` sw "[red;; green]"`, "", false},
		{tags + ` co "e"`, "", false},
		{tags + ` pr`, `profile.tags pr`, false},
		{tags + ` eq "red" and userName eq "a@x.io"`, `(profile.tags eq "red") and (profile.login eq "a@x.io")`, false},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			f, err := filter.Parse(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			native, exact := u.Push(f, m)
			if native != tc.native || exact != tc.exact {
				t.Errorf("Push = %q, %v; want %q, %v", native, exact, tc.native, tc.exact)
			}
		})
	}
}

// TestStatusesPartition: every Okta UserStatus (spec) is read as active
// or inactive, never both, so active eq true and active eq false together
// find every user.
func TestStatusesPartition(t *testing.T) {
	all := []string{"ACTIVE", "DEPROVISIONED", "LOCKED_OUT", "PASSWORD_EXPIRED", "PROVISIONED", "RECOVERY", "STAGED", "SUSPENDED"}
	got := append(strings.Split(activeStatuses, ","), strings.Split(inactiveStatuses, ",")...)
	slices.Sort(got)
	if !slices.Equal(got, all) {
		t.Errorf("active and inactive statuses %v, want each of %v once", got, all)
	}
}

// TestPushGroups checks group filters: Okta's group search has eq, sw and
// co but no pr (spec listGroups search), so pr is left to the gateway.
func TestPushGroups(t *testing.T) {
	m, err := groupTable.Compile(mapping.Options{ResourceType: groupType()})
	if err != nil {
		t.Fatal(err)
	}
	g := &groups{}
	for _, tc := range []struct {
		filter, native string
		exact          bool
	}{
		{`displayName eq "Eng"`, `profile.name eq "Eng"`, true},
		{`displayName sw "E"`, `profile.name sw "E"`, true},
		{`displayName pr`, "", false},
		{`meta.created pr`, "", false},
		{`displayName sw "E" and ` + GroupExtension + `:description pr`, `profile.name sw "E"`, false},
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, `filter:lastUpdated gt "2011-05-13T04:42:34.000Z"`, false},
		{`meta.lastModified lt "2011-05-13T04:42:34Z"`, `lastUpdated lt "2011-05-13T04:42:34.000Z"`, false},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			f, err := filter.Parse(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			native, exact := g.Push(f, m)
			if diff := cmp.Diff(tc.native, native); diff != "" || exact != tc.exact {
				t.Errorf("Push = %q, %v; want %q, %v (-want +got):\n%s", native, exact, tc.native, tc.exact, diff)
			}
		})
	}
}

// TestTablesRoundTrip maps a full SCIM user and group to Okta and back.
func TestTablesRoundTrip(t *testing.T) {
	user := map[string]any{
		"schemas":           []any{scim.UserSchema, scim.EnterpriseUserSchema},
		"userName":          "ada@example.com",
		"displayName":       "Ada Lovelace",
		"nickName":          "Ada",
		"name":              map[string]any{"givenName": "Ada", "familyName": "Lovelace", "middleName": "K", "honorificPrefix": "Lady", "honorificSuffix": "I"},
		"addresses":         []any{map[string]any{"type": "work", "streetAddress": "1 Way", "locality": "London", "region": "LDN", "postalCode": "N1", "country": "GB"}},
		"emails":            []any{map[string]any{"value": "ada@example.com", "type": "work", "primary": true}},
		"phoneNumbers":      []any{map[string]any{"value": "+44 1", "type": "work", "primary": true}},
		"userType":          "Employee",
		"title":             "Countess",
		"preferredLanguage": "en",
		"locale":            "en-GB",
		"timezone":          "Europe/London",
		scim.EnterpriseUserSchema: map[string]any{
			"employeeNumber": "1", "division": "D", "department": "R&D", "costCenter": "C", "organization": "O",
			"manager": map[string]any{"value": "00u2"},
		},
	}
	group := map[string]any{
		"schemas":      []any{scim.GroupSchema, GroupExtension},
		"displayName":  "Engineers",
		GroupExtension: map[string]any{"description": "builders"},
	}
	for _, tc := range []struct {
		name  string
		table mapping.Table
		res   map[string]any
		opts  mapping.Options
	}{
		{"user", userTable, user, mapping.Options{ResourceType: userType()}},
		{"group", groupTable, group, mapping.Options{ResourceType: groupType()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.table.Compile(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			obj, unstored, err := m.ToTarget(tc.res)
			if err != nil || len(unstored) > 0 {
				t.Fatalf("ToTarget: %v, unstored %v", err, unstored)
			}
			back, err := m.FromTarget(obj)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.res, back); diff != "" {
				t.Errorf("round trip (-sent +read):\n%s", diff)
			}
		})
	}
}

func TestCheckLogin(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{{"ada@example.com", true}, {"ada", false}, {"Ada <ada@example.com>", false}, {"", false}} {
		if err := checkLogin(tc.in); (err == nil) != tc.ok {
			t.Errorf("checkLogin(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

// TestVersion checks that an Okta object's version changes with every
// field it is derived from, and only with them.
func TestVersion(t *testing.T) {
	u := &users{}
	g := &groups{}
	user := func(mod func(map[string]any)) string {
		obj := map[string]any{"id": "00u1", "status": "ACTIVE", "lastUpdated": "2026-01-02T03:04:05.000Z", "lastLogin": "2026-01-01T00:00:00.000Z",
			"profile": map[string]any{"login": "a@x.io", "firstName": "A", "n": 1.0, "tags": []any{"x", "y"}, "none": nil}}
		if mod != nil {
			mod(obj)
		}
		return u.Version(obj)
	}
	base := user(nil)
	if base == "" || base != user(nil) {
		t.Fatalf("version %q is not stable", base)
	}
	for name, mod := range map[string]func(map[string]any){
		"lastUpdated":      func(o map[string]any) { o["lastUpdated"] = "2026-01-02T03:04:05.001Z" },
		"status":           func(o map[string]any) { o["status"] = "SUSPENDED" },
		"profile value":    func(o map[string]any) { o["profile"].(map[string]any)["firstName"] = "B" },
		"profile number":   func(o map[string]any) { o["profile"].(map[string]any)["n"] = 2.0 },
		"profile array":    func(o map[string]any) { o["profile"].(map[string]any)["tags"] = []any{"x"} },
		"profile key":      func(o map[string]any) { o["profile"].(map[string]any)["lastName"] = "L" },
		"null to a value":  func(o map[string]any) { o["profile"].(map[string]any)["none"] = "null" },
		"key/value border": func(o map[string]any) { p := o["profile"].(map[string]any); delete(p, "login"); p["logina@x.io"] = "" },
	} {
		if user(mod) == base {
			t.Errorf("changing %s keeps the version", name)
		}
	}
	if v := user(func(o map[string]any) { o["lastLogin"] = "2026-02-01T00:00:00.000Z" }); v != base {
		t.Errorf("lastLogin (not mapped) changed the version")
	}
	if v := user(func(o map[string]any) { delete(o, "lastUpdated") }); v != "" {
		t.Errorf("version without lastUpdated = %q, want none", v)
	}
	group := map[string]any{"lastUpdated": "2026-01-02T03:04:05.000Z", "lastMembershipUpdated": "2026-01-02T03:04:05.000Z", "profile": map[string]any{"name": "G"}}
	gv := g.Version(group)
	group["lastMembershipUpdated"] = "2026-01-02T03:04:06.000Z"
	if g.Version(group) == gv {
		t.Error("a membership change keeps the group version")
	}
}

// TestDecodeSkipsOnlyUnmapped maps an Okta user and group decoded with
// the fields the client skips and without skipping: the SCIM resources
// and the versions must be the same.
func TestDecodeSkipsOnlyUnmapped(t *testing.T) {
	bodies := map[string]string{
		"User": `{"id":"00u1","status":"ACTIVE","created":"2026-01-02T03:04:05.000Z","activated":null,"statusChanged":"2026-01-02T03:04:05.000Z",
			"lastLogin":null,"lastUpdated":"2026-01-03T03:04:05.000Z","passwordChanged":null,"type":{"id":"oty1"},
			"profile":{"login":"ada@example.com","email":"ada@example.com","firstName":"Ada","lastName":"Lovelace","title":"Countess","department":"R\u0026D","managerId":"00u2","manager":"Babbage"},
			"credentials":{"password":{},"provider":{"type":"OKTA","name":"OKTA"}},
			"_links":{"self":{"href":"https://acme.okta.com/api/v1/users/00u1"}}}`,
		"Group": `{"id":"00g1","created":"2026-01-02T03:04:05.000Z","lastUpdated":"2026-01-02T03:04:05.000Z","lastMembershipUpdated":"2026-01-04T03:04:05.000Z",
			"objectClass":["okta:user_group"],"type":"OKTA_GROUP","profile":{"name":"Engineers","description":"builders"},
			"_links":{"users":{"href":"https://acme.okta.com/api/v1/groups/00g1/users"}}}`,
	}
	for typ, body := range bodies {
		t.Run(typ, func(t *testing.T) {
			table, rt, ver := userTable, userType(), bridge.Versioner(&users{})
			if typ == "Group" {
				table, rt, ver = groupTable, groupType(), &groups{}
			}
			m, err := table.Compile(mapping.Options{ResourceType: rt})
			if err != nil {
				t.Fatal(err)
			}
			var full, skipped map[string]any
			if err := json.Unmarshal([]byte(body), &full); err != nil {
				t.Fatal(err)
			}
			resp := &httpx.Response{Status: 200, Body: []byte(body)}
			if err := resp.DecodeJSONFields(&skipped, isReadField); err != nil {
				t.Fatal(err)
			}
			if _, ok := skipped["_links"]; ok {
				t.Error("_links decoded")
			}
			want, err := m.FromTarget(full)
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.FromTarget(skipped)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mapped resource (-full +skipped):\n%s", diff)
			}
			if ver.Version(full) != ver.Version(skipped) {
				t.Error("the version depends on skipped fields")
			}
		})
	}
}

// TestSettled reads a user whose activation is still in progress (Okta
// activates asynchronously) as activated, with the version it has once
// the activation is done.
func TestSettled(t *testing.T) {
	m, err := userTable.Compile(mapping.Options{ResourceType: userType()})
	if err != nil {
		t.Fatal(err)
	}
	const profile = `"profile":{"login":"ada@example.com","email":"ada@example.com","firstName":"Ada","lastName":"Lovelace"}`
	read := func(body string) map[string]any {
		var obj map[string]any
		resp := &httpx.Response{Status: 200, Body: []byte(body)}
		if err := resp.DecodeJSONFields(&obj, isReadField); err != nil {
			t.Fatal(err)
		}
		return settled(obj)
	}
	activating := read(`{"id":"00u1","status":"DEPROVISIONED","transitioningToStatus":"ACTIVE","lastUpdated":"2026-01-03T03:04:05.000Z",` + profile + `}`)
	done := read(`{"id":"00u1","status":"ACTIVE","lastUpdated":"2026-01-03T03:04:05.000Z",` + profile + `}`)
	res, err := m.FromTarget(activating)
	if err != nil {
		t.Fatal(err)
	}
	if res["active"] != true {
		t.Errorf("active = %v while the activation is in progress, want true", res["active"])
	}
	if u := (&users{}); u.Version(activating) != u.Version(done) {
		t.Error("the version changes when the activation completes")
	}
}

// TestValidateHidesTargetURL: a malformed target_url is not echoed, since
// it may still carry credentials ("https//admin:secret@acme.okta.com").
func TestValidateHidesTargetURL(t *testing.T) {
	for _, u := range []string{"https//admin:s3cret@acme.okta.com", "ftp://admin:s3cret@acme.okta.com", "//admin:s3cret@"} {
		err := (&Config{Token: "t", TargetURL: u}).Validate()
		if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "target_url") {
			t.Errorf("Validate(%q) = %v, want an error naming target_url without the URL", u, err)
		}
	}
}
