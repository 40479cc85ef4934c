package admin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/store"
)

const (
	oneimSecret  = "oneim-client-secret-0000000001"
	viewerSecret = "viewer-client-secret-000000002"
)

// token asks an instance's token endpoint for an access token with the
// client credentials grant and returns the response.
func (f *fixture) token(instance, id, secret string) *httptest.ResponseRecorder {
	f.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	r := httptest.NewRequest("POST", "/scim/"+instance+"/oauth/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth(id, secret)
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, r)
	return w
}

func (f *fixture) accessToken(instance, id, secret string) string {
	f.t.Helper()
	w := f.token(instance, id, secret)
	if w.Code != http.StatusOK {
		f.t.Fatalf("token for %s: status %d: %s", id, w.Code, w.Body)
	}
	var got struct {
		AccessToken string `json:"access_token"`
	}
	decodeBody(f.t, w, &got)
	return got.AccessToken
}

// settings returns what the store holds of instance oneim: its row's
// parameters and its settings, as text.
func (f *fixture) settings(t *testing.T) string {
	t.Helper()
	var out []byte
	err := f.store.View(context.Background(), func(tx store.Tx) error {
		row, err := tx.GetInstance(context.Background(), "oneim")
		if err != nil {
			return err
		}
		set, err := tx.GetSetting(context.Background(), "admin.instance_attributes.oneim")
		if err != nil {
			return err
		}
		out = append(append(row.Config, ' '), set...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "client_secret_sha256") {
		t.Fatalf("no secret hash stored: %s", out)
	}
	return string(out)
}

// Instances created through the API accept OAuth 2.0 client credentials,
// external JWTs and read-only credentials like configured ones; client
// secrets are kept hashed and never shown.
func TestInstanceAuth(t *testing.T) {
	f := newFixture(t, "")
	auth := map[string]any{
		"token_read_only": true,
		"client_credentials": []map[string]any{
			{"client_id": "oneim-prod", "client_secret": oneimSecret, "token_ttl": "15m"},
			{"client_id": "viewer", "client_secret": viewerSecret, "read_only": true},
		},
		"jwt": []map[string]any{{"issuer": "https://sts.example/tenant/", "audience": "scim-app", "jwks_url": "https://login.example/keys"}},
	}
	w := f.do("POST", "/admin/v1/instances", adminToken, map[string]any{"name": "oneim", "type": "local", "auth": auth})
	if w.Code != http.StatusCreated {
		t.Fatalf("create: status %d: %s", w.Code, w.Body)
	}
	var created struct {
		Token string
		Auth  map[string]any
	}
	decodeBody(t, w, &created)
	wantAuth := map[string]any{
		"token_read_only": true,
		"client_credentials": []any{
			map[string]any{"client_id": "oneim-prod", "client_secret": "<set>", "token_ttl": "15m"},
			map[string]any{"client_id": "viewer", "client_secret": "<set>", "read_only": true},
		},
		"jwt": []any{map[string]any{"issuer": "https://sts.example/tenant/", "audience": "scim-app", "jwks_url": "https://login.example/keys"}},
	}
	if diff := cmp.Diff(wantAuth, created.Auth); diff != "" {
		t.Errorf("auth in the create response (-want +got):\n%s", diff)
	}
	got := f.do("GET", "/admin/v1/instances/oneim", adminToken, nil)
	var read struct{ Auth map[string]any }
	decodeBody(t, got, &read)
	if diff := cmp.Diff(wantAuth, read.Auth); diff != "" {
		t.Errorf("auth read back (-want +got):\n%s", diff)
	}
	for _, body := range []string{w.Body.String(), got.Body.String(), f.settings(t)} {
		for _, secret := range []string{oneimSecret, viewerSecret} {
			if strings.Contains(body, secret) {
				t.Fatalf("a client secret shows in %s", body)
			}
		}
	}

	full := f.accessToken("oneim", "oneim-prod", oneimSecret)
	view := f.accessToken("oneim", "viewer", viewerSecret)
	checks := []struct {
		name, method, path, token string
		status                    int
	}{
		{"client token reads", "GET", "/scim/oneim/v2/Users", full, 200},
		{"client token writes", "POST", "/scim/oneim/v2/Users", full, 201},
		{"read-only client reads", "GET", "/scim/oneim/v2/Users", view, 200},
		{"read-only client cannot write", "POST", "/scim/oneim/v2/Users", view, 403},
		{"read-only SCIM token reads", "GET", "/scim/oneim/v2/Users", created.Token, 200},
		{"read-only SCIM token cannot write", "DELETE", "/scim/oneim/v2/Users/x", created.Token, 403},
	}
	for _, c := range checks {
		var body any
		if c.method == "POST" {
			body = newUser
		}
		if w := f.do(c.method, c.path, c.token, body); w.Code != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, w.Code, c.status, w.Body)
		}
	}
	if w := f.token("oneim", "oneim-prod", "wrong-secret-000000000000000"); w.Code != http.StatusUnauthorized {
		t.Errorf("wrong client secret: status %d: %s", w.Code, w.Body)
	}

	// A PUT that sends the mask back keeps the secret; a new one replaces it.
	put := func(secret string) {
		t.Helper()
		body := map[string]any{"type": "local", "auth": map[string]any{"client_credentials": []map[string]any{{"client_id": "oneim-prod", "client_secret": secret}}}}
		if w := f.do("PUT", "/admin/v1/instances/oneim", adminToken, body); w.Code != http.StatusOK {
			t.Fatalf("replace: status %d: %s", w.Code, w.Body)
		}
	}
	put("<set>")
	f.accessToken("oneim", "oneim-prod", oneimSecret)
	if w := f.token("oneim", "viewer", viewerSecret); w.Code != http.StatusUnauthorized {
		t.Errorf("a client left out of the PUT still gets tokens: status %d", w.Code)
	}
	if w := f.do("POST", "/scim/oneim/v2/Users", created.Token, map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "bob@example.com"}); w.Code != http.StatusCreated {
		t.Errorf("SCIM token after token_read_only was dropped: status %d: %s", w.Code, w.Body)
	}
	put("a-brand-new-secret-00000000001")
	if w := f.token("oneim", "oneim-prod", oneimSecret); w.Code != http.StatusUnauthorized {
		t.Errorf("the replaced secret still works: status %d", w.Code)
	}
	f.accessToken("oneim", "oneim-prod", "a-brand-new-secret-00000000001")
}

func TestInstanceAuthRejectsBadInput(t *testing.T) {
	f := newFixture(t, "")
	client := func(c map[string]any) map[string]any {
		return map[string]any{"client_credentials": []map[string]any{c}}
	}
	tests := []struct {
		name  string
		auth  map[string]any
		field string
	}{
		{"no client id", client(map[string]any{"client_secret": oneimSecret}), "auth.client_credentials[0].client_id"},
		{"no secret", client(map[string]any{"client_id": "a"}), "auth.client_credentials[0].client_secret"},
		{"short secret", client(map[string]any{"client_id": "a", "client_secret": "short"}), "auth.client_credentials[0].client_secret"},
		{"mask without a stored secret", client(map[string]any{"client_id": "a", "client_secret": "<set>"}), "auth.client_credentials[0].client_secret"},
		{"bad ttl", client(map[string]any{"client_id": "a", "client_secret": oneimSecret, "token_ttl": "forever"}), "auth.client_credentials[0].token_ttl"},
		{"ttl too long", client(map[string]any{"client_id": "a", "client_secret": oneimSecret, "token_ttl": "48h"}), "auth.client_credentials[0].token_ttl"},
		{"jwks over http", map[string]any{"jwt": []map[string]any{{"issuer": "i", "audience": "a", "jwks_url": "http://keys.example/jwks"}}}, "auth.jwt[0].jwks_url"},
		{"jwt without audience", map[string]any{"jwt": []map[string]any{{"issuer": "i", "jwks_url": "https://keys.example/jwks"}}}, "auth.jwt[0].audience"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do("POST", "/admin/v1/instances", adminToken, map[string]any{"name": "bad", "type": "local", "auth": tt.auth})
			if w.Code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", w.Code, w.Body)
			}
			if e := errorOf(t, w); e.Error.Field != tt.field {
				t.Errorf("field %q, want %q (%s)", e.Error.Field, tt.field, e.Error.Message)
			}
			if w := f.do("GET", "/admin/v1/instances/bad", adminToken, nil); w.Code != http.StatusNotFound {
				t.Errorf("refused instance exists: status %d", w.Code)
			}
		})
	}
}

// Failed admin authentications use the gateway's per-address budget:
// once it is spent the address gets 429 with Retry-After, while the real
// admin token still passes, and failures on SCIM endpoints count too.
func TestAdminAuthFailuresAreLimited(t *testing.T) {
	f := newFixture(t, "")
	blockedAt := -1
	for i := range 30 {
		path, token := "/admin/v1/instances", "wrong-admin-token-000000000000"
		if i%2 == 1 {
			path, token = "/scim/nothing/v2/Users", "wrong-scim-token-0000000000000"
		}
		w := f.do("GET", path, token, nil)
		if w.Code == http.StatusTooManyRequests {
			if w.Header().Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
			blockedAt = i
			break
		}
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d: %s", i, w.Code, w.Body)
		}
	}
	if blockedAt < 0 {
		t.Fatal("30 failed authentications were never limited")
	}
	if w := f.do("GET", "/admin/v1/instances", "wrong-admin-token-000000000000", nil); w.Code != http.StatusTooManyRequests {
		t.Errorf("admin API after the budget is spent: status %d, want 429", w.Code)
	} else if e := errorOf(t, w); e.Error.Code != "too_many_failures" {
		t.Errorf("code %q", e.Error.Code)
	}
	if w := f.do("GET", "/admin/v1/instances", adminToken, nil); w.Code != http.StatusOK {
		t.Errorf("the admin token from a blocked address: status %d, want 200", w.Code)
	}
}
