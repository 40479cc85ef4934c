package bareserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const testToken = "secret"

// response is a decoded reply.
type response struct {
	status int
	header http.Header
	body   map[string]any
}

func call(t *testing.T, h http.Handler, method, target, body string) response {
	t.Helper()
	return callAs(t, h, testToken, method, target, body)
}

func callAs(t *testing.T, h http.Handler, token, method, target, body string) response {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := response{status: rec.Code, header: rec.Header()}
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &res.body); err != nil {
			t.Fatalf("%s %s: decoding %q: %v", method, target, rec.Body.String(), err)
		}
	}
	return res
}

func createUser(t *testing.T, h http.Handler, userName string) string {
	t.Helper()
	res := call(t, h, http.MethodPost, "/Users", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,"displayName":"D %s","active":true}`, userName, userName))
	if res.status != http.StatusCreated {
		t.Fatalf("create %s: status %d, body %v", userName, res.status, res.body)
	}
	id, _ := res.body["id"].(string)
	if id == "" {
		t.Fatalf("create %s: no id in %v", userName, res.body)
	}
	return id
}

func memberValues(t *testing.T, body map[string]any) []string {
	t.Helper()
	raw, ok := body["members"]
	if !ok {
		return nil
	}
	list, ok := raw.([]any)
	if !ok {
		t.Fatalf("members is %T, want array", raw)
	}
	out := make([]string, 0, len(list))
	for _, m := range list {
		out = append(out, m.(map[string]any)["value"].(string))
	}
	return out
}

func TestAuthentication(t *testing.T) {
	h := New(testToken)
	tests := []struct {
		name  string
		token string
		want  int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"wrong token", "nope", http.StatusUnauthorized},
		{"right token", testToken, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := callAs(t, h, tt.token, http.MethodGet, "/Users", "")
			if res.status != tt.want {
				t.Fatalf("status %d, want %d", res.status, tt.want)
			}
			if tt.want == http.StatusUnauthorized && res.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestUsers(t *testing.T) {
	h := New(testToken)
	alice := createUser(t, h, "alice")
	bob := createUser(t, h, "bob")

	tests := []struct {
		name       string
		method     string
		target     string
		body       string
		wantStatus int
		check      func(t *testing.T, res response)
	}{
		{"duplicate userName", http.MethodPost, "/Users", `{"userName":"alice"}`, http.StatusConflict, func(t *testing.T, res response) {
			if res.body["scimType"] != "uniqueness" {
				t.Errorf("scimType %v, want uniqueness", res.body["scimType"])
			}
		}},
		{"duplicate userName differs in case", http.MethodPost, "/Users", `{"userName":"ALICE"}`, http.StatusConflict, nil},
		{"missing userName", http.MethodPost, "/Users", `{"displayName":"x"}`, http.StatusBadRequest, nil},
		{"bad json", http.MethodPost, "/Users", `{`, http.StatusBadRequest, nil},
		{"get", http.MethodGet, "/Users/" + alice, "", http.StatusOK, func(t *testing.T, res response) {
			if res.body["userName"] != "alice" || res.body["id"] != alice {
				t.Errorf("got %v", res.body)
			}
		}},
		{"get unknown", http.MethodGet, "/Users/nope", "", http.StatusNotFound, nil},
		{"filter hit", http.MethodGet, `/Users?filter=userName%20eq%20%22Bob%22`, "", http.StatusOK, func(t *testing.T, res response) {
			if res.body["totalResults"] != 1.0 {
				t.Fatalf("totalResults %v, want 1", res.body["totalResults"])
			}
			got := res.body["Resources"].([]any)[0].(map[string]any)["id"]
			if got != bob {
				t.Errorf("id %v, want %s", got, bob)
			}
		}},
		{"filter miss", http.MethodGet, `/Users?filter=userName+eq+%22carol%22`, "", http.StatusOK, func(t *testing.T, res response) {
			if res.body["totalResults"] != 0.0 || len(res.body["Resources"].([]any)) != 0 {
				t.Errorf("got %v", res.body)
			}
		}},
		{"unsupported filter", http.MethodGet, `/Users?filter=displayName%20co%20%22a%22`, "", http.StatusBadRequest, func(t *testing.T, res response) {
			if res.body["scimType"] != "invalidFilter" {
				t.Errorf("scimType %v", res.body["scimType"])
			}
		}},
		{"cursor refused", http.MethodGet, `/Users?cursor&count=10`, "", http.StatusBadRequest, nil},
		{"patch replace", http.MethodPatch, "/Users/" + alice,
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Alice A"},{"op":"replace","path":"active","value":false}]}`,
			http.StatusOK, func(t *testing.T, res response) {
				if res.body["displayName"] != "Alice A" || res.body["active"] != false || res.body["userName"] != "alice" {
					t.Errorf("got %v", res.body)
				}
			}},
		{"patch without path", http.MethodPatch, "/Users/" + bob,
			`{"Operations":[{"op":"replace","value":{"title":"Boss"}}]}`, http.StatusOK, func(t *testing.T, res response) {
				if res.body["title"] != "Boss" || res.body["id"] != bob {
					t.Errorf("got %v", res.body)
				}
			}},
		{"patch to a taken userName", http.MethodPatch, "/Users/" + bob,
			`{"Operations":[{"op":"replace","path":"userName","value":"Alice"}]}`, http.StatusConflict, nil},
		{"patch nested path", http.MethodPatch, "/Users/" + bob,
			`{"Operations":[{"op":"replace","path":"name.givenName","value":"B"}]}`, http.StatusBadRequest, nil},
		{"patch unknown op", http.MethodPatch, "/Users/" + bob,
			`{"Operations":[{"op":"move","path":"title","value":"x"}]}`, http.StatusBadRequest, nil},
		{"patch unknown user", http.MethodPatch, "/Users/nope",
			`{"Operations":[{"op":"replace","path":"title","value":"x"}]}`, http.StatusNotFound, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := call(t, h, tt.method, tt.target, tt.body)
			if res.status != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %v", res.status, tt.wantStatus, res.body)
			}
			if tt.check != nil {
				tt.check(t, res)
			}
		})
	}
}

func TestCreateUserLocation(t *testing.T) {
	h := New(testToken)
	res := call(t, h, http.MethodPost, "http://bench.test/Users", `{"userName":"x"}`)
	want := "http://bench.test/Users/" + res.body["id"].(string)
	if got := res.header.Get("Location"); got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	if got := res.body["meta"].(map[string]any)["location"]; got != want {
		t.Errorf("meta.location %v, want %q", got, want)
	}
}

func TestPagingAndDelete(t *testing.T) {
	h := New(testToken)
	var ids []string
	for i := range 7 {
		ids = append(ids, createUser(t, h, fmt.Sprintf("u%d", i)))
	}
	// Deleting u2 must close the gap without reordering the rest.
	if res := call(t, h, http.MethodDelete, "/Users/"+ids[2], ""); res.status != http.StatusNoContent {
		t.Fatalf("delete: status %d", res.status)
	}
	if res := call(t, h, http.MethodDelete, "/Users/"+ids[2], ""); res.status != http.StatusNotFound {
		t.Fatalf("second delete: status %d, want 404", res.status)
	}
	if res := call(t, h, http.MethodGet, `/Users?filter=userName%20eq%20%22u2%22`, ""); res.body["totalResults"] != 0.0 {
		t.Fatalf("deleted user still found by filter: %v", res.body)
	}
	live := append(append([]string{}, ids[:2]...), ids[3:]...)

	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"first page", "startIndex=1&count=4", live[:4]},
		{"second page", "startIndex=5&count=4", live[4:]},
		{"past the end", "startIndex=50&count=4", []string{}},
		{"startIndex below 1", "startIndex=-3&count=2", live[:2]},
		{"count zero", "count=0", []string{}},
		{"defaults", "", live},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := call(t, h, http.MethodGet, "/Users?"+tt.query, "")
			if res.status != http.StatusOK {
				t.Fatalf("status %d: %v", res.status, res.body)
			}
			if res.body["totalResults"] != float64(len(live)) {
				t.Errorf("totalResults %v, want %d", res.body["totalResults"], len(live))
			}
			got := []string{}
			for _, r := range res.body["Resources"].([]any) {
				got = append(got, r.(map[string]any)["id"].(string))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if res.body["itemsPerPage"] != float64(len(got)) {
				t.Errorf("itemsPerPage %v, want %d", res.body["itemsPerPage"], len(got))
			}
		})
	}
}

func TestGroups(t *testing.T) {
	h := New(testToken)
	res := call(t, h, http.MethodPost, "/Groups", `{"displayName":"eng","members":[{"value":"a"},{"value":"b"},{"value":"a"}]}`)
	if res.status != http.StatusCreated || res.header.Get("Location") == "" {
		t.Fatalf("create group: status %d, Location %q", res.status, res.header.Get("Location"))
	}
	if diff := cmp.Diff([]string{"a", "b"}, memberValues(t, res.body)); diff != "" {
		t.Fatalf("created members (-want +got):\n%s", diff)
	}
	gid := res.body["id"].(string)
	path := "/Groups/" + gid
	patch := func(ops string) string {
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + ops + `]}`
	}

	// Steps run in order; each states the members after it.
	steps := []struct {
		name        string
		method      string
		target      string
		body        string
		wantStatus  int
		wantMembers []string // nil: the response must carry no members
	}{
		{"add new and existing", http.MethodPatch, path,
			patch(`{"op":"add","path":"members","value":[{"value":"c"},{"value":"a"},{"value":"d"}]}`),
			http.StatusOK, []string{"a", "b", "c", "d"}},
		{"remove by filter", http.MethodPatch, path,
			patch(`{"op":"remove","path":"members[value eq \"b\"]"},{"op":"remove","path":"members[value eq \"zz\"]"}`),
			http.StatusOK, []string{"a", "c", "d"}},
		{"remove then re-add keeps one copy", http.MethodPatch, path,
			patch(`{"op":"remove","path":"members[value eq \"a\"]"},{"op":"add","path":"members","value":[{"value":"a"}]}`),
			http.StatusOK, []string{"a", "c", "d"}},
		{"add then remove in one request", http.MethodPatch, path,
			patch(`{"op":"add","path":"members","value":[{"value":"e"}]},{"op":"remove","path":"members[value eq \"e\"]"}`),
			http.StatusOK, []string{"a", "c", "d"}},
		{"remove by value array", http.MethodPatch, path,
			patch(`{"op":"remove","path":"members","value":[{"value":"c"}]}`),
			http.StatusOK, []string{"a", "d"}},
		{"add without path", http.MethodPatch, path,
			patch(`{"op":"add","value":{"members":[{"value":"f"}]}}`),
			http.StatusOK, []string{"a", "d", "f"}},
		{"excludedAttributes hides members", http.MethodPatch, path + "?excludedAttributes=members",
			patch(`{"op":"add","path":"members","value":[{"value":"g"}]}`),
			http.StatusOK, nil},
		{"get shows the change", http.MethodGet, path, "", http.StatusOK, []string{"a", "d", "f", "g"}},
		{"get excluded", http.MethodGet, path + "?excludedAttributes=displayName,members", "", http.StatusOK, nil},
		{"replace members", http.MethodPatch, path,
			patch(`{"op":"replace","path":"members","value":[{"value":"d"},{"value":"h"}]}`),
			http.StatusOK, []string{"d", "h"}},
		{"remove all members", http.MethodPatch, path,
			patch(`{"op":"remove","path":"members"}`),
			http.StatusOK, nil},
		{"add on a filtered path", http.MethodPatch, path,
			patch(`{"op":"add","path":"members[value eq \"x\"]","value":[{"value":"x"}]}`),
			http.StatusBadRequest, nil},
		{"unsupported member filter", http.MethodPatch, path,
			patch(`{"op":"remove","path":"members[display eq \"x\"]"}`),
			http.StatusBadRequest, nil},
		{"unknown group", http.MethodPatch, "/Groups/nope",
			patch(`{"op":"add","path":"members","value":[{"value":"x"}]}`),
			http.StatusNotFound, nil},
		{"delete", http.MethodDelete, path, "", http.StatusNoContent, nil},
		{"get deleted", http.MethodGet, path, "", http.StatusNotFound, nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			res := call(t, h, st.method, st.target, st.body)
			if res.status != st.wantStatus {
				t.Fatalf("status %d, want %d: %v", res.status, st.wantStatus, res.body)
			}
			if st.wantStatus != http.StatusOK {
				return
			}
			if res.body["displayName"] == nil && !strings.Contains(st.target, "displayName") {
				t.Errorf("displayName missing: %v", res.body)
			}
			if diff := cmp.Diff(st.wantMembers, memberValues(t, res.body)); diff != "" {
				t.Errorf("members (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServiceProviderConfig(t *testing.T) {
	res := call(t, New(testToken), http.MethodGet, "/ServiceProviderConfig", "")
	if res.status != http.StatusOK {
		t.Fatalf("status %d", res.status)
	}
	pagination, _ := res.body["pagination"].(map[string]any)
	if diff := cmp.Diff(map[string]any{"cursor": false, "index": true}, map[string]any{"cursor": pagination["cursor"], "index": pagination["index"]}); diff != "" {
		t.Errorf("pagination (-want +got):\n%s", diff)
	}
}

// TestConcurrentMemberPatches checks that concurrent adds and removes on one
// group, with readers encoding it meanwhile, lose no update (run with -race).
func TestConcurrentMemberPatches(t *testing.T) {
	h := New(testToken)
	res := call(t, h, http.MethodPost, "/Groups", `{"displayName":"big"}`)
	path := "/Groups/" + res.body["id"].(string)
	const workers, perWorker = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker*2)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				v := fmt.Sprintf("w%d-%d", w, i)
				for _, body := range []string{
					`{"Operations":[{"op":"add","path":"members","value":[{"value":"` + v + `"},{"value":"` + v + `-gone"}]}]}`,
					`{"Operations":[{"op":"remove","path":"members[value eq \"` + v + `-gone\"]"}]}`,
				} {
					rec := httptest.NewRecorder()
					req := httptest.NewRequest(http.MethodPatch, path+"?excludedAttributes=members", strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+testToken)
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						errs <- fmt.Errorf("patch %s: status %d", v, rec.Code)
					}
				}
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.Header.Set("Authorization", "Bearer "+testToken)
				h.ServeHTTP(rec, req)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := memberValues(t, call(t, h, http.MethodGet, path, "").body)
	if len(got) != workers*perWorker {
		t.Fatalf("group has %d members, want %d", len(got), workers*perWorker)
	}
	for _, v := range got {
		if strings.HasSuffix(v, "-gone") {
			t.Fatalf("removed member %s still present", v)
		}
	}
}
