//go:build !unix

package storetest

import "testing"

// CPUPerOp reports nothing where process CPU time is not available.
func CPUPerOp(b *testing.B) func() { return func() {} }
