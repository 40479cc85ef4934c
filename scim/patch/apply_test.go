package patch

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/filter"
	"github.com/scimconnect/scimconnect/scim/schema"
)

const enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// sampleUser is a User as a store returns it.
const sampleUser = `{
	"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
	"id": "2819c223-7f76-453a-919d-413861904646",
	"externalId": "bjensen",
	"meta": {"resourceType": "User", "created": "2011-08-01T18:29:49.793Z", "lastModified": "2011-08-01T18:29:49.793Z", "version": "W/\"1\""},
	"userName": "bjensen@example.com",
	"name": {"familyName": "Jensen", "givenName": "Barbara"},
	"displayName": "Babs Jensen",
	"active": true,
	"emails": [
		{"value": "bjensen@example.com", "type": "work", "primary": true},
		{"value": "babs@jensen.org", "type": "home"}
	],
	"groups": [{"value": "e9e30dba", "display": "Tour Guides"}],
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "701984", "manager": {"value": "26118915", "displayName": "John Smith"}}
}`

// sampleGroup is a Group with two members.
const sampleGroup = `{
	"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
	"id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
	"displayName": "Tour Guides",
	"members": [
		{"value": "2819c223-7f76-453a-919d-413861904646", "display": "Babs Jensen", "type": "User"},
		{"value": "902c246b-6245-4190-8e05-00816be7344a", "display": "Mandy Pepperidge", "type": "User"}
	]
}`

// immutableUserType is the User type with an immutable enterprise "badge".
func immutableUserType() *schema.ResourceType {
	rt := schema.UserResourceType().Clone()
	badge := schema.NewAttribute("badge", schema.String)
	badge.Mutability = schema.Immutable
	rt.Extension(enterprise).AddAttribute(badge)
	return rt
}

// edit returns sample with the changes made by fn, for expected results.
func edit(t *testing.T, sample string, fn func(m map[string]any)) map[string]any {
	t.Helper()
	m := obj(t, sample)
	fn(m)
	return m
}

func ext(m map[string]any) map[string]any { return m[enterprise].(map[string]any) }

func TestApply(t *testing.T) {
	user := schema.UserResourceType()
	group := schema.GroupResourceType()
	tests := []struct {
		name string
		rt   *schema.ResourceType // default user
		res  string               // default sampleUser
		ops  string
		want func(t *testing.T) map[string]any
	}{
		// RFC 7644 §3.5.2.1 (add).
		{
			// display is readOnly: the service provider derives it.
			name: "RFC add members",
			rt:   group, res: sampleGroup,
			ops: `[{"op":"add","path":"members","value":[{"display":"Babs Jensen","$ref":"https://example.com/v2/Users/2819c223","value":"2819c223"}]}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleGroup, func(m map[string]any) {
					m["members"] = append(m["members"].([]any), map[string]any{"$ref": "https://example.com/v2/Users/2819c223", "value": "2819c223"})
				})
			},
		},
		{
			name: "RFC add without path, names in any case",
			ops:  `[{"op":"add","value":{"emails":[{"value":"babs@jensen.org","type":"home"},{"value":"b@j.org","type":"other"}],"nickname":"Babs"}}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) {
					m["nickName"] = "Babs" // canonical case; the home email was already there
					m["emails"] = append(m["emails"].([]any), map[string]any{"value": "b@j.org", "type": "other"})
				})
			},
		},
		{
			name: "add a single value to a multi-valued attribute",
			ops:  `[{"op":"add","path":"EMAILS","value":{"Value":"x@y.z","TYPE":"other"}}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) {
					m["emails"] = append(m["emails"].([]any), map[string]any{"value": "x@y.z", "type": "other"})
				})
			},
		},
		{
			name: "add a value already present (subset) is a no-op",
			rt:   group, res: sampleGroup,
			ops:  `[{"op":"add","path":"members","value":[{"value":"2819c223-7F76-453a-919d-413861904646"}]}]`,
			want: func(t *testing.T) map[string]any { return obj(t, sampleGroup) },
		},
		{
			name: "re-adding a member with another display does not duplicate it",
			rt:   group, res: sampleGroup,
			ops: `[{"op":"add","path":"members","value":[{"value":"902c246b-6245-4190-8e05-00816be7344a","display":"Mandy P."},{"value":"new","display":"New"}]}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleGroup, func(m map[string]any) {
					m["members"] = append(m["members"].([]any), map[string]any{"value": "new"})
				})
			},
		},
		{
			name: "an email with the same value but another type is added",
			ops:  `[{"op":"add","path":"emails","value":[{"value":"babs@jensen.org","type":"other"}]}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) {
					m["emails"] = append(m["emails"].([]any), map[string]any{"value": "babs@jensen.org", "type": "other"})
				})
			},
		},
		{
			name: "nil resource",
			res:  `null`,
			ops:  `[{"op":"add","path":"userName","value":"u"}]`,
			want: func(t *testing.T) map[string]any { return obj(t, `{"userName":"u"}`) },
		},
		{
			name: "add to complex merges sub-attributes",
			ops:  `[{"op":"add","path":"name","value":{"middleName":"Jane","givenName":"Babs"}}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) {
					m["name"] = map[string]any{"familyName": "Jensen", "givenName": "Babs", "middleName": "Jane"}
				})
			},
		},
		{
			name: "add a sub-attribute, client casing",
			ops:  `[{"op":"add","path":"Name.HonorificPrefix","value":"Ms."}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) { m["name"].(map[string]any)["honorificPrefix"] = "Ms." })
			},
		},
		{
			name: "add a sub-attribute of an absent complex attribute creates it",
			res:  `{"userName":"u"}`,
			ops:  `[{"op":"add","path":"name.givenName","value":"G"}]`,
			want: func(t *testing.T) map[string]any { return obj(t, `{"userName":"u","name":{"givenName":"G"}}`) },
		},
		{
			name: "Entra add with filter and sub-attribute updates the match",
			ops:  `[{"op":"Add","path":"emails[type eq \"work\"].value","value":"new@example.com"}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) { m["emails"].([]any)[0].(map[string]any)["value"] = "new@example.com" })
			},
		},
		{
			name: "Entra add with filter matching nothing creates the value",
			ops:  `[{"op":"Add","path":"addresses[type eq \"work\"].locality","value":"Berlin"},{"op":"Add","path":"addresses[type eq \"work\"].country","value":"DE"}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) {
					m["addresses"] = []any{map[string]any{"type": "work", "locality": "Berlin", "country": "DE"}}
				})
			},
		},
		{
			name: "Entra replace with filter matching nothing creates the value",
			ops:  `[{"op":"Replace","path":"addresses[type eq \"work\"].locality","value":"Berlin"},{"op":"Replace","path":"phoneNumbers[type eq \"mobile\"].value","value":"+49 170 1"}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) {
					m["addresses"] = []any{map[string]any{"type": "work", "locality": "Berlin"}}
					m["phoneNumbers"] = []any{map[string]any{"type": "mobile", "value": "+49 170 1"}}
				})
			},
		},
		{
			name: "SCIM Validator clears values that were never set",
			ops: `[{"op":"replace","path":"phoneNumbers[type eq \"fax\"].value","value":""},{"op":"replace","path":"addresses[type eq \"work\"].streetAddress","value":null},
				{"op":"replace","path":"emails[type eq \"other\"]","value":null},{"op":"replace","path":"ims[type eq \"xmpp\"]","value":[]},
				{"op":"replace","path":"title","value":null}]`,
			want: func(t *testing.T) map[string]any { return obj(t, sampleUser) },
		},
		{
			name: "add with an and-of-eq filter creates from every comparison",
			ops:  `[{"op":"add","path":"phoneNumbers[type eq \"work\" and primary eq true].value","value":"+49 30 1"}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) {
					m["phoneNumbers"] = []any{map[string]any{"type": "work", "primary": true, "value": "+49 30 1"}}
				})
			},
		},
		{
			name: "add with filter and no sub-attribute merges the object",
			ops:  `[{"op":"add","path":"emails[type eq \"home\"]","value":{"display":"Home"}}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) { m["emails"].([]any)[1].(map[string]any)["display"] = "Home" })
			},
		},
		{
			name: "add URN-qualified attributes and extension objects without path",
			res:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u"}`,
			ops:  `[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"42","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"Department":"R&D"},"urn:ietf:params:scim:schemas:core:2.0:User:title":"Dr"}}]`,
			want: func(t *testing.T) map[string]any {
				return obj(t, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","`+enterprise+`"],"userName":"u","title":"Dr","`+enterprise+`":{"employeeNumber":"42","department":"R&D"}}`)
			},
		},
		{
			name: "Entra manager as a bare id",
			res:  `{"userName":"u"}`,
			ops:  `[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"26118915"}]`,
			want: func(t *testing.T) map[string]any {
				return obj(t, `{"userName":"u","`+enterprise+`":{"manager":{"value":"26118915"}}}`)
			},
		},
		{
			name: "Entra manager object replace keeps other sub-attributes",
			ops:  `[{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"99"}}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) { ext(m)["manager"].(map[string]any)["value"] = "99" })
			},
		},
		{
			name: "Entra clears the manager with an empty id",
			ops:  `[{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":""}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) { delete(ext(m), "manager") })
			},
		},
		{
			name: "Entra clears the manager with an empty id, without path",
			ops:  `[{"op":"Replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":""}}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) { delete(ext(m), "manager") })
			},
		},
		{
			name: "Entra booleans as strings",
			ops:  `[{"op":"Replace","path":"active","value":"False"},{"op":"Add","path":"emails[type eq \"home\"].primary","value":"True"}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) {
					m["active"] = false
					m["emails"].([]any)[0].(map[string]any)["primary"] = false
					m["emails"].([]any)[1].(map[string]any)["primary"] = true
				})
			},
		},
		{
			name: "Entra typical user update",
			ops: `[{"op":"Replace","path":"displayName","value":"Barbara J."},{"op":"Add","path":"name.givenName","value":"Barbara"},
				{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Sales"},
				{"op":"Replace","path":"active","value":"True"},{"op":"Remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) {
					m["displayName"] = "Barbara J."
					ext(m)["department"] = "Sales"
					delete(ext(m), "manager")
				})
			},
		},
		{
			name: "no-path dotted names and common attributes inside the core schema object",
			ops:  `[{"op":"add","value":{"name.middleName":"J","urn:ietf:params:scim:schemas:core:2.0:User":{"externalId":"e2","Name.FamilyName":"J.","id":"ignored"}}}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) {
					m["externalId"] = "e2"
					m["name"].(map[string]any)["middleName"] = "J"
					m["name"].(map[string]any)["familyName"] = "J."
				})
			},
		},
		{
			name: "no-path replace with an extension set to null removes it",
			ops:  `[{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":null}}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) {
					delete(m, enterprise)
					m["schemas"] = []any{scim.UserSchema}
				})
			},
		},
		{
			name: "no-path add skips null attributes",
			ops:  `[{"op":"add","value":{"title":null,"nickName":"B"}}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) { m["nickName"] = "B" })
			},
		},
		// Okta.
		{
			name: "Okta deactivate: replace without path",
			ops:  `[{"op":"replace","value":{"active":false}}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) { m["active"] = false })
			},
		},
		{
			name: "Okta replace without path ignores readOnly attributes",
			ops:  `[{"op":"replace","value":{"id":"other","schemas":["x"],"meta":{"version":"2"},"groups":[],"displayName":"B","name":{"givenName":"Bee"}}}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) {
					m["displayName"] = "B"
					m["name"].(map[string]any)["givenName"] = "Bee" // merged: familyName stays (RFC 7644 §3.5.2.3)
				})
			},
		},
		// RFC 7644 §3.5.2.3 (replace).
		{
			name: "RFC replace all members",
			rt:   group, res: sampleGroup,
			ops: `[{"op":"replace","path":"members","value":[{"display":"Babs Jensen","value":"2819c223"},{"display":"James Smith","value":"08e1d05d"}]}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleGroup, func(m map[string]any) {
					m["members"] = []any{map[string]any{"value": "2819c223"}, map[string]any{"value": "08e1d05d"}}
				})
			},
		},
		{
			name: "RFC replace a matched value",
			ops:  `[{"op":"replace","path":"emails[type eq \"work\" and value ew \"example.com\"]","value":{"value":"bjensen@example.org","type":"work"}}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) {
					m["emails"].([]any)[0] = map[string]any{"value": "bjensen@example.org", "type": "work"}
				})
			},
		},
		{
			name: "replace a matched value given as a one-element array",
			ops:  `[{"op":"replace","path":"emails[not (type eq \"work\") or value eq \"x\"]","value":[{"value":"h@example.com","type":"home"}]}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) {
					m["emails"].([]any)[1] = map[string]any{"value": "h@example.com", "type": "home"}
				})
			},
		},
		{
			name: "replace the sub-attribute of matched values",
			ops:  `[{"op":"replace","path":"emails[type eq \"work\"].value","value":"w@example.com"}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) { m["emails"].([]any)[0].(map[string]any)["value"] = "w@example.com" })
			},
		},
		{
			name: "replace a simple attribute and an absent one",
			ops:  `[{"op":"replace","path":"userName","value":"b@example.com"},{"op":"replace","path":"title","value":"Tour Guide"}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) { m["userName"] = "b@example.com"; m["title"] = "Tour Guide" })
			},
		},
		{
			name: "replace with null or [] removes",
			ops:  `[{"op":"replace","path":"displayName","value":null},{"op":"replace","path":"emails","value":[]},{"op":"replace","path":"name.givenName","value":null}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) {
					delete(m, "displayName")
					delete(m, "emails")
					delete(m["name"].(map[string]any), "givenName")
				})
			},
		},
		{
			name: "replace a matched value's sub-attribute with null removes it",
			ops:  `[{"op":"replace","path":"emails[type eq \"work\"].primary","value":null}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) { delete(m["emails"].([]any)[0].(map[string]any), "primary") })
			},
		},
		{
			name: "replace without path: null removes, schema URN object replaces",
			ops:  `[{"op":"replace","value":{"displayName":null,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"7"}}}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) { delete(m, "displayName"); ext(m)["employeeNumber"] = "7" })
			},
		},
		// RFC 7644 §3.5.2.2 (remove).
		{
			name: "RFC remove a member",
			rt:   group, res: sampleGroup,
			ops: `[{"op":"remove","path":"members[value eq \"2819c223-7f76-453a-919d-413861904646\"]"}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleGroup, func(m map[string]any) { m["members"] = m["members"].([]any)[1:] })
			},
		},
		{
			name: "remove a member by an unquoted numeric id",
			rt:   group, res: `{"displayName":"g","members":[{"value":"12345"},{"value":"6"}]}`,
			ops:  `[{"op":"remove","path":"members[value eq 12345]"}]`,
			want: func(t *testing.T) map[string]any { return obj(t, `{"displayName":"g","members":[{"value":"6"}]}`) },
		},
		{
			name: "RFC remove all members, then add",
			rt:   group, res: sampleGroup,
			ops: `[{"op":"remove","path":"members"},{"op":"add","path":"members","value":[{"value":"2819c223"}]}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleGroup, func(m map[string]any) { m["members"] = []any{map[string]any{"value": "2819c223"}} })
			},
		},
		{
			name: "RFC remove matched values",
			ops:  `[{"op":"remove","path":"emails[type eq \"work\" and value ew \"example.com\"]"}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) { m["emails"] = m["emails"].([]any)[1:] })
			},
		},
		{
			name: "remove the last value removes the attribute",
			ops:  `[{"op":"remove","path":"emails[type eq \"work\"]"},{"op":"remove","path":"emails[value eq \"babs@jensen.org\"]"}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) { delete(m, "emails") })
			},
		},
		{
			name: "remove the sub-attribute of matched values",
			ops:  `[{"op":"remove","path":"emails[type eq \"work\"].primary"}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) { delete(m["emails"].([]any)[0].(map[string]any), "primary") })
			},
		},
		{
			name: "remove a sub-attribute of every value",
			ops:  `[{"op":"remove","path":"emails.type"}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) {
					for _, e := range m["emails"].([]any) {
						delete(e.(map[string]any), "type")
					}
				})
			},
		},
		{
			name: "remove with a filter matching nothing is a no-op",
			ops:  `[{"op":"remove","path":"emails[type eq \"other\"]"},{"op":"remove","path":"addresses[type eq \"work\"]"},{"op":"remove","path":"x509Certificates[value eq \"x\"].display"}]`,
			want: func(t *testing.T) map[string]any { return obj(t, sampleUser) },
		},
		{
			name: "remove absent attributes is a no-op",
			res:  `{"userName":"u"}`,
			ops:  `[{"op":"remove","path":"title"},{"op":"remove","path":"name.givenName"},{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"},{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]`,
			want: func(t *testing.T) map[string]any { return obj(t, `{"userName":"u"}`) },
		},
		{
			name: "remove attribute and sub-attribute",
			ops:  `[{"op":"remove","path":"displayName"},{"op":"remove","path":"name.givenName"},{"op":"remove","path":"name.familyName"}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) { delete(m, "displayName"); delete(m, "name") })
			},
		},
		{
			name: "Entra remove members by value array",
			rt:   group, res: sampleGroup,
			ops: `[{"op":"Remove","path":"members","value":[{"value":"902c246b-6245-4190-8e05-00816be7344a"},{"value":"not-a-member"}]}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleGroup, func(m map[string]any) { m["members"] = m["members"].([]any)[:1] })
			},
		},
		{
			name: "remove listed values without a value sub-attribute uses equality",
			res:  `{"userName":"u","addresses":[{"type":"work","locality":"Berlin"},{"type":"home","locality":"Rome"}]}`,
			ops:  `[{"op":"remove","path":"addresses","value":[{"type":"home","locality":"Rome"},{"type":"work"}]}]`,
			want: func(t *testing.T) map[string]any {
				return obj(t, `{"userName":"u","addresses":[{"type":"work","locality":"Berlin"}]}`)
			},
		},
		{
			name: "removing the last extension attribute removes the extension and its URN",
			res:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"x"}}`,
			ops:  `[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}]`,
			want: func(t *testing.T) map[string]any {
				return obj(t, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u"}`)
			},
		},
		{
			name: "remove a whole extension by its URN",
			ops:  `[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) {
					delete(m, enterprise)
					m["schemas"] = []any{scim.UserSchema}
				})
			},
		},
		{
			name: "add to a whole extension by its URN",
			ops:  `[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":{"costCenter":"4130","manager":"1"}}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) {
					ext(m)["costCenter"] = "4130"
					ext(m)["manager"].(map[string]any)["value"] = "1"
				})
			},
		},
		// Mutability.
		{
			name: "writeOnly password can be set",
			ops:  `[{"op":"replace","path":"password","value":"t1meMa$heen"}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) { m["password"] = "t1meMa$heen" })
			},
		},
		{
			name: "readOnly sub-attributes in values are ignored",
			ops:  `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"5","displayName":"X"}}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) { ext(m)["manager"].(map[string]any)["value"] = "5" })
			},
		},
		{
			name: "immutable attribute may be set while unassigned and set to an equal value",
			rt:   immutableUserType(), res: `{"userName":"u"}`,
			ops: `[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:badge","value":"B1"},{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:badge":"B1"}}]`,
			want: func(t *testing.T) map[string]any {
				return obj(t, `{"userName":"u","`+enterprise+`":{"badge":"B1"}}`)
			},
		},
		{
			name: "immutable member sub-attribute may be added when absent",
			rt:   group, res: `{"displayName":"g","members":[{"value":"1"}]}`,
			ops: `[{"op":"add","path":"members[value eq \"1\"].type","value":"User"}]`,
			want: func(t *testing.T) map[string]any {
				return obj(t, `{"displayName":"g","members":[{"value":"1","type":"User"}]}`)
			},
		},
		// primary (RFC 7644 §3.5.2).
		{
			name: "adding a primary value clears the others",
			ops:  `[{"op":"add","path":"emails","value":[{"value":"new@example.com","type":"other","primary":true}]}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) {
					m["emails"].([]any)[0].(map[string]any)["primary"] = false
					m["emails"] = append(m["emails"].([]any), map[string]any{"value": "new@example.com", "type": "other", "primary": true})
				})
			},
		},
		{
			name: "replacing a matched value as primary clears the others",
			ops:  `[{"op":"replace","path":"emails[type eq \"home\"]","value":{"value":"babs@jensen.org","type":"home","primary":"true"}}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) {
					m["emails"].([]any)[0].(map[string]any)["primary"] = false
					m["emails"].([]any)[1].(map[string]any)["primary"] = true
				})
			},
		},
		{
			name: "setting primary false leaves others alone",
			ops:  `[{"op":"add","path":"emails[type eq \"home\"].primary","value":false}]`,
			want: func(t *testing.T) map[string]any {
				return edit(t, sampleUser, func(m map[string]any) { m["emails"].([]any)[1].(map[string]any)["primary"] = false })
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := tt.rt
			if rt == nil {
				rt = user
			}
			src := tt.res
			if src == "" {
				src = sampleUser
			}
			res := obj(t, src)
			ops := parseOps(t, tt.ops)
			got, err := Apply(res, ops, rt)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if diff := cmp.Diff(tt.want(t), got); diff != "" {
				t.Errorf("Apply mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(obj(t, src), res); diff != "" {
				t.Errorf("Apply changed its input (-before +after):\n%s", diff)
			}
		})
	}
}

func TestApplyErrors(t *testing.T) {
	user := schema.UserResourceType()
	group := schema.GroupResourceType()
	tests := []struct {
		name      string
		rt        *schema.ResourceType
		res       string
		ops       string
		scimType  string
		fragments []string
	}{
		{"unknown attribute", nil, "", `[{"op":"add","path":"nosuch","value":"x"}]`, scim.InvalidPath, []string{`operation 1 (add "nosuch")`, `attribute "nosuch" is not defined`}},
		{"unknown sub-attribute", nil, "", `[{"op":"replace","path":"name.nosuch","value":"x"}]`, scim.InvalidPath, []string{`"name.nosuch"`}},
		{"unknown schema", nil, "", `[{"op":"replace","path":"urn:example:params:scim:schemas:extension:x:2.0:User:foo","value":"x"}]`, scim.InvalidPath, []string{"urn:example:params:scim:schemas:extension:x:2.0:User", "not a schema"}},
		{"unknown schema URN alone", nil, "", `[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:other:2.0:User"}]`, scim.InvalidPath, []string{"not a schema"}},
		{"filter on a single-valued attribute", nil, "", `[{"op":"replace","path":"name[givenName eq \"B\"].familyName","value":"x"}]`, scim.InvalidPath, []string{"multi-valued complex"}},
		{"filter naming an unknown sub-attribute", nil, "", `[{"op":"replace","path":"emails[kind eq \"work\"].value","value":"x"}]`, scim.InvalidPath, []string{`"kind"`}},
		{"unknown sub-attribute under not and or", nil, "", `[{"op":"remove","path":"emails[type eq \"work\" or not (kind eq \"x\")]"}]`, scim.InvalidPath, []string{`"kind"`}},
		{"unknown sub-attribute after the filter", nil, "", `[{"op":"replace","path":"emails[type eq \"work\"].nosuch","value":"x"}]`, scim.InvalidPath, []string{`"nosuch" is not a sub-attribute of "emails"`}},
		{"filter with a mistyped comparison", nil, "", `[{"op":"remove","path":"emails[primary gt true]"}]`, scim.InvalidPath, nil},
		{"sub-attribute of a multi-valued attribute without filter", nil, "", `[{"op":"replace","path":"emails.value","value":"x"}]`, scim.InvalidPath, []string{"select values with a filter"}},
		{"replace with a filter matching nothing", nil, "", `[{"op":"replace","path":"displayName","value":"x"},{"op":"replace","path":"emails[type eq \"other\"]","value":{"value":"a@b.c"}}]`, scim.NoTarget, []string{`operation 2 (replace "emails[type eq \"other\"]"): no value matches the filter`}},
		{"replace sub-attribute with a non-eq filter matching nothing", nil, "", `[{"op":"replace","path":"addresses[type ne \"work\"].locality","value":"x"}]`, scim.NoTarget, []string{"no value matches", "eq comparisons joined by and"}},
		{"replace sub-attribute with a filter on a value matching nothing", nil, "", `[{"op":"replace","path":"emails[value eq \"x@y.z\" or type eq \"other\"].display","value":"x"}]`, scim.NoTarget, nil},
		{"add with a non-eq filter matching nothing", nil, "", `[{"op":"add","path":"emails[type ne \"work\" and type ne \"home\"].value","value":"x"}]`, scim.NoTarget, []string{"eq comparisons joined by and"}},
		{"add with an or filter matching nothing", nil, "", `[{"op":"add","path":"addresses[type eq \"work\" or type eq \"home\"].locality","value":"x"}]`, scim.NoTarget, nil},
		{"add with contradictory eq filter matching nothing", nil, "", `[{"op":"add","path":"addresses[type eq \"work\" and type eq \"home\"].locality","value":"x"}]`, scim.NoTarget, nil},
		{"replace id", nil, "", `[{"op":"replace","path":"id","value":"x"}]`, scim.Mutability, []string{`"id" is readOnly`}},
		{"add groups", nil, "", `[{"op":"add","path":"groups","value":[{"value":"g"}]}]`, scim.Mutability, []string{`"groups" is readOnly`}},
		{"replace meta sub-attribute", nil, "", `[{"op":"replace","path":"meta.lastModified","value":"2020-01-01T00:00:00Z"}]`, scim.Mutability, []string{"readOnly"}},
		{"remove schemas", nil, "", `[{"op":"remove","path":"schemas"}]`, scim.Mutability, []string{"readOnly"}},
		{"replace manager.displayName", nil, "", `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName","value":"x"}]`, scim.Mutability, []string{`"displayName" is readOnly`}},
		{"change an immutable attribute", immutableUserType(), `{"userName":"u","` + enterprise + `":{"badge":"B1"}}`, `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:badge","value":"B2"}]`, scim.Mutability, []string{`"badge" is immutable`}},
		{"remove an immutable attribute", immutableUserType(), `{"userName":"u","` + enterprise + `":{"badge":"B1"}}`, `[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:badge"}]`, scim.Mutability, nil},
		{"remove an extension holding an immutable value", immutableUserType(), `{"userName":"u","` + enterprise + `":{"badge":"B1"}}`, `[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]`, scim.Mutability, nil},
		{"change an immutable member sub-attribute", group, sampleGroup, `[{"op":"replace","path":"members[value eq \"2819c223-7f76-453a-919d-413861904646\"].type","value":"Group"}]`, scim.Mutability, []string{`"type" is immutable`}},
		{"change a readOnly member sub-attribute", group, sampleGroup, `[{"op":"replace","path":"members[value eq \"2819c223-7f76-453a-919d-413861904646\"].display","value":"X"}]`, scim.Mutability, []string{`"display" is readOnly`}},
		{"replace a member with another", group, sampleGroup, `[{"op":"replace","path":"members[display eq \"Babs Jensen\"]","value":{"value":"other"}}]`, scim.Mutability, nil},
		{"remove an immutable member sub-attribute", group, sampleGroup, `[{"op":"remove","path":"members[value eq \"2819c223-7f76-453a-919d-413861904646\"].type"}]`, scim.Mutability, nil},
		{"two primary values in one operation", nil, "", `[{"op":"add","path":"emails","value":[{"value":"a@b.c","primary":true},{"value":"d@e.f","primary":"True"}]}]`, scim.InvalidValue, []string{"more than one value", "primary"}},
		{"unknown attribute in a no-path value", nil, "", `[{"op":"add","value":{"nosuch":"x"}}]`, scim.InvalidValue, []string{`"nosuch"`}},
		{"unknown sub-attribute in a value", nil, "", `[{"op":"add","path":"name","value":{"nosuch":"x"}}]`, scim.InvalidValue, []string{`"nosuch" is not a sub-attribute of "name"`}},
		{"sub-attribute twice in different case", nil, "", `[{"op":"add","path":"name","value":{"givenName":null,"GIVENNAME":"x"}}]`, scim.InvalidValue, []string{"more than once"}},
		{"schema nested in a schema", nil, "", `[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"urn:ietf:params:scim:schemas:core:2.0:User":{}}}}]`, scim.InvalidValue, []string{"not an attribute"}},
		{"unknown attribute in an extension object", nil, "", `[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"nosuch":"x"}}}]`, scim.InvalidValue, []string{`"nosuch"`}},
		{"unknown sub-attribute in an extension object", nil, "", `[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager.nosuch":"x"}}}]`, scim.InvalidValue, nil},
		{"extension value not an object", nil, "", `[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"x"}}]`, scim.InvalidValue, []string{"object of its attributes"}},
		{"remove the core schema", nil, "", `[{"op":"remove","path":"urn:ietf:params:scim:schemas:core:2.0:User"}]`, scim.Mutability, nil},
		{"object for a simple attribute", nil, "", `[{"op":"replace","path":"displayName","value":{"a":"b"}}]`, scim.InvalidValue, []string{"not an object"}},
		{"array for a single-valued attribute", nil, "", `[{"op":"replace","path":"displayName","value":["a"]}]`, scim.InvalidValue, []string{"not an array"}},
		{"scalar for a complex attribute without value", nil, "", `[{"op":"replace","path":"name","value":"B"}]`, scim.InvalidValue, []string{"must be an object"}},
		{"scalar for a schema URN path", nil, "", `[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":"x"}]`, scim.InvalidValue, nil},
		{"remove listed members without value", group, sampleGroup, `[{"op":"remove","path":"members","value":[{"display":"x"}]}]`, scim.InvalidValue, []string{`needs a "value"`}},
		{"third operation fails", nil, "", `[{"op":"replace","path":"displayName","value":"x"},{"op":"remove","path":"emails"},{"op":"add","path":"nosuch","value":1}]`, scim.InvalidPath, []string{"operation 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := tt.rt
			if rt == nil {
				rt = user
			}
			src := tt.res
			if src == "" {
				src = sampleUser
			}
			res := obj(t, src)
			got, err := Apply(res, parseOps(t, tt.ops), rt)
			if err == nil {
				t.Fatalf("Apply = %v, want an error", got)
			}
			checkErr(t, err, tt.scimType, tt.fragments...)
			if got != nil {
				t.Errorf("Apply returned %v with its error, want nil", got)
			}
			if diff := cmp.Diff(obj(t, src), res); diff != "" {
				t.Errorf("failed Apply changed its input (-before +after):\n%s", diff)
			}
		})
	}
}

// TestApplyHandMadeOperations covers operations built by Go code rather
// than Parse, which Apply must check too.
func TestApplyHandMadeOperations(t *testing.T) {
	user := schema.UserResourceType()
	tests := []struct {
		name     string
		op       Operation
		scimType string
	}{
		{"unknown op", Operation{Op: "move", Value: map[string]any{}}, scim.InvalidSyntax},
		{"remove without path", Operation{Op: "remove"}, scim.NoTarget},
		{"add without value", Operation{Op: "add"}, scim.InvalidValue},
		{"no-path value not an object", Operation{Op: "replace", Value: "x"}, scim.InvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Apply(obj(t, sampleUser), []Operation{tt.op}, user)
			checkErr(t, err, tt.scimType)
		})
	}
}

func TestNilResourceType(t *testing.T) {
	ops := parseOps(t, `[{"op":"remove","path":"title"}]`)
	if _, err := Apply(map[string]any{}, ops, nil); err == nil {
		t.Error("Apply with a nil resource type succeeded")
	}
	if _, _, err := SplitMembers(ops, nil, "members"); err == nil {
		t.Error("SplitMembers with a nil resource type succeeded")
	}
}

// TestApplyDoesNotAlias checks that the result shares no maps or slices
// with the operations, so that changing one cannot change the other.
func TestApplyDoesNotAlias(t *testing.T) {
	user := schema.UserResourceType()
	ops := parseOps(t, `[{"op":"add","path":"addresses","value":[{"type":"work","locality":"Berlin"}]}]`)
	got, err := Apply(obj(t, `{"userName":"u"}`), ops, user)
	if err != nil {
		t.Fatal(err)
	}
	got["addresses"].([]any)[0].(map[string]any)["locality"] = "Paris"
	again, err := Apply(obj(t, `{"userName":"u"}`), ops, user)
	if err != nil {
		t.Fatal(err)
	}
	if loc := again["addresses"].([]any)[0].(map[string]any)["locality"]; loc != "Berlin" {
		t.Errorf("second Apply locality = %v, want Berlin: the first result aliased the operation", loc)
	}
}

// TestApplyBuiltOperations covers operations built by Go code, without
// RawPath, and a custom extension whose URN has no version.
func TestApplyBuiltOperations(t *testing.T) {
	rt := schema.UserResourceType().Clone()
	custom := &schema.Schema{ID: "urn:example:scim:custom"}
	custom.AddAttribute(schema.NewAttribute("level", schema.Integer))
	rt.Extensions = append(rt.Extensions, schema.Extension{Schema: custom})
	path := func(s string) *filter.PatchPath {
		p, err := filter.ParsePatchPath(s)
		if err != nil {
			t.Fatalf("ParsePatchPath(%q): %v", s, err)
		}
		return p
	}
	res := obj(t, `{"userName":"u","`+enterprise+`":{"department":"x"},"urn:example:scim:custom":{"level":3}}`)
	got, err := Apply(res, []Operation{
		{Op: "Remove", Path: path(enterprise)},
		{Op: "remove", Path: path("urn:example:scim:custom")},
		{Op: "add", Path: path("urn:example:scim:custom:level"), Value: json.Number("4")},
	}, rt)
	if err != nil {
		t.Fatal(err)
	}
	want := obj(t, `{"userName":"u","urn:example:scim:custom":{"level":4}}`)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Apply mismatch (-want +got):\n%s", diff)
	}
	_, err = Apply(res, []Operation{{Op: "add", Path: path(`emails[type eq "x"].nosuch`), Value: "v"}}, rt)
	checkErr(t, err, scim.InvalidPath, `operation 1 (add "emails[type eq \"x\"].nosuch")`)
}
