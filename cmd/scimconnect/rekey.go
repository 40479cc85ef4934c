package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/scimconnect/scimconnect/admin"
	"github.com/scimconnect/scimconnect/config"
	"github.com/scimconnect/scimconnect/connector/builtin"
	"github.com/scimconnect/scimconnect/secrets"
)

// loadKeyring reads the secret keys a configuration names; nil when none
// is configured.
func loadKeyring(c config.Secrets) (*secrets.Keyring, error) {
	if !c.Enabled() {
		return nil, nil
	}
	current, err := loadKey(c.KeyFile, c.KeyEnv)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	var old []*secrets.Key
	for _, path := range c.OldKeyFiles {
		k, err := secrets.LoadKeyFile(path)
		if err != nil {
			return nil, fmt.Errorf("secrets.old_key_files: %w", err)
		}
		old = append(old, k)
	}
	for _, name := range c.OldKeyEnvs {
		k, err := secrets.LoadKeyEnv(name)
		if err != nil {
			return nil, fmt.Errorf("secrets.old_key_envs: %w", err)
		}
		old = append(old, k)
	}
	return secrets.NewKeyring(current, old...)
}

// loadKey reads one key from a file or an environment variable.
func loadKey(file, env string) (*secrets.Key, error) {
	if file != "" {
		return secrets.LoadKeyFile(file)
	}
	return secrets.LoadKeyEnv(env)
}

// cmdRekey re-encrypts every stored secret parameter under a new key, in
// one store transaction. With the embedded store, serve must be stopped
// (it holds the database); with PostgreSQL, running replicas keep serving
// the instances they have mounted, but must be restarted with the new key
// before they can mount or change an instance again.
func cmdRekey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("rekey")
	path := fs.String("config", "scimconnect.yaml", "configuration file; its secrets: section names the current key")
	newFile := fs.String("new-key-file", "", "file holding the new key (32 raw bytes, 64 hex digits or base64)")
	newEnv := fs.String("new-key-env", "", "environment variable holding the new key, instead of --new-key-file")
	const synopsis = "rekey --config scimconnect.yaml (--new-key-file PATH | --new-key-env NAME)"
	if err := parseFlags(fs, synopsis, args, stdout, stderr); err != nil {
		return err
	}
	if (*newFile == "") == (*newEnv == "") {
		return misused(stderr, fs, synopsis, errors.New("rekey: give the new key with --new-key-file PATH or --new-key-env NAME (one of them)"))
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	from, err := loadKeyring(cfg.Secrets)
	if err != nil {
		return err
	}
	newKey, err := loadKey(*newFile, *newEnv)
	if err != nil {
		return fmt.Errorf("rekey: new key: %w", err)
	}
	to, err := secrets.NewKeyring(newKey)
	if err != nil {
		return err
	}
	data := cfg.Data
	if data == "" {
		data = "./data"
	}
	st, err := openConfiguredStore(ctx, cfg, data)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := checkCursorKey(ctx, st, from, to); err != nil {
		return err
	}
	n, err := admin.Rekey(ctx, st, builtin.Registry(), from, to)
	if err != nil {
		return err
	}
	where := "key_file: " + *newFile
	if *newEnv != "" {
		where = "key_env: " + *newEnv
	}
	fmt.Fprintf(stdout, "re-encrypted %d secret parameter(s) under key id %s\n", n, to.KeyID())
	// The store-wide key (cursors, access tokens) is sealed too when a
	// secret key is configured: the old key must not be needed to open it.
	if found, err := resealCursorKey(ctx, st, from, to); err != nil {
		return err
	} else if found {
		fmt.Fprintf(stdout, "re-encrypted the store key under key id %s\n", to.KeyID())
	}
	fmt.Fprintf(stdout, "now set secrets.%s in %s (the old key no longer opens them) and restart serve\n", where, *path)
	return nil
}
