package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/scimconnect/scimconnect/internal/cputime"
	"github.com/scimconnect/scimconnect/store"
)

// Benchmarks runs the store benchmarks every backend shares, as
// sub-benchmarks: point reads, lookups, parallel creates and deletes, membership
// changes on a small and a large group (their costs must match), keyset
// pages and a large member list. open returns a fresh, empty store and
// closes it with b.Cleanup. Seeded stores are built once per call and
// reused while the framework picks b.N.
func Benchmarks(b *testing.B, open func(b *testing.B) store.Store) {
	const n = 10000
	parent := b
	// Seeded stores belong to the parent benchmark, so they outlive each
	// sub-benchmark that uses them.
	var seededUsers, seededGroup store.Store
	users := func(b *testing.B) store.Store {
		if seededUsers == nil {
			seededUsers = open(parent)
			seedUsers(b, seededUsers, n)
		}
		return seededUsers
	}
	b.Run("GetResource", func(b *testing.B) { benchGet(b, users(b), n) })
	b.Run("FindByUserName", func(b *testing.B) { benchFind(b, users(b), n) })
	b.Run("CreateParallel", func(b *testing.B) { BenchCreateParallel(b, open(b)) })
	b.Run("DeleteParallel", func(b *testing.B) { benchDeleteParallel(b, open(b)) })
	b.Run("AddMember/group=10", func(b *testing.B) { benchAddMember(b, open(b), 10) })
	b.Run("AddMember/group=10000", func(b *testing.B) { benchAddMember(b, open(b), 10000) })
	b.Run("ListPage", func(b *testing.B) { benchListPage(b, users(b), n) })
	b.Run("MembersLargeGroup", func(b *testing.B) {
		if seededGroup == nil {
			seededGroup = open(parent)
			seedUsers(b, seededGroup, n)
			ms := make([]store.Member, n)
			for i := range ms {
				ms[i] = store.Member{ID: fmt.Sprintf("u%d", i), Type: "User"}
			}
			ctx := context.Background()
			if err := seededGroup.Update(ctx, func(tx store.Tx) error { return tx.AddMembers(ctx, "i", "g", ms) }); err != nil {
				b.Fatalf("seed: %v", err)
			}
		}
		benchMembers(b, seededGroup, n)
	})
}

// seedUsers creates n users u0..u(n-1) in instance "i", in batches.
func seedUsers(b *testing.B, st store.Store, n int) {
	b.Helper()
	ctx := context.Background()
	for start := 0; start < n; start += 1000 {
		err := st.Update(ctx, func(tx store.Tx) error {
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
}

func benchGet(b *testing.B, st store.Store, n int) {
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	defer cputime.PerOp(b)()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			id := fmt.Sprintf("u%d", next.Add(7919)%int64(n))
			err := st.View(ctx, func(tx store.Tx) error {
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

func benchFind(b *testing.B, st store.Store, n int) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	defer cputime.PerOp(b)()
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprintf("USER%d", (i*7919)%n)
		err := st.View(ctx, func(tx store.Tx) error {
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

// BenchCreateParallel measures write throughput: many goroutines (16 per
// CPU, like a busy gateway) each running an Update that creates one
// resource. Backends call it directly to compare their own settings.
func BenchCreateParallel(b *testing.B, st store.Store) {
	benchParallel(b, st, "create", func(ctx context.Context, tx store.Tx, i int64) error {
		return tx.CreateResource(ctx, &store.Resource{
			Instance: "i", Type: "User", ID: fmt.Sprintf("u%d", i),
			Data:     []byte(`{"userName":"user","active":true}`),
			UserName: fmt.Sprintf("user%d", i), Emails: []string{fmt.Sprintf("user%d@example.com", i)},
		})
	})
}

// benchDeleteParallel deletes b.N seeded users (with their e-mail index
// rows) from 16 goroutines per CPU, one Update each, as SCIM DELETEs do.
func benchDeleteParallel(b *testing.B, st store.Store) {
	seedUsers(b, st, b.N)
	benchParallel(b, st, "delete", func(ctx context.Context, tx store.Tx, i int64) error {
		return tx.DeleteResource(ctx, "i", "User", fmt.Sprintf("u%d", i-1), 0)
	})
}

// benchParallel times b.N Updates from 16 goroutines per CPU, each running
// fn with its own number (1, 2, ...), and reports CPU time per op.
func benchParallel(b *testing.B, st store.Store, what string, fn func(ctx context.Context, tx store.Tx, i int64) error) {
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	defer cputime.PerOp(b)()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			i := next.Add(1)
			if err := st.Update(ctx, func(tx store.Tx) error { return fn(ctx, tx, i) }); err != nil {
				b.Errorf("%s %d: %v", what, i, err)
				return
			}
		}
	})
}

// benchAddMember times one Update adding a member plus one removing it,
// so the group keeps its size: the cost must not depend on groupSize.
func benchAddMember(b *testing.B, st store.Store, groupSize int) {
	ctx := context.Background()
	ms := make([]store.Member, groupSize)
	for i := range ms {
		ms[i] = store.Member{ID: fmt.Sprintf("m%d", i), Type: "User"}
	}
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.AddMembers(ctx, "i", "g", ms) }); err != nil {
		b.Fatalf("seed: %v", err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	defer cputime.PerOp(b)()
	for i := 0; b.Loop(); i++ {
		id := fmt.Sprintf("new%d", i)
		err := st.Update(ctx, func(tx store.Tx) error {
			return tx.AddMembers(ctx, "i", "g", []store.Member{{ID: id, Type: "User"}})
		})
		if err == nil {
			err = st.Update(ctx, func(tx store.Tx) error { return tx.RemoveMembers(ctx, "i", "g", []string{id}) })
		}
		if err != nil {
			b.Fatalf("add/remove: %v", err)
		}
	}
}

// benchListPage reads keyset pages of 100 deep into n users, with the count.
func benchListPage(b *testing.B, st store.Store, n int) {
	const page = 100
	ctx := context.Background()
	var seqs []int64
	if err := st.View(ctx, func(tx store.Tx) error {
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
	defer cputime.PerOp(b)()
	for i := 0; b.Loop(); i++ {
		after := seqs[(i*37)%len(seqs)]
		err := st.View(ctx, func(tx store.Tx) error {
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

// benchMembers reads all n members of group g with their display names.
func benchMembers(b *testing.B, st store.Store, n int) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	defer cputime.PerOp(b)()
	for b.Loop() {
		err := st.View(ctx, func(tx store.Tx) error {
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
