package local

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/scim/patch"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/scim/schema"
	"github.com/scimconnect/scimconnect/store"
	"github.com/scimconnect/scimconnect/store/sqlite"
)

// exclusiveStore counts every read transaction and claims exclusivity, so
// the connector caches.
type exclusiveStore struct {
	store.Store
	views atomic.Int64
}

func (e *exclusiveStore) Exclusive() bool { return true }

func (e *exclusiveStore) View(ctx context.Context, fn func(store.Tx) error) error {
	e.views.Add(1)
	return e.Store.View(ctx, fn)
}

func newCachedFixture(t *testing.T) (*fixture, *exclusiveStore) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	es := &exclusiveStore{Store: db}
	inst, err := Type.Open(context.Background(), connector.Env{Instance: "c", Store: es}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if inst.(*directory).cache == nil {
		t.Fatal("no cache on an exclusive store")
	}
	rts := inst.ResourceTypes()
	return &fixture{users: rts[0].Backend, groups: rts[1].Backend, ut: rts[0].Type, gt: rts[1].Type}, es
}

func patchOps(t *testing.T, ops string) []patch.Operation {
	t.Helper()
	o, err := patch.Parse([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":` + ops + `}`))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestCacheServesRepeatedReadsAndFollowsWrites(t *testing.T) {
	ctx := context.Background()
	f, es := newCachedFixture(t)
	u := f.user(t, "alice")
	if _, err := f.users.Get(ctx, u.ID, nil); err != nil {
		t.Fatal(err)
	}
	before := es.views.Load()
	for range 5 {
		if _, err := f.users.Get(ctx, u.ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := es.views.Load() - before; n != 0 {
		t.Errorf("repeated GETs read the store %d times", n)
	}
	list := func(flt string) []*provider.Resource {
		res, err := f.users.List(ctx, &provider.ListQuery{Filter: mustFilter(t, flt), StartIndex: 1, Count: 10})
		if err != nil {
			t.Fatal(err)
		}
		return res.Resources
	}
	list(`userName eq "ALICE"`)
	before = es.views.Load()
	if got := list(`userName eq "alice"`); len(got) != 1 {
		t.Fatalf("filter found %d", len(got))
	}
	if n := es.views.Load() - before; n != 0 {
		t.Errorf("a repeated userName lookup read the store %d times", n)
	}
	// A write is visible at once: new value, new version.
	if _, err := f.users.Patch(ctx, u.ID, patchOps(t, `[{"op":"replace","path":"userName","value":"alicia"}]`), provider.Precondition{}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := f.users.Get(ctx, u.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Attrs["userName"] != "alicia" || got.Version != "2" {
		t.Errorf("after PATCH: userName %v version %s", got.Attrs["userName"], got.Version)
	}
	if n := len(list(`userName eq "alice"`)); n != 0 {
		t.Errorf("the old userName still finds %d users", n)
	}
	if n := len(list(`userName eq "alicia"`)); n != 1 {
		t.Errorf("the new userName finds %d users", n)
	}
	// Membership changes show in the member's groups.
	g := f.group(t, "G", u.ID)
	got, _ = f.users.Get(ctx, u.ID, nil)
	if groups, _ := got.Attrs["groups"].([]any); len(groups) != 1 || groups[0].(map[string]any)["value"] != g.ID {
		t.Errorf("groups after joining: %v", got.Attrs["groups"])
	}
	if err := f.groups.Delete(ctx, g.ID, provider.Precondition{}); err != nil {
		t.Fatal(err)
	}
	got, _ = f.users.Get(ctx, u.ID, nil)
	if _, ok := got.Attrs["groups"]; ok {
		t.Errorf("groups after the group was deleted: %v", got.Attrs["groups"])
	}
	if err := f.users.Delete(ctx, u.ID, provider.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.users.Get(ctx, u.ID, nil); err == nil {
		t.Error("a deleted user is still served")
	}
}

// TestCacheNeverServesStaleDataUnderConcurrency: readers race a writer;
// once the writer is done, every read must see its last write.
func TestCacheNeverServesStaleDataUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	f, _ := newCachedFixture(t)
	u := f.user(t, "racer")
	const writes = 40
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := f.users.Get(ctx, u.ID, nil); err != nil {
					t.Error(err)
					return
				}
				if _, err := f.users.List(ctx, &provider.ListQuery{Filter: mustFilter(t, `userName eq "racer"`), StartIndex: 1, Count: 1}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := range writes {
		op := fmt.Sprintf(`[{"op":"replace","path":"displayName","value":"v%d"}]`, i)
		if _, err := f.users.Patch(ctx, u.ID, patchOps(t, op), provider.Precondition{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	got, err := f.users.Get(ctx, u.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("v%d", writes-1)
	if got.Attrs["displayName"] != want {
		t.Errorf("displayName %v after all writes, want %s", got.Attrs["displayName"], want)
	}
	res, _ := f.users.List(ctx, &provider.ListQuery{Filter: mustFilter(t, `userName eq "racer"`), StartIndex: 1, Count: 1})
	if len(res.Resources) != 1 || res.Resources[0].Attrs["displayName"] != want {
		t.Errorf("filter serves %v, want %s", res.Resources, want)
	}
}

func TestNoCacheOnSharedStores(t *testing.T) {
	f := newFixture(t) // a store that does not claim exclusivity
	inst, _ := Type.Open(context.Background(), connector.Env{Instance: "x", Store: f.st}, nil)
	if inst.(*directory).cache != nil {
		t.Error("cache enabled on a store that is not exclusive")
	}
}

// TestConcurrentPatchesLoseNothing: PATCHes of one user from many clients
// at once go through the optimistic path or fall back to the exact one;
// either way no update may be lost.
func TestConcurrentPatchesLoseNothing(t *testing.T) {
	ctx := context.Background()
	f, _ := newCachedFixture(t)
	u := f.user(t, "busy")
	if _, err := f.users.Get(ctx, u.ID, nil); err != nil { // cache it
		t.Fatal(err)
	}
	const n = 24
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			op := fmt.Sprintf(`[{"op":"add","path":"phoneNumbers","value":[{"value":"+1-555-%04d","type":"work"}]}]`, i)
			if _, err := f.users.Patch(ctx, u.ID, patchOps(t, op), provider.Precondition{}, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := f.users.Get(ctx, u.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	phones, _ := got.Attrs["phoneNumbers"].([]any)
	if len(phones) != n {
		t.Errorf("%d phone numbers after %d concurrent adds", len(phones), n)
	}
	if got.Version != fmt.Sprint(1+n) {
		t.Errorf("version %s after %d changes, want %d", got.Version, n, 1+n)
	}
}

// TestOptimisticPatchKeepsPassword: a PATCH served from the cached copy
// must not drop the stored password hash.
func TestOptimisticPatchKeepsPassword(t *testing.T) {
	ctx := context.Background()
	f, es := newCachedFixture(t)
	attrs, _ := f.ut.Validate(map[string]any{"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "pw2", "password": "s3cret!"}, schema.Create, nil)
	u, err := f.users.Create(ctx, attrs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.users.Patch(ctx, u.ID, patchOps(t, `[{"op":"replace","path":"displayName","value":"P"}]`), provider.Precondition{}, nil); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	err = es.View(ctx, func(tx store.Tx) error {
		r, err := tx.GetResource(ctx, "c", "User", u.ID)
		if err == nil {
			err = json.Unmarshal(r.Data, &doc)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if pw, _ := doc["password"].(string); pw == "" || doc["displayName"] != "P" {
		t.Errorf("stored document after PATCH: %v", doc)
	}
}

// getCountingStore counts reads of a resource inside write transactions.
type getCountingStore struct {
	*exclusiveStore
	gets atomic.Int64
}

type getCountingTx struct {
	store.Tx
	n *atomic.Int64
}

func (t getCountingTx) GetResource(ctx context.Context, instance, typ, id string) (*store.Resource, error) {
	t.n.Add(1)
	return t.Tx.GetResource(ctx, instance, typ, id)
}

func (g *getCountingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	return g.exclusiveStore.Update(ctx, func(tx store.Tx) error { return fn(getCountingTx{tx, &g.gets}) })
}

// TestPatchOfCachedUserSkipsTheRead: the write of a cached user's PATCH
// does not read the row back first.
func TestPatchOfCachedUserSkipsTheRead(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "fast.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	gs := &getCountingStore{exclusiveStore: &exclusiveStore{Store: db}}
	inst, err := Type.Open(ctx, connector.Env{Instance: "f", Store: gs}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rts := inst.ResourceTypes()
	f := &fixture{users: rts[0].Backend, groups: rts[1].Backend, ut: rts[0].Type, gt: rts[1].Type}
	u := f.user(t, "fast") // created resources are cached at once
	gs.gets.Store(0)
	res, err := f.users.Patch(ctx, u.ID, patchOps(t, `[{"op":"replace","path":"displayName","value":"Fast"}]`), provider.Precondition{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := gs.gets.Load(); n != 0 {
		t.Errorf("the PATCH read the row %d times inside the write", n)
	}
	if res.Attrs["displayName"] != "Fast" || res.Version != "2" {
		t.Errorf("answer: %v version %s", res.Attrs["displayName"], res.Version)
	}
	// A stale If-Match still fails authoritatively through the exact path.
	_, err = f.users.Patch(ctx, u.ID, patchOps(t, `[{"op":"replace","path":"displayName","value":"X"}]`), provider.Precondition{IfMatch: `W/"1"`}, nil)
	if err == nil {
		t.Error("a stale If-Match was accepted")
	}
}
