package admin_test

import (
	"github.com/scimconnect/scimconnect/internal/pgtest"

	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/scimconnect/scimconnect/admin"
	"github.com/scimconnect/scimconnect/connector/builtin"
	"github.com/scimconnect/scimconnect/gateway"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/store"
	"github.com/scimconnect/scimconnect/store/postgres"
	"github.com/scimconnect/scimconnect/store/sqlite"
)

// convergence is the bound within which every replica serves a change
// made through another (issue #4).
const convergence = time.Second

// replica is one scimconnect serve process in miniature: a gateway, its
// admin API and its Syncer running at the default interval.
type replica struct {
	*fixture
	syncer *admin.Syncer
}

// newReplica builds a replica over st; config are its file instances.
func newReplica(t *testing.T, st store.Store, config ...gateway.InstanceSpec) *replica {
	t.Helper()
	return newReplicaEvery(t, st, admin.DefaultSyncInterval, config...)
}

// newReplicaEvery builds a replica whose Syncer polls every interval.
func newReplicaEvery(t *testing.T, st store.Store, interval time.Duration, config ...gateway.InstanceSpec) *replica {
	t.Helper()
	ctx := context.Background()
	keys := testKeyring(t, testKey)
	// The test polls with tokens that fail: no failure budget, so that
	// a refused token answers 401, never 429.
	gw := gateway.New(gateway.Options{PublicURL: "http://scim.test", Provider: provider.DefaultConfig(), Store: st, Registry: builtin.Registry(), AuthLimit: gateway.AuthLimit{Disabled: true}})
	t.Cleanup(func() { gw.Close() })
	for _, spec := range config {
		if err := gw.Mount(ctx, spec); err != nil {
			t.Fatal(err)
		}
	}
	opts := admin.Options{TokenHash: gateway.HashToken(adminToken), Gateway: gw, Store: st, Registry: builtin.Registry(), Config: config, Secrets: keys}
	syncer, err := admin.NewSyncer(opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Syncer = syncer
	h, err := admin.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := syncer.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	// Registered after gw.Close, so it runs before: the loop stops
	// before the gateway closes.
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { syncer.Run(runCtx, interval) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return &replica{fixture: &fixture{t: t, store: st, gw: gw, admin: h, handler: h.Wrap(gw), keys: keys}, syncer: syncer}
}

// await polls cond until it holds and returns how long that took; it
// fails the test when cond does not hold within the convergence bound.
func await(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(convergence)
	for {
		if cond() {
			took := time.Since(start)
			t.Logf("%s: converged in %v", what, took.Round(time.Millisecond))
			return took
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not converged within %v", what, convergence)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// status answers the status of a SCIM GET through r.
func (r *replica) status(path, token string) int {
	r.t.Helper()
	return r.do("GET", path, token, nil).Code
}

// userSchemaHas reports whether r's instance lists attr in its User
// schema (RFC 7643 §7).
func (r *replica) userSchemaHas(instance, token, attr string) bool {
	r.t.Helper()
	w := r.do("GET", "/scim/"+instance+"/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", token, nil)
	if w.Code != http.StatusOK {
		r.t.Fatalf("user schema of %s: %d %s", instance, w.Code, w.Body)
	}
	var sch struct{ Attributes []struct{ Name string } }
	decodeBody(r.t, w, &sch)
	for _, a := range sch.Attributes {
		if strings.EqualFold(a.Name, attr) {
			return true
		}
	}
	return false
}

// sharedStores opens the stores the replicas share: a name and, per
// replica, a handle. SQLite gives both replicas one handle (it locks its
// file against a second process); PostgreSQL gives each its own.
type sharedStores func(t *testing.T) (a, b store.Store)

func sqliteStores(t *testing.T) (store.Store, store.Store) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "shared.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, st
}

func postgresStores(t *testing.T) (store.Store, store.Store) {
	dsn := pgtest.DSN(t)
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	schema := "scimtest_sync_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	open := func() store.Store {
		db, err := postgres.Open(context.Background(), dsn, postgres.WithSchema(schema))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	return open(), open()
}

// TestReplicasConverge drives two replicas over one store: every change
// made through A is served by B within a second, and B's file instance
// is never replaced by a stored one.
func TestReplicasConverge(t *testing.T) {
	backends := []struct {
		name   string
		stores sharedStores
	}{
		{"sqlite", sqliteStores},
		{"postgres", postgresStores},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			stA, stB := be.stores(t)
			fileToken := "file-token-0123456789abcdef"
			fileSpec := gateway.InstanceSpec{Name: "filed", Type: "local", TokenHash: gateway.HashToken(fileToken)}
			a := newReplica(t, stA)
			b := newReplica(t, stB, fileSpec)
			var worst time.Duration
			note := func(d time.Duration) { worst = max(worst, d) }

			// Create through A: B serves it with the returned token.
			token := a.create(map[string]any{"name": "crm", "type": "local"})
			note(await(t, "create", func() bool { return b.status("/scim/crm/v2/Users", token) == http.StatusOK }))

			// Rotate through A: on B the old token fails and the new works.
			w := a.do("POST", "/admin/v1/instances/crm/token", adminToken, nil)
			if w.Code != http.StatusOK {
				t.Fatalf("rotate: %d %s", w.Code, w.Body)
			}
			var rotated struct{ Token string }
			decodeBody(t, w, &rotated)
			note(await(t, "rotate", func() bool {
				return b.status("/scim/crm/v2/Users", token) == http.StatusUnauthorized &&
					b.status("/scim/crm/v2/Users", rotated.Token) == http.StatusOK
			}))

			// PUT through A: B reopens okta1 without "title".
			params := startOktaSim(t)
			oktaToken := a.create(map[string]any{"name": "okta1", "type": "okta", "parameters": params})
			note(await(t, "create okta", func() bool { return b.status("/scim/okta1/v2/Users", oktaToken) == http.StatusOK }))
			if !b.userSchemaHas("okta1", oktaToken, "title") {
				t.Fatal("B's okta1 lacks title before it is disabled")
			}
			w = a.do("PUT", "/admin/v1/instances/okta1", adminToken, map[string]any{
				"parameters":          map[string]any{"target_url": params["target_url"], "token": "<set>"},
				"disabled_attributes": []string{"title"},
			})
			if w.Code != http.StatusOK {
				t.Fatalf("put: %d %s", w.Code, w.Body)
			}
			note(await(t, "put", func() bool { return !b.userSchemaHas("okta1", oktaToken, "title") }))

			// A stored instance named like B's file instance: B keeps
			// serving its file's instance through any number of passes.
			shadowToken := a.create(map[string]any{"name": "filed", "type": "local"})
			for range 3 {
				rep, err := b.syncer.Reconcile(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(admin.SyncReport{}, rep); diff != "" {
					t.Errorf("B's pass after a shadowed create changed something (-want +got):\n%s", diff)
				}
			}
			if got := b.status("/scim/filed/v2/Users", fileToken); got != http.StatusOK {
				t.Errorf("B's file instance with the file token: %d, want 200", got)
			}
			if got := b.status("/scim/filed/v2/Users", shadowToken); got != http.StatusUnauthorized {
				t.Errorf("B's file instance with the stored instance's token: %d, want 401", got)
			}

			// DELETE through A: B answers 401.
			if w := a.do("DELETE", "/admin/v1/instances/crm", adminToken, nil); w.Code != http.StatusNoContent {
				t.Fatalf("delete: %d %s", w.Code, w.Body)
			}
			note(await(t, "delete", func() bool { return b.status("/scim/crm/v2/Users", rotated.Token) == http.StatusUnauthorized }))
			if b.gw.Mounted("crm") {
				t.Error("B still mounts the deleted crm")
			}
			if !b.gw.Mounted("filed") {
				t.Error("B unmounted its file instance")
			}
			t.Logf("slowest convergence: %v (bound %v, sync interval %v)", worst.Round(time.Millisecond), convergence, admin.DefaultSyncInterval)
		})
	}
}

// TestReplicasConvergeByNotification runs two replicas on PostgreSQL whose
// Syncers poll only once an hour: every change made through A still
// reaches B, so it came by the store's change notifications.
func TestReplicasConvergeByNotification(t *testing.T) {
	stA, stB := postgresStores(t)
	notifier, ok := stB.(store.Notifier)
	if !ok {
		t.Fatal("the PostgreSQL store does not implement store.Notifier")
	}
	a := newReplicaEvery(t, stA, time.Hour)
	b := newReplicaEvery(t, stB, time.Hour)
	deadline := time.Now().Add(10 * time.Second)
	for !notifier.Listening() {
		if time.Now().After(deadline) {
			t.Fatal("B's store does not listen for changes")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The first change may ride on the wake-up B's Syncer gets when its
	// store starts listening; every later one needs its own notification.
	warm := a.create(map[string]any{"name": "warmup", "type": "local"})
	await(t, "warm-up create", func() bool { return b.status("/scim/warmup/v2/Users", warm) == http.StatusOK })

	token := a.create(map[string]any{"name": "crm", "type": "local"})
	await(t, "create", func() bool { return b.status("/scim/crm/v2/Users", token) == http.StatusOK })
	w := a.do("POST", "/admin/v1/instances/crm/token", adminToken, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("rotate: %d %s", w.Code, w.Body)
	}
	var rotated struct{ Token string }
	decodeBody(t, w, &rotated)
	await(t, "rotate", func() bool {
		return b.status("/scim/crm/v2/Users", token) == http.StatusUnauthorized &&
			b.status("/scim/crm/v2/Users", rotated.Token) == http.StatusOK
	})
	params := startOktaSim(t)
	oktaToken := a.create(map[string]any{"name": "okta1", "type": "okta", "parameters": params})
	await(t, "create okta", func() bool { return b.status("/scim/okta1/v2/Users", oktaToken) == http.StatusOK })
	w = a.do("PUT", "/admin/v1/instances/okta1", adminToken, map[string]any{
		"parameters":          map[string]any{"target_url": params["target_url"], "token": "<set>"},
		"disabled_attributes": []string{"title"},
	})
	if w.Code != http.StatusOK {
		t.Fatalf("put: %d %s", w.Code, w.Body)
	}
	await(t, "attribute settings", func() bool { return !b.userSchemaHas("okta1", oktaToken, "title") })
	if w := a.do("DELETE", "/admin/v1/instances/crm", adminToken, nil); w.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	await(t, "delete", func() bool { return b.status("/scim/crm/v2/Users", rotated.Token) == http.StatusUnauthorized })
}

// notifyingStore is a store that tells of changes when the test says so,
// and counts the Syncer's passes (one View each).
type notifyingStore struct {
	store.Store
	changes   chan struct{}
	listening atomic.Bool
	views     atomic.Int64
}

func (s *notifyingStore) View(ctx context.Context, fn func(store.Tx) error) error {
	s.views.Add(1)
	return s.Store.View(ctx, fn)
}
func (s *notifyingStore) Changes(context.Context) <-chan struct{} { return s.changes }
func (s *notifyingStore) Listening() bool                         { return s.listening.Load() }

// TestSyncRunPollsOnlyWithoutNotifications drives Run with a store whose
// notifications the test controls: while they arrive, a notification
// makes a pass and nothing else does (the safety-net poll is 30 s away);
// once they stop, Run polls at its interval again.
func TestSyncRunPollsOnlyWithoutNotifications(t *testing.T) {
	base, _ := sqliteStores(t)
	st := &notifyingStore{Store: base, changes: make(chan struct{}, 1)}
	gw := gateway.New(gateway.Options{PublicURL: "http://scim.test", Provider: provider.DefaultConfig(), Store: st, Registry: builtin.Registry()})
	t.Cleanup(func() { gw.Close() })
	syncer, err := admin.NewSyncer(admin.Options{Gateway: gw, Store: st, Registry: builtin.Registry()})
	if err != nil {
		t.Fatal(err)
	}
	const interval = 20 * time.Millisecond
	st.listening.Store(true)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { syncer.Run(ctx, interval) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	waitPasses := func(what string, n int64) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for st.views.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d passes, want %d", what, st.views.Load(), n)
			}
			time.Sleep(time.Millisecond)
		}
	}

	// Listening from the start: no pass until a notification.
	time.Sleep(10 * interval)
	if got := st.views.Load(); got != 0 {
		t.Errorf("%d passes before any notification, want 0", got)
	}
	st.changes <- struct{}{}
	waitPasses("first notification", 1)
	st.changes <- struct{}{}
	waitPasses("second notification", 2)
	// Ten intervals without a notification: no pass.
	time.Sleep(10 * interval)
	if got := st.views.Load(); got != 2 {
		t.Errorf("%d passes while notifications arrive and none came, want 2", got)
	}
	// Notifications stop (the store wakes the Syncer to say so): Run
	// polls at its interval again.
	st.listening.Store(false)
	st.changes <- struct{}{}
	waitPasses("polling again", 6)
}

// TestReconcile checks one pass at a time, without the loop: what it
// reports, that nothing is reopened when nothing changed, and that a
// changed instance which fails to open is left as it was.
func TestReconcile(t *testing.T) {
	ctx := context.Background()
	st, _ := sqliteStores(t)
	gw := gateway.New(gateway.Options{PublicURL: "http://scim.test", Provider: provider.DefaultConfig(), Store: st, Registry: builtin.Registry()})
	t.Cleanup(func() { gw.Close() })
	syncer, err := admin.NewSyncer(admin.Options{Gateway: gw, Store: st, Registry: builtin.Registry()})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	row := &store.Instance{Name: "dir", Type: "local", TokenHash: gateway.HashToken("t1"), Created: now, Modified: now}
	write := func(fn func(tx store.Tx) error) {
		t.Helper()
		if err := st.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name   string
		change func()
		want   admin.SyncReport
	}{
		{"empty store", func() {}, admin.SyncReport{}},
		{"created", func() { write(func(tx store.Tx) error { return tx.CreateInstance(ctx, row) }) }, admin.SyncReport{Mounted: []string{"dir"}}},
		{"unchanged", func() {}, admin.SyncReport{}},
		{"token only", func() {
			row.TokenHash = gateway.HashToken("t2")
			row.Modified = time.Now().UTC()
			write(func(tx store.Tx) error { return tx.UpdateInstance(ctx, row) })
		}, admin.SyncReport{Retokened: []string{"dir"}}},
		{"broken parameters", func() {
			row.Config = []byte(`{"nope": 1}`)
			write(func(tx store.Tx) error { return tx.UpdateInstance(ctx, row) })
		}, admin.SyncReport{Failed: []string{"dir"}}},
		{"still broken: not retried", func() {}, admin.SyncReport{}},
		{"fixed", func() {
			row.Config = []byte(`{}`)
			write(func(tx store.Tx) error { return tx.UpdateInstance(ctx, row) })
		}, admin.SyncReport{Remounted: []string{"dir"}}},
		{"deleted", func() { write(func(tx store.Tx) error { return tx.DeleteInstance(ctx, "dir") }) }, admin.SyncReport{Unmounted: []string{"dir"}}},
	}
	for _, step := range steps {
		step.change()
		rep, err := syncer.Reconcile(ctx)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if diff := cmp.Diff(step.want, rep); diff != "" {
			t.Errorf("%s: report (-want +got):\n%s", step.name, diff)
		}
		if step.name == "broken parameters" {
			// Left as it was: still served, with the current token.
			if !gw.Mounted("dir") {
				t.Errorf("%s: the instance was unmounted", step.name)
			}
		}
	}
	if gw.Mounted("dir") {
		t.Error("deleted instance still mounted")
	}
}

// BenchmarkReconcileUnchanged measures a pass over 50 stored instances
// when nothing changed: the cost every replica pays twice a second.
func BenchmarkReconcileUnchanged(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	gw := gateway.New(gateway.Options{PublicURL: "http://scim.test", Provider: provider.DefaultConfig(), Store: st, Registry: builtin.Registry()})
	defer gw.Close()
	now := time.Now().UTC()
	err = st.Update(ctx, func(tx store.Tx) error {
		for i := range 50 {
			in := &store.Instance{Name: fmt.Sprintf("dir%02d", i), Type: "local", TokenHash: gateway.HashToken("t"), Created: now, Modified: now}
			if err := tx.CreateInstance(ctx, in); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	syncer, err := admin.NewSyncer(admin.Options{Gateway: gw, Store: st, Registry: builtin.Registry()})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := syncer.Reconcile(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		rep, err := syncer.Reconcile(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if rep.Changed() {
			b.Fatalf("unchanged store, yet %+v", rep)
		}
	}
}
