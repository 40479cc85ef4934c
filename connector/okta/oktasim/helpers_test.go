package oktasim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

type harness struct {
	t   *testing.T
	sim *Server
	ts  *httptest.Server
}

func newHarness(t *testing.T, opts ...Option) *harness {
	t.Helper()
	sim := New(append([]Option{WithSeed(1)}, opts...)...)
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	return &harness{t: t, sim: sim, ts: ts}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// call sends an authenticated JSON request; headers are "Name: value"
// strings that override the defaults (an empty value deletes the header).
func (h *harness) call(method, path, body string, headers ...string) response {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(h.t.Context(), method, h.ts.URL+path, rd)
	if err != nil {
		h.t.Fatalf("build request: %v", err)
	}
	req.Header.Set("Authorization", "SSWS "+h.sim.Token())
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, hv := range headers {
		name, value, _ := strings.Cut(hv, ":")
		value = strings.TrimSpace(value)
		if value == "" {
			req.Header.Del(name)
		} else {
			req.Header.Set(name, value)
		}
	}
	resp, err := h.ts.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("read body: %v", err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (r response) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("decode object %q: %v", r.body, err)
	}
	return m
}

func (r response) array(t *testing.T) []map[string]any {
	t.Helper()
	var a []map[string]any
	if err := json.Unmarshal(r.body, &a); err != nil {
		t.Fatalf("decode array %q: %v", r.body, err)
	}
	return a
}

// errorCode asserts an Okta error body and returns its code and causes.
func (r response) errorCode(t *testing.T) (string, []string) {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("decode error body %q: %v", r.body, err)
	}
	if e.ErrorCode == "" || e.ErrorLink != e.ErrorCode || e.ErrorSummary == "" || !strings.HasPrefix(e.ErrorID, "oae") || e.ErrorCauses == nil {
		t.Fatalf("not an Okta error body: %s", r.body)
	}
	causes := make([]string, 0, len(e.ErrorCauses))
	for _, c := range e.ErrorCauses {
		causes = append(causes, c.ErrorSummary)
	}
	return e.ErrorCode, causes
}

func (r response) summary(t *testing.T) string {
	t.Helper()
	s, _ := r.object(t)["errorSummary"].(string)
	return s
}

func (h *harness) mustStatus(r response, want int) {
	h.t.Helper()
	if r.status != want {
		h.t.Fatalf("status = %d, want %d; body %s", r.status, want, r.body)
	}
}

// createUser creates a user over HTTP and returns its id.
func (h *harness) createUser(login, query string, withPassword bool) string {
	h.t.Helper()
	body := newUserJSON(login, withPassword)
	r := h.call(http.MethodPost, "/api/v1/users"+query, body)
	h.mustStatus(r, http.StatusOK)
	return r.object(h.t)["id"].(string)
}

func newUserJSON(login string, withPassword bool) string {
	creds := ""
	if withPassword {
		creds = `,"credentials":{"password":{"value":"Tr0ub4dor&3x"}}`
	}
	return fmt.Sprintf(`{"profile":{"login":%q,"email":%q,"firstName":"First","lastName":"Last"}%s}`, login, login, creds)
}

// status is the user's status, or the one an activation in progress
// moves to (beginActivation).
func (h *harness) status(id string) string {
	h.t.Helper()
	u, ok := h.sim.User(id)
	if !ok {
		return "<deleted>"
	}
	if u.Transitioning != "" {
		return u.Transitioning
	}
	return u.Status
}

func seedUsers(t testing.TB, sim *Server, n int, status string) []User {
	t.Helper()
	out := make([]User, 0, n)
	for i := range n {
		u, err := sim.AddUser(UserSeed{Status: status, Profile: map[string]any{
			"login": fmt.Sprintf("user%05d@example.com", i), "email": fmt.Sprintf("user%05d@example.com", i),
			"firstName": fmt.Sprintf("First%05d", i), "lastName": "Last"}})
		if err != nil {
			t.Fatalf("seed user %d: %v", i, err)
		}
		out = append(out, u)
	}
	return out
}

var (
	idPattern   = regexp.MustCompile(`^00[ug][0-9A-Za-z]{17}$`)
	timePattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
)

// links parses the Link header lines into rel -> URL, failing on comma-joined
// values (the Okta Go SDK reads one link per header line).
func links(t *testing.T, h http.Header) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range h.Values("Link") {
		parts := strings.Split(line, ";")
		if len(parts) != 2 {
			t.Fatalf("link header line %q is not one link", line)
		}
		url := strings.Trim(strings.TrimSpace(parts[0]), "<>")
		rel := strings.TrimSpace(parts[1])
		out[strings.TrimSuffix(strings.TrimPrefix(rel, `rel="`), `"`)] = url
	}
	return out
}

// fixedClock is a settable clock for deterministic windows.
type fixedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fixedClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
