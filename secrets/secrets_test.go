package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const ctxA = "instance/crm/param/token"

func rawKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func mustKey(t *testing.T, raw []byte) *Key {
	t.Helper()
	k, err := NewKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseKey(t *testing.T) {
	raw := []byte("0123456789abcdef0123456789ABCDEF")
	want := mustKey(t, raw).ID()
	tests := []struct {
		name    string
		in      []byte
		wantErr bool
	}{
		{"raw bytes", raw, false},
		{"hex", []byte(hex.EncodeToString(raw)), false},
		{"hex with newline", []byte(hex.EncodeToString(raw) + "\n"), false},
		{"upper hex", []byte(strings.ToUpper(hex.EncodeToString(raw))), false},
		{"base64", []byte(base64.StdEncoding.EncodeToString(raw)), false},
		{"raw base64url", []byte(base64.RawURLEncoding.EncodeToString(raw) + "\n"), false},
		{"too short", []byte("abc"), true},
		{"hex of 31 bytes", []byte(hex.EncodeToString(raw[:31])), true},
		{"base64 of 33 bytes", []byte(base64.StdEncoding.EncodeToString(append(raw, 'x'))), true},
		{"empty", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseKey(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseKey accepted %q", tt.in)
				}
				if len(tt.in) > 8 && strings.Contains(err.Error(), string(tt.in)) {
					t.Errorf("error echoes the input: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if k.ID() != want {
				t.Errorf("id %s, want %s", k.ID(), want)
			}
		})
	}
}

func TestKeyIDIsNotTheKey(t *testing.T) {
	raw := rawKey(7)
	id := mustKey(t, raw).ID()
	if len(id) != 12 {
		t.Errorf("id %q: want 12 hex digits", id)
	}
	for _, form := range []string{string(raw), hex.EncodeToString(raw), base64.StdEncoding.EncodeToString(raw)} {
		if strings.Contains(form, id) {
			t.Errorf("the key id %s is part of the key", id)
		}
	}
	if mustKey(t, rawKey(8)).ID() == id {
		t.Error("two keys share an id")
	}
}

// A v2 envelope opens only in the context it was sealed for: a sealed
// API token copied to another instance or parameter (by someone who can
// write the database but has no key) does not open there.
func TestContextBinding(t *testing.T) {
	k := mustKey(t, rawKey(6))
	env, err := k.Encrypt("okta-api-token", ctxA)
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range []string{"instance/evil/param/token", "instance/crm/param/client_secret", "", ctxA + "x"} {
		if _, err := k.Decrypt(env, other); !errors.Is(err, ErrTampered) {
			t.Errorf("opened in context %q: %v, want ErrTampered", other, err)
		}
	}
	if got, err := k.Decrypt(env, ctxA); err != nil || got != "okta-api-token" {
		t.Errorf("own context: %q, %v", got, err)
	}
}

// v1 envelopes (header-only additional data), written before contexts,
// still open in any context, and a keyring does not count them current so
// that a rekey rewrites them as v2.
func TestVersion1StillOpens(t *testing.T) {
	k := mustKey(t, rawKey(7))
	nonce := make([]byte, nonceSize)
	sealed := k.aead.Seal(nonce, nonce, []byte("legacy"), []byte(header(version1, k.ID())))
	env := header(version1, k.ID()) + ":" + base64.RawURLEncoding.EncodeToString(sealed)
	if got, err := k.Decrypt(env, "anything"); err != nil || got != "legacy" {
		t.Fatalf("v1 envelope: %q, %v", got, err)
	}
	ring, err := NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	if ring.Current(env) {
		t.Error("a v1 envelope counts as current: rekey would keep it")
	}
	v2, err := ring.Encrypt("new", ctxA)
	if err != nil {
		t.Fatal(err)
	}
	if !ring.Current(v2) {
		t.Error("a v2 envelope under the current key is not current")
	}
}

func TestRoundTrip(t *testing.T) {
	k := mustKey(t, rawKey(1))
	for _, plain := range []string{"", "s3cret", `{"json":"value"}`, strings.Repeat("ü", 1000), "enc:v1:looks:like-an-envelope"} {
		t.Run(plain[:min(len(plain), 20)], func(t *testing.T) {
			env, err := k.Encrypt(plain, ctxA)
			if err != nil {
				t.Fatal(err)
			}
			if !IsEnvelope(env) || !strings.HasPrefix(env, "enc:v2:"+k.ID()+":") {
				t.Errorf("envelope %q lacks the header", env)
			}
			if len(plain) >= 4 && strings.Contains(env, plain) {
				t.Errorf("envelope shows the plaintext")
			}
			got, err := k.Decrypt(env, ctxA)
			if err != nil {
				t.Fatal(err)
			}
			if got != plain {
				t.Errorf("got %q, want %q", got, plain)
			}
			again, err := k.Encrypt(plain, ctxA)
			if err != nil {
				t.Fatal(err)
			}
			if again == env {
				t.Error("two encryptions of one value are equal: nonce reused")
			}
		})
	}
}

func TestTamperDetection(t *testing.T) {
	k := mustKey(t, rawKey(2))
	other := mustKey(t, rawKey(3))
	env, err := k.Encrypt("api-token-123", ctxA)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.LastIndex(env, ":")
	data, err := base64.RawURLEncoding.DecodeString(env[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	flip := func(pos int) string {
		d := bytes.Clone(data)
		d[pos] ^= 1
		return env[:i+1] + base64.RawURLEncoding.EncodeToString(d)
	}
	tests := []struct {
		name     string
		envelope string
		want     error
	}{
		{"nonce bit", flip(0), ErrTampered},
		{"ciphertext bit", flip(nonceSize), ErrTampered},
		{"tag bit", flip(len(data) - 1), ErrTampered},
		{"truncated", env[:len(env)-4], ErrTampered},
		{"too short", env[:i+1] + "AAAA", ErrMalformed},
		{"other key's id", strings.Replace(env, k.ID(), other.ID(), 1), ErrUnknownKey},
		{"unknown version", strings.Replace(env, "enc:v2:", "enc:v3:", 1), ErrMalformed},
		{"version downgraded", strings.Replace(env, "enc:v2:", "enc:v1:", 1), ErrTampered},
		{"not base64", env[:i+1] + "!!!", ErrMalformed},
		{"no prefix", "api-token-123", ErrMalformed},
		{"missing part", "enc:v2:" + k.ID(), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := k.Decrypt(tt.envelope, ctxA)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decrypt = %q, %v; want %v", got, err, tt.want)
			}
			if strings.Contains(err.Error(), "api-token-123") {
				t.Errorf("error shows the plaintext: %v", err)
			}
		})
	}
	// An envelope whose key id is forged to the other key's fails to
	// authenticate under that key: the header is authenticated data.
	forged := strings.Replace(env, k.ID(), other.ID(), 1)
	if _, err := other.Decrypt(forged, ctxA); !errors.Is(err, ErrTampered) {
		t.Errorf("forged key id under the other key: %v, want ErrTampered", err)
	}
}

func TestWrongKey(t *testing.T) {
	k, wrong := mustKey(t, rawKey(4)), mustKey(t, rawKey(5))
	env, err := k.Encrypt("pat-secret", ctxA)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := NewKeyring(wrong)
	if err != nil {
		t.Fatal(err)
	}
	for name, decrypt := range map[string]func(string, string) (string, error){"key": wrong.Decrypt, "keyring": ring.Decrypt} {
		t.Run(name, func(t *testing.T) {
			_, err := decrypt(env, ctxA)
			if !errors.Is(err, ErrUnknownKey) {
				t.Fatalf("err %v, want ErrUnknownKey", err)
			}
			if !strings.Contains(err.Error(), k.ID()) {
				t.Errorf("error %q does not name the envelope's key id %s", err, k.ID())
			}
			if strings.Contains(err.Error(), "pat-secret") {
				t.Errorf("error shows the plaintext")
			}
		})
	}
}

func TestKeyringRotation(t *testing.T) {
	oldKey, newKey := mustKey(t, rawKey(10)), mustKey(t, rawKey(11))
	before, err := NewKeyring(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	sealedOld, err := before.Encrypt("client-secret", ctxA)
	if err != nil {
		t.Fatal(err)
	}
	during, err := NewKeyring(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if during.KeyID() != newKey.ID() {
		t.Errorf("current key id %s, want %s", during.KeyID(), newKey.ID())
	}
	if during.Current(sealedOld) {
		t.Error("an old-key envelope reported as current")
	}
	plain, err := during.Decrypt(sealedOld, ctxA)
	if err != nil {
		t.Fatalf("old envelope during rotation: %v", err)
	}
	sealedNew, err := during.Encrypt(plain, ctxA)
	if err != nil {
		t.Fatal(err)
	}
	if !during.Current(sealedNew) {
		t.Error("a new envelope not reported as current")
	}
	after, err := NewKeyring(newKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := after.Decrypt(sealedNew, ctxA)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("client-secret", got); diff != "" {
		t.Errorf("after rotation (-want +got):\n%s", diff)
	}
	if _, err := after.Decrypt(sealedOld, ctxA); !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), oldKey.ID()) {
		t.Errorf("old envelope after the old key is gone: %v", err)
	}
	if _, err := NewKeyring(nil); err == nil {
		t.Error("NewKeyring(nil) succeeded")
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	hexKey, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "key")
	if err := os.WriteFile(path, []byte(hexKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile, err := LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SECRETS_TEST_KEY", hexKey)
	fromEnv, err := LoadKeyEnv("SECRETS_TEST_KEY")
	if err != nil {
		t.Fatal(err)
	}
	if fromFile.ID() != fromEnv.ID() {
		t.Errorf("file key %s, env key %s", fromFile.ID(), fromEnv.ID())
	}
	tests := []struct {
		name string
		load func() (*Key, error)
	}{
		{"missing file", func() (*Key, error) { return LoadKeyFile(filepath.Join(dir, "none")) }},
		{"unset env", func() (*Key, error) { return LoadKeyEnv("SECRETS_TEST_UNSET_VARIABLE") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.load(); err == nil {
				t.Error("no error")
			}
		})
	}
}

func BenchmarkEncryptDecrypt(b *testing.B) {
	k, err := NewKey(rawKey(9))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		env, err := k.Encrypt("00abcdefghijklmnopqrstuvwxyz0123456789", ctxA)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := k.Decrypt(env, ctxA); err != nil {
			b.Fatal(err)
		}
	}
}
