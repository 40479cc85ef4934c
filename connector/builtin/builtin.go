// Package builtin is the one place that lists every connector type the
// scimconnect binary ships. Adding a connector is one line here.
package builtin

import (
	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/local"
	"github.com/scimconnect/scimconnect/connector/okta"
)

// Registry returns the built-in connector types.
func Registry() connector.Registry {
	return connector.Registry{
		"local": local.Type,
		"okta":  okta.Type,
	}
}
