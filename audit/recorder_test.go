package audit_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/audit"
	"github.com/scimconnect/scimconnect/internal/syncbuf"
	"github.com/scimconnect/scimconnect/metrics"
	"github.com/scimconnect/scimconnect/metrics/metricstest"
	"github.com/scimconnect/scimconnect/store"
	"github.com/scimconnect/scimconnect/store/sqlite"
)

// fakeLog is a store.AuditLog in memory that remembers each append (one
// per transaction), can fail, and can hold appends until released.
type fakeLog struct {
	mu      sync.Mutex
	batches [][]store.AuditRecord
	fail    error
	entered chan struct{} // receives once per append, when set
	release chan struct{} // appends wait for it, when set
}

func (f *fakeLog) AppendAudit(ctx context.Context, recs []store.AuditRecord) error {
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.release != nil {
		<-f.release
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.batches = append(f.batches, append([]store.AuditRecord(nil), recs...))
	return nil
}

func (f *fakeLog) QueryAudit(context.Context, store.AuditQuery) ([]store.AuditRecord, *store.AuditCursor, error) {
	return nil, nil, errors.New("not implemented")
}

func (f *fakeLog) PruneAudit(context.Context, time.Time, int) (int, error) {
	return 0, errors.New("not implemented")
}

func (f *fakeLog) sizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []int{}
	for _, b := range f.batches {
		out = append(out, len(b))
	}
	return out
}

func (f *fakeLog) requestIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []string{}
	for _, b := range f.batches {
		for _, r := range b {
			out = append(out, r.RequestID)
		}
	}
	return out
}

func newRecorder(t *testing.T, opts audit.RecorderOptions) *audit.Recorder {
	t.Helper()
	r, err := audit.NewRecorder(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func rec(i int) audit.Record {
	return audit.Record{Time: time.Unix(1700000000, 0).Add(time.Duration(i) * time.Second), Instance: "a", RequestID: fmt.Sprintf("r%04d", i), Operation: "get", Status: 200, Outcome: audit.OutcomeSuccess}
}

func seq(from, to int) []string {
	out := []string{}
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("r%04d", i))
	}
	return out
}

// scrape returns the samples of m's registry.
func scrape(t *testing.T, m *metrics.Metrics) map[string]float64 {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	return metricstest.Samples(t, w.Body)
}

func TestRecorderWritesInBatches(t *testing.T) {
	log := &fakeLog{}
	m := metrics.New()
	r := newRecorder(t, audit.RecorderOptions{Log: log, BatchSize: 100, FlushInterval: time.Hour, Registerer: m.Registry()})
	for i := range 250 {
		r.Record(rec(i))
	}
	if err := r.Flush(t.Context()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	// Full batches as they fill, the rest on Flush: one append (one
	// store transaction) per batch.
	if diff := cmp.Diff([]int{100, 100, 50}, log.sizes()); diff != "" {
		t.Errorf("batch sizes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(seq(0, 250), log.requestIDs()); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	s := scrape(t, m)
	if got := s["scimconnect_audit_records_written_total"]; got != 250 {
		t.Errorf("written_total = %v, want 250", got)
	}
	if got := s[`scimconnect_audit_records_dropped_total{reason="queue_full"}`]; got != 0 {
		t.Errorf("dropped = %v, want 0", got)
	}
}

func TestRecorderWritesAfterFlushInterval(t *testing.T) {
	log := &fakeLog{}
	r := newRecorder(t, audit.RecorderOptions{Log: log, BatchSize: 100, FlushInterval: 5 * time.Millisecond})
	r.Record(rec(1))
	// No Flush: the interval alone writes the partial batch.
	deadline := time.Now().Add(10 * time.Second)
	for len(log.sizes()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("a lone record was never written")
		}
		time.Sleep(time.Millisecond)
	}
	if diff := cmp.Diff([]string{"r0001"}, log.requestIDs()); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestRecorderCloseWritesEverything(t *testing.T) {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := metrics.New()
	r, err := audit.NewRecorder(audit.RecorderOptions{Log: db, BatchSize: 64, FlushInterval: time.Hour, Registerer: m.Registry()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		r.Record(rec(i))
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	got, _, err := db.QueryAudit(t.Context(), store.AuditQuery{Limit: 2000})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1000 {
		t.Errorf("%d records in the store after Close, want 1000", len(got))
	}
	// After Close: dropped, counted, never blocking.
	r.Record(rec(5000))
	if got := scrape(t, m)[`scimconnect_audit_records_dropped_total{reason="closed"}`]; got != 1 {
		t.Errorf("dropped{closed} = %v, want 1", got)
	}
	if err := r.Flush(t.Context()); !errors.Is(err, audit.ErrClosed) {
		t.Errorf("Flush after Close = %v, want ErrClosed", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestRecorderDropsWhenFull(t *testing.T) {
	log := &fakeLog{entered: make(chan struct{}, 100), release: make(chan struct{})}
	m := metrics.New()
	var logs syncbuf.Buffer
	r := newRecorder(t, audit.RecorderOptions{
		Log: log, QueueSize: 4, BatchSize: 1, FlushInterval: time.Hour,
		Registerer: m.Registry(), Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	r.Record(rec(0))
	<-log.entered // the writer holds record 0 in a stuck append
	for i := 1; i <= 4; i++ {
		r.Record(rec(i)) // fills the queue
	}
	// These find the queue full: Record returns at once (the test would
	// hang otherwise) and counts them.
	for i := 5; i < 1005; i++ {
		r.Record(rec(i))
	}
	s := scrape(t, m)
	if got := s[`scimconnect_audit_records_dropped_total{reason="queue_full"}`]; got != 1000 {
		t.Errorf("dropped{queue_full} = %v, want 1000", got)
	}
	if got := s["scimconnect_audit_queue_length"]; got != 4 {
		t.Errorf("queue_length = %v, want 4", got)
	}
	if n := strings.Count(logs.String(), "records dropped"); n != 1 {
		t.Errorf("%d warnings for 1000 drops within one interval, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("the warning is not at level warn:\n%s", logs.String())
	}
	close(log.release)
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if diff := cmp.Diff(seq(0, 5), log.requestIDs()); diff != "" {
		t.Errorf("records written (-want +got):\n%s", diff)
	}
	if got := scrape(t, m)["scimconnect_audit_records_written_total"]; got != 5 {
		t.Errorf("written_total = %v, want 5", got)
	}
}

func TestRecorderStoreFailure(t *testing.T) {
	defer audit.SetWriteBackoff(time.Millisecond)()
	log := &fakeLog{fail: errors.New("disk on fire")}
	m := metrics.New()
	var logs syncbuf.Buffer
	r := newRecorder(t, audit.RecorderOptions{Log: log, BatchSize: 10, FlushInterval: time.Hour, Registerer: m.Registry(), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for i := range 3 {
		r.Record(rec(i))
	}
	if err := r.Flush(t.Context()); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("Flush = %v, want the store's error", err)
	}
	if got := scrape(t, m)[`scimconnect_audit_records_dropped_total{reason="write_failed"}`]; got != 3 {
		t.Errorf("dropped{write_failed} = %v, want 3", got)
	}
	if !strings.Contains(logs.String(), "records lost") {
		t.Errorf("no error logged:\n%s", logs.String())
	}
	// The store recovers: later records are written again.
	log.mu.Lock()
	log.fail = nil
	log.mu.Unlock()
	r.Record(rec(7))
	if err := r.Flush(t.Context()); err != nil {
		t.Errorf("Flush after recovery: %v", err)
	}
	if diff := cmp.Diff([]string{"r0007"}, log.requestIDs()); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestRecorderConcurrent(t *testing.T) {
	log := &fakeLog{}
	r := newRecorder(t, audit.RecorderOptions{Log: log, BatchSize: 7, FlushInterval: time.Millisecond})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				r.Record(rec(g*100 + i))
			}
		})
	}
	wg.Wait()
	if err := r.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := log.requestIDs()
	if len(got) != 800 {
		t.Errorf("%d records, want 800", len(got))
	}
	for _, n := range log.sizes() {
		if n > 7 {
			t.Errorf("a batch of %d records, above the batch size 7", n)
		}
	}
}

func TestNewRecorderNeedsALog(t *testing.T) {
	if _, err := audit.NewRecorder(audit.RecorderOptions{}); err == nil {
		t.Error("NewRecorder without a log: no error")
	}
	var r *audit.Recorder // a nil recorder records nothing, without failing
	r.Record(rec(1))
	if err := r.Flush(t.Context()); err != nil {
		t.Error(err)
	}
	if err := r.Close(); err != nil {
		t.Error(err)
	}
}
