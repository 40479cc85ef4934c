// Package bridge is the framework of target connectors: a connector
// declares itself (Connector, Resource) and implements a small target-level
// interface (Target plus optional capabilities found by type assertion),
// and bridge turns that into connector.Type, connector.Instance and one
// provider.Backend per resource type, so that every instance is a complete
// SCIM 2.0 service provider.
//
// # Declaration
//
// Connector lists the configuration parameters, the version, the resource
// types, the custom attribute types accepted and Connect. Each Resource
// gives its resource type, mapping table (connector/mapping), operations
// (Ops), paging style, whether the target counts, the filters it pushes
// down, mandatory fields, the membership attribute and batch size, and
// whether DELETE is soft. /ServiceProviderConfig follows from it (patch
// when any type patches; filter and cursor paging when any lists; bulk
// always, served by the provider over the backends; etag when every
// target is a Versioner; sort never),
// /ResourceTypes carries "(connector <name> <version>)" in each
// description, and /Schemas the resource types after custom and disabled
// attributes. Open refuses a declaration whose operations the target does
// not implement. An operation not declared answers 501 naming what the
// target supports.
//
// # Requests
//
//   - Create: mandatory fields (400 invalidValue, before any target call),
//     mapping.ToTarget, Creator.Create, then membership calls for members
//     given in the body, then a re-read. When a membership call fails, the
//     created resource is deleted again (not on a soft-deleting target),
//     so the error means nothing was created and a retry makes no
//     duplicate; if that delete fails too, the error says what exists.
//   - Replace (PUT): read, then the smallest update: Updater gets only the
//     changed fields (mapping.Changes; removed ones as Resource.Removal
//     says, so a PUT that omits an attribute clears it); Replacer gets the
//     whole object. A target that cannot clear (mapping.RemoveOmit) keeps
//     omitted attributes, which is logged at info.
//   - Patch: patch.SplitMembers takes the member operations out; the rest
//     is applied with patch.Apply to the current resource, validated,
//     checked for mandatory fields and sent as for Replace; member changes
//     become MemberManager calls. A PATCH that changes nothing writes
//     nothing to the target.
//   - List: see Filters and Paging below.
//
// # Filters
//
// Pusher.Push translates the filter AST into the target's query and says
// whether the target answers it exactly. Exact answers are paged by the
// target; otherwise the gateway reads the narrowed list (at most
// Resource.MaxScan objects, else 400 tooMany), evaluates the whole filter
// with scim/filter and pages in memory. Filters on attributes the target
// does not return, or that only an Expander computes (Okta's groups), are
// 400 invalidFilter: the connector cannot answer them. A filter holding
// `id eq "x"` (alone or in a top-level "and") is answered from one Get of
// that object, expanded for the attributes the filter names, so that
// Microsoft Entra's reference checks (`id eq "g" and members eq "u"`)
// work on computed attributes too.
//
// A target whose search lags behind its writes but that reads an object
// by a key consistently (Okta: a user by login) implements KeyReader: a
// filter that is `<key> eq "v"`, or has it among the clauses of its
// top-level "and", is answered from that read, the whole filter evaluated
// in the gateway (totalResults 0 or 1), so a client finds what it has
// just created.
//
// # Paging
//
// SCIM cursors (RFC 9865) carry "<offset>.<target cursor>", signed by the
// provider. Index paging over a cursor-paged target starts from the
// nearest remembered target cursor (a per-instance cache of 1,024) and
// reads forward, so paging through everything costs one target page per
// SCIM page. totalResults comes from the target when Resource.TotalCount;
// otherwise it is an estimate: exact on the last page, and on earlier
// pages the number of results up to the page's end plus one, so that
// index-paging clients (Entra: "while startIndex <= totalResults") ask for
// the next page; one too many when the target offered a next page that
// turns out empty. With cursor paging an unknown total is omitted. A
// startIndex past the end gives the exact total: cursor-paged and unpaged
// targets are read to the end; over an offset-paged target that cannot
// count, a binary search with one-object pages finds where the list ends
// (about log2(startIndex) calls).
//
// # ETags
//
// A target that implements Versioner gives each object a version (Okta:
// derived from lastUpdated); the bridge mixes in the gateway-kept
// externalId and returns it as Resource.Version, which the provider
// renders as meta.version and the ETag header and checks for
// If-None-Match and If-Match on GET. PUT, PATCH and DELETE with If-Match
// read the object first and answer 412 before any write when it changed;
// the read and the write are separate target calls, so a change in
// between is not seen. Targets without versions ignore If-Match, and
// /ServiceProviderConfig then says etag is not supported.
//
// # externalId
//
// A table without an externalId rule means the target cannot store it:
// the gateway keeps (resource type, target id) → externalId in an
// ExternalIDs (StoreExternalIDs over the gateway store, MemoryExternalIDs
// without one), returns it in responses and answers `externalId eq`
// (alone or in an "and") from it. DELETE removes it once the resource is
// gone: at once, or for SoftDelete types when the target no longer finds
// the resource after the DELETE (the final one).
//
// # Custom and disabled attributes
//
// connector.Env.CustomAttributes ("name|type;") adds Enterprise User
// extension attributes to the resource types marked Custom and maps each
// to Connector.CustomTarget+name. connector.Env.DisabledAttributes removes
// attributes from /Schemas and every response and from the mapping, and
// requests naming them are accepted with those attributes ignored (logged
// at debug). PATCH: the backend drops operations whose path names a
// disabled attribute and strips disabled attributes from the values of
// the others, Bulk included; a PATCH all of whose operations name
// disabled attributes succeeds (200, the resource unchanged, no target
// write). POST and PUT: the provider validates the body against the
// schema first, so the instance's connector.Wrapper strips them before;
// it decodes only bodies that may name a disabled attribute (one of their
// names, in any case, or a \u escape), so other requests are parsed once.
// It strips the data of Bulk POST and PUT operations the same way, each by
// its operation's endpoint. Keys of a PATCH value that are attribute
// paths ("name.middleName") are matched too.
//
// A disabled path applies to every resource type that defines it and does
// not need it: one a type's schema requires, or that is or holds one of
// its Mandatory fields, stays in that type ("displayName" disables the
// User's, not the Group's, which is required); a path no type can give up
// is a configuration error, as one no type defines.
//
// Attributes and sub-attributes that no rule of a resource type's table
// maps (mapping.Table.Unmapped) are disabled the same way, so /Schemas
// describes what the target stores: Okta keeps the work address's parts
// but not addresses.formatted, an e-mail's value but not its display. The
// type of a multi-valued attribute whose rules keep fixed types offers
// only those (mapping.Table.NarrowTypes: Okta's e-mail, phone number and
// address are "work"). The Resource's Mandatory paths are marked required
// there.
//
// # Memberships
//
// Member changes run in batches of Resource.MemberBatch ids,
// Resource.MemberConcurrency at a time; httpx spaces them by the target's
// rate limits. A failure stops the rest and the error names how many and
// which members were applied.
package bridge
