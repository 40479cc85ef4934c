package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scimconnect/scimconnect/store"
)

// testAudit runs the audit log scenarios in order on one store. Each
// scenario writes under instance names of its own and filters by them,
// except the first, which starts from an empty log.
func testAudit(t *testing.T, s store.Store) {
	al, ok := store.AuditLogOf(s)
	if !ok {
		t.Fatalf("%T does not implement store.AuditLog", s)
	}
	for _, sc := range []struct {
		name string
		run  func(*testing.T, store.AuditLog)
	}{
		{"RoundTrip", testAuditRoundTrip},
		{"Filters", testAuditFilters},
		{"Paging", testAuditPaging},
		{"LargeBatch", testAuditLargeBatch},
		{"Prune", testAuditPrune},
		{"Interleaved", testAuditInterleaved},
		{"BadArguments", testAuditBadArguments},
		{"BesideUpdates", func(t *testing.T, al store.AuditLog) { testAuditBesideUpdates(t, s, al) }},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, al) })
	}
}

// auditAt returns a time with microsecond precision in a non-UTC zone,
// second seconds after a fixed instant.
func auditAt(second int) time.Time {
	return time.Date(2025, 3, 4, 5, 6, 0, 123456000, time.FixedZone("UTC-7", -7*3600)).Add(time.Duration(second) * time.Second)
}

func auditRecord(instance string, second int, outcome, resourceID string) store.AuditRecord {
	return store.AuditRecord{
		Time: auditAt(second), Instance: instance, Client: "token:0123456789ab", RequestID: "req-" + fmt.Sprint(second),
		Operation: "get", ResourceType: "User", ResourceID: resourceID,
		Status: 200, Outcome: outcome, Duration: 1500 * time.Microsecond,
	}
}

func appendAudit(t *testing.T, al store.AuditLog, records ...store.AuditRecord) {
	t.Helper()
	if err := al.AppendAudit(t.Context(), records); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
}

func queryAudit(t *testing.T, al store.AuditLog, q store.AuditQuery) ([]store.AuditRecord, *store.AuditCursor) {
	t.Helper()
	recs, next, err := al.QueryAudit(t.Context(), q)
	if err != nil {
		t.Fatalf("QueryAudit(%+v): %v", q, err)
	}
	return recs, next
}

// queryAll follows the cursors of q to the end.
func queryAll(t *testing.T, al store.AuditLog, q store.AuditQuery) []store.AuditRecord {
	t.Helper()
	var all []store.AuditRecord
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("QueryAudit: cursors never end")
		}
		recs, next := queryAudit(t, al, q)
		all = append(all, recs...)
		if next == nil {
			return all
		}
		q.After = next
	}
}

func requestIDs(recs []store.AuditRecord) []string {
	out := []string{}
	for _, r := range recs {
		out = append(out, r.RequestID)
	}
	return out
}

// ignoreID compares records without the ID the backend assigns.
var ignoreID = cmpopts.IgnoreFields(store.AuditRecord{}, "ID")

func testAuditRoundTrip(t *testing.T, al store.AuditLog) {
	if recs, next := queryAudit(t, al, store.AuditQuery{Limit: 10}); len(recs) != 0 || next != nil {
		t.Fatalf("empty log: %d records, cursor %v", len(recs), next)
	}
	calls := []byte(`[{"method":"POST","path":"/api/v1/users","status":200,"retries":1,"throttled":0,"duration_us":2500}]`)
	full := store.AuditRecord{
		Time: auditAt(1), Instance: "rt", Client: "client-αβ", RequestID: "0123abcd",
		Operation: "create", ResourceType: "User", ResourceID: "2819c223-7f76-453a-919d-413861904646",
		Status: 201, Outcome: "success", Duration: 12345 * time.Microsecond, Calls: calls,
	}
	bare := store.AuditRecord{Time: auditAt(2), Instance: "rt", Operation: "other", Status: 401, Outcome: "denied"}
	appendAudit(t, al, full, bare)
	appendAudit(t, al) // nothing to append is not an error

	got, next := queryAudit(t, al, store.AuditQuery{Limit: 10})
	if next != nil {
		t.Errorf("cursor %+v after the last record", next)
	}
	want := []store.AuditRecord{bare, full}
	for i := range want {
		want[i].Time = want[i].Time.UTC()
	}
	if diff := cmp.Diff(want, got, cmpOpts, ignoreID); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	for _, r := range got {
		checkUTC(t, "audit record", r.Time)
		if r.ID <= 0 {
			t.Errorf("record %q: ID %d, want > 0", r.RequestID, r.ID)
		}
	}
	if len(got) == 2 && got[0].ID == got[1].ID {
		t.Errorf("two records share ID %d", got[0].ID)
	}
}

func testAuditFilters(t *testing.T, al store.AuditLog) {
	appendAudit(t, al,
		auditRecord("fa", 10, "success", "u1"),
		auditRecord("fa", 11, "failure", "u2"),
		auditRecord("fa", 12, "success", ""),
		auditRecord("fb", 13, "success", "u1"),
		auditRecord("fa", 14, "denied", ""),
		auditRecord("fa", 15, "error", "u1"),
	)
	tests := []struct {
		name string
		q    store.AuditQuery
		want []string
	}{
		{"instance", store.AuditQuery{Instance: "fa"}, []string{"req-15", "req-14", "req-12", "req-11", "req-10"}},
		{"other instance", store.AuditQuery{Instance: "fb"}, []string{"req-13"}},
		{"unknown instance", store.AuditQuery{Instance: "fz"}, []string{}},
		{"instance is exact", store.AuditQuery{Instance: "FA"}, []string{}},
		{"outcome", store.AuditQuery{Instance: "fa", Outcome: "success"}, []string{"req-12", "req-10"}},
		{"resource id", store.AuditQuery{ResourceID: "u1"}, []string{"req-15", "req-13", "req-10"}},
		{"resource id and instance", store.AuditQuery{Instance: "fa", ResourceID: "u1"}, []string{"req-15", "req-10"}},
		{"since is inclusive", store.AuditQuery{Instance: "fa", Since: auditAt(12)}, []string{"req-15", "req-14", "req-12"}},
		{"until is exclusive", store.AuditQuery{Instance: "fa", Until: auditAt(12)}, []string{"req-11", "req-10"}},
		{"since and until", store.AuditQuery{Instance: "fa", Since: auditAt(11), Until: auditAt(15)}, []string{"req-14", "req-12", "req-11"}},
		{"time zones do not matter", store.AuditQuery{Instance: "fa", Since: auditAt(14).UTC()}, []string{"req-15", "req-14"}},
		{"every filter", store.AuditQuery{Instance: "fa", Outcome: "error", ResourceID: "u1", Since: auditAt(10), Until: auditAt(16)}, []string{"req-15"}},
		{"nothing in range", store.AuditQuery{Instance: "fa", Since: auditAt(16)}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Limit = 100
			got, next := queryAudit(t, al, tc.q)
			if diff := cmp.Diff(tc.want, requestIDs(got)); diff != "" {
				t.Errorf("request ids (-want +got):\n%s", diff)
			}
			if next != nil {
				t.Errorf("cursor %+v, want none", next)
			}
		})
	}
}

func testAuditPaging(t *testing.T, al store.AuditLog) {
	// 23 records over 8 distinct times: several share a time, so the
	// order and the cursor must break ties by ID.
	var recs []store.AuditRecord
	for i := range 23 {
		r := auditRecord("pg", 100+i/3, "success", "")
		r.RequestID = fmt.Sprintf("r%02d", i)
		recs = append(recs, r)
	}
	// Two appends, so that ids of one time come from different batches.
	appendAudit(t, al, recs[:11]...)
	appendAudit(t, al, recs[11:]...)

	all, _ := queryAudit(t, al, store.AuditQuery{Instance: "pg", Limit: 100})
	if len(all) != len(recs) {
		t.Fatalf("%d records, want %d", len(all), len(recs))
	}
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if a.Time.Before(b.Time) || (a.Time.Equal(b.Time) && a.ID <= b.ID) {
			t.Errorf("records %d and %d out of order: (%v, %d) then (%v, %d)", i-1, i, a.Time, a.ID, b.Time, b.ID)
		}
	}
	for _, limit := range []int{1, 2, 3, 5, 23, 24} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			var got []store.AuditRecord
			q := store.AuditQuery{Instance: "pg", Limit: limit}
			for pages := 1; ; pages++ {
				page, next := queryAudit(t, al, q)
				if len(page) > limit {
					t.Fatalf("page %d: %d records, limit %d", pages, len(page), limit)
				}
				got = append(got, page...)
				if next == nil {
					break
				}
				if len(page) != limit {
					t.Errorf("page %d: %d records and a cursor, want a full page", pages, len(page))
				}
				if pages > len(recs) {
					t.Fatal("cursors never end")
				}
				q.After = next
			}
			if diff := cmp.Diff(requestIDs(all), requestIDs(got)); diff != "" {
				t.Errorf("pages (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("cursor with filters", func(t *testing.T) {
		q := store.AuditQuery{Instance: "pg", Since: auditAt(102), Until: auditAt(105), Limit: 4}
		got := queryAll(t, al, q)
		var want []string
		for _, r := range all {
			if !r.Time.Before(auditAt(102)) && r.Time.Before(auditAt(105)) {
				want = append(want, r.RequestID)
			}
		}
		if diff := cmp.Diff(want, requestIDs(got)); diff != "" {
			t.Errorf("pages (-want +got):\n%s", diff)
		}
	})
}

func testAuditLargeBatch(t *testing.T, al store.AuditLog) {
	const n = 1000
	recs := make([]store.AuditRecord, n)
	for i := range recs {
		recs[i] = auditRecord("lb", i, "success", fmt.Sprintf("id-%d", i))
		recs[i].Calls = []byte(fmt.Sprintf(`[{"n":%d}]`, i))
	}
	appendAudit(t, al, recs...)
	got := queryAll(t, al, store.AuditQuery{Instance: "lb", Limit: 300})
	if len(got) != n {
		t.Fatalf("%d records, want %d", len(got), n)
	}
	for i, r := range got {
		want := recs[n-1-i]
		want.Time = want.Time.UTC()
		if diff := cmp.Diff(want, r, cmpOpts, ignoreID); diff != "" {
			t.Fatalf("record %d (-want +got):\n%s", i, diff)
		}
	}
}

func testAuditPrune(t *testing.T, al store.AuditLog) {
	old := func(day int) store.AuditRecord {
		r := auditRecord("pr", 0, "success", "")
		r.Time = time.Date(1999, 12, day, 0, 0, 0, 0, time.UTC)
		r.RequestID = fmt.Sprintf("old-%02d", day)
		return r
	}
	var olds []store.AuditRecord
	for day := 1; day <= 25; day++ {
		olds = append(olds, old(day))
	}
	appendAudit(t, al, olds...)
	keep := auditRecord("pr", 0, "success", "")
	keep.Time, keep.RequestID = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), "boundary"
	appendAudit(t, al, keep)
	before := queryAll(t, al, store.AuditQuery{Limit: 1000})

	ctx := t.Context()
	n, err := al.PruneAudit(ctx, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), 10)
	if err != nil || n != 10 {
		t.Fatalf("PruneAudit = %d, %v; want 10 (the bound)", n, err)
	}
	got, _ := queryAudit(t, al, store.AuditQuery{Instance: "pr", Until: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), Limit: 100})
	if len(got) != 15 || got[len(got)-1].RequestID != "old-11" {
		t.Fatalf("after pruning 10: %v, want old-25 … old-11 (oldest first gone)", requestIDs(got))
	}
	// The rest goes; the record at the boundary stays.
	total := 10
	for {
		n, err := al.PruneAudit(ctx, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), 10)
		if err != nil {
			t.Fatalf("PruneAudit: %v", err)
		}
		if n == 0 {
			break
		}
		total += n
	}
	if total != 25 {
		t.Errorf("pruned %d in all, want 25", total)
	}
	after := queryAll(t, al, store.AuditQuery{Limit: 1000})
	if len(after) != len(before)-25 {
		t.Errorf("%d records left, want %d", len(after), len(before)-25)
	}
	for _, r := range after {
		if r.Time.Before(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("record %q of %v survived", r.RequestID, r.Time)
		}
	}
	if !cmp.Equal(requestIDs(after)[len(after)-1:], []string{"boundary"}) {
		t.Errorf("oldest left is %v, want the boundary record", requestIDs(after)[len(after)-1:])
	}
}

func testAuditBadArguments(t *testing.T, al store.AuditLog) {
	ctx := t.Context()
	for _, limit := range []int{0, -1} {
		if _, _, err := al.QueryAudit(ctx, store.AuditQuery{Limit: limit}); err == nil {
			t.Errorf("QueryAudit with limit %d: no error", limit)
		}
	}
	if _, err := al.PruneAudit(ctx, time.Now(), 0); err == nil {
		t.Error("PruneAudit with max 0: no error")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := al.AppendAudit(cancelled, []store.AuditRecord{auditRecord("bad", 0, "success", "")}); err == nil {
		t.Error("AppendAudit with a cancelled context: no error")
	}
	if got, _ := queryAudit(t, al, store.AuditQuery{Instance: "bad", Limit: 10}); len(got) != 0 {
		t.Errorf("a failed append wrote %d records", len(got))
	}
}

// testAuditBesideUpdates appends while SCIM transactions succeed and fail
// around it: each keeps its own outcome (a backend that shares commits
// between callers must not lose the records with a failed Update, nor
// keep that Update's writes because of them).
func testAuditBesideUpdates(t *testing.T, s store.Store, al store.AuditLog) {
	const n = 16
	errFail := errors.New("fn failed on purpose")
	errs := parallel(3*n, func(i int) error {
		switch i % 3 {
		case 0:
			return al.AppendAudit(t.Context(), []store.AuditRecord{auditRecord("bu", i, "success", fmt.Sprint(i))})
		case 1:
			return tryUpdate(t, s, func(ctx context.Context, tx store.Tx) error {
				return tx.CreateResource(ctx, user("bu", fmt.Sprintf("ok%d", i), fmt.Sprintf("ok%d", i)))
			})
		default:
			err := tryUpdate(t, s, func(ctx context.Context, tx store.Tx) error {
				if err := tx.CreateResource(ctx, user("bu", fmt.Sprintf("no%d", i), fmt.Sprintf("no%d", i))); err != nil {
					return err
				}
				return errFail
			})
			if !errors.Is(err, errFail) {
				return fmt.Errorf("failing update: %v, want its own error", err)
			}
			return nil
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
	if got := queryAll(t, al, store.AuditQuery{Instance: "bu", Limit: 100}); len(got) != n {
		t.Errorf("%d audit records, want %d", len(got), n)
	}
	if got := count(t, s, "bu", "User"); got != n {
		t.Errorf("%d users, want %d (those of the Updates that succeeded)", got, n)
	}
}

// testAuditInterleaved appends batches whose times interleave and are not
// sorted within a batch (requests finish out of order, and replicas
// append independently): reads must still be in order, and pruning must
// still take the oldest records first.
func testAuditInterleaved(t *testing.T, al store.AuditLog) {
	base := time.Date(1998, 6, 1, 0, 0, 0, 0, time.UTC) // older than every other scenario's records
	at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Minute) }
	var all []store.AuditRecord
	for b := range 3 {
		var batch []store.AuditRecord
		for _, i := range []int{9, 0, 6, 3, 12, 15} {
			r := auditRecord("il", 0, "success", "")
			r.Time, r.RequestID = at(i+b), fmt.Sprintf("t%02d", i+b)
			batch = append(batch, r)
		}
		appendAudit(t, al, batch...)
		all = append(all, batch...)
	}
	want := []string{}
	for i := 17; i >= 0; i-- {
		want = append(want, fmt.Sprintf("t%02d", i))
	}
	for _, limit := range []int{1, 4, 7, 100} {
		got := queryAll(t, al, store.AuditQuery{Instance: "il", Limit: limit})
		if diff := cmp.Diff(want, requestIDs(got)); diff != "" {
			t.Errorf("limit %d (-want +got):\n%s", limit, diff)
		}
	}
	got := queryAll(t, al, store.AuditQuery{Instance: "il", Since: at(5), Until: at(11), Limit: 2})
	if diff := cmp.Diff(want[7:13], requestIDs(got)); diff != "" {
		t.Errorf("time range (-want +got):\n%s", diff)
	}
	// Pruning 4 at a time takes the oldest 4 across the batches each time.
	for step := 0; step < 4; step++ {
		n, err := al.PruneAudit(t.Context(), at(16), 4)
		if err != nil || n != 4 {
			t.Fatalf("PruneAudit step %d = %d, %v; want 4", step, n, err)
		}
		left := requestIDs(queryAll(t, al, store.AuditQuery{Instance: "il", Limit: 100}))
		if diff := cmp.Diff(want[:18-4*(step+1)], left); diff != "" {
			t.Fatalf("after pruning step %d (-want +got):\n%s", step, diff)
		}
	}
}
