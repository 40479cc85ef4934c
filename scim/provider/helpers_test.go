package provider_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// testBase is the base URL the provider builds locations from.
const testBase = "https://scim.example.com/scim/acme/v2"

// fixture is a provider serving Users and Groups from memory backends.
type fixture struct {
	h      *provider.Provider
	users  *memBackend
	groups *memBackend
}

// testConfig is DefaultConfig with the test base URL and a fixed cursor key.
func testConfig() provider.Config {
	cfg := provider.DefaultConfig()
	cfg.BaseURL = testBase
	cfg.CursorKey = []byte("0123456789abcdef0123456789abcdef")
	return cfg
}

func newFixture(t testing.TB, configure ...func(*provider.Config)) *fixture {
	t.Helper()
	cfg := testConfig()
	for _, c := range configure {
		c(&cfg)
	}
	groups := newMemBackend(schema.GroupResourceType(), "")
	users := newMemBackend(schema.UserResourceType(), "userName")
	users.groups = groups
	p, err := provider.New(cfg,
		provider.ResourceType{Type: users.rt, Backend: users},
		provider.ResourceType{Type: groups.rt, Backend: groups},
	)
	if err != nil {
		t.Fatalf("provider.New: %v", err)
	}
	return &fixture{h: p, users: users, groups: groups}
}

// response is a recorded response.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// header pairs ("If-Match", `W/"1"`) for request.
type header [2]string

// newRequest builds a request; target is taken as the raw, already escaped
// path and query, so hostile query strings reach the handler unchanged.
func newRequest(t testing.TB, method, target, body string, headers ...header) *http.Request {
	t.Helper()
	path, query, _ := strings.Cut(target, "?")
	u, err := url.Parse(path)
	if err != nil {
		t.Fatalf("bad test path %q: %v", path, err)
	}
	u.RawQuery = query
	r := httptest.NewRequest(method, "/", strings.NewReader(body))
	r.URL = u
	r.RequestURI = target
	if body != "" {
		r.Header.Set("Content-Type", scim.MediaType)
	}
	for _, h := range headers {
		r.Header.Set(h[0], h[1])
	}
	return r
}

// do sends a request and checks what every response must satisfy: a body
// is sent as exactly application/scim+json (RFC 7644 §3.1), an error body
// is the RFC 7644 §3.12 message with its status as a string, and no
// request makes the server fail.
func (f *fixture) do(t testing.TB, method, target, body string, headers ...header) response {
	t.Helper()
	return serve(t, f.h, newRequest(t, method, target, body, headers...))
}

func serve(t testing.TB, h http.Handler, r *http.Request) response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	res := response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	checkResponse(t, r, res)
	return res
}

func checkResponse(t testing.TB, r *http.Request, res response) {
	t.Helper()
	what := r.Method + " " + r.URL.String()
	if res.Status >= 500 && res.Status != http.StatusNotImplemented {
		t.Errorf("%s: status %d: %s", what, res.Status, res.Body)
	}
	if res.Status == http.StatusNoContent || res.Status == http.StatusNotModified {
		if len(res.Body) != 0 {
			t.Errorf("%s: status %d with a body: %s", what, res.Status, res.Body)
		}
		return
	}
	if ct := res.Header.Get("Content-Type"); ct != scim.MediaType {
		t.Errorf("%s: Content-Type = %q, want %q", what, ct, scim.MediaType)
	}
	var obj map[string]any
	if err := json.Unmarshal(res.Body, &obj); err != nil {
		t.Errorf("%s: body is not a JSON object: %v: %s", what, err, res.Body)
		return
	}
	if res.Status < 400 {
		return
	}
	want := map[string]any{"schemas": []any{scim.ErrorSchema}, "status": strconv.Itoa(res.Status)}
	for k, v := range want {
		if got, _ := json.Marshal(obj[k]); string(got) != mustJSON(t, v) {
			t.Errorf("%s: error body %s = %s, want %s", what, k, got, mustJSON(t, v))
		}
	}
	if st, ok := obj["scimType"]; ok {
		if s, _ := st.(string); s == "" {
			t.Errorf("%s: scimType %v is not a non-empty string", what, st)
		}
	}
}

// wantError asserts an RFC 7644 §3.12 error with the status and scimType ("" for none).
func wantError(t testing.TB, res response, status int, scimType string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status = %d, want %d: %s", res.Status, status, res.Body)
	}
	var body struct {
		ScimType string `json:"scimType"`
	}
	if err := json.Unmarshal(res.Body, &body); err != nil {
		t.Fatalf("error body: %v: %s", err, res.Body)
	}
	if body.ScimType != scimType {
		t.Errorf("scimType = %q, want %q (body %s)", body.ScimType, scimType, res.Body)
	}
}

// wantStatus asserts the status.
func wantStatus(t testing.TB, res response, status int) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status = %d, want %d: %s", res.Status, status, res.Body)
	}
}

// object decodes the body; numbers stay json.Number, so integers can be told apart.
func (res response) object(t testing.TB) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(res.Body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, res.Body)
	}
	return m
}

// decode decodes the body into v.
func (res response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(res.Body, v); err != nil {
		t.Fatalf("decoding %s: %v", res.Body, err)
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %v: %v", v, err)
	}
	return string(b)
}

// jsonInt asserts that v is a JSON integer (not a string or fraction) and returns it.
func jsonInt(t testing.TB, name string, v any) int {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%s = %#v, want a JSON integer", name, v)
	}
	i, err := strconv.Atoi(n.String())
	if err != nil {
		t.Fatalf("%s = %s, want a JSON integer", name, n)
	}
	return i
}

// pathOf returns the path of an absolute location relative to testBase, still escaped.
func pathOf(t testing.TB, location string) string {
	t.Helper()
	rest, ok := strings.CutPrefix(location, testBase)
	if !ok {
		t.Fatalf("location %q is not under %q", location, testBase)
	}
	return rest
}

// createUser POSTs a user and returns the created resource.
func (f *fixture) createUser(t testing.TB, userName string, extra ...string) map[string]any {
	t.Helper()
	body := `{"schemas":["` + scim.UserSchema + `"],"userName":` + strconv.Quote(userName)
	for _, e := range extra {
		body += "," + e
	}
	res := f.do(t, http.MethodPost, "/Users", body+"}")
	wantStatus(t, res, http.StatusCreated)
	return res.object(t)
}

// createGroup POSTs a group with the given member user ids.
func (f *fixture) createGroup(t testing.TB, displayName string, members ...string) map[string]any {
	t.Helper()
	var ms []map[string]string
	for _, m := range members {
		ms = append(ms, map[string]string{"value": m, "type": "User"})
	}
	body := map[string]any{"schemas": []string{scim.GroupSchema}, "displayName": displayName}
	if len(ms) > 0 {
		body["members"] = ms
	}
	res := f.do(t, http.MethodPost, "/Groups", mustJSON(t, body))
	wantStatus(t, res, http.StatusCreated)
	return res.object(t)
}

// jsonUnmarshalNumber decodes s when it is a JSON number.
func jsonUnmarshalNumber(s string, v *any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, ok := (*v).(json.Number); !ok || dec.More() {
		return fmt.Errorf("%q is not a JSON number", s)
	}
	return nil
}
