package okta

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/connector/mapping"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/filter"
)

func TestPush(t *testing.T) {
	m, err := userTable.Compile(mapping.Options{ResourceType: userType()})
	if err != nil {
		t.Fatal(err)
	}
	u := &users{}
	for _, tc := range []struct {
		filter, native string
		exact          bool
	}{
		{`userName eq "ada@example.com"`, `profile.login eq "ada@example.com"`, true},
		{`userName eq "a\" or id pr or \"b"`, `profile.login eq "a\" or id pr or \"b"`, true},
		{`userName eq "back\\slash"`, `profile.login eq "back\\slash"`, true},
		{`name.familyName sw "Lo" and title eq "CEO"`, `(profile.lastName sw "Lo") and (profile.title eq "CEO")`, true},
		{`emails.value co "@example"`, `profile.email co "@example"`, true},
		{`title co "x"`, "", false},
		{`userName eq "a@x.io" and not (title eq "x")`, `profile.login eq "a@x.io"`, false},
		{`userName ne "a@x.io"`, "", false},
		{`id eq "00u1"`, `id eq "00u1"`, false},
		{`active eq true`, `(status eq "ACTIVE" or status eq "PROVISIONED" or status eq "RECOVERY" or status eq "LOCKED_OUT" or status eq "PASSWORD_EXPIRED")`, true},
		{`userName eq "a@x.io" or title ne "x"`, "", false},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D"`, `profile.department eq "R&D"`, true},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			f, err := filter.Parse(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			native, exact := u.Push(f, m)
			if diff := cmp.Diff(tc.native, native); diff != "" || exact != tc.exact {
				t.Errorf("Push = %q, %v; want %q, %v (-want +got):\n%s", native, exact, tc.native, tc.exact, diff)
			}
		})
	}
}

// TestTablesRoundTrip maps a full SCIM user and group to Okta and back.
func TestTablesRoundTrip(t *testing.T) {
	user := map[string]any{
		"schemas":           []any{scim.UserSchema, scim.EnterpriseUserSchema},
		"userName":          "ada@example.com",
		"displayName":       "Ada Lovelace",
		"nickName":          "Ada",
		"name":              map[string]any{"givenName": "Ada", "familyName": "Lovelace", "middleName": "K", "honorificPrefix": "Lady", "honorificSuffix": "I"},
		"addresses":         []any{map[string]any{"type": "work", "streetAddress": "1 Way", "locality": "London", "region": "LDN", "postalCode": "N1", "country": "GB"}},
		"emails":            []any{map[string]any{"value": "ada@example.com", "type": "work", "primary": true}},
		"phoneNumbers":      []any{map[string]any{"value": "+44 1", "type": "work", "primary": true}},
		"userType":          "Employee",
		"title":             "Countess",
		"preferredLanguage": "en",
		"locale":            "en-GB",
		"timezone":          "Europe/London",
		scim.EnterpriseUserSchema: map[string]any{
			"employeeNumber": "1", "division": "D", "department": "R&D", "costCenter": "C", "organization": "O",
			"manager": map[string]any{"value": "00u2"},
		},
	}
	group := map[string]any{
		"schemas":      []any{scim.GroupSchema, GroupExtension},
		"displayName":  "Engineers",
		GroupExtension: map[string]any{"description": "builders"},
	}
	for _, tc := range []struct {
		name  string
		table mapping.Table
		res   map[string]any
		opts  mapping.Options
	}{
		{"user", userTable, user, mapping.Options{ResourceType: userType()}},
		{"group", groupTable, group, mapping.Options{ResourceType: groupType()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.table.Compile(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			obj, unstored, err := m.ToTarget(tc.res)
			if err != nil || len(unstored) > 0 {
				t.Fatalf("ToTarget: %v, unstored %v", err, unstored)
			}
			back, err := m.FromTarget(obj)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.res, back); diff != "" {
				t.Errorf("round trip (-sent +read):\n%s", diff)
			}
		})
	}
}

func TestCheckLogin(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{{"ada@example.com", true}, {"ada", false}, {"Ada <ada@example.com>", false}, {"", false}} {
		if err := checkLogin(tc.in); (err == nil) != tc.ok {
			t.Errorf("checkLogin(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}
