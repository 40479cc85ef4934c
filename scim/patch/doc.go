// Package patch implements SCIM PATCH (RFC 7644 §3.5.2): Parse decodes a
// PatchOp request, Apply applies its operations to a resource, and
// SplitMembers separates group-membership changes for stores that keep
// members apart from the group.
//
// # Parsing
//
// Parse requires "schemas" to contain the PatchOp URN and "Operations" to be
// a non-empty array of at most MaxOperations entries; any other top-level
// member, or any operation member other than op, path and value, is a 400
// invalidSyntax error. Member names and op values are case-insensitive
// (Microsoft Entra sends "Replace", "Add", "Remove"); the same member
// given twice in different case is invalidSyntax, since which one wins
// would depend on map order. An empty "path" counts as absent. Values are decoded with json.Number, so integers keep every
// digit and number literals reach schema validation unchanged. remove
// without path is noTarget; add without a value (or with null) and replace
// without a value are invalidValue; replace with "value": null removes. A
// request over MaxOperations is invalidValue: RFC 7644 §3.12 lists
// invalidValue for PATCH, while tooMany is defined only for filters.
//
// # Applying
//
// Apply works on a deep copy and returns it; on any error the caller's map
// is untouched (all or nothing, RFC 7644 §3.5.2). Errors are 400
// *scim.Error values naming the operation (1-based), its op and path:
//
//	operation 2 (replace "emails[type eq \"work\"]"): no value matches the filter
//
// Semantics, by op:
//   - add without path: the value is an object of attributes; a member may
//     be a plain name in any case, a URN-qualified name
//     ("urn:...:enterprise:2.0:User:employeeNumber"), a dotted name
//     ("name.givenName") or a schema URN whose value is an object of that
//     schema's attributes. Each is added as with a path.
//   - add with path: to a multi-valued attribute, appends the values (one
//     or an array), skipping any value already present — one whose stated
//     sub-attributes all equal those of an existing value, so re-adding
//     {"value": id} to a member that also has a display is a no-op, and for
//     attributes whose value sub-attribute is immutable (members) an equal
//     value alone means present, so members are never duplicated; to a
//     complex attribute, merges sub-attributes; otherwise sets. With a value
//     filter, sets the sub-attribute after the filter (or merges the
//     object) on every matched value; when nothing matches and the filter is
//     eq comparisons joined by and, a value is created from it:
//     addresses[type eq "work"].locality = "Berlin" creates {"type":
//     "work", "locality": "Berlin"}. Microsoft Entra relies on this. Any
//     other filter matching nothing is noTarget.
//   - replace without path: each attribute of the value is replaced;
//     complex attributes merge the given sub-attributes (RFC 7644 §3.5.2.3),
//     as they do with a path. Okta sends {"op":"replace","value":{"active":false}}.
//   - replace with path: sets the attribute; a multi-valued attribute gets
//     the whole new array. With a value filter, matched values are replaced
//     (or their sub-attribute, when the path has one). When the filter
//     matches nothing: a null or empty value ("", [], {}) clears nothing
//     and succeeds; a path with a sub-attribute after the filter
//     (emails[type eq "work"].value) names a sub-attribute that does not
//     exist yet, which RFC 7644 §3.5.2.3 treats as an add, so the value is
//     created as add creates it; any other is noTarget, as RFC 7644
//     §3.5.2.3 requires.
//   - replace with null or [] removes the attribute (RFC 7643 §2.5).
//   - remove: removes the attribute, the sub-attribute, the matched values
//     or the sub-attribute of matched values. With a value on a
//     multi-valued path (Entra: {"op":"Remove","path":"members","value":
//     [{"value":"id"}]}), removes the listed values, matched by their value
//     sub-attribute, or by equality when there is none. Removing what is
//     absent, or with a filter matching nothing, is not an error, so that
//     a client's retry succeeds. remove "emails.display" (a sub-attribute of
//     a multi-valued attribute, without filter) removes it from every value.
//     A value given to remove on a single-valued path is ignored (Entra may
//     send the manager's id when removing the manager).
//
// Paths that do not resolve in the resource type, value filters on
// attributes that are not multi-valued complex, and filters naming unknown
// sub-attributes are invalidPath. A path naming a whole schema
// ("urn:...:enterprise:2.0:User") adds, replaces or removes that
// extension's attributes as a set.
//
// Mutability (RFC 7643 §7): a path to a readOnly attribute or sub-attribute
// (id, meta, schemas, groups, manager.displayName, members.display) is a
// mutability error; in values, readOnly attributes and sub-attributes are
// ignored silently, because clients such as Okta send the whole resource,
// id and meta included. An immutable attribute may be set while it has no
// value, or "changed" to an equal value; anything else, including removing
// it, is a mutability error. For group members (whose sub-attributes are
// immutable or readOnly) this means members can be added and removed but
// not edited in place.
// writeOnly attributes such as password are written normally.
//
// Values: attribute and sub-attribute names are stored in their canonical
// case whatever the client wrote ("EMAILS", "Name.GivenName"); a boolean
// attribute sent as "True" or "False" (Entra) becomes a bool; a bare
// scalar for a complex attribute with a "value" sub-attribute becomes
// {"value": scalar} — Entra sends the enterprise manager as
// {"op":"Add","path":"urn:...:enterprise:2.0:User:manager","value":"<id>"},
// and "" (no id) clears it. A one-element array for a filtered path is taken as its element. Other
// type checks are left to (*schema.ResourceType).Validate, which the caller
// runs on the result.
//
// primary: when an operation sets primary to true on one value of a
// multi-valued attribute, the other values that were primary become false
// (RFC 7644 §3.5.2); one operation setting it on two values is invalidValue.
//
// Extensions: extension attributes live under their schema URN key; the
// object is created when needed and removed when it becomes empty, and if
// the resource has "schemas", the extension URN is added to or removed from
// it accordingly.
//
// # Membership
//
// SplitMembers turns the operations on a group's members into MemberChange
// values (add, remove, replace or removeAll by member id), so that adding
// members to a 10,000-member group does not load its members; the remaining
// operations go to Apply. See SplitMembers for the recognized forms. IDs
// are passed on exactly as the client sent them; an unquoted numeric id in
// a filter (members[value eq 12345]) is taken as the string "12345".
//
// # Microsoft Entra
//
// Entra chooses "Add" or "Replace" for emails[type eq "work"].value from
// its own records, not from the resource: Microsoft's answer to client
// authors is to support both. So either creates the value when it is
// missing. Its SCIM Validator clears each mapped attribute with
// {"op":"replace","path":...,"value":""} and then null, typed values the
// user never had included; those succeed and change nothing.
package patch
