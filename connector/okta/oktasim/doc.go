// Package oktasim is a strict, stateful, in-memory simulator of the Okta
// Management API users, groups and group-membership endpoints. The Okta
// connector is developed and tested against it only, so where Okta is
// strict the simulator is at least as strict: a forgiving simulator would
// hide connector bugs.
//
// Facts come from /work/shared/targets/okta/NOTES.md (cited as §n) and the
// official OpenAPI subset okta-users-groups-subset.yaml (cited as "spec").
//
// # Modelled
//
//   - Auth (§1): "Authorization: SSWS <token>" (tokens from WithToken, or a
//     random one, see Token); optionally "Bearer <token>" (WithBearerToken).
//     Anything else is 401 E0000011 "Invalid token provided" (§6). Tokens
//     of an administrator who may only read (WithReadOnlyToken) get 403
//     E0000006 for every write.
//   - Users (§2): POST /api/v1/users (activate default true, nextLogin,
//     provider; credentials.password/recovery_question/provider; groupIds;
//     type.id), GET/POST/PUT/DELETE /api/v1/users/{idOrLogin} (id, login or
//     unambiguous shortname, or "me" for the tokens' user of WithTokenUser;
//     ETag and If-Match), GET /api/v1/users/{id}/groups,
//     and POST /api/v1/users/{id}/lifecycle/{activate,deactivate,reactivate,
//     suspend,unsuspend}.
//   - Lifecycle (§8, spec activateUser...unsuspendUser): create with password
//     gives ACTIVE, without credentials PROVISIONED, activate=false STAGED;
//     activate only from STAGED/DEPROVISIONED (ACTIVE: 403 E0000016, other:
//     403 E0000038); suspend only ACTIVE and unsuspend only SUSPENDED (400
//     E0000001); reactivate only PROVISIONED/RECOVERY; DELETE of a user that
//     is not DEPROVISIONED deactivates it, a second DELETE removes it.
//     Activation (create with activate, lifecycle/activate) is asynchronous
//     (§8, spec activateUser): the first response showing the user (the
//     create response, or the next read) has the old status and
//     transitioningToStatus; it completes right after, or before any other
//     change to the user, dated when it began. Deactivation drops group
//     memberships (§8). Profile updates of
//     DEPROVISIONED users are 403 E0000038 unless WithDeprovisionedProfileEdits.
//   - Profile schema (§3, spec UserProfile): the base attributes plus those
//     declared with WithUserProfileAttributes; undeclared ones are rejected.
//     login, email, firstName, lastName are required; login must be an email
//     address (Okta's default), unique ignoring case and diacritics; login,
//     email and secondEmail are RFC 5322 §3.2.3 dot-atoms (spec: "For
//     validation, see RFC 5322 Section 3.2.3"; no quoted local parts or
//     domain literals), preferredLanguage an RFC 7231 §5.3.5 language range
//     list, countryCode two letters; maxLength limits are enforced. POST
//     merges (null removes), PUT replaces.
//   - Password policy (Okta default): at least 8 characters with a lowercase
//     letter, an uppercase letter, a number and no part of the username.
//     Passwords are never returned: credentials.password is {} when set.
//   - Groups (§2): POST/GET /api/v1/groups, GET/PUT/DELETE
//     /api/v1/groups/{id}, GET /api/v1/groups/{id}/users and PUT/DELETE
//     /api/v1/groups/{id}/users/{userId}. Names of OKTA_GROUPs are unique.
//     The BUILT_IN Everyone group exists from the start, contains every user
//     and appears in /users/{id}/groups; it and APP_GROUPs (seeded with
//     AddGroup) cannot be modified or have members changed (403 E0000006).
//     expand=stats adds _embedded.stats.usersCount.
//   - Paging (§4): bare JSON arrays; "Link" headers with absolute URLs, one
//     link per header line, rel="self" always and rel="next" whenever a page
//     is full (so the last page may be empty). Plain listings and filter use
//     the last id as cursor, search an opaque base64 cursor; cursors that are
//     neither are 400 E0000001. Limits: users default and max 200 (values
//     above are clamped), q default 10 (users) or 300 (groups) without paging,
//     groups default and max 10000, group members default 1000, max 10000.
//   - search and filter (§5, spec listUsers/listGroups): eq, sw, co, gt, ge,
//     lt, le, pr (not in groups' search, which the spec gives only eq, sw and
//     co, plus the date orderings of its examples), and, or, parentheses. Operators and search values are case
//     insensitive, property names case sensitive; filter values are case
//     sensitive. co only on the attributes the spec names; filter only on its
//     property subset with eq (plus ordering on the dates). ne, not and
//     unknown properties are 400 E0000031. Dates must be Okta's
//     yyyy-MM-dd'T'HH:mm:ss.SSSZZ ("2013-06-01T00:00:00.000Z"), else 400
//     E0000030: RFC 3339 without milliseconds is refused. search and
//     filter include DEPROVISIONED users, plain listings and q omit them.
//     sortBy/sortOrder apply to search. Combining search, filter and q is
//     rejected (E0000031). User and group search are eventually
//     consistent with WithSearchLag (off by default): changes reach them
//     a number of requests later, and until then they answer users and
//     groups as they were.
//   - Errors (§6): the Error shape with errorCode, errorSummary, errorLink,
//     errorId and errorCauses; 400 E0000001/E0000003/E0000021, 401 E0000011,
//     403 E0000006/E0000016/E0000038, 404 E0000007 "Not found: Resource not
//     found: <id> (User|UserGroup)", 405 E0000022, 429 E0000047.
//   - Request strictness: malformed JSON and unknown body properties are 400
//     E0000003 (read-only properties of the returned object are accepted and
//     ignored, so a fetched object can be sent back); JSON bodies need
//     Content-Type application/json and an Accept compatible with JSON, else
//     400 E0000021.
//   - Rate limits (§7): every response carries X-Rate-Limit-Limit,
//     -Remaining, -Reset (epoch seconds) and Date; each bucket (the route
//     template: /api/v1/users, /api/v1/users/{id}, /api/v1/users/{id}/groups,
//     /api/v1/users/{id}/lifecycle, /api/v1/groups, /api/v1/groups/{id},
//     /api/v1/groups/{id}/users, /api/v1/groups/{id}/users/{userId}, default)
//     allows WithRateLimit requests per window (default DefaultRateLimit per
//     minute), then 429 E0000047. More than DefaultConcurrencyLimit (75, the
//     per-org concurrency limit) requests in flight are 429 too; see
//     WithConcurrencyLimit.
//   - Test knobs: FailNext, SetLatency, SetRateLimit, Requests, Unhandled
//     (unknown routes answer 404 E0000007, documented-but-unmodelled lifecycle
//     operations 501; both are recorded), seeding helpers (AddUser, AddGroup,
//     AddMember, SetUserStatus) and snapshots (User, Users, Group, Groups).
//     Run serves the simulator for "scimconnect sim okta".
//
// # Not modelled
//
// lastLogin (always null), sign-in
// and LOCKED_OUT/RECOVERY transitions (seed them
// with SetUserStatus), unlock/expire_password/reset_password/reset_factors
// (501), credentials endpoints (change_password etc., 404), field projection
// (fields=, 501), expand on users, user types other than the default, realms,
// app groups' source links, group rules, OAuth scopes, Prefer: respond-async
// (always synchronous) and E0000093 target-count limits.
package oktasim
