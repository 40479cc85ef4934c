package sqlite

import (
	"context"
	"testing"

	"github.com/scimconnect/scimconnect/store"
	"github.com/scimconnect/scimconnect/store/storetest"
)

func benchDB(b *testing.B, opts ...Option) *DB {
	b.Helper()
	db, err := Open(context.Background(), b.TempDir()+"/bench.db", opts...)
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	b.Cleanup(func() { _ = db.Close() })
	return db
}

// BenchmarkStore runs the store benchmarks every backend shares.
func BenchmarkStore(b *testing.B) {
	storetest.Benchmarks(b, func(b *testing.B) store.Store { return benchDB(b) })
}

// BenchmarkGroupCommit compares parallel creates with group commit (the
// default) and with every Update committing on its own.
func BenchmarkGroupCommit(b *testing.B) {
	b.Run("single", func(b *testing.B) { storetest.BenchCreateParallel(b, benchDB(b, WithMaxBatch(1))) })
	b.Run("group", func(b *testing.B) { storetest.BenchCreateParallel(b, benchDB(b)) })
}
