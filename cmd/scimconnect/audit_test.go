package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/connector/builtin"
	"github.com/scimconnect/scimconnect/store"
	"github.com/scimconnect/scimconnect/store/sqlite"
)

// auditRecord is a record as GET /admin/v1/audit returns it.
type auditRecord struct {
	ID           int64     `json:"id"`
	Time         time.Time `json:"time"`
	Instance     string    `json:"instance"`
	Client       string    `json:"client"`
	RequestID    string    `json:"request_id"`
	Operation    string    `json:"operation"`
	ResourceType string    `json:"resource_type"`
	ResourceID   string    `json:"resource_id"`
	Status       int       `json:"status"`
	Outcome      string    `json:"outcome"`
	DurationMS   float64   `json:"duration_ms"`
	TargetCalls  []struct {
		Method     string  `json:"method"`
		Path       string  `json:"path"`
		Status     int     `json:"status"`
		Retries    int     `json:"retries"`
		Throttled  int     `json:"throttled"`
		DurationMS float64 `json:"duration_ms"`
	} `json:"target_calls"`
}

// TestServeAuditLog runs serve with secrets everywhere (instance tokens,
// an OAuth client secret, the admin token, a secret connector parameter,
// a user's password), makes SCIM requests to a local instance and to an
// okta instance on its simulator, and reads them back through the admin
// API: every field of every record is checked, and no secret appears.
func TestServeAuditLog(t *testing.T) {
	const (
		adminToken   = "admin-token-0123456789abcdef"
		localToken   = "local-scim-token-0123456789"
		clientSecret = "client-secret-of-app-0123456789"
		password     = "Pa55word-Never-Logged!"
	)
	sim := builtin.Registry()["okta"].Simulator()
	srv := httptest.NewServer(sim)
	defer srv.Close()
	var simParams map[string]string
	if err := json.Unmarshal(sim.Params(srv.URL), &simParams); err != nil {
		t.Fatal(err)
	}
	oktaAPIToken := simParams["token"]
	if oktaAPIToken == "" {
		t.Fatalf("simulator parameters without a token: %v", simParams)
	}

	dir := t.TempDir()
	addr := freeAddr(t)
	keyFile := filepath.Join(dir, "secret.key")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("ab", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`listen: %s
data: %s
admin: {token: %s}
secrets: {key_file: %s}
audit: {retention: 24h}
instances:
  - name: hr
    type: local
    token: %s
    auth:
      client_credentials:
        - {client_id: app, client_secret: %s}
`, addr, filepath.Join(dir, "data"), adminToken, keyFile, localToken, clientSecret)
	path := filepath.Join(dir, "scimconnect.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	stopServe := startServe(t, path, "http://"+addr+"/healthz")
	var stopOnce sync.Once
	stop := func() { stopOnce.Do(stopServe) }
	defer stop()
	base := "http://" + addr

	// An okta instance through the admin API: its API token is a secret
	// parameter, stored encrypted.
	status, body := call(t, "POST", base+"/admin/v1/instances", adminToken,
		fmt.Sprintf(`{"name":"crm","type":"okta","parameters":{"token":%q,"target_url":%q}}`, oktaAPIToken, srv.URL))
	if status != http.StatusCreated {
		t.Fatalf("create okta instance: %d %s", status, body)
	}
	var crm struct{ Token string }
	if err := json.Unmarshal(body, &crm); err != nil {
		t.Fatal(err)
	}

	type sent struct {
		status    int
		requestID string
		location  string
	}
	do := func(method, path, token, body string) sent {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/scim+json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return sent{res.StatusCode, res.Header.Get("X-Request-Id"), res.Header.Get("Location")}
	}
	idOf := func(loc string) string { return loc[strings.LastIndexByte(loc, '/')+1:] }
	user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com","name":{"givenName":"Ada","familyName":"Lovelace"},"password":"` + password + `"}`
	patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Countess"}]}`

	start := time.Now()
	localCreate := do("POST", "/scim/hr/v2/Users", localToken, user)
	localID := idOf(localCreate.location)
	localGet := do("GET", "/scim/hr/v2/Users/"+localID, localToken, "")
	localPatch := do("PATCH", "/scim/hr/v2/Users/"+localID, localToken, patch)
	badAuth := do("GET", "/scim/hr/v2/Users/"+localID, "not-the-token-000000000000", "")
	filtered := do("GET", "/scim/hr/v2/Users?filter="+url.QueryEscape(`userName eq "ada@example.com"`), localToken, "")
	// An OAuth client: token endpoint (audited as operation token), then SCIM.
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}, "client_secret": {clientSecret}}
	res, err := http.PostForm(base+"/scim/hr/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("access token: %v %+v", err, tok)
	}
	res.Body.Close()
	tokenIssued := sent{res.StatusCode, res.Header.Get("X-Request-Id"), ""}
	oauthGet := do("GET", "/scim/hr/v2/Users/"+localID, tok.AccessToken, "")
	oktaCreate := do("POST", "/scim/crm/v2/Users", crm.Token, user)
	oktaID := idOf(oktaCreate.location)
	oktaGet := do("GET", "/scim/crm/v2/Users/"+oktaID, crm.Token, "")
	unknown := do("GET", "/scim/nosuch/v2/Users", localToken, "") // not recorded
	end := time.Now()
	for name, s := range map[string]sent{"local create": localCreate, "local get": localGet, "local patch": localPatch, "bad auth": badAuth,
		"filter": filtered, "token": tokenIssued, "oauth get": oauthGet, "okta create": oktaCreate, "okta get": oktaGet, "unknown instance": unknown} {
		if s.requestID == "" {
			t.Errorf("%s: no X-Request-Id", name)
		}
	}
	if localCreate.status != 201 || localGet.status != 200 || localPatch.status != 200 || badAuth.status != 401 || filtered.status != 200 ||
		oauthGet.status != 200 || oktaCreate.status != 201 || oktaGet.status != 200 || unknown.status != 401 {
		t.Fatalf("statuses: %+v %+v %+v %+v %+v %+v %+v %+v %+v", localCreate, localGet, localPatch, badAuth, filtered, oauthGet, oktaCreate, oktaGet, unknown)
	}

	// Records are written in the background within a fraction of a second.
	var page struct {
		Records []auditRecord `json:"records"`
	}
	var raw []byte
	for deadline := time.Now().Add(10 * time.Second); ; {
		status, raw = call(t, "GET", base+"/admin/v1/audit", adminToken, "")
		if status != 200 {
			t.Fatalf("GET /admin/v1/audit: %d %s", status, raw)
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Records) >= 9 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	recs := page.Records
	if len(recs) != 9 {
		t.Fatalf("%d records, want 9:\n%s", len(recs), raw)
	}
	slices.Reverse(recs) // oldest first, like the requests

	tokenClient := func(tok string) string {
		h := sha256.Sum256([]byte(tok))
		return "token:" + hex.EncodeToString(h[:])[:12]
	}
	want := []struct {
		s                                               sent
		instance, client, op, typ, id, outcome, targets string
		status                                          int
	}{
		{localCreate, "hr", tokenClient(localToken), "create", "Users", localID, "success", "", 201},
		{localGet, "hr", tokenClient(localToken), "get", "Users", localID, "success", "", 200},
		{localPatch, "hr", tokenClient(localToken), "patch", "Users", localID, "success", "", 200},
		{badAuth, "hr", "", "get", "Users", localID, "denied", "", 401},
		{filtered, "hr", tokenClient(localToken), "list", "Users", "", "success", "", 200},
		{tokenIssued, "hr", "app", "token", "", "", "success", "", 200},
		{oauthGet, "hr", "app", "get", "Users", localID, "success", "", 200},
		{oktaCreate, "crm", tokenClient(crm.Token), "create", "Users", oktaID, "success", "POST /api/v1/users", 201},
		{oktaGet, "crm", tokenClient(crm.Token), "get", "Users", oktaID, "success", "GET /api/v1/users/" + oktaID, 200},
	}
	for i, w := range want {
		r := recs[i]
		if r.Instance != w.instance || r.Client != w.client || r.Operation != w.op || r.ResourceType != w.typ ||
			r.ResourceID != w.id || r.Outcome != w.outcome || r.Status != w.status || r.RequestID != w.s.requestID {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, r, w)
		}
		if r.ID <= 0 || r.Time.Before(start.Add(-time.Millisecond)) || r.Time.After(end) || r.DurationMS <= 0 || r.DurationMS > float64(end.Sub(start).Milliseconds()+1) {
			t.Errorf("record %d: id %d, time %v (requests from %v to %v), duration %vms", i, r.ID, r.Time, start, end, r.DurationMS)
		}
		if w.targets == "" {
			if len(r.TargetCalls) != 0 {
				t.Errorf("record %d: target calls %+v, want none", i, r.TargetCalls)
			}
			continue
		}
		found := false
		for _, c := range r.TargetCalls {
			if c.Method+" "+c.Path == w.targets {
				found = true
				if c.Status != 200 || c.Retries != 0 || c.Throttled != 0 || c.DurationMS <= 0 {
					t.Errorf("record %d: call %+v", i, c)
				}
			}
			if strings.Contains(c.Path, "?") {
				t.Errorf("record %d: call path with a query: %q", i, c.Path)
			}
		}
		if !found {
			t.Errorf("record %d: target calls %+v lack %s", i, r.TargetCalls, w.targets)
		}
	}

	// A graceful stop writes what is still queued: a request answered
	// just before it is in the store after it.
	last := do("DELETE", "/scim/hr/v2/Users/"+localID, localToken, "")
	if last.status != 204 {
		t.Fatalf("delete: %+v", last)
	}
	stop()
	db, err := sqlite.Open(t.Context(), filepath.Join(dir, "data", "scimconnect.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stored, _, err := db.QueryAudit(t.Context(), store.AuditQuery{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 || stored[0].RequestID != last.requestID || stored[0].Operation != "delete" {
		t.Errorf("newest record after the stop: %+v, want the delete %s", stored, last.requestID)
	}

	// No secret, credential, body or query content in any record.
	for name, secret := range map[string]string{
		"admin token": adminToken, "local token": localToken, "okta instance token": crm.Token, "okta API token": oktaAPIToken,
		"client secret": clientSecret, "access token": tok.AccessToken, "password": password,
		"userName (body and query)": "ada@example.com", "name (body)": "Lovelace", "patched value": "Countess",
		"wrong token": "not-the-token",
	} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the audit log holds the %s:\n%s", name, raw)
		}
	}
}
