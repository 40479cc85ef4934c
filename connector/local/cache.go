package local

import (
	"strings"
	"sync"

	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/store"
)

// maxCached bounds the number of cached resources; past it the cache
// starts over (reads refill it).
const maxCached = 200_000

// readCache keeps decoded resources and index lookups of one directory in
// memory, so that reads need no store round trip. It is used only when the
// store is exclusive to this process (store.Exclusive), and every write
// through this directory empties it.
//
// Coherence: a reader takes the generation before it reads the store and
// may insert what it read only if no write finished since; a writer bumps
// the generation and empties the cache after its transaction, under the
// same mutex. So a read that raced with a write can never leave stale data
// behind. A nil *readCache caches nothing.
type readCache struct {
	mu        sync.Mutex
	gen       uint64
	resources map[string]*cached
	lookups   map[string][]string
}

// cached is a resource as stored, decoded. attrs is shared and must be
// treated as read-only.
type cached struct {
	rec         store.Resource // metadata; Data is nil
	attrs       map[string]any
	computed    []any // User.groups or Group.members, when hasComputed
	hasComputed bool
}

func newReadCache(st store.Store) *readCache {
	if ex, ok := st.(store.Exclusive); !ok || !ex.Exclusive() {
		return nil
	}
	return &readCache{resources: map[string]*cached{}, lookups: map[string][]string{}}
}

func resourceKey(typ, id string) string { return typ + "\x00" + id }

func lookupKey(typ string, key store.Key, value string) string {
	if key != store.KeyExternalID {
		value = strings.ToLower(value)
	}
	return typ + "\x00" + string(rune('0'+key)) + "\x00" + value
}

func (c *readCache) generation() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *readCache) get(key string) *cached {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resources[key]
}

// put stores v unless a write finished since generation gen was taken.
func (c *readCache) put(gen uint64, key string, v *cached) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.resources) >= maxCached {
		c.resources = map[string]*cached{}
	}
	c.resources[key] = v
}

func (c *readCache) lookup(key string) ([]string, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ids, ok := c.lookups[key]
	return ids, ok
}

func (c *readCache) putLookup(gen uint64, key string, ids []string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.lookups) >= maxCached {
		c.lookups = map[string][]string{}
	}
	c.lookups[key] = ids
}

// wrote records a finished write: it drops the cached copies of the
// resources and the lookups it may have changed, and caches the resources
// it created. Caching a created resource is safe without further checks:
// its id is new, so no other request can have read or written it yet. The
// generation bump stops reads that raced with the write from caching.
func (c *readCache) wrote(ids, keys []string, created []*cached) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, id := range ids {
		for _, typ := range [...]string{"User", "Group"} {
			delete(c.resources, resourceKey(typ, id))
		}
	}
	for _, k := range keys {
		delete(c.lookups, k)
	}
	for _, v := range created {
		if len(c.resources) >= maxCached {
			c.resources = map[string]*cached{}
		}
		c.resources[resourceKey(v.rec.Type, v.rec.ID)] = v
		if v.rec.UserName != "" {
			// userName is unique: the lookup's answer is exactly this user.
			c.lookups[lookupKey(v.rec.Type, store.KeyUserName, v.rec.UserName)] = []string{v.rec.ID}
		}
	}
}

// resource builds what the provider gets: a shallow copy of the shared
// attributes, with the computed attribute when wanted and present.
func (v *cached) resource(computedName string, withComputed bool) *provider.Resource {
	attrs := make(map[string]any, len(v.attrs)+1)
	for k, x := range v.attrs {
		attrs[k] = x
	}
	if withComputed && len(v.computed) > 0 {
		attrs[computedName] = v.computed
	}
	return toResource(&v.rec, attrs)
}

// newCached keeps r's metadata and decoded attributes (without the
// computed attribute, which is kept apart).
func newCached(r *store.Resource, attrs map[string]any, computedName string) *cached {
	meta := *r
	meta.Data = nil
	meta.Emails = nil
	v := &cached{rec: meta, attrs: attrs}
	if comp, ok := attrs[computedName]; ok {
		v.computed, _ = comp.([]any)
		v.hasComputed = true
		shared := make(map[string]any, len(attrs))
		for k, x := range attrs {
			if k != computedName {
				shared[k] = x
			}
		}
		v.attrs = shared
	}
	return v
}
