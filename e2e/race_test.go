//go:build race

package e2e

// raceEnabled is true when the tests run with -race: the product binary is
// then built with the race detector too, and a data race makes it exit
// non-zero, which the graceful-stop check reports.
const raceEnabled = true
