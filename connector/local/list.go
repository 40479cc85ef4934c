package local

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/filter"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/store"
)

// maxSortedResults bounds how many matches a sorted or filtered-and-sorted
// query may hold in memory at once.
const maxSortedResults = 200000

// scanBatch is how many stored resources a scan reads per store call.
const scanBatch = 500

// item is a stored resource with its decoded attributes.
type item struct {
	rec      *store.Resource
	attrs    map[string]any // shared with the read cache: never modified
	full     map[string]any // attrs plus id, meta and computed attributes, for filters and sorting
	computed bool           // the computed attribute (groups/members) is in attrs when non-empty
	password string         // the stored password hash, when decoded by item
}

// offsets remembers, for index paging without filter or sort, which
// sequence number ends the page before a given startIndex, so that paging
// through everything reads each page once instead of skipping from the
// start every time. Creates only append (sequence numbers grow), so only a
// delete can shift offsets: deletes clear it, and bump gen so that a page
// read from a snapshot taken before the delete is not remembered after it.
// A nil *offsets remembers nothing.
type offsets struct {
	mu  sync.Mutex
	gen uint64
	m   map[int]int64 // startIndex -> seq of the resource before it
}

// generation is taken before a read transaction starts, for put.
func (o *offsets) generation() uint64 {
	if o == nil {
		return 0
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.gen
}

func (o *offsets) get(startIndex int) (int64, bool) {
	if o == nil {
		return 0, false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	seq, ok := o.m[startIndex]
	return seq, ok
}

// put remembers seq unless a delete finished since generation gen.
func (o *offsets) put(gen uint64, startIndex int, seq int64) {
	if o == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.gen != gen {
		return
	}
	if o.m == nil || len(o.m) >= 4096 {
		o.m = make(map[int]int64)
	}
	o.m[startIndex] = seq
}

func (o *offsets) reset() {
	if o == nil {
		return
	}
	o.mu.Lock()
	o.gen++
	o.m = nil
	o.mu.Unlock()
}

func (b *backend) List(ctx context.Context, q *provider.ListQuery) (*provider.ListResult, error) {
	var m *filter.Matcher
	if q.Filter != nil {
		var err error
		if m, err = filter.Compile(q.Filter, b.typ); err != nil {
			return nil, err
		}
		if res, ok, err := b.listFromCache(ctx, q, m); ok || err != nil {
			return res, err
		}
	}
	gen := b.d.cache.generation()
	offGen := b.d.offsets(b.kind).generation()
	var out *provider.ListResult
	err := b.d.store.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = b.list(ctx, tx, q, m, gen, offGen)
		return err
	})
	if err != nil {
		return nil, b.storeError(err, "")
	}
	return out, nil
}

// gen and offGen are the read cache's and the page offsets' generations,
// taken before the read transaction started.
func (b *backend) list(ctx context.Context, tx store.Tx, q *provider.ListQuery, m *filter.Matcher, gen, offGen uint64) (*provider.ListResult, error) {
	filterNeedsComputed := q.Filter != nil && b.refersTo(q.Filter, b.computed())
	if cands, ok, err := b.indexed(ctx, tx, q.Filter, gen); err != nil {
		return nil, err
	} else if ok {
		// Few candidates: load what the response needs now, so the cached
		// copies can answer the next identical lookup alone.
		withComputed := filterNeedsComputed || wants(q.Projection, b.computed())
		withSchemas := b.refersTo(q.Filter, "schemas")
		var matches []*item
		for _, r := range cands {
			it, err := b.item(ctx, tx, r, withComputed, withSchemas)
			if err != nil {
				return nil, err
			}
			v := newCached(r, it.attrs, it.password, b.computed())
			v.hasComputed = withComputed
			b.d.cache.put(gen, resourceKey(b.name(), r.ID), v)
			if m.Match(it.full) {
				matches = append(matches, it)
			}
		}
		return b.pageOf(ctx, tx, matches, q)
	}
	if q.Filter == nil && q.SortBy == "" {
		return b.listAll(ctx, tx, q, offGen)
	}
	return b.scan(ctx, tx, q, m, filterNeedsComputed)
}

// indexKey finds an equality on an indexed attribute (id, userName,
// externalId, emails.value, displayName), alone or in a chain of `and`,
// also inside a value path, loosened (`emails[type eq "work" and value eq
// "x"]`, how Microsoft Entra matches users by work e-mail).
func (b *backend) indexKey(e filter.Expr) (key store.Key, value string, isID, ok bool) {
	switch n := e.(type) {
	case *filter.And:
		if key, value, isID, ok = b.indexKey(n.Left); ok {
			return
		}
		return b.indexKey(n.Right)
	case *filter.ValuePath:
		if loose, ok := n.Loosened(); ok {
			return b.indexKey(loose) // a superset: the caller matches the whole filter
		}
	case *filter.Compare:
		if n.Op != filter.Eq {
			return 0, "", false, false
		}
		v, isString := n.Value.(string)
		if !isString {
			return 0, "", false, false
		}
		res, found := b.typ.Resolve(n.Path.URN, n.Path.Attr, n.Path.Sub)
		if !found || res.InExtension(b.typ) {
			return 0, "", false, false
		}
		switch attr := res.Attr.Name; {
		case res.Sub != nil:
			if attr == "emails" && res.Sub.Name == "value" {
				return store.KeyEmail, v, false, true
			}
		case attr == "id":
			return 0, v, true, true
		case attr == "userName":
			return store.KeyUserName, v, false, true
		case attr == "externalId":
			return store.KeyExternalID, v, false, true
		case attr == "displayName":
			return store.KeyDisplayName, v, false, true
		case attr == "emails":
			return store.KeyEmail, v, false, true
		}
	}
	return 0, "", false, false
}

// indexed answers an indexed equality from the store, recording the
// lookup in the read cache.
func (b *backend) indexed(ctx context.Context, tx store.Tx, e filter.Expr, gen uint64) ([]*store.Resource, bool, error) {
	key, value, isID, ok := b.indexKey(e)
	if !ok {
		return nil, false, nil
	}
	if isID {
		r, err := tx.GetResource(ctx, b.d.instance, b.name(), value)
		if isNotFound(err) {
			return nil, true, nil
		}
		if err != nil {
			return nil, false, err
		}
		return []*store.Resource{r}, true, nil
	}
	rs, err := tx.FindResources(ctx, b.d.instance, b.name(), key, value)
	if err != nil {
		return nil, false, err
	}
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	b.d.cache.putLookup(gen, lookupKey(b.name(), key, value), ids)
	return rs, true, nil
}

// listFromCache answers an indexed equality filter from the read cache
// alone; ok is false when anything needed is not cached.
func (b *backend) listFromCache(ctx context.Context, q *provider.ListQuery, m *filter.Matcher) (*provider.ListResult, bool, error) {
	if b.d.cache == nil {
		return nil, false, nil
	}
	key, value, isID, ok := b.indexKey(q.Filter)
	if !ok {
		return nil, false, nil
	}
	ids := []string{value}
	if !isID {
		if ids, ok = b.d.cache.lookup(lookupKey(b.name(), key, value)); !ok {
			return nil, false, nil
		}
	}
	need := wants(q.Projection, b.computed()) || b.refersTo(q.Filter, b.computed())
	withSchemas := b.refersTo(q.Filter, "schemas")
	var matches []*item
	for _, id := range ids {
		v := b.d.cache.get(resourceKey(b.name(), id))
		if v == nil || (need && !v.hasComputed) {
			return nil, false, nil
		}
		attrs := v.attrs
		if v.hasComputed && len(v.computed) > 0 {
			attrs = v.resource(b.computed(), true).Attrs
		}
		it := &item{rec: &v.rec, attrs: attrs, computed: v.hasComputed}
		it.full = b.fullOf(&v.rec, attrs, withSchemas)
		if m.Match(it.full) {
			matches = append(matches, it)
		}
	}
	res, err := b.pageOf(ctx, nil, matches, q)
	return res, err == nil, err
}

// item decodes a stored resource; full is built for filters and sorting,
// with schemas when withSchemas (see fullOf).
func (b *backend) item(ctx context.Context, tx store.Tx, r *store.Resource, withComputed, withSchemas bool) (*item, error) {
	attrs, pw, err := decode(r)
	if err != nil {
		return nil, err
	}
	if withComputed {
		if err := b.addComputed(ctx, tx, r.ID, attrs); err != nil {
			return nil, err
		}
	}
	return &item{rec: r, attrs: attrs, password: pw, full: b.fullOf(r, attrs, withSchemas), computed: withComputed}, nil
}

// fullOf is attrs plus id and meta, as filters and sorting see a
// resource, and schemas when withSchemas: only a filter that names it
// needs it, and building it costs five allocations per resource on the
// cached userName eq path.
func (b *backend) fullOf(r *store.Resource, attrs map[string]any, withSchemas bool) map[string]any {
	full := make(map[string]any, len(attrs)+3)
	for k, v := range attrs {
		full[k] = v
	}
	full["id"] = r.ID
	view := provider.Resource{Attrs: attrs, Created: r.Created, Modified: r.Modified, Version: strconv.FormatInt(r.Version, 10)}
	full["meta"] = view.Meta(b.name())
	if withSchemas {
		full["schemas"] = view.Schemas(b.typ)
	}
	return full
}

// finish turns items into provider resources, loading the computed
// attribute when the response needs it and it is not loaded yet. Item
// attributes are copied, never modified: the read cache shares them.
func (b *backend) finish(ctx context.Context, tx store.Tx, items []*item, q *provider.ListQuery) ([]*provider.Resource, error) {
	out := make([]*provider.Resource, 0, len(items))
	need := wants(q.Projection, b.computed())
	name := b.computed()
	// Users' groups for the whole page in one batch.
	var groups map[string][]any
	if need && b.kind == kindUser {
		var missing []string
		for _, it := range items {
			if !it.computed {
				missing = append(missing, it.rec.ID)
			}
		}
		if len(missing) > 0 {
			var err error
			if groups, err = b.groupsOfMany(ctx, tx, missing); err != nil {
				return nil, err
			}
		}
	}
	for _, it := range items {
		attrs := make(map[string]any, len(it.attrs)+1)
		for k, v := range it.attrs {
			if k != name || need {
				attrs[k] = v
			}
		}
		if need && !it.computed {
			if b.kind == kindUser {
				if gs := groups[it.rec.ID]; len(gs) > 0 {
					attrs[name] = gs
				}
			} else if err := b.addComputed(ctx, tx, it.rec.ID, attrs); err != nil {
				return nil, err
			}
		}
		out = append(out, toResource(it.rec, attrs))
	}
	return out, nil
}

// pageOf pages through matches that are all in memory (index lookups and
// sorted scans). Cursor positions are offsets "o<n>".
func (b *backend) pageOf(ctx context.Context, tx store.Tx, matches []*item, q *provider.ListQuery) (*provider.ListResult, error) {
	if q.SortBy != "" {
		full := make([]map[string]any, len(matches))
		byID := make(map[string]*item, len(matches))
		for i, m := range matches {
			full[i] = m.full
			byID[m.rec.ID] = m
		}
		if err := filter.Sort(full, b.typ, q.SortBy, q.Descending); err != nil {
			return nil, err
		}
		for i, f := range full {
			matches[i] = byID[f["id"].(string)]
		}
	}
	start := q.StartIndex - 1
	if q.Cursor {
		var err error
		if start, err = offsetPosition(q.Position); err != nil {
			return nil, err
		}
	}
	res := &provider.ListResult{TotalResults: len(matches)}
	if start > len(matches) {
		start = len(matches)
	}
	end := min(start+q.Count, len(matches))
	page, err := b.finish(ctx, tx, matches[start:end], q)
	if err != nil {
		return nil, err
	}
	res.Resources = page
	if q.Cursor {
		if end < len(matches) {
			res.NextPosition = "o" + strconv.Itoa(end)
		}
		if start > 0 {
			res.PrevPosition = "o" + strconv.Itoa(max(0, start-q.Count))
		}
	}
	return res, nil
}

func offsetPosition(pos string) (int, error) {
	if pos == "" {
		return 0, nil
	}
	if !strings.HasPrefix(pos, "o") {
		return 0, badPosition()
	}
	n, err := strconv.Atoi(pos[1:])
	if err != nil || n < 0 {
		return 0, badPosition()
	}
	return n, nil
}

func seqPosition(pos string) (int64, error) {
	if pos == "" {
		return 0, nil
	}
	if !strings.HasPrefix(pos, "s") {
		return 0, badPosition()
	}
	n, err := strconv.ParseInt(pos[1:], 10, 64)
	if err != nil || n < 0 {
		return 0, badPosition()
	}
	return n, nil
}

func badPosition() error {
	return scim.BadRequest(scim.InvalidCursor, "the cursor does not belong to this query")
}

// listAll pages through every resource in store order by keyset. offGen
// is the page offsets' generation, taken before tx started.
func (b *backend) listAll(ctx context.Context, tx store.Tx, q *provider.ListQuery, offGen uint64) (*provider.ListResult, error) {
	total, err := tx.CountResources(ctx, b.d.instance, b.name())
	if err != nil {
		return nil, err
	}
	res := &provider.ListResult{TotalResults: total}
	if q.Count == 0 {
		return res, nil
	}
	var after int64
	if q.Cursor {
		if after, err = seqPosition(q.Position); err != nil {
			return nil, err
		}
	} else if q.StartIndex > 1 {
		if q.StartIndex > total {
			return res, nil
		}
		seq, ok := b.d.offsets(b.kind).get(q.StartIndex)
		if !ok {
			if seq, err = b.seqBefore(ctx, tx, q.StartIndex); err != nil {
				return nil, err
			}
		}
		after = seq
	}
	recs, err := tx.ListResources(ctx, b.d.instance, b.name(), after, q.Count+1)
	if err != nil {
		return nil, err
	}
	more := len(recs) > q.Count
	if more {
		recs = recs[:q.Count]
	}
	items := make([]*item, 0, len(recs))
	for _, r := range recs {
		// An unchanged resource in the read cache needs no decoding, and
		// brings its computed attribute along.
		if v := b.d.cache.get(resourceKey(b.name(), r.ID)); v != nil && v.rec.Version == r.Version {
			attrs := v.attrs
			if v.hasComputed && len(v.computed) > 0 {
				attrs = v.resource(b.computed(), true).Attrs
			}
			items = append(items, &item{rec: r, attrs: attrs, computed: v.hasComputed})
			continue
		}
		attrs, _, err := decode(r)
		if err != nil {
			return nil, err
		}
		items = append(items, &item{rec: r, attrs: attrs})
	}
	if res.Resources, err = b.finish(ctx, tx, items, q); err != nil {
		return nil, err
	}
	if len(recs) > 0 {
		last := recs[len(recs)-1].Seq
		if q.Cursor && more {
			res.NextPosition = "s" + strconv.FormatInt(last, 10)
		}
		if !q.Cursor {
			b.d.offsets(b.kind).put(offGen, q.StartIndex+len(recs), last)
		}
	}
	return res, nil
}

// seqBefore finds the sequence number of the resource at 1-based index
// startIndex-1 by walking the keyset.
func (b *backend) seqBefore(ctx context.Context, tx store.Tx, startIndex int) (int64, error) {
	var after int64
	remaining := startIndex - 1
	for remaining > 0 {
		recs, err := tx.ListResources(ctx, b.d.instance, b.name(), after, min(remaining, 1000))
		if err != nil {
			return 0, err
		}
		if len(recs) == 0 {
			break
		}
		after = recs[len(recs)-1].Seq
		remaining -= len(recs)
	}
	return after, nil
}

// scan evaluates the filter on every resource, reading the store in
// batches so memory stays flat unless the results must be sorted.
func (b *backend) scan(ctx context.Context, tx store.Tx, q *provider.ListQuery, m *filter.Matcher, withComputed bool) (*provider.ListResult, error) {
	sorted := q.SortBy != ""
	var after int64
	if q.Cursor && !sorted {
		var err error
		if after, err = seqPosition(q.Position); err != nil {
			return nil, err
		}
	}
	var kept []*item
	total := 0
	windowStart := q.StartIndex - 1
	sortKeyComputed := sorted && strings.HasPrefix(strings.ToLower(q.SortBy), b.computed())
	withSchemas := b.refersTo(q.Filter, "schemas")
	for {
		recs, err := tx.ListResources(ctx, b.d.instance, b.name(), after, scanBatch)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			it, err := b.item(ctx, tx, r, withComputed || sortKeyComputed, withSchemas)
			if err != nil {
				return nil, err
			}
			if m != nil && !m.Match(it.full) {
				continue
			}
			switch {
			case sorted:
				if len(kept) >= maxSortedResults {
					return nil, scim.Errorf(http.StatusBadRequest, scim.TooMany, "more than %d resources match: narrow the filter to sort", maxSortedResults)
				}
				kept = append(kept, it)
			case q.Cursor:
				if len(kept) == q.Count {
					// One more match exists: the page is full and not the last.
					page, err := b.finish(ctx, tx, kept, q)
					if err != nil {
						return nil, err
					}
					return &provider.ListResult{Resources: page, TotalResults: -1, NextPosition: "s" + strconv.FormatInt(kept[len(kept)-1].rec.Seq, 10)}, nil
				}
				kept = append(kept, it)
			default:
				if total >= windowStart && total < windowStart+q.Count {
					kept = append(kept, it)
				}
				total++
			}
		}
		if len(recs) < scanBatch {
			break
		}
		after = recs[len(recs)-1].Seq
	}
	if sorted {
		return b.pageOf(ctx, tx, kept, q)
	}
	page, err := b.finish(ctx, tx, kept, q)
	if err != nil {
		return nil, err
	}
	if q.Cursor {
		return &provider.ListResult{Resources: page, TotalResults: -1}, nil
	}
	return &provider.ListResult{Resources: page, TotalResults: total}, nil
}

// refersTo reports whether a filter names the core attribute name.
func (b *backend) refersTo(e filter.Expr, name string) bool {
	return filter.Mentions(e, b.typ.Schema.ID, name)
}
