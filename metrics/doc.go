// Package metrics holds scimconnect's Prometheus metrics: SCIM requests,
// failed authentications, calls to target applications, store latency and
// the number of instances loaded. They live in their own
// prometheus.Registry (never the process-wide default one), served by
// Metrics.Handler, which the gateway mounts at /metrics.
//
// # Label cardinality
//
// Every label takes values from a bounded set, so that a client cannot grow
// the number of series by inventing URLs:
//
//   - scim_instance: the name of a mounted instance (not "instance", which
//     Prometheus gives every scraped target), or UnknownInstance for
//     requests that name no mounted instance (the gateway resolves the name
//     before choosing the label; a made-up name never becomes a value), or
//     MetricsEndpoint for failed authentications at /metrics. Neither fixed
//     value can name an instance: instance names start with a letter or a
//     digit.
//   - operation: one of the Operation values, derived from the method and
//     the shape of the path (OperationOf), never from a resource id.
//   - status: the HTTP status code, 100–599, or "other".
//   - retries: "0" to "4", or "5+".
//
// # Cost on the request path
//
// The gateway looks up an instance's Observer once, when it mounts the
// instance. The Observer caches the curried histogram per operation and
// the counter per (operation, status) in atomic pointers, so that
// recording a request costs two atomic loads, a counter increment and a
// histogram observation, with no allocation and no lock once a series
// exists.
//
// # Target calls
//
// The target HTTP client (connector/httpx) reports each finished call to
// an observer with the method ObserveTargetCall; an instance's *Observer
// has that method, so a connector passes it to its client without this
// package and httpx knowing each other.
package metrics
