package filter

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/scim"
)

const enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// Helpers keep the expected ASTs short.
func path(attr string) AttrPath         { return AttrPath{Attr: attr} }
func subPath(attr, sub string) AttrPath { return AttrPath{Attr: attr, Sub: sub} }
func cmpr(p AttrPath, op Op, v any) *Compare {
	return &Compare{Path: p, Op: op, Value: v}
}
func pr(p AttrPath) *Compare         { return &Compare{Path: p, Op: Pr} }
func and(l, r Expr) *And             { return &And{Left: l, Right: r} }
func or(l, r Expr) *Or               { return &Or{Left: l, Right: r} }
func not(x Expr) *Not                { return &Not{X: x} }
func vpath(p AttrPath, f Expr) Expr  { return &ValuePath{Path: p, Filter: f} }
func num(s string) json.Number       { return json.Number(s) }
func eq(attr string, v any) *Compare { return cmpr(path(attr), Eq, v) }
func urnPath(urn, attr, sub string) AttrPath {
	return AttrPath{URN: urn, Attr: attr, Sub: sub}
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Expr
	}{
		// RFC 7644 §3.4.2.2, the examples after table 4.
		{"rfc eq", `userName eq "bjensen"`, eq("userName", "bjensen")},
		{"rfc co sub-attribute", `name.familyName co "O'Malley"`, cmpr(subPath("name", "familyName"), Co, "O'Malley")},
		{"rfc sw", `userName sw "J"`, cmpr(path("userName"), Sw, "J")},
		{"rfc urn", `urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`,
			cmpr(urnPath(scim.UserSchema, "userName", ""), Sw, "J")},
		{"rfc pr", `title pr`, pr(path("title"))},
		{"rfc gt", `meta.lastModified gt "2011-05-13T04:42:34Z"`, cmpr(subPath("meta", "lastModified"), Gt, "2011-05-13T04:42:34Z")},
		{"rfc ge", `meta.lastModified ge "2011-05-13T04:42:34Z"`, cmpr(subPath("meta", "lastModified"), Ge, "2011-05-13T04:42:34Z")},
		{"rfc lt", `meta.lastModified lt "2011-05-13T04:42:34Z"`, cmpr(subPath("meta", "lastModified"), Lt, "2011-05-13T04:42:34Z")},
		{"rfc le", `meta.lastModified le "2011-05-13T04:42:34Z"`, cmpr(subPath("meta", "lastModified"), Le, "2011-05-13T04:42:34Z")},
		{"rfc and", `title pr and userType eq "Employee"`, and(pr(path("title")), eq("userType", "Employee"))},
		{"rfc or", `title pr or userType eq "Intern"`, or(pr(path("title")), eq("userType", "Intern"))},
		{"rfc schemas", `schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`, eq("schemas", enterpriseURN)},
		{"rfc grouping", `userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
			and(eq("userType", "Employee"), or(cmpr(path("emails"), Co, "example.com"), cmpr(subPath("emails", "value"), Co, "example.org")))},
		{"rfc not", `userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
			and(cmpr(path("userType"), Ne, "Employee"), not(or(cmpr(path("emails"), Co, "example.com"), cmpr(subPath("emails", "value"), Co, "example.org"))))},
		{"rfc grouped single", `userType eq "Employee" and (emails.type eq "work")`,
			and(eq("userType", "Employee"), cmpr(subPath("emails", "type"), Eq, "work"))},
		{"rfc value path", `userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
			and(eq("userType", "Employee"), vpath(path("emails"), and(eq("type", "work"), cmpr(path("value"), Co, "@example.com"))))},
		{"rfc two value paths", `emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
			or(vpath(path("emails"), and(eq("type", "work"), cmpr(path("value"), Co, "@example.com"))),
				vpath(path("ims"), and(eq("type", "xmpp"), cmpr(path("value"), Co, "@foo.com"))))},

		// Precedence and associativity.
		{"and binds tighter than or", `a pr or b pr and c pr`, or(pr(path("a")), and(pr(path("b")), pr(path("c"))))},
		{"and binds tighter than or, left", `a pr and b pr or c pr`, or(and(pr(path("a")), pr(path("b"))), pr(path("c")))},
		{"or is left-associative", `a pr or b pr or c pr`, or(or(pr(path("a")), pr(path("b"))), pr(path("c")))},
		{"and is left-associative", `a pr and b pr and c pr`, and(and(pr(path("a")), pr(path("b"))), pr(path("c")))},
		{"parentheses override", `(a pr or b pr) and c pr`, and(or(pr(path("a")), pr(path("b"))), pr(path("c")))},
		{"right grouping kept", `a pr and (b pr and c pr)`, and(pr(path("a")), and(pr(path("b")), pr(path("c"))))},
		{"not binds tightest", `not (a pr) and b pr`, and(not(pr(path("a"))), pr(path("b")))},
		{"not without space", `not(a pr)`, not(pr(path("a")))},
		{"nested not", `not (not (a pr))`, not(not(pr(path("a"))))},
		{"nested parentheses", `(((a pr)))`, pr(path("a"))},
		{"deep mix", `((a eq 1 or b eq 2) and not (c pr or (d lt 3)))`,
			and(or(eq("a", num("1")), eq("b", num("2"))), not(or(pr(path("c")), cmpr(path("d"), Lt, num("3")))))},

		// Value paths.
		{"value path with or inside", `emails[type eq "work" or type eq "home"]`, vpath(path("emails"), or(eq("type", "work"), eq("type", "home")))},
		{"value path with not inside", `emails[not (type eq "work")]`, vpath(path("emails"), not(eq("type", "work")))},
		{"value path with parentheses inside", `emails[(type eq "work" or primary eq true) and value pr]`,
			vpath(path("emails"), and(or(eq("type", "work"), eq("primary", true)), pr(path("value"))))},
		{"value path with urn", `urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"]`,
			vpath(urnPath(scim.UserSchema, "emails", ""), eq("type", "work"))},
		{"group members", `members[value eq "2819c223-7f76-453a-919d-413861904646"]`,
			vpath(path("members"), eq("value", "2819c223-7f76-453a-919d-413861904646"))},
		{"space before bracket", `emails [type eq "work"]`, vpath(path("emails"), eq("type", "work"))},

		// Paths.
		{"enterprise attribute", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`,
			cmpr(urnPath(enterpriseURN, "employeeNumber", ""), Eq, "701984")},
		{"enterprise sub-attribute", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`,
			cmpr(urnPath(enterpriseURN, "manager", "value"), Eq, "26118915-6090-4610-87e4-49d8ca9f808d")},
		{"$ref", `members.$ref pr`, pr(subPath("members", "$ref"))},
		{"name with digits, dash and underscore", `x509Certificates.value pr and a-b_c pr`,
			and(pr(subPath("x509Certificates", "value")), pr(path("a-b_c")))},
		{"custom urn", `urn:example:params:scim:schemas:extension:Custom:1.0:User:cost-center eq "x"`,
			cmpr(urnPath("urn:example:params:scim:schemas:extension:Custom:1.0:User", "cost-center", ""), Eq, "x")},
		{"keyword-named attribute", `not eq "x" and and pr`, and(eq("not", "x"), pr(path("and")))},

		// Values.
		{"integer", `age eq 42`, eq("age", num("42"))},
		{"negative decimal with exponent", `weight gt -1.5E+3`, cmpr(path("weight"), Gt, num("-1.5E+3"))},
		{"zero", `n eq 0`, eq("n", num("0"))},
		{"true", `active eq true`, eq("active", true)},
		{"false", `active eq false`, eq("active", false)},
		{"null", `title eq null`, eq("title", nil)},
		{"ne null", `title ne null`, cmpr(path("title"), Ne, nil)},
		{"escapes", `displayName eq "a\"b\\c\/d\b\f\n\r\t"`, eq("displayName", "a\"b\\c/d\b\f\n\r\t")},
		{"unicode escape", `displayName eq "Bj\u00f8rn \u00E9"`, eq("displayName", "Bjørn é")},
		{"surrogate pair", `displayName eq "\ud83d\ude00"`, eq("displayName", "😀")},
		{"lone surrogate", `displayName eq "\ud83d"`, eq("displayName", "\uFFFD")},
		{"raw utf-8", `displayName eq "Zoë 東京"`, eq("displayName", "Zoë 東京")},
		{"empty string", `displayName eq ""`, eq("displayName", "")},
		{"string with keywords and brackets", `displayName eq "a and b or not (c) [d]"`, eq("displayName", "a and b or not (c) [d]")},

		// Case-insensitivity.
		{"uppercase operator", `userName EQ "x"`, eq("userName", "x")},
		{"mixed case keywords", `a Pr AND NOT (b pR) Or c PR`, or(and(pr(path("a")), not(pr(path("b")))), pr(path("c")))},
		{"uppercase literals", `active eq TRUE or title eq NULL or x eq False`,
			or(or(eq("active", true), eq("title", nil)), eq("x", false))},

		// Leniency for real clients.
		{"entra bare word", `externalId eq jyoung`, eq("externalId", "jyoung")},
		{"bare guid", `externalId eq 5b2ca8c8-1234-4bcd-9def-0123456789ab`, eq("externalId", "5b2ca8c8-1234-4bcd-9def-0123456789ab")},
		{"bare email", `userName eq jdoe@contoso.com and active eq true`, and(eq("userName", "jdoe@contoso.com"), eq("active", true))},
		{"bare word before bracket", `emails[value eq x@y.z]`, vpath(path("emails"), eq("value", "x@y.z"))},
		{"bare word before parenthesis", `(userName eq jdoe)`, eq("userName", "jdoe")},
		// Entra filters on a matching attribute named as in its attribute
		// mappings: the sub-attribute comes after the brackets.
		{"entra value path sub-attribute", `emails[type eq "work"].value eq "a@b.c"`,
			vpath(path("emails"), and(eq("type", "work"), eq("value", "a@b.c")))},
		{"entra value path sub-attribute and more", `emails[type eq "work" or primary eq true].value pr and userName eq x`,
			and(vpath(path("emails"), and(or(eq("type", "work"), eq("primary", true)), pr(path("value")))), eq("userName", "x"))},
		{"entra value path sub-attribute with urn", `urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq work].value eq x`,
			vpath(urnPath(scim.UserSchema, "emails", ""), and(eq("type", "work"), eq("value", "x")))},
		{"leading zero is a word", `externalId eq 007`, eq("externalId", "007")},
		{"extra whitespace", "  userName   eq\t\"x\"\n and  ( title  pr )  ", and(eq("userName", "x"), pr(path("title")))},
		{"no space before string", `userName eq"x"and title pr`, and(eq("userName", "x"), pr(path("title")))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			// String round trip: parsing the rendering yields an equal AST.
			again, err := Parse(got.String())
			if err != nil {
				t.Fatalf("Parse(%q) (the String of %q): %v", got.String(), tt.in, err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("round trip of %q via %q (-first +second):\n%s", tt.in, got.String(), diff)
			}
		})
	}
}

// wantSCIMError asserts err is a 400 *scim.Error of scimType whose detail
// contains every fragment.
func wantSCIMError(t *testing.T, err error, scimType string, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s error containing %q", scimType, fragments)
	}
	var se *scim.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *scim.Error", err, err)
	}
	if se.Status != http.StatusBadRequest || se.ScimType != scimType {
		t.Errorf("got status %d scimType %q, want 400 %q (%v)", se.Status, se.ScimType, scimType, err)
	}
	for _, f := range fragments {
		if !strings.Contains(se.Detail, f) {
			t.Errorf("detail %q does not contain %q", se.Detail, f)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		fragments []string
	}{
		{"empty", ``, []string{"position 1", "empty"}},
		{"blank", `   `, []string{"empty"}},
		{"misspelt operator", `userName eqq "x"`, []string{`invalid filter at position 10: expected a comparison operator`, `found "eqq"`}},
		{"missing operator", `userName`, []string{"position 9", "expected a comparison operator", "found the end of the filter"}},
		{"missing value", `userName eq`, []string{"position 12", "expected a value", "end of the filter"}},
		{"value is a parenthesis", `userName eq )`, []string{"position 13", "expected a value", `found ")"`}},
		{"keyword as value", `userName eq and`, []string{"position 13", `keyword "and"`}},
		{"dangling and", `title pr and`, []string{"position 13", "expected an attribute path"}},
		{"dangling or", `title pr or `, []string{"position 13", "expected an attribute path"}},
		{"missing logical operator", `title pr userType eq "x"`, []string{"position 10", `expected "and", "or" or the end of the filter`, `found "userType"`}},
		{"unclosed parenthesis", `(title pr`, []string{"position 10", `expected "and", "or" or ")"`}},
		{"extra closing parenthesis", `title pr)`, []string{"position 9", `found ")"`}},
		{"empty parentheses", `()`, []string{"position 2", "expected an attribute path"}},
		{"not without parenthesis", `not title pr`, []string{"position 1", `expected "(" after "not"`}},
		{"unclosed bracket", `emails[type eq "work"`, []string{"position 22", `expected "and", "or" or "]"`}},
		{"empty brackets", `emails[]`, []string{"position 8", "expected an attribute path"}},
		{"nested value path", `emails[type[value pr]]`, []string{"position 12", "cannot be nested"}},
		{"urn inside brackets", `emails[urn:x:y:type eq "work"]`, []string{"position 8", "sub-attribute name inside brackets"}},
		{"sub-attribute inside brackets", `emails[type.value eq "work"]`, []string{"position 8", "sub-attribute name inside brackets"}},
		{"value path on sub-attribute", `name.givenName[value pr]`, []string{"position 1", "complex attribute"}},
		{"text after value path", `emails[type eq "work"] eq "x"`, []string{"position 24", `found "eq"`}},
		{"value path sub-attribute without operator", `emails[type eq "work"].value`, []string{"position 29", "expected a comparison operator"}},
		{"value path empty sub-attribute", `emails[type eq "work"]. eq "x"`, []string{"position 24", `sub-attribute name after "]."`}},
		{"value path two sub-attributes", `emails[type eq "work"].value.x eq "x"`, []string{"position 24", `sub-attribute name after "]."`, `"value.x"`}},
		{"value path sub-attribute inside brackets", `emails[type eq "work" and x[y eq 1].z eq 2]`, []string{"cannot be nested"}},
		{"two sub-attributes", `name.givenName.x pr`, []string{"position 15", "at most one sub-attribute"}},
		{"empty sub-attribute", `name. pr`, []string{"position 6", "sub-attribute name"}},
		{"attribute starting with digit", `1abc pr`, []string{"position 1", "expected an attribute name", `"1abc"`}},
		{"invalid character in path", `user@name eq "x"`, []string{"position 5", `invalid character '@'`}},
		{"not a urn", `foo:bar eq "x"`, []string{"position 1", `schema URN`}},
		{"urn without attribute", `urn:ietf:params:scim:schemas:core:2.0:User: pr`, []string{"position 44", "expected an attribute name after the schema URN"}},
		{"empty urn segment", `urn::x:userName pr`, []string{"position 5", "empty segment"}},
		{"unterminated string", `userName eq "abc`, []string{"position 13", "unterminated string"}},
		{"unterminated after escape", `userName eq "abc\`, []string{"position 13", "unterminated string"}},
		{"bad escape", `userName eq "a\qb"`, []string{"position 15", `invalid escape "\\q"`}},
		{"bad unicode escape", `userName eq "\u12G4"`, []string{"position 14", `\u escape`}},
		{"string after pr", `title pr "x"`, []string{"position 10", `found "\"x\""`}},
		{"long token is shortened", `userName ` + strings.Repeat("q", 50) + ` "x"`, []string{"position 10", `found "` + strings.Repeat("q", 32) + `"...`}},
		{"long string is shortened", `title pr "` + strings.Repeat("é", 40) + `"`, []string{"position 10", `found "\"ééé`, `é"...`}},
		{"position counts characters, not bytes", `displayName eq "Zoë" x`, []string{"position 22", `found "x"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want an error", tt.in, e)
			}
			wantSCIMError(t, err, scim.InvalidFilter, tt.fragments...)
		})
	}
}

func TestParseLimits(t *testing.T) {
	chain := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = "a pr"
		}
		return strings.Join(parts, " and ")
	}
	nest := func(n int) string { return strings.Repeat("(", n) + "a pr" + strings.Repeat(")", n) }
	nots := func(n int) string { return strings.Repeat("not (", n) + "a pr" + strings.Repeat(")", n) }
	tests := []struct {
		name      string
		in        string
		limits    Limits
		ok        bool
		fragments []string
	}{
		{"length at limit", `userName eq "x"`, Limits{MaxLength: 15}, true, nil},
		{"length over limit", `userName eq "xy"`, Limits{MaxLength: 15}, false, []string{"16 characters long", "limit is 15"}},
		{"length counts characters", `userName eq "ëë"`, Limits{MaxLength: 16}, true, nil},
		{"default length", strings.Repeat(" ", 4091) + "a pr  ", Limits{}, false, []string{"4097 characters long", "limit is 4096"}},
		{"depth at limit", nest(3), Limits{MaxDepth: 3}, true, nil},
		{"depth over limit", nest(4), Limits{MaxDepth: 3}, false, []string{"position 4", "deeper than 3"}},
		{"not counts as depth", nots(4), Limits{MaxDepth: 3}, false, []string{"deeper than 3"}},
		{"value path counts as depth", `((emails[type pr]))`, Limits{MaxDepth: 2}, false, []string{"position 9", "deeper than 2"}},
		{"default depth", nest(17), Limits{}, false, []string{"deeper than 16"}},
		{"nodes at limit", chain(3), Limits{MaxNodes: 5}, true, nil},
		{"nodes over limit", chain(4), Limits{MaxNodes: 5}, false, []string{"more than 5"}},
		{"default nodes", chain(101), Limits{}, false, []string{"more than 200"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseWithLimits(tt.in, tt.limits)
			if tt.ok {
				if err != nil {
					t.Fatalf("ParseWithLimits: %v", err)
				}
				return
			}
			wantSCIMError(t, err, scim.InvalidFilter, tt.fragments...)
		})
	}
	t.Run("Parse applies DefaultLimits", func(t *testing.T) {
		if _, err := Parse(nest(16)); err != nil {
			t.Errorf("depth 16: %v", err)
		}
		if _, err := Parse(nest(17)); err == nil {
			t.Error("depth 17 parsed, want an error")
		}
	})
}

func TestString(t *testing.T) {
	tests := []struct {
		name string
		in   Expr
		want string
	}{
		{"compare", eq("userName", "bjensen"), `userName eq "bjensen"`},
		{"pr", pr(subPath("name", "familyName")), `name.familyName pr`},
		{"null", eq("title", nil), `title eq null`},
		{"bool", cmpr(path("active"), Ne, false), `active ne false`},
		{"number literal kept", eq("n", num("1.50e+3")), `n eq 1.50e+3`},
		{"go numbers", and(eq("a", 7), eq("b", 2.5)), `a eq 7 and b eq 2.5`},
		{"escapes", eq("x", "q\"b\\s\n\t\x01</>é"), `x eq "q\"b\\s\n\t\u0001</>é"`},
		{"urn", pr(urnPath(enterpriseURN, "manager", "value")), enterpriseURN + `:manager.value pr`},
		{"or inside and is grouped", and(or(pr(path("a")), pr(path("b"))), pr(path("c"))), `(a pr or b pr) and c pr`},
		{"and inside or is not grouped", or(and(pr(path("a")), pr(path("b"))), pr(path("c"))), `a pr and b pr or c pr`},
		{"right-nested and is grouped", and(pr(path("a")), and(pr(path("b")), pr(path("c")))), `a pr and (b pr and c pr)`},
		{"right-nested or is grouped", or(pr(path("a")), or(pr(path("b")), pr(path("c")))), `a pr or (b pr or c pr)`},
		{"left-nested chain is flat", or(or(pr(path("a")), pr(path("b"))), pr(path("c"))), `a pr or b pr or c pr`},
		{"not", not(and(pr(path("a")), pr(path("b")))), `not (a pr and b pr)`},
		{"value path", vpath(path("emails"), and(eq("type", "work"), cmpr(path("value"), Co, "@x"))), `emails[type eq "work" and value co "@x"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAttrPathString(t *testing.T) {
	tests := []struct {
		in   AttrPath
		want string
	}{
		{path("userName"), "userName"},
		{subPath("name", "givenName"), "name.givenName"},
		{urnPath(enterpriseURN, "manager", "value"), enterpriseURN + ":manager.value"},
		{urnPath(enterpriseURN, "", ""), enterpriseURN},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestStringLongerThanInput is a regression test found by FuzzParse: the
// rendering of a filter within MaxLength can exceed it (control characters
// become \u escapes, bare words gain quotes), so Parse of String needs room
// for the length; depth and node count never grow.
func TestStringLongerThanInput(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"control characters", `A_ eq"t` + strings.Repeat("\x0e", 1000) + `tttt"`},
		{"bare words", strings.Repeat(`a eq `+strings.Repeat("b", 32)+` or `, 99) + `a eq ` + strings.Repeat("b", 32)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			out := e.String()
			if len(out) <= DefaultLimits.MaxLength {
				t.Fatalf("rendering is %d bytes, want more than %d for this test", len(out), DefaultLimits.MaxLength)
			}
			if _, err := Parse(out); err == nil {
				t.Error("Parse of the long rendering succeeded, want a length error")
			}
			again, err := ParseWithLimits(out, renderedLimits(out))
			if err != nil {
				t.Fatalf("ParseWithLimits of the rendering: %v", err)
			}
			if diff := cmp.Diff(e, again); diff != "" {
				t.Errorf("round trip mismatch (-first +second):\n%s", diff)
			}
		})
	}
}

// TestMentions: an attribute is named with or without its schema's URN,
// anywhere in the logical tree, but not as a sub-attribute inside a value
// path's filter, and not with another schema's URN.
func TestMentions(t *testing.T) {
	const user = "urn:ietf:params:scim:schemas:core:2.0:User"
	for _, tc := range []struct {
		filter, attr string
		want         bool
	}{
		{`groups.value eq "g"`, "groups", true},
		{user + `:groups.value eq "g"`, "groups", true},
		{`userName eq "a" or not (` + user + `:GROUPS[value eq "g"])`, "groups", true},
		{`emails[value eq "groups"]`, "groups", false},
		{`emails[groups eq "x"]`, "groups", false},
		{enterpriseURN + `:groups eq "g"`, "groups", false},
		{`schemas eq "` + enterpriseURN + `"`, "schemas", true},
		{`userName eq "a"`, "schemas", false},
	} {
		e, err := Parse(tc.filter)
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		if got := Mentions(e, user, tc.attr); got != tc.want {
			t.Errorf("Mentions(%s, %s) = %v, want %v", tc.filter, tc.attr, got, tc.want)
		}
	}
}

// TestWalkCompares: every comparison, those inside value paths with their
// value path as parent, in order.
func TestWalkCompares(t *testing.T) {
	e, err := Parse(`userName eq "a" and not (emails[type eq "work" or value co "x"]) or name.givenName pr`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	WalkCompares(e, func(parent AttrPath, c *Compare) {
		got = append(got, parent.Attr+"/"+c.Path.Attr+"."+c.Path.Sub)
	})
	want := []string{"/userName.", "emails/type.", "emails/value.", "/name.givenName"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("visited (-want +got):\n%s", diff)
	}
}
