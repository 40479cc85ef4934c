package admin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/scimconnect/scimconnect/store"
)

// DefaultSyncInterval is how often Syncer.Run reads the store when it is
// not told of changes: half the one-second bound within which every
// replica serves a change.
const DefaultSyncInterval = 500 * time.Millisecond

// NotifiedSyncInterval is how often Syncer.Run reads the store while the
// store's change notifications work (store.Notifier): a safety net only,
// since every change wakes the Syncer at once.
const NotifiedSyncInterval = 30 * time.Second

// Syncer keeps a gateway's stored instances in step with the store, so
// that replicas sharing one store (PostgreSQL) serve the changes made
// through any of them. Each pass lists the stored instances and compares
// them with what it mounted: new ones are mounted, changed ones remounted,
// a changed token alone is swapped in place (gateway.SetTokenHash), and
// deleted ones unmounted. Instances of the configuration file
// (Options.Config) are never touched, and a stored instance they shadow is
// never mounted.
//
// Give the same Syncer to the replica's admin Handler (Options.Syncer): the
// handler then applies its own changes under the Syncer's lock and records
// them, so a pass never undoes a newer local change with an older snapshot
// and never reopens what the handler just opened.
type Syncer struct {
	opts       Options
	log        *slog.Logger
	configured map[string]bool

	// mu serializes passes with the handler's changes. The fields below
	// are guarded by it.
	mu sync.Mutex
	// mounted are the stored instances this replica serves, as applied.
	mounted map[string]syncState
	// failed are the versions that failed to open, so that each failure
	// is logged once and not retried until the instance changes again.
	failed map[string]syncState
	// shadowWarned are the stored instances already reported as shadowed.
	shadowWarned map[string]bool
}

// syncState identifies what a stored instance was mounted from.
// Modified is left out on purpose: a token rotation changes it, and
// must not reopen the connector.
type syncState struct {
	// content hashes everything but the token that the mount depends
	// on: type, version, parameters (as stored), attribute settings, and
	// the creation time (a deleted and recreated instance is new).
	content [sha256.Size]byte
	// tokenHash is the SCIM token's hash, swapped without a remount.
	tokenHash []byte
}

// SyncReport lists what one pass changed on the gateway, by instance name.
type SyncReport struct {
	Mounted   []string // new: were not mounted
	Remounted []string // reopened: their definition changed
	Retokened []string // only the SCIM token changed
	Unmounted []string // deleted from the store
	Failed    []string // did not open; left as they were (see the log)
}

// Changed reports whether the pass changed anything.
func (r SyncReport) Changed() bool {
	return len(r.Mounted)+len(r.Remounted)+len(r.Retokened)+len(r.Unmounted) > 0
}

// NewSyncer returns a Syncer for opts.Gateway and opts.Store; nothing is
// mounted until the first Reconcile. opts.TokenHash is not needed.
func NewSyncer(opts Options) (*Syncer, error) {
	if opts.Gateway == nil || opts.Store == nil || opts.Registry == nil {
		return nil, errors.New("admin: gateway, store and registry are required")
	}
	s := &Syncer{
		opts: opts, log: opts.Logger, configured: map[string]bool{},
		mounted: map[string]syncState{}, failed: map[string]syncState{}, shadowWarned: map[string]bool{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for _, spec := range opts.Config {
		s.configured[spec.Name] = true
	}
	return s, nil
}

// Run reconciles until ctx is cancelled. A pass that fails (the store
// does not answer) is logged and changes nothing; the next one tries
// again. Changes are logged one line each.
//
// When the store tells of changes (store.Notifier, as PostgreSQL does),
// each change committed by any replica wakes Run for a pass at once, and
// Run polls only every NotifiedSyncInterval (or interval, if longer) in
// case a notification was lost. While notifications do not arrive (the
// listening connection is down), and with stores that do not notify,
// Run polls every interval (DefaultSyncInterval when zero or negative).
func (s *Syncer) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultSyncInterval
	}
	notifier, _ := store.NotifierOf(s.opts.Store)
	var changes <-chan struct{}
	listening := false
	next := func() time.Duration {
		if listening {
			return max(interval, NotifiedSyncInterval)
		}
		return interval
	}
	if notifier != nil {
		changes = notifier.Changes(ctx)
		// A store already listening needs no poll before it tells of a
		// change; otherwise Run polls until it says it listens.
		if listening = notifier.Listening(); listening {
			s.log.Info("instance sync: following the store's change notifications", "fallback_poll", next())
		} else {
			s.log.Info("instance sync: waiting for the store's change notifications", "poll", interval)
		}
	}
	t := time.NewTimer(next())
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case _, ok := <-changes:
			if !ok { // the store closed: nothing more will come
				changes, notifier = nil, nil
			}
		}
		if now := notifier != nil && notifier.Listening(); now != listening {
			listening = now
			if now {
				s.log.Info("instance sync: following the store's change notifications", "fallback_poll", next())
			} else {
				attrs := []any{"poll", next()}
				if e, ok := notifier.(interface{ ListenErr() error }); ok && e.ListenErr() != nil {
					attrs = append(attrs, "error", e.ListenErr())
				}
				s.log.Warn("instance sync: store change notifications unavailable; polling", attrs...)
			}
		}
		_, err := s.Reconcile(ctx)
		t.Reset(next())
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil && !failing:
			// Logged once per outage: /readyz reports it meanwhile.
			s.log.Error("instance sync: store unreadable; retrying", "error", err)
			failing = true
		case err == nil && failing:
			s.log.Info("instance sync: store readable again")
			failing = false
		}
	}
}

// storedInstance is one row of the store with its attribute settings.
type storedInstance struct {
	row   *store.Instance
	attrs attributes
	state syncState
}

// Reconcile makes one pass: it reads every stored instance in one
// snapshot and applies the differences to the gateway. When nothing
// changed it opens no connector.
func (s *Syncer) Reconcile(ctx context.Context) (SyncReport, error) {
	var rep SyncReport
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []storedInstance
	err := s.opts.Store.View(ctx, func(tx store.Tx) error {
		all = all[:0]
		rows, err := tx.ListInstances(ctx)
		if err != nil {
			return err
		}
		for _, row := range rows {
			if s.configured[row.Name] {
				if !s.shadowWarned[row.Name] {
					s.shadowWarned[row.Name] = true
					s.log.Warn("stored instance not mounted: the configuration file defines an instance of the same name", "instance", row.Name)
				}
				continue // never mounted: no need to read its settings
			}
			attrs, err := loadAttributes(ctx, tx, row.Name)
			if err != nil {
				return err
			}
			all = append(all, storedInstance{row, attrs, stateOf(row, attrs)})
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("admin: sync: list stored instances: %w", err)
	}
	present := make(map[string]bool, len(all))
	for _, in := range all {
		name := in.row.Name
		present[name] = true
		cur, isMounted := s.mounted[name]
		switch {
		case isMounted && cur.content == in.state.content && bytes.Equal(cur.tokenHash, in.state.tokenHash):
			delete(s.failed, name) // a failed change was undone
			continue               // unchanged: the common case, no work
		case isMounted && cur.content == in.state.content:
			if err := s.opts.Gateway.SetTokenHash(name, in.state.tokenHash); err == nil {
				s.mounted[name] = in.state
				rep.Retokened = append(rep.Retokened, name)
				s.log.Info("instance sync: token changed", "instance", name)
				continue
			}
			// Unmounted behind our back: mount it again below.
		}
		if f, ok := s.failed[name]; ok && f.content == in.state.content && bytes.Equal(f.tokenHash, in.state.tokenHash) {
			continue // this version failed already; wait for a change
		}
		if err := s.mount(ctx, in.row, in.attrs); err != nil {
			s.failed[name] = in.state
			rep.Failed = append(rep.Failed, name)
			s.log.Error("instance sync: stored instance does not open; left as it was", "instance", name, "error", err)
			continue
		}
		delete(s.failed, name)
		s.mounted[name] = in.state
		if isMounted {
			rep.Remounted = append(rep.Remounted, name)
			s.log.Info("instance sync: instance remounted", "instance", name, "type", in.row.Type)
		} else {
			rep.Mounted = append(rep.Mounted, name)
			s.log.Info("instance sync: instance mounted", "instance", name, "type", in.row.Type)
		}
	}
	for name := range s.mounted {
		if present[name] {
			continue
		}
		s.opts.Gateway.Unmount(name)
		delete(s.mounted, name)
		rep.Unmounted = append(rep.Unmounted, name)
		s.log.Info("instance sync: instance unmounted: deleted from the store", "instance", name)
	}
	for name := range s.failed {
		if !present[name] {
			delete(s.failed, name)
		}
	}
	slices.Sort(rep.Unmounted)
	return rep, nil
}

// mount opens a stored instance, its secrets decrypted, and serves it.
func (s *Syncer) mount(ctx context.Context, row *store.Instance, attrs attributes) error {
	ms, err := mountSpec(s.opts, row, attrs)
	if err != nil {
		return err
	}
	return s.opts.Gateway.Mount(ctx, ms)
}

// stateOf computes what a stored instance is mounted from.
func stateOf(row *store.Instance, attrs attributes) syncState {
	h := sha256.New()
	field := func(b []byte) {
		// Length-prefixed, so that fields cannot run into each other.
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	field([]byte(row.Type))
	field([]byte(row.Version))
	field(row.Config)
	a, _ := json.Marshal(attrs) // strings and a slice of strings: cannot fail
	field(a)
	// Microseconds: PostgreSQL keeps no finer, so a time written with
	// nanoseconds reads back equal.
	var created [8]byte
	binary.BigEndian.PutUint64(created[:], uint64(row.Created.UnixMicro()))
	field(created[:])
	var st syncState
	h.Sum(st.content[:0])
	st.tokenHash = slices.Clone(row.TokenHash)
	return st
}

// lock holds the Syncer's lock around a change the handler makes; nil
// (no Syncer) holds nothing.
func (s *Syncer) lock() func() {
	if s == nil {
		return func() {}
	}
	s.mu.Lock()
	return s.mu.Unlock
}

// applied records, under the lock, that the handler mounted row with
// attrs (or swapped its token), so the next pass does not redo it.
func (s *Syncer) applied(row *store.Instance, attrs attributes) {
	if s == nil {
		return
	}
	s.mounted[row.Name] = stateOf(row, attrs)
	delete(s.failed, row.Name)
}

// removed records, under the lock, that the handler unmounted name.
func (s *Syncer) removed(name string) {
	if s == nil {
		return
	}
	delete(s.mounted, name)
	delete(s.failed, name)
}
