package admin_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/admin"
	"github.com/scimconnect/scimconnect/connector/builtin"
	"github.com/scimconnect/scimconnect/gateway"
	"github.com/scimconnect/scimconnect/secrets"
	"github.com/scimconnect/scimconnect/store"
)

func TestNoSecretKey(t *testing.T) {
	f := newFixtureKeys(t, "", nil)
	params := startOktaSim(t)
	secret := params["token"].(string)
	tests := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"secret refused", map[string]any{"name": "okta1", "type": "okta", "parameters": params}, http.StatusConflict, "no_secret_key"},
		{"no secret parameters", map[string]any{"name": "crm", "type": "local"}, http.StatusCreated, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do("POST", "/admin/v1/instances", adminToken, tt.body)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if strings.Contains(w.Body.String(), secret) {
				t.Errorf("answer shows the secret: %s", w.Body)
			}
			if tt.code == "" {
				return
			}
			if e := errorOf(t, w); e.Error.Code != tt.code || e.Error.Field != "parameters.token" {
				t.Errorf("error %+v", e.Error)
			}
			if w := f.do("GET", "/admin/v1/instances/"+tt.body["name"].(string), adminToken, nil); w.Code != http.StatusNotFound {
				t.Errorf("refused instance was stored: %d %s", w.Code, w.Body)
			}
		})
	}
}

func TestEncryptedInstanceNeedsItsKey(t *testing.T) {
	f := newFixture(t, "")
	params := startOktaSim(t)
	token := f.create(map[string]any{"name": "okta1", "type": "okta", "parameters": params})
	tests := []struct {
		name    string
		keys    *secrets.Keyring
		mounted bool
	}{
		{"same key", f.keys, true},
		{"no key", nil, false},
		{"other key", testKeyring(t, bytes.Repeat([]byte{1}, secrets.KeySize)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newRestarted(t, &fixture{t: t, store: f.store, keys: tt.keys})
			if g.gw.Mounted("okta1") != tt.mounted {
				t.Fatalf("mounted %v, want %v", !tt.mounted, tt.mounted)
			}
			if w := g.do("GET", "/scim/okta1/v2/Users", token, nil); (w.Code == http.StatusOK) != tt.mounted {
				t.Errorf("SCIM: %d %s", w.Code, w.Body)
			}
			// A PUT keeping the masked secret needs the key that sealed it.
			w := g.do("PUT", "/admin/v1/instances/okta1", adminToken, map[string]any{"parameters": map[string]any{"token": "<set>", "target_url": params["target_url"]}})
			if tt.mounted != (w.Code == http.StatusOK) {
				t.Errorf("PUT with the mask: %d %s", w.Code, w.Body)
			}
		})
	}
}

func TestRekey(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "")
	params := startOktaSim(t)
	secret := params["token"].(string)
	token := f.create(map[string]any{"name": "okta1", "type": "okta", "parameters": params})
	f.create(map[string]any{"name": "crm", "type": "local"})
	// An instance stored before secrets were encrypted: plaintext.
	now := time.Now().UTC()
	legacyToken, err := gateway.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.Update(ctx, func(tx store.Tx) error {
		return tx.CreateInstance(ctx, &store.Instance{
			Name: "legacy", Type: "okta", Version: builtin.Registry()["okta"].Version,
			Config:    []byte(`{"token":"` + secret + `","target_url":"` + params["target_url"].(string) + `"}`),
			TokenHash: gateway.HashToken(legacyToken), Created: now, Modified: now,
		})
	}); err != nil {
		t.Fatal(err)
	}
	newKeys := testKeyring(t, bytes.Repeat([]byte{7}, secrets.KeySize))
	wrong := testKeyring(t, bytes.Repeat([]byte{8}, secrets.KeySize))

	before := storedParams(t, f.store, "okta1")
	if _, err := admin.Rekey(ctx, f.store, builtin.Registry(), wrong, newKeys); !errors.Is(err, secrets.ErrUnknownKey) {
		t.Fatalf("rekey from the wrong key: %v", err)
	}
	if after := storedParams(t, f.store, "okta1"); after["token"] != before["token"] {
		t.Fatal("a failed rekey changed the store")
	}
	if after := storedParams(t, f.store, "legacy"); after["token"] != secret {
		t.Fatal("a failed rekey changed the legacy instance: not one transaction")
	}

	n, err := admin.Rekey(ctx, f.store, builtin.Registry(), f.keys, newKeys)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("re-encrypted %d values, want 2", n)
	}
	for _, name := range []string{"okta1", "legacy"} {
		got := storedParams(t, f.store, name)["token"]
		if !newKeys.Current(got) || strings.Contains(got, secret) {
			t.Errorf("%s: token %q is not sealed under the new key", name, got)
		}
	}
	g := newRestarted(t, &fixture{t: t, store: f.store, keys: newKeys})
	for name, tok := range map[string]string{"okta1": token, "legacy": legacyToken} {
		if w := g.do("GET", "/scim/"+name+"/v2/Users", tok, nil); w.Code != http.StatusOK {
			t.Errorf("%s after rekey: %d %s", name, w.Code, w.Body)
		}
	}
	// Running it again changes nothing it cannot open.
	if _, err := admin.Rekey(ctx, f.store, builtin.Registry(), newKeys, newKeys); err != nil {
		t.Errorf("second rekey: %v", err)
	}
}

// TestReplaceReseals: during a rotation (new key current, old key still
// configured) a PUT keeping the masked secret seals it under the new key.
func TestReplaceReseals(t *testing.T) {
	oldKey, err := secrets.NewKey(testKey)
	if err != nil {
		t.Fatal(err)
	}
	newKey, err := secrets.NewKey(bytes.Repeat([]byte{9}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, "")
	params := startOktaSim(t)
	token := f.create(map[string]any{"name": "okta1", "type": "okta", "parameters": params})
	both, err := secrets.NewKeyring(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	g := newRestarted(t, &fixture{t: t, store: f.store, keys: both})
	w := g.do("PUT", "/admin/v1/instances/okta1", adminToken, map[string]any{"parameters": map[string]any{"token": "<set>", "target_url": params["target_url"]}})
	if w.Code != http.StatusOK {
		t.Fatalf("PUT: %d %s", w.Code, w.Body)
	}
	if got := storedParams(t, f.store, "okta1")["token"]; !both.Current(got) {
		t.Errorf("token %q not sealed under the new key %s", got, both.KeyID())
	}
	if w := g.do("GET", "/scim/okta1/v2/Users", token, nil); w.Code != http.StatusOK {
		t.Errorf("SCIM after PUT: %d %s", w.Code, w.Body)
	}
}
