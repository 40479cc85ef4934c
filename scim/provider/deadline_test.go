package provider_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/internal/syncbuf"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// stallingBackend waits for its request's context to end, as a store
// queue or a target does when it is slower than the request's deadline,
// and returns the context's error wrapped, as connectors do.
type stallingBackend struct{ *memBackend }

func (s stallingBackend) Get(ctx context.Context, _ string, _ *schema.Projection) (*provider.Resource, error) {
	<-ctx.Done()
	return nil, fmt.Errorf("store: read user: %w", ctx.Err())
}

func (s stallingBackend) List(ctx context.Context, _ *provider.ListQuery) (*provider.ListResult, error) {
	<-ctx.Done()
	return nil, fmt.Errorf("store: list users: %w", ctx.Err())
}

func (s stallingBackend) Delete(ctx context.Context, _ string, _ provider.Precondition) error {
	<-ctx.Done()
	return fmt.Errorf("store: delete user: %w", ctx.Err())
}

// A request whose deadline passes, or whose client leaves, answers 503
// with a SCIM error body and is not logged as an internal error.
func TestUnfinishedRequest(t *testing.T) {
	logs := &syncbuf.Buffer{}
	cfg := testConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	users := stallingBackend{newMemBackend(schema.UserResourceType(), "userName")}
	p, err := provider.New(cfg, provider.ResourceType{Type: users.rt, Backend: users})
	if err != nil {
		t.Fatal(err)
	}
	deadline := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 20*time.Millisecond)
	}
	for _, tc := range []struct {
		name, method, path, body, detail string
		ctx                              func() (context.Context, context.CancelFunc)
	}{
		{"deadline passed on a read", http.MethodGet, "", "", "try again later", deadline},
		{"deadline passed on a change", http.MethodDelete, "", "", "read the resource before trying again", deadline},
		// A search changes nothing, however the client spells the route.
		{"deadline passed on a search", http.MethodPost, "/Users/.SEARCH", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}`, "try again later", deadline},
		{"client gone", http.MethodGet, "", "", "try again later",
			func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(20*time.Millisecond, cancel)
				return ctx, cancel
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			path := tc.path
			if path == "" {
				path = "/Users/2819c223"
			}
			r := newRequest(t, tc.method, path, tc.body).WithContext(ctx)
			rec := httptest.NewRecorder()
			p.ServeHTTP(rec, r)
			if rec.Code != http.StatusServiceUnavailable {
				t.Fatalf("status %d, want 503: %s", rec.Code, rec.Body)
			}
			var body struct {
				Schemas []string
				Status  string
				Detail  string
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Status != "503" || len(body.Schemas) != 1 {
				t.Fatalf("not a SCIM error body (%v): %s", err, rec.Body)
			}
			if !strings.Contains(body.Detail, tc.detail) || !strings.Contains(body.Detail, "did not finish in time") {
				t.Errorf("detail %q, want it to say the request did not finish in time and %q", body.Detail, tc.detail)
			}
			if strings.Contains(logs.String(), "internal error") {
				t.Errorf("logged as an internal error:\n%s", logs)
			}
		})
	}
}
