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
	"log/slog"

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

// Registry maps connector type names to types.
type Registry map[string]Type
