package gateway_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/gateway"
)

const (
	goodToken = "token-of-instance-a-0001"
	badToken  = "token-of-instance-a-9999"
)

// clock is a manual clock for the limiter.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newLimitedFixture(t testing.TB, limit gateway.AuthLimit, proxies ...netip.Prefix) (*fixture, *clock) {
	t.Helper()
	f := newFixtureWith(t, map[string]string{"a": goodToken}, func(o *gateway.Options) {
		o.AuthLimit = limit
		o.TrustedProxies = proxies
	})
	c := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	gateway.SetClock(f.gw, c.Now)
	return f, c
}

// from sends GET path from the remote address addr with token.
func (f *fixture) from(addr, path, token string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", path, nil)
	r.RemoteAddr = addr
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, r)
	return w
}

// exhaust makes n failed requests from addr, each expected to get 401.
func (f *fixture) exhaust(t *testing.T, addr string, n int, hdr ...string) {
	t.Helper()
	for i := range n {
		if w := f.from(addr, "/scim/a/v2/Users", badToken, hdr...); w.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d from %s: status %d, want 401", i+1, addr, w.Code)
		}
	}
}

func wantBlocked(t *testing.T, w *httptest.ResponseRecorder, retryAfter string) {
	t.Helper()
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429: %s", w.Code, w.Body)
	}
	if got := w.Header().Get("Retry-After"); got != retryAfter {
		t.Errorf("Retry-After %q, want %q", got, retryAfter)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/scim+json" {
		t.Errorf("Content-Type %q", ct)
	}
	body := w.Body.String()
	if !strings.Contains(body, `"status":"429"`) || !strings.Contains(body, "urn:ietf:params:scim:api:messages:2.0:Error") {
		t.Errorf("429 body is not a SCIM error: %s", body)
	}
}

func TestAuthLimitBlocksFailuresOnly(t *testing.T) {
	f, _ := newLimitedFixture(t, gateway.AuthLimit{})
	const attacker = "198.51.100.7:40000"
	f.exhaust(t, attacker, gateway.DefaultAuthFailures)

	steps := []struct {
		name, addr, path, token string
		status                  int
	}{
		{"over budget", attacker, "/scim/a/v2/Users", badToken, 429},
		{"no token at all", attacker, "/scim/a/v2/Users", "", 429},
		{"unknown instance", attacker, "/scim/nope/v2/Users", goodToken, 429},
		{"another port, same address", "198.51.100.7:40001", "/scim/a/v2/Users", badToken, 429},
		{"valid token from the blocked address", attacker, "/scim/a/v2/Users", goodToken, 200},
		{"still blocked after a valid request", attacker, "/scim/a/v2/Users", badToken, 429},
		{"another address", "198.51.100.8:40000", "/scim/a/v2/Users", badToken, 401},
		{"another address, valid token", "198.51.100.8:40000", "/scim/a/v2/Users", goodToken, 200},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			w := f.from(s.addr, s.path, s.token)
			if w.Code != s.status {
				t.Fatalf("status %d, want %d: %s", w.Code, s.status, w.Body)
			}
			if s.status == 429 {
				wantBlocked(t, w, "1")
			}
		})
	}
}

func TestAuthLimitRefills(t *testing.T) {
	f, c := newLimitedFixture(t, gateway.AuthLimit{Failures: 3, Refill: 2 * time.Second})
	const addr = "203.0.113.9:5555"
	f.exhaust(t, addr, 3)
	wantBlocked(t, f.from(addr, "/scim/a/v2/Users", badToken), "2")
	c.Advance(time.Second)
	wantBlocked(t, f.from(addr, "/scim/a/v2/Users", badToken), "1")
	c.Advance(time.Second)
	f.exhaust(t, addr, 1) // one failure regained
	wantBlocked(t, f.from(addr, "/scim/a/v2/Users", badToken), "2")
	c.Advance(time.Hour) // the whole budget, and no more
	f.exhaust(t, addr, 3)
	wantBlocked(t, f.from(addr, "/scim/a/v2/Users", badToken), "2")
}

func TestAuthLimitHammeringDoesNotExtendTheBlock(t *testing.T) {
	f, c := newLimitedFixture(t, gateway.AuthLimit{Failures: 2, Refill: time.Second})
	const addr = "203.0.113.10:1"
	f.exhaust(t, addr, 2)
	for range 100 {
		wantBlocked(t, f.from(addr, "/scim/a/v2/Users", badToken), "1")
	}
	c.Advance(time.Second)
	f.exhaust(t, addr, 1)
}

func TestAuthLimitIPv6SharesPer64(t *testing.T) {
	f, _ := newLimitedFixture(t, gateway.AuthLimit{Failures: 2})
	f.exhaust(t, "[2001:db8:1:2::1]:443", 1)
	f.exhaust(t, "[2001:db8:1:2:ffff::9]:443", 1)
	wantBlocked(t, f.from("[2001:db8:1:2::77]:1", "/scim/a/v2/Users", badToken), "1")
	f.exhaust(t, "[2001:db8:1:3::1]:443", 2) // another /64
	// An IPv4-mapped address is its IPv4 address.
	f.exhaust(t, "192.0.2.44:1", 2)
	wantBlocked(t, f.from("[::ffff:192.0.2.44]:1", "/scim/a/v2/Users", badToken), "1")
}

func TestAuthLimitForwardedFor(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	t.Run("ignored without trusted proxies", func(t *testing.T) {
		f, _ := newLimitedFixture(t, gateway.AuthLimit{Failures: 2})
		f.exhaust(t, "198.51.100.1:1", 1, "X-Forwarded-For", "203.0.113.1")
		f.exhaust(t, "198.51.100.1:1", 1, "X-Forwarded-For", "203.0.113.2")
		wantBlocked(t, f.from("198.51.100.1:1", "/scim/a/v2/Users", badToken, "X-Forwarded-For", "203.0.113.3"), "1")
	})
	t.Run("ignored from an untrusted peer", func(t *testing.T) {
		f, _ := newLimitedFixture(t, gateway.AuthLimit{Failures: 2}, proxies...)
		f.exhaust(t, "198.51.100.1:1", 1, "X-Forwarded-For", "203.0.113.1")
		f.exhaust(t, "198.51.100.1:1", 1, "X-Forwarded-For", "203.0.113.2")
		wantBlocked(t, f.from("198.51.100.1:1", "/scim/a/v2/Users", badToken, "X-Forwarded-For", "203.0.113.3"), "1")
	})
	t.Run("client behind trusted proxies", func(t *testing.T) {
		f, _ := newLimitedFixture(t, gateway.AuthLimit{Failures: 2}, proxies...)
		// Two proxies: the client's own (spoofable) entries on the left
		// are not believed, the entry written by the outer proxy is.
		f.exhaust(t, "10.0.0.1:1", 1, "X-Forwarded-For", "1.1.1.1, 203.0.113.5, 10.9.9.9")
		f.exhaust(t, "10.0.0.2:1", 1, "X-Forwarded-For", "2.2.2.2, 203.0.113.5", "X-Forwarded-For", "10.9.9.9")
		wantBlocked(t, f.from("10.0.0.3:1", "/scim/a/v2/Users", badToken, "X-Forwarded-For", "203.0.113.5"), "1")
		// Another client behind the same proxy is unaffected.
		f.exhaust(t, "10.0.0.1:1", 2, "X-Forwarded-For", "203.0.113.6")
		// A valid token behind the proxy from the blocked client works.
		if w := f.from("10.0.0.1:1", "/scim/a/v2/Users", goodToken, "X-Forwarded-For", "203.0.113.5"); w.Code != 200 {
			t.Errorf("valid token: status %d", w.Code)
		}
	})
	t.Run("garbage entry stops at the proxy", func(t *testing.T) {
		f, _ := newLimitedFixture(t, gateway.AuthLimit{Failures: 2}, proxies...)
		f.exhaust(t, "10.0.0.1:1", 1, "X-Forwarded-For", "203.0.113.1, unknown")
		f.exhaust(t, "10.0.0.1:1", 1, "X-Forwarded-For", "203.0.113.2, unknown")
		wantBlocked(t, f.from("10.0.0.1:1", "/scim/a/v2/Users", badToken, "X-Forwarded-For", "garbage"), "1")
	})
}

func TestAuthLimitMemoryCap(t *testing.T) {
	f, c := newLimitedFixture(t, gateway.AuthLimit{Failures: 2, MaxClients: 100})
	for i := range 1000 {
		f.exhaust(t, fmt.Sprintf("10.%d.%d.1:1", i/256, i%256), 1)
		if n := gateway.LimiterSize(f.gw); n > 100 {
			t.Fatalf("after %d addresses the limiter tracks %d, cap 100", i+1, n)
		}
	}
	if n := gateway.LimiterSize(f.gw); n != 100 {
		t.Errorf("limiter tracks %d addresses, want the cap 100", n)
	}
	// The most recent addresses are the ones kept.
	wantBlocked(t, func() *httptest.ResponseRecorder {
		f.exhaust(t, "10.3.231.1:1", 1) // the 1000th address's second failure
		return f.from("10.3.231.1:1", "/scim/a/v2/Users", badToken)
	}(), "1")
	// Idle addresses, whose budget is full again, are forgotten.
	c.Advance(2 * time.Second)
	f.exhaust(t, "192.0.2.1:1", 1)
	if n := gateway.LimiterSize(f.gw); n != 1 {
		t.Errorf("after the idle period the limiter tracks %d addresses, want 1", n)
	}
}

func TestAuthLimitDisabled(t *testing.T) {
	f, _ := newLimitedFixture(t, gateway.AuthLimit{Disabled: true})
	f.exhaust(t, "198.51.100.7:1", 100)
}

func TestAuthLimitConcurrent(t *testing.T) {
	f, _ := newLimitedFixture(t, gateway.AuthLimit{Failures: 5, MaxClients: 50})
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 16 {
		wg.Go(func() {
			for i := range 200 {
				addr := fmt.Sprintf("10.0.%d.%d:1", g, i%80)
				if w := f.from(addr, "/scim/a/v2/Users", badToken); w.Code != 401 && w.Code != 429 {
					errs <- fmt.Sprintf("bad token from %s: status %d", addr, w.Code)
					return
				}
				if w := f.from(addr, "/scim/a/v2/Users", goodToken); w.Code != 200 {
					errs <- fmt.Sprintf("valid token from %s: status %d", addr, w.Code)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := gateway.LimiterSize(f.gw); n > 50 {
		t.Errorf("limiter tracks %d addresses, cap 50", n)
	}
}
