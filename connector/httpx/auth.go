package httpx

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"time"
)

// Authenticator adds credentials to one attempt of a target call. The
// client calls Authorize on every attempt, after the request is built and
// before it is sent, with the attempt's context.
//
// Implementations must be safe for concurrent use and must never put
// credentials into returned errors.
type Authenticator interface {
	Authorize(ctx context.Context, req *http.Request) error
}

// AuthenticatorFunc adapts a function to Authenticator, for schemes this
// package doesn't provide (e.g. request signing).
type AuthenticatorFunc func(ctx context.Context, req *http.Request) error

// Authorize calls f.
func (f AuthenticatorFunc) Authorize(ctx context.Context, req *http.Request) error {
	return f(ctx, req)
}

// Optional interfaces an Authenticator may implement; they are unexported
// because only this package's strategies need them.
type (
	// secretHolder lists the strings that must never leave the process in
	// logs, error texts or SCIM error details.
	secretHolder interface{ secrets() []string }
	// invalidator drops a cached credential the target rejected with 401;
	// authorization is the Authorization header of the rejected attempt.
	invalidator interface{ invalidate(authorization string) }
	// binder receives the client's transport settings when a Client is
	// built with the authenticator.
	binder interface{ bind(b binding) error }
)

// binding is what a Client hands its authenticator.
type binding struct {
	transport     http.RoundTripper
	timeout       time.Duration
	allowInsecure bool
}

const redacted = "[REDACTED]"

// headerToken sets a fixed header value.
type headerToken struct {
	header string
	value  string   // prefix + token
	values []string // {value}, shared by every request (never modified)
	hidden []string // every form of the credential
}

// HeaderToken returns an Authenticator that sets header to prefix + " " +
// token, or to token alone when prefix is empty: HeaderToken("Authorization",
// "SSWS", t) for Okta API tokens, HeaderToken("X-COUPA-API-KEY", "", k) for
// Coupa's legacy API keys.
func HeaderToken(header, prefix, token string) Authenticator {
	value := token
	if prefix != "" {
		value = prefix + " " + token
	}
	return &headerToken{header: http.CanonicalHeaderKey(header), value: value, values: []string{value}, hidden: []string{value, token}}
}

// Bearer returns an Authenticator that sends "Authorization: Bearer token"
// (RFC 6750 §2.1) with a static token.
func Bearer(token string) Authenticator {
	return HeaderToken("Authorization", "Bearer", token)
}

// Basic returns an Authenticator that sends HTTP Basic credentials (RFC 7617).
// Azure DevOps takes a personal access token as the password with an empty
// user: Basic("", pat).
func Basic(user, password string) Authenticator {
	encoded := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	value := "Basic " + encoded
	return &headerToken{header: "Authorization", value: value, values: []string{value}, hidden: []string{encoded, password}}
}

// Authorize sets the header.
func (h *headerToken) Authorize(_ context.Context, req *http.Request) error {
	req.Header[h.header] = h.values
	return nil
}

func (h *headerToken) secrets() []string { return h.hidden }

// String hides the credential so that printing a Config is safe.
func (h *headerToken) String() string { return "httpx.HeaderToken(" + h.header + ", " + redacted + ")" }

// GoString hides the credential for %#v.
func (h *headerToken) GoString() string { return h.String() }

// LogValue hides the credential in structured logs.
func (h *headerToken) LogValue() slog.Value { return slog.StringValue(h.String()) }
