// Package admin serves scimconnect's versioned JSON admin API under
// /admin/v1: the connector types with their parameter declarations, and
// the connector instances kept in the store (create, read, replace,
// delete, rotate the SCIM token, test the connection to the target), and
// the audit log of SCIM requests (GET /audit, see package audit).
//
// The API is authenticated with an admin bearer token whose SHA-256 alone
// is kept and compared in constant time; it is distinct from every SCIM
// token, so neither opens the other's endpoints. Every error is JSON:
//
//	{"error": {"code": "unknown_parameter", "message": "...", "field": "parameters.foo"}}
//
// Instances come from two places. Those of the configuration file
// (Options.Config) are declarative and read-only here: the API shows them
// and tests them but answers 409 read_only to any change. Those created
// through the API live in the store. When both name the same instance the
// configuration file wins: the store's instance is not mounted (MountStored
// skips it with a warning), not listed, and the API refuses to create an
// instance with a configured name.
//
// A change is applied to the live gateway before the response is written
// (gateway.Mount, Unmount, SetTokenHash swap instances under the gateway's
// lock), so new requests see it at once while requests in flight finish
// on the instance they started with.
//
// Replicas sharing one store (several scimconnect serve processes on one
// PostgreSQL) converge through the store alone: each runs a Syncer whose
// pass reads the stored instances in one snapshot and applies the
// differences to its gateway: it mounts new instances, reopens changed
// ones (type, parameters, attribute settings, or a delete and
// re-create), swaps a rotated token in place, and unmounts deleted ones.
// A store that tells of changes (store.Notifier: PostgreSQL's
// LISTEN/NOTIFY) wakes the Syncer of every replica for a pass as soon as
// a change commits, so a change is served everywhere within
// milliseconds; the Syncer then polls only every 30 s
// (NotifiedSyncInterval) as a safety net. While notifications do not
// arrive, and on stores that do not notify, it polls every 500 ms
// (DefaultSyncInterval), and a change is served by all within one
// interval plus one pass, under one second. A pass that finds nothing
// changed compares hashes and opens no connector; a changed instance that fails to open is logged once and
// keeps serving as it was. The Syncer never touches the configuration
// file's instances, and the file wins on every replica, whichever
// replica created the stored instance. The replica that makes a change
// applies it at once, under the Syncer's lock, so its own next pass
// neither repeats nor undoes it.
//
// An instance's "auth" takes what a configuration file's auth section
// takes: a read-only SCIM token, OAuth 2.0 clients (client credentials
// grant at /scim/{name}/oauth/token) and external JWT issuers, each
// possibly read-only. Client secrets are stored as SHA-256 only and show
// as "<set>"; a PUT that sends "<set>" for a client id keeps its secret,
// and a client left out of a PUT can no longer obtain tokens.
//
// Secret parameters (connector.Param.Secret) are never returned: a set
// secret shows as "<set>", and a PUT that sends "<set>" back keeps the
// stored value. Secrets are stored encrypted with Options.Secrets (see
// package secrets) and decrypted only to open the connector; with no key
// configured, a request that would store a secret is refused with 409
// no_secret_key. Rekey re-encrypts every stored secret under a new key.
// The routes are described in openapi.yaml, which a test checks against
// the handler.
package admin
