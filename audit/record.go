package audit

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/scimconnect/scimconnect/store"
)

// Outcomes of a request (see the package documentation).
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	OutcomeDenied  = "denied"
	OutcomeError   = "error"
)

// Outcomes lists every outcome, for validating filters.
var Outcomes = []string{OutcomeSuccess, OutcomeFailure, OutcomeDenied, OutcomeError}

// OutcomeOf classifies a request by its HTTP status. A request refused by
// the failed-authentication limiter (429) is denied, but only the gateway
// knows that: it says so itself.
func OutcomeOf(status int) string {
	switch {
	case status == 401 || status == 403:
		return OutcomeDenied
	case status >= 500:
		return OutcomeError
	case status >= 400:
		return OutcomeFailure
	}
	return OutcomeSuccess
}

// Record is one audited SCIM request. Its JSON form is the admin API's.
type Record struct {
	// ID is the store's, set on records read back; 0 before.
	ID   int64     `json:"id"`
	Time time.Time `json:"time"` // when the request arrived
	// Instance is the mounted instance the request was for.
	Instance string `json:"instance"`
	// Client names the credential without revealing it: the OAuth client
	// id or the JWT subject, or "token:" and the first 12 hex digits of
	// the SHA-256 of a static token; empty when authentication failed.
	Client string `json:"client"`
	// RequestID is the id of the request's log line (X-Request-Id): the
	// gateway's, or the client's when it sent a well-formed one.
	RequestID string `json:"request_id,omitempty"`
	// Operation is the kind of request: create, get, list, search,
	// replace, patch, delete, bulk, discovery or other.
	Operation string `json:"operation"`
	// ResourceType is the resource endpoint ("Users", "Groups"), empty
	// when the request named none.
	ResourceType string `json:"resource_type,omitempty"`
	// ResourceID is the resource the request named or, for a create, the
	// one it created.
	ResourceID string       `json:"resource_id,omitempty"`
	Status     int          `json:"status"`
	Outcome    string       `json:"outcome"`
	Duration   Duration     `json:"duration_ms"`
	Calls      []TargetCall `json:"target_calls"`
	// CallsOmitted counts the target calls beyond the first 100, which
	// are not kept.
	CallsOmitted int `json:"target_calls_omitted,omitempty"`
}

// TargetCall is one call to the target application made while serving
// the request: method and path (never the query), final status (0 when
// no usable response came back), retries, 429 answers and duration,
// retries included.
type TargetCall struct {
	Method    string   `json:"method"`
	Path      string   `json:"path"`
	Status    int      `json:"status"`
	Retries   int      `json:"retries"`
	Throttled int      `json:"throttled"`
	Duration  Duration `json:"duration_ms"`
}

// Duration is a time.Duration written in JSON as milliseconds with
// microsecond precision (12.345), the precision the store keeps.
type Duration time.Duration

// MarshalJSON writes the duration in milliseconds.
func (d Duration) MarshalJSON() ([]byte, error) {
	us := time.Duration(d).Microseconds()
	sign := ""
	if us < 0 {
		sign, us = "-", -us
	}
	return fmt.Appendf(nil, "%s%d.%03d", sign, us/1000, us%1000), nil
}

// UnmarshalJSON reads milliseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var ms float64
	if err := json.Unmarshal(b, &ms); err != nil {
		return fmt.Errorf("duration_ms: %w", err)
	}
	if math.IsNaN(ms) || math.Abs(ms) > float64(math.MaxInt64/int64(time.Millisecond)) {
		return fmt.Errorf("duration_ms %v out of range", ms)
	}
	*d = Duration(time.Duration(math.Round(ms*1000)) * time.Microsecond)
	return nil
}

// storedCalls is the form of the target calls in store.AuditRecord.Calls.
type storedCalls struct {
	Calls   []TargetCall `json:"calls"`
	Omitted int          `json:"omitted,omitempty"`
}

// toStore converts a record for the store, encoding its target calls.
func toStore(r *Record) store.AuditRecord {
	var calls []byte
	if len(r.Calls) > 0 || r.CallsOmitted > 0 {
		// Encoding plain structs of strings and numbers cannot fail.
		calls, _ = json.Marshal(storedCalls{r.Calls, r.CallsOmitted})
	}
	return store.AuditRecord{
		Time: r.Time, Instance: r.Instance, Client: r.Client, RequestID: r.RequestID,
		Operation: r.Operation, ResourceType: r.ResourceType, ResourceID: r.ResourceID,
		Status: r.Status, Outcome: r.Outcome, Duration: time.Duration(r.Duration), Calls: calls,
	}
}

// FromStore converts a record read from the store.
func FromStore(s store.AuditRecord) (Record, error) {
	r := Record{
		ID: s.ID, Time: s.Time, Instance: s.Instance, Client: s.Client, RequestID: s.RequestID,
		Operation: s.Operation, ResourceType: s.ResourceType, ResourceID: s.ResourceID,
		Status: s.Status, Outcome: s.Outcome, Duration: Duration(s.Duration), Calls: []TargetCall{},
	}
	if len(s.Calls) > 0 {
		var sc storedCalls
		if err := json.Unmarshal(s.Calls, &sc); err != nil {
			return Record{}, fmt.Errorf("audit: record %d: target calls: %w", s.ID, err)
		}
		if sc.Calls != nil {
			r.Calls = sc.Calls
		}
		r.CallsOmitted = sc.Omitted
	}
	return r, nil
}
