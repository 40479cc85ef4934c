package okta

import (
	"github.com/scimconnect/scimconnect/connector/mapping"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// E prefixes Enterprise User extension paths in the tables.
const E = mapping.Enterprise

// activeStatuses are the Okta statuses read as active=true; the first is
// the one a write means. See the package documentation ("active").
const activeStatuses = "ACTIVE,PROVISIONED,RECOVERY,LOCKED_OUT,PASSWORD_EXPIRED"

// inactiveStatuses are the other Okta statuses (NOTES §3, UserStatus),
// read as active=false.
const inactiveStatuses = "STAGED,SUSPENDED,DEPROVISIONED"

// userTable is the seed's Okta user mapping, one rule per line, in the
// seed's order ("SCIM parameter | Okta parameter"). Okta's fields live
// under "profile"; the seed names them without the prefix.
var userTable = mapping.Table{
	{SCIM: "id", Target: "id", Dir: mapping.FromTarget},                                                                    // Id | id
	{SCIM: "userName", Target: "profile.login"},                                                                            // UserName | login
	{SCIM: "displayName", Target: "profile.displayName"},                                                                   // DisplayName | displayName
	{SCIM: "nickName", Target: "profile.nickName"},                                                                         // NickName | nickName
	{SCIM: "name.givenName", Target: "profile.firstName"},                                                                  // Name.GivenName | firstName
	{SCIM: "name.familyName", Target: "profile.lastName"},                                                                  // Name.FamilyName | lastName
	{SCIM: "name.middleName", Target: "profile.middleName"},                                                                // Name.MiddleName | middleName
	{SCIM: "name.honorificPrefix", Target: "profile.honorificPrefix"},                                                      // Name.HonorificPrefix | honorificPrefix
	{SCIM: "name.honorificSuffix", Target: "profile.honorificSuffix"},                                                      // Name.HonorificSuffix | honorificSuffix
	{SCIM: `addresses[type eq "work"].streetAddress`, Target: "profile.streetAddress"},                                     // Addresses.StreetAddress | streetAddress
	{SCIM: `addresses[type eq "work"].locality`, Target: "profile.city"},                                                   // Addresses.Locality | city
	{SCIM: `addresses[type eq "work"].region`, Target: "profile.state"},                                                    // Addresses.Region | state
	{SCIM: `addresses[type eq "work"].postalCode`, Target: "profile.zipCode"},                                              // Addresses.PostalCode | zipCode
	{SCIM: `addresses[type eq "work"].country`, Target: "profile.countryCode"},                                             // Addresses.Country | countryCode
	{SCIM: "emails", Target: "profile.email", Transform: "multiToSingle", Args: mapping.Args{"type": "work"}},              // Emails.value | email (seed cell empty)
	{SCIM: "phoneNumbers", Target: "profile.primaryPhone", Transform: "multiToSingle", Args: mapping.Args{"type": "work"}}, // PhoneNumbers.value | primaryPhone
	{SCIM: "userType", Target: "profile.userType"},                                                                         // UserType | userType
	{SCIM: "title", Target: "profile.title"},                                                                               // Title | title
	{SCIM: "preferredLanguage", Target: "profile.preferredLanguage"},                                                       // PreferredLanguage | preferredLanguage
	{SCIM: "locale", Target: "profile.locale"},                                                                             // Locale | locale
	{SCIM: "timezone", Target: "profile.timezone"},                                                                         // Timezone | timezone
	{SCIM: "groups[].value", Target: "_groups[].id", Dir: mapping.FromTarget},                                              // Groups[].value (On Demand) | Id (groupsForUserResponse)
	{SCIM: "groups[].display", Target: "_groups[].profile.name", Dir: mapping.FromTarget},                                  // Groups[].display (On Demand) | Profile.name (groupsForUserResponse)
	{SCIM: "active", Target: "status", Dir: mapping.FromTarget, Transform: "boolStatus", // Active | tatus == "ACTIVE" (seed typo for status)
		Args: mapping.Args{"true": activeStatuses, "false": "DEPROVISIONED"}},
	{SCIM: E + "employeeNumber", Target: "profile.employeeNumber"},                                     // Extension.EmployeeNumber | employeeNumber
	{SCIM: E + "division", Target: "profile.division"},                                                 // Extension.Division | division
	{SCIM: E + "department", Target: "profile.department"},                                             // Extension.Department | department
	{SCIM: E + "costCenter", Target: "profile.costCenter"},                                             // Extension.CostCenter | costCenter
	{SCIM: E + "organization", Target: "profile.organization"},                                         // Extension.Organization | organization
	{SCIM: E + "manager.value", Target: "profile.managerId"},                                           // Extension.Manager.value | managerId
	{SCIM: E + "manager.displayName", Target: "profile.manager", Dir: mapping.FromTarget},              // Extension.Manager.DisplayName | manager
	{SCIM: "meta.created", Target: "created", Dir: mapping.FromTarget, Transform: "dateTime"},          // Meta.Created | created
	{SCIM: "meta.lastModified", Target: "lastUpdated", Dir: mapping.FromTarget, Transform: "dateTime"}, // Meta.LastModified | lastUpdated
	// Not in the seed's table: the initial password of a created user
	// (Okta's credentials.password.value). Changes are refused (seed).
	{SCIM: "password", Target: "credentials.password.value", Dir: mapping.ToTarget},
}

// GroupExtension is the URN of the Okta group extension that carries the
// seed's "Extension.Description" (the core Group schema has no description).
const GroupExtension = "urn:scimconnect:params:scim:schemas:extension:okta:2.0:Group"

// groupTable is the seed's Okta group mapping, one rule per line.
var groupTable = mapping.Table{
	{SCIM: "id", Target: "id", Dir: mapping.FromTarget},                                                // Id | id
	{SCIM: "displayName", Target: "profile.name"},                                                      // displayName | profile.name
	{SCIM: GroupExtension + ":description", Target: "profile.description"},                             // Extension.Description | profile.description
	{SCIM: "members[].value", Target: "_members[].id", Dir: mapping.FromTarget},                        // Members[].value | id (GetGroupMembersResponse[])
	{SCIM: "members[].display", Target: "_members[].profile.displayName", Dir: mapping.FromTarget},     // Members[].display | profile.displayName (GetGroupMembersResponse[])
	{SCIM: "meta.created", Target: "created", Dir: mapping.FromTarget, Transform: "dateTime"},          // Meta.Created | created
	{SCIM: "meta.lastModified", Target: "lastUpdated", Dir: mapping.FromTarget, Transform: "dateTime"}, // Meta.LastModified | lastUpdated
}

// userType is the User resource type as Okta keeps it:
//   - groups returned only on request (RFC 7643 §7 "request"): listing a
//     user's groups costs an extra Okta call per user (seed: "On Demand");
//   - userName described as the email address Okta's login must be (seed:
//     "UserName should be in the format of email id"), since no SCIM
//     characteristic can say it;
//   - password immutable, not writeOnly: it is sent when the user is
//     created and every later change is refused (seed), and writeOnly
//     would promise that it "MAY be updated at any time" (RFC 7643 §7),
//     which schema-driven clients take at its word.
func userType() *schema.ResourceType {
	rt := schema.UserResourceType().Clone()
	if g := rt.Schema.Attr("groups"); g != nil {
		g.Returned = schema.Request
	}
	if u := rt.Schema.Attr("userName"); u != nil {
		u.Description = "Unique identifier for the User, used to authenticate: the Okta login, which must be an email address."
	}
	if p := rt.Schema.Attr("password"); p != nil {
		p.Mutability = schema.Immutable
		p.Description = "The User's cleartext password, set only when the User is created (Okta needs the current password to change it); never returned."
	}
	return rt
}

// groupType is the Group resource type with the Okta group extension.
// Okta groups hold only users (a member that is not one is refused), so a
// member's $ref refers to a User and its type is User, which the provider
// derives from the id.
func groupType() *schema.ResourceType {
	rt := schema.GroupResourceType().Clone()
	if members := rt.Schema.Attr("members"); members != nil {
		if ref := members.Sub("$ref"); ref != nil {
			ref.ReferenceTypes = []string{"User"}
		}
		if typ := members.Sub("type"); typ != nil {
			typ.CanonicalValues = []string{"User"}
		}
	}
	ext := &schema.Schema{ID: GroupExtension, Name: "OktaGroup", Description: "Okta group profile attributes"}
	desc := schema.NewAttribute("description", schema.String)
	desc.Description = "The Okta group's description (profile.description)."
	ext.AddAttribute(desc)
	rt.Extensions = append(rt.Extensions, schema.Extension{Schema: ext})
	return rt
}
