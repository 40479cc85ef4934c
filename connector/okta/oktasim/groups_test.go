package oktasim

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGroupCRUD(t *testing.T) {
	h := newHarness(t, WithGroupProfileAttributes("costCode"))
	r := h.call(http.MethodPost, "/api/v1/groups", `{"profile":{"name":"West Coast users","description":"All users West of The Rockies"}}`)
	h.mustStatus(r, http.StatusOK)
	g := r.object(t)
	id := g["id"].(string)
	if !idPattern.MatchString(id) || id[:3] != "00g" {
		t.Errorf("id = %q", id)
	}
	if g["type"] != GroupTypeOkta || fmt.Sprint(g["objectClass"]) != "[okta:user_group]" {
		t.Errorf("type/objectClass = %v %v", g["type"], g["objectClass"])
	}
	for _, k := range []string{"created", "lastUpdated", "lastMembershipUpdated"} {
		if s, _ := g[k].(string); !timePattern.MatchString(s) {
			t.Errorf("%s = %v", k, g[k])
		}
	}
	if users := g["_links"].(map[string]any)["users"].(map[string]any)["href"]; users != h.ts.URL+"/api/v1/groups/"+id+"/users" {
		t.Errorf("users link = %v", users)
	}

	tests := []struct {
		name, method, path, body string
		wantHTTP                 int
		wantCode                 string
	}{
		{"get", http.MethodGet, "/api/v1/groups/" + id, "", 200, ""},
		{"get unknown", http.MethodGet, "/api/v1/groups/00g000000000000000zz", "", 404, "E0000007"},
		{"duplicate name", http.MethodPost, "/api/v1/groups", `{"profile":{"name":"west coast USERS"}}`, 400, "E0000001"},
		{"missing name", http.MethodPost, "/api/v1/groups", `{"profile":{"description":"x"}}`, 400, "E0000001"},
		{"missing profile", http.MethodPost, "/api/v1/groups", `{}`, 400, "E0000001"},
		{"undeclared attribute", http.MethodPost, "/api/v1/groups", `{"profile":{"name":"n","color":"red"}}`, 400, "E0000001"},
		{"unknown top-level", http.MethodPost, "/api/v1/groups", `{"profile":{"name":"n"},"members":[]}`, 400, "E0000003"},
		{"malformed", http.MethodPost, "/api/v1/groups", `{"profile":{"name":}`, 400, "E0000003"},
		{"declared attribute", http.MethodPost, "/api/v1/groups", `{"profile":{"name":"Cost","costCode":"42"}}`, 200, ""},
		{"replace", http.MethodPut, "/api/v1/groups/" + id, `{"profile":{"name":"West"}}`, 200, ""},
		{"replace to taken name", http.MethodPut, "/api/v1/groups/" + id, `{"profile":{"name":"Cost"}}`, 400, "E0000001"},
		{"replace everyone", http.MethodPut, "/api/v1/groups/" + h.sim.EveryoneGroupID(), `{"profile":{"name":"All"}}`, 403, "E0000006"},
		{"delete everyone", http.MethodDelete, "/api/v1/groups/" + h.sim.EveryoneGroupID(), "", 403, "E0000006"},
		{"patch not allowed", http.MethodPatch, "/api/v1/groups/" + id, "", 405, "E0000022"},
		{"delete", http.MethodDelete, "/api/v1/groups/" + id, "", 204, ""},
		{"delete again", http.MethodDelete, "/api/v1/groups/" + id, "", 404, "E0000007"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.call(tt.method, tt.path, tt.body)
			h.mustStatus(r, tt.wantHTTP)
			if tt.wantCode != "" {
				if code, _ := r.errorCode(t); code != tt.wantCode {
					t.Errorf("code = %s, want %s", code, tt.wantCode)
				}
			}
		})
	}
	t.Run("replace dropped description", func(t *testing.T) {
		r := h.call(http.MethodPost, "/api/v1/groups", `{"profile":{"name":"R","description":"d"}}`)
		gid := r.object(t)["id"].(string)
		r = h.call(http.MethodPut, "/api/v1/groups/"+gid, `{"profile":{"name":"R2"}}`)
		h.mustStatus(r, http.StatusOK)
		if diff := cmp.Diff(map[string]any{"name": "R2"}, r.object(t)["profile"]); diff != "" {
			t.Errorf("profile (-want +got):\n%s", diff)
		}
		r = h.call(http.MethodGet, "/api/v1/groups/"+gid, "")
		if got := r.summary(t); got != "" {
			t.Errorf("unexpected error %q", got)
		}
	})
	t.Run("not found summary", func(t *testing.T) {
		r := h.call(http.MethodGet, "/api/v1/groups/00g000000000000000zz", "")
		if got, want := r.summary(t), "Not found: Resource not found: 00g000000000000000zz (UserGroup)"; got != want {
			t.Errorf("summary = %q, want %q", got, want)
		}
	})
}

func TestListGroups(t *testing.T) {
	h := newHarness(t)
	var ids []string
	ids = append(ids, h.sim.EveryoneGroupID())
	for i := range 25 {
		g, err := h.sim.AddGroup(GroupSeed{Profile: map[string]any{"name": fmt.Sprintf("Eng %02d", i), "description": "team"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, g.ID)
	}
	app, err := h.sim.AddGroup(GroupSeed{Profile: map[string]any{"name": "AD Sales"}, Type: GroupTypeApp})
	if err != nil {
		t.Fatal(err)
	}
	all := append(append([]string(nil), ids...), app.ID)
	tests := []struct {
		name, path string
		want       []string
		pages      int
	}{
		{"all with everyone", "/api/v1/groups", all, 1},
		{"paged", "/api/v1/groups?limit=10", all, 3},
		{"search type", "/api/v1/groups?search=" + url.QueryEscape(`type eq "APP_GROUP"`), []string{app.ID}, 1},
		{"search name sw", "/api/v1/groups?limit=5&search=" + url.QueryEscape(`profile.name sw "eng 1"`), ids[11:21], 3},
		{"search name co", "/api/v1/groups?search=" + url.QueryEscape(`profile.name co "sales"`), []string{app.ID}, 1},
		{"filter type", "/api/v1/groups?filter=" + url.QueryEscape(`type eq "BUILT_IN"`), []string{ids[0]}, 1},
		{"filter lastMembershipUpdated", "/api/v1/groups?filter=" + url.QueryEscape(`type eq "OKTA_GROUP" and lastMembershipUpdated gt "2000-01-01T00:00:00.000Z"`), ids[1:], 1},
		{"q prefix", "/api/v1/groups?q=eng%202", ids[21:26], 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, pages := h.walk(tt.path)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if pages != tt.pages {
				t.Errorf("pages = %d, want %d", pages, tt.pages)
			}
		})
	}
	rejected := []struct{ name, query, code string }{
		{"filter on name", "filter=" + url.QueryEscape(`profile.name eq "Eng 01"`), "E0000031"},
		{"co on type", "search=" + url.QueryEscape(`type co "GROUP"`), "E0000031"},
		{"search objectClass", "search=" + url.QueryEscape(`objectClass eq "okta:user_group"`), "E0000031"},
		{"bad cursor", "after=zzz", "E0000001"},
		{"pr in search", "search=" + url.QueryEscape(`profile.description pr`), "E0000031"},
		{"search date without milliseconds", "search=" + url.QueryEscape(`lastUpdated gt "2000-01-01T00:00:00Z"`), "E0000030"},
		{"filter date without milliseconds", "filter=" + url.QueryEscape(`lastMembershipUpdated gt "2000-01-01T00:00:00Z"`), "E0000030"},
	}
	for _, tt := range rejected {
		t.Run(tt.name, func(t *testing.T) {
			r := h.call(http.MethodGet, "/api/v1/groups?"+tt.query, "")
			h.mustStatus(r, http.StatusBadRequest)
			if code, _ := r.errorCode(t); code != tt.code {
				t.Errorf("code = %s, want %s", code, tt.code)
			}
		})
	}
}

func TestMembership(t *testing.T) {
	h := newHarness(t)
	g, err := h.sim.AddGroup(GroupSeed{Profile: map[string]any{"name": "Team"}})
	if err != nil {
		t.Fatal(err)
	}
	app, err := h.sim.AddGroup(GroupSeed{Profile: map[string]any{"name": "Imported"}, Type: GroupTypeApp})
	if err != nil {
		t.Fatal(err)
	}
	us := seedUsers(t, h.sim, 7, StatusActive)
	base := "/api/v1/groups/" + g.ID + "/users/"
	steps := []struct {
		name, method, path string
		wantHTTP           int
		wantCode           string
	}{
		{"add", http.MethodPut, base + us[0].ID, 204, ""},
		{"add again is idempotent", http.MethodPut, base + us[0].ID, 204, ""},
		{"add second", http.MethodPut, base + us[1].ID, 204, ""},
		{"add unknown user", http.MethodPut, base + "00u000000000000000zz", 404, "E0000007"},
		{"add by login is not accepted", http.MethodPut, base + "user00002@example.com", 404, "E0000007"},
		{"add to unknown group", http.MethodPut, "/api/v1/groups/00g000000000000000zz/users/" + us[0].ID, 404, "E0000007"},
		{"add to app group", http.MethodPut, "/api/v1/groups/" + app.ID + "/users/" + us[0].ID, 403, "E0000006"},
		{"add to everyone", http.MethodPut, "/api/v1/groups/" + h.sim.EveryoneGroupID() + "/users/" + us[0].ID, 403, "E0000006"},
		{"remove", http.MethodDelete, base + us[1].ID, 204, ""},
		{"remove non-member", http.MethodDelete, base + us[1].ID, 204, ""},
		{"post not allowed", http.MethodPost, base + us[1].ID, 405, "E0000022"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			r := h.call(st.method, st.path, "")
			h.mustStatus(r, st.wantHTTP)
			if st.wantCode != "" {
				if code, _ := r.errorCode(t); code != st.wantCode {
					t.Errorf("code = %s, want %s", code, st.wantCode)
				}
			}
		})
	}
	if got, _ := h.sim.Group(g.ID); !cmp.Equal(got.MemberIDs, []string{us[0].ID}) {
		t.Errorf("members = %v, want [%s]", got.MemberIDs, us[0].ID)
	}
	for _, u := range us[2:] {
		h.mustStatus(h.call(http.MethodPut, base+u.ID, ""), http.StatusNoContent)
	}
	t.Run("group users paged", func(t *testing.T) {
		got, pages := h.walk("/api/v1/groups/" + g.ID + "/users?limit=2")
		want := []string{us[0].ID, us[2].ID, us[3].ID, us[4].ID, us[5].ID, us[6].ID}
		if diff := cmp.Diff(want, got); diff != "" || pages != 4 {
			t.Errorf("pages = %d, ids (-want +got):\n%s", pages, diff)
		}
	})
	t.Run("everyone lists all users", func(t *testing.T) {
		got, _ := h.walk("/api/v1/groups/" + h.sim.EveryoneGroupID() + "/users")
		if len(got) != len(us) {
			t.Errorf("everyone members = %d, want %d", len(got), len(us))
		}
	})
	t.Run("user groups include everyone", func(t *testing.T) {
		r := h.call(http.MethodGet, "/api/v1/users/"+us[0].ID+"/groups", "")
		h.mustStatus(r, http.StatusOK)
		var got []string
		for _, gr := range r.array(t) {
			got = append(got, gr["id"].(string))
		}
		if diff := cmp.Diff([]string{h.sim.EveryoneGroupID(), g.ID}, got); diff != "" {
			t.Errorf("groups (-want +got):\n%s", diff)
		}
	})
	t.Run("stats", func(t *testing.T) {
		r := h.call(http.MethodGet, "/api/v1/groups/"+g.ID+"?expand=stats", "")
		stats := r.object(t)["_embedded"].(map[string]any)["stats"].(map[string]any)
		if stats["usersCount"] != float64(6) {
			t.Errorf("usersCount = %v, want 6", stats["usersCount"])
		}
	})
	t.Run("deactivate drops memberships, delete group clears user", func(t *testing.T) {
		h.mustStatus(h.call(http.MethodPost, "/api/v1/users/"+us[2].ID+"/lifecycle/deactivate", ""), http.StatusOK)
		if u, _ := h.sim.User(us[2].ID); len(u.GroupIDs) != 0 {
			t.Errorf("deactivated user still in %v", u.GroupIDs)
		}
		h.mustStatus(h.call(http.MethodDelete, "/api/v1/groups/"+g.ID, ""), http.StatusNoContent)
		if u, _ := h.sim.User(us[0].ID); len(u.GroupIDs) != 0 {
			t.Errorf("user still in deleted group: %v", u.GroupIDs)
		}
	})
}
