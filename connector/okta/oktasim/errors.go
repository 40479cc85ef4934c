package oktasim

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Okta error codes used by the simulator (NOTES.md §6, spec components/examples).
const (
	codeValidation       = "E0000001" // 400 Api validation failed
	codeReader           = "E0000003" // 400 body not well-formed
	codeAccessDenied     = "E0000006" // 403
	codeNotFound         = "E0000007" // 404
	codeInternal         = "E0000009" // 500
	codeUnavailable      = "E0000010" // 503
	codeInvalidToken     = "E0000011" // 401
	codeAlreadyActive    = "E0000016" // 403 activate on an ACTIVE user
	codeMediaType        = "E0000021" // 400 Accept/Content-Type mismatch
	codeMethod           = "E0000022" // 405
	codeInvalidDate      = "E0000030" // 400 bad date literal in search/filter
	codeInvalidSearch    = "E0000031" // 400 invalid search/filter
	codeWrongStatus      = "E0000038" // 403 operation not allowed in current status
	codeRateLimited      = "E0000047" // 429
	codeNotModelled      = "E0000060" // 501 unsupported operation (simulator)
	codeExpireNoPassword = "E0000124" // 400 nextLogin without password
	codeExpireNoActivate = "E0000125" // 400 nextLogin with activate=false
)

// apiError is an Okta error response (spec components/schemas/Error).
type apiError struct {
	status  int
	code    string
	summary string
	causes  []string
}

func (e *apiError) Error() string { return e.code + ": " + e.summary }

type errorCause struct {
	ErrorSummary string `json:"errorSummary"`
}

type errorBody struct {
	ErrorCode    string       `json:"errorCode"`
	ErrorSummary string       `json:"errorSummary"`
	ErrorLink    string       `json:"errorLink"`
	ErrorID      string       `json:"errorId"`
	ErrorCauses  []errorCause `json:"errorCauses"`
}

func validationError(field string, causes ...string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeValidation,
		summary: "Api validation failed: " + field, causes: causes}
}

func notFound(id, kind string) *apiError {
	return &apiError{status: http.StatusNotFound, code: codeNotFound,
		summary: "Not found: Resource not found: " + id + " (" + kind + ")"}
}

func malformedBody() *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeReader,
		summary: "The request body was not well-formed."}
}

func accessDenied() *apiError {
	return &apiError{status: http.StatusForbidden, code: codeAccessDenied,
		summary: "You do not have permission to perform the requested action"}
}

func wrongStatus() *apiError {
	return &apiError{status: http.StatusForbidden, code: codeWrongStatus,
		summary: "This operation is not allowed in the user's current status."}
}

func invalidSearch(cause string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeInvalidSearch,
		summary: "Invalid search criteria.", causes: []string{cause}}
}

func invalidDate() *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeInvalidDate,
		summary: "Bad request. Invalid date. Dates must be of the form yyyy-MM-dd'T'HH:mm:ss.SSSZZ, e.g. 2013-01-01T12:00:00.000-07:00."}
}

func rateLimited() *apiError {
	return &apiError{status: http.StatusTooManyRequests, code: codeRateLimited,
		summary: "API call exceeded rate limit due to too many requests."}
}

// errorForStatus builds the Okta error a real org sends with the given
// status; FailNext uses it so injected failures look genuine.
func errorForStatus(status int) *apiError {
	switch status {
	case http.StatusBadRequest:
		return validationError("request")
	case http.StatusUnauthorized:
		return &apiError{status: status, code: codeInvalidToken, summary: "Invalid token provided"}
	case http.StatusForbidden:
		return accessDenied()
	case http.StatusNotFound:
		return &apiError{status: status, code: codeNotFound, summary: "Not found: Resource not found"}
	case http.StatusMethodNotAllowed:
		return &apiError{status: status, code: codeMethod, summary: "The endpoint does not support the provided HTTP method"}
	case http.StatusTooManyRequests:
		return rateLimited()
	case http.StatusServiceUnavailable:
		return &apiError{status: status, code: codeUnavailable, summary: "Service is temporarily unavailable"}
	case http.StatusInternalServerError:
		return &apiError{status: status, code: codeInternal, summary: "Internal Server Error"}
	default:
		return &apiError{status: status, code: codeInternal, summary: "Injected failure " + strconv.Itoa(status)}
	}
}

// writeError sends e as an Okta error body with a fresh errorId.
func (s *Server) writeError(w http.ResponseWriter, e *apiError) {
	causes := make([]errorCause, 0, len(e.causes))
	for _, c := range e.causes {
		causes = append(causes, errorCause{ErrorSummary: c})
	}
	body := errorBody{ErrorCode: e.code, ErrorSummary: e.summary, ErrorLink: e.code,
		ErrorID: "oae" + s.randomString(22), ErrorCauses: causes}
	writeJSON(w, e.status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	buf, err := json.Marshal(v)
	if err != nil {
		// Only simulator-built values reach here; a failure is a simulator bug.
		http.Error(w, `{"errorCode":"E0000009","errorSummary":"Internal Server Error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf)
}
