// Package mapping is the declarative attribute mapping engine of target
// connectors: a connector states, as data, how each SCIM attribute of a
// resource type maps to a field of the target's JSON, and the engine
// converts resources both ways, computes minimal updates, and handles the
// seeds' custom and disabled attributes.
//
// # Declaring a table
//
// A connector declares one Table per resource type, one Rule per line of
// the mapping table of its seed page, so a reader can check it line by line:
//
//	var userTable = mapping.Table{
//		{SCIM: "id", Target: "id", Dir: mapping.FromTarget},
//		{SCIM: "userName", Target: "profile.login"},
//		{SCIM: "name.givenName", Target: "profile.firstName"},
//		{SCIM: "emails", Target: "profile.email", Transform: "multiToSingle", Args: mapping.Args{"type": "work"}},
//		{SCIM: "active", Target: "status", Dir: mapping.FromTarget, Transform: "boolStatus",
//			Args: mapping.Args{"true": "ACTIVE", "false": "DEPROVISIONED"}},
//		{SCIM: mapping.Enterprise + "employeeNumber", Target: "profile.employeeNumber"},
//		{SCIM: "meta.created", Target: "created", Dir: mapping.FromTarget, Transform: "dateTime"},
//	}
//
// and compiles it once when an instance opens, with the instance's options:
//
//	m, err := userTable.Compile(mapping.Options{ResourceType: rt, DateTimeOffset: offset})
//
// Compile checks every path against the resource type (a typo fails at
// start-up), every transform and its arguments, and conflicts between rules
// (two rules writing one target field, two rules filling one SCIM path).
// Rule has yaml and json tags, so a table may also live in a YAML file.
//
// Dir is Both (the default), ToTarget (write-only: password, constants) or
// FromTarget (read-only: id, meta dates, values computed from target
// fields). Where a seed maps several SCIM attributes to one target field
// (Cognito's userName, displayName and name.formatted all ↔ Username),
// exactly one rule writes it and the others are FromTarget.
//
// # SCIM paths
//
//	userName                              a core attribute
//	name.givenName                        a sub-attribute
//	urn:...:enterprise:2.0:User:manager.value   an extension attribute (Enterprise+"manager.value")
//	meta.created                          a common attribute (read-only rules)
//	emails                                a whole multi-valued attribute (with multiToSingle)
//	emails[type eq "work"].value          the element matching a selector: "sub eq literal"
//	                                      joined by "and" (RFC 7644 §3.4.2.2 literals)
//	groups[].value                        each element: element i ↔ target array element i,
//	                                      or, with a target scalar, the primary (else first)
//	                                      element on write and the first element on read
//
// Writing to the target, a selector takes the first matching element; an
// element that matches nothing is not written. Reading from the target,
// rules into one multi-valued attribute merge: a selector finds or creates
// its element with the selector's values (emails[type eq "work" and
// primary eq true].value ← Email yields [{"value": v, "type": "work",
// "primary": true}]), "[]" rules fill the same element index. The seeds'
// "emails[0].value" is written `emails[].value` (or the multiToSingle
// transform, which also sets type and primary).
//
// # Target paths
//
//	profile.firstName                     nested objects, created on write
//	groupAssignments[].group.displayName  each element of an array (at most one "[]")
//	memberOfGroupIDs[]                    an array of scalars
//	default-address[0].street1            an array index
//	UserAttributes[Name=email].Value      the element of a name/value list whose Name is
//	                                      "email" (Cognito), appended when missing
//	firstName+lastName                    several fields, for concat only
//
// Keys are matched exactly and may hold any character but ".", "[", "]"
// and "+" (Coupa's "employee-number", Cognito's "custom:dept" are fine).
//
// # Conversion
//
// Mapping.ToTarget returns the target object and the SCIM paths no rule
// stores (sorted; id, schemas and meta excluded; the type and primary of a
// multi-valued element are never listed on their own), so the gateway can
// say what a target cannot keep; Options.Strict turns them into a 400
// invalidValue error. Mapping.FromTarget builds a SCIM resource with
// canonical names, the extension under its URN and "schemas" filled in;
// target values null, "", [] and {} are unassigned. Mapping.Changes
// compares the target forms of two SCIM resources and returns only the
// fields that differ, removed ones as null (Options.Removal: "" for
// targets that ignore null, or left out). Mapping.TargetOf gives the target
// field and converter of a SCIM path, for filter translation.
//
// # Transforms
//
// Transforms are a fixed library (TransformNames); each converts both ways
// and is tested both ways. Arguments are strings, checked at Compile.
//
//	concat        displayName ← firstName+lastName joined by "sep" (" "); written back
//	              split at the first (or, "split": "last", the last) separators
//	boolStatus    active ↔ status: {"true": "ACTIVE", "false": "DEPROVISIONED"};
//	              comma lists, the first value is written; read true iff in "true"
//	not           active ↔ a negated boolean (ChipSoft Geblokkeerd)
//	enum          value map {"Basic": "express"}; unknown SCIM values are
//	              rejected, unknown target values pass through
//	dateTime      "format": rfc3339 (default), epochMillis, epochSeconds, date or a Go
//	              layout ("2006-01-02T15:04:05.000Z07:00"); "offset" or
//	              Options.DateTimeOffset is the zone of zone-less target values
//	singleToMulti SCIM scalar ↔ target array: "x" ↔ ["x"]
//	multiToSingle SCIM multi-valued ↔ target scalar: primary (else of <type>, else first) element's
//	              "sub" (value) ↔ "x"; read back as [{"value": "x", "type": <type>, "primary": true}]
//	constant      a fixed value the target needs, {"value": "user"}; no SCIM path
//	lower         written in lower case, read as stored
//	stringBool    true ↔ "true" (or a JSON boolean with {"target": "boolean"})
//	json          SCIM JSON text ↔ target structure ({"encoded": "target"}: the reverse);
//	              a target array reads as "[{...};; {...}]"
//	multiFormat   target array ↔ SCIM "[a;; b]" string
//
// # Custom attributes
//
// A connector's custom properties parameter ("name|type;name2|type;", the
// Coupa and PingOne seed format) is read by ParseCustomAttributes against
// the types the connector accepts. AddCustomAttributes adds each attribute
// to the Enterprise User extension of a cloned resource type (readWrite,
// returned default, caseExact false, required false, single-valued,
// uniqueness none), and CustomRules maps each to the target field of the
// same name ("profile.<name>" for Okta, "<name>" for Coupa and PingOne).
// A target array in a custom string or JSON attribute reads as the seeds'
// multi-valued format "[abcd;; efgh;; xyzw]" and a SCIM value in that
// format is written back as an array (FormatMulti, ParseMulti; ";" inside
// a value is escaped as `\;`).
//
// # Disabled attributes
//
// An instance may disable attributes (PingOne seed, "disabling attributes").
// A disabled attribute disappears from /Schemas and every response, is never
// read from or written to the target, and a request that sets it is
// accepted with the attribute ignored. The connector wires that as:
//
//	rt, err = mapping.DisableAttributes(rt, disabled)  // schema: gone from /Schemas and validation
//	table = table.Without(disabled)                    // never read nor written
//	ignored := mapping.StripDisabled(body, disabled)   // per request, before validation; log at debug
//
// Unknown paths, required attributes (userName) and common attributes
// cannot be disabled; those are configuration errors. IsDisabled tells
// whether a PATCH operation's path falls under a disabled attribute.
//
// # Mandatory attributes
//
// CheckMandatory returns a 400 invalidValue error naming every missing
// attribute of a connector's mandatory list (ChipSoft: ldap, userName,
// displayName, active, startDate, endDate), before any target call.
package mapping
