package main

import (
	"github.com/scimconnect/scimconnect/internal/pgtest"
	"github.com/scimconnect/scimconnect/internal/syncbuf"

	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/connector/okta/oktasim"
	"github.com/scimconnect/scimconnect/secrets"
	"github.com/scimconnect/scimconnect/store"
	"github.com/scimconnect/scimconnect/store/postgres"
	"github.com/scimconnect/scimconnect/store/sqlite"
)

// recorder makes HTTP calls and keeps every answer (status line,
// headers, body), labelled, for a scan.
type recorder struct {
	t       *testing.T
	mu      sync.Mutex
	answers []answer
}

type answer struct {
	label string
	text  string
}

func (r *recorder) call(label, method, url, token, body string) (int, []byte) {
	r.t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		ct := "application/json"
		if strings.Contains(url, "/scim/") {
			ct = "application/scim+json"
		}
		req.Header.Set("Content-Type", ct)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	var head bytes.Buffer
	fmt.Fprintf(&head, "%s %s -> %s\n", method, url, res.Status)
	if err := res.Header.Write(&head); err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	r.answers = append(r.answers, answer{label, head.String() + "\n" + string(data)})
	r.mu.Unlock()
	return res.StatusCode, data
}

// serveLogged runs serve until the returned function is called; every
// line it writes goes to logs.
func serveLogged(t *testing.T, path, health string, logs io.Writer) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--config", path}, logs, logs) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(health)
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server did not come up: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}
}

// TestSecretsStayOutOfLogsAndAnswers runs a full flow with every kind of
// secret the process knows (admin token, secret keys, the Okta API
// token, SCIM tokens, the store key), then scans the process output,
// every HTTP answer and what the store keeps for them. A SCIM token may
// appear exactly once: in the answer that hands it out. It runs on the
// embedded store and, when a test database answers, on PostgreSQL.
func TestSecretsStayOutOfLogsAndAnswers(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testSecretScan(t, sqliteScanStore) })
	t.Run("postgres", func(t *testing.T) { testSecretScan(t, postgresScanStore) })
}

// scanStore is the store a secret scan runs on.
type scanStore struct {
	// yaml is the configuration's store: section ("" for the embedded
	// store under data:).
	yaml string
	// open opens the store for the checks made between runs of serve.
	open func(t *testing.T) store.Store
	// atRest returns what the store keeps, to scan: the database files,
	// or every row of every table.
	atRest func(t *testing.T) map[string][]byte
}

// sqliteScanStore is the embedded store in data.
func sqliteScanStore(t *testing.T, data string) scanStore {
	return scanStore{
		open: func(t *testing.T) store.Store {
			st, err := sqlite.Open(context.Background(), filepath.Join(data, "scimconnect.db"))
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
		atRest: func(t *testing.T) map[string][]byte {
			files, err := os.ReadDir(data)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string][]byte{}
			for _, f := range files {
				b, err := os.ReadFile(filepath.Join(data, f.Name()))
				if err != nil {
					t.Fatal(err)
				}
				out[f.Name()] = b
			}
			return out
		},
	}
}

// postgresScanStore is a fresh schema of the test database; the test is
// skipped when none answers (failed under CI=true).
func postgresScanStore(t *testing.T, _ string) scanStore {
	dsn := pgtest.DSN(t)
	schema := fmt.Sprintf("scimtest_secrets_%d", time.Now().UnixNano())
	t.Cleanup(func() { dropSchema(t, dsn, schema) })
	return scanStore{
		yaml: fmt.Sprintf("store: {type: postgres, dsn: %q, schema: %s}\n", dsn, schema),
		open: func(t *testing.T) store.Store {
			st, err := postgres.Open(context.Background(), dsn, postgres.WithSchema(schema))
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
		atRest: func(t *testing.T) map[string][]byte { return dumpSchema(t, dsn, schema) },
	}
}

func testSecretScan(t *testing.T, backend func(t *testing.T, data string) scanStore) {
	const (
		adminToken = "admin-token-secret-scan-0123456789"
		oktaToken  = "00okta-api-token-secret-scan-abcdef"
		wrongOkta  = "00wrong-okta-token-secret-scan-zyxw"
		keyEnv     = "SCIMCONNECT_TEST_SECRET_KEY"
	)
	sim := oktasim.New(oktasim.WithToken(oktaToken))
	target := httptest.NewServer(sim)
	defer target.Close()

	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	be := backend(t, data)
	oldKey := bytes.Repeat([]byte{0x5a}, secrets.KeySize)
	newKey := bytes.Repeat([]byte{0xa5}, secrets.KeySize)
	oldKeyFile, newKeyFile := filepath.Join(dir, "old.key"), filepath.Join(dir, "new.key")
	if err := os.WriteFile(oldKeyFile, []byte(hex.EncodeToString(oldKey)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(newKeyFile, newKey, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(keyEnv, base64.StdEncoding.EncodeToString(newKey))
	addr := freeAddr(t)
	base := "http://" + addr
	path := filepath.Join(dir, "scimconnect.yaml")
	writeConfig := func(secretsSection string) {
		t.Helper()
		cfg := fmt.Sprintf("listen: %s\ndata: %s\n%slog: {level: debug}\nadmin:\n  token: %s\nsecrets:\n%s", addr, data, be.yaml, adminToken, secretsSection)
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeConfig("  key_file: " + oldKeyFile + "\n")

	logs := &syncbuf.Buffer{}
	rec := &recorder{t: t}
	stop := serveLogged(t, path, base+"/healthz", logs)

	// Create the Okta instance: its SCIM token is returned once.
	params := fmt.Sprintf(`{"token":%q,"target_url":%q}`, oktaToken, target.URL)
	status, body := rec.call("create", "POST", base+"/admin/v1/instances", adminToken, `{"name":"okta1","type":"okta","parameters":`+params+`}`)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	var created struct{ Token string }
	if err := json.Unmarshal(body, &created); err != nil || created.Token == "" {
		t.Fatalf("create answer %s: %v", body, err)
	}
	firstToken := created.Token

	// SCIM calls that reach the target.
	users := base + "/scim/okta1/v2/Users"
	user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com","name":{"givenName":"Ada","familyName":"Lovelace"},"emails":[{"value":"ada@example.com","primary":true}]}`
	if status, body := rec.call("scim create", "POST", users, firstToken, user); status != http.StatusCreated {
		t.Fatalf("SCIM create: %d %s", status, body)
	}
	if _, ok := sim.User("ada@example.com"); !ok {
		t.Fatal("the user did not reach the Okta simulator")
	}
	if status, body := rec.call("scim list", "GET", users+"?filter=userName%20eq%20%22ada@example.com%22", firstToken, ""); status != 200 || !strings.Contains(string(body), "Lovelace") {
		t.Fatalf("SCIM list: %d %s", status, body)
	}
	rec.call("scim bad token", "GET", users, "not-the-token-0123456789", "")

	// Admin reads, a connection test, refused changes that carry secrets.
	for _, c := range []struct{ label, method, path, body string }{
		{"list", "GET", "/admin/v1/instances", ""},
		{"get", "GET", "/admin/v1/instances/okta1", ""},
		{"test", "POST", "/admin/v1/instances/okta1/test", ""},
		{"bad url", "POST", "/admin/v1/instances", fmt.Sprintf(`{"name":"okta2","type":"okta","parameters":{"token":%q,"target_url":"not a url"}}`, oktaToken)},
		{"unknown param", "PUT", "/admin/v1/instances/okta1", fmt.Sprintf(`{"parameters":{"token":%q,"target_url":%q,"x":1}}`, oktaToken, target.URL)},
		{"wrong token", "POST", "/admin/v1/instances", fmt.Sprintf(`{"name":"okta3","type":"okta","parameters":{"token":%q,"target_url":%q}}`, wrongOkta, target.URL)},
		{"wrong token test", "POST", "/admin/v1/instances/okta3/test", ""},
		{"bad admin token", "GET", "/admin/v1/instances", ""},
	} {
		token := adminToken
		if c.label == "bad admin token" {
			token = oktaToken
		}
		rec.call(c.label, c.method, base+c.path, token, c.body)
	}

	// Rotate: the new token is returned once; the old one stops working.
	status, body = rec.call("rotate", "POST", base+"/admin/v1/instances/okta1/token", adminToken, "")
	if status != 200 {
		t.Fatalf("rotate: %d %s", status, body)
	}
	var rotated struct{ Token string }
	if err := json.Unmarshal(body, &rotated); err != nil || rotated.Token == "" {
		t.Fatalf("rotate answer %s: %v", body, err)
	}
	if status, _ := rec.call("scim old token", "GET", users, firstToken, ""); status != http.StatusUnauthorized {
		t.Errorf("old token after rotation: %d", status)
	}
	stop()

	// Rekey under the new key, then serve with it from the environment.
	if err := run(context.Background(), []string{"rekey", "--config", path, "--new-key-file", newKeyFile}, logs, logs); err != nil {
		t.Fatalf("rekey: %v\n%s", err, logs)
	}
	newID := mustKeyID(t, newKey)
	stored, storeKey := storedSecrets(t, be.open(t), newKey)
	for name, token := range stored {
		if !strings.HasPrefix(token, "enc:v2:"+newID+":") {
			t.Errorf("%s: stored token %q is not sealed under the new key %s", name, token, newID)
		}
	}
	writeConfig("  key_env: " + keyEnv + "\n")
	stop = serveLogged(t, path, base+"/healthz", logs)
	if status, body := rec.call("scim after rekey", "GET", users, rotated.Token, ""); status != 200 || !strings.Contains(string(body), "Lovelace") {
		t.Errorf("SCIM after rekey: %d %s", status, body)
	}
	rec.call("get after rekey", "GET", base+"/admin/v1/instances/okta1", adminToken, "")
	stop()

	// The scan.
	type secret struct {
		name, value string
		onceIn      string // the answer that may carry it exactly once
	}
	all := []secret{
		{"admin token", adminToken, ""},
		{"okta API token", oktaToken, ""},
		{"wrong okta API token", wrongOkta, ""},
		{"first SCIM token", firstToken, "create"},
		{"rotated SCIM token", rotated.Token, "rotate"},
	}
	for i, k := range [][]byte{oldKey, newKey, storeKey} {
		for form, v := range map[string]string{"raw": string(k), "hex": hex.EncodeToString(k), "base64": base64.StdEncoding.EncodeToString(k), "base64url": base64.RawURLEncoding.EncodeToString(k)} {
			name := fmt.Sprintf("key %d (%s)", i+1, form)
			if i == 2 {
				name = "store key (" + form + ")"
			}
			all = append(all, secret{name, v, ""})
		}
	}
	output := logs.String()
	if !strings.Contains(output, "okta1") || !strings.Contains(output, "re-encrypted 2 secret parameter(s)") ||
		!strings.Contains(output, "re-encrypted the store key under key id "+newID) {
		t.Fatalf("the process output misses what it should show:\n%s", output)
	}
	for _, s := range all {
		if strings.Contains(output, s.value) {
			t.Errorf("the %s is in the process output", s.name)
		}
		seen := 0
		for _, a := range rec.answers {
			n := strings.Count(a.text, s.value)
			if n == 0 {
				continue
			}
			if a.label != s.onceIn || n != 1 {
				t.Errorf("the %s is in the answer %q (%d times):\n%s", s.name, a.label, n, a.text)
			}
			seen += n
		}
		if s.onceIn != "" && seen != 1 {
			t.Errorf("the %s was returned %d times, want once", s.name, seen)
		}
	}
	// What the store keeps (database files, WAL; or every row) holds no
	// Okta token, admin token or store key in plaintext, nor hex-encoded
	// as PostgreSQL prints bytea.
	atRest := be.atRest(t)
	holdsInstance := false
	for _, b := range atRest {
		holdsInstance = holdsInstance || bytes.Contains(b, []byte("okta1"))
	}
	if !holdsInstance {
		t.Error("what the store keeps does not show the instance okta1: the scan reads the wrong thing")
	}
	for name, b := range atRest {
		for _, s := range []struct{ name, value string }{{"okta API token", oktaToken}, {"wrong okta API token", wrongOkta}, {"admin token", adminToken}, {"store key", string(storeKey)}} {
			if bytes.Contains(b, []byte(s.value)) || bytes.Contains(b, []byte(hex.EncodeToString([]byte(s.value)))) {
				t.Errorf("%s holds the %s in plaintext", name, s.name)
			}
		}
	}
}

func mustKeyID(t *testing.T, raw []byte) string {
	t.Helper()
	k, err := secrets.NewKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return k.ID()
}

// storedSecrets returns the stored "token" parameter of every instance,
// and checks that none holds it in plaintext; and the store key, which
// must be sealed under key.
func storedSecrets(t *testing.T, st store.Store, key []byte) (map[string]string, []byte) {
	t.Helper()
	ctx := context.Background()
	defer st.Close()
	out := map[string]string{}
	var storeKey []byte
	err := st.View(ctx, func(tx store.Tx) error {
		sealed, err := tx.GetSetting(ctx, cursorKeySetting)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(string(sealed), "enc:v2:"+mustKeyID(t, key)+":") {
			t.Errorf("the store key is not sealed under key %s: %q", mustKeyID(t, key), sealed)
		}
		k, err := secrets.NewKey(key)
		if err != nil {
			return err
		}
		ring, err := secrets.NewKeyring(k)
		if err != nil {
			return err
		}
		if storeKey, err = openCursorKey(sealed, ring); err != nil {
			return err
		}
		rows, err := tx.ListInstances(ctx)
		if err != nil {
			return err
		}
		for _, row := range rows {
			var p struct{ Token string }
			if err := json.Unmarshal(row.Config, &p); err != nil {
				return fmt.Errorf("%s: %w", row.Name, err)
			}
			if !secrets.IsEnvelope(p.Token) {
				t.Errorf("%s: stored Config holds the token in plaintext: %s", row.Name, row.Config)
			}
			out[row.Name] = p.Token
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 {
		t.Errorf("stored instances %v, want okta1 and okta3", out)
	}
	return out, storeKey
}

func TestRekeyArguments(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "scimconnect.yaml")
	if err := os.WriteFile(path, []byte("data: "+filepath.Join(dir, "data")+"\nsecrets: {key_env: SCIMCONNECT_TEST_UNSET_KEY}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "new.key")
	if err := os.WriteFile(keyFile, bytes.Repeat([]byte{3}, secrets.KeySize), 0o600); err != nil {
		t.Fatal(err)
	}
	noKeyPath := filepath.Join(dir, "nokey.yaml")
	if err := os.WriteFile(noKeyPath, []byte("data: "+filepath.Join(dir, "data")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badKey := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(badKey, []byte("not-a-key"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no new key", []string{"--config", path}, "--new-key-file PATH or --new-key-env NAME"},
		{"both new keys", []string{"--config", path, "--new-key-file", keyFile, "--new-key-env", "X"}, "one of them"},
		{"current key unset", []string{"--config", path, "--new-key-file", keyFile}, "SCIMCONNECT_TEST_UNSET_KEY is not set"},
		{"missing config", []string{"--config", filepath.Join(dir, "none.yaml"), "--new-key-file", keyFile}, "none.yaml"},
		{"bad new key", []string{"--config", noKeyPath, "--new-key-file", badKey}, "new key: key file " + badKey},
		{"extra argument", []string{"--config", path, "--new-key-file", keyFile, "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), append([]string{"rekey"}, tt.args...), &out, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error()+out.String(), string(bytes.Repeat([]byte{3}, secrets.KeySize))) {
				t.Error("a key is in the output")
			}
		})
	}
}
