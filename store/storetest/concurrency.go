package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/store"
)

// parallel runs fn(i) for i in [0, n) on n goroutines and returns their
// errors by i.
func parallel(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func testConcurrentSameUserName(t *testing.T, s store.Store) {
	sameKeyRace(t, s, "User", func(id, name string) *store.Resource { return user("i", id, name) })
}

// testConcurrentSameGroupName is testConcurrentSameUserName for a Group's
// displayName, which is unique too.
func testConcurrentSameGroupName(t *testing.T, s store.Store) {
	sameKeyRace(t, s, "Group", func(id, name string) *store.Resource { return group("i", id, name) })
}

// sameKeyRace creates resources of typ under distinct ids and one unique
// key in varying case, all at once, and checks that exactly one wins.
func sameKeyRace(t *testing.T, s store.Store, typ string, resource func(id, name string) *store.Resource) {
	const n = 20
	errs := parallel(n, func(i int) error {
		name := "concurrent"
		if i%2 == 1 {
			name = strings.ToUpper(name)
		}
		return tryUpdate(t, s, func(ctx context.Context, tx store.Tx) error {
			return tx.CreateResource(ctx, resource(fmt.Sprintf("r%d", i), name))
		})
	})
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("goroutine %d: %v, want nil or ErrConflict", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d creates succeeded, want exactly 1", wins)
	}
	if got := count(t, s, "i", typ); got != 1 {
		t.Errorf("CountResources = %d, want 1", got)
	}
}

func testConcurrentDistinctCreates(t *testing.T, s store.Store) {
	const goroutines, each = 32, 5
	errs := parallel(goroutines, func(g int) error {
		for j := range each {
			err := tryUpdate(t, s, func(ctx context.Context, tx store.Tx) error {
				u := user("i", fmt.Sprintf("u%d-%d", g, j), fmt.Sprintf("user%d-%d", g, j))
				u.Emails = []string{fmt.Sprintf("u%d-%d@example.com", g, j)}
				return tx.CreateResource(ctx, u)
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	for g, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", g, err)
		}
	}
	if got := count(t, s, "i", "User"); got != goroutines*each {
		t.Errorf("CountResources = %d, want %d", got, goroutines*each)
	}
	var rs []*store.Resource
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		rs, err = tx.ListResources(ctx, "i", "User", 0, goroutines*each+1)
		return err
	})
	seen := map[int64]bool{}
	for _, r := range rs {
		if seen[r.Seq] {
			t.Errorf("Seq %d assigned twice", r.Seq)
		}
		seen[r.Seq] = true
	}
	if got := ids(find(t, s, "i", "User", store.KeyEmail, "U7-3@example.com")); !cmp.Equal(got, []string{"u7-3"}) {
		t.Errorf("FindResources(email) = %v, want [u7-3]", got)
	}
}

// testConcurrentMixedOutcomes runs concurrent Updates of which some fail or
// panic: only the successful ones may leave writes, whatever the backend
// does to commit them together.
func testConcurrentMixedOutcomes(t *testing.T, s store.Store) {
	const n = 60
	errs := parallel(n, func(i int) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		return tryUpdate(t, s, func(ctx context.Context, tx store.Tx) error {
			if err := tx.CreateResource(ctx, user("i", fmt.Sprintf("u%02d", i), fmt.Sprintf("user%02d", i))); err != nil {
				return err
			}
			if err := tx.AddMembers(ctx, "i", "g", []store.Member{{ID: fmt.Sprintf("u%02d", i), Type: "User"}}); err != nil {
				return err
			}
			switch i % 3 {
			case 1:
				return errAbort
			case 2:
				panic("storetest: deliberate")
			}
			return nil
		})
	})
	var want []string
	for i, err := range errs {
		switch i % 3 {
		case 0:
			if err != nil {
				t.Errorf("update %d: %v, want success", i, err)
			}
			want = append(want, fmt.Sprintf("u%02d", i))
		case 1:
			if !errors.Is(err, errAbort) {
				t.Errorf("update %d: %v, want errAbort", i, err)
			}
		case 2:
			if err == nil || !strings.Contains(err.Error(), "deliberate") {
				t.Errorf("update %d: %v, want the panic", i, err)
			}
		}
	}
	var got []string
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		rs, err := tx.ListResources(ctx, "i", "User", 0, 2*n)
		if err != nil {
			return err
		}
		for _, r := range rs {
			got = append(got, r.ID)
		}
		return nil
	})
	// Creation order is not known, so compare as sets.
	if diff := cmp.Diff(toSet(want), toSet(got)); diff != "" {
		t.Errorf("resources mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(toSet(want), toSet(memberIDs(members(t, s, "i", "g")))); diff != "" {
		t.Errorf("members mismatch (-want +got):\n%s", diff)
	}
}

func toSet(xs []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// testConcurrentViewSnapshot checks that a View sees one snapshot while
// Updates commit: the count and a full listing taken in one View agree.
func testConcurrentViewSnapshot(t *testing.T, s store.Store) {
	const writers, each, readers = 4, 10, 2
	ctx := t.Context()
	done := make(chan struct{})
	var wg sync.WaitGroup
	readErrs := make([]error, readers)
	for r := range readers {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				err := s.View(ctx, func(tx store.Tx) error {
					n, err := tx.CountResources(ctx, "i", "User")
					if err != nil {
						return err
					}
					rs, err := tx.ListResources(ctx, "i", "User", 0, 2*writers*each+1)
					if err != nil {
						return err
					}
					if len(rs) != n {
						return fmt.Errorf("count %d but listed %d in one View", n, len(rs))
					}
					if n%2 != 0 {
						return fmt.Errorf("saw %d resources: half of an Update", n)
					}
					return nil
				})
				if err != nil {
					readErrs[r] = err
					return
				}
			}
		})
	}
	errs := parallel(writers, func(w int) error {
		for j := range each {
			err := tryUpdate(t, s, func(ctx context.Context, tx store.Tx) error {
				// Two writes per Update: a reader must see both or neither.
				if err := tx.CreateResource(ctx, user("i", fmt.Sprintf("a%d-%d", w, j), "")); err != nil {
					return err
				}
				return tx.CreateResource(ctx, user("i", fmt.Sprintf("b%d-%d", w, j), ""))
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	close(done)
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", w, err)
		}
	}
	for r, err := range readErrs {
		if err != nil {
			t.Errorf("reader %d: %v", r, err)
		}
	}
	if got := count(t, s, "i", "User"); got != 2*writers*each {
		t.Errorf("CountResources = %d, want %d", got, 2*writers*each)
	}
}
