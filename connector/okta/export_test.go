package okta

import (
	"testing"
	"time"
)

// Transport is the connector's HTTP transport, for the benchmark's
// reverse proxy (the same connection settings on both paths).
var Transport = transport

// SetCallBudget sets the call budget of instances opened afterwards,
// until the test ends.
func SetCallBudget(t testing.TB, d time.Duration) {
	old := callBudget
	callBudget = d
	t.Cleanup(func() { callBudget = old })
}
