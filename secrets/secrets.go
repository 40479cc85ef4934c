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

// version1 is the envelope version this package writes.
const version1 = "v1"

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
func header(id string) string { return Prefix + version1 + ":" + id }

// Encrypt seals plaintext under k.
func (k *Key) Encrypt(plaintext string) (string, error) {
	nonce := make([]byte, nonceSize, nonceSize+len(plaintext)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("secrets: nonce: %w", err)
	}
	h := header(k.id)
	sealed := k.aead.Seal(nonce, nonce, []byte(plaintext), []byte(h))
	return h + ":" + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Decrypt opens an envelope sealed under k.
func (k *Key) Decrypt(envelope string) (string, error) {
	id, sealed, err := split(envelope)
	if err != nil {
		return "", err
	}
	if id != k.id {
		return "", fmt.Errorf("%w: the value is encrypted under key id %s, this key's id is %s", ErrUnknownKey, id, k.id)
	}
	return k.open(sealed)
}

func (k *Key) open(sealed []byte) (string, error) {
	if len(sealed) < nonceSize+k.aead.Overhead() {
		return "", fmt.Errorf("%w: too short", ErrMalformed)
	}
	plain, err := k.aead.Open(nil, sealed[:nonceSize], sealed[nonceSize:], []byte(header(k.id)))
	if err != nil {
		return "", fmt.Errorf("%w under key id %s", ErrTampered, k.id)
	}
	return string(plain), nil
}

// split parses an envelope into its key id and sealed bytes.
func split(envelope string) (id string, sealed []byte, err error) {
	rest, ok := strings.CutPrefix(envelope, Prefix)
	if !ok {
		return "", nil, fmt.Errorf("%w: no %q prefix", ErrMalformed, Prefix)
	}
	parts := strings.Split(rest, ":")
	if len(parts) != 3 {
		return "", nil, fmt.Errorf("%w: want enc:<version>:<key id>:<data>", ErrMalformed)
	}
	if parts[0] != version1 {
		return "", nil, fmt.Errorf("%w: unsupported version %q", ErrMalformed, parts[0])
	}
	sealed, err = base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "", nil, fmt.Errorf("%w: data is not base64url", ErrMalformed)
	}
	return parts[1], sealed, nil
}

// IsEnvelope reports whether s looks like an envelope (of any version):
// values that do not were stored in plaintext.
func IsEnvelope(s string) bool { return strings.HasPrefix(s, Prefix) }

// KeyIDOf returns the key id an envelope names.
func KeyIDOf(envelope string) (string, error) {
	id, _, err := split(envelope)
	return id, err
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

// Encrypt seals plaintext under the current key.
func (r *Keyring) Encrypt(plaintext string) (string, error) { return r.current.Encrypt(plaintext) }

// Decrypt opens an envelope sealed under any key of the keyring.
func (r *Keyring) Decrypt(envelope string) (string, error) {
	id, sealed, err := split(envelope)
	if err != nil {
		return "", err
	}
	k, ok := r.byID[id]
	if !ok {
		return "", fmt.Errorf("%w: the value is encrypted under key id %s, which is not configured (current key id %s)", ErrUnknownKey, id, r.current.id)
	}
	return k.open(sealed)
}

// Current reports whether envelope is sealed under the current key, so
// that a rotation can skip it.
func (r *Keyring) Current(envelope string) bool {
	id, _, err := split(envelope)
	return err == nil && id == r.current.id
}
