package main

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// dropSchema removes a test schema.
func dropSchema(t *testing.T, dsn, schema string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Logf("drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		t.Logf("drop schema %s: %v", schema, err)
	}
}

// dumpSchema returns every row of every table of schema as PostgreSQL
// prints it (bytea as hex), by table name.
func dumpSchema(t *testing.T, dsn, schema string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("dump schema %s: %v", schema, err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`, schema)
	if err != nil {
		t.Fatalf("dump schema %s: %v", schema, err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("dump schema %s: %v", schema, err)
	}
	out := map[string][]byte{}
	for _, table := range tables {
		var text *string
		name := pgx.Identifier{schema, table}.Sanitize()
		if err := conn.QueryRow(ctx, `SELECT string_agg(t::text, E'\n') FROM `+name+` t`).Scan(&text); err != nil {
			t.Fatalf("dump %s: %v", name, err)
		}
		if text != nil {
			out[schema+"."+table] = []byte(*text)
		}
	}
	if len(out) == 0 {
		t.Fatalf("dump schema %s: no rows at all", schema)
	}
	return out
}
