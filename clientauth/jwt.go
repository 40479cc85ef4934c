package clientauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// JWTAlgorithms are the signature algorithms accepted from external
// issuers. Symmetric algorithms are excluded on purpose: a public key
// must never be usable as an HMAC secret.
var JWTAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// JWTIssuer is an external issuer whose JWTs an instance accepts as
// bearer tokens (for example a Microsoft Entra tenant).
type JWTIssuer struct {
	// Issuer must equal the token's "iss".
	Issuer string
	// Audience must be one of the token's "aud".
	Audience string
	// JWKSURL serves the issuer's signing keys (RFC 7517 §5).
	JWKSURL string
	// ReadOnly makes the issuer's tokens read-only.
	ReadOnly bool
}

// Validate reports what makes the issuer unusable.
func (c JWTIssuer) Validate() error {
	var errs []error
	if c.Issuer == "" {
		errs = append(errs, errors.New("jwt issuer is required"))
	}
	if c.Audience == "" {
		errs = append(errs, errors.New("jwt audience is required"))
	}
	if u, err := url.Parse(c.JWKSURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("jwt jwks url %q must be an absolute http(s) URL", c.JWKSURL))
	}
	return errors.Join(errs...)
}

// JWTVerifier verifies the JWTs of one external issuer. It is safe for
// concurrent use.
type JWTVerifier struct {
	cfg  JWTIssuer
	keys *KeySet
	now  func() time.Time
}

// NewJWTVerifier returns a verifier of cfg's tokens, fetching its keys
// with opts.
func NewJWTVerifier(cfg JWTIssuer, opts KeySetOptions) (*JWTVerifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ks := NewKeySet(cfg.JWKSURL, opts)
	return &JWTVerifier{cfg: cfg, keys: ks, now: ks.opts.Now}, nil
}

// Issuer returns the verifier's configuration.
func (v *JWTVerifier) Issuer() JWTIssuer { return v.cfg }

// Verify checks a JWT: an accepted algorithm, a valid signature by a key
// of the issuer's JWKS with the token's kid, iss, aud, and exp (required),
// nbf and iat within DefaultClockSkew. It returns the issuer's grant,
// with the token's subject as client. When the JWKS cannot be fetched
// and no cached key applies, the error is ErrKeysUnavailable, not
// ErrInvalidToken.
func (v *JWTVerifier) Verify(ctx context.Context, token string) (Grant, error) {
	tok, err := jwt.ParseSigned(token, JWTAlgorithms)
	if err != nil {
		return Grant{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if len(tok.Headers) != 1 {
		return Grant{}, fmt.Errorf("%w: %d signatures", ErrInvalidToken, len(tok.Headers))
	}
	hdr := tok.Headers[0]
	// Only a token that names this issuer may fetch its keys, and only
	// for such a token is an unreachable JWKS worth a 503: the iss claim
	// is checked again, verified, below.
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return Grant{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if unverified.Issuer != v.cfg.Issuer {
		return Grant{}, fmt.Errorf("%w: issued by %q, not %q", ErrInvalidToken, unverified.Issuer, v.cfg.Issuer)
	}
	keys, err := v.keys.Keys(ctx, hdr.KeyID)
	if errors.Is(err, ErrKeysUnavailable) {
		return Grant{}, err
	}
	if err != nil {
		return Grant{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	var claims jwt.Claims
	verified := false
	for _, key := range keys {
		// A key that names its algorithm is used with that one only
		// (RFC 7517 §4.4).
		if key.Algorithm != "" && key.Algorithm != hdr.Algorithm {
			continue
		}
		if err := tok.Claims(key.Key, &claims); err == nil {
			verified = true
			break
		}
	}
	if !verified {
		return Grant{}, fmt.Errorf("%w: signature does not verify with key %q of %s", ErrInvalidToken, hdr.KeyID, v.cfg.JWKSURL)
	}
	if claims.Expiry == nil {
		return Grant{}, fmt.Errorf("%w: no exp claim", ErrInvalidToken)
	}
	want := jwt.Expected{Issuer: v.cfg.Issuer, AnyAudience: jwt.Audience{v.cfg.Audience}, Time: v.now()}
	if err := claims.ValidateWithLeeway(want, DefaultClockSkew); err != nil {
		return Grant{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return Grant{Method: MethodJWT, Client: claims.Subject, ReadOnly: v.cfg.ReadOnly}, nil
}
