package postgres

import (
	"github.com/scimconnect/scimconnect/internal/pgtest"

	"context"
	"errors"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/store"
)

// notifyDeadline bounds the waits for a notification: generous, since
// the tests assert what arrives, not how fast.
const notifyDeadline = 10 * time.Second

// waitFor polls cond until it holds, failing the test after
// notifyDeadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(notifyDeadline)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, notifyDeadline)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// drain empties ch and reports whether it held a value.
func drain(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestChangesNotify writes through one DB and checks what a second DB on
// the same schema, and a third on another schema, are told. PostgreSQL
// delivers notifications in commit order, so when a notified write
// arrives, any notification an earlier write sent has arrived before it:
// counting what arrived shows exactly which writes notified.
func TestChangesNotify(t *testing.T) {
	schema, other := newSchemaName(t), newSchemaName(t)
	pgtest.DSN(t)
	dropSchemaOnCleanup(t, schema)
	dropSchemaOnCleanup(t, other)
	a, b, c := openSchema(t, schema), openSchema(t, schema), openSchema(t, other)
	ctx := t.Context()
	chB, chC := b.Changes(ctx), c.Changes(ctx)
	if a.Listening() {
		t.Error("a listens although nobody asked for its changes")
	}
	waitFor(t, "b and c listen", func() bool { return b.Listening() && c.Listening() })
	if !drain(chB) {
		t.Error("b's channel got no value when b started listening")
	}
	drain(chC)

	now := time.Now()
	errRollback := errors.New("roll back")
	steps := []struct {
		name     string
		write    func(ctx context.Context, tx store.Tx) error
		view     bool
		notifies bool
	}{
		{"resource writes", func(ctx context.Context, tx store.Tx) error {
			if err := tx.CreateResource(ctx, user("i", "u1", "alice")); err != nil {
				return err
			}
			return tx.AddMembers(ctx, "i", "g1", []store.Member{{ID: "u1", Type: "User"}})
		}, false, false},
		{"rolled back instance", func(ctx context.Context, tx store.Tx) error {
			if err := tx.CreateInstance(ctx, &store.Instance{Name: "gone", Type: "local", Created: now, Modified: now}); err != nil {
				return err
			}
			return errRollback
		}, false, false},
		{"view", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.ListInstances(ctx)
			return err
		}, true, false},
		{"create instance", func(ctx context.Context, tx store.Tx) error {
			return tx.CreateInstance(ctx, &store.Instance{Name: "crm", Type: "local", Created: now, Modified: now})
		}, false, true},
		{"update instance", func(ctx context.Context, tx store.Tx) error {
			return tx.UpdateInstance(ctx, &store.Instance{Name: "crm", Type: "local", TokenHash: []byte{1}, Modified: now})
		}, false, true},
		{"put setting", func(ctx context.Context, tx store.Tx) error {
			return tx.PutSetting(ctx, "attributes/crm", []byte(`{}`))
		}, false, true},
		{"several writes notify once", func(ctx context.Context, tx store.Tx) error {
			if err := tx.DeleteInstance(ctx, "crm"); err != nil {
				return err
			}
			return tx.PutSetting(ctx, "attributes/crm", []byte(`{}`))
		}, false, true},
	}
	want := uint64(0)
	for _, st := range steps {
		var err error
		if st.view {
			err = a.View(ctx, func(tx store.Tx) error { return st.write(ctx, tx) })
		} else {
			err = a.Update(ctx, func(tx store.Tx) error { return st.write(ctx, tx) })
		}
		if err != nil && !errors.Is(err, errRollback) {
			t.Fatalf("%s: %v", st.name, err)
		}
		if !st.notifies {
			continue
		}
		want++
		waitFor(t, st.name+": b notified", func() bool { return b.listener.received.Load() >= want })
		if got := b.listener.received.Load(); got != want {
			t.Errorf("after %s: b received %d notifications, want %d", st.name, got, want)
		}
		if !drain(chB) {
			t.Errorf("after %s: b's channel got no value", st.name)
		}
	}

	// c, on another schema, heard none of a's writes: its own arrives
	// first.
	if err := c.Update(ctx, func(tx store.Tx) error { return tx.PutSetting(ctx, "k", []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "c notified of its own write", func() bool { return c.listener.received.Load() >= 1 })
	if got := c.listener.received.Load(); got != 1 {
		t.Errorf("c received %d notifications, want 1: only its own schema's", got)
	}
}

// TestChangesSurviveListenerLoss cuts the listening connection from the
// server side and checks that the DB listens again, wakes its
// subscribers, and delivers the next change.
func TestChangesSurviveListenerLoss(t *testing.T) {
	schema := newSchemaName(t)
	pgtest.DSN(t)
	dropSchemaOnCleanup(t, schema)
	a, b := openSchema(t, schema), openSchema(t, schema)
	ctx := t.Context()
	ch := b.Changes(ctx)
	waitFor(t, "b listens", b.Listening)
	drain(ch)
	pid := b.listener.pid.Load()
	if pid == 0 {
		t.Fatal("no listening backend recorded")
	}
	adminExec(t, `SELECT pg_terminate_backend($1)`, int32(pid))
	select {
	case <-ch:
	case <-time.After(notifyDeadline):
		t.Fatal("no wake-up after the listening connection was cut")
	}
	waitFor(t, "b listens again on a new connection", func() bool {
		p := b.listener.pid.Load()
		return b.Listening() && p != 0 && p != pid
	})
	drain(ch)
	before := b.listener.received.Load()
	if err := a.Update(ctx, func(tx store.Tx) error { return tx.PutSetting(ctx, "k", []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b notified after listening again", func() bool { return b.listener.received.Load() > before })
}

// TestChangesChannelCloses checks that the channel closes when its
// context ends and when the DB closes, and that a closed DB hands out
// closed channels.
func TestChangesChannelCloses(t *testing.T) {
	db := openTest(t)
	ctx, cancel := context.WithCancel(t.Context())
	byCtx := db.Changes(ctx)
	byClose := db.Changes(t.Context())
	waitFor(t, "listening", db.Listening)
	cancel()
	waitClosed(t, "channel of an ended context", byCtx)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, "channel after Close", byClose)
	if db.Listening() {
		t.Error("Listening after Close")
	}
	waitClosed(t, "channel asked for after Close", db.Changes(t.Context()))
}

// waitClosed fails the test unless ch is closed within notifyDeadline
// (values still buffered are skipped).
func waitClosed(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	deadline := time.After(notifyDeadline)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf("%s: not closed within %v", what, notifyDeadline)
		}
	}
}
