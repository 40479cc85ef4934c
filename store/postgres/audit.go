package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scimconnect/scimconnect/store"
)

var _ store.AuditLog = (*DB)(nil)

// auditColumns are the columns an audit row is written and read with, in
// order (id is read first, never written).
const auditColumns = `at, instance, client, request_id, operation, resource_type, resource_id, status, outcome, duration_us, calls`

// insertAudit writes a batch in one statement, hence one transaction
// and one round trip, whatever its size: each column travels as an
// array and unnest turns the arrays back into rows.
const insertAudit = `INSERT INTO audit_log (` + auditColumns + `)
SELECT at, instance, client, request_id, operation, resource_type, resource_id, status, outcome, duration_us, calls::json
FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[], $10::bigint[], $11::text[])
    AS u(at, instance, client, request_id, operation, resource_type, resource_id, status, outcome, duration_us, calls)`

// AppendAudit writes the records in one statement. It runs outside any
// SERIALIZABLE transaction: appending new rows conflicts with nothing.
func (d *DB) AppendAudit(ctx context.Context, records []store.AuditRecord) error {
	if d.closed.Load() {
		return ErrClosed
	}
	if len(records) == 0 {
		return nil
	}
	n := len(records)
	var (
		at                                                    = make([]time.Time, n)
		instance, client, requestID, operation, typ, id, outc = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		status                                                = make([]int32, n)
		duration                                              = make([]int64, n)
		calls                                                 = make([]*string, n)
	)
	for i := range records {
		r := &records[i]
		at[i], instance[i], client[i], requestID[i], operation[i] = r.Time, r.Instance, r.Client, r.RequestID, r.Operation
		typ[i], id[i], status[i], outc[i], duration[i] = r.ResourceType, r.ResourceID, int32(r.Status), r.Outcome, r.Duration.Microseconds()
		if len(r.Calls) > 0 {
			s := string(r.Calls)
			calls[i] = &s
		}
	}
	if _, err := d.pool.Exec(ctx, insertAudit, at, instance, client, requestID, operation, typ, id, status, outc, duration, calls); err != nil {
		return fmt.Errorf("postgres: append %d audit records: %w", n, err)
	}
	return nil
}

// QueryAudit reads the matching records, newest first.
func (d *DB) QueryAudit(ctx context.Context, q store.AuditQuery) ([]store.AuditRecord, *store.AuditCursor, error) {
	if d.closed.Load() {
		return nil, nil, ErrClosed
	}
	if q.Limit <= 0 {
		return nil, nil, fmt.Errorf("postgres: query audit: limit %d must be positive", q.Limit)
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.Instance != "" {
		where = append(where, "instance = "+arg(q.Instance))
	}
	if q.Outcome != "" {
		where = append(where, "outcome = "+arg(q.Outcome))
	}
	if q.ResourceID != "" {
		// The redundant "<> ''" lets a generic plan use the partial index.
		where = append(where, "resource_id = "+arg(q.ResourceID)+" AND resource_id <> ''")
	}
	if !q.Since.IsZero() {
		where = append(where, "at >= "+arg(q.Since))
	}
	if !q.Until.IsZero() {
		where = append(where, "at < "+arg(q.Until))
	}
	if q.After != nil {
		where = append(where, "(at, id) < ("+arg(q.After.Time)+", "+arg(q.After.ID)+")")
	}
	sql := "SELECT id, " + auditColumns + " FROM audit_log"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	// One row more than asked tells whether another page follows.
	sql += " ORDER BY at DESC, id DESC LIMIT " + arg(q.Limit+1)
	rows, err := d.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: query audit: %w", err)
	}
	defer rows.Close()
	var out []store.AuditRecord
	for rows.Next() {
		var r store.AuditRecord
		var status int32
		var dur int64
		var calls *string
		if err := rows.Scan(&r.ID, &r.Time, &r.Instance, &r.Client, &r.RequestID, &r.Operation,
			&r.ResourceType, &r.ResourceID, &status, &r.Outcome, &dur, &calls); err != nil {
			return nil, nil, fmt.Errorf("postgres: query audit: %w", err)
		}
		r.Time = r.Time.UTC()
		r.Status = int(status)
		r.Duration = time.Duration(dur) * time.Microsecond
		if calls != nil && *calls != "" {
			r.Calls = []byte(*calls)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("postgres: query audit: %w", err)
	}
	if len(out) <= q.Limit {
		return out, nil, nil
	}
	out = out[:q.Limit]
	last := out[len(out)-1]
	return out, &store.AuditCursor{Time: last.Time, ID: last.ID}, nil
}

// PruneAudit deletes the oldest records before before, at most max, in
// one statement.
func (d *DB) PruneAudit(ctx context.Context, before time.Time, max int) (int, error) {
	if d.closed.Load() {
		return 0, ErrClosed
	}
	if max <= 0 {
		return 0, fmt.Errorf("postgres: prune audit: max %d must be positive", max)
	}
	tag, err := d.pool.Exec(ctx,
		`DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $1 ORDER BY at LIMIT $2)`, before, max)
	if err != nil {
		return 0, fmt.Errorf("postgres: prune audit: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
