package okta_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/connectortest"
	"github.com/scimconnect/scimconnect/connector/httpx"
	"github.com/scimconnect/scimconnect/connector/okta"
	"github.com/scimconnect/scimconnect/connector/okta/oktasim"
	"github.com/scimconnect/scimconnect/scim"
)

// startOktaSim serves an Okta instance over sim.
func startOktaSim(t *testing.T, sim *oktasim.Server, env connector.Env) *connectortest.Server {
	t.Helper()
	typ := okta.Type
	typ.Simulator = func() connector.Simulator { return okta.NewSimulator(sim) }
	s := connectortest.Start(t, connectortest.Harness{Type: typ, User: connectortest.DefaultUser}, env)
	t.Cleanup(func() {
		if u := sim.Unhandled(); len(u) > 0 {
			t.Errorf("unmodelled Okta calls: %v", u)
		}
	})
	return s
}

func createUser(t *testing.T, s *connectortest.Server, userName string) string {
	t.Helper()
	code, res := s.Do(t, "POST", "/Users", map[string]any{
		"schemas":  []string{scim.UserSchema},
		"userName": userName,
		"name":     map[string]any{"givenName": "Ada", "familyName": "Lovelace"},
	})
	if code != 201 {
		t.Fatalf("create %s: %d %v", userName, code, res)
	}
	return res["id"].(string)
}

// list sends a filtered list request and returns the ids and totalResults.
func list(t *testing.T, s *connectortest.Server, filter, extra string) ([]string, int, map[string]any) {
	t.Helper()
	code, page := s.Do(t, "GET", "/Users?filter="+url.QueryEscape(filter)+extra, nil)
	if code != 200 {
		t.Fatalf("filter %s%s: %d %v", filter, extra, code, page)
	}
	var ids []string
	rs, _ := page["Resources"].([]any)
	for _, r := range rs {
		ids = append(ids, r.(map[string]any)["id"].(string))
	}
	return ids, int(page["totalResults"].(float64)), page
}

// pathRecorder keeps the paths of the target calls it observes.
type pathRecorder struct {
	mu    sync.Mutex
	paths []string
}

func (r *pathRecorder) ObserveTargetCall(_ context.Context, c httpx.Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.paths = append(r.paths, c.Path)
}

func (r *pathRecorder) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.paths)
}

// oktaCalls returns the simulator's calls since the last reset, as
// "METHOD path" with "?search" when the call searched.
func oktaCalls(sim *oktasim.Server) []string {
	var out []string
	for _, r := range sim.Requests() {
		c := r.Method + " " + r.Path
		if r.Query.Has("search") {
			c += "?search"
		}
		out = append(out, c)
	}
	return out
}

// TestUserNameEqAfterCreate is what Entra and Okta as SCIM clients do:
// create a user, then look it up with userName eq at once. Okta's search
// is eventually consistent; the lookup reads the user by login, which is
// not.
func TestUserNameEqAfterCreate(t *testing.T) {
	sim := oktasim.New(oktasim.WithSearchLag(10))
	paths := &pathRecorder{}
	s := startOktaSim(t, sim, connector.Env{TargetObserver: paths})
	id := createUser(t, s, "ada.lovelace@example.com")
	for _, tc := range []struct{ filter, login string }{
		{`userName eq "ada.lovelace@example.com"`, "ada.lovelace@example.com"},
		{`userName eq "Ada.Lovelace@EXAMPLE.com"`, "Ada.Lovelace@EXAMPLE.com"},
		{`userName eq "ada.lovelace@example.com" and active eq true`, "ada.lovelace@example.com"},
		{`name.familyName eq "Lovelace" and userName eq "ada.lovelace@example.com"`, "ada.lovelace@example.com"},
	} {
		sim.ResetRequests()
		ids, total, _ := list(t, s, tc.filter, "")
		if diff := cmp.Diff([]string{id}, ids); diff != "" || total != 1 {
			t.Errorf("%s right after create: totalResults %d, ids (-want +got):\n%s", tc.filter, total, diff)
		}
		if diff := cmp.Diff([]string{"GET /api/v1/users/" + tc.login}, oktaCalls(sim)); diff != "" {
			t.Errorf("%s: Okta calls (-want +got):\n%s", tc.filter, diff)
		}
	}
	// The audit log gets the call's path by its label: no login in it.
	for _, p := range paths.get() {
		if strings.Contains(p, "lovelace") {
			t.Errorf("target call reported as %s", p)
		}
	}
	if !slices.Contains(paths.get(), "/api/v1/users/{login}") {
		t.Errorf("no call reported as /api/v1/users/{login}: %v", paths.get())
	}
	// The other clauses are evaluated on the user read.
	if ids, total, _ := list(t, s, `userName eq "ada.lovelace@example.com" and name.familyName eq "Byron"`, ""); len(ids) != 0 || total != 0 {
		t.Errorf("and with a false clause: %v, totalResults %d", ids, total)
	}
}

// TestUserNameEqNotALogin covers values Okta's getUser resolves to a user
// whose login is another (a shortname, an id, "me"), a value it does not
// know (404), and logins it cannot read (with "/"): only a user whose
// login is the value answers.
func TestUserNameEqNotALogin(t *testing.T) {
	sim := oktasim.New(oktasim.WithTokenUser("admin@example.com"))
	s := startOktaSim(t, sim, connector.Env{})
	admin := createUser(t, s, "admin@example.com")
	ada := createUser(t, s, "ada.lovelace@example.com")
	slash := createUser(t, s, "a/b@example.com")
	for _, tc := range []struct {
		name, value string
		want        []string
		calls       []string
	}{
		// getUser finds ada by her shortname; a search confirms no
		// login is "ada.lovelace"
		{"shortname", "ada.lovelace", nil, []string{"GET /api/v1/users/ada.lovelace", "GET /api/v1/users?search"}},
		{"id", ada, nil, []string{"GET /api/v1/users/" + ada, "GET /api/v1/users?search"}},
		{"id of the token's user", admin, nil, []string{"GET /api/v1/users/" + admin, "GET /api/v1/users?search"}},
		// "me" is the token's user (admin): not read, searched
		{"me", "me", nil, []string{"GET /api/v1/users?search"}},
		{"404", "nobody@example.com", nil, []string{"GET /api/v1/users/nobody@example.com"}},
		{"slash", "a/b@example.com", []string{slash}, []string{"GET /api/v1/users?search"}},
		{"slash, other case", "A/B@example.com", []string{slash}, []string{"GET /api/v1/users?search"}},
		{"login", "admin@example.com", []string{admin}, []string{"GET /api/v1/users/admin@example.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim.ResetRequests()
			ids, total, _ := list(t, s, `userName eq "`+tc.value+`"`, "")
			if diff := cmp.Diff(tc.want, ids); diff != "" || total != len(tc.want) {
				t.Errorf("totalResults %d, ids (-want +got):\n%s", total, diff)
			}
			if diff := cmp.Diff(tc.calls, oktaCalls(sim)); diff != "" {
				t.Errorf("Okta calls (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUserNameEqPaging checks the SCIM paging parameters on a lookup by
// login: totalResults is 0 or 1, a startIndex past it gives an empty page
// with the total, count=0 only the total (RFC 7644 §3.4.2.4).
func TestUserNameEqPaging(t *testing.T) {
	sim := oktasim.New(oktasim.WithSearchLag(10))
	s := startOktaSim(t, sim, connector.Env{})
	id := createUser(t, s, "ada.lovelace@example.com")
	f := `userName eq "ada.lovelace@example.com"`
	for _, tc := range []struct {
		name, extra string
		want        []string
	}{
		{"first", "&startIndex=1&count=1", []string{id}},
		{"past the end", "&startIndex=2", nil},
		{"count 0", "&count=0", nil},
		{"cursor", "&cursor=&count=5", []string{id}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids, total, page := list(t, s, f, tc.extra)
			if diff := cmp.Diff(tc.want, ids); diff != "" || total != 1 {
				t.Errorf("totalResults %d (want 1), ids (-want +got):\n%s", total, diff)
			}
			if c, ok := page["nextCursor"]; ok {
				t.Errorf("nextCursor %v on the only page", c)
			}
		})
	}
}

// TestUserNameEqFindsWhatACreateCollidesWith: when Okta refuses a login
// as taken (its logins are unique ignoring case), userName eq with that
// login must find the holder right away, or a client that looks up
// before creating loops on 409. "İ" lower-cases to "i", as the gateway
// folds caseExact=false values (strings.EqualFold keeps them apart): the
// read by login answers, with no search, which lags behind writes.
func TestUserNameEqFindsWhatACreateCollidesWith(t *testing.T) {
	sim := oktasim.New(oktasim.WithSearchLag(10))
	s := startOktaSim(t, sim, connector.Env{})
	id := createUser(t, s, "dotlessI@example.com")
	code, res := s.Do(t, "POST", "/Users", map[string]any{
		"schemas": []string{scim.UserSchema}, "userName": "dotlessİ@example.com",
		"name": map[string]any{"givenName": "Ada", "familyName": "Lovelace"},
	})
	if code != 409 {
		t.Fatalf("create of the colliding login: %d %v, want 409", code, res)
	}
	sim.ResetRequests()
	ids, total, _ := list(t, s, `userName eq "dotlessİ@example.com"`, "")
	if diff := cmp.Diff([]string{id}, ids); diff != "" || total != 1 {
		t.Errorf("userName eq of the colliding login: totalResults %d, ids (-want +got):\n%s", total, diff)
	}
	if diff := cmp.Diff([]string{"GET /api/v1/users/dotlessİ@example.com"}, oktaCalls(sim)); diff != "" {
		t.Errorf("Okta calls (-want +got):\n%s", diff)
	}
}

// groupIDs runs a group filter and returns the ids and totalResults.
func groupIDs(t *testing.T, s *connectortest.Server, filter string) ([]string, int) {
	t.Helper()
	code, page := s.Do(t, "GET", "/Groups?excludedAttributes=members&filter="+url.QueryEscape(filter), nil)
	if code != 200 {
		t.Fatalf("filter %s: %d %v", filter, code, page)
	}
	var ids []string
	rs, _ := page["Resources"].([]any)
	for _, r := range rs {
		ids = append(ids, r.(map[string]any)["id"].(string))
	}
	return ids, int(page["totalResults"].(float64))
}

// TestDisplayNameEqAfterCreate is Entra creating a group and looking it up
// by displayName at once (Microsoft's SCIM tutorial): Okta's group search
// is eventually consistent, its q (name prefix) is not.
func TestDisplayNameEqAfterCreate(t *testing.T) {
	sim := oktasim.New(oktasim.WithSearchLag(10))
	s := startOktaSim(t, sim, connector.Env{})
	create := func(name string) string {
		t.Helper()
		code, res := s.Do(t, "POST", "/Groups", map[string]any{"schemas": []string{scim.GroupSchema}, "displayName": name})
		if code != 201 {
			t.Fatalf("create group %s: %d %v", name, code, res)
		}
		return res["id"].(string)
	}
	eng := create("Engineering")
	engOps := create("Engineering Ops")
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{`displayName eq "Engineering"`, []string{eng}},
		{`displayName eq "engineering ops"`, []string{engOps}},
		{`displayName eq "Engineering Ops" and id eq "` + engOps + `"`, []string{engOps}},
		{`displayName eq "Engineering" and id eq "` + engOps + `"`, nil},
		{`displayName eq "Engine"`, nil},
	} {
		sim.ResetRequests()
		ids, total := groupIDs(t, s, tc.filter)
		if diff := cmp.Diff(tc.want, ids); diff != "" || total != len(tc.want) {
			t.Errorf("%s right after create: totalResults %d, ids (-want +got):\n%s", tc.filter, total, diff)
		}
		for _, c := range oktaCalls(sim) {
			if strings.HasSuffix(c, "?search") {
				t.Errorf("%s: searched (%s), which lags behind writes", tc.filter, c)
			}
		}
	}
}

// TestDisplayNameEqShared: an imported APP_GROUP may have the name of an
// OKTA_GROUP; displayName eq finds both.
func TestDisplayNameEqShared(t *testing.T) {
	sim := oktasim.New()
	s := startOktaSim(t, sim, connector.Env{})
	app, err := sim.AddGroup(oktasim.GroupSeed{Type: oktasim.GroupTypeApp, Profile: map[string]any{"name": "Shared"}})
	if err != nil {
		t.Fatal(err)
	}
	code, res := s.Do(t, "POST", "/Groups", map[string]any{"schemas": []string{scim.GroupSchema}, "displayName": "shared"})
	if code != 201 {
		t.Fatalf("create group: %d %v", code, res)
	}
	ids, total := groupIDs(t, s, `displayName eq "SHARED"`)
	if diff := cmp.Diff([]string{app.ID, res["id"].(string)}, ids); diff != "" || total != 2 {
		t.Errorf("totalResults %d, ids (-want +got):\n%s", total, diff)
	}
}

// TestDeltaQueryAfterChange is SailPoint's delta aggregation right after
// a change: `meta.lastModified gt <marker>` must find it, or a client
// that then moves its marker on never sees the change. Okta's search
// lags behind writes; its filter on lastUpdated does not.
func TestDeltaQueryAfterChange(t *testing.T) {
	sim := oktasim.New(oktasim.WithSearchLag(10))
	s := startOktaSim(t, sim, connector.Env{})
	id := createUser(t, s, "delta.user@example.com")
	code, g := s.Do(t, "POST", "/Groups", map[string]any{"schemas": []string{scim.GroupSchema}, "displayName": "Delta"})
	if code != 201 {
		t.Fatalf("create group: %d %v", code, g)
	}
	marker := time.Now().UTC().Add(-time.Millisecond).Format(time.RFC3339Nano)
	time.Sleep(5 * time.Millisecond)
	if code, res := s.Do(t, "PATCH", "/Users/"+id, map[string]any{"schemas": []string{scim.PatchOpSchema},
		"Operations": []any{map[string]any{"op": "replace", "path": "title", "value": "Engineer"}}}); code != 200 {
		t.Fatalf("PATCH user: %d %v", code, res)
	}
	patchGroup(t, s, g["id"].(string), map[string]any{"op": "replace", "path": "displayName", "value": "Delta renamed"})
	sim.ResetRequests()
	f := `userName sw "delta." and meta.lastModified gt "` + marker + `"`
	if ids, total, _ := list(t, s, f, ""); !slices.Equal(ids, []string{id}) || total != 1 {
		t.Errorf("users %s right after the change: %v (totalResults %d)", f, ids, total)
	}
	f = `meta.lastModified gt "` + marker + `"`
	if ids, total := groupIDs(t, s, f); !slices.Equal(ids, []string{g["id"].(string)}) || total != 1 {
		t.Errorf("groups %s right after the change: %v (totalResults %d)", f, ids, total)
	}
	for _, c := range oktaCalls(sim) {
		if strings.HasSuffix(c, "?search") {
			t.Errorf("searched (%s), which lags behind writes", c)
		}
	}
}

// TestDisplayNameEqFullQueryAnswer: q answers at most groupQueryLimit
// groups and does not page, so a full answer without the group may have
// left it out; the lookup then searches.
func TestDisplayNameEqFullQueryAnswer(t *testing.T) {
	sim := oktasim.New()
	s := startOktaSim(t, sim, connector.Env{})
	for i := range 200 {
		if _, err := sim.AddGroup(oktasim.GroupSeed{Profile: map[string]any{"name": fmt.Sprintf("Team %03d", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	team, err := sim.AddGroup(oktasim.GroupSeed{Profile: map[string]any{"name": "Team"}})
	if err != nil {
		t.Fatal(err)
	}
	sim.ResetRequests()
	ids, total := groupIDs(t, s, `displayName eq "team"`)
	if diff := cmp.Diff([]string{team.ID}, ids); diff != "" || total != 1 {
		t.Errorf("totalResults %d, ids (-want +got):\n%s", total, diff)
	}
	calls := oktaCalls(sim)
	if !slices.ContainsFunc(calls, func(c string) bool { return strings.HasSuffix(c, "?search") }) {
		t.Errorf("calls %v: want a search after q's full answer", calls)
	}
}
