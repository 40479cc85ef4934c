package postgres

import (
	"github.com/scimconnect/scimconnect/internal/pgtest"

	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/scimconnect/scimconnect/store"
	"github.com/scimconnect/scimconnect/store/storetest"
)

// newSchemaName returns a schema name no other test uses.
func newSchemaName(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		tb.Fatalf("random schema name: %v", err)
	}
	return "scimtest_" + hex.EncodeToString(b)
}

// adminExec runs sql on its own connection to the test server.
func adminExec(tb testing.TB, sql string, args ...any) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgtest.DSN(tb))
	if err != nil {
		tb.Fatalf("admin connect: %v", err)
	}
	defer func() { _ = conn.Close(ctx) }()
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		tb.Fatalf("admin %q: %v", sql, err)
	}
}

// dropSchemaOnCleanup drops schema, with everything in it, when the test
// ends (after the cleanups registered later, such as closing stores).
func dropSchemaOnCleanup(tb testing.TB, schema string) {
	tb.Helper()
	tb.Cleanup(func() { adminExec(tb, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`) })
}

// openSchema opens a store on schema, closed when the test ends.
func openSchema(tb testing.TB, schema string, opts ...Option) *DB {
	tb.Helper()
	db, err := Open(context.Background(), pgtest.DSN(tb), append([]Option{WithSchema(schema)}, opts...)...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// openTest opens a store on a fresh schema of its own, dropped when the
// test ends.
func openTest(tb testing.TB, opts ...Option) *DB {
	tb.Helper()
	schema := newSchemaName(tb)
	pgtest.DSN(tb) // skip before registering cleanups
	dropSchemaOnCleanup(tb, schema)
	db := openSchema(tb, schema, opts...)
	tb.Cleanup(func() {
		if st := db.Stats(); st.Retries > 0 || st.GaveUp > 0 {
			tb.Logf("serialization retries: %d, gave up: %d", st.Retries, st.GaveUp)
		}
	})
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t) })
}

func TestNotExclusive(t *testing.T) {
	// Several replicas share the database: no reader may cache on the
	// belief that it alone writes.
	if _, ok := any((*DB)(nil)).(store.Exclusive); ok {
		t.Error("*DB implements store.Exclusive; replicas share the database")
	}
}

func user(instance, id, userName string) *store.Resource {
	now := time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC)
	return &store.Resource{
		Instance: instance, Type: "User", ID: id, Created: now, Modified: now,
		Data: []byte(`{"userName":"` + userName + `"}`), UserName: userName,
	}
}

func mustUpdate(tb testing.TB, s store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	tb.Helper()
	ctx := context.Background()
	if err := s.Update(ctx, func(tx store.Tx) error { return fn(ctx, tx) }); err != nil {
		tb.Fatalf("Update: %v", err)
	}
}

func getResource(t *testing.T, s store.Store, instance, typ, id string) (*store.Resource, error) {
	t.Helper()
	var r *store.Resource
	err := s.View(t.Context(), func(tx store.Tx) error {
		var err error
		r, err = tx.GetResource(t.Context(), instance, typ, id)
		return err
	})
	return r, err
}

// appliedVersions lists the versions schema_migrations records in schema.
func appliedVersions(t *testing.T, db *DB) []int {
	t.Helper()
	rows, err := db.pool.Query(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	return vs
}

func TestMigrations(t *testing.T) {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatalf("loadMigrations: %v", err)
	}
	var all []int
	for _, m := range ms {
		all = append(all, m.Version)
	}
	schema := newSchemaName(t)
	pgtest.DSN(t)
	dropSchemaOnCleanup(t, schema)

	// Replicas starting together on an empty schema: the advisory lock
	// makes one apply the migrations and the others find them applied.
	const replicas = 4
	dbs := make([]*DB, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() { dbs[i], errs[i] = Open(t.Context(), pgtest.DSN(t), WithSchema(schema)) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open %d: %v", i, err)
		}
		t.Cleanup(func() { _ = dbs[i].Close() })
	}
	if diff := cmp.Diff(all, appliedVersions(t, dbs[0])); diff != "" {
		t.Errorf("applied versions after concurrent Opens (-want +got):\n%s", diff)
	}
	if got := dbs[0].Schema(); got != schema {
		t.Errorf("Schema() = %q, want %q", got, schema)
	}
	mustUpdate(t, dbs[0], func(ctx context.Context, tx store.Tx) error { return tx.CreateResource(ctx, user("i", "u1", "alice")) })
	for _, db := range dbs {
		_ = db.Close()
	}

	steps := []struct {
		name    string
		prepare string // run before Open, if not empty
		wantErr error  // nil: Open succeeds, the data is kept
	}{
		{"reopen is idempotent", "", nil},
		{"reopen again", "", nil},
		{"newer schema refused", fmt.Sprintf(`INSERT INTO %s.schema_migrations (version, name) VALUES (%d, 'from_the_future')`,
			pgx.Identifier{schema}.Sanitize(), len(ms)+1), ErrSchemaTooNew},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.prepare != "" {
				adminExec(t, st.prepare)
			}
			db, err := Open(t.Context(), pgtest.DSN(t), WithSchema(schema))
			if st.wantErr != nil {
				if !errors.Is(err, st.wantErr) {
					t.Fatalf("Open = %v, want %v", err, st.wantErr)
				}
				if !strings.Contains(err.Error(), fmt.Sprintf("version %d", len(ms)+1)) {
					t.Errorf("error %q does not say which version the database has", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer func() { _ = db.Close() }()
			if diff := cmp.Diff(all, appliedVersions(t, db)); diff != "" {
				t.Errorf("applied versions (-want +got):\n%s", diff)
			}
			if _, err := getResource(t, db, "i", "User", "u1"); err != nil {
				t.Errorf("data written before reopening: %v", err)
			}
		})
	}
}

// TestUpgradeClaimsGroupNames migrates a schema to 0002, writes two
// groups of one name into it, and checks that migration 0003 lets the
// older one keep the name without refusing the schema.
func TestUpgradeClaimsGroupNames(t *testing.T) {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatalf("loadMigrations: %v", err)
	}
	schema := newSchemaName(t)
	dsn := pgtest.DSN(t)
	dropSchemaOnCleanup(t, schema)
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("parse DSN: %v", err)
	}
	pc.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	pool, err := pgxpool.NewWithConfig(t.Context(), pc)
	if err != nil {
		t.Fatalf("pool: %v", err)
	}
	defer pool.Close()
	if _, err = migrate(t.Context(), pool, schema, ms[:2]); err != nil {
		t.Fatalf("schema 0002: %v", err)
	}
	// Through the pool whose search_path is the schema: the count trigger
	// names resource_counts unqualified, as the store's connections do.
	_, err = pool.Exec(t.Context(), `INSERT INTO resources (instance, id, type, version, created, modified, data,
		user_name, user_name_key, external_id, display_name, display_name_key, emails, email_keys)
		VALUES ('i', 'g1', 'Group', 1, now(), now(), '{}', '', '', '', 'Sales Team', 'sales team', '{}', '{}'),
			('i', 'g2', 'Group', 1, now(), now(), '{}', '', '', '', 'SALES team', 'sales team', '{}', '{}')`)
	if err != nil {
		t.Fatalf("writing two groups of one name: %v", err)
	}
	pool.Close()
	storetest.SharedGroupNames(t, openSchema(t, schema), "i", "g1", "g2", "SALES team")
}

func TestLoadMigrations(t *testing.T) {
	file := func(body string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(body)} }
	cases := []struct {
		name    string
		fsys    fstest.MapFS
		want    []int
		wantErr string
	}{
		{"in order", fstest.MapFS{"migrations/0002_b.sql": file("B"), "migrations/0001_a.sql": file("A")}, []int{1, 2}, ""},
		{"gap", fstest.MapFS{"migrations/0001_a.sql": file("A"), "migrations/0003_c.sql": file("C")}, nil, "expected version 2"},
		{"no prefix", fstest.MapFS{"migrations/init.sql": file("A")}, nil, "NNNN_description.sql"},
		{"bad version", fstest.MapFS{"migrations/x1_a.sql": file("A")}, nil, "bad version"},
		{"zero", fstest.MapFS{"migrations/0000_a.sql": file("A")}, nil, "bad version"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := loadMigrations(tc.fsys)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("loadMigrations = %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("loadMigrations: %v", err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.Version)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("versions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReplicas runs two DBs on one schema, as two scimconnect processes
// sharing the database would.
func TestReplicas(t *testing.T) {
	schema := newSchemaName(t)
	pgtest.DSN(t)
	dropSchemaOnCleanup(t, schema)
	a, b := openSchema(t, schema), openSchema(t, schema)
	ctx := t.Context()

	t.Run("write through one, read through the other", func(t *testing.T) {
		mustUpdate(t, a, func(ctx context.Context, tx store.Tx) error {
			if err := tx.CreateInstance(ctx, &store.Instance{Name: "shared", Type: "local", Created: time.Now(), Modified: time.Now()}); err != nil {
				return err
			}
			return tx.CreateResource(ctx, user("i", "u1", "alice"))
		})
		r, err := getResource(t, b, "i", "User", "u1")
		if err != nil {
			t.Fatalf("GetResource through b: %v", err)
		}
		if r.UserName != "alice" || r.Version != 1 {
			t.Errorf("b sees %q v%d, want alice v1", r.UserName, r.Version)
		}
		err = b.View(ctx, func(tx store.Tx) error {
			_, err := tx.GetInstance(ctx, "shared")
			return err
		})
		if err != nil {
			t.Errorf("GetInstance through b: %v", err)
		}
	})

	t.Run("concurrent same userName through both", func(t *testing.T) {
		const n = 20
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			s := a
			if i%2 == 1 {
				s = b
			}
			wg.Go(func() {
				<-start
				name := "bjensen"
				if i%3 == 0 {
					name = "BJensen"
				}
				errs[i] = s.Update(ctx, func(tx store.Tx) error {
					return tx.CreateResource(ctx, user("i", fmt.Sprintf("c%d", i), name))
				})
			})
		}
		close(start)
		wg.Wait()
		wins := 0
		for i, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("create %d: %v, want nil or ErrConflict", i, err)
			}
		}
		if wins != 1 {
			t.Errorf("%d creates succeeded, want exactly 1", wins)
		}
		for _, s := range []*DB{a, b} {
			var found []*store.Resource
			err := s.View(ctx, func(tx store.Tx) error {
				var err error
				found, err = tx.FindResources(ctx, "i", "User", store.KeyUserName, "bjensen")
				return err
			})
			if err != nil || len(found) != 1 {
				t.Errorf("FindResources(bjensen) = %d resources, %v; want 1", len(found), err)
			}
		}
	})
}

// TestUpdateRetriesSerializationFailure makes two Updates read and then
// write the same resource at the same time. On SQLite they would run one
// after the other; here PostgreSQL fails one with a serialization failure
// and Update runs its fn again, so both succeed and neither write is lost.
func TestUpdateRetriesSerializationFailure(t *testing.T) {
	cases := []struct {
		name        string
		maxAttempts int
		wantErrs    int // Updates failing with ErrContention
		wantVersion int64
	}{
		{"retried", DefaultMaxAttempts, 0, 3},
		{"no retry allowed", 1, 1, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t, WithMaxAttempts(tc.maxAttempts))
			ctx := t.Context()
			mustUpdate(t, db, func(ctx context.Context, tx store.Tx) error { return tx.CreateResource(ctx, user("i", "u1", "a")) })

			var (
				read  sync.WaitGroup // both first attempts have read
				mu    sync.Mutex
				calls int
			)
			read.Add(2)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i := range 2 {
				wg.Go(func() {
					first := true
					errs[i] = db.Update(ctx, func(tx store.Tx) error {
						mu.Lock()
						calls++
						mu.Unlock()
						cur, err := tx.GetResource(ctx, "i", "User", "u1")
						if first {
							first = false
							read.Done()
							read.Wait()
						}
						if err != nil {
							return err
						}
						next := *cur
						next.Data = []byte(fmt.Sprintf(`{"writer":%d}`, i))
						return tx.PutResource(ctx, &next, cur.Version)
					})
				})
			}
			wg.Wait()
			failed := 0
			for i, err := range errs {
				switch {
				case err == nil:
				case errors.Is(err, ErrContention):
					failed++
				default:
					t.Errorf("Update %d: %v, want nil or ErrContention", i, err)
				}
			}
			if failed != tc.wantErrs {
				t.Errorf("%d Updates gave up, want %d", failed, tc.wantErrs)
			}
			r, err := getResource(t, db, "i", "User", "u1")
			if err != nil {
				t.Fatalf("GetResource: %v", err)
			}
			if r.Version != tc.wantVersion {
				t.Errorf("version %d, want %d", r.Version, tc.wantVersion)
			}
			wantCalls, wantRetries := 2, uint64(0)
			if tc.maxAttempts > 1 {
				wantCalls, wantRetries = 3, 1
			}
			if calls != wantCalls {
				t.Errorf("fn ran %d times, want %d", calls, wantCalls)
			}
			if got := db.Stats().Retries; got != wantRetries {
				t.Errorf("Stats().Retries = %d, want %d", got, wantRetries)
			}
		})
	}
}

// TestStatementHonoursContext blocks an Update's statement on a row lock
// and checks that the Update's deadline ends it.
func TestStatementHonoursContext(t *testing.T) {
	db := openTest(t)
	mustUpdate(t, db, func(ctx context.Context, tx store.Tx) error { return tx.CreateResource(ctx, user("i", "u1", "a")) })
	locked, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- db.Update(context.Background(), func(tx store.Tx) error {
			if err := tx.TouchResources(context.Background(), "i", []string{"u1"}, time.Now()); err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := db.Update(ctx, func(tx store.Tx) error {
		return tx.TouchResources(ctx, "i", []string{"u1"}, time.Now())
	})
	waited := time.Since(start)
	close(release)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("blocked Update = %v, want context.DeadlineExceeded", err)
	}
	if waited > 5*time.Second {
		t.Errorf("blocked Update returned after %v, long after its deadline", waited)
	}
	if err := <-holder; err != nil {
		t.Fatalf("holding Update: %v", err)
	}
	// The store still works, and only the holder's touch happened.
	r, err := getResource(t, db, "i", "User", "u1")
	if err != nil {
		t.Fatalf("GetResource: %v", err)
	}
	if r.Version != 2 {
		t.Errorf("version %d, want 2", r.Version)
	}
}

func TestAddMembersRepeatedInOneCall(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	mustUpdate(t, db, func(ctx context.Context, tx store.Tx) error {
		return tx.AddMembers(ctx, "i", "g", []store.Member{{ID: "b", Type: "User"}, {ID: "a", Type: "User"}, {ID: "b", Type: "User"}})
	})
	var got []store.Member
	err := db.View(ctx, func(tx store.Tx) error {
		var err error
		got, err = tx.Members(ctx, "i", "g")
		return err
	})
	if err != nil {
		t.Fatalf("Members: %v", err)
	}
	want := []store.Member{{ID: "b", Type: "User"}, {ID: "a", Type: "User"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Members (-want +got):\n%s", diff)
	}
}

func TestTextPostgreSQLCannotStore(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	// PostgreSQL text cannot hold NUL; JSON can ("\u0000"). The write
	// must fail cleanly, not as a conflict, and leave the store usable.
	err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateResource(ctx, user("i", "u1", "a\x00b")) })
	if err == nil || errors.Is(err, store.ErrConflict) {
		t.Errorf("CreateResource with a NUL in userName = %v, want a non-conflict error", err)
	}
	mustUpdate(t, db, func(ctx context.Context, tx store.Tx) error { return tx.CreateResource(ctx, user("i", "u1", "ab")) })
}

func TestTxUnusableAfterFn(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	var kept store.Tx
	mustUpdate(t, db, func(ctx context.Context, tx store.Tx) error {
		kept = tx
		return tx.CreateResource(ctx, user("i", "u1", "a"))
	})
	if _, err := kept.GetResource(ctx, "i", "User", "u1"); !errors.Is(err, errTxDone) {
		t.Errorf("GetResource on a kept Tx = %v, want errTxDone", err)
	}
}

func TestClosed(t *testing.T) {
	db := openTest(t)
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := t.Context()
	calls := []struct {
		name string
		call func() error
	}{
		{"Ping", func() error { return db.Ping(ctx) }},
		{"View", func() error { return db.View(ctx, func(store.Tx) error { return nil }) }},
		{"Update", func() error { return db.Update(ctx, func(store.Tx) error { return nil }) }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			if err := c.call(); !errors.Is(err, ErrClosed) {
				t.Errorf("%s after Close = %v, want ErrClosed", c.name, err)
			}
		})
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

// closedPort returns a local TCP port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatalf("close listener: %v", err)
	}
	return port
}

func TestOpenUnreachable(t *testing.T) {
	port := closedPort(t)
	cases := []struct {
		name, dsn string
		want      []string // in the error
	}{
		{"closed port", fmt.Sprintf("postgres://postgres:s3cret-pw@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=5", port),
			[]string{fmt.Sprintf("127.0.0.1:%d", port), "connect"}},
		{"unparsable", "postgres://postgres:s3cret-pw@127.0.0.1:notaport/x", []string{"cannot parse"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			db, err := Open(ctx, tc.dsn)
			if err == nil {
				_ = db.Close()
				t.Fatal("Open succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cret-pw") {
				t.Errorf("error %q reveals the password", err)
			}
		})
	}
}

// proxy forwards TCP connections to a target until closed, so a test can
// make the server unreachable.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p := &proxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
			go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
		}
	}()
	t.Cleanup(p.close)
	return p
}

// close stops accepting and cuts every forwarded connection.
func (p *proxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

func TestPingFailsWhenServerUnreachable(t *testing.T) {
	cfg, err := pgx.ParseConfig(pgtest.DSN(t))
	if err != nil {
		t.Fatalf("parse DSN: %v", err)
	}
	p := startProxy(t, net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port)))
	port := p.ln.Addr().(*net.TCPAddr).Port
	dsn := fmt.Sprintf("host=127.0.0.1 port=%d user=%s dbname=%s sslmode=disable connect_timeout=5", port, cfg.User, cfg.Database)
	if cfg.Password != "" {
		dsn += " password=" + cfg.Password
	}
	schema := newSchemaName(t)
	dropSchemaOnCleanup(t, schema)
	db, err := Open(t.Context(), dsn, WithSchema(schema))
	if err != nil {
		t.Fatalf("Open through the proxy: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Ping(t.Context()); err != nil {
		t.Fatalf("Ping while reachable: %v", err)
	}
	p.close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := db.Ping(ctx); err == nil {
		t.Error("Ping succeeded with the server unreachable")
	}
	err = db.View(ctx, func(tx store.Tx) error {
		_, err := tx.GetResource(ctx, "i", "User", "u1")
		return err
	})
	if err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("View with the server unreachable = %v, want a connection error", err)
	}
}

// What PostgreSQL cannot hold or index is the caller's value at fault,
// store.ErrValueRejected, so that the local connector answers 400, not
// 500: a NUL in text (also only looked up), a key past the btree limit.
func TestValueRejected(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	raw := make([]byte, 2000)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	long := hex.EncodeToString(raw) // random: PostgreSQL cannot compress it under the limit
	longExt := user("i", "u2", "ext")
	longExt.ExternalID = long
	writes := map[string]*store.Resource{
		"NUL in userName": user("i", "u1", "a\x00b"),
		"long userName":   user("i", "u1", long),
		"long externalId": longExt,
	}
	for name, r := range writes {
		err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateResource(ctx, r) })
		if !errors.Is(err, store.ErrValueRejected) {
			t.Errorf("%s: CreateResource = %v, want store.ErrValueRejected", name, err)
		}
	}
	err := db.View(ctx, func(tx store.Tx) error {
		_, err := tx.GetResource(ctx, "i", "User", "a\x00b")
		return err
	})
	if !errors.Is(err, store.ErrValueRejected) {
		t.Errorf("GetResource with a NUL in the id = %v, want store.ErrValueRejected", err)
	}
	// Nothing was written, and the store still takes writes.
	mustUpdate(t, db, func(ctx context.Context, tx store.Tx) error { return tx.CreateResource(ctx, user("i", "u1", "ab")) })
}
