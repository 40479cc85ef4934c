package okta_test

import (
	"testing"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/okta/oktasim"
)

// An id that cannot be an Okta id is answered 404 without a call, for
// every operation: the target never gets "..", "." or an encoded "/" as
// a path segment, which a normalizing server or proxy on the way would
// resolve to another endpoint (DELETE /api/v1/groups/.. is DELETE
// /api/v1/), with the instance's API token.
func TestIDsThatCannotBeOktaIDsMakeNoCall(t *testing.T) {
	sim := oktasim.New()
	s := startOktaSim(t, sim, connector.Env{})
	for _, typ := range []string{"Users", "Groups"} {
		for _, id := range []string{"..", ".", "..%2Fusers%2F00u0000000000000000a", "x%3Fy"} {
			for _, method := range []string{"GET", "DELETE"} {
				sim.ResetRequests()
				if code, res := s.Do(t, method, "/"+typ+"/"+id, nil); code != 404 {
					t.Errorf("%s /%s/%s: status %d, want 404: %v", method, typ, id, code, res)
				}
				if calls := oktaCalls(sim); len(calls) > 0 {
					t.Errorf("%s /%s/%s called Okta: %v", method, typ, id, calls)
				}
			}
		}
	}
}
