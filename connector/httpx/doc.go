// Package httpx is the HTTP client every target connector uses to call its
// target application (Okta, AWS Cognito, PingOne, Azure DevOps, Coupa,
// GoTo, ChipSoft). It owns what all of them need and none should get
// wrong on its own: per-attempt timeouts, safe retries, rate limits, a
// concurrency limit, host pinning, authentication, error translation to
// SCIM and keeping credentials out of logs and errors.
//
//	c, err := httpx.New(httpx.Config{
//		BaseURL:          "https://acme.okta.com",
//		Auth:             httpx.HeaderToken("Authorization", "SSWS", token),
//		RateLimitHeaders: httpx.OktaRateLimitHeaders,
//		ErrorMessage:     oktaErrorSummary,
//		Logger:           env.Logger,
//	})
//	resp, err := c.Do(ctx, &httpx.Request{Path: "/api/v1/users/" + url.PathEscape(id)})
//	if err != nil {
//		return fmt.Errorf("okta: get user: %w", err)
//	}
//	if err := resp.Err("okta: get user"); err != nil {
//		return err
//	}
//	err = resp.DecodeJSON(&user)
//
// Do returns a Response whatever its status; it fails only when there is
// no usable response (refused host, network failure, timeout, cancelled
// context, oversized body, token endpoint failure). Response.Err turns a
// non-2xx status into an error.
//
// # Retry policy
//
// A call is repeated only when repeating it cannot do harm:
//
//   - GET, HEAD, PUT, DELETE, OPTIONS and TRACE are idempotent (RFC 9110
//     §9.2.2); other methods (POST, PATCH) are not, unless the Request
//     says Idempotent: true (POST searches, Cognito's JSON-RPC reads).
//   - Idempotent calls are repeated after network errors, per-attempt
//     timeouts and HTTP 429, 500, 502, 503 and 504.
//   - Other calls are repeated only when the target cannot have applied
//     them: after a network error before the first header byte was
//     written (connection refused, DNS or TLS failure), after HTTP 429
//     (the target refused the call, RFC 6585 §4), after a token endpoint
//     failure (nothing was sent to the target) and once after HTTP 401
//     with an OAuth token (see below). A POST that timed out or got a 5xx
//     may have created the user: repeating it could create it twice.
//   - Waits: the target's Retry-After (delay-seconds or HTTP-date, RFC
//     9110 §10.2.3) or, on 429 or when the remaining quota is 0, its
//     rate-limit reset header (epoch seconds); both are measured from the
//     response's Date header so that a skewed local clock doesn't matter.
//     Without them: exponential backoff with full jitter, a random wait
//     in [0, min(MaxBackoff, BaseBackoff·2ⁿ)], so that concurrent callers
//     spread out instead of retrying in lockstep.
//   - A wait longer than MaxRetryWait (default 60s) or past the caller's
//     deadline ends the retries at once: the SCIM client gets 503 with
//     Retry-After and retries itself later, instead of holding a request
//     open. Cancelling the context stops any wait.
//   - At most MaxRetries (default 3) repetitions; each attempt has its own
//     Timeout (default 30s).
//
// Rate limits are also respected ahead of time: when a response says the
// remaining quota is 0 (RateLimitHeaders, e.g. Okta's X-Rate-Limit-*),
// further calls of the client wait for the reset (at most MaxRetryWait)
// rather than collect 429s; one whose deadline comes first fails at once
// with 503. At most MaxConcurrent calls (default 8) are in flight; waiting
// for a slot respects the context, and backoff waits don't hold a slot.
//
// # Host pinning
//
// Calls go only to the BaseURL's host and the AllowedHosts. An absolute
// Request.URL (a pagination link from Response.Links), a redirect, or a
// token endpoint redirect to any other host fails with ErrHostNotAllowed
// ("outbound calls only to the configured target") without a network call,
// so a hostile or compromised target can't make the gateway send
// credentials elsewhere. Plain http is only allowed to loopback hosts (the
// in-repo simulators) unless AllowInsecureHTTP is set; URLs with user
// info are refused. Token requests may go only to the token endpoint's
// own scheme and host: configuring the TokenURL is what allows that host,
// for token requests only.
//
// # Authentication
//
// An Authenticator adds credentials to each attempt. It is an interface
// called by the client rather than an http.RoundTripper wrapper so that
// token fetches honour the call's context and timeout, their failures
// come back as typed errors (not as opaque transport errors that the
// retry logic would misjudge), and the client can drop a rejected token
// and retry once.
//
//   - HeaderToken(header, prefix, token): Okta "Authorization: SSWS t",
//     Coupa's legacy "X-COUPA-API-KEY: k".
//   - Bearer(token): a static RFC 6750 bearer token.
//   - Basic(user, password): RFC 7617; Azure DevOps PATs are Basic("", pat).
//   - ClientCredentials(cfg): the OAuth 2.0 client credentials grant (RFC
//     6749 §4.4) via golang.org/x/oauth2/clientcredentials (PingOne,
//     Coupa). Credentials go in the form body (oauth2.AuthStyleInParams)
//     or in HTTP Basic (oauth2.AuthStyleInHeader). Tokens are cached and
//     refreshed by oauth2 before they expire; concurrent calls share one
//     fetch.
//   - RefreshToken(cfg): the refresh token grant (RFC 6749 §6), for GoTo,
//     whose admin API wants a consenting administrator's token.
//   - AuthenticatorFunc: anything else (e.g. request signing).
//
// After a 401 from the target, an OAuth authenticator drops its cached
// token and the call is repeated once with a new one, whatever its
// method: a 401 means nothing was applied. A second 401 is final.
//
// # Errors
//
// Response.Err and TranslateError map the target's status to the SCIM
// error (RFC 7644 §3.12) the gateway returns; the target's message,
// extracted by Config.ErrorMessage, is kept in the detail:
//
//	target status        SCIM status  scimType      why
//	404, 410             404                        the resource is gone
//	409                  409          uniqueness    duplicate in the target
//	400, 422             400          invalidValue  the target refused a value
//	412                  412                        changed meanwhile
//	401                  502                        the target rejected scimconnect's
//	                                                credentials: the gateway's
//	                                                configuration, not the SCIM
//	                                                client's request, is wrong, and
//	                                                401 would tell the SCIM client
//	                                                its own token is bad
//	403                  502                        the credentials lack a permission
//	408, 429, 5xx        503 + Retry-After          try again later
//	other                502                        unexpected answer
//	no response          503 + Retry-After          timeout, network failure,
//	                                                cancelled context
//	host refused,        502
//	body too large
//
// The error is a *TargetError (Status, a body snippet, Retryable) that
// unwraps to the *scim.Error and to the cause, so connectors can
// errors.As either one; connectors with their own conventions (Cognito's
// throttling as HTTP 400, Azure DevOps' HTTP 203 sign-in page) inspect
// Response.Status and Body before calling Err.
//
// # Secrets
//
// Credentials (tokens, passwords, client secrets, refresh tokens,
// Authorization headers) and token endpoint responses never appear in
// logs, error texts or SCIM details: request headers and bodies are never
// logged, URLs are logged as scheme, host, path and query keys only, the
// credentials an authenticator holds are replaced by [REDACTED] in target
// error bodies and messages (some targets echo them), oauth2 errors are
// reduced to the status and RFC 6749 error code, and the authenticators
// and configs print as redacted. Each attempt is logged at debug level:
// method, URL, attempt, duration, status or error.
package httpx
