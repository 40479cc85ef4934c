package bridge_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/bridge"
	"github.com/scimconnect/scimconnect/scim"
)

// TestOpenRefuses checks that Open refuses declarations the targets do
// not back, naming each problem.
func TestOpenRefuses(t *testing.T) {
	f := newFake(fakeOptions{})
	for _, tc := range []struct {
		name string
		c    *bridge.Connector
		want []string
	}{
		{"ops without interfaces", declaration(bridge.Resource{Ops: bridge.OpAll &^ bridge.OpMembers}, getOnly{f}, nil, nil),
			[]string{"create needs Creator", "replace needs Updater or Replacer", "patch needs Updater or Replacer", "delete needs Deleter", "list needs Lister"}},
		{"members without attribute", declaration(userDecl(), updater{f}, &bridge.Resource{Ops: bridge.OpAll}, updater{f}),
			[]string{"membership changes needs MemberManager and Resource.Members"}},
		{"no target", declaration(userDecl(), updater{f}, &bridge.Resource{Ops: bridge.OpGet}, nil),
			[]string{"no target for resource type Group"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := bridge.Open(context.Background(), tc.c, connector.Env{}, nil)
			if err == nil {
				t.Fatal("Open succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestDiscovery checks that features and resource types follow from the
// declaration.
func TestDiscovery(t *testing.T) {
	f := newFake(fakeOptions{})
	for _, tc := range []struct {
		name              string
		ops               bridge.Op
		patch, filter     bool
		wantDescriptionOf string
	}{
		{"read only", bridge.OpGet, false, false, "(connector fake 1.0)"},
		{"everything", bridge.OpAll &^ bridge.OpMembers, true, true, "(connector fake 1.0)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, declaration(bridge.Resource{Ops: tc.ops}, updater{f}, nil, nil), connector.Env{})
			spc := s.do(t, "GET", "/ServiceProviderConfig", nil).must(t, "ServiceProviderConfig", 200).body
			got := map[string]any{
				"patch":  spc["patch"].(map[string]any)["supported"],
				"filter": spc["filter"].(map[string]any)["supported"],
				"bulk":   spc["bulk"].(map[string]any)["supported"],
				"sort":   spc["sort"].(map[string]any)["supported"],
			}
			want := map[string]any{"patch": tc.patch, "filter": tc.filter, "bulk": true, "sort": false}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("features (-want +got):\n%s", diff)
			}
			rts := s.do(t, "GET", "/ResourceTypes", nil).must(t, "ResourceTypes", 200).body
			for _, r := range rts["Resources"].([]any) {
				if d := str(r.(map[string]any), "description"); !strings.Contains(d, tc.wantDescriptionOf) {
					t.Errorf("description %q does not contain %q", d, tc.wantDescriptionOf)
				}
			}
		})
	}
}

// TestDisabledSchema checks that a disabled attribute leaves /Schemas and
// is not read from the target even when the target has it.
func TestDisabledSchema(t *testing.T) {
	f := newFake(fakeOptions{paging: bridge.PagingOffset})
	id := f.seed(map[string]any{"login": "a@example.com", "firstName": "A", "lastName": "B", "title": "Boss"})
	s := start(t, declaration(userDecl(), updater{f}, nil, nil), connector.Env{DisabledAttributes: []string{"title"}})
	sch := s.do(t, "GET", "/Schemas/"+scim.UserSchema, nil).must(t, "schema", 200).body
	for _, a := range sch["attributes"].([]any) {
		if n := str(a.(map[string]any), "name"); strings.EqualFold(n, "title") {
			t.Errorf("/Schemas still lists %s", n)
		}
	}
	got := s.do(t, "GET", "/Users/"+id, nil).must(t, "get", 200).body
	if _, ok := got["title"]; ok {
		t.Errorf("disabled title read from the target: %v", got)
	}
	// A filter on it is unknown to the schema now.
	s.do(t, "GET", `/Users?filter=title%20eq%20%22Boss%22`, nil).scimError(t, "filter on disabled", 400, scim.InvalidFilter)
}

// TestDisabledRequired checks which disabled attributes an instance
// refuses: one a resource type requires, or that is or holds one of its
// mandatory fields (every create would lose it and fail), in every type
// that defines it. A path some type can do without applies there only:
// the User's displayName while the Group's is required.
func TestDisabledRequired(t *testing.T) {
	f := newFake(fakeOptions{paging: bridge.PagingOffset})
	decl := func() *bridge.Connector {
		return declaration(userDecl("name.givenName"), updater{f}, &bridge.Resource{Ops: bridge.OpAll &^ bridge.OpMembers, Paging: bridge.PagingOffset}, updater{f})
	}
	for _, tc := range []struct {
		disabled []string
		want     string // "" when the instance opens
	}{
		{[]string{"name.givenName"}, `disabled attribute "name.givenName" cannot be disabled: User needs name.givenName (mandatory)`},
		{[]string{"name"}, `disabled attribute "name" cannot be disabled: User needs name.givenName (mandatory)`},
		{[]string{"userName"}, `disabled attribute "userName" cannot be disabled: User requires it`},
		{[]string{"name.middleName", "title"}, ""},
		{[]string{"displayName"}, ""},
	} {
		t.Run(strings.Join(tc.disabled, ","), func(t *testing.T) {
			inst, err := bridge.Open(context.Background(), decl(), connector.Env{DisabledAttributes: tc.disabled}, nil)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Open: %v, want an error saying %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer inst.Close()
			for _, rt := range inst.ResourceTypes() {
				if a := rt.Type.Schema.Attr("displayName"); rt.Type.Name == "Group" && (a == nil || !a.Required) {
					t.Errorf("Group displayName: %v, want it kept, required", a)
				}
			}
		})
	}
}

// TestMembersConcurrent runs membership batches four at a time (run with
// -race): every member is added once, in batches of the declared size.
func TestMembersConcurrent(t *testing.T) {
	f := newFake(fakeOptions{paging: bridge.PagingOffset})
	users := seedUsers(f, 25)
	s := start(t, declaration(userDecl(), updater{f},
		&bridge.Resource{Ops: bridge.OpAll, Paging: bridge.PagingOffset, Members: "members", MemberBatch: 2, MemberConcurrency: 4}, updater{f}),
		connector.Env{})
	gid := str(s.do(t, "POST", "/Groups", map[string]any{"schemas": []string{scim.GroupSchema}, "displayName": "g"}).must(t, "create", 201).body, "id")
	f.resetCalls()
	s.do(t, "PATCH", "/Groups/"+gid, patchOps(map[string]any{"op": "add", "path": "members", "value": members(users...)})).must(t, "add", 200)
	if n := f.Calls()["addMembers"]; n != 13 {
		t.Errorf("%d AddMembers calls for 25 members in batches of 2, want 13", n)
	}
	for _, b := range f.batches {
		if len(b) > 2 {
			t.Errorf("batch of %d > 2: %v", len(b), b)
		}
	}
	got := memberIDs(f.object(gid))
	slices.Sort(got)
	want := slices.Clone(users)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}
