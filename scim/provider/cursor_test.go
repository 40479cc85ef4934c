package provider_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/provider"
)

// TestCursorPaging walks every page with RFC 9865 cursors: an empty cursor
// asks for the first page, nextCursor leads on until it is absent, and
// previousCursor leads back.
func TestCursorPaging(t *testing.T) {
	f := newFixture(t)
	f.seedUsers(t, 7)
	all := []string{"u1", "u2", "u3", "u4", "u5", "u6", "u7"}
	tests := []struct {
		name  string
		fetch func(t *testing.T, cursor string) response
	}{
		{"GET", func(t *testing.T, cursor string) response {
			return f.do(t, "GET", "/Users?count=3&sortBy=userName&cursor="+url.QueryEscape(cursor), "")
		}},
		{"POST .search", func(t *testing.T, cursor string) response {
			return f.do(t, "POST", "/Users/.search", searchBody(t, url.Values{"count": {"3"}, "sortBy": {"userName"}, "cursor": {cursor}}))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			var pages []page
			cursor := ""
			for range 10 {
				p := listPage(t, tt.fetch(t, cursor))
				if p.start != -1 {
					t.Errorf("cursor page has startIndex %d", p.start)
				}
				if p.total != 7 {
					t.Errorf("totalResults = %d, want 7", p.total)
				}
				pages = append(pages, p)
				got = append(got, p.names...)
				if p.next == "" {
					break
				}
				cursor = p.next
			}
			if !cmp.Equal(got, all) {
				t.Errorf("pages gave %v, want %v", got, all)
			}
			if len(pages) != 3 {
				t.Fatalf("%d pages, want 3", len(pages))
			}
			if pages[0].prev != "" {
				t.Errorf("first page has previousCursor %q", pages[0].prev)
			}
			back := listPage(t, tt.fetch(t, pages[2].prev))
			if !cmp.Equal(back.names, pages[1].names) {
				t.Errorf("previousCursor of page 3 gave %v, want %v", back.names, pages[1].names)
			}
		})
	}
	t.Run("count may change between pages", func(t *testing.T) {
		first := listPage(t, f.do(t, "GET", "/Users?count=2&cursor=", ""))
		second := listPage(t, f.do(t, "GET", "/Users?count=5&cursor="+url.QueryEscape(first.next), ""))
		if !cmp.Equal(second.names, all[2:7]) {
			t.Errorf("second page = %v, want %v", second.names, all[2:7])
		}
	})
}

func TestCursorErrors(t *testing.T) {
	f := newFixture(t)
	f.seedUsers(t, 5)
	f.createGroup(t, "g1")
	f.createGroup(t, "g2")
	next := func(t *testing.T, f *fixture, path string) string {
		t.Helper()
		p := listPage(t, f.do(t, "GET", path, ""))
		if p.next == "" {
			t.Fatalf("%s: no nextCursor", path)
		}
		return p.next
	}
	valid := next(t, f, "/Users?count=2&cursor=&filter="+url.QueryEscape(`userName sw "u"`))
	flipped := []byte(valid)
	flipped[len(flipped)/2] ^= 1
	if flipped[len(flipped)/2] == '-' || flipped[len(flipped)/2] == '_' {
		flipped[len(flipped)/2] = 'A'
	}
	other := newFixture(t, func(c *provider.Config) { c.CursorKey = []byte("another key, another deployment!") })
	other.seedUsers(t, 5)
	foreign := next(t, other, "/Users?count=2&cursor=&filter="+url.QueryEscape(`userName sw "u"`))
	// Every instance of a gateway signs with the store-wide key: a cursor
	// of one instance must not page through another's resources.
	sibling := newFixture(t, func(c *provider.Config) { c.BaseURL = "http://scim.test/scim/sibling/v2" })
	sibling.seedUsers(t, 5)
	otherInstance := next(t, sibling, "/Users?count=2&cursor=&filter="+url.QueryEscape(`userName sw "u"`))

	tests := []struct {
		name, query string
	}{
		{"tampered", "filter=" + url.QueryEscape(`userName sw "u"`) + "&cursor=" + string(flipped)},
		{"truncated", "filter=" + url.QueryEscape(`userName sw "u"`) + "&cursor=" + valid[:len(valid)-4]},
		{"garbage", "cursor=" + url.QueryEscape("!!not a cursor!!")},
		{"numeric position", "cursor=2"},
		{"other filter", "filter=" + url.QueryEscape(`userName sw "x"`) + "&cursor=" + valid},
		{"no filter", "cursor=" + valid},
		{"other sort", "filter=" + url.QueryEscape(`userName sw "u"`) + "&sortBy=userName&cursor=" + valid},
		{"other key", "filter=" + url.QueryEscape(`userName sw "u"`) + "&cursor=" + foreign},
		{"other instance", "filter=" + url.QueryEscape(`userName sw "u"`) + "&cursor=" + otherInstance},
		{"huge", "cursor=" + string(make([]byte, 5000))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, f.do(t, "GET", "/Users?count=2&"+tt.query, ""), http.StatusBadRequest, scim.InvalidCursor)
		})
	}
	t.Run("other resource type", func(t *testing.T) {
		gc := next(t, f, "/Groups?count=1&cursor=")
		wantError(t, f.do(t, "GET", "/Users?count=1&cursor="+gc, ""), http.StatusBadRequest, scim.InvalidCursor)
	})
	t.Run("valid", func(t *testing.T) {
		p := listPage(t, f.do(t, "GET", "/Users?count=2&filter="+url.QueryEscape(`userName sw "u"`)+"&cursor="+valid, ""))
		if !cmp.Equal(p.names, []string{"u3", "u4"}) {
			t.Errorf("names = %v", p.names)
		}
	})
}

// TestCursorExpiry: a cursor older than CursorTTL is expiredCursor (RFC 9865 §2.3).
func TestCursorExpiry(t *testing.T) {
	const ttl = 10 * time.Minute
	f := newFixture(t, func(c *provider.Config) { c.CursorTTL = ttl })
	f.seedUsers(t, 3)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	provider.SetCursorClock(f.h, func() time.Time { return now })
	first := listPage(t, f.do(t, "GET", "/Users?count=1&cursor=", ""))
	tests := []struct {
		later  time.Duration
		status int
	}{
		{ttl - time.Second, http.StatusOK},
		{ttl, http.StatusOK},
		{ttl + time.Second, http.StatusBadRequest},
		{24 * time.Hour, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.later.String(), func(t *testing.T) {
			provider.SetCursorClock(f.h, func() time.Time { return now.Add(tt.later) })
			res := f.do(t, "GET", "/Users?count=1&cursor="+first.next, "")
			if tt.status == http.StatusOK {
				wantStatus(t, res, http.StatusOK)
				return
			}
			wantError(t, res, tt.status, scim.ExpiredCursor)
		})
	}
}
