package bridge

import (
	"context"

	"github.com/scimconnect/scimconnect/connector/mapping"
	"github.com/scimconnect/scimconnect/scim/filter"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// Target is the one method every resource type of a connector implements:
// read one object of the target by its id. The other operations are
// optional interfaces (Creator, Updater, Replacer, Deleter, Lister,
// Pusher, Expander, MemberManager) found by type assertion; the declared
// Ops must be backed by them, which Open checks.
//
// Objects are the target's JSON as decoded by encoding/json. Errors: a
// missing object is a 404 *scim.Error (httpx translates the target's 404);
// any error that unwraps to a *scim.Error is sent as that error.
type Target interface {
	Get(ctx context.Context, id string) (map[string]any, error)
}

// Write is what a create or an update hands to the target.
type Write struct {
	// Target is the target form: the whole object (Create, Replace) or
	// only the changed fields, removed ones as Resource.Removal says
	// (Update).
	Target map[string]any
	// Before is the SCIM resource before the change (updates only) and
	// After the SCIM resource the client wants, for connectors whose
	// target needs more than field updates (Okta lifecycle calls for
	// active, login following email).
	Before, After map[string]any
	// Current is the target object read before an update.
	Current map[string]any
}

// Creator creates an object and returns it as the target stored it.
type Creator interface {
	Create(ctx context.Context, w *Write) (map[string]any, error)
}

// Updater applies a partial update (w.Target holds only changed fields)
// and returns the updated object. It is called even when w.Target is
// empty, since the change may be one the target makes with another call.
type Updater interface {
	Update(ctx context.Context, id string, w *Write) (map[string]any, error)
}

// Replacer replaces a whole object, for targets without partial updates.
type Replacer interface {
	Replace(ctx context.Context, id string, w *Write) (map[string]any, error)
}

// Deleter deletes an object; a missing one is a 404 error.
type Deleter interface {
	Delete(ctx context.Context, id string) error
}

// Query is one list call to the target.
type Query struct {
	// Search is the native query from Pusher.Push, "" for everything.
	Search string
	// Limit is the page size wanted (at most Resource.MaxPageSize).
	Limit int
	// Cursor is the target cursor of the page (PagingCursor), "" for the
	// first page; Offset the 0-based offset (PagingOffset).
	Cursor string
	Offset int
}

// Page is one page of target objects.
type Page struct {
	Objects []map[string]any
	// Next is the cursor of the next page (PagingCursor), "" at the end.
	// Offset targets set More instead.
	Next string
	More bool
	// Total is the number of matches when the target reports it, else -1.
	Total int
}

// Lister lists objects a page at a time.
type Lister interface {
	List(ctx context.Context, q *Query) (*Page, error)
}

// Pusher translates a SCIM filter into the target's query language.
// Push returns the native query and whether the target answers f exactly
// (same matches as RFC 7644 §3.4.2.2 evaluation, case sensitivity
// included). With exact false the target's answer must be a superset,
// which the gateway filters; native "" means the target cannot narrow the
// list at all. Values must be escaped so that no value can change the
// structure of the native query. m is the instance's compiled mapping
// (custom and disabled attributes applied), for TargetOf.
type Pusher interface {
	Push(f filter.Expr, m *mapping.Mapping) (native string, exact bool)
}

// KeyReader reads an object by a key attribute with a call the target
// answers consistently, where its list or search may lag behind its
// writes. Okta's user search is eventually consistent: a client that
// creates a user and at once looks it up with `userName eq` (Entra and
// Okta do before every create, to avoid duplicates) could miss it, while
// reading the user by its login cannot. A filter that is, or has among the
// clauses of its top-level "and", `<KeyAttr> eq "value"` is answered from
// the object ReadKey returns: the gateway evaluates the whole filter on
// it and pages in memory, so the object only has to be a candidate.
type KeyReader interface {
	// KeyAttr is the attribute of the resource type's core schema read
	// by ("userName"), as the filter names it.
	KeyAttr() string
	// ReadKey returns the object whose key may be value, nil when the
	// target has none. ok false means the target cannot tell for this
	// value (it cannot be read by key, or the key read found another
	// object): the list is then searched as without a KeyReader.
	ReadKey(ctx context.Context, value string) (obj map[string]any, ok bool, err error)
}

// Expander adds computed data to a target object before it is mapped,
// only when the response needs it (Okta: a user's groups, a group's
// members), since it costs extra target calls.
type Expander interface {
	Expand(ctx context.Context, obj map[string]any, want *schema.Projection) error
}

// Versioner derives the version of a target object: an opaque string
// that changes whenever what the object maps to changes, such as a
// last-modified timestamp (Okta: lastUpdated). With it the bridge serves
// ETags for the resource type (RFC 7644 §3.14): meta.version and the ETag
// header, If-None-Match and If-Match on GET (by the provider), If-Match on
// PUT, PATCH and DELETE, checked against the object read before the
// write. The bridge mixes the gateway-kept externalId into the version.
// "" means the object has no version.
type Versioner interface {
	Version(obj map[string]any) string
}

// MemberManager changes group membership through the target's membership
// calls. Adding a present member or removing an absent one must succeed.
type MemberManager interface {
	AddMembers(ctx context.Context, groupID string, memberIDs []string) error
	RemoveMembers(ctx context.Context, groupID string, memberIDs []string) error
	// MemberIDs lists the ids of the group's members.
	MemberIDs(ctx context.Context, groupID string) ([]string, error)
}
