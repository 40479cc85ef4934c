package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/store"
	"github.com/scimconnect/scimconnect/store/storetest"
)

func openTemp(t *testing.T, opts ...Option) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "dir", "scim.db") // parent created by Open
	db, err := Open(t.Context(), path, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db, path
}

func TestConformance(t *testing.T) {
	modes := []struct {
		name string
		opts []Option
	}{
		{"group commit", nil},
		{"no group commit", []Option{WithMaxBatch(1)}},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store {
				db, _ := openTemp(t, m.opts...)
				return db
			})
		})
	}
}

func TestPersistsAcrossReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "scim.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	want := &store.Resource{
		Instance: "i", Type: "User", ID: "u1",
		Created:  time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.UTC),
		Modified: time.Date(2025, 1, 2, 3, 4, 6, 1, time.UTC),
		Data:     []byte(`{"a":1}`), UserName: "Alice", Emails: []string{"a@example.com"},
	}
	err = db.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateResource(ctx, want); err != nil {
			return err
		}
		return tx.PutSetting(ctx, "k", []byte("v"))
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := db.Update(ctx, func(store.Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Update after Close = %v, want ErrClosed", err)
	}
	if err := db.View(ctx, func(store.Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("View after Close = %v, want ErrClosed", err)
	}

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	err = db.View(ctx, func(tx store.Tx) error {
		got, err := tx.GetResource(ctx, "i", "User", "u1")
		if err != nil {
			return err
		}
		// Nanoseconds survive: times are stored as fixed-width RFC 3339 text.
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("resource after reopen mismatch (-want +got):\n%s", diff)
		}
		v, err := tx.GetSetting(ctx, "k")
		if err != nil {
			return err
		}
		if string(v) != "v" {
			t.Errorf("setting = %q, want v", v)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}
}

func TestMigrations(t *testing.T) {
	ctx := t.Context()
	db, path := openTemp(t)
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatalf("loadMigrations: %v", err)
	}
	if len(ms) == 0 || ms[0].Name != "0001_init" {
		t.Fatalf("embedded migrations = %v, want 0001_init first", ms)
	}
	raw := rawOpen(t, path)
	var version int
	if err := raw.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&version); err != nil {
		t.Fatalf("read version: %v", err)
	}
	if version != len(ms) {
		t.Errorf("schema version %d, want %d", version, len(ms))
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// Reopening applies nothing twice.
	db2, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if err := db2.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	var rows int
	if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&rows); err != nil {
		t.Fatalf("count migrations: %v", err)
	}
	if rows != len(ms) {
		t.Errorf("%d migration rows after reopen, want %d", rows, len(ms))
	}

	// A database from a newer binary is refused.
	if _, err := raw.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied) VALUES (?, 'future', '')`, len(ms)+1); err != nil {
		t.Fatalf("insert future migration: %v", err)
	}
	if db3, err := Open(ctx, path); !errors.Is(err, ErrSchemaTooNew) {
		if err == nil {
			_ = db3.Close()
		}
		t.Errorf("Open of a newer database = %v, want ErrSchemaTooNew", err)
	}
}

// TestUpgradeIndexesGroupDisplayNames opens a database written by schema
// 0003, holding a user and a group of the same displayName, and checks
// that migration 0004 indexes the group's and both are still found.
func TestUpgradeIndexesGroupDisplayNames(t *testing.T) {
	ctx := t.Context()
	raw, path := oldDatabase(t, 3)
	for _, r := range []struct{ typ, id string }{{"User", "u1"}, {"Group", "g1"}} {
		insertOld(t, raw, r.typ, r.id, "", "Sales Team")
	}
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open upgrades: %v", err)
	}
	defer db.Close()
	var n int
	if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM resources INDEXED BY resources_group_display_name
		WHERE instance = 'i' AND type = 'Group' AND display_name_lower = 'sales team' AND display_name_lower <> ''`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("groups in the new index: %d, %v; want 1", n, err)
	}
	for _, typ := range []string{"User", "Group"} {
		err := db.View(ctx, func(tx store.Tx) error {
			rs, err := tx.FindResources(ctx, "i", typ, store.KeyDisplayName, "SALES team")
			if err == nil && len(rs) != 1 {
				err = fmt.Errorf("found %d", len(rs))
			}
			return err
		})
		if err != nil {
			t.Errorf("%s by displayName after the upgrade: %v", typ, err)
		}
	}
}

// TestUpgradeCountsDeletesWithoutAbort opens a database written by schema
// 0004 and checks that migration 0005 replaces the count trigger of
// deletes by one that cannot abort, and that counts stay exact through it.
func TestUpgradeCountsDeletesWithoutAbort(t *testing.T) {
	ctx := t.Context()
	raw, path := oldDatabase(t, 4)
	for _, id := range []string{"u1", "u2", "u3"} {
		insertOld(t, raw, "User", id, id, "")
	}
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open upgrades: %v", err)
	}
	defer db.Close()
	var trigger string
	if err := raw.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'resources_count_delete'`).Scan(&trigger); err != nil {
		t.Fatalf("read trigger: %v", err)
	}
	if !strings.Contains(trigger, "UPDATE OR IGNORE") {
		t.Errorf("count trigger after the upgrade:\n%s\nwant UPDATE OR IGNORE", trigger)
	}
	err = db.Update(ctx, func(tx store.Tx) error {
		if err := tx.DeleteResource(ctx, "i", "User", "u2", 0); err != nil {
			return err
		}
		return tx.DeleteResource(ctx, "i", "User", "nobody", 0)
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete of a missing user = %v, want ErrNotFound (and nothing deleted)", err)
	}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.DeleteResource(ctx, "i", "User", "u2", 0) }); err != nil {
		t.Fatalf("delete: %v", err)
	}
	err = db.View(ctx, func(tx store.Tx) error {
		n, err := tx.CountResources(ctx, "i", "User")
		if err == nil && n != 2 {
			err = fmt.Errorf("count %d, want 2", n)
		}
		return err
	})
	if err != nil {
		t.Errorf("count after the upgrade and a delete: %v", err)
	}
}

// TestUpgradeClaimsGroupNames opens a database written by schema 0005,
// holding two groups of one name, and checks that migration 0006 lets
// the older one keep the name without refusing the database.
func TestUpgradeClaimsGroupNames(t *testing.T) {
	raw, path := oldDatabase(t, 5)
	insertOld(t, raw, "Group", "g1", "", "Sales Team")
	insertOld(t, raw, "Group", "g2", "", "SALES team")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open upgrades: %v", err)
	}
	defer db.Close()
	storetest.SharedGroupNames(t, db, "i", "g1", "g2", "SALES team")
}

// oldDatabase creates a database at the schema of the first n
// migrations, as an older binary left it, and returns a raw connection
// to it and its path.
func oldDatabase(t *testing.T, n int) (*sql.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "old.db")
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	raw := rawOpen(t, path)
	if err := migrate(t.Context(), raw, ms[:n]); err != nil {
		t.Fatalf("schema %04d: %v", n, err)
	}
	return raw, path
}

// insertOld inserts a resource of instance "i" with SQL, as any schema
// since 0001 takes it.
func insertOld(t *testing.T, raw *sql.DB, typ, id, userName, displayName string) {
	t.Helper()
	if _, err := raw.ExecContext(t.Context(), `INSERT INTO resources (instance, type, id, version, created, modified, data,
		user_name, user_name_lower, external_id, display_name, display_name_lower, emails)
		VALUES ('i', ?, ?, 1, '2026-01-02T03:04:05.000000000Z', '2026-01-02T03:04:05.000000000Z', x'7b7d', ?, ?, '', ?, ?, '')`,
		typ, id, userName, strings.ToLower(userName), displayName, strings.ToLower(displayName)); err != nil {
		t.Fatal(err)
	}
}

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	cases := []struct {
		name    string
		fs      fstest.MapFS
		want    []string
		wantErr bool
	}{
		{"ordered by version", fstest.MapFS{
			"migrations/0002_b.sql": file("B"),
			"migrations/0001_a.sql": file("A"),
			"migrations/0010_c.txt": file("ignored"),
		}, []string{"0001_a", "0002_b"}, false},
		{"gap", fstest.MapFS{"migrations/0001_a.sql": file(""), "migrations/0003_c.sql": file("")}, nil, true},
		{"bad name", fstest.MapFS{"migrations/init.sql": file("")}, nil, true},
		{"zero version", fstest.MapFS{"migrations/0000_a.sql": file("")}, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := loadMigrations(tc.fs)
			if (err != nil) != tc.wantErr {
				t.Fatalf("loadMigrations error = %v, want error %v", err, tc.wantErr)
			}
			var names []string
			for _, m := range ms {
				names = append(names, m.Name)
			}
			if diff := cmp.Diff(tc.want, names); diff != "" {
				t.Errorf("migrations mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// holdWriter keeps the writer busy with an Update until release is
// closed, so that the Updates started meanwhile queue up into batches.
func holdWriter(t *testing.T, db *DB) (release chan struct{}) {
	release = make(chan struct{})
	blocked := make(chan struct{})
	go func() {
		_ = db.Update(t.Context(), func(store.Tx) error {
			close(blocked)
			<-release
			return nil
		})
	}()
	<-blocked
	return release
}

// TestGroupCommitIsolatesFailures drives many concurrent Updates through
// one batch-sized writer and checks that a failing fn in a batch loses
// only its own writes while its batch-mates commit. A fn that succeeds
// sees its own writes and the earlier ones of its batch.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	db, _ := openTemp(t, WithMaxBatch(8))
	ctx := t.Context()
	release := holdWriter(t, db)
	const n = 32
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- db.Update(ctx, func(tx store.Tx) error {
				r := &store.Resource{Instance: "i", Type: "User", ID: string(rune('A' + i)), UserName: "same"}
				if i%2 == 1 {
					r.UserName = "" // cannot conflict
				}
				err := tx.CreateResource(ctx, r)
				if i%2 == 1 {
					if err != nil {
						return err
					}
					// Reads see this fn's own write.
					_, err = tx.GetResource(ctx, "i", "User", r.ID)
				}
				return err
			})
		}()
	}
	time.Sleep(50 * time.Millisecond) // let the Updates queue (not a timing assertion)
	close(release)
	ok, conflicts := 0, 0
	for range n {
		switch err := <-errs; {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrConflict):
			conflicts++
		default:
			t.Errorf("Update: %v", err)
		}
	}
	// The 16 odd ones always succeed; of the 16 even ones exactly one
	// wins the userName.
	if ok != n/2+1 || conflicts != n/2-1 {
		t.Errorf("%d succeeded and %d conflicted, want %d and %d", ok, conflicts, n/2+1, n/2-1)
	}
	var count int
	if err := db.View(ctx, func(tx store.Tx) error {
		var err error
		count, err = tx.CountResources(ctx, "i", "User")
		return err
	}); err != nil {
		t.Fatalf("View: %v", err)
	}
	if count != n/2+1 {
		t.Errorf("CountResources = %d, want %d", count, n/2+1)
	}
}

// TestGroupCommitRunsOnceWithoutFailures checks the two ways a batch
// runs: when every fn succeeds, each runs once; when one fails after
// writing, its writes are undone, the others commit, and no fn runs more
// than twice.
func TestGroupCommitRunsOnceWithoutFailures(t *testing.T) {
	for _, failing := range []bool{false, true} {
		t.Run(fmt.Sprintf("failing=%t", failing), func(t *testing.T) {
			db, _ := openTemp(t, WithMaxBatch(64))
			ctx := t.Context()
			release := holdWriter(t, db)
			const n = 16
			var runs [n]atomic.Int32
			errs := make(chan error, n)
			for i := range n {
				go func() {
					errs <- db.Update(ctx, func(tx store.Tx) error {
						runs[i].Add(1)
						r := &store.Resource{Instance: "i", Type: "User", ID: fmt.Sprintf("u%02d", i), UserName: fmt.Sprintf("user%02d", i)}
						if err := tx.CreateResource(ctx, r); err != nil {
							return err
						}
						if failing && i == n/2 {
							return errors.New("fails after writing")
						}
						return nil
					})
				}()
			}
			// Let the Updates queue behind the blocked one (not a timing
			// assertion: a smaller batch runs the same way).
			time.Sleep(50 * time.Millisecond)
			close(release)
			failed := 0
			for range n {
				if err := <-errs; err != nil {
					failed++
				}
			}
			want := 0
			if failing {
				want = 1
			}
			if failed != want {
				t.Errorf("%d Updates failed, want %d", failed, want)
			}
			for i := range n {
				got := runs[i].Load()
				if !failing && got != 1 || got < 1 || got > 2 {
					t.Errorf("fn %d ran %d times", i, got)
				}
			}
			if err := db.View(ctx, func(tx store.Tx) error {
				for i := range n {
					_, err := tx.GetResource(ctx, "i", "User", fmt.Sprintf("u%02d", i))
					if gone := failing && i == n/2; gone != errors.Is(err, store.ErrNotFound) {
						t.Errorf("resource %d: %v", i, err)
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestTxUnusableAfterFn(t *testing.T) {
	db, _ := openTemp(t)
	ctx := t.Context()
	var leaked store.Tx
	if err := db.Update(ctx, func(tx store.Tx) error { leaked = tx; return nil }); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if err := leaked.PutSetting(ctx, "k", nil); !errors.Is(err, errTxDone) {
		t.Errorf("write through a finished Tx = %v, want errTxDone", err)
	}
	if err := db.View(ctx, func(tx store.Tx) error { leaked = tx; return nil }); err != nil {
		t.Fatalf("View: %v", err)
	}
	if _, err := leaked.GetSetting(ctx, "k"); !errors.Is(err, errTxDone) {
		t.Errorf("read through a finished Tx = %v, want errTxDone", err)
	}
	err := db.View(ctx, func(tx store.Tx) error { return tx.PutSetting(ctx, "k", nil) })
	if !errors.Is(err, ErrReadOnly) {
		t.Errorf("write in View = %v, want ErrReadOnly", err)
	}
}

func TestTimeRange(t *testing.T) {
	db, _ := openTemp(t)
	ctx := t.Context()
	cases := []struct {
		name    string
		t       time.Time
		wantErr bool
	}{
		{"zero time", time.Time{}, false},
		{"far future", time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), false},
		{"beyond RFC 3339", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), true},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &store.Resource{Instance: "i", Type: "User", ID: string(rune('a' + i)), Created: tc.t, Modified: tc.t}
			err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateResource(ctx, r) })
			if (err != nil) != tc.wantErr {
				t.Fatalf("CreateResource error = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			err = db.View(ctx, func(tx store.Tx) error {
				got, err := tx.GetResource(ctx, "i", "User", r.ID)
				if err != nil {
					return err
				}
				if !got.Created.Equal(tc.t) || got.Created.Location() != time.UTC {
					t.Errorf("Created = %v, want %v in UTC", got.Created, tc.t)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("View: %v", err)
			}
		})
	}
}

// rawOpen opens the file with the driver directly, bypassing the store.
func rawOpen(t *testing.T, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	if err := raw.PingContext(context.Background()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	return raw
}

func TestOpenRejectsBadPath(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{"", filepath.Join(dir, "a?b.db"), filepath.Join(dir, "a#b.db")} {
		t.Run(path, func(t *testing.T) {
			db, err := Open(t.Context(), path)
			if err == nil {
				_ = db.Close()
				t.Fatalf("Open(%q) succeeded, want an error", path)
			}
		})
	}
}

func TestPingAfterClose(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := db.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := db.Ping(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("Ping after Close = %v, want ErrClosed", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

// TestExclusiveLock: a second Open of the same database fails while the
// first is open, and succeeds after it is closed.
func TestExclusiveLock(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lock.db")
	first, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Exclusive() {
		t.Error("Exclusive() = false with the lock held")
	}
	if _, err := Open(ctx, path); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	again.Close()
}
