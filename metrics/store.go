package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/scimconnect/scimconnect/store"
)

// InstrumentStore returns st with the duration of every View, Update and
// Ping recorded in scimconnect_store_duration_seconds. A transaction's
// duration includes the caller's work inside it, which is what holds the
// database. When st implements store.Exclusive, so does the result, with
// st's answer: the local connector caches reads only over an exclusive
// store. With a nil m, st is returned unchanged.
func InstrumentStore(st store.Store, m *Metrics) store.Store {
	if m == nil || st == nil {
		return st
	}
	s := &timedStore{
		Store:  st,
		view:   m.storeDuration.WithLabelValues("view"),
		update: m.storeDuration.WithLabelValues("update"),
		ping:   m.storeDuration.WithLabelValues("ping"),
	}
	if ex, ok := st.(store.Exclusive); ok {
		return &exclusiveStore{timedStore: s, ex: ex}
	}
	return s
}

// timedStore times the transactions of the store it wraps.
type timedStore struct {
	store.Store
	view, update, ping prometheus.Observer
}

// Unwrap returns the wrapped store, for callers that look for an optional
// interface this decorator does not pass through.
func (s *timedStore) Unwrap() store.Store { return s.Store }

// View runs fn in a read-only transaction of the wrapped store, timed.
func (s *timedStore) View(ctx context.Context, fn func(store.Tx) error) error {
	start := time.Now()
	err := s.Store.View(ctx, fn)
	s.view.Observe(time.Since(start).Seconds())
	return err
}

// Update runs fn in a read-write transaction of the wrapped store, timed.
func (s *timedStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	start := time.Now()
	err := s.Store.Update(ctx, fn)
	s.update.Observe(time.Since(start).Seconds())
	return err
}

// Ping checks the wrapped store, timed.
func (s *timedStore) Ping(ctx context.Context) error {
	start := time.Now()
	err := s.Store.Ping(ctx)
	s.ping.Observe(time.Since(start).Seconds())
	return err
}

// exclusiveStore is a timedStore over a store that implements
// store.Exclusive.
type exclusiveStore struct {
	*timedStore
	ex store.Exclusive
}

// Exclusive reports the wrapped store's answer.
func (s *exclusiveStore) Exclusive() bool { return s.ex.Exclusive() }
