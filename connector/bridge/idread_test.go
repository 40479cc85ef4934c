package bridge_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/bridge"
	"github.com/scimconnect/scimconnect/connector/mapping"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// expander is a group target that lists no members: like Okta's, they
// come from an extra read (Expand) only when the response needs them.
type expander struct{ updater }

// Expand implements bridge.Expander.
func (e expander) Expand(_ context.Context, obj map[string]any, want *schema.Projection) error {
	if want != nil && !want.Includes("members") {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.count("expand")
	obj["_members"] = deepCopy(e.objs[str(obj, "id")]["memberIds"])
	return nil
}

// TestIDFilterNumericIDs: Entra's reference checks send ids unquoted
// (`id eq 4 and members eq 1`, Microsoft's SCIM tutorial), which parse as
// numbers when the target's ids are digits. They compare as their literal
// (scim/filter), so the id read must answer them as it answers quoted ids,
// not fall back to a listing that cannot filter computed members (400).
func TestIDFilterNumericIDs(t *testing.T) {
	f := newFake(fakeOptions{paging: bridge.PagingOffset})
	users := seedUsers(f, 2)
	gid := f.seed(map[string]any{"name": "g", "memberIds": toAny(users[:1])})
	table := mapping.Table{
		{SCIM: "id", Target: "id", Dir: mapping.FromTarget},
		{SCIM: "displayName", Target: "name"},
		{SCIM: "members[].value", Target: "_members[]", Dir: mapping.FromTarget},
	}
	s := start(t, declaration(userDecl(), updater{f},
		&bridge.Resource{Ops: bridge.OpAll, Paging: bridge.PagingOffset, Members: "members", Table: table}, expander{updater{f}}),
		connector.Env{})
	for _, tc := range []struct {
		filter, params string
		want, expands  int
	}{
		{`id eq "` + gid + `" and members eq "` + users[0] + `"`, "excludedAttributes=members", 1, 1},
		{"id eq " + gid + " and members eq " + users[0], "excludedAttributes=members", 1, 1},
		{"members eq " + users[0] + " and id eq " + gid, "excludedAttributes=members", 1, 1},
		{"id eq " + gid + " and members eq " + users[1], "excludedAttributes=members", 0, 1},
		// The members the filter compares are those the response shows:
		// read once.
		{"id eq " + gid + " and members eq " + users[0], "", 1, 1},
		// Neither the filter nor the response needs them: not read.
		{"id eq " + gid, "excludedAttributes=members", 1, 0},
	} {
		f.resetCalls()
		r := s.do(t, "GET", "/Groups?"+tc.params+"&filter="+url.QueryEscape(tc.filter), nil).must(t, tc.filter, 200)
		if got := totalResults(r.body); got != tc.want {
			t.Errorf("filter %s: totalResults %d, want %d", tc.filter, got, tc.want)
		}
		if calls := f.Calls(); calls["get"] != 1 || calls["list"] != 0 || calls["expand"] != tc.expands {
			t.Errorf("filter %s&%s: target calls %v, want one get, no listing and %d expansions", tc.filter, tc.params, calls, tc.expands)
		}
		if members, _ := r.body["Resources"].([]any); tc.params == "" && tc.want == 1 && len(members) == 1 {
			if _, ok := members[0].(map[string]any)["members"]; !ok {
				t.Errorf("filter %s: the response lost the members: %v", tc.filter, members[0])
			}
		}
	}
	// Without the id the members cannot be filtered, quoted or not.
	s.do(t, "GET", "/Groups?filter="+url.QueryEscape("members eq "+users[0]), nil).scimError(t, "members eq alone", 400, scim.InvalidFilter)
}
