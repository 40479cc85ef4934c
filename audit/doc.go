// Package audit is scimconnect's audit log: one Record for every SCIM
// request to a mounted instance, kept in the store (store.AuditLog) and
// read through the admin API (GET /admin/v1/audit).
//
// A record says when, which instance, which client (never its
// credential), which operation on which resource, with what status and
// outcome, which calls to the target application the request made and
// how long it took. It never holds a request or response body, a query
// string, a header or a token: bodies carry passwords and personal data,
// queries carry filters over personal data, headers carry credentials.
// (The request id is kept, to find the request's log line: the gateway's
// own, or the client's X-Request-Id when it sent a well-formed one, as the
// log line does.)
//
// # Outcomes
//
//   - success: the request succeeded (status below 400).
//   - failure: the client's request was refused on its merits (4xx other
//     than 401 and 403): invalid, not found, conflict, precondition.
//   - denied: authentication failed (401, or 429 from the failed
//     authentication limiter) or the credential may not do this (403).
//   - error: the gateway or the target failed (5xx).
//
// # Never in the way of SCIM traffic
//
// The gateway hands records to a Recorder, which queues them in memory
// (bounded) and returns at once; a background writer appends them in
// batches, one store transaction per batch, after at most FlushInterval.
// When the queue is full (the store is down or far slower than the
// traffic) new records are dropped rather than waited for: each is
// counted in scimconnect_audit_records_dropped_total{reason="queue_full"}
// and a warning is logged at most once per DropWarnInterval. A batch the
// store keeps refusing is dropped after a few attempts
// (reason="write_failed"). The SCIM request is answered either way.
// Close writes everything queued, so a graceful stop loses nothing.
//
// # Target calls
//
// Calls attributes target calls to the request that made them: the
// gateway puts one in each request's context (WithCalls) and wraps the
// instance's target observer with Observer, which appends every call
// whose context carries a Calls.
//
// # Retention
//
// Retainer deletes records older than the retention, in bounded batches
// so that it never holds the store's writer for long, once per
// interval.
package audit
