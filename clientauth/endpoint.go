package clientauth

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// GrantTypeClientCredentials is the only grant type the token endpoint
// accepts (RFC 6749 §4.4.2).
const GrantTypeClientCredentials = "client_credentials"

// MaxTokenRequestBytes bounds the body of a token request.
const MaxTokenRequestBytes = 16 << 10

// The error codes of the token endpoint (RFC 6749 §5.2).
const (
	ErrCodeInvalidRequest       = "invalid_request"
	ErrCodeInvalidClient        = "invalid_client"
	ErrCodeUnsupportedGrantType = "unsupported_grant_type"
)

// OAuthError is an error response of the token endpoint (RFC 6749 §5.2).
type OAuthError struct {
	// Status is the HTTP status: 400, or 401 for invalid_client.
	Status int `json:"-"`
	// Code is the "error" parameter.
	Code string `json:"error"`
	// Description is the "error_description" parameter, for developers.
	Description string `json:"error_description,omitempty"`
}

func (e *OAuthError) Error() string { return e.Code + ": " + e.Description }

func badRequest(code, desc string) *OAuthError {
	return &OAuthError{Status: http.StatusBadRequest, Code: code, Description: desc}
}

// InvalidClient is the answer to failed client authentication (unknown
// client, wrong secret, no credentials): 401, as RFC 6749 §5.2 requires
// when the client tried HTTP Basic, and used for every case so that the
// answers cannot be told apart.
func InvalidClient() *OAuthError {
	return &OAuthError{Status: http.StatusUnauthorized, Code: ErrCodeInvalidClient, Description: "client authentication failed"}
}

// TokenRequest is a client credentials access token request.
type TokenRequest struct {
	ClientID     string
	ClientSecret string
	// Scope is the requested scope, if any; tokens are always scoped to
	// the instance, so it is not used.
	Scope string
}

// ParseTokenRequest reads a client credentials access token request
// (RFC 6749 §4.4.2): a form-encoded POST with grant_type, the client
// authenticated with HTTP Basic or with client_id and client_secret in
// the body (§2.3.1), never both, and no parameter twice (§3.2).
// Credentials in the query string are ignored.
func ParseTokenRequest(w http.ResponseWriter, r *http.Request) (TokenRequest, *OAuthError) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		e := badRequest(ErrCodeInvalidRequest, "the token endpoint accepts only POST")
		e.Status = http.StatusMethodNotAllowed
		return TokenRequest{}, e
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return TokenRequest{}, badRequest(ErrCodeInvalidRequest, "the body must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxTokenRequestBytes)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return TokenRequest{}, badRequest(ErrCodeInvalidRequest, "the request body is too large")
		}
		return TokenRequest{}, badRequest(ErrCodeInvalidRequest, "the body is not a valid form")
	}
	form := r.PostForm
	for name, values := range form {
		if len(values) > 1 {
			return TokenRequest{}, badRequest(ErrCodeInvalidRequest, "parameter "+name+" is repeated")
		}
	}
	switch gt := form.Get("grant_type"); gt {
	case "":
		return TokenRequest{}, badRequest(ErrCodeInvalidRequest, "grant_type is required")
	case GrantTypeClientCredentials:
	default:
		return TokenRequest{}, badRequest(ErrCodeUnsupportedGrantType, "only grant_type=client_credentials is supported")
	}
	req := TokenRequest{Scope: form.Get("scope")}
	basicID, basicSecret, basic := r.BasicAuth()
	_, inForm := form["client_id"]
	_, secretInForm := form["client_secret"]
	switch {
	case basic && (inForm || secretInForm):
		return TokenRequest{}, badRequest(ErrCodeInvalidRequest, "authenticate the client with HTTP Basic or with the form, not both")
	case basic:
		// RFC 6749 §2.3.1: id and secret are form-encoded before Basic.
		id, err1 := url.QueryUnescape(basicID)
		secret, err2 := url.QueryUnescape(basicSecret)
		if err1 != nil || err2 != nil {
			return TokenRequest{}, badRequest(ErrCodeInvalidRequest, "the Basic credentials are not form-encoded")
		}
		req.ClientID, req.ClientSecret = id, secret
	default:
		req.ClientID, req.ClientSecret = form.Get("client_id"), form.Get("client_secret")
	}
	if req.ClientID == "" || req.ClientSecret == "" {
		return TokenRequest{}, InvalidClient()
	}
	return req, nil
}

// WriteTokenError writes an error response of the token endpoint
// (RFC 6749 §5.2), with a Basic challenge on 401.
func WriteTokenError(w http.ResponseWriter, e *OAuthError) {
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="scimconnect", charset="UTF-8"`)
	}
	writeTokenJSON(w, e.Status, e)
}

// TokenResponse is a successful token endpoint response (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// NewTokenResponse returns the response carrying a bearer token valid for ttl.
func NewTokenResponse(token string, ttl time.Duration) TokenResponse {
	return TokenResponse{AccessToken: token, TokenType: "Bearer", ExpiresIn: int(ttl / time.Second)}
}

// WriteToken writes a successful token response, uncacheable (§5.1).
func WriteToken(w http.ResponseWriter, resp TokenResponse) {
	writeTokenJSON(w, http.StatusOK, resp)
}

func writeTokenJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
