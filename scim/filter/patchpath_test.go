package filter

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/scim"
)

func TestParsePatchPathValid(t *testing.T) {
	tests := []struct {
		in   string
		want *PatchPath
	}{
		// RFC 7644 §3.5.2 examples.
		{`members`, &PatchPath{Path: path("members")}},
		{`name.familyName`, &PatchPath{Path: subPath("name", "familyName")}},
		{`name.givenName`, &PatchPath{Path: subPath("name", "givenName")}},
		{`addresses[type eq "work"]`, &PatchPath{Path: path("addresses"), Filter: eq("type", "work")}},
		{`members[value eq "2819c223-7f76-453a-919d-413861904646"]`,
			&PatchPath{Path: path("members"), Filter: eq("value", "2819c223-7f76-453a-919d-413861904646")}},
		{`members[value eq "2819c223-7f76-453a-919d-413861904646"].displayName`,
			&PatchPath{Path: path("members"), Filter: eq("value", "2819c223-7f76-453a-919d-413861904646"), FilterSub: "displayName"}},
		{`emails[type eq "work"].value`, &PatchPath{Path: path("emails"), Filter: eq("type", "work"), FilterSub: "value"}},
		{`emails[type eq "work" and primary eq true].value`,
			&PatchPath{Path: path("emails"), Filter: and(eq("type", "work"), eq("primary", true)), FilterSub: "value"}},
		{`emails[type eq work]`, &PatchPath{Path: path("emails"), Filter: eq("type", "work")}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`,
			&PatchPath{Path: urnPath(enterpriseURN, "employeeNumber", "")}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`,
			&PatchPath{Path: urnPath(enterpriseURN, "manager", "value")}},
		{`urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value`,
			&PatchPath{Path: urnPath(scim.UserSchema, "emails", ""), Filter: eq("type", "work"), FilterSub: "value"}},
		// A bare schema URN names the whole extension.
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`, &PatchPath{Path: urnPath(enterpriseURN, "", "")}},
		{`URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER`,
			&PatchPath{Path: urnPath("URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER", "", "")}},
		{`urn:example:scim:schemas:extension:acme:1.0:Employee`,
			&PatchPath{Path: urnPath("urn:example:scim:schemas:extension:acme:1.0:Employee", "", "")}},
		{`urn:example:scim:acme:1.0:Employee:badge`,
			&PatchPath{Path: urnPath("urn:example:scim:acme:1.0:Employee", "badge", "")}},
		{`  members  `, &PatchPath{Path: path("members")}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePatchPath(tt.in)
			if err != nil {
				t.Fatalf("ParsePatchPath(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePatchPath(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			again, err := ParsePatchPath(got.String())
			if err != nil {
				t.Fatalf("ParsePatchPath(%q) (the String of %q): %v", got.String(), tt.in, err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("round trip via %q (-first +second):\n%s", got.String(), diff)
			}
		})
	}
}

func TestParsePatchPathErrors(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		fragments []string
	}{
		{"empty", ``, []string{"invalid path at position 1", "empty"}},
		{"blank", `  `, []string{"empty"}},
		{"filter in path", `userName eq "x"`, []string{"position 10", `expected "[" or the end of the path`, `found "eq"`}},
		{"three levels", `name.givenName.x`, []string{"position 15", "at most one sub-attribute"}},
		{"unclosed bracket", `emails[type eq "work"`, []string{"position 22", `"]"`}},
		{"empty brackets", `emails[]`, []string{"position 8", "expected an attribute path"}},
		{"bad filter", `emails[type eqq "work"]`, []string{"position 13", "comparison operator", `found "eqq"`}},
		{"nested value path", `emails[type[value pr]]`, []string{"position 12", "cannot be nested"}},
		{"sub-attribute before bracket", `name.givenName[value pr]`, []string{"position 1", "complex attribute"}},
		{"missing sub-attribute after bracket", `emails[type eq "work"].`, []string{"position 24", "sub-attribute name", "end of the path"}},
		{"bad sub-attribute after bracket", `emails[type eq "work"].1x`, []string{"position 24", `found "1x"`}},
		{"two sub-attributes after bracket", `emails[type eq "work"].value.x`, []string{"position 24", `found "value.x"`}},
		{"junk after bracket", `emails[type eq "work"] x`, []string{"position 24", `expected "." or the end of the path`}},
		{"invalid character", `emails/value`, []string{"position 7", "invalid character '/'"}},
		{"not a urn", `foo:bar`, []string{"position 1", "schema URN"}},
		{"urn with trailing colon", enterpriseURN + `:`, []string{"position 60", "expected an attribute name after the schema URN"}},
		{"unterminated string", `emails[value eq "x]`, []string{"position 17", "unterminated string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePatchPath(tt.in)
			if err == nil {
				t.Fatalf("ParsePatchPath(%q) = %v, want an error", tt.in, p)
			}
			wantSCIMError(t, err, scim.InvalidPath, tt.fragments...)
		})
	}
}

func TestIsBareSchemaURN(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{scim.UserSchema, true},
		{scim.GroupSchema, true},
		{enterpriseURN, true},
		{"urn:acme:2:Thing", true},
		{"urn:acme:1.0.3:Thing", true},
		{"urn:acme:Thing", false},
		{enterpriseURN + ":employeeNumber", false},
		{"urn:acme:2.0:Thing.x", false},
		{"urn:acme:2..0:Thing", false},
		{"urn:acme:.2:Thing", false},
		{"urn::2:Thing", false},
		{"userName", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := isBareSchemaURN(tt.in); got != tt.want {
				t.Errorf("isBareSchemaURN(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
