package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// KeySize is the size of a key in bytes: AES-256.
const KeySize = 32

// Prefix starts every envelope of any version.
const Prefix = "enc:"

// Envelope versions: v1 authenticates its header only; v2, which this
// package writes, also authenticates a context (what the value belongs
// to), so that a sealed value copied to another place does not open.
const (
	version1 = "v1"
	version2 = "v2"
)

// nonceSize is the GCM standard nonce size (NIST SP 800-38D §8.2).
const nonceSize = 12

// ErrUnknownKey means an envelope was sealed under a key the keyring does
// not hold; the error text names the envelope's key id.
var ErrUnknownKey = errors.New("secrets: unknown key")

// ErrTampered means an envelope does not authenticate under the key its
// id names: it was altered, or a different key has the same id.
var ErrTampered = errors.New("secrets: envelope does not authenticate")

// ErrMalformed means a value is not a well-formed envelope.
var ErrMalformed = errors.New("secrets: malformed envelope")

// Key is one AES-256 key with its id.
type Key struct {
	id   string
	aead cipher.AEAD
}

// NewKey returns the key of 32 raw bytes.
func NewKey(raw []byte) (*Key, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("secrets: a key is %d bytes, got %d", KeySize, len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return &Key{id: keyID(raw), aead: aead}, nil
}

// keyID is the first 6 bytes of a domain-separated SHA-256 of the key, in
// hex: enough to tell a handful of keys apart, useless to guess the key.
func keyID(raw []byte) string {
	h := sha256.New()
	h.Write([]byte("scimconnect secrets key id\x00"))
	h.Write(raw)
	return hex.EncodeToString(h.Sum(nil)[:6])
}

// ParseKey reads a key in any accepted text or binary form: 32 raw bytes,
// 64 hex digits, or standard or URL base64 (padded or not) of 32 bytes.
// Surrounding whitespace is ignored, except in the raw form.
func ParseKey(data []byte) (*Key, error) {
	if len(data) == KeySize {
		// 32 bytes is never a valid hex or base64 form of a key, so
		// there is no ambiguity.
		return NewKey(data)
	}
	s := strings.TrimSpace(string(data))
	if len(s) == 2*KeySize {
		if raw, err := hex.DecodeString(s); err == nil {
			return NewKey(raw)
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(s); err == nil && len(raw) == KeySize {
			return NewKey(raw)
		}
	}
	// The input is not echoed: it may be a key with a typo.
	return nil, fmt.Errorf("secrets: a key must be %d raw bytes, %d hex digits, or base64 of %d bytes (got %d bytes of something else)", KeySize, 2*KeySize, KeySize, len(data))
}

// LoadKeyFile reads a key file (see ParseKey).
func LoadKeyFile(path string) (*Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secrets: key file: %w", err)
	}
	k, err := ParseKey(data)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

// LoadKeyEnv reads a key from the environment variable name (hex or
// base64; see ParseKey).
func LoadKeyEnv(name string) (*Key, error) {
	v, ok := os.LookupEnv(name)
	if !ok || strings.TrimSpace(v) == "" {
		return nil, fmt.Errorf("secrets: environment variable %s is not set", name)
	}
	k, err := ParseKey([]byte(v))
	if err != nil {
		return nil, fmt.Errorf("environment variable %s: %w", name, err)
	}
	return k, nil
}

// GenerateKey returns a new random key in hex, the form to write to a key
// file or an environment variable.
func GenerateKey() (string, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("secrets: %w", err)
	}
	return hex.EncodeToString(raw), nil
}

// ID returns the key's id, a short hash safe to log.
func (k *Key) ID() string { return k.id }

// header is the authenticated, cleartext start of an envelope.
func header(version, id string) string { return Prefix + version + ":" + id }

// additionalData is what GCM authenticates besides the ciphertext: the
// header, and for v2 the context after a NUL, which neither a header nor
// a context of this package's callers contains.
func additionalData(version, id, context string) []byte {
	h := header(version, id)
	if version == version1 {
		return []byte(h)
	}
	return []byte(h + "\x00" + context)
}

// Encrypt seals plaintext under k, bound to context: the envelope opens
// only with the same context (for a connector parameter, the instance
// and parameter names).
func (k *Key) Encrypt(plaintext, context string) (string, error) {
	nonce := make([]byte, nonceSize, nonceSize+len(plaintext)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("secrets: nonce: %w", err)
	}
	sealed := k.aead.Seal(nonce, nonce, []byte(plaintext), additionalData(version2, k.id, context))
	return header(version2, k.id) + ":" + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Decrypt opens an envelope sealed under k with context. A v1 envelope,
// written before contexts existed, opens whatever the context; a rekey
// rewrites it as v2.
func (k *Key) Decrypt(envelope, context string) (string, error) {
	e, err := split(envelope)
	if err != nil {
		return "", err
	}
	if e.id != k.id {
		return "", fmt.Errorf("%w: the value is encrypted under key id %s, this key's id is %s", ErrUnknownKey, e.id, k.id)
	}
	return k.open(e, context)
}

func (k *Key) open(e envelope, context string) (string, error) {
	if len(e.sealed) < nonceSize+k.aead.Overhead() {
		return "", fmt.Errorf("%w: too short", ErrMalformed)
	}
	plain, err := k.aead.Open(nil, e.sealed[:nonceSize], e.sealed[nonceSize:], additionalData(e.version, k.id, context))
	if err != nil {
		return "", fmt.Errorf("%w under key id %s (or sealed for another place than %q)", ErrTampered, k.id, context)
	}
	return string(plain), nil
}

// envelope is a parsed envelope.
type envelope struct {
	version, id string
	sealed      []byte
}

// split parses an envelope.
func split(s string) (envelope, error) {
	rest, ok := strings.CutPrefix(s, Prefix)
	if !ok {
		return envelope{}, fmt.Errorf("%w: no %q prefix", ErrMalformed, Prefix)
	}
	parts := strings.Split(rest, ":")
	if len(parts) != 3 {
		return envelope{}, fmt.Errorf("%w: want enc:<version>:<key id>:<data>", ErrMalformed)
	}
	if parts[0] != version1 && parts[0] != version2 {
		return envelope{}, fmt.Errorf("%w: unsupported version %q", ErrMalformed, parts[0])
	}
	sealed, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return envelope{}, fmt.Errorf("%w: data is not base64url", ErrMalformed)
	}
	return envelope{version: parts[0], id: parts[1], sealed: sealed}, nil
}

// IsEnvelope reports whether s looks like an envelope (of any version):
// values that do not were stored in plaintext.
func IsEnvelope(s string) bool { return strings.HasPrefix(s, Prefix) }

// KeyIDOf returns the key id an envelope names.
func KeyIDOf(envelope string) (string, error) {
	e, err := split(envelope)
	return e.id, err
}

// Keyring holds the current key, which seals, and older keys, which only
// open: during a rotation values sealed under either are readable.
type Keyring struct {
	current *Key
	byID    map[string]*Key
}

// NewKeyring returns a keyring that seals under current and opens
// envelopes of current and every old key.
func NewKeyring(current *Key, old ...*Key) (*Keyring, error) {
	if current == nil {
		return nil, errors.New("secrets: a keyring needs a current key")
	}
	r := &Keyring{current: current, byID: map[string]*Key{current.id: current}}
	for _, k := range old {
		if k == nil {
			return nil, errors.New("secrets: nil old key")
		}
		r.byID[k.id] = k
	}
	return r, nil
}

// KeyID returns the id of the current key.
func (r *Keyring) KeyID() string { return r.current.id }

// Encrypt seals plaintext under the current key, bound to context.
func (r *Keyring) Encrypt(plaintext, context string) (string, error) {
	return r.current.Encrypt(plaintext, context)
}

// Decrypt opens an envelope sealed under any key of the keyring with
// context (see Key.Decrypt).
func (r *Keyring) Decrypt(envelope, context string) (string, error) {
	e, err := split(envelope)
	if err != nil {
		return "", err
	}
	k, ok := r.byID[e.id]
	if !ok {
		return "", fmt.Errorf("%w: the value is encrypted under key id %s, which is not configured (current key id %s)", ErrUnknownKey, e.id, r.current.id)
	}
	return k.open(e, context)
}

// Current reports whether envelope is sealed under the current key in
// the current envelope version, so that a rotation can skip it.
func (r *Keyring) Current(envelope string) bool {
	e, err := split(envelope)
	return err == nil && e.id == r.current.id && e.version == version2
}
