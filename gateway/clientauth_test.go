package gateway_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/clientauth"
	"github.com/scimconnect/scimconnect/gateway"
)

const (
	staticToken   = "static-token-of-instance-a-0001"
	readOnlyToken = "read-only-token-of-instance-r1"
	secretA       = "secret-of-client-a-000000000001"
	secretReader  = "secret-of-the-reader-0000000001"
	secretB       = "secret-of-client-b-000000000002"
)

// authFixture serves instance "a" (static token, client "client-a",
// read-only client "reader"), "b" (client "client-b" only), "ro" (a
// read-only static token) and "ext" (JWTs of a test issuer).
type authFixture struct {
	*fixture
	issuer *testIssuer
}

func newAuthFixture(t *testing.T, configure func(*gateway.Options)) *authFixture {
	t.Helper()
	signer, err := clientauth.NewHMACSigner([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	iss := newTestIssuer(t)
	f := newFixtureWith(t, nil, func(o *gateway.Options) {
		o.AccessTokens = signer
		o.JWKS = clientauth.KeySetOptions{MinRefresh: time.Nanosecond}
		if configure != nil {
			configure(o)
		}
	})
	specs := []gateway.InstanceSpec{
		{Name: "a", Type: "local", TokenHash: gateway.HashToken(staticToken), Clients: []clientauth.Client{
			{ID: "client-a", SecretHash: clientauth.HashSecret(secretA)},
			{ID: "reader", SecretHash: clientauth.HashSecret(secretReader), ReadOnly: true, TokenTTL: 10 * time.Minute},
		}},
		{Name: "b", Type: "local", Clients: []clientauth.Client{{ID: "client-b", SecretHash: clientauth.HashSecret(secretB)}}},
		{Name: "ro", Type: "local", TokenHash: gateway.HashToken(readOnlyToken), TokenReadOnly: true},
		{Name: "ext", Type: "local", JWTIssuers: []clientauth.JWTIssuer{{Issuer: iss.url, Audience: "scim-app", JWKSURL: iss.url + "/keys"}}},
	}
	for _, s := range specs {
		if err := f.gw.Mount(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	return &authFixture{fixture: f, issuer: iss}
}

// tokenRequest posts a form to an instance's token endpoint; basic, when
// set, is "id:secret" for HTTP Basic.
func (f *authFixture) tokenRequest(instance string, form url.Values, basic string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/scim/"+instance+"/oauth/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id, secret, ok := strings.Cut(basic, ":"); ok {
		r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, r)
	return w
}

// accessToken obtains a token for a client, failing the test otherwise.
func (f *authFixture) accessToken(t *testing.T, instance, id, secret string) string {
	t.Helper()
	w := f.tokenRequest(instance, url.Values{"grant_type": {"client_credentials"}}, id+":"+secret)
	if w.Code != 200 {
		t.Fatalf("token for %s on %s: status %d: %s", id, instance, w.Code, w.Body)
	}
	var resp clientauth.TokenResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	return resp.AccessToken
}

func (f *authFixture) send(method, path, token, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		r.Header.Set("Content-Type", "application/scim+json")
	}
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, r)
	return w
}

func TestTokenEndpoint(t *testing.T) {
	f := newAuthFixture(t, func(o *gateway.Options) { o.AuthLimit.Disabled = true })
	cc := url.Values{"grant_type": {"client_credentials"}}
	tests := []struct {
		name, instance string
		form           url.Values
		basic          string
		status         int
		errCode        string
	}{
		{"basic", "a", cc, "client-a:" + secretA, 200, ""},
		{"form", "a", url.Values{"grant_type": {"client_credentials"}, "client_id": {"client-a"}, "client_secret": {secretA}}, "", 200, ""},
		{"scope is accepted", "a", url.Values{"grant_type": {"client_credentials"}, "scope": {"scim"}}, "client-a:" + secretA, 200, ""},
		{"wrong secret", "a", cc, "client-a:" + secretB, 401, "invalid_client"},
		{"unknown client", "a", cc, "nobody:" + secretA, 401, "invalid_client"},
		{"another instance's client", "a", cc, "client-b:" + secretB, 401, "invalid_client"},
		{"no credentials", "a", cc, "", 401, "invalid_client"},
		{"unknown instance", "zz", cc, "client-a:" + secretA, 401, "invalid_client"},
		{"instance without clients", "ro", cc, "client-a:" + secretA, 401, "invalid_client"},
		{"basic and form", "a", url.Values{"grant_type": {"client_credentials"}, "client_id": {"client-a"}, "client_secret": {secretA}}, "client-a:" + secretA, 400, "invalid_request"},
		{"no grant type", "a", url.Values{}, "client-a:" + secretA, 400, "invalid_request"},
		{"repeated parameter", "a", url.Values{"grant_type": {"client_credentials", "client_credentials"}}, "client-a:" + secretA, 400, "invalid_request"},
		{"password grant", "a", url.Values{"grant_type": {"password"}}, "client-a:" + secretA, 400, "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.tokenRequest(tt.instance, tt.form, tt.basic)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if got := w.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", got)
			}
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %s: %v", w.Body, err)
			}
			if tt.status != 200 {
				if body["error"] != tt.errCode {
					t.Errorf("error %v, want %s", body["error"], tt.errCode)
				}
				if tt.status == 401 && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic") {
					t.Errorf("401 without a Basic challenge: %v", w.Header())
				}
				return
			}
			if body["token_type"] != "Bearer" || body["expires_in"] != float64(3600) || body["access_token"] == "" {
				t.Errorf("token response %v", body)
			}
		})
	}
	t.Run("wrong content type", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/scim/a/oauth/token", strings.NewReader(`{"grant_type":"client_credentials"}`))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		f.handler.ServeHTTP(w, r)
		if w.Code != 400 || !strings.Contains(w.Body.String(), "invalid_request") {
			t.Errorf("status %d: %s", w.Code, w.Body)
		}
	})
	t.Run("GET", func(t *testing.T) {
		w := f.do("GET", "/scim/a/oauth/token", "")
		if w.Code != 405 || w.Header().Get("Allow") != "POST" {
			t.Errorf("status %d, Allow %q", w.Code, w.Header().Get("Allow"))
		}
	})
}

func TestAccessTokens(t *testing.T) {
	f := newAuthFixture(t, func(o *gateway.Options) { o.AuthLimit.Disabled = true })
	tokA := f.accessToken(t, "a", "client-a", secretA)
	tokB := f.accessToken(t, "b", "client-b", secretB)
	tests := []struct {
		name, path, token string
		status            int
	}{
		{"own instance", "/scim/a/v2/Users", tokA, 200},
		{"instance with only clients", "/scim/b/v2/Users", tokB, 200},
		{"another instance", "/scim/b/v2/Users", tokA, 401},
		{"another instance, reverse", "/scim/a/v2/Users", tokB, 401},
		{"static token still works", "/scim/a/v2/Users", staticToken, 200},
		{"tampered token", "/scim/a/v2/Users", tokA[:len(tokA)-2] + "AA", 401},
		{"a JWT of the external issuer is no access token", "/scim/a/v2/Users", f.issuer.token(t, "rsa", nil), 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if w := f.send("GET", tt.path, tt.token, ""); w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
		})
	}
	t.Run("expired", func(t *testing.T) {
		now := time.Now()
		gateway.SetClock(f.gw, func() time.Time { return now.Add(time.Hour + 2*clientauth.DefaultClockSkew) })
		defer gateway.SetClock(f.gw, time.Now)
		w := f.send("GET", "/scim/a/v2/Users", tokA, "")
		if w.Code != 401 || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
	t.Run("secret change revokes", func(t *testing.T) {
		spec := gateway.InstanceSpec{Name: "b", Type: "local", Clients: []clientauth.Client{{ID: "client-b", SecretHash: clientauth.HashSecret("a-new-secret-of-client-b-000003")}}}
		if err := f.gw.Mount(context.Background(), spec); err != nil {
			t.Fatal(err)
		}
		if w := f.send("GET", "/scim/b/v2/Users", tokB, ""); w.Code != 401 {
			t.Fatalf("status %d with a token of the old secret", w.Code)
		}
	})
}

func TestReadOnlyCredentials(t *testing.T) {
	f := newAuthFixture(t, func(o *gateway.Options) { o.AuthLimit.Disabled = true })
	user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"%s"}`
	// A user to read, patch and delete, created with a full credential.
	for _, inst := range []struct{ name, token string }{{"a", staticToken}} {
		if w := f.send("POST", "/scim/"+inst.name+"/v2/Users", inst.token, strings.Replace(user, "%s", "alice", 1)); w.Code != 201 {
			t.Fatalf("create: %d %s", w.Code, w.Body)
		}
	}
	reader := f.accessToken(t, "a", "reader", secretReader)
	search := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName eq \"alice\""}`
	patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"A"}]}`
	for _, cred := range []struct{ name, instance, token string }{
		{"read-only client", "a", reader},
		{"read-only static token", "ro", readOnlyToken},
	} {
		base := "/scim/" + cred.instance + "/v2"
		tests := []struct {
			name, method, path, body string
			status                   int
		}{
			{"GET", "GET", base + "/Users", "", 200},
			{"discovery", "GET", base + "/ServiceProviderConfig", "", 200},
			{"search", "POST", base + "/Users/.search", search, 200},
			{"root search", "POST", base + "/.search", search, 200},
			{"create", "POST", base + "/Users", strings.Replace(user, "%s", "bob", 1), 403},
			{"bulk", "POST", base + "/Bulk", `{}`, 403},
			{"patch", "PATCH", base + "/Users/x", patch, 403},
			{"replace", "PUT", base + "/Users/x", strings.Replace(user, "%s", "bob", 1), 403},
			{"delete", "DELETE", base + "/Users/x", "", 403},
		}
		for _, tt := range tests {
			t.Run(cred.name+"/"+tt.name, func(t *testing.T) {
				w := f.send(tt.method, tt.path, cred.token, tt.body)
				if w.Code != tt.status {
					t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
				}
				if tt.status == 403 && (!strings.Contains(w.Body.String(), "urn:ietf:params:scim:api:messages:2.0:Error") || !strings.Contains(w.Body.String(), "read-only")) {
					t.Errorf("403 body is not a SCIM error: %s", w.Body)
				}
			})
		}
	}
	t.Run("read-write client may write", func(t *testing.T) {
		tok := f.accessToken(t, "a", "client-a", secretA)
		if w := f.send("POST", "/scim/a/v2/Users", tok, strings.Replace(user, "%s", "carol", 1)); w.Code != 201 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}

func TestExternalJWT(t *testing.T) {
	f := newAuthFixture(t, func(o *gateway.Options) { o.AuthLimit.Disabled = true })
	iss := f.issuer
	past := time.Now().Add(-2 * time.Hour)
	future := time.Now().Add(time.Hour)
	tests := []struct {
		name   string
		token  string
		status int
	}{
		{"RS256", iss.token(t, "rsa", nil), 200},
		{"ES256", iss.token(t, "ec", nil), 200},
		{"signed by another key with a known kid", iss.token(t, "forged", nil), 401},
		{"wrong audience", iss.token(t, "rsa", func(c *jwt.Claims) { c.Audience = jwt.Audience{"other-app"} }), 401},
		{"wrong issuer", iss.token(t, "rsa", func(c *jwt.Claims) { c.Issuer = "https://evil.example" }), 401},
		{"expired", iss.token(t, "rsa", func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(past) }), 401},
		{"not yet valid", iss.token(t, "rsa", func(c *jwt.Claims) { c.NotBefore = jwt.NewNumericDate(future) }), 401},
		{"no expiry", iss.token(t, "rsa", func(c *jwt.Claims) { c.Expiry = nil }), 401},
		{"unknown kid", iss.token(t, "unpublished", nil), 401},
		{"not a JWT", "a.b.c", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if w := f.send("GET", "/scim/ext/v2/Users", tt.token, ""); w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
		})
	}
	t.Run("only on its instance", func(t *testing.T) {
		if w := f.send("GET", "/scim/a/v2/Users", iss.token(t, "rsa", nil), ""); w.Code != 401 {
			t.Fatalf("status %d", w.Code)
		}
	})
	t.Run("rotated key is fetched", func(t *testing.T) {
		tok := iss.token(t, "unpublished", nil)
		before := iss.fetches.Load()
		iss.publish("unpublished")
		if w := f.send("GET", "/scim/ext/v2/Users", tok, ""); w.Code != 200 {
			t.Fatalf("status %d after the key was published: %s", w.Code, w.Body)
		}
		if got := iss.fetches.Load() - before; got != 1 {
			t.Errorf("%d fetches of the JWKS, want 1", got)
		}
	})
}

// A JWT of a configured issuer whose JWKS cannot be fetched is not the
// client's fault: 503 with Retry-After, not 401, and no failure counted
// against the client's address. A token of another issuer stays a 401
// and fetches nothing.
func TestJWKSOutage(t *testing.T) {
	f := newAuthFixture(t, func(o *gateway.Options) { o.AuthLimit.Failures = 2; o.AuthLimit.Refill = time.Hour })
	iss := f.issuer
	iss.down.Store(true)
	tok := iss.token(t, "rsa", nil)
	for i := range 3 {
		w := f.send("GET", "/scim/ext/v2/Users", tok, "")
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Fatalf("request %d during the outage: status %d, Retry-After %q: %s", i, w.Code, w.Header().Get("Retry-After"), w.Body)
		}
		if !strings.Contains(w.Body.String(), "signing keys") {
			t.Errorf("body does not say why: %s", w.Body)
		}
	}
	before := iss.fetches.Load()
	other := iss.token(t, "rsa", func(c *jwt.Claims) { c.Issuer = "https://evil.example" })
	if w := f.send("GET", "/scim/ext/v2/Users", other, ""); w.Code != http.StatusUnauthorized {
		t.Errorf("token of another issuer: status %d, want 401", w.Code)
	}
	if got := iss.fetches.Load() - before; got != 0 {
		t.Errorf("a token of another issuer fetched the JWKS %d times", got)
	}
	iss.down.Store(false)
	if w := f.send("GET", "/scim/ext/v2/Users", tok, ""); w.Code != http.StatusOK {
		t.Fatalf("after the outage: status %d, want 200 (503s must not count as failures): %s", w.Code, w.Body)
	}
	// Once fetched, the keys outlive another outage.
	iss.down.Store(true)
	if w := f.send("GET", "/scim/ext/v2/Users", tok, ""); w.Code != http.StatusOK {
		t.Fatalf("cached keys during a second outage: status %d: %s", w.Code, w.Body)
	}
}

func TestServiceProviderConfigSchemes(t *testing.T) {
	f := newAuthFixture(t, nil)
	tokB := f.accessToken(t, "b", "client-b", secretB)
	tests := []struct {
		name, path, token string
		want              []string // scheme names, primary first
		mention           string
	}{
		{"token and clients", "/scim/a/v2/ServiceProviderConfig", staticToken, []string{"OAuth Bearer Token", "OAuth 2.0 Client Credentials"}, "http://scim.test/scim/a/oauth/token"},
		{"clients only", "/scim/b/v2/ServiceProviderConfig", tokB, []string{"OAuth 2.0 Client Credentials"}, "http://scim.test/scim/b/oauth/token"},
		{"read-only token", "/scim/ro/v2/ServiceProviderConfig", readOnlyToken, []string{"OAuth Bearer Token"}, "read-only"},
		{"jwt", "/scim/ext/v2/ServiceProviderConfig", f.issuer.token(t, "rsa", nil), []string{"OAuth Bearer Token (JWT)"}, "scim-app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.send("GET", tt.path, tt.token, "")
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			var doc struct {
				AuthenticationSchemes []struct {
					Type, Name, Description string
					Primary                 bool
				}
			}
			if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			var names []string
			for i, s := range doc.AuthenticationSchemes {
				names = append(names, s.Name)
				if s.Type != "oauthbearertoken" || s.Primary != (i == 0) {
					t.Errorf("scheme %d: type %q primary %v", i, s.Type, s.Primary)
				}
			}
			if diff := cmp.Diff(tt.want, names); diff != "" {
				t.Errorf("schemes (-want +got):\n%s", diff)
			}
			if !strings.Contains(w.Body.String(), tt.mention) {
				t.Errorf("schemes do not mention %q: %s", tt.mention, w.Body)
			}
		})
	}
}

func TestClientAuthFailuresAreLimited(t *testing.T) {
	f := newAuthFixture(t, func(o *gateway.Options) { o.AuthLimit = gateway.AuthLimit{Failures: 3, Refill: time.Hour} })
	cc := url.Values{"grant_type": {"client_credentials"}}
	statuses := []int{}
	for range 4 {
		statuses = append(statuses, f.tokenRequest("a", cc, "client-a:wrong-secret").Code)
	}
	if diff := cmp.Diff([]int{401, 401, 401, 429}, statuses); diff != "" {
		t.Fatalf("wrong secrets (-want +got):\n%s", diff)
	}
	tests := []struct {
		name   string
		run    func() *httptest.ResponseRecorder
		status int
	}{
		{"blocked: a wrong secret", func() *httptest.ResponseRecorder { return f.tokenRequest("a", cc, "client-a:wrong-secret") }, 429},
		{"blocked: a forged JWT", func() *httptest.ResponseRecorder {
			return f.send("GET", "/scim/ext/v2/Users", f.issuer.token(t, "forged", nil), "")
		}, 429},
		{"blocked: a wrong bearer token", func() *httptest.ResponseRecorder {
			return f.send("GET", "/scim/a/v2/Users", "wrong-token-0000000000", "")
		}, 429},
		{"valid client still gets a token", func() *httptest.ResponseRecorder { return f.tokenRequest("a", cc, "client-a:"+secretA) }, 200},
		{"valid JWT still passes", func() *httptest.ResponseRecorder {
			return f.send("GET", "/scim/ext/v2/Users", f.issuer.token(t, "rsa", nil), "")
		}, 200},
		{"static token still passes", func() *httptest.ResponseRecorder { return f.send("GET", "/scim/a/v2/Users", staticToken, "") }, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := tt.run()
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.status == 429 && w.Header().Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		})
	}
}

func TestMountAuthErrors(t *testing.T) {
	noSigner := newFixtureWith(t, nil, nil)
	client := []clientauth.Client{{ID: "c", SecretHash: clientauth.HashSecret("s")}}
	tests := []struct {
		name string
		spec gateway.InstanceSpec
		want string
	}{
		{"no credentials", gateway.InstanceSpec{Name: "x", Type: "local"}, "token hash is required"},
		{"short hash", gateway.InstanceSpec{Name: "x", Type: "local", TokenHash: []byte("short")}, "SHA-256"},
		{"clients without a signer", gateway.InstanceSpec{Name: "x", Type: "local", Clients: client}, "access token key"},
		{"bad issuer", gateway.InstanceSpec{Name: "x", Type: "local", JWTIssuers: []clientauth.JWTIssuer{{Issuer: "i", Audience: "a", JWKSURL: "ftp://x"}}}, "jwks url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := noSigner.gw.Mount(context.Background(), tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if noSigner.gw.Mounted("x") {
				t.Error("instance mounted despite the error")
			}
		})
	}
}

// testIssuer is an external JWT issuer: keys generated in the test, a
// JWKS served by httptest that publishes some of them.
type testIssuer struct {
	url     string
	keys    map[string]jose.JSONWebKey // by name: rsa, ec, forged, unpublished
	fetches atomic.Int64
	down    atomic.Bool // the JWKS endpoint answers 503

	mu        sync.Mutex
	published []string
}

func newTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	later, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	iss := &testIssuer{
		keys: map[string]jose.JSONWebKey{
			"rsa":         {Key: rsaKey, KeyID: "rsa-1", Algorithm: "RS256", Use: "sig"},
			"ec":          {Key: ecKey, KeyID: "ec-1", Algorithm: "ES256", Use: "sig"},
			"forged":      {Key: forged, KeyID: "rsa-1", Algorithm: "RS256", Use: "sig"}, // claims the published kid
			"unpublished": {Key: later, KeyID: "ec-2", Algorithm: "ES256", Use: "sig"},
		},
		published: []string{"rsa", "ec"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/keys" {
			http.NotFound(w, r)
			return
		}
		iss.fetches.Add(1)
		if iss.down.Load() {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		iss.mu.Lock()
		var set jose.JSONWebKeySet
		for _, name := range iss.published {
			k := iss.keys[name]
			set.Keys = append(set.Keys, k.Public())
		}
		iss.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(set); err != nil {
			t.Error(err)
		}
	}))
	t.Cleanup(srv.Close)
	iss.url = srv.URL
	return iss
}

func (iss *testIssuer) publish(name string) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.published = append(iss.published, name)
}

// token signs a valid token with the named key, adjusted by edit.
func (iss *testIssuer) token(t *testing.T, key string, edit func(*jwt.Claims)) string {
	t.Helper()
	k := iss.keys[key]
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(k.Algorithm), Key: k}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c := jwt.Claims{
		Issuer: iss.url, Subject: "entra-app", Audience: jwt.Audience{"scim-app"},
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour)),
	}
	if edit != nil {
		edit(&c)
	}
	tok, err := jwt.Signed(sig).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
