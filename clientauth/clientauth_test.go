package clientauth_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/clientauth"
)

func TestGrantPermits(t *testing.T) {
	ro := clientauth.Grant{ReadOnly: true}
	tests := []struct {
		method, path string
		want         bool
	}{
		{"GET", "/Users", true},
		{"HEAD", "/Users/1", true},
		{"POST", "/Users/.search", true},
		{"POST", "/.search", true},
		{"POST", "/Users", false},
		{"POST", "/Bulk", false},
		{"POST", "/Users/.searchx", false},
		{"PUT", "/Users/1", false},
		{"PATCH", "/Users/1", false},
		{"DELETE", "/Users/1", false},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			if got := ro.Permits(tt.method, tt.path); got != tt.want {
				t.Errorf("read-only: %v, want %v", got, tt.want)
			}
			if !(clientauth.Grant{}).Permits(tt.method, tt.path) {
				t.Error("a read-write grant refused")
			}
		})
	}
}

func TestSigners(t *testing.T) {
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	derived, err := clientauth.DeriveKey([]byte("a secret of at least thirty-two bytes!!"))
	if err != nil {
		t.Fatal(err)
	}
	hmacSigner, err := clientauth.NewHMACSigner(derived)
	if err != nil {
		t.Fatal(err)
	}
	edSigner, err := clientauth.NewEd25519Signer(edKey)
	if err != nil {
		t.Fatal(err)
	}
	client := clientauth.Client{ID: "c1", SecretHash: clientauth.HashSecret("s1"), ReadOnly: true, TokenTTL: time.Minute}
	now := time.Now()
	for _, s := range []struct {
		name   string
		signer *clientauth.Signer
	}{{"HS256", hmacSigner}, {"EdDSA", edSigner}} {
		tok, ttl, err := s.signer.Issue("inst", client, now)
		if err != nil {
			t.Fatal(err)
		}
		if ttl != time.Minute {
			t.Errorf("%s: ttl %s", s.name, ttl)
		}
		rotated := client
		rotated.SecretHash = clientauth.HashSecret("s2")
		tests := []struct {
			name     string
			instance string
			clients  []clientauth.Client
			at       time.Time
			ok       bool
		}{
			{"valid", "inst", []clientauth.Client{client}, now, true},
			{"other instance", "other", []clientauth.Client{client}, now, false},
			{"client removed", "inst", nil, now, false},
			{"secret changed", "inst", []clientauth.Client{rotated}, now, false},
			{"expired", "inst", []clientauth.Client{client}, now.Add(time.Minute + clientauth.DefaultClockSkew + time.Second), false},
		}
		for _, tt := range tests {
			t.Run(s.name+"/"+tt.name, func(t *testing.T) {
				g, err := s.signer.Verify(tok, tt.instance, tt.clients, tt.at)
				if (err == nil) != tt.ok {
					t.Fatalf("error %v, want ok=%v", err, tt.ok)
				}
				if err != nil && !errors.Is(err, clientauth.ErrInvalidToken) {
					t.Errorf("error %v does not wrap ErrInvalidToken", err)
				}
				if tt.ok && g != (clientauth.Grant{Method: clientauth.MethodClientCredentials, Client: "c1", ReadOnly: true}) {
					t.Errorf("grant %+v", g)
				}
			})
		}
	}
	t.Run("tokens of one key fail with another", func(t *testing.T) {
		tok, _, err := edSigner.Issue("inst", client, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := hmacSigner.Verify(tok, "inst", []clientauth.Client{client}, now); err == nil {
			t.Error("an EdDSA token verified with the HMAC signer")
		}
	})
	t.Run("short HMAC key", func(t *testing.T) {
		if _, err := clientauth.NewHMACSigner(make([]byte, 16)); err == nil {
			t.Error("a 16-byte key was accepted")
		}
	})
}

func TestParseTokenRequestBasicIsFormEncoded(t *testing.T) {
	// RFC 6749 §2.3.1: "a:b" with a space in the secret, form-encoded.
	r := httptest.NewRequest("POST", "/t", strings.NewReader("grant_type=client_credentials"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth(url.QueryEscape("id:1"), url.QueryEscape("se cret+%"))
	req, oerr := clientauth.ParseTokenRequest(httptest.NewRecorder(), r)
	if oerr != nil {
		t.Fatal(oerr)
	}
	if diff := cmp.Diff(clientauth.TokenRequest{ClientID: "id:1", ClientSecret: "se cret+%"}, req); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
}

func TestAuthenticateClient(t *testing.T) {
	clients := []clientauth.Client{{ID: "a", SecretHash: clientauth.HashSecret("sa")}, {ID: "b", SecretHash: clientauth.HashSecret("sb")}}
	tests := []struct {
		id, secret, want string
	}{
		{"a", "sa", "a"}, {"b", "sb", "b"}, {"a", "sb", ""}, {"c", "sa", ""}, {"", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.id+"/"+tt.secret, func(t *testing.T) {
			c, ok := clientauth.AuthenticateClient(clients, tt.id, tt.secret)
			if ok != (tt.want != "") || c.ID != tt.want {
				t.Errorf("got %q %v, want %q", c.ID, ok, tt.want)
			}
		})
	}
}

// jwksServer serves the JWKS of keys and counts the fetches.
type jwksServer struct {
	fetches atomic.Int64
	mu      sync.Mutex
	keys    []jose.JSONWebKey
}

func (s *jwksServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.fetches.Add(1)
	s.mu.Lock()
	set := jose.JSONWebKeySet{Keys: s.keys}
	s.mu.Unlock()
	_ = json.NewEncoder(w).Encode(set)
}

func TestKeySetRefetchIsRateLimited(t *testing.T) {
	srv := &jwksServer{}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	ks := clientauth.NewKeySet(hs.URL, clientauth.KeySetOptions{MinRefresh: time.Minute, MaxAge: time.Hour, Now: func() time.Time { return now }})
	ctx := context.Background()
	steps := []struct {
		name    string
		advance time.Duration
		publish bool
		kid     string
		found   bool
		fetches int64
	}{
		{"first use fetches", 0, false, "k1", false, 1},
		{"unknown kid again within MinRefresh: no fetch", 10 * time.Second, true, "k1", false, 1},
		{"after MinRefresh: refetch finds it", time.Minute, false, "k1", true, 2},
		{"known kid: cached", 10 * time.Minute, false, "k1", true, 2},
		{"after MaxAge: refetch", time.Hour, false, "k1", true, 3},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			now = now.Add(st.advance)
			if st.publish {
				srv.mu.Lock()
				srv.keys = []jose.JSONWebKey{{Key: edKey.Public(), KeyID: "k1", Algorithm: "EdDSA", Use: "sig"}}
				srv.mu.Unlock()
			}
			keys, err := ks.Keys(ctx, st.kid)
			if st.found != (err == nil && len(keys) == 1) {
				t.Errorf("keys %v, error %v; want found=%v", keys, err, st.found)
			}
			if !st.found && !errors.Is(err, clientauth.ErrUnknownKey) {
				t.Errorf("error %v, want ErrUnknownKey", err)
			}
			if got := srv.fetches.Load(); got != st.fetches {
				t.Errorf("%d fetches, want %d", got, st.fetches)
			}
		})
	}
}

func TestKeySetFetchTimesOut(t *testing.T) {
	release := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hs.Close()
	defer close(release)
	ks := clientauth.NewKeySet(hs.URL, clientauth.KeySetOptions{Timeout: 50 * time.Millisecond})
	_, err := ks.Keys(context.Background(), "k1")
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, clientauth.ErrKeysUnavailable) {
		t.Fatalf("error %v, want a deadline and ErrKeysUnavailable", err)
	}
}

// A failed fetch is remembered until the next allowed refetch: tokens in
// between get ErrKeysUnavailable, not ErrUnknownKey, without a fetch.
func TestKeySetOutage(t *testing.T) {
	var down atomic.Bool
	srv := &jwksServer{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			srv.fetches.Add(1)
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		srv.ServeHTTP(w, r)
	}))
	defer hs.Close()
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srv.keys = []jose.JSONWebKey{{Key: edKey.Public(), KeyID: "k1", Algorithm: "EdDSA", Use: "sig"}}
	now := time.Unix(1_700_000_000, 0)
	ks := clientauth.NewKeySet(hs.URL, clientauth.KeySetOptions{MinRefresh: time.Minute, MaxAge: time.Hour, Now: func() time.Time { return now }})
	ctx := context.Background()
	down.Store(true)
	for i, advance := range []time.Duration{0, 10 * time.Second} {
		now = now.Add(advance)
		if _, err := ks.Keys(ctx, "k1"); !errors.Is(err, clientauth.ErrKeysUnavailable) {
			t.Errorf("call %d during the outage: error %v, want ErrKeysUnavailable", i, err)
		}
	}
	if got := srv.fetches.Load(); got != 1 {
		t.Errorf("%d fetches during the outage, want 1 (MinRefresh)", got)
	}
	down.Store(false)
	now = now.Add(time.Minute)
	if keys, err := ks.Keys(ctx, "k1"); err != nil || len(keys) != 1 {
		t.Fatalf("after the outage: keys %v, error %v", keys, err)
	}
	if _, err := ks.Keys(ctx, "k9"); !errors.Is(err, clientauth.ErrUnknownKey) || errors.Is(err, clientauth.ErrKeysUnavailable) {
		t.Errorf("unknown kid with the JWKS up: error %v, want ErrUnknownKey only", err)
	}
}

// A JWKS configured as https must not arrive over plain http through a
// redirect: anyone on that path could plant signing keys. A redirect that
// stays on https is followed.
func TestKeySetRefusesRedirectToHTTP(t *testing.T) {
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	plain := &jwksServer{keys: []jose.JSONWebKey{{Key: edKey.Public(), KeyID: "k1", Algorithm: "EdDSA", Use: "sig"}}}
	hs := httptest.NewServer(plain)
	defer hs.Close()
	tlsKeys := &jwksServer{keys: plain.keys}
	var ts *httptest.Server
	ts = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-http":
			http.Redirect(w, r, hs.URL+"/keys", http.StatusFound)
		case "/to-https":
			http.Redirect(w, r, ts.URL+"/keys", http.StatusFound)
		default:
			tlsKeys.ServeHTTP(w, r)
		}
	}))
	defer ts.Close()
	ctx := context.Background()
	ks := clientauth.NewKeySet(ts.URL+"/to-http", clientauth.KeySetOptions{Client: ts.Client()})
	if keys, err := ks.Keys(ctx, "k1"); !errors.Is(err, clientauth.ErrKeysUnavailable) {
		t.Errorf("redirected to http: keys %v, error %v; want ErrKeysUnavailable", keys, err)
	}
	if got := plain.fetches.Load(); got != 0 {
		t.Errorf("the plain http JWKS was fetched %d times", got)
	}
	ks = clientauth.NewKeySet(ts.URL+"/to-https", clientauth.KeySetOptions{Client: ts.Client()})
	if keys, err := ks.Keys(ctx, "k1"); err != nil || len(keys) != 1 {
		t.Errorf("redirected within https: keys %v, error %v", keys, err)
	}
}
