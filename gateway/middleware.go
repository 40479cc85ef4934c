package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/scimconnect/scimconnect/scim"
)

// requestIDHeader carries the request id to and from clients.
const requestIDHeader = "X-Request-Id"

// statusWriter records the status and size of a response. LogRequests
// and the gateway's metrics share it, and share one clock reading at each
// end of the request: reading the clock is a noticeable part of the cost
// of a cached GET.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
	// start is when LogRequests received the request; elapsed, when set
	// by the gateway, is how long the request took.
	start   time.Time
	elapsed time.Duration
	// requestID is the id LogRequests gave the request, for its audit
	// record.
	requestID string
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// LogRequests wraps h so that each request gets an id (echoed in
// X-Request-Id) and one log line with method, path, status, size and
// duration. Query strings and headers are never logged: filters can hold
// personal data and headers hold credentials.
func LogRequests(log *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(requestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(requestIDHeader, id)
		sw := &statusWriter{ResponseWriter: w, start: start, requestID: id}
		aborted := serveRecovering(log, h, sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		elapsed := sw.elapsed
		if elapsed == 0 {
			elapsed = time.Since(start)
		}
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("request_id", id),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Int("bytes", sw.bytes),
			slog.Duration("duration", elapsed),
		)
		if aborted {
			// The answer had begun: only closing the connection tells
			// the client it is incomplete.
			panic(http.ErrAbortHandler)
		}
	})
}

// serveRecovering serves r, turning a panic into a logged error with its
// stack and, unless the answer had begun, a SCIM 500 that names the
// request id. net/http would only close the connection, so the client
// would see no answer and the log no request line. aborted reports a
// panic after the answer had begun.
func serveRecovering(log *slog.Logger, h http.Handler, sw *statusWriter, r *http.Request) (aborted bool) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		log.LogAttrs(r.Context(), slog.LevelError, "panic serving a request",
			slog.String("request_id", sw.requestID),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Any("panic", v),
			slog.String("stack", string(debug.Stack())),
		)
		if sw.status != 0 {
			aborted = true
			return
		}
		writeError(sw, scim.Errorf(http.StatusInternalServerError, "", "internal error (request id %s)", sw.requestID))
	}()
	h.ServeHTTP(sw, r)
	return false
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
