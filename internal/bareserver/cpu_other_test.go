//go:build !unix

package bareserver

import "testing"

// cpuPerOp reports nothing where process CPU time is not available.
func cpuPerOp(*testing.B) func() { return func() {} }
