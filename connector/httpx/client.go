package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimconnect/scimconnect/scim"
)

// Defaults applied by New to zero Config fields.
const (
	defaultTimeout          = 30 * time.Second
	defaultMaxRetries       = 3
	defaultBaseBackoff      = 250 * time.Millisecond
	defaultMaxBackoff       = 10 * time.Second
	defaultMaxRetryWait     = 60 * time.Second
	defaultMaxConcurrent    = 8
	defaultMaxResponseBytes = 16 << 20
	defaultUserAgent        = "scimconnect"
	maxRedirects            = 10
)

// Config configures a Client. Zero values take the documented defaults.
type Config struct {
	// BaseURL is the target's API root, e.g. "https://acme.okta.com" or
	// "https://api.pingone.eu/v1". It must be an absolute https URL, or
	// http for a loopback host (simulators) or with AllowInsecureHTTP.
	BaseURL string
	// Auth adds credentials to each attempt; nil sends none.
	Auth Authenticator
	// Timeout bounds each attempt, including reading the body (default
	// 30s). The caller's context bounds the whole call.
	Timeout time.Duration
	// MaxRetries is how many times a failed call is repeated (default 3;
	// negative: never).
	MaxRetries int
	// BaseBackoff and MaxBackoff shape the exponential backoff with full
	// jitter: retry n waits a random time in [0, min(MaxBackoff,
	// BaseBackoff·2ⁿ)] (defaults 250ms and 10s).
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// MaxRetryWait is the longest wait the target may ask for with
	// Retry-After or a rate-limit reset (default 60s); a longer one ends
	// the retries and the SCIM client gets 503 with that Retry-After.
	MaxRetryWait time.Duration
	// MaxConcurrent limits calls in flight to the target (default 8).
	MaxConcurrent int
	// MaxResponseBytes caps response bodies (default 16 MiB).
	MaxResponseBytes int64
	// UserAgent is sent on every call (default "scimconnect").
	UserAgent string
	// Logger receives one debug line per attempt; nil discards.
	Logger *slog.Logger
	// HTTPClient supplies the transport (tests, proxies); nil uses
	// http.DefaultTransport. It is copied, not modified.
	HTTPClient *http.Client
	// RateLimitHeaders names the target's rate-limit headers, e.g.
	// OktaRateLimitHeaders; zero reads none (Retry-After is always read).
	RateLimitHeaders RateLimitHeaders
	// AllowedHosts are further hosts ("host" on the default port, or
	// "host:port") that absolute URLs and redirects may reach. The
	// BaseURL's host is always allowed; nothing else is by default.
	AllowedHosts []string
	// AllowInsecureHTTP allows plain http to non-loopback hosts.
	AllowInsecureHTTP bool
	// ErrorMessage extracts the target's human-readable message from an
	// error body for Response.Err (default JSONErrorMessage).
	ErrorMessage func(body []byte) string
	// Observer, when set, is told the outcome of every call (metrics).
	Observer Observer
}

// Observer receives the outcome of each call of a Client, with the
// context the call was made with, so that an observer can attribute the
// call to the request that caused it (the audit log does). The gateway's
// per-instance *metrics.Observer implements it.
type Observer interface {
	ObserveTargetCall(ctx context.Context, call Call)
}

// Call is the outcome of one call of a Client.
type Call struct {
	// Method and Path of the request; Path carries no query string,
	// since queries can hold personal data (search expressions).
	Method, Path string
	// Status is the final response's HTTP status, 0 when no usable
	// response came back.
	Status int
	// Retries counts the repetitions made, Throttled the attempts the
	// target answered 429.
	Retries, Throttled int
	// Elapsed is the time of the whole call, retries and waits included.
	Elapsed time.Duration
}

// Client calls one target application. It is safe for concurrent use.
type Client struct {
	base         *url.URL
	auth         Authenticator
	http         *http.Client
	policy       hostPolicy
	timeout      time.Duration
	maxRetries   int
	baseBackoff  time.Duration
	maxBackoff   time.Duration
	maxRetryWait time.Duration
	maxBody      int64
	userAgent    string
	// userAgentValue is the User-Agent header value, shared by requests.
	userAgentValue []string
	// baseURL is base.String() without the trailing slash.
	baseURL      string
	log          *slog.Logger
	rateLimit    RateLimitHeaders
	errorMessage func([]byte) string
	observer     Observer
	sem          chan struct{}
	pauseMu      sync.Mutex
	pauseUntil   time.Time
	now          func() time.Time
	sleep        func(ctx context.Context, d time.Duration) error
	jitter       func(n int64) int64
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	base, err := checkURL(cfg.BaseURL, cfg.AllowInsecureHTTP)
	if err != nil {
		return nil, fmt.Errorf("httpx: base URL %s: %w", redactURL(cfg.BaseURL), err)
	}
	if base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("httpx: base URL %s: must not have a query or fragment", redactURL(cfg.BaseURL))
	}
	for name, d := range map[string]time.Duration{"Timeout": cfg.Timeout, "BaseBackoff": cfg.BaseBackoff, "MaxBackoff": cfg.MaxBackoff, "MaxRetryWait": cfg.MaxRetryWait} {
		if d < 0 {
			return nil, fmt.Errorf("httpx: %s must not be negative", name)
		}
	}
	if cfg.MaxConcurrent < 0 || cfg.MaxResponseBytes < 0 {
		return nil, errors.New("httpx: MaxConcurrent and MaxResponseBytes must not be negative")
	}
	policy, err := newHostPolicy(base, cfg.AllowedHosts, cfg.AllowInsecureHTTP)
	if err != nil {
		return nil, fmt.Errorf("httpx: %w", err)
	}
	c := &Client{
		base:         base,
		auth:         cfg.Auth,
		policy:       policy,
		timeout:      orDefault(cfg.Timeout, defaultTimeout),
		maxRetries:   cfg.MaxRetries,
		baseBackoff:  orDefault(cfg.BaseBackoff, defaultBaseBackoff),
		maxBackoff:   orDefault(cfg.MaxBackoff, defaultMaxBackoff),
		maxRetryWait: orDefault(cfg.MaxRetryWait, defaultMaxRetryWait),
		maxBody:      orDefault(cfg.MaxResponseBytes, defaultMaxResponseBytes),
		userAgent:    orDefault(cfg.UserAgent, defaultUserAgent),
		log:          cfg.Logger,
		rateLimit:    cfg.RateLimitHeaders,
		errorMessage: cfg.ErrorMessage,
		observer:     cfg.Observer,
		sem:          make(chan struct{}, orDefault(cfg.MaxConcurrent, defaultMaxConcurrent)),
		now:          time.Now,
		sleep:        sleepCtx,
		jitter:       rand.Int64N,
	}
	c.userAgentValue = []string{c.userAgent}
	c.baseURL = strings.TrimRight(c.base.String(), "/")
	switch {
	case c.maxRetries == 0:
		c.maxRetries = defaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	c.maxBackoff = max(c.maxBackoff, c.baseBackoff)
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.errorMessage == nil {
		c.errorMessage = JSONErrorMessage
	}
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		*hc = *cfg.HTTPClient
	}
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		return c.policy.check(req.URL)
	}
	c.http = hc
	if b, ok := c.auth.(binder); ok {
		if err := b.bind(binding{transport: hc.Transport, timeout: c.timeout, allowInsecure: cfg.AllowInsecureHTTP}); err != nil {
			return nil, fmt.Errorf("httpx: %w", err)
		}
	}
	return c, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Request is one call to the target.
type Request struct {
	// Method defaults to GET.
	Method string
	// Path is relative to the BaseURL and already escaped, e.g.
	// "/api/v1/users/" + url.PathEscape(id).
	Path string
	// URL, when set, is an absolute URL used instead of Path, e.g. a
	// pagination link from Response.Links. Its host must be allowed.
	URL string
	// Query is added to the URL's query; a key here replaces that key's
	// values in the URL.
	Query url.Values
	// Header holds extra headers; Accept and Content-Type default to
	// application/json.
	Header http.Header
	// Body is JSON-encoded as the request body.
	Body any
	// RawBody is sent as is (set Content-Type in Header); not with Body.
	RawBody []byte
	// Idempotent marks a call as safe to repeat although its method isn't
	// (a POST search, Cognito's JSON-RPC reads), enabling retries.
	Idempotent bool
	// PathLabel, when set, stands for the path wherever the call is
	// reported (Call.Path, logs, errors): for a path that holds personal
	// data, such as a login ("/api/v1/users/{login}"), which the audit log
	// must not keep, as it keeps no query strings.
	PathLabel string
}

// safeMethods are repeatable by definition (RFC 9110 §9.2.2).
var safeMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPut: true,
	http.MethodDelete: true, http.MethodOptions: true, http.MethodTrace: true,
}

// Do sends req, retrying as the package documentation describes, and
// returns the final response whatever its status: use Response.Err to
// turn a non-2xx status into an error. The error is non-nil only when no
// usable response was obtained; it is then a *TargetError (unwrapping to a
// *scim.Error) or a plain error for an invalid Request.
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	start := c.now()
	var st callStats
	resp, err := c.do(ctx, req, &st)
	if c.observer != nil {
		call := Call{Method: st.method, Path: st.path, Retries: st.retries, Throttled: st.throttled, Elapsed: c.now().Sub(start)}
		if resp != nil {
			call.Status = resp.Status
		}
		c.observer.ObserveTargetCall(ctx, call)
	}
	return resp, err
}

// callStats records what the attempts of one call met, for the Observer.
type callStats struct {
	method, path       string
	retries, throttled int
}

func (c *Client) do(ctx context.Context, req *Request, st *callStats) (*Response, error) {
	if req == nil {
		return nil, errors.New("httpx: nil request")
	}
	method := strings.ToUpper(orDefault(req.Method, http.MethodGet))
	st.method = method
	u, err := c.resolve(req)
	if err != nil {
		return nil, err
	}
	cu := callURL{URL: u, label: req.PathLabel}
	st.path = cu.label
	if st.path == "" {
		st.path = u.EscapedPath()
	}
	body, err := encodeBody(req)
	if err != nil {
		return nil, err
	}
	idempotent := req.Idempotent || safeMethods[method]
	inv, _ := c.auth.(invalidator)
	retries, reauthorized := 0, false
	for attempt := 1; ; attempt++ {
		if err := c.waitThrottle(ctx, method, cu); err != nil {
			return nil, err
		}
		if err := c.acquire(ctx); err != nil {
			return nil, c.canceled(method, cu, err)
		}
		out := c.attempt(ctx, method, cu, req.Header, body, attempt, idempotent)
		<-c.sem
		if out.err == nil && out.resp.Status == http.StatusTooManyRequests {
			st.throttled++
		}

		var wait time.Duration
		if out.err != nil {
			if ctx.Err() != nil {
				return nil, c.canceled(method, cu, ctx.Err())
			}
			var te *TargetError
			if !errors.As(out.err, &te) {
				te = callError(out.err, true, unavailable("the target could not be reached; try again later", 0))
			}
			// Nothing reached the target, or the call is repeatable.
			repeatable := !out.sent || idempotent
			if !te.Retryable || !repeatable || retries >= c.maxRetries {
				return nil, te
			}
			wait = c.backoff(retries)
		} else {
			resp := out.resp
			// A 401 means the credentials were refused before anything was
			// applied: drop the cached token and try once more, whatever
			// the method.
			if resp.Status == http.StatusUnauthorized && inv != nil && !reauthorized {
				reauthorized = true
				inv.invalidate(out.authorization)
				continue
			}
			if !retryableStatus(resp.Status, idempotent) || retries >= c.maxRetries {
				return resp, nil
			}
			var fromServer bool
			wait, fromServer = c.serverWait(resp, c.now())
			if !fromServer {
				wait = c.backoff(retries)
			}
			if wait > c.maxRetryWait || pastDeadline(ctx, c.now().Add(wait)) {
				return resp, nil
			}
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, c.canceled(method, cu, err)
		}
		retries++
		st.retries = retries
	}
}

// retryableStatus: 429 means the target refused the call without applying
// it (RFC 6585 §4), so it is repeated whatever the method; 500 and the
// gateway errors only for repeatable calls, since the call may have been
// applied.
func retryableStatus(status int, idempotent bool) bool {
	switch status {
	case http.StatusTooManyRequests:
		return true
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return idempotent
	}
	return false
}

func pastDeadline(ctx context.Context, t time.Time) bool {
	d, ok := ctx.Deadline()
	return ok && t.After(d)
}

func (c *Client) canceled(method string, cu callURL, err error) error {
	return callError(fmt.Errorf("%s %s: %w", method, cu.shown(), err), true,
		unavailable("the call to the target was canceled or timed out; try again later", 0))
}

// resolve builds the absolute URL of req and checks its host.
func (c *Client) resolve(req *Request) (*url.URL, error) {
	var u *url.URL
	if req.URL != "" {
		parsed, err := url.Parse(req.URL)
		if err != nil || !parsed.IsAbs() {
			return nil, fmt.Errorf("httpx: request URL %s: want an absolute URL", redactURL(req.URL))
		}
		u = parsed
	} else {
		joined := c.baseURL
		if p := strings.TrimLeft(req.Path, "/"); p != "" {
			joined += "/" + p
		}
		parsed, err := url.Parse(joined)
		if err != nil {
			shown := redactURL(req.Path)
			if req.PathLabel != "" {
				shown = req.PathLabel
			}
			return nil, fmt.Errorf("httpx: request path %q: %w", shown, err)
		}
		u = parsed
	}
	if err := c.policy.check(u); err != nil {
		return nil, callError(err, false, scim.Errorf(http.StatusBadGateway, "", "scimconnect refused a call outside the configured target"))
	}
	switch {
	case len(req.Query) == 0:
	case u.RawQuery == "":
		u.RawQuery = req.Query.Encode() // the usual case: nothing to merge
	default:
		q := u.Query()
		for k, vs := range req.Query {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	}
	return u, nil
}

func encodeBody(req *Request) ([]byte, error) {
	switch {
	case req.Body != nil && req.RawBody != nil:
		return nil, errors.New("httpx: request has both Body and RawBody")
	case req.RawBody != nil:
		return req.RawBody, nil
	case req.Body != nil:
		b, err := json.Marshal(req.Body)
		if err != nil {
			return nil, fmt.Errorf("httpx: encode request body: %w", err)
		}
		return b, nil
	}
	return nil, nil
}

func (c *Client) acquire(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// outcome is the result of one attempt.
type outcome struct {
	resp          *Response
	err           error
	sent          bool   // the request may have reached the target
	authorization string // the Authorization header sent
}

// jsonValue is the shared value of the default Accept and Content-Type
// headers: header values are only read once a request is built, so one
// slice serves every request (a Set replaces it, an Add copies it).
var jsonValue = []string{"application/json"}

func (c *Client) attempt(ctx context.Context, method string, cu callURL, header http.Header, body []byte, attempt int, idempotent bool) (out outcome) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	// Whether a failed attempt reached the target only matters for calls
	// that may not be repeated; the trace costs a few allocations, so
	// repeatable calls go without it.
	var sent *atomic.Bool
	if !idempotent {
		sent = new(atomic.Bool)
		actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
			// From the first header byte on, the target may act on the call.
			WroteHeaderField: func(string, []string) { sent.Store(true) },
		})
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	// The URL is already parsed: hand it over rather than have
	// NewRequest print and parse it again.
	hreq, err := http.NewRequestWithContext(actx, method, "", rd)
	if err != nil {
		return outcome{err: fmt.Errorf("httpx: build request: %w", err)}
	}
	hreq.URL, hreq.Host = cu.URL, strings.TrimSuffix(cu.Host, ":")
	for k, vs := range header {
		hreq.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	hreq.Header["User-Agent"] = c.userAgentValue
	if hreq.Header.Get("Accept") == "" {
		hreq.Header["Accept"] = jsonValue
	}
	if body != nil && hreq.Header.Get("Content-Type") == "" {
		hreq.Header["Content-Type"] = jsonValue
	}
	start := c.now()
	defer func() { c.logAttempt(ctx, method, cu, attempt, out, c.now().Sub(start)) }()
	if c.auth != nil {
		if err := c.auth.Authorize(actx, hreq); err != nil {
			var te *TargetError
			if !errors.As(err, &te) {
				err = callError(fmt.Errorf("authorize: %s", scrub(err.Error(), c.secrets())), false,
					scim.Errorf(http.StatusBadGateway, "", "scimconnect could not authenticate to the target"))
			}
			return outcome{err: err}
		}
	}
	out.authorization = hreq.Header.Get("Authorization")
	hresp, err := c.http.Do(hreq)
	if err != nil {
		out.sent = sent == nil || sent.Load()
		out.err = c.transportError(err, cu.label)
		return out
	}
	defer hresp.Body.Close()
	data, err := c.readBody(hresp)
	if err != nil {
		out.sent = true
		out.err = err
		return out
	}
	out.resp = &Response{Status: hresp.StatusCode, Header: hresp.Header, Body: data, URL: hresp.Request.URL, Attempts: attempt, client: c}
	c.observeRateLimit(out.resp)
	return out
}

// transportError redacts the URL in a transport error (the path too when
// the request has a PathLabel) and classifies it.
func (c *Client) transportError(err error, label string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		shown := redactURL(ue.URL)
		if label != "" {
			if u, perr := url.Parse(ue.URL); perr == nil {
				shown = callURL{URL: u, label: label}.shown()
			}
		}
		err = &url.Error{Op: ue.Op, URL: shown, Err: ue.Err}
	}
	if errors.Is(err, ErrHostNotAllowed) {
		return callError(err, false, scim.Errorf(http.StatusBadGateway, "", "the target redirected scimconnect outside the configured target"))
	}
	return err
}

func (c *Client) readBody(resp *http.Response) ([]byte, error) {
	tooLarge := func() error {
		return callError(fmt.Errorf("%w: more than %d bytes", ErrResponseTooLarge, c.maxBody), false,
			scim.Errorf(http.StatusBadGateway, "", "the target's response is too large"))
	}
	if resp.ContentLength > c.maxBody {
		return nil, tooLarge()
	}
	if resp.ContentLength >= 0 && resp.Request != nil && resp.Request.Method != http.MethodHead {
		// The usual case: one buffer of the announced size instead of
		// io.ReadAll's doubling from 512 bytes.
		data := make([]byte, resp.ContentLength)
		if _, err := io.ReadFull(resp.Body, data); err != nil {
			return nil, fmt.Errorf("read target response: %w", err)
		}
		return data, nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read target response: %w", err)
	}
	if int64(len(data)) > c.maxBody {
		return nil, tooLarge()
	}
	return data, nil
}

func (c *Client) logAttempt(ctx context.Context, method string, cu callURL, attempt int, out outcome, d time.Duration) {
	if !c.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", method),
		slog.String("url", cu.shown()),
		slog.Int("attempt", attempt),
		slog.Duration("duration", d),
	}
	if out.resp != nil {
		attrs = append(attrs, slog.Int("status", out.resp.Status))
		if c.rateLimit.Remaining != "" {
			if rem := out.resp.Header.Get(c.rateLimit.Remaining); rem != "" {
				attrs = append(attrs, slog.String("rate_limit_remaining", clip(rem, 20)))
			}
		}
	}
	if out.err != nil {
		attrs = append(attrs, slog.String("error", scrub(out.err.Error(), c.secrets())))
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "target call", attrs...)
}

func (c *Client) secrets() []string {
	if h, ok := c.auth.(secretHolder); ok {
		return h.secrets()
	}
	return nil
}

// backoff is exponential backoff with full jitter: the nth retry waits a
// random time in [0, min(MaxBackoff, BaseBackoff·2ⁿ)], which spreads
// retries of concurrent callers instead of synchronising them.
func (c *Client) backoff(retry int) time.Duration {
	ceiling := c.maxBackoff
	if retry < 32 {
		if d := c.baseBackoff << retry; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	return time.Duration(c.jitter(int64(ceiling) + 1))
}

// maxServerWait bounds parsed waits so that durations can't overflow.
const maxServerWait = 24 * time.Hour

// serverWait is the wait the target asked for: Retry-After (delay-seconds
// or HTTP-date, RFC 9110 §10.2.3), else, on a 429 or when the remaining
// quota is 0, the rate-limit reset time (epoch seconds) measured from the
// response's Date.
func (c *Client) serverWait(r *Response, now time.Time) (time.Duration, bool) {
	date := responseDate(r.Header, now)
	if ra := strings.TrimSpace(r.Header.Get("Retry-After")); ra != "" {
		if n, err := strconv.ParseInt(ra, 10, 64); err == nil && n >= 0 {
			return min(time.Duration(min(n, int64(maxServerWait/time.Second)))*time.Second, maxServerWait), true
		}
		if t, err := http.ParseTime(ra); err == nil {
			return clampWait(t.Sub(date)), true
		}
	}
	rl := c.rateLimit
	if rl.Reset == "" {
		return 0, false
	}
	if r.Status != http.StatusTooManyRequests && (rl.Remaining == "" || strings.TrimSpace(r.Header.Get(rl.Remaining)) != "0") {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(r.Header.Get(rl.Reset)), 10, 64)
	if err != nil || n < 0 || n > 1<<40 {
		return 0, false
	}
	return clampWait(time.Unix(n, 0).Sub(date)), true
}

func clampWait(d time.Duration) time.Duration {
	return max(0, min(d, maxServerWait))
}

// observeRateLimit pauses further calls when the target says the quota is
// used up, so that they wait for the reset instead of collecting 429s.
func (c *Client) observeRateLimit(r *Response) {
	rl := c.rateLimit
	if rl.Remaining == "" || rl.Reset == "" || strings.TrimSpace(r.Header.Get(rl.Remaining)) != "0" {
		return
	}
	now := c.now()
	wait, ok := c.serverWait(r, now)
	if !ok || wait <= 0 {
		return
	}
	until := now.Add(min(wait, c.maxRetryWait))
	c.pauseMu.Lock()
	if until.After(c.pauseUntil) {
		c.pauseUntil = until
	}
	c.pauseMu.Unlock()
}

// waitThrottle waits out a pause set by observeRateLimit; a pause past the
// caller's deadline fails at once with 503 rather than waiting in vain.
func (c *Client) waitThrottle(ctx context.Context, method string, cu callURL) error {
	c.pauseMu.Lock()
	until := c.pauseUntil
	c.pauseMu.Unlock()
	now := c.now()
	d := until.Sub(now)
	if d <= 0 {
		return nil
	}
	if pastDeadline(ctx, until) {
		return callError(fmt.Errorf("%s %s: target rate limit exhausted for %s", method, cu.shown(), d.Round(time.Millisecond)), true,
			unavailable("the target's rate limit is exhausted; try again later", d))
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "target rate limit: waiting", slog.Duration("wait", d))
	if err := c.sleep(ctx, d); err != nil {
		return c.canceled(method, cu, err)
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
