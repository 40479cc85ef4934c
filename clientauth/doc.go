// Package clientauth authenticates SCIM clients to a connector instance
// by the means real provisioning clients use, besides the static bearer
// token the gateway checks itself:
//
//   - OAuth 2.0 client credentials (RFC 6749 §4.4), as One Identity
//     Manager does: a client presents its id and secret at the instance's
//     token endpoint and receives a short-lived access token, a JWT
//     (RFC 7519) signed by the gateway's key (Signer) with the instance as
//     its audience. Replicas sharing the key accept each other's tokens.
//     Secrets are kept only as SHA-256 hashes and compared in constant
//     time.
//   - JWTs from an external issuer, as Microsoft Entra can send: the
//     signature (RS256 or ES256) is checked against the issuer's JWKS
//     (RFC 7517), fetched with a timeout, cached, and refetched, at a
//     limited rate, when a token names an unknown key; iss, aud, exp,
//     nbf and iat are checked with a small clock skew. A token is checked
//     only against the verifier of the issuer it names. When that
//     issuer's JWKS cannot be fetched and no cached key applies, Verify
//     returns ErrKeysUnavailable: the gateway then answers 503 with
//     Retry-After rather than 401, since the credential may be good.
//
// Every credential can be read-only: its Grant then permits only reads
// (GET, and POST to .search, RFC 7644 §3.4.3). The package holds no HTTP
// routing and no rate limiting; the gateway does both.
package clientauth
