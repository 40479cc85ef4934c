package provider

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/filter"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// Config sets the limits and advertised features of a provider.
type Config struct {
	// BaseURL is the absolute base of this service provider, e.g.
	// "http://127.0.0.1:8080/scim/local/v2"; meta.location and Location
	// headers are built from it.
	BaseURL string
	// DefaultPageSize is used when a list request has no count.
	DefaultPageSize int
	// MaxPageSize caps count; advertised as filter.maxResults and pagination.maxPageSize.
	MaxPageSize int
	// MaxBodyBytes caps request bodies except /Bulk.
	MaxBodyBytes int64
	// BulkMaxOperations and BulkMaxPayload are advertised in bulk and enforced.
	BulkMaxOperations int
	BulkMaxPayload    int64
	// FilterLimits bound filter length and complexity.
	FilterLimits filter.Limits
	// CursorKey signs cursors; replicas sharing it accept each other's cursors.
	// A random key is generated when empty.
	CursorKey []byte
	// CursorTTL is how long a cursor stays valid (advertised as cursorTimeout).
	CursorTTL time.Duration
	// DocumentationURI is advertised in /ServiceProviderConfig.
	DocumentationURI string
	// Features are the optional features advertised; see AllFeatures.
	Features Features
	// AuthSchemes are advertised in /ServiceProviderConfig; the bearer
	// token scheme when empty.
	AuthSchemes []AuthScheme
	// Logger receives internal errors; nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns the defaults: pages of 100 up to 1,000, 1 MiB bodies,
// bulk of 1,000 operations or 4 MiB, cursors valid for 10 minutes.
func DefaultConfig() Config {
	return Config{
		DefaultPageSize:   100,
		MaxPageSize:       1000,
		MaxBodyBytes:      1 << 20,
		BulkMaxOperations: 1000,
		BulkMaxPayload:    4 << 20,
		FilterLimits:      filter.DefaultLimits,
		CursorTTL:         10 * time.Minute,
		DocumentationURI:  "https://github.com/scimconnect/scimconnect",
		Features:          AllFeatures,
	}
}

// Provider is the http.Handler of one SCIM service provider. Its routes are
// relative to the base URL: the gateway strips "/scim/{instance}/v2".
type Provider struct {
	cfg     Config
	types   []ResourceType
	byPath  map[string]*ResourceType // lower-cased endpoint without slash: "users"
	cursors *cursorCodec
	log     *slog.Logger
	base    string
	// cursorScope is the base URL's path ("/scim/{instance}/v2"), which
	// cursors are bound to; not the origin, so that replicas reached
	// under different public URLs accept each other's cursors.
	cursorScope string

	rendered renderCache
}

// New returns a provider serving the given resource types.
func New(cfg Config, types ...ResourceType) (*Provider, error) {
	d := DefaultConfig()
	if cfg.DefaultPageSize <= 0 {
		cfg.DefaultPageSize = d.DefaultPageSize
	}
	if cfg.MaxPageSize <= 0 {
		cfg.MaxPageSize = d.MaxPageSize
	}
	if cfg.DefaultPageSize > cfg.MaxPageSize {
		cfg.DefaultPageSize = cfg.MaxPageSize
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = d.MaxBodyBytes
	}
	if cfg.BulkMaxOperations <= 0 {
		cfg.BulkMaxOperations = d.BulkMaxOperations
	}
	if cfg.BulkMaxPayload <= 0 {
		cfg.BulkMaxPayload = d.BulkMaxPayload
	}
	if cfg.FilterLimits == (filter.Limits{}) {
		cfg.FilterLimits = d.FilterLimits
	}
	if cfg.CursorTTL <= 0 {
		cfg.CursorTTL = d.CursorTTL
	}
	if cfg.DocumentationURI == "" {
		cfg.DocumentationURI = d.DocumentationURI
	}
	if len(cfg.CursorKey) == 0 {
		cfg.CursorKey = make([]byte, 32)
		if _, err := rand.Read(cfg.CursorKey); err != nil {
			return nil, fmt.Errorf("provider: cursor key: %w", err)
		}
	}
	p := &Provider{
		cfg:     cfg,
		byPath:  map[string]*ResourceType{},
		cursors: &cursorCodec{key: cfg.CursorKey, ttl: cfg.CursorTTL},
		log:     cfg.Logger,
		base:    strings.TrimRight(cfg.BaseURL, "/"),
	}
	p.cursorScope = p.base
	if u, err := url.Parse(p.base); err == nil {
		p.cursorScope = u.EscapedPath()
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	for _, t := range types {
		if t.Type == nil || t.Backend == nil {
			return nil, errors.New("provider: resource type without schema or backend")
		}
		key := strings.ToLower(strings.TrimPrefix(t.Type.Endpoint, "/"))
		if _, dup := p.byPath[key]; dup {
			return nil, fmt.Errorf("provider: duplicate endpoint %q", t.Type.Endpoint)
		}
		if cv, ok := t.Backend.(ContentVersioned); ok {
			t.versioned = cv.ContentVersioned()
		}
		p.types = append(p.types, t)
		p.byPath[key] = &p.types[len(p.types)-1]
	}
	return p, nil
}

// ResourceTypes returns the resource types the provider serves.
func (p *Provider) ResourceTypes() []ResourceType { return p.types }

// location returns the absolute URL of a resource.
func (p *Provider) location(rt *schema.ResourceType, id string) string {
	return p.base + rt.Endpoint + "/" + url.PathEscape(id)
}

// ServeHTTP routes a request relative to the base URL (RFC 7644 §3.2).
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Route on the escaped path so that an id holding "/" or "%" stays one
	// segment; only the id segment is unescaped.
	path := strings.Trim(r.URL.EscapedPath(), "/")
	first, rest, _ := strings.Cut(path, "/")
	switch strings.ToLower(first) {
	case "serviceproviderconfig":
		p.serveDiscovery(w, r, rest, p.serviceProviderConfig)
		return
	case "resourcetypes":
		p.serveDiscovery(w, r, rest, p.resourceTypesDoc)
		return
	case "schemas":
		p.serveDiscovery(w, r, rest, p.schemasDoc)
		return
	case "bulk":
		if rest != "" {
			p.writeError(w, r, scim.NotFound("no such endpoint %q", "/"+path))
			return
		}
		if !allow(w, r, http.MethodPost) {
			p.writeError(w, r, methodNotAllowed(r, "/Bulk"))
			return
		}
		p.serveBulk(w, r)
		return
	case ".search":
		if rest != "" {
			break
		}
		if !allow(w, r, http.MethodPost) {
			p.writeError(w, r, methodNotAllowed(r, "/.search"))
			return
		}
		p.serveRootSearch(w, r)
		return
	case "me":
		p.writeError(w, r, scim.Errorf(http.StatusNotImplemented, "", "the /Me endpoint is not supported by this service provider"))
		return
	}
	if first == "" {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			p.writeError(w, r, methodNotAllowed(r, "/"))
			return
		}
		p.serveRootQuery(w, r)
		return
	}
	rt := p.byPath[strings.ToLower(first)]
	if rt == nil {
		p.writeError(w, r, scim.NotFound("no such endpoint %q", "/"+path))
		return
	}
	if rest == "" {
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			p.serveList(w, r, rt, false)
		case http.MethodPost:
			p.serveCreate(w, r, rt)
		default:
			w.Header().Set("Allow", "GET, POST")
			p.writeError(w, r, methodNotAllowed(r, rt.Type.Endpoint))
		}
		return
	}
	if strings.EqualFold(rest, ".search") {
		if !allow(w, r, http.MethodPost) {
			p.writeError(w, r, methodNotAllowed(r, rt.Type.Endpoint+"/.search"))
			return
		}
		p.serveList(w, r, rt, true)
		return
	}
	id, err := url.PathUnescape(rest)
	if err != nil || strings.Contains(rest, "/") {
		p.writeError(w, r, scim.NotFound("no such resource %q", "/"+path))
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		p.serveGet(w, r, rt, id)
	case http.MethodPut:
		p.serveReplace(w, r, rt, id)
	case http.MethodPatch:
		p.servePatch(w, r, rt, id)
	case http.MethodDelete:
		p.serveDelete(w, r, rt, id)
	default:
		w.Header().Set("Allow", "GET, PUT, PATCH, DELETE")
		p.writeError(w, r, methodNotAllowed(r, rt.Type.Endpoint+"/{id}"))
	}
}

func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	w.Header().Set("Allow", method)
	return false
}

func methodNotAllowed(r *http.Request, path string) *scim.Error {
	return scim.Errorf(http.StatusMethodNotAllowed, "", "method %s is not allowed on %s", r.Method, path)
}

// internalError turns an unexpected error into a 500 that names a
// correlation id also found in the log, without exposing details.
func (p *Provider) internalError(ctx context.Context, err error) *scim.Error {
	id := make([]byte, 6)
	_, _ = rand.Read(id)
	ref := fmt.Sprintf("%x", id)
	p.log.ErrorContext(ctx, "internal error", "error", err, "error_id", ref)
	return scim.Errorf(http.StatusInternalServerError, "", "internal error (reference %s)", ref)
}

func escapePath(s string) string            { return url.PathEscape(s) }
func unescapePath(s string) (string, error) { return url.PathUnescape(s) }
