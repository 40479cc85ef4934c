package filter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/scimconnect/scimconnect/scim/schema"
)

// bjensenJSON is the enterprise user of RFC 7643 §8.3 (abridged), plus the
// test extension of testUserType.
const bjensenJSON = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "id": "2819c223-7f76-453a-919d-413861904646",
  "externalId": "701984",
  "userName": "bjensen@example.com",
  "name": {
    "formatted": "Ms. Barbara J Jensen, III",
    "familyName": "Jensen",
    "givenName": "Barbara",
    "middleName": "Jane",
    "honorificPrefix": "Ms.",
    "honorificSuffix": "III"
  },
  "displayName": "Babs Jensen",
  "nickName": "Babs",
  "profileUrl": "https://login.example.com/bjensen",
  "emails": [
    {"value": "bjensen@example.com", "type": "work", "primary": true},
    {"value": "babs@jensen.org", "type": "home"}
  ],
  "phoneNumbers": [
    {"value": "555-555-5555", "type": "work"},
    {"value": "555-555-4444", "type": "mobile"}
  ],
  "ims": [{"value": "someaimhandle", "type": "aim"}],
  "x509Certificates": [{"value": "TUlJRERqQ0NBZmFnQXdJQkFnSUJBVEFOQmdrcWhr"}],
  "userType": "Employee",
  "title": "Tour Guide",
  "preferredLanguage": "en-US",
  "locale": "en-US",
  "timezone": "America/Los_Angeles",
  "active": true,
  "groups": [
    {"value": "e9e30dba-f08f-4109-8486-d5c6a331660a",
     "$ref": "https://example.com/v2/Groups/e9e30dba-f08f-4109-8486-d5c6a331660a",
     "display": "Tour Guides"}
  ],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    "employeeNumber": "701984",
    "costCenter": "4130",
    "organization": "Universal Studios",
    "division": "Theme Park",
    "department": "Tour Operations",
    "manager": {
      "value": "26118915-6090-4610-87e4-49d8ca9f808d",
      "$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d",
      "displayName": "John Smith"
    }
  },
  "urn:example:params:scim:schemas:extension:test:1.0:User": {
    "loginCount": 7,
    "score": 2.5,
    "badge": "AbC",
    "tags": ["Red", "green"],
    "hiredAt": "2010-01-23T04:56:22.123Z",
    "avatar": "aGVsbG8="
  },
  "meta": {
    "resourceType": "User",
    "created": "2010-01-23T04:56:22Z",
    "lastModified": "2011-05-13T04:42:34Z",
    "version": "W\/\"3694e05e9dff591\"",
    "location": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646"
  }
}`

// decodeResource decodes JSON as a resource, with numbers as float64 or,
// with useNumber, as json.Number.
func decodeResource(t testing.TB, data string, useNumber bool) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(data)))
	if useNumber {
		dec.UseNumber()
	}
	var res map[string]any
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("decode resource: %v", err)
	}
	return res
}

func TestMatch(t *testing.T) {
	rt := testUserType()
	tests := []struct {
		in   string
		want bool
	}{
		// RFC 7644 §3.4.2.2 examples.
		{`userName eq "bjensen@example.com"`, true},
		{`name.familyName co "O'Malley"`, false},
		{`name.familyName co "ense"`, true},
		{`userName sw "B"`, true},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "bj"`, true},
		{`title pr`, true},
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, false},
		{`meta.lastModified ge "2011-05-13T04:42:34Z"`, true},
		{`meta.lastModified lt "2011-05-13T04:42:34Z"`, false},
		{`meta.lastModified le "2011-05-13T04:42:34Z"`, true},
		{`meta.lastModified gt "2011-05-13T04:42:33Z"`, true},
		{`title pr and userType eq "Employee"`, true},
		{`title pr or userType eq "Intern"`, true},
		{`schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`, true},
		{`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`, true},
		{`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`, false},
		{`userType eq "Employee" and (emails.type eq "work")`, true},
		{`userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`, true},
		{`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`, true},

		// Strings, caseExact false: case-insensitive.
		{`userName eq "BJENSEN@EXAMPLE.COM"`, true},
		{`userName eq "bjensen"`, false},
		{`userName ne "BJensen@example.com"`, false},
		{`userName ne "other"`, true},
		{`displayName co "BS JEN"`, true},
		{`displayName co "xyz"`, false},
		{`displayName sw "babs"`, true},
		{`displayName sw "jensen"`, false},
		{`displayName ew "JENSEN"`, true},
		{`displayName ew "babs"`, false},
		{`displayName gt "BABS"`, true},
		{`displayName gt "babs jensen"`, false},
		{`displayName ge "BABS JENSEN"`, true},
		{`displayName lt "c"`, true},
		{`displayName lt "Babs"`, false},
		{`displayName le "babs jensen"`, true},
		// caseExact true: id, externalId, meta strings, custom badge.
		{`id eq "2819c223-7f76-453a-919d-413861904646"`, true},
		{`id eq "2819C223-7F76-453A-919D-413861904646"`, false},
		{`externalId eq 701984`, true},
		{`externalId eq "701984"`, true},
		{`meta.resourceType eq "user"`, false},
		{`meta.resourceType eq "User"`, true},
		{`badge eq "AbC"`, true},
		{`badge eq "abc"`, false},
		{`badge co "bC"`, true},
		{`badge co "bc"`, false},
		{`badge sw "Ab"`, true},
		{`badge sw "ab"`, false},
		{`badge ew "C"`, true},
		{`badge ew "c"`, false},
		{`badge gt "B"`, false},      // "A" < "B" exactly...
		{`badge gt "a"`, false},      // ...and "A" < "a" when case matters,
		{`displayName gt "a"`, true}, // while case-folded "b" > "a".
		{`badge lt "a"`, true},
		{`badge ne "abc"`, true},
		// Bare words (Entra ID).
		{`userName eq BJensen@Example.com`, true},
		{`externalId eq jyoung`, false},

		// Booleans.
		{`active eq true`, true},
		{`active eq false`, false},
		{`active ne false`, true},
		{`active ne true`, false},
		{`emails[primary eq true]`, true},
		{`emails[primary eq true and type eq "home"]`, false},

		// Numbers: integers and decimals, whatever their Go representation.
		{`loginCount eq 7`, true},
		{`loginCount eq 7.0`, true},
		{`loginCount eq 7e0`, true},
		{`loginCount ne 7`, false},
		{`loginCount gt 6`, true},
		{`loginCount gt 7`, false},
		{`loginCount ge 7`, true},
		{`loginCount lt 7.5`, true},
		{`loginCount le 6.99`, false},
		{`score eq 2.5`, true},
		{`score gt 2.25`, true},
		{`score lt -1`, false},
		{`score ge 25e-1`, true},

		// dateTime: chronological, with or without fractional seconds.
		{`meta.created eq "2010-01-23T04:56:22Z"`, true},
		{`meta.created eq "2010-01-23T04:56:22.000Z"`, true},
		{`meta.created eq "2010-01-23T06:56:22+02:00"`, true},
		{`meta.created lt "2010-01-23T04:56:22.001Z"`, true},
		{`meta.created gt "2010-01-23T04:56:21.999999999Z"`, true},
		{`meta.created gt "2010-01-23T05:56:22+02:00"`, true},
		{`meta.created le "2010-01-23T04:56:22"`, true},
		{`hiredAt gt "2010-01-23T04:56:22Z"`, true},
		{`hiredAt lt "2010-01-23T04:56:22.124Z"`, true},
		{`hiredAt eq "2010-01-23T04:56:22.12300Z"`, true},

		// Binary: exact.
		{`avatar eq "aGVsbG8="`, true},
		{`avatar eq "AGVSBG8="`, false},

		// Multi-valued: any value matches.
		{`emails.value eq "babs@jensen.org"`, true},
		{`emails.type eq "home"`, true},
		{`emails.type eq "other"`, false},
		{`emails.type ne "home"`, false}, // ne is "no value equals"
		{`emails.type ne "other"`, true},
		{`emails eq "BABS@jensen.org"`, true}, // the "value" sub-attribute
		{`emails co "example.com"`, true},
		{`emails sw "nobody"`, false},
		{`phoneNumbers ew "4444"`, true},
		{`tags eq "red"`, true},
		{`tags eq "GREEN"`, true},
		{`tags eq "blue"`, false},
		{`tags ne "blue"`, true},
		{`tags gt "h"`, true},
		{`tags pr`, true},
		{`schemas eq "urn:ietf:params:scim:schemas:core:2.0:user"`, false}, // schemas is caseExact

		// Value paths.
		{`emails[type eq "work" and value co "@example.com"]`, true},
		{`emails[type eq "home" and value co "@example.com"]`, false},
		{`emails[type eq "home" or value co "@nowhere"]`, true},
		{`emails[not (type eq "work")]`, true},
		{`emails[type ne "work" and type ne "home"]`, false},
		{`emails[display pr]`, false},
		{`ims[type eq "xmpp"]`, false},
		{`addresses[type eq "work"]`, false},
		{`name[givenName eq "barbara"]`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[displayName sw "john"]`, true},
		{`groups[$ref co "/Groups/"]`, true},
		{`EMAILS[TYPE eq "work"]`, true},

		// pr, null and missing attributes.
		{`nickName pr`, true},
		{`addresses pr`, false},
		{`name.middleName pr`, true},
		{`name pr`, true},
		{`name.honorificPrefix pr and name.formatted pr`, true},
		{`password pr`, false},
		{`password eq null`, true},
		{`password ne null`, false},
		{`title eq null`, false},
		{`title ne null`, true},
		{`password ne "x"`, true},
		{`password eq "x"`, false},
		{`password co "x"`, false},
		{`password gt "a"`, false},
		{`addresses.locality ne "x"`, true},
		{`addresses[type eq "work"] or not (addresses pr)`, true},
		{`not (password pr)`, true},

		// Enterprise extension, with and without URN.
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1"`, false},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`, true},
		{`URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:EMPLOYEENUMBER eq "701984"`, true},
		{`employeeNumber eq "701984" and department co "tour"`, true},
		{`manager.displayName eq "JOHN SMITH"`, true},
		// A complex attribute compared directly compares its "value", as
		// Entra's reference check asks (`id eq X and manager eq Y`).
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "26118915-6090-4610-87e4-49d8ca9f808d"`, true},
		{`id eq 2819c223-7f76-453a-919d-413861904646 and manager eq 26118915-6090-4610-87e4-49d8ca9f808d`, true},
		{`manager eq "someone-else"`, false},
		{`manager ne "someone-else"`, true},
		{`name eq "Barbara"`, false}, // no "value" sub-attribute (Check rejects it)

		// Case-insensitive names.
		{`USERNAME eq "bjensen@example.com" and NAME.GIVENNAME eq "barbara"`, true},
		{`Meta.LastModified GE "2011-05-13T04:42:34Z"`, true},

		// Unknown attributes behave as missing (Check rejects them first).
		{`nonexistent eq "x"`, false},
		{`nonexistent ne "x"`, true},
		{`nonexistent eq null`, true},
		{`nonexistent[x eq "y"]`, false},
	}
	for _, useNumber := range []bool{false, true} {
		res := decodeResource(t, bjensenJSON, useNumber)
		for _, tt := range tests {
			t.Run(fmt.Sprintf("useNumber=%v/%s", useNumber, tt.in), func(t *testing.T) {
				e := mustParse(t, tt.in)
				if got := Match(e, res, rt); got != tt.want {
					t.Errorf("Match(%q) = %v, want %v", tt.in, got, tt.want)
				}
				m, err := Compile(e, rt)
				if err != nil {
					// Filters of unknown attributes do not compile.
					return
				}
				if got := m.Match(res); got != tt.want {
					t.Errorf("Compile(%q).Match = %v, want %v", tt.in, got, tt.want)
				}
			})
		}
	}
}

func TestMatchGoNumbersAndKeys(t *testing.T) {
	rt := testUserType()
	const ext = "urn:example:params:scim:schemas:extension:test:1.0:User"
	tests := []struct {
		name string
		res  map[string]any
		in   string
		want bool
	}{
		{"int64", map[string]any{ext: map[string]any{"loginCount": int64(9007199254740993)}}, `loginCount eq 9007199254740993`, true},
		{"int64 exact beyond float precision", map[string]any{ext: map[string]any{"loginCount": int64(9007199254740993)}}, `loginCount eq 9007199254740992`, false},
		{"int", map[string]any{ext: map[string]any{"loginCount": 3}}, `loginCount lt 4`, true},
		{"float64 integer", map[string]any{ext: map[string]any{"loginCount": float64(3)}}, `loginCount eq 3`, true},
		{"json.Number", map[string]any{ext: map[string]any{"score": json.Number("1.25")}}, `score gt 1.2`, true},
		{"number stored as string", map[string]any{ext: map[string]any{"score": "1.25"}}, `score eq 1.25`, true},
		{"not a number", map[string]any{ext: map[string]any{"score": true}}, `score eq 1`, false},
		{"key in other case", map[string]any{"USERNAME": "bjensen"}, `userName eq "bjensen"`, true},
		{"extension key in other case", map[string]any{"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER": map[string]any{"EmployeeNumber": "7"}}, `employeeNumber eq "7"`, true},
		{"extension not an object", map[string]any{enterpriseURN: "junk"}, `employeeNumber pr`, false},
		{"string where bool expected", map[string]any{"active": "true"}, `active eq true`, false},
		{"empty string not present", map[string]any{"title": ""}, `title pr`, false},
		{"empty array not present", map[string]any{"emails": []any{}}, `emails pr`, false},
		{"array of nulls not present", map[string]any{"emails": []any{nil}}, `emails pr`, false},
		{"empty object not present", map[string]any{"name": map[string]any{}}, `name pr`, false},
		{"object of empties not present", map[string]any{"name": map[string]any{"givenName": ""}}, `name pr`, false},
		{"null value", map[string]any{"title": nil}, `title eq null`, true},
		{"unparseable dateTime, exact string equality", map[string]any{"meta": map[string]any{"created": "soon"}}, `meta.created eq "soon"`, true},
		{"unparseable dateTime, no ordering", map[string]any{"meta": map[string]any{"created": "soon"}}, `meta.created gt "2000-01-01T00:00:00Z"`, false},
		{"single-valued complex with sub", map[string]any{"name": map[string]any{"givenName": "Ünal"}}, `name.givenName eq "üNAL"`, true},
		{"unicode folding in sw", map[string]any{"displayName": "ÉCOLE Straße"}, `displayName sw "école"`, true},
		{"unicode folding in ew", map[string]any{"displayName": "ÉCOLE Straße"}, `displayName ew "STRAßE"`, true},
		{"unicode folding in co", map[string]any{"displayName": "ÉCOLE Straße"}, `displayName co "LE sTR"`, true},
		{"co empty string", map[string]any{"displayName": "x"}, `displayName co ""`, true},
		{"sw longer than value", map[string]any{"displayName": "x"}, `displayName sw "xy"`, false},
		{"ew longer than value", map[string]any{"displayName": "x"}, `displayName ew "yx"`, false},
		{"element not an object", map[string]any{"emails": []any{"a@b"}}, `emails[value eq "a@b"]`, false},
		{"value path on single object", map[string]any{"name": map[string]any{"givenName": "B"}}, `name[givenName eq "b"]`, true},
		{"multi-valued sub on non-objects", map[string]any{"emails": []any{"a@b"}}, `emails.value eq "a@b"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Match(mustParse(t, tt.in), tt.res, rt); got != tt.want {
				t.Errorf("Match(%q, %v) = %v, want %v", tt.in, tt.res, got, tt.want)
			}
		})
	}
}

func TestMatchNilArguments(t *testing.T) {
	rt := testUserType()
	res := map[string]any{"userName": "x"}
	if !Match(nil, res, rt) {
		t.Error("Match(nil, ...) = false, want true")
	}
	if Match(mustParse(t, `userName eq "x"`), res, nil) {
		t.Error("Match with nil resource type = true, want false (attribute unresolvable)")
	}
	if Match(mustParse(t, `userName eq "x"`), nil, rt) {
		t.Error("Match on nil resource = true, want false")
	}
	m, err := Compile(nil, rt)
	if err != nil {
		t.Fatalf("Compile(nil): %v", err)
	}
	if !m.Match(res) || m.Expr() != nil {
		t.Error("Compile(nil) should match everything")
	}
	if _, err := Compile(mustParse(t, `nope pr`), rt); err == nil {
		t.Error("Compile of an unknown attribute succeeded, want an error")
	}
}

func TestMatchGroup(t *testing.T) {
	rt := schema.GroupResourceType()
	res := map[string]any{
		"id":          "e9e30dba",
		"displayName": "Tour Guides",
		"members": []any{
			map[string]any{"value": "2819c223-7f76-453a-919d-413861904646", "$ref": "https://example.com/v2/Users/2819c223", "display": "Babs Jensen"},
			map[string]any{"value": "902c246b-6245-4190-8e05-00816be7344a", "display": "Mandy Pepperidge"},
		},
	}
	tests := []struct {
		in   string
		want bool
	}{
		{`displayName eq "tour guides"`, true},
		{`members[value eq "2819c223-7f76-453a-919d-413861904646"]`, true},
		{`members[value eq "2819C223-7F76-453A-919D-413861904646"]`, true}, // members.value is not caseExact
		{`members.value eq "902c246b-6245-4190-8e05-00816be7344a"`, true},
		{`members eq "902c246b-6245-4190-8e05-00816be7344a"`, true},
		{`members[display sw "mandy" and $ref pr]`, false},
		{`members.$ref pr`, true},
		{`userName pr`, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Match(mustParse(t, tt.in), res, rt); got != tt.want {
				t.Errorf("Match(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestMatcherConcurrentUse(t *testing.T) {
	rt := testUserType()
	m, err := Compile(mustParse(t, `emails[type eq "work"] and meta.created lt "2011-01-01T00:00:00Z"`), rt)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	res := decodeResource(t, bjensenJSON, true)
	other := map[string]any{"userName": "x"}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if !m.Match(res) || m.Match(other) {
					errs <- "wrong answer under concurrent use"
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

// TestValuePathLoosened: the loosened filter matches whatever the value
// path matches (here bjensen, whose work e-mail is at example.com and home
// e-mail at jensen.org), and may match more; a not cannot be loosened.
func TestValuePathLoosened(t *testing.T) {
	rt := testUserType()
	res := decodeResource(t, bjensenJSON, false)
	for _, tc := range []struct {
		in, loose        string // loose "" when it cannot be loosened
		matches, loosely bool
	}{
		{`emails[type eq "work" and value eq "bjensen@example.com"]`, `emails.type eq "work" and emails.value eq "bjensen@example.com"`, true, true},
		{`emails[type eq "home" or value sw "bjensen"]`, `emails.type eq "home" or emails.value sw "bjensen"`, true, true},
		// Two conditions met by two different elements: a superset.
		{`emails[type eq "home" and value co "@example.com"]`, `emails.type eq "home" and emails.value co "@example.com"`, false, true},
		{`urn:ietf:params:scim:schemas:core:2.0:User:emails[value pr]`, `urn:ietf:params:scim:schemas:core:2.0:User:emails.value pr`, true, true},
		{`emails[not (type eq "work")]`, "", true, false},
		{`emails[type eq "work" and not (value co "x")]`, "", true, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			e, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			vp := e.(*ValuePath)
			loose, ok := vp.Loosened()
			if tc.loose == "" {
				if ok {
					t.Fatalf("loosened to %v, want not ok", loose)
				}
				return
			}
			if !ok || loose.(fmt.Stringer).String() != tc.loose {
				t.Fatalf("loosened to %v (ok %v), want %s", loose, ok, tc.loose)
			}
			for _, c := range []struct {
				e    Expr
				want bool
			}{{e, tc.matches}, {loose, tc.loosely}} {
				m, err := Compile(c.e, rt)
				if err != nil {
					t.Fatal(err)
				}
				if got := m.Match(res); got != c.want {
					t.Errorf("%v matches %v, want %v", c.e, got, c.want)
				}
			}
		})
	}
}
