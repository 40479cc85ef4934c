package patch

import (
	"fmt"
	"strings"
	"testing"

	"github.com/scimconnect/scimconnect/scim/schema"
)

// entraUserPatch is a typical Microsoft Entra user update.
const entraUserPatch = `[
	{"op":"Replace","path":"displayName","value":"Barbara Jensen"},
	{"op":"Replace","path":"name.givenName","value":"Barbara"},
	{"op":"Add","path":"emails[type eq \"work\"].value","value":"barbara@example.com"},
	{"op":"Add","path":"addresses[type eq \"work\"].locality","value":"Berlin"},
	{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Sales"},
	{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"26118915"},
	{"op":"Replace","path":"active","value":"True"}
]`

func BenchmarkParse(b *testing.B) {
	data := body(entraUserPatch)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkApply(b *testing.B) {
	rt := schema.UserResourceType()
	ops := parseOps(b, entraUserPatch)
	res := obj(b, sampleUser)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Apply(res, ops, rt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSplitMembers(b *testing.B) {
	rt := schema.GroupResourceType()
	var members []string
	for i := range 100 {
		members = append(members, fmt.Sprintf(`{"value":"member-%d"}`, i))
	}
	ops := parseOps(b, `[{"op":"Replace","path":"displayName","value":"G"},{"op":"Add","path":"members","value":[`+strings.Join(members, ",")+`]},{"op":"Remove","path":"members[value eq \"member-1\"]"}]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := SplitMembers(ops, rt, "members"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyLargeGroup adds one member to a 10,000-member group with
// Apply: the cost SplitMembers lets a store avoid.
func BenchmarkApplyLargeGroup(b *testing.B) {
	rt := schema.GroupResourceType()
	members := make([]any, 10000)
	for i := range members {
		members[i] = map[string]any{"value": fmt.Sprintf("member-%d", i), "type": "User"}
	}
	res := map[string]any{"displayName": "All", "members": members}
	ops := parseOps(b, `[{"op":"Add","path":"members","value":[{"value":"new-member"}]}]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Apply(res, ops, rt); err != nil {
			b.Fatal(err)
		}
	}
}
