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
// store is exclusive to this process (store.Exclusive); every write through
// this directory drops what it changed and caches what it created or wrote.
//
// Coherence: a reader takes the generation before it reads the store and
// may insert what it read only if no write finished since; a writer bumps
// the generation and drops what it changed after its transaction, under the
// same mutex. So a read that raced with a write can never leave stale data
// behind. Writes themselves never trust a cached copy blindly: they use it
// only together with the version the store holds (see backend.patchCached
// and Delete). A nil *readCache caches nothing.
type readCache struct {
	mu        sync.Mutex
	gen       uint64
	limit     int // entries per map; past it a map starts over
	resources map[string]*cached
	lookups   map[string][]string

	// Writes also refresh the cache with what they wrote (write-through),
	// which must never put back an older state than a later write left.
	// writeSeq numbers write transactions in the order they run (the
	// store runs them one at a time: SQLite has one writer); pending maps
	// each resource id a write changed to the number of the last write
	// that changed it and has not finished (see changing and wrote).
	writeSeq uint64
	pending  map[string]uint64
}

// cached is a resource as stored, decoded. attrs is shared and must be
// treated as read-only.
type cached struct {
	rec         store.Resource // metadata and index keys; Data is nil
	attrs       map[string]any
	password    string // the stored password hash ("" for none), which a PATCH from the cached copy keeps
	computed    []any  // User.groups or Group.members, when hasComputed
	hasComputed bool
}

func newReadCache(st store.Store) *readCache {
	if ex, ok := st.(store.Exclusive); !ok || !ex.Exclusive() {
		return nil
	}
	return &readCache{limit: maxCached, resources: map[string]*cached{}, lookups: map[string][]string{}, pending: map[string]uint64{}}
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

// get returns the cached copy under key, unless a write that changed the
// resource has not finished: it may have committed, and a reader that
// already saw its result in the store must not be answered the older
// copy next (reads stay monotonic while the write refreshes the cache).
func (c *readCache) get(key string) *cached {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.resources[key]
	if v != nil {
		if _, writing := c.pending[v.rec.ID]; writing {
			return nil
		}
	}
	return v
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
	setBounded(&c.resources, c.limit, key, v)
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
	setBounded(&c.lookups, c.limit, key, ids)
}

// beginWrite numbers a write transaction; it is called as the
// transaction's fn starts, so numbers follow the order writes commit in.
func (c *readCache) beginWrite() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writeSeq++
	return c.writeSeq
}

// changing notes, as write seq's fn ends (before its commit), the
// resources it changed: until seq finishes (wrote), an earlier write may
// not write its copies of them through, and get does not serve them.
func (c *readCache) changing(seq uint64, ids []string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		c.pending[id] = seq
	}
}

// wrote records a finished write: it drops the cached copies of the
// resources and the lookups it may have changed and, if it committed,
// caches the resources it created and the ones it wrote through.
//
// A created resource or one written through is cached only if no later
// write changed it since (pending): a created resource too, as a later
// write of the same group commit reaches it through its memberships (a
// member's deletion or rename touches the new group). A resource written
// through must also have been changed once only by this write (a PATCH
// that also touched its own resource through nested groups left a newer
// version than the copy); a create's own membership rows do not change
// its version. The generation bump stops reads that raced with the write
// from caching. first is the number of the write's first attempt.
func (c *readCache) wrote(ws *writeSet, first uint64, committed bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, id := range ws.ids {
		for _, typ := range [...]string{"User", "Group"} {
			delete(c.resources, resourceKey(typ, id))
		}
	}
	for _, k := range ws.keys {
		delete(c.lookups, k)
	}
	if committed {
		for _, v := range ws.created {
			if c.pending[v.rec.ID] == ws.seq {
				c.add(v)
			}
		}
		for _, v := range ws.through {
			if c.pending[v.rec.ID] == ws.seq && ws.changedOnce(v.rec.ID) {
				c.add(v)
			}
		}
	}
	for _, ids := range [...][]string{ws.ids, ws.earlier} {
		for _, id := range ids {
			if s := c.pending[id]; s >= first && s <= ws.seq {
				delete(c.pending, id)
			}
		}
	}
}

// add caches v; the caller holds c.mu.
func (c *readCache) add(v *cached) {
	setBounded(&c.resources, c.limit, resourceKey(v.rec.Type, v.rec.ID), v)
	if v.rec.UserName != "" {
		// userName is unique: the lookup's answer is exactly this user.
		setBounded(&c.lookups, c.limit, lookupKey(v.rec.Type, store.KeyUserName, v.rec.UserName), []string{v.rec.ID})
	}
}

// setBounded sets m[k] (a readCache map, under its mu), starting m over
// when it holds limit entries: writes alone (creates) fill the cache, and
// nothing else bounds it.
func setBounded[V any](m *map[string]V, limit int, k string, v V) {
	if len(*m) >= limit {
		*m = map[string]V{}
	}
	(*m)[k] = v
}

// view is what a read hands the provider: the shared attributes
// themselves, unless the computed attribute must be added to them. The
// provider never writes a resource a backend's Get returns (it renders a
// copy), and the copy was a map allocation and walk on every cached GET.
func (v *cached) view(computedName string, withComputed bool) *provider.Resource {
	if withComputed && len(v.computed) > 0 {
		return v.resource(computedName, true)
	}
	return toResource(&v.rec, v.attrs)
}

// resource builds what the write paths get: a shallow copy of the shared
// attributes, with the computed attribute when wanted and present. They
// may add to it (the members they answer with).
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

// newCached keeps r's metadata and index keys, its decoded attributes
// (without the computed attribute, which is kept apart) and its password
// hash.
func newCached(r *store.Resource, attrs map[string]any, password, computedName string) *cached {
	meta := *r
	meta.Data = nil
	v := &cached{rec: meta, attrs: attrs, password: password}
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

// related lists, from a cached copy that holds its computed attribute,
// the resources whose computed attributes show it: a user's direct groups
// or a group's members. ok is false when the copy does not know them.
func (v *cached) related() (ids []string, ok bool) {
	if !v.hasComputed {
		return nil, false
	}
	for _, el := range v.computed {
		m, _ := el.(map[string]any)
		if t, _ := m["type"].(string); v.rec.Type == "User" && t != "direct" {
			continue
		}
		id, _ := m["value"].(string)
		if id == "" {
			return nil, false
		}
		ids = append(ids, id)
	}
	return ids, true
}
