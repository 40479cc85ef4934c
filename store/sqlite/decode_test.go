package sqlite

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestParseStoredTimeMatchesTimeParse: the fast path reads what
// formatTime writes exactly as time.Parse does, and leaves every other
// shape to time.Parse.
func TestParseStoredTimeMatchesTimeParse(t *testing.T) {
	for _, s := range []string{
		formatTime(time.Date(2026, 11, 23, 7, 44, 16, 123456789, time.UTC)),
		formatTime(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)),
		formatTime(time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)),
		formatTime(time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)),
		"2023-02-29T12:00:00.000000000Z", "2026-13-01T00:00:00.000000000Z", "2026-11-23T24:00:00.000000000Z",
		"2026-11-23T07:44:16.12345678xZ", "2026-11-23T07:44:16Z", "2026-11-23T07:44:16.123+01:00", "", "garbage",
	} {
		want, wantErr := time.Parse(time.RFC3339Nano, s)
		got, err := parseTime(s)
		if (err != nil) != (wantErr != nil) || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; time.Parse = %v, %v", s, got, err, want, wantErr)
		}
	}
}

// TestDecodeStringsMatchesJSON: the fast path reads what emailsText writes
// exactly as encoding/json does; escapes and malformed lists go through
// encoding/json.
func TestDecodeStringsMatchesJSON(t *testing.T) {
	lists := [][]string{{"a@example.com"}, {"A@x.org", "b@y.org", ""}, {`q"uote`, `back\slash`, "tab\t", "é日本", "<&>"}}
	var inputs []string
	for _, l := range lists {
		b, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, string(b))
	}
	inputs = append(inputs, `[]`, `["a",]`, `["a" ,"b"]`, `["a"`, `[1]`, `"a"`, `["a","b"]x`, "[\"\xff\"]", "[\"a\x01\"]", `[""]`)
	for _, s := range inputs {
		var want []string
		wantErr := json.Unmarshal([]byte(s), &want)
		got, err := decodeStrings(s)
		if (err != nil) != (wantErr != nil) || (err == nil && !cmp.Equal(got, want)) {
			t.Errorf("decodeStrings(%q) = %q, %v; json.Unmarshal = %q, %v", s, got, err, want, wantErr)
		}
	}
}
