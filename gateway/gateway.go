// Package gateway serves every connector instance as its own SCIM service
// provider at /scim/{instance}/v2, behind that instance's bearer token,
// with health endpoints, request logging and request ids.
//
// The request path: Gateway.ServeHTTP → logging middleware (request id,
// one log line) → instance lookup → bearer token check (constant time,
// against a SHA-256 hash) → the instance's provider.Provider → the
// connector's provider.Backend.
package gateway

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimconnect/scimconnect/connector"
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
}

// InstanceSpec describes an instance to mount.
type InstanceSpec struct {
	Name      string
	Type      string
	Params    []byte // JSON
	TokenHash []byte // SHA-256 of the bearer token
}

// Gateway is the top-level http.Handler.
type Gateway struct {
	opts Options
	log  *slog.Logger

	mu        sync.RWMutex
	instances map[string]*instance

	ready atomic.Bool
}

type instance struct {
	name      string
	typ       string
	tokenHash []byte
	handler   http.Handler
	conn      connector.Instance
}

// New returns a gateway with no instances.
func New(opts Options) *Gateway {
	g := &Gateway{opts: opts, log: opts.Logger, instances: map[string]*instance{}}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	g.opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	g.ready.Store(true)
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
	if len(spec.TokenHash) != sha256.Size {
		return fmt.Errorf("instance %q: a SHA-256 token hash is required", spec.Name)
	}
	logger := g.log.With("instance", spec.Name)
	conn, err := typ.Open(ctx, connector.Env{Instance: spec.Name, Store: g.opts.Store, Logger: logger}, spec.Params)
	if err != nil {
		return fmt.Errorf("instance %q: %w", spec.Name, err)
	}
	cfg := g.opts.Provider
	cfg.BaseURL = g.BaseURL(spec.Name)
	cfg.Features = conn.Features()
	cfg.Logger = logger
	p, err := provider.New(cfg, conn.ResourceTypes()...)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("instance %q: %w", spec.Name, err)
	}
	in := &instance{name: spec.Name, typ: spec.Type, tokenHash: spec.TokenHash, handler: p, conn: conn}
	g.mu.Lock()
	old := g.instances[spec.Name]
	g.instances[spec.Name] = in
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

// ServeHTTP routes /healthz, /readyz and /scim/{instance}/v2/...
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/healthz":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
		return
	case "/readyz":
		g.serveReady(w, r)
		return
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
	// An unknown instance answers exactly like a wrong token, so that
	// instance names cannot be probed without credentials.
	if in == nil || !authorized(r, in.tokenHash) {
		unauthorized(w)
		return
	}
	if tail != "v2" && !strings.HasPrefix(tail, "v2/") {
		writeError(w, scim.NotFound("no such endpoint: SCIM endpoints of this instance are under /scim/%s/v2", name))
		return
	}
	prefix := "/scim/" + name + "/v2"
	http.StripPrefix(prefix, in.handler).ServeHTTP(w, r)
}

func (g *Gateway) serveReady(w http.ResponseWriter, r *http.Request) {
	if !g.ready.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	if g.opts.Store != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := g.opts.Store.Ping(ctx); err != nil {
			g.log.Warn("readiness: store unreachable", "error", err)
			http.Error(w, "store unreachable", http.StatusServiceUnavailable)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ready\n"))
}

// authorized checks "Authorization: Bearer <token>" against the stored
// hash in constant time.
func authorized(r *http.Request, want []byte) bool {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return false
	}
	got := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(got[:], want) == 1
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="scimconnect", error="invalid_token"`)
	writeError(w, scim.Errorf(http.StatusUnauthorized, "", "missing or invalid bearer token for this SCIM endpoint"))
}

func writeError(w http.ResponseWriter, e *scim.Error) {
	body, _ := e.MarshalJSON()
	w.Header().Set("Content-Type", scim.MediaType)
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}
