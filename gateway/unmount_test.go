package gateway_test

import (
	"testing"

	"github.com/scimconnect/scimconnect/gateway"
)

func TestUnmountAndSetTokenHash(t *testing.T) {
	const first, second = "token-of-instance-a-0001", "token-of-instance-a-0002"
	f := newFixture(t, map[string]string{"a": first, "b": "token-of-instance-b-0002"})
	steps := []struct {
		name   string
		do     func() error
		token  string
		status int
	}{
		{"mounted", func() error { return nil }, first, 200},
		{"new hash: old token refused", func() error { return f.gw.SetTokenHash("a", gateway.HashToken(second)) }, first, 401},
		{"new hash: new token accepted", func() error { return nil }, second, 200},
		{"unmounted", func() error {
			if !f.gw.Unmount("a") {
				t.Error("Unmount reported nothing mounted")
			}
			return nil
		}, second, 401},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if err := s.do(); err != nil {
				t.Fatal(err)
			}
			if w := f.do("GET", "/scim/a/v2/Users", s.token); w.Code != s.status {
				t.Errorf("status %d, want %d", w.Code, s.status)
			}
		})
	}
	if f.gw.Mounted("a") || !f.gw.Mounted("b") {
		t.Error("Mounted disagrees with what was unmounted")
	}
	if f.gw.Unmount("a") {
		t.Error("second Unmount reported an instance")
	}
	if err := f.gw.SetTokenHash("a", gateway.HashToken(second)); err == nil {
		t.Error("SetTokenHash on an unmounted instance succeeded")
	}
	if err := f.gw.SetTokenHash("b", []byte("short")); err == nil {
		t.Error("SetTokenHash accepted a hash that is not SHA-256")
	}
	if w := f.do("GET", "/scim/b/v2/Users", "token-of-instance-b-0002"); w.Code != 200 {
		t.Errorf("other instance after the changes: %d", w.Code)
	}
}
