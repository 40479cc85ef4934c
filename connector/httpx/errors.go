package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scimconnect/scimconnect/scim"
)

// ErrHostNotAllowed is returned, without any network call, for a request
// whose URL (an absolute pagination link, a redirect, a token endpoint)
// points outside the configured target.
var ErrHostNotAllowed = errors.New("outbound calls only to the configured target")

// ErrResponseTooLarge is returned when a target response body exceeds the
// client's size cap.
var ErrResponseTooLarge = errors.New("target response body too large")

// defaultRetryAfter is the Retry-After given to SCIM clients when the target
// is unavailable and did not say for how long.
const defaultRetryAfter = 5 * time.Second

// maxSnippet bounds TargetError.Body and the target message in details.
const (
	maxSnippet = 512
	maxMessage = 300
)

// TargetError describes a failed call to the target application. It
// unwraps to a *scim.Error (what the gateway sends to the SCIM client) and,
// for calls that got no usable response, to the cause (a transport error,
// a context error, ErrHostNotAllowed, ErrResponseTooLarge), so both
// errors.As(err, &*scim.Error) and errors.Is(err, context.DeadlineExceeded)
// work.
type TargetError struct {
	// Status is the target's HTTP status, 0 when there was no response.
	Status int
	// Body is the start of the target's response body (at most 512 bytes,
	// known secrets removed); empty when there was no response.
	Body string
	// Retryable reports whether the same call may succeed later (rate
	// limits, unavailability, timeouts).
	Retryable bool
	// Err is the cause when there was no usable response, else nil.
	Err error

	scim *scim.Error
}

// Error describes the failure; it never contains credentials.
func (e *TargetError) Error() string {
	switch {
	case e.Err != nil:
		return "target call failed: " + e.Err.Error()
	case e.scim != nil:
		return fmt.Sprintf("target returned HTTP %d: %s", e.Status, e.scim.Detail)
	default:
		return fmt.Sprintf("target returned HTTP %d", e.Status)
	}
}

// Unwrap returns the SCIM error and the cause, if any.
func (e *TargetError) Unwrap() []error {
	out := make([]error, 0, 2)
	if e.scim != nil {
		out = append(out, e.scim)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// SCIM returns the SCIM error the gateway sends for this failure.
func (e *TargetError) SCIM() *scim.Error { return e.scim }

// TranslateError maps a non-2xx target response to a *TargetError that
// unwraps to a *scim.Error; targetMessage is the human-readable message a
// connector extracted from the body (it must hold no secrets; "" for none).
// The table (see the package documentation for the reasons):
//
//	404, 410            → 404
//	409                 → 409 uniqueness
//	400, 422            → 400 invalidValue
//	412                 → 412
//	401                 → 502 (the target rejected scimconnect's credentials)
//	403                 → 502 (scimconnect's credentials lack a permission)
//	408, 429, 5xx       → 503 with Retry-After
//	anything else       → 502
func TranslateError(status int, body []byte, targetMessage string) error {
	return translate(status, body, targetMessage)
}

func translate(status int, body []byte, msg string) *TargetError {
	msg = clip(strings.TrimSpace(msg), maxMessage)
	withMsg := func(s string) string {
		if msg == "" {
			return s
		}
		return s + ": " + msg
	}
	te := &TargetError{Status: status, Body: clip(string(body), maxSnippet)}
	switch {
	case status == http.StatusNotFound || status == http.StatusGone:
		te.scim = scim.NotFound("%s", withMsg("the resource does not exist in the target"))
	case status == http.StatusConflict:
		te.scim = scim.Conflict("%s", withMsg("the target reports a conflict with an existing resource"))
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		te.scim = scim.BadRequest(scim.InvalidValue, "%s", withMsg("the target rejected the request"))
	case status == http.StatusPreconditionFailed:
		te.scim = scim.Errorf(http.StatusPreconditionFailed, "", "%s", withMsg("the resource changed in the target"))
	case status == http.StatusUnauthorized:
		te.scim = scim.Errorf(http.StatusBadGateway, "", "%s", withMsg("the target rejected scimconnect's credentials"))
	case status == http.StatusForbidden:
		te.scim = scim.Errorf(http.StatusBadGateway, "", "%s", withMsg("the target denied scimconnect's credentials this operation"))
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
		te.Retryable = true
		te.scim = unavailable(withMsg(fmt.Sprintf("the target is unavailable or rate limited (HTTP %d); try again later", status)), 0)
	default:
		te.scim = scim.Errorf(http.StatusBadGateway, "", "%s", withMsg(fmt.Sprintf("unexpected response from the target (HTTP %d)", status)))
	}
	return te
}

// unavailable is the 503 sent when the target can't serve now.
func unavailable(detail string, wait time.Duration) *scim.Error {
	if wait <= 0 {
		wait = defaultRetryAfter
	}
	secs := int((wait + time.Second - 1) / time.Second)
	return &scim.Error{Status: http.StatusServiceUnavailable, Detail: detail, RetryAfter: secs}
}

// callError is the TargetError of a call that got no usable response.
func callError(cause error, retryable bool, se *scim.Error) *TargetError {
	return &TargetError{Err: cause, Retryable: retryable, scim: se}
}

// clip truncates s to at most n bytes on a rune boundary and makes it
// valid UTF-8.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// JSONErrorMessage is the default extractor of a target's error message:
// it returns the first non-empty string among the common top-level fields
// errorSummary (Okta), message (PingOne, Azure DevOps, Cognito),
// error_description (OAuth2), detail, msg and error, or "" when the body
// is not a JSON object or has none of them.
func JSONErrorMessage(body []byte) string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return ""
	}
	for _, k := range []string{"errorSummary", "message", "error_description", "detail", "msg", "error"} {
		var s string
		if raw, ok := obj[k]; ok && json.Unmarshal(raw, &s) == nil && strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}
