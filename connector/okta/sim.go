package okta

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/okta/oktasim"
)

// simulator adapts oktasim to connector.Simulator.
type simulator struct{ *oktasim.Server }

var _ connector.Simulator = simulator{}

// newSimulator returns a simulator whose rate-limit windows last a second
// rather than Okta's minute, so that a 429's X-Rate-Limit-Reset is within
// the client's retry wait and tests do not sleep for a minute. Its search
// lags behind writes by a few requests, as Okta's eventually consistent
// search does (spec listUsers, listGroups), so that what relies on search
// seeing a change at once fails here rather than against Okta.
func newSimulator() connector.Simulator {
	return simulator{oktasim.New(oktasim.WithRateLimit(oktasim.DefaultRateLimit, time.Second), oktasim.WithSearchLag(searchLag))}
}

// searchLag is the simulator's search lag, in requests.
const searchLag = 3

// NewSimulator returns a simulator around an existing oktasim server.
func NewSimulator(s *oktasim.Server) connector.Simulator { return simulator{s} }

// Params points an instance at the simulator.
func (s simulator) Params(baseURL string) json.RawMessage {
	b, _ := json.Marshal(Config{Token: s.Token(), TargetURL: baseURL})
	return b
}

// Credentials describes the accepted API token.
func (s simulator) Credentials() string {
	return "API token " + s.Token() + " (header Authorization: SSWS " + s.Token() + ")"
}

// Unhandled describes the requests to unmodelled routes.
func (s simulator) Unhandled() []string {
	var out []string
	for _, r := range s.Server.Unhandled() {
		out = append(out, fmt.Sprintf("%s %s?%s -> %d", r.Method, r.Path, r.Query.Encode(), r.Status))
	}
	return out
}
