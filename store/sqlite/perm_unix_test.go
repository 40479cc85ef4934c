//go:build unix

package sqlite

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/scimconnect/scimconnect/store"
)

// The database holds every resource, the instances' token hashes and the
// store-wide key: its files must be readable by the owner only, also in
// a data directory others may list (an existing /var/lib/...).
func TestFilesAreOwnerOnly(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "scim.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Update(ctx, func(tx store.Tx) error { return tx.PutSetting(ctx, "k", []byte("v")) })
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"scim.db", "scim.db-wal", "scim.db-shm", "scim.db.lock"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %#o: group and others may read it", name, perm)
		}
	}
}
