package gateway_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scimconnect/scimconnect/audit"
	"github.com/scimconnect/scimconnect/gateway"
	"github.com/scimconnect/scimconnect/internal/cputime"
	"github.com/scimconnect/scimconnect/metrics"
)

// BenchmarkAuditHotPath measures the cached GET of one user through
// request logging, metrics, the gateway and the provider, with and
// without the audit log. With it on, every request also hands a record
// to the recorder, whose writer appends it to the same SQLite store in
// the background: ns/op, allocs/op and cpu-ns/op include that share of
// the writer's work.
func BenchmarkAuditHotPath(b *testing.B) {
	const tok = "token-of-instance-a-0001"
	for _, on := range []bool{false, true} {
		name := "audit=off"
		if on {
			name = "audit=on"
		}
		b.Run(name, func(b *testing.B) {
			var rec *audit.Recorder
			f := newFixtureWith(b, map[string]string{"a": tok}, func(o *gateway.Options) {
				m := metrics.New()
				o.Metrics = m
				o.Store = metrics.InstrumentStore(o.Store, m)
				if on {
					withAudit(b, &rec, nil)(o)
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
			loc := w.Header().Get("Location")
			path := "/scim/a/v2/Users/" + loc[strings.LastIndexByte(loc, '/')+1:]
			h := gateway.LogRequests(slog.New(slog.DiscardHandler), f.gw)
			dw := &discardWriter{h: http.Header{}}
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			b.ReportAllocs()
			stop := cputime.PerOp(b)
			for b.Loop() {
				clear(dw.h)
				dw.status = 0
				h.ServeHTTP(dw, req)
				if dw.status != 0 && dw.status != 200 {
					b.Fatalf("GET: status %d", dw.status)
				}
			}
			if rec != nil {
				// The records still queued are part of the cost.
				if err := rec.Flush(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
			stop()
		})
	}
}
