// Package logbuf batches log output: a server that writes one request line
// per request would otherwise pay a write(2) per request, which on a busy
// two-core machine was 3–10 % of its throughput.
//
// Lines are written out when the buffer fills, at most Interval after the
// first line buffered, on Flush, and at once for records of level Warn and
// above (Handler), so that what precedes trouble is never held back. A
// crash of the process may lose the request lines of the last Interval.
package logbuf

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Defaults for New.
const (
	DefaultInterval = 100 * time.Millisecond
	DefaultSize     = 64 << 10
)

// Writer buffers what is written to it for an io.Writer. It is safe for
// concurrent use; each Write is kept whole.
type Writer struct {
	mu       sync.Mutex
	out      io.Writer
	buf      []byte
	size     int
	interval time.Duration
	timer    *time.Timer // armed while buf holds something
	err      error       // the first write error, reported by Flush
	closed   bool
}

// New returns a Writer that writes to out in batches of up to size bytes,
// at most interval after the first byte buffered (the defaults for values
// <= 0).
func New(out io.Writer, interval time.Duration, size int) *Writer {
	if interval <= 0 {
		interval = DefaultInterval
	}
	if size <= 0 {
		size = DefaultSize
	}
	w := &Writer{out: out, size: size, interval: interval, buf: make([]byte, 0, size)}
	w.timer = time.AfterFunc(time.Hour, func() { _ = w.Flush() })
	w.timer.Stop()
	return w
}

// Write buffers p, writing out the buffer first if p would not fit. A p
// larger than the buffer is written through. After Close it writes
// through.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.out.Write(p)
	}
	if len(w.buf)+len(p) > w.size {
		w.flushLocked()
		if len(p) > w.size {
			return w.out.Write(p)
		}
	}
	if len(w.buf) == 0 {
		w.timer.Reset(w.interval)
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// Flush writes out what is buffered. It returns the first error a write
// to the underlying writer met since the last Flush.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushLocked()
	err := w.err
	w.err = nil
	return err
}

// Close flushes and makes later writes go straight through.
func (w *Writer) Close() error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.timer.Stop()
	return w.Flush()
}

func (w *Writer) flushLocked() {
	w.timer.Stop()
	if len(w.buf) == 0 {
		return
	}
	if _, err := w.out.Write(w.buf); err != nil && w.err == nil {
		w.err = err
	}
	w.buf = w.buf[:0]
}

// Handler passes records to next and flushes w after every record of
// level Warn and above.
func Handler(next slog.Handler, w *Writer) slog.Handler {
	return &handler{next: next, w: w}
}

type handler struct {
	next slog.Handler
	w    *Writer
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	err := h.next.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := h.w.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &handler{next: h.next.WithAttrs(as), w: h.w}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(name), w: h.w}
}
