package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/internal/syncbuf"
)

// SCIM URNs used by the tests (RFC 7643 §8.7, RFC 7644 §3.12).
const (
	userURN        = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupURN       = "urn:ietf:params:scim:schemas:core:2.0:Group"
	enterpriseURN  = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	errorURN       = "urn:ietf:params:scim:api:messages:2.0:Error"
	listURN        = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	patchOpURN     = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	searchURN      = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	bulkRequestURN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	bulkRespURN    = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
	spcURN         = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	scimMediaType  = "application/scim+json"
)

const (
	// startTimeout bounds how long a demo may take to write its state file.
	startTimeout = 15 * time.Second
	// stopTimeout bounds a graceful shutdown after SIGTERM.
	stopTimeout = 5 * time.Second
)

// binaryPath is the scimconnect binary built once by TestMain.
var binaryPath string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "scimconnect-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binaryPath = filepath.Join(dir, "scimconnect")
	if err := buildBinary(binaryPath); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	return m.Run()
}

// buildBinary builds ./cmd/scimconnect from the module root, the parent of
// the test's working directory.
func buildBinary(out string) error {
	root, err := filepath.Abs("..")
	if err != nil {
		return fmt.Errorf("module root: %w", err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return fmt.Errorf("module root %s: %w", root, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := []string{"build", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "./cmd/scimconnect")...)
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/scimconnect: %w\n%s", err, msg)
	}
	return nil
}

// demo is one running `scimconnect demo` process.
type demo struct {
	DataDir   string
	StateFile string
	Origin    string // http://127.0.0.1:PORT
	BaseURL   string // the local instance's SCIM base URL
	Token     string

	cmd      *exec.Cmd
	output   *syncbuf.Buffer
	exited   chan struct{}
	exitErr  error
	stopOnce sync.Once
	client   *http.Client
}

// stateFile is the demo's state file format.
type stateFile struct {
	Instances []struct {
		Name        string `json:"name"`
		Type        string `json:"type"`
		SCIMBaseURL string `json:"scim_base_url"`
		Token       string `json:"token"`
	} `json:"instances"`
}

// portRange is SCIMCONNECT_E2E_PORTS ("18300-18399"): the ports the
// demos may take, for machines where test runs are given port ranges;
// unset, the kernel picks. rangeUsed holds the ports handed out, so that
// parallel tests never get the same one.
var (
	portRange = os.Getenv("SCIMCONNECT_E2E_PORTS")
	rangeMu   sync.Mutex
	rangeUsed = map[int]bool{}
)

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	if portRange != "" {
		var lo, hi int
		if _, err := fmt.Sscanf(portRange, "%d-%d", &lo, &hi); err != nil || lo <= 0 || hi < lo {
			t.Fatalf("SCIMCONNECT_E2E_PORTS = %q, want lo-hi", portRange)
		}
		rangeMu.Lock()
		defer rangeMu.Unlock()
		for p := lo; p <= hi; p++ {
			if rangeUsed[p] {
				continue
			}
			if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err == nil {
				_ = ln.Close()
				rangeUsed[p] = true
				return p
			}
		}
		t.Fatalf("no free port left in SCIMCONNECT_E2E_PORTS = %s", portRange)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pick a free port: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatalf("close probe listener: %v", err)
	}
	return port
}

// newDemo starts a demo with a fresh data directory.
func newDemo(t *testing.T) *demo {
	t.Helper()
	dir := t.TempDir()
	return startDemo(t, filepath.Join(dir, "data"), filepath.Join(dir, "state.json"))
}

// startDemo starts `scimconnect demo` on a free port with the given data
// directory and state file, waits until the state file names this
// process's address, and registers a graceful stop as cleanup.
func startDemo(t *testing.T, dataDir, statePath string) *demo {
	t.Helper()
	// A state file left by an earlier run must not be mistaken for this
	// run's: pick a port other than the one it names.
	var previous string
	if st, err := readStateFile(statePath); err == nil {
		for _, in := range st.Instances {
			previous += in.SCIMBaseURL + " "
		}
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	for strings.Contains(previous, "http://"+addr+"/") {
		addr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	}
	d := &demo{
		DataDir:   dataDir,
		StateFile: statePath,
		Origin:    "http://" + addr,
		output:    &syncbuf.Buffer{},
		exited:    make(chan struct{}),
		client:    &http.Client{Timeout: 20 * time.Second},
	}
	d.cmd = exec.Command(binaryPath, "demo", "--addr", addr, "--data", dataDir, "--state-file", statePath)
	d.cmd.Stdout = d.output
	d.cmd.Stderr = d.output
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start demo: %v", err)
	}
	go func() {
		d.exitErr = d.cmd.Wait()
		close(d.exited)
	}()
	t.Cleanup(func() { d.stop(t) })

	wantBase := d.Origin + "/scim/local/v2"
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-d.exited:
			t.Fatalf("demo exited before it was ready: %v\n%s", d.exitErr, d.output)
		default:
		}
		if st, err := readStateFile(statePath); err == nil {
			for _, in := range st.Instances {
				if in.Name == "local" && in.SCIMBaseURL == wantBase {
					d.BaseURL, d.Token = in.SCIMBaseURL, in.Token
				}
			}
		}
		if d.BaseURL != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo wrote no state file naming %s within %v\n%s", wantBase, startTimeout, d.output)
		}
		time.Sleep(25 * time.Millisecond)
	}
	if d.Token == "" {
		t.Fatalf("state file %s has an empty token for instance local", statePath)
	}
	return d
}

// instance returns a client of another instance of the same demo process
// (the demo also runs "okta", over its simulator). It shares the process:
// only the original stops it.
func (d *demo) instance(t *testing.T, name string) *demo {
	t.Helper()
	st, err := readStateFile(d.StateFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range st.Instances {
		if in.Name == name && strings.HasPrefix(in.SCIMBaseURL, d.Origin+"/") {
			return &demo{DataDir: d.DataDir, StateFile: d.StateFile, Origin: d.Origin, BaseURL: in.SCIMBaseURL, Token: in.Token,
				output: d.output, exited: d.exited, client: d.client}
		}
	}
	t.Fatalf("state file %s names no instance %q of %s", d.StateFile, name, d.Origin)
	return nil
}

func readStateFile(path string) (*stateFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read state file: %w", err)
	}
	var st stateFile
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("decode state file %s: %w", path, err)
	}
	return &st, nil
}

// stop sends SIGTERM and checks that the process exits cleanly (status 0)
// within stopTimeout: the gateway promises a graceful shutdown.
func (d *demo) stop(t *testing.T) {
	t.Helper()
	d.stopOnce.Do(func() {
		d.client.CloseIdleConnections()
		select {
		case <-d.exited:
			t.Errorf("demo exited on its own before the test stopped it: %v\n%s", d.exitErr, d.output)
			return
		default:
		}
		if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Errorf("send SIGTERM to demo: %v", err)
			return
		}
		select {
		case <-d.exited:
			if d.exitErr != nil {
				t.Errorf("demo did not exit cleanly after SIGTERM: %v\n%s", d.exitErr, d.output)
			}
		case <-time.After(stopTimeout):
			_ = d.cmd.Process.Kill()
			<-d.exited
			t.Errorf("demo still running %v after SIGTERM; killed\n%s", stopTimeout, d.output)
		}
	})
}

// response is one HTTP exchange's result.
type response struct {
	Method string
	URL    string
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any // nil when the body is empty or not a JSON object
}

func (r *response) String() string {
	raw := string(r.Raw)
	if len(raw) > 2000 {
		raw = raw[:2000] + "…"
	}
	return fmt.Sprintf("%s %s → %d %s", r.Method, r.URL, r.Status, raw)
}

// header is one extra request header.
type header struct{ Key, Value string }

// do sends a request relative to the SCIM base URL with the demo's token.
// body is sent as is when it is a []byte or string, else JSON-encoded.
func (d *demo) do(t *testing.T, method, path string, body any, headers ...header) *response {
	t.Helper()
	return d.doURL(t, method, d.BaseURL+path, body, append([]header{{"Authorization", "Bearer " + d.Token}}, headers...)...)
}

// doURL sends a request to an absolute URL with exactly the given headers;
// Content-Type defaults to application/scim+json when there is a body.
func (d *demo) doURL(t *testing.T, method, target string, body any, headers ...header) *response {
	t.Helper()
	r, err := d.send(t.Context(), method, target, body, headers...)
	if err != nil {
		t.Fatal(err)
	}
	if len(bytes.TrimSpace(r.Raw)) > 0 && bytes.TrimSpace(r.Raw)[0] == '{' && r.Body == nil {
		t.Errorf("%s %s: response body is not a JSON object:\n%s", method, target, r.Raw)
	}
	return r
}

// trySCIM is do for goroutines other than the test's: it returns errors
// instead of failing the test.
func (d *demo) trySCIM(ctx context.Context, method, path string, body any, headers ...header) (*response, error) {
	return d.send(ctx, method, d.BaseURL+path, body, append([]header{{"Authorization", "Bearer " + d.Token}}, headers...)...)
}

// send performs one request and reads the whole response.
func (d *demo) send(ctx context.Context, method, target string, body any, headers ...header) (*response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("encode request body: %w", err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, fmt.Errorf("build request %s %s: %w", method, target, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", scimMediaType)
	}
	for _, h := range headers {
		req.Header.Set(h.Key, h.Value)
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, target, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", method, target, err)
	}
	out := &response{Method: method, URL: target, Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && trimmed[0] == '{' {
		// A body that is not valid JSON leaves Body nil; doURL reports it.
		_ = json.Unmarshal(raw, &out.Body)
	}
	return out, nil
}

// get is do(GET) with query parameters given as key, value pairs.
func (d *demo) get(t *testing.T, path string, kv ...string) *response {
	t.Helper()
	return d.do(t, http.MethodGet, withQuery(path, kv...), nil)
}

// withQuery appends encoded query parameters to path.
func withQuery(path string, kv ...string) string {
	if len(kv) == 0 {
		return path
	}
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	return path + "?" + q.Encode()
}

// wantStatus fails the test unless r has the given status; the SCIM media
// type must label every JSON body (RFC 7644 §3.1).
func wantStatus(t *testing.T, r *response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("want status %d, got %s", status, r)
	}
	if len(r.Raw) > 0 {
		if ct := r.Header.Get("Content-Type"); ct != scimMediaType {
			t.Errorf("%s %s: Content-Type = %q, want exactly %q (RFC 7644 §3.1)", r.Method, r.URL, ct, scimMediaType)
		}
	}
}

// wantError checks an RFC 7644 §3.12 error response: the status, the
// Error schema, status as a string, and scimType ("" when none is expected).
func wantError(t *testing.T, r *response, status int, scimType string) {
	t.Helper()
	wantStatus(t, r, status)
	if r.Body == nil {
		t.Fatalf("%s %s: error %d has no JSON body (RFC 7644 §3.12)", r.Method, r.URL, status)
	}
	if !slices.Contains(strs(r.Body["schemas"]), errorURN) {
		t.Errorf("%s %s: error schemas = %v, want %s", r.Method, r.URL, r.Body["schemas"], errorURN)
	}
	if got, ok := r.Body["status"].(string); !ok || got != fmt.Sprint(status) {
		t.Errorf("%s %s: error status = %#v, want the string %q (RFC 7644 §3.12)", r.Method, r.URL, r.Body["status"], fmt.Sprint(status))
	}
	if scimType != "" && r.Body["scimType"] != scimType {
		t.Errorf("%s %s: scimType = %#v, want %q\n%s", r.Method, r.URL, r.Body["scimType"], scimType, r.Raw)
	}
	if d, _ := r.Body["detail"].(string); d == "" {
		t.Errorf("%s %s: error has no detail", r.Method, r.URL)
	}
}

// strs turns a JSON array of strings into []string.
func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// obj returns v[key] as an object (nil if absent); path segments nest.
func obj(v map[string]any, keys ...string) map[string]any {
	cur := v
	for _, k := range keys {
		next, _ := cur[k].(map[string]any)
		if next == nil {
			return nil
		}
		cur = next
	}
	return cur
}

// list returns v[key] as an array of objects.
func list(v map[string]any, key string) []map[string]any {
	arr, _ := v[key].([]any)
	out := make([]map[string]any, 0, len(arr))
	for _, x := range arr {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// str returns v[key] as a string ("" if absent or not a string).
func str(v map[string]any, key string) string {
	s, _ := v[key].(string)
	return s
}

// num returns v[key] as an int, failing when it is not a JSON number.
func num(t *testing.T, v map[string]any, key string) int {
	t.Helper()
	f, ok := v[key].(float64)
	if !ok {
		t.Fatalf("%q = %#v, want a number in %v", key, v[key], v)
	}
	return int(f)
}

// createUser POSTs a user and returns the created resource.
func (d *demo) createUser(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	if _, ok := body["schemas"]; !ok {
		body["schemas"] = []string{userURN}
	}
	r := d.do(t, http.MethodPost, "/Users", body)
	wantStatus(t, r, http.StatusCreated)
	return r.Body
}

// newUser creates a user with only a userName and returns its id.
func (d *demo) newUser(t *testing.T, userName string) string {
	t.Helper()
	return str(d.createUser(t, map[string]any{"userName": userName}), "id")
}

// listAll GETs path with the query and returns the ListResponse body.
func (d *demo) listAll(t *testing.T, path string, kv ...string) map[string]any {
	t.Helper()
	r := d.get(t, path, kv...)
	wantStatus(t, r, http.StatusOK)
	if !slices.Contains(strs(r.Body["schemas"]), listURN) {
		t.Fatalf("list schemas = %v, want %s", r.Body["schemas"], listURN)
	}
	return r.Body
}

// userNames returns the userName of every resource of a ListResponse.
func userNames(body map[string]any) []string {
	var out []string
	for _, r := range list(body, "Resources") {
		out = append(out, str(r, "userName"))
	}
	return out
}

// ids returns the id of every resource of a ListResponse.
func ids(body map[string]any) []string {
	var out []string
	for _, r := range list(body, "Resources") {
		out = append(out, str(r, "id"))
	}
	return out
}

// sorted returns a sorted copy.
func sorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// patchOp builds a PatchOp request body (RFC 7644 §3.5.2).
func patchOp(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []string{patchOpURN}, "Operations": ops}
}

// memberValues returns the member ids of a group, sorted.
func memberValues(g map[string]any) []string {
	var out []string
	for _, m := range list(g, "members") {
		out = append(out, str(m, "value"))
	}
	return sorted(out)
}
