package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParseValid(t *testing.T) {
	src := `
listen: 127.0.0.1:9000
public_url: https://scim.example.com
log: {format: json, level: debug}
limits: {max_page_size: 500, cursor_ttl: 5m, auth_failures: 3, auth_failure_refill: 2s}
metrics: {token: metrics-token-0123456789}
trusted_proxies: [10.1.2.3, "fd00::/8"]
instances:
  - name: hr
    type: local
    token: ${HR_TOKEN}
    parameters: {a: "x-${SUFFIX}"}
`
	f, err := Parse([]byte(src), env(map[string]string{"HR_TOKEN": "0123456789abcdef0123", "SUFFIX": "y"}))
	if err != nil {
		t.Fatal(err)
	}
	want := Instance{Name: "hr", Type: "local", Token: "0123456789abcdef0123", Parameters: map[string]any{"a": "x-y"}}
	if diff := cmp.Diff(want, f.Instances[0]); diff != "" {
		t.Errorf("instance (-want +got):\n%s", diff)
	}
	if f.Limits.MaxPageSize != 500 || f.Limits.CursorTTL.Minutes() != 5 || f.Log.Format != "json" ||
		f.Limits.AuthFailures != 3 || f.Limits.AuthFailureRefill.Seconds() != 2 || f.Metrics.Token != "metrics-token-0123456789" {
		t.Errorf("limits/log/metrics not decoded: %+v %+v %+v", f.Limits, f.Log, f.Metrics)
	}
	proxies, err := ParsePrefixes(f.TrustedProxies)
	if err != nil || len(proxies) != 2 || proxies[0].String() != "10.1.2.3/32" || proxies[1].String() != "fd00::/8" {
		t.Errorf("trusted proxies %v, %v", proxies, err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // substrings that must all appear
	}{
		{"unknown key", "listen: 127.0.0.1:1\nlisen: x\n", []string{"lisen"}},
		{"unknown instance key", "instances:\n  - name: a\n    type: local\n    token: 0123456789abcdef\n    tokn: x\n", []string{"tokn"}},
		{"unset env", "instances:\n  - name: a\n    type: local\n    token: ${NOPE}\n", []string{"instances[0].token: environment variable NOPE is not set"}},
		{"all problems at once", "listen: nope\nlog: {format: xml}\ninstances:\n  - name: A!\n    token: short\n  - type: local\n", []string{
			`listen: "nope" is not host:port`, `log.format: "xml"`, `instances[0].name: "A!"`, "instances[0].type: required",
			"instances[0].token: too short", "instances[1].name: required", "instances[1].token: required",
		}},
		{"duplicate name", "instances:\n  - {name: a, type: local, token: 0123456789abcdef}\n  - {name: a, type: local, token: 0123456789abcdef}\n", []string{`instances[1].name: "a" is used by another instance`}},
		{"both tokens", "instances:\n  - {name: a, type: local, token: 0123456789abcdef, token_sha256: " + strings.Repeat("a", 64) + "}\n", []string{"set token or token_sha256, not both"}},
		{"bad hash", "instances:\n  - {name: a, type: local, token_sha256: xyz}\n", []string{"token_sha256: must be 64 hex digits"}},
		{"negative limit", "limits: {max_body_bytes: -1}\n", []string{"limits.max_body_bytes: must not be negative"}},
		{"negative auth budget", "limits: {auth_failures: -1, auth_failure_refill: -1s}\n", []string{"limits.auth_failures: must not be negative", "limits.auth_failure_refill: must not be negative"}},
		{"bad trusted proxy", "trusted_proxies: [10.0.0.0/8, proxy.example]\n", []string{`trusted_proxies: "proxy.example" is not an address or CIDR prefix`}},
		{"short metrics token", "metrics: {token: short}\n", []string{"metrics.token: too short"}},
		{"both metrics tokens", "metrics: {token: 0123456789abcdef, token_sha256: " + strings.Repeat("a", 64) + "}\n", []string{"metrics: set token or token_sha256, not both"}},
		{"not yaml", "instances: [\n", []string{"config:"}},
		{"postgres without dsn", "store: {type: postgres}\n", []string{"store.dsn: required for type postgres"}},
		{"unknown store", "store: {type: mysql}\n", []string{`store.type: "mysql" must be sqlite or postgres`}},
		{"dsn for sqlite", "store: {dsn: x}\n", []string{"store: dsn and schema are for type postgres"}},
		{"auth problems", "instances:\n  - name: a\n    type: local\n    auth:\n      token_read_only: true\n      client_credentials:\n        - {client_id: c, client_secret: short}\n        - {client_id: c, client_secret_sha256: xyz, token_ttl: 48h}\n      jwt:\n        - {issuer: i, jwks_url: 'http://example.com/keys'}\n", []string{
			"instances[0].auth.token_read_only: needs token or token_sha256",
			"instances[0].auth.client_credentials[0].client_secret: too short",
			`instances[0].auth.client_credentials[1].client_id: "c" is used by another client`,
			"instances[0].auth.client_credentials[1].client_secret_sha256: must be 64 hex digits",
			"instances[0].auth.client_credentials[1].token_ttl: must be between",
			"instances[0].auth.jwt[0].audience: required",
			"must be an https URL",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.src), env(nil))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	f, err := Parse(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Instances) != 0 || f.Listen != "" {
		t.Errorf("empty file decoded to %+v", f)
	}
}

func TestEnvValueStaysString(t *testing.T) {
	// A token made only of digits must not turn into a YAML number.
	f, err := Parse([]byte("instances:\n  - {name: a, type: local, token: \"${T}\"}\n"), env(map[string]string{"T": "12345678901234567890"}))
	if err != nil {
		t.Fatal(err)
	}
	if f.Instances[0].Token != "12345678901234567890" {
		t.Errorf("token = %q", f.Instances[0].Token)
	}
}

// parseExpecting parses src: with errs, it checks that parsing fails with
// every fragment in errs and returns nil; without, it returns the file.
func parseExpecting(t *testing.T, src string, errs []string) *File {
	t.Helper()
	f, err := Parse([]byte(src), env(nil))
	if len(errs) > 0 {
		if err == nil {
			t.Fatal("no error")
		}
		for _, want := range errs {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestProblemsNameFieldAndLine: an unknown key or a value of the wrong
// kind is reported with its field and its line in the file as written
// (comments and blank lines included), all at once with the other
// problems, and never with a value that came from the environment.
func TestProblemsNameFieldAndLine(t *testing.T) {
	src := `# scimconnect

listen: 127.0.0.1:9000

limits:
  max_page: 10
  max_page_size: lots
  cursor_ttl: 10
  read_timeout: ${TIMEOUT}
instances:
  - name: hr
    type: local
    token: ${NOPE}
    disabled_attributes: ${SECRET}
    auth:
      token_read_only: maybe
      client_credentials: {client_id: x}
`
	_, err := Parse([]byte(src), env(map[string]string{"SECRET": "s3cr3t-value-0123456789", "TIMEOUT": "forever-s3cr3t"}))
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	for _, want := range []string{
		"limits.max_page: unknown key (line 6); limits takes max_body_bytes, default_page_size, max_page_size,",
		`limits.max_page_size: "lots" must be a whole number (line 7)`,
		`limits.cursor_ttl: "10" must be a duration such as 90s, 10m or 1h (line 8)`,
		"limits.read_timeout: must be a duration such as 90s, 10m or 1h (the value from the environment is not shown) (line 9)",
		"instances[0].token: environment variable NOPE is not set",
		"instances[0].disabled_attributes: must be a list (line 14)",
		`instances[0].auth.token_read_only: "maybe" must be true or false (line 16)`,
		"instances[0].auth.client_credentials: must be a list (line 17)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
	for _, secret := range []string{"s3cr3t", "forever"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows a value from the environment (%q):\n%s", secret, err)
		}
	}
}

// TestEnvNumbers: ${VAR} works for numbers, booleans and durations too,
// while string values stay strings.
func TestEnvNumbers(t *testing.T) {
	src := `
limits:
  max_page_size: ${MAX}
  bulk_max_payload: ${PAYLOAD}
  cursor_ttl: ${TTL}
instances:
  - name: hr
    type: local
    token: ${TOKEN}
    parameters: {n: "${MAX}"}
    auth:
      token_read_only: ${RO}
`
	f, err := Parse([]byte(src), env(map[string]string{"MAX": "500", "PAYLOAD": "4194304", "TTL": "5m", "RO": "true", "TOKEN": "12345678901234567890"}))
	if err != nil {
		t.Fatal(err)
	}
	l := f.Limits
	if l.MaxPageSize != 500 || l.BulkMaxPayload != 4194304 || l.CursorTTL.Minutes() != 5 || !f.Instances[0].Auth.TokenReadOnly {
		t.Errorf("limits %+v, auth %+v", l, f.Instances[0].Auth)
	}
	if f.Instances[0].Token != "12345678901234567890" || f.Instances[0].Parameters["n"] != "500" {
		t.Errorf("strings did not stay strings: %q %#v", f.Instances[0].Token, f.Instances[0].Parameters)
	}
}
