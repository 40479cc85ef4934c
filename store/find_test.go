package store_test

import (
	"context"
	"testing"

	"github.com/scimconnect/scimconnect/store"
)

// backend is a Store that notifies; decorator wraps a Store without
// implementing anything else, as the metrics decorator does.
type backend struct{ store.Store }

func (backend) Changes(context.Context) <-chan struct{} { return nil }
func (backend) Listening() bool                         { return true }

type decorator struct{ inner store.Store }

func (d decorator) View(ctx context.Context, fn func(store.Tx) error) error {
	return d.inner.View(ctx, fn)
}
func (d decorator) Update(ctx context.Context, fn func(store.Tx) error) error {
	return d.inner.Update(ctx, fn)
}
func (d decorator) Ping(ctx context.Context) error { return d.inner.Ping(ctx) }
func (d decorator) Close() error                   { return d.inner.Close() }
func (d decorator) Unwrap() store.Store            { return d.inner }

func TestCapabilitiesBehindDecorators(t *testing.T) {
	b := backend{}
	wrapped := decorator{decorator{b}}
	n, ok := store.NotifierOf(wrapped)
	if !ok || n != (store.Notifier)(b) {
		t.Errorf("NotifierOf through two decorators: %v, %v", n, ok)
	}
	if _, ok := store.AuditLogOf(wrapped); ok {
		t.Error("AuditLogOf found an audit log in a backend without one")
	}
	if _, ok := store.NotifierOf(decorator{nil}); ok {
		t.Error("NotifierOf found a notifier behind a nil store")
	}
}
