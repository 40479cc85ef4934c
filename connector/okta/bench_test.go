package okta_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/okta"
	"github.com/scimconnect/scimconnect/connector/okta/oktasim"
	"github.com/scimconnect/scimconnect/scim/provider"
)

// benchEnv is a simulator with users, served directly, through a plain
// reverse proxy, and through the gateway (provider + Okta connector).
type benchEnv struct {
	sim               *oktasim.Server
	direct, proxy, gw *httptest.Server
	ids, logins       []string
	client            *http.Client
}

func newBenchEnv(b *testing.B, users int) *benchEnv {
	b.Helper()
	sim := oktasim.New(oktasim.WithRateLimit(0, time.Minute))
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
	e.direct = httptest.NewServer(sim)
	b.Cleanup(e.direct.Close)
	target, err := url.Parse(e.direct.URL)
	if err != nil {
		b.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 64}
	e.proxy = httptest.NewServer(rp)
	b.Cleanup(e.proxy.Close)
	inst, err := okta.Type.Open(context.Background(), connector.Env{Instance: "bench"}, okta.NewSimulator(sim).Params(e.direct.URL))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = inst.Close() })
	var h http.Handler
	e.gw = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	b.Cleanup(e.gw.Close)
	cfg := provider.DefaultConfig()
	cfg.BaseURL = e.gw.URL
	cfg.Features = inst.Features()
	p, err := provider.New(cfg, inst.ResourceTypes()...)
	if err != nil {
		b.Fatal(err)
	}
	h = p
	e.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	return e
}

func (e *benchEnv) get(b *testing.B, u string, okta bool) []byte {
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		b.Fatal(err)
	}
	if okta {
		req.Header.Set("Authorization", "SSWS "+e.sim.Token())
		req.Header.Set("Accept", "application/json")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("GET %s: %d %v %s", u, resp.StatusCode, err, body)
	}
	return body
}

// BenchmarkGatewayVsProxy sends GET /Users/{id} and filter=userName eq
// through the gateway, directly to the simulator, and through a plain
// httputil.ReverseProxy, and prints the three throughputs and the
// gateway's cost per request (issue #3, "Measured").
func BenchmarkGatewayVsProxy(b *testing.B) {
	e := newBenchEnv(b, 1000)
	type path struct {
		name string
		url  func(i int) string
		okta bool
	}
	for _, op := range []struct {
		name   string
		direct func(base string, i int) string
		gw     func(i int) string
	}{
		{"GetUser",
			func(base string, i int) string { return base + "/api/v1/users/" + e.ids[i%len(e.ids)] },
			func(i int) string { return e.gw.URL + "/Users/" + e.ids[i%len(e.ids)] }},
		{"FilterUserName",
			func(base string, i int) string {
				return base + "/api/v1/users?search=" + url.QueryEscape(`profile.login eq "`+e.logins[i%len(e.logins)]+`"`)
			},
			func(i int) string {
				return e.gw.URL + "/Users?filter=" + url.QueryEscape(`userName eq "`+e.logins[i%len(e.logins)]+`"`)
			}},
	} {
		perOp := map[string]time.Duration{}
		for _, p := range []path{
			{"direct", func(i int) string { return op.direct(e.direct.URL, i) }, true},
			{"proxy", func(i int) string { return op.direct(e.proxy.URL, i) }, true},
			{"gateway", op.gw, false},
		} {
			b.Run(op.name+"/"+p.name, func(b *testing.B) {
				var n atomic.Int64
				start := time.Now()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						e.get(b, p.url(int(n.Add(1))), p.okta)
					}
				})
				el := time.Since(start)
				perOp[p.name] = el / time.Duration(b.N)
				b.ReportMetric(float64(b.N)/el.Seconds(), "req/s")
			})
		}
		if perOp["gateway"] > 0 && perOp["proxy"] > 0 {
			rps := func(d time.Duration) float64 { return float64(time.Second) / float64(d) }
			fmt.Printf("%s: direct %.0f req/s, reverse proxy %.0f req/s, gateway %.0f req/s (%.0f%% of the proxy); gateway cost over direct %v per request\n",
				op.name, rps(perOp["direct"]), rps(perOp["proxy"]), rps(perOp["gateway"]),
				100*rps(perOp["gateway"])/rps(perOp["proxy"]), perOp["gateway"]-perOp["direct"])
		}
	}
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
				req.Header.Set("Authorization", "SSWS "+e.sim.Token())
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
						got := count(e.get(b, fmt.Sprintf("%s/Users?startIndex=%d&count=200", e.gw.URL, start), false))
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
						if err := json.Unmarshal(e.get(b, e.gw.URL+"/Users?count=200&cursor="+url.QueryEscape(cursor), false), &page); err != nil {
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
