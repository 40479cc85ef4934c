// Package local is the built-in connector: a complete SCIM directory of
// users and groups kept in the gateway's store. It needs no target, backs
// the demo, and is the reference the other connectors are compared with.
//
// Users and groups are stored as JSON documents with indexed keys
// (userName, externalId, displayName, emails) so that `eq` filters on
// those attributes are index lookups. Group membership is kept in its own
// table: adding or removing members costs the same whatever the group's
// size, deleting a resource removes its memberships, and User.groups is
// computed from memberships. Every write is one store transaction.
package local

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/scim/schema"
	"github.com/scimconnect/scimconnect/store"
)

// Type is the local connector type.
var Type = connector.Type{
	Name:        "local",
	Version:     "1.0",
	Description: "Built-in SCIM directory: users and groups kept in scimconnect's own store.",
	Open:        open,
}

// Config holds the local connector's parameters (it has none yet).
type Config struct{}

func open(ctx context.Context, env connector.Env, params json.RawMessage) (connector.Instance, error) {
	if len(params) > 0 && string(params) != "null" {
		var m map[string]any
		if err := json.Unmarshal(params, &m); err != nil {
			return nil, fmt.Errorf("local: parameters: %w", err)
		}
		for k := range m {
			return nil, fmt.Errorf("local: unknown parameter %q: the local connector takes no parameters", k)
		}
	}
	if env.Store == nil {
		return nil, fmt.Errorf("local: no store")
	}
	if env.CustomAttributes != "" || len(env.DisabledAttributes) > 0 {
		return nil, fmt.Errorf("local: custom and disabled attributes are not supported by the local directory")
	}
	d := &directory{store: env.Store, instance: env.Instance, cache: newReadCache(env.Store)}
	d.userType = schema.UserResourceType()
	d.groupType = schema.GroupResourceType()
	return d, nil
}

// directory is one instance of the local connector.
type directory struct {
	store     storeT
	instance  string
	userType  *schema.ResourceType
	groupType *schema.ResourceType

	userOffsets, groupOffsets offsets

	// cache is nil unless the store is exclusive to this process.
	cache *readCache
}

// update runs a write transaction, then drops from the read cache what it
// changed (whether it committed or not) and caches what it created.
func (d *directory) update(ctx context.Context, fn func(store.Tx) error) error {
	if d.cache == nil {
		return d.store.Update(ctx, fn)
	}
	var ws writeSet
	err := d.store.Update(ctx, func(tx store.Tx) error {
		ws = writeSet{} // a retried fn starts over
		return fn(recordingTx{Tx: tx, ws: &ws})
	})
	var fresh []*cached
	if err == nil {
		fresh = d.freshEntries(ws.created)
	}
	d.cache.wrote(ws.ids, ws.keys, fresh)
	return err
}

// freshEntries decodes created resources for the read cache. A new user
// belongs to no group yet, so its computed attribute is known (empty).
func (d *directory) freshEntries(created []*store.Resource) []*cached {
	var out []*cached
	for _, r := range created {
		attrs, _, err := decode(r)
		if err != nil {
			continue
		}
		computed := "members"
		if r.Type == d.userType.Name {
			computed = "groups"
		}
		v := newCached(r, attrs, computed)
		v.hasComputed = r.Type == d.userType.Name
		out = append(out, v)
	}
	return out
}

func (d *directory) offsets(k kind) *offsets {
	if k == kindUser {
		return &d.userOffsets
	}
	return &d.groupOffsets
}

var _ connector.Instance = (*directory)(nil)

func (d *directory) ResourceTypes() []provider.ResourceType {
	return []provider.ResourceType{
		{Type: d.userType, Backend: &backend{d: d, typ: d.userType, kind: kindUser}},
		{Type: d.groupType, Backend: &backend{d: d, typ: d.groupType, kind: kindGroup}},
	}
}

func (d *directory) Features() provider.Features { return provider.AllFeatures }

func (d *directory) Close() error { return nil }

// newID returns a random UUID (RFC 9562 version 4).
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
