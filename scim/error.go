package scim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// scimType values of RFC 7644 §3.12 table 9, and RFC 9865's invalidCursor/expiredCursor.
const (
	InvalidFilter = "invalidFilter"
	TooMany       = "tooMany"
	Uniqueness    = "uniqueness"
	Mutability    = "mutability"
	InvalidSyntax = "invalidSyntax"
	InvalidPath   = "invalidPath"
	NoTarget      = "noTarget"
	InvalidValue  = "invalidValue"
	InvalidVers   = "invalidVers"
	Sensitive     = "sensitive"
	InvalidCursor = "invalidCursor"
	ExpiredCursor = "expiredCursor"
)

// Error is a SCIM protocol error: an HTTP status, an optional scimType and a
// human-readable detail. It is both a Go error and the RFC 7644 §3.12 body.
type Error struct {
	Status   int
	ScimType string
	Detail   string
	// RetryAfter, when positive, is sent as the Retry-After header (seconds).
	RetryAfter int
}

func (e *Error) Error() string {
	if e.ScimType != "" {
		return fmt.Sprintf("scim %d %s: %s", e.Status, e.ScimType, e.Detail)
	}
	return fmt.Sprintf("scim %d: %s", e.Status, e.Detail)
}

// MarshalJSON renders the RFC 7644 §3.12 error body; status is a string there.
func (e *Error) MarshalJSON() ([]byte, error) {
	body := struct {
		Schemas  []string `json:"schemas"`
		Status   string   `json:"status"`
		ScimType string   `json:"scimType,omitempty"`
		Detail   string   `json:"detail,omitempty"`
	}{[]string{ErrorSchema}, strconv.Itoa(e.Status), e.ScimType, shortDetail(e.Detail)}
	return json.Marshal(body)
}

// maxDetail bounds the detail an error body shows: details quote what
// the client sent (an attribute name, a filter), which may be as long as
// the request, and a person reads the start.
const maxDetail = 2000

// shortDetail cuts detail to maxDetail bytes at a character boundary,
// marking the cut.
func shortDetail(detail string) string {
	if len(detail) <= maxDetail {
		return detail
	}
	cut := maxDetail
	for cut > 0 && !utf8.RuneStart(detail[cut]) {
		cut--
	}
	return detail[:cut] + "… (cut)"
}

// Errorf returns an *Error with the given status and scimType ("" for none).
func Errorf(status int, scimType, format string, args ...any) *Error {
	return &Error{Status: status, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

// BadRequest returns a 400 error with the given scimType.
func BadRequest(scimType, format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, scimType, format, args...)
}

// NotFound returns a 404 error.
func NotFound(format string, args ...any) *Error {
	return Errorf(http.StatusNotFound, "", format, args...)
}

// Conflict returns a 409 uniqueness error.
func Conflict(format string, args ...any) *Error {
	return Errorf(http.StatusConflict, Uniqueness, format, args...)
}
