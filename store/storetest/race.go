package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/store"
)

// errGone is what the adding Update returns when its check finds the
// member or the group missing, as the local connector answers 400.
var errGone = errors.New("storetest: member or group does not exist")

// raceWait bounds how long one side waits for the other to reach its
// step. A backend that runs Updates one at a time never lets the other
// side start, so this is how long such a backend takes per case; a
// backend running them concurrently reaches the steps at once.
const raceWait = 300 * time.Millisecond

// testConcurrentDeleteAndMemberAdd races an Update that checks that a
// user and a group exist (TypesOf) and then adds the user to the group
// against an Update that deletes the user or the group, in both orders:
// the check must hold until the commit, so that whichever way they
// interleave no membership outlives its member or its group.
//
// The steps are forced where the backend runs the two at once: in "add
// first" the deleting Update takes its snapshot after the membership was
// written and before it commits; in "delete first" the adding Update
// checks after the delete and before it commits. A backend that runs
// Updates one at a time (SQLite) makes one side wait raceWait instead.
func testConcurrentDeleteAndMemberAdd(t *testing.T, s store.Store) {
	cases := []struct {
		name        string
		victimType  string // deleted: the user ("User") or the group
		deleteFirst bool
	}{
		{"delete user after add", "User", false},
		{"delete group after add", "Group", false},
		{"delete user before add", "User", true},
		{"delete group before add", "Group", true},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := fmt.Sprintf("race%d", i)
			create(t, s, user(in, "u1", "alice"), group(in, "g1", "G1"))
			victim := "u1"
			if tc.victimType == "Group" {
				victim = "g1"
			}
			add := func(ctx context.Context, tx store.Tx, reached func()) error {
				types, err := tx.TypesOf(ctx, in, []string{"u1", "g1"})
				if err != nil {
					return err
				}
				if tc.deleteFirst {
					reached() // checked: the delete commits now
				}
				if types["u1"] != "User" || types["g1"] != "Group" {
					return errGone
				}
				if err := tx.AddMembers(ctx, in, "g1", []store.Member{{ID: "u1", Type: "User"}}); err != nil {
					return err
				}
				reached() // written: the delete takes its snapshot now
				return nil
			}
			del := func(ctx context.Context, tx store.Tx, reached func()) error {
				// A read first: the snapshot of a backend that takes one
				// at the first statement is taken here.
				if _, err := tx.GetResource(ctx, in, tc.victimType, victim); err != nil {
					return err
				}
				if tc.deleteFirst {
					if err := tx.DeleteResource(ctx, in, tc.victimType, victim, 0); err != nil {
						return err
					}
					reached()
					return nil
				}
				reached()
				return tx.DeleteResource(ctx, in, tc.victimType, victim, 0)
			}
			first, second := add, del
			if tc.deleteFirst {
				first, second = del, add
			}
			firstErr, secondErr := raceTwo(t, s, first, second)
			addErr, delErr := firstErr, secondErr
			if tc.deleteFirst {
				addErr, delErr = secondErr, firstErr
			}
			if delErr != nil {
				t.Errorf("delete %s: %v", victim, delErr)
			}
			if addErr != nil && !errors.Is(addErr, errGone) {
				t.Errorf("add member: %v, want success or errGone", addErr)
			}
			view(t, s, func(ctx context.Context, tx store.Tx) error {
				if _, err := tx.GetResource(ctx, in, tc.victimType, victim); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("GetResource(%s) after its delete = %v, want ErrNotFound", victim, err)
				}
				has, err := tx.HasMember(ctx, in, "g1", "u1")
				if err != nil {
					return err
				}
				if has {
					t.Errorf("the membership of u1 in g1 outlived %s (the add: %v)", victim, addErr)
				}
				return nil
			})
		})
	}
}

// raceTwo runs first, and starts second once first reached its step;
// first then waits until second reached its own step (or raceWait), and
// returns. Each side reaches its step at least once per attempt; only
// the first time counts.
func raceTwo(t *testing.T, s store.Store, first, second func(context.Context, store.Tx, func()) error) (firstErr, secondErr error) {
	t.Helper()
	ctx := t.Context()
	firstReached, secondReached := make(chan struct{}), make(chan struct{})
	var firstOnce, secondOnce sync.Once
	var wg sync.WaitGroup
	wg.Go(func() {
		waited := false
		firstErr = s.Update(ctx, func(tx store.Tx) error {
			err := first(ctx, tx, func() { firstOnce.Do(func() { close(firstReached) }) })
			if !waited {
				waited = true
				select {
				case <-secondReached:
				case <-time.After(raceWait):
				}
			}
			return err
		})
		firstOnce.Do(func() { close(firstReached) }) // first failed before its step
	})
	<-firstReached
	secondErr = s.Update(ctx, func(tx store.Tx) error {
		return second(ctx, tx, func() { secondOnce.Do(func() { close(secondReached) }) })
	})
	secondOnce.Do(func() { close(secondReached) })
	wg.Wait()
	return firstErr, secondErr
}
