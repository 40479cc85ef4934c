package local

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/scim/schema"
	"github.com/scimconnect/scimconnect/store"
	"github.com/scimconnect/scimconnect/store/sqlite"
)

// readCountingStore is exclusive (so the connector caches) and counts the
// reads write transactions make and the read transactions.
type readCountingStore struct {
	store.Store
	views                           atomic.Int64
	gets, groupsOf, members, lookup atomic.Int64
}

func (s *readCountingStore) Exclusive() bool { return true }

func (s *readCountingStore) View(ctx context.Context, fn func(store.Tx) error) error {
	s.views.Add(1)
	return s.Store.View(ctx, fn)
}

func (s *readCountingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error { return fn(readCountingTx{tx, s}) })
}

func (s *readCountingStore) reads() int64 {
	return s.gets.Load() + s.groupsOf.Load() + s.members.Load() + s.lookup.Load()
}

type readCountingTx struct {
	store.Tx
	s *readCountingStore
}

func (t readCountingTx) GetResource(ctx context.Context, instance, typ, id string) (*store.Resource, error) {
	t.s.gets.Add(1)
	return t.Tx.GetResource(ctx, instance, typ, id)
}

func (t readCountingTx) GroupsOf(ctx context.Context, instance, id string) ([]store.GroupRef, error) {
	t.s.groupsOf.Add(1)
	return t.Tx.GroupsOf(ctx, instance, id)
}

func (t readCountingTx) GroupsOfMany(ctx context.Context, instance string, ids []string) (map[string][]store.GroupRef, error) {
	t.s.groupsOf.Add(1)
	return t.Tx.GroupsOfMany(ctx, instance, ids)
}

func (t readCountingTx) Members(ctx context.Context, instance, groupID string) ([]store.Member, error) {
	t.s.members.Add(1)
	return t.Tx.Members(ctx, instance, groupID)
}

func (t readCountingTx) TypesOf(ctx context.Context, instance string, ids []string) (map[string]string, error) {
	t.s.lookup.Add(1)
	return t.Tx.TypesOf(ctx, instance, ids)
}

// writeFixture is a cached directory over SQLite that counts reads, and a
// second directory of the same instance on the same store (as while the
// gateway swaps an instance's connector), whose writes the first one's
// cache does not see.
type writeFixture struct {
	*fixture
	st    *readCountingStore
	db    *sqlite.DB
	other *fixture
}

func newWriteFixture(t *testing.T) *writeFixture {
	t.Helper()
	db := openDB(t)
	st := &readCountingStore{Store: db}
	open := func(s store.Store) *fixture {
		f, dir := openFixture(t, s)
		if dir.cache == nil {
			t.Fatal("no cache on an exclusive store")
		}
		return f
	}
	return &writeFixture{fixture: open(st), st: st, db: db, other: open(&readCountingStore{Store: db})}
}

func (f *writeFixture) patch(t *testing.T, b provider.Backend, id, ops string, cond provider.Precondition) (*provider.Resource, error) {
	t.Helper()
	return b.Patch(context.Background(), id, patchOps(t, ops), cond, nil)
}

// storedUser is a user as the store holds it.
type storedUser struct {
	Version int64
	Attrs   map[string]any
}

// stored reads a user from the store, past every cache.
func (f *writeFixture) stored(t *testing.T, id string) storedUser {
	t.Helper()
	var out storedUser
	err := f.db.View(context.Background(), func(tx store.Tx) error {
		r, err := tx.GetResource(context.Background(), "t", "User", id)
		if err == nil {
			out.Version = r.Version
			err = json.Unmarshal(r.Data, &out.Attrs)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// storedPassword reads the password hash kept in the stored document.
func (f *writeFixture) storedPassword(t *testing.T, id string) string {
	t.Helper()
	return storedPassword(t, f.db, id)
}

// storedPassword reads the password hash kept in the stored document of
// user id of instance "t".
func storedPassword(t *testing.T, st store.Store, id string) string {
	t.Helper()
	var doc map[string]any
	err := st.View(context.Background(), func(tx store.Tx) error {
		r, err := tx.GetResource(context.Background(), "t", "User", id)
		if err == nil {
			err = json.Unmarshal(r.Data, &doc)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := doc["password"].(string)
	return pw
}

// TestPatchFromCacheReadsNothing: a PATCH of a cached user writes without
// reading the user, its groups or anything else, answers with the new
// state, and leaves the new state cached (write-through), so the next GET
// and the next PATCH read nothing either.
func TestPatchFromCacheReadsNothing(t *testing.T) {
	ctx := context.Background()
	f := newWriteFixture(t)
	u := f.user(t, "cached")
	before := f.st.reads()
	res, err := f.patch(t, f.users, u.ID, `[{"op":"replace","path":"displayName","value":"New"},{"op":"replace","path":"active","value":false}]`, provider.Precondition{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != "2" || res.Attrs["displayName"] != "New" || res.Attrs["active"] != false || res.Attrs["userName"] != "cached" {
		t.Errorf("PATCH answered version %s, attrs %v", res.Version, res.Attrs)
	}
	if _, ok := res.Attrs["groups"]; ok {
		t.Errorf("a user in no group answered groups %v", res.Attrs["groups"])
	}
	if n := f.st.reads() - before; n != 0 {
		t.Errorf("PATCH of a cached user made %d store reads", n)
	}
	views := f.st.views.Load()
	got, err := f.users.Get(ctx, u.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != "2" || got.Attrs["displayName"] != "New" {
		t.Errorf("GET after PATCH: version %s, displayName %v", got.Version, got.Attrs["displayName"])
	}
	if n := f.st.views.Load() - views; n != 0 {
		t.Errorf("GET after PATCH read the store %d times: the PATCH did not write through", n)
	}
	if _, err := f.patch(t, f.users, u.ID, `[{"op":"replace","path":"displayName","value":"Newer"}]`, provider.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if n := f.st.reads() - before; n != 0 {
		t.Errorf("a second PATCH made %d store reads", n)
	}
	// What was written is what the store holds.
	if got := f.stored(t, u.ID); got.Version != 3 || got.Attrs["displayName"] != "Newer" || got.Attrs["active"] != false {
		t.Errorf("stored: version %d, attrs %v", got.Version, got.Attrs)
	}
	// The userName lookup still finds the user, with the new state.
	list, err := f.users.List(ctx, &provider.ListQuery{Filter: mustFilter(t, `userName eq "cached"`), StartIndex: 1, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Resources) != 1 || list.Resources[0].Attrs["displayName"] != "Newer" {
		t.Errorf("filter after PATCH: %v", list.Resources)
	}
}

// TestPatchFromStaleCacheUsesTheStore: when another writer changed the
// user behind the cache, the cached copy's version no longer matches, so
// the PATCH applies to the stored user: both changes survive.
func TestPatchFromStaleCacheUsesTheStore(t *testing.T) {
	f := newWriteFixture(t)
	u := f.user(t, "stale")
	if _, err := f.patch(t, f.other.users, u.ID, `[{"op":"replace","path":"title","value":"Boss"}]`, provider.Precondition{}); err != nil {
		t.Fatal(err)
	}
	res, err := f.patch(t, f.users, u.ID, `[{"op":"replace","path":"displayName","value":"Mine"}]`, provider.Precondition{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != "3" || res.Attrs["title"] != "Boss" || res.Attrs["displayName"] != "Mine" {
		t.Errorf("PATCH over a stale cache answered version %s, attrs %v", res.Version, res.Attrs)
	}
	got := f.stored(t, u.ID)
	if got.Version != 3 || got.Attrs["title"] != "Boss" || got.Attrs["displayName"] != "Mine" {
		t.Errorf("stored: version %d, attrs %v", got.Version, got.Attrs)
	}
	// An operation that fails on the stale copy but not on the stored
	// user is decided by the stored user.
	if _, err := f.patch(t, f.other.users, u.ID, `[{"op":"add","path":"nickName","value":"nick"}]`, provider.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.patch(t, f.users, u.ID, `[{"op":"remove","path":"nickName"}]`, provider.Precondition{}); err != nil {
		t.Errorf("removing an attribute the stored user has, through a stale cache: %v", err)
	}
}

// TestPatchFromCacheKeepsSemantics: preconditions, no-op PATCHes and the
// stored password hash behave as without the cache.
func TestPatchFromCacheKeepsSemantics(t *testing.T) {
	ctx := context.Background()
	f := newWriteFixture(t)
	attrs, err := f.ut.Validate(map[string]any{"schemas": []any{scim.UserSchema}, "userName": "pw", "password": "s3cret!", "displayName": "D"}, schema.Create, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := f.users.Create(ctx, attrs)
	if err != nil {
		t.Fatal(err)
	}
	hash := f.storedPassword(t, u.ID)
	if hash == "" || hash == "s3cret!" {
		t.Fatalf("stored password %q: want a hash", hash)
	}
	// A stale If-Match fails, the current one passes.
	_, err = f.patch(t, f.users, u.ID, `[{"op":"replace","path":"displayName","value":"E"}]`, provider.Precondition{IfMatch: `W/"7"`})
	var se *scim.Error
	if !errors.As(err, &se) || se.Status != http.StatusPreconditionFailed {
		t.Errorf("stale If-Match: %v", err)
	}
	res, err := f.patch(t, f.users, u.ID, `[{"op":"replace","path":"displayName","value":"E"}]`, provider.Precondition{IfMatch: `W/"1"`})
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != "2" {
		t.Errorf("version %s after a PATCH", res.Version)
	}
	if _, ok := res.Attrs["password"]; ok {
		t.Error("PATCH answered the password")
	}
	if got := f.storedPassword(t, u.ID); got != hash {
		t.Errorf("PATCH from the cache changed the stored password hash %q to %q", hash, got)
	}
	// Setting what is already there changes nothing, version included.
	res, err = f.patch(t, f.users, u.ID, `[{"op":"replace","path":"displayName","value":"E"}]`, provider.Precondition{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != "2" {
		t.Errorf("a no-op PATCH moved the version to %s", res.Version)
	}
	// A new password is hashed anew.
	if _, err := f.patch(t, f.users, u.ID, `[{"op":"replace","path":"password","value":"other!"}]`, provider.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if got := f.storedPassword(t, u.ID); got == hash || got == "" || got == "other!" {
		t.Errorf("stored password after a new one: %q", got)
	}
}

// TestCachedGroupsDriveWrites: a user's cached groups (at the stored
// version) spare the PATCH and DELETE their group lookups, and the groups
// still see the change: renaming the user changes the group's version,
// deleting the user empties it.
func TestCachedGroupsDriveWrites(t *testing.T) {
	ctx := context.Background()
	f := newWriteFixture(t)
	u := f.user(t, "member")
	peer := f.user(t, "peer")
	g := f.group(t, "G", u.ID, peer.ID)
	if _, err := f.users.Get(ctx, u.ID, nil); err != nil { // caches the user with its groups
		t.Fatal(err)
	}
	peerBefore, err := f.users.Get(ctx, peer.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	gBefore, err := f.groups.Get(ctx, g.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	groupsOf := f.st.groupsOf.Load()
	res, err := f.patch(t, f.users, u.ID, `[{"op":"replace","path":"displayName","value":"Renamed"}]`, provider.Precondition{})
	if err != nil {
		t.Fatal(err)
	}
	if gs, _ := res.Attrs["groups"].([]any); len(gs) != 1 || gs[0].(map[string]any)["value"] != g.ID {
		t.Errorf("PATCH answered groups %v", res.Attrs["groups"])
	}
	if n := f.st.groupsOf.Load() - groupsOf; n != 0 {
		t.Errorf("PATCH looked the user's groups up %d times although they were cached", n)
	}
	gAfter, err := f.groups.Get(ctx, g.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if gAfter.Version == gBefore.Version {
		t.Error("renaming a member did not change the group's version")
	}
	if ms, _ := gAfter.Attrs["members"].([]any); len(ms) != 2 || ms[0].(map[string]any)["display"] != "Renamed" {
		t.Errorf("group members after the rename: %v", gAfter.Attrs["members"])
	}
	// The peer shows the group, not the renamed member: its version stays.
	if peerAfter, err := f.users.Get(ctx, peer.ID, nil); err != nil || peerAfter.Version != peerBefore.Version {
		t.Errorf("renaming a member moved a fellow member from version %s to %v (%v)", peerBefore.Version, peerAfter, err)
	}
	if err := f.users.Delete(ctx, u.ID, provider.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if n := f.st.groupsOf.Load() - groupsOf; n != 0 {
		t.Errorf("DELETE looked the user's groups up %d times although they were cached", n)
	}
	gGone, err := f.groups.Get(ctx, g.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if gGone.Version == gAfter.Version {
		t.Error("deleting a member did not change the group's version")
	}
	if ms, _ := gGone.Attrs["members"].([]any); len(ms) != 1 || ms[0].(map[string]any)["value"] != peer.ID {
		t.Errorf("members after a member was deleted: %v", gGone.Attrs["members"])
	}
}

// TestDeleteFromCacheReadsNothing: a DELETE of a cached user whose groups
// the cache knows reads nothing from the store, and its lookups stop
// finding it.
func TestDeleteFromCacheReadsNothing(t *testing.T) {
	ctx := context.Background()
	f := newWriteFixture(t)
	u := f.user(t, "doomed")
	if _, err := f.users.Get(ctx, u.ID, nil); err != nil { // caches the user with its (no) groups
		t.Fatal(err)
	}
	before := f.st.reads()
	if err := f.users.Delete(ctx, u.ID, provider.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if n := f.st.reads() - before; n != 0 {
		t.Errorf("DELETE of a cached user made %d store reads", n)
	}
	if _, err := f.users.Get(ctx, u.ID, nil); scimStatus(err) != http.StatusNotFound {
		t.Errorf("GET after DELETE = %v, want not found", err)
	}
	list, err := f.users.List(ctx, &provider.ListQuery{Filter: mustFilter(t, `userName eq "doomed"`), StartIndex: 1, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	if list.TotalResults != 0 || len(list.Resources) != 0 {
		t.Errorf("userName lookup after DELETE found %d: %v", list.TotalResults, list.Resources)
	}
}

// TestDeleteFromStaleCacheUsesTheStore: when another writer changed the
// user behind the cache, the DELETE is decided by the stored user: it
// deletes unconditionally, honours an If-Match of the stored version, and
// refuses one of the stale cached version.
func TestDeleteFromStaleCacheUsesTheStore(t *testing.T) {
	ctx := context.Background()
	f := newWriteFixture(t)
	for _, tc := range []struct {
		name    string
		ifMatch string // "" for none
		wantErr int    // SCIM status, 0 for success
	}{
		{"unconditional", "", 0},
		{"if-match stored version", "2", 0},
		{"if-match stale cached version", "1", http.StatusPreconditionFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := f.user(t, "stale-"+strings.ReplaceAll(tc.name, " ", "-"))
			if _, err := f.users.Get(ctx, u.ID, nil); err != nil { // cached at version 1
				t.Fatal(err)
			}
			if _, err := f.patch(t, f.other.users, u.ID, `[{"op":"replace","path":"title","value":"Boss"}]`, provider.Precondition{}); err != nil {
				t.Fatal(err)
			}
			var cond provider.Precondition
			if tc.ifMatch != "" {
				cond.IfMatch = `W/"` + tc.ifMatch + `"`
			}
			err := f.users.Delete(ctx, u.ID, cond)
			if tc.wantErr == 0 {
				if err != nil {
					t.Fatalf("DELETE: %v", err)
				}
				err := f.db.View(ctx, func(tx store.Tx) error {
					_, err := tx.GetResource(ctx, "t", "User", u.ID)
					return err
				})
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("reading the deleted user from the store: %v, want ErrNotFound", err)
				}
				return
			}
			if scimStatus(err) != tc.wantErr {
				t.Fatalf("DELETE = %v, want status %d", err, tc.wantErr)
			}
			if got := f.stored(t, u.ID); got.Version != 2 {
				t.Errorf("a refused DELETE left version %d, want 2", got.Version)
			}
		})
	}
}

// scimStatus is the status of a *scim.Error, 0 for any other error.
func scimStatus(err error) int {
	var se *scim.Error
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

// TestWriteThroughNeverCachesAnOlderState: of two writes of the same
// resource, only the later one's copy may be cached, whichever finishes
// first; and a write that changed its resource twice (its own touch) is
// not cached.
func TestWriteThroughNeverCachesAnOlderState(t *testing.T) {
	entry := func(version int64) *cached {
		return &cached{rec: store.Resource{Type: "User", ID: "x", Version: version}, attrs: map[string]any{}}
	}
	for _, laterFirst := range []bool{false, true} {
		c := &readCache{resources: map[string]*cached{}, lookups: map[string][]string{}, pending: map[string]uint64{}}
		w1 := writeSet{seq: c.beginWrite(), ids: []string{"x"}, through: []*cached{entry(2)}}
		c.changing(w1.seq, w1.ids)
		w2 := writeSet{seq: c.beginWrite(), ids: []string{"x"}, through: []*cached{entry(3)}}
		c.changing(w2.seq, w2.ids)
		if laterFirst {
			c.wrote(&w2, w2.seq, true)
			c.wrote(&w1, w1.seq, true)
		} else {
			c.wrote(&w1, w1.seq, true)
			c.wrote(&w2, w2.seq, true)
		}
		if v := c.get(resourceKey("User", "x")); v != nil && v.rec.Version != 3 {
			t.Errorf("laterFirst=%t: cached version %d, want the later write's 3 or nothing", laterFirst, v.rec.Version)
		}
		if !laterFirst {
			if v := c.get(resourceKey("User", "x")); v == nil {
				t.Error("the later write, finishing last, was not cached")
			}
		}
		if len(c.pending) != 0 {
			t.Errorf("laterFirst=%t: pending writes left: %v", laterFirst, c.pending)
		}
	}
	c := &readCache{resources: map[string]*cached{}, lookups: map[string][]string{}, pending: map[string]uint64{}}
	w := writeSet{seq: c.beginWrite(), ids: []string{"x", "y", "x"}, through: []*cached{entry(2)}}
	c.changing(w.seq, w.ids)
	c.wrote(&w, w.seq, true)
	if v := c.get(resourceKey("User", "x")); v != nil {
		t.Errorf("a resource changed twice by one write was cached at version %d", v.rec.Version)
	}
	w = writeSet{seq: c.beginWrite(), ids: []string{"x"}, through: []*cached{entry(4)}}
	c.changing(w.seq, w.ids)
	c.wrote(&w, w.seq, false)
	if v := c.get(resourceKey("User", "x")); v != nil {
		t.Error("a write that did not commit was cached")
	}
}

// groupCommitStore is exclusive and, once armed, runs the fns of the next
// size Updates in one store transaction, in the order they arrived, as
// the SQLite store's group commit does; each caller then returns only
// when the test releases it, so callers can finish in another order than
// their fns ran in.
type groupCommitStore struct {
	store.Store
	mu      sync.Mutex
	size    int // 0: every Update runs alone
	fns     []func(store.Tx) error
	arrived chan struct{}   // one send per Update that joined the batch
	ran     chan struct{}   // closed once the batch ended
	err     error           // the batch's outcome
	release []chan struct{} // release[i] lets the i-th caller return
}

func (s *groupCommitStore) Exclusive() bool { return true }

func (s *groupCommitStore) arm(size int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.size, s.fns = size, nil
	s.arrived, s.ran = make(chan struct{}, size), make(chan struct{})
	s.release = make([]chan struct{}, size)
	for i := range s.release {
		s.release[i] = make(chan struct{})
	}
}

func (s *groupCommitStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	s.mu.Lock()
	i, size := len(s.fns), s.size
	if i >= size {
		s.mu.Unlock()
		return s.Store.Update(ctx, fn)
	}
	s.fns = append(s.fns, fn)
	var batch []func(store.Tx) error
	if len(s.fns) == size {
		batch = s.fns
		s.size = 0 // later Updates run alone
	}
	arrived, ran, release := s.arrived, s.ran, s.release[i]
	s.mu.Unlock()
	arrived <- struct{}{}
	if batch != nil {
		s.err = s.Store.Update(ctx, func(tx store.Tx) error {
			for _, fn := range batch {
				if err := fn(tx); err != nil {
					return err
				}
			}
			return nil
		})
		close(ran)
	}
	<-ran
	<-release
	return s.err
}

// TestCreatedResourceChangedInTheSameBatchIsNotCachedStale: a group
// created with a member, and in the same group commit after it the
// member's deletion (which changes the new group: a member less, a new
// version). If the delete finishes first, the create must not cache the
// group as it created it.
func TestCreatedResourceChangedInTheSameBatchIsNotCachedStale(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	gs := &groupCommitStore{Store: db}
	f, _ := openFixture(t, gs)
	u := f.user(t, "leaver")
	attrs, err := f.gt.Validate(map[string]any{"schemas": []any{scim.GroupSchema}, "displayName": "G", "members": []any{map[string]any{"value": u.ID}}}, schema.Create, nil)
	if err != nil {
		t.Fatal(err)
	}
	gs.arm(2)
	created := make(chan *provider.Resource, 1)
	go func() {
		g, err := f.groups.Create(ctx, attrs)
		if err != nil {
			t.Error(err)
		}
		created <- g
	}()
	<-gs.arrived
	deleted := make(chan error, 1)
	go func() { deleted <- f.users.Delete(ctx, u.ID, provider.Precondition{}) }()
	<-gs.arrived
	close(gs.release[1])
	if err := <-deleted; err != nil {
		t.Fatal(err)
	}
	close(gs.release[0])
	g := <-created
	if g == nil {
		t.FailNow()
	}
	var stored int64
	err = db.View(ctx, func(tx store.Tx) error {
		r, err := tx.GetResource(ctx, "t", "Group", g.ID)
		if err == nil {
			stored = r.Version
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	noMembers, _ := f.gt.NewProjection(nil, []string{"members"})
	got, err := f.groups.Get(ctx, g.ID, noMembers)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != strconv.FormatInt(stored, 10) {
		t.Errorf("GET of the group answers version %s, the store holds %d", got.Version, stored)
	}
}

// TestIfNoneMatchOnWrites: a PUT, PATCH or DELETE whose If-None-Match
// names the current version (or is "*") is refused with 412 and writes
// nothing (RFC 9110 §13.1.2), also when the write would start from the
// cached copy.
func TestIfNoneMatchOnWrites(t *testing.T) {
	ctx := context.Background()
	f := newWriteFixture(t)
	u := f.user(t, "inm")
	for _, tc := range []struct {
		name  string
		write func(provider.Precondition) error
	}{
		{"PATCH", func(c provider.Precondition) error {
			_, err := f.patch(t, f.users, u.ID, `[{"op":"replace","path":"displayName","value":"New"}]`, c)
			return err
		}},
		{"PUT", func(c provider.Precondition) error {
			attrs, err := f.ut.Validate(map[string]any{"schemas": []any{scim.UserSchema}, "userName": "inm", "title": "T"}, schema.Replace, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.users.Replace(ctx, u.ID, attrs, c)
			return err
		}},
		{"DELETE", func(c provider.Precondition) error { return f.users.Delete(ctx, u.ID, c) }},
	} {
		for _, inm := range []string{`W/"1"`, `*`, `W/"9", "1"`} {
			err := tc.write(provider.Precondition{IfNoneMatch: inm})
			var se *scim.Error
			if !errors.As(err, &se) || se.Status != 412 {
				t.Errorf("%s If-None-Match %s: err %v, want 412", tc.name, inm, err)
			}
		}
		if got := f.stored(t, u.ID); got.Version != 1 {
			t.Fatalf("%s: refused writes changed the user to version %d", tc.name, got.Version)
		}
	}
	// A stale If-None-Match does not stop the write.
	if _, err := f.patch(t, f.users, u.ID, `[{"op":"replace","path":"displayName","value":"New"}]`, provider.Precondition{IfNoneMatch: `W/"9"`}); err != nil {
		t.Fatalf("PATCH with a stale If-None-Match: %v", err)
	}
	if err := f.users.Delete(ctx, u.ID, provider.Precondition{IfNoneMatch: `W/"1"`}); err != nil {
		t.Fatalf("DELETE with a stale If-None-Match: %v", err)
	}
}
