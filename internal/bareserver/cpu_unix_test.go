//go:build unix

package bareserver

import (
	"syscall"
	"testing"
)

// cpuPerOp reports the process CPU time per operation as cpu-ns/op (as
// storetest.CPUPerOp does; this package imports nothing of the gateway's).
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
