package okta_test

import (
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/connectortest"
	"github.com/scimconnect/scimconnect/connector/okta"
	"github.com/scimconnect/scimconnect/connector/okta/oktasim"
)

func TestConformance(t *testing.T) {
	typ := okta.Type
	// Okta rejects profile attributes its Profile Editor does not declare:
	// the custom attribute must exist on the simulated org too.
	typ.Simulator = func() connector.Simulator {
		return okta.NewSimulator(oktasim.New(oktasim.WithUserProfileAttributes("badge"), oktasim.WithRateLimit(oktasim.DefaultRateLimit, time.Second)))
	}
	connectortest.Run(t, connectortest.Harness{
		Type:             typ,
		User:             connectortest.DefaultUser,
		Disabled:         "title",
		CustomAttributes: "badge|string;",
	})
}
