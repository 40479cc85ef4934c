package provider

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/filter"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// searchParams are the query parameters of RFC 7644 §3.4.2 and RFC 9865,
// from a query string or a SearchRequest body.
type searchParams struct {
	Attributes         []string
	ExcludedAttributes []string
	Filter             string
	SortBy             string
	SortOrder          string
	StartIndex         *int
	Count              *int
	Cursor             *string
}

// searchBody is the SearchRequest of RFC 7644 §3.4.3.
type searchBody struct {
	Schemas            []string        `json:"schemas"`
	Attributes         json.RawMessage `json:"attributes"`
	ExcludedAttributes json.RawMessage `json:"excludedAttributes"`
	Filter             *string         `json:"filter"`
	SortBy             *string         `json:"sortBy"`
	SortOrder          *string         `json:"sortOrder"`
	StartIndex         *json.Number    `json:"startIndex"`
	Count              *json.Number    `json:"count"`
	Cursor             *string         `json:"cursor"`
}

func paramsFromQuery(r *http.Request) (*searchParams, error) {
	q := r.URL.Query()
	sp := &searchParams{
		Attributes:         schema.ParseAttrList(q.Get("attributes")),
		ExcludedAttributes: schema.ParseAttrList(q.Get("excludedAttributes")),
		Filter:             q.Get("filter"),
		SortBy:             q.Get("sortBy"),
		SortOrder:          q.Get("sortOrder"),
	}
	var err error
	if sp.StartIndex, err = intParam(q, "startIndex"); err != nil {
		return nil, err
	}
	if sp.Count, err = intParam(q, "count"); err != nil {
		return nil, err
	}
	if _, ok := q["cursor"]; ok {
		c := q.Get("cursor")
		sp.Cursor = &c
	}
	return sp, nil
}

func intParam(q map[string][]string, name string) (*int, error) {
	vs, ok := q[name]
	if !ok || len(vs) == 0 || vs[0] == "" {
		return nil, nil
	}
	return parseInt(name, vs[0])
}

func parseInt(name, s string) (*int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		f, ferr := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if ferr != nil || f != float64(int64(f)) || f > 1e9 || f < -1e9 {
			return nil, scim.BadRequest(scim.InvalidValue, "%s must be an integer, got %q", name, s)
		}
		n = int(f)
	}
	if n > 1e9 {
		n = 1e9
	}
	return &n, nil
}

func (p *Provider) paramsFromBody(w http.ResponseWriter, r *http.Request) (*searchParams, error) {
	body, err := readBody(w, r, p.cfg.MaxBodyBytes)
	if err != nil {
		return nil, err
	}
	if _, err := decodeObject(body); err != nil {
		return nil, err
	}
	var sb searchBody
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&sb); err != nil {
		return nil, scim.BadRequest(scim.InvalidSyntax, "invalid SearchRequest: %s", jsonErrorText(err))
	}
	if !containsFold(sb.Schemas, scim.SearchRequestSchema) {
		return nil, scim.BadRequest(scim.InvalidSyntax, "a search request must list the schema %q", scim.SearchRequestSchema)
	}
	sp := &searchParams{Cursor: sb.Cursor}
	if sp.Attributes, err = stringList("attributes", sb.Attributes); err != nil {
		return nil, err
	}
	if sp.ExcludedAttributes, err = stringList("excludedAttributes", sb.ExcludedAttributes); err != nil {
		return nil, err
	}
	if sb.Filter != nil {
		sp.Filter = *sb.Filter
	}
	if sb.SortBy != nil {
		sp.SortBy = *sb.SortBy
	}
	if sb.SortOrder != nil {
		sp.SortOrder = *sb.SortOrder
	}
	if sb.StartIndex != nil {
		if sp.StartIndex, err = parseInt("startIndex", sb.StartIndex.String()); err != nil {
			return nil, err
		}
	}
	if sb.Count != nil {
		if sp.Count, err = parseInt("count", sb.Count.String()); err != nil {
			return nil, err
		}
	}
	return sp, nil
}

// stringList accepts an array of strings or, leniently, one comma-separated string.
func stringList(name string, raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		var out []string
		for _, s := range list {
			out = append(out, schema.ParseAttrList(s)...)
		}
		return out, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return schema.ParseAttrList(s), nil
	}
	return nil, scim.BadRequest(scim.InvalidValue, "%s must be an array of attribute names", name)
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// buildQuery turns parameters into a ListQuery for rt.
//
// At the root (.search across types) a sortBy that names no attribute of
// rt is dropped for rt instead of failing: the other types can still sort.
func (p *Provider) buildQuery(sp *searchParams, rt *schema.ResourceType, root bool) (*ListQuery, error) {
	q := &ListQuery{SortBy: strings.TrimSpace(sp.SortBy)}
	f := p.features()
	if strings.TrimSpace(sp.Filter) != "" && !f.Filter {
		return nil, scim.Errorf(http.StatusNotImplemented, "", "filtering is not supported by this service provider")
	}
	if q.SortBy != "" && !f.Sort {
		return nil, scim.Errorf(http.StatusNotImplemented, "", "sorting is not supported by this service provider")
	}
	if sp.Cursor != nil && !f.CursorPaging {
		return nil, scim.BadRequest(scim.InvalidValue, "cursor pagination is not supported by this service provider: use startIndex and count")
	}
	if strings.TrimSpace(sp.Filter) != "" {
		expr, err := filter.ParseWithLimits(sp.Filter, p.cfg.FilterLimits)
		if err != nil {
			return nil, err
		}
		if err := filter.Check(expr, rt); err != nil {
			return nil, err
		}
		if err := checkNoRef(expr); err != nil {
			return nil, err
		}
		q.Filter = expr
	}
	switch strings.ToLower(strings.TrimSpace(sp.SortOrder)) {
	case "", "ascending":
	case "descending":
		q.Descending = true
	default:
		return nil, scim.BadRequest(scim.InvalidValue, `sortOrder must be "ascending" or "descending", got %q`, sp.SortOrder)
	}
	if q.SortBy != "" {
		if _, ok := rt.ResolvePath(q.SortBy); !ok && root {
			q.SortBy = ""
		} else if !ok {
			return nil, scim.BadRequest(scim.InvalidValue, "cannot sort by %q: no such attribute", q.SortBy)
		}
	}
	// RFC 7644 §3.4.2.4: count below 0 is 0; above the maximum is the maximum.
	q.Count = p.cfg.DefaultPageSize
	if sp.Count != nil {
		q.Count = min(max(*sp.Count, 0), p.cfg.MaxPageSize)
	}
	if sp.Cursor != nil {
		if sp.StartIndex != nil {
			return nil, scim.BadRequest(scim.InvalidValue, "use either startIndex or cursor, not both")
		}
		q.Cursor = true
		if *sp.Cursor != "" {
			pos, err := p.cursors.decode(*sp.Cursor, p.queryKey(sp, rt))
			if err != nil {
				return nil, err
			}
			q.Position = pos
		}
	} else {
		q.StartIndex = 1
		if sp.StartIndex != nil && *sp.StartIndex > 1 {
			q.StartIndex = *sp.StartIndex
		}
	}
	proj, err := rt.NewProjection(sp.Attributes, sp.ExcludedAttributes)
	if err != nil {
		return nil, err
	}
	q.Projection = proj
	return q, nil
}

// queryKey binds a cursor to the query it was issued for (RFC 9865 §2:
// the other parameters must be identical between pages) and to this
// provider's base path: every instance signs with the same store-wide
// key, and one instance's position must not page through another's.
func (p *Provider) queryKey(sp *searchParams, rt *schema.ResourceType) string {
	return p.cursorScope + "\x00" + rt.ID + "\x00" + sp.Filter + "\x00" + sp.SortBy + "\x00" + strings.ToLower(sp.SortOrder)
}

// listResponse is the ListResponse of RFC 7644 §3.4.2 with RFC 9865 cursors.
type listResponse struct {
	Schemas        []string `json:"schemas"`
	TotalResults   *int     `json:"totalResults,omitempty"`
	ItemsPerPage   int      `json:"itemsPerPage"`
	StartIndex     *int     `json:"startIndex,omitempty"`
	NextCursor     string   `json:"nextCursor,omitempty"`
	PreviousCursor string   `json:"previousCursor,omitempty"`
	// Resources is written by writeList; it must stay the last field.
	Resources []map[string]any `json:"Resources"`
}

func (p *Provider) serveList(w http.ResponseWriter, r *http.Request, rt *ResourceType, post bool) {
	var sp *searchParams
	var err error
	if post {
		sp, err = p.paramsFromBody(w, r)
	} else {
		sp, err = paramsFromQuery(r)
	}
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	q, err := p.buildQuery(sp, rt.Type, false)
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	res, err := rt.Backend.List(r.Context(), q)
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	out := listResponse{Schemas: []string{scim.ListResponseSchema}}
	out.ItemsPerPage = len(res.Resources)
	if res.TotalResults >= 0 {
		total := res.TotalResults
		out.TotalResults = &total
	} else if !q.Cursor {
		total := q.StartIndex - 1 + len(out.Resources)
		out.TotalResults = &total
	}
	if q.Cursor {
		key := p.queryKey(sp, rt.Type)
		if res.NextPosition != "" {
			out.NextCursor = p.cursors.encode(res.NextPosition, key)
		}
		if res.PrevPosition != "" {
			out.PreviousCursor = p.cursors.encode(res.PrevPosition, key)
		}
	} else {
		si := q.StartIndex
		out.StartIndex = &si
	}
	p.writeList(w, r, rt, &out, res.Resources, q.Projection)
}

// writeList sends a ListResponse. Each resource's JSON comes from the
// render cache when its backend is content-versioned, so paging through
// unchanged resources does not encode them again.
func (p *Provider) writeList(w http.ResponseWriter, r *http.Request, rt *ResourceType, out *listResponse, items []*Resource, proj *schema.Projection) {
	head, err := json.Marshal(out)
	if err != nil {
		p.writeError(w, r, p.internalError(r.Context(), err))
		return
	}
	// head ends with `"Resources":null}`: replace that with the array.
	head = head[:len(head)-len(`null}`)]
	q := r.URL.Query()
	suffix := "\x00" + q.Get("attributes") + "\x00" + q.Get("excludedAttributes")
	size := len(head) + 2
	bodies := make([][]byte, len(items))
	for i, item := range items {
		var key string
		if rt.versioned && item.Version != "" && r.Method == http.MethodGet {
			key = rt.Type.ID + "\x00" + item.ID + "\x00" + item.Version + suffix
			if b, ok := p.rendered.get(key); ok {
				bodies[i] = b
				size += len(b) + 1
				continue
			}
		}
		b, err := schema.MarshalValue(p.render(rt.Type, item, proj))
		if err != nil {
			p.writeError(w, r, p.internalError(r.Context(), err))
			return
		}
		if key != "" {
			p.rendered.put(key, b)
		}
		bodies[i] = b
		size += len(b) + 1
	}
	buf := make([]byte, 0, size)
	buf = append(buf, head...)
	buf = append(buf, '[')
	for i, b := range bodies {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, b...)
	}
	buf = append(buf, ']', '}')
	writeBody(w, http.StatusOK, buf)
}

// checkNoRef refuses a filter on a "$ref" sub-attribute (members.$ref,
// groups[$ref eq "…"]). The provider computes $ref when it renders a
// resource (fillRefs), from the value and type that backends store, so
// backends never see it and such a filter would quietly match nothing;
// RFC 7644 §3.4.2.2 lets a service provider refuse a filter it cannot
// evaluate.
func checkNoRef(e filter.Expr) error {
	var err error
	filter.WalkCompares(e, func(parent filter.AttrPath, c *filter.Compare) {
		attr, sub := c.Path.Attr, c.Path.Sub
		if parent.Attr != "" {
			attr, sub = parent.Attr, c.Path.Attr
		}
		if err == nil && strings.EqualFold(sub, "$ref") {
			err = scim.BadRequest(scim.InvalidFilter, "cannot filter on %s.$ref: the service provider computes it from the referenced id; filter on %s.value", attr, attr)
		}
	})
	return err
}
