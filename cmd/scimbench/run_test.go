package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimconnect/scimconnect/internal/bareserver"
)

// allRows are the rows of a full run against a server without cursors.
var allRows = []string{"create", "get", "filter", "page", "patch", "members-small", "members-build", "members-large", "members-large-full", "getgroup", "delete"}

// runJSON runs scimbench with --json and decodes its report.
func runJSON(t *testing.T, args ...string) (int, output, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append(append([]string{"run"}, args...), "--json"), &stdout, &stderr)
	var out output
	if stdout.Len() > 0 {
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
			t.Fatalf("decoding report %q: %v (stderr %s)", stdout.String(), err, stderr.String())
		}
	}
	return code, out, stderr.String()
}

func rowNames(r report) []string {
	var names []string
	for _, s := range r.Scenarios {
		names = append(names, s.Name)
	}
	return names
}

func row(t *testing.T, r report, name string) result {
	t.Helper()
	for _, s := range r.Scenarios {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("%s: no row %q in %v", r.Label, name, rowNames(r))
	return result{}
}

func TestCompareBareEndToEnd(t *testing.T) {
	code, out, stderr := runJSON(t, "--bare", "--compare", "--n", "200", "--c", "4", "--duration", "300ms")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if len(out.Runs) != 2 || out.Runs[0].Label != "target" || out.Runs[1].Label != "bare" {
		t.Fatalf("runs %+v, want target and bare", out.Runs)
	}
	for _, r := range out.Runs {
		if diff := cmp.Diff(allRows, rowNames(r)); diff != "" {
			t.Errorf("%s rows (-want +got):\n%s", r.Label, diff)
		}
		for _, s := range r.Scenarios {
			if s.Errors != 0 || s.Skipped || s.Requests == 0 || s.ReqPerSec <= 0 || s.P99Ms < s.P50Ms {
				t.Errorf("%s %s: %+v", r.Label, s.Name, s)
			}
		}
		// Counted rows do exactly their work; the page walks every user.
		for name, want := range map[string]int{"create": 200, "delete": 200, "page": 2, "members-build": 4} {
			if got := row(t, r, name).Requests; got != want {
				t.Errorf("%s %s: %d requests, want %d", r.Label, name, got, want)
			}
		}
		if note := row(t, r, "page").Note; !strings.HasPrefix(note, "200 users in 2 pages") {
			t.Errorf("%s page note %q", r.Label, note)
		}
	}
	var ratioNames []string
	for _, r := range out.Ratios {
		ratioNames = append(ratioNames, r.Name)
		if r.ReqPerSec <= 0 {
			t.Errorf("ratio %s = %v", r.Name, r.ReqPerSec)
		}
	}
	if diff := cmp.Diff(allRows, ratioNames); diff != "" {
		t.Errorf("ratio rows (-want +got):\n%s", diff)
	}
}

// failing wraps the bare server and answers 500 to every user PATCH.
func failing(token string) http.Handler {
	bare := bareserver.New(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/scim/v2/Users/") {
			http.Error(w, `{"detail":"boom"}`, http.StatusInternalServerError)
			return
		}
		http.StripPrefix("/scim/v2", bare).ServeHTTP(w, r)
	})
}

func TestErrorsAreCountedPerScenario(t *testing.T) {
	srv := httptest.NewServer(failing("tok"))
	defer srv.Close()
	code, out, stderr := runJSON(t, "--base", srv.URL+"/scim/v2/", "--token", "tok", "--n", "40", "--c", "2", "--duration", "200ms",
		"--scenarios", "delete,patch,create,get")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if len(out.Runs) != 1 {
		t.Fatalf("runs: %+v", out.Runs)
	}
	r := out.Runs[0]
	if diff := cmp.Diff([]string{"create", "get", "patch", "delete"}, rowNames(r)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	for _, s := range r.Scenarios {
		wantErrors := 0
		if s.Name == "patch" {
			wantErrors = s.Requests
		}
		if s.Errors != wantErrors || s.Requests == 0 {
			t.Errorf("%s: %d errors of %d requests, want %d errors", s.Name, s.Errors, s.Requests, wantErrors)
		}
	}
	if got := strings.Count(stderr, "scimbench: patch: PATCH"); got != shownErrors {
		t.Errorf("stderr shows %d patch failures, want %d:\n%s", got, shownErrors, stderr)
	}
	if !strings.Contains(stderr, "status 500") || !strings.Contains(stderr, "boom") {
		t.Errorf("stderr lacks the status and body:\n%s", stderr)
	}
}

func TestWrongTokenIsAnError(t *testing.T) {
	srv := httptest.NewServer(bareserver.New("right"))
	defer srv.Close()
	code, out, _ := runJSON(t, "--base", srv.URL, "--token", "wrong", "--n", "5", "--c", "1", "--scenarios", "create")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if got := row(t, out.Runs[0], "create"); got.Errors != 5 {
		t.Errorf("create: %d errors, want 5", got.Errors)
	}
}

func TestStateFileTarget(t *testing.T) {
	srv := httptest.NewServer(http.StripPrefix("/scim/local/v2", bareserver.New("demo-token")))
	defer srv.Close()
	state := filepath.Join(t.TempDir(), "state.json")
	data := fmt.Sprintf(`{"instances":[{"name":"other","type":"local","scim_base_url":"http://127.0.0.1:1/x","token":"x"},{"name":"local","type":"local","scim_base_url":%q,"token":"demo-token"}]}`, srv.URL+"/scim/local/v2")
	if err := os.WriteFile(state, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runJSON(t, "--state", state, "--instance", "local", "--n", "30", "--c", "3", "--duration", "200ms", "--scenarios", "create,filter,delete")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got := out.Runs[0].BaseURL; got != srv.URL+"/scim/local/v2" {
		t.Errorf("base %q", got)
	}
	if got := row(t, out.Runs[0], "delete").Requests; got != 30 {
		t.Errorf("delete: %d requests, want 30", got)
	}
}

// cursorServer adds RFC 9865 cursors in front of the bare server: the
// cursor is the next startIndex.
func cursorServer(token string) http.Handler {
	bare := bareserver.New(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case r.URL.Path == "/ServiceProviderConfig":
			fmt.Fprint(w, `{"pagination":{"cursor":true,"index":true}}`)
		case r.URL.Path == "/Users" && q.Has("cursor"):
			start := q.Get("cursor")
			if start == "" {
				start = "1"
			}
			inner := r.Clone(r.Context())
			inner.URL.RawQuery = url.Values{"startIndex": {start}, "count": {q.Get("count")}}.Encode()
			rec := httptest.NewRecorder()
			bare.ServeHTTP(rec, inner)
			var page map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			n, _ := strconv.Atoi(start)
			next := n + len(page["Resources"].([]any))
			if float64(next) <= page["totalResults"].(float64) {
				page["nextCursor"] = strconv.Itoa(next)
			}
			if err := json.NewEncoder(w).Encode(page); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
		default:
			bare.ServeHTTP(w, r)
		}
	})
}

func TestCursorPaging(t *testing.T) {
	srv := httptest.NewServer(cursorServer("tok"))
	defer srv.Close()
	code, out, stderr := runJSON(t, "--base", srv.URL, "--token", "tok", "--n", "250", "--c", "4", "--scenarios", "create,page,delete")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r := out.Runs[0]
	if !r.CursorPagination {
		t.Error("cursor pagination not detected")
	}
	if diff := cmp.Diff([]string{"create", "page", "page-cursor", "delete"}, rowNames(r)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if got := row(t, r, "page-cursor"); got.Requests != 3 || got.Errors != 0 || !strings.HasPrefix(got.Note, "250 users in 3 pages") {
		t.Errorf("page-cursor: %+v", got)
	}
}

func TestRSSSampling(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc on this system")
	}
	code, out, stderr := runJSON(t, "--bare", "--pid", strconv.Itoa(os.Getpid()), "--n", "100", "--c", "2", "--scenarios", "create,page,delete")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, s := range out.Runs[0].Scenarios {
		if s.RSSStartKiB <= 0 || s.RSSPeakKiB < s.RSSStartKiB {
			t.Errorf("%s: rss start %d peak %d", s.Name, s.RSSStartKiB, s.RSSPeakKiB)
		}
	}
}

func TestScenariosWithoutCreateUseExistingUsers(t *testing.T) {
	h := bareserver.New("tok")
	srv := httptest.NewServer(h)
	defer srv.Close()
	for i := range 7 {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/Users", strings.NewReader(fmt.Sprintf(`{"userName":"seed%d"}`, i)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("seeding: status %d", resp.StatusCode)
		}
	}
	code, out, stderr := runJSON(t, "--base", srv.URL, "--token", "tok", "--n", "5", "--c", "2", "--duration", "100ms", "--scenarios", "filter,delete")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r := out.Runs[0]
	if got := row(t, r, "filter"); got.Requests != 5 || got.Errors != 0 {
		t.Errorf("filter over seeded users: %+v", got)
	}
	if got := row(t, r, "delete"); !got.Skipped || got.Requests != 0 {
		t.Errorf("delete must not touch users it did not create: %+v", got)
	}
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no command", nil, 2, "usage"},
		{"help", []string{"help"}, 0, "usage"},
		{"unknown command", []string{"walk"}, 2, `unknown command "walk"`},
		{"no target", []string{"run"}, 2, "exactly one target"},
		{"two targets", []string{"run", "--bare", "--base", "http://127.0.0.1:1", "--token", "t"}, 2, "exactly one target"},
		{"base without token", []string{"run", "--base", "http://127.0.0.1:1"}, 2, "--base needs --token"},
		{"unknown scenario", []string{"run", "--bare", "--scenarios", "get,fly"}, 2, `unknown scenario "fly"`},
		{"zero clients", []string{"run", "--bare", "--c", "0"}, 2, "--c must be"},
		{"negative budget", []string{"run", "--bare", "--requests", "-1"}, 2, "--requests must not be negative"},
		{"stray argument", []string{"run", "--bare", "extra"}, 2, "unexpected arguments"},
		{"remote target", []string{"run", "--base", "http://192.0.2.1/scim", "--token", "t"}, 1, "not a loopback address"},
		{"missing state file", []string{"run", "--state", "/nonexistent/state.json"}, 1, "reading state file"},
		{"pid that does not exist", []string{"run", "--bare", "--pid", "999999999", "--scenarios", "get"}, 1, "--pid 999999999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d", code, tt.wantCode)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.wantErr)
			}
		})
	}
}

func TestPageFollowsAServerCappedPageSize(t *testing.T) {
	bare := bareserver.New("tok")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/Users" {
			q := r.URL.Query()
			q.Set("count", "30") // the server's maximum page size
			r.URL.RawQuery = q.Encode()
		}
		bare.ServeHTTP(w, r)
	}))
	defer srv.Close()
	code, out, stderr := runJSON(t, "--base", srv.URL, "--token", "tok", "--n", "100", "--c", "4", "--scenarios", "create,page,delete")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got := row(t, out.Runs[0], "page"); got.Requests != 4 || got.Errors != 0 || !strings.HasPrefix(got.Note, "100 users in 4 pages") {
		t.Errorf("page: %+v", got)
	}
}

func TestInterruptedRunReportsWhatRan(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"run", "--bare", "--n", "10", "--json"}, &stdout, &stderr)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "interrupted during create") {
		t.Errorf("stderr %q", stderr.String())
	}
	var out output
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("decoding partial report %q: %v", stdout.String(), err)
	}
	if len(out.Runs) != 1 || len(out.Runs[0].Scenarios) != 1 || out.Runs[0].Scenarios[0].Name != "create" {
		t.Errorf("partial report %+v", out.Runs)
	}
}

func TestRequestBudget(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"defaults to --n", []string{"--n", "20"}, 20},
		{"--requests", []string{"--n", "20", "--requests", "7"}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runJSON(t, append([]string{"--bare", "--c", "3", "--duration", "30s", "--scenarios", "create,get,patch"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, name := range []string{"get", "patch"} {
				if got := row(t, out.Runs[0], name).Requests; got != tt.want {
					t.Errorf("%s: %d requests, want %d", name, got, tt.want)
				}
			}
		})
	}
}
