package scim

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestErrorDetailIsBounded: a detail quoting what the client sent (a
// 500 kB attribute name) is cut in the body at a character boundary.
func TestErrorDetailIsBounded(t *testing.T) {
	for _, name := range []string{strings.Repeat("x", 500_000), strings.Repeat("é", 250_000)} {
		e := BadRequest(InvalidSyntax, "unknown attribute %q", name)
		raw, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Detail string }
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatal(err)
		}
		if len(raw) > 3000 || !utf8.ValidString(body.Detail) || !strings.HasPrefix(body.Detail, "unknown attribute") || !strings.HasSuffix(body.Detail, "(cut)") {
			t.Errorf("body of %d bytes, detail %.60q…, want under 3,000 bytes, valid UTF-8, marked as cut", len(raw), body.Detail)
		}
	}
	short := BadRequest(InvalidSyntax, "unknown attribute %q", "shoeSize")
	if raw, _ := json.Marshal(short); !strings.Contains(string(raw), `"detail":"unknown attribute \"shoeSize\""`) {
		t.Errorf("a short detail changed: %s", raw)
	}
}
