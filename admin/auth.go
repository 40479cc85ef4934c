package admin

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/scimconnect/scimconnect/clientauth"
	"github.com/scimconnect/scimconnect/config"
	"github.com/scimconnect/scimconnect/gateway"
)

// authSettings are the credentials an instance accepts besides its SCIM
// token, with the keys of a configuration file's `auth:` section. In the
// store a client's secret is kept only as its SHA-256; in responses it
// shows as secretMask.
type authSettings struct {
	TokenReadOnly     bool             `json:"token_read_only,omitempty"`
	ClientCredentials []clientSettings `json:"client_credentials,omitempty"`
	JWT               []jwtSettings    `json:"jwt,omitempty"`
}

type clientSettings struct {
	ClientID           string `json:"client_id"`
	ClientSecret       string `json:"client_secret,omitempty"`
	ClientSecretSHA256 string `json:"client_secret_sha256,omitempty"`
	TokenTTL           string `json:"token_ttl,omitempty"` // a Go duration, e.g. "1h"
	ReadOnly           bool   `json:"read_only,omitempty"`
}

type jwtSettings struct {
	Issuer   string `json:"issuer"`
	Audience string `json:"audience"`
	JWKSURL  string `json:"jwks_url"`
	ReadOnly bool   `json:"read_only,omitempty"`
}

// empty reports whether a configures nothing.
func (a *authSettings) empty() bool {
	return a == nil || (!a.TokenReadOnly && len(a.ClientCredentials) == 0 && len(a.JWT) == 0)
}

// prepareAuth checks auth as sent in a request and returns it as stored:
// every client secret replaced by its SHA-256. A secret sent as
// secretMask keeps the stored hash of the same client id in old.
func (h *Handler) prepareAuth(in, old *authSettings) (*authSettings, error) {
	if in.empty() {
		return nil, nil
	}
	if len(in.ClientCredentials) > 0 && !h.opts.Gateway.IssuesAccessTokens() {
		return nil, &apiError{http.StatusConflict, "no_token_signer", "this gateway was started without an access token signer, so it cannot serve client credentials", "auth.client_credentials"}
	}
	kept := map[string]string{}
	if old != nil {
		for _, c := range old.ClientCredentials {
			kept[c.ClientID] = c.ClientSecretSHA256
		}
	}
	cfg := config.InstanceAuth{TokenReadOnly: in.TokenReadOnly}
	out := &authSettings{TokenReadOnly: in.TokenReadOnly, JWT: in.JWT}
	for i, c := range in.ClientCredentials {
		field := fmt.Sprintf("auth.client_credentials[%d]", i)
		var ttl time.Duration
		if c.TokenTTL != "" {
			d, err := time.ParseDuration(c.TokenTTL)
			if err != nil {
				return nil, badRequest("invalid_value", field+".token_ttl", "token_ttl %q is not a duration such as \"1h\" or \"15m\"", c.TokenTTL)
			}
			ttl = d
		}
		if c.ClientSecret == secretMask {
			hash, ok := kept[c.ClientID]
			if !ok {
				return nil, badRequest("invalid_value", field+".client_secret", "client %q has no stored secret to keep: send the secret", c.ClientID)
			}
			c.ClientSecret, c.ClientSecretSHA256 = "", hash
		}
		cfg.ClientCredentials = append(cfg.ClientCredentials, config.Client{
			ClientID: c.ClientID, ClientSecret: c.ClientSecret, ClientSecretSHA256: c.ClientSecretSHA256,
			TokenTTL: ttl, ReadOnly: c.ReadOnly,
		})
		if c.ClientSecret != "" {
			sum := clientauth.HashSecret(c.ClientSecret)
			c.ClientSecret, c.ClientSecretSHA256 = "", hex.EncodeToString(sum)
		}
		out.ClientCredentials = append(out.ClientCredentials, c)
	}
	for _, j := range in.JWT {
		cfg.JWT = append(cfg.JWT, config.JWTIssuer{Issuer: j.Issuer, Audience: j.Audience, JWKSURL: j.JWKSURL, ReadOnly: j.ReadOnly})
	}
	if problems := cfg.Problems("auth"); len(problems) > 0 {
		field, msg, _ := strings.Cut(problems[0], ": ")
		return nil, badRequest("invalid_value", field, "%s", msg)
	}
	return out, nil
}

// apply sets the credentials of a, as stored, on s.
func (a *authSettings) apply(s *gateway.InstanceSpec) error {
	if a == nil {
		return nil
	}
	cfg := config.InstanceAuth{TokenReadOnly: a.TokenReadOnly}
	for _, c := range a.ClientCredentials {
		var ttl time.Duration
		if c.TokenTTL != "" {
			var err error
			if ttl, err = time.ParseDuration(c.TokenTTL); err != nil {
				return fmt.Errorf("client %q: token_ttl: %w", c.ClientID, err)
			}
		}
		cfg.ClientCredentials = append(cfg.ClientCredentials, config.Client{ClientID: c.ClientID, ClientSecretSHA256: c.ClientSecretSHA256, TokenTTL: ttl, ReadOnly: c.ReadOnly})
	}
	for _, j := range a.JWT {
		cfg.JWT = append(cfg.JWT, config.JWTIssuer{Issuer: j.Issuer, Audience: j.Audience, JWKSURL: j.JWKSURL, ReadOnly: j.ReadOnly})
	}
	return ApplyAuth(s, cfg)
}

// ApplyAuth sets on s the credentials of a configuration file's (or the
// API's) auth section: the read-only flag of the static token, OAuth
// clients with their secrets hashed (or the given SHA-256), and JWT
// issuers. Both kinds of instance go through it, so they accept exactly
// the same credentials.
func ApplyAuth(s *gateway.InstanceSpec, a config.InstanceAuth) error {
	s.TokenReadOnly = a.TokenReadOnly
	for _, c := range a.ClientCredentials {
		hash := clientauth.HashSecret(c.ClientSecret)
		if c.ClientSecretSHA256 != "" {
			var err error
			if hash, err = hex.DecodeString(c.ClientSecretSHA256); err != nil {
				return fmt.Errorf("client %q: client_secret_sha256: %w", c.ClientID, err)
			}
		}
		s.Clients = append(s.Clients, clientauth.Client{ID: c.ClientID, SecretHash: hash, TokenTTL: c.TokenTTL, ReadOnly: c.ReadOnly})
	}
	for _, j := range a.JWT {
		s.JWTIssuers = append(s.JWTIssuers, clientauth.JWTIssuer{Issuer: j.Issuer, Audience: j.Audience, JWKSURL: j.JWKSURL, ReadOnly: j.ReadOnly})
	}
	return nil
}

// masked returns a as responses show it: no secret, no secret hash.
func (a *authSettings) masked() *authSettings {
	if a.empty() {
		return nil
	}
	out := &authSettings{TokenReadOnly: a.TokenReadOnly, JWT: a.JWT}
	for _, c := range a.ClientCredentials {
		c.ClientSecret, c.ClientSecretSHA256 = secretMask, ""
		out.ClientCredentials = append(out.ClientCredentials, c)
	}
	return out
}

// specAuth returns the credentials of a mounted spec (a configuration
// file's instance) as responses show them.
func specAuth(s gateway.InstanceSpec) *authSettings {
	a := &authSettings{TokenReadOnly: s.TokenReadOnly}
	for _, c := range s.Clients {
		ttl := ""
		if c.TokenTTL != 0 {
			ttl = c.TokenTTL.String()
		}
		a.ClientCredentials = append(a.ClientCredentials, clientSettings{ClientID: c.ID, ClientSecret: secretMask, TokenTTL: ttl, ReadOnly: c.ReadOnly})
	}
	for _, j := range s.JWTIssuers {
		a.JWT = append(a.JWT, jwtSettings{Issuer: j.Issuer, Audience: j.Audience, JWKSURL: j.JWKSURL, ReadOnly: j.ReadOnly})
	}
	if a.empty() {
		return nil
	}
	return a
}
