package bridge_test

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/bridge"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/store"
	"github.com/scimconnect/scimconnect/store/sqlite"
)

// openStore opens a SQLite gateway store holding the instance "test".
func openStore(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gw.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	err = db.Update(ctx, func(tx store.Tx) error {
		return tx.CreateInstance(ctx, &store.Instance{Name: "test", Type: "fake", Version: "1.0", Config: []byte("{}")})
	})
	if err != nil {
		t.Fatalf("create instance: %v", err)
	}
	return db
}

// userDecl is a User type supporting every operation but memberships.
func userDecl(mandatory ...string) bridge.Resource {
	return bridge.Resource{Ops: bridge.OpAll &^ bridge.OpMembers, Paging: bridge.PagingOffset, MaxPageSize: 50, Mandatory: mandatory}
}

func patchOps(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []string{scim.PatchOpSchema}, "Operations": ops}
}

// TestUpdates checks what each kind of target receives: an Updater only
// the changed fields (removed ones as null), a Replacer the whole object,
// for PUT and PATCH alike.
func TestUpdates(t *testing.T) {
	whole := func(family, title string) map[string]any {
		m := map[string]any{"login": "user1@example.com", "firstName": "Given1", "lastName": family, "status": "ACTIVE"}
		if title != "" {
			m["title"] = title
		}
		return m
	}
	put := newUser(1)
	put["name"].(map[string]any)["familyName"] = "Replaced"
	put["active"] = true
	delete(put, "title")
	patch := patchOps(map[string]any{"op": "replace", "path": "title", "value": "Boss"})
	for _, tc := range []struct {
		name      string
		target    func(*fake) bridge.Target
		call      string
		wantPut   map[string]any
		wantPatch map[string]any
	}{
		{"updater", func(f *fake) bridge.Target { return updater{f} }, "update",
			map[string]any{"lastName": "Replaced", "title": nil},
			map[string]any{"title": "Boss"}},
		{"replacer", func(f *fake) bridge.Target { return replacer{f} }, "replace",
			whole("Replaced", ""),
			whole("Replaced", "Boss")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(fakeOptions{paging: bridge.PagingOffset})
			s := start(t, declaration(userDecl(), tc.target(f), nil, nil), connector.Env{})
			u := newUser(1)
			u["active"] = true
			created := s.do(t, "POST", "/Users", u).must(t, "create", 201)
			loc := "/Users/" + url.PathEscape(str(created.body, "id"))

			f.resetCalls()
			got := s.do(t, "PUT", loc, put).must(t, "PUT", 200)
			if diff := cmp.Diff([]map[string]any{tc.wantPut}, f.writes); diff != "" {
				t.Errorf("PUT sent (-want +got):\n%s", diff)
			}
			if _, ok := got.body["title"]; ok {
				t.Errorf("PUT without title: title %v still there", got.body["title"])
			}
			if n := f.Calls()[tc.call]; n != 1 {
				t.Errorf("PUT: %d %s calls, want 1", n, tc.call)
			}

			f.resetCalls()
			got = s.do(t, "PATCH", loc, patch).must(t, "PATCH", 200)
			if diff := cmp.Diff([]map[string]any{tc.wantPatch}, f.writes); diff != "" {
				t.Errorf("PATCH sent (-want +got):\n%s", diff)
			}
			if got.body["title"] != "Boss" {
				t.Errorf("PATCH: title %v, want Boss", got.body["title"])
			}

			// Setting the current value again changes nothing: no write.
			f.resetCalls()
			s.do(t, "PATCH", loc, patch).must(t, "PATCH again", 200)
			if len(f.writes) != 0 {
				t.Errorf("a PATCH that changes nothing wrote %v", f.writes)
			}
		})
	}
}

// TestMandatory checks that missing mandatory fields are refused with 400
// naming them, before any target call for POST and PUT, and before any
// target write for PATCH (which must read the resource first): invalidValue,
// or mutability when a PATCH removes one (RFC 7644 §3.5.2.2).
func TestMandatory(t *testing.T) {
	f := newFake(fakeOptions{paging: bridge.PagingOffset})
	s := start(t, declaration(userDecl("name.familyName", "title"), updater{f}, nil, nil), connector.Env{})
	created := s.do(t, "POST", "/Users", newUser(1)).must(t, "create", 201)
	loc := "/Users/" + url.PathEscape(str(created.body, "id"))
	noFamily := newUser(2)
	delete(noFamily, "name")
	delete(noFamily, "title")
	for _, tc := range []struct {
		method, path string
		body         any
		missing      []string
		scimType     string
		maxCalls     int // target calls allowed (PATCH reads the resource)
	}{
		{"POST", "/Users", noFamily, []string{"name.familyName", "title"}, scim.InvalidValue, 0},
		{"PUT", loc, noFamily, []string{"name.familyName", "title"}, scim.InvalidValue, 0},
		{"PATCH", loc, patchOps(map[string]any{"op": "remove", "path": "title"}), []string{"title"}, scim.Mutability, 1},
	} {
		t.Run(tc.method, func(t *testing.T) {
			f.resetCalls()
			d := s.do(t, tc.method, tc.path, tc.body).scimError(t, tc.method, 400, tc.scimType)
			for _, m := range tc.missing {
				if !strings.Contains(d, m) {
					t.Errorf("detail %q does not name %s", d, m)
				}
			}
			calls := f.Calls()
			if n := f.total(); n > tc.maxCalls || calls["create"]+calls["update"] > 0 {
				t.Errorf("target calls %v, want at most %d reads and no write", calls, tc.maxCalls)
			}
		})
	}
}

// TestUnsupported checks that operations a resource type does not declare
// answer 501 naming the operation, without any target call.
func TestUnsupported(t *testing.T) {
	f := newFake(fakeOptions{paging: bridge.PagingOffset})
	id := f.seed(map[string]any{"login": "a@example.com", "firstName": "A", "lastName": "B"})
	gid := f.seed(map[string]any{"name": "g"})
	// Users can only be read; groups patch but have no membership calls.
	c := declaration(bridge.Resource{Ops: bridge.OpGet}, getOnly{f},
		&bridge.Resource{Ops: bridge.OpGet | bridge.OpPatch, Members: "members"}, updater{f})
	s := start(t, c, connector.Env{})
	loc := "/Users/" + url.PathEscape(id)
	for _, tc := range []struct {
		method, path string
		body         any
		op           string
	}{
		{"POST", "/Users", newUser(1), "create"},
		{"GET", "/Users", nil, "list"},
		{"PUT", loc, newUser(1), "replace"},
		{"PATCH", loc, patchOps(map[string]any{"op": "replace", "path": "title", "value": "x"}), "patch"},
		{"DELETE", loc, nil, "delete"},
		{"PATCH", "/Groups/" + gid, patchOps(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": id}}}), "membership changes"},
	} {
		t.Run(tc.method+" "+tc.op, func(t *testing.T) {
			f.resetCalls()
			d := s.do(t, tc.method, tc.path, tc.body).scimError(t, tc.method, 501, "")
			if want := "does not support " + tc.op + " of "; !strings.Contains(d, want) {
				t.Errorf("detail %q does not contain %q", d, want)
			}
			if n := f.total(); n != 0 {
				t.Errorf("target calls %v, want none", f.Calls())
			}
		})
	}
	s.do(t, "GET", loc, nil).must(t, "declared get", 200)
}

// groupServer serves users and groups whose memberships change in
// batches of batch ids, one call at a time (so failures are predictable).
func groupServer(t *testing.T, f *fake, batch int) *server {
	t.Helper()
	return start(t, declaration(userDecl(), updater{f},
		&bridge.Resource{Ops: bridge.OpAll, Paging: bridge.PagingOffset, Members: "members", MemberBatch: batch, MemberConcurrency: 1}, updater{f}),
		connector.Env{})
}

func members(ids ...string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = map[string]any{"value": id}
	}
	return out
}

// TestMembers checks that member changes become batched membership calls
// and a partial failure names the members applied before it.
func TestMembers(t *testing.T) {
	failWith := map[string]error{}
	f := newFake(fakeOptions{paging: bridge.PagingOffset, failWith: failWith})
	users := seedUsers(f, 10)
	s := groupServer(t, f, 3)

	created := s.do(t, "POST", "/Groups", map[string]any{
		"schemas": []string{scim.GroupSchema}, "displayName": "g", "members": members(users[:4]...),
	}).must(t, "create with members", 201)
	gid := str(created.body, "id")
	loc := "/Groups/" + url.PathEscape(gid)
	if diff := cmp.Diff(users[:4], memberIDs(f.object(gid))); diff != "" {
		t.Errorf("members after create (-want +got):\n%s", diff)
	}
	if got := created.body["members"]; len(got.([]any)) != 4 {
		t.Errorf("created group shows members %v, want 4", got)
	}

	t.Run("batches", func(t *testing.T) {
		f.resetCalls()
		s.do(t, "PATCH", loc, patchOps(map[string]any{"op": "add", "path": "members", "value": members(users[4:]...)})).must(t, "add 6", 200)
		want := [][]string{users[4:7], users[7:10]}
		if diff := cmp.Diff(want, f.batches); diff != "" {
			t.Errorf("batches (-want +got):\n%s", diff)
		}
		if len(f.writes) != 0 {
			t.Errorf("a members-only PATCH wrote the group: %v", f.writes)
		}
	})

	t.Run("remove with filter", func(t *testing.T) {
		f.resetCalls()
		path := fmt.Sprintf(`members[value eq "%s"]`, users[0])
		s.do(t, "PATCH", loc, patchOps(map[string]any{"op": "remove", "path": path})).must(t, "remove one", 200)
		if diff := cmp.Diff([][]string{users[:1]}, f.batches); diff != "" {
			t.Errorf("batches (-want +got):\n%s", diff)
		}
	})

	t.Run("PUT replaces", func(t *testing.T) {
		f.resetCalls()
		s.do(t, "PUT", loc, map[string]any{
			"schemas": []string{scim.GroupSchema}, "displayName": "g", "members": members(users[8], users[9], users[0]),
		}).must(t, "PUT", 200)
		got := memberIDs(f.object(gid))
		slices.Sort(got)
		want := []string{users[0], users[8], users[9]}
		slices.Sort(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("members after PUT (-want +got):\n%s", diff)
		}
	})

	t.Run("partial failure", func(t *testing.T) {
		s.do(t, "PATCH", loc, patchOps(map[string]any{"op": "remove", "path": "members"})).must(t, "remove all", 200)
		if got := memberIDs(f.object(gid)); len(got) != 0 {
			t.Fatalf("members after removing all: %v", got)
		}
		f.resetCalls()
		f.mu.Lock()
		f.failMemb = users[7]
		f.mu.Unlock()
		d := s.do(t, "PATCH", loc, patchOps(map[string]any{"op": "add", "path": "members", "value": members(users...)})).
			scimError(t, "failing add", 503, "")
		// Batches run concurrently, so batches after the failing one may
		// have been applied too: the report must name exactly the members
		// the target holds, and the failing member is never among them.
		got := memberIDs(f.object(gid))
		if slices.Contains(got, users[7]) || len(got) < 6 {
			t.Fatalf("members applied: %v", got)
		}
		want := fmt.Sprintf("%d of 10 members were added before the target failed", len(got))
		if !strings.Contains(d, want) {
			t.Errorf("detail %q does not contain %q", d, want)
		}
		for _, id := range got {
			if !strings.Contains(d, id) {
				t.Errorf("detail %q does not name applied member %s", d, id)
			}
		}
	})

	t.Run("create undone when members fail", func(t *testing.T) {
		f.mu.Lock()
		f.failMemb = users[7]
		before := len(f.objs)
		f.mu.Unlock()
		t.Cleanup(func() { f.mu.Lock(); f.failMemb = ""; f.mu.Unlock() })
		d := s.do(t, "POST", "/Groups", map[string]any{
			"schemas": []string{scim.GroupSchema}, "displayName": "undone", "externalId": "ext-undone", "members": members(users...),
		}).scimError(t, "create with a failing member", 503, "")
		if !strings.Contains(d, "not created") {
			t.Errorf("detail %q does not say the group was not created", d)
		}
		after := f.objects()
		if after != before {
			t.Errorf("the target holds %d objects after the failed create, want %d", after, before)
		}
		if got := s.do(t, "GET", "/Groups?filter="+url.QueryEscape(`externalId eq "ext-undone"`), nil).must(t, "externalId lookup", 200); got.body["totalResults"] != float64(0) {
			t.Errorf("the failed create's externalId is still known: %v", got.body)
		}
	})

	// When the undo fails too, the error says the group exists, as the
	// create left it, so the client knows to look for it.
	t.Run("create kept when its undo fails", func(t *testing.T) {
		f.mu.Lock()
		f.failMemb = users[7]
		failWith["delete"] = scim.Errorf(503, "", "the target is down")
		before := len(f.objs)
		f.mu.Unlock()
		t.Cleanup(func() { f.mu.Lock(); f.failMemb = ""; delete(failWith, "delete"); f.mu.Unlock() })
		d := s.do(t, "POST", "/Groups", map[string]any{
			"schemas": []string{scim.GroupSchema}, "displayName": "kept", "members": members(users...),
		}).scimError(t, "create with a failing member and a failing undo", 503, "")
		if !strings.Contains(d, "was created but its members were not all added, and deleting it again failed") {
			t.Errorf("detail %q does not say the group exists", d)
		}
		after := f.objects()
		if after != before+1 {
			t.Errorf("the target holds %d objects after the failed undo, want %d", after, before+1)
		}
	})

	t.Run("missing group", func(t *testing.T) {
		s.do(t, "PATCH", "/Groups/nope", patchOps(map[string]any{"op": "add", "path": "members", "value": members(users[0])})).
			scimError(t, "missing group", 404, "")
	})
}

// TestRefusedUpdateKeepsExternalID: a PUT or PATCH the target refuses
// changes nothing, the externalId the gateway keeps included.
func TestRefusedUpdateKeepsExternalID(t *testing.T) {
	failWith := map[string]error{}
	f := newFake(fakeOptions{paging: bridge.PagingOffset, failWith: failWith})
	s := start(t, declaration(userDecl(), updater{f}, nil, nil), connector.Env{Store: openStore(t)})
	u := newUser(1)
	u["externalId"] = "ext-1"
	loc := "/Users/" + url.PathEscape(str(s.do(t, "POST", "/Users", u).must(t, "create", 201).body, "id"))
	failWith["update"] = scim.BadRequest(scim.InvalidValue, "the target refuses")
	put := newUser(1)
	put["externalId"] = "ext-put"
	s.do(t, "PUT", loc, put).must(t, "refused PUT", 400)
	s.do(t, "PATCH", loc, patchOps(map[string]any{"op": "replace", "path": "externalId", "value": "ext-patch"})).must(t, "refused PATCH", 400)
	delete(failWith, "update")
	if got := str(s.do(t, "GET", loc, nil).must(t, "GET", 200).body, "externalId"); got != "ext-1" {
		t.Errorf("externalId after refused writes %q, want ext-1", got)
	}
	s.do(t, "PUT", loc, put).must(t, "PUT", 200)
	if got := str(s.do(t, "GET", loc, nil).must(t, "GET", 200).body, "externalId"); got != "ext-put" {
		t.Errorf("externalId after a PUT %q, want ext-put", got)
	}
}

// TestExternalID checks the gateway-kept externalId: returned, filtered,
// changed by PUT, never sent to the target, and removed with the resource.
func TestExternalID(t *testing.T) {
	for _, tc := range []struct {
		soft, store bool
	}{{false, false}, {true, false}, {false, true}, {true, true}} {
		soft := tc.soft
		t.Run(fmt.Sprintf("softDelete=%v/store=%v", tc.soft, tc.store), func(t *testing.T) {
			// Ids are logins, so a re-created user gets the same id.
			f := newFake(fakeOptions{paging: bridge.PagingOffset, idLogin: true, soft: soft})
			d := userDecl()
			d.SoftDelete = soft
			var env connector.Env
			if tc.store {
				env.Store = openStore(t)
			}
			s := start(t, declaration(d, updater{f}, nil, nil), env)
			u := newUser(1)
			u["externalId"] = "ext-1"
			created := s.do(t, "POST", "/Users", u).must(t, "create", 201)
			id := str(created.body, "id")
			loc := "/Users/" + url.PathEscape(id)
			if got := str(created.body, "externalId"); got != "ext-1" {
				t.Errorf("created externalId %q, want ext-1", got)
			}
			if _, ok := f.object(id)["externalId"]; ok || slices.ContainsFunc(f.writes, func(w map[string]any) bool { _, ok := w["externalId"]; return ok }) {
				t.Errorf("externalId was sent to the target: %v", f.writes)
			}
			s.do(t, "POST", "/Users", newUser(2)).must(t, "other user", 201)

			find := func(ext string) []string {
				t.Helper()
				r := s.do(t, "GET", "/Users?filter="+url.QueryEscape(fmt.Sprintf(`externalId eq %q`, ext)), nil).must(t, "filter", 200)
				return ids(t, r.body)
			}
			if diff := cmp.Diff([]string{id}, find("ext-1")); diff != "" {
				t.Errorf("externalId eq ext-1 (-want +got):\n%s", diff)
			}
			r := s.do(t, "GET", "/Users?filter="+url.QueryEscape(`externalId eq "ext-1" and userName eq "user2@example.com"`), nil).must(t, "and", 200)
			if got := ids(t, r.body); len(got) != 0 {
				t.Errorf("externalId and other user's userName: %v, want none", got)
			}

			put := newUser(1)
			put["externalId"] = "ext-2"
			got := s.do(t, "PUT", loc, put).must(t, "PUT", 200)
			if e := str(got.body, "externalId"); e != "ext-2" {
				t.Errorf("after PUT externalId %q, want ext-2", e)
			}
			if n := find("ext-1"); len(n) != 0 {
				t.Errorf("old externalId still finds %v", n)
			}
			if diff := cmp.Diff([]string{id}, find("ext-2")); diff != "" {
				t.Errorf("externalId eq ext-2 (-want +got):\n%s", diff)
			}

			s.do(t, "DELETE", loc, nil).must(t, "DELETE", 204)
			if soft {
				got := s.do(t, "GET", loc, nil).must(t, "GET after soft delete", 200)
				if e := str(got.body, "externalId"); e != "ext-2" {
					t.Errorf("after the first (soft) DELETE externalId %q, want ext-2 kept", e)
				}
				s.do(t, "DELETE", loc, nil).must(t, "final DELETE", 204)
			}
			s.do(t, "GET", loc, nil).must(t, "GET after delete", 404)
			again := s.do(t, "POST", "/Users", newUser(1)).must(t, "re-create", 201)
			if str(again.body, "id") != id {
				t.Fatalf("re-created id %q, want %q", str(again.body, "id"), id)
			}
			if e, ok := again.body["externalId"]; ok {
				t.Errorf("re-created user inherits externalId %v of the deleted one", e)
			}
			if n := find("ext-2"); len(n) != 0 {
				t.Errorf("deleted externalId still finds %v", n)
			}
		})
	}
}

// TestIDEscaping checks that target ids with reserved and non-ASCII
// characters round-trip through SCIM id, meta.location and Location and
// reach the target unchanged.
func TestIDEscaping(t *testing.T) {
	f := newFake(fakeOptions{paging: bridge.PagingOffset, idLogin: true})
	s := start(t, declaration(userDecl(), updater{f}, nil, nil), connector.Env{})
	for _, id := range []string{"a/b", "a#b", "100%", "a?b=c", "a b", "zoë/ß", "%2F", "..", "x/../y"} {
		t.Run(id, func(t *testing.T) {
			u := newUser(1)
			u["userName"] = id
			created := s.do(t, "POST", "/Users", u).must(t, "create", 201)
			if got := str(created.body, "id"); got != id {
				t.Fatalf("SCIM id %q, want %q", got, id)
			}
			loc := s.url + "/Users/" + url.PathEscape(id)
			if got := created.body["meta"].(map[string]any)["location"]; got != loc {
				t.Errorf("meta.location %v, want %s", got, loc)
			}
			if created.location != loc {
				t.Errorf("Location %q, want %s", created.location, loc)
			}
			path := strings.TrimPrefix(created.location, s.url)
			f.resetCalls()
			got := s.do(t, "GET", path, nil).must(t, "GET", 200)
			if str(got.body, "id") != id {
				t.Errorf("GET id %q, want %q", str(got.body, "id"), id)
			}
			s.do(t, "PATCH", path, patchOps(map[string]any{"op": "replace", "path": "title", "value": "x"})).must(t, "PATCH", 200)
			s.do(t, "DELETE", path, nil).must(t, "DELETE", 204)
			for _, g := range f.gotIDs {
				if g != id {
					t.Errorf("the target received id %q, want %q", g, id)
				}
			}
			if len(f.gotIDs) == 0 {
				t.Errorf("the target received no id")
			}
		})
	}
}

// TestDisabledPatch checks the seeds' "accepted and ignored" for PATCH
// requests whose every operation names a disabled attribute: 200 with the
// resource, nothing written to the target.
func TestDisabledPatch(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target func(*fake) bridge.Target
	}{
		{"updater", func(f *fake) bridge.Target { return updater{f} }},
		{"replacer", func(f *fake) bridge.Target { return replacer{f} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(fakeOptions{paging: bridge.PagingOffset})
			s := start(t, declaration(userDecl(), tc.target(f), nil, nil), connector.Env{DisabledAttributes: []string{"title"}})
			created := s.do(t, "POST", "/Users", newUser(1)).must(t, "create", 201)
			id := str(created.body, "id")
			loc := "/Users/" + url.PathEscape(id)
			if _, ok := created.body["title"]; ok {
				t.Errorf("disabled title returned: %v", created.body)
			}
			if _, ok := f.object(id)["title"]; ok {
				t.Errorf("disabled title written to the target: %v", f.object(id))
			}
			before := f.object(id)
			for _, body := range []map[string]any{
				patchOps(map[string]any{"op": "replace", "path": "title", "value": "Boss"}),
				patchOps(map[string]any{"op": "add", "path": "title", "value": "Boss"}, map[string]any{"op": "remove", "path": "TITLE"}),
				patchOps(map[string]any{"op": "replace", "value": map[string]any{"title": "Boss"}}),
			} {
				f.resetCalls()
				got := s.do(t, "PATCH", loc, body).must(t, fmt.Sprintf("PATCH %v", body["Operations"]), 200)
				if str(got.body, "id") != id || str(got.body, "userName") != "user1@example.com" {
					t.Errorf("PATCH answered %v, want the resource", got.body)
				}
				if _, ok := got.body["title"]; ok {
					t.Errorf("disabled title returned: %v", got.body)
				}
				if len(f.writes) != 0 {
					t.Errorf("PATCH wrote %v", f.writes)
				}
				if diff := cmp.Diff(before, f.object(id)); diff != "" {
					t.Errorf("target object changed (-before +after):\n%s", diff)
				}
			}
			// A disabled attribute next to an enabled one: only the latter.
			f.resetCalls()
			s.do(t, "PATCH", loc, patchOps(
				map[string]any{"op": "replace", "path": "title", "value": "Boss"},
				map[string]any{"op": "replace", "path": "name.givenName", "value": "New"},
			)).must(t, "mixed PATCH", 200)
			if f.object(id)["firstName"] != "New" {
				t.Errorf("firstName %v, want New", f.object(id)["firstName"])
			}
			if _, ok := f.object(id)["title"]; ok {
				t.Errorf("disabled title written: %v", f.object(id))
			}
		})
	}
}

// TestDisabledPatchValues checks that disabled sub-attributes and
// extension attributes inside PATCH values are ignored too, and that a
// PATCH inside /Bulk (which the wrapper never sees) ignores them alike.
func TestDisabledPatchValues(t *testing.T) {
	f := newFake(fakeOptions{paging: bridge.PagingOffset})
	disabled := []string{"name.middleName", scim.EnterpriseUserSchema + ":costCenter", "title"}
	s := start(t, declaration(userDecl(), updater{f}, nil, nil), connector.Env{DisabledAttributes: disabled})
	id := str(s.do(t, "POST", "/Users", newUser(1)).must(t, "create", 201).body, "id")
	loc := "/Users/" + url.PathEscape(id)

	f.resetCalls()
	s.do(t, "PATCH", loc, patchOps(
		map[string]any{"op": "replace", "path": "name", "value": map[string]any{"givenName": "New", "familyName": "Family", "middleName": "M"}},
	)).must(t, "PATCH name with a disabled sub-attribute", 200)
	if got := f.object(id)["firstName"]; got != "New" {
		t.Errorf("firstName %v, want New", got)
	}
	f.resetCalls()
	s.do(t, "PATCH", loc, patchOps(
		map[string]any{"op": "add", "path": scim.EnterpriseUserSchema, "value": map[string]any{"costCenter": "C"}},
		map[string]any{"op": "add", "path": "name", "value": map[string]any{"middleName": "M"}},
	)).must(t, "PATCH of disabled attributes only", 200)
	if len(f.writes) != 0 {
		t.Errorf("a PATCH of disabled attributes only wrote %v", f.writes)
	}

	bulk := map[string]any{"schemas": []string{scim.BulkRequestSchema}, "Operations": []any{map[string]any{
		"method": "PATCH", "path": loc, "bulkId": "1",
		"data": patchOps(map[string]any{"op": "replace", "path": "title", "value": "Boss"}, map[string]any{"op": "replace", "path": "name.givenName", "value": "Bulk"}),
	}}}
	r := s.do(t, "POST", "/Bulk", bulk).must(t, "Bulk", 200)
	ops, _ := r.body["Operations"].([]any)
	if len(ops) != 1 || str(ops[0].(map[string]any), "status") != "200" {
		t.Fatalf("Bulk PATCH naming a disabled attribute: %v, want status 200", r.body)
	}
	if got := f.object(id)["firstName"]; got != "Bulk" {
		t.Errorf("firstName after the Bulk PATCH %v, want Bulk", got)
	}
	if _, ok := f.object(id)["title"]; ok {
		t.Errorf("disabled title written: %v", f.object(id))
	}
}

// TestDisabledBulkWrites checks that the data of Bulk POST and PUT
// operations (RFC 7644 §3.7) is accepted with disabled attributes ignored,
// as the same POST or PUT sent on its own is.
func TestDisabledBulkWrites(t *testing.T) {
	f := newFake(fakeOptions{paging: bridge.PagingOffset})
	disabled := []string{"name.middleName", scim.EnterpriseUserSchema + ":costCenter", "title"}
	s := start(t, declaration(userDecl(), updater{f}, nil, nil), connector.Env{DisabledAttributes: disabled})
	id := str(s.do(t, "POST", "/Users", newUser(1)).must(t, "create", 201).body, "id")
	withDisabled := func(n int) map[string]any {
		u := newUser(n)
		u["schemas"] = []string{scim.UserSchema, scim.EnterpriseUserSchema}
		u["title"] = "Boss"
		u["name"].(map[string]any)["middleName"] = "M"
		u[scim.EnterpriseUserSchema] = map[string]any{"costCenter": "C"}
		return u
	}
	put := withDisabled(1)
	put["name"].(map[string]any)["givenName"] = "Bulk"
	// Member names as the provider's decoder takes them, in any case.
	r := s.do(t, "POST", "/Bulk", map[string]any{"schemas": []string{scim.BulkRequestSchema}, "operations": []any{
		map[string]any{"method": "post", "path": "/Users", "bulkId": "u2", "data": withDisabled(2)},
		map[string]any{"Method": "PUT", "Path": "/Users/" + url.PathEscape(id), "Data": put},
	}}).must(t, "Bulk", 200)
	ops, _ := r.body["Operations"].([]any)
	if len(ops) != 2 {
		t.Fatalf("Bulk answered %v, want two operations", r.body)
	}
	for i, o := range ops {
		if st := str(o.(map[string]any), "status"); st != "201" && st != "200" {
			t.Errorf("operation %d: %v, want it accepted with the disabled attributes ignored", i+1, o)
		}
	}
	if got := f.object(id)["firstName"]; got != "Bulk" {
		t.Errorf("firstName after the Bulk PUT %v, want Bulk", got)
	}
	created := str(ops[0].(map[string]any), "location")
	for _, oid := range []string{id, created[strings.LastIndexByte(created, '/')+1:]} {
		obj := f.object(oid)
		if _, ok := obj["title"]; ok || obj == nil {
			t.Errorf("object %s: %v, want it without the disabled title", oid, obj)
		}
	}
}

// TestDisabledRefusedBodies: a body the provider refuses reaches it
// unchanged on an instance with disabled attributes. Stripping decodes
// and encodes the body again, which used to drop what the provider
// refuses it for: data after the object, or the first of two values of a
// key, so that a body refused elsewhere was accepted here.
func TestDisabledRefusedBodies(t *testing.T) {
	f := newFake(fakeOptions{paging: bridge.PagingOffset})
	s := start(t, declaration(userDecl(), updater{f}, nil, nil), connector.Env{DisabledAttributes: []string{"title"}})
	// A user naming the disabled title, without its closing brace.
	user := `{"schemas":["` + scim.UserSchema + `"],"userName":"first@example.com","name":{"givenName":"A","familyName":"B"},"title":"Boss"`
	for _, tc := range []struct{ name, path, body, detail string }{
		{"data after the object", "/Users", user + `} {"userName":"other"}`, "after the JSON object"},
		{"a key twice", "/Users", user + `,"userName":"second@example.com"}`, "more than once"},
		{"a key twice in Bulk", "/Bulk", `{"schemas":["` + scim.BulkRequestSchema + `"],"Operations":[{"method":"POST","path":"/Users","bulkId":"b","data":` + user + `,"userName":"second@example.com"}}]}`, "more than once"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do(t, "POST", tc.path, tc.body)
			if r.status != 400 || !strings.Contains(str(r.body, "detail"), tc.detail) {
				t.Errorf("%d %v, want 400 saying %q", r.status, r.body, tc.detail)
			}
		})
	}
	if n := f.Calls()["create"]; n != 0 {
		t.Errorf("%d creates reached the target for refused requests", n)
	}
}
