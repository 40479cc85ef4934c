package oktasim

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRateLimit(t *testing.T) {
	clock := &fixedClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	h := newHarness(t, WithClock(clock.Now), WithRateLimit(3, time.Minute), WithBucketLimit("/api/v1/groups", 1))
	wantReset := strconv.FormatInt(clock.now.Add(time.Minute).Unix(), 10)
	for i, wantRemaining := range []string{"2", "1", "0"} {
		r := h.call(http.MethodGet, "/api/v1/users", "")
		h.mustStatus(r, http.StatusOK)
		if got := r.header.Get("X-Rate-Limit-Remaining"); got != wantRemaining {
			t.Errorf("request %d: remaining = %s, want %s", i+1, got, wantRemaining)
		}
		if r.header.Get("X-Rate-Limit-Limit") != "3" || r.header.Get("X-Rate-Limit-Reset") != wantReset {
			t.Errorf("request %d: limit/reset = %s/%s", i+1, r.header.Get("X-Rate-Limit-Limit"), r.header.Get("X-Rate-Limit-Reset"))
		}
	}
	r := h.call(http.MethodPost, "/api/v1/users", newUserJSON("x@example.com", true))
	h.mustStatus(r, http.StatusTooManyRequests)
	if code, _ := r.errorCode(t); code != "E0000047" {
		t.Errorf("code = %s", code)
	}
	date, err := http.ParseTime(r.header.Get("Date"))
	if err != nil {
		t.Fatalf("Date header: %v", err)
	}
	reset, err := strconv.ParseInt(r.header.Get("X-Rate-Limit-Reset"), 10, 64)
	if err != nil {
		t.Fatalf("reset header: %v", err)
	}
	if backoff := reset - date.Unix() + 1; backoff != 61 {
		t.Errorf("SDK backoff (Reset-Date+1) = %d, want 61", backoff)
	}
	if len(h.sim.Users()) != 0 {
		t.Error("a throttled create must not create")
	}
	// Other buckets are independent; a bucket override applies.
	h.mustStatus(h.call(http.MethodGet, "/api/v1/users/nobody@example.com", ""), http.StatusNotFound)
	h.mustStatus(h.call(http.MethodGet, "/api/v1/groups", ""), http.StatusOK)
	h.mustStatus(h.call(http.MethodGet, "/api/v1/groups", ""), http.StatusTooManyRequests)
	// A new window restores the budget.
	clock.Advance(time.Minute)
	r = h.call(http.MethodGet, "/api/v1/users", "")
	h.mustStatus(r, http.StatusOK)
	if got := r.header.Get("X-Rate-Limit-Remaining"); got != "2" {
		t.Errorf("remaining after reset = %s, want 2", got)
	}
	h.sim.SetRateLimit(0, time.Minute) // unlimited; bucket overrides stay
	for range 5 {
		h.mustStatus(h.call(http.MethodGet, "/api/v1/users", ""), http.StatusOK)
	}
	h.mustStatus(h.call(http.MethodGet, "/api/v1/groups", ""), http.StatusOK)
	h.mustStatus(h.call(http.MethodGet, "/api/v1/groups", ""), http.StatusTooManyRequests)
}

func TestFailNext(t *testing.T) {
	tests := []struct {
		status int
		code   string
	}{
		{http.StatusTooManyRequests, "E0000047"},
		{http.StatusInternalServerError, "E0000009"},
		{http.StatusServiceUnavailable, "E0000010"},
		{http.StatusForbidden, "E0000006"},
		{http.StatusBadRequest, "E0000001"},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			h := newHarness(t)
			h.sim.FailNext(2, tt.status)
			for range 2 {
				r := h.call(http.MethodGet, "/api/v1/users", "")
				h.mustStatus(r, tt.status)
				if code, _ := r.errorCode(t); code != tt.code {
					t.Errorf("code = %s, want %s", code, tt.code)
				}
				if tt.status == http.StatusTooManyRequests && (r.header.Get("X-Rate-Limit-Remaining") != "0" || r.header.Get("X-Rate-Limit-Reset") == "" || r.header.Get("Date") == "") {
					t.Errorf("injected 429 lacks rate-limit headers: %v", r.header)
				}
			}
			h.mustStatus(h.call(http.MethodGet, "/api/v1/users", ""), http.StatusOK)
		})
	}
}

func TestUnhandledAndRequestLog(t *testing.T) {
	h := newHarness(t)
	id := h.createUser("a@example.com", "", true)
	calls := []struct {
		method, path string
		wantHTTP     int
		unhandled    bool
	}{
		{http.MethodGet, "/api/v1/apps", 404, true},
		{http.MethodGet, "/api/v2/users", 404, true},
		{http.MethodPost, "/api/v1/users/" + id + "/lifecycle/reset_password", 501, true},
		{http.MethodPost, "/api/v1/users/" + id + "/lifecycle/explode", 404, true},
		{http.MethodPatch, "/api/v1/users/" + id, 405, false},
		{http.MethodGet, "/api/v1/users/" + id + "/lifecycle/activate", 405, false},
		{http.MethodGet, "/api/v1/users?limit=5", 200, false},
	}
	for _, c := range calls {
		r := h.call(c.method, c.path, "")
		h.mustStatus(r, c.wantHTTP)
		if c.wantHTTP >= 400 {
			if _, causes := r.errorCode(t); causes == nil {
				t.Errorf("%s %s: no error body", c.method, c.path)
			}
		}
	}
	var want []Request
	for _, c := range calls {
		if c.unhandled {
			want = append(want, Request{Method: c.method, Path: c.path, Status: c.wantHTTP})
		}
	}
	got := h.sim.Unhandled()
	if len(got) != len(want) {
		t.Fatalf("unhandled = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Method != want[i].Method || got[i].Path != want[i].Path || got[i].Status != want[i].Status {
			t.Errorf("unhandled[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	log := h.sim.Requests()
	if len(log) != len(calls)+1 {
		t.Fatalf("request log has %d entries, want %d", len(log), len(calls)+1)
	}
	if last := log[len(log)-1]; last.Query.Get("limit") != "5" || last.Status != 200 {
		t.Errorf("last logged request = %+v", last)
	}
	if allow := h.call(http.MethodPatch, "/api/v1/users/"+id, "").header.Get("Allow"); allow != "DELETE, GET, POST, PUT" {
		t.Errorf("Allow = %q", allow)
	}
	h.sim.ResetRequests()
	if len(h.sim.Requests()) != 0 || len(h.sim.Unhandled()) != 0 {
		t.Error("ResetRequests did not clear the logs")
	}
}

func TestLatencyHonoursCancellation(t *testing.T) {
	sim := New()
	sim.SetLatency(time.Hour)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/v1/users", nil)
	req.Header.Set("Authorization", "SSWS "+sim.Token())
	rec := httptest.NewRecorder()
	sim.ServeHTTP(rec, req) // returns at once because the context is done
	if len(sim.Requests()) != 1 || sim.Requests()[0].Status != 0 {
		t.Errorf("log = %+v, want one unanswered request", sim.Requests())
	}
	sim.SetLatency(0)
	req = httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/api/v1/users", nil)
	req.Header.Set("Authorization", "SSWS "+sim.Token())
	rec = httptest.NewRecorder()
	sim.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("status = %d after clearing latency", rec.Code)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	h := newHarness(t, WithConcurrencyLimit(2))
	h.sim.inflight.Add(2) // two requests already in flight
	r := h.call(http.MethodGet, "/api/v1/users", "")
	h.mustStatus(r, http.StatusTooManyRequests)
	if code, _ := r.errorCode(t); code != "E0000047" {
		t.Errorf("code = %s", code)
	}
	h.sim.inflight.Add(-1)
	h.mustStatus(h.call(http.MethodGet, "/api/v1/users", ""), http.StatusOK)
}

// TestDefaultConcurrencyLimit checks that Okta's per-org limit of 75
// concurrent API transactions (NOTES.md §7) applies without any option.
func TestDefaultConcurrencyLimit(t *testing.T) {
	h := newHarness(t)
	h.sim.inflight.Add(DefaultConcurrencyLimit) // 75 requests already in flight
	r := h.call(http.MethodGet, "/api/v1/users", "")
	h.mustStatus(r, http.StatusTooManyRequests)
	if code, _ := r.errorCode(t); code != "E0000047" {
		t.Errorf("code = %s", code)
	}
	if r.header.Get("Date") == "" || r.header.Get("X-Rate-Limit-Reset") == "" {
		t.Errorf("a 429 needs Date and X-Rate-Limit-Reset for the SDK's backoff: %v", r.header)
	}
	h.sim.inflight.Add(-1)
	h.mustStatus(h.call(http.MethodGet, "/api/v1/users", ""), http.StatusOK)

	unlimited := newHarness(t, WithConcurrencyLimit(0))
	unlimited.sim.inflight.Add(1000)
	unlimited.mustStatus(unlimited.call(http.MethodGet, "/api/v1/users", ""), http.StatusOK)
}

func TestConcurrentUse(t *testing.T) {
	h := newHarness(t)
	g, err := h.sim.AddGroup(GroupSeed{Profile: map[string]any{"name": "All"}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for w := range 8 {
		wg.Go(func() {
			for i := range 10 {
				login := fmt.Sprintf("w%d-%d@example.com", w, i)
				req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, h.ts.URL+"/api/v1/users", strings.NewReader(newUserJSON(login, true)))
				if err != nil {
					errs <- err
					return
				}
				req.Header.Set("Authorization", "SSWS "+h.sim.Token())
				req.Header.Set("Content-Type", "application/json")
				resp, err := h.ts.Client().Do(req)
				if err != nil {
					errs <- err
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("create %s: status %d", login, resp.StatusCode)
					return
				}
				u, _ := h.sim.User(login)
				if err := h.sim.AddMember(g.ID, u.ID); err != nil {
					errs <- err
				}
				_ = h.sim.Users()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got, _ := h.sim.Group(g.ID); len(got.MemberIDs) != 80 {
		t.Errorf("members = %d, want 80", len(got.MemberIDs))
	}
}

// lineWriter hands each written line to a channel, so the test can read the
// banner Run prints.
type lineWriter struct {
	mu sync.Mutex
	pw *io.PipeWriter
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pw.Write(p)
}

func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, "127.0.0.1:0", &lineWriter{pw: pw}, WithToken("cli-token")) }()
	sc := bufio.NewScanner(pr)
	var base, token string
	for sc.Scan() && (base == "" || token == "") {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "okta simulator listening on "); ok {
			base = v
		}
		if v, ok := strings.CutPrefix(line, "API token: "); ok {
			token = v
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if token != "cli-token" || !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("banner: base %q token %q", base, token)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/api/v1/groups", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "SSWS "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run returned %v after cancel", err)
	}
	pw.Close()
}

func TestRunListenError(t *testing.T) {
	if err := Run(t.Context(), "256.0.0.1:99999", io.Discard); err == nil {
		t.Error("Run on an invalid address returned nil")
	}
}
