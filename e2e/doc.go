// Package e2e is the black-box end-to-end test of scimconnect.
//
// The tests build the scimconnect binary once, start `scimconnect demo` as a
// real process on a free loopback port with its own data directory, read
// the base URL and bearer token from the state file, and talk to the
// built-in `local` connector (TestEntra also to the `okta` instance) over
// real HTTP, exactly as a provisioning client (Microsoft Entra ID, Okta)
// would. Nothing in the product is imported: a test passes only if the
// gateway speaks the protocol.
//
// Covered, each against the RFC section it relies on:
//   - discovery: /ServiceProviderConfig, /ResourceTypes, /Schemas (RFC 7643 §5–§7, RFC 7644 §4);
//   - authentication: 401 with WWW-Authenticate (RFC 7644 §2, RFC 6750 §3);
//   - User CRUD, uniqueness, validation errors (RFC 7644 §3.3–§3.6, §3.12);
//   - filters, sorting, index paging, projection and POST .search (RFC 7644 §3.4);
//   - cursor paging (RFC 9865);
//   - PATCH in Entra and Okta dialects, errors and atomicity (RFC 7644 §3.5.2);
//   - Microsoft Entra ID's requests (tutorial examples, PATCH with and
//     without aadOptscim062020, reference checks, SCIM Validator manager and
//     null updates) against both demo instances, local and okta;
//   - SailPoint's SCIM 2.0 connector (discovery, startIndex aggregation
//     with and without explicit attributes, delta on meta.lastModified,
//     entitlements through Group members, "add" without a path for
//     enable/disable) against both instances;
//   - Groups, members and the computed User.groups (RFC 7643 §4.1.2, §4.2);
//   - ETags and conditional requests (RFC 7644 §3.14);
//   - Bulk with bulkId references and limits (RFC 7644 §3.7);
//   - robustness against odd input: never a 5xx (RFC 7644 §3.12);
//   - caseExact matching and uniqueness, PUT round trips, paging stability
//     with ties and deletes, concurrent conflicting writes, versions of
//     computed attributes;
//   - schema-driven conformance, as scim2-tester and Microsoft's SCIM
//     Validator do it, against both instances: every attribute and
//     sub-attribute /Schemas advertises is created, read, replaced,
//     patched (with value filter paths), filtered on, projected and sent
//     with a wrong type, each as its advertised type, mutability,
//     returned, required, caseExact, canonicalValues, uniqueness and
//     referenceTypes say;
//   - graceful shutdown on SIGTERM (a request in flight completes) and
//     restart on the same data directory;
//   - replicas: `scimconnect serve` processes sharing one PostgreSQL (when
//     one answers) under mixed load with one killed halfway, and cursors
//     of one replica paged on the others (RFC 9865).
//
// Under `go test -race` the product binary is built with the race detector
// as well; a data race makes it exit non-zero, which the stop check reports.
//
// Each top-level test starts its own demo process, so the tests run in
// parallel without sharing data. Run them with `go test ./e2e/`; with
// SCIMCONNECT_E2E_PORTS=lo-hi the demos listen only on ports of that range.
package e2e
