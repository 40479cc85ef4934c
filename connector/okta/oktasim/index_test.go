package oktasim

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

// searchLogin searches users by login and returns the profiles found.
func (h *harness) searchLogin(login string) []map[string]any {
	h.t.Helper()
	r := h.call(http.MethodGet, "/api/v1/users?search="+url.QueryEscape(`profile.login eq "`+login+`"`), "")
	h.mustStatus(r, http.StatusOK)
	var out []map[string]any
	for _, u := range r.array(h.t) {
		p, _ := u["profile"].(map[string]any)
		out = append(out, p)
	}
	return out
}

// TestSearchLag checks the eventually consistent search index: with a lag
// of 2, the two requests after a change do not see it in search, the third
// does; until then search answers the user as it was. Reads by login and
// filter see changes at once.
func TestSearchLag(t *testing.T) {
	h := newHarness(t, WithSearchLag(2))
	if _, err := h.sim.AddUser(UserSeed{Profile: map[string]any{"login": "seed@example.com", "email": "seed@example.com", "firstName": "S", "lastName": "L"}}); err != nil {
		t.Fatal(err)
	}
	if got := h.searchLogin("seed@example.com"); len(got) != 1 {
		t.Fatalf("seeded user: search found %d, want it at once", len(got))
	}

	id := h.createUser("new@example.com", "", true)
	if got := h.searchLogin("new@example.com"); len(got) != 0 {
		t.Errorf("first request after create: search found %v", got)
	}
	h.mustStatus(h.call(http.MethodGet, "/api/v1/users/new@example.com", ""), http.StatusOK)
	r := h.call(http.MethodGet, "/api/v1/users?filter="+url.QueryEscape(`profile.login eq "new@example.com"`), "")
	h.mustStatus(r, http.StatusOK)
	if n := len(r.array(t)); n != 1 {
		t.Errorf("filter right after create found %d, want 1", n)
	}
	// create, search, get, filter: this is the third request after it.
	r = h.call(http.MethodGet, "/api/v1/users?search="+url.QueryEscape(`profile.login eq "new@example.com"`), "")
	h.mustStatus(r, http.StatusOK)
	found := r.array(t)
	if len(found) != 1 || found[0]["id"] != id || found[0]["status"] != StatusActive {
		t.Fatalf("third request after create: search found %v, want the active user", found)
	}

	t.Run("update", func(t *testing.T) {
		r := h.call(http.MethodPost, "/api/v1/users/"+id, `{"profile":{"firstName":"Renamed"}}`)
		h.mustStatus(r, http.StatusOK)
		byNew := "/api/v1/users?search=" + url.QueryEscape(`profile.firstName eq "Renamed"`)
		if n := len(h.call(http.MethodGet, byNew, "").array(t)); n != 0 {
			t.Errorf("search by the new name right after the update found %d", n)
		}
		old := h.searchLogin("new@example.com")
		if len(old) != 1 || old[0]["firstName"] != "First" {
			t.Errorf("second request after the update: search answered %v, want the user as it was", old)
		}
		if n := len(h.call(http.MethodGet, byNew, "").array(t)); n != 1 {
			t.Errorf("third request after the update: search by the new name found %d, want 1", n)
		}
	})

	t.Run("delete", func(t *testing.T) {
		h.mustStatus(h.call(http.MethodDelete, "/api/v1/users/"+id, ""), http.StatusNoContent)
		h.mustStatus(h.call(http.MethodDelete, "/api/v1/users/"+id, ""), http.StatusNoContent)
		h.mustStatus(h.call(http.MethodGet, "/api/v1/users/"+id, ""), http.StatusNotFound)
		if got := h.searchLogin("new@example.com"); len(got) != 1 {
			t.Errorf("second request after the delete: search found %d, want the deleted user still", len(got))
		}
		if got := h.searchLogin("new@example.com"); len(got) != 0 {
			t.Errorf("third request after the delete: search found %v", got)
		}
	})
}

// TestNoSearchLagByDefault: without WithSearchLag search sees a new user
// at once.
func TestNoSearchLagByDefault(t *testing.T) {
	h := newHarness(t)
	h.createUser("new@example.com", "", true)
	if got := h.searchLogin("new@example.com"); len(got) != 1 {
		t.Errorf("search right after create found %d, want 1", len(got))
	}
}

// TestSearchLagActivation checks that search shows an activation in
// progress as the index caught it, however often it is searched: showing
// an indexed copy completes nothing; the activation reaches search when
// the user itself completes it (its next read) and the lag has passed.
func TestSearchLagActivation(t *testing.T) {
	h := newHarness(t, WithSearchLag(1))
	id := h.createUser("staged@example.com", "?activate=false", true)
	h.mustStatus(h.call(http.MethodPost, "/api/v1/users/"+id+"/lifecycle/activate?sendEmail=false", ""), http.StatusOK)
	h.mustStatus(h.call(http.MethodGet, "/api/v1/groups", ""), http.StatusOK)
	for i := range 2 {
		r := h.call(http.MethodGet, "/api/v1/users?search="+url.QueryEscape(`profile.login eq "staged@example.com"`), "")
		h.mustStatus(r, http.StatusOK)
		found := r.array(t)
		if len(found) != 1 || found[0]["status"] != StatusStaged || found[0]["transitioningToStatus"] != StatusActive {
			t.Fatalf("search %d during the activation: %v, want STAGED transitioning to ACTIVE", i+1, found)
		}
	}
	h.mustStatus(h.call(http.MethodGet, "/api/v1/users/"+id, ""), http.StatusOK) // completes it
	h.mustStatus(h.call(http.MethodGet, "/api/v1/groups", ""), http.StatusOK)
	r := h.call(http.MethodGet, "/api/v1/users?search="+url.QueryEscape(`status eq "ACTIVE"`), "")
	h.mustStatus(r, http.StatusOK)
	if found := r.array(t); len(found) != 1 || found[0]["id"] != id {
		t.Errorf("search after the activation completed: %v", found)
	}
}

// searchGroupName searches groups by name and returns the ids found.
func (h *harness) searchGroupName(name string) []any {
	h.t.Helper()
	r := h.call(http.MethodGet, "/api/v1/groups?search="+url.QueryEscape(`profile.name eq "`+name+`"`), "")
	h.mustStatus(r, http.StatusOK)
	var ids []any
	for _, g := range r.array(h.t) {
		ids = append(ids, g["id"])
	}
	return ids
}

// TestGroupSearchLag: group search is eventually consistent too (spec
// listGroups); get, filter and q see changes at once.
func TestGroupSearchLag(t *testing.T) {
	h := newHarness(t, WithSearchLag(2))
	if got := h.searchGroupName("Everyone"); len(got) != 1 {
		t.Fatalf("Everyone: search found %v, want it at once", got)
	}
	if _, err := h.sim.AddGroup(GroupSeed{Profile: map[string]any{"name": "Seeded"}}); err != nil {
		t.Fatal(err)
	}
	if got := h.searchGroupName("Seeded"); len(got) != 1 {
		t.Fatalf("seeded group: search found %v, want it at once", got)
	}
	r := h.call(http.MethodPost, "/api/v1/groups", `{"profile":{"name":"Fresh"}}`)
	h.mustStatus(r, http.StatusOK)
	id := r.object(t)["id"].(string)
	if got := h.searchGroupName("Fresh"); len(got) != 0 {
		t.Errorf("first request after create: search found %v", got)
	}
	h.mustStatus(h.call(http.MethodGet, "/api/v1/groups/"+id, ""), http.StatusOK)
	if n := len(h.call(http.MethodGet, "/api/v1/groups?q=Fresh", "").array(t)); n != 1 {
		t.Errorf("q right after create found %d, want 1", n)
	}
	if got := h.searchGroupName("Fresh"); len(got) != 1 || got[0] != id {
		t.Fatalf("fourth request after create: search found %v, want %s", got, id)
	}

	h.mustStatus(h.call(http.MethodPut, "/api/v1/groups/"+id, `{"profile":{"name":"Renamed"}}`), http.StatusOK)
	if got := h.searchGroupName("Fresh"); len(got) != 1 {
		t.Errorf("first request after the rename: search by the old name found %v, want the group as it was", got)
	}
	h.searchGroupName("Renamed")
	if got := h.searchGroupName("Renamed"); len(got) != 1 {
		t.Errorf("third request after the rename: search by the new name found %v", got)
	}

	h.mustStatus(h.call(http.MethodDelete, "/api/v1/groups/"+id, ""), http.StatusNoContent)
	if got := h.searchGroupName("Renamed"); len(got) != 1 {
		t.Errorf("first request after the delete: search found %v, want the deleted group still", got)
	}
	h.searchGroupName("Renamed")
	if got := h.searchGroupName("Renamed"); len(got) != 0 {
		t.Errorf("third request after the delete: search found %v", got)
	}
}

// TestSearchLagQueueBounded: changes on their way to search are applied
// as they fall due, not only when a search comes, so a long run without
// searches (a load test of the demo) does not keep every change.
func TestSearchLagQueueBounded(t *testing.T) {
	h := newHarness(t, WithSearchLag(2))
	for i := range 50 {
		h.createUser(fmt.Sprintf("user%d@example.com", i), "", true)
	}
	h.sim.mu.Lock()
	users, groups := len(h.sim.searchIdx.queue), len(h.sim.groupIdx.queue)
	h.sim.mu.Unlock()
	if users > 16 || groups > 16 {
		t.Errorf("changes waiting for search after 50 creates: %d users, %d groups; want those of the last requests only", users, groups)
	}
	if got := h.searchLogin("user0@example.com"); len(got) != 1 {
		t.Errorf("search for the first user found %d, want 1", len(got))
	}
}

// TestSeedingQueuesNothing: seeding makes no requests, so a change it
// queued would wait for requests to come; seeded users and the Everyone
// group they join are searchable at once instead.
func TestSeedingQueuesNothing(t *testing.T) {
	h := newHarness(t, WithSearchLag(3))
	for i := range 100 {
		if _, err := h.sim.AddUser(UserSeed{Profile: map[string]any{"login": fmt.Sprintf("seed%d@example.com", i), "email": fmt.Sprintf("seed%d@example.com", i), "firstName": "S", "lastName": "D"}}); err != nil {
			t.Fatal(err)
		}
	}
	h.sim.mu.Lock()
	users, groups := len(h.sim.searchIdx.queue), len(h.sim.groupIdx.queue)
	h.sim.mu.Unlock()
	if users != 0 || groups != 0 {
		t.Errorf("changes queued by seeding 100 users: %d users, %d groups, want none", users, groups)
	}
	if got := h.searchLogin("seed99@example.com"); len(got) != 1 {
		t.Errorf("search for the last seeded user found %d, want 1", len(got))
	}
}
