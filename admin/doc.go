// Package admin serves scimconnect's versioned JSON admin API under
// /admin/v1: the connector types with their parameter declarations, and
// the connector instances kept in the store (create, read, replace,
// delete, rotate the SCIM token, test the connection to the target).
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
// Secret parameters (connector.Param.Secret) are never returned: a set
// secret shows as "<set>", and a PUT that sends "<set>" back keeps the
// stored value. Secrets are stored encrypted with Options.Secrets (see
// package secrets) and decrypted only to open the connector; with no key
// configured, a request that would store a secret is refused with 409
// no_secret_key. Rekey re-encrypts every stored secret under a new key.
// The routes are described in openapi.yaml, which a test checks against
// the handler.
package admin
