package mapping_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/connector/mapping"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/schema"
)

func TestDisableAttributes(t *testing.T) {
	base := userType(t, "badges|string")
	rt, err := mapping.DisableAttributes(base, []string{"nickName", "name.middleName", " " + E + "costCenter", E + "badges", "urn:ietf:params:scim:schemas:core:2.0:User:title"})
	if err != nil {
		t.Fatalf("DisableAttributes: %v", err)
	}
	for _, p := range []string{"nickName", "name.middleName", E + "costCenter", E + "badges", "title"} {
		if _, ok := rt.ResolvePath(p); ok {
			t.Errorf("%s still in the schema", p)
		}
		if _, ok := base.ResolvePath(p); !ok {
			t.Errorf("%s removed from the original resource type", p)
		}
	}
	for _, p := range []string{"name.givenName", "displayName", E + "employeeNumber"} {
		if _, ok := rt.ResolvePath(p); !ok {
			t.Errorf("%s was removed too", p)
		}
	}
	// Gone from /Schemas.
	b, err := json.Marshal(rt.Schema.Resource("/Schemas/x"))
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	if strings.Contains(string(b), `"nickName"`) || strings.Contains(string(b), `"middleName"`) {
		t.Errorf("disabled attributes still advertised: %s", b)
	}
	// A request that sets a disabled attribute is rejected by validation
	// unless stripped first.
	body := decode(t, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","nickName":"n"}`)
	if _, err := rt.Validate(body, schema.Create, nil); err == nil {
		t.Error("validation accepted a disabled attribute")
	}
	if got := mapping.StripDisabled(body, []string{"nickName"}); len(got) != 1 {
		t.Errorf("StripDisabled = %q", got)
	}
	if _, err := rt.Validate(body, schema.Create, nil); err != nil {
		t.Errorf("validation after StripDisabled: %v", err)
	}
}

func TestDisableAttributesErrors(t *testing.T) {
	rt := schema.UserResourceType()
	tests := []struct {
		name  string
		paths []string
		want  []string
	}{
		{"unknown, all named", []string{"nickname", "nickNam", "name.middle", "urn:x:y:2.0:Z:a"},
			[]string{`resource type User has no attribute "nickNam", "name.middle", "urn:x:y:2.0:Z:a"`}},
		{"required", []string{"userName"}, []string{`"userName" is required and cannot be disabled`}},
		{"common", []string{"externalId", "id"}, []string{`"externalId" is a common attribute`, `"id" is a common attribute`}},
		{"extension without URN", []string{"costCenter"}, []string{`"costCenter" is an extension attribute: name it with its schema URN, ` + E + "costCenter"}},
		{"selector is not a plain path", []string{`emails[type eq "work"].value`}, []string{"has no attribute"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mapping.DisableAttributes(rt, tc.paths)
			if err == nil {
				t.Fatalf("DisableAttributes = %v, want an error", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestWithout(t *testing.T) {
	got := pingOneUserTable.Without([]string{"name", "PhoneNumbers", E + "accountId", "groups.value", "meta.created"})
	for _, r := range got {
		for _, gone := range []string{"name.", "phoneNumbers[", E + "accountId", "groups[].value", "meta.created"} {
			if strings.HasPrefix(r.SCIM, gone) {
				t.Errorf("rule %s kept", r)
			}
		}
	}
	if want := len(pingOneUserTable) - 6 - 2 - 1 - 1 - 1; len(got) != want {
		t.Errorf("Without kept %d rules, want %d", len(got), want)
	}
	// A disabled attribute is never written to nor read from the target.
	m, err := pingOneUserTable.Without([]string{"nickName"}).Compile(mapping.Options{})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	out, unmapped, err := m.ToTarget(map[string]any{"userName": "a", "nickName": "n"})
	if err != nil {
		t.Fatalf("ToTarget: %v", err)
	}
	if _, ok := out["nickname"]; ok || len(unmapped) != 1 {
		t.Errorf("ToTarget = %v, unmapped %q", out, unmapped)
	}
	res, err := m.FromTarget(map[string]any{"username": "a", "nickname": "n"})
	if err != nil {
		t.Fatalf("FromTarget: %v", err)
	}
	if _, ok := res["nickName"]; ok {
		t.Errorf("FromTarget read a disabled attribute: %v", res)
	}
	// The constant rule (no SCIM path) survives any list.
	if n := len(azureDevOpsUserTable.Without([]string{"userName"})); n != len(azureDevOpsUserTable)-1 {
		t.Errorf("Without removed %d rules, want 1", len(azureDevOpsUserTable)-n)
	}
}

func TestIsDisabled(t *testing.T) {
	disabled := []string{"nickName", "name.middleName", E + "costCenter", "emails"}
	tests := []struct {
		path string
		want bool
	}{
		{"nickName", true},
		{"NICKNAME", true},
		{"urn:ietf:params:scim:schemas:core:2.0:User:nickName", true},
		{"name.middleName", true},
		{"name.givenName", false},
		{"name", false},
		{E + "costCenter", true},
		{"costCenter", false},
		{E + "manager.value", false},
		{`emails[type eq "work"].value`, true},
		{`emails[type eq "work" or value co "]"].value`, true},
		{"emails.value", true},
		{"displayName", false},
	}
	for _, tc := range tests {
		if got := mapping.IsDisabled(tc.path, disabled); got != tc.want {
			t.Errorf("IsDisabled(%q) = %t, want %t", tc.path, got, tc.want)
		}
	}
}

func TestStripDisabled(t *testing.T) {
	disabled := []string{"nickName", "name.middleName", E + "costCenter", "emails.display", E + "badges", "title"}
	tests := []struct {
		name      string
		body      string
		want      string
		wantPaths []string
	}{
		{"various places",
			`{"userName":"a","NickName":"n","name":{"givenName":"A","middleName":"M"},
			  "emails":[{"value":"a@x","display":"A"},{"display":"only"}],
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user":{"costCenter":"c","department":"d"}}`,
			`{"userName":"a","name":{"givenName":"A"},"emails":[{"value":"a@x"}],
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user":{"department":"d"}}`,
			[]string{"nickName", "name.middleName", E + "costCenter", "emails.display"}},
		{"emptied containers removed",
			`{"userName":"a","name":{"middleName":"M"},"emails":[{"display":"x"}],
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"badges":"[a]"}}`,
			`{"userName":"a"}`,
			[]string{"name.middleName", "emails.display", E + "badges"}},
		{"URN-qualified keys",
			`{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter":"c",
			  "urn:ietf:params:scim:schemas:core:2.0:User:title":"t","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":{"value":"m"}}`,
			`{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":{"value":"m"}}`,
			[]string{E + "costCenter", "title"}},
		// The value of a PATCH without a path may name attributes by
		// their paths (RFC 7644 §3.5.2.3; Entra sends "name.givenName").
		{"attribute paths as keys",
			`{"name.middleName":"M","name.givenName":"A","urn:ietf:params:scim:schemas:core:2.0:User:name.middleName":"M",
			  "emails[type eq \"work\"].display":"d","emails[type eq \"work\"].value":"w@x","nickName.x":"n",
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager.value":"m","costCenter":"c"}}`,
			`{"name.givenName":"A","emails[type eq \"work\"].value":"w@x",
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager.value":"m"}}`,
			[]string{"nickName", "name.middleName", E + "costCenter", "emails.display"}},
		{"core schema object",
			`{"urn:ietf:params:scim:schemas:core:2.0:User":{"title":"t","name":{"middleName":"M","givenName":"A"}}}`,
			`{"urn:ietf:params:scim:schemas:core:2.0:User":{"name":{"givenName":"A"}}}`,
			[]string{"name.middleName", "title"}},
		{"nothing to strip", `{"userName":"a","displayName":"d"}`, `{"userName":"a","displayName":"d"}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := decode(t, tc.body)
			got := mapping.StripDisabled(body, disabled)
			if d := cmp.Diff(tc.wantPaths, got); d != "" {
				t.Errorf("stripped (-want +got):\n%s", d)
			}
			if d := cmp.Diff(decode(t, tc.want), body); d != "" {
				t.Errorf("body (-want +got):\n%s", d)
			}
		})
	}
}

func TestCheckMandatory(t *testing.T) {
	chipSoft := []string{E + "ldap", "userName", "displayName", "active", E + "startDate", E + "endDate"}
	tests := []struct {
		name  string
		paths []string
		res   string
		want  string // "" for no error, else the detail
	}{
		{"all present", chipSoft,
			`{"userName":"a","displayName":"A","active":false,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"ldap":"l","startDate":"2024-01-01T00:00:00Z","endDate":"2025-01-01T00:00:00Z"}}`, ""},
		{"several missing", chipSoft,
			`{"userName":"a","displayName":"","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"ldap":"l","startDate":null}}`,
			"missing mandatory attributes: displayName, active, " + E + "startDate, " + E + "endDate"},
		{"one missing", []string{"userName", E + "population"}, `{"userName":"a"}`, "missing mandatory attribute: " + E + "population"},
		{"selector", []string{`emails[type eq "work"].value`}, `{"emails":[{"value":"h@x","type":"home"}]}`, `missing mandatory attribute: emails[type eq "work"].value`},
		{"selector present", []string{`emails[type eq "work"].value`}, `{"emails":[{"value":"w@x","type":"work"}]}`, ""},
		{"any element", []string{"groups[].value"}, `{"groups":[{"display":"x"},{"value":"g"}]}`, ""},
		{"sub present", []string{"name.givenName"}, `{"name":{"givenName":"A"}}`, ""},
		{"sub missing", []string{"name.givenName"}, `{"name":{"familyName":"B"}}`, "missing mandatory attribute: name.givenName"},
		{"empty array", []string{"emails"}, `{"emails":[]}`, "missing mandatory attribute: emails"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := mapping.CheckMandatory(decode(t, tc.res), tc.paths)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("CheckMandatory: %v", err)
				}
				return
			}
			var se *scim.Error
			if !errors.As(err, &se) || se.Status != 400 || se.ScimType != scim.InvalidValue {
				t.Fatalf("error = %v, want 400 invalidValue", err)
			}
			if se.Detail != tc.want {
				t.Errorf("detail = %q, want %q", se.Detail, tc.want)
			}
		})
	}
	if err := mapping.CheckMandatory(map[string]any{}, []string{"emails[type eq].value"}); err == nil || errors.As(err, new(*scim.Error)) {
		t.Errorf("malformed path: error = %v, want a configuration error", err)
	}
}
