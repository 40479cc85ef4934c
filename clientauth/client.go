package clientauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"
)

// Token lifetimes of client credentials.
const (
	// DefaultTokenTTL is the lifetime of an access token when the client
	// sets none.
	DefaultTokenTTL = time.Hour
	// MaxTokenTTL bounds a client's TokenTTL: access tokens cannot be
	// revoked one by one, only by removing the client or changing its
	// secret.
	MaxTokenTTL = 24 * time.Hour
)

// Client is an OAuth 2.0 client allowed to obtain access tokens for one
// instance with the client credentials grant (RFC 6749 §4.4).
type Client struct {
	// ID is the client identifier (RFC 6749 §2.2).
	ID string
	// SecretHash is the SHA-256 of the client secret (see HashSecret);
	// the secret itself is never kept.
	SecretHash []byte
	// TokenTTL is the lifetime of the access tokens issued to the client
	// (DefaultTokenTTL when zero, at most MaxTokenTTL).
	TokenTTL time.Duration
	// ReadOnly makes the client's tokens read-only.
	ReadOnly bool
}

// HashSecret returns the SHA-256 of a client secret, as Client.SecretHash
// holds it. Secrets are random and long, so a fast hash suffices.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Validate reports what makes the client unusable.
func (c Client) Validate() error {
	var errs []error
	if c.ID == "" {
		errs = append(errs, errors.New("client id is required"))
	}
	if len(c.SecretHash) != sha256.Size {
		errs = append(errs, fmt.Errorf("client %q: a SHA-256 secret hash is required", c.ID))
	}
	if c.TokenTTL < 0 || c.TokenTTL > MaxTokenTTL {
		errs = append(errs, fmt.Errorf("client %q: token ttl %s must be between 0 and %s", c.ID, c.TokenTTL, MaxTokenTTL))
	}
	return errors.Join(errs...)
}

// ValidateClients validates each client and that their ids are distinct.
func ValidateClients(clients []Client) error {
	var errs []error
	seen := map[string]bool{}
	for _, c := range clients {
		if err := c.Validate(); err != nil {
			errs = append(errs, err)
		}
		if seen[c.ID] {
			errs = append(errs, fmt.Errorf("client %q is configured twice", c.ID))
		}
		seen[c.ID] = true
	}
	return errors.Join(errs...)
}

func (c Client) ttl() time.Duration {
	if c.TokenTTL <= 0 {
		return DefaultTokenTTL
	}
	return c.TokenTTL
}

// secretTag binds an access token to the secret it was obtained with, so
// that changing a client's secret revokes the tokens issued before.
func (c Client) secretTag() string {
	h := sha256.Sum256(append([]byte("scimconnect access token\x00"), c.SecretHash...))
	return fmt.Sprintf("%x", h[:8])
}

// AuthenticateClient returns the client of clients with this id and
// secret. Every client is compared, in constant time, so the answer's
// timing tells nothing about which ids exist.
func AuthenticateClient(clients []Client, id, secret string) (Client, bool) {
	idHash := sha256.Sum256([]byte(id))
	secretHash := sha256.Sum256([]byte(secret))
	found := -1
	for i, c := range clients {
		cid := sha256.Sum256([]byte(c.ID))
		match := subtle.ConstantTimeCompare(cid[:], idHash[:]) & subtle.ConstantTimeCompare(c.SecretHash, secretHash[:])
		if match == 1 {
			found = i
		}
	}
	if found < 0 {
		return Client{}, false
	}
	return clients[found], true
}

// clientByID returns the client with this id.
func clientByID(clients []Client, id string) (Client, bool) {
	for _, c := range clients {
		if c.ID == id {
			return c, true
		}
	}
	return Client{}, false
}
