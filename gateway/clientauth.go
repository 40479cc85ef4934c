package gateway

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scimconnect/scimconnect/clientauth"
	"github.com/scimconnect/scimconnect/metrics"
	"github.com/scimconnect/scimconnect/scim/provider"
)

// tokenEndpoint is the path of an instance's OAuth 2.0 token endpoint
// under /scim/{instance}/. It sits beside v2, not under it, because it is
// not part of the SCIM protocol and takes no bearer token.
const tokenEndpoint = "oauth/token"

// instanceAuth holds the credentials an instance accepts besides the
// static token hash (which stays in instance.tokenHash so that
// SetTokenHash can swap it alone).
type instanceAuth struct {
	tokenReadOnly bool
	clients       []clientauth.Client
	verifiers     []*clientauth.JWTVerifier
}

// TokenURL returns the OAuth 2.0 token endpoint of an instance.
func (g *Gateway) TokenURL(name string) string {
	return g.opts.PublicURL + "/scim/" + name + "/" + tokenEndpoint
}

// IssuesAccessTokens reports whether the gateway can serve the client
// credentials grant (Options.AccessTokens is set).
func (g *Gateway) IssuesAccessTokens() bool { return g.opts.AccessTokens != nil }

// newInstanceAuth checks and prepares the credentials of spec.
func (g *Gateway) newInstanceAuth(spec InstanceSpec) (*instanceAuth, error) {
	if len(spec.TokenHash) != 0 && len(spec.TokenHash) != sha256.Size {
		return nil, errors.New("the token hash must be a SHA-256")
	}
	if len(spec.TokenHash) == 0 && len(spec.Clients) == 0 && len(spec.JWTIssuers) == 0 {
		return nil, errors.New("a SHA-256 token hash is required, or clients or JWT issuers")
	}
	a := &instanceAuth{tokenReadOnly: spec.TokenReadOnly}
	if len(spec.Clients) > 0 {
		if g.opts.AccessTokens == nil {
			return nil, errors.New("clients need an access token key (gateway.Options.AccessTokens)")
		}
		if err := clientauth.ValidateClients(spec.Clients); err != nil {
			return nil, err
		}
		a.clients = append([]clientauth.Client(nil), spec.Clients...)
	}
	jwks := g.opts.JWKS
	if jwks.Now == nil {
		jwks.Now = func() time.Time { return g.now() }
	}
	for i, iss := range spec.JWTIssuers {
		v, err := clientauth.NewJWTVerifier(iss, jwks)
		if err != nil {
			return nil, fmt.Errorf("jwt issuer %d: %w", i, err)
		}
		a.verifiers = append(a.verifiers, v)
	}
	return a, nil
}

// authSchemes lists in /ServiceProviderConfig exactly the schemes spec
// enables (RFC 7643 §5, authenticationSchemes), the first as primary.
func (g *Gateway) authSchemes(spec InstanceSpec) []provider.AuthScheme {
	var schemes []provider.AuthScheme
	if len(spec.TokenHash) != 0 {
		s := provider.BearerTokenScheme
		if spec.TokenReadOnly {
			s.Description += " The token is read-only."
		}
		schemes = append(schemes, s)
	}
	if len(spec.Clients) > 0 {
		schemes = append(schemes, provider.AuthScheme{
			Type: "oauthbearertoken",
			Name: "OAuth 2.0 Client Credentials",
			Description: "Bearer access token from the token endpoint " + g.TokenURL(spec.Name) +
				" (POST grant_type=client_credentials, client id and secret in HTTP Basic or the form; RFC 6749 §4.4), valid for this instance only.",
			SpecURI: "https://www.rfc-editor.org/info/rfc6749",
		})
	}
	for _, iss := range spec.JWTIssuers {
		schemes = append(schemes, provider.AuthScheme{
			Type:        "oauthbearertoken",
			Name:        "OAuth Bearer Token (JWT)",
			Description: fmt.Sprintf("JWT bearer token (RS256 or ES256) issued by %s for audience %s.", iss.Issuer, iss.Audience),
			SpecURI:     "https://www.rfc-editor.org/info/rfc7519",
		})
	}
	for i := range schemes {
		schemes[i].Primary = i == 0
	}
	return schemes
}

// errUnauthenticated means no credential of the instance matched.
var errUnauthenticated = errors.New("no credential matched")

// authenticate checks the request's bearer token against the instance's
// credentials: the static token first (the cheap, common case), then, for
// tokens shaped like a JWT, the gateway's access tokens and the external
// issuers. The error is errUnauthenticated, or wraps
// clientauth.ErrKeysUnavailable when a JWT names a configured issuer
// whose keys cannot be fetched: the credential could not be checked,
// which is not the client's fault.
func (g *Gateway) authenticate(r *http.Request, in *instance) (clientauth.Grant, error) {
	token, ok := bearerToken(r)
	if !ok {
		return clientauth.Grant{}, errUnauthenticated
	}
	a := in.auth
	if len(in.tokenHash) != 0 && tokenMatches(token, in.tokenHash) {
		return clientauth.Grant{Method: clientauth.MethodStaticToken, ReadOnly: a != nil && a.tokenReadOnly}, nil
	}
	if a == nil || strings.Count(token, ".") != 2 {
		return clientauth.Grant{}, errUnauthenticated
	}
	if len(a.clients) > 0 && g.opts.AccessTokens != nil {
		grant, err := g.opts.AccessTokens.Verify(token, in.name, a.clients, g.now())
		if err == nil {
			return grant, nil
		}
		g.log.Debug("access token refused", "instance", in.name, "reason", err)
	}
	var unavailable error
	for _, v := range a.verifiers {
		grant, err := v.Verify(r.Context(), token)
		if err == nil {
			return grant, nil
		}
		if errors.Is(err, clientauth.ErrKeysUnavailable) {
			unavailable = err
			continue
		}
		g.log.Debug("jwt refused", "instance", in.name, "issuer", v.Issuer().Issuer, "reason", err)
	}
	if unavailable != nil {
		g.log.Warn("jwt not checked: issuer keys unavailable", "instance", in.name, "reason", unavailable)
		return clientauth.Grant{}, unavailable
	}
	return clientauth.Grant{}, errUnauthenticated
}

// keysUnavailableRetry is the Retry-After of a 503 for an unreachable
// JWKS; the key set refetches at most once per MinRefresh anyway.
const keysUnavailableRetry = 30 * time.Second

// serveToken serves an instance's OAuth 2.0 token endpoint (RFC 6749
// §4.4). An unknown instance, or one without clients, answers like a
// wrong secret, and every failed client authentication takes from the
// address's failure budget, as a wrong bearer token does.
//
// With a, it notes for the audit record the client: the one authenticated,
// or, for a failure, the client id tried when the instance has a client of
// that id (a guessed id is not recorded: it is the caller's free text).
func (g *Gateway) serveToken(w http.ResponseWriter, r *http.Request, in *instance, name string, obs *metrics.Observer, a *auditReq) {
	req, oerr := clientauth.ParseTokenRequest(w, r)
	if oerr != nil && oerr.Code != clientauth.ErrCodeInvalidClient {
		clientauth.WriteTokenError(w, oerr)
		return
	}
	var client clientauth.Client
	ok := false
	if oerr == nil && in != nil && in.auth != nil && len(in.auth.clients) > 0 && g.opts.AccessTokens != nil {
		client, ok = clientauth.AuthenticateClient(in.auth.clients, req.ClientID, req.ClientSecret)
	}
	if a != nil {
		a.denied = !ok
		if ok {
			a.client = client.ID
		} else if in != nil && in.auth != nil && req.ClientID != "" {
			for _, c := range in.auth.clients {
				if c.ID == req.ClientID {
					a.client = c.ID
				}
			}
		}
	}
	if !ok {
		if wait, blocked := g.failure(r, obs); blocked {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)))
			clientauth.WriteTokenError(w, &clientauth.OAuthError{
				Status: http.StatusTooManyRequests, Code: clientauth.ErrCodeInvalidClient,
				Description: fmt.Sprintf("too many failed authentications from this address; retry after %s", wait),
			})
			return
		}
		clientauth.WriteTokenError(w, clientauth.InvalidClient())
		return
	}
	token, ttl, err := g.opts.AccessTokens.Issue(name, client, g.now())
	if err != nil {
		g.log.Error("token endpoint: issuing an access token", "instance", name, "client", client.ID, "error", err)
		clientauth.WriteTokenError(w, &clientauth.OAuthError{Status: http.StatusInternalServerError, Code: "server_error"})
		return
	}
	g.log.Info("access token issued", "instance", name, "client", client.ID, "ttl", ttl)
	clientauth.WriteToken(w, clientauth.NewTokenResponse(token, ttl))
}

// bearerToken returns the token of "Authorization: Bearer <token>".
func bearerToken(r *http.Request) (string, bool) {
	scheme, token := authorization(r)
	return token, strings.EqualFold(scheme, "Bearer") && token != ""
}

// authorization splits r's Authorization header into its scheme and
// credentials ("" when absent).
func authorization(r *http.Request) (scheme, credentials string) {
	scheme, credentials, _ = strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	return scheme, strings.TrimSpace(credentials)
}

// tokenMatches compares a token with a stored SHA-256 in constant time.
func tokenMatches(token string, want []byte) bool {
	got := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(got[:], want) == 1
}
