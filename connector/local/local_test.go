package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/filter"
	"github.com/scimconnect/scimconnect/scim/patch"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/scim/schema"
	"github.com/scimconnect/scimconnect/store"
	"github.com/scimconnect/scimconnect/store/sqlite"
)

// countingStore counts how the connector reads, to prove index use.
type countingStore struct {
	store.Store
	finds, lists atomic.Int64
}

type countingTx struct {
	store.Tx
	s *countingStore
}

func (c *countingStore) View(ctx context.Context, fn func(store.Tx) error) error {
	return c.Store.View(ctx, func(tx store.Tx) error { return fn(countingTx{tx, c}) })
}

func (c *countingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	return c.Store.Update(ctx, func(tx store.Tx) error { return fn(countingTx{tx, c}) })
}

func (t countingTx) FindResources(ctx context.Context, instance, typ string, key store.Key, value string) ([]*store.Resource, error) {
	t.s.finds.Add(1)
	return t.Tx.FindResources(ctx, instance, typ, key, value)
}

func (t countingTx) ListResources(ctx context.Context, instance, typ string, after int64, limit int) ([]*store.Resource, error) {
	t.s.lists.Add(1)
	return t.Tx.ListResources(ctx, instance, typ, after, limit)
}

type fixture struct {
	st     *countingStore
	users  provider.Backend
	groups provider.Backend
	ut, gt *schema.ResourceType
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	cs := &countingStore{Store: openDB(t)}
	f, _ := openFixture(t, cs)
	f.st = cs
	return f
}

// inBoth runs test over the store alone and over the read cache.
func inBoth(t *testing.T, test func(*testing.T, *fixture)) {
	t.Run("store", func(t *testing.T) { test(t, newFixture(t)) })
	t.Run("cached", func(t *testing.T) {
		f, _ := newCachedFixture(t)
		test(t, f)
	})
}

// openDB opens a fresh SQLite database, closed when the test ends.
func openDB(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "local.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openFixture opens a local instance over s. Two fixtures opened over the
// same database see the same directory.
func openFixture(t testing.TB, s store.Store) (*fixture, *directory) {
	t.Helper()
	inst, err := Type.Open(context.Background(), connector.Env{Instance: "t", Store: s}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rts := inst.ResourceTypes()
	return &fixture{users: rts[0].Backend, groups: rts[1].Backend, ut: rts[0].Type, gt: rts[1].Type}, inst.(*directory)
}

func (f *fixture) user(t *testing.T, userName string) *provider.Resource {
	t.Helper()
	attrs, err := f.ut.Validate(map[string]any{
		"schemas": []any{scim.UserSchema}, "userName": userName, "displayName": "D " + userName,
		"emails":     []any{map[string]any{"value": userName + "@example.com", "type": "work"}},
		"externalId": "ext-" + userName,
	}, schema.Create, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.users.Create(context.Background(), attrs)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *fixture) group(t *testing.T, name string, members ...string) *provider.Resource {
	t.Helper()
	var ms []any
	for _, m := range members {
		ms = append(ms, map[string]any{"value": m})
	}
	body := map[string]any{"schemas": []any{scim.GroupSchema}, "displayName": name}
	if len(ms) > 0 {
		body["members"] = ms
	}
	attrs, err := f.gt.Validate(body, schema.Create, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.groups.Create(context.Background(), attrs)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func mustFilter(t *testing.T, s string) filter.Expr {
	t.Helper()
	e, err := filter.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEqualityFiltersUseIndexes(t *testing.T) {
	f := newFixture(t)
	for i := range 30 {
		f.user(t, fmt.Sprintf("user%02d", i))
	}
	u := f.user(t, "Target")
	for _, flt := range []string{
		`userName eq "TARGET"`, `externalId eq "ext-Target"`, `emails.value eq "target@EXAMPLE.com"`,
		`emails eq "target@example.com"`, `id eq "` + u.ID + `"`, `displayName eq "d target"`,
		`userName eq "target" and displayName pr`, `not (active pr) and userName eq "target"`,
		`emails[type eq "work" and value eq "TARGET@example.com"]`, `emails[type eq "work"].value eq "target@example.com"`,
		`emails[value eq "target@example.com"] and displayName pr`,
	} {
		t.Run(flt, func(t *testing.T) {
			f.st.lists.Store(0)
			res, err := f.users.List(context.Background(), &provider.ListQuery{Filter: mustFilter(t, flt), StartIndex: 1, Count: 10})
			if err != nil {
				t.Fatal(err)
			}
			if res.TotalResults != 1 || len(res.Resources) != 1 || res.Resources[0].ID != u.ID {
				t.Fatalf("got total %d, %d resources", res.TotalResults, len(res.Resources))
			}
			if n := f.st.lists.Load(); n != 0 {
				t.Errorf("filter scanned the table (%d list calls) instead of using an index", n)
			}
		})
	}
	t.Run("the index is a superset: the whole filter still decides", func(t *testing.T) {
		f.st.lists.Store(0)
		res, err := f.users.List(context.Background(), &provider.ListQuery{Filter: mustFilter(t, `emails[type eq "home" and value eq "target@example.com"]`), StartIndex: 1, Count: 10})
		if err != nil {
			t.Fatal(err)
		}
		if res.TotalResults != 0 || f.st.lists.Load() != 0 {
			t.Errorf("total %d, list calls %d", res.TotalResults, f.st.lists.Load())
		}
	})
	t.Run("a filter without an indexed equality scans", func(t *testing.T) {
		f.st.lists.Store(0)
		res, err := f.users.List(context.Background(), &provider.ListQuery{Filter: mustFilter(t, `userName co "arge"`), StartIndex: 1, Count: 10})
		if err != nil {
			t.Fatal(err)
		}
		if res.TotalResults != 1 || f.st.lists.Load() == 0 {
			t.Errorf("total %d, list calls %d", res.TotalResults, f.st.lists.Load())
		}
	})
}

func TestMembershipIntegrity(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a, b := f.user(t, "a"), f.user(t, "b")
	g := f.group(t, "G", a.ID, b.ID)
	inner := f.group(t, "Inner")
	ops := func(body string) []patch.Operation {
		o, err := patch.Parse([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	if _, err := f.groups.Patch(ctx, g.ID, ops(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"`+inner.ID+`"}]}]}`), provider.Precondition{}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := f.groups.Get(ctx, g.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	members := got.Attrs["members"].([]any)
	if len(members) != 3 || members[2].(map[string]any)["type"] != "Group" || members[0].(map[string]any)["display"] != "D a" {
		t.Fatalf("members = %v", members)
	}
	ua, _ := f.users.Get(ctx, a.ID, nil)
	groups, _ := ua.Attrs["groups"].([]any)
	if len(groups) != 1 || groups[0].(map[string]any)["value"] != g.ID || groups[0].(map[string]any)["type"] != "direct" {
		t.Fatalf("a.groups = %v", ua.Attrs["groups"])
	}
	// Deleting a user removes it from every group.
	if err := f.users.Delete(ctx, a.ID, provider.Precondition{}); err != nil {
		t.Fatal(err)
	}
	got, _ = f.groups.Get(ctx, g.ID, nil)
	if n := len(got.Attrs["members"].([]any)); n != 2 {
		t.Errorf("after deleting a member the group has %d members, want 2", n)
	}
	// A member that does not exist is refused and nothing changes.
	_, err = f.groups.Patch(ctx, g.ID, ops(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Renamed"},{"op":"add","path":"members","value":[{"value":"nope"}]}]}`), provider.Precondition{}, nil)
	var se *scim.Error
	if !errors.As(err, &se) || se.Status != 400 || se.ScimType != scim.InvalidValue {
		t.Fatalf("adding a missing member: %v", err)
	}
	got, _ = f.groups.Get(ctx, g.ID, nil)
	if got.Attrs["displayName"] != "G" {
		t.Errorf("a failed PATCH renamed the group to %v", got.Attrs["displayName"])
	}
	// A projection without members does not load them.
	proj, _ := f.gt.NewProjection(nil, []string{"members"})
	got, _ = f.groups.Get(ctx, g.ID, proj)
	if _, ok := got.Attrs["members"]; ok {
		t.Error("members loaded although excluded")
	}
}

func TestIndexPagingSurvivesDeletes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	var ids []string
	for i := range 25 {
		ids = append(ids, f.user(t, fmt.Sprintf("p%02d", i)).ID)
	}
	page := func(start int) []string {
		res, err := f.users.List(ctx, &provider.ListQuery{StartIndex: start, Count: 10})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range res.Resources {
			out = append(out, r.ID)
		}
		return out
	}
	if got := page(11); len(got) != 10 || got[0] != ids[10] {
		t.Fatalf("page 2 = %v", got)
	}
	page(1) // remembers where index 11 starts
	if err := f.users.Delete(ctx, ids[0], provider.Precondition{}); err != nil {
		t.Fatal(err)
	}
	// After a delete, index 11 is the resource that was 12th.
	if got := page(11); got[0] != ids[11] {
		t.Errorf("after a delete, startIndex 11 begins with %s, want %s", got[0], ids[11])
	}
	if got := page(30); len(got) != 0 {
		t.Errorf("past the end: %v", got)
	}
}

// pausingStore lets a test hold one read transaction after its first
// read of resources, to run a write while the read still holds its
// snapshot (arm, then wait for paused, write, close resume).
type pausingStore struct {
	store.Store
	exclusive bool // claim store.Exclusive, so the connector caches
	armed     atomic.Bool
	paused    chan struct{} // closed when the armed read has read
	resume    chan struct{} // closed by the test to let it finish
}

func (s *pausingStore) arm() {
	s.paused, s.resume = make(chan struct{}), make(chan struct{})
	s.armed.Store(true)
}

func (s *pausingStore) Exclusive() bool { return s.exclusive }

func (s *pausingStore) View(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.View(ctx, func(tx store.Tx) error { return fn(pausingTx{tx, s}) })
}

type pausingTx struct {
	store.Tx
	s *pausingStore
}

func (t pausingTx) pause() {
	if t.s.armed.CompareAndSwap(true, false) {
		close(t.s.paused)
		<-t.s.resume
	}
}

func (t pausingTx) GetResource(ctx context.Context, instance, typ, id string) (*store.Resource, error) {
	r, err := t.Tx.GetResource(ctx, instance, typ, id)
	t.pause()
	return r, err
}

func (t pausingTx) FindResources(ctx context.Context, instance, typ string, key store.Key, value string) ([]*store.Resource, error) {
	rs, err := t.Tx.FindResources(ctx, instance, typ, key, value)
	t.pause()
	return rs, err
}

func (t pausingTx) ListResources(ctx context.Context, instance, typ string, after int64, limit int) ([]*store.Resource, error) {
	rs, err := t.Tx.ListResources(ctx, instance, typ, after, limit)
	t.pause()
	return rs, err
}

// TestIndexPagingForgetsPagesReadBeforeADelete: a page read from a
// snapshot taken before a delete, but finished after it, must not leave
// its end remembered: after the delete, indexes past the deleted resource
// moved by one.
func TestIndexPagingForgetsPagesReadBeforeADelete(t *testing.T) {
	ctx := context.Background()
	ps := &pausingStore{Store: openDB(t)}
	f, _ := openFixture(t, ps)
	var ids []string
	for i := range 10 {
		ids = append(ids, f.user(t, fmt.Sprintf("r%02d", i)).ID)
	}
	ps.arm()
	done := make(chan error, 1)
	go func() {
		_, err := f.users.List(ctx, &provider.ListQuery{StartIndex: 1, Count: 5})
		done <- err
	}()
	<-ps.paused // the first page is read, not yet answered
	if err := f.users.Delete(ctx, ids[1], provider.Precondition{}); err != nil {
		t.Fatal(err)
	}
	close(ps.resume)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	res, err := f.users.List(ctx, &provider.ListQuery{StartIndex: 6, Count: 5})
	if err != nil {
		t.Fatal(err)
	}
	// Without ids[1], index 6 is ids[6].
	if len(res.Resources) != 4 || res.Resources[0].ID != ids[6] {
		var got []string
		for _, r := range res.Resources {
			got = append(got, r.ID)
		}
		t.Errorf("after the delete, startIndex 6 = %v, want the 4 users from %s", got, ids[6])
	}
}

func TestCursorPagingVisitsEveryUserOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for i := range 23 {
		f.user(t, fmt.Sprintf("c%02d", i))
	}
	for _, flt := range []string{"", `userName sw "c"`} {
		seen := map[string]bool{}
		pos := ""
		for pages := 0; ; pages++ {
			q := &provider.ListQuery{Cursor: true, Position: pos, Count: 5}
			if flt != "" {
				q.Filter = mustFilter(t, flt)
			}
			res, err := f.users.List(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.Resources {
				if seen[r.ID] {
					t.Fatalf("%q: %s returned twice", flt, r.ID)
				}
				seen[r.ID] = true
			}
			if res.NextPosition == "" {
				if len(res.Resources) == 0 {
					t.Errorf("%q: the last page is empty: the previous page should not have had a next cursor", flt)
				}
				break
			}
			pos = res.NextPosition
			if pages > 10 {
				t.Fatal("too many pages")
			}
		}
		if len(seen) != 23 {
			t.Errorf("%q: saw %d users, want 23", flt, len(seen))
		}
	}
}

func TestUserNameUniqueAndPasswordHashed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.user(t, "dup")
	attrs, _ := f.ut.Validate(map[string]any{"schemas": []any{scim.UserSchema}, "userName": "DUP"}, schema.Create, nil)
	_, err := f.users.Create(ctx, attrs)
	var se *scim.Error
	if !errors.As(err, &se) || se.Status != 409 || se.ScimType != scim.Uniqueness {
		t.Fatalf("duplicate userName: %v", err)
	}
	attrs, _ = f.ut.Validate(map[string]any{"schemas": []any{scim.UserSchema}, "userName": "pw", "password": "s3cret!"}, schema.Create, nil)
	res, err := f.users.Create(ctx, attrs)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.Attrs["password"]; ok {
		t.Error("password returned by the backend")
	}
	var raw []byte
	_ = f.st.View(ctx, func(tx store.Tx) error {
		r, err := tx.GetResource(ctx, "t", "User", res.ID)
		if err == nil {
			raw = r.Data
		}
		return err
	})
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if pw, _ := doc["password"].(string); pw == "" || pw == "s3cret!" {
		t.Errorf("stored password %q: want a hash", pw)
	}
}

// TestGroupDisplayNameUnique: a group's name is unique without case, so
// a create retried after its answer was lost is refused instead of making
// a second group, and a rename onto a taken name changes nothing.
func TestGroupDisplayNameUnique(t *testing.T) {
	inBoth(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		if u := f.gt.Schema.Attr("displayName").Uniqueness; u != schema.Server {
			t.Errorf("Group displayName uniqueness advertised as %q, want server", u)
		}
		member := f.user(t, "member")
		sales := f.group(t, "Sales", member.ID)
		ops := f.group(t, "Ops")
		isUniqueness := func(what string, err error) {
			t.Helper()
			var se *scim.Error
			if !errors.As(err, &se) || se.Status != http.StatusConflict || se.ScimType != scim.Uniqueness || !strings.Contains(se.Detail, "displayName") {
				t.Errorf("%s: %v, want 409 uniqueness naming displayName", what, err)
			}
		}

		retry, err := f.gt.Validate(map[string]any{"schemas": []any{scim.GroupSchema}, "displayName": "SALES",
			"members": []any{map[string]any{"value": member.ID}}}, schema.Create, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.groups.Create(ctx, retry)
		isUniqueness("second create of the same name", err)

		renamed, err := f.gt.Validate(map[string]any{"schemas": []any{scim.GroupSchema}, "displayName": "sales"}, schema.Replace, ops.Attrs)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.groups.Replace(ctx, ops.ID, renamed, provider.Precondition{})
		isUniqueness("replace onto a taken name", err)
		_, err = f.groups.Patch(ctx, ops.ID, patchOps(t, `[{"op":"replace","path":"displayName","value":"Sales"}]`), provider.Precondition{}, nil)
		isUniqueness("PATCH onto a taken name", err)

		got, err := f.groups.Get(ctx, ops.ID, nil)
		if err != nil || got.Attrs["displayName"] != "Ops" || got.Version != ops.Version {
			t.Errorf("Ops after the refused renames: %v, %v; want unchanged", got, err)
		}
		list, err := f.groups.List(ctx, &provider.ListQuery{Filter: mustFilter(t, `displayName eq "sales"`), StartIndex: 1, Count: 10})
		if err != nil || list.TotalResults != 1 || list.Resources[0].ID != sales.ID {
			t.Fatalf("groups named sales: %+v, %v; want only the first", list, err)
		}
		if gs, err := f.users.Get(ctx, member.ID, nil); err != nil || len(gs.Attrs["groups"].([]any)) != 1 {
			t.Errorf("member's groups after the refused create: %v, %v; want one", gs, err)
		}

		if _, err := f.groups.Patch(ctx, sales.ID, patchOps(t, `[{"op":"replace","path":"displayName","value":"SALES"}]`), provider.Precondition{}, nil); err != nil {
			t.Errorf("changing the case of a group's own name: %v", err)
		}
		if err := f.groups.Delete(ctx, sales.ID, provider.Precondition{}); err != nil {
			t.Fatal(err)
		}
		f.group(t, "sales")
	})
}

// TestPatchRemovesPassword: a PATCH that removes password clears the
// stored hash (RFC 7644 §3.5.2.2), although the password is never shown;
// a PUT, whose body can never hold it (returned never), keeps it.
func TestPatchRemovesPassword(t *testing.T) {
	t.Run("store", func(t *testing.T) {
		f := newFixture(t)
		testPatchRemovesPassword(t, f, f.st)
	})
	t.Run("cached", func(t *testing.T) {
		f, es := newCachedFixture(t)
		testPatchRemovesPassword(t, f, es)
	})
}

func testPatchRemovesPassword(t *testing.T, f *fixture, st store.Store) {
	ctx := context.Background()
	attrs, err := f.ut.Validate(map[string]any{"schemas": []any{scim.UserSchema}, "userName": "pw", "password": "s3cret!"}, schema.Create, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := f.users.Create(ctx, attrs)
	if err != nil {
		t.Fatal(err)
	}
	put, err := f.ut.Validate(map[string]any{"schemas": []any{scim.UserSchema}, "userName": "pw", "displayName": "PW"}, schema.Replace, u.Attrs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.users.Replace(ctx, u.ID, put, provider.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if storedPassword(t, st, u.ID) == "" {
		t.Fatal("a PUT without password cleared it")
	}
	setPassword := patchOps(t, `[{"op":"replace","path":"password","value":"n3w-s3cret!"}]`)
	for _, remove := range []string{
		`[{"op":"remove","path":"password"}]`,
		`[{"op":"replace","path":"password","value":null}]`,
		`[{"op":"replace","value":{"password":null}}]`,
		`[{"op":"add","path":"password","value":"x"},{"op":"remove","path":"password"}]`,
	} {
		if _, err := f.users.Patch(ctx, u.ID, setPassword, provider.Precondition{}, nil); err != nil {
			t.Fatal(err)
		}
		before := storedPassword(t, st, u.ID)
		got, err := f.users.Get(ctx, u.ID, nil) // in the cache now, if there is one
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.users.Patch(ctx, u.ID, patchOps(t, remove), provider.Precondition{}, nil)
		if err != nil {
			t.Fatalf("PATCH %s: %v", remove, err)
		}
		if pw := storedPassword(t, st, u.ID); pw != "" || before == "" {
			t.Errorf("stored password after PATCH %s = %q (before: %q), want none", remove, pw, before)
		}
		if res.Version == got.Version {
			t.Errorf("version %s unchanged by PATCH %s", res.Version, remove)
		}
	}
	if _, err := f.users.Patch(ctx, u.ID, patchOps(t, `[{"op":"remove","path":"password"}]`), provider.Precondition{}, nil); err != nil {
		t.Errorf("removing a password already gone: %v", err)
	}
	if _, err := f.users.Patch(ctx, u.ID, patchOps(t, `[{"op":"remove","path":"password"},{"op":"add","path":"password","value":"again!"}]`), provider.Precondition{}, nil); err != nil || storedPassword(t, st, u.ID) == "" {
		t.Errorf("remove then add of a password: %v; want the new one stored", err)
	}
}

func TestOpenRejectsParameters(t *testing.T) {
	_, err := Type.Open(context.Background(), connector.Env{Instance: "x", Store: &countingStore{}}, json.RawMessage(`{"url":"x"}`))
	if err == nil {
		t.Error("unknown parameter accepted")
	}
}

func BenchmarkAddMember(b *testing.B) {
	for _, size := range []int{10, 10000} {
		b.Run(fmt.Sprintf("group=%d", size), func(b *testing.B) {
			ctx := context.Background()
			db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			inst, _ := Type.Open(ctx, connector.Env{Instance: "b", Store: db}, nil)
			rts := inst.ResourceTypes()
			ut, users, gt, groups := rts[0].Type, rts[0].Backend, rts[1].Type, rts[1].Backend
			var ids []any
			for i := range size + b.N {
				a, _ := ut.Validate(map[string]any{"schemas": []any{scim.UserSchema}, "userName": fmt.Sprintf("m%d", i)}, schema.Create, nil)
				r, err := users.Create(ctx, a)
				if err != nil {
					b.Fatal(err)
				}
				ids = append(ids, map[string]any{"value": r.ID})
			}
			ga, _ := gt.Validate(map[string]any{"schemas": []any{scim.GroupSchema}, "displayName": "G", "members": ids[:size]}, schema.Create, nil)
			g, err := groups.Create(ctx, ga)
			if err != nil {
				b.Fatal(err)
			}
			proj, _ := gt.NewProjection(nil, []string{"members"})
			b.ResetTimer()
			for i := range b.N {
				body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":%q}]}]}`, ids[size+i].(map[string]any)["value"])
				ops, _ := patch.Parse([]byte(body))
				if _, err := groups.Patch(ctx, g.ID, ops, provider.Precondition{}, proj); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestCoalesceKeepsOrderAcrossKinds(t *testing.T) {
	in := []patch.MemberChange{
		{Op: patch.MemberRemove, IDs: []string{"a"}}, {Op: patch.MemberRemove, IDs: []string{"b"}},
		{Op: patch.MemberAdd, IDs: []string{"a"}}, {Op: patch.MemberAdd, IDs: []string{"c"}},
		{Op: patch.MemberRemoveAll}, {Op: patch.MemberRemoveAll},
		{Op: patch.MemberRemove, IDs: []string{"c"}},
	}
	got := coalesce(in)
	want := []patch.MemberChange{
		{Op: patch.MemberRemove, IDs: []string{"a", "b"}},
		{Op: patch.MemberAdd, IDs: []string{"a", "c"}},
		{Op: patch.MemberRemoveAll}, {Op: patch.MemberRemoveAll},
		{Op: patch.MemberRemove, IDs: []string{"c"}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("coalesce = %v, want %v", got, want)
	}
	if in[0].IDs[0] != "a" || len(in[0].IDs) != 1 {
		t.Errorf("coalesce changed its input: %v", in[0])
	}
}

// TestNestedChangesChangeVersions: when a group joins another, the users
// below it get a new indirect group, so their version must change.
func TestNestedChangesChangeVersions(t *testing.T) {
	inBoth(t, testNestedChangesChangeVersions)
}

func testNestedChangesChangeVersions(t *testing.T, f *fixture) {
	ctx := context.Background()
	u := f.user(t, "nested")
	child := f.group(t, "Child", u.ID)
	before, _ := f.users.Get(ctx, u.ID, nil)
	parent := f.group(t, "Parent", child.ID)
	after, err := f.users.Get(ctx, u.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if after.Version == before.Version {
		t.Errorf("version %s unchanged although an indirect group appeared", after.Version)
	}
	groups, _ := after.Attrs["groups"].([]any)
	if len(groups) != 2 || groups[1].(map[string]any)["value"] != parent.ID || groups[1].(map[string]any)["type"] != "indirect" {
		t.Fatalf("groups = %v", after.Attrs["groups"])
	}
	ops, _ := patch.Parse([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Renamed"}]}`))
	if _, err := f.groups.Patch(ctx, parent.ID, ops, provider.Precondition{}, nil); err != nil {
		t.Fatal(err)
	}
	renamed, _ := f.users.Get(ctx, u.ID, nil)
	if renamed.Version == after.Version {
		t.Error("renaming an indirect group did not change the user's version")
	}
	if d := renamed.Attrs["groups"].([]any)[1].(map[string]any)["display"]; d != "Renamed" {
		t.Errorf("indirect group display %v", d)
	}
}

func TestOpenRejectsAttributeSettings(t *testing.T) {
	for _, env := range []connector.Env{
		{Instance: "x", Store: &countingStore{}, CustomAttributes: "badge|string;"},
		{Instance: "x", Store: &countingStore{}, DisabledAttributes: []string{"title"}},
	} {
		if _, err := Type.Open(context.Background(), env, nil); err == nil {
			t.Errorf("Open accepted %+v", env)
		}
	}
}

// TestReplaceChecksImmutableAgainstStored: a PUT may not change an
// immutable attribute that has a value (RFC 7643 §7); omitting it keeps it.
func TestReplaceChecksImmutableAgainstStored(t *testing.T) {
	ctx := context.Background()
	_, dir := openFixture(t, openDB(t))
	badge := schema.NewAttribute("badge", schema.String)
	badge.Mutability = schema.Immutable
	dir.userType.Schema.AddAttribute(badge)
	users := dir.ResourceTypes()[0].Backend
	body := func(b string) map[string]any {
		m := map[string]any{"schemas": []any{scim.UserSchema}, "userName": "imm"}
		if b != "" {
			m["badge"] = b
		}
		v, err := dir.userType.Validate(m, schema.Create, nil)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	u, err := users.Create(ctx, body("B-1"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = users.Replace(ctx, u.ID, body("B-2"), provider.Precondition{})
	var se *scim.Error
	if !errors.As(err, &se) || se.Status != 400 || se.ScimType != scim.Mutability {
		t.Fatalf("changing an immutable attribute: %v", err)
	}
	res, err := users.Replace(ctx, u.ID, body(""), provider.Precondition{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Attrs["badge"] != "B-1" {
		t.Errorf("omitting an immutable attribute dropped it: %v", res.Attrs["badge"])
	}
}

// TestNewIDIsTimeOrderedUUID: ids are RFC 9562 version 7 UUIDs, and ids
// made later sort after earlier ones (their millisecond prefix grows).
func TestNewIDIsTimeOrderedUUID(t *testing.T) {
	shape := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	first := newID()
	seen := map[string]bool{}
	for range 1000 {
		id := newID()
		if !shape.MatchString(id) {
			t.Fatalf("id %q is not a version 7 UUID", id)
		}
		if seen[id] {
			t.Fatalf("id %q made twice", id)
		}
		seen[id] = true
	}
	time.Sleep(2 * time.Millisecond)
	if later := newID(); later[:13] <= first[:13] {
		t.Errorf("id %s made later does not sort after %s", later, first)
	}
}

// TestNestedGroupChangesChangeItsParents: a group that is a member of
// another shows in the parent's members (value and display), so renaming
// it (PATCH or PUT) or deleting it changes what a GET of the parent
// returns: the parent's version must change and a cached parent must not
// be served.
func TestNestedGroupChangesChangeItsParents(t *testing.T) {
	inBoth(t, testNestedGroupChangesChangeItsParents)
}

func testNestedGroupChangesChangeItsParents(t *testing.T, f *fixture) {
	ctx := context.Background()
	u := f.user(t, "below")
	child := f.group(t, "Child", u.ID)
	parent := f.group(t, "Parent", child.ID)
	get := func() *provider.Resource {
		t.Helper()
		got, err := f.groups.Get(ctx, parent.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	memberDisplay := func(g *provider.Resource) any {
		ms, _ := g.Attrs["members"].([]any)
		if len(ms) != 1 {
			t.Fatalf("parent members = %v", g.Attrs["members"])
		}
		return ms[0].(map[string]any)["display"]
	}
	before := get()
	if d := memberDisplay(before); d != "Child" {
		t.Fatalf("member display %v", d)
	}
	ops, _ := patch.Parse([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Kid"}]}`))
	if _, err := f.groups.Patch(ctx, child.ID, ops, provider.Precondition{}, nil); err != nil {
		t.Fatal(err)
	}
	patched := get()
	if d := memberDisplay(patched); d != "Kid" || patched.Version == before.Version {
		t.Errorf("after renaming a member group by PATCH: member display %v, version %s (was %s)", d, patched.Version, before.Version)
	}
	attrs, err := f.gt.Validate(map[string]any{"schemas": []any{scim.GroupSchema}, "displayName": "Youngster", "members": []any{map[string]any{"value": u.ID}}}, schema.Replace, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.groups.Replace(ctx, child.ID, attrs, provider.Precondition{}); err != nil {
		t.Fatal(err)
	}
	replaced := get()
	if d := memberDisplay(replaced); d != "Youngster" || replaced.Version == patched.Version {
		t.Errorf("after renaming a member group by PUT: member display %v, version %s (was %s)", d, replaced.Version, patched.Version)
	}
	if err := f.groups.Delete(ctx, child.ID, provider.Precondition{}); err != nil {
		t.Fatal(err)
	}
	deleted := get()
	if ms, ok := deleted.Attrs["members"]; ok || deleted.Version == replaced.Version {
		t.Errorf("after deleting its member group the parent shows members %v, version %s (was %s)", ms, deleted.Version, replaced.Version)
	}
}

// TestFilterOnSchemas: `schemas` is an attribute of every resource (RFC
// 7643 §3) and filters on it see what a response shows: the core schema,
// and an extension's URN only when the resource has its attributes.
func TestFilterOnSchemas(t *testing.T) {
	f := newFixture(t)
	plain := f.user(t, "plain")
	attrs, err := f.ut.Validate(map[string]any{
		"schemas":                 []any{scim.UserSchema, scim.EnterpriseUserSchema},
		"userName":                "employee",
		scim.EnterpriseUserSchema: map[string]any{"employeeNumber": "7"},
	}, schema.Create, nil)
	if err != nil {
		t.Fatal(err)
	}
	emp, err := f.users.Create(context.Background(), attrs)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{`schemas eq "` + scim.EnterpriseUserSchema + `"`, []string{emp.ID}},
		{`schemas eq "` + scim.UserSchema + `"`, []string{plain.ID, emp.ID}},
		{`schemas pr`, []string{plain.ID, emp.ID}},
		{`not (schemas eq "` + scim.EnterpriseUserSchema + `")`, []string{plain.ID}},
		{`schemas eq "urn:example:other"`, nil},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			res, err := f.users.List(context.Background(), &provider.ListQuery{Filter: mustFilter(t, tc.filter), StartIndex: 1, Count: 10})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range res.Resources {
				got = append(got, r.ID)
			}
			if !slices.Equal(got, tc.want) || res.TotalResults != len(tc.want) {
				t.Errorf("got %v (total %d), want %v", got, res.TotalResults, tc.want)
			}
		})
	}
}

// TestUserNameLookupAgreesWithUniqueness: whenever creating a user is
// refused as a duplicate userName, a userName eq filter for that name
// must find the holder. Otherwise Entra and Okta, which look a user up
// before creating it, see "not found", get 409 and loop. The pairs are
// those where Unicode case mappings disagree (Turkish dotted and dotless
// i, Greek final sigma, micro sign, long s, Kelvin sign).
func TestUserNameLookupAgreesWithUniqueness(t *testing.T) {
	ctx := context.Background()
	pairs := [][2]string{
		{"dotlessI", "dotlessİ"}, {"dottedİ", "dottedi"}, {"dotlessı", "dotlessI"},
		{"σοφος", "ΣΟΦΟΣ"}, {"µ-micro", "μ-micro"}, {"ſtop", "stop"}, {"kelvin", "\u212Aelvin"},
		{"Straße", "STRASSE"}, {"Alice", "ALICE"},
	}
	inBoth(t, func(t *testing.T, f *fixture) {
		for i, p := range pairs {
			p[0], p[1] = fmt.Sprint(p[0], i), fmt.Sprint(p[1], i) // no pair meets another's names
			holder := f.user(t, p[0])
			res, err := f.users.List(ctx, &provider.ListQuery{Filter: mustFilter(t, `userName eq "`+p[1]+`"`), StartIndex: 1, Count: 10})
			if err != nil {
				t.Fatal(err)
			}
			found := res.TotalResults == 1 && res.Resources[0].ID == holder.ID
			attrs, err := f.ut.Validate(map[string]any{"schemas": []any{scim.UserSchema}, "userName": p[1]}, schema.Create, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.users.Create(ctx, attrs)
			var se *scim.Error
			taken := errors.As(err, &se) && se.Status == 409
			if err != nil && !taken {
				t.Fatalf("create %q: %v", p[1], err)
			}
			if found != taken {
				t.Errorf("%q held: userName eq %q finds it: %v, creating %q is a duplicate: %v", p[0], p[1], found, p[1], taken)
			}
		}
	})
}

// TestFilterOnComputedWithCoreURN: a filter may name a core attribute
// with its schema's URN (RFC 7644 §3.10); on the computed attribute
// (User.groups) it must find what the short form finds. The parser keeps
// the URN in Path.URN, so the computed attribute was never loaded and the
// long form matched nothing. The same holds for schemas.
func TestFilterOnComputedWithCoreURN(t *testing.T) {
	inBoth(t, func(t *testing.T, f *fixture) {
		u := f.user(t, "alice")
		g := f.group(t, "G", u.ID)
		f.user(t, "bob")
		for _, flt := range []string{
			`groups.value eq "` + g.ID + `"`,
			scim.UserSchema + `:groups.value eq "` + g.ID + `"`,
			scim.UserSchema + `:groups[value eq "` + g.ID + `"]`,
			`userName eq "alice" and ` + scim.UserSchema + `:groups.value eq "` + g.ID + `"`,
		} {
			res, err := f.users.List(context.Background(), &provider.ListQuery{Filter: mustFilter(t, flt), StartIndex: 1, Count: 10})
			if err != nil {
				t.Fatal(err)
			}
			if res.TotalResults != 1 || len(res.Resources) != 1 || res.Resources[0].ID != u.ID {
				t.Errorf("%s: %d results, want alice", flt, res.TotalResults)
			}
		}
		res, err := f.users.List(context.Background(), &provider.ListQuery{Filter: mustFilter(t, scim.UserSchema+`:schemas eq "`+scim.UserSchema+`"`), StartIndex: 1, Count: 10})
		if err != nil {
			t.Fatal(err)
		}
		if res.TotalResults != 2 {
			t.Errorf("schemas with the core URN: %d results, want 2", res.TotalResults)
		}
	})
}

// interposingStore runs a write, once armed, just before the next read
// transaction starts: what another request commits between a write's
// commit and the read that loads its computed attribute.
type interposingStore struct {
	store.Store
	mu    sync.Mutex
	write func()
}

func (s *interposingStore) View(ctx context.Context, fn func(store.Tx) error) error {
	s.mu.Lock()
	w := s.write
	s.write = nil
	s.mu.Unlock()
	if w != nil {
		w()
	}
	return s.Store.View(ctx, fn)
}

// TestWriteAnswerVersionMatchesContent: the answer to a PUT loads the
// group's members after its commit. A member added in between came back
// under the PUT's version, one version behind the content: a client
// caching by ETag would keep members that version never had.
func TestWriteAnswerVersionMatchesContent(t *testing.T) {
	st := &interposingStore{Store: openDB(t)}
	f, _ := openFixture(t, st)
	ctx := context.Background()
	u1, u2 := f.user(t, "first"), f.user(t, "second")
	g := f.group(t, "team", u1.ID)
	st.mu.Lock()
	st.write = func() {
		ops, err := patch.Parse([]byte(`{"schemas":["` + scim.PatchOpSchema + `"],"Operations":[{"op":"add","path":"members","value":[{"value":"` + u2.ID + `"}]}]}`))
		if err != nil {
			t.Error(err)
			return
		}
		if _, err := f.groups.Patch(ctx, g.ID, ops, provider.Precondition{}, nil); err != nil {
			t.Error(err)
		}
	}
	st.mu.Unlock()
	attrs, err := f.gt.Validate(map[string]any{"schemas": []any{scim.GroupSchema}, "displayName": "renamed", "members": []any{map[string]any{"value": u1.ID}}}, schema.Replace, nil)
	if err != nil {
		t.Fatal(err)
	}
	put, err := f.groups.Replace(ctx, g.ID, attrs, provider.Precondition{})
	if err != nil {
		t.Fatal(err)
	}
	now, err := f.groups.Get(ctx, g.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(memberValues(now)); n != 2 {
		t.Fatalf("the interposed write did not land: %d members", n)
	}
	if put.Version == now.Version && !slices.Equal(memberValues(put), memberValues(now)) {
		t.Errorf("PUT answered version %s with members %v; that version has %v", put.Version, memberValues(put), memberValues(now))
	}
	if put.Version != now.Version && len(memberValues(put)) != 1 {
		t.Errorf("PUT answered its own version %s with members %v, which only a later version has", put.Version, memberValues(put))
	}
}

func memberValues(res *provider.Resource) []string {
	var out []string
	ms, _ := res.Attrs["members"].([]any)
	for _, m := range ms {
		out = append(out, m.(map[string]any)["value"].(string))
	}
	slices.Sort(out)
	return out
}
