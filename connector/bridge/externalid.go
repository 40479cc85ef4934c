package bridge

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/scimconnect/scimconnect/store"
)

// ExternalIDs keeps the externalId of resources whose target has no field
// for it: (resource type, target id) → externalId, per instance. Microsoft
// Entra matches users with filter=externalId eq "...", so the gateway must
// answer that filter from here.
type ExternalIDs interface {
	// Get returns the externalIds of the given target ids; ids without one
	// are absent from the map.
	Get(ctx context.Context, typ string, ids []string) (map[string]string, error)
	// Find returns the target ids whose externalId is exactly ext.
	Find(ctx context.Context, typ, ext string) ([]string, error)
	// Put sets (ext non-empty) or removes (ext "") the externalId of id.
	Put(ctx context.Context, typ, id, ext string) error
}

// MemoryExternalIDs is an in-memory ExternalIDs, for tests and instances
// opened without a store.
type MemoryExternalIDs struct {
	mu sync.Mutex
	m  map[string]string // typ + "\x00" + id → ext
}

// NewMemoryExternalIDs returns an empty in-memory ExternalIDs.
func NewMemoryExternalIDs() *MemoryExternalIDs {
	return &MemoryExternalIDs{m: map[string]string{}}
}

// Get implements ExternalIDs.
func (x *MemoryExternalIDs) Get(_ context.Context, typ string, ids []string) (map[string]string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := map[string]string{}
	for _, id := range ids {
		if e, ok := x.m[typ+"\x00"+id]; ok {
			out[id] = e
		}
	}
	return out, nil
}

// Find implements ExternalIDs.
func (x *MemoryExternalIDs) Find(_ context.Context, typ, ext string) ([]string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []string
	for k, e := range x.m {
		if e == ext && len(k) > len(typ) && k[:len(typ)+1] == typ+"\x00" {
			out = append(out, k[len(typ)+1:])
		}
	}
	return out, nil
}

// Put implements ExternalIDs.
func (x *MemoryExternalIDs) Put(_ context.Context, typ, id, ext string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if ext == "" {
		delete(x.m, typ+"\x00"+id)
	} else {
		x.m[typ+"\x00"+id] = ext
	}
	return nil
}

// StoreExternalIDs keeps externalIds in the gateway's store. Until the
// store has a dedicated table it uses the resource rows of the instance
// under the type "externalId:<resource type>" (id = target id, indexed
// ExternalID = externalId), which the store already indexes exactly and
// deletes with the instance; the local directory never lists that type.
type StoreExternalIDs struct {
	Store    store.Store
	Instance string
}

func rowType(typ string) string { return "externalId:" + typ }

// Get implements ExternalIDs.
func (x *StoreExternalIDs) Get(ctx context.Context, typ string, ids []string) (map[string]string, error) {
	out := map[string]string{}
	err := x.Store.View(ctx, func(tx store.Tx) error {
		for _, id := range ids {
			r, err := tx.GetResource(ctx, x.Instance, rowType(typ), id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			out[id] = r.ExternalID
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("externalId lookup: %w", err)
	}
	return out, nil
}

// Find implements ExternalIDs.
func (x *StoreExternalIDs) Find(ctx context.Context, typ, ext string) ([]string, error) {
	var out []string
	err := x.Store.View(ctx, func(tx store.Tx) error {
		rs, err := tx.FindResources(ctx, x.Instance, rowType(typ), store.KeyExternalID, ext)
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("externalId search: %w", err)
	}
	return out, nil
}

// Put implements ExternalIDs.
func (x *StoreExternalIDs) Put(ctx context.Context, typ, id, ext string) error {
	err := x.Store.Update(ctx, func(tx store.Tx) error {
		cur, err := tx.GetResource(ctx, x.Instance, rowType(typ), id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if ext == "" {
				return nil
			}
			now := time.Now().UTC()
			return tx.CreateResource(ctx, &store.Resource{Instance: x.Instance, Type: rowType(typ), ID: id, ExternalID: ext, Data: []byte("{}"), Created: now, Modified: now})
		case err != nil:
			return err
		case ext == "":
			return tx.DeleteResource(ctx, x.Instance, rowType(typ), id)
		}
		cur.ExternalID = ext
		cur.Modified = time.Now().UTC()
		return tx.PutResource(ctx, cur, 0)
	})
	if err != nil {
		return fmt.Errorf("externalId update: %w", err)
	}
	return nil
}
