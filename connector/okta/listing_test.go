package okta_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/okta/oktasim"
)

// TestListingIncludesDeprovisioned: Okta's plain listing leaves out
// DEPROVISIONED users, which the gateway serves by id as active=false
// (Okta's first DELETE, or deactivating a user that is not ACTIVE). A
// client reconciling its accounts (a full import, SailPoint's aggregation)
// must see them in GET /Users too, else it takes them for deleted. Every
// page size walks the boundary between the two parts of the listing.
func TestListingIncludesDeprovisioned(t *testing.T) {
	sim := oktasim.New()
	s := startOktaSim(t, sim, connector.Env{})
	var all, deprovisioned []string
	for i := range 5 {
		id := createUser(t, s, fmt.Sprintf("listing.%d@example.com", i))
		all = append(all, id)
		if i%2 == 1 {
			if err := sim.SetUserStatus(id, "DEPROVISIONED"); err != nil {
				t.Fatal(err)
			}
			deprovisioned = append(deprovisioned, id)
		}
	}
	slices.Sort(all)
	for _, query := range []string{"", "&filter=" + url.QueryEscape(`not (userName eq "nobody@example.com")`)} {
		for count := 1; count <= 6; count++ {
			var got []string
			for start := 1; start <= 10; start += count {
				code, page := s.Do(t, "GET", fmt.Sprintf("/Users?attributes=active&count=%d&startIndex=%d%s", count, start, query), nil)
				if code != 200 {
					t.Fatalf("count=%d startIndex=%d%s: %d %v", count, start, query, code, page)
				}
				res, _ := page["Resources"].([]any)
				for _, r := range res {
					u := r.(map[string]any)
					id := u["id"].(string)
					got = append(got, id)
					if want := !slices.Contains(deprovisioned, id); u["active"] != want {
						t.Errorf("user %s: active %v, want %v", id, u["active"], want)
					}
				}
				if len(res) < count {
					break
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, all) {
				t.Errorf("count=%d%s: listed %v, want every user %v", count, query, got, all)
			}
			// The same with cursors (RFC 9865).
			got, cursor := nil, ""
			for range 10 {
				code, page := s.Do(t, "GET", fmt.Sprintf("/Users?attributes=active&count=%d&cursor=%s%s", count, url.QueryEscape(cursor), query), nil)
				if code != 200 {
					t.Fatalf("count=%d cursor=%q%s: %d %v", count, cursor, query, code, page)
				}
				for _, r := range page["Resources"].([]any) {
					got = append(got, r.(map[string]any)["id"].(string))
				}
				if cursor, _ = page["nextCursor"].(string); cursor == "" {
					break
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, all) {
				t.Errorf("count=%d%s with cursors: listed %v, want every user %v", count, query, got, all)
			}
		}
	}
}
