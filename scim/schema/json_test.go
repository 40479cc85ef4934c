package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"reflect"
	"testing"
)

// jsonCases are values MarshalValue must encode exactly as json.Marshal.
var jsonCases = []any{
	nil, true, false, "", "plain", int64(0), int64(-42), int64(math.MaxInt64), int64(math.MinInt64),
	0.0, math.Copysign(0, -1), 1.5, -2.25, 1e20, 1e21, 123456789e15, 1e-6, 9.99e-7, 1e-7, 5e-324, math.MaxFloat64, 100.0, 1.0 / 3,
	"quote \" backslash \\ slash /", "html <b>&amp;</b>", "controls \x00\x01\b\f\n\r\t\x1f\x7f",
	"unicode é ß 日本 🙂", "separators \u2028 \u2029", "invalid \xff\xfe utf-8 \xe2\x82", "\xed\xa0\x80 surrogate",
	map[string]any{}, []any{}, map[string]any(nil), []any(nil),
	map[string]any{"b": int64(1), "a": "x", "B": true, "é": nil, "<k>": []any{"v", 2.5, map[string]any{"z": false, "y": []any{}}}},
	[]any{map[string]any{"value": "a@example.com", "primary": true}, "s", int64(7), nil},
	// Not resource values: handed to encoding/json.
	[]string{"a", "<b>"}, map[string]string{"k": "v"}, json.Number("12.5"), 42, struct {
		A string `json:"a"`
	}{"x"},
}

func TestMarshalValueMatchesEncodingJSON(t *testing.T) {
	for _, v := range jsonCases {
		want, wantErr := json.Marshal(v)
		got, err := MarshalValue(v)
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Errorf("MarshalValue(%#v) = %s, %v; json.Marshal = %s, %v", v, got, err, want, wantErr)
		}
	}
	// A map with more keys than the stack buffer holds.
	big := map[string]any{}
	for i := range 100 {
		big[string(rune('A'+i%26))+string(rune('a'+i/26))] = int64(i)
	}
	want, _ := json.Marshal(big)
	if got, _ := MarshalValue(big); !bytes.Equal(got, want) {
		t.Errorf("100 keys: got %s, want %s", got, want)
	}
}

func TestMarshalValueRefusesWhatEncodingJSONRefuses(t *testing.T) {
	for _, v := range []any{math.NaN(), math.Inf(1), map[string]any{"x": []any{math.Inf(-1)}}, map[string]any{"ch": make(chan int)}} {
		if b, err := MarshalValue(v); err == nil {
			t.Errorf("MarshalValue(%v) = %s, want an error", v, b)
		}
	}
}

// FuzzMarshalValue: whatever JSON decodes to, MarshalValue encodes it as
// json.Marshal does (also after Validate-like int64 conversion of whole
// numbers).
func FuzzMarshalValue(f *testing.F) {
	for _, v := range jsonCases {
		if b, err := json.Marshal(v); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		for _, x := range []any{v, withInts(v)} {
			want, wantErr := json.Marshal(x)
			got, err := MarshalValue(x)
			if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
				t.Fatalf("MarshalValue(%#v) = %s, %v; json.Marshal = %s, %v", x, got, err, want, wantErr)
			}
		}
	})
}

// withInts turns whole float64 numbers that fit into int64s, as Validate
// does for integer attributes.
func withInts(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = withInts(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = withInts(e)
		}
		return out
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<62 {
			return int64(x)
		}
	}
	return v
}

func BenchmarkMarshalValue(b *testing.B) {
	var v any
	doc := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bench-000001","name":{"givenName":"Given1","familyName":"Family","formatted":"Given1 Family"},` +
		`"displayName":"Given1 Family","emails":[{"value":"bench-000001@example.com","type":"work","primary":true}],"active":true,` +
		`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"100001","department":"Department 1"},` +
		`"meta":{"resourceType":"User","created":"2026-11-23T07:44:16.123456789Z","lastModified":"2026-11-23T07:44:16.123456789Z","version":"W/\"1\"","location":"http://127.0.0.1/scim/local/v2/Users/0f8a"}}`
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		b.Fatal(err)
	}
	b.Run("MarshalValue", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := MarshalValue(v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// unmarshalCases are bodies UnmarshalValue must decode as encoding/json
// does, or leave to it.
var unmarshalCases = []string{
	`{}`, `[]`, `""`, `null`, `true`, `false`, `0`, `-0`, `1.5e3`, `-12.25E-2`, `1e400`, `123456789012345678901234567890`,
	` {"a" : [1, 2.5, "x", null, true, {"b": {}}], "a": "dup"} `, "\t[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u2028\"]\n",
	`"\ud83d\ude00"`, `"\ud83d"`, `"\ude00\ud83d"`, `"\ud83dx"`, `"\ud83d\u0041"`, `"\uD83D\uDE00"`, `"\u00"`, `"\x"`,
	"\"tab\tin string\"", "\"\x7f\"", "\"\xff\"", `{"a":1,}`, `[1,]`, `{"a" 1}`, `{1:2}`, `01`, `1.`, `.5`, `-`, `+1`, `tru`, `nul`, `[1 2]`,
	`{"a":1} x`, `{"a":1}{}`, ``, ` `, `"unterminated`, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Bench User 1"}]}`,
}

func TestUnmarshalValueMatchesEncodingJSON(t *testing.T) {
	for _, s := range unmarshalCases {
		checkUnmarshal(t, []byte(s))
	}
	// What clients send must take the fast path, not only pass through.
	for _, s := range []string{`{}`, `[]`, `-12.25E-2`, ` {"a" : [1, 2.5, "x", null, true, {"b": {}}], "a": "dup"} `,
		"\t[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u2028\"]\n", `"\ud83d\ude00"`, `"\ud83d"`, "\"\x7f\"", unmarshalCases[len(unmarshalCases)-1]} {
		if _, ok := UnmarshalValue([]byte(s), false); !ok {
			t.Errorf("UnmarshalValue(%q) left valid JSON to encoding/json", s)
		}
	}
	deep := bytes.Repeat([]byte("["), 2000)
	deep = append(deep, bytes.Repeat([]byte("]"), 2000)...)
	if _, ok := UnmarshalValue(deep, false); ok {
		t.Error("UnmarshalValue decoded 2000 levels of nesting; it should leave them to encoding/json")
	}
}

// checkUnmarshal compares UnmarshalValue with encoding/json, with and
// without json.Number.
func checkUnmarshal(t *testing.T, data []byte) {
	t.Helper()
	for _, useNumber := range []bool{false, true} {
		got, ok := UnmarshalValue(data, useNumber)
		dec := json.NewDecoder(bytes.NewReader(data))
		if useNumber {
			dec.UseNumber()
		}
		var want any
		err := dec.Decode(&want)
		if err == nil {
			if _, terr := dec.Token(); terr != io.EOF {
				err = errors.New("data after the value")
			}
		}
		if ok && err != nil {
			t.Errorf("UnmarshalValue(%q, %t) = %#v; encoding/json fails: %v", data, useNumber, got, err)
		}
		if ok && !reflect.DeepEqual(got, want) {
			t.Errorf("UnmarshalValue(%q, %t) = %#v; encoding/json = %#v", data, useNumber, got, want)
		}
	}
}

// FuzzUnmarshalValue: whatever UnmarshalValue decodes, encoding/json
// decodes alike.
func FuzzUnmarshalValue(f *testing.F) {
	for _, s := range unmarshalCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkUnmarshal(t, data) })
}

func BenchmarkUnmarshalValue(b *testing.B) {
	body := []byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"bench-000001","name":{"givenName":"Given1","familyName":"Family","formatted":"Given1 Family"},` +
		`"displayName":"Given1 Family","emails":[{"value":"bench-000001@example.com","type":"work","primary":true}],"active":true,` +
		`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"100001","department":"Department 1"}}`)
	b.Run("UnmarshalValue", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := UnmarshalValue(body, false); !ok {
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
