package okta_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/connectortest"
	"github.com/scimconnect/scimconnect/connector/okta"
	"github.com/scimconnect/scimconnect/connector/okta/oktasim"
	"github.com/scimconnect/scimconnect/scim"
)

// readerSim points the connector at the simulator with a read-only token.
type readerSim struct {
	connector.Simulator
	token string
}

func (r readerSim) Params(baseURL string) json.RawMessage {
	b, _ := json.Marshal(okta.Config{Token: r.token, TargetURL: baseURL})
	return b
}

// TestReadOnlyToken: an API token whose administrator may only read gets
// 403 E0000006 for every write. That is the gateway's configuration, not
// the SCIM client's request: 502, not 400 mutability (which tells a
// client such as Entra its request can never succeed).
func TestReadOnlyToken(t *testing.T) {
	sim := oktasim.New(oktasim.WithReadOnlyToken("reader"))
	u, err := sim.AddUser(oktasim.UserSeed{Profile: map[string]any{"login": "ro@example.com", "email": "ro@example.com", "firstName": "R", "lastName": "O"}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := sim.AddGroup(oktasim.GroupSeed{Profile: map[string]any{"name": "Readers"}})
	if err != nil {
		t.Fatal(err)
	}
	typ := okta.Type
	typ.Simulator = func() connector.Simulator { return readerSim{okta.NewSimulator(sim), "reader"} }
	s := connectortest.Start(t, connectortest.Harness{Type: typ, User: connectortest.DefaultUser}, connector.Env{})
	if code, res := s.Do(t, "GET", "/Users/"+u.ID, nil); code != 200 {
		t.Fatalf("read: %d %v", code, res)
	}
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/Users", connectortest.DefaultUser(1)},
		{"PATCH", "/Users/" + u.ID, setActive(false)},
		{"DELETE", "/Users/" + u.ID, nil},
		{"POST", "/Groups", map[string]any{"schemas": []string{scim.GroupSchema}, "displayName": "New"}},
		{"PATCH", "/Groups/" + g.ID, map[string]any{"schemas": []string{scim.PatchOpSchema},
			"Operations": []any{map[string]any{"op": "replace", "path": "displayName", "value": "Renamed"}}}},
		{"PATCH", "/Groups/" + g.ID, map[string]any{"schemas": []string{scim.PatchOpSchema},
			"Operations": []any{map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": u.ID}}}}}},
		{"DELETE", "/Groups/" + g.ID, nil},
	} {
		code, res := s.Do(t, c.method, c.path, c.body)
		if code != http.StatusBadGateway {
			t.Errorf("%s %s with a read-only token: %d %v, want 502", c.method, c.path, code, res)
		}
	}
}

// TestGroupsOktaCannotChange: Okta refuses changes to its BUILT_IN
// Everyone group and to imported APP_GROUPs (403 E0000006): the client
// asks for what this group can never do, 400 mutability.
func TestGroupsOktaCannotChange(t *testing.T) {
	sim := oktasim.New()
	s := startOktaSim(t, sim, connector.Env{})
	uid := createUser(t, s, "member@example.com")
	app, err := sim.AddGroup(oktasim.GroupSeed{Type: oktasim.GroupTypeApp, Profile: map[string]any{"name": "AD Admins"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, gid := range []string{sim.EveryoneGroupID(), app.ID} {
		for _, c := range []struct {
			method string
			body   any
		}{
			{"PATCH", map[string]any{"schemas": []string{scim.PatchOpSchema},
				"Operations": []any{map[string]any{"op": "replace", "path": "displayName", "value": "Renamed"}}}},
			{"PATCH", map[string]any{"schemas": []string{scim.PatchOpSchema},
				"Operations": []any{map[string]any{"op": "remove", "path": `members[value eq "` + uid + `"]`}}}},
		} {
			code, res := s.Do(t, c.method, "/Groups/"+gid, c.body)
			if code != http.StatusBadRequest || res["scimType"] != scim.Mutability {
				t.Errorf("%s /Groups/%s: %d %v, want 400 mutability", c.method, gid, code, res)
			}
		}
	}
	if code, res := s.Do(t, "DELETE", "/Groups/"+sim.EveryoneGroupID(), nil); code != http.StatusBadRequest || res["scimType"] != scim.Mutability {
		t.Errorf("DELETE Everyone: %d %v, want 400 mutability", code, res)
	}
}
