//go:build unix

package cputime

import "testing"

// TestProcessAdvances: busy work shows up as CPU time.
func TestProcessAdvances(t *testing.T) {
	start := Process()
	x := 0
	for i := range 50_000_000 {
		x ^= i
	}
	_ = x
	if got := Process() - start; got <= 0 {
		t.Errorf("CPU time advanced by %v over a busy loop", got)
	}
}
