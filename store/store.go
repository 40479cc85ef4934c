// Package store defines the persistence contract of scimconnect: connector
// instances, settings, and the resources of the built-in local directory.
//
// Backends (store/sqlite now, PostgreSQL next) implement Store and must pass
// the shared conformance suite in store/storetest. Callers depend only on
// this package, never on a backend.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors returned by every backend; compare with errors.Is.
var (
	// ErrNotFound means the named record does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a write would break a uniqueness rule (an
	// instance name, a resource id, a User's userName or a Group's
	// displayName within an instance).
	ErrConflict = errors.New("store: conflict")
	// ErrVersionMismatch means a conditional write found another version.
	ErrVersionMismatch = errors.New("store: version mismatch")
	// ErrReadOnly means a write was attempted through a View transaction.
	ErrReadOnly = errors.New("store: read-only transaction")
	// ErrContention means a write kept conflicting with concurrent writes
	// and was given up; nothing was written and the caller may retry.
	ErrContention = errors.New("store: too much write contention, nothing was written")
	// ErrValueRejected means the backend cannot store or look up a value
	// it was given (PostgreSQL: text holding a NUL character, a key too
	// long for its index). It is the caller's input, not a fault of the
	// store; a write that met it wrote nothing.
	ErrValueRejected = errors.New("store: the store cannot hold a value")
)

// Store is a backend. It is safe for concurrent use.
type Store interface {
	// View runs fn with a read-only transaction: fn sees one consistent
	// snapshot. Writes through the Tx fail.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a read-write transaction that commits if fn
	// returns nil and rolls back otherwise. A committed Update survives a
	// crash of the process. fn may run more than once (a backend retries
	// a transaction that lost a race, or that shared a group commit with
	// a failing one): it must not keep effects outside the Tx across runs.
	Update(ctx context.Context, fn func(Tx) error) error
	// Ping checks that the backend answers.
	Ping(ctx context.Context) error
	Close() error
}

// Exclusive is implemented by backends that can guarantee no other process
// writes their data (an embedded database holding a lock file). Callers may
// then cache reads, provided they drop the cache on every write they make.
type Exclusive interface {
	Exclusive() bool
}

// Instance is a registered connector instance.
type Instance struct {
	Name      string
	Type      string // connector type, e.g. "local"
	Version   string // connector version the instance was created with
	Config    []byte // connector parameters as JSON
	TokenHash []byte // SHA-256 of the instance's SCIM bearer token
	Created   time.Time
	Modified  time.Time
}

// Resource is one SCIM resource of the local directory.
//
// Data is the resource's JSON without id, meta, and the computed or
// separately stored attributes (User groups, Group members). The key fields
// are indexes the backend maintains from what the caller sets.
type Resource struct {
	Instance string
	Type     string // "User" or "Group"
	ID       string
	Seq      int64 // assigned by the backend at insert; lists are ordered by it
	Version  int64 // 1 at insert, +1 on every Put
	Created  time.Time
	Modified time.Time
	Data     []byte

	// UserName is unique per (Instance, Type) case-insensitively when not
	// empty; the caller passes it as the client wrote it.
	UserName   string
	ExternalID string // exact match
	// DisplayName is matched case-insensitively. A Group's is unique per
	// Instance case-insensitively when not empty, checked when it is set
	// or changed: groups that shared a name before a backend enforced
	// this keep it until it changes.
	DisplayName string
	Emails      []string // case-insensitive match on any of them
}

// Key selects resources by an indexed attribute.
type Key int

// Indexed keys.
const (
	KeyUserName    Key = iota + 1 // case-insensitive
	KeyExternalID                 // exact
	KeyDisplayName                // case-insensitive
	KeyEmail                      // case-insensitive, any of Resource.Emails
)

// Member is one member of a group.
type Member struct {
	ID      string
	Type    string // "User" or "Group"
	Display string // filled by Members from the member's DisplayName (or UserName); ignored on write
}

// GroupRef is a group a resource belongs to.
type GroupRef struct {
	ID      string
	Display string
}

// Tx is a transaction. Methods take the instance so one store serves many
// local directories. fn passed to View or Update must not call View or
// Update on the same store (a backend may serialize writers), and must not
// keep the Tx after it returns. After a write fails with ErrConflict the
// transaction is still usable only if fn returns that error: portable
// callers return it.
type Tx interface {
	// Instances.
	GetInstance(ctx context.Context, name string) (*Instance, error) // ErrNotFound
	ListInstances(ctx context.Context) ([]*Instance, error)          // ordered by name
	CreateInstance(ctx context.Context, in *Instance) error          // ErrConflict if the name exists
	UpdateInstance(ctx context.Context, in *Instance) error          // ErrNotFound
	DeleteInstance(ctx context.Context, name string) error           // ErrNotFound; also deletes its resources
	GetSetting(ctx context.Context, key string) ([]byte, error)      // ErrNotFound
	PutSetting(ctx context.Context, key string, value []byte) error  // insert or overwrite

	// Resources.
	GetResource(ctx context.Context, instance, typ, id string) (*Resource, error) // ErrNotFound
	// FindResources returns the resources whose key equals value, ordered by Seq.
	FindResources(ctx context.Context, instance, typ string, key Key, value string) ([]*Resource, error)
	// ListResources returns up to limit resources with Seq > afterSeq, ordered by Seq.
	ListResources(ctx context.Context, instance, typ string, afterSeq int64, limit int) ([]*Resource, error)
	// CountResources counts the resources of a type.
	CountResources(ctx context.Context, instance, typ string) (int, error)
	// CreateResource inserts r, setting Seq, Version=1; Created and Modified
	// are kept as given. ErrConflict on a duplicate id, userName or
	// Group displayName.
	CreateResource(ctx context.Context, r *Resource) error
	// PutResource replaces an existing resource, incrementing Version (set in r).
	// If ifVersion > 0 and the stored version differs, ErrVersionMismatch.
	// ErrNotFound if missing; ErrConflict on a duplicate userName or
	// Group displayName.
	PutResource(ctx context.Context, r *Resource, ifVersion int64) error
	// ReplaceResource is PutResource(ctx, r, prev.Version) for a caller
	// that holds prev, the stored resource at that version as the store
	// returned or set it (Seq, Created, Version and the key fields), so the
	// backend need not read it again. ErrVersionMismatch if the stored
	// version is not prev.Version; a resource that is gone may also give
	// ErrVersionMismatch instead of ErrNotFound.
	ReplaceResource(ctx context.Context, r, prev *Resource) error
	// DeleteResource deletes a resource and every membership it has, as a
	// group or as a member. If ifVersion > 0 and the stored version
	// differs, ErrVersionMismatch and nothing is deleted. ErrNotFound if
	// missing.
	DeleteResource(ctx context.Context, instance, typ, id string, ifVersion int64) error
	// TouchResources increments the Version and sets Modified of the
	// resources with the given ids that exist (others are skipped): their
	// computed attributes (User.groups, Group.members) changed. Created
	// and Data are kept.
	TouchResources(ctx context.Context, instance string, ids []string, modified time.Time) error

	// Memberships. Adding an existing member or removing a missing one is
	// not an error. Member IDs are not checked here; callers check them,
	// in the same Update, and the check holds until the commit: against a
	// concurrent DeleteResource of the member or the group, either the
	// delete comes first and the check finds it missing, or it comes
	// after and removes the membership.
	AddMembers(ctx context.Context, instance, groupID string, members []Member) error
	RemoveMembers(ctx context.Context, instance, groupID string, memberIDs []string) error
	// RemoveAllMembers empties a group.
	RemoveAllMembers(ctx context.Context, instance, groupID string) error
	// Members lists a group's members ordered by when they were added.
	Members(ctx context.Context, instance, groupID string) ([]Member, error)
	// TypesOf returns the Type of each of the ids that names a resource of
	// the instance; ids that name nothing are absent from the map.
	TypesOf(ctx context.Context, instance string, ids []string) (map[string]string, error)
	// HasMember reports whether memberID is a direct member of groupID.
	HasMember(ctx context.Context, instance, groupID, memberID string) (bool, error)
	// GroupsOf lists the groups a resource is a direct member of, ordered by group Seq.
	GroupsOf(ctx context.Context, instance, memberID string) ([]GroupRef, error)
	// GroupsOfMany is GroupsOf for many resources in one call: the map holds
	// an entry for each member that belongs to at least one group.
	GroupsOfMany(ctx context.Context, instance string, memberIDs []string) (map[string][]GroupRef, error)
}
