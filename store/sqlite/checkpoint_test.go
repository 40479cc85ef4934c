package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/store"
)

// dbFileHolds reports whether the database file alone, without its WAL,
// holds the resource: a copy of the file is opened, so only what a
// checkpoint wrote back is there.
func dbFileHolds(t *testing.T, path, id string) bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(cp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	raw := rawOpen(t, cp)
	var tables int
	if err := raw.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'resources'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables == 0 { // not even the schema was checkpointed yet
		return false
	}
	var n int
	if err := raw.QueryRow(`SELECT count(*) FROM resources WHERE id = ?`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func createUser(t *testing.T, db *DB, id string) {
	t.Helper()
	err := db.Update(t.Context(), func(tx store.Tx) error {
		return tx.CreateResource(context.Background(), &store.Resource{
			Instance: "i", Type: "User", ID: id, Data: []byte(`{}`), UserName: id,
			Created: time.Now(), Modified: time.Now(),
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBackgroundCheckpoint: a few commits, far below SQLite's own
// checkpoint threshold, reach the database file within a few intervals,
// because the background checkpointer copies them; with it off they stay
// in the WAL.
func TestBackgroundCheckpoint(t *testing.T) {
	db, path := openTemp(t, WithCheckpointInterval(5*time.Millisecond))
	createUser(t, db, "u1")
	deadline := time.Now().Add(5 * time.Second)
	for !dbFileHolds(t, path, "u1") {
		if time.Now().After(deadline) {
			t.Fatal("a commit did not reach the database file within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}

	off, offPath := openTemp(t, WithCheckpointInterval(0))
	createUser(t, off, "u1")
	time.Sleep(50 * time.Millisecond)
	if dbFileHolds(t, offPath, "u1") {
		t.Error("with the checkpointer off, a single commit reached the database file: the test cannot tell")
	}
}

// TestWALStaysBounded: under writes that never pause, the WAL does not
// grow past the writer's own checkpoint threshold (plus one batch): the
// background checkpointer never catches up with a busy writer, so the
// writer's full checkpoint is what lets the WAL restart.
func TestWALStaysBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes some 40 MiB of WAL")
	}
	db, path := openTemp(t)
	blob := make([]byte, 3000) // about one page per resource
	const n = 3 * writerCheckpointPages
	errs := make(chan error, 8)
	for w := range 8 {
		go func() {
			for i := w; i < n; i += 8 {
				errs <- db.Update(t.Context(), func(tx store.Tx) error {
					return tx.CreateResource(context.Background(), &store.Resource{
						Instance: "i", Type: "User", ID: fmt.Sprint("u", i), Data: blob,
						Created: time.Now(), Modified: time.Now(),
					})
				})
			}
		}()
	}
	var maxWAL int64
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path + "-wal"); err == nil {
			maxWAL = max(maxWAL, fi.Size())
		}
	}
	// Every resource is about one page, plus index pages: without the
	// writer's checkpoint the WAL would reach some 3 × 4096 pages (48 MiB).
	limit := int64(2*writerCheckpointPages) * 4120
	t.Logf("largest WAL seen: %d KiB (limit %d KiB)", maxWAL>>10, limit>>10)
	if maxWAL > limit {
		t.Errorf("the WAL grew to %d bytes under sustained writes, over %d", maxWAL, limit)
	}
}
