package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/gateway"
	"github.com/scimconnect/scimconnect/secrets"
	"github.com/scimconnect/scimconnect/store"
)

// Prefix is the path prefix of every admin API route.
const Prefix = "/admin/v1"

// maxBodyBytes bounds request bodies: instance definitions are small.
const maxBodyBytes = 1 << 20

// OpenAPI is the OpenAPI 3.1 description of the routes.
//
//go:embed openapi.yaml
var OpenAPI []byte

// Options configure the admin API.
type Options struct {
	// TokenHash is the SHA-256 of the admin bearer token; required.
	TokenHash []byte
	// Gateway is the live gateway that changes are applied to.
	Gateway *gateway.Gateway
	// Store keeps the instances created through the API.
	Store store.Store
	// Registry holds the connector types instances may use.
	Registry connector.Registry
	// Config are the instances of the configuration file: read-only here,
	// and they win over a store instance of the same name.
	Config []gateway.InstanceSpec
	// Logger receives one line per change (never parameters); nil
	// discards.
	Logger *slog.Logger
	// Secrets encrypts secret parameters before they are stored and
	// decrypts them to mount an instance. When nil, the API refuses to
	// store a secret parameter (409 no_secret_key) rather than store it
	// in plaintext.
	Secrets *secrets.Keyring
	// Syncer, when set, is the replica's Syncer: the handler applies its
	// changes under the Syncer's lock and records them there, so that a
	// sync pass neither undoes nor repeats them. Nil when no Syncer runs.
	Syncer *Syncer
}

// Tester is implemented by connector instances that can check their
// connection to the target with a cheap authenticated call (for example
// reading one user). TestConnection returns the target's error, if any.
// Instances that do not implement it are reported as opened but not
// checked against a target.
type Tester interface {
	TestConnection(ctx context.Context) error
}

// Handler is the admin API's http.Handler; it serves paths under Prefix.
type Handler struct {
	opts   Options
	log    *slog.Logger
	config map[string]gateway.InstanceSpec

	// mu serializes changes, so that the store and the live gateway
	// change in the same order.
	mu sync.Mutex
}

// New returns the admin API handler.
func New(opts Options) (*Handler, error) {
	if len(opts.TokenHash) != sha256.Size {
		return nil, errors.New("admin: a SHA-256 admin token hash is required")
	}
	if opts.Gateway == nil || opts.Store == nil || opts.Registry == nil {
		return nil, errors.New("admin: gateway, store and registry are required")
	}
	h := &Handler{opts: opts, log: opts.Logger, config: map[string]gateway.InstanceSpec{}}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	for _, spec := range opts.Config {
		h.config[spec.Name] = spec
	}
	return h, nil
}

// route is one served method and path; {name} matches one segment.
type route struct {
	method, pattern string
	serve           func(*Handler, http.ResponseWriter, *http.Request)
}

// routes are every route the handler serves; openapi.yaml documents each.
var routes = []route{
	{http.MethodGet, Prefix + "/connector-types", (*Handler).listTypes},
	{http.MethodGet, Prefix + "/instances", (*Handler).listInstances},
	{http.MethodPost, Prefix + "/instances", (*Handler).createInstance},
	{http.MethodGet, Prefix + "/instances/{name}", (*Handler).getInstance},
	{http.MethodPut, Prefix + "/instances/{name}", (*Handler).replaceInstance},
	{http.MethodDelete, Prefix + "/instances/{name}", (*Handler).deleteInstance},
	{http.MethodPost, Prefix + "/instances/{name}/token", (*Handler).rotateToken},
	{http.MethodPost, Prefix + "/instances/{name}/test", (*Handler).testInstance},
	{http.MethodGet, Prefix + "/audit", (*Handler).queryAudit},
}

// match reports whether path matches pattern, and the {name} segment.
func match(pattern, path string) (string, bool) {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return "", false
	}
	name := ""
	for i, p := range ps {
		if p == "{name}" {
			if xs[i] == "" {
				return "", false
			}
			name = xs[i]
			continue
		}
		if p != xs[i] {
			return "", false
		}
	}
	return name, true
}

// ServeHTTP authenticates the request, then routes it. Authentication
// comes first so that unauthenticated callers learn nothing, not even
// which routes exist.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(r) {
		if wait, blocked := h.opts.Gateway.AdminAuthFailed(r); blocked {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)))
			writeError(w, &apiError{http.StatusTooManyRequests, "too_many_failures", fmt.Sprintf("too many failed authentications from this address; retry after %s", wait), ""})
			return
		}
		w.Header().Set("WWW-Authenticate", gateway.BearerChallenge(r, "scimconnect-admin"))
		writeError(w, &apiError{http.StatusUnauthorized, "unauthorized", "missing or invalid admin bearer token", ""})
		return
	}
	var allowed []string
	for _, rt := range routes {
		name, ok := match(rt.pattern, r.URL.Path)
		if !ok {
			continue
		}
		if rt.method != r.Method {
			allowed = append(allowed, rt.method)
			continue
		}
		if name != "" {
			r.SetPathValue("name", name)
		}
		rt.serve(h, w, r)
		return
	}
	if len(allowed) > 0 {
		slices.Sort(allowed)
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, &apiError{http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("%s is not allowed here; allowed: %s", r.Method, strings.Join(allowed, ", ")), ""})
		return
	}
	writeError(w, &apiError{http.StatusNotFound, "no_such_route", "no such admin API route: see " + Prefix + " in openapi.yaml", ""})
}

// authorized checks "Authorization: Bearer <token>" against the admin
// token's hash in constant time.
func (h *Handler) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return false
	}
	got := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(got[:], h.opts.TokenHash) == 1
}

// apiError is an error answer: status, a stable code, a message for
// humans and, when one input is at fault, its field.
type apiError struct {
	status  int
	code    string
	message string
	field   string
}

func (e *apiError) Error() string { return e.message }

func writeError(w http.ResponseWriter, e *apiError) {
	type body struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field,omitempty"`
	}
	writeJSON(w, e.status, map[string]body{"error": {e.code, e.message, e.field}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"error":{"code":"internal","message":"response encoding failed"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store") // responses may carry a token
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

// fail writes err: an *apiError as it is, anything else as a 500 whose
// detail stays in the log.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		writeError(w, ae)
		return
	}
	h.log.Error("admin: request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	writeError(w, &apiError{http.StatusInternalServerError, "internal", "internal error; see the server log", ""})
}

func badRequest(code, field, format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, code, fmt.Sprintf(format, args...), field}
}

// decode reads a JSON request body into v, rejecting unknown fields and
// naming the field at fault.
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &apiError{http.StatusUnsupportedMediaType, "unsupported_media_type", "the body must be application/json", ""}
	}
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &te) && te.Field == "":
			return badRequest("invalid_value", "", "the body must be a JSON object")
		case errors.As(err, &te):
			return badRequest("invalid_value", te.Field, "%s: must be a JSON %s", te.Field, jsonKind(te.Type.Kind().String()))
		case errors.As(err, &mbe):
			return &apiError{http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body exceeds %d bytes", maxBodyBytes), ""}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return badRequest("unknown_field", f, "unknown field %q", f)
		}
		return badRequest("invalid_json", "", "the body is not valid JSON: %v", err)
	}
	if dec.More() {
		return badRequest("invalid_json", "", "the body holds more than one JSON value")
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "slice":
		return "array"
	case "map", "struct":
		return "object"
	case "bool":
		return "boolean"
	}
	return "number"
}

// Wrap returns a handler that serves the admin API for paths under
// Prefix and hands every other request to next (the gateway), so that
// both share one listener.
func (h *Handler) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == Prefix || strings.HasPrefix(r.URL.Path, Prefix+"/") {
			h.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
