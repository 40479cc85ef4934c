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

// stripHandler drops disabled attributes from POST, PUT and PATCH bodies
// before the provider validates them: a disabled attribute is no longer in
// the schema, and the seeds' behaviour is "accepted and ignored", not 400.
// PATCH operations whose path names a disabled attribute are dropped; the
// values of path-less operations are stripped. A PATCH left without
// operations becomes one that changes nothing (200 with the resource). Bulk bodies are not
// rewritten (a disabled attribute inside /Bulk is rejected as unknown).
type stripHandler struct {
	next     http.Handler
	disabled map[string][]string
	log      *slog.Logger
}

func (h *stripHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch {
		h.next.ServeHTTP(w, r)
		return
	}
	paths := h.disabledFor(r.URL.Path)
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
	if out, ignored := strip(body, r.Method == http.MethodPatch, paths); len(ignored) > 0 {
		h.log.DebugContext(r.Context(), "disabled attributes ignored", "attributes", ignored)
		body = out
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	h.next.ServeHTTP(w, r)
}

// disabledFor finds the resource endpoint in the request path: the
// segment before the id, or the last one ("/Users", "/Users/{id}").
func (h *stripHandler) disabledFor(path string) []string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i := len(segs) - 1; i >= 0 && i >= len(segs)-2; i-- {
		if p, ok := h.disabled[strings.ToLower(segs[i])]; ok {
			return p
		}
	}
	return nil
}

// strip removes disabled attributes from a JSON body; a body that is not
// a JSON object is returned unchanged for the provider to reject.
func strip(body []byte, isPatch bool, paths []string) ([]byte, []string) {
	var obj map[string]any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if d.Decode(&obj) != nil {
		return body, nil
	}
	var ignored []string
	if !isPatch {
		ignored = mapping.StripDisabled(obj, paths)
	} else if ops, ok := obj["Operations"].([]any); ok {
		kept := ops[:0]
		for _, o := range ops {
			op, _ := o.(map[string]any)
			path, _ := op["path"].(string)
			if path != "" && mapping.IsDisabled(path, paths) {
				ignored = append(ignored, path)
				continue
			}
			if v, ok := op["value"].(map[string]any); ok && path == "" {
				ignored = append(ignored, mapping.StripDisabled(v, paths)...)
			}
			kept = append(kept, o)
		}
		if len(kept) == 0 && len(ignored) > 0 {
			// Every operation named a disabled attribute: the request is
			// accepted and changes nothing, but an empty operation list
			// is invalid (RFC 7644 §3.5.2), so forward an operation that
			// changes nothing; the backend then writes nothing and answers
			// with the current resource.
			kept = append(kept, map[string]any{"op": "add", "value": map[string]any{}})
		}
		obj["Operations"] = kept
	}
	if len(ignored) == 0 {
		return body, nil
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return body, nil
	}
	return out, ignored
}
