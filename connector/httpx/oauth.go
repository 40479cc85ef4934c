package httpx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/scimconnect/scimconnect/scim"
)

// ClientCredentialsConfig configures the OAuth 2.0 client credentials grant
// (RFC 6749 §4.4), as used by PingOne worker apps and Coupa.
type ClientCredentialsConfig struct {
	// TokenURL is the token endpoint. Token requests may go to its host
	// only: configuring it is what allows that host.
	TokenURL     string
	ClientID     string
	ClientSecret string
	// Scopes are sent space-separated in the scope parameter.
	Scopes []string
	// EndpointParams are extra form parameters for the token request.
	EndpointParams url.Values
	// AuthStyle says where the client id and secret go:
	// oauth2.AuthStyleInParams (form body, client_secret_post) or
	// oauth2.AuthStyleInHeader (HTTP Basic, client_secret_basic). The zero
	// value tries the header, then the body, and remembers what worked.
	AuthStyle oauth2.AuthStyle
}

// String hides the client secret.
func (c ClientCredentialsConfig) String() string {
	return fmt.Sprintf("{TokenURL:%s ClientID:%s ClientSecret:%s Scopes:%v}", redactURL(c.TokenURL), c.ClientID, redacted, c.Scopes)
}

// GoString hides the client secret for %#v.
func (c ClientCredentialsConfig) GoString() string {
	return "httpx.ClientCredentialsConfig" + c.String()
}

// RefreshTokenConfig configures the OAuth 2.0 refresh token grant (RFC 6749
// §6) for targets whose admin APIs only accept user-consented tokens, such
// as GoTo, where an administrator's long-lived refresh token is configured.
type RefreshTokenConfig struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
	RefreshToken string
	Scopes       []string
	// AuthStyle: see ClientCredentialsConfig.AuthStyle.
	AuthStyle oauth2.AuthStyle
}

// String hides the client secret and the refresh token.
func (c RefreshTokenConfig) String() string {
	return fmt.Sprintf("{TokenURL:%s ClientID:%s ClientSecret:%s RefreshToken:%s Scopes:%v}", redactURL(c.TokenURL), c.ClientID, redacted, redacted, c.Scopes)
}

// GoString hides the secrets for %#v.
func (c RefreshTokenConfig) GoString() string { return "httpx.RefreshTokenConfig" + c.String() }

// ClientCredentials returns an Authenticator that obtains access tokens
// with the client credentials grant and sends them as "Authorization:
// Bearer" (RFC 6750 §2.1). Tokens are cached and refreshed shortly before
// they expire by golang.org/x/oauth2; a 401 from the target drops the
// cached token so that the client's single retry uses a fresh one.
//
// One authenticator may be shared by several clients of the same target
// (Azure DevOps' two hosts); they then share the token. The first client
// built with it supplies the transport for token requests.
func ClientCredentials(cfg ClientCredentialsConfig) Authenticator {
	cc := &clientcredentials.Config{
		ClientID:       cfg.ClientID,
		ClientSecret:   cfg.ClientSecret,
		TokenURL:       cfg.TokenURL,
		Scopes:         append([]string(nil), cfg.Scopes...),
		EndpointParams: cfg.EndpointParams,
		AuthStyle:      cfg.AuthStyle,
	}
	return &oauthAuth{
		kind:     "ClientCredentials",
		tokenURL: cfg.TokenURL,
		fixed:    []string{cfg.ClientSecret},
		newSource: func(ctx context.Context, _ string) oauth2.TokenSource {
			return cc.TokenSource(ctx)
		},
	}
}

// RefreshToken returns an Authenticator that obtains access tokens with the
// refresh token grant, keeping the newest refresh token the server returns
// (in memory only). Caching, refresh and 401 handling are as for
// ClientCredentials.
func RefreshToken(cfg RefreshTokenConfig) Authenticator {
	oc := &oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		Endpoint:     oauth2.Endpoint{TokenURL: cfg.TokenURL, AuthStyle: cfg.AuthStyle},
		Scopes:       append([]string(nil), cfg.Scopes...),
	}
	return &oauthAuth{
		kind:     "RefreshToken",
		tokenURL: cfg.TokenURL,
		fixed:    []string{cfg.ClientSecret, cfg.RefreshToken},
		refresh:  cfg.RefreshToken,
		newSource: func(ctx context.Context, refresh string) oauth2.TokenSource {
			return oc.TokenSource(ctx, &oauth2.Token{RefreshToken: refresh})
		},
	}
}

// recentTokens is how many issued access tokens are remembered for
// redaction (a target may echo a token that was just replaced).
const recentTokens = 4

// oauthAuth is the OAuth 2.0 Authenticator: golang.org/x/oauth2 does the
// token requests, caching and expiry; this type pins the token endpoint,
// honours the caller's context, drops a token the target rejected and
// keeps token material out of errors.
type oauthAuth struct {
	kind      string
	tokenURL  string
	fixed     []string // client secret, initial refresh token
	newSource func(ctx context.Context, refresh string) oauth2.TokenSource

	mu      sync.Mutex
	client  *http.Client       // token endpoint client, set by bind
	src     oauth2.TokenSource // nil after invalidate
	current string             // access token handed out last
	issued  []string           // recent access tokens, for redaction
	refresh string             // newest refresh token
}

func (a *oauthAuth) bind(b binding) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.client != nil {
		return nil // shared by several clients: the first one's transport
	}
	u, err := checkURL(a.tokenURL, b.allowInsecure)
	if err != nil {
		return fmt.Errorf("token endpoint: %w", err)
	}
	base := b.transport
	if base == nil {
		base = http.DefaultTransport
	}
	pin := target{scheme: u.Scheme, host: hostKey(u)}
	a.client = &http.Client{
		Transport: &pinnedTransport{base: base, allowed: pin},
		Timeout:   b.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return errors.New("token endpoint redirects are not followed")
		},
	}
	return nil
}

// Authorize sets "Authorization: Bearer <access token>", fetching a token
// first when none is cached or it is about to expire.
func (a *oauthAuth) Authorize(ctx context.Context, req *http.Request) error {
	src, err := a.source()
	if err != nil {
		return callError(err, false, scim.Errorf(http.StatusBadGateway, "", "the target's token endpoint is misconfigured"))
	}
	type result struct {
		tok *oauth2.Token
		err error
	}
	// The oauth2 token source has no per-call context; fetching in a
	// goroutine lets the caller's context win while the fetch (bounded by
	// the token client's timeout) still fills the cache.
	ch := make(chan result, 1)
	go func() {
		tok, err := src.Token()
		ch <- result{tok, err}
	}()
	var r result
	select {
	case <-ctx.Done():
		return callError(fmt.Errorf("fetch oauth2 token: %w", ctx.Err()), true, unavailable("the target's token endpoint did not answer in time; try again later", 0))
	case r = <-ch:
	}
	if r.err != nil {
		return a.tokenError(r.err)
	}
	a.mu.Lock()
	if r.tok.AccessToken != a.current {
		a.current = r.tok.AccessToken
		a.issued = append(a.issued, r.tok.AccessToken)
		if len(a.issued) > recentTokens {
			a.issued = a.issued[1:]
		}
	}
	if r.tok.RefreshToken != "" {
		a.refresh = r.tok.RefreshToken
	}
	a.mu.Unlock()
	r.tok.SetAuthHeader(req)
	return nil
}

func (a *oauthAuth) source() (oauth2.TokenSource, error) {
	if err := a.bind(binding{timeout: defaultTimeout}); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.src == nil {
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, a.client)
		a.src = a.newSource(ctx, a.refresh)
	}
	return a.src, nil
}

// invalidate drops the cached token if it is the one the target rejected;
// when concurrent calls are rejected with the same token only the first
// causes a new fetch.
func (a *oauthAuth) invalidate(authorization string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.current != "" && strings.HasSuffix(authorization, " "+a.current) {
		a.src = nil
		a.current = ""
	}
}

func (a *oauthAuth) secrets() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := append([]string(nil), a.fixed...)
	out = append(out, a.issued...)
	return append(out, a.refresh)
}

// tokenError turns an oauth2 error into a TargetError whose text holds
// neither the token endpoint's response body nor the request's secrets.
func (a *oauthAuth) tokenError(err error) error {
	where := "token endpoint " + redactURL(a.tokenURL)
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		msg := fmt.Sprintf("%s returned HTTP %d", where, status)
		if code := oauthErrorCode(re.ErrorCode); code != "" {
			msg += " (" + code + ")"
		}
		cause := errors.New(msg)
		if status == http.StatusTooManyRequests || status >= 500 {
			return callError(cause, true, unavailable("the target's token endpoint is unavailable; try again later", 0))
		}
		return callError(cause, false, scim.Errorf(http.StatusBadGateway, "", "the target's token endpoint rejected scimconnect's credentials"))
	}
	text := err.Error()
	if strings.HasPrefix(text, "oauth2: cannot parse") || strings.Contains(text, "missing access_token") {
		// Parse errors may quote fragments of the token response.
		cause := errors.New(where + " returned an invalid token response")
		return callError(cause, false, scim.Errorf(http.StatusBadGateway, "", "the target's token endpoint returned an invalid response"))
	}
	text = strings.ReplaceAll(text, a.tokenURL, redactURL(a.tokenURL))
	cause := errors.New(scrub(text, a.secrets()))
	return callError(cause, true, unavailable("the target's token endpoint is unreachable; try again later", 0))
}

// oauthErrorCode keeps an RFC 6749 §5.2 error code only if it has the
// specified form (printable ASCII without quotes or backslash), since it is
// copied into error texts.
func oauthErrorCode(code string) string {
	if len(code) > 64 {
		return ""
	}
	for _, r := range code {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return ""
		}
	}
	return code
}

// String hides all credentials.
func (a *oauthAuth) String() string {
	return "httpx." + a.kind + "(" + redactURL(a.tokenURL) + ", " + redacted + ")"
}

// GoString hides all credentials for %#v.
func (a *oauthAuth) GoString() string { return a.String() }

// LogValue hides all credentials in structured logs.
func (a *oauthAuth) LogValue() slog.Value { return slog.StringValue(a.String()) }

// pinnedTransport refuses requests to anything but one scheme and host.
type pinnedTransport struct {
	base    http.RoundTripper
	allowed target
}

func (p *pinnedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.EqualFold(req.URL.Scheme, p.allowed.scheme) || hostKey(req.URL) != p.allowed.host {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, ErrHostNotAllowed
	}
	return p.base.RoundTrip(req)
}
