package patch

import (
	"errors"
	"strings"
	"testing"

	"github.com/scimconnect/scimconnect/scim"
)

// obj decodes a JSON object as encoding/json does, with json.Number numbers.
func obj(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := decodeStrict([]byte(s), &m); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

// body wraps a JSON array of operations in a PatchOp request.
func body(opsJSON string) []byte {
	return []byte(`{"schemas":["` + scim.PatchOpSchema + `"],"Operations":` + opsJSON + `}`)
}

// parseOps parses a JSON array of operations, failing the test on error.
func parseOps(t testing.TB, opsJSON string) []Operation {
	t.Helper()
	ops, err := Parse(body(opsJSON))
	if err != nil {
		t.Fatalf("Parse(%s): %v", opsJSON, err)
	}
	return ops
}

// checkErr asserts that err is a 400 *scim.Error with scimType and a detail
// containing every fragment.
func checkErr(t *testing.T, err error, scimType string, fragments ...string) {
	t.Helper()
	var se *scim.Error
	if !errors.As(err, &se) {
		t.Fatalf("error = %v (%T), want a *scim.Error", err, err)
	}
	if se.Status != 400 || se.ScimType != scimType {
		t.Errorf("error = %d %q, want 400 %q (detail %q)", se.Status, se.ScimType, scimType, se.Detail)
	}
	for _, f := range fragments {
		if !strings.Contains(se.Detail, f) {
			t.Errorf("detail %q does not contain %q", se.Detail, f)
		}
	}
}
