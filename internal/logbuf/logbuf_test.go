package logbuf

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/internal/syncbuf"
)

func TestHoldsLinesUntilFlush(t *testing.T) {
	var out syncbuf.Buffer
	w := New(&out, time.Hour, 1024)
	fmt.Fprint(w, "one\n")
	fmt.Fprint(w, "two\n")
	if got := out.String(); got != "" {
		t.Fatalf("written before Flush: %q", got)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "one\ntwo\n" || out.Writes() != 1 {
		t.Fatalf("after Flush: %q in %d writes, want both lines in one", got, out.Writes())
	}
}

func TestWritesOutAfterInterval(t *testing.T) {
	var out syncbuf.Buffer
	w := New(&out, 10*time.Millisecond, 1024)
	fmt.Fprint(w, "line\n")
	// Wait for the timer; the deadline only bounds a broken timer.
	for deadline := time.Now().Add(5 * time.Second); out.String() == ""; {
		if time.Now().After(deadline) {
			t.Fatal("buffered line never written out")
		}
		time.Sleep(time.Millisecond)
	}
	if got := out.String(); got != "line\n" {
		t.Fatalf("got %q", got)
	}
}

func TestFullBufferWritesOutWholeLines(t *testing.T) {
	var out syncbuf.Buffer
	w := New(&out, time.Hour, 10)
	fmt.Fprint(w, "aaaa\n")
	fmt.Fprint(w, "bbbb\n") // fills the buffer exactly
	fmt.Fprint(w, "cc\n")   // does not fit: the first two go out
	if got := out.String(); got != "aaaa\nbbbb\n" {
		t.Fatalf("after overflow: %q", got)
	}
	fmt.Fprint(w, "a line longer than the buffer\n") // written through, after what was buffered
	if got := out.String(); got != "aaaa\nbbbb\ncc\na line longer than the buffer\n" {
		t.Fatalf("after a long line: %q", got)
	}
}

func TestHandlerFlushesOnWarn(t *testing.T) {
	var out syncbuf.Buffer
	w := New(&out, time.Hour, 1024)
	log := slog.New(Handler(slog.NewTextHandler(w, nil), w)).With("instance", "a")
	log.Info("request")
	if out.String() != "" {
		t.Fatalf("info written at once: %q", out.String())
	}
	log.Warn("trouble")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "msg=request") || !strings.Contains(lines[1], "msg=trouble") || !strings.Contains(lines[1], "instance=a") {
		t.Fatalf("after warn: %q", lines)
	}
}

func TestCloseWritesThrough(t *testing.T) {
	var out syncbuf.Buffer
	w := New(&out, time.Hour, 1024)
	fmt.Fprint(w, "before\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, "after\n")
	if got := out.String(); got != "before\nafter\n" {
		t.Fatalf("got %q", got)
	}
}

func TestConcurrentWritesStayWhole(t *testing.T) {
	var out syncbuf.Buffer
	w := New(&out, time.Millisecond, 512)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				fmt.Fprintf(w, "goroutine=%d line=%d end\n", g, i)
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 8*500 {
		t.Fatalf("%d lines, want %d", len(lines), 8*500)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		var g, i int
		if _, err := fmt.Sscanf(l, "goroutine=%d line=%d end", &g, &i); err != nil || seen[l] {
			t.Fatalf("torn or repeated line %q", l)
		}
		seen[l] = true
	}
}

type failingWriter struct{}

func (failingWriter) Write(p []byte) (int, error) { return 0, errors.New("disk full") }

func TestFlushReportsWriteError(t *testing.T) {
	w := New(failingWriter{}, time.Hour, 1024)
	fmt.Fprint(w, "line\n")
	if err := w.Flush(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Flush = %v, want the write error", err)
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("second Flush = %v, want nil (the error was reported)", err)
	}
}
