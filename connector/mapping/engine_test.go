package mapping_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/connector/mapping"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// coupaUserTable follows the seed's Coupa user mapping (the rows whose
// target endpoints the seed says work today).
var coupaUserTable = mapping.Table{
	{SCIM: "id", Target: "id", Dir: mapping.FromTarget},
	{SCIM: "userName", Target: "login"},
	{SCIM: "name.givenName", Target: "firstname"},
	{SCIM: "name.familyName", Target: "lastname"},
	{SCIM: "name.formatted", Target: "fullname", Dir: mapping.FromTarget},
	{SCIM: "displayName", Target: "fullname", Dir: mapping.FromTarget},
	{SCIM: "emails[].value", Target: "email"},
	{SCIM: `photos[type eq "thumbnail"].value`, Target: "avatar-thumb-url", Dir: mapping.FromTarget},
	{SCIM: "addresses[].streetAddress", Target: "default-address.street1"},
	{SCIM: "addresses[].locality", Target: "default-address.city"},
	{SCIM: "addresses[].region", Target: "default-address.state"},
	{SCIM: "addresses[].postalCode", Target: "default-address.postal-code"},
	{SCIM: "addresses[].country", Target: "default-address.country.name"},
	{SCIM: "groups[].value", Target: "user-groups[].id", Dir: mapping.FromTarget},
	{SCIM: "groups[].display", Target: "user-groups[].name", Dir: mapping.FromTarget},
	{SCIM: "roles[].value", Target: "roles[].id"},
	{SCIM: "roles[].display", Target: "roles[].name"},
	{SCIM: "active", Target: "active", Transform: "stringBool", Args: mapping.Args{"target": "boolean"}},
	{SCIM: "locale", Target: "default-locale"},
	{SCIM: "preferredLanguage", Target: "default-locale", Dir: mapping.FromTarget},
	{SCIM: E + "manager.value", Target: "manager.id"},
	{SCIM: E + "employeeNumber", Target: "employee-number"},
	{SCIM: E + "costCenter", Target: "custom-fields.default-user-cost-center"},
	{SCIM: "meta.created", Target: "created-at", Dir: mapping.FromTarget, Transform: "dateTime"},
	{SCIM: "meta.lastModified", Target: "updated-at", Dir: mapping.FromTarget, Transform: "dateTime"},
}

func coupaMapping(t testing.TB, removal mapping.Removal) *mapping.Mapping {
	t.Helper()
	rt := schema.UserResourceType().Clone()
	custom, err := mapping.ParseCustomAttributes("new_user|boolean;nickname2|string", []string{"string", "boolean"})
	if err != nil {
		t.Fatalf("ParseCustomAttributes: %v", err)
	}
	if err := mapping.AddCustomAttributes(rt, custom); err != nil {
		t.Fatalf("AddCustomAttributes: %v", err)
	}
	table := append(append(mapping.Table{}, coupaUserTable...), mapping.CustomRules(custom, "")...)
	m, err := table.Compile(mapping.Options{ResourceType: rt, Removal: removal})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return m
}

func TestCoupa(t *testing.T) {
	m := coupaMapping(t, mapping.RemoveNull)
	in := decode(t, `{"userName":"ann","name":{"givenName":"Ann"},"active":false,
		"roles":[{"value":"1","display":"User"},{"value":"7","display":"Buyer"}],
		"addresses":[{"streetAddress":"1 Main","country":"US"}],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"costCenter":"CC1","new_user":true,"manager":{"value":"9"}}}`)
	got, unmapped, err := m.ToTarget(in)
	if err != nil {
		t.Fatalf("ToTarget: %v", err)
	}
	want := decode(t, `{"login":"ann","firstname":"Ann","active":false,
		"roles":[{"id":"1","name":"User"},{"id":"7","name":"Buyer"}],
		"default-address":{"street1":"1 Main","country":{"name":"US"}},
		"custom-fields":{"default-user-cost-center":"CC1"},"new_user":true,"manager":{"id":"9"}}`)
	if d := cmp.Diff(want, canon(t, got)); d != "" {
		t.Errorf("ToTarget (-want +got):\n%s", d)
	}
	if len(unmapped) != 0 {
		t.Errorf("unmapped = %q", unmapped)
	}
	read := decode(t, `{"id":12,"login":"ann","fullname":"Ann Lee","active":"true","default-locale":"en","new_user":"",
		"avatar-thumb-url":"https://x/a.png","created-at":"2024-01-02T03:04:05+01:00","user-groups":[{"id":3,"name":"AP"}]}`)
	res, err := m.FromTarget(read)
	if err != nil {
		t.Fatalf("FromTarget: %v", err)
	}
	wantRes := decode(t, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
		"id":"12","userName":"ann","name":{"formatted":"Ann Lee"},"displayName":"Ann Lee","active":true,
		"locale":"en","preferredLanguage":"en","photos":[{"type":"thumbnail","value":"https://x/a.png"}],
		"meta":{"created":"2024-01-02T02:04:05Z"},"groups":[{"value":"3","display":"AP"}]}`)
	if d := cmp.Diff(wantRes, canon(t, res)); d != "" {
		t.Errorf("FromTarget (-want +got):\n%s", d)
	}
}

func TestCompileErrors(t *testing.T) {
	rt := schema.UserResourceType()
	tests := []struct {
		name  string
		table mapping.Table
		want  string // substring of the error
	}{
		{"unknown transform", mapping.Table{{SCIM: "userName", Target: "login", Transform: "upper"}}, `unknown transform "upper"`},
		{"unknown argument", mapping.Table{{SCIM: "active", Target: "s", Transform: "boolStatus", Args: mapping.Args{"true": "A", "flase": "B"}}}, `unknown argument "flase"`},
		{"missing argument", mapping.Table{{SCIM: "active", Target: "s", Transform: "boolStatus"}}, `argument "true" is required`},
		{"args without transform", mapping.Table{{SCIM: "userName", Target: "login", Args: mapping.Args{"a": "b"}}}, "without a transform"},
		{"unknown SCIM attribute", mapping.Table{{SCIM: "usrName", Target: "login"}}, `no attribute "usrName"`},
		{"unknown sub-attribute", mapping.Table{{SCIM: "name.given", Target: "login"}}, `no attribute "name.given"`},
		{"unknown schema", mapping.Table{{SCIM: "urn:x:y:1.0:Thing:a", Target: "a"}}, `unknown schema "urn:x:y:1.0:Thing"`},
		{"selector on single-valued", mapping.Table{{SCIM: `name[type eq "x"].givenName`, Target: "a"}}, "not multi-valued"},
		{"selector sub unknown", mapping.Table{{SCIM: `emails[kind eq "x"].value`, Target: "a"}}, `no sub-attribute "kind"`},
		{"selector without sub", mapping.Table{{SCIM: `emails[type eq "x"]`, Target: "a"}}, "must be followed by a sub-attribute"},
		{"selector with or", mapping.Table{{SCIM: `emails[type eq "a" or type eq "b"].value`, Target: "a"}}, `only "sub eq value"`},
		{"selector syntax", mapping.Table{{SCIM: `emails[type eq].value`, Target: "a"}}, "selector"},
		{"unclosed selector", mapping.Table{{SCIM: `emails[type eq "a".value`, Target: "a"}}, `missing "]"`},
		{"bad SCIM name", mapping.Table{{SCIM: "user name", Target: "a"}}, "invalid attribute name"},
		{"empty SCIM", mapping.Table{{Target: "a"}}, "empty SCIM path"},
		{"empty target", mapping.Table{{SCIM: "userName"}}, "empty target path"},
		{"target two []", mapping.Table{{SCIM: "emails[].value", Target: "a[].b[]"}}, `only one "[]"`},
		{"target bad index", mapping.Table{{SCIM: "userName", Target: "a[x]"}}, "neither [], [index] nor [Key=Value]"},
		{"target unclosed", mapping.Table{{SCIM: "userName", Target: "a[0"}}, `missing "]"`},
		{"target empty key", mapping.Table{{SCIM: "userName", Target: "a..b"}}, "empty key"},
		{"target junk after ]", mapping.Table{{SCIM: "userName", Target: "a[0]b"}}, "unexpected"},
		{"target [] without SCIM []", mapping.Table{{SCIM: "userName", Target: "logins[]"}}, `the target path has "[]"`},
		{"plus without concat", mapping.Table{{SCIM: "displayName", Target: "a+b"}}, "multi-field transform"},
		{"concat with one field", mapping.Table{{SCIM: "displayName", Target: "a", Transform: "concat"}}, "two or more target fields"},
		{"constant with SCIM", mapping.Table{{SCIM: "userName", Target: "a", Transform: "constant", Args: mapping.Args{"value": "x"}}}, "takes no SCIM path"},
		{"constant read", mapping.Table{{Target: "a", Dir: mapping.FromTarget, Transform: "constant", Args: mapping.Args{"value": "x"}}}, "only writes"},
		{"bad direction", mapping.Table{{SCIM: "userName", Target: "a", Dir: 7}}, "invalid direction"},
		{"two writers", mapping.Table{{SCIM: "userName", Target: "login"}, {SCIM: "displayName", Target: "login"}}, `both write target "login"`},
		{"nested writers", mapping.Table{{SCIM: "userName", Target: "profile"}, {SCIM: "displayName", Target: "profile.name"}}, `both write target "profile"`},
		{"two readers", mapping.Table{{SCIM: "userName", Target: "login"}, {SCIM: "userName", Target: "email", Dir: mapping.FromTarget}}, `both fill SCIM "userName"`},
		{"each and selector", mapping.Table{{SCIM: "emails[].value", Target: "a[].v"}, {SCIM: `emails[type eq "work"].display`, Target: "w"}}, "both element-wise and by selector"},
		{"each from two arrays", mapping.Table{{SCIM: "emails[].value", Target: "a[].v"}, {SCIM: "emails[].display", Target: "b[].d"}}, "different target arrays"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.table.Compile(mapping.Options{ResourceType: rt})
			if err == nil {
				t.Fatalf("Compile succeeded, want error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestCompileReportsAllErrorsWithPosition(t *testing.T) {
	_, err := mapping.Table{
		{SCIM: "userName", Target: "login"},
		{SCIM: "nope", Target: "a"},
		{SCIM: "title", Target: "b", Transform: "nope"},
	}.Compile(mapping.Options{ResourceType: schema.UserResourceType()})
	if err == nil {
		t.Fatal("Compile succeeded")
	}
	for _, want := range []string{`rule 2 (nope <-> a)`, `rule 3 (title <-> b (nope))`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

func TestCompileWithoutResourceType(t *testing.T) {
	// Without a resource type, paths are taken as written.
	table := mapping.Table{{SCIM: "Widget.Size", Target: "size"}, {SCIM: "urn:acme:ext:1.0:Thing:colour", Target: "colour"}}
	m, err := table.Compile(mapping.Options{})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	res, err := m.FromTarget(map[string]any{"size": "L", "colour": "red"})
	if err != nil {
		t.Fatalf("FromTarget: %v", err)
	}
	want := map[string]any{"Widget": map[string]any{"Size": "L"}, "urn:acme:ext:1.0:Thing": map[string]any{"colour": "red"}}
	if d := cmp.Diff(want, res); d != "" {
		t.Errorf("FromTarget (-want +got):\n%s", d)
	}
}

func TestUnmapped(t *testing.T) {
	rt := userType(t, "")
	m, err := oktaUserTable.Compile(mapping.Options{ResourceType: rt})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	tests := []struct {
		name string
		res  string
		want []string
	}{
		{"all mapped", `{"schemas":["x"],"id":"1","meta":{"created":"2020-01-01T00:00:00Z"},"userName":"a"}`, nil},
		{"core attributes", `{"userName":"a","profileUrl":"https://x","ims":[{"value":"a","type":"aim"}],"x509Certificates":[{"value":"AAAA"}]}`,
			[]string{"ims.value", "profileUrl", "x509Certificates.value"}},
		{"second email", `{"userName":"a","emails":[{"value":"w@x","type":"work"},{"value":"h@x","type":"home","primary":true}]}`,
			[]string{"emails.value"}},
		{"unmatched selector element", `{"userName":"a","phoneNumbers":[{"value":"1","type":"work"},{"value":"2","type":"mobile","display":"M"}]}`,
			[]string{"phoneNumbers.display", "phoneNumbers.value"}},
		{"unmapped sub of mapped attribute", `{"userName":"a","name":{"givenName":"A","formatted":"A B"}}`, []string{"name.formatted"}},
		{"extension", `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1","manager":{"value":"m","$ref":"../Users/m"}}}`,
			[]string{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.$ref"}},
		{"URN-qualified key", `{"userName":"a","urn:acme:ext:1.0:Thing:colour":"red"}`, []string{"urn:acme:ext:1.0:Thing:colour"}},
		{"empty values are not data", `{"userName":"a","nickName":"","title":null,"emails":[],"name":{"formatted":""}}`, nil},
		{"read-only rule does not store", `{"userName":"a","groups":[{"value":"g"}],"active":true}`, []string{"active", "groups.value"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, got, err := m.ToTarget(decode(t, tc.res))
			if err != nil {
				t.Fatalf("ToTarget: %v", err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("unmapped (-want +got):\n%s", d)
			}
		})
	}
}

func TestStrict(t *testing.T) {
	m, err := oktaUserTable.Compile(mapping.Options{ResourceType: userType(t, ""), Strict: true})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if _, _, err := m.ToTarget(decode(t, `{"userName":"a","title":"t"}`)); err != nil {
		t.Errorf("ToTarget of a fully mapped resource: %v", err)
	}
	_, unmapped, err := m.ToTarget(decode(t, `{"userName":"a","profileUrl":"https://x","ims":[{"value":"a"}]}`))
	var se *scim.Error
	if !errors.As(err, &se) || se.Status != 400 || se.ScimType != scim.InvalidValue {
		t.Fatalf("error = %v, want 400 invalidValue", err)
	}
	if !strings.Contains(se.Detail, "ims.value, profileUrl") {
		t.Errorf("detail %q does not name the attributes", se.Detail)
	}
	if len(unmapped) != 2 {
		t.Errorf("unmapped = %q, want both", unmapped)
	}
}

func TestTransformErrorIsInvalidValue(t *testing.T) {
	m, err := azureDevOpsUserTable.Compile(mapping.Options{})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	_, _, err = m.ToTarget(decode(t, `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"accessLevel":{"accountLicenseType":"Gold"}}}`))
	var se *scim.Error
	if !errors.As(err, &se) || se.Status != 400 || se.ScimType != scim.InvalidValue {
		t.Fatalf("error = %v, want 400 invalidValue", err)
	}
	if !strings.Contains(se.Detail, "accessLevel.accountLicenseType") || !strings.Contains(se.Detail, `"Gold"`) {
		t.Errorf("detail %q does not name the attribute and value", se.Detail)
	}
}

func TestFromTargetTransformError(t *testing.T) {
	m, err := mapping.Table{{SCIM: "meta.created", Target: "created", Dir: mapping.FromTarget, Transform: "dateTime"}}.Compile(mapping.Options{})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if _, err := m.FromTarget(map[string]any{"created": "yesterday"}); err == nil || !strings.Contains(err.Error(), "meta.created") {
		t.Errorf("error = %v, want one naming meta.created", err)
	}
}

func TestFromTargetMerging(t *testing.T) {
	table := mapping.Table{
		{SCIM: "emails", Target: "email", Transform: "multiToSingle", Args: mapping.Args{"type": "work"}},
		{SCIM: `emails[type eq "home"].value`, Target: "secondEmail"},
		{SCIM: `emails[type eq "work"].display`, Target: "emailLabel"},
		{SCIM: `addresses[type eq "work"].locality`, Target: "city"},
		{SCIM: `addresses[type eq "work"].region`, Target: "state"},
		{SCIM: "name", Target: "nameObj", Dir: mapping.FromTarget},
		{SCIM: "name.givenName", Target: "first"},
	}
	m, err := table.Compile(mapping.Options{ResourceType: schema.UserResourceType()})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	got, err := m.FromTarget(decode(t, `{"email":"w@x","secondEmail":"h@x","emailLabel":"Work","city":"Paris","state":"IDF",
		"first":"Ann","nameObj":{"familyName":"Lee","givenName":"ignored"}}`))
	if err != nil {
		t.Fatalf("FromTarget: %v", err)
	}
	want := decode(t, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
		"emails":[{"value":"w@x","type":"work","primary":true,"display":"Work"},{"value":"h@x","type":"home"}],
		"addresses":[{"type":"work","locality":"Paris","region":"IDF"}],
		"name":{"givenName":"Ann","familyName":"Lee"}}`)
	if d := cmp.Diff(want, canon(t, got)); d != "" {
		t.Errorf("FromTarget (-want +got):\n%s", d)
	}
}

func TestFromTargetCoercesToSchemaTypes(t *testing.T) {
	rt := userType(t, "level|string")
	table := mapping.Table{
		{SCIM: "id", Target: "id", Dir: mapping.FromTarget},
		{SCIM: "active", Target: "enabled"},
		{SCIM: E + "level", Target: "level"},
		{SCIM: "title", Target: "title"},
	}
	got, err := table.FromTarget(map[string]any{"id": 12.0, "enabled": "TRUE", "level": true, "title": map[string]any{"odd": 1.0}}, mapping.Options{ResourceType: rt})
	if err != nil {
		t.Fatalf("FromTarget: %v", err)
	}
	want := map[string]any{
		"schemas": []any{scim.UserSchema, scim.EnterpriseUserSchema},
		"id":      "12", "active": true, "title": map[string]any{"odd": 1.0},
		scim.EnterpriseUserSchema: map[string]any{"level": "true"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("FromTarget (-want +got):\n%s", d)
	}
}

func TestToTargetSelectorsAndElements(t *testing.T) {
	table := mapping.Table{
		{SCIM: `emails[type eq "work"].value`, Target: "work"},
		{SCIM: `emails[primary eq true].value`, Target: "primary"},
		{SCIM: "phoneNumbers[].value", Target: "phone"},
		{SCIM: "roles[].value", Target: "roles[]"},
		{SCIM: "password", Target: "creds[0].secret", Dir: mapping.ToTarget},
		{SCIM: "groups[].value", Target: "groups[].id"},
		{SCIM: "groups[].display", Target: "groups[].name"},
	}
	m, err := table.Compile(mapping.Options{})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	got, unmapped, err := m.ToTarget(decode(t, `{
		"emails":[{"value":"h@x","type":"home","primary":"true"},{"value":"w@x","type":"WORK"}],
		"phoneNumbers":[{"value":"1"},{"value":"2","primary":true}],
		"roles":[{"value":"a"},{"value":"b"}],
		"password":"pw",
		"groups":[{"value":"g1"},{"display":"only name"},{"value":"g3","display":"G3"}]}`))
	if err != nil {
		t.Fatalf("ToTarget: %v", err)
	}
	want := decode(t, `{"work":"w@x","primary":"h@x","phone":"2","roles":["a","b"],"creds":[{"secret":"pw"}],
		"groups":[{"id":"g1"},{"name":"only name"},{"id":"g3","name":"G3"}]}`)
	if d := cmp.Diff(want, canon(t, got)); d != "" {
		t.Errorf("ToTarget (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"phoneNumbers.value"}, unmapped); d != "" {
		t.Errorf("unmapped (-want +got):\n%s", d)
	}
}

func TestChanges(t *testing.T) {
	okta, err := oktaUserTable.Compile(mapping.Options{ResourceType: userType(t, "")})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	cognito, err := cognitoUserTable.Compile(mapping.Options{ResourceType: userType(t, "isPasswordPermanent|boolean;desiredDeliveryMediums|string;email_verified|boolean;phone_number_verified|boolean")})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	azure, err := azureDevOpsUserTable.Compile(mapping.Options{})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	tests := []struct {
		name          string
		m             *mapping.Mapping
		before, after string
		want          string
	}{
		{"nothing changed", okta,
			`{"userName":"a","name":{"givenName":"A"}}`,
			`{"userName":"a","name":{"givenName":"A"},"groups":[{"value":"read-only"}]}`,
			`{}`},
		{"changed, added and removed", okta,
			`{"userName":"a","nickName":"n","name":{"givenName":"A","familyName":"B"},"emails":[{"value":"a@x","primary":true}]}`,
			`{"userName":"a","name":{"givenName":"Z","familyName":"B"},"emails":[{"value":"z@x"}],"title":"T"}`,
			`{"profile":{"nickName":null,"firstName":"Z","email":"z@x","title":"T"}}`},
		{"name/value list", cognito,
			`{"userName":"j","emails":[{"value":"a@x"}],"phoneNumbers":[{"value":"+1"}]}`,
			`{"userName":"j","emails":[{"value":"b@x"}]}`,
			`{"UserAttributes":[{"Name":"email","Value":"b@x"},{"Name":"phone_number","Value":null}]}`},
		{"element-wise array sent whole, constant never", azure,
			`{"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"projectEntitlements":[{"projectRefId":"p1"},{"projectRefId":"p2"}]}}`,
			`{"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"projectEntitlements":[{"projectRefId":"p1"},{"projectRefId":"p3"}]}}`,
			`{"projectEntitlements":[{"projectRef":{"id":"p1"}},{"projectRef":{"id":"p3"}}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.m.Changes(decode(t, tc.before), decode(t, tc.after))
			if err != nil {
				t.Fatalf("Changes: %v", err)
			}
			if d := cmp.Diff(decode(t, tc.want), canon(t, got)); d != "" {
				t.Errorf("Changes (-want +got):\n%s", d)
			}
		})
	}
}

func TestChangesRemoval(t *testing.T) {
	before := `{"userName":"a","name":{"givenName":"A"},"roles":[{"value":"1"}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"new_user":true}}`
	after := `{"userName":"a"}`
	tests := []struct {
		removal mapping.Removal
		want    string
	}{
		{mapping.RemoveNull, `{"firstname":null,"roles":null,"new_user":null}`},
		{mapping.RemoveEmptyString, `{"firstname":"","roles":[],"new_user":""}`},
		{mapping.RemoveOmit, `{}`},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			got, err := coupaMapping(t, tc.removal).Changes(decode(t, before), decode(t, after))
			if err != nil {
				t.Fatalf("Changes: %v", err)
			}
			if d := cmp.Diff(decode(t, tc.want), canon(t, got)); d != "" {
				t.Errorf("Changes (-want +got):\n%s", d)
			}
		})
	}
}

func TestChangesInvalidValue(t *testing.T) {
	m, err := azureDevOpsUserTable.Compile(mapping.Options{})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	bad := decode(t, `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"accessLevel":{"accountLicenseType":"Gold"}}}`)
	if _, err := m.Changes(map[string]any{}, bad); err == nil {
		t.Error("Changes accepted a value the transform rejects")
	}
}

func TestTargetOf(t *testing.T) {
	m, err := oktaUserTable.Compile(mapping.Options{ResourceType: userType(t, "")})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	tests := []struct {
		path, target string
		ok           bool
		literal      any // a SCIM literal converted to the target
		want         any
	}{
		{"userName", "profile.login", true, "a@x", "a@x"},
		{"USERNAME", "profile.login", true, "a@x", "a@x"},
		{"urn:ietf:params:scim:schemas:core:2.0:User:userName", "profile.login", true, "a@x", "a@x"},
		{"name.GIVENNAME", "profile.firstName", true, "A", "A"},
		{"name.givenName", "profile.firstName", true, "A", "A"},
		{"active", "status", true, true, "ACTIVE"},
		{"meta.lastModified", "lastUpdated", true, "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "profile.employeeNumber", true, "7", "7"},
		{"nickName", "profile.nickName", true, "n", "n"},
		{"ims.value", "", false, nil, nil},
		{"bogus", "", false, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			target, conv, ok := m.TargetOf(tc.path)
			if target != tc.target || ok != tc.ok {
				t.Fatalf("TargetOf = %q, %t; want %q, %t", target, ok, tc.target, tc.ok)
			}
			if !ok {
				return
			}
			got, err := conv.ToTarget(tc.literal)
			if err != nil {
				t.Fatalf("ToTarget: %v", err)
			}
			if got != tc.want {
				t.Errorf("converted literal = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTableConvenienceMethods(t *testing.T) {
	table := mapping.Table{{SCIM: "userName", Target: "login"}}
	got, _, err := table.ToTarget(map[string]any{"userName": "a"}, mapping.Options{})
	if err != nil || got["login"] != "a" {
		t.Errorf("ToTarget = %v, %v", got, err)
	}
	res, err := table.FromTarget(map[string]any{"login": "a"}, mapping.Options{})
	if err != nil || res["userName"] != "a" {
		t.Errorf("FromTarget = %v, %v", res, err)
	}
	bad := mapping.Table{{SCIM: "userName", Target: ""}}
	if _, _, err := bad.ToTarget(nil, mapping.Options{}); err == nil {
		t.Error("ToTarget with a broken table succeeded")
	}
	if _, err := bad.FromTarget(nil, mapping.Options{}); err == nil {
		t.Error("FromTarget with a broken table succeeded")
	}
}

func TestDirectionText(t *testing.T) {
	for _, d := range []mapping.Direction{mapping.Both, mapping.ToTarget, mapping.FromTarget} {
		b, err := d.MarshalText()
		if err != nil {
			t.Fatalf("MarshalText(%v): %v", d, err)
		}
		var back mapping.Direction
		if err := back.UnmarshalText(b); err != nil || back != d {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", b, back, err, d)
		}
	}
	var d mapping.Direction
	if err := d.UnmarshalText([]byte("sideways")); err == nil {
		t.Error("UnmarshalText accepted an unknown direction")
	}
	if err := d.UnmarshalText([]byte("FROMTARGET")); err != nil || d != mapping.FromTarget {
		t.Errorf("UnmarshalText(FROMTARGET) = %v, %v", d, err)
	}
	if _, err := mapping.Direction(9).MarshalText(); err == nil {
		t.Error("MarshalText accepted an invalid direction")
	}
	if s := (mapping.Rule{SCIM: "a", Target: "b", Dir: mapping.ToTarget, Transform: "lower"}).String(); s != "a -> b (lower)" {
		t.Errorf("Rule.String = %q", s)
	}
}

func TestFromTargetMergeOrder(t *testing.T) {
	// Whole-attribute rules after selector and sub rules add to what those built.
	table := mapping.Table{
		{SCIM: `emails[type eq "home"].value`, Target: "home"},
		{SCIM: "emails", Target: "work", Transform: "multiToSingle", Args: mapping.Args{"type": "work"}},
		{SCIM: "name.givenName", Target: "first"},
		{SCIM: "name", Target: "nameObj", Dir: mapping.FromTarget},
	}
	got, err := table.FromTarget(decode(t, `{"home":"h@x","work":"w@x","first":"Ann","nameObj":{"givenName":"ignored","familyName":"Lee"}}`), mapping.Options{})
	if err != nil {
		t.Fatalf("FromTarget: %v", err)
	}
	want := decode(t, `{"emails":[{"type":"home","value":"h@x"},{"type":"work","value":"w@x","primary":true}],
		"name":{"givenName":"Ann","familyName":"Lee"}}`)
	if d := cmp.Diff(want, canon(t, got)); d != "" {
		t.Errorf("FromTarget (-want +got):\n%s", d)
	}
}

func TestSelectorLiterals(t *testing.T) {
	table := mapping.Table{
		{SCIM: `x509Certificates[display eq 2].value`, Target: "two"},
		{SCIM: `ims[primary eq false].value`, Target: "secondary"},
		{SCIM: `roles[type eq null].value`, Target: "untyped"},
		{SCIM: "entitlements[].value", Target: "Attributes[Name=7].Value"},
	}
	m, err := table.Compile(mapping.Options{})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	got, _, err := m.ToTarget(decode(t, `{
		"x509Certificates":[{"display":"1","value":"a"},{"display":2,"value":"b"}],
		"ims":[{"primary":true,"value":"p"},{"primary":"false","value":"s"}],
		"roles":[{"type":"x","value":"r1"},{"value":"r2"}],
		"entitlements":[{"value":"e"}]}`))
	if err != nil {
		t.Fatalf("ToTarget: %v", err)
	}
	want := map[string]any{"two": "b", "secondary": "s", "untyped": "r2", "Attributes": []any{map[string]any{"Name": "7", "Value": "e"}}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ToTarget (-want +got):\n%s", d)
	}
	// A target whose Name is a number still matches [Name=7].
	back, err := m.FromTarget(map[string]any{"Attributes": []any{map[string]any{"Name": 7.0, "Value": "e"}}})
	if err != nil {
		t.Fatalf("FromTarget: %v", err)
	}
	if d := cmp.Diff(map[string]any{"entitlements": []any{map[string]any{"value": "e"}}}, back); d != "" {
		t.Errorf("FromTarget (-want +got):\n%s", d)
	}
}
