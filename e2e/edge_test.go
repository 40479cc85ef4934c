package e2e

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestMatchingRules checks caseExact handling in filters and uniqueness,
// where index lookups and in-memory matching must agree (RFC 7643 §2.2,
// §4.1.1; RFC 7644 §3.4.2.2).
func TestMatchingRules(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	ada := d.createUser(t, map[string]any{
		"userName": "ÄDA.Lovelace@Example.com", "externalId": "Ext-ADA",
		"emails": []any{map[string]any{"type": "work", "value": "Ada.Lovelace@Example.com"}},
	})
	weird := d.createUser(t, map[string]any{"userName": `we"ird\name@example.com`})
	g := d.do(t, http.MethodPost, "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Analytical Engines"})
	wantStatus(t, g, http.StatusCreated)

	cases := []struct {
		path, filter string
		want         []string // ids
	}{
		// userName and emails.value are caseExact false: any case matches,
		// including non-ASCII letters.
		{"/Users", `userName eq "äda.lovelace@example.com"`, []string{str(ada, "id")}},
		{"/Users", `userName eq "ÄDA.LOVELACE@EXAMPLE.COM"`, []string{str(ada, "id")}},
		{"/Users", `emails.value eq "ADA.LOVELACE@example.com"`, []string{str(ada, "id")}},
		{"/Users", `emails[value eq "ada.lovelace@example.com"]`, []string{str(ada, "id")}},
		// externalId is caseExact true (RFC 7643 §3.1).
		{"/Users", `externalId eq "Ext-ADA"`, []string{str(ada, "id")}},
		{"/Users", `externalId eq "ext-ada"`, nil},
		// Group displayName is caseExact false.
		{"/Groups", `displayName eq "analytical engines"`, []string{str(g.Body, "id")}},
		// JSON string escapes in filter values (RFC 7644 §3.4.2.2, RFC 8259 §7).
		{"/Users", `userName eq "we\"ird\\name@example.com"`, []string{str(weird, "id")}},
		{"/Users", `id eq "` + str(weird, "id") + `"`, []string{str(weird, "id")}},
		{"/Users", `meta.resourceType eq "User"`, []string{str(ada, "id"), str(weird, "id")}},
	}
	for _, c := range cases {
		t.Run(c.filter, func(t *testing.T) {
			b := d.listAll(t, c.path, "filter", c.filter)
			if diff := cmp.Diff(sorted(c.want), sorted(ids(b))); diff != "" {
				t.Errorf("%s?filter=%s (-want +got):\n%s", c.path, c.filter, diff)
			}
		})
	}
	t.Run("uniqueness ignores case beyond ASCII", func(t *testing.T) {
		r := d.do(t, http.MethodPost, "/Users", map[string]any{"schemas": []string{userURN}, "userName": "äda.lovelace@example.com"})
		wantError(t, r, http.StatusConflict, "uniqueness")
	})
	t.Run("attribute names are case-insensitive", func(t *testing.T) {
		// RFC 7643 §2.1: attribute names are case insensitive.
		r := d.do(t, http.MethodPost, "/Users", map[string]any{"Schemas": []string{userURN}, "UserName": "casey@example.com", "DISPLAYNAME": "Casey"})
		wantStatus(t, r, http.StatusCreated)
		if str(r.Body, "userName") != "casey@example.com" || str(r.Body, "displayName") != "Casey" {
			t.Errorf("created user = %s, want canonical attribute names", r.Raw)
		}
		p := d.do(t, http.MethodPatch, "/Users/"+str(r.Body, "id"), patchOp(map[string]any{"op": "replace", "path": "NAME.GivenName", "value": "Casey"}))
		wantStatus(t, p, http.StatusOK)
		if str(obj(p.Body, "name"), "givenName") != "Casey" {
			t.Errorf("PATCH with a mixed-case path: %s", p.Raw)
		}
	})
}

// TestRoundTrip PUTs back what a GET returned, readOnly attributes
// included, as many clients do (RFC 7644 §3.5.1: readOnly values given in
// a PUT SHALL be ignored).
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	mgr := d.newUser(t, "boss@example.com")
	u := d.createUser(t, entraUser("roundtrip@example.com", mgr))
	g := d.do(t, http.MethodPost, "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Round", "members": []any{map[string]any{"value": str(u, "id")}}})
	wantStatus(t, g, http.StatusCreated)

	for _, path := range []string{"/Users/" + str(u, "id"), "/Groups/" + str(g.Body, "id")} {
		t.Run(path, func(t *testing.T) {
			before := d.get(t, path)
			wantStatus(t, before, http.StatusOK)
			body := before.Body
			body["displayName"] = "Round Tripped"
			r := d.do(t, http.MethodPut, path, body)
			wantStatus(t, r, http.StatusOK)
			after := d.get(t, path)
			wantStatus(t, after, http.StatusOK)
			want := before.Body
			// Only displayName and meta may differ.
			if diff := cmp.Diff(want, after.Body, ignoreKeys("meta")); diff != "" {
				t.Errorf("GET after a round-trip PUT (-sent +got):\n%s", diff)
			}
			if str(obj(after.Body, "meta"), "created") != str(obj(before.Body, "meta"), "created") {
				t.Errorf("meta.created changed")
			}
		})
	}

	t.Run("readOnly id in body is ignored", func(t *testing.T) {
		path := "/Users/" + str(u, "id")
		r := d.do(t, http.MethodPut, path, map[string]any{"schemas": []string{userURN}, "id": "some-other-id", "userName": "roundtrip@example.com",
			"meta": map[string]any{"created": "2001-01-01T00:00:00Z"}})
		wantStatus(t, r, http.StatusOK)
		if str(r.Body, "id") != str(u, "id") || str(obj(r.Body, "meta"), "created") != str(obj(u, "meta"), "created") {
			t.Errorf("PUT changed readOnly id or meta: %s", r.Raw)
		}
	})

	t.Run("attributes on write responses", func(t *testing.T) {
		// RFC 7644 §3.9: attributes and excludedAttributes apply to POST,
		// PUT and PATCH responses too.
		r := d.do(t, http.MethodPost, withQuery("/Users", "attributes", "userName"), map[string]any{"schemas": []string{userURN}, "userName": "projected@example.com", "title": "Hidden"})
		wantStatus(t, r, http.StatusCreated)
		if _, ok := r.Body["title"]; ok || str(r.Body, "userName") != "projected@example.com" || str(r.Body, "id") == "" {
			t.Errorf("POST ?attributes=userName returned %s", r.Raw)
		}
		if r.Header.Get("Location") == "" || r.Header.Get("ETag") == "" {
			t.Errorf("a projected create lost its Location or ETag headers")
		}
	})
}

// ignoreKeys is a cmp option ignoring the given top-level map keys.
func ignoreKeys(keys ...string) cmp.Option {
	return cmp.FilterPath(func(p cmp.Path) bool {
		if len(p) != 2 {
			return false
		}
		mi, ok := p[1].(cmp.MapIndex)
		return ok && slices.Contains(keys, mi.Key().String())
	}, cmp.Ignore())
}

// TestPagingStability pages with ties and changes between pages: every
// resource must appear exactly once (RFC 7644 §3.4.2.4, RFC 9865 §2).
func TestPagingStability(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	var all []string
	for i := range 17 {
		u := d.createUser(t, map[string]any{"userName": fmt.Sprintf("page-%02d@example.com", i), "active": i%2 == 0, "title": []string{"A", "B"}[i%2]})
		all = append(all, str(u, "id"))
	}

	t.Run("index paging sorted with ties", func(t *testing.T) {
		for _, order := range []string{"ascending", "descending"} {
			var got []string
			for start := 1; start <= len(all); start += 4 {
				got = append(got, ids(d.listAll(t, "/Users", "sortBy", "active", "sortOrder", order, "startIndex", fmt.Sprint(start), "count", "4"))...)
			}
			if diff := cmp.Diff(sorted(all), sorted(got)); diff != "" {
				t.Errorf("sortBy=active %s pages (-want +got):\n%s", order, diff)
			}
		}
	})

	t.Run("cursor paging sorted with ties", func(t *testing.T) {
		var got []string
		cursor := ""
		for range 20 {
			b := d.listAll(t, "/Users", "sortBy", "title", "cursor", cursor, "count", "4")
			got = append(got, ids(b)...)
			cursor = str(b, "nextCursor")
			if cursor == "" {
				break
			}
		}
		if diff := cmp.Diff(sorted(all), sorted(got)); diff != "" {
			t.Errorf("sortBy=title cursor pages (-want +got):\n%s", diff)
		}
	})

	t.Run("index paging after changes", func(t *testing.T) {
		// Warm whatever the server caches, then change users and page again.
		for start := 1; start <= len(all); start += 5 {
			d.listAll(t, "/Users", "startIndex", fmt.Sprint(start), "count", "5")
		}
		p := d.do(t, http.MethodPatch, "/Users/"+all[0], patchOp(map[string]any{"op": "replace", "path": "title", "value": "C"}))
		wantStatus(t, p, http.StatusOK)
		put := d.do(t, http.MethodPut, "/Users/"+all[1], map[string]any{"schemas": []string{userURN}, "userName": "page-01@example.com"})
		wantStatus(t, put, http.StatusOK)
		var got []string
		for start := 1; start <= len(all); start += 5 {
			b := d.listAll(t, "/Users", "startIndex", fmt.Sprint(start), "count", "5")
			if num(t, b, "totalResults") != len(all) {
				t.Errorf("totalResults = %v, want %d", b["totalResults"], len(all))
			}
			got = append(got, ids(b)...)
		}
		if diff := cmp.Diff(sorted(all), sorted(got)); diff != "" {
			t.Errorf("pages after PATCH and PUT (-want +got):\n%s", diff)
		}
	})

	t.Run("cursor paging across a delete", func(t *testing.T) {
		b := d.listAll(t, "/Users", "cursor", "", "count", "5")
		first := ids(b)
		next := str(b, "nextCursor")
		// Delete the last user of the page the cursor points after, and one
		// user not yet seen.
		lastSeen := first[len(first)-1]
		var unseen string
		for _, id := range all {
			if !slices.Contains(first, id) {
				unseen = id
				break
			}
		}
		for _, id := range []string{lastSeen, unseen} {
			if r := d.do(t, http.MethodDelete, "/Users/"+id, nil); r.Status != http.StatusNoContent {
				t.Fatalf("delete %s: %s", id, r)
			}
		}
		got := slices.Clone(first)
		for range 20 {
			if next == "" {
				break
			}
			b := d.listAll(t, "/Users", "cursor", next, "count", "5")
			got = append(got, ids(b)...)
			next = str(b, "nextCursor")
		}
		var want []string
		for _, id := range all {
			if id != unseen {
				want = append(want, id)
			}
		}
		if diff := cmp.Diff(sorted(want), sorted(got)); diff != "" {
			t.Errorf("cursor pages across deletes (-want +got):\n%s", diff)
		}
		// Index paging after the deletes sees the rest exactly once.
		var idx []string
		for start := 1; start <= len(all); start += 5 {
			idx = append(idx, ids(d.listAll(t, "/Users", "startIndex", fmt.Sprint(start), "count", "5"))...)
		}
		var rest []string
		for _, id := range all {
			if id != unseen && id != lastSeen {
				rest = append(rest, id)
			}
		}
		if diff := cmp.Diff(sorted(rest), sorted(idx)); diff != "" {
			t.Errorf("index pages after deletes (-want +got):\n%s", diff)
		}
	})
}

// TestConcurrency sends conflicting writes at once: each must get a
// well-defined answer, never a 5xx, and the result must be consistent.
func TestConcurrency(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	const n = 12

	t.Run("same userName", func(t *testing.T) {
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				r, err := d.trySCIM(t.Context(), http.MethodPost, "/Users", map[string]any{"schemas": []string{userURN}, "userName": "race@example.com"})
				if err != nil {
					t.Error(err)
					return
				}
				statuses[i] = r.Status
			})
		}
		wg.Wait()
		created := 0
		for _, s := range statuses {
			switch s {
			case http.StatusCreated:
				created++
			case http.StatusConflict:
			default:
				t.Errorf("concurrent create answered %d", s)
			}
		}
		if created != 1 {
			t.Errorf("%d of %d concurrent creates of one userName succeeded, want 1 (statuses %v)", created, n, statuses)
		}
	})

	t.Run("members added at once", func(t *testing.T) {
		g := d.do(t, http.MethodPost, "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Crowd"})
		wantStatus(t, g, http.StatusCreated)
		gid := str(g.Body, "id")
		var users []string
		for i := range n {
			users = append(users, d.newUser(t, fmt.Sprintf("crowd-%02d@example.com", i)))
		}
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i, uid := range users {
			wg.Go(func() {
				r, err := d.trySCIM(t.Context(), http.MethodPatch, "/Groups/"+gid, patchOp(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": uid}}}))
				if err != nil {
					t.Error(err)
					return
				}
				statuses[i] = r.Status
			})
		}
		wg.Wait()
		for i, s := range statuses {
			if s != http.StatusOK {
				t.Errorf("concurrent member add %d answered %d", i, s)
			}
		}
		gr := d.get(t, "/Groups/"+gid)
		wantStatus(t, gr, http.StatusOK)
		if diff := cmp.Diff(sorted(users), memberValues(gr.Body)); diff != "" {
			t.Errorf("members after concurrent adds (-want +got):\n%s", diff)
		}
	})

	t.Run("If-Match races", func(t *testing.T) {
		u := d.createUser(t, map[string]any{"userName": "ifmatch@example.com"})
		tag := str(obj(u, "meta"), "version")
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				r, err := d.trySCIM(t.Context(), http.MethodPatch, "/Users/"+str(u, "id"), patchOp(map[string]any{"op": "replace", "path": "title", "value": fmt.Sprint("writer ", i)}), header{"If-Match", tag})
				if err != nil {
					t.Error(err)
					return
				}
				statuses[i] = r.Status
			})
		}
		wg.Wait()
		ok := 0
		for _, s := range statuses {
			switch s {
			case http.StatusOK:
				ok++
			case http.StatusPreconditionFailed:
			default:
				t.Errorf("conditional PATCH answered %d", s)
			}
		}
		// RFC 7644 §3.14: only one writer holding the same version may win.
		if ok != 1 {
			t.Errorf("%d conditional PATCHes with the same ETag succeeded, want 1 (statuses %v)", ok, statuses)
		}
	})
}

// TestGracefulShutdown checks that SIGTERM lets a request in flight finish
// before the process exits.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	addr := strings.TrimPrefix(d.Origin, "http://")
	conn, err := (&net.Dialer{}).DialContext(t.Context(), "tcp", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	body := `{"schemas":["` + userURN + `"],"userName":"inflight@example.com"}`
	head := fmt.Sprintf("POST /scim/local/v2/Users HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", addr, d.Token, scimMediaType, len(body))
	half := len(body) / 2
	if _, err := conn.Write([]byte(head + body[:half])); err != nil {
		t.Fatalf("write first half: %v", err)
	}
	// Let the server start reading the request, then ask it to stop.
	time.Sleep(200 * time.Millisecond)
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	time.Sleep(200 * time.Millisecond)
	select {
	case <-d.exited:
		t.Fatalf("the demo exited with a request in flight: %v", d.exitErr)
	default:
	}
	if _, err := conn.Write([]byte(body[half:])); err != nil {
		t.Fatalf("write second half: %v", err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatalf("set deadline: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read the in-flight response: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("in-flight request answered %d, want 201", resp.StatusCode)
	}
	select {
	case <-d.exited:
		if d.exitErr != nil {
			t.Errorf("demo exit after SIGTERM: %v\n%s", d.exitErr, d.output)
		}
	case <-time.After(stopTimeout):
		_ = d.cmd.Process.Kill()
		<-d.exited
		t.Errorf("demo still running %v after its last request finished; killed", stopTimeout)
	}
	d.stopOnce.Do(func() {}) // already stopped: the cleanup must not signal it again
}

// TestComputedAttributeVersions checks that the version of a resource
// changes when its computed membership attribute changes: User.groups when
// the user joins a group, Group.members when a member is deleted. An
// unchanged weak ETag would let a client keep a stale copy through
// If-None-Match (RFC 7232 §2.1: a weak validator changes whenever the
// representation changes in a semantically significant way; RFC 7644 §3.14).
func TestComputedAttributeVersions(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	u := d.createUser(t, map[string]any{"userName": "joiner@example.com"})
	leaver := d.newUser(t, "leaver@example.com")
	upath := "/Users/" + str(u, "id")
	v1 := str(obj(u, "meta"), "version")

	g := d.do(t, http.MethodPost, "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Joined",
		"members": []any{map[string]any{"value": str(u, "id")}, map[string]any{"value": leaver}}})
	wantStatus(t, g, http.StatusCreated)
	gpath := "/Groups/" + str(g.Body, "id")

	t.Run("user joins a group", func(t *testing.T) {
		r := d.do(t, http.MethodGet, upath, nil, header{"If-None-Match", v1})
		if r.Status == http.StatusNotModified {
			t.Fatalf("GET %s with If-None-Match %s answered 304 although User.groups changed since that version", upath, v1)
		}
		wantStatus(t, r, http.StatusOK)
		if len(list(r.Body, "groups")) != 1 {
			t.Errorf("groups = %v, want the new group", r.Body["groups"])
		}
		if r.Header.Get("ETag") == v1 {
			t.Errorf("ETag still %s after the user joined a group", v1)
		}
	})

	t.Run("member deleted", func(t *testing.T) {
		before := d.get(t, gpath)
		wantStatus(t, before, http.StatusOK)
		tag := before.Header.Get("ETag")
		if r := d.do(t, http.MethodDelete, "/Users/"+leaver, nil); r.Status != http.StatusNoContent {
			t.Fatalf("delete member: %s", r)
		}
		r := d.do(t, http.MethodGet, gpath, nil, header{"If-None-Match", tag})
		if r.Status == http.StatusNotModified {
			t.Fatalf("GET %s with If-None-Match %s answered 304 although a member was removed since that version", gpath, tag)
		}
		wantStatus(t, r, http.StatusOK)
		if diff := cmp.Diff([]string{str(u, "id")}, memberValues(r.Body)); diff != "" {
			t.Errorf("members (-want +got):\n%s", diff)
		}
	})
}

// TestMoreConformance collects smaller RFC requirements.
func TestMoreConformance(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	email := func(typ, value string, primary bool) map[string]any {
		return map[string]any{"type": typ, "value": value, "primary": primary}
	}
	u := d.createUser(t, map[string]any{"userName": "conform@example.com", "emails": []any{email("work", "w@example.com", true)}})
	d.newUser(t, "taken@example.com")
	upath := "/Users/" + str(u, "id")

	t.Run("bearer scheme is case-insensitive", func(t *testing.T) {
		// RFC 7235 §2.1: the auth-scheme is case-insensitive.
		r := d.doURL(t, http.MethodGet, d.BaseURL+"/Users", nil, header{"Authorization", "bearer " + d.Token})
		wantStatus(t, r, http.StatusOK)
	})

	t.Run("empty userName", func(t *testing.T) {
		// RFC 7643 §2.5: an empty string is unassigned; userName is required.
		wantError(t, d.do(t, http.MethodPost, "/Users", map[string]any{"schemas": []string{userURN}, "userName": ""}), http.StatusBadRequest, "invalidValue")
		wantError(t, d.do(t, http.MethodPost, "/Users", map[string]any{"schemas": []string{userURN}, "userName": nil}), http.StatusBadRequest, "invalidValue")
	})

	t.Run("PATCH userName to a taken one", func(t *testing.T) {
		r := d.do(t, http.MethodPatch, upath, patchOp(map[string]any{"op": "replace", "path": "userName", "value": "TAKEN@example.com"}))
		wantError(t, r, http.StatusConflict, "uniqueness")
	})

	t.Run("one primary", func(t *testing.T) {
		// RFC 7644 §3.5.2: setting primary true on one value sets it false on the others.
		r := d.do(t, http.MethodPatch, upath, patchOp(map[string]any{"op": "add", "path": "emails", "value": []any{email("home", "h@example.com", true)}}))
		wantStatus(t, r, http.StatusOK)
		primaries := map[string]bool{}
		for _, e := range list(r.Body, "emails") {
			primaries[str(e, "type")] = e["primary"] == true
		}
		if diff := cmp.Diff(map[string]bool{"work": false, "home": true}, primaries); diff != "" {
			t.Errorf("primary flags (-want +got):\n%s", diff)
		}
		// Two primaries in one create are invalid (RFC 7643 §2.4).
		c := d.do(t, http.MethodPost, "/Users", map[string]any{"schemas": []string{userURN}, "userName": "two@example.com",
			"emails": []any{email("work", "a@example.com", true), email("home", "b@example.com", true)}})
		wantError(t, c, http.StatusBadRequest, "")
	})

	t.Run("remove members by any filter", func(t *testing.T) {
		// RFC 7644 §3.5.2.2: remove with a value filter removes every
		// matching value; members[type eq "User"] is a valid path.
		a, b := d.newUser(t, "m-a@example.com"), d.newUser(t, "m-b@example.com")
		g := d.do(t, http.MethodPost, "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Filtered",
			"members": []any{map[string]any{"value": a}, map[string]any{"value": b}}})
		wantStatus(t, g, http.StatusCreated)
		gpath := "/Groups/" + str(g.Body, "id")
		r := d.do(t, http.MethodPatch, gpath, patchOp(map[string]any{"op": "remove", "path": `members[value eq "` + a + `" or value eq "` + b + `"]`}))
		wantStatus(t, r, http.StatusOK)
		if m := memberValues(r.Body); len(m) != 0 {
			t.Errorf("members after remove with or filter = %v", m)
		}
		r = d.do(t, http.MethodPatch, gpath, patchOp(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": a}, map[string]any{"value": b}}}))
		wantStatus(t, r, http.StatusOK)
		r = d.do(t, http.MethodPatch, gpath, patchOp(map[string]any{"op": "remove", "path": `members[type eq "User"]`}))
		wantStatus(t, r, http.StatusOK)
		if m := memberValues(r.Body); len(m) != 0 {
			t.Errorf(`members after remove members[type eq "User"] = %v`, m)
		}
	})

	t.Run("bulk POST must name a resource type endpoint", func(t *testing.T) {
		// RFC 7644 §3.7: for POST, "path" must specify a resource type
		// endpoint such as /Users; /Users/.search is not one.
		r := d.do(t, http.MethodPost, "/Bulk", bulkRequest(0, map[string]any{"method": "POST", "path": "/Users/.search", "bulkId": "s",
			"data": map[string]any{"schemas": []string{searchURN}}}))
		wantStatus(t, r, http.StatusOK)
		res := list(r.Body, "Operations")
		if len(res) != 1 || !strings.HasPrefix(str(res[0], "status"), "4") {
			t.Errorf("bulk POST to /Users/.search: want a 4xx result, got %s", r.Raw)
		}
	})

	t.Run("dateTime filters compare instants", func(t *testing.T) {
		// RFC 7644 §3.4.2.2: gt/ge/lt/le on dateTime compare chronologically,
		// whatever the UTC offset the client writes.
		lm, err := time.Parse(time.RFC3339Nano, str(obj(u, "meta"), "created"))
		if err != nil {
			t.Fatalf("meta.created: %v", err)
		}
		east := lm.In(time.FixedZone("", 5*3600)).Format(time.RFC3339Nano)
		for _, c := range []struct {
			op   string
			want bool
		}{{"eq", true}, {"ge", true}, {"le", true}, {"gt", false}, {"lt", false}} {
			b := d.listAll(t, "/Users", "filter", fmt.Sprintf(`meta.created %s "%s" and userName eq "conform@example.com"`, c.op, east))
			if got := len(list(b, "Resources")) == 1; got != c.want {
				t.Errorf("meta.created %s %s: matched %v, want %v", c.op, east, got, c.want)
			}
		}
	})

	t.Run("nested groups", func(t *testing.T) {
		member := d.newUser(t, "nested@example.com")
		child := d.do(t, http.MethodPost, "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Child",
			"members": []any{map[string]any{"value": member}}})
		wantStatus(t, child, http.StatusCreated)
		cid := str(child.Body, "id")
		parent := d.do(t, http.MethodPost, "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Parent",
			"members": []any{map[string]any{"value": cid}}})
		wantStatus(t, parent, http.StatusCreated)
		pid := str(parent.Body, "id")
		g := d.get(t, "/Groups/"+pid)
		wantStatus(t, g, http.StatusOK)
		ms := list(g.Body, "members")
		if len(ms) != 1 || str(ms[0], "type") != "Group" || str(ms[0], "$ref") != d.BaseURL+"/Groups/"+cid {
			t.Errorf("members of the parent = %v, want the child with type Group and its $ref", ms)
		}
		// RFC 7643 §4.1.2: User.groups lists groups joined directly or
		// through nested groups, typed "direct" or "indirect".
		u := d.get(t, "/Users/"+member)
		wantStatus(t, u, http.StatusOK)
		types := map[string]string{}
		for _, gr := range list(u.Body, "groups") {
			types[str(gr, "value")] = str(gr, "type")
		}
		if diff := cmp.Diff(map[string]string{cid: "direct", pid: "indirect"}, types); diff != "" {
			t.Errorf("User.groups of a member of a nested group (-want +got):\n%s", diff)
		}
	})

	t.Run("/Me not supported", func(t *testing.T) {
		// RFC 7644 §3.11: a service provider without /Me answers 501.
		wantError(t, d.get(t, "/Me"), http.StatusNotImplemented, "")
	})
}
