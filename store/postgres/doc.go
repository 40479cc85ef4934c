// Package postgres is the store.Store on PostgreSQL, for running several
// scimconnect replicas on one database (pgx v5 with its own pool,
// pgxpool; no database/sql).
//
// # Replicas
//
// Any number of processes may Open the same database (and schema): they
// behave as one store. Nothing is cached in the process, so a write
// committed through one replica is seen by the next View of every other;
// *DB does not implement store.Exclusive. Uniqueness (instance names,
// resource ids, a User's userName per instance, case-insensitively) is
// enforced by unique indexes, so two replicas creating the same userName
// at once get one success and one store.ErrConflict (SQLSTATE 23505).
//
// # Isolation
//
// View runs in a REPEATABLE READ, READ ONLY transaction: every read of fn
// sees one snapshot, and writes fail with store.ErrReadOnly before
// reaching the server.
//
// Update runs in a REPEATABLE READ transaction, and Updates behave as if
// they ran one at a time, as on SQLite where there is one writer: a
// read-then-write fn (read a version, then PutResource with it; check
// member ids with TypesOf, then AddMembers; look a record up, then create
// it) cannot interleave with another and lose an update, break a
// uniqueness it checked, or leave a dangling reference. Under REPEATABLE
// READ PostgreSQL fails a write to a row that another transaction changed
// after this one's snapshot (SQLSTATE 40001), so every such fn is made to
// end in a write to the rows its reads depend on:
//
//   - PutResource, UpdateInstance and TouchResources write the row they
//     read, and DeleteResource the row it deletes;
//   - CreateResource and CreateInstance insert with ON CONFLICT DO
//     NOTHING: a record the snapshot shows answers store.ErrConflict, one
//     committed after the snapshot fails with 40001, so "look up, then
//     create" runs again and sees it;
//   - AddMembers rewrites, unchanged, the resource rows of the group and
//     of every member that exists, so a DeleteResource of any of them,
//     committed before or after, conflicts with it and runs again: it
//     then removes the new membership, or the adding fn finds the
//     resource gone. A row lock would not do, as the DELETE that waited
//     for it would go ahead with a snapshot missing the membership.
//
// SERIALIZABLE would give the same guarantees without these writes, but
// its predicate locks cover whole index pages, and concurrent member
// changes failed each other often enough that some gave up: about 80
// HTTP 503s per run of the e2e replica test, against none now (and
// about twice the acknowledged writes).
//
// On SQLSTATE 40001 (or 40P01, a deadlock), Update rolls back and runs
// fn again on a new transaction, after a short random backoff, up to
// WithMaxAttempts times (DefaultMaxAttempts), then returns an error
// wrapping ErrContention, which callers may treat as "retry later" (HTTP
// 503). fn may therefore run more than once: it must not keep effects
// outside the Tx across runs. Stats counts the retries.
//
// A failed statement aborts a PostgreSQL transaction: after a write
// returns store.ErrConflict, fn must return it (as the store.Tx contract
// asks of portable callers; a refused create happens to leave the
// transaction usable, a refused PutResource does not). If fn ignores an
// error and returns nil, the COMMIT reports that the transaction was
// aborted.
//
// Every statement runs with the caller's context; cancelling it
// interrupts the statement (pgx then closes that connection and the pool
// replaces it). The COMMIT or ROLLBACK that ends a transaction runs even
// after the context ended, bounded by a timeout: an interrupted COMMIT
// would leave its outcome unknown. Update checks the context before
// committing.
//
// # Round trips
//
// A transaction's BEGIN travels with its first statement (one pipelined
// batch), so a View reading one resource costs two round trips and an
// Update creating one costs two, its COMMIT included. pgx prepares each
// statement once per connection. Batches (TouchResources, TypesOf,
// GroupsOfMany, AddMembers, RemoveMembers) pass their ids as one array
// parameter: one statement, one round trip. DeleteResource and
// DeleteInstance are single statements with data-modifying CTEs.
//
// # Change notifications
//
// An Update that wrote instances or settings sends, with its COMMIT,
// NOTIFY scimconnect_changes with the schema's name as payload;
// PostgreSQL delivers it only if the COMMIT succeeds, once per
// transaction. *DB implements store.Notifier: the first call to Changes
// opens one dedicated connection (outside the pool, named "scimconnect
// change listener" in pg_stat_activity) that LISTENs, proves that it
// receives by notifying itself once, and then wakes the subscribers for
// every notification of its schema. When that connection fails (or is
// silent and does not answer a ping within listenKeepalive), Listening
// turns false, the subscribers are woken, and it reconnects with a
// jittered backoff from 250 ms to 15 s; once back it wakes them again,
// since changes may have been missed. It is closed by Close.
//
// # Schema
//
// The schema is versioned by the embedded migrations/NNNN_*.sql files,
// applied in order by Open in one transaction holding an advisory lock
// (pg_advisory_xact_lock, keyed by the schema's name), so replicas
// starting together apply them once; the versions are recorded in
// schema_migrations. Open refuses a schema newer than the binary with
// ErrSchemaTooNew. Tables live in the first schema of the connection's
// search_path, or in the schema WithSchema names (created if missing),
// so several stores can share one database.
//
// Key columns use COLLATE "C" and case-insensitive keys are lowercased in
// Go (strings.ToLower), so keys compare as bytes as on SQLite. Data,
// Config and TokenHash are bytea, kept byte for byte; times are
// timestamptz (microseconds) and come back in UTC. Every lookup the
// store.Tx contract promises is an index lookup, in the plan of the first
// runs and in the generic plan of a cached statement alike (plan_test.go
// checks both with EXPLAIN): resources by (instance, id), by userName,
// externalId, displayName and email; lists page on (instance, type, seq)
// (keyset, never OFFSET); memberships by their key and by member. The
// email index and the per-type counters behind CountResources are kept
// by triggers, the counter sharded by seq so concurrent creates do not
// update the same row.
//
// Behaviour the contract leaves open, as this backend implements it (the
// same as SQLite): PutResource and UpdateInstance keep the stored Created
// (and set it in the argument); FindResources with an empty value finds
// nothing; ListResources with limit <= 0 returns nothing; GroupsOf lists
// only groups whose resource exists; Members are in the order they were
// added, displayed by the member's displayName, else userName; resources
// do not require their instance to be registered. Differences: text
// cannot contain NUL (U+0000) in PostgreSQL, so such a write fails (not
// with ErrConflict); and seq values are drawn when a resource is inserted
// but become visible at commit, so a client paging by seq while another
// transaction commits may not see a resource created during its paging
// (SQLite, with one writer, never shows this). SCIM makes no promise
// there (RFC 7644 §3.4.2.4).
//
// # What the database must provide
//
// PostgreSQL 11 or later (identity columns, statement triggers with
// transition tables, EXECUTE FUNCTION; tested on 15; run a supported
// release, 13 or later) with UTF8 encoding. The role needs CREATE on the
// database for the first Open (or on the schema), and the usual table
// privileges afterwards; plpgsql (installed by default) runs the
// triggers. Each replica holds up to its pool size in connections
// (WithMaxConns, or pool_max_conns in the DSN), plus one listening
// connection, so max_connections must cover every replica's pool plus
// one each, and headroom. LISTEN needs a session of its own: through a
// pooler in transaction mode (PgBouncer's default) notifications are not
// delivered, the probe fails, and replicas fall back to polling; point
// the DSN at the server or at a session-mode pool. Durability is the server's:
// a COMMIT that returned is on disk with the default synchronous_commit.
// Sessions writing these tables outside scimconnect must use the same
// search_path, because the trigger functions resolve the tables through
// it.
package postgres
