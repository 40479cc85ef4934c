package oktasim

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Page sizes (NOTES.md §4, spec listUsers/listGroups/listGroupUsers limit).
const (
	userLimitDefault       = 200
	userLimitMax           = 200
	userQueryLimitDefault  = 10
	groupLimitDefault      = 10000
	groupLimitMax          = 10000
	groupQueryLimitDefault = 300
	memberLimitDefault     = 1000
	memberLimitMax         = 10000
)

// parseLimit reads "limit": absent gives def, values above max are clamped
// (Okta silently caps), anything that is not a positive integer is rejected.
func parseLimit(q url.Values, def, max int) (int, *apiError) {
	raw, ok := q["limit"]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(raw[0]))
	if err != nil || n < 1 {
		return 0, validationError("limit", "limit: The value must be a positive integer")
	}
	return min(n, max), nil
}

func parseBool(q url.Values, name string, def bool) (bool, *apiError) {
	raw, ok := q[name]
	if !ok {
		return def, nil
	}
	switch strings.ToLower(raw[0]) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, validationError(name, name+": The value must be true or false")
}

func invalidCursor() *apiError {
	return validationError("after", "after: The cursor is not valid")
}

// isID reports whether s has the shape of an Okta id with the given prefix.
func isID(s, prefix string) bool {
	if len(s) != 20 || !strings.HasPrefix(s, prefix) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(base62, s[i]) < 0 {
			return false
		}
	}
	return true
}

// searchCursor is the opaque cursor of search results: unlike plain
// listings it is not an id, so clients that build cursors fail here too.
type searchCursor struct {
	SortBy string `json:"s,omitempty"`
	Desc   bool   `json:"d,omitempty"`
	Key    string `json:"k,omitempty"`
	ID     string `json:"i"`
}

func encodeCursor(c searchCursor) string {
	b, _ := json.Marshal(c) // a struct of strings always marshals
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(raw, sortBy string, desc bool) (searchCursor, *apiError) {
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return searchCursor{}, invalidCursor()
	}
	var c searchCursor
	if err := json.Unmarshal(b, &c); err != nil || c.ID == "" || c.SortBy != sortBy || c.Desc != desc {
		return searchCursor{}, invalidCursor()
	}
	return c, nil
}

// pageByID walks items in id order from just after the cursor id, keeping
// matches until limit; a missing cursor id (deleted meanwhile) still works
// because the walk starts at the first greater id.
func pageByID[T any](order []T, idOf func(T) string, after string, limit int, keep func(T) bool) []T {
	start := 0
	if after != "" {
		start = sort.Search(len(order), func(i int) bool { return idOf(order[i]) > after })
	}
	var page []T
	for i := start; i < len(order) && len(page) < limit; i++ {
		if keep(order[i]) {
			page = append(page, order[i])
		}
	}
	return page
}

type sortedItem[T any] struct {
	key  string
	id   string
	item T
}

// pageSorted returns the page after cursor of matches ordered by key then id
// (spec: ties on sortBy are ordered by id), descending when desc.
func pageSorted[T any](items []sortedItem[T], after *searchCursor, desc bool, limit int) []sortedItem[T] {
	less := func(a, b sortedItem[T]) bool {
		if a.key != b.key {
			return (a.key < b.key) != desc
		}
		if a.id == b.id {
			return false
		}
		return (a.id < b.id) != desc
	}
	sort.Slice(items, func(i, j int) bool { return less(items[i], items[j]) })
	start := 0
	if after != nil {
		pivot := sortedItem[T]{key: after.Key, id: after.ID}
		start = sort.Search(len(items), func(i int) bool { return less(pivot, items[i]) })
	}
	end := min(start+limit, len(items))
	return items[start:end]
}

// writeList sends a JSON array with RFC 8288 Link headers, one link per
// header line as Okta does (NOTES.md §4). next is empty on the last page.
func (s *Server) writeList(w http.ResponseWriter, r *http.Request, items []any, next string) {
	base := s.base(r)
	w.Header().Add("Link", "<"+base+r.URL.RequestURI()+">; rel=\"self\"")
	if next != "" {
		q := r.URL.Query()
		q.Set("after", next)
		w.Header().Add("Link", "<"+base+r.URL.EscapedPath()+"?"+q.Encode()+">; rel=\"next\"")
	}
	if items == nil {
		items = []any{}
	}
	writeJSON(w, http.StatusOK, items)
}

// exclusive reports an error when more than one of search, filter and q is
// given; Okta documents them as alternative ways to select.
func exclusive(q url.Values) *apiError {
	n := 0
	for _, k := range []string{"search", "filter", "q"} {
		if q.Has(k) {
			n++
		}
	}
	if n > 1 {
		return invalidSearch("Only one of search, filter or q may be specified.")
	}
	return nil
}

func parseSort(q url.Values) (sortBy string, desc bool, err *apiError) {
	sortBy = q.Get("sortBy")
	switch strings.ToLower(q.Get("sortOrder")) {
	case "", "asc":
	case "desc":
		desc = true
	default:
		return "", false, invalidSearch("Invalid sortOrder.")
	}
	if sortBy == "" {
		desc = false // sortOrder is ignored without sortBy (spec querySortOrder)
	}
	return sortBy, desc, nil
}
