package store

import (
	"context"
	"time"
)

// AuditLog is the audit part of the store contract: an append-only log
// of SCIM operations. Every backend implements it on the value Open
// returns; decorators that wrap a Store expose the wrapped one through
// Unwrap, and AuditLogOf finds it.
//
// The log is separate from Tx on purpose: records are appended in
// batches by a background writer, never inside a SCIM transaction, so
// that the audit log cannot fail or slow one.
type AuditLog interface {
	// AppendAudit stores the records in one transaction, all or none.
	// Their ID is assigned by the backend (the value given is ignored).
	// Times are kept to the microsecond and returned in UTC.
	AppendAudit(ctx context.Context, records []AuditRecord) error
	// QueryAudit returns the records matching q, newest first (by Time,
	// then by ID), at most q.Limit of them, and the position after the
	// last one when more may follow (nil when none do).
	QueryAudit(ctx context.Context, q AuditQuery) ([]AuditRecord, *AuditCursor, error)
	// PruneAudit deletes up to max of the records whose Time is before
	// before, oldest first, and returns how many it deleted.
	PruneAudit(ctx context.Context, before time.Time, max int) (int, error)
}

// AuditRecord is one audited SCIM operation as the store keeps it.
// Strings are opaque to the store; Calls is the JSON the audit package
// writes (nil or empty for none), kept byte for byte.
type AuditRecord struct {
	ID           int64 // assigned by the backend at append; orders records of the same Time
	Time         time.Time
	Instance     string
	Client       string
	RequestID    string
	Operation    string
	ResourceType string
	ResourceID   string
	Status       int
	Outcome      string
	Duration     time.Duration // kept to the microsecond
	Calls        []byte
}

// AuditQuery selects audit records. Zero fields do not filter.
type AuditQuery struct {
	Instance   string
	Since      time.Time // Time >= Since
	Until      time.Time // Time < Until
	Outcome    string
	ResourceID string
	// Limit bounds the records returned; it must be positive.
	Limit int
	// After continues a previous query: only records older than this
	// position are returned.
	After *AuditCursor
}

// AuditCursor is a position in the newest-first order of the audit log.
type AuditCursor struct {
	Time time.Time
	ID   int64
}

// AuditLogOf returns the audit log of st, looking through decorators
// that implement Unwrap() Store (such as the metrics decorator).
func AuditLogOf(st Store) (AuditLog, bool) { return find[AuditLog](st) }

// find returns the first of st and the stores it decorates (through
// Unwrap() Store) that implements T: optional capabilities of a backend
// stay reachable behind any number of decorators.
func find[T any](st Store) (T, bool) {
	for st != nil {
		if v, ok := st.(T); ok {
			return v, true
		}
		u, ok := st.(interface{ Unwrap() Store })
		if !ok {
			break
		}
		st = u.Unwrap()
	}
	var zero T
	return zero, false
}
