package admin_test

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/admin"
	"github.com/scimconnect/scimconnect/audit"
	"github.com/scimconnect/scimconnect/connector/builtin"
	"github.com/scimconnect/scimconnect/gateway"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/store/sqlite"
)

// newAuditFixture is newFixture with the gateway recording the audit
// log; flush writes what it recorded.
func newAuditFixture(t *testing.T) (f *fixture, flush func()) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "admin.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rec, err := audit.NewRecorder(audit.RecorderOptions{Log: st, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close() })
	gw := gateway.New(gateway.Options{PublicURL: "http://scim.test", Provider: provider.DefaultConfig(), Store: st, Registry: builtin.Registry(), Audit: rec})
	t.Cleanup(func() { gw.Close() })
	h, err := admin.New(admin.Options{TokenHash: gateway.HashToken(adminToken), Gateway: gw, Store: st, Registry: builtin.Registry()})
	if err != nil {
		t.Fatal(err)
	}
	f = &fixture{t: t, store: st, gw: gw, admin: h, handler: h.Wrap(gw)}
	return f, func() {
		t.Helper()
		if err := rec.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

type auditPage struct {
	Records    []audit.Record `json:"records"`
	NextCursor string         `json:"next_cursor"`
}

func (f *fixture) audit(query string) auditPage {
	f.t.Helper()
	w := f.do("GET", "/admin/v1/audit"+query, adminToken, nil)
	if w.Code != 200 {
		f.t.Fatalf("GET /admin/v1/audit%s: %d %s", query, w.Code, w.Body)
	}
	var p auditPage
	decodeBody(f.t, w, &p)
	return p
}

func operations(recs []audit.Record) []string {
	out := []string{}
	for _, r := range recs {
		out = append(out, r.Instance+" "+r.Operation+" "+r.Outcome)
	}
	return out
}

func TestAuditAPI(t *testing.T) {
	f, flush := newAuditFixture(t)
	crm := f.create(map[string]any{"name": "crm", "type": "local"})
	hr := f.create(map[string]any{"name": "hr", "type": "local"})
	start := time.Now()
	w := f.do("POST", "/scim/crm/v2/Users", crm, newUser)
	if w.Code != 201 {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	id := w.Header().Get("Location")[strings.LastIndexByte(w.Header().Get("Location"), '/')+1:]
	time.Sleep(2 * time.Millisecond) // distinct times on either side of mid
	mid := time.Now()
	time.Sleep(2 * time.Millisecond)
	for _, step := range []struct {
		path, token string
		status      int
	}{
		{"/scim/crm/v2/Users/" + id, crm, 200},
		{"/scim/crm/v2/Users", "not-the-token-00000000", 401},
		{"/scim/hr/v2/Users", hr, 200},
		{"/scim/hr/v2/Users/" + id, hr, 404}, // the id is crm's
	} {
		if w := f.do("GET", step.path, step.token, nil); w.Code != step.status {
			t.Fatalf("GET %s: %d, want %d", step.path, w.Code, step.status)
		}
	}
	flush()

	all := f.audit("")
	want := []string{"hr get failure", "hr list success", "crm list denied", "crm get success", "crm create success"}
	if diff := cmp.Diff(want, operations(all.Records)); diff != "" {
		t.Fatalf("records, newest first (-want +got):\n%s", diff)
	}
	if all.NextCursor != "" {
		t.Errorf("next_cursor %q on the only page", all.NextCursor)
	}
	created := all.Records[4]
	if created.ResourceType != "Users" || created.ResourceID != id || created.Status != 201 ||
		!strings.HasPrefix(created.Client, "token:") || created.Time.Before(start.Truncate(time.Microsecond)) || created.Duration <= 0 {
		t.Errorf("create record %+v", created)
	}

	filters := []struct {
		query string
		want  []string
	}{
		{"?instance=crm", []string{"crm list denied", "crm get success", "crm create success"}},
		{"?outcome=denied", []string{"crm list denied"}},
		{"?resource_id=" + url.QueryEscape(id), []string{"hr get failure", "crm get success", "crm create success"}},
		{"?instance=crm&resource_id=" + url.QueryEscape(id), []string{"crm get success", "crm create success"}},
		{"?until=" + url.QueryEscape(mid.Format(time.RFC3339Nano)), []string{"crm create success"}},
		{"?since=" + url.QueryEscape(mid.Format(time.RFC3339Nano)) + "&instance=hr", []string{"hr get failure", "hr list success"}},
		{"?instance=nobody", []string{}},
	}
	for _, tc := range filters {
		if diff := cmp.Diff(tc.want, operations(f.audit(tc.query).Records)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.query, diff)
		}
	}

	// Pages of 2 follow the cursor to the same records.
	var paged []audit.Record
	query := "?limit=2"
	for pages := 0; ; pages++ {
		p := f.audit(query)
		if len(p.Records) > 2 || pages > 5 {
			t.Fatalf("page %d: %d records", pages, len(p.Records))
		}
		paged = append(paged, p.Records...)
		if p.NextCursor == "" {
			break
		}
		query = "?limit=2&cursor=" + url.QueryEscape(p.NextCursor)
	}
	if diff := cmp.Diff(all.Records, paged); diff != "" {
		t.Errorf("paged (-all +paged):\n%s", diff)
	}
}

func TestAuditAPIRefusesBadParameters(t *testing.T) {
	f, _ := newAuditFixture(t)
	tests := []struct{ query, field string }{
		{"?since=yesterday", "since"},
		{"?until=2025-13-01T00:00:00Z", "until"},
		{"?since=2025-03-02T00:00:00Z&until=2025-03-01T00:00:00Z", "until"},
		{"?outcome=fine", "outcome"},
		{"?limit=0", "limit"},
		{"?limit=1001", "limit"},
		{"?limit=ten", "limit"},
		{"?cursor=not-a-cursor", "cursor"},
		{"?instance=a&instance=b", "instance"},
		{"?resource_id=" + strings.Repeat("x", 1025), "resource_id"},
		{"?filter=userName", "filter"},
	}
	for _, tc := range tests {
		t.Run(tc.query[:min(len(tc.query), 40)], func(t *testing.T) {
			w := f.do("GET", "/admin/v1/audit"+tc.query, adminToken, nil)
			if w.Code != 400 {
				t.Fatalf("status %d, want 400: %s", w.Code, w.Body)
			}
			if e := errorOf(t, w); e.Error.Field != tc.field {
				t.Errorf("field %q, want %q (%s)", e.Error.Field, tc.field, e.Error.Message)
			}
		})
	}
	for _, token := range []string{"", "wrong-admin-token-0000000"} {
		if w := f.do("GET", "/admin/v1/audit", token, nil); w.Code != 401 {
			t.Errorf("token %q: %d, want 401", token, w.Code)
		}
	}
	if w := f.do("POST", "/admin/v1/audit", adminToken, map[string]any{}); w.Code != 405 {
		t.Errorf("POST: %d, want 405", w.Code)
	}
}
