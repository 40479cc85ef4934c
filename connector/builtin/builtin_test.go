package builtin_test

import (
	"testing"

	"github.com/scimconnect/scimconnect/connector/builtin"
	"github.com/scimconnect/scimconnect/connector/connectortest"
)

// TestConformance runs the connector conformance suite for every
// registered connector that has a simulator. The local directory has none
// (it is not a target connector; connector/local and e2e test it).
func TestConformance(t *testing.T) {
	for name, typ := range builtin.Registry() {
		if typ.Simulator == nil {
			if name != "local" {
				t.Errorf("connector %s has no simulator: every target connector needs one", name)
			}
			continue
		}
		t.Run(name, func(t *testing.T) {
			connectortest.Run(t, connectortest.Harness{Type: typ, User: connectortest.DefaultUser, Disabled: "title"})
		})
	}
}
