// Package sqlite is the embedded store.Store: one SQLite file, pure Go
// (modernc.org/sqlite, no cgo). It backs the gateway's built-in local SCIM
// directory and the registry of connector instances.
//
// # Durability
//
// The database runs in WAL mode with synchronous=NORMAL. A committed
// Update is in the WAL file before Update returns, so it survives a crash
// or kill of the process. A power loss or OS crash may lose the
// transactions committed since the last WAL checkpoint synced the WAL to
// disk, but never corrupts the database. A background checkpointer (see
// WithCheckpointInterval) runs a checkpoint about every 100 ms while
// writes go on, so that is about the last 100 ms of commits plus the
// checkpoint's own duration; it also keeps the checkpoint's syncs, which
// take milliseconds, off the single writer that every Update waits for.
//
// # Concurrency
//
// SQLite has one writer. Updates run on a single write connection with
// BEGIN IMMEDIATE; Views run on a pool of read connections and, thanks to
// WAL, never wait for the writer and each see one snapshot.
//
// By default concurrent Updates are group-committed: one writer goroutine
// takes the Updates waiting (up to WithMaxBatch, 128 by default), runs
// their fns one after another in one transaction, then commits once. If a
// fn fails or panics, that transaction rolls back and the batch runs again
// with each fn inside its own SAVEPOINT: the failing fn is rolled back to
// its savepoint and its caller alone gets the error (or the panic). So a
// fn may run twice, which the store.Store contract allows; savepoints are
// paid for only by batches that need them. Every caller returns only
// after the COMMIT, and if the COMMIT fails they all get its error. A lone
// Update is never delayed waiting for company.
//
// Cancellation: SQLite answers an interrupted write by rolling back the
// whole transaction, which with group commit would undo other callers'
// work, so statements are never interrupted mid-flight. Contexts are
// checked before each Tx call and every few hundred rows read.
//
// # Schema
//
// The schema is versioned by the embedded migrations/NNNN_*.sql files,
// applied in order in one transaction by Open and recorded in the
// schema_migrations table. Open refuses a database whose schema is newer
// than the binary (ErrSchemaTooNew). Every lookup the store.Tx contract
// promises is an indexed one: resources by (instance, id), by userName,
// externalId and email, groups by displayName; lists page on seq (keyset, never
// OFFSET); membership changes cost a fixed number of b-tree operations per
// member changed, whatever the group's size; CountResources reads a
// counter kept by triggers.
//
// Behaviour the contract leaves open, as this backend implements it:
// PutResource and UpdateInstance keep the stored Created (and set it in
// the argument); FindResources with an empty value finds nothing;
// ListResources with limit <= 0 returns nothing; GroupsOf lists only
// groups whose resource exists; resources do not require their instance
// to be registered. A displayName lookup among users walks the instance's
// users: indexing it cost user PATCHes an index page each (migration 0004).
package sqlite
