package bridge

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/scimconnect/scimconnect/connector/mapping"
)

// maxStripBody bounds the bodies stripHandler reads; larger ones pass
// through untouched and the provider's own body limit answers them.
const maxStripBody = 8 << 20

// stripHandler drops disabled attributes from POST and PUT bodies before
// the provider validates them: a disabled attribute is no longer in the
// schema, and the seeds' behaviour is "accepted and ignored", not 400.
// Only a body that may name a disabled attribute is decoded (see
// mayName); the others pass as they came, so that the common request is
// parsed once, by the provider. PATCH bodies are not touched: the
// provider does not check PATCH paths against the schema, and the
// backend ignores operations on disabled attributes itself. Bulk bodies
// are not rewritten either (a disabled attribute in a Bulk POST or PUT is
// rejected as unknown).
type stripHandler struct {
	next     http.Handler
	disabled map[string][]string // lower-case endpoint name → disabled paths
	names    map[string][][]byte // lower-case endpoint name → lower-case attribute names
	log      *slog.Logger
}

func newStripHandler(next http.Handler, disabled map[string][]string, log *slog.Logger) *stripHandler {
	h := &stripHandler{next: next, disabled: disabled, names: map[string][][]byte{}, log: log}
	for endpoint, paths := range disabled {
		for _, p := range paths {
			// The last name of the path is in any key or PATCH path
			// naming it: "costCenter" of "urn:...:costCenter",
			// "middleName" of "name.middleName".
			p = strings.TrimSpace(p)
			name := p[strings.LastIndexAny(p, ":.")+1:]
			h.names[endpoint] = append(h.names[endpoint], []byte(strings.ToLower(name)))
		}
	}
	return h
}

func (h *stripHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		h.next.ServeHTTP(w, r)
		return
	}
	endpoint := h.endpoint(r.URL.Path)
	paths := h.disabled[endpoint]
	if len(paths) == 0 || r.ContentLength > maxStripBody {
		h.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxStripBody+1))
	_ = r.Body.Close()
	if err != nil || len(body) > maxStripBody {
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
		h.next.ServeHTTP(w, r)
		return
	}
	if mayName(body, h.names[endpoint]) {
		if out, ignored := strip(body, paths); len(ignored) > 0 {
			h.log.DebugContext(r.Context(), "disabled attributes ignored", "attributes", ignored)
			body = out
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	h.next.ServeHTTP(w, r)
}

// mayName reports whether a JSON body may name one of the attributes:
// whether it holds one of the lower-case names, in any case, or a \u
// escape, which could spell one.
func mayName(body []byte, names [][]byte) bool {
	if bytes.Contains(body, []byte(`\u`)) {
		return true
	}
	lower := bytes.ToLower(body)
	for _, n := range names {
		if bytes.Contains(lower, n) {
			return true
		}
	}
	return false
}

// endpoint finds the resource endpoint in the request path: the segment
// before the id, or the last one ("/Users", "/Users/{id}"), lower-cased;
// "" when none has disabled attributes.
func (h *stripHandler) endpoint(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i := len(segs) - 1; i >= 0 && i >= len(segs)-2; i-- {
		if _, ok := h.disabled[strings.ToLower(segs[i])]; ok {
			return strings.ToLower(segs[i])
		}
	}
	return ""
}

// strip removes disabled attributes from a JSON body; a body that is not
// a JSON object is returned unchanged for the provider to reject.
func strip(body []byte, paths []string) ([]byte, []string) {
	var obj map[string]any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if d.Decode(&obj) != nil {
		return body, nil
	}
	ignored := mapping.StripDisabled(obj, paths)
	if len(ignored) == 0 {
		return body, nil
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return body, nil
	}
	return out, ignored
}
