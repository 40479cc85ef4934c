package gateway_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/gateway"
	"github.com/scimconnect/scimconnect/metrics"
)

// discardWriter is a ResponseWriter that keeps only the status, so that
// the benchmark measures the gateway rather than a recorder.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }

// BenchmarkHotPath measures the cached GET of one user through request
// logging (to a disabled logger), the gateway, authentication and the
// provider, with and without metrics: the difference is what metrics
// cost per request.
func BenchmarkHotPath(b *testing.B) {
	const tok = "token-of-instance-a-0001"
	cases := []struct {
		name       string
		metrics    bool
		plainStore bool // metrics on, store not instrumented
		logging    bool
		parallel   bool
	}{
		{"metrics=off", false, false, true, false},
		{"metrics=on", true, false, true, false},
		{"metrics=on/store-not-timed", true, true, true, false},
		{"metrics=on/no-LogRequests", true, false, false, false},
		{"metrics=off/parallel", false, false, true, true},
		{"metrics=on/parallel", true, false, true, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			f := newFixtureWith(b, map[string]string{"a": tok}, func(o *gateway.Options) {
				o.RequestTimeout = time.Minute // as served: every request has a deadline
				if c.metrics {
					m := metrics.New()
					o.Metrics = m
					if !c.plainStore {
						o.Store = metrics.InstrumentStore(o.Store, m)
					}
				}
			})
			b.Cleanup(func() { f.gw.Close() })
			r := httptest.NewRequest("POST", "/scim/a/v2/Users", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bench@example.com"}`))
			r.Header.Set("Authorization", "Bearer "+tok)
			r.Header.Set("Content-Type", "application/scim+json")
			w := httptest.NewRecorder()
			f.gw.ServeHTTP(w, r)
			if w.Code != 201 {
				b.Fatalf("create: %d %s", w.Code, w.Body)
			}
			path := "/scim/a/v2/Users/" + w.Header().Get("Location")[strings.LastIndexByte(w.Header().Get("Location"), '/')+1:]
			var h http.Handler = f.gw
			if c.logging {
				h = gateway.LogRequests(slog.New(slog.DiscardHandler), f.gw)
			}
			get := func(dw *discardWriter, req *http.Request) {
				clear(dw.h)
				dw.status = 0
				h.ServeHTTP(dw, req)
				if dw.status != 0 && dw.status != 200 {
					b.Fatalf("GET: status %d", dw.status)
				}
			}
			newReq := func() *http.Request {
				req := httptest.NewRequest("GET", path, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				return req
			}
			b.ReportAllocs()
			if c.parallel {
				b.RunParallel(func(pb *testing.PB) {
					dw, req := &discardWriter{h: http.Header{}}, newReq()
					for pb.Next() {
						get(dw, req)
					}
				})
				return
			}
			dw, req := &discardWriter{h: http.Header{}}, newReq()
			for b.Loop() {
				get(dw, req)
			}
		})
	}
}
