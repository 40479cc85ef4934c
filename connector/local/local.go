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
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

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
	// The store keeps a group's name unique, so a create retried after a
	// lost answer gets 409 instead of making a second group.
	d.groupType.Schema.Attr("displayName").Uniqueness = schema.Server
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
// changed (whether it committed or not) and caches what it created and
// what fn wrote through (ws.created, ws.through). Without a cache, fn's
// notes in ws are dropped.
func (d *directory) update(ctx context.Context, fn func(tx store.Tx, ws *writeSet) error) error {
	if d.cache == nil {
		return d.store.Update(ctx, func(tx store.Tx) error { return fn(tx, &writeSet{}) })
	}
	var ws writeSet
	var first uint64
	committed := false
	// Deferred, so that a panicking fn still drops what it may have
	// changed and clears its pending marks.
	defer func() { d.cache.wrote(&ws, first, committed) }()
	err := d.store.Update(ctx, func(tx store.Tx) error {
		// A retried fn starts over; the marks of the attempts before
		// it are cleared when the write finishes.
		ws = writeSet{seq: d.cache.beginWrite(), earlier: append(ws.earlier, ws.ids...)}
		if first == 0 {
			first = ws.seq
		}
		err := fn(recordingTx{Tx: tx, ws: &ws}, &ws)
		d.cache.changing(ws.seq, ws.ids)
		return err
	})
	committed = err == nil
	return err
}

// offsets returns the remembered page positions of a kind, or nil (which
// remembers nothing) unless the store is exclusive: positions remembered
// here go stale on a create or delete made through another process (a
// replica sharing the store), and on a shared store a create may commit
// after one with a higher sequence number, so creates do not only append.
func (d *directory) offsets(k kind) *offsets {
	if d.cache == nil {
		return nil
	}
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

// newID returns a UUID of RFC 9562 version 7: a millisecond timestamp,
// then 74 random bits. Ids made close in time sort close together, so the
// store's id index takes new resources at its end instead of at a random
// page each: a batch of creates dirties (and commits) a few index pages,
// not one per resource. The creation time an id reveals is the resource's
// meta.created anyway.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[6:])
	ms := uint64(time.Now().UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}
