package bridge_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/connector/bridge"
	"github.com/scimconnect/scimconnect/store"
)

// viewCounter counts read transactions and can run a hook inside one; it
// says it is exclusive when its store is, unless shared is set.
type viewCounter struct {
	store.Store
	shared bool
	views  atomic.Int32
	during func() // run inside the next View, after the callback
}

func (v *viewCounter) View(ctx context.Context, fn func(store.Tx) error) error {
	v.views.Add(1)
	return v.Store.View(ctx, func(tx store.Tx) error {
		err := fn(tx)
		if h := v.during; h != nil {
			v.during = nil
			h()
		}
		return err
	})
}

func (v *viewCounter) Exclusive() bool {
	ex, ok := v.Store.(store.Exclusive)
	return !v.shared && ok && ex.Exclusive()
}

// TestStoreExternalIDsCache checks that an exclusive store is read once
// per id (present or absent), that a write is seen at once, that a read
// racing a write leaves nothing stale behind, and that a shared store is
// read every time.
func TestStoreExternalIDsCache(t *testing.T) {
	ctx := context.Background()
	get := func(t *testing.T, x bridge.ExternalIDs, ids ...string) map[string]string {
		t.Helper()
		got, err := x.Get(ctx, "User", ids)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		return got
	}
	t.Run("exclusive", func(t *testing.T) {
		st := &viewCounter{Store: openStore(t)}
		x := &bridge.StoreExternalIDs{Store: st, Instance: "test"}
		if err := x.Put(ctx, "User", "a", "ext-a"); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if diff := cmp.Diff(map[string]string{"a": "ext-a"}, get(t, x, "a", "b")); diff != "" {
				t.Errorf("Get (-want +got):\n%s", diff)
			}
		}
		if n := st.views.Load(); n != 1 {
			t.Errorf("%d store reads for three lookups of the same ids, want 1", n)
		}
		if err := x.Put(ctx, "User", "b", "ext-b"); err != nil {
			t.Fatal(err)
		}
		if err := x.Put(ctx, "User", "a", ""); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]string{"b": "ext-b"}, get(t, x, "a", "b")); diff != "" {
			t.Errorf("Get after writes (-want +got):\n%s", diff)
		}
		if got := get(t, x, "a"); len(got) != 0 {
			t.Errorf("a removed externalId is still found: %v", got)
		}
		if got, err := x.Get(ctx, "Group", []string{"b"}); err != nil || len(got) != 0 {
			t.Errorf("Get of another type = %v, %v; want nothing", got, err)
		}
	})
	t.Run("read racing a write", func(t *testing.T) {
		st := &viewCounter{Store: openStore(t)}
		x := &bridge.StoreExternalIDs{Store: st, Instance: "test"}
		if err := x.Put(ctx, "User", "a", "old"); err != nil {
			t.Fatal(err)
		}
		// The write lands after the read took "old" from the store but
		// before it could cache it.
		st.during = func() {
			if err := x.Put(ctx, "User", "a", "new"); err != nil {
				t.Error(err)
			}
		}
		if got := get(t, x, "a")["a"]; got != "old" {
			t.Fatalf("racing read = %q, want old", got)
		}
		if got := get(t, x, "a")["a"]; got != "new" {
			t.Errorf("read after the write = %q, want new (the racing read cached a stale value)", got)
		}
	})
	t.Run("shared", func(t *testing.T) {
		st := &viewCounter{Store: openStore(t), shared: true}
		x := &bridge.StoreExternalIDs{Store: st, Instance: "test"}
		for range 3 {
			get(t, x, "a")
		}
		if n := st.views.Load(); n != 3 {
			t.Errorf("%d store reads for three lookups in a shared store, want 3", n)
		}
	})
}
