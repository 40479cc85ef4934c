package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// TestRestart stops the demo gracefully and starts it again on the same
// data directory and state file: the data, the token and issued cursors
// must survive; a state file whose token does not match is rotated.
func TestRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dataDir, statePath := filepath.Join(dir, "data"), filepath.Join(dir, "state.json")

	first := startDemo(t, dataDir, statePath)
	u := first.createUser(t, map[string]any{"userName": "persistent@example.com", "displayName": "Still Here"})
	id := str(u, "id")
	for _, n := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		first.newUser(t, n)
	}
	page := first.listAll(t, "/Users", "cursor", "", "count", "2")
	next := str(page, "nextCursor")
	if next == "" {
		t.Fatalf("no nextCursor: %v", page)
	}
	first.stop(t)
	if t.Failed() {
		t.FailNow()
	}
	probe, err := http.NewRequestWithContext(t.Context(), http.MethodGet, first.Origin+"/healthz", nil)
	if err != nil {
		t.Fatalf("build probe: %v", err)
	}
	if r, err := http.DefaultClient.Do(probe); err == nil {
		r.Body.Close()
		t.Fatalf("the stopped demo still answers on %s", first.Origin)
	}

	second := startDemo(t, dataDir, statePath)
	t.Run("token kept", func(t *testing.T) {
		if second.Token != first.Token {
			t.Errorf("token rotated although the state file matched: %q → %q", first.Token, second.Token)
		}
	})
	t.Run("data kept", func(t *testing.T) {
		g := second.get(t, "/Users/"+id)
		wantStatus(t, g, http.StatusOK)
		if str(g.Body, "userName") != "persistent@example.com" || str(g.Body, "displayName") != "Still Here" {
			t.Errorf("user after restart = %s", g.Raw)
		}
		if v, w := str(obj(g.Body, "meta"), "version"), str(obj(u, "meta"), "version"); v != w {
			t.Errorf("meta.version %q after restart, was %q", v, w)
		}
		if loc := str(obj(g.Body, "meta"), "location"); loc != second.BaseURL+"/Users/"+id {
			t.Errorf("meta.location = %q, want the new base URL", loc)
		}
		if n := num(t, second.listAll(t, "/Users", "count", "0"), "totalResults"); n != 4 {
			t.Errorf("totalResults after restart = %d, want 4", n)
		}
	})
	t.Run("cursor survives", func(t *testing.T) {
		b := second.listAll(t, "/Users", "cursor", next, "count", "2")
		if got := len(list(b, "Resources")); got != 2 {
			t.Errorf("page 2 after restart has %d users, want 2", got)
		}
		if both := intersect(ids(page), ids(b)); len(both) != 0 {
			t.Errorf("page 2 repeats users of page 1: %v", both)
		}
	})
	second.stop(t)
	if t.Failed() {
		t.FailNow()
	}

	// A state file with a token that does not match makes the demo rotate
	// the token: the old one stops working, the new one works.
	st, err := readStateFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	st.Instances[0].Token = "scim_not-the-real-token"
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatalf("encode state file: %v", err)
	}
	if err := os.WriteFile(statePath, data, 0o600); err != nil {
		t.Fatalf("write state file: %v", err)
	}
	third := startDemo(t, dataDir, statePath)
	t.Run("token rotated", func(t *testing.T) {
		if third.Token == first.Token || third.Token == "scim_not-the-real-token" {
			t.Fatalf("token not rotated: %q", third.Token)
		}
		wantStatus(t, third.get(t, "/Users/"+id), http.StatusOK)
		old := third.doURL(t, http.MethodGet, third.BaseURL+"/Users/"+id, nil, header{"Authorization", "Bearer " + first.Token})
		wantError(t, old, http.StatusUnauthorized, "")
	})
	t.Run("state file private", func(t *testing.T) {
		fi, err := os.Stat(statePath)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("state file mode %v: it holds tokens and must be readable by its owner only", perm)
		}
	})
}

// intersect returns the elements of a that are also in b.
func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
			}
		}
	}
	return out
}
