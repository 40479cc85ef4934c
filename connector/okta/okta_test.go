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
	// the custom attribute must exist on the simulated org too.
	typ.Simulator = func() connector.Simulator {
		return okta.NewSimulator(oktasim.New(oktasim.WithUserProfileAttributes("badge"), oktasim.WithRateLimit(oktasim.DefaultRateLimit, time.Second)))
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
