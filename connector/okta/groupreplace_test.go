package okta_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/okta"
	"github.com/scimconnect/scimconnect/connector/okta/oktasim"
	"github.com/scimconnect/scimconnect/scim"
)

func patchGroup(t *testing.T, s interface {
	Do(testing.TB, string, string, any) (int, map[string]any)
}, id string, ops ...map[string]any) {
	t.Helper()
	ls := make([]any, len(ops))
	for i, op := range ops {
		ls[i] = op
	}
	if code, res := s.Do(t, "PATCH", "/Groups/"+id, map[string]any{"schemas": []string{scim.PatchOpSchema}, "Operations": ls}); code != 200 {
		t.Fatalf("PATCH group: %d %v", code, res)
	}
}

// TestGroupUpdateKeepsOtherProfileAttributes: Okta's group PUT replaces
// the whole profile, so a SCIM update must send back the profile
// attributes it does not map (custom group attributes an administrator
// set), or it erases them.
func TestGroupUpdateKeepsOtherProfileAttributes(t *testing.T) {
	sim := oktasim.New(oktasim.WithGroupProfileAttributes("costCenter"))
	s := startOktaSim(t, sim, connector.Env{})
	g, err := sim.AddGroup(oktasim.GroupSeed{Profile: map[string]any{"name": "Eng", "description": "Engineers", "costCenter": "CC-42"}})
	if err != nil {
		t.Fatal(err)
	}
	patchGroup(t, s, g.ID, map[string]any{"op": "replace", "path": "displayName", "value": "Engineering"})
	got, _ := sim.Group(g.ID)
	want := map[string]any{"name": "Engineering", "description": "Engineers", "costCenter": "CC-42"}
	if diff := cmp.Diff(want, got.Profile); diff != "" {
		t.Errorf("profile after renaming (-want +got):\n%s", diff)
	}
	// A mapped attribute the client removes is removed.
	patchGroup(t, s, g.ID, map[string]any{"op": "remove", "path": okta.GroupExtension + ":description"})
	got, _ = sim.Group(g.ID)
	want = map[string]any{"name": "Engineering", "costCenter": "CC-42"}
	if diff := cmp.Diff(want, got.Profile); diff != "" {
		t.Errorf("profile after removing the description (-want +got):\n%s", diff)
	}
}

// TestGroupUpdateKeepsDisabledDescription: a disabled attribute is never
// shown to SCIM clients, so an update cannot mean to erase it.
func TestGroupUpdateKeepsDisabledDescription(t *testing.T) {
	sim := oktasim.New()
	s := startOktaSim(t, sim, connector.Env{DisabledAttributes: []string{okta.GroupExtension + ":description"}})
	g, err := sim.AddGroup(oktasim.GroupSeed{Profile: map[string]any{"name": "Ops", "description": "Operations"}})
	if err != nil {
		t.Fatal(err)
	}
	patchGroup(t, s, g.ID, map[string]any{"op": "replace", "path": "displayName", "value": "Operations"})
	got, _ := sim.Group(g.ID)
	want := map[string]any{"name": "Operations", "description": "Operations"}
	if diff := cmp.Diff(want, got.Profile); diff != "" {
		t.Errorf("profile after renaming (-want +got):\n%s", diff)
	}
}
