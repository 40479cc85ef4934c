package provider

import (
	"context"
	"time"

	"github.com/scimconnect/scimconnect/scim/filter"
	"github.com/scimconnect/scimconnect/scim/patch"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// Backend serves one resource type for the provider. The provider has
// already authenticated the caller, parsed and validated the request
// against the resource type's schema; the backend stores or translates it.
//
// Errors: a *scim.Error is sent as it is; any other error becomes a 500
// whose details are logged, not sent. Every method must leave nothing
// half-written when it fails.
type Backend interface {
	// Get returns the resource with the given id, or a 404 *scim.Error.
	// want says which attributes the response needs, so a backend can skip
	// expensive computed ones (Group members, User groups); nil means all
	// default attributes. The provider never modifies the resource, so
	// a backend may hand out attributes it keeps (a read cache's).
	Get(ctx context.Context, id string, want *schema.Projection) (*Resource, error)
	// List answers a query (RFC 7644 §3.4.2).
	List(ctx context.Context, q *ListQuery) (*ListResult, error)
	// Create stores a new resource from validated attributes (no id, meta).
	// A duplicate of a unique attribute is a 409 uniqueness error.
	Create(ctx context.Context, attrs map[string]any) (*Resource, error)
	// Replace replaces every attribute of the resource (RFC 7644 §3.5.1).
	Replace(ctx context.Context, id string, attrs map[string]any, cond Precondition) (*Resource, error)
	// Patch applies operations atomically (RFC 7644 §3.5.2).
	Patch(ctx context.Context, id string, ops []patch.Operation, cond Precondition, want *schema.Projection) (*Resource, error)
	// Delete removes the resource; a missing one is a 404 error.
	Delete(ctx context.Context, id string, cond Precondition) error
}

// Resource is a resource as a backend returns it.
type Resource struct {
	ID string
	// Attrs holds the canonical attributes, including externalId but not
	// id, meta or schemas, which the provider renders.
	Attrs    map[string]any
	Created  time.Time
	Modified time.Time
	// Version is the opaque version; the provider renders it as the weak
	// ETag W/"<Version>" in meta.version and the ETag header.
	Version string
}

// Precondition carries the request's If-Match and If-None-Match headers
// (RFC 7644 §3.14, RFC 9110 §13.1) for a write.
type Precondition struct {
	IfMatch     string // "" when absent; "*" or a list of entity tags
	IfNoneMatch string // "" when absent; "*" or a list of entity tags
}

// Empty reports whether the request states no precondition, so that a
// backend may skip reading the current version.
func (c Precondition) Empty() bool { return c.IfMatch == "" && c.IfNoneMatch == "" }

// ListQuery is a parsed list or search request.
type ListQuery struct {
	Filter     filter.Expr // nil lists everything
	SortBy     string      // "" for the backend's natural order
	Descending bool
	// StartIndex is the 1-based index of the first result (index paging).
	StartIndex int
	// Count is the page size, already limited to the provider's maximum;
	// 0 asks only for totalResults.
	Count int
	// Cursor is true for cursor paging (RFC 9865); Position is then the
	// backend position taken from the client's cursor ("" = first page).
	Cursor   bool
	Position string
	// Projection says which attributes the response needs.
	Projection *schema.Projection
}

// ListResult is one page of results.
type ListResult struct {
	Resources []*Resource
	// TotalResults is the number of matches over all pages; -1 if unknown
	// (only allowed with cursor paging). A backend whose target cannot
	// count may answer an estimate while results may follow the page (one
	// past its end; connector/bridge), but must be exact on an empty page
	// past the end: root searches skip a type by it.
	TotalResults int
	// NextPosition and PrevPosition are backend positions the provider wraps
	// in signed cursors; "" when there is no such page.
	NextPosition string
	PrevPosition string
}

// ResourceType pairs a resource type's schema with the backend serving it.
type ResourceType struct {
	Type    *schema.ResourceType
	Backend Backend

	versioned bool // Backend is ContentVersioned
}
