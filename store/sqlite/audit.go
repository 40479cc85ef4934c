package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/scimconnect/scimconnect/store"
)

var _ store.AuditLog = (*DB)(nil)

// Statements of the audit log (see migrations/0002_audit.sql).
const (
	newestSegmentSQL = `SELECT id, n, next, data FROM audit_segments WHERE id = (SELECT max(id) FROM audit_segments)`
	insertSegmentSQL = `INSERT INTO audit_segments (at_min, at_max, n, next, instances, outcomes, resources, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	updateSegmentSQL = `UPDATE audit_segments SET at_min = ?, at_max = ?, n = ?, next = ?, instances = ?, outcomes = ?, resources = ?, data = ? WHERE id = ?`
	deleteSegmentSQL = `DELETE FROM audit_segments WHERE id = ?`
	segmentDataSQL   = `SELECT data FROM audit_segments WHERE id = ?`
	// pruneCandidatesSQL lists the segments holding records older than a
	// time, oldest first.
	pruneCandidatesSQL = `SELECT id, at_min, next FROM audit_segments WHERE at_min < ? ORDER BY at_min, id`
)

// writeTx returns the *sql.Tx of an Update's transaction.
func writeTx(ctx context.Context, st store.Tx) (*sql.Tx, error) {
	t, ok := st.(*tx)
	if !ok {
		return nil, errors.New("unexpected transaction type")
	}
	if err := t.begin(ctx, true); err != nil {
		return nil, err
	}
	return t.stmts.tx, nil
}

// AppendAudit writes the records through the single writer, as one more
// Update: under load it shares the group commit of the SCIM writes
// waiting with it and never contends for SQLite's write lock. The
// records join the newest segment while that is small, and fill new
// segments otherwise.
func (d *DB) AppendAudit(ctx context.Context, records []store.AuditRecord) error {
	if len(records) == 0 {
		return nil
	}
	err := d.Update(ctx, func(st store.Tx) error {
		sqlTx, err := writeTx(ctx, st)
		if err != nil {
			return err
		}
		rest := records
		// Join the newest segment if it is still small.
		var id int64
		var n, next int
		var data []byte
		err = sqlTx.QueryRowContext(bg, newestSegmentSQL).Scan(&id, &n, &next, &data)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case n < openBelow && next < segmentCap:
			old, err := decodeRecords(id, data)
			if err != nil {
				return err
			}
			k := min(len(rest), segmentCap-next)
			added := make([]segRecord, k)
			for i := range added {
				added[i] = segRecord{idx: next + i, rec: rest[i]}
			}
			data = encodeRecords(data, &old[len(old)-1].rec, added)
			s := summarize(append(old, added...))
			if _, err := sqlTx.ExecContext(bg, updateSegmentSQL, s.atMin, s.atMax, s.n, s.next, s.instances, s.outcomes, s.resources, data, id); err != nil {
				return err
			}
			rest = rest[k:]
		}
		for len(rest) > 0 {
			k := min(len(rest), segmentCap)
			recs := make([]segRecord, k)
			for i := range recs {
				recs[i] = segRecord{idx: i, rec: rest[i]}
			}
			s := summarize(recs)
			data := encodeRecords(nil, nil, recs)
			if _, err := sqlTx.ExecContext(bg, insertSegmentSQL, s.atMin, s.atMax, s.n, s.next, s.instances, s.outcomes, s.resources, data); err != nil {
				return err
			}
			rest = rest[k:]
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: append %d audit records: %w", len(records), err)
	}
	return nil
}

// auditSegmentsSQL returns the query of the segments that may hold
// records matching q, newest first (by their newest record), and its
// arguments.
func auditSegmentsSQL(q store.AuditQuery) (string, []any) {
	where := []string{"1"}
	var args []any
	if !q.Since.IsZero() {
		where, args = append(where, "at_max >= ?"), append(args, q.Since.UnixMicro())
	}
	if !q.Until.IsZero() {
		where, args = append(where, "at_min < ?"), append(args, q.Until.UnixMicro())
	}
	if q.After != nil {
		where, args = append(where, "at_min <= ?"), append(args, q.After.Time.UnixMicro())
	}
	if q.Instance != "" {
		where, args = append(where, "instr(instances, ?) > 0"), append(args, sep+q.Instance+sep)
	}
	if q.Outcome != "" {
		where, args = append(where, "instr(outcomes, ?) > 0"), append(args, sep+q.Outcome+sep)
	}
	resources := "x''" // read the Bloom filters only to use them
	if q.ResourceID != "" {
		resources = "resources"
	}
	return "SELECT id, at_max, " + resources + " FROM audit_segments WHERE " + strings.Join(where, " AND ") +
		" ORDER BY at_max DESC, id DESC", args
}

// QueryAudit reads matching records, newest first, in one read
// transaction. Segments come newest first by their newest record; a
// record found is returned once no segment still unread can hold a newer
// one, so the scan stops as soon as the page is full.
func (d *DB) QueryAudit(ctx context.Context, q store.AuditQuery) (_ []store.AuditRecord, _ *store.AuditCursor, err error) {
	if d.isClosed() {
		return nil, nil, ErrClosed
	}
	if q.Limit <= 0 {
		return nil, nil, fmt.Errorf("sqlite: query audit: limit %d must be positive", q.Limit)
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("sqlite: query audit: %w", err)
		}
	}()
	rtx, err := d.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = rtx.Rollback() }() // a read transaction has nothing to commit
	sqlText, args := auditSegmentsSQL(q)
	rows, err := rtx.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()

	want := q.Limit + 1 // one more tells whether another page follows
	var out, pending []store.AuditRecord
	// emit moves the pending records newer than bound (all of them when
	// last) to out, in order.
	emit := func(bound int64, last bool) {
		slices.SortFunc(pending, newerFirst)
		i := 0
		for i < len(pending) && len(out) < want && (last || pending[i].Time.UnixMicro() > bound) {
			out = append(out, pending[i])
			i++
		}
		pending = pending[i:]
	}
	for rows.Next() {
		var id, atMax int64
		var resources []byte
		if err := rows.Scan(&id, &atMax, &resources); err != nil {
			return nil, nil, err
		}
		// Every segment still unread holds records no newer than atMax.
		emit(atMax, false)
		if len(out) >= want {
			break
		}
		if q.ResourceID != "" && !bloomMayContain(resources, q.ResourceID) {
			continue
		}
		var data []byte
		if err := rtx.QueryRowContext(ctx, segmentDataSQL, id).Scan(&data); err != nil {
			return nil, nil, err
		}
		recs, err := decodeRecords(id, data)
		if err != nil {
			return nil, nil, err
		}
		for i := range recs {
			if matches(&recs[i].rec, &q) {
				pending = append(pending, recs[i].rec)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	emit(0, true)
	if len(out) <= q.Limit {
		return out, nil, nil
	}
	out = out[:q.Limit]
	last := out[len(out)-1]
	return out, &store.AuditCursor{Time: last.Time, ID: last.ID}, nil
}

// PruneAudit deletes the limit oldest records before before (fewer if
// fewer are), as one Update: whole segments go at once, and a segment
// that keeps some records is rewritten without the others.
func (d *DB) PruneAudit(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, fmt.Errorf("sqlite: prune audit: max %d must be positive", limit)
	}
	cut := before.UnixMicro()
	deleted := 0
	err := d.Update(ctx, func(st store.Tx) error {
		deleted = 0
		sqlTx, err := writeTx(ctx, st)
		if err != nil {
			return err
		}
		type segment struct {
			id, atMin int64
			next      int
		}
		var segs []segment
		rows, err := sqlTx.QueryContext(bg, pruneCandidatesSQL, cut)
		if err != nil {
			return err
		}
		for rows.Next() {
			var s segment
			if err := rows.Scan(&s.id, &s.atMin, &s.next); err != nil {
				rows.Close()
				return err
			}
			segs = append(segs, s)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		// Decode segments oldest first until the max oldest records are
		// known: a segment starting after the max-th oldest found cannot
		// hold an older one.
		type old struct {
			seg int
			rec store.AuditRecord
		}
		var olds []old
		decoded := map[int][]segRecord{}
		for i, s := range segs {
			if len(olds) >= limit && s.atMin > olds[limit-1].rec.Time.UnixMicro() {
				break
			}
			var data []byte
			if err := sqlTx.QueryRowContext(bg, segmentDataSQL, s.id).Scan(&data); err != nil {
				return err
			}
			recs, err := decodeRecords(s.id, data)
			if err != nil {
				return err
			}
			decoded[i] = recs
			for _, r := range recs {
				if r.rec.Time.UnixMicro() < cut {
					olds = append(olds, old{i, r.rec})
				}
			}
			slices.SortFunc(olds, func(a, b old) int { return -newerFirst(a.rec, b.rec) })
		}
		if len(olds) > limit {
			olds = olds[:limit]
		}
		gone := map[int64]bool{}
		for _, o := range olds {
			gone[o.rec.ID] = true
		}
		for i, recs := range decoded {
			kept := slices.DeleteFunc(slices.Clone(recs), func(r segRecord) bool { return gone[r.rec.ID] })
			switch {
			case len(kept) == len(recs):
				continue
			case len(kept) == 0:
				_, err = sqlTx.ExecContext(bg, deleteSegmentSQL, segs[i].id)
			default:
				s := summarize(kept)
				s.next = segs[i].next // the ids of pruned records are never given again
				_, err = sqlTx.ExecContext(bg, updateSegmentSQL, s.atMin, s.atMax, s.n, s.next, s.instances, s.outcomes, s.resources,
					encodeRecords(nil, nil, kept), segs[i].id)
			}
			if err != nil {
				return err
			}
			deleted += len(recs) - len(kept)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune audit: %w", err)
	}
	return deleted, nil
}
