package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// filterFixture is the data set of TestFilters: five distinct users, a
// mixed-case one, and seven "filler" users created after a pause.
type filterFixture struct {
	core      []string // userNames of the first users
	filler    []string // userNames of the filler users
	threshold string   // meta.lastModified of the last core user
}

func seedFilterUsers(t *testing.T, d *demo) *filterFixture {
	t.Helper()
	email := func(typ, value string) map[string]any { return map[string]any{"type": typ, "value": value} }
	core := []map[string]any{
		{"userName": "bjensen@example.com", "externalId": "bjensen", "active": true, "title": "Engineer",
			"name":    map[string]any{"givenName": "Barbara", "familyName": "Jensen"},
			"emails":  []any{email("work", "bjensen@example.com"), email("home", "babs@jensen.org")},
			"schemas": []string{userURN, enterpriseURN}, enterpriseURN: map[string]any{"employeeNumber": "1001"}},
		{"userName": "jyoung@example.com", "externalId": "jyoung", "active": false,
			"name":    map[string]any{"givenName": "Joe", "familyName": "Young"},
			"emails":  []any{email("work", "jyoung@example.com")},
			"schemas": []string{userURN, enterpriseURN}, enterpriseURN: map[string]any{"employeeNumber": "1002"}},
		{"userName": "mjones@example.org", "externalId": "mjones", "active": true,
			"name":    map[string]any{"givenName": "Mary", "familyName": "Jones"},
			"emails":  []any{email("work", "mjones@example.org"), email("home", "mjones@example.com")},
			"schemas": []string{userURN, enterpriseURN}, enterpriseURN: map[string]any{"employeeNumber": "1003"}},
		{"userName": "alice.smith@example.com", "externalId": "asmith", "active": true, "title": "Manager",
			"name":   map[string]any{"givenName": "Alice", "familyName": "Smithson"},
			"emails": []any{email("work", "alice@example.com")}},
		{"userName": "bob.smith@example.net", "externalId": "bsmith", "active": true,
			"name":   map[string]any{"givenName": "Bob", "familyName": "Smith"},
			"emails": []any{email("work", "bob@example.net"), email("home", "bob@example.com")}},
		// A capital letter first: a case-sensitive sort would put it first.
		{"userName": "Zoe.Adams@example.com", "externalId": "zadams", "active": true,
			"name":   map[string]any{"givenName": "Zoe", "familyName": "Adams"},
			"emails": []any{email("work", "zoe@example.edu")}},
	}
	fx := &filterFixture{}
	for _, u := range core {
		c := d.createUser(t, u)
		fx.core = append(fx.core, str(c, "userName"))
		fx.threshold = str(obj(c, "meta"), "lastModified")
	}
	// Keep filler timestamps strictly after the threshold even at
	// millisecond precision.
	time.Sleep(20 * time.Millisecond)
	for i := 1; i <= 7; i++ {
		name := fmt.Sprintf("filler-%02d@example.test", i)
		d.createUser(t, map[string]any{"userName": name, "active": i%2 == 0,
			"name": map[string]any{"givenName": fmt.Sprintf("F%02d", i), "familyName": "Filler"}})
		fx.filler = append(fx.filler, name)
	}
	return fx
}

// TestFilters checks filtering, sorting, index paging, projection and POST
// .search (RFC 7644 §3.4.2, §3.4.3).
func TestFilters(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	fx := seedFilterUsers(t, d)
	all := append(slices.Clone(fx.core), fx.filler...)

	t.Run("filter", func(t *testing.T) {
		cases := []struct {
			filter string
			want   []string
		}{
			// userName is caseExact false (RFC 7643 §4.1.1): eq ignores case.
			{`userName eq "BJENSEN@Example.COM"`, []string{"bjensen@example.com"}},
			{`USERNAME Eq "jyoung@example.com"`, []string{"jyoung@example.com"}},
			{`emails.value eq "jyoung@example.com"`, []string{"jyoung@example.com"}},
			// Entra ID sends this unquoted.
			{`externalId eq jyoung`, []string{"jyoung@example.com"}},
			{`externalId eq "mjones"`, []string{"mjones@example.org"}},
			{`name.familyName co "smith"`, []string{"alice.smith@example.com", "bob.smith@example.net"}},
			{`name.familyName sw "J"`, []string{"bjensen@example.com", "mjones@example.org"}},
			{`userName ew ".org"`, []string{"mjones@example.org"}},
			// Both conditions must hold for the same email (RFC 7644 §3.4.2.2).
			{`emails[type eq "work" and value co "@example.com"]`, []string{"alice.smith@example.com", "bjensen@example.com", "jyoung@example.com"}},
			{`emails[type eq "home"]`, []string{"bjensen@example.com", "bob.smith@example.net", "mjones@example.org"}},
			{enterpriseURN + `:employeeNumber eq "1002"`, []string{"jyoung@example.com"}},
			{`title pr`, []string{"alice.smith@example.com", "bjensen@example.com"}},
			{`meta.lastModified gt "` + fx.threshold + `"`, fx.filler},
			{`not (name.familyName eq "Filler")`, fx.core},
			{`name.familyName eq "Filler" and active eq true`, []string{"filler-02@example.test", "filler-04@example.test", "filler-06@example.test"}},
			// "and" binds tighter than "or" (RFC 7644 §3.4.2.2, table 5).
			{`name.familyName eq "Young" or name.familyName eq "Jensen" and active eq true`, []string{"bjensen@example.com", "jyoung@example.com"}},
			{`(name.familyName eq "Young" or name.familyName eq "Jensen") and active eq true`, []string{"bjensen@example.com"}},
			{`userName eq "nobody@example.com"`, nil},
		}
		for _, c := range cases {
			t.Run(c.filter, func(t *testing.T) {
				b := d.listAll(t, "/Users", "filter", c.filter)
				got := userNames(b)
				if diff := cmp.Diff(sorted(c.want), sorted(got)); diff != "" {
					t.Errorf("filter %s (-want +got):\n%s", c.filter, diff)
				}
				if n := num(t, b, "totalResults"); n != len(c.want) {
					t.Errorf("totalResults = %d, want %d", n, len(c.want))
				}
			})
		}
	})

	t.Run("invalid filter", func(t *testing.T) {
		deep := strings.Repeat("(", 2000) + `userName eq "x"` + strings.Repeat(")", 2000)
		var ors []string
		for i := range 400 {
			ors = append(ors, fmt.Sprintf(`userName eq "u%d"`, i))
		}
		cases := map[string]string{
			"no value":          `userName eq`,
			"unknown operator":  `userName zz "x"`,
			"unbalanced":        `(userName eq "x"`,
			"unterminated":      `userName eq "abc`,
			"dangling and":      `userName eq "x" and`,
			"garbage":           `%%%`,
			"too long":          `userName eq "` + strings.Repeat("a", 10000) + `"`,
			"deeply nested":     deep,
			"very many clauses": strings.Join(ors, " or "),
			"nested value path": `emails[type eq "work" and value[x eq "y"]]`,
		}
		for name, f := range cases {
			t.Run(name, func(t *testing.T) {
				wantError(t, d.get(t, "/Users", "filter", f), http.StatusBadRequest, "invalidFilter")
				wantError(t, d.do(t, http.MethodPost, "/Users/.search", map[string]any{"schemas": []string{searchURN}, "filter": f}), http.StatusBadRequest, "invalidFilter")
			})
		}
	})

	t.Run("count=0", func(t *testing.T) {
		// RFC 7644 §3.4.2.4: count 0 returns no resources, only totalResults.
		b := d.listAll(t, "/Users", "count", "0")
		if n := num(t, b, "totalResults"); n != len(all) {
			t.Errorf("totalResults = %d, want %d", n, len(all))
		}
		if got := list(b, "Resources"); len(got) != 0 {
			t.Errorf("count=0 returned %d resources", len(got))
		}
	})

	t.Run("index paging", func(t *testing.T) {
		var got []string
		for start := 1; start <= len(all); start += 5 {
			b := d.listAll(t, "/Users", "startIndex", fmt.Sprint(start), "count", "5")
			page := userNames(b)
			if num(t, b, "totalResults") != len(all) || num(t, b, "startIndex") != start || num(t, b, "itemsPerPage") != len(page) {
				t.Errorf("page at %d: totalResults %v, startIndex %v, itemsPerPage %v, %d resources", start, b["totalResults"], b["startIndex"], b["itemsPerPage"], len(page))
			}
			if want := min(5, len(all)-start+1); len(page) != want {
				t.Errorf("page at %d has %d resources, want %d", start, len(page), want)
			}
			got = append(got, page...)
		}
		if diff := cmp.Diff(sorted(all), sorted(got)); diff != "" {
			t.Errorf("paging did not return every user exactly once (-want +got):\n%s", diff)
		}
		past := d.listAll(t, "/Users", "startIndex", "100", "count", "5")
		if len(list(past, "Resources")) != 0 || num(t, past, "totalResults") != len(all) {
			t.Errorf("startIndex past the end: %v", past)
		}
	})

	t.Run("sort", func(t *testing.T) {
		// RFC 7644 §3.4.2.3: string attributes sort case-insensitively
		// unless caseExact.
		want := slices.Clone(all)
		slices.SortFunc(want, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
		asc := userNames(d.listAll(t, "/Users", "sortBy", "userName"))
		if diff := cmp.Diff(want, asc); diff != "" {
			t.Errorf("sortBy=userName (-want +got):\n%s", diff)
		}
		slices.Reverse(want)
		desc := userNames(d.listAll(t, "/Users", "sortBy", "userName", "sortOrder", "descending"))
		if diff := cmp.Diff(want, desc); diff != "" {
			t.Errorf("sortBy=userName descending (-want +got):\n%s", diff)
		}
		var pages []string
		for start := 1; start <= len(fx.filler); start += 3 {
			pages = append(pages, userNames(d.listAll(t, "/Users", "filter", `name.familyName eq "Filler"`, "sortBy", "name.givenName", "sortOrder", "descending", "startIndex", fmt.Sprint(start), "count", "3"))...)
		}
		wantFiller := slices.Clone(fx.filler)
		slices.Reverse(wantFiller)
		if diff := cmp.Diff(wantFiller, pages); diff != "" {
			t.Errorf("sorted, filtered pages (-want +got):\n%s", diff)
		}
		wantError(t, d.get(t, "/Users", "sortBy", "noSuchAttribute"), http.StatusBadRequest, "")
	})

	t.Run("projection", func(t *testing.T) {
		b := d.listAll(t, "/Users", "filter", `userName eq "bjensen@example.com"`, "attributes", "userName,name.givenName")
		res := list(b, "Resources")
		if len(res) != 1 {
			t.Fatalf("want one user, got %v", b)
		}
		for k := range res[0] {
			if !slices.Contains([]string{"id", "schemas", "meta", "userName", "name"}, k) {
				t.Errorf("attributes=userName,name.givenName returned %q", k)
			}
		}
		if str(res[0], "id") == "" || str(res[0], "userName") != "bjensen@example.com" {
			t.Errorf("projection lost id or userName: %v", res[0])
		}
		if diff := cmp.Diff(map[string]any{"givenName": "Barbara"}, obj(res[0], "name")); diff != "" {
			t.Errorf("name projection (-want +got):\n%s", diff)
		}

		ex := d.get(t, "/Users", "filter", `userName eq "bjensen@example.com"`, "excludedAttributes", "emails,name,id")
		wantStatus(t, ex, http.StatusOK)
		u := list(ex.Body, "Resources")[0]
		for _, k := range []string{"emails", "name"} {
			if _, ok := u[k]; ok {
				t.Errorf("excludedAttributes did not remove %s", k)
			}
		}
		// id is returned "always" (RFC 7643 §3.1, §7): excluding it has no effect.
		if str(u, "id") == "" || str(u, "userName") == "" || str(u, "title") != "Engineer" {
			t.Errorf("excludedAttributes removed too much: %v", u)
		}
		one := d.get(t, "/Users/"+str(u, "id"), "attributes", enterpriseURN+":employeeNumber")
		wantStatus(t, one, http.StatusOK)
		if diff := cmp.Diff(map[string]any{"employeeNumber": "1001"}, obj(one.Body, enterpriseURN)); diff != "" {
			t.Errorf("extension projection (-want +got):\n%s", diff)
		}
		if _, ok := one.Body["userName"]; ok {
			t.Errorf("userName returned although not asked for")
		}
	})

	t.Run("search", func(t *testing.T) {
		body := map[string]any{
			"schemas":    []string{searchURN},
			"filter":     `name.familyName eq "Filler"`,
			"attributes": []string{"userName"},
			"sortBy":     "userName",
			"startIndex": 2,
			"count":      3,
		}
		r := d.do(t, http.MethodPost, "/Users/.search", body)
		wantStatus(t, r, http.StatusOK)
		if diff := cmp.Diff(fx.filler[1:4], userNames(r.Body)); diff != "" {
			t.Errorf(".search page (-want +got):\n%s", diff)
		}
		if num(t, r.Body, "totalResults") != len(fx.filler) || num(t, r.Body, "startIndex") != 2 {
			t.Errorf(".search totals: %s", r.Raw)
		}
		for _, u := range list(r.Body, "Resources") {
			if _, ok := u["name"]; ok {
				t.Errorf(".search attributes=[userName] returned name: %v", u)
			}
		}
		root := d.do(t, http.MethodPost, "/.search", map[string]any{"schemas": []string{searchURN}, "filter": `userName eq "jyoung@example.com"`})
		wantStatus(t, root, http.StatusOK)
		if diff := cmp.Diff([]string{"jyoung@example.com"}, userNames(root.Body)); diff != "" {
			t.Errorf("root .search (-want +got):\n%s", diff)
		}
		wantError(t, d.do(t, http.MethodGet, "/Users/.search", nil), http.StatusMethodNotAllowed, "")
	})
}

// TestCursorPaging pages through 23 users with RFC 9865 cursors.
func TestCursorPaging(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	var want []string
	for i := range 23 {
		want = append(want, d.newUser(t, fmt.Sprintf("cursor-%02d@example.com", i)))
	}

	var got []string
	var firstPage []string
	var secondPrev string
	cursor := ""
	for page := 0; ; page++ {
		if page > 10 {
			t.Fatalf("cursor paging did not end after %d pages", page)
		}
		b := d.listAll(t, "/Users", "cursor", cursor, "count", "5")
		pageIDs := ids(b)
		got = append(got, pageIDs...)
		if num(t, b, "itemsPerPage") != len(pageIDs) {
			t.Errorf("page %d: itemsPerPage %v, %d resources", page, b["itemsPerPage"], len(pageIDs))
		}
		if tr, ok := b["totalResults"]; ok && tr != float64(23) {
			t.Errorf("page %d: totalResults = %v, want 23 or absent", page, tr)
		}
		if page == 0 {
			firstPage = pageIDs
		}
		if page == 1 {
			secondPrev = str(b, "previousCursor")
		}
		next, ok := b["nextCursor"].(string)
		if !ok {
			if len(pageIDs) != 3 {
				t.Errorf("last page has %d users, want 3", len(pageIDs))
			}
			break
		}
		if len(pageIDs) != 5 || next == "" {
			t.Fatalf("page %d: %d users, nextCursor %q", page, len(pageIDs), next)
		}
		cursor = next
	}
	if diff := cmp.Diff(sorted(want), sorted(got)); diff != "" {
		t.Errorf("cursor paging did not return every user exactly once (-want +got):\n%s", diff)
	}

	t.Run("previousCursor", func(t *testing.T) {
		if secondPrev == "" {
			t.Skip("the second page has no previousCursor (optional in RFC 9865 §2)")
		}
		b := d.listAll(t, "/Users", "cursor", secondPrev, "count", "5")
		if diff := cmp.Diff(firstPage, ids(b)); diff != "" {
			t.Errorf("previousCursor of page 2 (-page 1 +got):\n%s", diff)
		}
	})

	first := d.listAll(t, "/Users", "cursor", "", "count", "5")
	next := str(first, "nextCursor")
	if next == "" {
		t.Fatalf("no nextCursor on the first page: %v", first)
	}
	t.Run("invalid cursors", func(t *testing.T) {
		mid := len(next) / 2
		replacement := "A"
		if next[mid] == 'A' {
			replacement = "B"
		}
		flipped := next[:mid] + replacement + next[mid+1:]
		cases := map[string][]string{
			"tampered":          {"cursor", flipped, "count", "5"},
			"truncated":         {"cursor", next[:len(next)-4], "count", "5"},
			"garbage":           {"cursor", "not-a-cursor!", "count", "5"},
			"other filter":      {"cursor", next, "count", "5", "filter", `userName sw "cursor"`},
			"other sort":        {"cursor", next, "count", "5", "sortBy", "userName"},
			"very long garbage": {"cursor", strings.Repeat("A", 5000)},
		}
		for name, q := range cases {
			t.Run(name, func(t *testing.T) {
				// RFC 9865 §2.2: 400 with scimType invalidCursor.
				wantError(t, d.get(t, "/Users", q...), http.StatusBadRequest, "invalidCursor")
			})
		}
	})
	t.Run("cursor in SearchRequest", func(t *testing.T) {
		r := d.do(t, http.MethodPost, "/Users/.search", map[string]any{"schemas": []string{searchURN}, "cursor": next, "count": 5})
		wantStatus(t, r, http.StatusOK)
		page2 := d.listAll(t, "/Users", "cursor", next, "count", "5")
		if diff := cmp.Diff(ids(page2), ids(r.Body)); diff != "" {
			t.Errorf(".search with cursor differs from GET (-get +search):\n%s", diff)
		}
	})
}
