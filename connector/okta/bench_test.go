package okta_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/okta"
	"github.com/scimconnect/scimconnect/connector/okta/oktasim"
	"github.com/scimconnect/scimconnect/gateway"
	"github.com/scimconnect/scimconnect/internal/cputime"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/store"
	"github.com/scimconnect/scimconnect/store/sqlite"
)

// benchEnv is a simulator with users, served directly, through a plain
// reverse proxy, and through the gateway (provider + Okta connector).
type benchEnv struct {
	sim               *oktasim.Server
	direct, proxy, gw *httptest.Server
	gwBase            string // the instance's SCIM base URL
	gwAuth, oktaAuth  string // Authorization headers
	ids, logins       []string
	client            *http.Client
	simConns          atomic.Int64 // connections the simulator accepted
}

func newBenchEnv(b *testing.B, users int) *benchEnv {
	b.Helper()
	// Unthrottled, and no per-org concurrency limit: the direct path runs
	// GOMAXPROCS requests at once, which can exceed Okta's 75.
	sim := oktasim.New(oktasim.WithRateLimit(0, time.Minute), oktasim.WithConcurrencyLimit(0))
	e := &benchEnv{sim: sim}
	for i := range users {
		login := fmt.Sprintf("bench%d@example.com", i)
		u, err := sim.AddUser(oktasim.UserSeed{Profile: map[string]any{"login": login, "email": login, "firstName": "Bench", "lastName": fmt.Sprint(i)}})
		if err != nil {
			b.Fatal(err)
		}
		e.ids = append(e.ids, u.ID)
		e.logins = append(e.logins, login)
	}
	e.direct = httptest.NewUnstartedServer(sim)
	e.direct.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			e.simConns.Add(1)
		}
	}
	e.direct.Start()
	b.Cleanup(e.direct.Close)
	target, err := url.Parse(e.direct.URL)
	if err != nil {
		b.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	// The same transport settings as the Okta connector's client (and
	// the same idle-connection limit as the load's client), so that the
	// proxy and the gateway reuse connections to the simulator alike.
	rp.Transport = okta.Transport()
	e.proxy = httptest.NewServer(rp)
	b.Cleanup(e.proxy.Close)
	// The gateway as deployed: its store (where it keeps Okta users'
	// externalIds), bearer-token authentication, the request log (to
	// nowhere, but formatted), the provider and the connector.
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "gateway.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	err = st.Update(ctx, func(tx store.Tx) error {
		return tx.CreateInstance(ctx, &store.Instance{Name: "bench", Type: "okta", Version: okta.Version, Config: []byte("{}")})
	})
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	gw := gateway.New(gateway.Options{Provider: provider.DefaultConfig(), Store: st, Registry: connector.Registry{"okta": okta.Type}, Logger: log})
	b.Cleanup(func() { _ = gw.Close() })
	const token = "bench-token-0123456789abcdef"
	err = gw.Mount(ctx, gateway.InstanceSpec{Name: "bench", Type: "okta", Params: okta.NewSimulator(sim).Params(e.direct.URL), TokenHash: gateway.HashToken(token)})
	if err != nil {
		b.Fatal(err)
	}
	e.gw = httptest.NewServer(gateway.LogRequests(log, gw))
	b.Cleanup(e.gw.Close)
	e.gwBase, e.gwAuth, e.oktaAuth = e.gw.URL+"/scim/bench/v2", "Bearer "+token, "SSWS "+sim.Token()
	e.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	return e
}

// get sends a GET with the Authorization header auth.
func (e *benchEnv) get(b *testing.B, u, auth string) []byte {
	body, err := e.fetch(u, auth)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// fetch is get for goroutines other than the benchmark's.
func (e *benchEnv) fetch(u, auth string) ([]byte, error) {
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %d %v %s", u, resp.StatusCode, err, body)
	}
	return body, nil
}

// BenchmarkGatewayVsProxy sends GET /Users/{id} and filter=userName eq
// through the gateway, directly to the simulator, and through a plain
// httputil.ReverseProxy, and prints the three throughputs and the
// gateway's cost per request (issue #3, "Measured").
//
// All three paths use one client (same transport, same idle-connection
// limit) at the same concurrency (GOMAXPROCS goroutines, RunParallel),
// and the proxy and the gateway reach the simulator with the same
// transport settings; sim-conns/op shows that both reuse connections.
// Each path first runs on its own, which gives its throughput, its CPU
// time per request (the whole process: load, proxy or gateway, simulator)
// and its allocations. Then the "alternating" run lets the three paths
// take turns in thirty rounds of short phases, so that each meets the
// machine's load of the same seconds: on a shared machine whose load
// changes from one second to the next, its ratio and CPU figures are the
// ones to quote.
func BenchmarkGatewayVsProxy(b *testing.B) {
	e := newBenchEnv(b, 1000)
	type path struct {
		name string
		url  func(i int) string
		auth string
	}
	for _, op := range []struct {
		name   string
		direct func(base string, i int) string
		gw     func(i int) string
	}{
		{"GetUser",
			func(base string, i int) string { return base + "/api/v1/users/" + e.ids[i%len(e.ids)] },
			func(i int) string { return e.gwBase + "/Users/" + e.ids[i%len(e.ids)] }},
		// The gateway answers userName eq with a read by login (the
		// search index lags), so that is what the others call.
		{"FilterUserName",
			func(base string, i int) string {
				return base + "/api/v1/users/" + url.PathEscape(e.logins[i%len(e.logins)])
			},
			func(i int) string {
				return e.gwBase + "/Users?filter=" + url.QueryEscape(`userName eq "`+e.logins[i%len(e.logins)]+`"`)
			}},
	} {
		paths := []path{
			{"direct", func(i int) string { return op.direct(e.direct.URL, i) }, e.oktaAuth},
			{"proxy", func(i int) string { return op.direct(e.proxy.URL, i) }, e.oktaAuth},
			{"gateway", op.gw, e.gwAuth},
		}
		perOp := map[string]time.Duration{}    // wall time per request
		cpuPerOp := map[string]time.Duration{} // process CPU time per request
		for _, p := range paths {
			b.Run(op.name+"/"+p.name, func(b *testing.B) {
				var n atomic.Int64
				conns := e.simConns.Load()
				start, cpu := time.Now(), cputime.Process()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						e.get(b, p.url(int(n.Add(1))), p.auth)
					}
				})
				el, used := time.Since(start), cputime.Process()-cpu
				perOp[p.name] = el / time.Duration(b.N)
				cpuPerOp[p.name] = used / time.Duration(b.N)
				b.ReportMetric(float64(b.N)/el.Seconds(), "req/s")
				b.ReportMetric(float64(used.Microseconds())/float64(b.N), "cpu-µs/op")
				b.ReportMetric(float64(e.simConns.Load()-conns)/float64(b.N), "sim-conns/op")
			})
		}
		// Alternating: the three paths take turns in short phases, so that
		// each sees the machine's load of the same seconds.
		var alt [3]struct{ wall, cpu time.Duration }
		var altN int
		b.Run(op.name+"/alternating", func(b *testing.B) {
			const rounds = 30
			per := max(1, b.N/(rounds*len(paths)))
			alt, altN = [3]struct{ wall, cpu time.Duration }{}, per*rounds
			next := 0
			for range rounds {
				for k, p := range paths {
					start, cpu := time.Now(), cputime.Process()
					if err := e.phase(p.url, p.auth, next, per); err != nil {
						b.Fatal(err)
					}
					alt[k].wall += time.Since(start)
					alt[k].cpu += cputime.Process() - cpu
				}
				next += per
			}
			b.ReportMetric(100*float64(alt[1].wall)/float64(alt[2].wall), "gateway-%-of-proxy")
			if alt[1].cpu > 0 {
				b.ReportMetric(100*float64(alt[2].cpu)/float64(alt[1].cpu), "gateway-cpu-%-of-proxy")
			}
		})
		if altN > 0 && alt[2].wall > 0 {
			rps := func(d time.Duration) float64 { return float64(altN) / d.Seconds() }
			us := func(d time.Duration) time.Duration { return (d / time.Duration(altN)).Round(100 * time.Nanosecond) }
			fmt.Printf("%s alternating (load average %s): direct %.0f req/s, reverse proxy %.0f req/s, gateway %.0f req/s: the gateway reaches %.0f%% of the proxy's throughput; CPU per request: direct %v, reverse proxy %v, gateway %v; own cost over direct: reverse proxy %v, gateway %v\n",
				op.name, loadAverage(), rps(alt[0].wall), rps(alt[1].wall), rps(alt[2].wall), 100*float64(alt[1].wall)/float64(alt[2].wall),
				us(alt[0].cpu), us(alt[1].cpu), us(alt[2].cpu), us(alt[1].cpu-alt[0].cpu), us(alt[2].cpu-alt[0].cpu))
		}
		if perOp["gateway"] == 0 || perOp["proxy"] == 0 {
			continue
		}
		rps := func(d time.Duration) float64 { return float64(time.Second) / float64(d) }
		fmt.Printf("%s (load average %s): direct %.0f req/s, reverse proxy %.0f req/s, gateway %.0f req/s (%.0f%% of the proxy); gateway cost over direct %v per request\n",
			op.name, loadAverage(), rps(perOp["direct"]), rps(perOp["proxy"]), rps(perOp["gateway"]),
			100*rps(perOp["gateway"])/rps(perOp["proxy"]), perOp["gateway"]-perOp["direct"])
		// CPU time per request is what the shared machine disturbs least:
		// everything runs in this process, so the gateway's own cost is
		// its CPU per request minus the direct path's, and the proxy's
		// likewise.
		if d := cpuPerOp["direct"]; d > 0 {
			fmt.Printf("%s CPU per request: direct %v, reverse proxy %v, gateway %v; own cost over direct: reverse proxy %v, gateway %v (%.0f%% of the proxy's CPU per request)\n",
				op.name, d.Round(100*time.Nanosecond), cpuPerOp["proxy"].Round(100*time.Nanosecond), cpuPerOp["gateway"].Round(100*time.Nanosecond),
				(cpuPerOp["proxy"] - d).Round(100*time.Nanosecond), (cpuPerOp["gateway"] - d).Round(100*time.Nanosecond),
				100*float64(cpuPerOp["gateway"])/float64(cpuPerOp["proxy"]))
		}
	}
}

// phase sends n requests (url(from) to url(from+n-1)) from GOMAXPROCS
// goroutines, as RunParallel would.
func (e *benchEnv) phase(url func(int) string, auth string, from, n int) error {
	var next atomic.Int64
	next.Store(int64(from))
	errs := make(chan error, runtime.GOMAXPROCS(0))
	for range runtime.GOMAXPROCS(0) {
		go func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= from+n {
					errs <- nil
					return
				}
				if _, err := e.fetch(url(i), auth); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var first error
	for range runtime.GOMAXPROCS(0) {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// BenchmarkList50000 lists 50,000 users page by page through the gateway
// (index paging, count=200, and cursor paging) and straight from the
// simulator (Link paging, limit=200), and reports the peak heap in use
// during the gateway run (the simulator shares the process).
func BenchmarkList50000(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds 50,000 users")
	}
	const users = 50000
	e := newBenchEnv(b, users)
	count := func(body []byte) int {
		var page struct {
			Resources []json.RawMessage
		}
		if err := json.Unmarshal(body, &page); err != nil {
			b.Fatal(err)
		}
		return len(page.Resources)
	}
	b.Run("direct", func(b *testing.B) {
		for range b.N {
			n, next := 0, e.direct.URL+"/api/v1/users?limit=200"
			for next != "" {
				req, _ := http.NewRequest("GET", next, nil)
				req.Header.Set("Authorization", e.oktaAuth)
				resp, err := e.client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				var objs []json.RawMessage
				if err := json.NewDecoder(resp.Body).Decode(&objs); err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				n += len(objs)
				next = ""
				for _, l := range resp.Header.Values("Link") {
					if u, ok := parseNext(l); ok {
						next = u
					}
				}
			}
			if n != users {
				b.Fatalf("listed %d users, want %d", n, users)
			}
		}
	})
	for _, mode := range []string{"gateway-index", "gateway-cursor"} {
		b.Run(mode, func(b *testing.B) {
			peak := watchHeap()
			for range b.N {
				n := 0
				if mode == "gateway-index" {
					for start := 1; ; start += 200 {
						got := count(e.get(b, fmt.Sprintf("%s/Users?startIndex=%d&count=200", e.gwBase, start), e.gwAuth))
						n += got
						if got < 200 {
							break
						}
					}
				} else {
					cursor := ""
					for {
						var page struct {
							Resources  []json.RawMessage
							NextCursor string `json:"nextCursor"`
						}
						if err := json.Unmarshal(e.get(b, e.gwBase+"/Users?count=200&cursor="+url.QueryEscape(cursor), e.gwAuth), &page); err != nil {
							b.Fatal(err)
						}
						n += len(page.Resources)
						if cursor = page.NextCursor; cursor == "" {
							break
						}
					}
				}
				if n != users {
					b.Fatalf("listed %d users, want %d", n, users)
				}
			}
			b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
		})
	}
}

// loadAverage is the 1-minute load average ("?" where unknown): the
// figures are only comparable between runs on an equally loaded machine.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

func parseNext(link string) (string, bool) {
	var u, rel string
	if _, err := fmt.Sscanf(link, "<%s", &u); err != nil {
		return "", false
	}
	for i := 0; i < len(link); i++ {
		if link[i] == '>' {
			u, rel = link[1:i], link[i+1:]
			break
		}
	}
	return u, rel == `; rel="next"`
}

// watchHeap samples the heap in use until the returned function is called,
// which returns the peak.
func watchHeap() func() uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(stop); <-done; return peak.Load() }
}
