package provider

import (
	"sync"
)

// ContentVersioned is implemented by backends whose resource version
// changes whenever anything Get returns changes, computed attributes
// included. The provider may then reuse the rendered JSON of a resource
// for the same version and projection instead of encoding it again (a
// group of 10,000 members costs milliseconds to encode).
type ContentVersioned interface {
	ContentVersioned() bool
}

// maxRenderCacheBytes bounds the rendered responses kept per provider.
const maxRenderCacheBytes = 64 << 20

// renderCache maps (resource type, id, version, projection) to the
// encoded response body. It starts over when full.
type renderCache struct {
	mu    sync.Mutex
	size  int
	items map[string][]byte
}

func (c *renderCache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.items[key]
	return b, ok
}

func (c *renderCache) put(key string, body []byte) {
	if len(body) > maxRenderCacheBytes/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil || c.size+len(body) > maxRenderCacheBytes {
		c.items = map[string][]byte{}
		c.size = 0
	}
	if _, ok := c.items[key]; !ok {
		c.items[key] = body
		c.size += len(body) + len(key)
	}
}
