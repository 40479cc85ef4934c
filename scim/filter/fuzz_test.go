package filter

import (
	"errors"
	"testing"

	"github.com/scimconnect/scimconnect/scim"
)

// filterSeeds are valid, lenient and broken filters that steer the fuzzer
// to every branch of the parser.
var filterSeeds = []string{
	`userName eq "bjensen"`,
	`name.familyName co "O'Malley"`,
	`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`,
	`title pr`,
	`meta.lastModified gt "2011-05-13T04:42:34Z"`,
	`title pr and userType eq "Employee"`,
	`title pr or userType eq "Intern"`,
	`schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`,
	`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
	`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
	`userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
	`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
	`emails[type eq "work"].value eq "a@b.c" and id eq 2819c223 and manager eq 26118915`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"`,
	`a pr or b pr and c pr`,
	`not(a pr)`,
	`((a eq 1 or b eq -2.5e+3) and not (c pr or (d lt 3)))`,
	`externalId eq jyoung`,
	`userName EQ TRUE or x Ne NULL or y gT False`,
	`x eq "\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t"`,
	`x eq "\ud800"`,
	`members.$ref pr`,
	`not eq "x" and and pr or or pr`,
	`emails[value eq x@y.z]`,
	"  a\tpr\n",
	`userName eqq "x"`,
	`emails[type[value pr]]`,
	`name.a.b pr`,
	`urn::x pr`,
	`foo:bar eq 1`,
	`x eq "unterminated`,
	`x eq "\q"`,
	`x eq 007`,
	`(((((a pr)))))`,
	`emails[type eq "work"].value`,
	"x eq \"\xff\xfe\"",
	`x eq "Zoë"`,
	``,
}

// renderedLimits are the limits for re-parsing a String rendering: the same
// depth and node count, but room for the length, because the canonical
// rendering may be longer than the client's input (escaped control
// characters, quoted bare words).
func renderedLimits(rendered string) Limits {
	l := DefaultLimits
	l.MaxLength = max(l.MaxLength, len(rendered))
	return l
}

// FuzzParse checks that Parse never panics, that its errors are 400
// invalidFilter *scim.Errors, and that String is a fixed point: what it
// renders parses back to an AST that renders identically.
func FuzzParse(f *testing.F) {
	for _, s := range filterSeeds {
		f.Add(s)
	}
	rt := testUserType()
	res := decodeResource(f, bjensenJSON, false)
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			var se *scim.Error
			if !errors.As(err, &se) || se.Status != 400 || se.ScimType != scim.InvalidFilter {
				t.Fatalf("Parse(%q) error %v is not a 400 invalidFilter *scim.Error", s, err)
			}
			return
		}
		out := e.String()
		again, err := ParseWithLimits(out, renderedLimits(out))
		if err != nil {
			t.Fatalf("Parse(%q) ok, but Parse of its String %q: %v", s, out, err)
		}
		if got := again.String(); got != out {
			t.Fatalf("String not stable for %q: %q then %q", s, out, got)
		}
		// Match and Sort's comparisons must not panic either.
		if Check(e, rt) == nil {
			m, err := Compile(e, rt)
			if err != nil {
				t.Fatalf("Check(%q) passed but Compile failed: %v", s, err)
			}
			if m.Match(res) != Match(e, res, rt) {
				t.Fatalf("Matcher and Match disagree on %q", s)
			}
		} else {
			Match(e, res, rt)
		}
	})
}

// FuzzParsePatchPath checks that ParsePatchPath never panics, that its
// errors are 400 invalidPath *scim.Errors, and that String round-trips.
func FuzzParsePatchPath(f *testing.F) {
	for _, s := range []string{
		`members`,
		`name.givenName`,
		`emails[type eq "work"]`,
		`emails[type eq "work"].value`,
		`members[value eq "2819c223"]`,
		`members[value eq "2819c223"].display`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`,
		`urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work" and primary eq true].value`,
		`urn:acme:1:Thing`,
		`emails[not (type eq work)]`,
		`emails[type eq "work"].`,
		`emails[type eq "work"] x`,
		`name.givenName[x pr]`,
		`userName eq "x"`,
		`a.b.c`,
		` members `,
		``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePatchPath(s)
		if err != nil {
			var se *scim.Error
			if !errors.As(err, &se) || se.Status != 400 || se.ScimType != scim.InvalidPath {
				t.Fatalf("ParsePatchPath(%q) error %v is not a 400 invalidPath *scim.Error", s, err)
			}
			return
		}
		out := p.String()
		again, err := parsePatchPath(out, renderedLimits(out))
		if err != nil {
			t.Fatalf("ParsePatchPath(%q) ok, but ParsePatchPath of its String %q: %v", s, out, err)
		}
		if got := again.String(); got != out {
			t.Fatalf("String not stable for %q: %q then %q", s, out, got)
		}
		if (p.Path.Attr == "") != (again.Path.Attr == "") || (p.Filter == nil) != (again.Filter == nil) {
			t.Fatalf("round trip of %q changed its shape: %+v then %+v", s, *p, *again)
		}
	})
}
