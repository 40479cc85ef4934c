package okta_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/connectortest"
	"github.com/scimconnect/scimconnect/connector/okta"
	"github.com/scimconnect/scimconnect/connector/okta/oktasim"
	"github.com/scimconnect/scimconnect/internal/syncbuf"
)

// faultySim answers Okta calls with a canned body while armed, as a
// proxy, a maintenance page or a broken Okta would, and passes them to
// the simulator otherwise.
type faultySim struct {
	connector.Simulator
	mu     sync.Mutex
	status int
	body   string
}

func (f *faultySim) answer(status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.body = status, body
}

func (f *faultySim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	status, body := f.status, f.body
	f.mu.Unlock()
	if status == 0 {
		f.Simulator.ServeHTTP(w, r)
		return
	}
	// Some targets echo what they were sent: the token must not travel on.
	body = strings.ReplaceAll(body, "{auth}", r.Header.Get("Authorization"))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func startFaulty(t *testing.T, sim *oktasim.Server, env connector.Env) (*connectortest.Server, *faultySim) {
	t.Helper()
	f := &faultySim{Simulator: okta.NewSimulator(sim)}
	typ := okta.Type
	typ.Simulator = func() connector.Simulator { return f }
	return connectortest.Start(t, connectortest.Harness{Type: typ, User: connectortest.DefaultUser}, env), f
}

// doTimed sends a SCIM request with a client that gives up after limit,
// so a gateway that holds requests fails the test instead of hanging it.
func doTimed(t *testing.T, s *connectortest.Server, method, path string, limit time.Duration) (int, http.Header, map[string]any, time.Duration) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp, err := (&http.Client{Timeout: limit}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: no answer within %v: %v", method, path, limit, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: status %d, body not JSON: %v", method, path, resp.StatusCode, err)
	}
	return resp.StatusCode, resp.Header, out, time.Since(start)
}

// TestUnreadableAnswer: a 2xx answer that is not the JSON the call
// returns (a proxy's or maintenance page, an empty body, another shape,
// objects without ids) is the target's fault: 502 with a plain detail,
// not a 500, and not a 404 that would tell a client the user is gone.
func TestUnreadableAnswer(t *testing.T) {
	s, f := startFaulty(t, oktasim.New(), connector.Env{})
	id := createUser(t, s, "answer@example.com")
	user := connectortest.DefaultUser(7)
	for _, tc := range []struct{ name, body string }{
		{"html", "<html><body>Scheduled maintenance</body></html>"},
		{"empty", ""},
		{"null", "null"},
		{"object without id", `{"status":"ACTIVE","profile":{}}`},
		{"array of numbers", `[1,2,3]`},
		{"truncated", `{"id":"00u1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.answer(http.StatusOK, tc.body)
			defer f.answer(0, "")
			for _, call := range []struct {
				method, path string
				body         any
			}{
				{"GET", "/Users/" + id, nil},
				{"GET", "/Users?count=5", nil},
				{"POST", "/Users", user},
				{"GET", "/Groups?count=5", nil},
			} {
				code, res := s.Do(t, call.method, call.path, call.body)
				detail, _ := res["detail"].(string)
				if code != http.StatusBadGateway || !strings.Contains(detail, "not the JSON") {
					t.Errorf("%s %s: %d %q, want 502 saying the answer is not JSON", call.method, call.path, code, detail)
				}
			}
		})
	}
}

// TestRateLimitResetFarAway: Okta's rate-limit windows are a minute long
// (NOTES §7), so a 429's reset can be almost a minute away. The gateway
// does not hold the SCIM request that long (past the server's write
// timeout the client would get no answer): 503 with the wait as
// Retry-After, at once.
func TestRateLimitResetFarAway(t *testing.T) {
	// A 429 in the middle of a one-minute window: the reset is 45s away.
	sim := oktasim.New(oktasim.WithRateLimit(oktasim.DefaultRateLimit, 45*time.Second))
	s := startOktaSim(t, sim, connector.Env{})
	id := createUser(t, s, "throttled@example.com")
	sim.FailNext(4, http.StatusTooManyRequests)
	code, h, res, took := doTimed(t, s, "GET", "/Users/"+id, 20*time.Second)
	if code != http.StatusServiceUnavailable {
		t.Fatalf("GET while throttled: %d %v, want 503", code, res)
	}
	if ra, err := strconv.Atoi(h.Get("Retry-After")); err != nil || ra < 40 || ra > 46 {
		t.Errorf("Retry-After %q, want the reset Okta named, 45s away", h.Get("Retry-After"))
	}
	if took > 5*time.Second {
		t.Errorf("answered after %v, want at once", took)
	}
}

// TestRateLimitResetNear: a reset a moment away is waited for, and the
// call succeeds.
func TestRateLimitResetNear(t *testing.T) {
	sim := oktasim.New(oktasim.WithRateLimit(oktasim.DefaultRateLimit, 2*time.Second))
	s := startOktaSim(t, sim, connector.Env{})
	id := createUser(t, s, "briefly.throttled@example.com")
	sim.FailNext(1, http.StatusTooManyRequests)
	if code, _, res, _ := doTimed(t, s, "GET", "/Users/"+id, 20*time.Second); code != http.StatusOK {
		t.Fatalf("GET after a 429 with a near reset: %d %v, want 200", code, res)
	}
}

// TestHungTarget: an Okta that does not answer makes the SCIM client wait
// at most the call budget, then it gets 503 with Retry-After.
func TestHungTarget(t *testing.T) {
	okta.SetCallBudget(t, 500*time.Millisecond)
	sim := oktasim.New()
	s := startOktaSim(t, sim, connector.Env{})
	id := createUser(t, s, "hung@example.com")
	sim.SetLatency(5 * time.Second)
	defer sim.SetLatency(0)
	code, h, res, took := doTimed(t, s, "GET", "/Users/"+id, 20*time.Second)
	if code != http.StatusServiceUnavailable || h.Get("Retry-After") == "" {
		t.Errorf("GET of a hung Okta: %d (Retry-After %q) %v, want 503 with Retry-After", code, h.Get("Retry-After"), res)
	}
	if took > 3*time.Second {
		t.Errorf("answered after %v, want within the call budget", took)
	}
}

// TestTokenNeverShown: an Okta error that echoes the Authorization header
// reaches neither the SCIM client nor the log.
func TestTokenNeverShown(t *testing.T) {
	sim := oktasim.New()
	logs := &syncbuf.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, f := startFaulty(t, sim, connector.Env{Logger: log})
	id := createUser(t, s, "echo@example.com")
	for _, status := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusInternalServerError} {
		f.answer(status, `{"errorCode":"E0000001","errorSummary":"rejected {auth}","errorCauses":[{"errorSummary":"{auth}"}]}`)
		code, res := s.Do(t, "GET", "/Users/"+id, nil)
		if code < 400 || strings.Contains(res["detail"].(string), sim.Token()) {
			t.Errorf("Okta %d: %d %v, want an error without the token", status, code, res)
		}
	}
	f.answer(0, "")
	if strings.Contains(logs.String(), sim.Token()) {
		t.Errorf("the API token is in the log:\n%s", logs.String())
	}
}
