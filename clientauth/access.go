package clientauth

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// AccessTokenIssuer is the "iss" of the access tokens the gateway issues.
const AccessTokenIssuer = "scimconnect"

// DefaultClockSkew is the leeway allowed on exp, nbf and iat, for clocks
// of replicas and issuers that disagree a little.
const DefaultClockSkew = time.Minute

// MinHMACKeySize is the least HMAC key size NewHMACSigner accepts: the
// size of the SHA-256 output (RFC 7518 §3.2).
const MinHMACKeySize = 32

// ErrInvalidToken is wrapped by every error of a token that is not
// accepted.
var ErrInvalidToken = errors.New("invalid token")

// Signer issues and verifies the access tokens of the client credentials
// grant: JWTs (RFC 7519) with iss AccessTokenIssuer, aud the instance,
// sub the client id, exp, iat and jti. Gateways holding the same key
// accept each other's tokens. A Signer is safe for concurrent use.
type Signer struct {
	alg       jose.SignatureAlgorithm
	signer    jose.Signer
	verifyKey any
}

// NewHMACSigner returns a Signer using HMAC-SHA256 (HS256) with key,
// which must have at least MinHMACKeySize bytes (see DeriveKey).
func NewHMACSigner(key []byte) (*Signer, error) {
	if len(key) < MinHMACKeySize {
		return nil, fmt.Errorf("access token key: %d bytes, at least %d required", len(key), MinHMACKeySize)
	}
	key = append([]byte(nil), key...)
	return newSigner(jose.HS256, key, key)
}

// NewEd25519Signer returns a Signer using Ed25519 (EdDSA, RFC 8037).
func NewEd25519Signer(key ed25519.PrivateKey) (*Signer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("access token key: an Ed25519 private key has %d bytes, not %d", ed25519.PrivateKeySize, len(key))
	}
	return newSigner(jose.EdDSA, key, key.Public())
}

func newSigner(alg jose.SignatureAlgorithm, signKey, verifyKey any) (*Signer, error) {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: signKey}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("access token signer: %w", err)
	}
	return &Signer{alg: alg, signer: s, verifyKey: verifyKey}, nil
}

// DeriveKey derives the access token HMAC key from a longer-lived secret
// (for example the store-wide key that signs cursors) with HKDF-SHA256
// (RFC 5869), so that the two uses never share a key.
func DeriveKey(secret []byte) ([]byte, error) {
	if len(secret) < MinHMACKeySize {
		return nil, fmt.Errorf("derive access token key: secret has %d bytes, at least %d required", len(secret), MinHMACKeySize)
	}
	key, err := hkdf.Key(sha256.New, secret, nil, "scimconnect access tokens v1", MinHMACKeySize)
	if err != nil {
		return nil, fmt.Errorf("derive access token key: %w", err)
	}
	return key, nil
}

// accessClaims are the claims of an issued access token; SecretTag
// ("cv") ties it to the client secret it was obtained with.
type accessClaims struct {
	jwt.Claims
	SecretTag string `json:"cv"`
}

// Issue returns a signed access token for client on instance, valid
// from now for the client's TokenTTL, and its lifetime.
func (s *Signer) Issue(instance string, client Client, now time.Time) (token string, ttl time.Duration, err error) {
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", 0, fmt.Errorf("issue access token: %w", err)
	}
	ttl = client.ttl()
	c := accessClaims{
		Claims: jwt.Claims{
			Issuer:   AccessTokenIssuer,
			Subject:  client.ID,
			Audience: jwt.Audience{instance},
			IssuedAt: jwt.NewNumericDate(now),
			Expiry:   jwt.NewNumericDate(now.Add(ttl)),
			ID:       hex.EncodeToString(jti),
		},
		SecretTag: client.secretTag(),
	}
	token, err = jwt.Signed(s.signer).Claims(c).Serialize()
	if err != nil {
		return "", 0, fmt.Errorf("issue access token: %w", err)
	}
	return token, ttl, nil
}

// Verify checks an access token presented to instance at now: signature,
// issuer, audience, expiry, and that its client is still one of clients
// with the same secret. It returns the client's grant.
func (s *Signer) Verify(token, instance string, clients []Client, now time.Time) (Grant, error) {
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{s.alg})
	if err != nil {
		return Grant{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	var c accessClaims
	if err := tok.Claims(s.verifyKey, &c); err != nil {
		return Grant{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if c.Expiry == nil {
		return Grant{}, fmt.Errorf("%w: no exp claim", ErrInvalidToken)
	}
	want := jwt.Expected{Issuer: AccessTokenIssuer, AnyAudience: jwt.Audience{instance}, Time: now}
	if err := c.ValidateWithLeeway(want, DefaultClockSkew); err != nil {
		return Grant{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	client, ok := clientByID(clients, c.Subject)
	if !ok {
		return Grant{}, fmt.Errorf("%w: client %q is not configured for instance %q", ErrInvalidToken, c.Subject, instance)
	}
	if c.SecretTag != client.secretTag() {
		return Grant{}, fmt.Errorf("%w: client %q changed its secret since the token was issued", ErrInvalidToken, c.Subject)
	}
	return Grant{Method: MethodClientCredentials, Client: client.ID, ReadOnly: client.ReadOnly}, nil
}
