package oktasim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// walk follows rel="next" links from path and returns the ids seen and the
// number of pages fetched.
func (h *harness) walk(path string) ([]string, int) {
	h.t.Helper()
	var ids []string
	pages := 0
	for path != "" {
		r := h.call(http.MethodGet, path, "")
		h.mustStatus(r, http.StatusOK)
		pages++
		for _, item := range r.array(h.t) {
			ids = append(ids, item["id"].(string))
		}
		ls := links(h.t, r.header)
		if !strings.HasPrefix(ls["self"], h.ts.URL+"/api/v1/") {
			h.t.Fatalf("self link %q is not absolute", ls["self"])
		}
		path = strings.TrimPrefix(ls["next"], h.ts.URL)
		if pages > 1000 {
			h.t.Fatal("paging does not terminate")
		}
	}
	return ids, pages
}

func TestListUsersPaging(t *testing.T) {
	h := newHarness(t)
	seeded := seedUsers(t, h.sim, 450, StatusActive)
	gone, err := h.sim.AddUser(UserSeed{Status: StatusDeprovisioned, Profile: map[string]any{"login": "gone@example.com", "email": "gone@example.com", "firstName": "G", "lastName": "L"}})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]string, 0, len(seeded))
	for _, u := range seeded {
		want = append(want, u.ID)
	}

	tests := []struct {
		name      string
		path      string
		wantPages int
		want      []string
	}{
		{"default limit 200", "/api/v1/users", 3, want},
		{"limit 100", "/api/v1/users?limit=100", 5, want}, // 450 -> 4 full pages and 50
		{"limit above max clamps to 200", "/api/v1/users?limit=1000", 3, want},
		{"exact multiple ends on empty page", "/api/v1/users?limit=150", 4, want},
		{"filter includes deprovisioned", "/api/v1/users?filter=" + url.QueryEscape(`status eq "DEPROVISIONED"`), 1, []string{gone.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, pages := h.walk(tt.path)
			if pages != tt.wantPages {
				t.Errorf("pages = %d, want %d", pages, tt.wantPages)
			}
			if diff := cmp.Diff(tt.want, ids); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("link headers", func(t *testing.T) {
		r := h.call(http.MethodGet, "/api/v1/users?limit=2", "")
		if n := len(r.header.Values("Link")); n != 2 {
			t.Fatalf("Link lines = %d, want 2 (self and next on separate lines)", n)
		}
		ls := links(t, r.header)
		if ls["self"] != h.ts.URL+"/api/v1/users?limit=2" {
			t.Errorf("self = %q", ls["self"])
		}
		next, err := url.Parse(ls["next"])
		if err != nil {
			t.Fatal(err)
		}
		if got := next.Query().Get("after"); got != want[1] {
			t.Errorf("next after = %q, want last id %q", got, want[1])
		}
		if next.Query().Get("limit") != "2" {
			t.Errorf("next link lost limit: %q", ls["next"])
		}
	})

	t.Run("cursor of a deleted user still pages on", func(t *testing.T) {
		r := h.call(http.MethodGet, "/api/v1/users?limit=3", "")
		cursor := r.array(t)[2]["id"].(string)
		victim := cursor
		h.mustStatus(h.call(http.MethodDelete, "/api/v1/users/"+victim, ""), http.StatusNoContent)
		h.mustStatus(h.call(http.MethodDelete, "/api/v1/users/"+victim, ""), http.StatusNoContent)
		r = h.call(http.MethodGet, "/api/v1/users?limit=2&after="+cursor, "")
		h.mustStatus(r, http.StatusOK)
		if got := r.array(t)[0]["id"]; got != want[3] {
			t.Errorf("first id after deleted cursor = %v, want %s", got, want[3])
		}
	})

	bad := []struct{ name, query, code string }{
		{"limit zero", "limit=0", "E0000001"},
		{"limit text", "limit=ten", "E0000001"},
		{"cursor not an id", "after=5", "E0000001"},
		{"search cursor on plain list", "after=eyJpIjoiMDB1In0", "E0000001"},
		{"search and filter together", "search=" + url.QueryEscape(`status eq "ACTIVE"`) + "&filter=" + url.QueryEscape(`status eq "ACTIVE"`), "E0000031"},
		{"fields projection not modelled", "fields=id", "E0000060"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			r := h.call(http.MethodGet, "/api/v1/users?"+tt.query, "")
			if r.status < 400 {
				t.Fatalf("status = %d, want an error", r.status)
			}
			if code, _ := r.errorCode(t); code != tt.code {
				t.Errorf("code = %s, want %s", code, tt.code)
			}
		})
	}
}

func TestSearchUsers(t *testing.T) {
	h := newHarness(t, WithUserProfileAttributes("skills", "level"))
	add := func(login, first, last, dept, status string, extra map[string]any) string {
		p := map[string]any{"login": login, "email": login, "firstName": first, "lastName": last, "department": dept}
		for k, v := range extra {
			p[k] = v
		}
		u, err := h.sim.AddUser(UserSeed{Status: status, Profile: p})
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	alice := add("alice@example.com", "Alice", "Smith", "Engineering", StatusActive, map[string]any{"skills": []any{"go", "sql"}})
	bob := add("bob@example.com", "Bob", "Jones", "Sales", StatusStaged, nil)
	carol := add("carol@example.com", "Carol", "Smithers", "Engineering", StatusDeprovisioned, nil)
	dave := add("dave@test.org", "Dave", "Brown", "engineering", StatusSuspended, nil)

	tests := []struct {
		expr string
		want []string
	}{
		{`profile.login eq "alice@example.com"`, []string{alice}},
		{`profile.login eq "ALICE@EXAMPLE.COM"`, []string{alice}},
		{`status eq "ACTIVE"`, []string{alice}},
		{`status eq "DEPROVISIONED"`, []string{carol}},
		{`profile.lastName sw "smith"`, []string{alice, carol}},
		{`profile.firstName co "aro"`, []string{carol}},
		{`profile.department eq "Engineering" and status eq "ACTIVE"`, []string{alice}},
		{`profile.department eq "Engineering"`, []string{alice, carol, dave}},
		{`status eq "STAGED" or status eq "SUSPENDED"`, []string{bob, dave}},
		{`(status lt "STAGED" or status gt "STAGED") and profile.department eq "Sales"`, nil},
		{`profile.department eq "Engineering" and (status eq "SUSPENDED" or status eq "DEPROVISIONED")`, []string{carol, dave}},
		{`id eq "` + bob + `"`, []string{bob}},
		{`created gt "2000-01-01T00:00:00.000Z"`, []string{alice, bob, carol, dave}},
		{`created lt "2000-01-01T00:00:00.000Z"`, nil},
		{`created gt "2000-01-01T00:00:00.000-07:00"`, []string{alice, bob, carol, dave}},
		{`profile.skills eq "sql"`, []string{alice}},
		{`profile.level pr`, nil},
		{`profile.skills pr`, []string{alice}},
		{`type.id eq "` + h.sim.UserTypeID() + `"`, []string{alice, bob, carol, dave}},
		{`profile.login EQ "bob@example.com"`, []string{bob}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			ids, _ := h.walk("/api/v1/users?search=" + url.QueryEscape(tt.expr))
			if diff := cmp.Diff(tt.want, ids); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}

	rejected := []struct{ expr, code string }{
		{`status ne "ACTIVE"`, "E0000031"},
		{`not (status eq "ACTIVE")`, "E0000031"},
		{`profile.department co "eng"`, "E0000031"},
		{`Profile.login eq "x"`, "E0000031"},
		{`profile.shoeSize eq "9"`, "E0000031"},
		{`lastLogin gt "2020-01-01T00:00:00.000Z"`, "E0000031"},
		{`status eq "ACTIVE" and`, "E0000031"},
		{`(status eq "ACTIVE"`, "E0000031"},
		{`status eq ACTIVE`, "E0000031"},
		{`status eq "ACTIVE`, "E0000031"},
		{`status`, "E0000031"},
		{``, "E0000031"},
		{`created gt "yesterday"`, "E0000030"},
		// Okta takes only yyyy-MM-dd'T'HH:mm:ss.SSSZZ: RFC 3339 without
		// milliseconds, other precisions and offsets without a colon are refused.
		{`created gt "2000-01-01T00:00:00Z"`, "E0000030"},
		{`created gt "2000-01-01T00:00:00+01:00"`, "E0000030"},
		{`created gt "2000-01-01T00:00:00.000000Z"`, "E0000030"},
		{`created gt "2000-01-01T00:00:00,000Z"`, "E0000030"},
		{`created gt "2000-01-01T00:00:00.000+0100"`, "E0000030"},
		{`lastUpdated lt "2000-01-01"`, "E0000030"},
		{`status like "A"`, "E0000031"},
		{`created sw "2020"`, "E0000031"},
	}
	for _, tt := range rejected {
		t.Run("rejects "+tt.expr, func(t *testing.T) {
			r := h.call(http.MethodGet, "/api/v1/users?search="+url.QueryEscape(tt.expr), "")
			h.mustStatus(r, http.StatusBadRequest)
			if code, _ := r.errorCode(t); code != tt.code {
				t.Errorf("code = %s, want %s", code, tt.code)
			}
		})
	}

	t.Run("opaque cursor across pages", func(t *testing.T) {
		r := h.call(http.MethodGet, "/api/v1/users?limit=1&search="+url.QueryEscape(`profile.department eq "engineering"`), "")
		h.mustStatus(r, http.StatusOK)
		next, err := url.Parse(links(t, r.header)["next"])
		if err != nil {
			t.Fatal(err)
		}
		if after := next.Query().Get("after"); after == "" || after == alice {
			t.Errorf("search cursor %q must be opaque, not the id", after)
		}
		ids, pages := h.walk("/api/v1/users?limit=1&search=" + url.QueryEscape(`profile.department eq "engineering"`))
		if diff := cmp.Diff([]string{alice, carol, dave}, ids); diff != "" || pages != 4 {
			t.Errorf("pages = %d, ids (-want +got):\n%s", pages, diff)
		}
		r = h.call(http.MethodGet, "/api/v1/users?after="+url.QueryEscape(alice)+"&search="+url.QueryEscape(`status pr`), "")
		h.mustStatus(r, http.StatusBadRequest)
	})

	t.Run("sortBy desc with paging", func(t *testing.T) {
		ids, _ := h.walk("/api/v1/users?limit=2&sortBy=profile.firstName&sortOrder=desc&search=" + url.QueryEscape(`status pr`))
		if diff := cmp.Diff([]string{dave, carol, bob, alice}, ids); diff != "" {
			t.Errorf("ids (-want +got):\n%s", diff)
		}
	})

	filters := []struct {
		expr string
		want []string
		code string
	}{
		{`profile.login eq "bob@example.com"`, []string{bob}, ""},
		{`profile.login eq "BOB@example.com"`, nil, ""}, // filter values are case-sensitive
		{`status eq "STAGED" or status eq "DEPROVISIONED"`, []string{bob, carol}, ""},
		{`lastUpdated gt "2000-01-01T00:00:00.000Z" and status eq "SUSPENDED"`, []string{dave}, ""},
		{`profile.department eq "Sales"`, nil, "E0000031"},
		{`profile.login sw "bob"`, nil, "E0000031"},
		{`created gt "2000-01-01T00:00:00.000Z"`, nil, "E0000031"},
		{`status gt "A"`, nil, "E0000031"},
		{`lastUpdated gt "2000-01-01T00:00:00Z"`, nil, "E0000030"},
	}
	for _, tt := range filters {
		t.Run("filter "+tt.expr, func(t *testing.T) {
			path := "/api/v1/users?filter=" + url.QueryEscape(tt.expr)
			if tt.code != "" {
				r := h.call(http.MethodGet, path, "")
				h.mustStatus(r, http.StatusBadRequest)
				if code, _ := r.errorCode(t); code != tt.code {
					t.Errorf("code = %s, want %s", code, tt.code)
				}
				return
			}
			ids, _ := h.walk(path)
			if diff := cmp.Diff(tt.want, ids); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("q prefix, no deprovisioned, no paging", func(t *testing.T) {
		r := h.call(http.MethodGet, "/api/v1/users?q=smi", "")
		h.mustStatus(r, http.StatusOK)
		var ids []string
		for _, u := range r.array(t) {
			ids = append(ids, u["id"].(string))
		}
		if diff := cmp.Diff([]string{alice}, ids); diff != "" {
			t.Errorf("ids (-want +got):\n%s", diff)
		}
		if _, ok := links(t, r.header)["next"]; ok {
			t.Error("q results must not page")
		}
	})
	t.Run("plain list omits deprovisioned", func(t *testing.T) {
		ids, _ := h.walk("/api/v1/users")
		if diff := cmp.Diff([]string{alice, bob, dave}, ids); diff != "" {
			t.Errorf("ids (-want +got):\n%s", diff)
		}
	})
}

func TestQLimitDefault(t *testing.T) {
	h := newHarness(t)
	seedUsers(t, h.sim, 15, StatusActive)
	tests := []struct {
		query string
		want  int
	}{
		{"q=first", 10},
		{"q=first&limit=12", 12},
		{"q=nobody", 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := h.call(http.MethodGet, "/api/v1/users?"+tt.query, "")
			h.mustStatus(r, http.StatusOK)
			if got := len(r.array(t)); got != tt.want {
				t.Errorf("results = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestUserIDs(t *testing.T) {
	sim := New()
	us := seedUsers(t, sim, 100, StatusActive)
	seen := map[string]bool{}
	for i, u := range us {
		if !idPattern.MatchString(u.ID) || seen[u.ID] {
			t.Fatalf("bad or duplicate id %q", u.ID)
		}
		seen[u.ID] = true
		if i > 0 && us[i-1].ID >= u.ID {
			t.Fatalf("ids not increasing: %s then %s", us[i-1].ID, u.ID)
		}
	}
}
