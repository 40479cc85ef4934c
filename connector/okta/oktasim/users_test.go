package oktasim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAuth(t *testing.T) {
	h := newHarness(t, WithToken("tok-1", "tok-2"), WithBearerToken("access-1"))
	tests := []struct {
		name   string
		header string
		want   int
	}{
		{"missing", "Authorization:", http.StatusUnauthorized},
		{"wrong token", "Authorization: SSWS nope", http.StatusUnauthorized},
		{"wrong scheme", "Authorization: Basic tok-1", http.StatusUnauthorized},
		{"bearer with api token", "Authorization: Bearer tok-1", http.StatusUnauthorized},
		{"ssws without token", "Authorization: SSWS", http.StatusUnauthorized},
		{"first token", "Authorization: SSWS tok-1", http.StatusOK},
		{"second token", "Authorization: SSWS tok-2", http.StatusOK},
		{"oauth access token", "Authorization: Bearer access-1", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.call(http.MethodGet, "/api/v1/users", "", tt.header)
			if r.status != tt.want {
				t.Fatalf("status = %d, want %d", r.status, tt.want)
			}
			if r.header.Get("X-Rate-Limit-Limit") == "" || r.header.Get("X-Rate-Limit-Reset") == "" || r.header.Get("Date") == "" {
				t.Errorf("rate-limit headers missing: %v", r.header)
			}
			if tt.want == http.StatusUnauthorized {
				code, _ := r.errorCode(t)
				if code != "E0000011" || r.summary(t) != "Invalid token provided" {
					t.Errorf("error = %s %q, want E0000011 Invalid token provided", code, r.summary(t))
				}
			}
		})
	}
	if h.sim.Token() != "tok-1" {
		t.Errorf("Token() = %q, want tok-1", h.sim.Token())
	}
}

// TestReadOnlyToken: a token of an administrator who may only read reads,
// and every write is 403 E0000006.
func TestReadOnlyToken(t *testing.T) {
	h := newHarness(t, WithToken("admin"), WithReadOnlyToken("reader"))
	id := h.createUser("read.only@example.com", "", true)
	reader := "Authorization: SSWS reader"
	h.mustStatus(h.call(http.MethodGet, "/api/v1/users/"+id, "", reader), http.StatusOK)
	h.mustStatus(h.call(http.MethodGet, "/api/v1/groups", "", reader), http.StatusOK)
	for _, c := range []struct{ method, path, body string }{
		{http.MethodPost, "/api/v1/users", `{"profile":{"login":"x@example.com","email":"x@example.com","firstName":"X","lastName":"Y"}}`},
		{http.MethodPost, "/api/v1/users/" + id, `{"profile":{"title":"T"}}`},
		{http.MethodPost, "/api/v1/users/" + id + "/lifecycle/suspend", ""},
		{http.MethodDelete, "/api/v1/users/" + id, ""},
		{http.MethodPost, "/api/v1/groups", `{"profile":{"name":"G"}}`},
	} {
		r := h.call(c.method, c.path, c.body, reader)
		h.mustStatus(r, http.StatusForbidden)
		if code, _ := r.errorCode(t); code != "E0000006" {
			t.Errorf("%s %s: code %s, want E0000006", c.method, c.path, code)
		}
	}
	if h.status(id) != StatusActive {
		t.Errorf("status %s after refused writes, want ACTIVE", h.status(id))
	}
}

func TestCreateUserStatus(t *testing.T) {
	// An activating create answers with the STAGED user transitioning
	// (activation is asynchronous); the next read shows it done.
	tests := []struct {
		name, query    string
		password       bool
		wantStatus     string
		wantTransition bool
	}{
		{"default activate with password", "", true, StatusActive, true},
		{"default activate without credentials", "", false, StatusProvisioned, true},
		{"activate false", "?activate=false", true, StatusStaged, false},
		{"activate false without password", "?activate=false", false, StatusStaged, false},
		{"expired password", "?nextLogin=changePassword", true, StatusPasswordExpired, false},
	}
	h := newHarness(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			login := "new" + string(rune('a'+i)) + "@example.com"
			r := h.call(http.MethodPost, "/api/v1/users"+tt.query, newUserJSON(login, tt.password))
			h.mustStatus(r, http.StatusOK)
			u := r.object(t)
			wantStatus, wantTransition := tt.wantStatus, any(nil)
			if tt.wantTransition {
				wantStatus, wantTransition = StatusStaged, tt.wantStatus
			}
			if u["status"] != wantStatus || u["transitioningToStatus"] != wantTransition {
				t.Errorf("status = %v -> %v, want %s -> %v", u["status"], u["transitioningToStatus"], wantStatus, wantTransition)
			}
			if u["activated"] != nil && wantStatus != StatusPasswordExpired {
				t.Errorf("activated = %v before the activation completed", u["activated"])
			}
			got := h.call(http.MethodGet, "/api/v1/users/"+u["id"].(string), "").object(t)
			if _, has := got["transitioningToStatus"]; got["status"] != tt.wantStatus || has {
				t.Errorf("read after create: status = %v -> %v, want %s", got["status"], got["transitioningToStatus"], tt.wantStatus)
			}
			if activated := got["activated"] != nil; activated != (tt.wantStatus != StatusStaged) {
				t.Errorf("read after create: activated = %v", got["activated"])
			}
			if !idPattern.MatchString(u["id"].(string)) || !strings.HasPrefix(u["id"].(string), "00u") {
				t.Errorf("id %q is not an Okta user id", u["id"])
			}
			for _, k := range []string{"created", "lastUpdated"} {
				if s, _ := u[k].(string); !timePattern.MatchString(s) {
					t.Errorf("%s = %v, want Okta timestamp", k, u[k])
				}
			}
			if _, ok := u["lastLogin"]; !ok || u["lastLogin"] != nil {
				t.Errorf("lastLogin = %v, want present and null", u["lastLogin"])
			}
			creds := u["credentials"].(map[string]any)
			if pw, has := creds["password"]; has != tt.password || (has && len(pw.(map[string]any)) != 0) {
				t.Errorf("credentials.password = %v, want {} only when a password was set", creds["password"])
			}
			if !strings.Contains(string(r.body), `"self":{"href":"`+h.ts.URL+"/api/v1/users/") {
				t.Errorf("self link missing: %s", r.body)
			}
			if u["type"].(map[string]any)["id"] != h.sim.UserTypeID() {
				t.Errorf("type.id = %v", u["type"])
			}
		})
	}
}

func TestCreateUserRejects(t *testing.T) {
	h := newHarness(t, WithUserProfileAttributes("favoriteColor"))
	h.createUser("taken@example.com", "", true)
	g, err := h.sim.AddGroup(GroupSeed{Profile: map[string]any{"name": "App"}, Type: GroupTypeApp})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, query, body string
		headers           []string
		wantStatus        int
		wantCode          string
		wantCause         string
	}{
		{"malformed json", "", `{"profile":`, nil, 400, "E0000003", ""},
		{"profile not an object", "", `{"profile":"x"}`, nil, 400, "E0000003", ""},
		{"unknown top-level field", "", `{"profile":{"login":"a@example.com","email":"a@example.com","firstName":"A","lastName":"B"},"foo":1}`, nil, 400, "E0000003", ""},
		{"unknown password field", "", `{"profile":{"login":"a@example.com","email":"a@example.com","firstName":"A","lastName":"B"},"credentials":{"password":{"val":"x"}}}`, nil, 400, "E0000003", ""},
		{"missing profile", "", `{"credentials":{}}`, nil, 400, "E0000001", "profile: The field cannot be left blank"},
		{"missing lastName", "", `{"profile":{"login":"a@example.com","email":"a@example.com","firstName":"A"}}`, nil, 400, "E0000001", "lastName: The field cannot be left blank"},
		{"missing login", "", `{"profile":{"email":"a@example.com","firstName":"A","lastName":"B"}}`, nil, 400, "E0000001", "login: The field cannot be left blank"},
		{"login not email", "", `{"profile":{"login":"alice","email":"a@example.com","firstName":"A","lastName":"B"}}`, nil, 400, "E0000001", "login: Username must be in the form of an email address"},
		{"bad email", "", `{"profile":{"login":"a@example.com","email":"nope","firstName":"A","lastName":"B"}}`, nil, 400, "E0000001", "email: Does not match required pattern"},
		// RFC 5322 §3.2.3 dot-atoms only (spec UserProfile.email and login).
		{"email with doubled dot", "", `{"profile":{"login":"a@example.com","email":"a..b@example.com","firstName":"A","lastName":"B"}}`, nil, 400, "E0000001", "email: Does not match required pattern"},
		{"email with quoted local part", "", `{"profile":{"login":"a@example.com","email":"\"a,b\"@example.com","firstName":"A","lastName":"B"}}`, nil, 400, "E0000001", "email: Does not match required pattern"},
		{"second email with domain literal", "", `{"profile":{"login":"a@example.com","email":"a@example.com","secondEmail":"a@[10.0.0.1]","firstName":"A","lastName":"B"}}`, nil, 400, "E0000001", "secondEmail: Does not match required pattern"},
		{"login with leading dot", "", `{"profile":{"login":".a@example.com","email":"a@example.com","firstName":"A","lastName":"B"}}`, nil, 400, "E0000001", "login: Username must be in the form of an email address"},
		{"login with special", "", `{"profile":{"login":"a(b)@example.com","email":"a@example.com","firstName":"A","lastName":"B"}}`, nil, 400, "E0000001", "login: Username must be in the form of an email address"},
		{"login with two at signs", "", `{"profile":{"login":"a@b@example.com","email":"a@example.com","firstName":"A","lastName":"B"}}`, nil, 400, "E0000001", "login: Username must be in the form of an email address"},
		{"preferredLanguage not a language range", "", `{"profile":{"login":"a@example.com","email":"a@example.com","firstName":"A","lastName":"B","preferredLanguage":"English (US)"}}`, nil, 400, "E0000001", "preferredLanguage: Does not match required pattern"},
		{"preferredLanguage bad weight", "", `{"profile":{"login":"a@example.com","email":"a@example.com","firstName":"A","lastName":"B","preferredLanguage":"en;q=2"}}`, nil, 400, "E0000001", "preferredLanguage: Does not match required pattern"},
		{"firstName too long", "", `{"profile":{"login":"a@example.com","email":"a@example.com","firstName":"` + strings.Repeat("x", 51) + `","lastName":"B"}}`, nil, 400, "E0000001", "firstName: The field cannot exceed 50 characters"},
		{"undeclared attribute", "", `{"profile":{"login":"a@example.com","email":"a@example.com","firstName":"A","lastName":"B","shoeSize":"9"}}`, nil, 400, "E0000001", "Property name 'shoeSize' is not defined in profile"},
		{"duplicate login", "", newUserJSON("taken@example.com", false), nil, 400, "E0000001", "login: An object with this field already exists in the current organization"},
		{"duplicate login other case", "", newUserJSON("TAKEN@Example.com", false), nil, 400, "E0000001", "login: An object with this field already exists in the current organization"},
		{"duplicate login diacritics", "", newUserJSON("tàkén@example.com", false), nil, 400, "E0000001", "login: An object with this field already exists in the current organization"},
		{"weak password", "", `{"profile":{"login":"a@example.com","email":"a@example.com","firstName":"A","lastName":"B"},"credentials":{"password":{"value":"short"}}}`, nil, 400, "E0000001", ""},
		{"password contains username", "", `{"profile":{"login":"zebra@example.com","email":"a@example.com","firstName":"A","lastName":"B"},"credentials":{"password":{"value":"Zebra12345"}}}`, nil, 400, "E0000001", ""},
		{"expire without password", "?nextLogin=changePassword", newUserJSON("b@example.com", false), nil, 400, "E0000124", ""},
		{"expire without activation", "?nextLogin=changePassword&activate=false", newUserJSON("b@example.com", true), nil, 400, "E0000125", ""},
		{"bad activate value", "?activate=yes", newUserJSON("b@example.com", true), nil, 400, "E0000001", ""},
		{"unknown group", "", `{"profile":{"login":"a@example.com","email":"a@example.com","firstName":"A","lastName":"B"},"groupIds":["00g0000000000000000x"]}`, nil, 400, "E0000001", ""},
		{"app group", "", `{"profile":{"login":"a@example.com","email":"a@example.com","firstName":"A","lastName":"B"},"groupIds":["` + g.ID + `"]}`, nil, 400, "E0000001", ""},
		{"foreign user type", "", `{"profile":{"login":"a@example.com","email":"a@example.com","firstName":"A","lastName":"B"},"type":{"id":"otyX"}}`, nil, 400, "E0000001", ""},
		{"text content type", "", newUserJSON("c@example.com", true), []string{"Content-Type: text/plain"}, 400, "E0000021", ""},
		{"missing content type", "", newUserJSON("c@example.com", true), []string{"Content-Type:"}, 400, "E0000021", ""},
		{"xml accept", "", newUserJSON("c@example.com", true), []string{"Accept: application/xml"}, 400, "E0000021", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(h.sim.Users())
			r := h.call(http.MethodPost, "/api/v1/users"+tt.query, tt.body, tt.headers...)
			h.mustStatus(r, tt.wantStatus)
			code, causes := r.errorCode(t)
			if code != tt.wantCode {
				t.Errorf("errorCode = %s, want %s (%s)", code, tt.wantCode, r.body)
			}
			if tt.wantCause != "" && !contains(causes, tt.wantCause) {
				t.Errorf("causes = %q, want %q", causes, tt.wantCause)
			}
			if got := len(h.sim.Users()); got != before {
				t.Errorf("user count changed %d -> %d on a rejected create", before, got)
			}
		})
	}
	t.Run("declared custom attribute accepted", func(t *testing.T) {
		r := h.call(http.MethodPost, "/api/v1/users", `{"profile":{"login":"c@example.com","email":"c@example.com","firstName":"C","lastName":"D","favoriteColor":"blue"}}`)
		h.mustStatus(r, http.StatusOK)
	})
	t.Run("dot-atom logins and language ranges accepted", func(t *testing.T) {
		r := h.call(http.MethodPost, "/api/v1/users", `{"profile":{"login":"isáàc.bröck+x@mail.example.com","email":"o'neil/x@example.com","firstName":"I","lastName":"B","preferredLanguage":"en-US, en;q=0.5, *;q=0"}}`)
		h.mustStatus(r, http.StatusOK)
	})
	t.Run("validation summary names the field", func(t *testing.T) {
		r := h.call(http.MethodPost, "/api/v1/users", newUserJSON("taken@example.com", false))
		if got := r.summary(t); got != "Api validation failed: login" {
			t.Errorf("errorSummary = %q", got)
		}
	})
	t.Run("read-only fields of a fetched user are accepted", func(t *testing.T) {
		r := h.call(http.MethodPost, "/api/v1/users", `{"id":"x","status":"ACTIVE","_links":{},"profile":{"login":"d@example.com","email":"d@example.com","firstName":"D","lastName":"E"},"credentials":{"provider":{"type":"OKTA","name":"OKTA"}}}`)
		h.mustStatus(r, http.StatusOK)
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestCreateUserInGroups(t *testing.T) {
	h := newHarness(t)
	g, err := h.sim.AddGroup(GroupSeed{Profile: map[string]any{"name": "Eng"}})
	if err != nil {
		t.Fatal(err)
	}
	r := h.call(http.MethodPost, "/api/v1/users?activate=false", `{"profile":{"login":"a@example.com","email":"a@example.com","firstName":"A","lastName":"B"},"groupIds":["`+g.ID+`"]}`)
	h.mustStatus(r, http.StatusOK)
	u, _ := h.sim.User("a@example.com")
	if diff := cmp.Diff([]string{g.ID}, u.GroupIDs); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
}

func TestGetUser(t *testing.T) {
	h := newHarness(t, WithTokenUser("isaac.brock@example.com"))
	id := h.createUser("isaac.brock@example.com", "", true)
	h.createUser("dup@a.example.com", "", true)
	h.createUser("dup@b.example.com", "", true)
	h.createUser("me@example.com", "", true) // shortname "me"
	tests := []struct {
		name, key string
		wantID    string
	}{
		{"by id", id, id},
		{"by login", "isaac.brock@example.com", id},
		{"by login other case", url.PathEscape("Isaac.Brock@EXAMPLE.com"), id},
		{"by shortname", "isaac.brock", id},
		{"ambiguous shortname", "dup", ""},
		{"unknown", "00u000000000000000zz", ""},
		{"login with encoded slash", url.PathEscape("a/b@example.com"), ""},
		// spec getUser: "me" is the API token's user, never a shortname
		{"me", "me", id},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.call(http.MethodGet, "/api/v1/users/"+tt.key, "")
			if tt.wantID == "" {
				h.mustStatus(r, http.StatusNotFound)
				if code, _ := r.errorCode(t); code != "E0000007" {
					t.Errorf("code = %s", code)
				}
				return
			}
			h.mustStatus(r, http.StatusOK)
			if got := r.object(t)["id"]; got != tt.wantID {
				t.Errorf("id = %v, want %s", got, tt.wantID)
			}
			if !strings.HasPrefix(r.header.Get("ETag"), `W/"`) {
				t.Errorf("ETag = %q", r.header.Get("ETag"))
			}
		})
	}
	r := h.call(http.MethodGet, "/api/v1/users/00u000000000000000zz", "")
	if got, want := r.summary(t), "Not found: Resource not found: 00u000000000000000zz (User)"; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
}

// TestGetUserMeWithoutTokenUser checks that "me" without a token user is
// 404, even when it is the unambiguous shortname of a user.
func TestGetUserMeWithoutTokenUser(t *testing.T) {
	h := newHarness(t)
	h.createUser("me@example.com", "", true)
	h.mustStatus(h.call(http.MethodGet, "/api/v1/users/me", ""), http.StatusNotFound)
	h.mustStatus(h.call(http.MethodGet, "/api/v1/users/me@example.com", ""), http.StatusOK)
}

func TestUpdateUser(t *testing.T) {
	h := newHarness(t)
	id := h.createUser("a@example.com", "", true)
	h.createUser("other@example.com", "", true)
	r := h.call(http.MethodPost, "/api/v1/users/"+id, `{"profile":{"title":"Boss","mobilePhone":"555"}}`)
	h.mustStatus(r, http.StatusOK)
	etagV := r.header.Get("ETag")

	tests := []struct {
		name, method, body string
		headers            []string
		wantStatus         int
		wantCode           string
		wantProfile        map[string]any
	}{
		{"partial merges", http.MethodPost, `{"profile":{"department":"R&D"}}`, nil, 200, "",
			map[string]any{"login": "a@example.com", "email": "a@example.com", "firstName": "First", "lastName": "Last", "title": "Boss", "mobilePhone": "555", "department": "R&D", "secondEmail": nil}},
		{"partial null removes", http.MethodPost, `{"profile":{"mobilePhone":null}}`, nil, 200, "",
			map[string]any{"login": "a@example.com", "email": "a@example.com", "firstName": "First", "lastName": "Last", "title": "Boss", "department": "R&D", "mobilePhone": nil, "secondEmail": nil}},
		{"partial null on required", http.MethodPost, `{"profile":{"firstName":null}}`, nil, 400, "E0000001", nil},
		{"stale if-match", http.MethodPost, `{"profile":{"title":"X"}}`, []string{"If-Match: " + etagV}, 412, "E0000001", nil},
		{"rename to taken login", http.MethodPost, `{"profile":{"login":"Other@example.com"}}`, nil, 400, "E0000001", nil},
		{"change user type", http.MethodPost, `{"type":{"id":"oty000"}}`, nil, 400, "E0000001", nil},
		{"replace drops unsent", http.MethodPut, `{"profile":{"login":"a2@example.com","email":"a@example.com","firstName":"F","lastName":"L"}}`, nil, 200, "",
			map[string]any{"login": "a2@example.com", "email": "a@example.com", "firstName": "F", "lastName": "L", "mobilePhone": nil, "secondEmail": nil}},
		{"replace missing required", http.MethodPut, `{"profile":{"login":"a2@example.com","email":"a@example.com","firstName":"F"}}`, nil, 400, "E0000001", nil},
		{"set password", http.MethodPost, `{"credentials":{"password":{"value":"N3wPassw0rd!"}}}`, nil, 200, "", nil},
		{"weak password", http.MethodPost, `{"credentials":{"password":{"value":"weak"}}}`, nil, 400, "E0000001", nil},
		{"malformed", http.MethodPut, `{"profile":[1]}`, nil, 400, "E0000003", nil},
		{"unknown user", http.MethodPost, `{"profile":{}}`, nil, 404, "E0000007", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := id
			if tt.name == "unknown user" {
				target = "nobody@example.com"
			}
			r := h.call(tt.method, "/api/v1/users/"+target, tt.body, tt.headers...)
			h.mustStatus(r, tt.wantStatus)
			if tt.wantCode != "" {
				if code, _ := r.errorCode(t); code != tt.wantCode {
					t.Errorf("code = %s, want %s", code, tt.wantCode)
				}
				return
			}
			if tt.wantProfile != nil {
				if diff := cmp.Diff(tt.wantProfile, r.object(t)["profile"]); diff != "" {
					t.Errorf("profile (-want +got):\n%s", diff)
				}
			}
		})
	}
	t.Run("old login freed after rename", func(t *testing.T) {
		h.createUser("a@example.com", "", true)
	})
	t.Run("matching if-match accepted", func(t *testing.T) {
		r := h.call(http.MethodGet, "/api/v1/users/"+id, "")
		r = h.call(http.MethodPost, "/api/v1/users/"+id, `{"profile":{"title":"Y"}}`, "If-Match: "+r.header.Get("ETag"))
		h.mustStatus(r, http.StatusOK)
	})
	t.Run("deprovisioned profile is read-only", func(t *testing.T) {
		h.mustStatus(h.call(http.MethodPost, "/api/v1/users/"+id+"/lifecycle/deactivate", ""), http.StatusOK)
		r := h.call(http.MethodPost, "/api/v1/users/"+id, `{"profile":{"title":"Z"}}`)
		h.mustStatus(r, http.StatusForbidden)
		if code, _ := r.errorCode(t); code != "E0000038" {
			t.Errorf("code = %s, want E0000038", code)
		}
	})
}

func TestLifecycle(t *testing.T) {
	tests := []struct {
		name, from, op string
		password       bool
		wantHTTP       int
		wantCode       string
		wantStatus     string
	}{
		{"activate staged with password", StatusStaged, "activate", true, 200, "", StatusActive},
		{"activate staged without password", StatusStaged, "activate", false, 200, "", StatusProvisioned},
		{"activate deprovisioned", StatusDeprovisioned, "activate", true, 200, "", StatusActive},
		{"activate active", StatusActive, "activate", true, 403, "E0000016", StatusActive},
		{"activate suspended", StatusSuspended, "activate", true, 403, "E0000038", StatusSuspended},
		{"activate provisioned", StatusProvisioned, "activate", false, 403, "E0000038", StatusProvisioned},
		{"deactivate active", StatusActive, "deactivate", true, 200, "", StatusDeprovisioned},
		{"deactivate staged", StatusStaged, "deactivate", true, 200, "", StatusDeprovisioned},
		{"deactivate deprovisioned", StatusDeprovisioned, "deactivate", true, 403, "E0000038", StatusDeprovisioned},
		{"suspend active", StatusActive, "suspend", true, 200, "", StatusSuspended},
		{"suspend staged", StatusStaged, "suspend", true, 400, "E0000001", StatusStaged},
		{"suspend suspended", StatusSuspended, "suspend", true, 400, "E0000001", StatusSuspended},
		{"unsuspend suspended", StatusSuspended, "unsuspend", true, 200, "", StatusActive},
		{"unsuspend active", StatusActive, "unsuspend", true, 400, "E0000001", StatusActive},
		{"reactivate provisioned", StatusProvisioned, "reactivate", false, 200, "", StatusProvisioned},
		{"reactivate active", StatusActive, "reactivate", true, 403, "E0000038", StatusActive},
	}
	h := newHarness(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seed := UserSeed{Status: tt.from, Profile: map[string]any{"login": "lc" + string(rune('a'+i)) + "@example.com",
				"email": "x@example.com", "firstName": "F", "lastName": "L"}}
			if tt.password {
				seed.Password = "Secr3tPassw0rd"
			}
			u, err := h.sim.AddUser(seed)
			if err != nil {
				t.Fatal(err)
			}
			r := h.call(http.MethodPost, "/api/v1/users/"+u.ID+"/lifecycle/"+tt.op+"?sendEmail=false", "")
			h.mustStatus(r, tt.wantHTTP)
			if tt.wantCode != "" {
				if code, _ := r.errorCode(t); code != tt.wantCode {
					t.Errorf("code = %s, want %s", code, tt.wantCode)
				}
			}
			if got := h.status(u.ID); got != tt.wantStatus {
				t.Errorf("status = %s, want %s", got, tt.wantStatus)
			}
			if tt.wantHTTP == 200 && (tt.op == "activate" || tt.op == "reactivate") {
				if tok, _ := r.object(t)["activationToken"].(string); tok == "" {
					t.Errorf("sendEmail=false must return an activation token: %s", r.body)
				}
			}
		})
	}
	t.Run("activate with email returns empty object", func(t *testing.T) {
		u, err := h.sim.AddUser(UserSeed{Status: StatusStaged, Profile: map[string]any{"login": "mail@example.com", "email": "m@example.com", "firstName": "F", "lastName": "L"}})
		if err != nil {
			t.Fatal(err)
		}
		r := h.call(http.MethodPost, "/api/v1/users/"+u.ID+"/lifecycle/activate", "")
		h.mustStatus(r, http.StatusOK)
		if len(r.object(t)) != 0 {
			t.Errorf("body = %s, want {}", r.body)
		}
	})
}

// TestActivationIsAsynchronous checks that an activation is seen in
// progress (status unchanged, transitioningToStatus set) by the first look
// after it, and done by the next, without its timestamps moving; a write
// completes it first.
func TestActivationIsAsynchronous(t *testing.T) {
	h := newHarness(t)
	seed := func(login, status, password string) string {
		u, err := h.sim.AddUser(UserSeed{Status: status, Password: password, Profile: map[string]any{"login": login, "email": login, "firstName": "F", "lastName": "L"}})
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	activate := func(id string) {
		h.mustStatus(h.call(http.MethodPost, "/api/v1/users/"+id+"/lifecycle/activate?sendEmail=false", ""), http.StatusOK)
	}
	t.Run("read after activate", func(t *testing.T) {
		id := seed("async1@example.com", StatusDeprovisioned, "Secr3tPassw0rd")
		activate(id)
		first := h.call(http.MethodGet, "/api/v1/users/"+id, "").object(t)
		if first["status"] != StatusDeprovisioned || first["transitioningToStatus"] != StatusActive {
			t.Errorf("first read: status = %v -> %v, want DEPROVISIONED -> ACTIVE", first["status"], first["transitioningToStatus"])
		}
		second := h.call(http.MethodGet, "/api/v1/users/"+id, "").object(t)
		if _, has := second["transitioningToStatus"]; second["status"] != StatusActive || has {
			t.Errorf("second read: status = %v -> %v, want ACTIVE", second["status"], second["transitioningToStatus"])
		}
		if second["lastUpdated"] != first["lastUpdated"] || second["statusChanged"] != first["lastUpdated"] {
			t.Errorf("completion moved the timestamps: %v/%v, then %v/%v", first["lastUpdated"], first["statusChanged"], second["lastUpdated"], second["statusChanged"])
		}
	})
	t.Run("list after activate", func(t *testing.T) {
		id := seed("async2@example.com", StatusStaged, "")
		activate(id)
		r := h.call(http.MethodGet, "/api/v1/users?search="+url.QueryEscape(`id eq "`+id+`"`), "")
		if got := r.array(t); len(got) != 1 || got[0]["status"] != StatusStaged || got[0]["transitioningToStatus"] != StatusProvisioned {
			t.Errorf("listed = %s, want STAGED -> PROVISIONED", r.body)
		}
		if got := h.call(http.MethodGet, "/api/v1/users/"+id, "").object(t)["status"]; got != StatusProvisioned {
			t.Errorf("status after the listing = %v, want PROVISIONED", got)
		}
	})
	t.Run("write after activate", func(t *testing.T) {
		id := seed("async3@example.com", StatusStaged, "Secr3tPassw0rd")
		activate(id)
		u := h.call(http.MethodPost, "/api/v1/users/"+id, `{"profile":{"title":"T"}}`).object(t)
		if _, has := u["transitioningToStatus"]; u["status"] != StatusActive || has {
			t.Errorf("update response: status = %v -> %v, want ACTIVE", u["status"], u["transitioningToStatus"])
		}
	})
	t.Run("lifecycle call after activate", func(t *testing.T) {
		id := seed("async4@example.com", StatusStaged, "Secr3tPassw0rd")
		activate(id)
		// The activation completes before the second one is judged.
		r := h.call(http.MethodPost, "/api/v1/users/"+id+"/lifecycle/activate", "")
		h.mustStatus(r, http.StatusForbidden)
		if code, _ := r.errorCode(t); code != "E0000016" {
			t.Errorf("code = %s, want E0000016 (already active)", code)
		}
		h.mustStatus(h.call(http.MethodPost, "/api/v1/users/"+id+"/lifecycle/suspend", ""), http.StatusOK)
	})
}

func TestDeleteUserTwoStep(t *testing.T) {
	h := newHarness(t)
	id := h.createUser("gone@example.com", "", true)
	g, err := h.sim.AddGroup(GroupSeed{Profile: map[string]any{"name": "G"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.sim.AddMember(g.ID, id); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		wantHTTP   int
		wantStatus string
	}{
		{http.StatusNoContent, StatusDeprovisioned},
		{http.StatusNoContent, "<deleted>"},
		{http.StatusNotFound, "<deleted>"},
	}
	for i, st := range steps {
		r := h.call(http.MethodDelete, "/api/v1/users/"+id, "")
		h.mustStatus(r, st.wantHTTP)
		if got := h.status(id); got != st.wantStatus {
			t.Fatalf("after delete %d: status = %s, want %s", i+1, got, st.wantStatus)
		}
		if i == 0 {
			if gg, _ := h.sim.Group(g.ID); len(gg.MemberIDs) != 0 {
				t.Errorf("deactivation kept memberships %v", gg.MemberIDs)
			}
		}
	}
	// The login is free again once the user is gone.
	h.createUser("gone@example.com", "", true)
}

// TestProfileShowsNulls: Okta shows mobilePhone and secondEmail on every
// user, null when unset (spec ListUsersResponse), in reads and lists; a
// profile read can be sent back as it is.
func TestProfileShowsNulls(t *testing.T) {
	h := newHarness(t)
	id := h.createUser("nulls@example.com", "", true)
	r := h.call(http.MethodGet, "/api/v1/users/"+id, "")
	h.mustStatus(r, http.StatusOK)
	p := r.object(t)["profile"].(map[string]any)
	for _, k := range []string{"mobilePhone", "secondEmail"} {
		if v, ok := p[k]; !ok || v != nil {
			t.Errorf("GET: profile.%s = %v (present %v), want null", k, v, ok)
		}
	}
	r = h.call(http.MethodGet, "/api/v1/users", "")
	h.mustStatus(r, http.StatusOK)
	if v, ok := r.array(t)[0]["profile"].(map[string]any)["secondEmail"]; !ok || v != nil {
		t.Errorf("list: profile.secondEmail = %v (present %v), want null", v, ok)
	}
	body, _ := json.Marshal(map[string]any{"profile": p})
	h.mustStatus(h.call(http.MethodPut, "/api/v1/users/"+id, string(body)), http.StatusOK)
	if u, _ := h.sim.User(id); len(u.Profile) != 4 {
		t.Errorf("stored profile after sending the read one back: %v", u.Profile)
	}
}
