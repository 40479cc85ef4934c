package bridge_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/bridge"
	"github.com/scimconnect/scimconnect/scim"
)

// listUsers declares a user type over f that lists with f's paging.
func listUsers(f *fake, maxScan int) *bridge.Connector {
	return declaration(bridge.Resource{
		Ops:         bridge.OpAll &^ bridge.OpMembers,
		Paging:      f.opts.paging,
		MaxPageSize: f.opts.pageMax,
		TotalCount:  f.opts.totals,
		Filters:     []string{"userName eq"},
		MaxScan:     maxScan,
	}, updater{f}, nil, nil)
}

// TestIndexPaging pages with startIndex and count over every target
// paging style, with and without target totals. Without a total,
// totalResults is an estimate: the results up to the page's end plus
// one before the last page, exact on it (package documentation, Paging).
func TestIndexPaging(t *testing.T) {
	type page struct {
		start, count int
		want         []int // indexes into the seeded ids
		total        int
	}
	withTotals := []page{
		{1, 3, []int{0, 1, 2}, 7},
		{4, 3, []int{3, 4, 5}, 7},
		{7, 3, []int{6}, 7},
		{9, 3, nil, 7},
		{3, 0, nil, 7},
	}
	noTotals := []page{
		{1, 3, []int{0, 1, 2}, 4},
		{4, 3, []int{3, 4, 5}, 7},
		{7, 3, []int{6}, 7},
		{5, 2, []int{4, 5}, 7},
	}
	for _, tc := range []struct {
		name  string
		opts  fakeOptions
		pages []page
	}{
		{"offset/totals", fakeOptions{paging: bridge.PagingOffset, pageMax: 2, totals: true}, withTotals},
		{"offset/noTotals", fakeOptions{paging: bridge.PagingOffset, pageMax: 2}, append(noTotals, page{9, 3, nil, 7}, page{8, 3, nil, 7}, page{1000, 3, nil, 7})},
		{"none/totals", fakeOptions{paging: bridge.PagingNone, totals: true}, withTotals},
		{"none/noTotals", fakeOptions{paging: bridge.PagingNone}, append(noTotals, page{9, 3, nil, 7})},
		{"cursor/totals", fakeOptions{paging: bridge.PagingCursor, pageMax: 2, totals: true}, withTotals},
		{"cursor/noTotals", fakeOptions{paging: bridge.PagingCursor, pageMax: 2}, append(noTotals, page{9, 3, nil, 7})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(tc.opts)
			seeded := seedUsers(f, 7)
			s := start(t, listUsers(f, 0), connector.Env{})
			for _, p := range tc.pages {
				what := fmt.Sprintf("startIndex=%d count=%d", p.start, p.count)
				r := s.do(t, "GET", fmt.Sprintf("/Users?startIndex=%d&count=%d", p.start, p.count), nil).must(t, what, 200)
				var want []string
				for _, i := range p.want {
					want = append(want, seeded[i])
				}
				if diff := cmp.Diff(want, ids(t, r.body)); diff != "" {
					t.Errorf("%s: ids (-want +got):\n%s", what, diff)
				}
				if got := totalResults(r.body); got != p.total {
					t.Errorf("%s: totalResults %d, want %d", what, got, p.total)
				}
			}
		})
	}
}

// TestPastTheEnd checks what a startIndex past the end costs over an
// offset-paged target that cannot count: an exact totalResults from a
// binary search with one-object pages, not a read of the whole list.
func TestPastTheEnd(t *testing.T) {
	f := newFake(fakeOptions{paging: bridge.PagingOffset, pageMax: 2})
	seedUsers(f, 7)
	s := start(t, listUsers(f, 0), connector.Env{})
	r := s.do(t, "GET", "/Users?startIndex=100001&count=10", nil).must(t, "past the end", 200)
	if got := totalResults(r.body); got != 7 {
		t.Errorf("totalResults %d, want 7", got)
	}
	// One read at the offset, then log2(100000) ≈ 17 probes.
	if n := f.Calls()["list"]; n > 18 {
		t.Errorf("%d list calls, want at most 18", n)
	}
}

// TestCursorPaging follows nextCursor (RFC 9865) over every target paging
// style: every object once, in order; totalResults is omitted while the
// target cannot count and more pages follow.
func TestCursorPaging(t *testing.T) {
	for _, tc := range []fakeOptions{
		{paging: bridge.PagingOffset, pageMax: 2, totals: true},
		{paging: bridge.PagingOffset, pageMax: 2},
		{paging: bridge.PagingNone, totals: true},
		{paging: bridge.PagingNone},
		{paging: bridge.PagingCursor, pageMax: 2, totals: true},
		{paging: bridge.PagingCursor, pageMax: 2},
	} {
		t.Run(fmt.Sprintf("%s/totals=%v", tc.paging, tc.totals), func(t *testing.T) {
			f := newFake(tc)
			seeded := seedUsers(f, 7)
			s := start(t, listUsers(f, 0), connector.Env{})
			var got []string
			cursor := ""
			for page := 1; ; page++ {
				if page > 10 {
					t.Fatalf("more than 10 pages of 3 for 7 users")
				}
				r := s.do(t, "GET", "/Users?count=3&cursor="+url.QueryEscape(cursor), nil).must(t, "page", 200)
				got = append(got, ids(t, r.body)...)
				cursor = str(r.body, "nextCursor")
				total := totalResults(r.body)
				switch {
				case tc.totals || cursor == "":
					if total != 7 {
						t.Errorf("page %d: totalResults %d, want 7", page, total)
					}
				case total != -1:
					t.Errorf("page %d: totalResults %d, want it omitted (the target cannot count)", page, total)
				}
				if cursor == "" {
					break
				}
			}
			if diff := cmp.Diff(seeded, got); diff != "" {
				t.Errorf("ids over all pages (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRememberedCursors pages with startIndex through a cursor-paged
// target: each SCIM page starts from the target cursor remembered at the
// end of the previous one, so N pages cost N target pages, not N²/2.
func TestRememberedCursors(t *testing.T) {
	const pages, size = 10, 2
	f := newFake(fakeOptions{paging: bridge.PagingCursor, pageMax: size})
	seeded := seedUsers(f, pages*size)
	s := start(t, listUsers(f, 0), connector.Env{})
	var got []string
	for p := range pages {
		r := s.do(t, "GET", fmt.Sprintf("/Users?startIndex=%d&count=%d", 1+p*size, size), nil).must(t, "page", 200)
		got = append(got, ids(t, r.body)...)
	}
	if diff := cmp.Diff(seeded, got); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	if n := f.Calls()["list"]; n != pages {
		t.Errorf("%d SCIM pages cost %d target pages, want %d", pages, n, pages)
	}

	// A jump to a page never reached reads forward from the nearest
	// remembered cursor, not from the start.
	f2 := newFake(fakeOptions{paging: bridge.PagingCursor, pageMax: size})
	seeded = seedUsers(f2, pages*size)
	s2 := start(t, listUsers(f2, 0), connector.Env{})
	s2.do(t, "GET", fmt.Sprintf("/Users?startIndex=%d&count=%d", 1+4*size, size), nil).must(t, "page 5", 200)
	if n := f2.Calls()["list"]; n != 5 {
		t.Errorf("jump to page 5: %d target pages, want 5", n)
	}
	f2.resetCalls()
	r := s2.do(t, "GET", fmt.Sprintf("/Users?startIndex=%d&count=%d", 1+6*size, size), nil).must(t, "page 7", 200)
	if diff := cmp.Diff(seeded[6*size:7*size], ids(t, r.body)); diff != "" {
		t.Errorf("page 7 ids (-want +got):\n%s", diff)
	}
	if n := f2.Calls()["list"]; n != 2 {
		t.Errorf("page 7 after page 5: %d target pages, want 2 (one skipped, one read)", n)
	}
}

// TestFilters covers pushed-down filters, filters evaluated in the
// gateway within the scan limit, the tooMany limit past it, and filters
// the connector cannot answer.
func TestFilters(t *testing.T) {
	f := newFake(fakeOptions{paging: bridge.PagingOffset, pageMax: 2})
	seeded := seedUsers(f, 7) // titles t0, t1, t2, t0, t1, t2, t0
	s := start(t, listUsers(f, 0), connector.Env{})
	small := start(t, listUsers(f, 5), connector.Env{})
	for _, tc := range []struct {
		name   string
		s      *server
		filter string
		want   []string
		// status and scimType of an error answer
		status   int
		scimType string
		calls    int // target list calls, -1 to skip the check
	}{
		{name: "pushed", s: s, filter: `userName eq "user3@example.com"`, want: seeded[3:4], status: 200, calls: 1},
		{name: "pushed, case-insensitive", s: s, filter: `userName eq "USER3@example.com"`, want: seeded[3:4], status: 200, calls: 1},
		{name: "gateway", s: s, filter: `title eq "t0"`, want: []string{seeded[0], seeded[3], seeded[6]}, status: 200, calls: 4},
		{name: "gateway, not", s: s, filter: `not (title eq "t0") and name.givenName eq "G"`, want: []string{seeded[1], seeded[2], seeded[4], seeded[5]}, status: 200, calls: -1},
		{name: "gateway, or with pushable", s: s, filter: `userName eq "user1@example.com" or title eq "t2"`, want: []string{seeded[1], seeded[2], seeded[5]}, status: 200, calls: -1},
		{name: "scan limit", s: small, filter: `title eq "t0"`, status: 400, scimType: scim.TooMany, calls: -1},
		{name: "pushed under scan limit", s: small, filter: `userName eq "user6@example.com"`, want: seeded[6:7], status: 200, calls: 1},
		{name: "not read from target", s: s, filter: `nickName eq "x"`, status: 400, scimType: scim.InvalidFilter, calls: 0},
		{name: "not read, inside or", s: s, filter: `title eq "t0" or displayName pr`, status: 400, scimType: scim.InvalidFilter, calls: 0},
		{name: "groups", s: s, filter: `groups.value eq "g"`, status: 400, scimType: scim.InvalidFilter, calls: 0},
		// meta as the responses show it (every seeded user is created at 2024-01-02T03:04:05Z)
		{name: "meta.created after", s: s, filter: `meta.created gt "2024-01-01T00:00:00Z"`, want: seeded, status: 200, calls: -1},
		{name: "meta.created before", s: s, filter: `meta.created lt "2024-01-01T00:00:00Z"`, want: nil, status: 200, calls: -1},
		{name: "meta.lastModified with offset", s: s, filter: `meta.lastModified eq "2024-01-02T04:04:05+01:00" and title eq "t2"`, want: []string{seeded[2], seeded[5]}, status: 200, calls: -1},
		{name: "meta.resourceType", s: s, filter: `meta.resourceType eq "User" and title eq "t1"`, want: []string{seeded[1], seeded[4]}, status: 200, calls: -1},
		{name: "meta.resourceType of another type", s: s, filter: `meta.resourceType eq "Group"`, want: nil, status: 200, calls: -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.resetCalls()
			r := tc.s.do(t, "GET", "/Users?filter="+url.QueryEscape(tc.filter), nil)
			if tc.status != 200 {
				d := r.scimError(t, tc.filter, tc.status, tc.scimType)
				if d == "" {
					t.Errorf("%s: error without detail", tc.filter)
				}
			} else {
				r.must(t, tc.filter, 200)
				if diff := cmp.Diff(tc.want, ids(t, r.body)); diff != "" {
					t.Errorf("ids (-want +got):\n%s", diff)
				}
				if got := totalResults(r.body); got != len(tc.want) {
					t.Errorf("totalResults %d, want %d", got, len(tc.want))
				}
			}
			if n := f.Calls()["list"]; tc.calls >= 0 && n != tc.calls {
				t.Errorf("target list calls %d, want %d", n, tc.calls)
			}
		})
	}
}

// TestFilterPaging pages a gateway-evaluated filter with both paging
// styles: totals are exact since the gateway read every match.
func TestFilterPaging(t *testing.T) {
	f := newFake(fakeOptions{paging: bridge.PagingCursor, pageMax: 2})
	seeded := seedUsers(f, 9) // t0 at 0, 3, 6
	s := start(t, listUsers(f, 0), connector.Env{})
	q := "/Users?filter=" + url.QueryEscape(`title eq "t0"`)
	r := s.do(t, "GET", q+"&startIndex=2&count=1", nil).must(t, "index page", 200)
	if diff := cmp.Diff(seeded[3:4], ids(t, r.body)); diff != "" {
		t.Errorf("index page ids (-want +got):\n%s", diff)
	}
	if got := totalResults(r.body); got != 3 {
		t.Errorf("totalResults %d, want 3", got)
	}
	var got []string
	cursor := ""
	for range 4 {
		r := s.do(t, "GET", q+"&count=2&cursor="+url.QueryEscape(cursor), nil).must(t, "cursor page", 200)
		got = append(got, ids(t, r.body)...)
		if cursor = str(r.body, "nextCursor"); cursor == "" {
			break
		}
	}
	if diff := cmp.Diff([]string{seeded[0], seeded[3], seeded[6]}, got); diff != "" {
		t.Errorf("cursor pages (-want +got):\n%s", diff)
	}
}
