package okta

// Transport is the connector's HTTP transport, for the benchmark's
// reverse proxy (the same connection settings on both paths).
var Transport = transport
