package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/gateway"
	"github.com/scimconnect/scimconnect/secrets"
	"github.com/scimconnect/scimconnect/store"
)

// A secret parameter is stored in store.Instance.Config as a JSON string
// holding a secrets envelope of the parameter's JSON value, e.g.
//
//	{"token": "enc:v1:3f2a...:Zm9v...", "target_url": "https://acme.okta.com"}
//
// so that the Config stays a JSON object of parameter names to values and
// non-secret parameters stay readable. Encrypting the JSON value rather
// than a string keeps secrets of any JSON type.

// noSecretKey is the answer when a request would store a secret and no
// key is configured: secrets are never written in plaintext.
func noSecretKey(name string) *apiError {
	return &apiError{http.StatusConflict, "no_secret_key",
		fmt.Sprintf("parameter %q is secret and no secret key is configured (secrets.key_file or secrets.key_env): secrets are never stored in plaintext", name),
		"parameters." + name}
}

// secretContext is what a sealed parameter is bound to: a value copied to
// another instance or parameter in the store does not decrypt there, so
// that nobody who can write the store but holds no key can make an
// instance send another instance's secret to a target of their choice.
func secretContext(instance, param string) string {
	return "scimconnect/instance/" + instance + "/parameter/" + param
}

// sealParams encodes params for the store with every set secret
// parameter encrypted under the keyring's current key, bound to the
// instance and parameter.
func sealParams(keys *secrets.Keyring, instance string, typ connector.Type, params map[string]json.RawMessage) ([]byte, error) {
	out := make(map[string]json.RawMessage, len(params))
	for k, v := range params {
		out[k] = v
	}
	for _, p := range typ.Params {
		v, ok := out[p.Name]
		if !p.Secret || !ok || isEmpty(v) {
			continue
		}
		if keys == nil {
			return nil, noSecretKey(p.Name)
		}
		var plain bytes.Buffer
		if err := json.Compact(&plain, v); err != nil {
			return nil, badRequest("invalid_value", "parameters."+p.Name, "parameter %q is not a JSON value", p.Name)
		}
		env, err := keys.Encrypt(plain.String(), secretContext(instance, p.Name))
		if err != nil {
			return nil, fmt.Errorf("encrypt parameter %q: %w", p.Name, err)
		}
		if out[p.Name], err = json.Marshal(env); err != nil {
			return nil, fmt.Errorf("encode parameter %q: %w", p.Name, err)
		}
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode parameters: %w", err)
	}
	return raw, nil
}

// openValue returns the plaintext JSON value of a stored secret
// parameter. A value that is not an envelope was stored in plaintext
// before secrets were encrypted (rekey encrypts it) and is returned as is.
func openValue(keys *secrets.Keyring, instance, name string, v json.RawMessage) (json.RawMessage, error) {
	var s string
	if json.Unmarshal(v, &s) != nil || !secrets.IsEnvelope(s) {
		return v, nil
	}
	if keys == nil {
		id, _ := secrets.KeyIDOf(s)
		return nil, fmt.Errorf("parameter %q is encrypted under key id %s and no secret key is configured", name, id)
	}
	plain, err := keys.Decrypt(s, secretContext(instance, name))
	if err != nil {
		return nil, fmt.Errorf("parameter %q: %w", name, err)
	}
	if !json.Valid([]byte(plain)) {
		return nil, fmt.Errorf("parameter %q: decrypted value is not JSON", name)
	}
	return json.RawMessage(plain), nil
}

// openParams returns stored parameters with every secret decrypted, as
// the connector takes them.
func openParams(keys *secrets.Keyring, instance string, typ connector.Type, stored []byte) ([]byte, error) {
	params, err := storedParams(stored)
	if err != nil || params == nil {
		return stored, err
	}
	changed := false
	for _, p := range typ.Params {
		v, ok := params[p.Name]
		if !p.Secret || !ok {
			continue
		}
		plain, err := openValue(keys, instance, p.Name, v)
		if err != nil {
			return nil, err
		}
		params[p.Name], changed = plain, true
	}
	if !changed {
		return stored, nil
	}
	return json.Marshal(params)
}

// storedParams decodes a stored Config; nil for none.
func storedParams(stored []byte) (map[string]json.RawMessage, error) {
	if len(bytes.TrimSpace(stored)) == 0 {
		return nil, nil
	}
	var params map[string]json.RawMessage
	if err := json.Unmarshal(stored, &params); err != nil {
		return nil, fmt.Errorf("stored parameters are not a JSON object: %w", err)
	}
	return params, nil
}

// mountSpec turns a stored instance into what the gateway mounts, its
// secrets decrypted.
func mountSpec(opts Options, row *store.Instance, attrs attributes) (gateway.InstanceSpec, error) {
	s, err := spec(row, attrs)
	if err != nil {
		return gateway.InstanceSpec{}, err
	}
	typ, ok := opts.Registry[row.Type]
	if !ok {
		return s, nil // Mount reports the unknown type
	}
	params, err := openParams(opts.Secrets, row.Name, typ, row.Config)
	if err != nil {
		return gateway.InstanceSpec{}, fmt.Errorf("instance %q: %w", row.Name, err)
	}
	s.Params = params
	return s, nil
}

// Rekey re-encrypts every secret parameter of every stored instance
// under to's current key, in one transaction of st: values sealed under a
// key of from, and values stored in plaintext (before a key was
// configured), end up sealed under to. from may be nil when no key was
// configured. It returns the number of values re-encrypted. A value that
// from cannot open aborts the whole rekey, so nothing is left half done.
func Rekey(ctx context.Context, st store.Store, reg connector.Registry, from, to *secrets.Keyring) (int, error) {
	if to == nil {
		return 0, errors.New("admin: rekey needs a new key")
	}
	count := 0
	err := st.Update(ctx, func(tx store.Tx) error {
		count = 0
		rows, err := tx.ListInstances(ctx)
		if err != nil {
			return err
		}
		for _, row := range rows {
			typ, ok := reg[row.Type]
			if !ok {
				return fmt.Errorf("instance %q: unknown connector type %q: its secret parameters are unknown", row.Name, row.Type)
			}
			params, err := storedParams(row.Config)
			if err != nil {
				return fmt.Errorf("instance %q: %w", row.Name, err)
			}
			n := 0
			for _, p := range typ.Params {
				v, ok := params[p.Name]
				if !p.Secret || !ok || isEmpty(v) {
					continue
				}
				plain, err := openValue(from, row.Name, p.Name, v)
				if err != nil {
					return fmt.Errorf("instance %q: %w", row.Name, err)
				}
				params[p.Name] = plain
				n++
			}
			if n == 0 {
				continue
			}
			if row.Config, err = sealParams(to, row.Name, typ, params); err != nil {
				return fmt.Errorf("instance %q: %w", row.Name, err)
			}
			if err := tx.UpdateInstance(ctx, row); err != nil {
				return fmt.Errorf("instance %q: %w", row.Name, err)
			}
			count += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("admin: rekey: %w", err)
	}
	return count, nil
}
