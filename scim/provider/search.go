package provider

import (
	"errors"
	"net/http"

	"github.com/scimconnect/scimconnect/scim"
)

// serveRootSearch answers POST /.search across every resource type
// (RFC 7644 §3.4.3).
func (p *Provider) serveRootSearch(w http.ResponseWriter, r *http.Request) {
	sp, err := p.paramsFromBody(w, r)
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	p.searchAll(w, r, sp)
}

// serveRootQuery answers GET on the base URL with query parameters: the
// same query across every resource type (RFC 7644 §3.4.2.1).
func (p *Provider) serveRootQuery(w http.ResponseWriter, r *http.Request) {
	sp, err := paramsFromQuery(r)
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	p.searchAll(w, r, sp)
}

// searchAll runs a query across every resource type. Resource types whose
// schema cannot answer the filter (it names attributes they do not have)
// are skipped; if none can, the filter error is returned. Only index
// paging is offered here.
func (p *Provider) searchAll(w http.ResponseWriter, r *http.Request, sp *searchParams) {
	if sp.Cursor != nil {
		p.writeError(w, r, scim.BadRequest(scim.InvalidValue, "cursor paging is not offered for searches across all resource types; use startIndex and count"))
		return
	}
	type part struct {
		rt    *ResourceType
		q     *ListQuery
		total int
	}
	var parts []part
	var firstErr error
	for i := range p.types {
		rt := &p.types[i]
		q, err := p.buildQuery(sp, rt.Type, true)
		if err != nil {
			var se *scim.Error
			if errors.As(err, &se) && (se.ScimType == scim.InvalidFilter || se.ScimType == scim.InvalidValue) {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			p.writeError(w, r, err)
			return
		}
		parts = append(parts, part{rt: rt, q: q})
	}
	if len(parts) == 0 {
		p.writeError(w, r, firstErr)
		return
	}
	start, count := parts[0].q.StartIndex, parts[0].q.Count
	out := listResponse{Schemas: []string{scim.ListResponseSchema}, Resources: []map[string]any{}}
	total := 0
	skip := start - 1
	for _, pt := range parts {
		q := *pt.q
		want := count - len(out.Resources)
		if want <= 0 {
			// The page is full (or only totalResults is asked): count the rest.
			q.StartIndex, q.Count = 1, 0
			res, err := pt.rt.Backend.List(r.Context(), &q)
			if err != nil {
				p.writeError(w, r, err)
				return
			}
			total += max(res.TotalResults, 0)
			continue
		}
		// Ask for the page itself instead of counting first: a backend
		// whose target cannot count answers count=0 with an estimate,
		// and skipping by it would drop results. A page that starts past
		// this type's results is empty and its total exact (ListResult).
		q.StartIndex, q.Count = skip+1, want
		res, err := pt.rt.Backend.List(r.Context(), &q)
		if err != nil {
			p.writeError(w, r, err)
			return
		}
		n := max(res.TotalResults, len(res.Resources))
		total += n
		if len(res.Resources) == 0 {
			skip -= min(n, skip)
			continue
		}
		skip = 0
		for _, item := range res.Resources {
			out.Resources = append(out.Resources, p.render(pt.rt.Type, item, q.Projection))
		}
	}
	out.TotalResults = &total
	out.ItemsPerPage = len(out.Resources)
	out.StartIndex = &start
	writeJSON(w, http.StatusOK, out)
}
