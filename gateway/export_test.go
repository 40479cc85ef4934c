package gateway

import "time"

// SetClock replaces the clock of g's failed-authentication limiter, so
// that tests can refill budgets without sleeping.
func SetClock(g *Gateway, now func() time.Time) { g.now = now }

// LimiterSize returns the number of client addresses g's limiter tracks.
func LimiterSize(g *Gateway) int { return g.limiter.size() }
