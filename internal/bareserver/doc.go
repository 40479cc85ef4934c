// Package bareserver is a minimal in-memory SCIM 2.0 service provider built
// on net/http and encoding/json, used as the yardstick for scimconnect's
// performance: it answers the requests cmd/scimbench sends from Go maps
// under one mutex, the upper bound for a Go HTTP service on a given machine.
//
// It is deliberately not a product. It serves, at the root of its handler:
//
//	POST   /Users                 create (201 + Location, 409 on a duplicate userName)
//	GET    /Users/{id}            read
//	GET    /Users?filter=userName eq "x"   index lookup (RFC 7644 §3.4.2.2), the only filter
//	GET    /Users?startIndex=&count=       index pagination in insertion order (RFC 7644 §3.4.2.4)
//	PATCH  /Users/{id}            add/replace/remove of top-level attributes (RFC 7644 §3.5.2)
//	DELETE /Users/{id}            204
//	POST   /Groups, GET /Groups/{id}, DELETE /Groups/{id}
//	PATCH  /Groups/{id}           add/remove/replace of members, by "members" with a
//	                              value array or by members[value eq "x"]
//	GET    /ServiceProviderConfig advertises index pagination only (no RFC 9865 cursors)
//
// Every route requires "Authorization: Bearer <token>". Responses that carry
// a Group honour excludedAttributes=members (RFC 7644 §3.4.2.5, §3.5.2), so a
// member PATCH need not echo a large group. Resources are published
// copy-on-write: a writer replaces a resource under the lock, and readers
// encode the snapshot they took without holding it.
//
// Not done, on purpose: schema validation, other filters, sorting, ETags,
// member reference checks, removing a deleted User from its Groups.
package bareserver
