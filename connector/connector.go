// Package connector defines what a connector is to the gateway: a named,
// versioned type that, given an instance's parameters, opens the SCIM
// resource types that instance serves.
//
// A connector knows nothing of HTTP routing or authentication: it hands
// the gateway provider.ResourceType values (a schema plus a backend) and
// the protocol features it supports, and the gateway mounts them at
// /scim/{instance}/v2.
package connector

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"slices"

	"github.com/scimconnect/scimconnect/connector/httpx"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/store"
)

// Env is what the gateway gives a connector instance when it opens it.
type Env struct {
	// Instance is the instance's name, unique in the gateway.
	Instance string
	// Store is the gateway's store. Only the built-in local directory keeps
	// resources there; target connectors use it for id mappings.
	Store store.Store
	// Logger is scoped to the instance.
	Logger *slog.Logger
	// CustomAttributes is the instance's custom attribute specification in
	// the seeds' format "name|type;name2|type;" ("" for none). Connectors
	// that accept no custom attributes reject a non-empty value.
	CustomAttributes string
	// DisabledAttributes are the SCIM paths the instance disables
	// ("nickName", "name.middleName", extension attributes with their URN).
	DisabledAttributes []string
	// Version is the connector version the instance was created with
	// (store.Instance.Version); "" means the type's current version.
	Version string
	// TargetObserver, when set, is given to the instance's target HTTP
	// client so that target calls show in the metrics.
	TargetObserver httpx.Observer
}

// Param declares one configuration parameter of a connector type.
type Param struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Required    bool   `json:"required"`
	Secret      bool   `json:"secret"`
	Type        string `json:"type"` // "string", "url", "bool", "int"
}

// Type is a registered connector type.
type Type struct {
	Name        string // registry key, e.g. "local"
	Version     string // e.g. "1.0"
	Description string
	Params      []Param
	// Open validates params and returns the live instance; it must not
	// have side effects beyond what the instance needs to serve.
	Open func(ctx context.Context, env Env, params json.RawMessage) (Instance, error)
	// Simulator, when set, returns a new in-memory simulator of the
	// target; "scimconnect sim", the demo and the conformance suite use it.
	Simulator func() Simulator
	// Declaration is the connector's framework declaration (a
	// *bridge.Connector for target connectors, nil for local), for the
	// conformance suite; typed any so this package stays below bridge.
	Declaration any
}

// UnknownParam returns the first name of params, in sorted order, that t
// does not declare as a parameter spelled exactly. Connectors read their
// parameters ignoring case, so a "Token" accepted here would run as the
// secret token while every check and mask that names parameters missed it.
func UnknownParam[V any](t Type, params map[string]V) (string, bool) {
	for _, k := range slices.Sorted(maps.Keys(params)) {
		if !slices.ContainsFunc(t.Params, func(p Param) bool { return p.Name == k }) {
			return k, true
		}
	}
	return "", false
}

// Simulator is an in-memory simulator of a connector's target application.
type Simulator interface {
	// ServeHTTP serves the target's API.
	http.Handler
	// Params returns instance parameters that point a connector instance
	// at the simulator served at baseURL, with credentials it accepts.
	Params(baseURL string) json.RawMessage
	// Credentials describes, for a human, the credentials it accepts.
	Credentials() string
	// FailNext makes the next n target requests fail with status.
	FailNext(n, status int)
	// Unhandled returns descriptions of requests to routes it does not
	// model; a conformance run fails when any exist.
	Unhandled() []string
}

// Instance is an opened connector instance.
type Instance interface {
	// ResourceTypes returns the resource types the instance serves.
	ResourceTypes() []provider.ResourceType
	// Features returns the optional SCIM features the instance supports.
	Features() provider.Features
	// Close releases the instance's resources.
	Close() error
}

// Wrapper is implemented by instances that must see requests before the
// SCIM provider does; the gateway serves Wrap(provider) instead of the
// provider. Target connectors with disabled attributes use it to drop
// them from POST and PUT bodies before schema validation would reject
// them as unknown; only bodies that may name one are decoded there.
type Wrapper interface {
	Wrap(next http.Handler) http.Handler
}

// Registry maps connector type names to types.
type Registry map[string]Type

// ErrNoConnectionTest is what an instance's TestConnection returns when
// its connector has no cheap authenticated call to make.
var ErrNoConnectionTest = errors.New("this connector has no connection test")
