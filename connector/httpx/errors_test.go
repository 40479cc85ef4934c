package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/scimconnect/scimconnect/scim"
)

// oktaMessage is an Okta connector's error extractor: errorSummary and
// the errorCauses' summaries.
func oktaMessage(body []byte) string {
	var e struct {
		ErrorSummary string `json:"errorSummary"`
		ErrorCauses  []struct {
			ErrorSummary string `json:"errorSummary"`
		} `json:"errorCauses"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	parts := []string{e.ErrorSummary}
	for _, c := range e.ErrorCauses {
		parts = append(parts, c.ErrorSummary)
	}
	return strings.Join(parts, ": ")
}

func TestTranslateError(t *testing.T) {
	tests := []struct {
		status    int
		msg       string
		want      scim.Error
		retryable bool
	}{
		{404, "Not found: Resource not found: xyz (User)", scim.Error{Status: 404, Detail: "the resource does not exist in the target: Not found: Resource not found: xyz (User)"}, false},
		{410, "", scim.Error{Status: 404, Detail: "the resource does not exist in the target"}, false},
		{409, "", scim.Error{Status: 409, ScimType: scim.Uniqueness, Detail: "the target reports a conflict with an existing resource"}, false},
		{400, "login: An object with this field already exists", scim.Error{Status: 400, ScimType: scim.InvalidValue, Detail: "the target rejected the request: login: An object with this field already exists"}, false},
		{422, "email: must be a well-formed email address", scim.Error{Status: 400, ScimType: scim.InvalidValue, Detail: "the target rejected the request: email: must be a well-formed email address"}, false},
		{412, "", scim.Error{Status: 412, Detail: "the resource changed in the target"}, false},
		{401, "", scim.Error{Status: 502, Detail: "the target rejected scimconnect's credentials"}, false},
		{403, "You do not have permission", scim.Error{Status: 502, Detail: "the target denied scimconnect's credentials this operation: You do not have permission"}, false},
		{429, "", scim.Error{Status: 503, Detail: "the target is unavailable or rate limited (HTTP 429); try again later", RetryAfter: 5}, true},
		{500, "", scim.Error{Status: 503, Detail: "the target is unavailable or rate limited (HTTP 500); try again later", RetryAfter: 5}, true},
		{504, "", scim.Error{Status: 503, Detail: "the target is unavailable or rate limited (HTTP 504); try again later", RetryAfter: 5}, true},
		{405, "", scim.Error{Status: 502, Detail: "unexpected response from the target (HTTP 405)"}, false},
		{302, "", scim.Error{Status: 502, Detail: "unexpected response from the target (HTTP 302)"}, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			err := TranslateError(tt.status, []byte(`{"x":1}`), tt.msg)
			if d := cmp.Diff(tt.want, *scimErr(t, err)); d != "" {
				t.Errorf("scim error (-want +got):\n%s", d)
			}
			var te *TargetError
			if !errors.As(err, &te) || te.Status != tt.status || te.Retryable != tt.retryable || te.Body != `{"x":1}` {
				t.Errorf("TargetError = %+v", te)
			}
		})
	}
	t.Run("long message and body are clipped", func(t *testing.T) {
		err := TranslateError(400, []byte(strings.Repeat("é", 1000)), strings.Repeat("m", 1000))
		var te *TargetError
		if !errors.As(err, &te) || len(te.Body) > maxSnippet+len("…") || len(te.SCIM().Detail) > maxMessage+100 {
			t.Errorf("not clipped: body %d bytes, detail %d bytes", len(te.Body), len(te.SCIM().Detail))
		}
		if !strings.HasSuffix(te.Body, "é…") {
			t.Errorf("body cut inside a rune: %q", te.Body[len(te.Body)-8:])
		}
	})
}

func TestResponseErr(t *testing.T) {
	srv := newTarget(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
		case "/dup":
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"errorCode":"E0000001","errorSummary":"Api validation failed: login","errorCauses":[{"errorSummary":"login: An object with this field already exists in the current organization"}]}`))
		case "/gone":
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"errorCode":"E0000007","errorSummary":"Not found: Resource not found: 00u1 (User)"}`))
		case "/busy":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(503)
		}
	})
	cfg := fastConfig(srv.URL)
	cfg.ErrorMessage = oktaMessage
	c := mustNew(t, cfg)
	withRecorder(c)
	tests := []struct {
		path    string
		wantErr string
		want    *scim.Error
	}{
		{"/ok", "", nil},
		{"/dup", "okta: create user: target returned HTTP 400: the target rejected the request: Api validation failed: login: login: An object with this field already exists in the current organization",
			&scim.Error{Status: 400, ScimType: scim.InvalidValue, Detail: "the target rejected the request: Api validation failed: login: login: An object with this field already exists in the current organization"}},
		{"/gone", "okta: create user: target returned HTTP 404: the resource does not exist in the target: Not found: Resource not found: 00u1 (User)",
			&scim.Error{Status: 404, Detail: "the resource does not exist in the target: Not found: Resource not found: 00u1 (User)"}},
		{"/busy", "okta: create user: target returned HTTP 503: the target is unavailable or rate limited (HTTP 503); try again later",
			&scim.Error{Status: 503, Detail: "the target is unavailable or rate limited (HTTP 503); try again later", RetryAfter: 120}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := c.Do(context.Background(), &Request{Path: tt.path})
			if err != nil {
				t.Fatal(err)
			}
			err = resp.Err("okta: create user")
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Err = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Err text = %v\nwant        %s", err, tt.wantErr)
			}
			if d := cmp.Diff(*tt.want, *scimErr(t, err)); d != "" {
				t.Errorf("scim error (-want +got):\n%s", d)
			}
		})
	}
}

func TestLinks(t *testing.T) {
	tests := []struct {
		name    string
		reqURL  string
		headers []string
		want    map[string]string
	}{
		{"Okta: one link per header", "https://acme.okta.com/api/v1/users?limit=2", []string{
			`<https://acme.okta.com/api/v1/users?limit=2>; rel="self"`,
			`<https://acme.okta.com/api/v1/users?after=abc&limit=2>; rel="next"`,
		}, map[string]string{"self": "https://acme.okta.com/api/v1/users?limit=2", "next": "https://acme.okta.com/api/v1/users?after=abc&limit=2"}},
		{"comma-separated in one header", "https://x/a", []string{
			`<https://x/api/v1/users?after=abc&limit=2>; rel="next", <https://x/api/v1/users?limit=2>; rel=self`,
		}, map[string]string{"next": "https://x/api/v1/users?after=abc&limit=2", "self": "https://x/api/v1/users?limit=2"}},
		{"relative reference resolved", "https://x/api/v1/users?limit=2", []string{`</api/v1/users?after=z>; rel=next`},
			map[string]string{"next": "https://x/api/v1/users?after=z"}},
		{"several relation types, case-folded", "https://x/", []string{`<https://x/p/3>; rel="Next LAST"`},
			map[string]string{"next": "https://x/p/3", "last": "https://x/p/3"}},
		{"commas and semicolons inside the URI and quotes", "https://x/", []string{`<https://x/a?f=1,2;3>; title="a, b; c"; rel="next"`},
			map[string]string{"next": "https://x/a?f=1,2;3"}},
		{"first rel parameter counts", "https://x/", []string{`<https://x/1>; rel=next; rel=prev`},
			map[string]string{"next": "https://x/1"}},
		{"first link of a relation wins", "https://x/", []string{`<https://x/1>; rel=next`, `<https://x/2>; rel=next`},
			map[string]string{"next": "https://x/1"}},
		{"malformed values skipped", "https://x/", []string{`garbage; rel=next, <https://x/ok>; rel=prev, <https://x/noend; rel=last`},
			map[string]string{"prev": "https://x/ok"}},
		{"link without rel ignored", "https://x/", []string{`<https://x/1>; title="x"`}, map[string]string{}},
		{"no Link header", "https://x/", nil, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.reqURL)
			if err != nil {
				t.Fatal(err)
			}
			r := &Response{Header: http.Header{"Link": tt.headers}, URL: u}
			if d := cmp.Diff(tt.want, r.Links()); d != "" {
				t.Errorf("Links (-want +got):\n%s", d)
			}
			// Link answers one relation as Links does.
			for _, rel := range []string{"next", "PREV", "self", "last", "none"} {
				if got, want := r.Link(rel), tt.want[strings.ToLower(rel)]; got != want {
					t.Errorf("Link(%q) = %q, want %q", rel, got, want)
				}
			}
		})
	}

	t.Run("paging through an Okta-style list", func(t *testing.T) {
		var srvURL string
		srv := newTarget(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			after := r.URL.Query().Get("after")
			w.Header().Add("Link", fmt.Sprintf(`<%s/api/v1/users?limit=2>; rel="self"`, srvURL))
			switch after {
			case "":
				w.Header().Add("Link", fmt.Sprintf(`<%s/api/v1/users?after=abc&limit=2>; rel="next"`, srvURL))
				_, _ = w.Write([]byte(`[{"id":"1"},{"id":"2"}]`))
			case "abc":
				_, _ = w.Write([]byte(`[{"id":"3"}]`))
			}
		})
		srvURL = srv.URL
		c := mustNew(t, fastConfig(srv.URL))
		var ids []string
		req := &Request{Path: "/api/v1/users", Query: url.Values{"limit": {"2"}}}
		for req != nil {
			resp, err := c.Do(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			var page []struct{ ID string }
			if err := resp.DecodeJSON(&page); err != nil {
				t.Fatal(err)
			}
			for _, p := range page {
				ids = append(ids, p.ID)
			}
			req = nil
			if next, ok := resp.Links()["next"]; ok {
				req = &Request{URL: next}
			}
		}
		if d := cmp.Diff([]string{"1", "2", "3"}, ids); d != "" {
			t.Errorf("ids (-want +got):\n%s", d)
		}
	})
}

func FuzzParseLinkHeader(f *testing.F) {
	for _, s := range []string{`<https://x/a>; rel="next"`, `<a>;rel=x, <b>; rel="y z"`, `<`, `<a>; rel="`, `"<,>"`, `<a>; x=";,\"", <b>;rel=c`, `<<>;rel`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, l := range parseLinkHeader(s) {
			if strings.ContainsAny(l.uri, "<>") {
				t.Errorf("uri %q contains angle brackets", l.uri)
			}
			if strings.TrimSpace(l.rel) == "" {
				t.Errorf("link %q without a relation type", l.uri)
			}
		}
	})
}

func TestNoSecretsLeak(t *testing.T) {
	const (
		apiToken     = "00SSWS-api-token-xyz"
		pat          = "azure-pat-secret-123"
		clientSecret = "client-secret-456"
		refreshTok   = "refresh-token-789"
	)
	ts := newTokenServer(t, 3600)
	// The target echoes the credentials it got into its error body and
	// message, like careless APIs do.
	srv := newTarget(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		authz := r.Header.Get("Authorization") + r.Header.Get("X-Api-Key")
		w.Header().Set("X-Rate-Limit-Remaining", "10")
		switch r.URL.Path {
		case "/bad":
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"errorSummary":"invalid header %s","errorCauses":[{"errorSummary":"token %s"}]}`, authz, strings.Fields(authz + " x")[len(strings.Fields(authz+" x"))-2])
		case "/unavailable":
			w.WriteHeader(503)
			fmt.Fprintf(w, `{"errorSummary":"%s"}`, authz)
		default:
			w.WriteHeader(401)
		}
	})
	auths := []struct {
		name    string
		auth    func() Authenticator
		secrets []string
	}{
		{"SSWS", func() Authenticator { return HeaderToken("Authorization", "SSWS", apiToken) }, []string{apiToken}},
		{"API key header", func() Authenticator { return HeaderToken("X-Api-Key", "", apiToken) }, []string{apiToken}},
		{"Bearer", func() Authenticator { return Bearer(apiToken) }, []string{apiToken}},
		{"Basic PAT", func() Authenticator { return Basic("", pat) }, []string{pat, "OmF6dXJlLXBhdC1zZWNyZXQtMTIz"}},
		{"client credentials", func() Authenticator {
			return ClientCredentials(ClientCredentialsConfig{TokenURL: ts.URL + "/token", ClientID: "cid", ClientSecret: clientSecret, AuthStyle: oauth2.AuthStyleInHeader})
		}, []string{clientSecret, "tok-"}},
		{"refresh token", func() Authenticator {
			return RefreshToken(RefreshTokenConfig{TokenURL: ts.URL + "/token", ClientID: "cid", ClientSecret: clientSecret, RefreshToken: refreshTok})
		}, []string{clientSecret, refreshTok, "tok-", "rt-"}},
	}
	for _, a := range auths {
		t.Run(a.name, func(t *testing.T) {
			var logs logBuffer
			auth := a.auth()
			cfg := fastConfig(srv.URL)
			cfg.Auth = auth
			cfg.Logger = debugLogger(&logs)
			cfg.ErrorMessage = oktaMessage
			cfg.RateLimitHeaders = OktaRateLimitHeaders
			c := mustNew(t, cfg)
			withRecorder(c)
			var texts []string
			for _, path := range []string{"/bad", "/unavailable", "/unauthorized"} {
				resp, err := c.Do(context.Background(), &Request{Method: "POST", Path: path, Query: url.Values{"api_key": {apiToken}}, Body: 1})
				if err != nil {
					t.Fatalf("Do %s: %v", path, err)
				}
				err = resp.Err("test")
				if err == nil {
					t.Fatalf("%s: no error", path)
				}
				var te *TargetError
				if !errors.As(err, &te) {
					t.Fatalf("%s: no TargetError", path)
				}
				texts = append(texts, err.Error(), te.Body, scimErr(t, err).Detail)
			}
			// Token endpoint failure echoing the secret.
			ts.fail(401, fmt.Sprintf(`{"error":"invalid_client","error_description":"%s %s"}`, clientSecret, refreshTok))
			if _, err := mustNew(t, Config{BaseURL: srv.URL, Auth: a.auth(), Logger: debugLogger(&logs)}).Do(context.Background(), &Request{Path: "/x"}); err != nil {
				texts = append(texts, err.Error())
			}
			ts.fail(0, "")
			// Transport failure with the secret in the query.
			dead := mustNew(t, Config{BaseURL: "http://127.0.0.1:1", Auth: auth, Logger: debugLogger(&logs), MaxRetries: -1})
			if _, err := dead.Do(context.Background(), &Request{Path: "/x", Query: url.Values{"api_key": {apiToken}}}); err != nil {
				texts = append(texts, err.Error())
			} else {
				t.Error("call to a closed port succeeded")
			}
			texts = append(texts, logs.String(),
				fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, auth),
				fmt.Sprintf("%v %+v %#v", ClientCredentialsConfig{ClientSecret: clientSecret}, RefreshTokenConfig{ClientSecret: clientSecret, RefreshToken: refreshTok}, RefreshTokenConfig{RefreshToken: refreshTok}))
			if !strings.Contains(logs.String(), "msg=\"target call\"") {
				t.Fatal("no call was logged")
			}
			all := strings.Join(texts, "\n")
			for _, s := range append(a.secrets, apiToken, pat, clientSecret, refreshTok) {
				if strings.Contains(all, s) {
					t.Errorf("%q leaked:\n%s", s, all)
				}
			}
		})
	}
}
