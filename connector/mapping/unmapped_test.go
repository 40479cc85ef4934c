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
