package postgres

import (
	"testing"

	"github.com/scimconnect/scimconnect/store"
	"github.com/scimconnect/scimconnect/store/storetest"
)

// BenchmarkStore runs the store benchmarks every backend shares, each
// store on a schema of its own that is dropped afterwards.
func BenchmarkStore(b *testing.B) {
	storetest.Benchmarks(b, func(b *testing.B) store.Store { return openTest(b) })
}
