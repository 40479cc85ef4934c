//go:build unix

package storetest

import (
	"syscall"
	"testing"
)

// CPUPerOp reports the process CPU time (user+system) per operation as
// "cpu-ns/op": on an oversubscribed machine wall-clock ns/op is inflated,
// CPU time much less. Use as: defer CPUPerOp(b)().
func CPUPerOp(b *testing.B) func() {
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
