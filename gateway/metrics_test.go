package gateway_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/scimconnect/scimconnect/metrics/metricstest"

	"github.com/google/go-cmp/cmp"
	"github.com/scimconnect/scimconnect/gateway"
	"github.com/scimconnect/scimconnect/metrics"
	"github.com/scimconnect/scimconnect/store"
)

// newMetricsFixture serves instances "a" and "b" with metrics on and the
// store instrumented.
func newMetricsFixture(t *testing.T, configure func(*gateway.Options)) *fixture {
	t.Helper()
	return newFixtureWith(t, map[string]string{"a": "token-of-instance-a-0001", "b": "token-of-instance-b-0002"}, func(o *gateway.Options) {
		m := metrics.New()
		o.Metrics = m
		o.Store = metrics.InstrumentStore(o.Store, m)
		if configure != nil {
			configure(o)
		}
	})
}

// scrape GETs /metrics through the gateway and returns each sample's
// value by its series as printed, e.g. `x_total{a="1",b="2"}`.
func (f *fixture) scrape(t *testing.T, token string) map[string]float64 {
	t.Helper()
	w := f.do("GET", "/metrics", token)
	if w.Code != http.StatusOK {
		t.Fatalf("GET /metrics: status %d: %s", w.Code, w.Body)
	}
	return metricstest.Samples(t, w.Body)
}

var labelRE = metricstest.LabelPair

func canon(series string) string { return metricstest.Canon(series) }

// labelValues returns the sorted distinct values of label in the series
// of metrics whose names start with "scimconnect_".
func labelValues(samples map[string]float64, label string) []string {
	seen := map[string]bool{}
	for series := range samples {
		if !strings.HasPrefix(series, "scimconnect_") {
			continue
		}
		for _, m := range labelRE.FindAllStringSubmatch(series, -1) {
			if m[1] == label {
				seen[m[2]] = true
			}
		}
	}
	var out []string
	for v := range seen {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

func (f *fixture) send(method, path, token, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/scim+json")
	}
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, r)
	return w
}

func TestRequestMetrics(t *testing.T) {
	const tokA = "token-of-instance-a-0001"
	f := newMetricsFixture(t, nil)
	user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com"}`
	requests := []struct {
		method, path, token, body string
		status                    int
	}{
		{"POST", "/scim/a/v2/Users", tokA, user, 201},
		{"POST", "/scim/a/v2/Users", tokA, user, 409},
		{"GET", "/scim/a/v2/Users", tokA, "", 200},
		{"GET", "/scim/a/v2/Users", tokA, "", 200},
		{"GET", "/scim/a/v2/Users/does-not-exist", tokA, "", 404},
		{"GET", "/scim/a/v2/ServiceProviderConfig", tokA, "", 200},
		{"POST", "/scim/a/v2/Users/.search", tokA, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}`, 200},
		{"GET", "/scim/b/v2/Users", tokA, "", 401},
		{"GET", "/scim/zz/v2/Users", tokA, "", 401},
		{"GET", "/healthz", "", "", 200},
	}
	for _, rq := range requests {
		if w := f.send(rq.method, rq.path, rq.token, rq.body); w.Code != rq.status {
			t.Fatalf("%s %s: status %d, want %d: %s", rq.method, rq.path, w.Code, rq.status, w.Body)
		}
	}
	got := f.scrape(t, "")
	want := map[string]float64{
		`scimconnect_scim_requests_total{scim_instance="a",operation="create",status="201"}`:      1,
		`scimconnect_scim_requests_total{scim_instance="a",operation="create",status="409"}`:      1,
		`scimconnect_scim_requests_total{scim_instance="a",operation="list",status="200"}`:        2,
		`scimconnect_scim_requests_total{scim_instance="a",operation="get",status="404"}`:         1,
		`scimconnect_scim_requests_total{scim_instance="a",operation="discovery",status="200"}`:   1,
		`scimconnect_scim_requests_total{scim_instance="a",operation="search",status="200"}`:      1,
		`scimconnect_scim_requests_total{scim_instance="b",operation="list",status="401"}`:        1,
		`scimconnect_scim_requests_total{scim_instance="_unknown",operation="list",status="401"}`: 1,
		`scimconnect_scim_request_duration_seconds_count{scim_instance="a",operation="list"}`:     2,
		`scimconnect_scim_request_duration_seconds_count{scim_instance="a",operation="create"}`:   2,
		`scimconnect_auth_failures_total{scim_instance="b"}`:                                      1,
		`scimconnect_auth_failures_total{scim_instance="_unknown"}`:                               1,
		`scimconnect_auth_failures_total{scim_instance="a"}`:                                      0,
		`scimconnect_auth_blocked_total{scim_instance="b"}`:                                       0,
		`scimconnect_instances_loaded`:                                                            2,
	}
	for series, v := range want {
		if g, ok := got[canon(series)]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", series, g, ok, v)
		}
	}
	// Health checks and scrapes are not SCIM requests; the values are the
	// mounted instances and the fixed ones.
	if diff := cmp.Diff([]string{"_admin", "_metrics", "_unknown", "a", "b"}, labelValues(got, "scim_instance")); diff != "" {
		t.Errorf("instance label values (-want +got):\n%s", diff)
	}
	// The store was timed through the decorator the local connector uses.
	if got[canon(`scimconnect_store_duration_seconds_count{operation="update"}`)] < 1 || got[canon(`scimconnect_store_duration_seconds_count{operation="view"}`)] < 1 {
		t.Errorf("store transactions not timed: %v", got)
	}
}

func TestReadyMetric(t *testing.T) {
	f := newMetricsFixture(t, nil)
	steps := []struct {
		name   string
		change func()
		want   float64
	}{
		{"ready", func() {}, 1},
		{"shutting down", func() { f.gw.SetReady(false) }, 0},
		{"ready again", func() { f.gw.SetReady(true) }, 1},
		{"store closed", func() { f.store.Close() }, 0},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.change()
			got, ok := f.scrape(t, "")["scimconnect_ready"]
			if !ok || got != s.want {
				t.Errorf("scimconnect_ready = %v (present %v), want %v", got, ok, s.want)
			}
			wantStatus := 200
			if s.want == 0 {
				wantStatus = 503
			}
			if w := f.do("GET", "/readyz", ""); w.Code != wantStatus {
				t.Errorf("/readyz %d, want %d", w.Code, wantStatus)
			}
		})
	}
}

func TestRequestMetricsWithoutLogRequests(t *testing.T) {
	f := newMetricsFixture(t, nil)
	// The gateway records statuses itself when no LogRequests is in front.
	for _, tt := range []struct {
		path   string
		status int
	}{{"/scim/a/v2/Users", 200}, {"/scim/a/v2/Users/nope", 404}, {"/scim/a/v1/Users", 404}} {
		r := httptest.NewRequest("GET", tt.path, nil)
		r.Header.Set("Authorization", "Bearer token-of-instance-a-0001")
		w := httptest.NewRecorder()
		f.gw.ServeHTTP(w, r)
		if w.Code != tt.status {
			t.Fatalf("%s: status %d, want %d", tt.path, w.Code, tt.status)
		}
	}
	got := f.scrape(t, "")
	for series, v := range map[string]float64{
		`scimconnect_scim_requests_total{scim_instance="a",operation="list",status="200"}`:  1,
		`scimconnect_scim_requests_total{scim_instance="a",operation="get",status="404"}`:   1,
		`scimconnect_scim_requests_total{scim_instance="a",operation="other",status="404"}`: 1,
	} {
		if got[canon(series)] != v {
			t.Errorf("%s = %v, want %v", series, got[canon(series)], v)
		}
	}
}

func TestMetricsCardinalityIsBounded(t *testing.T) {
	const tokA = "token-of-instance-a-0001"
	f := newMetricsFixture(t, func(o *gateway.Options) { o.AuthLimit.Disabled = true })
	// Warm up: one of each shape, so that later requests add nothing.
	f.do("GET", "/scim/a/v2/Users/warm", tokA)
	f.do("GET", "/scim/warm/v2/Users/warm", tokA)
	before := f.scrape(t, "")
	for i := range 1000 {
		if w := f.do("GET", fmt.Sprintf("/scim/made-up-%d/v2/Users/%d", i, i), tokA); w.Code != 401 {
			t.Fatalf("made-up instance: status %d", w.Code)
		}
		if w := f.do("GET", fmt.Sprintf("/scim/a/v2/Users/id-%d", i), tokA); w.Code != 404 {
			t.Fatalf("made-up id: status %d", w.Code)
		}
	}
	after := f.scrape(t, "")
	if diff := cmp.Diff([]string{"_admin", "_metrics", "_unknown", "a", "b"}, labelValues(after, "scim_instance")); diff != "" {
		t.Errorf("instance label values (-want +got):\n%s", diff)
	}
	var added []string
	for s := range after {
		if _, ok := before[s]; !ok && strings.HasPrefix(s, "scimconnect_") {
			added = append(added, s)
		}
	}
	if len(added) > 0 {
		t.Errorf("2,000 requests with made-up names and ids added %d series: %v", len(added), added)
	}
	if got := after[canon(`scimconnect_scim_requests_total{scim_instance="_unknown",operation="get",status="401"}`)]; got != 1001 {
		t.Errorf("unknown-instance requests %v, want 1001", got)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	t.Run("off without metrics", func(t *testing.T) {
		f := newFixture(t, nil)
		if w := f.do("GET", "/metrics", ""); w.Code != 404 {
			t.Errorf("/metrics without metrics: status %d", w.Code)
		}
	})
	t.Run("open by default", func(t *testing.T) {
		f := newMetricsFixture(t, nil)
		w := f.do("GET", "/metrics", "")
		if w.Code != 200 || !strings.Contains(w.Body.String(), "scimconnect_instances_loaded 2") {
			t.Errorf("/metrics: status %d: %.300s", w.Code, w.Body)
		}
	})
	t.Run("token required when configured", func(t *testing.T) {
		const tok = "metrics-scrape-token-0001"
		f := newMetricsFixture(t, func(o *gateway.Options) {
			o.MetricsTokenHash = gateway.HashToken(tok)
			o.AuthLimit = gateway.AuthLimit{Failures: 2}
		})
		for i, bad := range []string{"", "wrong-token", "token-of-instance-a-0001"} {
			w := f.do("GET", "/metrics", bad)
			want := 401
			if i == 2 { // over the budget of 2 failures
				want = 429
			}
			if w.Code != want {
				t.Errorf("token %q: status %d, want %d", bad, w.Code, want)
			}
			if want == 401 && w.Header().Get("WWW-Authenticate") == "" {
				t.Errorf("token %q: 401 without WWW-Authenticate", bad)
			}
			if strings.Contains(w.Body.String(), "scimconnect_") {
				t.Errorf("token %q: metrics leaked: %.200s", bad, w.Body)
			}
		}
		got := f.scrape(t, tok)
		if got[canon(`scimconnect_auth_failures_total{scim_instance="_metrics"}`)] != 3 || got[canon(`scimconnect_auth_blocked_total{scim_instance="_metrics"}`)] != 1 {
			t.Errorf("metrics endpoint auth failures: %v blocked %v", got[canon(`scimconnect_auth_failures_total{scim_instance="_metrics"}`)], got[canon(`scimconnect_auth_blocked_total{scim_instance="_metrics"}`)])
		}
	})
}

func TestAuthBlockedMetric(t *testing.T) {
	f := newMetricsFixture(t, func(o *gateway.Options) { o.AuthLimit = gateway.AuthLimit{Failures: 3} })
	for range 5 {
		f.do("GET", "/scim/a/v2/Users", "wrong")
	}
	got := f.scrape(t, "")
	for series, v := range map[string]float64{
		`scimconnect_auth_failures_total{scim_instance="a"}`:                               5,
		`scimconnect_auth_blocked_total{scim_instance="a"}`:                                2,
		`scimconnect_scim_requests_total{scim_instance="a",operation="list",status="401"}`: 3,
		`scimconnect_scim_requests_total{scim_instance="a",operation="list",status="429"}`: 2,
	} {
		if got[canon(series)] != v {
			t.Errorf("%s = %v, want %v", series, got[canon(series)], v)
		}
	}
}

func TestInstancesLoadedGauge(t *testing.T) {
	f := newMetricsFixture(t, nil)
	ctx := context.Background()
	// Remounting an instance replaces it: still two.
	if err := f.gw.Mount(ctx, gateway.InstanceSpec{Name: "a", Type: "local", TokenHash: gateway.HashToken("token-of-instance-a-0001")}); err != nil {
		t.Fatal(err)
	}
	if err := f.gw.Mount(ctx, gateway.InstanceSpec{Name: "c", Type: "local", TokenHash: gateway.HashToken("token-of-instance-c-0003")}); err != nil {
		t.Fatal(err)
	}
	if got := f.scrape(t, "")["scimconnect_instances_loaded"]; got != 3 {
		t.Errorf("instances loaded %v, want 3", got)
	}
	if err := f.gw.Close(); err != nil {
		t.Fatal(err)
	}
	if got := f.scrape(t, "")["scimconnect_instances_loaded"]; got != 0 {
		t.Errorf("instances loaded after Close %v, want 0", got)
	}
}

func TestGatewayStoreKeepsExclusive(t *testing.T) {
	// The local connector caches only over an exclusive store: the
	// instrumented SQLite store must still say so.
	f := newMetricsFixture(t, nil)
	st := metrics.InstrumentStore(f.store, metrics.New())
	if ex, ok := st.(store.Exclusive); !ok || !ex.Exclusive() {
		t.Errorf("instrumented SQLite store is not exclusive (implements %v)", ok)
	}
}
