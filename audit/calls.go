package audit

import (
	"context"
	"sync"

	"github.com/scimconnect/scimconnect/connector/httpx"
)

// maxCalls bounds the target calls one record keeps: a request paging
// through a large target could make thousands. The rest are counted.
const maxCalls = 100

// Calls gathers the target calls made while serving one request. It is
// a context.Context itself (the request's, plus itself as a value), so
// that carrying it costs one allocation. Safe for concurrent use: a
// connector may call the target from several goroutines.
type Calls struct {
	context.Context
	mu      sync.Mutex
	list    []TargetCall
	dropped int
}

type callsKey struct{}

// WithCalls returns a new Calls: a context derived from parent that
// carries it, for the request's http.Request.WithContext.
func WithCalls(parent context.Context) *Calls {
	return &Calls{Context: parent}
}

// Value returns the Calls itself for its key, else the parent's value.
func (c *Calls) Value(key any) any {
	if key == (callsKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// CallsFrom returns the Calls ctx carries, nil if none.
func CallsFrom(ctx context.Context) *Calls {
	c, _ := ctx.Value(callsKey{}).(*Calls)
	return c
}

// add records a call.
func (c *Calls) add(call httpx.Call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.list) >= maxCalls {
		c.dropped++
		return
	}
	c.list = append(c.list, TargetCall{
		Method: call.Method, Path: call.Path, Status: call.Status,
		Retries: call.Retries, Throttled: call.Throttled, Duration: Duration(call.Elapsed),
	})
}

// Take returns the calls gathered so far and how many were left out
// beyond the bound, and empties the Calls.
func (c *Calls) Take() ([]TargetCall, int) {
	if c == nil {
		return nil, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	list, dropped := c.list, c.dropped
	c.list, c.dropped = nil, 0
	return list, dropped
}

// Observer wraps the target observer of an instance (its metrics, or
// nil) so that each call also lands in the Calls of the request that
// made it.
type Observer struct {
	Next httpx.Observer
}

// ObserveTargetCall records call in the Calls of ctx, if any, and passes
// it on.
func (o Observer) ObserveTargetCall(ctx context.Context, call httpx.Call) {
	if c := CallsFrom(ctx); c != nil {
		c.add(call)
	}
	if o.Next != nil {
		o.Next.ObserveTargetCall(ctx, call)
	}
}
