package httpx

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"os"
	"reflect"
	"strings"
	"testing"
)

// decodeCases are inputs whose decoding must equal encoding/json's: valid
// JSON of every kind (escapes, surrogates, invalid UTF-8, numbers at the
// edges of float64 exactness) and invalid JSON that must fail.
var decodeCases = []string{
	`{}`, `[]`, `null`, ` {"a" : 1 } `, "\t\n\r[1,2]\n",
	`{"id":"00u1","status":"ACTIVE","profile":{"login":"ada@example.com","n":-1.5e3,"b":true,"f":false,"z":null}}`,
	`[{"id":"a"},null,{"id":"b","x":[1,[2,[3]],{"y":{}}]}]`,
	`{"a":1,"a":2}`, `{"a":{"b":1},"a":{"c":2}}`,
	`{"s":"R\u0026D \"q\" \\ \/ \b\f\n\r\t"}`,
	`{"s":"\ud83d\ude00 pair, \ud83d lone, \ude00 lone, \ud83d\u0041 bad pair"}`,
	"{\"s\":\"caf\xc3\xa9 \xff\xfe invalid\"}", "{\"k\xff\":\"v\"}",
	`{"s":"é ü 日本"}`,
	`[0,-0,1,-1,123456789012345,1234567890123456,12345678901234567890,0.1,1e2,1E-2,-1.5e+10,9007199254740993]`,
	`[1e400]`, `{"a":-1e400}`,
	// Invalid: each must fail on both paths.
	``, ` `, `{`, `}`, `[`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `{"a":1}x`, `{"a":1} {}`,
	`[01]`, `[1.]`, `[.5]`, `[+1]`, `[-]`, `[1e]`, `[1e+]`, `[tru]`, `[nul]`, `[True]`,
	`["\x"]`, `["\u12"]`, `["\u12G4"]`, "[\"a\x01\"]", `["abc`, `["\`, `{"a":"b"`,
	`[1 2]`, `{"a":1 "b":2}`, `[,]`, `{,}`,
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	// Valid JSON of the wrong shape for some destinations.
	`"str"`, `1`, `true`, `[1,"a"]`, `[{"a":1},2]`, `{"a":[{"b":"c"}]}`,
}

// checkSame decodes in into a fresh value of each destination type, fast
// path and encoding/json, and reports any difference in error or result.
func checkSame(t *testing.T, in []byte) {
	t.Helper()
	dests := []func() any{
		func() any { return new(map[string]any) },
		func() any { return new([]map[string]any) },
		func() any { return new([]any) },
		func() any { return new(any) },
	}
	for _, mk := range dests {
		got, want := mk(), mk()
		gotErr := decodeJSON(in, got, nil)
		wantErr := json.Unmarshal(in, want)
		if (gotErr == nil) != (wantErr == nil) {
			t.Errorf("%T of %q: error %v, encoding/json %v", got, in, gotErr, wantErr)
			continue
		}
		if gotErr != nil {
			if gotErr.Error() != wantErr.Error() {
				t.Errorf("%T of %q: error %q, encoding/json %q", got, in, gotErr, wantErr)
			}
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%T of %q:\n got %#v\nwant %#v", got, in, reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem())
		}
	}
}

func TestDecodeMatchesEncodingJSON(t *testing.T) {
	for _, in := range decodeCases {
		checkSame(t, []byte(in))
	}
}

// TestDecodeFastPath makes sure the cases that matter for speed do not
// fall back to encoding/json: escapes and non-ASCII are common in
// directory data.
func TestDecodeFastPath(t *testing.T) {
	for _, in := range []string{
		`{"id":"00u1","profile":{"department":"R\u0026D","name":"Zoë \"Z\""},"n":[1,2.5,-3e2]}`,
		"{\"s\":\"bad \xff byte\"}",
	} {
		var m map[string]any
		if !decodeFast([]byte(in), &m, nil) {
			t.Errorf("%q took the slow path", in)
		}
	}
	var m map[string]any
	if decodeFast([]byte(`{"a":1}x`), &m, nil) || m != nil {
		t.Errorf("invalid JSON decoded on the fast path: %v", m)
	}
	pre := map[string]any{"old": true}
	if decodeFast([]byte(`{"a":1}`), &pre, nil) {
		t.Error("a filled map was decoded on the fast path: encoding/json merges into it")
	}
}

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

func FuzzDecode(f *testing.F) {
	for _, in := range decodeCases {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkSame(t, in)
	})
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
			if err := decodeJSON(body, &m, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fast without _links", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m map[string]any
			if err := decodeJSON(body, &m, noLinks); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestInternTable checks that a slot keeps the first string that took it:
// the same bytes get the same entry, a string of another slot its own,
// and a string whose slot is taken none, without pushing the first out.
func TestInternTable(t *testing.T) {
	var tab internTable
	slot := func(s string) uint64 {
		return maphash.Bytes(internSeed, []byte(s)) & (uint64(len(tab.slots)) - 1)
	}
	first := tab.get([]byte("ACTIVE"))
	if first == nil || first.s != "ACTIVE" || first.v != any("ACTIVE") {
		t.Fatalf("get(ACTIVE) = %+v", first)
	}
	if again := tab.get([]byte("ACTIVE")); again != first {
		t.Errorf("a second get(ACTIVE) gave another entry")
	}
	var collider string
	for i := 0; collider == ""; i++ {
		if s := fmt.Sprint("x", i); slot(s) == slot("ACTIVE") {
			collider = s
		}
	}
	if e := tab.get([]byte(collider)); e != nil {
		t.Errorf("get(%q) in a taken slot = %+v, want nil", collider, e)
	}
	if again := tab.get([]byte("ACTIVE")); again != first {
		t.Errorf("the first string lost its slot")
	}
}
