package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/admin"
	"github.com/scimconnect/scimconnect/clientauth"
	"github.com/scimconnect/scimconnect/connector/builtin"
	"github.com/scimconnect/scimconnect/gateway"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/secrets"
	"github.com/scimconnect/scimconnect/store"
	"github.com/scimconnect/scimconnect/store/sqlite"
)

const adminToken = "admin-token-for-tests-0123456789"

// fixture is the admin API and the gateway behind one handler, over a
// real SQLite store.
type fixture struct {
	t       *testing.T
	store   store.Store
	gw      *gateway.Gateway
	admin   *admin.Handler
	handler http.Handler
	keys    *secrets.Keyring
}

// testKey is the secret key of the fixtures, 32 bytes of 0x42.
var testKey = bytes.Repeat([]byte{0x42}, secrets.KeySize)

func testKeyring(t *testing.T, raw []byte) *secrets.Keyring {
	t.Helper()
	k, err := secrets.NewKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	r, err := secrets.NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// newFixture builds the fixture; config are the configuration file's
// instances, mounted on the gateway as serve does.
func newFixture(t *testing.T, dbPath string, config ...gateway.InstanceSpec) *fixture {
	t.Helper()
	return newFixtureKeys(t, dbPath, testKeyring(t, testKey), config...)
}

// newFixtureKeys is newFixture with the given secret keys (nil: none).
func newFixtureKeys(t *testing.T, dbPath string, keys *secrets.Keyring, config ...gateway.InstanceSpec) *fixture {
	t.Helper()
	ctx := context.Background()
	if dbPath == "" {
		dbPath = filepath.Join(t.TempDir(), "admin.db")
	}
	st, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	signer, err := clientauth.NewHMACSigner(bytes.Repeat([]byte{0x17}, clientauth.MinHMACKeySize))
	if err != nil {
		t.Fatal(err)
	}
	gw := gateway.New(gateway.Options{PublicURL: "http://scim.test", Provider: provider.DefaultConfig(), Store: st, Registry: builtin.Registry(), AccessTokens: signer})
	t.Cleanup(func() { gw.Close() })
	for _, spec := range config {
		if err := gw.Mount(ctx, spec); err != nil {
			t.Fatal(err)
		}
	}
	h, err := admin.New(admin.Options{TokenHash: gateway.HashToken(adminToken), Gateway: gw, Store: st, Registry: builtin.Registry(), Config: config, Secrets: keys})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, store: st, gw: gw, admin: h, handler: h.Wrap(gw), keys: keys}
}

// do sends a request with a JSON body (nil for none) and bearer token.
func (f *fixture) do(method, path, token string, body any) *httptest.ResponseRecorder {
	f.t.Helper()
	var rd io.Reader
	if raw, ok := body.([]byte); ok {
		rd = bytes.NewReader(raw) // sent as is, valid JSON or not
	} else if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	r := httptest.NewRequest(method, path, rd)
	if body != nil {
		ct := "application/json"
		if strings.HasPrefix(path, "/scim/") {
			ct = "application/scim+json"
		}
		r.Header.Set("Content-Type", ct)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, r)
	return w
}

// create creates an instance through the API and returns its SCIM token.
func (f *fixture) create(body map[string]any) string {
	f.t.Helper()
	w := f.do("POST", "/admin/v1/instances", adminToken, body)
	if w.Code != http.StatusCreated {
		f.t.Fatalf("create: status %d: %s", w.Code, w.Body)
	}
	var got struct{ Token string }
	decodeBody(f.t, w, &got)
	if got.Token == "" {
		f.t.Fatalf("create: no token in %s", w.Body)
	}
	return got.Token
}

func decodeBody(t *testing.T, w *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
		t.Fatalf("decode %q: %v", w.Body, err)
	}
}

type apiError struct {
	Error struct{ Code, Message, Field string }
}

func errorOf(t *testing.T, w *httptest.ResponseRecorder) apiError {
	t.Helper()
	var e apiError
	decodeBody(t, w, &e)
	if e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("error without code or message: %s", w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type %q", ct)
	}
	return e
}

var newUser = map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "ada@example.com"}

func TestAuthentication(t *testing.T) {
	f := newFixture(t, "")
	scimToken := f.create(map[string]any{"name": "crm", "type": "local"})
	tests := []struct {
		name, method, path, token string
		status                    int
	}{
		{"admin token on the admin API", "GET", "/admin/v1/instances", adminToken, 200},
		{"no token", "GET", "/admin/v1/instances", "", 401},
		{"wrong token", "GET", "/admin/v1/instances", adminToken + "x", 401},
		{"a SCIM token is not an admin token", "GET", "/admin/v1/instances", scimToken, 401},
		{"an unknown route answers 401 without a token", "GET", "/admin/v1/nothing", "", 401},
		{"an unknown route with the token", "GET", "/admin/v1/nothing", adminToken, 404},
		{"the admin token is not a SCIM token", "GET", "/scim/crm/v2/Users", adminToken, 401},
		{"the SCIM token on SCIM", "GET", "/scim/crm/v2/Users", scimToken, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(tt.method, tt.path, tt.token, nil)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.status == 401 && strings.HasPrefix(tt.path, "/admin/") {
				if e := errorOf(t, w); e.Error.Code != "unauthorized" {
					t.Errorf("code %q", e.Error.Code)
				}
				// RFC 6750 §3.1: an error code only when credentials were sent.
				want := `Bearer realm="scimconnect-admin", error="invalid_token"`
				if tt.token == "" {
					want = `Bearer realm="scimconnect-admin"`
				}
				if got := w.Header().Get("WWW-Authenticate"); got != want {
					t.Errorf("WWW-Authenticate %q, want %q", got, want)
				}
			}
		})
	}
}

func TestCreateServesAtOnce(t *testing.T) {
	f := newFixture(t, "")
	w := f.do("POST", "/admin/v1/instances", adminToken, map[string]any{"name": "crm", "type": "local"})
	if w.Code != http.StatusCreated {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if loc := w.Header().Get("Location"); loc != "/admin/v1/instances/crm" {
		t.Errorf("Location %q", loc)
	}
	var got map[string]any
	decodeBody(t, w, &got)
	token, _ := got["token"].(string)
	delete(got, "token")
	delete(got, "created")
	delete(got, "modified")
	want := map[string]any{
		"name": "crm", "type": "local", "version": "1.0", "source": "api", "read_only": false, "mounted": true,
		"scim_base_url": "http://scim.test/scim/crm/v2", "parameters": map[string]any{},
		"custom_attributes": "", "disabled_attributes": []any{},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("created instance (-want +got):\n%s", diff)
	}
	if w := f.do("POST", "/scim/crm/v2/Users", token, newUser); w.Code != http.StatusCreated {
		t.Fatalf("SCIM create with the new token: %d %s", w.Code, w.Body)
	}
	// The token is never shown again.
	for _, path := range []string{"/admin/v1/instances", "/admin/v1/instances/crm"} {
		w := f.do("GET", path, adminToken, nil)
		if w.Code != 200 || strings.Contains(w.Body.String(), token) || strings.Contains(w.Body.String(), `"token"`) {
			t.Errorf("GET %s: %d %s", path, w.Code, w.Body)
		}
	}
	w = f.do("POST", "/admin/v1/instances", adminToken, map[string]any{"name": "crm", "type": "local"})
	if e := errorOf(t, w); w.Code != http.StatusConflict || e.Error.Code != "conflict" || e.Error.Field != "name" {
		t.Errorf("second create: %d %+v", w.Code, e)
	}
}

func TestValidation(t *testing.T) {
	f := newFixture(t, "")
	tests := []struct {
		name  string
		body  any
		code  string
		field string
	}{
		{"missing name", map[string]any{"type": "local"}, "missing_field", "name"},
		{"bad name", map[string]any{"name": "Bad Name", "type": "local"}, "invalid_value", "name"},
		{"name too long", map[string]any{"name": strings.Repeat("a", 64), "type": "local"}, "invalid_value", "name"},
		{"missing type", map[string]any{"name": "x"}, "missing_field", "type"},
		{"unknown type", map[string]any{"name": "x", "type": "nosuch"}, "unknown_type", "type"},
		{"unknown parameter for local", map[string]any{"name": "x", "type": "local", "parameters": map[string]any{"foo": 1}}, "unknown_parameter", "parameters.foo"},
		{"parameters not an object", map[string]any{"name": "x", "type": "local", "parameters": []int{1}}, "invalid_value", "parameters"},
		{"unknown field", map[string]any{"name": "x", "type": "local", "nmae": "y"}, "unknown_field", "nmae"},
		{"wrong JSON type", map[string]any{"name": 5, "type": "local"}, "invalid_value", "name"},
		{"missing required parameter", map[string]any{"name": "x", "type": "okta", "parameters": map[string]any{"target_url": "http://127.0.0.1:1"}}, "missing_parameter", "parameters.token"},
		{"mask sent as a secret", map[string]any{"name": "x", "type": "okta", "parameters": map[string]any{"target_url": "http://127.0.0.1:1", "token": "<set>"}}, "invalid_value", "parameters.token"},
		{"connector refuses a parameter", map[string]any{"name": "x", "type": "okta", "parameters": map[string]any{"target_url": "not a url", "token": "t"}}, "invalid_parameters", "parameters"},
		{"connector refuses custom attributes", map[string]any{"name": "x", "type": "local", "custom_attributes": "badge|string;"}, "invalid_custom_attributes", "custom_attributes"},
		{"a string, not an object", "{", "invalid_value", ""},
		{"not JSON", []byte("{"), "invalid_json", ""},
		{"two JSON values", []byte(`{"name":"x","type":"local"} {}`), "invalid_json", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do("POST", "/admin/v1/instances", adminToken, tt.body)
			if w.Code != http.StatusBadRequest {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			e := errorOf(t, w)
			if e.Error.Code != tt.code || e.Error.Field != tt.field {
				t.Errorf("code %q field %q, want %q %q (%s)", e.Error.Code, e.Error.Field, tt.code, tt.field, e.Error.Message)
			}
		})
	}
	r := httptest.NewRequest("POST", "/admin/v1/instances", strings.NewReader(`{"name":"x","type":"local"}`))
	r.Header.Set("Authorization", "Bearer "+adminToken)
	r.Header.Set("Content-Type", "text/plain")
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, r)
	if w.Code != http.StatusUnsupportedMediaType || errorOf(t, w).Error.Code != "unsupported_media_type" {
		t.Errorf("text/plain body: %d %s", w.Code, w.Body)
	}
	// Nothing was stored or served.
	if w := f.do("GET", "/admin/v1/instances", adminToken, nil); strings.TrimSpace(w.Body.String()) != `{"instances":[]}` {
		t.Errorf("instances after failed creates: %s", w.Body)
	}
	if f.gw.Mounted("x") {
		t.Error("a refused instance is mounted")
	}
}

// startOktaSim serves the okta simulator and returns the parameters that
// point an instance at it.
func startOktaSim(t *testing.T) map[string]any {
	t.Helper()
	sim := builtin.Registry()["okta"].Simulator()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	var params map[string]any
	if err := json.Unmarshal(sim.Params(srv.URL), &params); err != nil {
		t.Fatal(err)
	}
	return params
}

func TestSecretsNeverReturned(t *testing.T) {
	f := newFixture(t, "")
	params := startOktaSim(t)
	secret, _ := params["token"].(string)
	if secret == "" {
		t.Fatalf("simulator parameters without a token: %v", params)
	}
	create := f.do("POST", "/admin/v1/instances", adminToken, map[string]any{"name": "okta1", "type": "okta", "parameters": params})
	if create.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", create.Code, create.Body)
	}
	var created struct{ Token string }
	decodeBody(t, create, &created)
	for _, tt := range []struct{ name, method, path string }{
		{"create", "", ""},
		{"list", "GET", "/admin/v1/instances"},
		{"get", "GET", "/admin/v1/instances/okta1"},
		{"test", "POST", "/admin/v1/instances/okta1/test"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := create
			if tt.method != "" {
				w = f.do(tt.method, tt.path, adminToken, nil)
			}
			if w.Code >= 300 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if strings.Contains(w.Body.String(), secret) {
				t.Fatalf("the secret is in the answer: %s", w.Body)
			}
			if tt.method != "POST" && !strings.Contains(w.Body.String(), `"token":"\u003cset\u003e"`) {
				t.Errorf("secret not shown as set: %s", w.Body)
			}
		})
	}
	// Sending the mask back keeps the secret: the instance still reaches
	// its target with it.
	w := f.do("PUT", "/admin/v1/instances/okta1", adminToken, map[string]any{"parameters": map[string]any{"token": "<set>", "target_url": params["target_url"]}})
	if w.Code != 200 || strings.Contains(w.Body.String(), secret) {
		t.Fatalf("PUT: %d %s", w.Code, w.Body)
	}
	if w := f.do("GET", "/scim/okta1/v2/Users", created.Token, nil); w.Code != 200 {
		t.Fatalf("SCIM through okta after PUT with the mask: %d %s", w.Code, w.Body)
	}
	// The store holds the secret encrypted, and the key opens it.
	stored := storedParams(t, f.store, "okta1")
	if strings.Contains(stored["token"], secret) || !secrets.IsEnvelope(stored["token"]) {
		t.Fatalf("stored token is not an envelope: %v", stored)
	}
	if got, err := f.keys.Decrypt(stored["token"], "scimconnect/instance/okta1/parameter/token"); err != nil || got != `"`+secret+`"` {
		t.Errorf("stored token decrypts to %q, %v", got, err)
	}
	// The envelope is bound to its instance: copied into another
	// instance's row by someone who can write the store, it does not
	// open there, so that instance cannot send it to its own target.
	other := map[string]any{"token": "another-okta-token-000000001", "target_url": params["target_url"]}
	if w := f.do("POST", "/admin/v1/instances", adminToken, map[string]any{"name": "okta2", "type": "okta", "parameters": other}); w.Code != http.StatusCreated {
		t.Fatalf("create okta2: %d %s", w.Code, w.Body)
	}
	ctx := context.Background()
	err := f.store.Update(ctx, func(tx store.Tx) error {
		row, err := tx.GetInstance(ctx, "okta2")
		if err != nil {
			return err
		}
		var p map[string]any
		if err := json.Unmarshal(row.Config, &p); err != nil {
			return err
		}
		p["token"] = stored["token"]
		if row.Config, err = json.Marshal(p); err != nil {
			return err
		}
		return tx.UpdateInstance(ctx, row)
	})
	if err != nil {
		t.Fatal(err)
	}
	w = f.do("POST", "/admin/v1/instances/okta2/test", adminToken, nil)
	var result struct {
		OK      bool
		Message string
	}
	decodeBody(t, w, &result)
	if result.OK || !strings.Contains(result.Message, "does not open") || strings.Contains(w.Body.String(), secret) {
		t.Errorf("okta2 with okta1's sealed token: %s", w.Body)
	}
}

// storedParams reads an instance's stored parameters (string values).
func storedParams(t *testing.T, st store.Store, name string) map[string]string {
	t.Helper()
	ctx := context.Background()
	var out map[string]string
	err := st.View(ctx, func(tx store.Tx) error {
		in, err := tx.GetInstance(ctx, name)
		if err != nil {
			return err
		}
		return json.Unmarshal(in.Config, &out)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRotateToken(t *testing.T) {
	f := newFixture(t, "")
	old := f.create(map[string]any{"name": "crm", "type": "local"})
	w := f.do("POST", "/admin/v1/instances/crm/token", adminToken, nil)
	if w.Code != 200 {
		t.Fatalf("rotate: %d %s", w.Code, w.Body)
	}
	var got struct{ Token, Name string }
	decodeBody(t, w, &got)
	if got.Token == "" || got.Token == old || got.Name != "crm" {
		t.Fatalf("rotate answer: %s", w.Body)
	}
	for _, tt := range []struct {
		name, token string
		status      int
	}{{"old token", old, 401}, {"new token", got.Token, 200}} {
		t.Run(tt.name, func(t *testing.T) {
			if w := f.do("GET", "/scim/crm/v2/Users", tt.token, nil); w.Code != tt.status {
				t.Errorf("status %d, want %d", w.Code, tt.status)
			}
		})
	}
	// A restart (a new gateway over the same store) keeps the new token.
	g := newRestarted(t, f)
	if w := g.do("GET", "/scim/crm/v2/Users", got.Token, nil); w.Code != 200 {
		t.Errorf("after restart: %d %s", w.Code, w.Body)
	}
}

// newRestarted builds a second gateway and admin API over f's store and
// mounts the stored instances, as serve does on start.
func newRestarted(t *testing.T, f *fixture, config ...gateway.InstanceSpec) *fixture {
	t.Helper()
	gw := gateway.New(gateway.Options{PublicURL: "http://scim.test", Provider: provider.DefaultConfig(), Store: f.store, Registry: builtin.Registry()})
	t.Cleanup(func() { gw.Close() })
	for _, spec := range config {
		if err := gw.Mount(context.Background(), spec); err != nil {
			t.Fatal(err)
		}
	}
	opts := admin.Options{TokenHash: gateway.HashToken(adminToken), Gateway: gw, Store: f.store, Registry: builtin.Registry(), Config: config, Secrets: f.keys}
	if _, err := admin.MountStored(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	h, err := admin.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, store: f.store, gw: gw, admin: h, handler: h.Wrap(gw), keys: f.keys}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "")
	token := f.create(map[string]any{"name": "crm", "type": "local"})
	if w := f.do("POST", "/scim/crm/v2/Users", token, newUser); w.Code != http.StatusCreated {
		t.Fatalf("SCIM create: %d %s", w.Code, w.Body)
	}
	if w := f.do("DELETE", "/admin/v1/instances/crm", adminToken, nil); w.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	if w := f.do("GET", "/scim/crm/v2/Users", token, nil); w.Code != 401 {
		t.Errorf("SCIM after delete: %d", w.Code)
	}
	if w := f.do("GET", "/admin/v1/instances/crm", adminToken, nil); w.Code != 404 || errorOf(t, w).Error.Code != "not_found" {
		t.Errorf("GET after delete: %d %s", w.Code, w.Body)
	}
	if w := f.do("DELETE", "/admin/v1/instances/crm", adminToken, nil); w.Code != 404 {
		t.Errorf("second delete: %d", w.Code)
	}
	err := f.store.View(ctx, func(tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, "crm"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("instance row: %v", err)
		}
		n, err := tx.CountResources(ctx, "crm", "User")
		if n != 0 {
			t.Errorf("%d users left", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestReplace(t *testing.T) {
	f := newFixture(t, "")
	token := f.create(map[string]any{"name": "crm", "type": "local"})
	tests := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"same settings", map[string]any{"name": "crm", "type": "local", "parameters": map[string]any{}}, 200, ""},
		{"rename", map[string]any{"name": "other"}, 400, "name"},
		{"change type", map[string]any{"type": "okta"}, 400, "type"},
		{"unknown parameter", map[string]any{"parameters": map[string]any{"foo": "bar"}}, 400, "parameters.foo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do("PUT", "/admin/v1/instances/crm", adminToken, tt.body)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.field != "" {
				if e := errorOf(t, w); e.Error.Field != tt.field {
					t.Errorf("field %q, want %q", e.Error.Field, tt.field)
				}
			}
			// The token survives every replace, refused or not.
			if w := f.do("GET", "/scim/crm/v2/Users", token, nil); w.Code != 200 {
				t.Errorf("SCIM after PUT: %d", w.Code)
			}
		})
	}
	if w := f.do("PUT", "/admin/v1/instances/nosuch", adminToken, map[string]any{}); w.Code != 404 {
		t.Errorf("PUT of a missing instance: %d", w.Code)
	}
}

// TestChangesKeepRequestsInFlight replaces and rotates an instance while
// clients use it: with the race detector it checks that the swaps are
// safe, and every request with the token valid throughout succeeds.
func TestChangesKeepRequestsInFlight(t *testing.T) {
	f := newFixture(t, "")
	token := f.create(map[string]any{"name": "crm", "type": "local"})
	other := f.create(map[string]any{"name": "other", "type": "local"})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	failures := make(chan string, 100)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				r := httptest.NewRequest("GET", "/scim/crm/v2/Users", nil)
				r.Header.Set("Authorization", "Bearer "+token)
				w := httptest.NewRecorder()
				f.handler.ServeHTTP(w, r)
				if w.Code != 200 {
					select {
					case failures <- w.Body.String():
					default:
					}
				}
			}
		}()
	}
	for range 20 {
		if w := f.do("PUT", "/admin/v1/instances/crm", adminToken, map[string]any{}); w.Code != 200 {
			t.Errorf("PUT: %d %s", w.Code, w.Body)
		}
		if w := f.do("POST", "/admin/v1/instances/other/token", adminToken, nil); w.Code != 200 {
			t.Errorf("rotate: %d %s", w.Code, w.Body)
		}
	}
	close(stop)
	wg.Wait()
	close(failures)
	for body := range failures {
		t.Errorf("a request failed during changes: %s", body)
	}
	if w := f.do("GET", "/scim/other/v2/Users", other, nil); w.Code != 401 {
		t.Errorf("first token of a rotated instance: %d", w.Code)
	}
}

func TestConfigInstancesAreReadOnly(t *testing.T) {
	ctx := context.Background()
	const configToken = "config-token-0123456789abcdef"
	hr := gateway.InstanceSpec{Name: "hr", Type: "local", TokenHash: gateway.HashToken(configToken)}
	dbPath := filepath.Join(t.TempDir(), "admin.db")
	// An earlier run stored an API instance "hr"; the file now defines one.
	first := newFixture(t, dbPath)
	storedToken := first.create(map[string]any{"name": "hr", "type": "local"})
	f := newRestarted(t, first, hr)

	if w := f.do("GET", "/scim/hr/v2/Users", configToken, nil); w.Code != 200 {
		t.Errorf("the configured token: %d", w.Code)
	}
	if w := f.do("GET", "/scim/hr/v2/Users", storedToken, nil); w.Code != 401 {
		t.Errorf("the shadowed stored instance's token: %d", w.Code)
	}
	tests := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"get", "GET", "/admin/v1/instances/hr", nil, 200, ""},
		{"test", "POST", "/admin/v1/instances/hr/test", nil, 200, ""},
		{"create", "POST", "/admin/v1/instances", map[string]any{"name": "hr", "type": "local"}, 409, "read_only"},
		{"replace", "PUT", "/admin/v1/instances/hr", map[string]any{}, 409, "read_only"},
		{"rotate", "POST", "/admin/v1/instances/hr/token", nil, 409, "read_only"},
		{"delete", "DELETE", "/admin/v1/instances/hr", nil, 409, "read_only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(tt.method, tt.path, adminToken, tt.body)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.code != "" {
				if e := errorOf(t, w); e.Error.Code != tt.code || !strings.Contains(e.Error.Message, "configuration file") {
					t.Errorf("error %+v", e)
				}
			}
		})
	}
	var list struct {
		Instances []struct {
			Name, Source string
			ReadOnly     bool `json:"read_only"`
		}
	}
	decodeBody(t, f.do("GET", "/admin/v1/instances", adminToken, nil), &list)
	want := []struct {
		Name, Source string
		ReadOnly     bool `json:"read_only"`
	}{{"hr", "config", true}}
	if diff := cmp.Diff(want, list.Instances); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	// The configured instance still serves and the stored row is intact.
	if w := f.do("GET", "/scim/hr/v2/Users", configToken, nil); w.Code != 200 {
		t.Errorf("configured instance after refused changes: %d", w.Code)
	}
	if err := f.store.View(ctx, func(tx store.Tx) error { _, err := tx.GetInstance(ctx, "hr"); return err }); err != nil {
		t.Errorf("stored hr: %v", err)
	}
}

func TestConnectorTypes(t *testing.T) {
	f := newFixture(t, "")
	w := f.do("GET", "/admin/v1/connector-types", adminToken, nil)
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got struct {
		Types []struct {
			Name, Version string
			Parameters    []struct {
				Name   string
				Secret bool
			}
		} `json:"connector_types"`
	}
	decodeBody(t, w, &got)
	names := map[string]bool{}
	for _, ty := range got.Types {
		names[ty.Name] = true
		if ty.Version == "" {
			t.Errorf("%s: no version", ty.Name)
		}
		if ty.Name == "okta" {
			secret := false
			for _, p := range ty.Parameters {
				secret = secret || (p.Name == "token" && p.Secret)
			}
			if !secret {
				t.Errorf("okta token not declared secret: %+v", ty.Parameters)
			}
		}
	}
	if !names["local"] || !names["okta"] {
		t.Errorf("types %v", names)
	}
}

func TestTestConnection(t *testing.T) {
	f := newFixture(t, "")
	f.create(map[string]any{"name": "crm", "type": "local"})
	w := f.do("POST", "/admin/v1/instances/crm/test", adminToken, nil)
	var got struct {
		OK            bool
		TargetChecked bool `json:"target_checked"`
	}
	decodeBody(t, w, &got)
	if w.Code != 200 || !got.OK || got.TargetChecked {
		t.Errorf("local test: %d %s", w.Code, w.Body)
	}
	if w := f.do("POST", "/admin/v1/instances/nosuch/test", adminToken, nil); w.Code != 404 {
		t.Errorf("test of a missing instance: %d", w.Code)
	}
}

// The Okta connector's test makes a real authenticated call: it passes
// with the simulator's token and reports the target's refusal of a wrong
// one, without the token in the message.
func TestTestConnectionOkta(t *testing.T) {
	f := newFixture(t, "")
	params := startOktaSim(t)
	f.create(map[string]any{"name": "good", "type": "okta", "parameters": params})
	bad := map[string]any{"token": "wrong-okta-api-token-000000001", "target_url": params["target_url"]}
	f.create(map[string]any{"name": "bad", "type": "okta", "parameters": bad})
	type result struct {
		OK            bool
		TargetChecked bool `json:"target_checked"`
		Message       string
	}
	var good, refused result
	decodeBody(t, f.do("POST", "/admin/v1/instances/good/test", adminToken, nil), &good)
	if !good.OK || !good.TargetChecked {
		t.Errorf("test with the right token: %+v", good)
	}
	w := f.do("POST", "/admin/v1/instances/bad/test", adminToken, nil)
	decodeBody(t, w, &refused)
	if refused.OK || !refused.TargetChecked || !strings.Contains(refused.Message, "401") || !strings.HasPrefix(refused.Message, "okta: connection test: ") {
		t.Errorf("test with a wrong token: %+v", refused)
	}
	if strings.Contains(w.Body.String(), "wrong-okta-api-token") {
		t.Errorf("the token shows in the answer: %s", w.Body)
	}
}

func TestRouting(t *testing.T) {
	f := newFixture(t, "")
	tests := []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"PATCH", "/admin/v1/instances", 405, "method_not_allowed", "GET, POST"},
		{"GET", "/admin/v1/instances/x/token", 405, "method_not_allowed", "POST"},
		{"GET", "/admin/v1/instances/x/y", 404, "no_such_route", ""},
		{"GET", "/admin/v1", 404, "no_such_route", ""},
		{"GET", "/admin/v1/instances/", 404, "no_such_route", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			w := f.do(tt.method, tt.path, adminToken, nil)
			if w.Code != tt.status || errorOf(t, w).Error.Code != tt.code || w.Header().Get("Allow") != tt.allow {
				t.Errorf("%d %q %s", w.Code, w.Header().Get("Allow"), w.Body)
			}
		})
	}
}

// A configuration file may spell a secret parameter in another case
// ("Token:"); connectors decode parameter names case-insensitively, so
// the instance runs with it as its secret, and the admin API must mask
// it as such rather than show it as some other parameter.
func TestConfigSecretInAnotherCaseIsMasked(t *testing.T) {
	params := startOktaSim(t)
	secret, _ := params["token"].(string)
	raw, err := json.Marshal(map[string]any{"Token": secret, "target_url": params["target_url"]})
	if err != nil {
		t.Fatal(err)
	}
	okta := gateway.InstanceSpec{Name: "okta-cfg", Type: "okta", TokenHash: gateway.HashToken("config-token-0123456789abcdef"), Params: raw}
	f := newFixture(t, "", okta)
	for _, path := range []string{"/admin/v1/instances", "/admin/v1/instances/okta-cfg"} {
		w := f.do("GET", path, adminToken, nil)
		if w.Code != 200 {
			t.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
		}
		if strings.Contains(w.Body.String(), secret) {
			t.Errorf("GET %s shows the secret: %s", path, w.Body)
		}
		if !strings.Contains(w.Body.String(), `"Token":"\u003cset\u003e"`) {
			t.Errorf("GET %s does not show the secret as set: %s", path, w.Body)
		}
	}
}
