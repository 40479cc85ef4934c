package clientauth

import (
	"net/http"
	"strings"
)

// Method names how a client authenticated.
type Method string

// The authentication methods.
const (
	// MethodStaticToken is a static bearer token configured for the instance.
	MethodStaticToken Method = "token"
	// MethodClientCredentials is an access token from the instance's
	// token endpoint.
	MethodClientCredentials Method = "client_credentials"
	// MethodJWT is a JWT from an external issuer.
	MethodJWT Method = "jwt"
)

// Grant is what an authenticated request may do.
type Grant struct {
	Method Method
	// Client identifies the credential in logs and audit records: the
	// OAuth client id, or the JWT's subject; empty for a static token.
	Client string
	// ReadOnly limits the request to reads (see Permits).
	ReadOnly bool
}

// Permits reports whether the grant allows a request with this method to
// path, the request path under the instance's base URL. Read-only grants
// allow GET and HEAD, and POST to a .search endpoint, which reads
// (RFC 7644 §3.4.3); Bulk, being a write, is refused.
func (g Grant) Permits(method, path string) bool {
	if !g.ReadOnly {
		return true
	}
	switch method {
	case http.MethodGet, http.MethodHead:
		return true
	case http.MethodPost:
		return strings.HasSuffix(strings.TrimRight(path, "/"), "/.search")
	}
	return false
}
