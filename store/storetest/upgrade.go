package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/store"
)

// SharedGroupNames checks a store opened on data written before the
// backend made Group displayNames unique: instance holds the groups older
// and newer, created in that order, named alike but for case; newer is
// named name exactly. The older one holds the name: a new group of that
// name in any case conflicts. The newer one may still be written under
// it, also changed in case only, and leaves it for good once renamed. Backends run it from their
// upgrade tests.
func SharedGroupNames(t *testing.T, s store.Store, instance, older, newer, name string) {
	t.Helper()
	if err := tryUpdate(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateResource(ctx, group(instance, "new", strings.ToUpper(name)))
	}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("create of a group named like the older one = %v, want ErrConflict", err)
	}
	for _, same := range []string{name, strings.ToLower(name), name} { // unchanged, then changed in case only
		update(t, s, func(ctx context.Context, tx store.Tx) error {
			return tx.PutResource(ctx, group(instance, newer, same), 0)
		})
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.PutResource(ctx, group(instance, newer, name+" (2)"), 0)
	})
	if err := tryUpdate(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.PutResource(ctx, group(instance, newer, name), 0)
	}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("renaming the newer group back = %v, want ErrConflict", err)
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteResource(ctx, instance, "Group", older, 0)
	})
	create(t, s, group(instance, "new", name))
	if got := ids(find(t, s, instance, "Group", store.KeyDisplayName, name)); !cmp.Equal(got, []string{"new"}) {
		t.Errorf("groups named %q = %v, want [new]", name, got)
	}
}
