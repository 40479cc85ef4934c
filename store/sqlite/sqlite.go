package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"github.com/scimconnect/scimconnect/store"
)

var _ store.Store = (*DB)(nil)

// ErrClosed is returned by every call on a DB after Close.
var ErrClosed = errors.New("sqlite: store is closed")

// ErrReadOnly is returned by a write through the Tx of a View.
var ErrReadOnly = errors.New("sqlite: write in a read-only transaction")

// DefaultMaxBatch is the default bound on the Update calls one group
// commit takes.
const DefaultMaxBatch = 128

// DefaultCheckpointInterval is the default pause between two background
// WAL checkpoints while writes go on.
const DefaultCheckpointInterval = 100 * time.Millisecond

// writerCheckpointPages is the WAL size (in pages) from which the writer
// checkpoints itself after a commit when the background checkpointer is
// on. The background checkpointer has copied most frames by then, so the
// writer copies and syncs only the tail, and its full checkpoint lets the
// next transaction restart the WAL from the beginning (a checkpoint that
// runs beside a busy writer never catches up with it).
const writerCheckpointPages = 4096

// config is what the Options set.
type config struct {
	maxBatch           int
	readConns          int
	busyTimeout        time.Duration
	cacheSizeKiB       int
	checkpointInterval time.Duration
}

// Option configures Open.
type Option func(*config)

// WithMaxBatch bounds how many concurrent Update calls share one commit
// (group commit). n <= 1 disables group commit: every Update is then its
// own BEGIN IMMEDIATE ... COMMIT on the single write connection.
func WithMaxBatch(n int) Option { return func(c *config) { c.maxBatch = n } }

// WithReadConns sets the size of the read connection pool used by View
// (default: 2 × GOMAXPROCS, at least 4).
func WithReadConns(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.readConns = n
		}
	}
}

// WithBusyTimeout sets how long a connection waits for a lock held by
// another process before failing with SQLITE_BUSY (default 5s). Within one
// process the store never contends with itself.
func WithBusyTimeout(d time.Duration) Option {
	return func(c *config) {
		if d >= 0 {
			c.busyTimeout = d
		}
	}
}

// WithCacheSize sets the page cache of each connection in KiB (default
// 16384, i.e. 16 MiB for the writer and for each reader).
func WithCacheSize(kib int) Option {
	return func(c *config) {
		if kib > 0 {
			c.cacheSizeKiB = kib
		}
	}
}

// WithCheckpointInterval sets the pause between two background WAL
// checkpoints while writes go on (default DefaultCheckpointInterval). A
// checkpoint copies committed pages from the WAL into the database file
// and syncs both; in the background it costs the writer nothing, and it
// bounds what a power loss can take to about the last interval's
// commits. d <= 0 turns the background checkpointer off: SQLite then
// checkpoints on the writer's connection every 1,000 pages of WAL.
func WithCheckpointInterval(d time.Duration) Option {
	return func(c *config) { c.checkpointInterval = d }
}

// DB is a Store in one SQLite file. It is safe for concurrent use.
//
// Writes go through a single connection (SQLite has one writer) and reads
// through a pool; in WAL mode readers see a consistent snapshot and never
// wait for the writer.
type DB struct {
	path   string
	rdb    *sql.DB
	wdb    *sql.DB
	cdb    *sql.DB // the background checkpointer's connection; nil when off
	rstmts *statements
	wstmts *statements

	maxBatch int
	reqs     chan *updateReq // to the writer goroutine when group commit is on

	lock *os.File // exclusive lock file; nil where locks are unavailable

	wrote              chan struct{} // a commit happened; cap 1, to the checkpointer
	checkpointInterval time.Duration

	closeOnce        sync.Once
	closing          chan struct{}
	writerDone       chan struct{}
	checkpointerDone chan struct{}
	closeErr         error
}

// Open opens (creating if needed, with its parent directory) the database
// at path, applies the pending schema migrations, and starts the writer.
// It refuses a database written by a newer schema with ErrSchemaTooNew.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	cfg := config{
		maxBatch:           DefaultMaxBatch,
		readConns:          max(4, 2*runtime.GOMAXPROCS(0)),
		busyTimeout:        5 * time.Second,
		cacheSizeKiB:       16 << 10,
		checkpointInterval: DefaultCheckpointInterval,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if path == "" || strings.ContainsAny(path, "?#") {
		// The driver reads parameters after '?': such a path would be cut.
		return nil, fmt.Errorf("sqlite: open %q: path must be non-empty and contain no '?' or '#'", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
	}
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return nil, err
	}

	d := &DB{
		path:               path,
		maxBatch:           cfg.maxBatch,
		checkpointInterval: cfg.checkpointInterval,
		wrote:              make(chan struct{}, 1),
		closing:            make(chan struct{}),
		writerDone:         make(chan struct{}),
		checkpointerDone:   make(chan struct{}),
	}
	ok := false
	defer func() {
		if !ok {
			d.closeHandles()
		}
	}()

	if d.lock, err = lockFile(path + ".lock"); err != nil {
		return nil, err
	}
	// SQLite would create the database world-readable (0644, less the
	// umask); it holds every resource, token hashes and the store-wide
	// key. Created here first, owner-only, it keeps that mode, and SQLite
	// gives its -wal and -shm files the database file's mode. An existing
	// file keeps the mode its operator gave it.
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	// One connection writes: BEGIN IMMEDIATE takes the write lock at once,
	// so a transaction never fails half-way on a lock upgrade.
	d.wdb, err = sql.Open("sqlite", dsn(path, cfg, connWriter))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	d.wdb.SetMaxOpenConns(1)
	d.wdb.SetMaxIdleConns(1)
	d.wdb.SetConnMaxLifetime(0)
	d.wdb.SetConnMaxIdleTime(0)
	if err := migrate(ctx, d.wdb, ms); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}

	d.rdb, err = sql.Open("sqlite", dsn(path, cfg, connReader))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	d.rdb.SetMaxOpenConns(cfg.readConns)
	d.rdb.SetMaxIdleConns(cfg.readConns)
	d.rdb.SetConnMaxLifetime(0)
	d.rdb.SetConnMaxIdleTime(0)

	if d.wstmts, err = prepare(ctx, d.wdb, numStmts); err != nil {
		return nil, err
	}
	if d.rstmts, err = prepare(ctx, d.rdb, firstWriteStmt); err != nil {
		return nil, err
	}
	if d.checkpointInterval > 0 {
		if d.cdb, err = sql.Open("sqlite", dsn(path, cfg, connCheckpointer)); err != nil {
			return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
		d.cdb.SetMaxOpenConns(1)
		d.cdb.SetMaxIdleConns(1)
		d.cdb.SetConnMaxLifetime(0)
		d.cdb.SetConnMaxIdleTime(0)
		if err := d.cdb.PingContext(ctx); err != nil {
			return nil, fmt.Errorf("sqlite: open %s: checkpointer: %w", path, err)
		}
		go d.checkpointer()
	} else {
		close(d.checkpointerDone)
	}
	if d.maxBatch > 1 {
		d.reqs = make(chan *updateReq)
		go d.writer()
	} else {
		close(d.writerDone)
	}
	ok = true
	return d, nil
}

// dsn builds the driver's connection string.
//
// journal_mode=WAL with synchronous=NORMAL: a commit appends to the WAL
// with write(2) and returns without fsync, so a committed Update survives
// a crash of the process (the data is in the OS page cache). A power loss
// or OS crash may lose the transactions committed since the last WAL
// checkpoint sync, but never corrupts the database.
func dsn(path string, cfg config, role connRole) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(cfg.busyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "temp_store(MEMORY)")
	if role == connCheckpointer {
		// It reads nothing but the WAL: no page cache to speak of.
		q.Add("_pragma", "cache_size(-64)")
	} else {
		q.Add("_pragma", "cache_size(-"+strconv.Itoa(cfg.cacheSizeKiB)+")")
	}
	if role == connWriter && cfg.checkpointInterval > 0 {
		q.Add("_pragma", "wal_autocheckpoint("+strconv.Itoa(writerCheckpointPages)+")")
	}
	if role == connReader {
		// query_only backs up ErrReadOnly: even a write that slipped
		// through would fail in SQLite.
		q.Add("_query_only", "1")
		q.Add("_txlock", "deferred")
	} else {
		q.Add("_txlock", "immediate")
	}
	return path + "?" + q.Encode()
}

// connRole is what a connection pool is for.
type connRole int

const (
	connWriter connRole = iota
	connReader
	connCheckpointer
)

// checkpointer copies committed WAL frames into the database file in the
// background, off the writer's path: a checkpoint syncs the WAL and the
// database file, which takes milliseconds, and on the writer's connection
// (SQLite's default, every 1,000 pages) every Update waiting would wait
// for it too. It runs a PASSIVE checkpoint, which never blocks the writer
// or the readers, after a commit and at most once per interval. A failed
// checkpoint is left to the next one and to the writer's own (see
// writerCheckpointPages): nothing committed depends on it.
func (d *DB) checkpointer() {
	defer close(d.checkpointerDone)
	pause := time.NewTimer(0)
	defer pause.Stop()
	for {
		select {
		case <-d.closing:
			return
		case <-d.wrote:
		}
		_, _ = d.cdb.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
		pause.Reset(d.checkpointInterval)
		select {
		case <-d.closing:
			return
		case <-pause.C:
		}
	}
}

// committed tells the checkpointer that the WAL grew.
func (d *DB) committed() {
	select {
	case d.wrote <- struct{}{}:
	default:
	}
}

// Ping checks that the database answers on both pools.
func (d *DB) Ping(ctx context.Context) error {
	if d.isClosed() {
		return ErrClosed
	}
	for _, db := range []*sql.DB{d.rdb, d.wdb} {
		var one int
		if err := db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
			return fmt.Errorf("sqlite: ping %s: %w", d.path, err)
		}
	}
	return nil
}

// Close waits for the Updates in flight, then closes the database. Later
// calls return ErrClosed.
func (d *DB) Close() error {
	d.closeOnce.Do(func() {
		close(d.closing)
		<-d.writerDone
		<-d.checkpointerDone
		d.closeErr = d.closeHandles()
	})
	return d.closeErr
}

func (d *DB) closeHandles() error {
	var errs []error
	for _, st := range []*statements{d.rstmts, d.wstmts} {
		if st != nil {
			errs = append(errs, st.close())
		}
	}
	for _, db := range []*sql.DB{d.cdb, d.rdb, d.wdb} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	if d.lock != nil {
		errs = append(errs, d.lock.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close %s: %w", d.path, err)
	}
	return nil
}

// Exclusive reports whether this process is the only one using the
// database (it holds the lock file), so readers may cache what they read
// as long as they drop it on every write made through this DB.
func (d *DB) Exclusive() bool { return d.lock != nil }

func (d *DB) isClosed() bool {
	select {
	case <-d.closing:
		return true
	default:
		return false
	}
}

// View runs fn in a read-only transaction on one snapshot. If fn panics,
// the transaction is ended and the panic continues.
func (d *DB) View(ctx context.Context, fn func(store.Tx) error) (err error) {
	if d.isClosed() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	sqlTx, err := d.rdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: view: begin: %w", err)
	}
	t := newTx(ctx, sqlTx, d.rstmts, true)
	defer func() {
		t.done = true
		// A read transaction has nothing to commit; ending it releases
		// the snapshot.
		if rerr := sqlTx.Rollback(); rerr != nil && err == nil && !errors.Is(rerr, sql.ErrTxDone) {
			err = fmt.Errorf("sqlite: view: end: %w", rerr)
		}
	}()
	return fn(t)
}

// Update runs fn in a read-write transaction. It returns fn's error (after
// rolling back everything fn wrote) or, when fn succeeded, the commit's.
// If fn panics, its writes are rolled back and the panic continues in the
// caller's goroutine.
//
// With group commit on (the default), concurrent Updates share one SQLite
// transaction and every caller returns only after the shared COMMIT; a
// failing fn undoes only its own writes (see runBatch), and may make the
// others of its batch run twice. fn must not call Update or View on the
// same DB (that would wait for itself) and must not keep the Tx after
// returning.
func (d *DB) Update(ctx context.Context, fn func(store.Tx) error) error {
	if d.isClosed() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.reqs == nil {
		return d.updateAlone(ctx, fn)
	}
	req := newUpdateReq(ctx, fn)
	defer putUpdateReq(req)
	select {
	case d.reqs <- req:
	case <-d.closing:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once the writer holds req it owns fn's outcome; wait for it even if
	// ctx ends (the Tx methods check ctx, so fn fails fast).
	<-req.done
	if req.panicked {
		panic(req.panicVal)
	}
	return req.err
}

// updateAlone runs one Update in its own transaction (group commit off).
func (d *DB) updateAlone(ctx context.Context, fn func(store.Tx) error) (err error) {
	sqlTx, err := d.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: update: begin: %w", err)
	}
	t := newTx(ctx, sqlTx, d.wstmts, false)
	committed := false
	defer func() {
		t.done = true
		if !committed {
			_ = sqlTx.Rollback() // fn's error or panic is the one to report
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	t.done = true
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlite: update: commit: %w", err)
	}
	committed = true
	d.committed()
	return nil
}

// updateReq is one Update waiting for the writer.
type updateReq struct {
	ctx      context.Context
	fn       func(store.Tx) error
	done     chan struct{}
	err      error
	panicked bool
	panicVal any
}

var updateReqPool = sync.Pool{New: func() any { return &updateReq{done: make(chan struct{}, 1)} }}

func newUpdateReq(ctx context.Context, fn func(store.Tx) error) *updateReq {
	r := updateReqPool.Get().(*updateReq)
	r.ctx, r.fn = ctx, fn
	return r
}

func putUpdateReq(r *updateReq) {
	*r = updateReq{done: r.done}
	updateReqPool.Put(r)
}

// writer is the single goroutine that owns the write connection when
// group commit is on. It takes one waiting Update, yields once, then takes
// every other one waiting by then (up to maxBatch), and commits them
// together: the commit cost (WAL frames written for every page touched,
// lock calls) is paid once per batch instead of once per Update. A lone
// Update is not delayed.
func (d *DB) writer() {
	defer close(d.writerDone)
	batch := make([]*updateReq, 0, d.maxBatch)
	for {
		select {
		case <-d.closing:
			return
		case r := <-d.reqs:
			batch = append(batch[:0], r)
		}
		// Let the goroutines that are ready to run do so first: under
		// load they are requests about to call Update, and joining this
		// batch spares each of them a commit of its own (the commit's WAL
		// writes and lock calls are most of a small write's cost). With
		// nothing else ready to run this returns at once, so a lone
		// Update is not delayed.
		runtime.Gosched()
	drain:
		for len(batch) < d.maxBatch {
			select {
			case r := <-d.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		d.runBatch(batch)
		for i, r := range batch {
			r.done <- struct{}{}
			batch[i] = nil
		}
	}
}

// runBatch runs the batch's fns in one transaction and sets each request's
// outcome. It first runs them one after another with nothing between
// them; if every fn succeeds, that transaction commits. If one fails, the
// transaction rolls back and the batch runs again with each fn inside its
// own SAVEPOINT, so that a failing fn undoes only its own writes. fns may
// run twice (the store.Store contract allows it). Savepoints are not free:
// two more statements per fn, and SQLite copies every page a fn first
// changes inside one into a sub-journal, which for a one-row write is
// about a seventh of its cost in the writer.
//
// The driver calls get a context that is never cancelled: SQLite answers
// an interrupted write by rolling back the whole transaction, which would
// take the other callers' work with it. Callers' contexts are checked
// between statements instead.
func (d *DB) runBatch(batch []*updateReq) {
	if d.runTx(batch, false) {
		d.runTx(batch, true)
	}
}

// runTx runs the batch's fns in one transaction and commits it. Without
// savepoints, a failing fn rolls back the whole transaction: if it was
// alone, its outcome is the one to report; otherwise runTx resets every
// outcome and answers again, and the batch must run again with
// savepoints. With savepoints, a failing fn is rolled back to its own and
// the others commit.
func (d *DB) runTx(batch []*updateReq, savepoints bool) (again bool) {
	bg := context.Background()
	sqlTx, err := d.wdb.BeginTx(bg, nil)
	if err != nil {
		failAll(batch, fmt.Errorf("sqlite: update: begin: %w", err))
		return false
	}
	bound := &boundStmts{tx: sqlTx, parent: d.wstmts}
	// exec runs a savepoint statement; if it fails, so does the batch.
	exec := func(id stmtID, what string) bool {
		if _, err := bound.get(id).ExecContext(bg); err != nil {
			_ = sqlTx.Rollback()
			failAll(batch, fmt.Errorf("sqlite: update: %s: %w", what, err))
			return false
		}
		return true
	}
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = err // fn never ran: nothing of it to undo
			continue
		}
		if savepoints && !exec(stmtSavepoint, "savepoint") {
			return false
		}
		runFn(r, &tx{ctx: r.ctx, stmts: bound})
		failed := r.err != nil || r.panicked
		if !savepoints {
			if !failed {
				continue
			}
			_ = sqlTx.Rollback()
			if len(batch) == 1 {
				return false
			}
			for _, r := range batch {
				r.err, r.panicked, r.panicVal = nil, false, nil
			}
			return true
		}
		if failed && !exec(stmtRollbackToSavepoint, "rollback to savepoint") {
			return false
		}
		// RELEASE also fails if SQLite rolled the whole transaction back
		// under fn (for example on SQLITE_FULL), which fails the batch.
		if !exec(stmtReleaseSavepoint, "release savepoint") {
			return false
		}
	}
	if err := sqlTx.Commit(); err != nil {
		failAll(batch, fmt.Errorf("sqlite: update: commit: %w", err))
		return false
	}
	d.committed()
	return false
}

// runFn runs r.fn, recording its error or panic.
func runFn(r *updateReq, t *tx) {
	defer func() {
		t.done = true
		if p := recover(); p != nil {
			r.panicked, r.panicVal = true, p
		}
	}()
	r.err = r.fn(t)
}

// failAll gives err to every request whose fn succeeded; a request whose
// fn failed keeps its own error (nothing of it was written either way).
func failAll(batch []*updateReq, err error) {
	for _, r := range batch {
		if r.err == nil && !r.panicked {
			r.err = err
		}
	}
}
