// Package gateway serves every connector instance as its own SCIM service
// provider at /scim/{instance}/v2, behind that instance's bearer token,
// with health endpoints, request logging and request ids.
//
// The request path: Gateway.ServeHTTP → logging middleware (request id,
// one log line) → instance lookup → bearer token check (constant time,
// against a SHA-256 hash) → the instance's provider.Provider → the
// connector's provider.Backend.
//
// Besides static tokens, an instance can accept access tokens from its
// own OAuth 2.0 token endpoint, POST /scim/{instance}/oauth/token
// (client credentials, RFC 6749 §4.4), and JWTs of external issuers (see
// package clientauth); any credential can be read-only, limited to GET
// and POST .search (403 otherwise). /ServiceProviderConfig lists exactly
// the schemes the instance enables.
//
// Failed authentications are rate-limited per client address (see
// AuthLimit): only requests whose credentials fail consume the budget, so
// a client with a valid token is never slowed or refused. With
// Options.Metrics set, every SCIM request is counted and timed and the
// metrics are served at /metrics (see package metrics). With
// Options.Audit set, every request to a mounted instance gets an audit
// record (see package audit and audit.go).
package gateway

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimconnect/scimconnect/audit"
	"github.com/scimconnect/scimconnect/clientauth"
	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/metrics"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/store"
)

// Options configure a gateway.
type Options struct {
	// PublicURL is the externally visible origin, e.g. "http://127.0.0.1:8080";
	// instance base URLs are PublicURL + "/scim/{instance}/v2".
	PublicURL string
	// Provider holds the protocol limits applied to every instance.
	Provider provider.Config
	Store    store.Store
	Registry connector.Registry
	Logger   *slog.Logger

	// Metrics, when set, records the SCIM requests, failed
	// authentications and instances loaded, and is served at /metrics;
	// nil disables both. Give the store to the gateway already wrapped by
	// metrics.InstrumentStore to time it too.
	Metrics *metrics.Metrics
	// MetricsTokenHash, when set, is the SHA-256 of the bearer token that
	// /metrics requires. Nil serves /metrics without credentials, as most
	// Prometheus exporters do: restrict it at the network then, since the
	// instance names appear in the labels.
	MetricsTokenHash []byte
	// AuthLimit limits failed authentications per client address.
	AuthLimit AuthLimit
	// TrustedProxies are the reverse proxies (addresses or CIDR prefixes)
	// whose X-Forwarded-For header is believed when they connect: the
	// client address is then the rightmost address in that header that is
	// not a trusted proxy. Empty: the connection's remote address is the
	// client address and X-Forwarded-For is ignored, since any client can
	// write it.
	TrustedProxies []netip.Prefix

	// AccessTokens signs and verifies the access tokens of the OAuth 2.0
	// token endpoints (/scim/{instance}/oauth/token). Replicas given the
	// same key accept each other's tokens. Nil: instances with Clients
	// cannot be mounted.
	AccessTokens *clientauth.Signer
	// JWKS configures the fetching of external issuers' keys (timeouts,
	// caching, refetch rate); zero values take the defaults.
	JWKS clientauth.KeySetOptions

	// Audit, when set, gets a record of every request to a mounted
	// instance, its token endpoint and failed authentications included
	// (requests naming no mounted instance are not). Nil records nothing.
	Audit *audit.Recorder

	// RequestTimeout, when positive, is the deadline of each SCIM request
	// from the moment it is authenticated. Set it below the server's
	// write timeout: a request that a slow target holds up then ends in a
	// SCIM error (503) the client can read, not a dropped connection.
	RequestTimeout time.Duration
}

// InstanceSpec describes an instance to mount.
type InstanceSpec struct {
	Name   string
	Type   string
	Params []byte // JSON
	// TokenHash is the SHA-256 of the static bearer token; nil when the
	// instance accepts only Clients or JWTIssuers.
	TokenHash []byte
	// TokenReadOnly limits the static bearer token to reads (GET and
	// POST .search).
	TokenReadOnly bool
	// Clients may obtain access tokens for this instance with the OAuth
	// 2.0 client credentials grant at /scim/{name}/oauth/token.
	Clients []clientauth.Client
	// JWTIssuers are the external issuers whose JWTs the instance accepts.
	JWTIssuers []clientauth.JWTIssuer
	// CustomAttributes ("name|type;...") and DisabledAttributes (SCIM
	// paths) are the instance's attribute settings.
	CustomAttributes   string
	DisabledAttributes []string
	// Version is the connector version the instance was created with.
	Version string
}

// Gateway is the top-level http.Handler.
type Gateway struct {
	opts Options
	log  *slog.Logger

	mu        sync.RWMutex
	instances map[string]*instance

	ready atomic.Bool

	limiter        *failureLimiter // nil when disabled
	unknownMetrics *metrics.Observer
	metricsAuth    *metrics.Observer
	adminAuth      *metrics.Observer
	metricsHandler http.Handler
	now            func() time.Time
}

type instance struct {
	name      string
	typ       string
	tokenHash []byte
	// tokenClient names the static token in audit records.
	tokenClient string
	auth        *instanceAuth
	handler     http.Handler // the provider with /scim/{name}/v2 stripped
	conn        connector.Instance
	metrics     *metrics.Observer
}

// New returns a gateway with no instances.
func New(opts Options) *Gateway {
	g := &Gateway{opts: opts, log: opts.Logger, instances: map[string]*instance{}, now: time.Now}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	g.opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	g.ready.Store(true)
	if !opts.AuthLimit.Disabled {
		g.limiter = newFailureLimiter(opts.AuthLimit)
	}
	if opts.Metrics != nil {
		g.unknownMetrics = opts.Metrics.Instance(metrics.UnknownInstance)
		g.metricsAuth = opts.Metrics.Instance(metrics.MetricsEndpoint)
		g.adminAuth = opts.Metrics.Instance(metrics.AdminAPI)
		g.metricsHandler = opts.Metrics.Handler()
		opts.Metrics.SetInstancesLoaded(0)
		opts.Metrics.SetReadinessCheck(g.checkReady)
	}
	return g
}

// BaseURL returns the SCIM base URL of an instance.
func (g *Gateway) BaseURL(name string) string {
	return g.opts.PublicURL + "/scim/" + name + "/v2"
}

// Mount opens an instance's connector and serves it, replacing any
// instance of the same name once the new one is ready.
func (g *Gateway) Mount(ctx context.Context, spec InstanceSpec) error {
	typ, ok := g.opts.Registry[spec.Type]
	if !ok {
		return fmt.Errorf("instance %q: unknown connector type %q", spec.Name, spec.Type)
	}
	auth, err := g.newInstanceAuth(spec)
	if err != nil {
		return fmt.Errorf("instance %q: %w", spec.Name, err)
	}
	logger := g.log.With("instance", spec.Name)
	env := connector.Env{
		Instance: spec.Name, Store: g.opts.Store, Logger: logger,
		CustomAttributes: spec.CustomAttributes, DisabledAttributes: spec.DisabledAttributes, Version: spec.Version,
	}
	// Only a non-nil observer goes into the interface: a nil pointer in it
	// would look like an observer to the client.
	if obs := g.opts.Metrics.Instance(spec.Name); obs != nil {
		env.TargetObserver = obs
	}
	if g.opts.Audit != nil {
		// Calls also land in the audit record of the request making them.
		env.TargetObserver = audit.Observer{Next: env.TargetObserver}
	}
	conn, err := typ.Open(ctx, env, spec.Params)
	if err != nil {
		return fmt.Errorf("instance %q: %w", spec.Name, err)
	}
	cfg := g.opts.Provider
	cfg.BaseURL = g.BaseURL(spec.Name)
	cfg.Features = conn.Features()
	cfg.Logger = logger
	cfg.AuthSchemes = g.authSchemes(spec)
	p, err := provider.New(cfg, conn.ResourceTypes()...)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("instance %q: %w", spec.Name, err)
	}
	// Instances that must see requests first (target connectors dropping
	// disabled attributes) wrap the provider.
	var handler http.Handler = p
	if w, ok := conn.(connector.Wrapper); ok {
		handler = w.Wrap(p)
	}
	// Stripping the prefix is set up once here rather than per request.
	prefix := "/scim/" + spec.Name + "/v2"
	in := &instance{
		name: spec.Name, typ: spec.Type, tokenHash: spec.TokenHash, tokenClient: staticTokenClient(spec.TokenHash), auth: auth,
		handler: http.StripPrefix(prefix, handler), conn: conn,
		metrics: g.opts.Metrics.Instance(spec.Name),
	}
	g.mu.Lock()
	old := g.instances[spec.Name]
	g.instances[spec.Name] = in
	g.opts.Metrics.SetInstancesLoaded(len(g.instances))
	g.mu.Unlock()
	if old != nil {
		_ = old.conn.Close()
	}
	return nil
}

// Close closes every instance.
func (g *Gateway) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	var errs []error
	for name, in := range g.instances {
		if err := in.conn.Close(); err != nil {
			errs = append(errs, fmt.Errorf("instance %q: %w", name, err))
		}
	}
	g.instances = map[string]*instance{}
	g.opts.Metrics.SetInstancesLoaded(0)
	return errors.Join(errs...)
}

// SetReady marks the gateway ready or not (false while shutting down).
func (g *Gateway) SetReady(ok bool) { g.ready.Store(ok) }

// HashToken returns the SHA-256 of a bearer token, as stored.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// NewToken returns a random bearer token: 32 bytes, hex-encoded.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return "scim_" + hex.EncodeToString(b), nil
}

// ServeHTTP routes /healthz, /readyz, /metrics and /scim/{instance}/v2/...
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/healthz":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
		return
	case "/readyz":
		g.serveReady(w, r)
		return
	case "/metrics":
		if g.metricsHandler != nil {
			g.serveMetrics(w, r)
			return
		}
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/scim/")
	if !ok {
		writeError(w, scim.NotFound("no such endpoint: SCIM endpoints are under /scim/{instance}/v2"))
		return
	}
	name, tail, _ := strings.Cut(rest, "/")
	g.mu.RLock()
	in := g.instances[name]
	g.mu.RUnlock()
	// The label is the mounted instance's, never the name in the URL.
	obs := g.unknownMetrics
	if in != nil {
		obs = in.metrics
	}
	audited := g.opts.Audit != nil && in != nil
	if obs == nil && !audited {
		g.serveInstance(w, r, in, name, tail, nil, nil)
		return
	}
	// Behind LogRequests, reuse its status recorder and its clock
	// readings; otherwise record the status with a recycled one.
	sw, logged := w.(*statusWriter)
	if !logged {
		sw = statusWriters.Get().(*statusWriter)
		*sw = statusWriter{ResponseWriter: w, start: time.Now()}
	}
	op := metrics.OpOther
	v2, isV2 := strings.CutPrefix(tail, "v2")
	if isV2 && (v2 == "" || v2[0] == '/') {
		op = metrics.OperationOf(r.Method, v2)
	} else {
		v2 = ""
		if tail == tokenEndpoint {
			op = metrics.OpToken
		}
	}
	var (
		ar  auditReq
		arp *auditReq
		out http.ResponseWriter = sw
		req                     = r
	)
	if audited {
		arp = &ar
		if op == metrics.OpBulk {
			out, req = ar.captureBulk(sw, r)
		}
	}
	g.serveInstance(out, req, in, name, tail, obs, arp)
	elapsed := time.Since(sw.start)
	sw.elapsed = elapsed
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	obs.ObserveRequest(op, status, elapsed)
	if audited {
		g.recordAudit(sw, in, v2, op, status, elapsed, arp)
	}
	if !logged {
		*sw = statusWriter{}
		statusWriters.Put(sw)
	}
}

// statusWriters recycles the status recorders of requests that did not
// come through LogRequests.
var statusWriters = sync.Pool{New: func() any { return new(statusWriter) }}

// serveInstance authenticates a request to an instance (nil when none of
// that name is mounted) and hands it to the instance's provider.
//
// With a, it notes for the request's audit record the client, a failed
// authentication and, through the request's context, the target calls.
func (g *Gateway) serveInstance(w http.ResponseWriter, r *http.Request, in *instance, name, tail string, obs *metrics.Observer, a *auditReq) {
	// An unknown instance answers exactly like a wrong token, so that
	// instance names cannot be probed without credentials. The token is
	// checked before the failure budget so that a valid token always
	// passes, even from an address that is blocked.
	if tail == tokenEndpoint {
		g.serveToken(w, r, in, name, obs, a)
		return
	}
	grant, err := clientauth.Grant{}, errUnauthenticated
	if in != nil {
		grant, err = g.authenticate(r, in)
	}
	if errors.Is(err, clientauth.ErrKeysUnavailable) {
		w.Header().Set("Retry-After", strconv.Itoa(int(keysUnavailableRetry/time.Second)))
		writeError(w, scim.Errorf(http.StatusServiceUnavailable, "", "the token could not be checked: the signing keys of its issuer cannot be fetched now; retry later"))
		return
	}
	if err != nil {
		if a != nil {
			a.denied = true
		}
		g.refuse(w, r, obs)
		return
	}
	if a != nil {
		a.client = clientOf(in, grant)
	}
	if tail != "v2" && !strings.HasPrefix(tail, "v2/") {
		writeError(w, scim.NotFound("no such endpoint: SCIM endpoints of this instance are under /scim/%s/v2", name))
		return
	}
	if !grant.Permits(r.Method, tail[len("v2"):]) {
		writeError(w, scim.Errorf(http.StatusForbidden, "", "this credential is read-only: only GET and POST .search are allowed"))
		return
	}
	ctx := r.Context()
	if g.opts.RequestTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, g.opts.RequestTimeout)
		defer cancel()
	}
	if a != nil {
		ctx = a.track(ctx)
	}
	if ctx != r.Context() {
		r = r.WithContext(ctx)
	}
	in.handler.ServeHTTP(w, r)
}

// refuse answers a request whose credentials failed: 401, or 429 with
// Retry-After once the client address has used up its failure budget.
func (g *Gateway) refuse(w http.ResponseWriter, r *http.Request, obs *metrics.Observer) {
	if wait, blocked := g.failure(r, obs); blocked {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)))
		writeError(w, scim.Errorf(http.StatusTooManyRequests, "", "too many failed authentications from this address; retry after %s", wait))
		return
	}
	unauthorized(w, r)
}

// failure records a failed authentication from the request's address in
// the limiter and the metrics, and reports whether the address is
// blocked and for how long.
func (g *Gateway) failure(r *http.Request, obs *metrics.Observer) (wait time.Duration, blocked bool) {
	if g.limiter != nil {
		wait, blocked = g.limiter.fail(g.clientAddr(r), g.now())
	}
	obs.ObserveAuthFailure(blocked)
	return wait, blocked
}

// AdminAuthFailed records a failed authentication at the admin API in
// the same per-address budget as SCIM and /metrics, so that guessing
// tokens on one endpoint does not reset the budget of another. It
// reports whether the address is now blocked, and for how long.
func (g *Gateway) AdminAuthFailed(r *http.Request) (retryAfter time.Duration, blocked bool) {
	return g.failure(r, g.adminAuth)
}

// serveMetrics serves /metrics, behind MetricsTokenHash when set.
func (g *Gateway) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if g.opts.MetricsTokenHash != nil && !authorized(r, g.opts.MetricsTokenHash) {
		g.refuse(w, r, g.metricsAuth)
		return
	}
	g.metricsHandler.ServeHTTP(w, r)
}

func (g *Gateway) serveReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := g.checkReady(ctx); err != nil {
		if errors.Is(err, errShuttingDown) {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		g.log.Warn("readiness: store unreachable", "error", err)
		http.Error(w, "store unreachable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ready\n"))
}

var errShuttingDown = errors.New("shutting down")

// checkReady reports why the gateway should not get new requests: it is
// shutting down or its store does not answer. /readyz and the
// scimconnect_ready metric both use it.
func (g *Gateway) checkReady(ctx context.Context) error {
	if !g.ready.Load() {
		return errShuttingDown
	}
	if g.opts.Store != nil {
		if err := g.opts.Store.Ping(ctx); err != nil {
			return fmt.Errorf("store unreachable: %w", err)
		}
	}
	return nil
}

// BearerChallenge is the WWW-Authenticate value of a 401 to r: a request
// without a bearer token, with no credentials or with those of another
// scheme such as Basic, gets the challenge without an error code (RFC 6750
// §3.1: "attempted using an unsupported authentication method"); one whose
// bearer token failed gets invalid_token.
func BearerChallenge(r *http.Request, realm string) string {
	challenge := `Bearer realm="` + realm + `"`
	if scheme, _ := authorization(r); strings.EqualFold(scheme, "Bearer") { // RFC 7235 §2.1: any case
		challenge += `, error="invalid_token"`
	}
	return challenge
}

// authorized checks "Authorization: Bearer <token>" against the stored
// hash in constant time.
func authorized(r *http.Request, want []byte) bool {
	token, ok := bearerToken(r)
	return ok && tokenMatches(token, want)
}

func unauthorized(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("WWW-Authenticate", BearerChallenge(r, "scimconnect"))
	detail := "missing or invalid bearer token for this SCIM endpoint"
	if scheme, _ := authorization(r); scheme != "" && !strings.EqualFold(scheme, "Bearer") {
		// Say why a client sending Basic or another scheme is refused, without
		// echoing what it sent.
		detail = "this SCIM endpoint accepts only bearer tokens (Authorization: Bearer <token>); the request used another authentication scheme"
	}
	writeError(w, scim.Errorf(http.StatusUnauthorized, "", "%s", detail))
}

func writeError(w http.ResponseWriter, e *scim.Error) {
	body, _ := e.MarshalJSON()
	w.Header().Set("Content-Type", scim.MediaType)
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}
