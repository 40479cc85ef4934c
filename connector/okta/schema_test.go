package okta_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/connectortest"
	"github.com/scimconnect/scimconnect/connector/okta"
	"github.com/scimconnect/scimconnect/scim"
)

func startOkta(t *testing.T) *connectortest.Server {
	t.Helper()
	return connectortest.Start(t, connectortest.Harness{Type: okta.Type, User: connectortest.DefaultUser}, connector.Env{})
}

// schemaAttrs returns the attributes /Schemas describes for one schema URN.
func schemaAttrs(t *testing.T, s *connectortest.Server, urn string) []map[string]any {
	t.Helper()
	code, body := s.Do(t, "GET", "/Schemas/"+urn, nil)
	if code != 200 {
		t.Fatalf("GET /Schemas/%s: %d %v", urn, code, body)
	}
	var out []map[string]any
	for _, a := range body["attributes"].([]any) {
		out = append(out, a.(map[string]any))
	}
	return out
}

func attrNamed(attrs []map[string]any, name string) map[string]any {
	for _, a := range attrs {
		if strings.EqualFold(a["name"].(string), name) {
			return a
		}
	}
	return nil
}

func subsOf(a map[string]any) []map[string]any {
	var out []map[string]any
	subs, _ := a["subAttributes"].([]any)
	for _, s := range subs {
		out = append(out, s.(map[string]any))
	}
	return out
}

// TestSchemasDescribeOnlyMappedAttributes: /Schemas of an Okta instance
// lists no attribute the Okta mapping table does not store, and marks the
// connector's mandatory fields required.
func TestSchemasDescribeOnlyMappedAttributes(t *testing.T) {
	s := startOkta(t)
	user := schemaAttrs(t, s, scim.UserSchema)
	for _, gone := range []string{"profileUrl", "ims", "photos", "entitlements", "roles", "x509Certificates"} {
		if attrNamed(user, gone) != nil {
			t.Errorf("/Schemas describes %s, which Okta does not store", gone)
		}
	}
	for _, kept := range []string{"userName", "name", "emails", "phoneNumbers", "addresses", "groups", "active", "password", "timezone"} {
		if attrNamed(user, kept) == nil {
			t.Errorf("/Schemas lacks %s", kept)
		}
	}
	name := attrNamed(user, "name")
	if name == nil {
		t.Fatal("no name")
	}
	if name["required"] != true {
		t.Errorf("name: required = %v, want true", name["required"])
	}
	subs := subsOf(name)
	if attrNamed(subs, "formatted") != nil {
		t.Error("/Schemas describes name.formatted, which Okta does not store")
	}
	for _, req := range []string{"givenName", "familyName"} {
		if a := attrNamed(subs, req); a == nil || a["required"] != true {
			t.Errorf("name.%s is not described as required: %v", req, a)
		}
	}
	if a := attrNamed(subs, "middleName"); a == nil || a["required"] != false {
		t.Errorf("name.middleName: %v, want described, not required", a)
	}
	ent := schemaAttrs(t, s, scim.EnterpriseUserSchema)
	if m := attrNamed(ent, "manager"); m == nil || attrNamed(subsOf(m), "$ref") != nil || attrNamed(subsOf(m), "value") == nil {
		t.Errorf("manager: %v, want value without $ref", m)
	}
	// Okta keeps one work e-mail, phone number and address: the other
	// types would be read back as work (or lost).
	for _, multi := range []string{"emails", "phoneNumbers", "addresses"} {
		typ := attrNamed(subsOf(attrNamed(user, multi)), "type")
		if typ == nil || !reflect.DeepEqual(typ["canonicalValues"], []any{"work"}) {
			t.Errorf("%s.type: %v, want canonicalValues [work]", multi, typ)
		}
	}
	// Okta groups hold only users, read as id and display name: $ref
	// refers to a User and the type is User.
	members := attrNamed(schemaAttrs(t, s, scim.GroupSchema), "members")
	var memberSubs []string
	for _, sa := range subsOf(members) {
		memberSubs = append(memberSubs, fmt.Sprintf("%v %v refs=%v canon=%v", sa["name"], sa["mutability"], sa["referenceTypes"], sa["canonicalValues"]))
	}
	if want := []string{"value immutable refs=<nil> canon=<nil>", "$ref immutable refs=[User] canon=<nil>", "display readOnly refs=<nil> canon=<nil>", "type immutable refs=<nil> canon=[User]"}; !reflect.DeepEqual(memberSubs, want) {
		t.Errorf("members sub-attributes = %v, want %v", memberSubs, want)
	}
}

// TestSchemasPasswordSetOnlyAtCreation: Okta's password is sent when a
// user is created and never changed afterwards (seed), so /Schemas calls it
// immutable (RFC 7643 §7: defined at creation, "SHALL NOT be updated"), not
// writeOnly ("MAY be updated at any time"), and the instance does what it
// says: a create with a password succeeds, a PATCH or PUT that sets one is
// 400 mutability. userName's description names the email rule, the one
// thing about it no SCIM characteristic expresses.
func TestSchemasPasswordSetOnlyAtCreation(t *testing.T) {
	s := startOkta(t)
	user := schemaAttrs(t, s, scim.UserSchema)
	pw := attrNamed(user, "password")
	if pw == nil || pw["mutability"] != "immutable" || pw["returned"] != "never" {
		t.Fatalf("password: %v, want mutability immutable, returned never", pw)
	}
	if d, _ := attrNamed(user, "userName")["description"].(string); !strings.Contains(d, "email address") {
		t.Errorf("userName description %q does not say it must be an email address", d)
	}

	body := connectortest.DefaultUser(1)
	body["password"] = "Initial-Secret-1"
	code, created := s.Do(t, "POST", "/Users", body)
	if code != 201 {
		t.Fatalf("POST with a password: %d %v", code, created)
	}
	if _, ok := created["password"]; ok {
		t.Error("the created user returns its password")
	}
	id, _ := created["id"].(string)
	for _, op := range []string{"add", "replace"} {
		code, got := s.Do(t, "PATCH", "/Users/"+id, map[string]any{
			"schemas":    []string{scim.PatchOpSchema},
			"Operations": []any{map[string]any{"op": op, "path": "password", "value": "Changed-Secret-2"}},
		})
		if code != 400 || got["scimType"] != "mutability" {
			t.Errorf("PATCH %s password: %d %v, want 400 mutability", op, code, got)
		}
	}
	put := connectortest.DefaultUser(1)
	put["password"] = "Changed-Secret-2"
	if code, got := s.Do(t, "PUT", "/Users/"+id, put); code != 400 || got["scimType"] != "mutability" {
		t.Errorf("PUT with a password: %d %v, want 400 mutability", code, got)
	}
}

// TestSchemasDescribeEveryAttribute: every attribute and sub-attribute an
// Okta instance advertises, the Okta group extension's included, carries a
// description (RFC 7643 §7: "When applicable, service providers MUST
// specify the description").
func TestSchemasDescribeEveryAttribute(t *testing.T) {
	s := startOkta(t)
	code, body := s.Do(t, "GET", "/Schemas", nil)
	if code != 200 {
		t.Fatalf("GET /Schemas: %d %v", code, body)
	}
	var check func(path string, attrs []map[string]any)
	check = func(path string, attrs []map[string]any) {
		for _, a := range attrs {
			name := path + a["name"].(string)
			if d, _ := a["description"].(string); d == "" {
				t.Errorf("%s has no description", name)
			}
			check(name+".", subsOf(a))
		}
	}
	resources, _ := body["Resources"].([]any)
	if len(resources) == 0 {
		t.Fatalf("GET /Schemas lists no schema: %v", body)
	}
	for _, r := range resources {
		id := r.(map[string]any)["id"].(string)
		check(id+":", schemaAttrs(t, s, id))
	}
}

// TestCreateWithUnmappedAttributeIgnored: a standard attribute Okta cannot
// store is no longer described, and a request carrying it is accepted
// with it ignored, as for a disabled attribute; an attribute no schema
// defines is still refused.
func TestCreateWithUnmappedAttributeIgnored(t *testing.T) {
	s := startOkta(t)
	u := connectortest.DefaultUser(1)
	u["ims"] = []any{map[string]any{"value": "ada", "type": "xmpp"}}
	u["name"].(map[string]any)["formatted"] = "Ada Lovelace" // Entra sends it by default
	code, body := s.Do(t, "POST", "/Users", u)
	if code != 201 {
		t.Fatalf("POST with ims and name.formatted: %d %v, want 201 (accepted, ignored)", code, body)
	}
	if _, ok := body["ims"]; ok {
		t.Errorf("ims returned: %v", body)
	}
	if f, ok := body["name"].(map[string]any)["formatted"]; ok {
		t.Errorf("name.formatted returned: %v", f)
	}
	id, _ := body["id"].(string)
	code, body = s.Do(t, "PATCH", "/Users/"+id, map[string]any{
		"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{
			map[string]any{"op": "Replace", "path": "name.formatted", "value": "A. Lovelace"},
			map[string]any{"op": "Add", "path": "ims", "value": []any{map[string]any{"value": "x"}}},
		},
	})
	if code != 200 {
		t.Fatalf("PATCH of unmapped attributes: %d %v, want 200 (ignored)", code, body)
	}
	// An attribute no schema defines is still refused.
	u = connectortest.DefaultUser(2)
	u["nosuchAttribute"] = "x"
	code, body = s.Do(t, "POST", "/Users", u)
	if code != 400 || body["scimType"] != scim.InvalidSyntax || !strings.Contains(fmt.Sprint(body["detail"]), "nosuchAttribute") {
		t.Fatalf("POST with an unknown attribute: %d %v, want 400 invalidSyntax naming it", code, body)
	}
}

// writable reports whether a client can write the attribute and read it back.
func writable(a map[string]any) bool {
	return a["mutability"] != "readOnly" && a["returned"] != "never"
}

// formats are sample values for attributes Okta checks the format of.
var formats = map[string]any{
	"emails.value":       "rt@example.com",
	"addresses.country":  "GB",
	"locale":             "en_GB",
	"timezone":           "Europe/London",
	"preferredLanguage":  "en",
	"phoneNumbers.value": "+44 20 7946 0000",
}

// sample is a value for a scalar attribute, unique per path.
func sample(path string, a map[string]any) any {
	if v, ok := formats[path]; ok {
		return v
	}
	switch a["type"] {
	case "boolean":
		return true
	case "string", "reference":
		if canon, _ := a["canonicalValues"].([]any); len(canon) > 0 {
			return canon[0] // the element type the Okta table maps: /Schemas offers only it
		}
		return "v-" + strings.NewReplacer(".", "-", ":", "-").Replace(path)
	}
	return nil
}

// TestEveryDescribedAttributeRoundTrips writes every writable attribute
// /Schemas describes for the Okta User and reads the user back: each must
// come back as written. That is the check that discovery describes only
// what the instance stores. Multi-valued complex attributes are written as
// one element of the type /Schemas offers.
func TestEveryDescribedAttributeRoundTrips(t *testing.T) {
	s := startOkta(t)
	body := connectortest.DefaultUser(7)
	want := map[string]any{} // path → value expected back
	fill := func(container map[string]any, prefix string, attrs []map[string]any) {
		for _, a := range attrs {
			name := a["name"].(string)
			path := prefix + name
			if !writable(a) || name == "userName" {
				continue
			}
			switch {
			case a["type"] == "complex":
				el := map[string]any{}
				for _, sa := range subsOf(a) {
					if !writable(sa) {
						continue
					}
					if sa["type"] == "boolean" { // primary
						el[sa["name"].(string)] = true
						continue
					}
					el[sa["name"].(string)] = sample(path+"."+sa["name"].(string), sa)
				}
				for k, v := range el {
					want[path+"."+k] = v
				}
				if a["multiValued"] == true {
					container[name] = []any{el}
				} else {
					container[name] = el
				}
			default:
				v := sample(path, a)
				container[name] = v
				want[path] = v
			}
		}
	}
	fill(body, "", schemaAttrs(t, s, scim.UserSchema))
	ext := map[string]any{}
	fill(ext, scim.EnterpriseUserSchema+":", schemaAttrs(t, s, scim.EnterpriseUserSchema))
	body[scim.EnterpriseUserSchema] = ext
	body["schemas"] = []string{scim.UserSchema, scim.EnterpriseUserSchema}
	code, created := s.Do(t, "POST", "/Users", body)
	if code != 201 {
		t.Fatalf("POST: %d %v", code, created)
	}
	code, got := s.Do(t, "GET", "/Users/"+created["id"].(string), nil)
	if code != 200 {
		t.Fatalf("GET: %d %v", code, got)
	}
	for path, v := range want {
		if g := readPath(got, path); !reflect.DeepEqual(g, v) {
			t.Errorf("%s: wrote %v, read back %v", path, v, g)
		}
	}
}
