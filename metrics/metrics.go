package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/scimconnect/scimconnect/connector/httpx"
)

// Fixed values of the scim_instance label that no instance can have (instance
// names start with a letter or a digit).
const (
	// UnknownInstance labels SCIM requests whose URL names no mounted
	// instance, so that made-up names never become label values.
	UnknownInstance = "_unknown"
	// MetricsEndpoint labels failed authentications at /metrics.
	MetricsEndpoint = "_metrics"
	// AdminAPI labels failed authentications at the admin API.
	AdminAPI = "_admin"
)

// DurationBuckets are the latency histogram buckets in seconds, from
// 0.5 ms (a cached GET) to 10 s (a large Bulk request or a slow store).
var DurationBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// TargetBuckets are the target call histogram buckets in seconds: a call
// includes its retries and the waits between them, so they reach 60 s.
var TargetBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// Metrics is scimconnect's set of metrics in its own registry. It is safe
// for concurrent use. A nil *Metrics records nothing.
type Metrics struct {
	reg *prometheus.Registry

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	authFailures    *prometheus.CounterVec
	authBlocked     *prometheus.CounterVec
	targetCalls     *prometheus.CounterVec
	targetDuration  *prometheus.HistogramVec
	targetThrottled *prometheus.CounterVec
	storeDuration   *prometheus.HistogramVec
	instances       prometheus.Gauge
	ready           *readinessCollector

	mu        sync.Mutex
	observers map[string]*Observer
}

// New returns the metrics, registered in a new registry together with the
// Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scimconnect_scim_requests_total",
			Help: "SCIM requests answered, by instance, operation and HTTP status.",
		}, []string{"scim_instance", "operation", "status"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scimconnect_scim_request_duration_seconds",
			Help:    "Time to answer a SCIM request, by instance and operation.",
			Buckets: DurationBuckets,
		}, []string{"scim_instance", "operation"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scimconnect_auth_failures_total",
			Help: "Requests refused for a missing or invalid bearer token (blocked ones included), by instance.",
		}, []string{"scim_instance"}),
		authBlocked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scimconnect_auth_blocked_total",
			Help: "Failed authentications answered 429 because their client address exceeded its failure budget, by instance.",
		}, []string{"scim_instance"}),
		targetCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scimconnect_target_calls_total",
			Help: `Calls to target applications, by instance, final HTTP status ("error" without a response) and retries made.`,
		}, []string{"scim_instance", "status", "retries"}),
		targetDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scimconnect_target_call_duration_seconds",
			Help:    "Time of a call to a target application, retries and waits included, by instance.",
			Buckets: TargetBuckets,
		}, []string{"scim_instance"}),
		targetThrottled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scimconnect_target_rate_limited_total",
			Help: "HTTP 429 responses from target applications (every attempt, retried or not), by instance.",
		}, []string{"scim_instance"}),
		storeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scimconnect_store_duration_seconds",
			Help:    "Time of store transactions (view, update) and pings, by operation.",
			Buckets: DurationBuckets,
		}, []string{"operation"}),
		instances: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "scimconnect_instances_loaded",
			Help: "Connector instances mounted and serving.",
		}),
		ready: &readinessCollector{desc: prometheus.NewDesc("scimconnect_ready",
			"Readiness checked at scrape time, as /readyz checks it: 1 ready, 0 not (store unreachable or shutting down).", nil, nil)},
		observers: map[string]*Observer{},
	}
	m.reg.MustRegister(
		m.requests, m.requestDuration, m.authFailures, m.authBlocked,
		m.targetCalls, m.targetDuration, m.targetThrottled,
		m.storeDuration, m.instances, m.ready,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Registry returns the registry holding the metrics, to register more
// collectors or to gather them in tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition formats. It
// checks no credentials: the gateway does, when configured to.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// SetInstancesLoaded sets the number of instances mounted.
func (m *Metrics) SetInstancesLoaded(n int) {
	if m == nil {
		return
	}
	m.instances.Set(float64(n))
}

// SetReadinessCheck sets the check behind scimconnect_ready, run at each
// scrape with a 2 s timeout: nil error is ready. Until it is set the
// metric is absent.
func (m *Metrics) SetReadinessCheck(check func(context.Context) error) {
	if m == nil {
		return
	}
	m.ready.check.Store(&check)
}

// readinessCollector exports the result of the readiness check.
type readinessCollector struct {
	desc  *prometheus.Desc
	check atomic.Pointer[func(context.Context) error]
}

// Describe sends the metric's description.
func (c *readinessCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect runs the check and sends its result, if a check is set.
func (c *readinessCollector) Collect(ch chan<- prometheus.Metric) {
	check := c.check.Load()
	if check == nil || *check == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), readinessTimeout)
	defer cancel()
	v := 1.0
	if err := (*check)(ctx); err != nil {
		v = 0
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v)
}

// readinessTimeout bounds the check run at each scrape.
const readinessTimeout = 2 * time.Second

// Instance returns the observer of the named instance, creating it once.
// Callers pass the name of a mounted instance, UnknownInstance,
// MetricsEndpoint or AdminAPI, never a name taken from a request: every name becomes
// a label value. It returns nil on a nil *Metrics.
func (m *Metrics) Instance(name string) *Observer {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if o := m.observers[name]; o != nil {
		return o
	}
	o := &Observer{
		m:            m,
		name:         name,
		authFailures: m.authFailures.WithLabelValues(name),
		authBlocked:  m.authBlocked.WithLabelValues(name),
	}
	m.observers[name] = o
	return o
}

// ForgetInstance drops every series of an instance that was removed, so
// that deleted instances do not linger in scrapes. Observers handed out
// earlier keep working but record into detached series.
func (m *Metrics) ForgetInstance(name string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	delete(m.observers, name)
	m.mu.Unlock()
	match := prometheus.Labels{"scim_instance": name}
	m.requests.DeletePartialMatch(match)
	m.requestDuration.DeletePartialMatch(match)
	m.authFailures.DeletePartialMatch(match)
	m.authBlocked.DeletePartialMatch(match)
	m.targetCalls.DeletePartialMatch(match)
	m.targetDuration.DeletePartialMatch(match)
	m.targetThrottled.DeletePartialMatch(match)
}

// commonStatuses are the statuses the gateway answers with that get a
// cached counter; others are looked up in the vector on each request.
var commonStatuses = [...]int{200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 412, 413, 415, 429, 500, 501, 502, 503, 504}

// statusSlot maps a status to 1 + its index in commonStatuses, 0 if none.
var statusSlot [600]uint8

// statusLabels holds the label value of every status 100–599.
var statusLabels [600]string

func init() {
	for i, s := range commonStatuses {
		statusSlot[s] = uint8(i + 1)
	}
	for s := 100; s < 600; s++ {
		statusLabels[s] = strconv.Itoa(s)
	}
}

// statusLabel returns the status label value of an HTTP status.
func statusLabel(status int) string {
	if status < 100 || status >= 600 {
		return "other"
	}
	return statusLabels[status]
}

// Observer records the metrics of one instance (or of one of the fixed
// instance label values). Its methods are safe for concurrent use and do
// nothing on a nil *Observer, so that callers need not check whether
// metrics are enabled.
type Observer struct {
	m    *Metrics
	name string

	ops [numOperations]atomic.Pointer[opSeries]

	// The auth counters exist from the start, at 0, so that rate() sees
	// the first failures; the target series appear with the first call,
	// since most instances (local ones, the fixed values) never make any.
	authFailures prometheus.Counter
	authBlocked  prometheus.Counter
}

// opSeries caches the series of one (instance, operation).
type opSeries struct {
	duration prometheus.Observer
	byStatus [len(commonStatuses) + 1]atomic.Pointer[counterRef]
}

// counterRef boxes a Counter for an atomic.Pointer.
type counterRef struct{ c prometheus.Counter }

// Name returns the scim_instance label value.
func (o *Observer) Name() string {
	if o == nil {
		return ""
	}
	return o.name
}

// ObserveRequest records a SCIM request answered with status after
// elapsed.
func (o *Observer) ObserveRequest(op Operation, status int, elapsed time.Duration) {
	if o == nil {
		return
	}
	if op >= numOperations {
		op = OpOther
	}
	s := o.ops[op].Load()
	if s == nil {
		s = o.initOp(op)
	}
	s.duration.Observe(elapsed.Seconds())
	slot := 0
	if status >= 0 && status < len(statusSlot) {
		slot = int(statusSlot[status])
	}
	if slot == 0 {
		// A rare status: look the counter up each time rather than keep
		// a slot for each of the 500 possible codes.
		o.m.requests.WithLabelValues(o.name, op.String(), statusLabel(status)).Inc()
		return
	}
	ref := s.byStatus[slot].Load()
	if ref == nil {
		ref = &counterRef{o.m.requests.WithLabelValues(o.name, op.String(), statusLabel(status))}
		// Losing the race is harmless: both refer to the same child.
		s.byStatus[slot].Store(ref)
	}
	ref.c.Inc()
}

func (o *Observer) initOp(op Operation) *opSeries {
	s := &opSeries{duration: o.m.requestDuration.WithLabelValues(o.name, op.String())}
	if o.ops[op].CompareAndSwap(nil, s) {
		return s
	}
	return o.ops[op].Load()
}

// ObserveAuthFailure records a request refused for its credentials;
// blocked says it was answered 429 by the failure rate limiter.
func (o *Observer) ObserveAuthFailure(blocked bool) {
	if o == nil {
		return
	}
	o.authFailures.Inc()
	if blocked {
		o.authBlocked.Inc()
	}
}

// ObserveTargetCall records a finished call to the instance's target
// application by its final status, retries, 429s and duration. It is the
// hook the target HTTP client calls.
func (o *Observer) ObserveTargetCall(_ context.Context, call httpx.Call) {
	if o == nil {
		return
	}
	status, retries, throttled, elapsed := call.Status, call.Retries, call.Throttled, call.Elapsed
	code := "error"
	if status != 0 {
		code = statusLabel(status)
	}
	// Target calls take milliseconds: looking the series up each time
	// costs nothing that matters.
	o.m.targetCalls.WithLabelValues(o.name, code, retriesLabel(retries)).Inc()
	o.m.targetDuration.WithLabelValues(o.name).Observe(elapsed.Seconds())
	throttledTotal := o.m.targetThrottled.WithLabelValues(o.name)
	if throttled > 0 {
		throttledTotal.Add(float64(throttled))
	}
}

var retriesLabels = [...]string{"0", "1", "2", "3", "4", "5+"}

func retriesLabel(n int) string {
	return retriesLabels[min(max(n, 0), len(retriesLabels)-1)]
}
