package scim

import "testing"

func TestGet(t *testing.T) {
	m := map[string]any{"userName": "exact", "DISPLAYNAME": "folded"}
	for _, c := range []struct {
		name string
		want any
	}{
		{"userName", "exact"},
		{"USERNAME", "exact"},
		{"displayName", "folded"},
		{"title", nil},
	} {
		if got := Get(m, c.name); got != c.want {
			t.Errorf("Get(%q) = %v, want %v", c.name, got, c.want)
		}
	}
	if got := Get(map[string]any{"a": 1, "A": 2}, "A"); got != 2 {
		t.Errorf("Get prefers the exact key: got %v, want 2", got)
	}
}
