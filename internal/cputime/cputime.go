// Package cputime measures the CPU time the process uses, for benchmarks:
// on a machine shared with other jobs (and with the load generator) the
// wall-clock time per operation is inflated, the CPU time much less.
package cputime

import (
	"testing"
	"time"
)

// Process is the CPU time (user + system) the process has used so far; 0
// where the platform does not tell.
func Process() time.Duration { return process() }

// PerOp reports the process CPU time per operation of b as "cpu-ns/op".
// Use as: defer cputime.PerOp(b)().
func PerOp(b *testing.B) func() {
	start := Process()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(Process()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
