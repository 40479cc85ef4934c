package provider_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/filter"
	"github.com/scimconnect/scimconnect/scim/provider"
)

// page is a decoded ListResponse (RFC 7644 §3.4.2) whose numbers were
// checked to be JSON integers.
type page struct {
	total, items, start int // start is -1 when absent
	names               []string
	next, prev          string
	raw                 map[string]any
}

// listPage decodes a ListResponse, checking the schema, that totalResults,
// itemsPerPage and startIndex are JSON integers and that itemsPerPage is
// the number of Resources.
func listPage(t testing.TB, res response) page {
	t.Helper()
	wantStatus(t, res, http.StatusOK)
	obj := res.object(t)
	if !cmp.Equal(obj["schemas"], []any{scim.ListResponseSchema}) {
		t.Errorf("schemas = %v", obj["schemas"])
	}
	p := page{start: -1, raw: obj}
	p.total = jsonInt(t, "totalResults", obj["totalResults"])
	p.items = jsonInt(t, "itemsPerPage", obj["itemsPerPage"])
	if v, ok := obj["startIndex"]; ok {
		p.start = jsonInt(t, "startIndex", v)
	}
	rs, ok := obj["Resources"].([]any)
	if !ok {
		t.Fatalf("Resources = %#v, want an array", obj["Resources"])
	}
	if len(rs) != p.items {
		t.Errorf("itemsPerPage = %d but %d Resources", p.items, len(rs))
	}
	for _, r := range rs {
		m := r.(map[string]any)
		name, _ := m["userName"].(string)
		if name == "" {
			name, _ = m["displayName"].(string)
		}
		p.names = append(p.names, name)
	}
	p.next, _ = obj["nextCursor"].(string)
	p.prev, _ = obj["previousCursor"].(string)
	return p
}

// seedUsers creates users u1..un.
func (f *fixture) seedUsers(t testing.TB, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		f.createUser(t, fmt.Sprintf("u%d", i), fmt.Sprintf(`"title":"t%d","emails":[{"value":"u%d@example.com","type":"%s"}]`, i%2, i, map[bool]string{true: "work", false: "home"}[i%2 == 0]))
	}
}

func TestListPaging(t *testing.T) {
	f := newFixture(t, func(c *provider.Config) { c.MaxPageSize = 4; c.DefaultPageSize = 3 })
	f.seedUsers(t, 5)
	tests := []struct {
		query               string
		total, items, start int
		names               []string
	}{
		{"", 5, 3, 1, []string{"u1", "u2", "u3"}},
		{"count=2", 5, 2, 1, []string{"u1", "u2"}},
		{"startIndex=2&count=2", 5, 2, 2, []string{"u2", "u3"}},
		{"startIndex=4", 5, 2, 4, []string{"u4", "u5"}},
		{"count=0", 5, 0, 1, nil},
		{"count=-1", 5, 0, 1, nil},
		{"count=-9999999999", 5, 0, 1, nil},
		{"count=5000", 5, 4, 1, []string{"u1", "u2", "u3", "u4"}},
		{"count=99999999999999", 5, 4, 1, []string{"u1", "u2", "u3", "u4"}},
		{"startIndex=0&count=1", 5, 1, 1, []string{"u1"}},
		{"startIndex=-3&count=1", 5, 1, 1, []string{"u1"}},
		{"startIndex=6", 5, 0, 6, nil},
		{"startIndex=1000000000", 5, 0, 1000000000, nil},
		{"startIndex=%202%20&count=1", 5, 1, 2, []string{"u2"}},
		{"sortBy=userName&sortOrder=descending&count=4", 5, 4, 1, []string{"u5", "u4", "u3", "u2"}},
		{"sortBy=USERNAME&sortOrder=Descending&startIndex=5", 5, 1, 5, []string{"u1"}},
		{"sortBy=title&count=4", 5, 4, 1, []string{"u2", "u4", "u1", "u3"}},
		{"sortBy=emails.type&sortOrder=ascending&count=4", 5, 4, 1, []string{"u1", "u3", "u5", "u2"}},
		{"filter=" + url.QueryEscape(`userName eq "U3"`), 5 - 4, 1, 1, []string{"u3"}},
		{"filter=" + url.QueryEscape(`emails[type eq "work"]`) + "&sortBy=userName&sortOrder=descending", 2, 2, 1, []string{"u4", "u2"}},
		{"filter=" + url.QueryEscape(`title eq "t1" and not (userName eq "u1")`), 2, 2, 1, []string{"u3", "u5"}},
		{"filter=" + url.QueryEscape(`meta.created gt "2025-01-02T03:04:08Z"`), 2, 2, 1, []string{"u4", "u5"}},
		{"filter=" + url.QueryEscape(`meta.lastModified le "2025-01-02T03:04:07Z"`), 2, 2, 1, []string{"u1", "u2"}},
		{"filter=" + url.QueryEscape(`userName sw "x"`), 0, 0, 1, nil},
		{"filter=" + url.QueryEscape(`USERNAME Co "5"`) + "&count=0", 1, 0, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			p := listPage(t, f.do(t, "GET", "/Users?"+tt.query, ""))
			got := []int{p.total, p.items, p.start}
			if want := []int{tt.total, tt.items, tt.start}; !cmp.Equal(got, want) {
				t.Errorf("totalResults, itemsPerPage, startIndex = %v, want %v", got, want)
			}
			if !cmp.Equal(p.names, tt.names) {
				t.Errorf("resources = %v, want %v", p.names, tt.names)
			}
			if p.next != "" || p.prev != "" {
				t.Errorf("index paging returned cursors %q %q", p.next, p.prev)
			}
		})
	}
}

func TestListErrors(t *testing.T) {
	f := newFixture(t)
	f.seedUsers(t, 2)
	tests := []struct {
		path, scimType string
		// bodyScimType, when set, is the scimType of the SearchRequest
		// form, where a string in place of a number is a syntax error.
		bodyScimType string
	}{
		{"/Users?count=abc", scim.InvalidValue, scim.InvalidSyntax},
		{"/Users?count=1.5", scim.InvalidValue, ""},
		{"/Users?startIndex=x", scim.InvalidValue, scim.InvalidSyntax},
		{"/Users?startIndex=NaN", scim.InvalidValue, scim.InvalidSyntax},
		{"/Users?sortOrder=sideways", scim.InvalidValue, ""},
		{"/Users?sortBy=userName&sortOrder=up", scim.InvalidValue, ""},
		{"/Users?sortBy=nosuch", scim.InvalidValue, ""},
		{"/Users?sortBy=name", scim.InvalidValue, ""},
		{"/Users?filter=" + url.QueryEscape(`userName eq`), scim.InvalidFilter, ""},
		{"/Users?filter=" + url.QueryEscape(`(userName eq "a"`), scim.InvalidFilter, ""},
		{"/Users?filter=" + url.QueryEscape(`nosuch eq "a"`), scim.InvalidFilter, ""},
		{"/Users?filter=" + url.QueryEscape(`active gt true`), scim.InvalidFilter, ""},
		{"/Users?filter=" + url.QueryEscape(`emails[type eq "work"`), scim.InvalidFilter, ""},
		{"/Groups?filter=" + url.QueryEscape(`userName eq "a"`), scim.InvalidFilter, ""},
		// $ref is computed when a resource is rendered; no backend can
		// filter on it (a wrong, empty result otherwise).
		{"/Groups?filter=" + url.QueryEscape(`members.$ref pr`), scim.InvalidFilter, ""},
		{"/Users?filter=" + url.QueryEscape(`userName pr and groups[type eq "direct" or $ref eq "x"]`), scim.InvalidFilter, ""},
		{"/Users?filter=" + url.QueryEscape(`not (urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.$ref eq "x")`), scim.InvalidFilter, ""},
		{"/Users?cursor=&startIndex=1", scim.InvalidValue, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			wantError(t, f.do(t, "GET", tt.path, ""), 400, tt.scimType)
			// The same parameters in a SearchRequest give the same error (RFC 7644 §3.4.3).
			q, err := url.ParseQuery(tt.path[strings.IndexByte(tt.path, '?')+1:])
			if err != nil {
				t.Fatal(err)
			}
			endpoint := tt.path[:strings.IndexByte(tt.path, '?')]
			want := tt.scimType
			if tt.bodyScimType != "" {
				want = tt.bodyScimType
			}
			wantError(t, f.do(t, "POST", endpoint+"/.search", searchBody(t, q)), 400, want)
		})
	}
}

// searchBody turns query parameters into a SearchRequest: numbers stay
// numbers when they are valid JSON numbers.
func searchBody(t testing.TB, q url.Values) string {
	t.Helper()
	body := map[string]any{"schemas": []string{scim.SearchRequestSchema}}
	for k, vs := range q {
		v := vs[0]
		switch k {
		case "count", "startIndex":
			var n any
			if err := jsonUnmarshalNumber(v, &n); err == nil {
				body[k] = n
				continue
			}
			body[k] = v
		case "attributes", "excludedAttributes":
			body[k] = strings.Split(v, ",")
		default:
			body[k] = v
		}
	}
	return mustJSON(t, body)
}

// TestFilterLimits: Config.FilterLimits bound every filter (RFC 7644 §7.8
// lets a provider refuse filters that are too costly).
func TestFilterLimits(t *testing.T) {
	f := newFixture(t, func(c *provider.Config) { c.FilterLimits = filter.Limits{MaxLength: 60, MaxDepth: 2, MaxNodes: 3} })
	f.seedUsers(t, 1)
	tests := []struct {
		name, filter string
		ok           bool
	}{
		{"within limits", `userName eq "u1" and (title pr)`, true},
		{"at the length limit", `userName eq "` + strings.Repeat("a", 60-len(`userName eq ""`)) + `"`, true},
		{"over the length limit", `userName eq "` + strings.Repeat("a", 61-len(`userName eq ""`)) + `"`, false},
		{"at the depth limit", `((userName pr))`, true},
		{"over the depth limit", `(((userName pr)))`, false},
		{"over the node limit", `title pr or title pr or title pr or title pr`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"GET /Users", "POST /Users/.search", "POST /.search"} {
				method, endpoint, _ := strings.Cut(path, " ")
				var res response
				if method == "GET" {
					res = f.do(t, method, endpoint+"?filter="+url.QueryEscape(tt.filter), "")
				} else {
					res = f.do(t, method, endpoint, searchBody(t, url.Values{"filter": {tt.filter}}))
				}
				if tt.ok {
					wantStatus(t, res, http.StatusOK)
				} else {
					wantError(t, res, 400, scim.InvalidFilter)
				}
			}
		})
	}
}

func TestSearch(t *testing.T) {
	f := newFixture(t)
	f.seedUsers(t, 4)
	t.Run("same as GET", func(t *testing.T) {
		q := url.Values{"filter": {`title eq "t1"`}, "sortBy": {"userName"}, "sortOrder": {"descending"}, "startIndex": {"1"}, "count": {"5"}, "attributes": {"userName"}}
		get := f.do(t, "GET", "/Users?"+q.Encode(), "")
		post := f.do(t, "POST", "/users/.SEARCH", searchBody(t, q))
		if diff := cmp.Diff(get.object(t), post.object(t)); diff != "" {
			t.Errorf("POST .search differs from GET (-get +post):\n%s", diff)
		}
		if p := listPage(t, post); !cmp.Equal(p.names, []string{"u3", "u1"}) {
			t.Errorf("names = %v", p.names)
		}
	})
	t.Run("comma-separated attributes string", func(t *testing.T) {
		res := f.do(t, "POST", "/Users/.search", `{"schemas":["`+scim.SearchRequestSchema+`"],"attributes":"userName, title","count":1}`)
		p := listPage(t, res)
		r := p.raw["Resources"].([]any)[0].(map[string]any)
		if _, ok := r["emails"]; ok || r["title"] == nil {
			t.Errorf("resource = %v", r)
		}
	})
	for _, body := range []string{
		`{"filter":"userName pr"}`,
		`{"schemas":["urn:other"]}`,
		`{"schemas":["` + scim.SearchRequestSchema + `"],"count":"x"}`,
		`{"schemas":["` + scim.SearchRequestSchema + `"],"filter":5}`,
		`{"schemas":["` + scim.SearchRequestSchema + `"],"attributes":5}`,
	} {
		t.Run(body, func(t *testing.T) {
			res := f.do(t, "POST", "/Users/.search", body)
			if res.Status != 400 {
				t.Errorf("status = %d, want 400: %s", res.Status, res.Body)
			}
		})
	}
}

// TestRootSearchUncountedTotals: a root search over backends whose totals
// are lower bounds (connectors over targets that cannot count, such as
// Okta) still answers every resource once and in order to a client paging
// with startIndex while startIndex <= totalResults, and totalResults never
// falls below the results up to the page's end.
func TestRootSearchUncountedTotals(t *testing.T) {
	f := newFixture(t)
	f.users.uncounted = true
	f.groups.uncounted = true
	f.seedUsers(t, 5)
	f.createGroup(t, "g1")
	f.createGroup(t, "g2")
	all := []string{"u1", "u2", "u3", "u4", "u5", "g1", "g2"}
	for _, how := range []string{"POST /.search", "GET /"} {
		for count := 1; count <= len(all)+1; count++ {
			t.Run(fmt.Sprintf("%s count=%d", how, count), func(t *testing.T) {
				var got []string
				for start := 1; start <= 4*len(all); start += count {
					body := url.Values{"startIndex": {strconv.Itoa(start)}, "count": {strconv.Itoa(count)}}
					res := f.do(t, "GET", "/?"+body.Encode(), "")
					if how == "POST /.search" {
						res = f.do(t, "POST", "/.search", searchBody(t, body))
					}
					p := listPage(t, res)
					got = append(got, p.names...)
					end := start - 1 + len(p.names)
					if p.total < end {
						t.Errorf("startIndex=%d: totalResults = %d, below the %d results up to this page's end", start, p.total, end)
					}
					if end < len(all) && p.total <= end {
						t.Errorf("startIndex=%d: totalResults = %d says nothing follows result %d of %d", start, p.total, end, len(all))
					}
					if start+count > p.total {
						break
					}
				}
				if !cmp.Equal(got, all) {
					t.Errorf("paged through %v, want %v", got, all)
				}
			})
		}
	}
	t.Run("one page holds everything", func(t *testing.T) {
		p := listPage(t, f.do(t, "GET", "/", ""))
		if p.total != len(all) || !cmp.Equal(p.names, all) {
			t.Errorf("totalResults = %d, resources = %v; want %d, %v", p.total, p.names, len(all), all)
		}
	})
}

// TestRootSearch: POST /.search and GET on the base URL search every
// resource type (RFC 7644 §3.4.3, §3.4.2.1); paging runs over the concatenation (users, then groups).
func TestRootSearch(t *testing.T) {
	f := newFixture(t)
	f.seedUsers(t, 3)
	f.createGroup(t, "g1")
	f.createGroup(t, "g2")
	tests := []struct {
		name         string
		body         url.Values
		total, start int
		names        []string
	}{
		{"everything", url.Values{}, 5, 1, []string{"u1", "u2", "u3", "g1", "g2"}},
		{"across the boundary", url.Values{"startIndex": {"3"}, "count": {"2"}}, 5, 3, []string{"u3", "g1"}},
		{"groups only by paging", url.Values{"startIndex": {"4"}, "count": {"10"}}, 5, 4, []string{"g1", "g2"}},
		{"last", url.Values{"startIndex": {"5"}}, 5, 5, []string{"g2"}},
		{"past the end", url.Values{"startIndex": {"6"}}, 5, 6, nil},
		{"count 0", url.Values{"count": {"0"}}, 5, 1, nil},
		{"negative startIndex", url.Values{"startIndex": {"-4"}, "count": {"1"}}, 5, 1, []string{"u1"}},
		{"user filter", url.Values{"filter": {`userName sw "u"`}}, 3, 1, []string{"u1", "u2", "u3"}},
		{"common filter", url.Values{"filter": {`displayName eq "g2" or id eq "1"`}}, 3, 1, []string{"u1", "g1", "g2"}},
		{"sorting keeps every type", url.Values{"sortBy": {"displayName"}, "sortOrder": {"descending"}}, 5, 1, []string{"u1", "u2", "u3", "g2", "g1"}},
		{"sortBy of one type keeps the others", url.Values{"sortBy": {"userName"}, "count": {"0"}}, 5, 1, nil},
	}
	for _, tt := range tests {
		// The same query as POST /.search and as GET on the base URL
		// (RFC 7644 §3.4.2.1).
		for _, how := range []string{"POST /.search", "GET /"} {
			t.Run(how+" "+tt.name, func(t *testing.T) {
				res := f.do(t, "GET", "/?"+tt.body.Encode(), "")
				if how == "POST /.search" {
					res = f.do(t, "POST", "/.search", searchBody(t, tt.body))
				}
				p := listPage(t, res)
				if p.total != tt.total || p.start != tt.start {
					t.Errorf("totalResults, startIndex = %d, %d, want %d, %d", p.total, p.start, tt.total, tt.start)
				}
				if !cmp.Equal(p.names, tt.names) {
					t.Errorf("resources = %v, want %v", p.names, tt.names)
				}
			})
		}
	}
	t.Run("resource types rendered", func(t *testing.T) {
		p := listPage(t, f.do(t, "POST", "/.search", searchBody(t, url.Values{"startIndex": {"3"}, "count": {"2"}})))
		var types []any
		for _, r := range p.raw["Resources"].([]any) {
			types = append(types, r.(map[string]any)["meta"].(map[string]any)["resourceType"])
		}
		if !cmp.Equal(types, []any{"User", "Group"}) {
			t.Errorf("resourceTypes = %v", types)
		}
	})
	for _, body := range []url.Values{
		{"filter": {`nosuch eq 1`}},
		{"filter": {`userName eq`}},
		{"cursor": {""}},
		{"sortOrder": {"sideways"}},
	} {
		t.Run("error "+body.Encode(), func(t *testing.T) {
			for _, res := range []response{f.do(t, "POST", "/.search", searchBody(t, body)), f.do(t, "GET", "/?"+body.Encode(), "")} {
				if res.Status != 400 {
					t.Errorf("status = %d, want 400: %s", res.Status, res.Body)
				}
			}
		})
	}
}
