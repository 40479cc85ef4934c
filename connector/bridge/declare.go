package bridge

import (
	"context"
	"encoding/json"
	"io"
	"strings"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/mapping"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// Op is an operation a resource type of a target supports.
type Op uint16

// Operations, combined as a set with |.
const (
	OpCreate Op = 1 << iota
	OpGet
	OpList
	OpReplace
	OpPatch
	OpDelete
	// OpMembers means group membership changes through the target's
	// membership calls (MemberManager).
	OpMembers
)

// OpAll is every operation.
const OpAll = OpCreate | OpGet | OpList | OpReplace | OpPatch | OpDelete | OpMembers

// Has reports whether all operations of o are in s.
func (s Op) Has(o Op) bool { return s&o == o }

// String lists the operations, for messages: "create, get".
func (s Op) String() string {
	names := []string{"create", "get", "list", "replace", "patch", "delete", "membership changes"}
	var out []string
	for i, n := range names {
		if s&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return strings.Join(out, ", ")
}

// Paging is how a target pages its lists.
type Paging int

// Paging styles.
const (
	// PagingNone: the target returns everything in one answer.
	PagingNone Paging = iota
	// PagingOffset: the target takes an offset (or page number) and a limit.
	PagingOffset
	// PagingCursor: the target hands out an opaque cursor for the next page
	// (Okta's Link rel="next").
	PagingCursor
)

// String names the style.
func (p Paging) String() string {
	return [...]string{"none", "offset", "cursor"}[p]
}

// Resource declares one resource type a connector serves.
type Resource struct {
	// Type is the SCIM resource type (schema.UserResourceType(), a clone
	// with connector-specific changes, or a custom type such as Roles).
	Type *schema.ResourceType
	// Table maps the resource type to the target's JSON, one rule per line
	// of the seed's mapping table. An "externalId" rule means the target
	// stores externalId; without one the gateway keeps it (ExternalIDs).
	Table mapping.Table
	// Ops are the operations the target supports; the others answer 501.
	Ops Op
	// Paging is how the target pages; MaxPageSize its largest page (0: no cap).
	Paging      Paging
	MaxPageSize int
	// TotalCount is true when the target reports the number of matches.
	// Without it totalResults is an estimate until the last page (see the
	// package documentation).
	TotalCount bool
	// Filters lists, for documentation and discovery, the filters the
	// connector pushes down to the target (`userName eq`, `displayName sw`);
	// the connector's Pusher implements them.
	Filters []string
	// Mandatory are SCIM paths a create or update must assign, checked
	// before any target call (400 invalidValue naming the missing ones).
	Mandatory []string
	// Members is the multi-valued attribute changed through membership
	// calls ("members" for groups), with OpMembers; "" for none.
	Members string
	// MemberBatch is the most member ids one MemberManager call takes
	// (1 for targets with one call per member; 0 means 100).
	MemberBatch int
	// MemberConcurrency is how many membership calls run at once (default 4).
	MemberConcurrency int
	// Custom is true when the instance's custom attributes apply to this
	// resource type (they live in the Enterprise User extension).
	Custom bool
	// SoftDelete is true when the target's first DELETE only deactivates
	// the resource, which stays readable until a second DELETE (Okta users,
	// Coupa users). The conformance suite then deletes twice.
	SoftDelete bool
	// Removal is how updates write a removed value (mapping.Removal);
	// mapping.RemoveOmit for targets that cannot clear a field, which the
	// adapter then logs when a PUT omits an attribute.
	Removal mapping.Removal
	// MaxScan bounds how many target objects a list evaluated in the
	// gateway may read (0 means 10,000); beyond it the request fails with
	// 400 tooMany rather than answering from a partial read.
	MaxScan int
}

// Targets is an opened connector: one Target per declared resource type,
// keyed by the resource type's Name ("User", "Group").
type Targets struct {
	ByType map[string]Target
	// Closer releases the connection; may be nil.
	Closer io.Closer
	// Check, when set, makes one cheap authenticated call to the target
	// and returns its error: the admin API's connection test.
	Check func(ctx context.Context) error
}

// Connector is a connector type declared to the framework. Type turns it
// into the connector.Type the registry lists.
type Connector struct {
	// Name is the registry key ("okta"); Version starts at "1.0".
	Name        string
	Version     string
	Description string
	// Params are the configuration parameters (the seed's list).
	Params []connector.Param
	// Resources are the resource types, Users first.
	Resources []Resource
	// CustomTypes are the custom attribute types the connector accepts
	// (mapping.TypeString...); nil when it accepts none.
	CustomTypes []string
	// CustomTarget is the target field prefix (or "{name}" template) of
	// custom attributes, as mapping.CustomRules takes it ("profile.").
	CustomTarget string
	// ChangePassword is advertised in /ServiceProviderConfig.
	ChangePassword bool
	// Connect validates params and opens the target. custom holds the
	// instance's parsed custom attributes, so the connector can declare
	// them to the target if it must.
	Connect func(ctx context.Context, env connector.Env, params json.RawMessage, custom []mapping.CustomAttribute) (*Targets, error)
}

// Type returns the registry entry of the connector.
func (c *Connector) Type() connector.Type {
	return connector.Type{
		Name:        c.Name,
		Version:     c.Version,
		Description: c.Description,
		Params:      c.Params,
		Open: func(ctx context.Context, env connector.Env, params json.RawMessage) (connector.Instance, error) {
			return Open(ctx, c, env, params)
		},
	}
}
