package provider

import "time"

// SetCursorClock replaces the clock of p's cursor codec, so that tests can
// expire cursors without sleeping (RFC 9865 expiredCursor).
func SetCursorClock(p *Provider, now func() time.Time) { p.cursors.now = now }
