package bridge_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/bridge"
	"github.com/scimconnect/scimconnect/scim"
)

// keyReader is a target that reads users by login. Like Okta's, its key
// read also resolves a login's part before "@" (so the object it returns
// is only a candidate), and it cannot read values holding "/".
type keyReader struct {
	updater
	fail error
}

// KeyAttr implements bridge.KeyReader.
func (k keyReader) KeyAttr() string { return "userName" }

// ReadKey implements bridge.KeyReader.
func (k keyReader) ReadKey(_ context.Context, v string) (map[string]any, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.count("readKey")
	if k.fail != nil {
		return nil, false, k.fail
	}
	if strings.Contains(v, "/") {
		return nil, false, nil
	}
	for _, id := range k.order {
		o := k.objs[id]
		login := str(o, "login")
		short, _, _ := strings.Cut(login, "@")
		if strings.EqualFold(login, v) || strings.EqualFold(short, v) {
			return clone(o), true, nil
		}
	}
	return nil, true, nil
}

// TestKeyReader checks that `userName eq` (alone or in a top-level "and")
// is answered from the target's key read and evaluated in full in the
// gateway, with SCIM paging, and that other filters list as before.
func TestKeyReader(t *testing.T) {
	f := newFake(fakeOptions{paging: bridge.PagingCursor, pageMax: 2})
	seeded := seedUsers(f, 5) // user0..user4@example.com, titles t0, t1, t2, t0, t1
	decl := declaration(bridge.Resource{
		Ops:         bridge.OpAll &^ bridge.OpMembers,
		Paging:      bridge.PagingCursor,
		MaxPageSize: 2,
		Filters:     []string{"userName eq"},
	}, keyReader{updater: updater{f}}, nil, nil)
	s := start(t, decl, connector.Env{})
	for _, tc := range []struct {
		name, query       string
		want              []string
		total             int
		readKey, listings int
	}{
		{"alone", `filter=userName eq "user3@example.com"`, seeded[3:4], 1, 1, 0},
		{"other case", `filter=userName eq "USER3@Example.com"`, seeded[3:4], 1, 1, 0},
		{"core schema URN", `filter=urn:ietf:params:scim:schemas:core:2.0:User:userName eq "user3@example.com"`, seeded[3:4], 1, 1, 0},
		{"in an and", `filter=title eq "t0" and userName eq "user3@example.com"`, seeded[3:4], 1, 1, 0},
		{"and, other clause false", `filter=userName eq "user3@example.com" and title eq "t1"`, nil, 0, 1, 0},
		{"missing", `filter=userName eq "nobody@example.com"`, nil, 0, 1, 0},
		// the key read returns user2 for its shortname: the gateway's
		// evaluation drops it
		{"candidate of another login", `filter=userName eq "user2"`, nil, 0, 1, 0},
		{"past the end", `filter=userName eq "user3@example.com"&startIndex=2`, nil, 1, 1, 0},
		{"count 0", `filter=userName eq "user3@example.com"&count=0`, nil, 1, 1, 0},
		{"cursor", `filter=userName eq "user3@example.com"&cursor=&count=1`, seeded[3:4], 1, 1, 0},
		// the key read cannot tell: the target's list answers
		{"not readable by key", `filter=userName eq "a/b@example.com"`, nil, 0, 1, 1},
		{"or", `filter=userName eq "user3@example.com" or userName eq "user1@example.com"`, []string{seeded[1], seeded[3]}, 2, 0, 3},
		{"not", `filter=not (userName eq "user3@example.com") and title eq "t2"`, seeded[2:3], 1, 0, 3},
		{"other attribute", `filter=title eq "t2"`, seeded[2:3], 1, 0, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.resetCalls()
			q := url.Values{}
			for _, kv := range strings.Split(tc.query, "&") {
				k, v, _ := strings.Cut(kv, "=")
				q.Set(k, v)
			}
			r := s.do(t, "GET", "/Users?"+q.Encode(), nil).must(t, tc.query, 200)
			if diff := cmp.Diff(tc.want, ids(t, r.body)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if got := totalResults(r.body); got != tc.total {
				t.Errorf("totalResults %d, want %d", got, tc.total)
			}
			if _, ok := r.body["nextCursor"]; ok {
				t.Errorf("nextCursor %v after the only page", r.body["nextCursor"])
			}
			calls := f.Calls()
			if calls["readKey"] != tc.readKey || calls["list"] != tc.listings {
				t.Errorf("target calls %v, want %d key reads and %d listings", calls, tc.readKey, tc.listings)
			}
		})
	}
}

// TestKeyReaderError checks that a failing key read fails the request
// rather than falling back to a listing.
func TestKeyReaderError(t *testing.T) {
	f := newFake(fakeOptions{paging: bridge.PagingCursor, pageMax: 2})
	seedUsers(f, 1)
	decl := declaration(bridge.Resource{Ops: bridge.OpAll &^ bridge.OpMembers, Paging: bridge.PagingCursor, MaxPageSize: 2},
		keyReader{updater: updater{f}, fail: scim.Errorf(503, "", "target down")}, nil, nil)
	s := start(t, decl, connector.Env{})
	s.do(t, "GET", "/Users?filter="+url.QueryEscape(`userName eq "user0@example.com"`), nil).must(t, "failing key read", 503)
	if n := f.Calls()["list"]; n != 0 {
		t.Errorf("%d listings after a failed key read", n)
	}
}
