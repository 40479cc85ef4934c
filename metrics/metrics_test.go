package metrics_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/connector/httpx"
	"github.com/scimconnect/scimconnect/metrics"
)

func TestObserveRequestLabels(t *testing.T) {
	m := metrics.New()
	o := m.Instance("acme")
	if again := m.Instance("acme"); again != o {
		t.Errorf("Instance returned a new observer for the same name")
	}
	o.ObserveRequest(metrics.OpGet, 200, 3*time.Millisecond)
	o.ObserveRequest(metrics.OpGet, 200, 20*time.Millisecond)
	o.ObserveRequest(metrics.OpGet, 404, time.Millisecond)
	o.ObserveRequest(metrics.OpCreate, 418, time.Millisecond) // a rare status
	o.ObserveRequest(metrics.OpCreate, 999, time.Millisecond) // no HTTP status
	o.ObserveRequest(metrics.Operation(77), 200, time.Millisecond)
	got := scrape(t, m.Handler())
	want := map[string]float64{
		`scimconnect_scim_requests_total{scim_instance="acme",operation="get",status="200"}`:                 2,
		`scimconnect_scim_requests_total{scim_instance="acme",operation="get",status="404"}`:                 1,
		`scimconnect_scim_requests_total{scim_instance="acme",operation="create",status="418"}`:              1,
		`scimconnect_scim_requests_total{scim_instance="acme",operation="create",status="other"}`:            1,
		`scimconnect_scim_requests_total{scim_instance="acme",operation="other",status="200"}`:               1,
		`scimconnect_scim_request_duration_seconds_count{scim_instance="acme",operation="get"}`:              3,
		`scimconnect_scim_request_duration_seconds_bucket{scim_instance="acme",operation="get",le="0.0025"}`: 1,
		`scimconnect_scim_request_duration_seconds_bucket{scim_instance="acme",operation="get",le="0.005"}`:  2,
		`scimconnect_scim_request_duration_seconds_bucket{scim_instance="acme",operation="get",le="0.025"}`:  3,
		`scimconnect_scim_request_duration_seconds_bucket{scim_instance="acme",operation="get",le="0.0005"}`: 0,
		`scimconnect_scim_request_duration_seconds_bucket{scim_instance="acme",operation="get",le="10"}`:     3,
	}
	for series, v := range want {
		if got[canon(series)] != v {
			t.Errorf("%s = %v, want %v", series, got[canon(series)], v)
		}
	}
	// Only the series used exist: no status or operation is pre-created.
	if n := countPrefix(got, "scimconnect_scim_requests_total{"); n != 5 {
		t.Errorf("%d request series, want 5", n)
	}
}

func TestObserveAuthFailure(t *testing.T) {
	m := metrics.New()
	o := m.Instance("acme")
	o.ObserveAuthFailure(false)
	o.ObserveAuthFailure(true)
	o.ObserveAuthFailure(true)
	got := scrape(t, m.Handler())
	if v := got[canon(`scimconnect_auth_failures_total{scim_instance="acme"}`)]; v != 3 {
		t.Errorf("auth failures %v, want 3", v)
	}
	if v := got[canon(`scimconnect_auth_blocked_total{scim_instance="acme"}`)]; v != 2 {
		t.Errorf("auth blocked %v, want 2", v)
	}
	// An instance that never called a target has no target series.
	if n := countPrefix(got, "scimconnect_target_"); n != 0 {
		t.Errorf("%d target series without a target call", n)
	}
}

func TestObserveTargetCall(t *testing.T) {
	m := metrics.New()
	o := m.Instance("okta1")
	o.ObserveTargetCall(context.Background(), httpx.Call{Status: 200, Retries: 0, Throttled: 0, Elapsed: 40 * time.Millisecond})
	o.ObserveTargetCall(context.Background(), httpx.Call{Status: 200, Retries: 2, Throttled: 2, Elapsed: time.Second})
	o.ObserveTargetCall(context.Background(), httpx.Call{Status: 0, Retries: 3, Throttled: 0, Elapsed: 2 * time.Second})
	o.ObserveTargetCall(context.Background(), httpx.Call{Status: 429, Retries: 9, Throttled: 10, Elapsed: 30 * time.Second})
	o.ObserveTargetCall(context.Background(), httpx.Call{Status: 503, Retries: -1, Throttled: 0, Elapsed: time.Millisecond})
	got := scrape(t, m.Handler())
	want := map[string]float64{
		`scimconnect_target_calls_total{scim_instance="okta1",retries="0",status="200"}`:   1,
		`scimconnect_target_calls_total{scim_instance="okta1",retries="2",status="200"}`:   1,
		`scimconnect_target_calls_total{scim_instance="okta1",retries="3",status="error"}`: 1,
		`scimconnect_target_calls_total{scim_instance="okta1",retries="5+",status="429"}`:  1,
		`scimconnect_target_calls_total{scim_instance="okta1",retries="0",status="503"}`:   1,
		`scimconnect_target_rate_limited_total{scim_instance="okta1"}`:                     12,
		`scimconnect_target_call_duration_seconds_count{scim_instance="okta1"}`:            5,
		`scimconnect_target_call_duration_seconds_bucket{scim_instance="okta1",le="1"}`:    3,
	}
	for series, v := range want {
		if got[canon(series)] != v {
			t.Errorf("%s = %v, want %v", series, got[canon(series)], v)
		}
	}
}

func TestInstancesLoaded(t *testing.T) {
	m := metrics.New()
	m.SetInstancesLoaded(7)
	if v := scrape(t, m.Handler())["scimconnect_instances_loaded"]; v != 7 {
		t.Errorf("instances loaded %v, want 7", v)
	}
}

func TestForgetInstance(t *testing.T) {
	m := metrics.New()
	gone, kept := m.Instance("gone"), m.Instance("kept")
	for _, o := range []*metrics.Observer{gone, kept} {
		o.ObserveRequest(metrics.OpList, 200, time.Millisecond)
		o.ObserveAuthFailure(true)
		o.ObserveTargetCall(context.Background(), httpx.Call{Status: 200, Retries: 0, Throttled: 1, Elapsed: time.Millisecond})
	}
	m.ForgetInstance("gone")
	gone.ObserveRequest(metrics.OpList, 200, time.Millisecond) // detached: not exported
	got := scrape(t, m.Handler())
	var leftovers []string
	for series := range got {
		if strings.Contains(series, `scim_instance="gone"`) {
			leftovers = append(leftovers, series)
		}
	}
	if len(leftovers) > 0 {
		t.Errorf("series of a forgotten instance remain: %v", leftovers)
	}
	if v := got[canon(`scimconnect_scim_requests_total{scim_instance="kept",operation="list",status="200"}`)]; v != 1 {
		t.Errorf("kept instance's requests %v, want 1", v)
	}
	if again := m.Instance("gone"); again == gone {
		t.Errorf("a forgotten instance's observer was handed out again")
	}
}

func TestNilIsSilent(t *testing.T) {
	var m *metrics.Metrics
	o := m.Instance("x")
	if o != nil {
		t.Fatalf("nil Metrics returned observer %v", o)
	}
	// None of these may panic.
	m.SetInstancesLoaded(3)
	m.ForgetInstance("x")
	o.ObserveRequest(metrics.OpGet, 200, time.Millisecond)
	o.ObserveAuthFailure(true)
	o.ObserveTargetCall(context.Background(), httpx.Call{Status: 200, Retries: 1, Throttled: 1, Elapsed: time.Millisecond})
	if o.Name() != "" {
		t.Errorf("nil observer name %q", o.Name())
	}
}

func TestOwnRegistry(t *testing.T) {
	// Two sets of metrics in one process must not collide: each has its
	// own registry, not the global default one.
	a, b := metrics.New(), metrics.New()
	a.Instance("x").ObserveRequest(metrics.OpGet, 200, time.Millisecond)
	series := `scimconnect_scim_requests_total{scim_instance="x",operation="get",status="200"}`
	if got := scrape(t, b.Handler())[canon(series)]; got != 0 {
		t.Errorf("second registry sees the first's requests: %v", got)
	}
	if got := scrape(t, a.Handler())[canon(series)]; got != 1 {
		t.Errorf("first registry: %v, want 1", got)
	}
	// The Go runtime collector is registered with them.
	if _, ok := scrape(t, a.Handler())["go_goroutines"]; !ok {
		t.Errorf("go_goroutines missing")
	}
}

func countPrefix(samples map[string]float64, prefix string) int {
	n := 0
	for s := range samples {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

func BenchmarkObserveRequest(b *testing.B) {
	o := metrics.New().Instance("acme")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			o.ObserveRequest(metrics.OpGet, 200, 300*time.Microsecond)
		}
	})
}

func TestReadinessCheck(t *testing.T) {
	m := metrics.New()
	if _, ok := scrape(t, m.Handler())["scimconnect_ready"]; ok {
		t.Errorf("scimconnect_ready exported before a check is set")
	}
	var down error
	m.SetReadinessCheck(func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("check run without a deadline")
		}
		return down
	})
	for _, tt := range []struct {
		name string
		err  error
		want float64
	}{
		{"ready", nil, 1},
		{"store down", errors.New("store down"), 0},
		{"back", nil, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			down = tt.err
			if got := scrape(t, m.Handler())["scimconnect_ready"]; got != tt.want {
				t.Errorf("scimconnect_ready = %v, want %v", got, tt.want)
			}
		})
	}
	var none *metrics.Metrics
	none.SetReadinessCheck(func(context.Context) error { return nil }) // no panic
}
