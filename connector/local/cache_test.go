package local

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/scim/patch"
	"github.com/scimconnect/scimconnect/scim/provider"
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
