package audit_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/audit"
	"github.com/scimconnect/scimconnect/internal/cputime"
	"github.com/scimconnect/scimconnect/store"
	"github.com/scimconnect/scimconnect/store/sqlite"
)

// BenchmarkSQLiteCreates measures what the audit log costs SCIM writes
// on the embedded store: parallel creates (16 goroutines per CPU, each an
// Update creating one resource, as storetest.BenchCreateParallel), with
// and without a record handed to a Recorder writing to the same store.
// The recorder's batches share the single writer with the creates, so
// ns/op and cpu-ns/op include their cost.
func BenchmarkSQLiteCreates(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("audit=%v", on), func(b *testing.B) {
			db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			var rec *audit.Recorder
			if on {
				if rec, err = audit.NewRecorder(audit.RecorderOptions{Log: db}); err != nil {
					b.Fatal(err)
				}
			}
			var next atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(16)
			stop := cputime.PerOp(b)
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					i := next.Add(1)
					start := time.Now()
					id := fmt.Sprintf("u%d", i)
					err := db.Update(ctx, func(tx store.Tx) error {
						return tx.CreateResource(ctx, &store.Resource{
							Instance: "i", Type: "User", ID: id,
							Data:     []byte(`{"userName":"user","active":true}`),
							UserName: fmt.Sprintf("user%d", i), Emails: []string{fmt.Sprintf("user%d@example.com", i)},
						})
					})
					if err != nil {
						b.Errorf("create: %v", err)
						return
					}
					rec.Record(audit.Record{Time: start, Instance: "i", Client: "token:0123456789ab", RequestID: "0123456789abcdef",
						Operation: "create", ResourceType: "Users", ResourceID: id, Status: 201, Outcome: audit.OutcomeSuccess,
						Duration: audit.Duration(time.Since(start)), Calls: []audit.TargetCall{}})
				}
			})
			if err := rec.Close(); err != nil { // the records still queued are part of the cost
				b.Fatal(err)
			}
			stop()
		})
	}
}
