package audit_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/audit"
	"github.com/scimconnect/scimconnect/store"
	"github.com/scimconnect/scimconnect/store/sqlite"
)

// countingLog counts the PruneAudit calls of the log it wraps and the
// bound each was given.
type countingLog struct {
	store.AuditLog
	mu     sync.Mutex
	prunes []int
}

func (c *countingLog) PruneAudit(ctx context.Context, before time.Time, max int) (int, error) {
	n, err := c.AuditLog.PruneAudit(ctx, before, max)
	c.mu.Lock()
	c.prunes = append(c.prunes, max)
	c.mu.Unlock()
	return n, err
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// seedAges appends one record per age, aged from base.
func seedAges(t *testing.T, db store.AuditLog, base time.Time, ages ...time.Duration) {
	t.Helper()
	var recs []store.AuditRecord
	for _, age := range ages {
		recs = append(recs, store.AuditRecord{Time: base.Add(-age), Instance: "a", Operation: "get", Status: 200, Outcome: "success", RequestID: age.String()})
	}
	if err := db.AppendAudit(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
}

func remaining(t *testing.T, db store.AuditLog) []string {
	t.Helper()
	recs, _, err := db.QueryAudit(t.Context(), store.AuditQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, r := range recs {
		out = append(out, r.RequestID)
	}
	return out
}

func openDB(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestRetainerPruneOnce(t *testing.T) {
	db := openDB(t)
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	var ages []time.Duration
	for i := range 10 {
		ages = append(ages, 31*24*time.Hour+time.Duration(i)*time.Hour) // expired
	}
	ages = append(ages, 29*24*time.Hour, time.Hour) // kept
	seedAges(t, db, now, ages...)
	counting := &countingLog{AuditLog: db}
	r := &audit.Retainer{Log: counting, Retention: 30 * 24 * time.Hour, BatchSize: 3, Pause: time.Microsecond, Now: func() time.Time { return now }}
	n, err := r.PruneOnce(t.Context())
	if err != nil || n != 10 {
		t.Fatalf("PruneOnce = %d, %v; want 10", n, err)
	}
	if got := remaining(t, db); len(got) != 2 || got[0] != "1h0m0s" || got[1] != "696h0m0s" {
		t.Errorf("left %v, want the two records younger than 30 days", got)
	}
	// Bounded batches: 3+3+3+1.
	if len(counting.prunes) != 4 {
		t.Errorf("%d prune batches, want 4", len(counting.prunes))
	}
	for _, max := range counting.prunes {
		if max != 3 {
			t.Errorf("a batch bounded by %d, want 3", max)
		}
	}
	if n, err := r.PruneOnce(t.Context()); n != 0 || err != nil {
		t.Errorf("second pass = %d, %v; want nothing to do", n, err)
	}
	if _, err := (&audit.Retainer{Log: db}).PruneOnce(t.Context()); err == nil {
		t.Error("zero retention: no error")
	}
}

func TestRetainerRunFollowsTheClock(t *testing.T) {
	db := openDB(t)
	start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	clk := &clock{now: start}
	seedAges(t, db, start, 2*time.Hour, 30*time.Minute)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	r := &audit.Retainer{Log: db, Retention: time.Hour, Interval: time.Millisecond, Now: clk.Now}
	go func() {
		defer close(done)
		r.Run(ctx)
	}()
	waitFor := func(want int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for len(remaining(t, db)) != want {
			if time.Now().After(deadline) {
				t.Fatalf("left %v, want %d records", remaining(t, db), want)
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitFor(1) // the 2h-old record goes at once
	clk.Set(start.Add(time.Hour))
	waitFor(0) // an hour later, the other one is too old
	cancel()
	<-done
}
