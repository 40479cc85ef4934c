package mapping_test

import (
	"slices"
	"testing"

	"github.com/scimconnect/scimconnect/connector/mapping"
	"github.com/scimconnect/scimconnect/scim/schema"
)

func TestTableUnmapped(t *testing.T) {
	table := mapping.Table{
		{SCIM: "userName", Target: "login"},
		{SCIM: "name.givenName", Target: "first"},
		{SCIM: `addresses[type eq "work"].locality`, Target: "city"},
		{SCIM: "emails", Target: "email", Transform: "multiToSingle", Args: mapping.Args{"type": "work"}},
		{SCIM: "groups[].value", Target: "_groups[].id", Dir: mapping.FromTarget},
		{SCIM: mapping.Enterprise + "manager", Target: "mgr", Dir: mapping.ToTarget},
		{SCIM: "id", Target: "id", Dir: mapping.FromTarget},
	}
	got := table.Unmapped(schema.UserResourceType(), "roles")
	for _, want := range []string{"name.formatted", "name.familyName", "profileUrl", "ims", "photos", "entitlements", "x509Certificates", mapping.Enterprise + "costCenter",
		// sub-attributes of multi-valued ones that no rule names, selects
		// by or carries through its transform
		"addresses.formatted", "addresses.primary", "emails.display", "groups.display", "groups.$ref"} {
		if !slices.Contains(got, want) {
			t.Errorf("Unmapped lacks %s: %v", want, got)
		}
	}
	for _, kept := range []string{"userName", "name", "name.givenName", "addresses", "addresses.locality", "addresses.type", "emails", "emails.value", "emails.type", "emails.primary", "groups", "groups.value", "roles", mapping.Enterprise + "manager", mapping.Enterprise + "manager.$ref", "id", "externalId", "meta", "schemas"} {
		if slices.Contains(got, kept) {
			t.Errorf("Unmapped names %s, which is mapped, kept or common: %v", kept, got)
		}
	}
	if _, err := mapping.DisableAttributes(schema.UserResourceType(), got); err != nil {
		t.Errorf("DisableAttributes refuses Unmapped's paths: %v", err)
	}
}

// TestTableUnmappedKeepsValueOfMembership: a membership attribute named in
// keep is described with the ids its calls carry, the $ref and type
// derived from them when the $ref names one resource type, and the
// sub-attributes rules read; not the others.
func TestTableUnmappedKeepsValueOfMembership(t *testing.T) {
	table := mapping.Table{
		{SCIM: "displayName", Target: "name"},
		{SCIM: "members[].value", Target: "_members[].id", Dir: mapping.FromTarget},
		{SCIM: "members[].display", Target: "_members[].name", Dir: mapping.FromTarget},
	}
	got := table.Unmapped(schema.GroupResourceType(), "members")
	slices.Sort(got)
	if want := []string{"members.$ref", "members.type"}; !slices.Equal(got, want) {
		t.Errorf("Unmapped = %v, want %v", got, want)
	}
	// Without rules the calls' ids are still described; a $ref of one
	// resource type (Okta groups hold only users) follows from them.
	usersOnly := schema.GroupResourceType().Clone()
	usersOnly.Schema.Attr("members").Sub("$ref").ReferenceTypes = []string{"User"}
	got = mapping.Table{{SCIM: "displayName", Target: "name"}}.Unmapped(usersOnly, "members")
	slices.Sort(got)
	if want := []string{"members.display"}; !slices.Equal(got, want) {
		t.Errorf("Unmapped without member rules = %v, want %v", got, want)
	}
}

// TestTableNarrowTypes: the type of a multi-valued attribute offers only
// the types the table keeps, when every rule keeps fixed types.
func TestTableNarrowTypes(t *testing.T) {
	rt := schema.UserResourceType().Clone()
	mapping.Table{
		{SCIM: `addresses[type eq "work"].locality`, Target: "city"},
		{SCIM: `addresses[type eq "home"].locality`, Target: "homeCity"},
		{SCIM: `addresses[type eq "work"].country`, Target: "country"},
		{SCIM: "emails", Target: "email", Transform: "multiToSingle", Args: mapping.Args{"type": "work"}},
		{SCIM: "phoneNumbers", Target: "phone", Transform: "multiToSingle"},                // no type: any
		{SCIM: `ims[type eq "xmpp"].value`, Target: "jabber"},                              // one fixed type
		{SCIM: "ims[].value", Target: "others[]"},                                          // and any other
		{SCIM: `roles[primary eq true].value`, Target: "role"},                             // no type in the selector
		{SCIM: "groups[].value", Target: "_groups[].id", Dir: mapping.FromTarget},          // readOnly, any type
		{SCIM: mapping.Enterprise + "manager.value", Target: "mgr", Dir: mapping.ToTarget}, // single-valued
	}.NarrowTypes(rt)
	canon := func(attr string) []string { return rt.Schema.Attr(attr).Sub("type").CanonicalValues }
	for attr, want := range map[string][]string{
		"addresses":    {"work", "home"},
		"emails":       {"work"},
		"phoneNumbers": {"work", "home", "mobile", "fax", "pager", "other"},
		"ims":          {"aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"},
		"roles":        nil,
		"groups":       {"direct", "indirect"},
	} {
		if got := canon(attr); !slices.Equal(got, want) {
			t.Errorf("%s.type canonicalValues = %v, want %v", attr, got, want)
		}
	}
	if got := schema.UserResourceType().Schema.Attr("emails").Sub("type").CanonicalValues; len(got) != 3 {
		t.Errorf("NarrowTypes changed the core schema: emails.type %v", got)
	}
}
