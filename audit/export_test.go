package audit

import "time"

// SetWriteBackoff replaces the waits between write attempts and returns
// a function restoring them, so that tests of failing stores are quick.
func SetWriteBackoff(waits ...time.Duration) (restore func()) {
	old := writeBackoff
	writeBackoff = waits
	return func() { writeBackoff = old }
}
