package httpx

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/scim"
)

// target is a test server that counts hits and answers with fn.
type testTarget struct {
	*httptest.Server
	hits atomic.Int32
}

func newTarget(t testing.TB, fn func(hit int, w http.ResponseWriter, r *http.Request)) *testTarget {
	t.Helper()
	tt := &testTarget{}
	tt.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(tt.hits.Add(1))
		fn(n, w, r)
	}))
	t.Cleanup(tt.Close)
	return tt
}

// status answers every hit with the given statuses in turn, repeating
// the last one.
func statuses(codes ...int) func(int, http.ResponseWriter, *http.Request) {
	return func(hit int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(codes[min(hit, len(codes))-1])
	}
}

// sleepRecorder replaces real waiting in tests: it records the waits.
// With a fake clock, sleeping advances it.
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
	clock time.Time // zero: real clock
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	if !s.clock.IsZero() {
		s.clock = s.clock.Add(d)
	}
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepRecorder) now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clock
}

func (s *sleepRecorder) recorded() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// fastConfig is a Config for tests: short backoffs and timeouts.
func fastConfig(baseURL string) Config {
	return Config{
		BaseURL:     baseURL,
		Timeout:     2 * time.Second,
		BaseBackoff: time.Millisecond,
		MaxBackoff:  4 * time.Millisecond,
	}
}

func mustNew(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// withRecorder makes c record waits instead of sleeping.
func withRecorder(c *Client) *sleepRecorder {
	rec := &sleepRecorder{}
	c.sleep = rec.sleep
	return rec
}

// withFakeClock makes c record waits on a fake clock starting at start.
func withFakeClock(c *Client, start time.Time) *sleepRecorder {
	rec := &sleepRecorder{clock: start}
	c.sleep = rec.sleep
	c.now = rec.now
	return rec
}

// scimErr returns the *scim.Error in err's chain or fails the test.
func scimErr(t *testing.T, err error) *scim.Error {
	t.Helper()
	var se *scim.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *scim.Error", err, err)
	}
	return se
}

// logBuffer is a concurrency-safe buffer for a debug text logger.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func debugLogger(b *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
