package gateway_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scimconnect/scimconnect/audit"
	"github.com/scimconnect/scimconnect/connector/builtin"
	"github.com/scimconnect/scimconnect/gateway"
	"github.com/scimconnect/scimconnect/metrics"
	"github.com/scimconnect/scimconnect/metrics/metricstest"
	"github.com/scimconnect/scimconnect/store"
)

// withAudit gives the gateway a recorder over the fixture's store,
// returned through rec once the store exists.
func withAudit(t testing.TB, rec **audit.Recorder, also func(*gateway.Options)) func(*gateway.Options) {
	return func(o *gateway.Options) {
		al, ok := store.AuditLogOf(o.Store)
		if !ok {
			t.Fatal("the fixture's store has no audit log")
		}
		r, err := audit.NewRecorder(audit.RecorderOptions{Log: al, FlushInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Close() })
		o.Audit, *rec = r, r
		if also != nil {
			also(o)
		}
	}
}

// auditRecords flushes the recorder and returns every record, oldest
// first.
func auditRecords(t *testing.T, rec *audit.Recorder, st store.Store) []audit.Record {
	t.Helper()
	if err := rec.Flush(t.Context()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	al, _ := store.AuditLogOf(st)
	stored, _, err := al.QueryAudit(t.Context(), store.AuditQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Record
	for i := len(stored) - 1; i >= 0; i-- {
		r, err := audit.FromStore(stored[i])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// tokenClient is the client name of a static token in audit records.
func tokenClient(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return "token:" + hex.EncodeToString(h[:])[:12]
}

// sendJSON sends a request with a SCIM body through the fixture's
// handler (request logging included).
func sendJSON(f *fixture, method, path, token, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/scim+json")
	}
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, r)
	return w
}

// ignoreVolatile leaves out of comparisons what the test cannot know in
// advance: id, time, request id and durations (checked separately).
var ignoreVolatile = cmpopts.IgnoreFields(audit.Record{}, "ID", "Time", "RequestID", "Duration")

func TestAuditRecordsEveryRequest(t *testing.T) {
	const tok = "token-of-instance-a-0001"
	const roTok = "read-only-token-of-ro-0001"
	var rec *audit.Recorder
	f := newFixtureWith(t, map[string]string{"a": tok}, withAudit(t, &rec, nil))
	if err := f.gw.Mount(context.Background(), gateway.InstanceSpec{Name: "ro", Type: "local", TokenHash: gateway.HashToken(roTok), TokenReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	create := sendJSON(f, "POST", "/scim/a/v2/Users", tok, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com","password":"Secret-Pa55word!"}`)
	if create.Code != 201 {
		t.Fatalf("create: %d %s", create.Code, create.Body)
	}
	id := create.Header().Get("Location")[strings.LastIndexByte(create.Header().Get("Location"), '/')+1:]
	var requestIDs []string
	steps := []struct {
		method, path, token, body string
		status                    int
	}{
		{"GET", "/scim/a/v2/Users/" + id, tok, "", 200},
		{"PATCH", "/scim/a/v2/Users/" + id, tok, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Ada"}]}`, 200},
		{"GET", "/scim/a/v2/Users?filter=userName%20eq%20%22ada@example.com%22", tok, "", 200},
		{"POST", "/scim/a/v2/Users/.search", tok, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName eq \"ada@example.com\""}`, 200},
		{"GET", "/scim/a/v2/Users/no-such-user", tok, "", 404},
		{"GET", "/scim/a/v2/Users/" + id, "wrong-token-0000000000", "", 401},
		{"GET", "/scim/a/v2/Users", "", "", 401},
		{"DELETE", "/scim/ro/v2/Users/" + id, roTok, "", 403},
		{"GET", "/scim/zz/v2/Users", tok, "", 401}, // unknown instance: not recorded
		{"GET", "/scim/a/v2/ServiceProviderConfig", tok, "", 200},
		{"DELETE", "/scim/a/v2/Users/" + id, tok, "", 204},
	}
	requestIDs = append(requestIDs, create.Header().Get("X-Request-Id"))
	for _, s := range steps {
		w := sendJSON(f, s.method, s.path, s.token, s.body)
		if w.Code != s.status {
			t.Fatalf("%s %s: %d %s, want %d", s.method, s.path, w.Code, w.Body, s.status)
		}
		if !strings.Contains(s.path, "/zz/") {
			requestIDs = append(requestIDs, w.Header().Get("X-Request-Id"))
		}
	}
	after := time.Now()

	got := auditRecords(t, rec, f.store)
	client, roClient := tokenClient(tok), tokenClient(roTok)
	want := []audit.Record{
		{Instance: "a", Client: client, Operation: "create", ResourceType: "Users", ResourceID: id, Status: 201, Outcome: "success"},
		{Instance: "a", Client: client, Operation: "get", ResourceType: "Users", ResourceID: id, Status: 200, Outcome: "success"},
		{Instance: "a", Client: client, Operation: "patch", ResourceType: "Users", ResourceID: id, Status: 200, Outcome: "success"},
		{Instance: "a", Client: client, Operation: "list", ResourceType: "Users", Status: 200, Outcome: "success"},
		{Instance: "a", Client: client, Operation: "search", ResourceType: "Users", Status: 200, Outcome: "success"},
		{Instance: "a", Client: client, Operation: "get", ResourceType: "Users", ResourceID: "no-such-user", Status: 404, Outcome: "failure"},
		{Instance: "a", Operation: "get", ResourceType: "Users", ResourceID: id, Status: 401, Outcome: "denied"},
		{Instance: "a", Operation: "list", ResourceType: "Users", Status: 401, Outcome: "denied"},
		{Instance: "ro", Client: roClient, Operation: "delete", ResourceType: "Users", ResourceID: id, Status: 403, Outcome: "denied"},
		{Instance: "a", Client: client, Operation: "discovery", ResourceType: "ServiceProviderConfig", Status: 200, Outcome: "success"},
		{Instance: "a", Client: client, Operation: "delete", ResourceType: "Users", ResourceID: id, Status: 204, Outcome: "success"},
	}
	for i := range want {
		want[i].Calls = []audit.TargetCall{}
	}
	if diff := cmp.Diff(want, got, ignoreVolatile); diff != "" {
		t.Fatalf("records (-want +got):\n%s", diff)
	}
	for i, r := range got {
		if r.RequestID == "" || r.RequestID != requestIDs[i] {
			t.Errorf("record %d: request id %q, want the response's %q", i, r.RequestID, requestIDs[i])
		}
		if r.Time.Before(before.Truncate(time.Microsecond)) || r.Time.After(after) {
			t.Errorf("record %d: time %v outside [%v, %v]", i, r.Time, before, after)
		}
		if r.Duration <= 0 || time.Duration(r.Duration) > after.Sub(before) {
			t.Errorf("record %d: duration %v", i, time.Duration(r.Duration))
		}
	}
	if all, _ := json.Marshal(got); strings.Contains(string(all), "Secret-Pa55word!") || strings.Contains(string(all), tok) ||
		strings.Contains(string(all), "wrong-token") || strings.Contains(string(all), "ada@example.com") {
		t.Errorf("a record holds a password, token, or query/body content: %s", all)
	}
}

func TestAuditOAuthClientAndLimiter(t *testing.T) {
	var rec *audit.Recorder
	f := newAuthFixture(t, withAudit(t, &rec, func(o *gateway.Options) {
		o.AuthLimit = gateway.AuthLimit{Failures: 1, Refill: time.Hour}
	}))
	access := f.accessToken(t, "a", "client-a", secretA)
	if w := f.send("GET", "/scim/a/v2/Users", access, ""); w.Code != 200 {
		t.Fatalf("with an access token: %d %s", w.Code, w.Body)
	}
	// The failure budget of 1 is spent by the first wrong token; the
	// second is answered 429, and both are denied.
	if w := f.send("GET", "/scim/a/v2/Users", "wrong-token-0000000000", ""); w.Code != 401 {
		t.Fatalf("wrong token: %d", w.Code)
	}
	if w := f.send("GET", "/scim/a/v2/Users", "wrong-token-0000000000", ""); w.Code != 429 {
		t.Fatalf("second wrong token: %d, want 429", w.Code)
	}
	got := auditRecords(t, rec, f.store)
	want := []audit.Record{
		{Instance: "a", Client: "client-a", Operation: "token", Status: 200, Outcome: "success", Calls: []audit.TargetCall{}},
		{Instance: "a", Client: "client-a", Operation: "list", ResourceType: "Users", Status: 200, Outcome: "success", Calls: []audit.TargetCall{}},
		{Instance: "a", Operation: "list", ResourceType: "Users", Status: 401, Outcome: "denied", Calls: []audit.TargetCall{}},
		{Instance: "a", Operation: "list", ResourceType: "Users", Status: 429, Outcome: "denied", Calls: []audit.TargetCall{}},
	}
	if diff := cmp.Diff(want, got, ignoreVolatile); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if all, _ := json.Marshal(got); strings.Contains(string(all), access) || strings.Contains(string(all), secretA) {
		t.Errorf("a record holds the access token or the client secret: %s", all)
	}
}

// Failed attempts at the token endpoint are recorded as denied, naming
// the client only when the id tried is one of the instance's clients.
func TestAuditTokenEndpointFailures(t *testing.T) {
	var rec *audit.Recorder
	f := newAuthFixture(t, withAudit(t, &rec, nil))
	form := url.Values{"grant_type": {"client_credentials"}}
	if w := f.tokenRequest("a", form, "client-a:wrong-secret-0000000000"); w.Code != 401 {
		t.Fatalf("wrong secret: %d %s", w.Code, w.Body)
	}
	if w := f.tokenRequest("a", form, "mallory-<script>:whatever-0000000000"); w.Code != 401 {
		t.Fatalf("unknown client: %d %s", w.Code, w.Body)
	}
	want := []audit.Record{
		{Instance: "a", Client: "client-a", Operation: "token", Status: 401, Outcome: "denied", Calls: []audit.TargetCall{}},
		{Instance: "a", Operation: "token", Status: 401, Outcome: "denied", Calls: []audit.TargetCall{}},
	}
	if diff := cmp.Diff(want, auditRecords(t, rec, f.store), ignoreVolatile); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestAuditTargetCalls(t *testing.T) {
	sim := builtin.Registry()["okta"].Simulator()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	const tok = "okta-instance-token-0001"
	var rec *audit.Recorder
	m := metrics.New()
	f := newFixtureWith(t, nil, withAudit(t, &rec, func(o *gateway.Options) { o.Metrics = m }))
	if err := f.gw.Mount(context.Background(), gateway.InstanceSpec{Name: "o", Type: "okta", Params: sim.Params(srv.URL), TokenHash: gateway.HashToken(tok)}); err != nil {
		t.Fatal(err)
	}
	create := sendJSON(f, "POST", "/scim/o/v2/Users", tok, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com","name":{"givenName":"Ada","familyName":"Lovelace"}}`)
	if create.Code != 201 {
		t.Fatalf("create: %d %s", create.Code, create.Body)
	}
	loc := create.Header().Get("Location")
	id := loc[strings.LastIndexByte(loc, '/')+1:]
	if w := sendJSON(f, "GET", "/scim/o/v2/Users/"+id, tok, ""); w.Code != 200 {
		t.Fatalf("get: %d %s", w.Code, w.Body)
	}
	if w := sendJSON(f, "GET", `/scim/o/v2/Users?filter=userName%20eq%20%22ada@example.com%22`, tok, ""); w.Code != 200 {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
	got := auditRecords(t, rec, f.store)
	if len(got) != 3 {
		t.Fatalf("%d records, want 3: %+v", len(got), got)
	}
	if got[0].Operation != "create" || got[0].ResourceID != id || got[1].ResourceID != id {
		t.Errorf("records %+v, want the create and the get of %s", got[:2], id)
	}
	for i, r := range got {
		if len(r.Calls) == 0 {
			t.Errorf("record %d (%s): no target calls", i, r.Operation)
		}
		for _, c := range r.Calls {
			if c.Method == "" || !strings.HasPrefix(c.Path, "/api/v1/") || strings.Contains(c.Path, "?") || c.Status != 200 || c.Duration <= 0 {
				t.Errorf("record %d (%s): call %+v", i, r.Operation, c)
			}
		}
	}
	if c := got[0].Calls; len(c) > 0 && (c[0].Method != "POST" || c[0].Path != "/api/v1/users") {
		t.Errorf("create's first call %+v, want POST /api/v1/users", c[0])
	}
	if !cmp.Equal(got[1].Calls[:1], []audit.TargetCall{{Method: "GET", Path: "/api/v1/users/" + id, Status: 200, Duration: got[1].Calls[0].Duration}}) {
		t.Errorf("get's calls %+v, want GET /api/v1/users/%s", got[1].Calls, id)
	}
	if all, _ := json.Marshal(got); strings.Contains(string(all), "ada@example.com") {
		t.Errorf("a record holds query content: %s", all)
	}
	// The metrics still see every call.
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	calls := 0.0
	for series, v := range metricstest.Samples(t, w.Body) {
		if strings.HasPrefix(series, "scimconnect_target_calls_total{") && strings.Contains(series, `scim_instance="o"`) {
			calls += v
		}
	}
	recorded := 0
	for _, r := range got {
		recorded += len(r.Calls)
	}
	if calls != float64(recorded) {
		t.Errorf("metrics counted %v target calls, the audit log %d", calls, recorded)
	}
}

func TestAuditBulkOperations(t *testing.T) {
	const tok = "token-of-instance-a-0001"
	var rec *audit.Recorder
	f := newFixtureWith(t, map[string]string{"a": tok}, withAudit(t, &rec, nil))
	seed := sendJSON(f, "POST", "/scim/a/v2/Users", tok, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"seed@example.com"}`)
	if seed.Code != 201 {
		t.Fatalf("seed: %d %s", seed.Code, seed.Body)
	}
	seedID := seed.Header().Get("Location")[strings.LastIndexByte(seed.Header().Get("Location"), '/')+1:]
	body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
	  {"method":"POST","bulkId":"b1","path":"/Users","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"grace@example.com","password":"Bulk-Secret-123"}},
	  {"method":"PATCH","path":"/Users/missing-id","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}},
	  {"method":"DELETE","path":"/Users/` + seedID + `"}]}`
	w := sendJSON(f, "POST", "/scim/a/v2/Bulk", tok, body)
	if w.Code != 200 {
		t.Fatalf("bulk: %d %s", w.Code, w.Body)
	}
	var resp struct {
		Operations []struct{ Location, Status string }
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || len(resp.Operations) != 3 {
		t.Fatalf("bulk response %s: %v", w.Body, err)
	}
	created := resp.Operations[0].Location[strings.LastIndexByte(resp.Operations[0].Location, '/')+1:]
	got := auditRecords(t, rec, f.store)[1:] // after the seed's create
	client := tokenClient(tok)
	none := []audit.TargetCall{}
	want := []audit.Record{
		{Instance: "a", Client: client, Operation: "bulk", Status: 200, Outcome: "success", Calls: none},
		{Instance: "a", Client: client, Operation: "create", ResourceType: "Users", ResourceID: created, Status: 201, Outcome: "success", Calls: none},
		{Instance: "a", Client: client, Operation: "patch", ResourceType: "Users", ResourceID: "missing-id", Status: 404, Outcome: "failure", Calls: none},
		{Instance: "a", Client: client, Operation: "delete", ResourceType: "Users", ResourceID: seedID, Status: 204, Outcome: "success", Calls: none},
	}
	// The records of one Bulk request share its time: order by what the
	// ids say, the append order.
	if diff := cmp.Diff(want, got, ignoreVolatile); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	for _, r := range got {
		if r.RequestID != w.Header().Get("X-Request-Id") {
			t.Errorf("record %s: request id %q, want the Bulk request's %q", r.Operation, r.RequestID, w.Header().Get("X-Request-Id"))
		}
	}
	if all, _ := json.Marshal(got); strings.Contains(string(all), "Bulk-Secret-123") || strings.Contains(string(all), "grace@") {
		t.Errorf("a record holds body content: %s", all)
	}
}

func TestAuditAfterRotationAndWhenOff(t *testing.T) {
	// Without a recorder the gateway serves as before; this also checks
	// that a token rotation keeps the audit client name current.
	const tok, tok2 = "token-of-instance-a-0001", "token-of-instance-a-0002"
	var rec *audit.Recorder
	f := newFixtureWith(t, map[string]string{"a": tok}, withAudit(t, &rec, nil))
	if err := f.gw.SetTokenHash("a", gateway.HashToken(tok2)); err != nil {
		t.Fatal(err)
	}
	if w := f.do("GET", "/scim/a/v2/Users", tok2); w.Code != http.StatusOK {
		t.Fatalf("after rotation: %d", w.Code)
	}
	got := auditRecords(t, rec, f.store)
	if len(got) != 1 || got[0].Client != tokenClient(tok2) {
		t.Errorf("records %+v, want one by %s", got, tokenClient(tok2))
	}
	plain := newFixture(t, map[string]string{"a": tok})
	if w := plain.do("GET", "/scim/a/v2/Users", tok); w.Code != http.StatusOK {
		t.Fatalf("without audit: %d", w.Code)
	}
	al, _ := store.AuditLogOf(plain.store)
	if recs, _, _ := al.QueryAudit(t.Context(), store.AuditQuery{Limit: 10}); len(recs) != 0 {
		t.Errorf("a gateway without a recorder wrote %d records", len(recs))
	}
}
