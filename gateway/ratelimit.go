package gateway

import (
	"math"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Defaults of AuthLimit.
const (
	DefaultAuthFailures   = 10
	DefaultAuthRefill     = time.Second
	DefaultAuthMaxClients = 65536
)

// AuthLimit configures the limit on failed authentications per client
// address: a token bucket of Failures failures, refilled with one every
// Refill. A request whose credentials fail takes one failure from its
// address's bucket; when the bucket is empty it is answered 429 with
// Retry-After instead of 401. Requests with valid credentials never touch
// the bucket, so a valid client is never slowed, even from a blocked
// address. IPv6 addresses share a bucket per /64, the block one host
// usually has to itself. Zero values take the defaults.
type AuthLimit struct {
	// Disabled turns the limit off.
	Disabled bool
	// Failures is the budget of an address, the failures it may make in a
	// burst (default 10).
	Failures int
	// Refill is the time in which one failure is regained (default 1s).
	Refill time.Duration
	// MaxClients caps the addresses tracked (default 65536, about 10 MiB
	// at most). When full, the address whose last failure is the oldest
	// is forgotten. Addresses whose bucket is full again are forgotten
	// anyway, since they are indistinguishable from new ones.
	MaxClients int
}

// failureLimiter is the per-address token bucket of failed
// authentications. One mutex guards it: only failing requests reach it.
type failureLimiter struct {
	budget     float64
	refill     time.Duration
	maxClients int
	// idleAfter is when an untouched bucket is full again.
	idleAfter time.Duration

	mu      sync.Mutex
	clients map[netip.Addr]*bucket
	// lru is a ring of the buckets, most recently failed first:
	// lru.next is the newest, lru.prev the oldest.
	lru bucket
}

// bucket is one address's budget, as of its last failure.
type bucket struct {
	addr       netip.Addr
	tokens     float64
	at         time.Time
	prev, next *bucket
}

func newFailureLimiter(cfg AuthLimit) *failureLimiter {
	l := &failureLimiter{
		budget:     float64(orDefault(cfg.Failures, DefaultAuthFailures)),
		refill:     orDefault(cfg.Refill, DefaultAuthRefill),
		maxClients: orDefault(cfg.MaxClients, DefaultAuthMaxClients),
		clients:    map[netip.Addr]*bucket{},
	}
	l.idleAfter = time.Duration(l.budget) * l.refill
	l.lru.next, l.lru.prev = &l.lru, &l.lru
	return l
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// fail records a failed authentication from addr at now. It reports
// whether the address has exceeded its budget and, if so, how long until
// its next attempt is let through to a 401 (whole seconds, at least 1).
func (l *failureLimiter) fail(addr netip.Addr, now time.Time) (wait time.Duration, blocked bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.forgetIdle(now)
	b := l.clients[addr]
	if b == nil {
		if len(l.clients) >= l.maxClients {
			l.remove(l.lru.prev)
		}
		b = &bucket{addr: addr, tokens: l.budget, at: now}
		l.clients[addr] = b
	} else {
		if d := now.Sub(b.at); d > 0 {
			b.tokens = min(l.budget, b.tokens+float64(d)/float64(l.refill))
		}
		b.at = now
		l.unlink(b)
	}
	l.pushFront(b)
	if b.tokens >= 1 {
		b.tokens--
		return 0, false
	}
	// Blocked attempts take nothing more: the address regains one
	// attempt per Refill however hard it hammers.
	wait = time.Duration(math.Ceil((1-b.tokens)*float64(l.refill)/float64(time.Second))) * time.Second
	return max(wait, time.Second), true
}

// forgetIdle drops the buckets that are full again, oldest first.
func (l *failureLimiter) forgetIdle(now time.Time) {
	for b := l.lru.prev; b != &l.lru && now.Sub(b.at) >= l.idleAfter; b = l.lru.prev {
		l.remove(b)
	}
}

func (l *failureLimiter) remove(b *bucket) {
	l.unlink(b)
	delete(l.clients, b.addr)
}

func (l *failureLimiter) unlink(b *bucket) {
	b.prev.next, b.next.prev = b.next, b.prev
	b.prev, b.next = nil, nil
}

func (l *failureLimiter) pushFront(b *bucket) {
	b.prev, b.next = &l.lru, l.lru.next
	l.lru.next.prev = b
	l.lru.next = b
}

// size returns the number of addresses tracked.
func (l *failureLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

// clientAddr returns the key of the request's client: the connection's
// remote address, or the address a trusted proxy forwarded, with IPv6
// addresses reduced to their /64. Requests whose address cannot be parsed
// (a Unix socket) share the zero key.
func (g *Gateway) clientAddr(r *http.Request) netip.Addr {
	addr := remoteAddr(r.RemoteAddr)
	if len(g.opts.TrustedProxies) > 0 && g.trusted(addr) {
		addr = g.forwardedFor(r, addr)
	}
	return bucketKey(addr)
}

func remoteAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	a, _ := netip.ParseAddr(s)
	return a.Unmap()
}

func (g *Gateway) trusted(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range g.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedFor walks X-Forwarded-For from the right, past trusted
// proxies, to the first address a trusted proxy saw connect. The entries
// further left were written by the client and are not believed.
func (g *Gateway) forwardedFor(r *http.Request, proxy netip.Addr) netip.Addr {
	values := r.Header.Values("X-Forwarded-For")
	client := proxy
	for i := len(values) - 1; i >= 0; i-- {
		entries := strings.Split(values[i], ",")
		for j := len(entries) - 1; j >= 0; j-- {
			a := remoteAddr(strings.TrimSpace(entries[j]))
			if !a.IsValid() {
				return client
			}
			client = a
			if !g.trusted(a) {
				return client
			}
		}
	}
	return client
}

// bucketKey reduces an IPv6 address to its /64 prefix.
func bucketKey(a netip.Addr) netip.Addr {
	if a.Is6() {
		if p, err := a.Prefix(64); err == nil {
			return p.Addr()
		}
	}
	return a
}
