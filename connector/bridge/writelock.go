package bridge

import (
	"context"
	"sync"
)

// writeLocks runs the read-check-write sequences of one resource one at a
// time. Targets have no conditional writes: a PUT or PATCH reads the
// object, checks If-Match against it and computes its update from it,
// then writes. Two such requests through this gateway at once would both
// pass the same If-Match, or a PUT would send a difference computed
// against a state a PATCH has just changed, leaving a mix of the two.
// Held per resource id, only for the duration of the request's target
// calls; entries are removed once no request holds or waits for them,
// so the map is as large as the writes in flight. Writes made by other
// clients of the target, or by other replicas, are not covered.
type writeLocks struct {
	mu sync.Mutex
	m  map[string]*writeLock
}

type writeLock struct {
	held  chan struct{} // a send takes the lock: waiting can end with the request's context
	users int           // requests holding or waiting, under writeLocks.mu
}

// lock takes the lock of id, or fails with the context's error when the
// request ends first. The returned func releases it.
func (l *writeLocks) lock(ctx context.Context, id string) (unlock func(), err error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*writeLock{}
	}
	e := l.m[id]
	if e == nil {
		e = &writeLock{held: make(chan struct{}, 1)}
		l.m[id] = e
	}
	e.users++
	l.mu.Unlock()
	select {
	case e.held <- struct{}{}:
		return func() { <-e.held; l.release(id, e) }, nil
	case <-ctx.Done():
		l.release(id, e)
		return nil, ctx.Err()
	}
}

func (l *writeLocks) release(id string, e *writeLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.users--; e.users == 0 {
		delete(l.m, id)
	}
}
