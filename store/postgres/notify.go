package postgres

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scimconnect/scimconnect/store"
)

var _ store.Notifier = (*DB)(nil)

// notifyChannel is the channel every store notifies and listens on. The
// payload is the schema whose instances or settings changed, so stores
// of other schemas in the same database ignore the notification (a
// channel named after the schema could exceed PostgreSQL's 63 bytes).
const notifyChannel = "scimconnect_changes"

// sqlNotify is sent before the COMMIT of an Update that wrote instances
// or settings. PostgreSQL delivers it only if the COMMIT succeeds, and
// once per transaction however many writes it made.
const sqlNotify = `SELECT pg_notify('` + notifyChannel + `', $1)`

// listenerAppName names the listening connection in pg_stat_activity.
const listenerAppName = "scimconnect change listener"

// Timings of the listening connection.
const (
	// listenConnectTimeout bounds connecting and subscribing.
	listenConnectTimeout = 10 * time.Second
	// listenProbeTimeout bounds the wait for the connection's own probe
	// notification: a pooler in transaction mode (PgBouncer) accepts
	// LISTEN but does not deliver, and the probe finds that out.
	listenProbeTimeout = 5 * time.Second
	// listenKeepalive is how long the connection may stay silent before
	// it is pinged: a server that vanished without closing the TCP
	// connection is noticed within about this long.
	listenKeepalive = 30 * time.Second
	// listenPingTimeout bounds that ping.
	listenPingTimeout = 5 * time.Second
	// listenRetryMin and listenRetryMax bound the backoff between
	// attempts to listen again after a failure.
	listenRetryMin = 250 * time.Millisecond
	listenRetryMax = 15 * time.Second
)

// listener fans the notifications of one dedicated connection out to
// the channels Changes returned. It starts with the first Changes and
// runs, reconnecting as needed, until the DB closes.
type listener struct {
	mu      sync.Mutex
	subs    map[chan struct{}]struct{} // guarded by mu
	started bool                       // guarded by mu
	closed  bool                       // guarded by mu

	stop      context.CancelFunc // ends the loop; set with started
	done      chan struct{}      // closed when the loop has ended
	closing   chan struct{}      // closed by Close: ends every subscription
	listening atomic.Bool
	// lastErr is why the last attempt to listen ended (nil while
	// listening, or before the first attempt).
	lastErr atomic.Pointer[error]
	// pid is the backend process id of the listening connection (0 when
	// there is none), so that tests can cut it.
	pid atomic.Uint32
	// received counts the notifications of this schema received, so that
	// tests can tell which notifications arrived.
	received atomic.Uint64
}

func newListener() *listener {
	return &listener{subs: map[chan struct{}]struct{}{}, closing: make(chan struct{})}
}

// Changes implements store.Notifier: the returned channel receives a
// value soon after any DB on the same database and schema commits an
// Update that wrote instances or settings (CreateInstance,
// UpdateInstance, DeleteInstance, PutSetting), and whenever Listening
// changes. It is closed when ctx ends or the DB closes. The first call
// opens one dedicated connection, outside the pool, which LISTENs until
// Close, reconnecting with backoff when it fails.
func (d *DB) Changes(ctx context.Context) <-chan struct{} {
	l := d.listener
	ch := make(chan struct{}, 1)
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		close(ch)
		return ch
	}
	l.subs[ch] = struct{}{}
	if !l.started {
		l.started = true
		lctx, stop := context.WithCancel(context.Background())
		l.stop, l.done = stop, make(chan struct{})
		go d.listen(lctx)
	}
	l.mu.Unlock()
	go func() {
		select {
		case <-ctx.Done():
		case <-l.closing:
		}
		l.mu.Lock()
		delete(l.subs, ch)
		close(ch)
		l.mu.Unlock()
	}()
	return ch
}

// Listening implements store.Notifier: it reports whether the dedicated
// connection is subscribed and has proved that it receives.
func (d *DB) Listening() bool { return d.listener.listening.Load() }

// ListenErr returns why notifications do not arrive: nil while Listening,
// else the error that ended the last attempt to listen (nil before the
// first one ended), for the log of whoever polls meanwhile.
func (d *DB) ListenErr() error {
	if d.listener.listening.Load() {
		return nil
	}
	if p := d.listener.lastErr.Load(); p != nil {
		return *p
	}
	return nil
}

// broadcast wakes every subscriber without blocking: a subscriber whose
// channel is full has a wake-up pending already.
func (l *listener) broadcast() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ch := range l.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// setListening records whether notifications arrive, waking the
// subscribers when that changes: they poll meanwhile, and changes may
// have been missed while nobody listened.
func (l *listener) setListening(on bool) {
	if l.listening.Swap(on) != on {
		l.broadcast()
	}
}

// close stops the loop and ends every subscription; it waits for the
// loop, so that no connection outlives the DB.
func (l *listener) close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	close(l.closing)
	started := l.started
	l.mu.Unlock()
	if started {
		l.stop()
		<-l.done
	}
}

// listen keeps a listening connection until ctx ends.
func (d *DB) listen(ctx context.Context) {
	l := d.listener
	defer close(l.done)
	delay := listenRetryMin
	for {
		err := d.listenOnce(ctx, func() { delay = listenRetryMin })
		l.lastErr.Store(&err)
		l.pid.Store(0)
		l.setListening(false)
		if ctx.Err() != nil {
			return
		}
		// Jittered, so replicas cut off together do not reconnect in step.
		wait := delay/2 + rand.N(delay/2+1)
		delay = min(2*delay, listenRetryMax)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// listenOnce connects, subscribes, proves delivery with a probe, and then
// relays notifications of this DB's schema until the connection fails or
// ctx ends. ready is called once the probe came back.
func (d *DB) listenOnce(ctx context.Context, ready func()) error {
	l := d.listener
	cfg := d.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = listenerAppName
	cctx, cancel := context.WithTimeout(ctx, listenConnectTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return fmt.Errorf("postgres: listen: connect: %w", err)
	}
	defer func() {
		ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), endTimeout)
		defer cancel()
		_ = conn.Close(ectx)
	}()
	if _, err := conn.Exec(cctx, `LISTEN `+notifyChannel); err != nil {
		return fmt.Errorf("postgres: listen: %w", err)
	}
	probe, err := probePayload()
	if err != nil {
		return err
	}
	if _, err := conn.Exec(cctx, sqlNotify, probe); err != nil {
		return fmt.Errorf("postgres: listen: probe: %w", err)
	}
	pctx, cancelProbe := context.WithTimeout(ctx, listenProbeTimeout)
	defer cancelProbe()
	for {
		n, err := conn.WaitForNotification(pctx)
		if err != nil {
			return fmt.Errorf("postgres: listen: the probe notification did not come back (is a pooler in transaction mode in between?): %w", err)
		}
		if n.Payload == probe {
			break
		}
		// A change committed while subscribing: the wake-up that
		// setListening sends below covers it.
	}
	cancelProbe()
	l.pid.Store(conn.PgConn().PID())
	l.setListening(true)
	ready()
	for {
		wctx, cancel := context.WithTimeout(ctx, listenKeepalive)
		n, err := conn.WaitForNotification(wctx)
		timedOut := wctx.Err() != nil
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err == nil:
			if n.Channel == notifyChannel && n.Payload == d.schema {
				l.received.Add(1)
				l.broadcast()
			}
		case timedOut:
			// Silence: make sure the server is still there.
			pctx, cancel := context.WithTimeout(ctx, listenPingTimeout)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return fmt.Errorf("postgres: listen: ping: %w", err)
			}
		default:
			return fmt.Errorf("postgres: listen: %w", err)
		}
	}
}

// probePayload returns a random payload that no schema's notification
// carries.
func probePayload() (string, error) {
	b := make([]byte, 12)
	if _, err := crand.Read(b); err != nil {
		return "", fmt.Errorf("postgres: listen: probe: %w", err)
	}
	return ":probe:" + hex.EncodeToString(b), nil
}
