package okta_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/httpx"
	"github.com/scimconnect/scimconnect/connector/okta/oktasim"
	"github.com/scimconnect/scimconnect/scim"
)

// racer is a target observer that, once armed, acts on the simulator
// right after the connector has read the armed user: what a concurrent
// request, a retry or an administrator does between a request's read and
// its lifecycle call.
type racer struct {
	mu   sync.Mutex
	id   string // armed while not ""
	act  func()
	next httpx.Observer // once act has run, gets the calls after it
}

func (r *racer) arm(id string, act func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.id, r.act = id, act
}

func (r *racer) ObserveTargetCall(ctx context.Context, c httpx.Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.id == "" || c.Method != http.MethodGet || c.Path != "/api/v1/users/"+r.id {
		if r.next != nil {
			r.next.ObserveTargetCall(ctx, c)
		}
		return
	}
	r.act()
	r.id = ""
}

func setActive(active bool) map[string]any {
	return map[string]any{
		"schemas":    []string{scim.PatchOpSchema},
		"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": active}}},
	}
}

// TestLifecycleAfterStatusChanged covers a user whose status changes
// between the connector's read and its lifecycle call: a request whose
// outcome is already there succeeds, one from a third status starts from
// it, and a refusal that is not explained by a change is still an error.
func TestLifecycleAfterStatusChanged(t *testing.T) {
	sim := oktasim.New()
	r := &racer{}
	s := startOktaSim(t, sim, connector.Env{TargetObserver: r})
	for _, tc := range []struct {
		name           string
		from, raced    string // status before the request, and set after its read
		active         bool
		wantStatus     string // in the simulator afterwards
		wantActive     bool
		failsLifecycle bool // the lifecycle call fails without a status change
	}{
		{"disable, already suspended", "ACTIVE", "SUSPENDED", false, "SUSPENDED", false, false},
		{"disable, already deactivated", "ACTIVE", "DEPROVISIONED", false, "DEPROVISIONED", false, false},
		{"enable, already unsuspended", "SUSPENDED", "ACTIVE", true, "ACTIVE", true, false},
		// activated without a password: PROVISIONED, which reads active
		{"enable, deactivated meanwhile", "SUSPENDED", "DEPROVISIONED", true, "PROVISIONED", true, false},
		{"disable, refused", "ACTIVE", "ACTIVE", false, "ACTIVE", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := createUser(t, s, "racer."+tc.from+"."+tc.raced+"@example.com")
			if err := sim.SetUserStatus(id, tc.from); err != nil {
				t.Fatal(err)
			}
			r.arm(id, func() {
				if tc.failsLifecycle {
					sim.FailNext(1, http.StatusForbidden)
					return
				}
				if err := sim.SetUserStatus(id, tc.raced); err != nil {
					t.Error(err)
				}
			})
			code, res := s.Do(t, "PATCH", "/Users/"+id, setActive(tc.active))
			if tc.failsLifecycle {
				if code < 400 {
					t.Errorf("PATCH with a refused lifecycle call: %d %v, want an error", code, res)
				}
			} else if code != 200 {
				t.Fatalf("PATCH active=%v: %d %v", tc.active, code, res)
			}
			if u, _ := sim.User(id); u.Status != tc.wantStatus {
				t.Errorf("status in Okta %s, want %s", u.Status, tc.wantStatus)
			}
			if code, res := s.Do(t, "GET", "/Users/"+id, nil); code != 200 || res["active"] != tc.wantActive {
				t.Errorf("GET: %d, active %v, want %v", code, res["active"], tc.wantActive)
			}
		})
	}
}

// TestConcurrentActiveChanges is SailPoint or Entra disabling one user
// from several threads through one gateway: every request succeeds. The
// bridge's write lock runs them one at a time; the lifecycle retry, for
// changes made between a read and a write by others, is covered by
// TestLifecycleAfterStatusChanged.
func TestConcurrentActiveChanges(t *testing.T) {
	sim := oktasim.New()
	s := startOktaSim(t, sim, connector.Env{})
	id := createUser(t, s, "many.threads@example.com")
	for _, active := range []bool{false, true, false} {
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if code, res := s.Do(t, "PATCH", "/Users/"+id, setActive(active)); code != 200 {
					t.Errorf("PATCH active=%v: %d %v", active, code, res)
				}
			})
		}
		wg.Wait()
		if code, res := s.Do(t, "GET", "/Users/"+id, nil); code != 200 || res["active"] != active {
			t.Errorf("after the PATCHes active=%v: %d, active %v", active, code, res["active"])
		}
	}
}

// callCounter counts the target calls of one method and path prefix.
type callCounter struct {
	mu     sync.Mutex
	method string
	path   string
	n      int
}

func (c *callCounter) ObserveTargetCall(_ context.Context, call httpx.Call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if call.Method == c.method && call.Path == c.path {
		c.n++
	}
}

func (c *callCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// TestLifecycleTargetDownNotReread: a lifecycle call that fails because
// Okta is down is not a refusal a status change explains, so the user is
// not read again (those reads would only meet the same outage, retried).
func TestLifecycleTargetDownNotReread(t *testing.T) {
	sim := oktasim.New()
	r := &racer{}
	s := startOktaSim(t, sim, connector.Env{TargetObserver: r})
	id := createUser(t, s, "outage@example.com")
	if err := sim.SetUserStatus(id, "ACTIVE"); err != nil {
		t.Fatal(err)
	}
	reads := &callCounter{method: http.MethodGet, path: "/api/v1/users/" + id}
	r.arm(id, func() {
		sim.FailNext(100, http.StatusServiceUnavailable)
		r.next = reads
	})
	code, res := s.Do(t, "PATCH", "/Users/"+id, setActive(false))
	sim.FailNext(0, 0)
	if code != http.StatusServiceUnavailable && code != http.StatusBadGateway {
		t.Errorf("PATCH active=false while Okta is down: %d %v, want 503 or 502", code, res)
	}
	if n := reads.count(); n != 0 {
		t.Errorf("the user was read %d times after the failed lifecycle call, want none", n)
	}
}
