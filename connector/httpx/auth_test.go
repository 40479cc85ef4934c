package httpx

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"
)

func TestStaticAuth(t *testing.T) {
	tests := []struct {
		name   string
		auth   Authenticator
		header string
		want   string
	}{
		{"Okta SSWS", HeaderToken("Authorization", "SSWS", "00abcdef"), "Authorization", "SSWS 00abcdef"},
		{"Coupa API key without prefix", HeaderToken("x-coupa-api-key", "", "k123"), "X-Coupa-Api-Key", "k123"},
		{"Bearer", Bearer("jwt.jwt.jwt"), "Authorization", "Bearer jwt.jwt.jwt"},
		{"Azure DevOps PAT", Basic("", "pat-secret"), "Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(":pat-secret"))},
		{"Basic user", Basic("svc", "pw"), "Authorization", "Basic c3ZjOnB3"},
		{"func", AuthenticatorFunc(func(_ context.Context, r *http.Request) error {
			r.Header.Set("X-Signature", r.Method+" "+r.URL.Path)
			return nil
		}), "X-Signature", "GET /x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			srv := newTarget(t, func(_ int, _ http.ResponseWriter, r *http.Request) { got = r.Header.Get(tt.header) })
			cfg := fastConfig(srv.URL)
			cfg.Auth = tt.auth
			if _, err := mustNew(t, cfg).Do(context.Background(), &Request{Path: "/x"}); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("%s = %q, want %q", tt.header, got, tt.want)
			}
		})
	}
	t.Run("Basic header matches net/http", func(t *testing.T) {
		r, err := http.NewRequest("GET", "https://dev.azure.com", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.SetBasicAuth("", "pat-secret")
		want := r.Header.Get("Authorization")
		if err := Basic("", "pat-secret").Authorize(context.Background(), r); err != nil || r.Header.Get("Authorization") != want {
			t.Errorf("Basic = %q, want %q", r.Header.Get("Authorization"), want)
		}
	})
	t.Run("authenticator error stops the call", func(t *testing.T) {
		srv := newTarget(t, statuses(200))
		cfg := fastConfig(srv.URL)
		cfg.Auth = AuthenticatorFunc(func(context.Context, *http.Request) error { return errors.New("no signing key") })
		_, err := mustNew(t, cfg).Do(context.Background(), &Request{Path: "/x"})
		if se := scimErr(t, err); se.Status != http.StatusBadGateway || srv.hits.Load() != 0 {
			t.Errorf("error %v after %d hits; want 502 and no call", err, srv.hits.Load())
		}
	})
}

// tokenServer is a fake OAuth2 token endpoint issuing tok-1, tok-2, ...
type tokenServer struct {
	*testTarget
	mu        sync.Mutex
	forms     []url.Values
	basic     []string // "id:secret" from HTTP Basic, "" when absent
	expiresIn int
	status    int    // when non-zero, fail with it
	errBody   string // body of failures
	issued    atomic.Int32
}

func newTokenServer(t testing.TB, expiresIn int) *tokenServer {
	ts := &tokenServer{expiresIn: expiresIn}
	ts.testTarget = newTarget(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("token request: %v", err)
		}
		id, secret, ok := r.BasicAuth()
		ts.mu.Lock()
		ts.forms = append(ts.forms, r.PostForm)
		if ok {
			ts.basic = append(ts.basic, id+":"+secret)
		} else {
			ts.basic = append(ts.basic, "")
		}
		status, errBody := ts.status, ts.errBody
		ts.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if status != 0 {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(errBody))
			return
		}
		n := ts.issued.Add(1)
		body := map[string]any{"access_token": fmt.Sprintf("tok-%d", n), "token_type": "bearer", "expires_in": ts.expiresIn}
		if r.PostForm.Get("grant_type") == "refresh_token" {
			body["refresh_token"] = fmt.Sprintf("rt-%d", n)
		}
		if err := json.NewEncoder(w).Encode(body); err != nil {
			t.Errorf("encode token: %v", err)
		}
	})
	return ts
}

func (ts *tokenServer) fail(status int, body string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.status, ts.errBody = status, body
}

// bearerTarget accepts "Bearer tok-N" for the tokens accept allows and
// records what it saw.
type bearerTarget struct {
	*testTarget
	mu   sync.Mutex
	seen []string
}

func newBearerTarget(t *testing.T, accept func(token string) bool) *bearerTarget {
	bt := &bearerTarget{}
	bt.testTarget = newTarget(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		bt.mu.Lock()
		bt.seen = append(bt.seen, tok)
		bt.mu.Unlock()
		if !accept(tok) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"code":"ACCESS_FAILED","message":"The request could not be completed. Access token invalid"}`))
		}
	})
	return bt
}

func (bt *bearerTarget) tokens() []string {
	bt.mu.Lock()
	defer bt.mu.Unlock()
	return append([]string(nil), bt.seen...)
}

func TestClientCredentials(t *testing.T) {
	ccConfig := func(ts *tokenServer, style oauth2.AuthStyle) ClientCredentialsConfig {
		return ClientCredentialsConfig{
			TokenURL: ts.URL + "/env/as/token", ClientID: "client-1", ClientSecret: "s3cret-client",
			Scopes: []string{"core.user.read", "core.user.write"}, EndpointParams: url.Values{"audience": {"api"}},
			AuthStyle: style,
		}
	}
	tests := []struct {
		name       string
		expiresIn  int
		accept     func(string) bool
		calls      int
		wantTokens []string // as seen by the target
		wantFetch  int
		wantStatus int
	}{
		{"token fetched once and reused", 3600, func(string) bool { return true }, 3, []string{"tok-1", "tok-1", "tok-1"}, 1, 200},
		// oauth2 treats tokens expiring within 10s as expired.
		{"expired token refreshed", 1, func(string) bool { return true }, 3, []string{"tok-1", "tok-2", "tok-3"}, 3, 200},
		{"401 refetches once", 3600, func(tok string) bool { return tok != "tok-1" }, 2, []string{"tok-1", "tok-2", "tok-2"}, 2, 200},
		{"persistent 401 retried only once", 3600, func(string) bool { return false }, 1, []string{"tok-1", "tok-2"}, 2, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t, tt.expiresIn)
			bt := newBearerTarget(t, tt.accept)
			cfg := fastConfig(bt.URL)
			cfg.Auth = ClientCredentials(ccConfig(ts, oauth2.AuthStyleInParams))
			c := mustNew(t, cfg)
			withRecorder(c)
			var last *Response
			for i := range tt.calls {
				resp, err := c.Do(context.Background(), &Request{Method: "POST", Path: "/environments/e/users", Body: i})
				if err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
				last = resp
			}
			if d := cmp.Diff(tt.wantTokens, bt.tokens()); d != "" {
				t.Errorf("tokens seen by the target (-want +got):\n%s", d)
			}
			if int(ts.hits.Load()) != tt.wantFetch {
				t.Errorf("token fetches = %d, want %d", ts.hits.Load(), tt.wantFetch)
			}
			if last.Status != tt.wantStatus {
				t.Errorf("last status = %d, want %d", last.Status, tt.wantStatus)
			}
			if tt.wantStatus == 401 {
				if se := scimErr(t, last.Err("pingone: create user")); se.Status != http.StatusBadGateway {
					t.Errorf("401 maps to %d, want 502", se.Status)
				}
			}
		})
	}

	t.Run("auth styles", func(t *testing.T) {
		for _, style := range []struct {
			name      string
			style     oauth2.AuthStyle
			wantForm  url.Values
			wantBasic string
		}{
			{"in params (client_secret_post)", oauth2.AuthStyleInParams, url.Values{
				"grant_type": {"client_credentials"}, "scope": {"core.user.read core.user.write"}, "audience": {"api"},
				"client_id": {"client-1"}, "client_secret": {"s3cret-client"},
			}, ""},
			{"in header (client_secret_basic)", oauth2.AuthStyleInHeader, url.Values{
				"grant_type": {"client_credentials"}, "scope": {"core.user.read core.user.write"}, "audience": {"api"},
			}, "client-1:s3cret-client"},
		} {
			t.Run(style.name, func(t *testing.T) {
				ts := newTokenServer(t, 3600)
				bt := newBearerTarget(t, func(string) bool { return true })
				cfg := fastConfig(bt.URL)
				cfg.Auth = ClientCredentials(ccConfig(ts, style.style))
				if _, err := mustNew(t, cfg).Do(context.Background(), &Request{Path: "/x"}); err != nil {
					t.Fatal(err)
				}
				ts.mu.Lock()
				defer ts.mu.Unlock()
				if d := cmp.Diff(style.wantForm, ts.forms[0]); d != "" {
					t.Errorf("token form (-want +got):\n%s", d)
				}
				if ts.basic[0] != style.wantBasic {
					t.Errorf("basic auth %q, want %q", ts.basic[0], style.wantBasic)
				}
			})
		}
	})

	t.Run("token endpoint failures", func(t *testing.T) {
		tests := []struct {
			name       string
			status     int
			wantStatus int
			wantFetch  int32
		}{
			{"invalid_client is not retried", 401, http.StatusBadGateway, 1},
			{"bad request is not retried", 400, http.StatusBadGateway, 1},
			{"unavailable is retried", 503, http.StatusServiceUnavailable, 4},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ts := newTokenServer(t, 3600)
				ts.fail(tt.status, `{"error":"invalid_client","error_description":"bad secret s3cret-client"}`)
				bt := newBearerTarget(t, func(string) bool { return true })
				cfg := fastConfig(bt.URL)
				cfg.Auth = ClientCredentials(ccConfig(ts, oauth2.AuthStyleInParams))
				c := mustNew(t, cfg)
				withRecorder(c)
				_, err := c.Do(context.Background(), &Request{Method: "POST", Path: "/x", Body: 1})
				if se := scimErr(t, err); se.Status != tt.wantStatus {
					t.Errorf("status %d, want %d", se.Status, tt.wantStatus)
				}
				if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "bad secret") {
					t.Errorf("error text leaks the token response: %v", err)
				}
				if ts.hits.Load() != tt.wantFetch || bt.hits.Load() != 0 {
					t.Errorf("token fetches %d, target hits %d; want %d and 0", ts.hits.Load(), bt.hits.Load(), tt.wantFetch)
				}
			})
		}
	})

	t.Run("token endpoint redirect to another host refused", func(t *testing.T) {
		elsewhere := newTokenServer(t, 3600)
		redirector := newTarget(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL+"/token", http.StatusTemporaryRedirect)
		})
		bt := newBearerTarget(t, func(string) bool { return true })
		cfg := fastConfig(bt.URL)
		cfg.Auth = ClientCredentials(ClientCredentialsConfig{TokenURL: redirector.URL + "/token", ClientID: "c", ClientSecret: "s3cret-client"})
		c := mustNew(t, cfg)
		withRecorder(c)
		_, err := c.Do(context.Background(), &Request{Path: "/x"})
		if err == nil || elsewhere.hits.Load() != 0 || bt.hits.Load() != 0 {
			t.Fatalf("Do = %v; redirect target hits %d, target hits %d; want an error and no calls", err, elsewhere.hits.Load(), bt.hits.Load())
		}
	})

	t.Run("token endpoint pinned to its host", func(t *testing.T) {
		a := ClientCredentials(ClientCredentialsConfig{TokenURL: "https://auth.pingone.eu/env/as/token"}).(*oauthAuth)
		if err := a.bind(binding{transport: http.DefaultTransport}); err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest("POST", "https://evil.example/token", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.client.Transport.RoundTrip(req); !errors.Is(err, ErrHostNotAllowed) {
			t.Errorf("RoundTrip to another host = %v, want ErrHostNotAllowed", err)
		}
	})

	t.Run("shared by two clients: one token", func(t *testing.T) {
		ts := newTokenServer(t, 3600)
		vsaex := newBearerTarget(t, func(string) bool { return true })
		vssps := newBearerTarget(t, func(string) bool { return true })
		auth := ClientCredentials(ccConfig(ts, oauth2.AuthStyleInHeader))
		for _, srv := range []*bearerTarget{vsaex, vssps} {
			cfg := fastConfig(srv.URL)
			cfg.Auth = auth
			if _, err := mustNew(t, cfg).Do(context.Background(), &Request{Path: "/x"}); err != nil {
				t.Fatal(err)
			}
		}
		if ts.hits.Load() != 1 {
			t.Errorf("token fetches = %d, want 1", ts.hits.Load())
		}
	})

	t.Run("concurrent calls share one fetch", func(t *testing.T) {
		ts := newTokenServer(t, 3600)
		bt := newBearerTarget(t, func(string) bool { return true })
		cfg := fastConfig(bt.URL)
		cfg.Auth = ClientCredentials(ccConfig(ts, oauth2.AuthStyleInParams))
		c := mustNew(t, cfg)
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				if _, err := c.Do(context.Background(), &Request{Path: "/x"}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if ts.hits.Load() != 1 {
			t.Errorf("token fetches = %d, want 1", ts.hits.Load())
		}
	})
}

func TestRefreshToken(t *testing.T) {
	ts := newTokenServer(t, 1) // every token is already "expired"
	bt := newBearerTarget(t, func(string) bool { return true })
	cfg := fastConfig(bt.URL)
	cfg.Auth = RefreshToken(RefreshTokenConfig{TokenURL: ts.URL + "/oauth/token", ClientID: "goto", ClientSecret: "s3cret-client", RefreshToken: "rt-0", AuthStyle: oauth2.AuthStyleInHeader})
	c := mustNew(t, cfg)
	for range 3 {
		if _, err := c.Do(context.Background(), &Request{Path: "/admin/rest/v1/me"}); err != nil {
			t.Fatal(err)
		}
	}
	ts.mu.Lock()
	var sent []string
	for _, f := range ts.forms {
		sent = append(sent, f.Get("grant_type")+" "+f.Get("refresh_token"))
	}
	ts.mu.Unlock()
	want := []string{"refresh_token rt-0", "refresh_token rt-1", "refresh_token rt-2"}
	if d := cmp.Diff(want, sent); d != "" {
		t.Errorf("refresh requests (-want +got):\n%s", d)
	}
}
