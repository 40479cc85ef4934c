package patch

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/schema"
)

func TestSplitMembers(t *testing.T) {
	group := schema.GroupResourceType()
	tests := []struct {
		name        string
		ops         string
		wantChanges []MemberChange
		wantRest    string // JSON array of the remaining operations, "" for none
	}{
		{
			name:        "Entra add members",
			ops:         `[{"op":"Add","path":"members","value":[{"value":"id1"},{"value":"id2","display":"Two"},{"value":"id1"}]}]`,
			wantChanges: []MemberChange{{Op: MemberAdd, IDs: []string{"id1", "id2"}}},
		},
		{
			name:        "Entra remove members by value array",
			ops:         `[{"op":"Remove","path":"members","value":[{"value":"id1"},{"value":"id2"}]}]`,
			wantChanges: []MemberChange{{Op: MemberRemove, IDs: []string{"id1", "id2"}}},
		},
		{
			name:        "Okta remove by filter",
			ops:         `[{"op":"remove","path":"members[value eq \"2819c223\"]"}]`,
			wantChanges: []MemberChange{{Op: MemberRemove, IDs: []string{"2819c223"}}},
		},
		{
			name:        "remove by or-joined filter",
			ops:         `[{"op":"remove","path":"members[value eq \"a\" or value eq \"b\" or VALUE eq \"c\"]"}]`,
			wantChanges: []MemberChange{{Op: MemberRemove, IDs: []string{"a", "b", "c"}}},
		},
		{
			name:        "remove by unquoted ids",
			ops:         `[{"op":"remove","path":"members[value eq 12345 or value eq abc]"}]`,
			wantChanges: []MemberChange{{Op: MemberRemove, IDs: []string{"12345", "abc"}}},
		},
		{
			name:        "remove all",
			ops:         `[{"op":"remove","path":"members"}]`,
			wantChanges: []MemberChange{{Op: MemberRemoveAll}},
		},
		{
			name:        "replace members, then with an empty array",
			ops:         `[{"op":"replace","path":"members","value":[{"value":"a"},{"value":"b"}]},{"op":"replace","path":"members","value":[]}]`,
			wantChanges: []MemberChange{{Op: MemberReplace, IDs: []string{"a", "b"}}, {Op: MemberRemoveAll}},
		},
		{
			name:        "bare ids and a single object",
			ops:         `[{"op":"add","path":"members","value":["a","b"]},{"op":"add","path":"Members","value":{"value":"c"}}]`,
			wantChanges: []MemberChange{{Op: MemberAdd, IDs: []string{"a", "b"}}, {Op: MemberAdd, IDs: []string{"c"}}},
		},
		{
			name:        "URN-qualified path",
			ops:         `[{"op":"add","path":"urn:ietf:params:scim:schemas:core:2.0:Group:members","value":[{"value":"a"}]}]`,
			wantChanges: []MemberChange{{Op: MemberAdd, IDs: []string{"a"}}},
		},
		{
			name:        "no-path replace: members become a change, the rest stays",
			ops:         `[{"op":"replace","value":{"id":"g1","displayName":"Admins","members":[{"value":"a"}]}}]`,
			wantChanges: []MemberChange{{Op: MemberReplace, IDs: []string{"a"}}},
			wantRest:    `[{"op":"replace","value":{"id":"g1","displayName":"Admins"}}]`,
		},
		{
			name:        "no-path add with only members leaves no operation",
			ops:         `[{"op":"add","value":{"members":[{"value":"a"}]}}]`,
			wantChanges: []MemberChange{{Op: MemberAdd, IDs: []string{"a"}}},
		},
		{
			name:        "members under the core schema URN",
			ops:         `[{"op":"add","value":{"urn:ietf:params:scim:schemas:core:2.0:Group":{"members":[{"value":"a"}],"displayName":"G"}}}]`,
			wantChanges: []MemberChange{{Op: MemberAdd, IDs: []string{"a"}}},
			wantRest:    `[{"op":"add","value":{"urn:ietf:params:scim:schemas:core:2.0:Group":{"displayName":"G"}}}]`,
		},
		{
			name:        "other operations keep their order",
			ops:         `[{"op":"replace","path":"displayName","value":"A"},{"op":"add","path":"members","value":[{"value":"a"}]},{"op":"replace","path":"externalId","value":"e"},{"op":"remove","path":"members[value eq \"b\"]"}]`,
			wantChanges: []MemberChange{{Op: MemberAdd, IDs: []string{"a"}}, {Op: MemberRemove, IDs: []string{"b"}}},
			wantRest:    `[{"op":"replace","path":"displayName","value":"A"},{"op":"replace","path":"externalId","value":"e"}]`,
		},
		{
			name:     "no membership operations",
			ops:      `[{"op":"replace","path":"displayName","value":"A"}]`,
			wantRest: `[{"op":"replace","path":"displayName","value":"A"}]`,
		},
		{
			name: "empty add is no change",
			ops:  `[{"op":"add","path":"members","value":[]}]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changes, rest, err := SplitMembers(parseOps(t, tt.ops), group, "members")
			if err != nil {
				t.Fatalf("SplitMembers: %v", err)
			}
			if diff := cmp.Diff(tt.wantChanges, changes); diff != "" {
				t.Errorf("changes mismatch (-want +got):\n%s", diff)
			}
			var wantRest []parsed
			if tt.wantRest != "" {
				wantRest = summarize(parseOps(t, tt.wantRest))
			}
			if diff := cmp.Diff(wantRest, summarize(rest)); diff != "" {
				t.Errorf("rest mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSplitMembersThenApply checks that the changes plus rest give what
// Apply gives for the whole request.
func TestSplitMembersThenApply(t *testing.T) {
	group := schema.GroupResourceType()
	ops := parseOps(t, `[{"op":"replace","value":{"displayName":"Guides","members":[{"value":"x"}]}},{"op":"Add","path":"members","value":[{"value":"y"}]},{"op":"remove","path":"members[value eq \"x\"]"}]`)
	full, err := Apply(obj(t, sampleGroup), ops, group)
	if err != nil {
		t.Fatal(err)
	}
	changes, rest, err := SplitMembers(ops, group, "members")
	if err != nil {
		t.Fatal(err)
	}
	res := obj(t, sampleGroup)
	members := map[string]bool{}
	for _, m := range res["members"].([]any) {
		members[m.(map[string]any)["value"].(string)] = true
	}
	delete(res, "members")
	for _, c := range changes {
		switch c.Op {
		case MemberAdd:
			for _, id := range c.IDs {
				members[id] = true
			}
		case MemberRemove:
			for _, id := range c.IDs {
				delete(members, id)
			}
		case MemberReplace:
			members = map[string]bool{}
			for _, id := range c.IDs {
				members[id] = true
			}
		case MemberRemoveAll:
			members = map[string]bool{}
		}
	}
	split, err := Apply(res, rest, group)
	if err != nil {
		t.Fatal(err)
	}
	var fullIDs []string
	for _, m := range full["members"].([]any) {
		fullIDs = append(fullIDs, m.(map[string]any)["value"].(string))
	}
	delete(full, "members")
	if diff := cmp.Diff(full, split); diff != "" {
		t.Errorf("rest applied differs from the full request (-full +split):\n%s", diff)
	}
	var splitIDs []string
	for id := range members {
		splitIDs = append(splitIDs, id)
	}
	if diff := cmp.Diff([]string{"y"}, splitIDs); diff != "" {
		t.Errorf("members from changes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"y"}, fullIDs); diff != "" {
		t.Errorf("members from Apply (-want +got):\n%s", diff)
	}
}

func TestSplitMembersErrors(t *testing.T) {
	group := schema.GroupResourceType()
	tests := []struct {
		name      string
		ops       string
		scimType  string
		fragments []string
	}{
		{"filter on an unknown sub-attribute", `[{"op":"remove","path":"members[nope eq \"x\"]"}]`, scim.InvalidPath, []string{`operation 1 (remove "members[nope eq \"x\"]")`, "invalid member filter"}},
		{"sub-attribute after filter", `[{"op":"remove","path":"members[value eq \"x\"].type"}]`, scim.Mutability, []string{"members.type is immutable", "whole members"}},
		{"sub-attribute path", `[{"op":"replace","path":"members.type","value":"x"}]`, scim.Mutability, []string{"members.type is immutable"}},
		{"readOnly sub-attribute path", `[{"op":"replace","path":"members.display","value":"x"}]`, scim.Mutability, []string{"members.display is readOnly"}},
		{"filter with add", `[{"op":"add","path":"members[value eq \"x\"].display","value":"x"}]`, scim.Mutability, nil},
		{"replace a member's value", `[{"op":"replace","path":"members[value eq \"x\"].value","value":"y"}]`, scim.Mutability, []string{"members.value is immutable"}},
		{"unknown sub-attribute after filter", `[{"op":"replace","path":"members[value eq \"x\"].nosuch","value":"y"}]`, scim.InvalidPath, []string{`"nosuch" is not a sub-attribute of "members"`}},
		{"replace with filter", `[{"op":"replace","path":"members[value eq \"x\"]","value":{"value":"y"}}]`, scim.InvalidPath, []string{"only to remove"}},
		{"member without value", `[{"op":"replace","path":"displayName","value":"A"},{"op":"add","path":"members","value":[{"display":"x"}]}]`, scim.InvalidValue, []string{"operation 2", `has no "value"`}},
		{"member value not a string", `[{"op":"add","path":"members","value":[{"value":5}]}]`, scim.InvalidValue, []string{"non-empty string"}},
		{"member value twice", `[{"op":"add","path":"members","value":[{"value":"a","Value":"b"}]}]`, scim.InvalidValue, []string{"more than once"}},
		{"member value empty", `[{"op":"remove","path":"members","value":[{"value":""}]}]`, scim.InvalidValue, nil},
		{"unknown member sub-attribute", `[{"op":"add","path":"members","value":[{"value":"a","foo":"x"}]}]`, scim.InvalidValue, []string{`"foo" is not a sub-attribute of "members"`}},
		{"unknown member sub-attribute in a remove", `[{"op":"remove","path":"members","value":[{"value":"a","foo":"x"}]}]`, scim.InvalidValue, []string{`"foo"`}},
		{"unknown member sub-attribute without path", `[{"op":"replace","value":{"members":[{"value":"a","foo":"x"}]}}]`, scim.InvalidValue, []string{`"foo"`}},
		{"no-path value with members.value", `[{"op":"add","value":{"members.value":"x"}}]`, scim.InvalidPath, nil},
		{"no-path value with bad member", `[{"op":"add","value":{"members":[{"type":"User"}]}}]`, scim.InvalidValue, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changes, rest, err := SplitMembers(parseOps(t, tt.ops), group, "members")
			if err == nil {
				t.Fatalf("SplitMembers = %v, %v; want an error", changes, summarize(rest))
			}
			checkErr(t, err, tt.scimType, tt.fragments...)
		})
	}
}

func TestSplitMembersBadAttribute(t *testing.T) {
	for _, attr := range []string{"nosuch", "displayName", "members.value"} {
		t.Run(attr, func(t *testing.T) {
			if _, _, err := SplitMembers(nil, schema.GroupResourceType(), attr); err == nil {
				t.Errorf("SplitMembers(%q) succeeded, want an error", attr)
			}
		})
	}
}

// TestSplitMembersRemoveMatching: a remove through any value filter other
// than value eq (RFC 7644 §3.5.2.2) becomes a filter the store evaluates.
func TestSplitMembersRemoveMatching(t *testing.T) {
	group := schema.GroupResourceType()
	for _, path := range []string{`members[display eq \"x\"]`, `members[value eq \"x\" and type eq \"User\"]`, `members[type eq \"Group\"]`} {
		t.Run(path, func(t *testing.T) {
			changes, rest, err := SplitMembers(parseOps(t, `[{"op":"remove","path":"`+path+`"}]`), group, "members")
			if err != nil {
				t.Fatal(err)
			}
			if len(rest) != 0 || len(changes) != 1 || changes[0].Op != MemberRemoveMatching || changes[0].Filter == nil {
				t.Fatalf("changes %v, rest %v", changes, summarize(rest))
			}
		})
	}
}
