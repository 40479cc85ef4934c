package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSecrets(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    Secrets
		enabled bool
		errs    []string // substrings of the error; none: valid
	}{
		{"absent", "listen: 127.0.0.1:1\n", Secrets{}, false, nil},
		{"key file", "secrets: {key_file: /etc/scimconnect/secret.key}\n", Secrets{KeyFile: "/etc/scimconnect/secret.key"}, true, nil},
		{"key env", "secrets: {key_env: SCIMCONNECT_SECRET_KEY}\n", Secrets{KeyEnv: "SCIMCONNECT_SECRET_KEY"}, true, nil},
		{"rotation", "secrets: {key_file: new.key, old_key_files: [old.key], old_key_envs: [OLD_KEY]}\n",
			Secrets{KeyFile: "new.key", OldKeyFiles: []string{"old.key"}, OldKeyEnvs: []string{"OLD_KEY"}}, true, nil},
		{"both", "secrets: {key_file: a, key_env: B}\n", Secrets{}, false, []string{"secrets: set key_file or key_env, not both"}},
		{"env value instead of name", "secrets: {key_env: '0123abcd-not-a-name'}\n", Secrets{}, false, []string{"secrets.key_env:"}},
		{"bad old env", "secrets: {key_env: K, old_key_envs: ['a b']}\n", Secrets{}, false, []string{"secrets.old_key_envs[0]:"}},
		{"old key without current", "secrets: {old_key_files: [old.key]}\n", Secrets{}, false, []string{"old keys need a current key"}},
		{"empty old file", "secrets: {key_env: K, old_key_files: ['']}\n", Secrets{}, false, []string{"secrets.old_key_files[0]: empty path"}},
		{"unknown key", "secrets: {key: abc}\n", Secrets{}, false, []string{"key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := parseExpecting(t, tt.src, tt.errs)
			if f == nil {
				return
			}
			if diff := cmp.Diff(tt.want, f.Secrets); diff != "" {
				t.Errorf("secrets (-want +got):\n%s", diff)
			}
			if f.Secrets.Enabled() != tt.enabled {
				t.Errorf("Enabled() = %v", f.Secrets.Enabled())
			}
		})
	}
}
