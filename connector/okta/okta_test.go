package okta_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/connectortest"
	"github.com/scimconnect/scimconnect/connector/okta"
	"github.com/scimconnect/scimconnect/connector/okta/oktasim"
	"github.com/scimconnect/scimconnect/scim"
)

func TestConformance(t *testing.T) {
	typ := okta.Type
	// Okta rejects profile attributes its Profile Editor does not declare:
	// the custom attribute must exist on the simulated org too. Its search
	// lags behind writes, as the demo's simulator's does.
	typ.Simulator = func() connector.Simulator {
		return okta.NewSimulator(oktasim.New(oktasim.WithUserProfileAttributes("badge"), oktasim.WithRateLimit(oktasim.DefaultRateLimit, time.Second), oktasim.WithSearchLag(3)))
	}
	connectortest.Run(t, connectortest.Harness{
		Type:             typ,
		User:             connectortest.DefaultUser,
		Disabled:         "title",
		CustomAttributes: "badge|string;",
	})
}

// TestGroupPresenceFilter runs displayName pr on Groups against the
// simulator: Okta's group search has no pr (400 E0000031), so the gateway
// must evaluate it rather than push it.
func TestGroupPresenceFilter(t *testing.T) {
	s := connectortest.Start(t, connectortest.Harness{Type: okta.Type, User: connectortest.DefaultUser}, connector.Env{})
	for _, name := range []string{"Presence A", "Presence B"} {
		code, res := s.Do(t, "POST", "/Groups", map[string]any{"schemas": []string{scim.GroupSchema}, "displayName": name})
		if code != 201 {
			t.Fatalf("create group %s: %d %v", name, code, res)
		}
	}
	for _, f := range []string{`displayName pr`, `displayName sw "Presence" and displayName pr`} {
		code, page := s.Do(t, "GET", "/Groups?filter="+url.QueryEscape(f), nil)
		if code != 200 {
			t.Fatalf("filter %s: %d %v", f, code, page)
		}
		// Okta's BUILT_IN Everyone group is listed too.
		if got := int(page["totalResults"].(float64)); got < 2 {
			t.Errorf("filter %s: totalResults = %d, want at least 2", f, got)
		}
	}
}

// TestReferenceFilters runs Microsoft Entra's reference checks against the
// simulator: `id eq "g" and members eq "u"` on Groups and `id eq "u" and
// manager eq "m"` on Users (values unquoted, as Microsoft's SCIM tutorial
// shows them). Okta lists no group's members, so only a filter naming the
// group's id can be answered, from that one group.
func TestReferenceFilters(t *testing.T) {
	s := connectortest.Start(t, connectortest.Harness{Type: okta.Type, User: connectortest.DefaultUser}, connector.Env{})
	create := func(path string, body map[string]any) string {
		t.Helper()
		code, res := s.Do(t, "POST", path, body)
		if code != 201 {
			t.Fatalf("POST %s: %d %v", path, code, res)
		}
		return res["id"].(string)
	}
	boss := create("/Users", connectortest.DefaultUser(1))
	member := connectortest.DefaultUser(2)
	member["schemas"] = []string{scim.UserSchema, scim.EnterpriseUserSchema}
	member[scim.EnterpriseUserSchema] = map[string]any{"manager": map[string]any{"value": boss}}
	user := create("/Users", member)
	other := create("/Users", connectortest.DefaultUser(3))
	group := create("/Groups", map[string]any{"schemas": []string{scim.GroupSchema}, "displayName": "Reference Checks"})
	code, res := s.Do(t, "PATCH", "/Groups/"+group, map[string]any{
		"schemas":    []string{scim.PatchOpSchema},
		"Operations": []any{map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"value": user}}}},
	})
	if code != 200 && code != 204 {
		t.Fatalf("add member: %d %v", code, res)
	}
	for _, tc := range []struct {
		path, filter string
		want         int
	}{
		{"/Groups?excludedAttributes=members&filter=", "id eq " + group + " and members eq " + user, 1},
		{"/Groups?attributes=id&filter=", `id eq "` + group + `" and members eq "` + other + `"`, 0},
		{"/Groups?filter=", `members[value eq "` + user + `"] and id eq "` + group + `"`, 1},
		{"/Groups?filter=", `id eq "00g0000000nosuch000" and members eq "` + user + `"`, 0},
		{"/Users?attributes=id&filter=", "id eq " + user + " and manager eq " + boss, 1},
		{"/Users?attributes=id&filter=", "id eq " + user + " and manager eq " + other, 0},
	} {
		code, page := s.Do(t, "GET", tc.path+url.QueryEscape(tc.filter), nil)
		if code != 200 {
			t.Errorf("filter %s: %d %v", tc.filter, code, page)
			continue
		}
		if got := int(page["totalResults"].(float64)); got != tc.want {
			t.Errorf("filter %s: totalResults = %d, want %d", tc.filter, got, tc.want)
		}
	}
	// Without the id, answering would read every group's members: refused.
	if code, page := s.Do(t, "GET", "/Groups?filter="+url.QueryEscape(`members eq "`+user+`"`), nil); code != 400 {
		t.Errorf("members eq without id: %d %v, want 400", code, page)
	}
}
