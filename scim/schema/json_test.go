package schema

import (
	"bytes"
	"encoding/json"
	"math"
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
