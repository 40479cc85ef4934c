package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/config"
	"github.com/scimconnect/scimconnect/internal/syncbuf"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestServeFromConfig(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	t.Setenv("TEST_HR_TOKEN", "hr-token-0123456789abcdef")
	t.Setenv("TEST_METRICS_TOKEN", "metrics-token-0123456789abcdef")
	cfg := fmt.Sprintf("listen: %s\ndata: %s\nlog: {format: json}\nmetrics:\n  token: ${TEST_METRICS_TOKEN}\ntrusted_proxies: [127.0.0.1]\nlimits: {auth_failures: 2, auth_failure_refill: 1h}\ninstances:\n  - name: hr\n    type: local\n    token: ${TEST_HR_TOKEN}\n", addr, filepath.Join(dir, "data"))
	path := filepath.Join(dir, "scimconnect.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := &syncbuf.Buffer{}, &syncbuf.Buffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--config", path}, stdout, stderr) }()

	base := "http://" + addr + "/scim/hr/v2"
	var res *http.Response
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequest("GET", base+"/ServiceProviderConfig", nil)
		req.Header.Set("Authorization", "Bearer hr-token-0123456789abcdef")
		var err error
		if res, err = http.DefaultClient.Do(req); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up: %v\n%s", err, stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("ServiceProviderConfig: %d", res.StatusCode)
	}
	unauth, err := http.Get(base + "/Users")
	if err != nil {
		t.Fatal(err)
	}
	unauth.Body.Close()
	if unauth.StatusCode != 401 {
		t.Errorf("without token: %d", unauth.StatusCode)
	}
	// metrics.token guards /metrics.
	get := func(path, token, forwardedFor string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if forwardedFor != "" {
			req.Header.Set("X-Forwarded-For", forwardedFor)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := get("/metrics", "", "198.51.100.1"); got != 401 {
		t.Errorf("/metrics without its token: %d, want 401", got)
	}
	if got := get("/metrics", "metrics-token-0123456789abcdef", ""); got != 200 {
		t.Errorf("/metrics with its token: %d, want 200", got)
	}
	// limits.auth_failures: 2 per client; behind the trusted proxy
	// 127.0.0.1 the client is the X-Forwarded-For address.
	for i, want := range []int{401, 401, 429} {
		if got := get("/scim/hr/v2/Users", "wrong", "203.0.113.7"); got != want {
			t.Errorf("failure %d of 203.0.113.7: %d, want %d", i, got, want)
		}
	}
	if got := get("/scim/hr/v2/Users", "wrong", "203.0.113.8"); got != 401 {
		t.Errorf("another client behind the proxy: %d, want 401 (its own budget)", got)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
	logs := stderr.String()
	if !strings.Contains(logs, `"msg":"request"`) || strings.Contains(logs, "hr-token-0123456789abcdef") {
		t.Errorf("JSON request logs missing or token logged:\n%s", logs)
	}
}

func TestServeRejectsBadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(path, []byte("instances:\n  - {name: x, type: nope, token: 0123456789abcdef}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"serve", "--config", path}, &syncbuf.Buffer{}, &syncbuf.Buffer{})
	if err == nil || !strings.Contains(err.Error(), `instances[0].type: unknown connector type "nope"`) {
		t.Errorf("err = %v", err)
	}
}

// TestServeRejectsParameterCase: a parameter is spelled as declared.
// Connectors read "Token:" as the secret token, and the checks and masks
// that name parameters would miss it.
func TestServeRejectsParameterCase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "case.yaml")
	cfg := "instances:\n  - name: o\n    type: okta\n    token: 0123456789abcdef\n    parameters: {Token: x, target_url: \"https://acme.okta.com\"}\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"serve", "--config", path}, &syncbuf.Buffer{}, &syncbuf.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "instances[0].parameters.Token: unknown parameter of connector type okta, which takes") {
		t.Errorf("err = %v", err)
	}
}

func TestCommands(t *testing.T) {
	out := &syncbuf.Buffer{}
	if err := run(context.Background(), []string{"version"}, out, out); err != nil || !strings.HasPrefix(out.String(), "scimconnect ") {
		t.Errorf("version: %v %q", err, out)
	}
	out = &syncbuf.Buffer{}
	if err := run(context.Background(), []string{"connectors"}, out, out); err != nil || !strings.Contains(out.String(), "local") || !strings.Contains(out.String(), "1.0") {
		t.Errorf("connectors: %v %q", err, out)
	}
	if err := run(context.Background(), []string{"frobnicate"}, &syncbuf.Buffer{}, &syncbuf.Buffer{}); err == nil {
		t.Error("unknown command accepted")
	}
}

// TestCommandLine: help goes to stdout with status 0; a mistake on the
// command line prints the usage to stderr and exits with status 2; both
// the same way for every command, and no command starts with a stray
// argument.
func TestCommandLine(t *testing.T) {
	tests := []struct {
		args   []string
		status int
		stdout string // a fragment the output must have
		stderr string
	}{
		{nil, 2, "", "Usage:"},
		{[]string{"--help"}, 0, "Usage:", ""},
		{[]string{"help"}, 0, "Usage:", ""},
		{[]string{"help", "serve"}, 0, "Usage: scimconnect serve", ""},
		{[]string{"frobnicate"}, 2, "", "Usage:"},
		{[]string{"--frobnicate"}, 2, "", "Usage:"},
		{[]string{"version"}, 0, "scimconnect " + version, ""},
		{[]string{"version", "-h"}, 0, "Usage: scimconnect version", ""},
		{[]string{"connectors", "--help"}, 0, "Usage: scimconnect connectors", ""},
		{[]string{"connectors", "extra"}, 2, "", "Usage: scimconnect connectors"},
		{[]string{"serve", "--help"}, 0, "-config", ""},
		{[]string{"serve", "-h"}, 0, "-config", ""},
		{[]string{"serve", "--frobnicate"}, 2, "", "Usage: scimconnect serve"},
		{[]string{"serve", "--config"}, 2, "", "Usage: scimconnect serve"},
		{[]string{"serve", "extra"}, 2, "", "Usage: scimconnect serve"},
		{[]string{"demo", "--help"}, 0, "-state-file", ""},
		{[]string{"demo", "--addr"}, 2, "", "Usage: scimconnect demo"},
		{[]string{"demo", "extra"}, 2, "", "Usage: scimconnect demo"},
		{[]string{"sim", "--help"}, 0, "Types with a simulator: okta", ""},
		{[]string{"sim", "okta", "-h"}, 0, "-addr", ""},
		{[]string{"sim"}, 2, "", "Usage: scimconnect sim"},
		{[]string{"sim", "nope"}, 2, "", "Usage: scimconnect sim"},
		{[]string{"sim", "okta", "--addr"}, 2, "", "Usage: scimconnect sim"},
		{[]string{"rekey", "--help"}, 0, "-new-key-file", ""},
		{[]string{"rekey", "--frobnicate"}, 2, "", "Usage: scimconnect rekey"},
		{[]string{"rekey", "--config", "x.yaml"}, 2, "", "Usage: scimconnect rekey"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // nothing may start serving
			var stdout, stderr bytes.Buffer
			err := run(ctx, tt.args, &stdout, &stderr)
			if got := exitCode(err); got != tt.status {
				t.Errorf("exit status %d (%v), want %d", got, err, tt.status)
			}
			if !strings.Contains(stdout.String(), tt.stdout) || (tt.stdout == "" && stdout.Len() > 0) {
				t.Errorf("stdout %q, want %q", stdout.String(), tt.stdout)
			}
			if !strings.Contains(stderr.String(), tt.stderr) || (tt.stderr == "" && stderr.Len() > 0) {
				t.Errorf("stderr %q, want %q", stderr.String(), tt.stderr)
			}
		})
	}
}

// TestServeOnPostgres runs serve with the PostgreSQL store when a server
// answers (SCIMCONNECT_TEST_POSTGRES_DSN, else the local default); under
// CI=true a missing server is a failure, elsewhere a skip.
func TestServeOnPostgres(t *testing.T) {
	dsn := os.Getenv("SCIMCONNECT_TEST_POSTGRES_DSN")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:5432", time.Second); err != nil && os.Getenv("SCIMCONNECT_TEST_POSTGRES_DSN") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no PostgreSQL at 127.0.0.1:5432 (CI=true requires one): %v", err)
		}
		t.Skipf("no PostgreSQL at 127.0.0.1:5432: %v", err)
	} else if c != nil {
		c.Close()
	}
	schema := fmt.Sprintf("scimtest_serve_%d", time.Now().UnixNano())
	dir := t.TempDir()
	addr := freeAddr(t)
	cfg := fmt.Sprintf("listen: %s\nstore: {type: postgres, dsn: %q, schema: %s}\ninstances:\n  - {name: pg, type: local, token: pg-token-0123456789abcdef}\n", addr, dsn, schema)
	path := filepath.Join(dir, "pg.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncbuf.Buffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--config", path}, &syncbuf.Buffer{}, stderr) }()
	t.Cleanup(func() {
		cancel()
		<-done
		dropSchema(t, dsn, schema)
	})
	base := "http://" + addr + "/scim/pg/v2"
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"pg@example.com"}`
	deadline := time.Now().Add(15 * time.Second)
	for {
		req, _ := http.NewRequest("POST", base+"/Users", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer pg-token-0123456789abcdef")
		req.Header.Set("Content-Type", "application/scim+json")
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode != 201 {
				t.Fatalf("create on postgres: %d\n%s", res.StatusCode, stderr)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up: %v\n%s", err, stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	req, _ := http.NewRequest("GET", base+`/Users?filter=userName%20eq%20%22PG@example.com%22`, nil)
	req.Header.Set("Authorization", "Bearer pg-token-0123456789abcdef")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	res.Body.Close()
	if !strings.Contains(buf.String(), `"totalResults":1`) {
		t.Errorf("filter on postgres: %s", buf.String())
	}
}

// TestServeClientCredentials: an instance configured with an OAuth client
// and no static token: the client gets an access token at the instance's
// token endpoint and uses it; a read-only client cannot write.
func TestServeClientCredentials(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	cfg := fmt.Sprintf(`listen: %s
data: %s
instances:
  - name: oneim
    type: local
    auth:
      client_credentials:
        - {client_id: writer, client_secret: writer-secret-0123456789}
        - {client_id: reader, client_secret: reader-secret-0123456789, read_only: true}
`, addr, filepath.Join(dir, "data"))
	path := filepath.Join(dir, "cc.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	stderr := &syncbuf.Buffer{}
	go func() { done <- run(ctx, []string{"serve", "--config", path}, &syncbuf.Buffer{}, stderr) }()
	t.Cleanup(func() { cancel(); <-done })

	token := func(id, secret string) string {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			req, _ := http.NewRequest("POST", "http://"+addr+"/scim/oneim/oauth/token", strings.NewReader("grant_type=client_credentials"))
			req.SetBasicAuth(id, secret)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := http.DefaultClient.Do(req)
			if err == nil {
				var body struct {
					AccessToken string `json:"access_token"`
					TokenType   string `json:"token_type"`
				}
				err = json.NewDecoder(res.Body).Decode(&body)
				res.Body.Close()
				if res.StatusCode != 200 || err != nil || body.AccessToken == "" {
					t.Fatalf("token for %s: %d %v", id, res.StatusCode, err)
				}
				return body.AccessToken
			}
			if time.Now().After(deadline) {
				t.Fatalf("server did not come up: %v\n%s", err, stderr)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	call := func(tok, method, path, body string) int {
		req, _ := http.NewRequest(method, "http://"+addr+"/scim/oneim/v2"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/scim+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"cc@example.com"}`
	w := token("writer", "writer-secret-0123456789")
	if got := call(w, "POST", "/Users", user); got != 201 {
		t.Errorf("writer create: %d", got)
	}
	r := token("reader", "reader-secret-0123456789")
	if got := call(r, "GET", "/Users", ""); got != 200 {
		t.Errorf("reader list: %d", got)
	}
	if got := call(r, "POST", "/Users", user); got != 403 {
		t.Errorf("reader create: %d, want 403", got)
	}
	if got := call("not-a-token", "GET", "/Users", ""); got != 401 {
		t.Errorf("bad token: %d", got)
	}
}

// TestRequestTimeout: each SCIM request's deadline is nine tenths of the
// server's write timeout, so a slow request ends in a SCIM error before
// the server drops its connection.
func TestRequestTimeout(t *testing.T) {
	for _, tc := range []struct {
		limits config.Limits
		want   time.Duration
	}{
		{config.Limits{}, 54 * time.Second},
		{config.Limits{WriteTimeout: 10 * time.Second}, 9 * time.Second},
		{config.Limits{WriteTimeout: 5 * time.Minute}, 270 * time.Second},
	} {
		if got := requestTimeout(tc.limits); got != tc.want {
			t.Errorf("requestTimeout(write %v) = %v, want %v", tc.limits.WriteTimeout, got, tc.want)
		}
	}
}
