package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/scimconnect/scimconnect/secrets"
	"github.com/scimconnect/scimconnect/store"
)

// cursorKeySetting is the store setting that holds the store-wide key:
// it signs SCIM cursors, and the key of issued OAuth access tokens is
// derived from it, so every replica sharing the store must read the same.
const cursorKeySetting = "cursor_key"

// cursorKeyContext binds the sealed key to its setting (secrets v2).
const cursorKeyContext = "setting:" + cursorKeySetting

// cursorKeySize is the size of the store-wide key; stored unsealed, the
// setting is exactly these raw bytes, and a sealed one is longer.
const cursorKeySize = 32

// cursorKey returns the store-wide key, creating it once, so that
// cursors and access tokens survive restarts and work on every replica.
// With a secret key configured (keys not nil) the key is kept sealed
// under it, and a key found in plaintext (stored before a secret key was
// configured) or sealed under an older key is sealed again under the
// current one; replicas starting together agree, since the store retries
// conflicting writes. Without a secret key it is kept in plaintext, and
// a sealed one is refused with an error naming the key id it needs.
func cursorKey(ctx context.Context, st store.Store, keys *secrets.Keyring) ([]byte, error) {
	var key []byte
	err := st.Update(ctx, func(tx store.Tx) error {
		key = nil
		stored, err := tx.GetSetting(ctx, cursorKeySetting)
		switch {
		case errors.Is(err, store.ErrNotFound):
			key = make([]byte, cursorKeySize)
			if _, err := randRead(key); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if key, err = openCursorKey(stored, keys); err != nil {
				return err
			}
			if keys == nil || (len(stored) != cursorKeySize && keys.Current(string(stored))) {
				return nil // kept as it should be
			}
		}
		value, err := sealCursorKey(key, keys)
		if err != nil {
			return err
		}
		return tx.PutSetting(ctx, cursorKeySetting, value)
	})
	if err != nil {
		return nil, fmt.Errorf("store key: %w", err)
	}
	return key, nil
}

// openCursorKey returns the key of a stored value: its raw bytes, or the
// envelope one of rings opens.
func openCursorKey(stored []byte, rings ...*secrets.Keyring) ([]byte, error) {
	if len(stored) == cursorKeySize {
		return stored, nil
	}
	id, err := secrets.KeyIDOf(string(stored))
	if err != nil {
		return nil, fmt.Errorf("setting %q holds neither a key nor a sealed key: %w", cursorKeySetting, err)
	}
	var last error
	for _, r := range rings {
		if r == nil {
			continue
		}
		plain, err := r.Decrypt(string(stored), cursorKeyContext)
		if err != nil {
			last = err
			continue
		}
		key, err := base64.RawStdEncoding.DecodeString(plain)
		if err != nil || len(key) != cursorKeySize {
			return nil, fmt.Errorf("setting %q: the sealed value is not a %d-byte key", cursorKeySetting, cursorKeySize)
		}
		return key, nil
	}
	if last == nil {
		return nil, fmt.Errorf("setting %q is encrypted under key id %s, and no secret key is configured (secrets.key_file or secrets.key_env)", cursorKeySetting, id)
	}
	return nil, fmt.Errorf("setting %q: %w", cursorKeySetting, last)
}

// sealCursorKey returns what to store for key: sealed under keys'
// current key, or the raw bytes when keys is nil.
func sealCursorKey(key []byte, keys *secrets.Keyring) ([]byte, error) {
	if keys == nil {
		return key, nil
	}
	sealed, err := keys.Encrypt(base64.RawStdEncoding.EncodeToString(key), cursorKeyContext)
	if err != nil {
		return nil, fmt.Errorf("seal setting %q: %w", cursorKeySetting, err)
	}
	return []byte(sealed), nil
}

// checkCursorKey reports an error if the stored store-wide key exists and
// none of rings opens it: a rekey checks it before changing anything.
func checkCursorKey(ctx context.Context, st store.Store, rings ...*secrets.Keyring) error {
	err := st.View(ctx, func(tx store.Tx) error {
		stored, err := tx.GetSetting(ctx, cursorKeySetting)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		_, err = openCursorKey(stored, rings...)
		return err
	})
	if err != nil {
		return fmt.Errorf("rekey: store key: %w", err)
	}
	return nil
}

// resealCursorKey seals the stored store-wide key under to's current key,
// opening it with from (nil: no key was configured) or to (a rekey run
// again). It reports whether the store held a key.
func resealCursorKey(ctx context.Context, st store.Store, from, to *secrets.Keyring) (bool, error) {
	found := false
	err := st.Update(ctx, func(tx store.Tx) error {
		stored, err := tx.GetSetting(ctx, cursorKeySetting)
		found = err == nil
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		key, err := openCursorKey(stored, from, to)
		if err != nil {
			return err
		}
		value, err := sealCursorKey(key, to)
		if err != nil {
			return err
		}
		return tx.PutSetting(ctx, cursorKeySetting, value)
	})
	if err != nil {
		return false, fmt.Errorf("rekey: store key: %w", err)
	}
	return found, nil
}
