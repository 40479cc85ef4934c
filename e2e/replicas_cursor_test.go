package e2e

import (
	"github.com/scimconnect/scimconnect/internal/pgtest"

	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

// TestReplicasShareCursors pages through the users by RFC 9865 cursor,
// asking for each page on another replica than the previous one: every
// replica accepts the cursors of the others, because the key that signs
// them is kept in the store they share (sealed under the secret key the
// replicas are configured with). A replica of another store refuses them.
func TestReplicasShareCursors(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := fmt.Sprintf("scimtest_cursors_%d", time.Now().UnixNano())
	foreignSchema := schema + "_foreign"
	dropSchemaAtEnd(t, dsn, schema)
	dropSchemaAtEnd(t, dsn, foreignSchema)
	token := fmt.Sprintf("scim_cursors-%d", time.Now().UnixNano())
	secretEnv := "SCIMCONNECT_E2E_SECRET_KEY=" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x42}, 32))
	secretYAML := "secrets:\n  key_env: SCIMCONNECT_E2E_SECRET_KEY\n"

	replicas := []*demo{
		startReplicaWith(t, dsn, schema, token, secretYAML, []string{secretEnv}),
		startReplicaWith(t, dsn, schema, token, secretYAML, []string{secretEnv}),
		startReplicaWith(t, dsn, schema, token, secretYAML, []string{secretEnv}),
	}
	foreign := startReplica(t, dsn, foreignSchema, token)

	const users, pageSize = 23, 5
	var want []string
	for i := range users {
		want = append(want, replicas[i%len(replicas)].newUser(t, fmt.Sprintf("cursor-%02d@example.com", i)))
	}

	var got, cursors []string
	cursor := ""
	for page := 0; ; page++ {
		if page > users {
			t.Fatalf("more than %d pages: the cursors do not advance", users)
		}
		d := replicas[page%len(replicas)]
		b := d.listAll(t, "/Users", "cursor", cursor, "count", fmt.Sprint(pageSize))
		got = append(got, ids(b)...)
		cursor = str(b, "nextCursor")
		if cursor == "" {
			break
		}
		cursors = append(cursors, cursor)
	}
	if diff := cmp.Diff(sorted(want), sorted(got)); diff != "" {
		t.Errorf("users paged by cursor across replicas (-want +got):\n%s", diff)
	}
	if n := len(slices.Compact(sorted(got))); n != len(got) {
		t.Errorf("%d users listed, %d distinct: a page repeated users", len(got), n)
	}
	if len(cursors) != (users-1)/pageSize {
		t.Errorf("%d next cursors, want %d", len(cursors), (users-1)/pageSize)
	}

	// Every replica accepts every cursor; the foreign one refuses them.
	for i, c := range cursors {
		for _, d := range replicas {
			wantStatus(t, d.get(t, "/Users", "cursor", c, "count", fmt.Sprint(pageSize)), http.StatusOK)
		}
		if i == 0 {
			wantError(t, foreign.get(t, "/Users", "cursor", c, "count", fmt.Sprint(pageSize)), http.StatusBadRequest, "invalidCursor")
		}
	}

	// The key is stored sealed, not in plaintext.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(ctx) }()
	var stored []byte
	if err := conn.QueryRow(ctx, `SELECT value FROM `+pgx.Identifier{schema, "settings"}.Sanitize()+` WHERE key = 'cursor_key'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(stored), "enc:v2:") {
		t.Errorf("the stored cursor key is not sealed: %d bytes starting %q", len(stored), stored[:min(len(stored), 8)])
	}
}

// TestReplicasIndexPaging pages by startIndex on one replica while another
// deletes: a replica must not answer from page positions it remembered
// before a write it did not see (it cannot see the others' writes), so
// both replicas serve the same page for the same startIndex.
func TestReplicasIndexPaging(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := fmt.Sprintf("scimtest_index_paging_%d", time.Now().UnixNano())
	dropSchemaAtEnd(t, dsn, schema)
	token := fmt.Sprintf("scim_index-paging-%d", time.Now().UnixNano())
	a, b := startReplica(t, dsn, schema, token), startReplica(t, dsn, schema, token)
	var all []string
	for i := range 9 {
		all = append(all, a.newUser(t, fmt.Sprintf("paging-%d@example.com", i)))
	}
	page := func(d *demo, start int) []string {
		return ids(d.listAll(t, "/Users", "startIndex", fmt.Sprint(start), "count", "3"))
	}
	// A pages through once, remembering where each page starts.
	for start := 1; start <= 9; start += 3 {
		if got, want := page(a, start), all[start-1:start+2]; !slices.Equal(got, want) {
			t.Fatalf("startIndex %d on A: %v, want %v", start, got, want)
		}
	}
	// B deletes the first user: every later user moves up one place.
	wantStatus(t, b.do(t, http.MethodDelete, "/Users/"+all[0], nil), http.StatusNoContent)
	rest := all[1:]
	// Later pages first: asking for the first page would refresh what A
	// remembers.
	for _, start := range []int{7, 4, 1} {
		want := rest[start-1 : min(start+2, len(rest))]
		for _, d := range []*demo{a, b} {
			if got := page(d, start); !slices.Equal(got, want) {
				t.Errorf("after a delete through B, startIndex %d on %s: %v, want %v", start, d.Origin, got, want)
			}
		}
	}
}
