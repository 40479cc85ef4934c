// Package connectortest is the shared conformance suite of target
// connectors: one set of scenarios, driven by a connector's declaration
// (bridge.Connector), run through the real SCIM HTTP surface (provider.New
// over the connector's backends, served with httptest) against the
// connector's simulator. Every connector in the registry that has a
// simulator runs it (connector/builtin/builtin_test.go).
//
// Scenarios: discovery follows the declaration; create, get, list with
// paging across several pages (index and cursor), filter=userName eq,
// replace, patch, delete (twice for soft-deleting targets), groups and
// membership, mandatory fields, custom and disabled attributes, target
// errors (404, 409, 400 translated), a target that answers 429 and 500
// before succeeding, and ETags when the instance advertises them (every
// target a bridge.Versioner): meta.version and the ETag header agree,
// If-None-Match answers 304, a stale If-Match 412 without a write, and
// every change gives a new version; without them no version is returned.
// Operations a resource type does not declare must answer 501.
package connectortest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/bridge"
	"github.com/scimconnect/scimconnect/scim/provider"
)

// Harness describes one connector to test.
type Harness struct {
	// Type is the registry entry; its Simulator and Declaration are used.
	Type connector.Type
	// User returns a valid new user with a unique userName built from n,
	// as the target accepts it (Okta: an email, first and last name).
	User func(n int) map[string]any
	// CustomAttributes is a custom attribute spec the suite opens an
	// instance with ("" to skip the custom attribute scenario); the first
	// attribute must be a string the simulator accepts.
	CustomAttributes string
	// Disabled is an attribute the suite disables (a User attribute the
	// User func sets, e.g. "title"); "" skips the scenario.
	Disabled string
}

// Server is a running instance over a fresh simulator.
type Server struct {
	URL  string
	Sim  connector.Simulator
	Inst connector.Instance
}

// Start opens an instance of h.Type against a fresh simulator and serves
// it; both stop when the test ends.
func Start(t testing.TB, h Harness, env connector.Env) *Server {
	t.Helper()
	sim := h.Type.Simulator()
	target := httptest.NewServer(sim)
	t.Cleanup(target.Close)
	env.Instance = "conformance"
	inst, err := h.Type.Open(context.Background(), env, sim.Params(target.URL))
	if err != nil {
		t.Fatalf("open %s: %v", h.Type.Name, err)
	}
	t.Cleanup(func() { _ = inst.Close() })
	var srv *httptest.Server
	cfg := provider.DefaultConfig()
	cfg.Features = inst.Features()
	cfg.MaxPageSize = 1000
	handler := http.Handler(nil)
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	srv.Start()
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL
	p, err := provider.New(cfg, inst.ResourceTypes()...)
	if err != nil {
		t.Fatalf("provider: %v", err)
	}
	handler = p
	if wr, ok := inst.(connector.Wrapper); ok {
		handler = wr.Wrap(p)
	}
	return &Server{URL: srv.URL, Sim: sim, Inst: inst}
}

// Do sends a SCIM request and decodes the JSON answer (nil for none).
func (s *Server) Do(t testing.TB, method, path string, body any) (int, map[string]any) {
	t.Helper()
	code, _, out := s.DoHeader(t, method, path, body, nil)
	return code, out
}

// DoHeader is Do with request headers, returning the response headers too.
func (s *Server) DoHeader(t testing.TB, method, path string, body any, header http.Header) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if len(raw) == 0 {
		return resp.StatusCode, resp.Header, nil
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: status %d, body not JSON: %q", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, resp.Header, out
}

// expect fails the test unless the status is want.
func expect(t testing.TB, what string, got, want int, body map[string]any) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: status %d, want %d; body %v", what, got, want, body)
	}
}

// declaration returns the harness's framework declaration.
func declaration(t testing.TB, h Harness) *bridge.Connector {
	t.Helper()
	d, ok := h.Type.Declaration.(*bridge.Connector)
	if !ok {
		t.Fatalf("%s: Declaration is %T, want *bridge.Connector", h.Type.Name, h.Type.Declaration)
	}
	return d
}

func resource(d *bridge.Connector, name string) *bridge.Resource {
	for i := range d.Resources {
		if d.Resources[i].Type.Name == name {
			return &d.Resources[i]
		}
	}
	return nil
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func esc(s string) string { return strings.ReplaceAll(s, `"`, `\"`) }

var _ = fmt.Sprintf

// DefaultUser is a user most targets accept: an email userName, given and
// family names and a title. Harnesses of targets with other rules (ChipSoft's
// 8-character userName) provide their own.
func DefaultUser(n int) map[string]any {
	return map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": fmt.Sprintf("user%d@example.com", n),
		"name":     map[string]any{"givenName": fmt.Sprintf("Given%d", n), "familyName": "Family"},
		"title":    "Tester",
	}
}
