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
func multiValuedComplex(name string, valueType Type, types ...string) *Attribute {
	value := typed("value", valueType)
	if valueType == Reference {
		value.refs("external")
	}
	return complexAttr(name,
		value,
		str("display"),
		str("type").canon(types...),
		typed("primary", Boolean),
	).multi()
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
			str("formatted"), str("familyName"), str("givenName"), str("middleName"),
			str("honorificPrefix"), str("honorificSuffix"),
		).desc("The components of the user's real name."),
		str("displayName"),
		str("nickName"),
		typed("profileUrl", Reference).refs("external"),
		str("title"),
		str("userType"),
		str("preferredLanguage"),
		str("locale"),
		str("timezone"),
		typed("active", Boolean),
		str("password").mut(WriteOnly).ret(Never),
		multiValuedComplex("emails", String, "work", "home", "other"),
		multiValuedComplex("phoneNumbers", String, "work", "home", "mobile", "fax", "pager", "other"),
		multiValuedComplex("ims", String, "aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"),
		multiValuedComplex("photos", Reference, "photo", "thumbnail"),
		complexAttr("addresses",
			str("formatted"), str("streetAddress"), str("locality"), str("region"),
			str("postalCode"), str("country"),
			str("type").canon("work", "home", "other"),
			typed("primary", Boolean),
		).multi(),
		complexAttr("groups",
			str("value").mut(ReadOnly),
			typed("$ref", Reference).mut(ReadOnly).refs("User", "Group"),
			str("display").mut(ReadOnly),
			str("type").mut(ReadOnly).canon("direct", "indirect"),
		).multi().mut(ReadOnly).desc("Groups to which the user belongs, computed by the service provider."),
		multiValuedComplex("entitlements", String),
		multiValuedComplex("roles", String),
		multiValuedComplex("x509Certificates", Binary),
	}}
	s.reindex()
	return s
}

// GroupSchemaDef returns the core Group schema (RFC 7643 §4.2).
func GroupSchemaDef() *Schema {
	s := &Schema{ID: scim.GroupSchema, Name: "Group", Description: "Group", Attributes: []*Attribute{
		str("displayName").required().desc("A human-readable name for the Group."),
		complexAttr("members",
			str("value").mut(Immutable),
			typed("$ref", Reference).mut(Immutable).refs("User", "Group"),
			str("display").mut(Immutable),
			str("type").mut(Immutable).canon("User", "Group"),
		).multi().desc("A list of members of the Group."),
	}}
	s.reindex()
	return s
}

// EnterpriseUserSchemaDef returns the Enterprise User extension (RFC 7643 §4.3).
func EnterpriseUserSchemaDef() *Schema {
	s := &Schema{ID: scim.EnterpriseUserSchema, Name: "EnterpriseUser", Description: "Enterprise User", Attributes: []*Attribute{
		str("employeeNumber"),
		str("costCenter"),
		str("organization"),
		str("division"),
		str("department"),
		complexAttr("manager",
			str("value"),
			typed("$ref", Reference).refs("User"),
			str("displayName").mut(ReadOnly),
		),
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
