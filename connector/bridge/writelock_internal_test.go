package bridge

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestWriteLocks: one holder per id, a waiter gives up with its request's
// context, and no entry outlives the requests using it.
func TestWriteLocks(t *testing.T) {
	var l writeLocks
	unlock, err := l.lock(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	other, err := l.lock(context.Background(), "b") // another id is not blocked
	if err != nil {
		t.Fatal(err)
	}
	other()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.lock(ctx, "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock of a held id: %v, want the context's deadline", err)
	}
	got := make(chan struct{})
	go func() {
		u, err := l.lock(context.Background(), "a")
		if err == nil {
			u()
		}
		close(got)
	}()
	unlock()
	<-got
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) != 0 {
		t.Errorf("%d lock entries left after every request ended", len(l.m))
	}
}
