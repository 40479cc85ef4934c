package httpx

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

func benchmarkDo(b *testing.B, auth func(b *testing.B) Authenticator) {
	body := []byte(`[` + strings.Repeat(`{"id":"00u1","status":"ACTIVE","profile":{"login":"ada@example.com"}},`, 15) + `{}]`)
	srv := newTarget(b, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Rate-Limit-Remaining", "599")
		w.Header().Add("Link", `<https://acme.okta.com/api/v1/users?after=abc&limit=2>; rel="next"`)
		_, _ = w.Write(body)
	})
	cfg := fastConfig(srv.URL)
	cfg.Auth = auth(b)
	cfg.RateLimitHeaders = OktaRateLimitHeaders
	c, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	req := &Request{Path: "/api/v1/users", Query: url.Values{"limit": {"200"}}}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Do(context.Background(), req)
			if err != nil || resp.Status != 200 {
				b.Errorf("Do: %v", err)
				return
			}
		}
	})
}

func BenchmarkDo(b *testing.B) {
	b.Run("SSWS", func(b *testing.B) {
		benchmarkDo(b, func(*testing.B) Authenticator { return HeaderToken("Authorization", "SSWS", "tok") })
	})
	b.Run("ClientCredentials cached", func(b *testing.B) {
		benchmarkDo(b, func(b *testing.B) Authenticator {
			ts := newTokenServer(b, 3600)
			return ClientCredentials(ClientCredentialsConfig{TokenURL: ts.URL + "/token", ClientID: "c", ClientSecret: "s", AuthStyle: oauth2.AuthStyleInParams})
		})
	})
}

func BenchmarkLinks(b *testing.B) {
	u, err := url.Parse("https://acme.okta.com/api/v1/users?limit=200")
	if err != nil {
		b.Fatal(err)
	}
	r := &Response{URL: u, Header: http.Header{"Link": {
		`<https://acme.okta.com/api/v1/users?limit=200>; rel="self"`,
		`<https://acme.okta.com/api/v1/users?after=00ubfjQEMYBLRUWIEDKK&limit=200>; rel="next"`,
	}}}
	b.ReportAllocs()
	for b.Loop() {
		if r.Links()["next"] == "" {
			b.Fatal("no next link")
		}
	}
}
