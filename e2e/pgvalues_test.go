package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scimconnect/scimconnect/internal/pgtest"
)

// Values PostgreSQL cannot hold (a NUL character in text) or index (a
// key longer than a btree row) are the client's bad input: 400
// invalidValue with nothing written, never a 500 logged as an internal
// error. SQLite takes them.
func TestPostgresRejectedValuesAreBadRequests(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := fmt.Sprintf("scimtest_values_%d", time.Now().UnixNano())
	dropSchemaAtEnd(t, dsn, schema)
	d := startReplica(t, dsn, schema, fmt.Sprintf("scim_values-%d", time.Now().UnixNano()))
	// Random hex digits: a key PostgreSQL cannot compress under its
	// index limit.
	raw := make([]byte, 2000)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	long := hex.EncodeToString(raw)
	user := func(extra string) string {
		return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],` + extra + `}`
	}
	tests := []struct {
		name, method, path, body string
	}{
		{"NUL in userName", http.MethodPost, "/Users", user(`"userName":"a\u0000b"`)},
		{"long userName", http.MethodPost, "/Users", user(`"userName":"` + long + `"`)},
		{"long externalId", http.MethodPost, "/Users", user(`"userName":"x1","externalId":"` + long + `"`)},
		{"long e-mail", http.MethodPost, "/Users", user(`"userName":"x2","emails":[{"value":"` + long + `@example.com"}]`)},
		{"long displayName", http.MethodPost, "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"` + long + `"}`},
		{"NUL in an id", http.MethodGet, "/Users/a%00b", ""},
		{"NUL in a filter", http.MethodGet, "/Users?filter=" + `userName%20eq%20%22a%5Cu0000b%22`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.body != "" {
				body = []byte(tt.body)
			}
			r := d.do(t, tt.method, tt.path, body)
			if r.Status != http.StatusBadRequest || str(r.Body, "scimType") != "invalidValue" {
				t.Errorf("status %d, want 400 invalidValue: %.300s", r.Status, r.Raw)
			}
		})
	}
	if r := d.get(t, "/Users"); num(t, r.Body, "totalResults") != 0 {
		t.Errorf("refused creates left users behind: %.300s", r.Raw)
	}
	if strings.Contains(d.output.String(), "internal error") {
		t.Errorf("bad input logged as an internal error:\n%s", d.output)
	}
}
