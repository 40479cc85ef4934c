package httpx

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// The decoder itself, and its equality with encoding/json, is tested in
// internal/jsonvalue; these tests cover what httpx makes of it.

func TestDecodeJSONFields(t *testing.T) {
	keep := func(k string) bool { return k != "_links" && k != "credentials" }
	for _, tc := range []struct {
		in   string
		want any
	}{
		{`{"id":"a","_links":{"self":{"href":"x"}},"profile":{"_links":1},"credentials":[1,{"a":"\u00e9"}]}`,
			map[string]any{"id": "a", "profile": map[string]any{"_links": 1.0}}},
		{`[{"id":"a","_links":{}},null,{"_links":"s","id":"b"}]`,
			[]map[string]any{{"id": "a"}, nil, {"id": "b"}}},
		// The slow path (an out-of-range number) drops the same keys.
		{`{"id":"a","_links":{"n":1},"n":1e400}`, map[string]any{"id": "a", "n": nil}},
	} {
		r := &Response{Status: 200, Body: []byte(tc.in)}
		got := reflect.New(reflect.TypeOf(tc.want))
		err := r.DecodeJSONFields(got.Interface(), keep)
		if strings.Contains(tc.in, "1e400") {
			if err == nil {
				t.Errorf("%s: no error for an out-of-range number", tc.in)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if !reflect.DeepEqual(got.Elem().Interface(), tc.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", tc.in, got.Elem().Interface(), tc.want)
		}
	}
	// Skipped values are still checked.
	for _, in := range []string{`{"id":"a","_links":{"x":}}`, `{"_links":"\q"}`, `[{"_links":[1,]}]`} {
		var m map[string]any
		var s []map[string]any
		r := &Response{Status: 200, Body: []byte(in)}
		if r.DecodeJSONFields(&m, keep) == nil && r.DecodeJSONFields(&s, keep) == nil {
			t.Errorf("%s: invalid JSON in a skipped value decoded without error", in)
		}
	}
}

// BenchmarkDecode compares the fast decoder with encoding/json on an
// Okta user as the simulator sends it.
func BenchmarkDecode(b *testing.B) {
	body, err := os.ReadFile("testdata/okta_user.json")
	if err != nil {
		b.Fatal(err)
	}
	noLinks := func(k string) bool { return k != "_links" }
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m map[string]any
			if err := (&Response{Status: 200, Body: body}).DecodeJSON(&m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fast without _links", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m map[string]any
			if err := (&Response{Status: 200, Body: body}).DecodeJSONFields(&m, noLinks); err != nil {
				b.Fatal(err)
			}
		}
	})
}
