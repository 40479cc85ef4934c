package bridge

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/scimconnect/scimconnect/connector/mapping"
	"github.com/scimconnect/scimconnect/internal/jsonvalue"
	"github.com/scimconnect/scimconnect/scim"
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
// backend ignores operations on disabled attributes itself. A Bulk
// request has the data of its POST and PUT operations stripped the same
// way, each by its operation's endpoint, so that a resource written
// through /Bulk is accepted as it would be on its own.
type stripHandler struct {
	next     http.Handler
	disabled map[string][]string // lower-case endpoint name → disabled paths
	names    map[string][][]byte // lower-case endpoint name → lower-case attribute names
	all      [][]byte            // the names of every endpoint, for Bulk
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
			h.all = append(h.all, []byte(strings.ToLower(name)))
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
	bulk := endpoint == "" && r.Method == http.MethodPost && isBulk(r.URL.Path)
	if (len(paths) == 0 && !bulk) || r.ContentLength > maxStripBody {
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
	names, stripBody := h.names[endpoint], func(b []byte) ([]byte, []string) { return strip(b, paths) }
	if bulk {
		names, stripBody = h.all, h.stripBulk
	}
	if mayName(body, names) {
		if out, ignored := stripBody(body); len(ignored) > 0 {
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

// isBulk reports whether a request path is the Bulk endpoint ("/Bulk").
func isBulk(path string) bool {
	path = strings.TrimRight(path, "/")
	return strings.EqualFold(path[strings.LastIndexByte(path, '/')+1:], "Bulk")
}

// stripBulk removes disabled attributes from the data of the POST and
// PUT operations of a BulkRequest (RFC 7644 §3.7), each by the endpoint
// of its path; a body that is not a JSON object is returned unchanged
// for the provider to reject. Member names are matched as the provider's
// decoder matches them: exactly, else ignoring case.
func (h *stripHandler) stripBulk(body []byte) ([]byte, []string) {
	return rewrite(body, func(req map[string]any) (ignored []string) {
		ops, _ := scim.Get(req, "Operations").([]any)
		for _, o := range ops {
			op, _ := o.(map[string]any)
			method, _ := scim.Get(op, "method").(string)
			if !strings.EqualFold(method, http.MethodPost) && !strings.EqualFold(method, http.MethodPut) {
				continue
			}
			path, _ := scim.Get(op, "path").(string)
			data, _ := scim.Get(op, "data").(map[string]any)
			if paths := h.disabled[h.endpoint(path)]; data != nil && len(paths) > 0 {
				ignored = append(ignored, mapping.StripDisabled(data, paths)...)
			}
		}
		return ignored
	})
}

// strip removes disabled attributes from a JSON body; a body that is not
// a JSON object is returned unchanged for the provider to reject.
func strip(body []byte, paths []string) ([]byte, []string) {
	return rewrite(body, func(obj map[string]any) []string { return mapping.StripDisabled(obj, paths) })
}

// rewrite lets edit remove attributes from the JSON object body and
// returns the body encoded again with what edit says it removed; a body
// the provider refuses (see decodeBody), or one edit left alone, is
// returned unchanged.
func rewrite(body []byte, edit func(obj map[string]any) (removed []string)) ([]byte, []string) {
	obj := decodeBody(body)
	if obj == nil {
		return body, nil
	}
	removed := edit(obj)
	if len(removed) == 0 {
		return body, nil
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return body, nil
	}
	return out, removed
}

// decodeBody decodes a body as the provider does. It is nil for a body
// the provider refuses (not exactly one JSON object, a key given twice),
// which must reach the provider unchanged: encoded again, it would lose
// what the provider refuses it for (data after the object, the first of
// two values).
func decodeBody(body []byte) map[string]any {
	v, err := jsonvalue.DecodeValue(body, jsonvalue.Options{UseNumber: true, UniqueKeys: true})
	if err != nil {
		return nil
	}
	obj, _ := v.(map[string]any)
	return obj
}
