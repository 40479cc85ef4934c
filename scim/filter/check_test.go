package filter

import (
	"errors"
	"testing"

	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// mustParse parses a filter a test relies on.
func mustParse(t testing.TB, s string) Expr {
	t.Helper()
	e, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return e
}

// testUserType is the User resource type with the enterprise extension and
// custom attributes of every type, so each operator × type can be tested.
func testUserType() *schema.ResourceType {
	rt := schema.UserResourceType()
	ext := &schema.Schema{ID: "urn:example:params:scim:schemas:extension:test:1.0:User", Name: "Test"}
	loginCount := schema.NewAttribute("loginCount", schema.Integer)
	score := schema.NewAttribute("score", schema.Decimal)
	badge := schema.NewAttribute("badge", schema.String)
	badge.CaseExact = true
	tags := schema.NewAttribute("tags", schema.String)
	tags.MultiValued = true
	ext.AddAttribute(loginCount)
	ext.AddAttribute(score)
	ext.AddAttribute(badge)
	ext.AddAttribute(tags)
	ext.AddAttribute(schema.NewAttribute("hiredAt", schema.DateTime))
	ext.AddAttribute(schema.NewAttribute("avatar", schema.Binary))
	rt.Extensions = append(rt.Extensions, schema.Extension{Schema: ext})
	return rt
}

func TestCheckValid(t *testing.T) {
	rt := testUserType()
	tests := []string{
		// RFC 7644 §3.4.2.2 examples.
		`userName eq "bjensen"`,
		`name.familyName co "O'Malley"`,
		`userName sw "J"`,
		`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`,
		`title pr`,
		`meta.lastModified gt "2011-05-13T04:42:34Z"`,
		`meta.lastModified ge "2011-05-13T04:42:34Z"`,
		`meta.lastModified lt "2011-05-13T04:42:34Z"`,
		`meta.lastModified le "2011-05-13T04:42:34Z"`,
		`title pr and userType eq "Employee"`,
		`title pr or userType eq "Intern"`,
		`schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`,
		`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
		`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
		`userType eq "Employee" and (emails.type eq "work")`,
		`userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
		`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
		// Case-insensitive names, extensions, every type.
		`USERNAME eq "x" and Name.FamilyName pr and EMAILS[TYPE eq "work"]`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915"`,
		`employeeNumber eq "1" and manager.displayName sw "J"`,
		`id eq "2819c223" and externalId eq jyoung and meta.resourceType eq "User" and meta.version pr`,
		`externalId eq 12345`,
		`active eq true and active ne false and active eq null`,
		`loginCount gt 3 and loginCount le 10.5 and score ge -1e3`,
		`hiredAt lt "2020-01-01T00:00:00.123+02:00" and hiredAt gt "2020-01-01T00:00:00"`,
		`avatar eq "aGVsbG8=" and x509Certificates.value eq "aGVsbG8="`,
		`meta.created ne null and name pr and emails pr and urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr`,
		`groups[$ref pr] and photos.value sw "https://"`,
		`userName gt "a" and profileUrl co "example"`,
		`name[givenName eq "Barbara"]`,
		// Entra's reference check: the manager's "value" (tutorial).
		`id eq 54D382A4-2050-4C03-94D1-E769F1D15682 and manager eq 2819c223-7f76-453a-919d-413861904646`,
	}
	for _, s := range tests {
		t.Run(s, func(t *testing.T) {
			if err := Check(mustParse(t, s), rt); err != nil {
				t.Errorf("Check(%q): %v", s, err)
			}
		})
	}
}

func TestCheckErrors(t *testing.T) {
	rt := testUserType()
	tests := []struct {
		in        string
		fragments []string
	}{
		{`nickname2 eq "x"`, []string{`unknown attribute "nickname2"`}},
		{`title pr and foo pr`, []string{`unknown attribute "foo"`}},
		{`name.nick eq "x"`, []string{`unknown sub-attribute "nick" of "name"`}},
		{`userName.x eq "x"`, []string{`"userName" is not complex`}},
		{`urn:example:unknown:1.0:User:userName eq "x"`, []string{`unknown schema "urn:example:unknown:1.0:User"`}},
		{enterpriseURN + `:userName eq "x"`, []string{`unknown attribute "` + enterpriseURN + `:userName"`}},
		{`emails[foo eq "x"]`, []string{`unknown sub-attribute "foo" of "emails"`}},
		{`userName[value eq "x"]`, []string{`attribute "userName" is not complex`}},
		{`name eq "x"`, []string{`"name" is complex`}},
		{`meta gt "x"`, []string{`"meta" is complex`}},
		// RFC 7644 §3.4.2.2: gt/ge/lt/le on boolean or binary fail.
		{`active gt true`, []string{`operator "gt" is not defined for boolean attribute "active"`}},
		{`active le false`, []string{`"le"`, "boolean"}},
		{`avatar ge "x"`, []string{`"ge"`, "binary"}},
		{`x509Certificates.value lt "x"`, []string{`"lt"`, "binary"}},
		{`x509Certificates lt "x"`, []string{`"lt"`, "binary", `"x509Certificates.value"`}},
		// co/sw/ew need strings.
		{`active co "t"`, []string{`operator "co" needs a string attribute`, "a boolean"}},
		{`loginCount sw 1`, []string{`"sw"`, "an integer"}},
		{`score ew 1`, []string{`"ew"`, "a decimal"}},
		{`meta.created co "2011"`, []string{`"co"`, "a dateTime"}},
		{`avatar co "x"`, []string{`"co"`, "a binary"}},
		// Values of the wrong type.
		{`meta.lastModified gt "yesterday"`, []string{`"meta.lastModified" is a dateTime attribute`, `"yesterday"`}},
		{`meta.created eq 2011`, []string{"dateTime", "2011"}},
		{`active eq "true"`, []string{`"active" is a boolean attribute`, `"true"`}},
		{`active eq 1`, []string{"boolean", "found 1"}},
		{`loginCount eq "3"`, []string{`"loginCount" is an integer attribute: expected a number`}},
		{`score gt true`, []string{"a decimal", "expected a number"}},
		{`userName eq true`, []string{`"userName" is a string attribute: expected a string, found true`}},
		{`emails[primary eq "yes"]`, []string{`"emails.primary" is a boolean`}},
		{`userName gt null`, []string{`operator "gt" cannot compare "userName" with null`}},
		{`userName co null`, []string{`"co"`, "null"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			err := Check(mustParse(t, tt.in), rt)
			wantSCIMError(t, err, scim.InvalidFilter, tt.fragments...)
		})
	}
}

func TestCheckHandBuilt(t *testing.T) {
	rt := testUserType()
	tests := []struct {
		name      string
		in        Expr
		fragments []string
	}{
		{"nested value path", vpath(path("emails"), vpath(path("type"), pr(path("value")))), []string{"cannot be nested"}},
		{"sub-attribute path inside value path", vpath(path("emails"), or(eq("type", "work"), pr(subPath("display", "x")))), []string{`"display.x" must name a sub-attribute`}},
		{"value path without filter", &ValuePath{Path: path("emails")}, []string{"no filter"}},
		{"unknown operator", cmpr(path("userName"), Op("xx"), "a"), []string{`unknown operator "xx"`}},
		{"nil operand", and(pr(path("title")), nil), []string{"empty filter"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantSCIMError(t, Check(tt.in, rt), scim.InvalidFilter, tt.fragments...)
		})
	}
	t.Run("nil filter", func(t *testing.T) {
		if err := Check(nil, rt); err != nil {
			t.Errorf("Check(nil) = %v, want nil", err)
		}
	})
	t.Run("nil resource type", func(t *testing.T) {
		if err := Check(pr(path("title")), nil); !errors.Is(err, errNoResourceType) {
			t.Errorf("Check(_, nil) = %v, want errNoResourceType", err)
		}
	})
}
