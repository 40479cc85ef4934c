package admin_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/scimconnect/scimconnect/admin"
	"github.com/scimconnect/scimconnect/connector/builtin"
	"github.com/scimconnect/scimconnect/gateway"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/store"
)

// hookStore runs before, once, at the start of the next Update: a write
// of another replica landing between a request's read and its write.
type hookStore struct {
	store.Store
	mu     sync.Mutex
	before func()
}

func (s *hookStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	s.mu.Lock()
	before := s.before
	s.before = nil
	s.mu.Unlock()
	if before != nil {
		before()
	}
	return s.Store.Update(ctx, fn)
}

// A change made through another replica between this replica's read and
// write is not overwritten: the write answers 409 and changes nothing.
func TestConcurrentChangeIsNotLost(t *testing.T) {
	b := newFixture(t, "")
	hooked := &hookStore{Store: b.store}
	gw := gateway.New(gateway.Options{PublicURL: "http://scim.test", Provider: provider.DefaultConfig(), Store: hooked, Registry: builtin.Registry()})
	t.Cleanup(func() { gw.Close() })
	h, err := admin.New(admin.Options{TokenHash: gateway.HashToken(adminToken), Gateway: gw, Store: hooked, Registry: builtin.Registry()})
	if err != nil {
		t.Fatal(err)
	}
	a := &fixture{t: t, store: hooked, gw: gw, admin: h, handler: h.Wrap(gw)}
	b.create(map[string]any{"name": "crm", "type": "local"})

	for _, op := range []struct {
		name, method, path string
		body               any
	}{
		{"replace", "PUT", "/admin/v1/instances/crm", map[string]any{"type": "local"}},
		{"rotate", "POST", "/admin/v1/instances/crm/token", nil},
	} {
		t.Run(op.name, func(t *testing.T) {
			hooked.mu.Lock()
			hooked.before = func() {
				if w := b.do("PUT", "/admin/v1/instances/crm", adminToken, map[string]any{"auth": map[string]any{"token_read_only": true}}); w.Code != http.StatusOK {
					t.Errorf("replica B's change: %d %s", w.Code, w.Body)
				}
			}
			hooked.mu.Unlock()
			w := a.do(op.method, op.path, adminToken, op.body)
			if w.Code != http.StatusConflict {
				t.Fatalf("write over a concurrent change: status %d, want 409: %s", w.Code, w.Body)
			}
			var got struct {
				Auth struct {
					TokenReadOnly bool `json:"token_read_only"`
				}
			}
			decodeBody(t, b.do("GET", "/admin/v1/instances/crm", adminToken, nil), &got)
			if !got.Auth.TokenReadOnly {
				t.Errorf("replica B's change was lost")
			}
		})
	}
}
