package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/scimconnect/scimconnect/store"
)

// Defaults of RecorderOptions.
const (
	DefaultQueueSize        = 8192
	DefaultBatchSize        = 256
	DefaultFlushInterval    = 200 * time.Millisecond
	DefaultDropWarnInterval = time.Minute
	DefaultWriteTimeout     = 5 * time.Second
)

// writeBackoff are the waits between the attempts to append a batch;
// after the last attempt fails the batch is dropped.
var writeBackoff = []time.Duration{100 * time.Millisecond, 500 * time.Millisecond}

// ErrClosed is returned by Flush after Close.
var ErrClosed = errors.New("audit: recorder is closed")

// RecorderOptions configure a Recorder.
type RecorderOptions struct {
	// Log is where records go; required.
	Log store.AuditLog
	// Logger receives the warnings (dropped records, failed writes); nil
	// discards.
	Logger *slog.Logger
	// Registerer, when set, registers the recorder's metrics (e.g. the
	// gateway's metrics.Metrics.Registry()).
	Registerer prometheus.Registerer
	// QueueSize bounds the records waiting for the writer (default
	// DefaultQueueSize); beyond it new records are dropped.
	QueueSize int
	// BatchSize bounds the records of one store transaction (default
	// DefaultBatchSize).
	BatchSize int
	// FlushInterval is the longest a record waits for its batch to fill
	// before it is written (default DefaultFlushInterval).
	FlushInterval time.Duration
	// DropWarnInterval is the least time between two warnings about
	// dropped records (default DefaultDropWarnInterval).
	DropWarnInterval time.Duration
	// WriteTimeout bounds one attempt to append a batch (default
	// DefaultWriteTimeout).
	WriteTimeout time.Duration
}

// Recorder queues records and appends them to the store in batches from
// one background goroutine. Record never blocks. Safe for concurrent
// use; a nil *Recorder records nothing.
type Recorder struct {
	opts  RecorderOptions
	log   *slog.Logger
	queue chan Record
	flush chan chan error

	closing   chan struct{}
	done      chan struct{}
	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error

	// lastWarn is when dropped records were last logged (Unix ns);
	// unwarned counts the records dropped since.
	lastWarn atomic.Int64
	unwarned atomic.Int64

	written       prometheus.Counter
	droppedFull   prometheus.Counter
	droppedWrite  prometheus.Counter
	droppedClosed prometheus.Counter
	lastErr       error // of the writer goroutine only
}

// NewRecorder starts a Recorder writing to opts.Log.
func NewRecorder(opts RecorderOptions) (*Recorder, error) {
	if opts.Log == nil {
		return nil, errors.New("audit: recorder: a store audit log is required")
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.DropWarnInterval <= 0 {
		opts.DropWarnInterval = DefaultDropWarnInterval
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	r := &Recorder{
		opts:    opts,
		log:     opts.Logger,
		queue:   make(chan Record, opts.QueueSize),
		flush:   make(chan chan error),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	written := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "scimconnect_audit_records_written_total",
		Help: "Audit records written to the store.",
	})
	dropped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "scimconnect_audit_records_dropped_total",
		Help: `Audit records lost: the queue was full ("queue_full"), the store refused the batch on every attempt ("write_failed"), or the recorder was closed ("closed").`,
	}, []string{"reason"})
	queued := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "scimconnect_audit_queue_length",
		Help: "Audit records waiting to be written.",
	}, func() float64 { return float64(len(r.queue)) })
	if opts.Registerer != nil {
		written = register(opts.Registerer, written)
		dropped = register(opts.Registerer, dropped)
		_ = register(opts.Registerer, prometheus.Collector(queued))
	}
	r.written = written
	r.droppedFull = dropped.WithLabelValues("queue_full")
	r.droppedWrite = dropped.WithLabelValues("write_failed")
	r.droppedClosed = dropped.WithLabelValues("closed")
	go r.run()
	return r, nil
}

// register registers c, or returns the collector already registered
// under its name (a second recorder on the same registry shares it).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}

// Record queues rec for writing and returns at once. When the queue is
// full rec is dropped and counted. A zero Time is set to now.
func (r *Recorder) Record(rec Record) {
	if r == nil {
		return
	}
	if r.closed.Load() {
		r.droppedClosed.Inc()
		return
	}
	if rec.Time.IsZero() {
		rec.Time = time.Now()
	}
	select {
	case r.queue <- rec:
	default:
		r.droppedFull.Inc()
		r.warnDropped()
	}
}

// warnDropped logs the records dropped since the last warning, at most
// once per DropWarnInterval: a full queue drops thousands per second.
func (r *Recorder) warnDropped() {
	n := r.unwarned.Add(1)
	now := time.Now().UnixNano()
	last := r.lastWarn.Load()
	if now-last < int64(r.opts.DropWarnInterval) || !r.lastWarn.CompareAndSwap(last, now) {
		return
	}
	n = r.unwarned.Swap(0)
	r.log.Warn("audit: queue full, records dropped: the store does not keep up",
		"dropped", n, "queue_size", r.opts.QueueSize)
}

// Flush waits until every record queued before the call has been
// offered to the store, and returns the error of the last write, if
// that failed.
func (r *Recorder) Flush(ctx context.Context) error {
	if r == nil {
		return nil
	}
	ack := make(chan error, 1)
	select {
	case r.flush <- ack:
	case <-r.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-ack:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close writes every queued record and stops the writer. Call it after
// the last Record (once the HTTP server has stopped): records given later
// are dropped. It returns the error of the last write, if that failed.
func (r *Recorder) Close() error {
	if r == nil {
		return nil
	}
	r.closeOnce.Do(func() {
		r.closed.Store(true)
		close(r.closing)
		<-r.done
		r.closeErr = r.lastErr
	})
	return r.closeErr
}

// run is the writer goroutine.
func (r *Recorder) run() {
	defer close(r.done)
	batch := make([]Record, 0, r.opts.BatchSize)
	buf := make([]store.AuditRecord, 0, r.opts.BatchSize)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	write := func() {
		timer.Stop()
		if len(batch) == 0 {
			return
		}
		buf = buf[:0]
		for i := range batch {
			buf = append(buf, toStore(&batch[i]))
		}
		r.lastErr = r.write(buf)
		clear(batch) // drop references to the records' strings
		batch = batch[:0]
		clear(buf)
	}
	add := func(rec Record) {
		if len(batch) == 0 {
			timer.Reset(r.opts.FlushInterval)
		}
		batch = append(batch, rec)
		if len(batch) >= r.opts.BatchSize {
			write()
		}
	}
	drain := func() {
		for {
			select {
			case rec := <-r.queue:
				add(rec)
			default:
				write()
				return
			}
		}
	}
	for {
		select {
		case rec := <-r.queue:
			add(rec)
		case <-timer.C:
			write()
		case ack := <-r.flush:
			drain()
			ack <- r.lastErr
		case <-r.closing:
			drain()
			return
		}
	}
}

// write appends one batch, trying again after a failure; a batch that
// fails on every attempt is dropped and counted.
func (r *Recorder) write(recs []store.AuditRecord) error {
	var err error
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), r.opts.WriteTimeout)
		err = r.opts.Log.AppendAudit(ctx, recs)
		cancel()
		if err == nil {
			r.written.Add(float64(len(recs)))
			return nil
		}
		if attempt >= len(writeBackoff) {
			break
		}
		time.Sleep(writeBackoff[attempt])
	}
	r.droppedWrite.Add(float64(len(recs)))
	r.log.Error("audit: records lost: the store refused them", "records", len(recs), "attempts", len(writeBackoff)+1, "error", err)
	return fmt.Errorf("audit: write %d records: %w", len(recs), err)
}
