package postgres

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/scimconnect/scimconnect/store"
)

// seedUsers creates n users u0..u(n-1) in instance "i", in batches.
func seedUsers(b *testing.B, db *DB, n int) {
	b.Helper()
	ctx := context.Background()
	for start := 0; start < n; start += 1000 {
		err := db.Update(ctx, func(tx store.Tx) error {
			for i := start; i < min(start+1000, n); i++ {
				r := &store.Resource{
					Instance: "i", Type: "User", ID: fmt.Sprintf("u%d", i),
					Data:     []byte(`{"userName":"user` + fmt.Sprint(i) + `","name":{"givenName":"Given","familyName":"Family"},"active":true}`),
					UserName: fmt.Sprintf("user%d", i), DisplayName: fmt.Sprintf("User %d", i),
					ExternalID: fmt.Sprintf("ext%d", i), Emails: []string{fmt.Sprintf("user%d@example.com", i)},
				}
				if err := tx.CreateResource(ctx, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
	if _, err := db.pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatalf("analyze: %v", err)
	}
}

// seeded holds stores seeded once per test binary: the benchmark function
// runs several times while the framework picks b.N, and seeding 10,000
// users each time would dwarf the measurement. TestMain drops them.
var (
	seededMu      sync.Mutex
	seeded        = map[string]*DB{}
	seededSchemas []string
)

// seededDB returns the shared store named key, seeding it with n users and
// then calling more (if not nil) the first time.
func seededDB(b *testing.B, key string, n int, more func(db *DB)) *DB {
	b.Helper()
	dsn := testDSN(b)
	seededMu.Lock()
	defer seededMu.Unlock()
	if db, ok := seeded[key]; ok {
		return db
	}
	schema := newSchemaName(b)
	seededSchemas = append(seededSchemas, schema)
	db, err := Open(context.Background(), dsn, WithSchema(schema))
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	seeded[key] = db
	seedUsers(b, db, n)
	if more != nil {
		more(db)
	}
	return db
}

// TestMain drops the shared benchmark schemas.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, db := range seeded {
		_ = db.Close()
	}
	if len(seededSchemas) > 0 {
		ctx := context.Background()
		if conn, err := pgx.Connect(ctx, probeDSN); err == nil {
			for _, s := range seededSchemas {
				if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{s}.Sanitize()+` CASCADE`); err != nil {
					fmt.Fprintf(os.Stderr, "drop benchmark schema %s: %v\n", s, err)
				}
			}
			_ = conn.Close(ctx)
		}
	}
	os.Exit(code)
}

func BenchmarkGetResource(b *testing.B) {
	const n = 10000
	db := seededDB(b, "users", n, nil)
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	defer cpuPerOp(b)()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			id := fmt.Sprintf("u%d", next.Add(7919)%n)
			err := db.View(ctx, func(tx store.Tx) error {
				_, err := tx.GetResource(ctx, "i", "User", id)
				return err
			})
			if err != nil {
				b.Errorf("GetResource(%s): %v", id, err)
				return
			}
		}
	})
}

func BenchmarkFindByUserName(b *testing.B) {
	const n = 10000
	db := seededDB(b, "users", n, nil)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	defer cpuPerOp(b)()
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprintf("USER%d", (i*7919)%n)
		err := db.View(ctx, func(tx store.Tx) error {
			rs, err := tx.FindResources(ctx, "i", "User", store.KeyUserName, name)
			if err == nil && len(rs) != 1 {
				err = fmt.Errorf("found %d", len(rs))
			}
			return err
		})
		if err != nil {
			b.Fatalf("FindResources(%s): %v", name, err)
		}
	}
}

// BenchmarkCreateParallel measures write throughput: many goroutines each
// running an Update that creates one resource (with an email) in one
// instance, so they all count in the same counter and index pages. It
// reports the serialization retries per operation.
func BenchmarkCreateParallel(b *testing.B) {
	db := openTest(b)
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16) // 16 × GOMAXPROCS goroutines, like a busy gateway
	before := db.Stats().Retries
	b.ResetTimer()
	defer cpuPerOp(b)()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			i := next.Add(1)
			err := db.Update(ctx, func(tx store.Tx) error {
				return tx.CreateResource(ctx, &store.Resource{
					Instance: "i", Type: "User", ID: fmt.Sprintf("u%d", i),
					Data:     []byte(`{"userName":"user","active":true}`),
					UserName: fmt.Sprintf("user%d", i), Emails: []string{fmt.Sprintf("user%d@example.com", i)},
				})
			})
			if err != nil {
				b.Errorf("create: %v", err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(db.Stats().Retries-before)/float64(b.N), "retries/op")
}

func benchAddMember(b *testing.B, groupSize int) {
	db := openTest(b)
	ctx := context.Background()
	ms := make([]store.Member, groupSize)
	for i := range ms {
		ms[i] = store.Member{ID: fmt.Sprintf("m%d", i), Type: "User"}
	}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.AddMembers(ctx, "i", "g", ms) }); err != nil {
		b.Fatalf("seed: %v", err)
	}
	if _, err := db.pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatalf("analyze: %v", err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	defer cpuPerOp(b)()
	for i := 0; b.Loop(); i++ {
		// Add one member and remove it again, so the group keeps its size.
		id := fmt.Sprintf("new%d", i)
		err := db.Update(ctx, func(tx store.Tx) error {
			return tx.AddMembers(ctx, "i", "g", []store.Member{{ID: id, Type: "User"}})
		})
		if err == nil {
			err = db.Update(ctx, func(tx store.Tx) error { return tx.RemoveMembers(ctx, "i", "g", []string{id}) })
		}
		if err != nil {
			b.Fatalf("add/remove: %v", err)
		}
	}
}

// BenchmarkAddMemberSmallGroup and BenchmarkAddMemberLargeGroup each time
// one Update adding a member plus one removing it; the two must match.
func BenchmarkAddMemberSmallGroup(b *testing.B) { benchAddMember(b, 10) }

// BenchmarkAddMemberLargeGroup is BenchmarkAddMemberSmallGroup on a group
// of 10,000 members.
func BenchmarkAddMemberLargeGroup(b *testing.B) { benchAddMember(b, 10000) }

// BenchmarkListPage reads pages of 100 deep into 10,000 users, with the
// count every SCIM list response carries.
func BenchmarkListPage(b *testing.B) {
	const n, page = 10000, 100
	db := seededDB(b, "users", n, nil)
	ctx := context.Background()
	var seqs []int64
	if err := db.View(ctx, func(tx store.Tx) error {
		rs, err := tx.ListResources(ctx, "i", "User", 0, n)
		for i := 0; i < len(rs); i += page {
			seqs = append(seqs, rs[i].Seq)
		}
		return err
	}); err != nil {
		b.Fatalf("list: %v", err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	defer cpuPerOp(b)()
	for i := 0; b.Loop(); i++ {
		after := seqs[(i*37)%len(seqs)]
		err := db.View(ctx, func(tx store.Tx) error {
			rs, err := tx.ListResources(ctx, "i", "User", after, page)
			if err == nil && len(rs) == 0 {
				err = fmt.Errorf("empty page after %d", after)
			}
			if err == nil {
				_, err = tx.CountResources(ctx, "i", "User")
			}
			return err
		})
		if err != nil {
			b.Fatalf("page: %v", err)
		}
	}
}

// BenchmarkMembersLargeGroup reads all 10,000 members of a group with
// their display names.
func BenchmarkMembersLargeGroup(b *testing.B) {
	const n = 10000
	ctx := context.Background()
	db := seededDB(b, "users+group", n, func(db *DB) {
		ms := make([]store.Member, n)
		for i := range ms {
			ms[i] = store.Member{ID: fmt.Sprintf("u%d", i), Type: "User"}
		}
		if err := db.Update(ctx, func(tx store.Tx) error { return tx.AddMembers(ctx, "i", "g", ms) }); err != nil {
			b.Fatalf("seed: %v", err)
		}
	})
	b.ReportAllocs()
	b.ResetTimer()
	defer cpuPerOp(b)()
	for b.Loop() {
		err := db.View(ctx, func(tx store.Tx) error {
			got, err := tx.Members(ctx, "i", "g")
			if err == nil && (len(got) != n || got[1].Display != "User 1") {
				err = fmt.Errorf("got %d members", len(got))
			}
			return err
		})
		if err != nil {
			b.Fatalf("members: %v", err)
		}
	}
}

// cpuPerOp reports the process CPU time (user+system) per operation as
// "cpu-ns/op": this process's side only, the server's CPU is not in it.
// Call it as: defer cpuPerOp(b)().
func cpuPerOp(b *testing.B) func() {
	start := processCPU(b)
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
