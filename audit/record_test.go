package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/audit"
	"github.com/scimconnect/scimconnect/connector/httpx"
	"github.com/scimconnect/scimconnect/store"
)

func TestOutcomeOf(t *testing.T) {
	for status, want := range map[int]string{
		200: "success", 201: "success", 204: "success", 304: "success",
		400: "failure", 404: "failure", 409: "failure", 412: "failure", 429: "failure",
		401: "denied", 403: "denied",
		500: "error", 501: "error", 503: "error",
	} {
		if got := audit.OutcomeOf(status); got != want {
			t.Errorf("OutcomeOf(%d) = %q, want %q", status, got, want)
		}
	}
}

func TestRecordJSON(t *testing.T) {
	r := audit.Record{
		ID: 7, Time: time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC), Instance: "okta", Client: "token:0123456789ab",
		RequestID: "abc", Operation: "create", ResourceType: "Users", ResourceID: "00u1",
		Status: 201, Outcome: "success", Duration: audit.Duration(12345678 * time.Nanosecond),
		Calls: []audit.TargetCall{{Method: "POST", Path: "/api/v1/users", Status: 200, Retries: 1, Throttled: 1, Duration: audit.Duration(3 * time.Millisecond)}},
	}
	got, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":7,"time":"2025-03-04T05:06:07.123456Z","instance":"okta","client":"token:0123456789ab","request_id":"abc",` +
		`"operation":"create","resource_type":"Users","resource_id":"00u1","status":201,"outcome":"success","duration_ms":12.345,` +
		`"target_calls":[{"method":"POST","path":"/api/v1/users","status":200,"retries":1,"throttled":1,"duration_ms":3.000}]}`
	if string(got) != want {
		t.Errorf("JSON:\n got %s\nwant %s", got, want)
	}
	var back audit.Record
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	r.Duration = audit.Duration(12345 * time.Microsecond) // the precision kept
	if diff := cmp.Diff(r, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if err := json.Unmarshal([]byte(`{"duration_ms":"12"}`), &back); err == nil {
		t.Error("a string duration was accepted")
	}
}

func TestFromStore(t *testing.T) {
	s := store.AuditRecord{ID: 3, Time: time.Unix(5, 0).UTC(), Instance: "a", Operation: "get", Status: 200, Outcome: "success",
		Calls: []byte(`{"calls":[{"method":"GET","path":"/x","status":404,"retries":0,"throttled":0,"duration_ms":1.5}],"omitted":2}`)}
	got, err := audit.FromStore(s)
	if err != nil {
		t.Fatal(err)
	}
	want := audit.Record{ID: 3, Time: time.Unix(5, 0).UTC(), Instance: "a", Operation: "get", Status: 200, Outcome: "success",
		Calls: []audit.TargetCall{{Method: "GET", Path: "/x", Status: 404, Duration: audit.Duration(1500 * time.Microsecond)}}, CallsOmitted: 2}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	s.Calls = nil
	if got, _ := audit.FromStore(s); got.Calls == nil || len(got.Calls) != 0 {
		t.Errorf("no calls: %#v, want an empty list (JSON [])", got.Calls)
	}
	s.Calls = []byte(`not json`)
	if _, err := audit.FromStore(s); err == nil {
		t.Error("corrupt calls: no error")
	}
}

// observerFunc adapts a function to httpx.Observer.
type observerFunc func(context.Context, httpx.Call)

func (f observerFunc) ObserveTargetCall(ctx context.Context, c httpx.Call) { f(ctx, c) }

func TestObserverGathersCallsOfItsRequest(t *testing.T) {
	var passed []string
	var mu sync.Mutex
	obs := audit.Observer{Next: observerFunc(func(_ context.Context, c httpx.Call) {
		mu.Lock()
		passed = append(passed, c.Path)
		mu.Unlock()
	})}
	type key struct{}
	parent := context.WithValue(context.Background(), key{}, "kept")
	calls := audit.WithCalls(parent)
	if calls.Value(key{}) != "kept" {
		t.Error("the parent's values are lost")
	}
	// A context derived from the request's (as connectors do) still
	// reaches its Calls; another request's does not.
	derived, cancel := context.WithTimeout(calls, time.Minute)
	defer cancel()
	other := audit.WithCalls(context.Background())
	obs.ObserveTargetCall(derived, httpx.Call{Method: "GET", Path: "/api/v1/users/1", Status: 200, Elapsed: 2 * time.Millisecond})
	obs.ObserveTargetCall(derived, httpx.Call{Method: "POST", Path: "/api/v1/users", Status: 429, Retries: 3, Throttled: 4, Elapsed: time.Second})
	obs.ObserveTargetCall(context.Background(), httpx.Call{Method: "GET", Path: "/no-request"})
	got, omitted := calls.Take()
	want := []audit.TargetCall{
		{Method: "GET", Path: "/api/v1/users/1", Status: 200, Duration: audit.Duration(2 * time.Millisecond)},
		{Method: "POST", Path: "/api/v1/users", Status: 429, Retries: 3, Throttled: 4, Duration: audit.Duration(time.Second)},
	}
	if diff := cmp.Diff(want, got); diff != "" || omitted != 0 {
		t.Errorf("calls (-want +got):\n%s omitted %d", diff, omitted)
	}
	if got, _ := other.Take(); len(got) != 0 {
		t.Errorf("another request got %v", got)
	}
	if diff := cmp.Diff([]string{"/api/v1/users/1", "/api/v1/users", "/no-request"}, passed); diff != "" {
		t.Errorf("calls passed on (-want +got):\n%s", diff)
	}
	if audit.CallsFrom(context.Background()) != nil {
		t.Error("CallsFrom of a bare context is not nil")
	}
	audit.Observer{}.ObserveTargetCall(calls, httpx.Call{Path: "/no-next"}) // no Next: no panic
}

func TestCallsBoundAndConcurrency(t *testing.T) {
	calls := audit.WithCalls(context.Background())
	var wg sync.WaitGroup
	for g := range 10 {
		wg.Go(func() {
			for i := range 15 {
				audit.Observer{}.ObserveTargetCall(calls, httpx.Call{Path: fmt.Sprintf("/%d/%d", g, i)})
			}
		})
	}
	wg.Wait()
	got, omitted := calls.Take()
	if len(got) != 100 || omitted != 50 {
		t.Errorf("%d calls kept, %d omitted; want 100 and 50", len(got), omitted)
	}
}
