package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/scimconnect/scimconnect/store"
)

var _ store.Store = (*DB)(nil)

// ErrClosed is returned by every call on a DB after Close.
var ErrClosed = errors.New("postgres: store is closed")

// ErrContention is returned by Update when fn's transaction lost a
// serialization race (SQLSTATE 40001 or 40P01) on every one of its
// attempts. Nothing of it was written; the caller may try again later.
var ErrContention = store.ErrContention

// DefaultMaxAttempts is how many times Update runs fn, by default, before
// it gives up with ErrContention.
const DefaultMaxAttempts = 10

// endTimeout bounds the COMMIT or ROLLBACK that ends a transaction. They
// run even when the caller's context has ended: interrupting a COMMIT
// would leave its outcome unknown, and a ROLLBACK frees the connection.
const endTimeout = 10 * time.Second

// config is what the Options set.
type config struct {
	schema      string
	maxConns    int32
	maxAttempts int
}

// Option configures Open.
type Option func(*config)

// WithSchema keeps the store's tables in the named schema, created by Open
// if missing, instead of the first schema of the connection's
// search_path. Several stores (tests, or deployments) can then share one
// database.
func WithSchema(name string) Option { return func(c *config) { c.schema = name } }

// WithMaxConns bounds the connection pool (default: the DSN's
// pool_max_conns, else pgxpool's default, the greater of 4 and the
// number of CPUs). Every replica holds up to this many connections.
func WithMaxConns(n int32) Option {
	return func(c *config) {
		if n > 0 {
			c.maxConns = n
		}
	}
}

// WithMaxAttempts sets how many times Update runs fn when its transaction
// keeps failing with a serialization failure or deadlock (default
// DefaultMaxAttempts; n < 1 means 1, no retry).
func WithMaxAttempts(n int) Option { return func(c *config) { c.maxAttempts = max(n, 1) } }

// DB is a store.Store on a PostgreSQL database, safe for concurrent use.
// Several DBs, in one process or in several, may share a database: they
// behave as one store.
type DB struct {
	pool        *pgxpool.Pool
	schema      string // the schema holding the tables
	maxAttempts int
	closed      atomic.Bool
	listener    *listener // change notifications (notify.go)

	retries atomic.Uint64 // attempts run again after a serialization failure
	gaveUp  atomic.Uint64 // Updates that returned ErrContention
}

// Open connects to the database dsn names (a PostgreSQL URL or key=value
// connection string, as pgx reads it: e.g.
// "postgres://user@host:5432/db?sslmode=verify-full&pool_max_conns=20"),
// applies the pending schema migrations, and returns the store. It fails
// if the server does not answer, is older than PostgreSQL 11, or holds a
// schema newer than this binary (ErrSchemaTooNew).
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	cfg := config{maxAttempts: DefaultMaxAttempts}
	for _, o := range opts {
		o(&cfg)
	}
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the DSN, password included.
		return nil, errors.New("postgres: open: cannot parse the connection string (a postgres:// URL or key=value pairs)")
	}
	if cfg.maxConns > 0 {
		pc.MaxConns = cfg.maxConns
	}
	if cfg.schema != "" {
		pc.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{cfg.schema}.Sanitize()
	}
	target := fmt.Sprintf("%s:%d/%s", pc.ConnConfig.Host, pc.ConnConfig.Port, pc.ConnConfig.Database)
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres: open %s: %w", target, err)
	}
	d := &DB{pool: pool, maxAttempts: cfg.maxAttempts, listener: newListener()}
	ms, err := loadMigrations(migrationFiles)
	if err == nil {
		d.schema, err = migrate(ctx, pool, cfg.schema, ms)
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open %s: %w", target, err)
	}
	return d, nil
}

// Schema returns the name of the schema holding the store's tables.
func (d *DB) Schema() string { return d.schema }

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	if d.closed.Load() {
		return ErrClosed
	}
	if err := d.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close waits for the Views and Updates in flight and closes every
// connection, the listening one included, and the channels Changes
// returned. Closing again does nothing; other calls return ErrClosed.
func (d *DB) Close() error {
	if !d.closed.Swap(true) {
		d.listener.close()
		d.pool.Close()
	}
	return nil
}

// Stats are counters of a DB since Open.
type Stats struct {
	// Retries counts the times Update ran fn again because its
	// transaction lost a serialization race.
	Retries uint64
	// GaveUp counts the Updates that returned ErrContention.
	GaveUp uint64
	// Pool is the connection pool's state.
	Pool *pgxpool.Stat
}

// Stats returns the DB's counters.
func (d *DB) Stats() Stats {
	return Stats{Retries: d.retries.Load(), GaveUp: d.gaveUp.Load(), Pool: d.pool.Stat()}
}

// View runs fn in a REPEATABLE READ, READ ONLY transaction: every read of
// fn sees the same snapshot, and a write fails with store.ErrReadOnly
// before reaching the server. If fn panics, the transaction is ended and
// the panic continues.
func (d *DB) View(ctx context.Context, fn func(store.Tx) error) error {
	if d.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: view: connect: %w", err)
	}
	t := &tx{ctx: ctx, conn: conn, begin: beginView, readOnly: true}
	defer t.end(ctx, false)
	return fn(t)
}

// Update runs fn in a REPEATABLE READ transaction that commits if fn
// returns nil; Updates behave as if they ran one at a time (see
// "Isolation" in the package documentation). It returns fn's error (after
// rolling back everything fn wrote) or, when fn succeeded, the commit's.
// If fn panics, its writes are rolled back and the panic continues in the
// caller's goroutine.
//
// fn may run more than once: when PostgreSQL fails the transaction with a
// serialization failure or a deadlock (another transaction wrote the rows
// it read or writes at the same time), Update rolls back and runs fn again on
// a fresh transaction, up to the configured number of attempts, then
// returns an error wrapping ErrContention. fn must therefore not keep
// effects outside the Tx across runs (reset what it collects at its
// start). A unique violation is not retried: it is store.ErrConflict.
func (d *DB) Update(ctx context.Context, fn func(store.Tx) error) error {
	if d.closed.Load() {
		return ErrClosed
	}
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err, lost := d.updateOnce(ctx, fn)
		if lost == nil {
			return err
		}
		if attempt >= d.maxAttempts {
			d.gaveUp.Add(1)
			return fmt.Errorf("%w: %d attempts, last: %w", ErrContention, attempt, lost)
		}
		d.retries.Add(1)
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

// updateOnce runs one attempt of an Update. lost is the serialization
// failure that doomed the attempt, if one did: then err is meaningless.
func (d *DB) updateOnce(ctx context.Context, fn func(store.Tx) error) (err, lost error) {
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: update: connect: %w", err), nil
	}
	t := &tx{ctx: ctx, conn: conn, begin: beginUpdate, schema: d.schema}
	committed := false
	defer func() {
		if !committed {
			t.end(ctx, false) // fn's error or panic is the one to report
		}
	}()
	err = fn(t)
	t.done = true
	if t.retry != nil {
		return err, t.retry
	}
	if err != nil {
		return err, nil
	}
	if err := ctx.Err(); err != nil {
		return err, nil // rolled back by the deferred end
	}
	committed = true
	if err := t.end(ctx, true); err != nil {
		if retryable(err) {
			return err, err
		}
		return fmt.Errorf("postgres: update: commit: %w", err), nil
	}
	return nil, nil
}

// end commits or rolls back the transaction, if it began, and returns
// the connection to the pool. A connection left inside a transaction (its
// ROLLBACK failed) is closed by the pool rather than reused.
func (t *tx) end(ctx context.Context, commit bool) error {
	t.done = true
	defer t.conn.Release()
	if !t.begun {
		return nil
	}
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), endTimeout)
	defer cancel()
	if !commit {
		_, err := t.conn.Exec(ectx, "ROLLBACK")
		return err
	}
	tag, err := t.commit(ectx)
	if err != nil {
		return err
	}
	if tag.String() == "ROLLBACK" {
		// PostgreSQL answers COMMIT with ROLLBACK when a statement of the
		// transaction failed and fn went on as if it had not.
		return errors.New("transaction aborted by an earlier failed statement whose error fn ignored")
	}
	return nil
}

// commit sends the COMMIT, preceded in the same round trip by the
// notification of a change to instances or settings if the transaction
// made one: PostgreSQL delivers it only if the COMMIT succeeds.
func (t *tx) commit(ctx context.Context) (pgconn.CommandTag, error) {
	if !t.notify {
		return t.conn.Exec(ctx, "COMMIT")
	}
	b := &pgx.Batch{}
	b.Queue(sqlNotify, t.schema)
	b.Queue("COMMIT")
	br := t.conn.SendBatch(ctx, b)
	_, err := br.Exec()
	var tag pgconn.CommandTag
	if err == nil {
		tag, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

// backoff sleeps before attempt+1: a random time up to 1ms doubled per
// attempt (at most 64ms), so transactions that just collided do not
// collide again in lockstep.
func backoff(ctx context.Context, attempt int) error {
	ceiling := time.Millisecond << min(attempt-1, 6)
	timer := time.NewTimer(rand.N(ceiling) + 1)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
