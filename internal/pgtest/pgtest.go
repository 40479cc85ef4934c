// Package pgtest finds the PostgreSQL server the tests of several
// packages (store/postgres, admin, cmd/scimconnect, e2e) run against.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultDSN is the server CI machines run, used unless
// SCIMCONNECT_TEST_POSTGRES_DSN names another.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var (
	probeOnce sync.Once
	probeDSN  string
	probeErr  error
)

// DSN returns the DSN of a test server that answers. Without one it skips
// the test, or fails it under CI=true, where a missing server is a broken
// environment rather than a reason to skip. The server is probed once per
// test binary.
func DSN(tb testing.TB) string {
	tb.Helper()
	probeOnce.Do(func() {
		probeDSN = os.Getenv("SCIMCONNECT_TEST_POSTGRES_DSN")
		if probeDSN == "" {
			probeDSN = DefaultDSN
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, probeDSN)
		if err != nil {
			probeErr = err
			return
		}
		probeErr = conn.Ping(ctx)
		_ = conn.Close(ctx)
	})
	if probeErr != nil {
		msg := fmt.Sprintf("no PostgreSQL answers (set SCIMCONNECT_TEST_POSTGRES_DSN; default %s): %v", DefaultDSN, probeErr)
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return probeDSN
}
