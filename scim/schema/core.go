package schema

import "github.com/scimconnect/scimconnect/scim"

// The core definitions below follow RFC 7643 §8.7.1 attribute by attribute.
// Each call returns fresh values, so an instance may change its copy.

// attribute builders keep the tables short and close to the RFC's text.
func str(name string) *Attribute { return NewAttribute(name, String) }

func (a *Attribute) required() *Attribute                 { a.Required = true; return a }
func (a *Attribute) exact() *Attribute                    { a.CaseExact = true; return a }
func (a *Attribute) multi() *Attribute                    { a.MultiValued = true; return a }
func (a *Attribute) mut(m Mutability) *Attribute          { a.Mutability = m; return a }
func (a *Attribute) ret(r Returned) *Attribute            { a.Returned = r; return a }
func (a *Attribute) unique(u Uniqueness) *Attribute       { a.Uniqueness = u; return a }
func (a *Attribute) canon(v ...string) *Attribute         { a.CanonicalValues = v; return a }
func (a *Attribute) refs(v ...string) *Attribute          { a.ReferenceTypes = v; return a }
func (a *Attribute) desc(d string) *Attribute             { a.Description = d; return a }
func (a *Attribute) subs(s ...*Attribute) *Attribute      { a.SubAttributes = s; return a }
func typed(name string, t Type) *Attribute                { return NewAttribute(name, t) }
func complexAttr(name string, s ...*Attribute) *Attribute { return typed(name, Complex).subs(s...) }

// multiValuedComplex builds the usual value/display/type/primary shape (RFC 7643 §2.4).
func multiValuedComplex(name, desc string, valueType Type, valueDesc string, types ...string) *Attribute {
	value := typed("value", valueType).desc(valueDesc)
	if valueType == Reference {
		value.refs("external")
	}
	return complexAttr(name,
		value,
		str("display").desc("A human-readable name, primarily used for display purposes."),
		str("type").canon(types...).desc("A label indicating the attribute's function."),
		typed("primary", Boolean).desc("A Boolean value indicating the 'primary' or preferred value of this attribute; true at most once."),
	).multi().desc(desc)
}

// Common holds the attributes every resource has (RFC 7643 §3.1). It is not
// advertised in /Schemas but resolves in filters, sorting and projection.
var Common = commonSchema()

func commonSchema() *Schema {
	s := &Schema{ID: "common", Attributes: []*Attribute{
		str("id").exact().mut(ReadOnly).ret(Always).unique(Server).desc("Unique identifier for the resource, assigned by the service provider."),
		str("externalId").exact().desc("Identifier for the resource as defined by the provisioning client."),
		complexAttr("meta",
			str("resourceType").exact().mut(ReadOnly),
			typed("created", DateTime).mut(ReadOnly),
			typed("lastModified", DateTime).mut(ReadOnly),
			typed("location", Reference).exact().mut(ReadOnly).refs("uri"),
			str("version").exact().mut(ReadOnly),
		).mut(ReadOnly).desc("Resource metadata."),
		str("schemas").exact().multi().mut(ReadOnly).ret(Always).refs("uri"),
	}}
	s.reindex()
	return s
}

// UserSchemaDef returns the core User schema (RFC 7643 §4.1).
func UserSchemaDef() *Schema {
	s := &Schema{ID: scim.UserSchema, Name: "User", Description: "User Account", Attributes: []*Attribute{
		str("userName").required().unique(Server).desc("Unique identifier for the User, used to authenticate."),
		complexAttr("name",
			str("formatted").desc("The full name, formatted for display, including all middle names, titles and suffixes."),
			str("familyName").desc("The family name of the User, or last name in most Western languages."),
			str("givenName").desc("The given name of the User, or first name in most Western languages."),
			str("middleName").desc("The middle name(s) of the User."),
			str("honorificPrefix").desc("The honorific prefix(es) of the User, or title in most Western languages."),
			str("honorificSuffix").desc("The honorific suffix(es) of the User."),
		).desc("The components of the user's real name."),
		str("displayName").desc("The name of the User, suitable for display to end-users."),
		str("nickName").desc("The casual way to address the user in real life."),
		typed("profileUrl", Reference).refs("external").desc("A fully qualified URL pointing to a page representing the User's online profile."),
		str("title").desc("The user's title, such as \"Vice President\"."),
		str("userType").desc("Identifies the relationship between the organization and the user, such as \"Employee\" or \"Contractor\"."),
		str("preferredLanguage").desc("The User's preferred written or spoken language, as in the HTTP Accept-Language header."),
		str("locale").desc("The User's default location for localizing items such as currency and dates (a language tag)."),
		str("timezone").desc("The User's time zone, in IANA Time Zone database format, such as \"America/Los_Angeles\"."),
		typed("active", Boolean).desc("The User's administrative status."),
		str("password").mut(WriteOnly).ret(Never).desc("The User's cleartext password, for setting or comparing; never returned."),
		multiValuedComplex("emails", "Email addresses for the user.", String, "Email address for the user.", "work", "home", "other"),
		multiValuedComplex("phoneNumbers", "Phone numbers for the User.", String, "Phone number of the User.", "work", "home", "mobile", "fax", "pager", "other"),
		multiValuedComplex("ims", "Instant messaging addresses for the User.", String, "Instant messaging address for the User.", "aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"),
		multiValuedComplex("photos", "URLs of photos of the User.", Reference, "URL of a photo of the User.", "photo", "thumbnail"),
		complexAttr("addresses",
			str("formatted").desc("The full mailing address, formatted for display or use with a mailing label."),
			str("streetAddress").desc("The full street address component: house number, street name, P.O. box, and so on."),
			str("locality").desc("The city or locality component."),
			str("region").desc("The state or region component."),
			str("postalCode").desc("The zip code or postal code component."),
			str("country").desc("The country name component, in ISO 3166-1 alpha-2 code format."),
			str("type").canon("work", "home", "other").desc("A label indicating the address's function."),
			typed("primary", Boolean).desc("A Boolean value indicating the 'primary' or preferred address; true at most once."),
		).multi().desc("A physical mailing address for this User."),
		complexAttr("groups",
			str("value").mut(ReadOnly).desc("The identifier of the User's group."),
			typed("$ref", Reference).mut(ReadOnly).refs("User", "Group").desc("The URI of the corresponding Group resource."),
			str("display").mut(ReadOnly).desc("A human-readable name, primarily used for display purposes."),
			str("type").mut(ReadOnly).canon("direct", "indirect").desc("A label indicating the membership: direct, or indirect through a nested group."),
		).multi().mut(ReadOnly).desc("Groups to which the user belongs, computed by the service provider."),
		multiValuedComplex("entitlements", "A list of entitlements for the User that represent a thing the User has.", String, "The value of an entitlement."),
		multiValuedComplex("roles", "A list of roles for the User that collectively represent who the User is.", String, "The value of a role."),
		multiValuedComplex("x509Certificates", "A list of certificates issued to the User.", Binary, "The value of an X.509 certificate (base64-encoded DER)."),
	}}
	s.reindex()
	return s
}

// GroupSchemaDef returns the core Group schema (RFC 7643 §4.2).
func GroupSchemaDef() *Schema {
	s := &Schema{ID: scim.GroupSchema, Name: "Group", Description: "Group", Attributes: []*Attribute{
		str("displayName").required().desc("A human-readable name for the Group."),
		complexAttr("members",
			str("value").mut(Immutable).desc("Identifier of the member of this Group."),
			typed("$ref", Reference).mut(Immutable).refs("User", "Group").desc("The URI of the member resource (a User or a Group)."),
			// The service provider derives display from the member (its
			// displayName, or userName): a client's value would not be kept.
			str("display").mut(ReadOnly).desc("A human-readable name of the member, primarily used for display purposes."),
			str("type").mut(Immutable).canon("User", "Group").desc("A label indicating the type of resource: User or Group."),
		).multi().desc("A list of members of the Group."),
	}}
	s.reindex()
	return s
}

// EnterpriseUserSchemaDef returns the Enterprise User extension (RFC 7643 §4.3).
func EnterpriseUserSchemaDef() *Schema {
	s := &Schema{ID: scim.EnterpriseUserSchema, Name: "EnterpriseUser", Description: "Enterprise User", Attributes: []*Attribute{
		str("employeeNumber").desc("Numeric or alphanumeric identifier assigned to a person by the organization."),
		str("costCenter").desc("Identifies the name of a cost center."),
		str("organization").desc("Identifies the name of an organization."),
		str("division").desc("Identifies the name of a division."),
		str("department").desc("Identifies the name of a department."),
		complexAttr("manager",
			str("value").desc("The id of the SCIM resource representing the User's manager."),
			typed("$ref", Reference).refs("User").desc("The URI of the SCIM resource representing the User's manager."),
			str("displayName").mut(ReadOnly).desc("The displayName of the User's manager."),
		).desc("The User's manager."),
	}}
	s.reindex()
	return s
}

// UserResourceType returns the User resource type with the Enterprise User extension.
func UserResourceType() *ResourceType {
	return &ResourceType{
		ID: "User", Name: "User", Endpoint: "/Users", Description: "User Account",
		Schema:     UserSchemaDef(),
		Extensions: []Extension{{Schema: EnterpriseUserSchemaDef()}},
	}
}

// GroupResourceType returns the Group resource type.
func GroupResourceType() *ResourceType {
	return &ResourceType{ID: "Group", Name: "Group", Endpoint: "/Groups", Description: "Group", Schema: GroupSchemaDef()}
}
