// Package secrets encrypts secret connector parameters at rest.
//
// Values are sealed with AES-256-GCM (NIST SP 800-38D) under a 32-byte
// key, with a fresh random 96-bit nonce per value, into a versioned text
// envelope:
//
//	enc:v2:<key id>:<base64url(nonce | ciphertext | tag)>
//
// The key id is a short, domain-separated SHA-256 of the key (never the
// key), so that a Keyring holding the current key and older ones knows
// which key opens an envelope, and a rotation can tell values sealed under
// the old key from those sealed under the new one. The envelope's header
// ("enc:v2:<key id>") is authenticated as additional data together with
// a context the caller names (for a connector parameter: the instance and
// the parameter): changing the version or key id of an envelope, or
// moving it to another context, makes it fail to open, like any other
// tampering. Envelopes of version 1, which authenticated the header only,
// still open; a keyring does not count them current, so a rekey rewrites
// them as version 2.
//
// Keys come from a key file (32 raw bytes, 64 hex digits, or base64 of 32
// bytes; surrounding whitespace is ignored) or from an environment
// variable holding the hex or base64 form. Errors name key ids, never keys
// or plaintexts.
package secrets
