package metrics_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/scimconnect/scimconnect/metrics"
	"github.com/scimconnect/scimconnect/store"
	"github.com/scimconnect/scimconnect/store/sqlite"
)

// fakeStore records calls; its Tx is nil (the callbacks here don't use it).
type fakeStore struct {
	views, updates, pings, closes int
	err                           error
}

func (s *fakeStore) View(ctx context.Context, fn func(store.Tx) error) error {
	s.views++
	if s.err != nil {
		return s.err
	}
	return fn(nil)
}

func (s *fakeStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	s.updates++
	if s.err != nil {
		return s.err
	}
	return fn(nil)
}

func (s *fakeStore) Ping(ctx context.Context) error { s.pings++; return s.err }
func (s *fakeStore) Close() error                   { s.closes++; return nil }

// exclusiveStore is a fakeStore that implements store.Exclusive.
type exclusiveStore struct {
	fakeStore
	exclusive bool
}

func (s *exclusiveStore) Exclusive() bool { return s.exclusive }

func TestInstrumentStoreKeepsExclusive(t *testing.T) {
	tests := []struct {
		name          string
		inner         store.Store
		implements    bool
		wantExclusive bool
	}{
		{"not implemented", &fakeStore{}, false, false},
		{"exclusive", &exclusiveStore{exclusive: true}, true, true},
		{"implemented but shared", &exclusiveStore{exclusive: false}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := metrics.InstrumentStore(tt.inner, metrics.New())
			ex, ok := st.(store.Exclusive)
			if ok != tt.implements {
				t.Fatalf("implements Exclusive: %v, want %v", ok, tt.implements)
			}
			if ok && ex.Exclusive() != tt.wantExclusive {
				t.Errorf("Exclusive() = %v, want %v", ex.Exclusive(), tt.wantExclusive)
			}
		})
	}
}

func TestInstrumentStoreSQLiteIsExclusive(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st := metrics.InstrumentStore(db, metrics.New())
	ex, ok := st.(store.Exclusive)
	if !ok || !ex.Exclusive() {
		t.Fatalf("instrumented SQLite store lost Exclusive (implements %v)", ok)
	}
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.PutSetting(ctx, "k", []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	var got []byte
	if err := st.View(ctx, func(tx store.Tx) error {
		var err error
		got, err = tx.GetSetting(ctx, "k")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if string(got) != "v" {
		t.Errorf("read back %q", got)
	}
}

func TestInstrumentStoreTimesAndPassesThrough(t *testing.T) {
	ctx := context.Background()
	m := metrics.New()
	inner := &exclusiveStore{exclusive: true}
	st := metrics.InstrumentStore(inner, m)
	fnErr := errors.New("fn failed")
	calls := 0
	fn := func(store.Tx) error { calls++; return fnErr }
	if err := st.View(ctx, fn); !errors.Is(err, fnErr) {
		t.Errorf("View error %v, want %v", err, fnErr)
	}
	if err := st.Update(ctx, fn); !errors.Is(err, fnErr) {
		t.Errorf("Update error %v, want %v", err, fnErr)
	}
	if err := st.Update(ctx, func(store.Tx) error { return nil }); err != nil {
		t.Errorf("Update error %v", err)
	}
	if err := st.Ping(ctx); err != nil {
		t.Errorf("Ping error %v", err)
	}
	inner.err = errors.New("store down")
	if err := st.Ping(ctx); !errors.Is(err, inner.err) {
		t.Errorf("Ping error %v, want %v", err, inner.err)
	}
	if err := st.Close(); err != nil {
		t.Errorf("Close error %v", err)
	}
	if calls != 2 || inner.views != 1 || inner.updates != 2 || inner.pings != 2 || inner.closes != 1 {
		t.Errorf("calls: fn %d, views %d, updates %d, pings %d, closes %d", calls, inner.views, inner.updates, inner.pings, inner.closes)
	}
	got := scrape(t, m.Handler())
	for series, want := range map[string]float64{
		`scimconnect_store_duration_seconds_count{operation="view"}`:   1,
		`scimconnect_store_duration_seconds_count{operation="update"}`: 2,
		`scimconnect_store_duration_seconds_count{operation="ping"}`:   2,
	} {
		if got[canon(series)] != want {
			t.Errorf("%s = %v, want %v", series, got[canon(series)], want)
		}
	}
}

func TestInstrumentStoreUnwrap(t *testing.T) {
	inner := &exclusiveStore{exclusive: true}
	u, ok := metrics.InstrumentStore(inner, metrics.New()).(interface{ Unwrap() store.Store })
	if !ok {
		t.Fatal("instrumented store has no Unwrap")
	}
	if u.Unwrap() != store.Store(inner) {
		t.Errorf("Unwrap returned %v, want the wrapped store", u.Unwrap())
	}
}

func TestInstrumentStoreWithoutMetrics(t *testing.T) {
	inner := &fakeStore{}
	if st := metrics.InstrumentStore(inner, nil); st != store.Store(inner) {
		t.Errorf("nil metrics: store was wrapped")
	}
}
