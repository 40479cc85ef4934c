package patch

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// fuzzSeeds are request bodies covering every form the package handles.
var fuzzSeeds = []string{
	`[{"op":"add","path":"members","value":[{"display":"Babs Jensen","value":"2819c223"}]}]`,
	`[{"op":"add","value":{"emails":[{"value":"babs@jensen.org","type":"home"}],"nickname":"Babs"}}]`,
	`[{"op":"Add","path":"emails[type eq \"work\"].value","value":"a@b.c"}]`,
	`[{"op":"Add","path":"addresses[type eq \"work\"].locality","value":"Berlin"}]`,
	`[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"26118915"}]`,
	`[{"op":"Replace","path":"active","value":"False"},{"op":"Replace","path":"name.givenName","value":"B"}]`,
	`[{"op":"replace","value":{"active":false,"id":"x","meta":{}}}]`,
	`[{"op":"replace","path":"emails[type eq \"work\" and value ew \"example.com\"]","value":{"value":"b@example.org"}}]`,
	`[{"op":"replace","path":"emails","value":[{"value":"a@b.c","primary":true}]}]`,
	`[{"op":"replace","path":"displayName","value":null}]`,
	`[{"op":"remove","path":"emails[type eq \"work\"].display"}]`,
	`[{"op":"remove","path":"members[value eq \"2819c223\" or value eq \"x\"]"}]`,
	`[{"op":"Remove","path":"members","value":[{"value":"id1"}]}]`,
	`[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]`,
	`[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"x"}}}]`,
	`[{"op":"replace","path":"displayName","value":"x"},{"op":"remove","path":"emails"},{"op":"add","path":"nosuch","value":1}]`,
	`[{"op":"remove","path":"emails.type"},{"op":"add","path":"phoneNumbers[type eq \"work\" and primary eq true].value","value":"1"}]`,
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(body(s))
	}
	f.Add([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`))
	f.Add([]byte(`{"schemas":[],"Operations":[{"op":"remove"}],"x":1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, err := Parse(data)
		if err == nil && (len(ops) == 0 || len(ops) > MaxOperations) {
			t.Fatalf("Parse accepted %d operations", len(ops))
		}
	})
}

// fuzzOps are (op, path, value) seeds for FuzzApply's single operation,
// which lets the fuzzer vary paths and values directly.
var fuzzOps = []struct{ op, path, value string }{
	{"Add", `emails[type eq "work"].value`, `"a@b.c"`},
	{"add", `addresses[type eq "work" and primary eq true].locality`, `"Berlin"`},
	{"replace", `emails[type eq "home"]`, `{"value":"h@x","primary":"True"}`},
	{"remove", `members[value eq "2819c223-7f76-453a-919d-413861904646"]`, `null`},
	{"Remove", "members", `[{"value":"902c246b-6245-4190-8e05-00816be7344a"}]`},
	{"replace", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", `"x"`},
	{"remove", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", `null`},
	{"replace", "", `{"active":"False","name":{"givenName":"B"},"members":[]}`},
	{"replace", "name.givenName", `null`},
	{"remove", "emails.display", `null`},
}

func FuzzApply(f *testing.F) {
	for i, s := range fuzzSeeds {
		o := fuzzOps[i%len(fuzzOps)]
		f.Add(body(s), o.op, o.path, []byte(o.value), i%2 == 0)
	}
	user, group := schema.UserResourceType(), schema.GroupResourceType()
	f.Fuzz(func(t *testing.T, data []byte, op, path string, value []byte, onGroup bool) {
		ops, err := Parse(data)
		if err != nil {
			ops = nil
		}
		// One more operation from the separate fields, when they form one.
		if one, err := json.Marshal(map[string]any{"op": op, "path": path, "value": json.RawMessage(value)}); err == nil {
			if extra, err := Parse(body("[" + string(one) + "]")); err == nil {
				ops = append(ops, extra...)
			}
		}
		if len(ops) == 0 {
			return
		}
		rt, sample := user, sampleUser
		if onGroup {
			rt, sample = group, sampleGroup
		}
		res := obj(t, sample)
		got, err := Apply(res, ops, rt)
		if diff := cmp.Diff(obj(t, sample), res); diff != "" {
			t.Fatalf("Apply (err %v) changed its input (-before +after):\n%s", err, diff)
		}
		if err != nil {
			if got != nil {
				t.Fatalf("Apply returned a result with error %v", err)
			}
			return
		}
		if !onGroup {
			return
		}
		// Whatever SplitMembers accepts, the remaining operations applied to
		// the group without its members give the full result without members.
		_, rest, err := SplitMembers(ops, rt, "members")
		if err != nil {
			return
		}
		bare := obj(t, sample)
		delete(bare, "members")
		split, err := Apply(bare, rest, rt)
		if err != nil {
			t.Fatalf("Apply(ops) succeeded but Apply(rest) failed: %v", err)
		}
		delete(got, "members")
		if diff := cmp.Diff(got, split); diff != "" {
			t.Fatalf("rest differs from the full request (-full +split):\n%s", diff)
		}
	})
}
