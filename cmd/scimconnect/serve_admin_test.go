package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/internal/syncbuf"
)

// TestServeAdminAPI runs serve with the admin API, creates an instance
// through it, and restarts serve: the stored instance is served again
// with its token. It runs with the admin API on the main listener and on
// its own.
func TestServeAdminAPI(t *testing.T) {
	const adminToken = "admin-token-0123456789abcdef"
	for _, separate := range []bool{false, true} {
		t.Run(fmt.Sprintf("own listener %v", separate), func(t *testing.T) {
			dir := t.TempDir()
			addr := freeAddr(t)
			adminAddr := addr
			cfg := fmt.Sprintf("listen: %s\ndata: %s\nadmin:\n  token: %s\n", addr, filepath.Join(dir, "data"), adminToken)
			if separate {
				adminAddr = freeAddr(t)
				cfg += "  listen: " + adminAddr + "\n"
			}
			path := filepath.Join(dir, "scimconnect.yaml")
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			stop := startServe(t, path, "http://"+addr+"/healthz")
			status, body := call(t, "POST", "http://"+adminAddr+"/admin/v1/instances", adminToken, `{"name":"crm","type":"local"}`)
			if status != http.StatusCreated {
				t.Fatalf("create: %d %s", status, body)
			}
			var created struct{ Token string }
			if err := json.Unmarshal(body, &created); err != nil {
				t.Fatal(err)
			}
			users := "http://" + addr + "/scim/crm/v2/Users"
			if status, body := call(t, "GET", users, created.Token, ""); status != 200 {
				t.Fatalf("SCIM with the new token: %d %s", status, body)
			}
			if separate {
				if status, _ := call(t, "GET", "http://"+addr+"/admin/v1/instances", adminToken, ""); status != http.StatusNotFound {
					t.Errorf("admin API on the main listener: %d", status)
				}
			}
			stop()
			stop = startServe(t, path, "http://"+addr+"/healthz")
			defer stop()
			if status, body := call(t, "GET", users, created.Token, ""); status != 200 {
				t.Fatalf("SCIM after restart: %d %s", status, body)
			}
		})
	}
}

// startServe runs serve with the configuration file until the returned
// function is called, which waits for it to end.
func startServe(t *testing.T, path, health string) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncbuf.Buffer{}, &syncbuf.Buffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--config", path}, stdout, stderr) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(health)
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server did not come up: %v\n%s", err, stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v\n%s", err, stderr)
		}
	}
}

func call(t *testing.T, method, url, token, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, data
}
