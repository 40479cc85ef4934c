package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/store"
)

// TestCreateAfterCheckRetries runs two Updates that each look a record up
// and create it if it is missing, else update it (how the bridge keeps
// externalIds, and how the cursor key is made once). Both look before
// either writes. Under REPEATABLE READ a plain INSERT would fail the
// second with a uniqueness error although its check said "missing";
// here the second attempt runs again, finds the first one's record and
// updates it, as if the two had run one after the other.
func TestCreateAfterCheckRetries(t *testing.T) {
	now := time.Now().UTC()
	kinds := []struct {
		name   string
		upsert func(ctx context.Context, tx store.Tx, writer int) error
		check  func(t *testing.T, db *DB)
	}{
		{"resource", func(ctx context.Context, tx store.Tx, writer int) error {
			cur, err := tx.GetResource(ctx, "i", "User", "x")
			data := []byte(fmt.Sprintf(`{"writer":%d}`, writer))
			switch {
			case errors.Is(err, store.ErrNotFound):
				r := user("i", "x", "")
				r.Data = data
				return tx.CreateResource(ctx, r)
			case err != nil:
				return err
			}
			cur.Data = data
			return tx.PutResource(ctx, cur, cur.Version)
		}, func(t *testing.T, db *DB) {
			r, err := getResource(t, db, "i", "User", "x")
			if err != nil {
				t.Fatalf("GetResource: %v", err)
			}
			if r.Version != 2 {
				t.Errorf("version %d, want 2: one create and one update", r.Version)
			}
		}},
		{"instance", func(ctx context.Context, tx store.Tx, writer int) error {
			in, err := tx.GetInstance(ctx, "x")
			typ := fmt.Sprintf("writer%d", writer)
			switch {
			case errors.Is(err, store.ErrNotFound):
				return tx.CreateInstance(ctx, &store.Instance{Name: "x", Type: typ, Created: now, Modified: now})
			case err != nil:
				return err
			}
			in.Type = typ
			return tx.UpdateInstance(ctx, in)
		}, func(t *testing.T, db *DB) {}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			db := openTest(t)
			ctx := t.Context()
			var looked sync.WaitGroup // both first attempts have looked
			looked.Add(2)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i := range 2 {
				wg.Go(func() {
					first := true
					errs[i] = db.Update(ctx, func(tx store.Tx) error {
						if first {
							first = false
							// Take the snapshot, then wait for the other.
							if _, err := tx.GetSetting(ctx, "nothing"); !errors.Is(err, store.ErrNotFound) {
								return err
							}
							looked.Done()
							looked.Wait()
						}
						return k.upsert(ctx, tx, i)
					})
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("Update %d: %v, want success", i, err)
				}
			}
			if got := db.Stats().Retries; got < 1 {
				t.Errorf("Stats().Retries = %d, want at least 1", got)
			}
			k.check(t, db)
		})
	}
}

// TestCreateConflictKeepsTransaction checks that a create refused as a
// duplicate leaves the transaction usable: the refusal is a statement
// that inserted nothing, not a failed one.
func TestCreateConflictKeepsTransaction(t *testing.T) {
	db := openTest(t)
	mustUpdate(t, db, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateInstance(ctx, &store.Instance{Name: "x", Type: "local", Created: time.Now(), Modified: time.Now()}); err != nil {
			return err
		}
		return tx.CreateResource(ctx, user("i", "u1", "alice"))
	})
	mustUpdate(t, db, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateInstance(ctx, &store.Instance{Name: "x", Type: "local", Created: time.Now(), Modified: time.Now()}); !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("duplicate instance: %v, want ErrConflict", err)
		}
		for _, r := range []*store.Resource{user("i", "u1", "bob"), user("i", "u2", "ALICE")} {
			if err := tx.CreateResource(ctx, r); !errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("duplicate %s: %v, want ErrConflict", r.ID, err)
			}
		}
		return tx.CreateResource(ctx, user("i", "u3", "carol"))
	})
	if _, err := getResource(t, db, "i", "User", "u3"); err != nil {
		t.Errorf("the write after the refused creates: %v", err)
	}
}
