package httpx

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/scimconnect/scimconnect/internal/jsonvalue"
	"github.com/scimconnect/scimconnect/scim"
)

// Response is a target's answer, its body fully read.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Header holds the response headers.
	Header http.Header
	// Body is the whole body, at most the client's size cap.
	Body []byte
	// URL is the URL of the request that produced the response; relative
	// Link references are resolved against it.
	URL *url.URL
	// Attempts is how many attempts the call took.
	Attempts int

	client *Client
}

// DecodeJSON decodes the body into v, as json.Unmarshal does. The shapes
// target objects are usually read as (*map[string]any,
// *[]map[string]any, *[]any, *any) take a decoder several times cheaper
// than encoding/json's, with the same result (see internal/jsonvalue).
func (r *Response) DecodeJSON(v any) error {
	return r.DecodeJSONFields(v, nil)
}

// DecodeJSONFields is DecodeJSON building only the keys keep accepts of
// the top-level object (*map[string]any) or of each object of a
// top-level array (*[]map[string]any; the same in *any and *[]any): a
// connector skips what it never maps (Okta's _links are half of a user)
// at almost no cost. The skipped values must still be valid JSON. A nil
// keep keeps everything.
//
// An empty body, JSON null, or a body that is not the JSON v takes (an
// HTML maintenance page, a proxy's answer) is the target's fault, not the
// gateway's: the error is a *TargetError that the SCIM client sees as 502
// with a plain detail (RFC 7644 §3.12), never a 500 or the decoder's text;
// the decoder's error is its cause.
func (r *Response) DecodeJSONFields(v any, keep func(key string) bool) error {
	body := bytes.TrimSpace(r.Body)
	var err error
	if len(body) == 0 || bytes.Equal(body, []byte("null")) {
		err = errors.New("empty answer")
	} else {
		err = jsonvalue.Unmarshal(r.Body, v, jsonvalue.Options{Keep: keep})
	}
	if err != nil {
		return &TargetError{Status: r.Status, Err: fmt.Errorf("decode target response (HTTP %d): %w", r.Status, err),
			scim: scim.Errorf(http.StatusBadGateway, "", "the target's answer (HTTP %d) is not the JSON the call returns", r.Status)}
	}
	return nil
}

// Err returns nil for a 2xx response and otherwise the translated error
// (see TranslateError) wrapped as "op: ...", e.g. resp.Err("okta: get
// user"). The target's message is taken from the body by the client's
// ErrorMessage function; known secrets are removed from it and from the
// body snippet. A 503 carries the Retry-After the target asked for, when
// it did.
func (r *Response) Err(op string) error {
	if r.Status >= 200 && r.Status < 300 {
		return nil
	}
	extract := JSONErrorMessage
	var secrets []string
	if r.client != nil {
		extract = r.client.errorMessage
		secrets = r.client.secrets()
	}
	body := r.Body
	if len(body) > 4*maxSnippet {
		body = body[:4*maxSnippet]
	}
	te := translate(r.Status, []byte(scrub(string(body), secrets)), scrub(extract(r.Body), secrets))
	if te.scim.Status == http.StatusServiceUnavailable && r.client != nil {
		if wait, ok := r.client.serverWait(r, r.client.now()); ok {
			te.scim = unavailable(te.scim.Detail, wait)
		}
	}
	if op == "" {
		return te
	}
	return fmt.Errorf("%s: %w", op, te)
}

// Links parses the RFC 8288 Link headers (several header lines and
// comma-separated values in each) into relation type → absolute URL.
// Relation types are lower-cased (RFC 8288 §2.1.1) and a link with several
// ("next last") is listed under each. The first link of a relation wins.
// Malformed link-values are skipped.
func (r *Response) Links() map[string]string {
	out := map[string]string{}
	for _, v := range r.Header.Values("Link") {
		for _, l := range parseLinkHeader(v) {
			ref, err := url.Parse(l.uri)
			if err != nil {
				continue
			}
			if r.URL != nil {
				ref = r.URL.ResolveReference(ref)
			}
			if !ref.IsAbs() {
				continue
			}
			for _, rel := range strings.Fields(l.rel) {
				rel = strings.ToLower(rel)
				if _, dup := out[rel]; !dup {
					out[rel] = ref.String()
				}
			}
		}
	}
	return out
}

// Link returns the absolute URL of the first link of relation type rel
// (case-insensitive), "" when there is none: Links for one relation,
// without building the map.
func (r *Response) Link(rel string) string {
	for _, v := range r.Header.Values("Link") {
		for _, l := range parseLinkHeader(v) {
			for _, lr := range strings.Fields(l.rel) {
				if !strings.EqualFold(lr, rel) {
					continue
				}
				ref, err := url.Parse(l.uri)
				if err != nil {
					break
				}
				if r.URL != nil {
					ref = r.URL.ResolveReference(ref)
				}
				if ref.IsAbs() {
					return ref.String()
				}
				break
			}
		}
	}
	return ""
}

type link struct{ uri, rel string }

// parseLinkHeader parses one Link field value (RFC 8288 §3):
// link-value *( OWS "," OWS link-value ), link-value = "<" URI-Reference
// ">" *( OWS ";" OWS link-param ).
func parseLinkHeader(s string) []link {
	var out []link
	i := 0
	for i < len(s) {
		// Skip separators between link-values.
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ',') {
			i++
		}
		if i >= len(s) {
			break
		}
		if s[i] != '<' {
			i = skipLinkValue(s, i)
			continue
		}
		end := strings.IndexByte(s[i+1:], '>')
		if end < 0 {
			break
		}
		l := link{uri: strings.TrimSpace(s[i+1 : i+1+end])}
		i += end + 2
		relSeen := false
		for {
			for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
				i++
			}
			if i >= len(s) || s[i] != ';' {
				break
			}
			i++
			name, value, next := parseLinkParam(s, i)
			i = next
			// Only the first rel parameter counts (RFC 8288 §3.3).
			if strings.EqualFold(name, "rel") && !relSeen {
				l.rel, relSeen = value, true
			}
		}
		if i < len(s) && s[i] != ',' {
			i = skipLinkValue(s, i) // junk after the params: drop this link
			continue
		}
		// A URI-Reference has no '<' (RFC 3986 §2); one here is junk.
		if relSeen && strings.TrimSpace(l.rel) != "" && !strings.Contains(l.uri, "<") {
			out = append(out, l)
		}
	}
	return out
}

// parseLinkParam parses token [ "=" ( token / quoted-string ) ] at i.
func parseLinkParam(s string, i int) (name, value string, next int) {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	start := i
	for i < len(s) && !strings.ContainsRune("=;, \t", rune(s[i])) {
		i++
	}
	name = s[start:i]
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i >= len(s) || s[i] != '=' {
		return name, "", i
	}
	i++
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i < len(s) && s[i] == '"' {
		var b strings.Builder
		i++
		for i < len(s) && s[i] != '"' {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			b.WriteByte(s[i])
			i++
		}
		if i < len(s) {
			i++ // closing quote
		}
		return name, b.String(), i
	}
	start = i
	for i < len(s) && s[i] != ';' && s[i] != ',' && s[i] != ' ' && s[i] != '\t' {
		i++
	}
	return name, s[start:i], i
}

// skipLinkValue moves past the next comma that is outside <...> and quotes.
func skipLinkValue(s string, i int) int {
	inAngle, inQuote := false, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote && c == '\\':
			i++
		case c == '"' && !inAngle:
			inQuote = !inQuote
		case c == '<' && !inQuote:
			inAngle = true
		case c == '>' && !inQuote:
			inAngle = false
		case c == ',' && !inAngle && !inQuote:
			return i + 1
		}
	}
	return i
}

// RateLimitHeaders names the headers a target uses to announce its rate
// limit. Reset is in epoch seconds. Empty names are not read.
type RateLimitHeaders struct {
	Limit     string
	Remaining string
	Reset     string
}

// OktaRateLimitHeaders are Okta's rate-limit headers (Okta NOTES §7).
var OktaRateLimitHeaders = RateLimitHeaders{
	Limit:     "X-Rate-Limit-Limit",
	Remaining: "X-Rate-Limit-Remaining",
	Reset:     "X-Rate-Limit-Reset",
}

// AzureDevOpsRateLimitHeaders are Azure DevOps' rate-limit headers (Azure
// DevOps NOTES §6).
var AzureDevOpsRateLimitHeaders = RateLimitHeaders{
	Limit:     "X-RateLimit-Limit",
	Remaining: "X-RateLimit-Remaining",
	Reset:     "X-RateLimit-Reset",
}

// responseDate is the response's Date header, or now. Waits are measured
// from it so that a skewed local clock doesn't stretch or cut them.
func responseDate(h http.Header, now time.Time) time.Time {
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		return d
	}
	return now
}
