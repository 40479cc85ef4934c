package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/internal/cputime"
	"github.com/scimconnect/scimconnect/store"
)

// TestAuditQueryPlans checks that the audit statements read an index in
// the order they need: no table scan, no sort, whatever the log holds.
func TestAuditQueryPlans(t *testing.T) {
	_, path := openTemp(t)
	raw := rawOpen(t, path)
	since, until := time.Unix(1000, 0), time.Unix(2000, 0)
	after := &store.AuditCursor{Time: time.Unix(1500, 0), ID: 7}
	segments := func(q store.AuditQuery) (string, []any) { return auditSegmentsSQL(q) }
	fixed := func(q string, args ...any) func(store.AuditQuery) (string, []any) {
		return func(store.AuditQuery) (string, []any) { return q, args }
	}
	tests := []struct {
		name  string
		q     store.AuditQuery
		sql   func(store.AuditQuery) (string, []any)
		index string
	}{
		{"everything", store.AuditQuery{}, segments, "audit_segments_max"},
		{"time range and cursor", store.AuditQuery{Since: since, Until: until, After: after}, segments, "audit_segments_max"},
		{"every filter", store.AuditQuery{Instance: "a", Outcome: "denied", ResourceID: "u1", Since: since}, segments, "audit_segments_max"},
		{"prune", store.AuditQuery{}, fixed(pruneCandidatesSQL, 0), "audit_segments_min"},
		{"newest segment", store.AuditQuery{}, fixed(newestSegmentSQL), "PRIMARY KEY"},
		{"segment data", store.AuditQuery{}, fixed(segmentDataSQL, 1), "PRIMARY KEY"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, args := tc.sql(tc.q)
			plan := queryPlan(t, raw, q, args...)
			joined := strings.Join(plan, "; ")
			t.Logf("%s: %s", q, joined)
			// An ordered walk of an index is what a page needs: it stops
			// once the page is full. A walk of the table is not.
			if !strings.Contains(joined, tc.index) || strings.Contains(joined, "TEMP B-TREE") || strings.Contains(joined, "SCAN audit_segments;") || strings.HasSuffix(joined, "SCAN audit_segments") {
				t.Errorf("plan %q: want %s, no table scan, no sort", joined, tc.index)
			}
		})
	}
}

func TestAuditSegmentEncoding(t *testing.T) {
	base := time.Date(2025, 1, 2, 3, 4, 5, 678000, time.UTC)
	recs := []segRecord{
		{0, store.AuditRecord{Time: base, Instance: "a", Client: "c", RequestID: "r1", Operation: "get", ResourceType: "Users", ResourceID: "u1", Status: 200, Outcome: "success", Duration: 1500 * time.Microsecond}},
		// Same strings as the previous record, an older time.
		{1, store.AuditRecord{Time: base.Add(-time.Second), Instance: "a", Client: "c", RequestID: "r1", Operation: "get", ResourceType: "Users", ResourceID: "u1", Status: 200, Outcome: "success"}},
		// Every string differs, empty strings, calls, a negative duration.
		{5, store.AuditRecord{Time: base.Add(time.Hour), Instance: "b", Client: "", RequestID: "", Operation: "create", ResourceType: "", ResourceID: "", Status: 401, Outcome: "denied",
			Duration: -time.Microsecond, Calls: []byte(`{"calls":[]}`)}},
		{7, store.AuditRecord{Time: time.UnixMicro(0).UTC(), Instance: "ünï", Outcome: "error", Status: 599}},
	}
	data := encodeRecords(nil, nil, recs[:2])
	data = encodeRecords(data, &recs[1].rec, recs[2:]) // appended later, as a join does
	got, err := decodeRecords(3, data)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]segRecord, len(recs))
	copy(want, recs)
	for i := range want {
		want[i].rec.ID = 3<<idBits | int64(want[i].idx)
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(segRecord{})); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// Every truncation is refused rather than misread.
	for n := 1; n < len(data); n++ {
		if got, err := decodeRecords(3, data[:n]); err == nil && len(got) == len(recs) {
			t.Errorf("truncated to %d bytes: decoded all records", n)
		}
	}
	if _, err := decodeRecords(3, append([]byte{9}, data[1:]...)); err == nil {
		t.Error("unknown version: no error")
	}
	// Repeated strings cost a flag: the second record is small.
	one := encodeRecords(nil, nil, recs[:1])
	if grown := len(encodeRecords(nil, nil, recs[:2])) - len(one); grown > 12 {
		t.Errorf("a record repeating the previous one's strings takes %d bytes", grown)
	}
}

func TestAuditBloomFilter(t *testing.T) {
	filter := make([]byte, bloomBytes)
	for i := range segmentCap {
		bloomAdd(filter, fmt.Sprintf("id-%d", i))
	}
	for i := range segmentCap {
		if !bloomMayContain(filter, fmt.Sprintf("id-%d", i)) {
			t.Fatalf("member id-%d reported absent", i)
		}
	}
	fp := 0
	for i := range 10000 {
		if bloomMayContain(filter, fmt.Sprintf("other-%d", i)) {
			fp++
		}
	}
	// A full segment: about 2% false positives by design.
	if fp > 600 {
		t.Errorf("%d false positives in 10000, want about 2%%", fp)
	}
}

// TestAuditSegments checks how appends fill segments: small appends join
// the newest segment while it is small; large ones fill new segments of
// at most segmentCap records.
func TestAuditSegments(t *testing.T) {
	db, path := openTemp(t)
	raw := rawOpen(t, path)
	ctx := context.Background()
	rec := func(i int) store.AuditRecord {
		return store.AuditRecord{Time: time.Unix(int64(i), 0), Instance: "a", Operation: "get", Status: 200, Outcome: "success", ResourceID: fmt.Sprint(i)}
	}
	appendN := func(from, n int) {
		t.Helper()
		var recs []store.AuditRecord
		for i := range n {
			recs = append(recs, rec(from+i))
		}
		if err := db.AppendAudit(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
	sizes := func() []int {
		t.Helper()
		rows, err := raw.QueryContext(ctx, `SELECT n FROM audit_segments ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := []int{}
		for rows.Next() {
			var n int
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			out = append(out, n)
		}
		return out
	}
	for i := range 70 {
		appendN(i, 1) // a quiet gateway: one record per append
	}
	if diff := cmp.Diff([]int{64, 6}, sizes()); diff != "" {
		t.Errorf("after 70 single appends (-want +got):\n%s", diff)
	}
	appendN(100, 1200)
	if diff := cmp.Diff([]int{64, 512, 512, 182}, sizes()); diff != "" {
		t.Errorf("after a large append (-want +got):\n%s", diff)
	}
	got, _, err := db.QueryAudit(ctx, store.AuditQuery{Limit: 2000})
	if err != nil || len(got) != 1270 {
		t.Fatalf("QueryAudit: %d records, %v; want 1270", len(got), err)
	}
	seen := map[int64]bool{}
	for _, r := range got {
		if seen[r.ID] {
			t.Fatalf("id %d given twice", r.ID)
		}
		seen[r.ID] = true
	}
}

// BenchmarkAuditAppend measures appending batches of records as the
// recorder does, in process CPU time per record (cpu-ns/record), which
// the machine's load inflates less than wall time.
func BenchmarkAuditAppend(b *testing.B) {
	for _, batch := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			db := benchDB(b)
			recs := make([]store.AuditRecord, batch)
			n := 0
			b.ReportAllocs()
			cpu := cputime.Process()
			for b.Loop() {
				for i := range recs {
					n++
					recs[i] = store.AuditRecord{
						Time: time.UnixMicro(int64(n) * 50), Instance: "local", Client: "token:0123456789ab", RequestID: fmt.Sprintf("%016x", n),
						Operation: "get", ResourceType: "Users", ResourceID: fmt.Sprintf("2819c223-7f76-453a-919d-%012d", n),
						Status: 200, Outcome: "success", Duration: 80 * time.Microsecond,
					}
				}
				if err := db.AppendAudit(context.Background(), recs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cputime.Process()-cpu)/float64(n), "cpu-ns/record")
		})
	}
}
