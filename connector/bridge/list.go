package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/scimconnect/scimconnect/connector/mapping"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/filter"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// defaultMaxScan bounds gateway-side filtering (Resource.MaxScan).
const defaultMaxScan = 10000

// List implements provider.Backend. A filter on the key of a KeyReader is
// answered from the target's key read. Otherwise a filter is pushed down
// through the target's Pusher; when the target answers it exactly the
// target pages the result, otherwise the gateway reads the (narrowed)
// list, evaluates the filter and pages in memory.
func (b *backend) List(ctx context.Context, q *provider.ListQuery) (*provider.ListResult, error) {
	if err := b.require(OpList); err != nil {
		return nil, err
	}
	if id, ok := attrEq(q.Filter, b.rt.Schema.ID, "id"); ok && b.decl.Ops.Has(OpGet) {
		return b.listByID(ctx, q, id)
	}
	if err := b.checkFilterable(q.Filter); err != nil {
		return nil, err
	}
	objs, ok, err := b.readKey(ctx, q.Filter)
	if err != nil {
		return nil, err
	}
	if ok {
		return b.pageInMemory(ctx, q, objs, false)
	}
	if b.ext != nil && filter.Mentions(q.Filter, b.rt.Schema.ID, "externalId") {
		if ext, ok := attrEq(q.Filter, b.rt.Schema.ID, "externalId"); ok {
			return b.listByExternalID(ctx, q, ext)
		}
		return b.listScan(ctx, q, "")
	}
	native, exact := "", q.Filter == nil
	if q.Filter != nil {
		if p, ok := b.t.(Pusher); ok {
			native, exact = p.Push(q.Filter, b.m)
		}
	}
	if !exact {
		return b.listScan(ctx, q, native)
	}
	return b.listExact(ctx, q, native)
}

// checkFilterable refuses filters on attributes the target does not
// return, or that only an Expander computes (target fields starting with
// "_", such as Okta's per-user group lookup): answering them would read
// every object and call the target again for each, or answer wrongly.
func (b *backend) checkFilterable(f filter.Expr) error {
	var bad []string
	filter.Walk(f, func(p filter.AttrPath) {
		r, ok := b.rt.Resolve(p.URN, p.Attr, "")
		if !ok || r.Attr == nil {
			return // the provider's filter.Check already refused unknown paths
		}
		switch strings.ToLower(r.Attr.Name) {
		case "id", "meta", "externalid":
			if strings.ToLower(r.Attr.Name) != "externalid" || b.ext != nil || b.reads(r.Attr) {
				return
			}
		}
		if !b.reads(r.Attr) {
			bad = append(bad, p.String())
		}
	})
	if len(bad) > 0 {
		return scim.BadRequest(scim.InvalidFilter, "the %s connector cannot filter %s on %s: the target does not provide it", b.conn.Name, b.rt.Name, strings.Join(bad, ", "))
	}
	return nil
}

// reads reports whether a table rule reads the top-level attribute a from
// a plain target field.
func (b *backend) reads(a *schema.Attribute) bool {
	b.classifyReads()
	return b.readable[a]
}

// classifyReads sorts the top-level attributes the table reads into those
// read from plain target fields and those only an Expander computes
// (target fields starting with "_").
func (b *backend) classifyReads() {
	b.readOnce.Do(func() {
		b.readable = map[*schema.Attribute]bool{}
		b.computed = map[*schema.Attribute]bool{}
		for _, r := range b.table {
			if r.Dir == mapping.ToTarget || r.SCIM == "" {
				continue
			}
			top := r.SCIM
			if i := strings.IndexAny(top, ".["); i >= 0 && !strings.HasPrefix(strings.ToLower(top), "urn:") {
				top = top[:i]
			} else if strings.HasPrefix(strings.ToLower(top), "urn:") {
				urn, rest := schema.SplitURN(top, b.rt)
				if i := strings.IndexAny(rest, ".["); i >= 0 {
					rest = rest[:i]
				}
				top = urn + ":" + rest
			}
			if res, ok := b.rt.ResolvePath(top); ok && res.Attr != nil {
				if strings.HasPrefix(r.Target, "_") {
					b.computed[res.Attr] = true
				} else {
					b.readable[res.Attr] = true
				}
			}
		}
	})
}

// expands reports whether a response shaped by want needs the Expander:
// it may show an attribute only the Expander computes.
func (b *backend) expands(want *schema.Projection) bool {
	if _, ok := b.t.(Expander); !ok {
		return false
	}
	b.classifyReads()
	for a := range b.computed {
		if want.Includes(a.Name) {
			return true
		}
	}
	return false
}

// readKey answers a filter holding `<key> eq "v"` from the target's
// consistent key read (KeyReader); ok false when it does not apply.
func (b *backend) readKey(ctx context.Context, f filter.Expr) ([]map[string]any, bool, error) {
	kr, ok := b.t.(KeyReader)
	if !ok {
		return nil, false, nil
	}
	v, ok := attrEq(f, b.rt.Schema.ID, kr.KeyAttr())
	if !ok {
		return nil, false, nil
	}
	obj, ok, err := kr.ReadKey(ctx, v)
	if err != nil {
		return nil, false, b.targetErr("read by "+kr.KeyAttr(), err)
	}
	if !ok || obj == nil {
		return nil, ok, nil
	}
	return []map[string]any{obj}, true, nil
}

// attrEq finds `attr eq "v"` on an attribute of the core schema urn or a
// common one (no sub-attribute) at the top of f or among the clauses of
// its top-level "and". An unquoted number counts as its literal, as
// scim/filter compares it with strings: Entra sends ids unquoted
// (`id eq 12345 and members eq 678`).
func attrEq(f filter.Expr, urn, attr string) (string, bool) {
	switch e := f.(type) {
	case *filter.Compare:
		if e.Op == filter.Eq && strings.EqualFold(e.Path.Attr, attr) && e.Path.Sub == "" && (e.Path.URN == "" || strings.EqualFold(e.Path.URN, urn)) {
			switch v := e.Value.(type) {
			case string:
				return v, true
			case json.Number:
				return v.String(), true
			}
			return "", false
		}
	case *filter.And:
		if s, ok := attrEq(e.Left, urn, attr); ok {
			return s, true
		}
		return attrEq(e.Right, urn, attr)
	}
	return "", false
}

// listByID answers a filter holding `id eq` from one read of that object,
// computed attributes included: Microsoft Entra checks a reference this
// way (`id eq "g" and members eq "u"`, `id eq "u" and manager eq "m"`),
// and the group's members, which no listing returns, cost only that one
// object's expansion here.
func (b *backend) listByID(ctx context.Context, q *provider.ListQuery, id string) (*provider.ListResult, error) {
	obj, err := b.t.Get(ctx, id)
	if err != nil {
		if isNotFound(err) {
			return b.pageInMemory(ctx, q, nil, false)
		}
		return nil, b.targetErr("get", err)
	}
	// One expansion for what the response shows, another only for what
	// the filter compares and the response leaves out (Entra's members
	// eq with excludedAttributes=members): never the same data twice.
	if e, ok := b.t.(Expander); ok {
		if b.expands(q.Projection) {
			if err := e.Expand(ctx, obj, q.Projection); err != nil {
				return nil, b.targetErr("read computed attributes", err)
			}
		}
		var missing []string
		filter.Walk(q.Filter, func(p filter.AttrPath) {
			if r, ok := b.rt.Resolve(p.URN, p.Attr, ""); ok && b.computed[r.Attr] && !q.Projection.Includes(r.Attr.Name) {
				missing = append(missing, r.Attr.Name)
			}
		})
		if len(missing) > 0 {
			want, err := b.rt.NewProjection(missing, nil)
			if err != nil {
				return nil, fmt.Errorf("projection of the filter's attributes: %w", err)
			}
			if err := e.Expand(ctx, obj, want); err != nil {
				return nil, b.targetErr("read computed attributes", err)
			}
		}
	}
	return b.pageInMemory(ctx, q, []map[string]any{obj}, true)
}

// listByExternalID answers a filter holding `externalId eq` from the
// gateway's externalId table, then evaluates the whole filter.
func (b *backend) listByExternalID(ctx context.Context, q *provider.ListQuery, ext string) (*provider.ListResult, error) {
	ids, err := b.ext.Find(ctx, b.rt.Name, ext)
	if err != nil {
		return nil, err
	}
	var objs []map[string]any
	for _, id := range ids {
		obj, err := b.t.Get(ctx, id)
		if err != nil {
			if isNotFound(err) {
				continue // deleted on the target behind the gateway's back
			}
			return nil, b.targetErr("get", err)
		}
		objs = append(objs, obj)
	}
	return b.pageInMemory(ctx, q, objs, false)
}

func isNotFound(err error) bool {
	se, ok := asSCIM(err)
	return ok && se.Status == http.StatusNotFound
}

// listScan reads every object matching the native query (at most MaxScan),
// evaluates the filter in the gateway and pages in memory.
func (b *backend) listScan(ctx context.Context, q *provider.ListQuery, native string) (*provider.ListResult, error) {
	limit := b.decl.MaxScan
	if limit <= 0 {
		limit = defaultMaxScan
	}
	var objs []map[string]any
	err := b.read(ctx, native, readState{}, limit+1, func(o map[string]any) bool {
		objs = append(objs, o)
		return true
	})
	if err != nil {
		return nil, err
	}
	if len(objs) > limit {
		return nil, scim.BadRequest(scim.TooMany, "the %s target cannot answer this filter itself, and evaluating it in the gateway would read more than %d %s resources; narrow it with a filter the target supports (%s)", b.conn.Name, limit, b.rt.Name, strings.Join(b.decl.Filters, "; "))
	}
	return b.pageInMemory(ctx, q, objs, false)
}

// pageInMemory filters objs with q.Filter and returns the requested page.
// expanded says objs already hold what the response needs from the
// Expander; otherwise the page is expanded (and mapped again) only when
// the response shows computed attributes.
func (b *backend) pageInMemory(ctx context.Context, q *provider.ListQuery, objs []map[string]any, expanded bool) (*provider.ListResult, error) {
	m, err := filter.Compile(q.Filter, b.rt)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(objs))
	mapped := make([]*provider.Resource, 0, len(objs))
	for _, o := range objs {
		r, err := b.toResource(o)
		if err != nil {
			return nil, err
		}
		mapped = append(mapped, r)
		ids = append(ids, r.ID)
	}
	if err := b.attachExternalIDs(ctx, mapped, ids); err != nil {
		return nil, err
	}
	var kept []int
	for i, r := range mapped {
		r.Attrs["id"], r.Attrs["meta"] = r.ID, r.Meta(b.rt.Name)
		if m.Match(r.Attrs) {
			kept = append(kept, i)
		}
		delete(r.Attrs, "id")
		delete(r.Attrs, "meta")
	}
	start := q.StartIndex - 1
	if q.Cursor {
		st, err := decodePosition(q.Position)
		if err != nil {
			return nil, err
		}
		start = st.offset
	}
	start = max(0, min(start, len(kept)))
	end := min(len(kept), start+q.Count)
	var res []*provider.Resource
	if expanded || !b.expands(q.Projection) {
		res = make([]*provider.Resource, 0, end-start)
		for _, i := range kept[start:end] {
			res = append(res, mapped[i])
		}
	} else {
		page := make([]map[string]any, 0, end-start)
		for _, i := range kept[start:end] {
			page = append(page, objs[i])
		}
		if res, err = b.resources(ctx, page, q.Projection); err != nil {
			return nil, err
		}
	}
	out := &provider.ListResult{Resources: res, TotalResults: len(kept)}
	if q.Cursor {
		if end < len(kept) {
			out.NextPosition = readState{offset: end}.encode()
		}
		if start > 0 {
			out.PrevPosition = readState{offset: max(0, start-q.Count)}.encode()
		}
	}
	return out, nil
}

// resources maps a page of target objects, expanding each as the response
// needs and attaching gateway-kept externalIds in one lookup.
func (b *backend) resources(ctx context.Context, objs []map[string]any, want *schema.Projection) ([]*provider.Resource, error) {
	out := make([]*provider.Resource, len(objs))
	ids := make([]string, len(objs))
	e, expand := b.t.(Expander)
	for i, o := range objs {
		if expand {
			if err := e.Expand(ctx, o, want); err != nil {
				return nil, b.targetErr("read computed attributes", err)
			}
		}
		r, err := b.toResource(o)
		if err != nil {
			return nil, err
		}
		out[i], ids[i] = r, r.ID
	}
	return out, b.attachExternalIDs(ctx, out, ids)
}

func (b *backend) attachExternalIDs(ctx context.Context, rs []*provider.Resource, ids []string) error {
	if b.ext == nil || len(ids) == 0 {
		return nil
	}
	got, err := b.ext.Get(ctx, b.rt.Name, ids)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if e, ok := got[r.ID]; ok {
			setExternalID(r, e)
		}
	}
	return nil
}

// readState is a position in a target listing: the 0-based offset and,
// for cursor-paged targets, the target cursor that reads from there.
type readState struct {
	offset int
	cursor string
}

// encode renders the state as a provider position, "<offset>.<cursor>";
// the provider signs it, so a client cannot forge a target cursor.
func (s readState) encode() string { return strconv.Itoa(s.offset) + "." + s.cursor }

func decodePosition(pos string) (readState, error) {
	if pos == "" {
		return readState{}, nil
	}
	n, cur, ok := strings.Cut(pos, ".")
	off, err := strconv.Atoi(n)
	if !ok || err != nil || off < 0 {
		return readState{}, scim.BadRequest(scim.InvalidCursor, "the cursor does not name a position of this list")
	}
	return readState{offset: off, cursor: cur}, nil
}

// read reads target objects from st on, up to want of them, calling fn
// for each until it returns false, and remembers the target cursors it
// passes. It returns the state after the last object handed to fn.
func (b *backend) read(ctx context.Context, native string, st readState, want int, fn func(map[string]any) bool) error {
	_, _, err := b.readFrom(ctx, native, st, want, fn)
	return err
}

// readFrom is read that also reports the state after the last object
// delivered and whether the target has more.
func (b *backend) readFrom(ctx context.Context, native string, st readState, want int, fn func(map[string]any) bool) (readState, bool, error) {
	l := b.t.(Lister)
	pageMax := b.decl.MaxPageSize
	for want > 0 {
		limit := want
		if pageMax > 0 {
			limit = min(limit, pageMax)
		}
		q := &Query{Search: native, Limit: limit}
		switch b.decl.Paging {
		case PagingCursor:
			q.Cursor = st.cursor
		case PagingOffset:
			q.Offset = st.offset
		}
		page, err := l.List(ctx, q)
		if err != nil {
			return st, false, b.targetErr("list", err)
		}
		if b.decl.Paging == PagingNone {
			// One answer holds everything: skip to the offset. A start
			// past the end moves back to the end, so that totalResults
			// stays exact (RFC 7644 §3.4.2.4).
			st.offset = min(st.offset, len(page.Objects))
			objs := page.Objects[st.offset:]
			n := min(want, len(objs))
			for _, o := range objs[:n] {
				if !fn(o) {
					break
				}
			}
			st.offset += n
			return st, st.offset < len(page.Objects), nil
		}
		for _, o := range page.Objects {
			if !fn(o) {
				return st, true, nil
			}
		}
		st.offset += len(page.Objects)
		want -= len(page.Objects)
		more := page.More
		if b.decl.Paging == PagingCursor {
			st.cursor = page.Next
			more = page.Next != ""
			if more {
				b.cursors.put(native, st.offset, st.cursor)
			}
		}
		if !more || len(page.Objects) == 0 {
			return st, false, nil
		}
	}
	return st, true, nil
}

// listExact pages a list the target answers exactly.
func (b *backend) listExact(ctx context.Context, q *provider.ListQuery, native string) (*provider.ListResult, error) {
	var st readState
	if q.Cursor {
		var err error
		if st, err = decodePosition(q.Position); err != nil {
			return nil, err
		}
	} else {
		st.offset = q.StartIndex - 1
		if b.decl.Paging == PagingCursor && st.offset > 0 {
			// Start from the nearest remembered target cursor and skip.
			from := b.cursors.nearest(native, st.offset)
			target := st.offset
			st = from
			if st.offset < target {
				var err error
				if st, _, err = b.readFrom(ctx, native, st, target-st.offset, func(map[string]any) bool { return true }); err != nil {
					return nil, err
				}
				if st.offset < target {
					return &provider.ListResult{TotalResults: st.offset}, nil
				}
			}
		}
	}
	var objs []map[string]any
	total := -1
	want := q.Count
	if want == 0 {
		want = 1 // only totalResults is asked: one object tells whether there is any
	}
	end, more, err := b.readFrom(ctx, native, st, want, func(o map[string]any) bool {
		objs = append(objs, o)
		return true
	})
	if err != nil {
		return nil, err
	}
	if q.Count == 0 {
		objs = nil
	}
	if b.decl.TotalCount {
		total = b.lastTotal(ctx, native, st)
	}
	if total < 0 && len(objs) == 0 && !q.Cursor && b.decl.Paging == PagingOffset && st.offset > 0 {
		// An offset-paged target that cannot count answered that nothing
		// is at startIndex: find where its list ends instead of claiming
		// startIndex-1 results.
		n, err := b.listEnd(ctx, native, st.offset)
		if err != nil {
			return nil, err
		}
		end.offset, more = n, false
	}
	if total < 0 {
		// The target cannot count: totalResults is exact on the last page;
		// before it, one more than what has been seen so that index-paging
		// clients ask for the next page (one too many if that page turns
		// out empty).
		total = end.offset
		if more {
			total++
		}
		if q.Cursor {
			total = -1
			if !more {
				total = end.offset
			}
		}
	}
	res, err := b.resources(ctx, objs, q.Projection)
	if err != nil {
		return nil, err
	}
	out := &provider.ListResult{Resources: res, TotalResults: total}
	if q.Cursor && more {
		out.NextPosition = end.encode()
	}
	return out, nil
}

// listEnd finds the number of objects of an offset-paged list known to
// end at or before offset empty, by binary search with pages of one
// object: about log2(offset) target calls, made only for a startIndex past
// the end.
func (b *backend) listEnd(ctx context.Context, native string, empty int) (int, error) {
	lo, hi := 0, empty // objects at every offset < lo; none at hi
	for lo < hi {
		mid := lo + (hi-lo)/2
		page, err := b.t.(Lister).List(ctx, &Query{Search: native, Limit: 1, Offset: mid})
		if err != nil {
			return 0, b.targetErr("list", err)
		}
		if len(page.Objects) > 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// lastTotal asks a counting target for the total, with the smallest page.
func (b *backend) lastTotal(ctx context.Context, native string, st readState) int {
	q := &Query{Search: native, Limit: 1, Cursor: st.cursor, Offset: st.offset}
	page, err := b.t.(Lister).List(ctx, q)
	if err != nil || page.Total < 0 {
		return -1
	}
	return page.Total
}

// cursorCache remembers target cursors by (native query, offset), so index
// paging over a cursor-paged target continues from the page before instead
// of re-reading from the start. It holds at most max entries and forgets
// everything when full (cursors are cheap to rebuild by reading on).
type cursorCache struct {
	mu  sync.Mutex
	max int
	m   map[string]map[int]string
	n   int
}

func newCursorCache(max int) *cursorCache {
	return &cursorCache{max: max, m: map[string]map[int]string{}}
}

func (c *cursorCache) put(query string, offset int, cursor string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n >= c.max {
		c.m, c.n = map[string]map[int]string{}, 0
	}
	q := c.m[query]
	if q == nil {
		q = map[int]string{}
		c.m[query] = q
	}
	if _, ok := q[offset]; !ok {
		c.n++
	}
	q[offset] = cursor
}

// nearest returns the remembered state with the largest offset not beyond
// offset (the start of the list when none).
func (c *cursorCache) nearest(query string, offset int) readState {
	c.mu.Lock()
	defer c.mu.Unlock()
	best := readState{}
	for off, cur := range c.m[query] {
		if off <= offset && off > best.offset {
			best = readState{offset: off, cursor: cur}
		}
	}
	return best
}

// String describes the backend, for logs.
func (b *backend) String() string { return fmt.Sprintf("%s %s", b.conn.Name, b.rt.Name) }
