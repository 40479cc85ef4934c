//go:build !unix

package okta_test

import "time"

// processCPU is not measured on this platform: CPU figures print as 0.
func processCPU() time.Duration { return 0 }
