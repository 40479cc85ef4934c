package main

import (
	"github.com/scimconnect/scimconnect/internal/pgtest"

	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/secrets"
	"github.com/scimconnect/scimconnect/store"
	"github.com/scimconnect/scimconnect/store/postgres"
	"github.com/scimconnect/scimconnect/store/sqlite"
)

// testKeyring returns a keyring whose current key is made of b, with old
// keys made of olds.
func testKeyring(t *testing.T, b byte, olds ...byte) *secrets.Keyring {
	t.Helper()
	key := func(b byte) *secrets.Key {
		k, err := secrets.NewKey(bytes.Repeat([]byte{b}, secrets.KeySize))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	var old []*secrets.Key
	for _, o := range olds {
		old = append(old, key(o))
	}
	r, err := secrets.NewKeyring(key(b), old...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// storedCursorKey returns the setting as stored.
func storedCursorKey(t *testing.T, st store.Store) []byte {
	t.Helper()
	var v []byte
	err := st.View(context.Background(), func(tx store.Tx) error {
		var err error
		v, err = tx.GetSetting(context.Background(), cursorKeySetting)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCursorKeyKeptSealed walks the store key through a deployment's
// life: made without a secret key, sealed when one is configured, kept
// as it is while nothing changes, resealed after a key rotation, and
// refused to a process that lacks the key it is sealed under. The key
// itself never changes, so cursors and access tokens stay valid.
func TestCursorKeyKeptSealed(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "st.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	first, second := testKeyring(t, 1), testKeyring(t, 2, 1)
	key, err := cursorKey(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != cursorKeySize || !bytes.Equal(storedCursorKey(t, st), key) {
		t.Fatalf("without a secret key the store key is kept raw: got %d bytes, stored %q", len(key), storedCursorKey(t, st))
	}
	steps := []struct {
		name       string
		keys       *secrets.Keyring
		wantSealed string // key id the stored value is sealed under; "" raw
		wantErr    string
	}{
		{"a secret key is configured: sealed", first, first.KeyID(), ""},
		{"same key again: kept", first, first.KeyID(), ""},
		{"rotated, old key still configured: resealed", second, second.KeyID(), ""},
		{"no secret key: refused", nil, second.KeyID(), "is encrypted under key id " + second.KeyID()},
		{"only the first key: refused", first, second.KeyID(), "key id " + second.KeyID()},
	}
	for _, s := range steps {
		before := storedCursorKey(t, st)
		got, err := cursorKey(ctx, st, s.keys)
		stored := storedCursorKey(t, st)
		switch {
		case s.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), s.wantErr) {
				t.Errorf("%s: err %v, want one containing %q", s.name, err, s.wantErr)
			}
			if !bytes.Equal(stored, before) {
				t.Errorf("%s: the refused start changed the stored key", s.name)
			}
		case err != nil:
			t.Errorf("%s: %v", s.name, err)
		case !bytes.Equal(got, key):
			t.Errorf("%s: the store key changed", s.name)
		}
		if err != nil && bytes.Contains([]byte(err.Error()), key) {
			t.Errorf("%s: the error shows the key", s.name)
		}
		if want := "enc:v2:" + s.wantSealed + ":"; !strings.HasPrefix(string(stored), want) {
			t.Errorf("%s: stored %q, want it sealed (%s...)", s.name, stored, want)
		}
		if s.name == "same key again: kept" && !bytes.Equal(stored, before) {
			t.Errorf("%s: rewritten although sealed under the current key", s.name)
		}
	}

	// A rekey from the second key to a third: only the third opens it.
	third := testKeyring(t, 3)
	if found, err := resealCursorKey(ctx, st, second, third); err != nil || !found {
		t.Fatalf("resealCursorKey = %v, %v", found, err)
	}
	if got, err := cursorKey(ctx, st, third); err != nil || !bytes.Equal(got, key) {
		t.Errorf("after a rekey: %v (same key: %v)", err, bytes.Equal(got, key))
	}
	if !strings.HasPrefix(string(storedCursorKey(t, st)), "enc:v2:"+third.KeyID()+":") {
		t.Errorf("after a rekey the store key is not sealed under the new key")
	}
	// A rekey whose keys do not open the store key stops before changing
	// anything.
	if err := checkCursorKey(ctx, st, first, second); err == nil || !strings.Contains(err.Error(), third.KeyID()) {
		t.Errorf("checkCursorKey with keys that do not open it = %v, want an error naming key id %s", err, third.KeyID())
	}
	if err := checkCursorKey(ctx, st, nil, third); err != nil {
		t.Errorf("checkCursorKey with the key that opens it: %v", err)
	}
}

// TestCursorKeyOneForAllReplicas starts replicas together on one empty
// PostgreSQL schema: they must all end up with the same key, the one the
// store keeps.
func TestCursorKeyOneForAllReplicas(t *testing.T) {
	dsn := pgtest.DSN(t)
	schema := fmt.Sprintf("scimtest_storekey_%d", time.Now().UnixNano())
	t.Cleanup(func() { dropSchema(t, dsn, schema) })
	ctx := context.Background()
	const replicas = 4
	keys := testKeyring(t, 7)
	got := make([][]byte, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			db, err := postgres.Open(ctx, dsn, postgres.WithSchema(schema))
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			got[i], errs[i] = cursorKey(ctx, db, keys)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		if !bytes.Equal(got[i], got[0]) {
			t.Errorf("replica %d has another store key than replica 0", i)
		}
	}
	db, err := postgres.Open(ctx, dsn, postgres.WithSchema(schema))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stored, err := openCursorKey(storedCursorKey(t, db), keys)
	if err != nil || !bytes.Equal(stored, got[0]) {
		t.Errorf("the stored key (%v) is not the one the replicas use", err)
	}
}
