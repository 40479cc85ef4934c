package store

import "context"

// Notifier is implemented by backends that several processes share
// (PostgreSQL) and that can tell each of them when another committed a
// change to the instances or settings, so that replicas apply it at once
// instead of at their next poll. An embedded store, written by one
// process, need not implement it.
type Notifier interface {
	// Changes returns a channel that receives a value soon after any
	// process sharing the store commits a transaction that wrote
	// instances or settings. Values coalesce: one receive means
	// "something may have changed since the last receive", never one per
	// change, and a receiver that falls behind loses nothing but
	// duplicates. A value is also sent whenever Listening changes, since
	// changes may have been missed while not listening. The channel is
	// closed when ctx ends or the store closes.
	Changes(ctx context.Context) <-chan struct{}
	// Listening reports whether notifications currently arrive. While it
	// is false (the connection that listens is down, or not yet up), a
	// caller must poll for changes as if there were no notifications.
	Listening() bool
}

// NotifierOf returns the Notifier of st, looking through decorators that
// implement Unwrap() Store (such as the metrics decorator); false when
// the backend does not notify.
func NotifierOf(st Store) (Notifier, bool) { return find[Notifier](st) }
