package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	migrationpkg "github.com/scimconnect/scimconnect/store/migration"
	"hash/fnv"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrSchemaTooNew means the database was written by a newer scimconnect
// whose schema this binary does not know; Open refuses it rather than risk
// corrupting data it does not understand. Upgrade this binary, or roll
// the replicas back together with the database.
var ErrSchemaTooNew = errors.New("postgres: database schema is newer than this binary")

// minServerVersion is the oldest PostgreSQL the schema runs on: identity
// columns and statement triggers with transition tables (10), EXECUTE
// FUNCTION in CREATE TRIGGER (11).
const minServerVersion = 110000

// migration is one embedded schema step.
type migration = migrationpkg.Step

// loadMigrations reads the embedded migrations in version order.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	ms, err := migrationpkg.Load(fsys)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return ms, nil
}

// lockKey is the advisory lock serializing the migrations of one schema:
// replicas starting together wait for each other instead of racing, and
// stores in other schemas of the database are not held up.
func lockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("scimconnect/store/postgres/migrate\x00" + schema))
	return int64(h.Sum64())
}

// migrate brings the schema up to date, in one transaction holding the
// schema's advisory lock, and returns the schema's name. schema is the
// one WithSchema named (created if missing) or "" for the first schema
// of the search_path. It refuses a database newer than ms.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string, ms []migration) (_ string, err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return "", fmt.Errorf("connect: %w", err)
	}
	defer conn.Release()

	var version int
	var encoding string
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int, current_setting('server_encoding')`).Scan(&version, &encoding); err != nil {
		return "", fmt.Errorf("read server version: %w", err)
	}
	if version < minServerVersion {
		return "", fmt.Errorf("PostgreSQL server version %d is too old: 11 or later is required", version)
	}
	if encoding != "UTF8" {
		return "", fmt.Errorf("database encoding is %s: UTF8 is required", encoding)
	}

	tx, err := conn.Begin(ctx)
	if err != nil {
		return "", fmt.Errorf("migrate: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx)) // the migration error is the one to report
		}
	}()
	if schema == "" {
		var current *string
		if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&current); err != nil {
			return "", fmt.Errorf("migrate: read current schema: %w", err)
		}
		if current == nil {
			return "", errors.New("migrate: no schema of the search_path exists: create one or set search_path in the DSN")
		}
		schema = *current
	}
	// Held until the transaction ends.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey(schema)); err != nil {
		return "", fmt.Errorf("migrate: lock: %w", err)
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&exists); err != nil {
		return "", fmt.Errorf("migrate: look up schema %q: %w", schema, err)
	}
	if !exists {
		if _, err := tx.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
			return "", fmt.Errorf("migrate: create schema %q: %w", schema, err)
		}
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY,
		name    text NOT NULL,
		applied timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return "", fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return "", fmt.Errorf("migrate: read version: %w", err)
	}
	latest := len(ms)
	if current > latest {
		return "", fmt.Errorf("%w: schema %q is at version %d, this binary knows up to %d", ErrSchemaTooNew, schema, current, latest)
	}
	for _, m := range ms[current:] {
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return "", fmt.Errorf("migrate: apply %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			return "", fmt.Errorf("migrate: record %s: %w", m.Name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return "", fmt.Errorf("migrate: commit: %w", err)
	}
	return schema, nil
}
