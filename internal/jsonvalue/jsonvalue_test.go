package jsonvalue

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
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

// valueCases are bodies Decode must decode as encoding/json does, or
// leave to it.
var valueCases = []string{
	`{}`, `[]`, `""`, `null`, `true`, `false`, `0`, `-0`, `1.5e3`, `-12.25E-2`, `1e400`, `123456789012345678901234567890`,
	` {"a" : [1, 2.5, "x", null, true, {"b": {}}], "a": "dup"} `, "\t[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u2028\"]\n",
	`"\ud83d\ude00"`, `"\ud83d"`, `"\ude00\ud83d"`, `"\ud83dx"`, `"\ud83d\u0041"`, `"\uD83D\uDE00"`, `"\u00"`, `"\x"`,
	"\"tab\tin string\"", "\"\x7f\"", "\"\xff\"", `{"a":1,}`, `[1,]`, `{"a" 1}`, `{1:2}`, `01`, `1.`, `.5`, `-`, `+1`, `tru`, `nul`, `[1 2]`,
	`{"a":1} x`, `{"a":1}{}`, ``, ` `, `"unterminated`, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Bench User 1"}]}`,
}

// checkUnmarshal decodes in into a fresh value of each destination type,
// with Unmarshal and with encoding/json, with and without json.Number, and
// reports any difference in error or result. A key filter that keeps
// everything must not change anything either (strings are then copied
// one by one, and keys interned, instead of sharing a copy of the input).
func checkUnmarshal(t *testing.T, in []byte) {
	t.Helper()
	dests := []func() any{
		func() any { return new(map[string]any) },
		func() any { return new([]map[string]any) },
		func() any { return new([]any) },
		func() any { return new(any) },
	}
	keepAll := func(string) bool { return true }
	for _, opts := range []Options{{}, {UseNumber: true}, {Keep: keepAll}, {UseNumber: true, Keep: keepAll}} {
		useNumber := opts.UseNumber
		for _, mk := range dests {
			got, want := mk(), mk()
			gotErr := Unmarshal(in, got, opts)
			var wantErr error
			if useNumber {
				wantErr = decodeOne(in, want, true)
			} else {
				wantErr = json.Unmarshal(in, want)
			}
			if (gotErr == nil) != (wantErr == nil) {
				t.Errorf("%T of %q (UseNumber %t): error %v, encoding/json %v", got, in, useNumber, gotErr, wantErr)
				continue
			}
			if gotErr != nil {
				if !useNumber && gotErr.Error() != wantErr.Error() {
					t.Errorf("%T of %q: error %q, encoding/json %q", got, in, gotErr, wantErr)
				}
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%T of %q (UseNumber %t):\n got %#v\nwant %#v", got, in, useNumber, reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem())
			}
		}
	}
}

// decodeOne decodes exactly one JSON value with json.Decoder.
func decodeOne(data []byte, v any, useNumber bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if useNumber {
		dec.UseNumber()
	}
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the value")
	}
	return nil
}

// checkDecode compares Decode with encoding/json, with and without
// json.Number: whatever Decode decodes, encoding/json decodes alike.
func checkDecode(t *testing.T, data []byte) {
	t.Helper()
	for _, useNumber := range []bool{false, true} {
		got, ok := Decode(data, Options{UseNumber: useNumber})
		var want any
		err := decodeOne(data, &want, useNumber)
		if ok && err != nil {
			t.Errorf("Decode(%q, %t) = %#v; encoding/json fails: %v", data, useNumber, got, err)
		}
		if ok && !reflect.DeepEqual(got, want) {
			t.Errorf("Decode(%q, %t) = %#v; encoding/json = %#v", data, useNumber, got, want)
		}
		// UniqueKeys only ever turns a decoded value into a duplicate.
		unique, uerr := DecodeValue(data, Options{UseNumber: useNumber, UniqueKeys: true})
		var dup *DuplicateKeyError
		switch {
		case uerr == nil && (!ok || !reflect.DeepEqual(unique, got)):
			t.Errorf("DecodeValue(%q, %t, unique) = %#v; Decode = %#v, %t", data, useNumber, unique, got, ok)
		case errors.As(uerr, &dup) && (!ok || dup.Path == ""):
			t.Errorf("DecodeValue(%q, %t, unique): %v; Decode = %t", data, useNumber, uerr, ok)
		case errors.Is(uerr, ErrNotDecoded) && ok:
			t.Errorf("DecodeValue(%q, %t, unique) not decoded; Decode decoded it", data, useNumber)
		}
	}
}

func TestMatchesEncodingJSON(t *testing.T) {
	for _, in := range append(append([]string{}, decodeCases...), valueCases...) {
		checkUnmarshal(t, []byte(in))
		checkDecode(t, []byte(in))
	}
}

// TestFastPath makes sure the cases that matter for speed do not fall
// back to encoding/json: escapes and non-ASCII are common in directory
// data, and what clients send must take the fast path, not only pass
// through.
func TestFastPath(t *testing.T) {
	for _, in := range []string{
		`{"id":"00u1","profile":{"department":"R\u0026D","name":"Zoë \"Z\""},"n":[1,2.5,-3e2]}`,
		"{\"s\":\"bad \xff byte\"}",
	} {
		var m map[string]any
		if !decodeInto([]byte(in), &m, Options{}) {
			t.Errorf("%q took the slow path", in)
		}
	}
	var m map[string]any
	if decodeInto([]byte(`{"a":1}x`), &m, Options{}) || m != nil {
		t.Errorf("invalid JSON decoded on the fast path: %v", m)
	}
	pre := map[string]any{"old": true}
	if decodeInto([]byte(`{"a":1}`), &pre, Options{}) {
		t.Error("a filled map was decoded on the fast path: encoding/json merges into it")
	}
	for _, s := range []string{`{}`, `[]`, `-12.25E-2`, ` {"a" : [1, 2.5, "x", null, true, {"b": {}}], "a": "dup"} `,
		"\t[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u2028\"]\n", `"\ud83d\ude00"`, `"\ud83d"`, "\"\x7f\"", "\"\xff\"", valueCases[len(valueCases)-1]} {
		for _, useNumber := range []bool{false, true} {
			if _, ok := Decode([]byte(s), Options{UseNumber: useNumber}); !ok {
				t.Errorf("Decode(%q, UseNumber %t) left valid JSON to encoding/json", s, useNumber)
			}
		}
	}
	deep := bytes.Repeat([]byte("["), 2000)
	deep = append(deep, bytes.Repeat([]byte("]"), 2000)...)
	if _, ok := Decode(deep, Options{}); ok {
		t.Error("Decode decoded 2000 levels of nesting; it should leave them to encoding/json")
	}
}

// TestOwnCopy checks that decoded strings do not alias the input, which
// the caller may reuse, with or without a key filter.
func TestOwnCopy(t *testing.T) {
	for _, opts := range []Options{{}, {Keep: func(string) bool { return true }}, {UseNumber: true}} {
		in := []byte(`{"a-long-key-name-here":"a long enough string value","n":12345678901234567890}`)
		got, ok := Decode(in, opts)
		clear(in)
		want := map[string]any{"a-long-key-name-here": "a long enough string value", "n": 12345678901234567890.0}
		if opts.UseNumber {
			want["n"] = json.Number("12345678901234567890")
		}
		if !ok || !reflect.DeepEqual(got, any(want)) {
			t.Errorf("Decode with %+v, input then cleared = %#v, %t; want %#v", opts, got, ok, want)
		}
	}
}

func TestUseNumber(t *testing.T) {
	in := []byte(`{"n":[0,-1.5e3,12345678901234567890,1e400],"s":"1"}`)
	want := map[string]any{"n": []any{json.Number("0"), json.Number("-1.5e3"), json.Number("12345678901234567890"), json.Number("1e400")}, "s": "1"}
	got, ok := Decode(in, Options{UseNumber: true})
	if !ok || !reflect.DeepEqual(got, any(want)) {
		t.Errorf("Decode with UseNumber = %#v, %t; want %#v", got, ok, want)
	}
	var m map[string]any
	if err := Unmarshal(in, &m, Options{UseNumber: true}); err != nil || !reflect.DeepEqual(m, want) {
		t.Errorf("Unmarshal with UseNumber = %#v, %v; want %#v", m, err, want)
	}
	// The slow path (a filled destination) gives json.Number too.
	m = map[string]any{"old": true}
	if err := Unmarshal([]byte(`{"n":1}`), &m, Options{UseNumber: true}); err != nil || m["n"] != json.Number("1") || m["old"] != true {
		t.Errorf("Unmarshal into a filled map with UseNumber = %#v, %v", m, err)
	}
}

func TestUniqueKeys(t *testing.T) {
	for _, tc := range []struct {
		in, dup string // dup "": decoded as without UniqueKeys
		err     error  // for invalid JSON
	}{
		{in: `{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}`},
		{in: `{"a":1,"a":2}`, dup: "a"},
		{in: `{"a":{"b":1,"c":{"d":1,"d":1}}}`, dup: "a.c.d"},
		{in: `{"a":[{"b":1},{"b":1,"b":2}]}`, dup: "a.b"},
		{in: `[{"k":1},{"k":1,"x":0,"k":2}]`, dup: "k"},
		{in: `{"a":1,"b":{"a":2,"b":3},"a":4}`, dup: "a"}, // the first, after the path went back up
		{in: `{"a":1,"a":2,`, err: ErrNotDecoded},         // invalid JSON is encoding/json's to report
		{in: `{"n":1e400,"n":1}`, err: ErrNotDecoded},     // as is a number out of range
	} {
		v, err := DecodeValue([]byte(tc.in), Options{UniqueKeys: true})
		switch {
		case tc.err != nil:
			if !errors.Is(err, tc.err) {
				t.Errorf("DecodeValue(%s) = %v, %v; want %v", tc.in, v, err, tc.err)
			}
		case tc.dup != "":
			var de *DuplicateKeyError
			if !errors.As(err, &de) || de.Path != tc.dup || v != nil {
				t.Errorf("DecodeValue(%s) = %v, %v; want a duplicate %q", tc.in, v, err, tc.dup)
			}
		default:
			var want any
			_ = json.Unmarshal([]byte(tc.in), &want)
			if err != nil || !reflect.DeepEqual(v, want) {
				t.Errorf("DecodeValue(%s) = %v, %v; want %v", tc.in, v, err, want)
			}
		}
		// Without UniqueKeys the last value wins, as with encoding/json.
		if tc.err == nil {
			var want any
			_ = json.Unmarshal([]byte(tc.in), &want)
			if got, err := DecodeValue([]byte(tc.in), Options{}); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("DecodeValue(%s) without UniqueKeys = %v, %v; want %v", tc.in, got, err, want)
			}
		}
	}
}

func TestKeep(t *testing.T) {
	keep := func(k string) bool { return k != "_links" && k != "credentials" }
	for _, tc := range []struct {
		in   string
		want any
	}{
		{`{"id":"a","_links":{"self":{"href":"x"}},"profile":{"_links":1},"credentials":[1,{"a":"\u00e9"}]}`,
			map[string]any{"id": "a", "profile": map[string]any{"_links": 1.0}}},
		{`[{"id":"a","_links":{}},null,{"_links":"s","id":"b"}]`,
			[]map[string]any{{"id": "a"}, nil, {"id": "b"}}},
		{`[{"id":"a","_links":{}},null,2,{"_links":"s","id":"b","x":{"_links":1}}]`,
			[]any{map[string]any{"id": "a"}, nil, 2.0, map[string]any{"id": "b", "x": map[string]any{"_links": 1.0}}}},
		// The slow path (a filled destination) drops the same keys.
		{`{"id":"a","_links":{"n":1},"n":1e400}`, map[string]any{"id": "a", "n": nil}},
	} {
		for _, asAny := range []bool{false, true} {
			var got reflect.Value
			if asAny {
				got = reflect.New(reflect.TypeFor[any]())
			} else {
				got = reflect.New(reflect.TypeOf(tc.want))
			}
			err := Unmarshal([]byte(tc.in), got.Interface(), Options{Keep: keep})
			if strings.Contains(tc.in, "1e400") {
				if err == nil {
					t.Errorf("%s: no error for an out-of-range number", tc.in)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.in, err)
			}
			want := tc.want
			if w, ok := want.([]map[string]any); ok && asAny {
				want = []any{w[0], nil, w[2]}
			}
			if !reflect.DeepEqual(got.Elem().Interface(), want) {
				t.Errorf("%s (into %s):\n got %#v\nwant %#v", tc.in, got.Type(), got.Elem().Interface(), want)
			}
			if v, ok := Decode([]byte(tc.in), Options{Keep: keep}); asAny && (!ok || !reflect.DeepEqual(v, want)) {
				t.Errorf("Decode(%s) with Keep = %#v, %t; want %#v", tc.in, v, ok, want)
			}
		}
	}
	// A filled destination takes encoding/json's path: the keys go too.
	m := map[string]any{"old": true}
	if err := Unmarshal([]byte(`{"id":"a","_links":{}}`), &m, Options{Keep: keep}); err != nil || !reflect.DeepEqual(m, map[string]any{"old": true, "id": "a"}) {
		t.Errorf("Unmarshal into a filled map with Keep = %#v, %v", m, err)
	}
	var x any = []any{}
	if err := Unmarshal([]byte(`[{"id":"a","_links":{}}]`), &x, Options{Keep: keep}); err != nil || !reflect.DeepEqual(x, any([]any{map[string]any{"id": "a"}})) {
		t.Errorf("Unmarshal into a filled *any with Keep = %#v, %v", x, err)
	}
	// Skipped values are still checked.
	for _, in := range []string{`{"id":"a","_links":{"x":}}`, `{"_links":"\q"}`, `[{"_links":[1,]}]`, `{"_links":1e400}`} {
		var v any
		if Unmarshal([]byte(in), &v, Options{Keep: keep}) == nil {
			t.Errorf("%s: invalid JSON in a skipped value decoded without error", in)
		}
	}
}

// FuzzUnmarshal: Unmarshal into every generic shape gives encoding/json's
// result or error.
func FuzzUnmarshal(f *testing.F) {
	for _, in := range decodeCases {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkUnmarshal(t, in)
	})
}

// FuzzDecode: whatever Decode decodes, encoding/json decodes alike.
func FuzzDecode(f *testing.F) {
	for _, s := range valueCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkDecode(t, data) })
}

// BenchmarkDecode compares Decode with encoding/json on a SCIM user as
// clients send it.
func BenchmarkDecode(b *testing.B) {
	body := []byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"bench-000001","name":{"givenName":"Given1","familyName":"Family","formatted":"Given1 Family"},` +
		`"displayName":"Given1 Family","emails":[{"value":"bench-000001@example.com","type":"work","primary":true}],"active":true,` +
		`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"100001","department":"Department 1"}}`)
	b.Run("Decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := Decode(body, Options{}); !ok {
				b.Fatal("not decoded")
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v any
			if err := json.NewDecoder(bytes.NewReader(body)).Decode(&v); err != nil {
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
