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
//
// Every read of a target resource needs its externalId, which would cost
// a store transaction per GET. When the store is exclusive to this
// process (store.Exclusive), Get therefore answers from a cache of what
// it read, absent externalIds included, and Put empties the cache entry
// after its write (see extCache).
type StoreExternalIDs struct {
	Store    store.Store
	Instance string

	cacheOnce sync.Once
	cache     *extCache // nil: the store is shared, nothing is cached
}

func rowType(typ string) string { return "externalId:" + typ }

func (x *StoreExternalIDs) cached() *extCache {
	x.cacheOnce.Do(func() {
		if ex, ok := x.Store.(store.Exclusive); ok && ex.Exclusive() {
			x.cache = &extCache{m: map[extKey]string{}}
		}
	})
	return x.cache
}

// Get implements ExternalIDs.
func (x *StoreExternalIDs) Get(ctx context.Context, typ string, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	c := x.cached()
	missing, gen := c.lookup(typ, ids, out)
	if len(missing) == 0 {
		return out, nil
	}
	read := make(map[string]string, len(missing))
	err := x.Store.View(ctx, func(tx store.Tx) error {
		for _, id := range missing {
			r, err := tx.GetResource(ctx, x.Instance, rowType(typ), id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			read[id] = r.ExternalID
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("externalId lookup: %w", err)
	}
	c.fill(typ, missing, read, gen)
	for id, e := range read {
		out[id] = e
	}
	return out, nil
}

// maxCachedExternalIDs bounds the cache; past it the cache starts over.
const maxCachedExternalIDs = 200_000

// extCache holds (type, id) → externalId ("" for none) as read from an
// exclusive store. Coherence as in the local connector's read cache: a
// reader takes the generation before it reads the store and may fill in
// what it read only if no write finished since; a writer drops the entry
// and bumps the generation after its transaction. A nil *extCache caches
// nothing.
type extCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[extKey]string
}

// extKey is a resource type and a target id.
type extKey struct{ typ, id string }

// lookup copies the cached externalIds of ids into out and returns the ids
// not cached, with the generation to fill them in at.
func (c *extCache) lookup(typ string, ids []string, out map[string]string) ([]string, uint64) {
	if c == nil {
		return ids, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var missing []string
	for _, id := range ids {
		e, ok := c.m[extKey{typ, id}]
		switch {
		case !ok:
			missing = append(missing, id)
		case e != "":
			out[id] = e
		}
	}
	return missing, c.gen
}

// fill caches what a reader read for ids (absent ones as ""), unless a
// write finished since the reader's lookup.
func (c *extCache) fill(typ string, ids []string, read map[string]string, gen uint64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.m)+len(ids) > maxCachedExternalIDs {
		c.m = map[extKey]string{}
	}
	for _, id := range ids {
		c.m[extKey{typ, id}] = read[id]
	}
}

// wrote drops the entry of a written id.
func (c *extCache) wrote(typ, id string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.m, extKey{typ, id})
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
	// After the write, failed or not (a failed commit may still have
	// applied), the cached entry goes.
	defer x.cached().wrote(typ, id)
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
			return tx.DeleteResource(ctx, x.Instance, rowType(typ), id, 0)
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
