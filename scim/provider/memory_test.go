package provider_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/filter"
	"github.com/scimconnect/scimconnect/scim/patch"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// memBackend is an in-memory provider.Backend. It is the oracle of the
// provider tests, so it does the obvious thing everywhere: a map behind a
// mutex, filters and sorting through the filter package, PATCH through the
// patch package, positions of cursor paging as decimal offsets.
type memBackend struct {
	rt *schema.ResourceType
	// unique names the attribute whose values are unique case-insensitively
	// (userName, RFC 7643 §4.1.1), or "".
	unique string
	// groups, when set, computes the read-only User "groups" attribute from
	// the members of its groups (RFC 7643 §4.1.2).
	groups *memBackend
	// newID, when set, chooses the id of the next resource.
	newID func() string
	// uncounted makes index-paged totals what a connector over a target
	// that cannot count answers (connector/bridge): a lower bound while
	// results follow the page (one past the page's end), exact on the
	// last page and for a startIndex past the end. count=0 reads one.
	uncounted bool

	mu    sync.Mutex
	items map[string]*memItem
	order []string // ids in creation order: the natural order of List
	seq   int
	clock time.Time
}

type memItem struct {
	id       string
	attrs    map[string]any // canonical attributes, without id, meta and schemas
	created  time.Time
	modified time.Time
	version  int
}

var _ provider.Backend = (*memBackend)(nil)

func newMemBackend(rt *schema.ResourceType, unique string) *memBackend {
	return &memBackend{
		rt:     rt,
		unique: unique,
		items:  map[string]*memItem{},
		clock:  time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

// tick advances the fake clock by a second per write, so created and
// lastModified differ predictably.
func (m *memBackend) tick() time.Time {
	m.clock = m.clock.Add(time.Second)
	return m.clock
}

func (m *memBackend) Get(_ context.Context, id string, _ *schema.Projection) (*provider.Resource, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[id]
	if !ok {
		return nil, scim.NotFound("%s %q not found", m.rt.Name, id)
	}
	return m.resource(it), nil
}

func (m *memBackend) List(_ context.Context, q *provider.ListQuery) (*provider.ListResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var views []map[string]any
	for _, id := range m.order {
		v := m.view(m.items[id])
		if filter.Match(q.Filter, v, m.rt) {
			views = append(views, v)
		}
	}
	if q.SortBy != "" {
		if err := filter.Sort(views, m.rt, q.SortBy, q.Descending); err != nil {
			return nil, err
		}
	}
	total := len(views)
	offset := q.StartIndex - 1
	if q.Cursor {
		offset = 0
		if q.Position != "" {
			n, err := strconv.Atoi(q.Position)
			if err != nil || n < 0 {
				return nil, scim.BadRequest(scim.InvalidCursor, "bad position %q", q.Position)
			}
			offset = n
		}
	}
	offset = min(max(offset, 0), total)
	end := min(offset+max(q.Count, 0), total)
	res := &provider.ListResult{TotalResults: total}
	if m.uncounted && !q.Cursor && q.StartIndex-1 < total {
		seen := min(offset+max(q.Count, 1), total)
		res.TotalResults = seen
		if seen < total {
			res.TotalResults++
		}
	}
	for _, v := range views[offset:end] {
		res.Resources = append(res.Resources, m.resource(m.items[v["id"].(string)]))
	}
	if q.Cursor && q.Count > 0 {
		if end < total {
			res.NextPosition = strconv.Itoa(end)
		}
		if offset > 0 {
			res.PrevPosition = strconv.Itoa(max(offset-q.Count, 0))
		}
	}
	return res, nil
}

func (m *memBackend) Create(_ context.Context, attrs map[string]any) (*provider.Resource, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkUnique(attrs, ""); err != nil {
		return nil, err
	}
	m.seq++
	id := strconv.Itoa(m.seq)
	if m.newID != nil {
		id = m.newID()
	}
	if _, dup := m.items[id]; dup {
		return nil, scim.Conflict("id %q is taken", id)
	}
	now := m.tick()
	it := &memItem{id: id, attrs: stored(attrs), created: now, modified: now, version: 1}
	m.items[id] = it
	m.order = append(m.order, id)
	return m.resource(it), nil
}

func (m *memBackend) Replace(_ context.Context, id string, attrs map[string]any, cond provider.Precondition) (*provider.Resource, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[id]
	if !ok {
		return nil, scim.NotFound("%s %q not found", m.rt.Name, id)
	}
	if err := provider.CheckPrecondition(cond, strconv.Itoa(it.version)); err != nil {
		return nil, err
	}
	if err := m.checkUnique(attrs, id); err != nil {
		return nil, err
	}
	m.update(it, attrs)
	return m.resource(it), nil
}

func (m *memBackend) Patch(_ context.Context, id string, ops []patch.Operation, cond provider.Precondition, _ *schema.Projection) (*provider.Resource, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[id]
	if !ok {
		return nil, scim.NotFound("%s %q not found", m.rt.Name, id)
	}
	if err := provider.CheckPrecondition(cond, strconv.Itoa(it.version)); err != nil {
		return nil, err
	}
	patched, err := patch.Apply(it.attrs, ops, m.rt)
	if err != nil {
		return nil, err
	}
	attrs, err := m.rt.Validate(patched, schema.Patched, it.attrs)
	if err != nil {
		return nil, err
	}
	if err := m.checkUnique(attrs, id); err != nil {
		return nil, err
	}
	m.update(it, attrs)
	return m.resource(it), nil
}

func (m *memBackend) Delete(_ context.Context, id string, cond provider.Precondition) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[id]
	if !ok {
		return scim.NotFound("%s %q not found", m.rt.Name, id)
	}
	if err := provider.CheckPrecondition(cond, strconv.Itoa(it.version)); err != nil {
		return err
	}
	delete(m.items, id)
	for i, x := range m.order {
		if x == id {
			m.order = append(m.order[:i], m.order[i+1:]...)
			break
		}
	}
	return nil
}

func (m *memBackend) update(it *memItem, attrs map[string]any) {
	it.attrs = stored(attrs)
	it.modified = m.tick()
	it.version++
}

// checkUnique returns a 409 uniqueness error when another resource than
// self has the unique attribute's value, compared case-insensitively.
func (m *memBackend) checkUnique(attrs map[string]any, self string) error {
	if m.unique == "" {
		return nil
	}
	want, _ := attrs[m.unique].(string)
	for id, it := range m.items {
		if got, _ := it.attrs[m.unique].(string); id != self && strings.EqualFold(got, want) {
			return scim.Conflict("%s %q is already taken", m.unique, want)
		}
	}
	return nil
}

// resource returns a copy of it as the provider receives it.
func (m *memBackend) resource(it *memItem) *provider.Resource {
	attrs := deepCopy(it.attrs).(map[string]any)
	if m.groups != nil {
		if g := m.groups.memberOf(it.id); len(g) > 0 {
			attrs["groups"] = g
		}
	}
	return &provider.Resource{ID: it.id, Attrs: attrs, Created: it.created, Modified: it.modified, Version: strconv.Itoa(it.version)}
}

// view is the resource as filters and sorting see it: attributes plus id and meta.
func (m *memBackend) view(it *memItem) map[string]any {
	v := m.resource(it).Attrs
	v["id"] = it.id
	v["meta"] = map[string]any{
		"resourceType": m.rt.Name,
		"created":      it.created.Format(time.RFC3339Nano),
		"lastModified": it.modified.Format(time.RFC3339Nano),
		"version":      `W/"` + strconv.Itoa(it.version) + `"`,
	}
	return v
}

// memberOf lists the groups whose members include id, as User.groups values.
func (m *memBackend) memberOf(id string) []any {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []any
	for _, gid := range m.order {
		g := m.items[gid]
		members, _ := g.attrs["members"].([]any)
		for _, x := range members {
			if mem, _ := x.(map[string]any); mem["value"] == id {
				out = append(out, map[string]any{"value": gid, "display": g.attrs["displayName"], "type": "direct"})
				break
			}
		}
	}
	return out
}

// stored copies validated attributes for storage: "schemas" is the
// provider's to render (provider.Resource.Attrs).
func stored(attrs map[string]any) map[string]any {
	c := deepCopy(attrs).(map[string]any)
	delete(c, "schemas")
	return c
}

// deepCopy copies a JSON-shaped value.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(t))
		for k, x := range t {
			c[k] = deepCopy(x)
		}
		return c
	case []any:
		c := make([]any, len(t))
		for i, x := range t {
			c[i] = deepCopy(x)
		}
		return c
	}
	return v
}
