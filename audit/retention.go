package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/scimconnect/scimconnect/store"
)

// Defaults of Retainer.
const (
	DefaultRetention      = 30 * 24 * time.Hour
	DefaultPruneInterval  = time.Hour
	DefaultPruneBatchSize = 1000
)

// Retainer deletes the audit records older than Retention. Every replica
// sharing a store may run one: they delete the same rows, harmlessly.
type Retainer struct {
	Log       store.AuditLog
	Retention time.Duration
	// Interval between two passes (default DefaultPruneInterval).
	Interval time.Duration
	// BatchSize bounds the records one store transaction deletes
	// (default DefaultPruneBatchSize): a pass deletes batch after batch,
	// so that the store's writer is never held for long.
	BatchSize int
	// Pause between two batches of a pass, giving other writers their
	// turn (default 10 ms).
	Pause time.Duration
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// PruneOnce deletes every record older than Retention, batch after
// batch, and returns how many it deleted.
func (r *Retainer) PruneOnce(ctx context.Context) (int, error) {
	if r.Log == nil || r.Retention <= 0 {
		return 0, errors.New("audit: retention: a store audit log and a positive retention are required")
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	batch := r.BatchSize
	if batch <= 0 {
		batch = DefaultPruneBatchSize
	}
	pause := r.Pause
	if pause <= 0 {
		pause = 10 * time.Millisecond
	}
	// One cut-off for the whole pass: records that age meanwhile wait for
	// the next one, so a pass always ends.
	before := now().Add(-r.Retention)
	total := 0
	for {
		n, err := r.Log.PruneAudit(ctx, before, batch)
		total += n
		if err != nil {
			return total, fmt.Errorf("audit: retention: %w", err)
		}
		if n < batch {
			return total, nil
		}
		select {
		case <-ctx.Done():
			return total, ctx.Err()
		case <-time.After(pause):
		}
	}
}

// Run prunes at once, then every Interval, until ctx ends. Failures are
// logged and tried again at the next pass.
func (r *Retainer) Run(ctx context.Context) {
	log := r.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	interval := r.Interval
	if interval <= 0 {
		interval = DefaultPruneInterval
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		n, err := r.PruneOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("audit: deleting expired records failed", "deleted", n, "error", err)
		case n > 0:
			log.Info("audit: expired records deleted", "deleted", n, "retention", r.Retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
