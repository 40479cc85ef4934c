// Package okta is the Okta connector (seed section "Okta"): users, groups
// and group memberships over the Okta Management API, built on
// connector/bridge, tested with connector/connectortest against oktasim.
//
// Parameters: name (the connector name; the instance name when empty),
// token (Okta API token, sent as "Authorization: SSWS <token>"), target_url
// (the org URL).
//
// The mapping tables (mapping.go) follow the seed line by line; each rule
// carries the seed's line as a comment.
//
// # Decisions where the seed is unclear
//
//   - active: the seed writes `tatus == "ACTIVE"` (a typo for status).
//     active is true for ACTIVE and also for PROVISIONED, RECOVERY,
//     LOCKED_OUT and PASSWORD_EXPIRED: a user created without a password is
//     PROVISIONED (activated, waiting for a password), and reading it as
//     inactive would make identity providers re-activate it forever. STAGED,
//     SUSPENDED and DEPROVISIONED are inactive. Setting active=false suspends
//     an ACTIVE user (reversible, keeps group memberships) and deactivates
//     any other; active=true unsuspends a SUSPENDED user and activates
//     (sendEmail=false) a STAGED or DEPROVISIONED one. Creating with
//     active=false creates a STAGED user. An unassigned active (a create
//     without it, a PATCH that removes it) means active: Okta has no user
//     without a status, and activation is its default for a new user. Okta activates asynchronously: a
//     user that carries transitioningToStatus is read with that status, so
//     the read after active=true says true (see settled).
//   - Emails.value ↔ email (the seed's cell is empty): the work email,
//     written as Okta's email. Okta requires an email: when a request has
//     none, the userName (an email) is used. PhoneNumbers.value ↔
//     primaryPhone likewise; addresses are the "work" address. Each keeps
//     one element, so /Schemas offers "work" as the only canonical type
//     (mapping.Table.NarrowTypes); of several elements sent, the primary
//     (else the first) e-mail or phone number and the first work address
//     are written.
//   - Mandatory fields: the seed lists GivenName; Okta also requires
//     lastName and login, so userName, name.givenName and name.familyName
//     are mandatory (400 invalidValue before any call; 400 mutability for
//     a PATCH that removes one, RFC 7644 §3.5.2.2).
//   - userName must be an email address (RFC 5322 addr-spec without a
//     display name): 400 invalidValue otherwise.
//   - Email and login: when an update changes the email and not userName,
//     the login follows the email (seed); changing userName alone changes
//     only the login.
//   - Password: the initial password of a created user is sent
//     (credentials.password.value); any update carrying a password is 400
//     mutability, since Okta needs the old password (seed). /Schemas says
//     so: password is immutable (set at creation, RFC 7643 §7), not
//     writeOnly, and changePassword is not supported.
//   - /Schemas describes userName as an email address (the rule below),
//     since no SCIM characteristic can express a format.
//   - DELETE: Okta's first DELETE deactivates (DEPROVISIONED, then read as
//     active=false), a second deletes (seed). Okta's plain listing omits
//     DEPROVISIONED users; GET /Users and filters checked in the gateway
//     list them after the others (Okta's filter on that status, which is
//     consistent), as pushed filters (search) include them, so that a
//     client reconciling its accounts does not take them for deleted.
//   - groups (On Demand): the User schema's groups attribute is returned
//     "request" (RFC 7643 §7), so /users/{id}/groups is called only when
//     a client names groups in attributes. Groups list every Okta group,
//     the BUILT_IN Everyone group included; Okta refuses changes to
//     BUILT_IN and APP_GROUP groups (answered 400 mutability).
//   - Group description: the seed's Extension.Description lives in an Okta
//     group extension schema (GroupExtension), since core Group has none.
//   - Group members: read from /groups/{id}/users (1,000 per page), changed
//     with one PUT or DELETE per member; a member that is not a user is 400
//     invalidValue; removing a non-member succeeds. Okta groups hold only
//     users: /Schemas gives members' $ref the one reference type User and
//     type the one canonical value User, both derived from the id.
//   - Ids: Okta ids are 20 letters and digits; any other id is answered 404
//     without a call (Okta would read it as a login; an encoded "/" cannot
//     be routed).
//   - Errors: Okta's duplicate login (400 E0000001 "already exists") is 409
//     uniqueness; 403 E0000016/E0000038 (the user's status does not allow
//     it) and 403 to a change of a BUILT_IN or APP_GROUP group (Okta never
//     allows it) are 400 mutability with Okta's summary and causes; any
//     other 403 (E0000006: the token's administrator may not) is 502, the
//     gateway's configuration; the rest goes through httpx (404, 400
//     invalidValue, 429/5xx → retries then 503).
//   - Filters pushed down as search expressions (Okta compares values
//     case-insensitively, like SCIM caseExact=false attributes): eq, sw, pr
//     on profile attributes (groups: eq, sw; Okta's group search has no
//     pr), co on userName/name/email, active eq true and active eq false
//     (as the statuses read that way, so that deactivated users are found
//     as by other filters),
//     meta.created/lastModified orderings (as a superset, re-checked) and
//     and/or; a value path as conditions on the profile fields its
//     element maps to (emails[type eq "work"].value eq → profile.email eq,
//     a superset: Okta keeps one e-mail, one address). ne, not and id
//     (caseExact in SCIM) are evaluated in the gateway. Values are quoted with \" and \\ escaped (Okta takes a
//     backslash as escaping the next character), so a quote or backslash can
//     never end the literal. Dates are rewritten in Okta's only accepted
//     form, UTC with milliseconds ("2011-05-13T04:42:34.000Z"; Okta answers
//     "2011-05-13T04:42:34Z" with 400 E0000030), rounded so that Okta's
//     answer is a superset.
//   - userName eq (the whole filter, or a clause of its top-level "and"):
//     read with GET /api/v1/users/{login} (bridge.KeyReader), not search:
//     Okta's search is eventually consistent, and clients (Entra, Okta)
//     look a user up right after creating it. Only a user whose login is
//     the value answers; getUser's other readings (shortname, id, "me")
//     and logins it cannot take ("/") are searched; 404 is no user. The
//     call is reported as /api/v1/users/{login}, so the audit log keeps no
//     login.
//   - displayName eq on groups (alone or in an "and"): found with
//     GET /api/v1/groups?q=<name> (q matches name prefixes and, unlike
//     search, is consistent), compared as SCIM compares displayName;
//     several groups of the name (an APP_GROUP may share an OKTA_GROUP's)
//     or a full q answer fall back to search.
//   - Delta queries (a meta.lastModified gt/ge among the clauses of the
//     top-level "and"; SailPoint's delta aggregation) go to Okta's filter
//     on lastUpdated, which is consistent: search could miss a change made
//     a moment before, and the client would move its marker past it.
//   - Group updates: Okta's PUT replaces the whole profile, so profile
//     attributes the table does not write (custom group attributes) and
//     disabled ones are sent back as read.
//   - Target trouble: each Okta call, with its retries and waits, is
//     bounded (callBudget, 30s), so a 429 whose reset is far off or a hung
//     Okta gives the SCIM client 503 with Retry-After, not a dropped
//     connection; a 2xx answer that is not the JSON the call returns is
//     502.
//   - Paging: limit=200 (Okta's users maximum), the cursor taken from the
//     rel="next" Link header's after parameter; Okta gives no total, so
//     totalResults follows bridge's lower-bound rule.
//   - Custom attributes: string, boolean, integer and decimal, mapped to
//     profile.<name>; they must exist in the org's Profile Editor. A
//     string attribute may be an Okta string array, read and written as
//     "[a;; b]"; since Okta's search matches an array by any element,
//     filters on string attributes are pushed as supersets (eq of
//     "[a;; b]" as profile.x eq "a" and profile.x eq "b") and checked in
//     the gateway.
//   - Extension.Manager.DisplayName ↔ manager is read only: RFC 7643
//     §4.3 makes manager.displayName readOnly, so a client's value is
//     ignored and Okta's manager is shown as it is.
//   - ETags (meta.version, If-Match, If-None-Match): a user's version is a
//     hash of its lastUpdated, status and profile, a group's of its
//     lastUpdated, lastMembershipUpdated and profile (the gateway mixes in
//     the externalId it keeps). lastUpdated has millisecond precision, so
//     the profile and status make two changes within one millisecond give
//     two versions. Not covered: a user's group memberships (Okta records
//     them on the group; groups are returned only on request) and the
//     display names of a group's members. If-Match is checked against a
//     read made just before the write (Okta has no conditional writes).
//   - Reading: objects are decoded without the fields no rule or check
//     reads (_links, credentials, type, the other timestamps), which are
//     half of a user's JSON; see readFields.
package okta
