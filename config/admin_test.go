package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseAdmin(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	tests := []struct {
		name    string
		src     string
		want    Admin
		enabled bool
		errs    []string // substrings of the error; none: valid
	}{
		{"absent", "listen: 127.0.0.1:1\n", Admin{}, false, nil},
		{"token", "admin: {token: admin-token-0123456789}\n", Admin{Token: "admin-token-0123456789"}, true, nil},
		{"hash and listen", "admin: {token_sha256: " + hash + ", listen: 127.0.0.1:9001}\n", Admin{TokenSHA256: hash, Listen: "127.0.0.1:9001"}, true, nil},
		{"both", "admin: {token: admin-token-0123456789, token_sha256: " + hash + "}\n", Admin{}, false, []string{"admin: set token or token_sha256, not both"}},
		{"short", "admin: {token: short}\n", Admin{}, false, []string{"admin.token: too short"}},
		{"bad hash", "admin: {token_sha256: xyz}\n", Admin{}, false, []string{"admin.token_sha256: must be 64 hex digits"}},
		{"listen without token", "admin: {listen: 127.0.0.1:9001}\n", Admin{}, false, []string{"admin.listen: set admin.token"}},
		{"bad listen", "admin: {token: admin-token-0123456789, listen: nope}\n", Admin{}, false, []string{`admin.listen: "nope" is not host:port`}},
		{"unknown key", "admin: {tokn: x}\n", Admin{}, false, []string{"tokn"}},
		{"same as a SCIM token", "admin: {token: shared-token-0123456789}\ninstances:\n  - {name: a, type: local, token: shared-token-0123456789}\n", Admin{}, false, []string{"instances[0].token: must differ from admin.token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := parseExpecting(t, tt.src, tt.errs)
			if f == nil {
				return
			}
			if diff := cmp.Diff(tt.want, f.Admin); diff != "" {
				t.Errorf("admin (-want +got):\n%s", diff)
			}
			if f.Admin.Enabled() != tt.enabled {
				t.Errorf("Enabled() = %v", f.Admin.Enabled())
			}
		})
	}
}
