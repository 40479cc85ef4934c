package gateway_test

import (
	"context"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/connector/builtin"
	"github.com/scimconnect/scimconnect/gateway"
	"github.com/scimconnect/scimconnect/internal/syncbuf"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/store/sqlite"
)

type fixture struct {
	gw      *gateway.Gateway
	handler http.Handler
	logs    *syncbuf.Buffer
	store   *sqlite.DB
}

func newFixture(t *testing.T, tokens map[string]string) *fixture {
	t.Helper()
	return newFixtureWith(t, tokens, nil)
}

// newFixtureWith is newFixture with the gateway's options adjusted by
// configure (nil: none).
func newFixtureWith(t testing.TB, tokens map[string]string, configure func(*gateway.Options)) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gw.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logs := &syncbuf.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	opts := gateway.Options{PublicURL: "http://scim.test", Provider: provider.DefaultConfig(), Store: st, Registry: builtin.Registry(), Logger: log}
	if configure != nil {
		configure(&opts)
	}
	gw := gateway.New(opts)
	for name, tok := range tokens {
		if err := gw.Mount(ctx, gateway.InstanceSpec{Name: name, Type: "local", TokenHash: gateway.HashToken(tok)}); err != nil {
			t.Fatal(err)
		}
	}
	return &fixture{gw: gw, handler: gateway.LogRequests(log, gw), logs: logs, store: st}
}

func (f *fixture) do(method, path, token string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, r)
	return w
}

func TestAuthentication(t *testing.T) {
	f := newFixture(t, map[string]string{"a": "token-of-instance-a-0001", "b": "token-of-instance-b-0002"})
	tests := []struct {
		name, path, token string
		status            int
	}{
		{"own token", "/scim/a/v2/Users", "token-of-instance-a-0001", 200},
		{"other instance's token", "/scim/b/v2/Users", "token-of-instance-a-0001", 401},
		{"no token", "/scim/a/v2/Users", "", 401},
		{"wrong token", "/scim/a/v2/Users", "token-of-instance-a-0009", 401},
		{"unknown instance looks like a wrong token", "/scim/zz/v2/Users", "token-of-instance-a-0001", 401},
		{"discovery needs a token too", "/scim/a/v2/ServiceProviderConfig", "", 401},
		{"wrong version segment", "/scim/a/v1/Users", "token-of-instance-a-0001", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do("GET", tt.path, tt.token)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/scim+json" {
				t.Errorf("Content-Type %q", ct)
			}
			if tt.status == 401 {
				// RFC 6750 §3.1: an error code only when credentials were sent.
				want := `Bearer realm="scimconnect", error="invalid_token"`
				if tt.token == "" {
					want = `Bearer realm="scimconnect"`
				}
				if got := w.Header().Get("WWW-Authenticate"); got != want {
					t.Errorf("WWW-Authenticate %q, want %q", got, want)
				}
				if !strings.Contains(w.Body.String(), `"status":"401"`) || !strings.Contains(w.Body.String(), "urn:ietf:params:scim:api:messages:2.0:Error") {
					t.Errorf("401 body is not a SCIM error: %s", w.Body)
				}
			}
		})
	}
	// Credentials of another scheme (SCIM test suites send Basic to /Me)
	// are "an unsupported authentication method": a 401 whose challenge
	// carries no error code (RFC 6750 §3.1) and whose detail says why.
	for _, auth := range []string{"Basic bG9naW5Vc2VyOnB3", "Digest username=\"u\"", "Basic"} {
		w := f.do("GET", "/scim/a/v2/Me", "", "Authorization", auth)
		if w.Code != 401 {
			t.Fatalf("%s: status %d, want 401: %s", auth, w.Code, w.Body)
		}
		if got, want := w.Header().Get("WWW-Authenticate"), `Bearer realm="scimconnect"`; got != want {
			t.Errorf("%s: WWW-Authenticate %q, want %q", auth, got, want)
		}
		if !strings.Contains(w.Body.String(), "accepts only bearer tokens") {
			t.Errorf("%s: detail does not name the accepted scheme: %s", auth, w.Body)
		}
	}
	// An empty or wrong bearer token is a failed bearer token.
	for _, auth := range []string{"Bearer", "bearer nope"} {
		w := f.do("GET", "/scim/a/v2/Users", "", "Authorization", auth)
		if got, want := w.Header().Get("WWW-Authenticate"), `Bearer realm="scimconnect", error="invalid_token"`; w.Code != 401 || got != want {
			t.Errorf("%s: status %d, WWW-Authenticate %q, want 401 and %q", auth, w.Code, got, want)
		}
	}
	// The scheme name is case-insensitive (RFC 7235 §2.1).
	r := httptest.NewRequest("GET", "/scim/a/v2/Users", nil)
	r.Header.Set("Authorization", "bearer token-of-instance-a-0001")
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Errorf("lower-case bearer: status %d", w.Code)
	}
}

func TestHealth(t *testing.T) {
	f := newFixture(t, nil)
	if w := f.do("GET", "/healthz", ""); w.Code != 200 {
		t.Errorf("/healthz %d", w.Code)
	}
	if w := f.do("GET", "/readyz", ""); w.Code != 200 {
		t.Errorf("/readyz %d", w.Code)
	}
	f.gw.SetReady(false)
	if w := f.do("GET", "/readyz", ""); w.Code != 503 {
		t.Errorf("/readyz while shutting down: %d", w.Code)
	}
	f.gw.SetReady(true)
	f.store.Close()
	if w := f.do("GET", "/readyz", ""); w.Code != 503 {
		t.Errorf("/readyz with the store closed: %d", w.Code)
	}
}

func TestLogsCarryNoSecrets(t *testing.T) {
	tok := "secret-token-value-123456"
	f := newFixture(t, map[string]string{"a": tok})
	w := f.do("GET", "/scim/a/v2/Users?filter=userName%20eq%20%22private.person%40example.com%22", tok, "X-Request-Id", "req-42")
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if got := w.Header().Get("X-Request-Id"); got != "req-42" {
		t.Errorf("X-Request-Id echoed as %q", got)
	}
	f.do("GET", "/scim/a/v2/Users", "wrong-token-value-000000")
	logs := f.logs.String()
	for _, secret := range []string{tok, "wrong-token-value", "private.person", "filter="} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
	for _, want := range []string{"request_id=req-42", "status=200", "status=401", "method=GET", "path=/scim/a/v2/Users", "duration="} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	// A hostile request id is replaced, not logged.
	w = f.do("GET", "/healthz", "", "X-Request-Id", "a b\nlevel=ERROR")
	if id := w.Header().Get("X-Request-Id"); id == "" || strings.ContainsAny(id, " \n=") {
		t.Errorf("request id %q", id)
	}
}

func TestMountUnknownType(t *testing.T) {
	f := newFixture(t, nil)
	err := f.gw.Mount(context.Background(), gateway.InstanceSpec{Name: "x", Type: "nope", TokenHash: gateway.HashToken("t")})
	if err == nil || !strings.Contains(err.Error(), `unknown connector type "nope"`) {
		t.Errorf("err = %v", err)
	}
}

func TestNewTokenIsRandom(t *testing.T) {
	a, err := gateway.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := gateway.NewToken()
	if a == b || len(a) < 40 {
		t.Errorf("tokens %q %q", a, b)
	}
}

// TestTargetInstanceSettingsReachTheConnector mounts an Okta instance
// (against its simulator) with a disabled and a custom attribute: the
// gateway must hand both to the connector and serve its wrapper, so a
// request setting the disabled attribute is accepted with it ignored.
func TestTargetInstanceSettingsReachTheConnector(t *testing.T) {
	ctx := context.Background()
	reg := builtin.Registry()
	sim := reg["okta"].Simulator()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	f := newFixture(t, nil)
	tok := "okta-instance-token-0001"
	err := f.gw.Mount(ctx, gateway.InstanceSpec{
		Name: "o", Type: "okta", Params: sim.Params(srv.URL), TokenHash: gateway.HashToken(tok),
		DisabledAttributes: []string{"title"}, CustomAttributes: "badge|string;",
	})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
	  "userName":"ada@example.com","name":{"givenName":"Ada","familyName":"Lovelace"},"title":"Countess"}`
	r := httptest.NewRequest("POST", "/scim/o/v2/Users", strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+tok)
	r.Header.Set("Content-Type", "application/scim+json")
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, r)
	if w.Code != 201 {
		t.Fatalf("create with a disabled attribute: %d %s", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), "Countess") {
		t.Errorf("the disabled attribute came back: %s", w.Body)
	}
	schemas := f.do("GET", "/scim/o/v2/Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", tok)
	if schemas.Code != 200 || !strings.Contains(schemas.Body.String(), `"badge"`) {
		t.Errorf("custom attribute not in the enterprise schema: %d %s", schemas.Code, schemas.Body)
	}
	core := f.do("GET", "/scim/o/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", tok)
	if strings.Contains(core.Body.String(), `"name":"title"`) {
		t.Errorf("disabled attribute still in /Schemas")
	}
}

// A target that does not answer holds a request up to the gateway's
// request deadline, not to the connector's own per-call budget (30 s for
// Okta, longer than the server's write timeout allows with retries): the
// client gets a SCIM 503 it can read instead of a dropped connection.
func TestRequestDeadline(t *testing.T) {
	ctx := context.Background()
	sim := builtin.Registry()["okta"].Simulator()
	var hang atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hang.Load() {
			<-r.Context().Done()
			return
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f := newFixtureWith(t, nil, func(o *gateway.Options) { o.RequestTimeout = 300 * time.Millisecond })
	tok := "okta-instance-token-0002"
	if err := f.gw.Mount(ctx, gateway.InstanceSpec{Name: "o", Type: "okta", Params: sim.Params(srv.URL), TokenHash: gateway.HashToken(tok)}); err != nil {
		t.Fatal(err)
	}
	if w := f.do("GET", "/scim/o/v2/Users?count=1", tok); w.Code != http.StatusOK {
		t.Fatalf("list before the target hangs: %d %s", w.Code, w.Body)
	}
	hang.Store(true)
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() { done <- f.do("GET", "/scim/o/v2/Users/00u1", tok) }()
	select {
	case w := <-done:
		if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), `"status":"503"`) {
			t.Fatalf("GET while the target hangs: %d %s, want a SCIM 503", w.Code, w.Body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("GET while the target hangs: no answer after 10 s with a request deadline of 300 ms")
	}
}

// A panic while serving answers a SCIM 500 naming the request id and is
// logged with its stack, the request line included; after the answer has
// begun, the connection is closed so the client sees it is incomplete.
func TestPanicRecovered(t *testing.T) {
	logs := &syncbuf.Buffer{}
	h := gateway.LogRequests(slog.New(slog.NewTextHandler(logs, nil)), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/late" {
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"partial":`))
		}
		panic("something unforeseen")
	}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)

	resp, err := http.Get(srv.URL + "/early")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	id := resp.Header.Get("X-Request-Id")
	if resp.StatusCode != 500 || resp.Header.Get("Content-Type") != "application/scim+json" || !strings.Contains(string(body), `"status":"500"`) || id == "" || !strings.Contains(string(body), id) {
		t.Errorf("panic before the answer: %d %s %s, want a SCIM 500 naming request id %q", resp.StatusCode, resp.Header.Get("Content-Type"), body, id)
	}
	for _, want := range []string{"panic serving a request", "something unforeseen", "request_id=" + id, "gateway_test.go", "msg=request", "status=500"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}

	resp, err = http.Get(srv.URL + "/late")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Errorf("panic after the answer began: the client read a complete answer")
	}
}
