package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/scimconnect/scimconnect/scim"
)

// bulkRequest is the BulkRequest of RFC 7644 §3.7.
type bulkRequest struct {
	Schemas      []string        `json:"schemas"`
	FailOnErrors *int            `json:"failOnErrors"`
	Operations   []bulkOperation `json:"Operations"`
}

type bulkOperation struct {
	Method  string          `json:"method"`
	BulkID  string          `json:"bulkId,omitempty"`
	Version string          `json:"version,omitempty"`
	Path    string          `json:"path"`
	Data    json.RawMessage `json:"data,omitempty"`
}

type bulkResult struct {
	Method   string          `json:"method"`
	BulkID   string          `json:"bulkId,omitempty"`
	Version  string          `json:"version,omitempty"`
	Location string          `json:"location,omitempty"`
	Status   string          `json:"status"`
	Response json.RawMessage `json:"response,omitempty"`
}

type bulkResponse struct {
	Schemas    []string     `json:"schemas"`
	Operations []bulkResult `json:"Operations"`
}

// serveBulk runs a bulk request (RFC 7644 §3.7). Each operation goes
// through the same handlers as a single request, so validation, atomicity
// and errors are identical. Operations run in order, except that an
// operation referring to a bulkId created later waits for it; references
// that cannot be resolved fail with 409 (RFC 7644 §3.7.2).
func (p *Provider) serveBulk(w http.ResponseWriter, r *http.Request) {
	if !p.features().Bulk {
		p.writeError(w, r, scim.Errorf(http.StatusNotImplemented, "", "bulk operations are not supported by this service provider"))
		return
	}
	body, err := readBody(w, r, p.cfg.BulkMaxPayload)
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	if _, err := decodeObject(body); err != nil {
		p.writeError(w, r, err)
		return
	}
	var req bulkRequest
	if err := json.Unmarshal(body, &req); err != nil {
		p.writeError(w, r, scim.BadRequest(scim.InvalidSyntax, "invalid BulkRequest: %s", jsonErrorText(err)))
		return
	}
	if !containsFold(req.Schemas, scim.BulkRequestSchema) {
		p.writeError(w, r, scim.BadRequest(scim.InvalidSyntax, "a bulk request must list the schema %q", scim.BulkRequestSchema))
		return
	}
	if len(req.Operations) == 0 {
		p.writeError(w, r, scim.BadRequest(scim.InvalidSyntax, "a bulk request needs at least one operation in \"Operations\""))
		return
	}
	if len(req.Operations) > p.cfg.BulkMaxOperations {
		p.writeError(w, r, scim.Errorf(http.StatusRequestEntityTooLarge, "", "the bulk request has %d operations; the maximum is %d", len(req.Operations), p.cfg.BulkMaxOperations))
		return
	}
	// seen holds the bulkIds of POSTs: only a created resource can be
	// referred to (RFC 7644 §3.7.2).
	seen := map[string]bool{}
	ids := map[string]bool{}
	for i, op := range req.Operations {
		if op.BulkID == "" {
			continue
		}
		if ids[op.BulkID] {
			p.writeError(w, r, scim.BadRequest(scim.InvalidValue, "operation %d repeats bulkId %q", i+1, op.BulkID))
			return
		}
		ids[op.BulkID] = true
		if strings.EqualFold(op.Method, http.MethodPost) {
			seen[op.BulkID] = true
		}
	}

	results := make([]*bulkResult, len(req.Operations))
	resolved := map[string]string{} // bulkId -> id
	failed := map[string]bool{}     // bulkIds whose POST failed
	errorsSeen := 0
	failOn := 0
	if req.FailOnErrors != nil && *req.FailOnErrors > 0 {
		failOn = *req.FailOnErrors
	}
	pending := make([]int, len(req.Operations))
	for i := range pending {
		pending[i] = i
	}
	for len(pending) > 0 && (failOn == 0 || errorsSeen < failOn) {
		var waiting []int
		progress := false
		for _, i := range pending {
			if failOn > 0 && errorsSeen >= failOn {
				break
			}
			op := req.Operations[i]
			refs := bulkRefs(op)
			blocked, broken := "", ""
			for _, ref := range refs {
				if _, ok := resolved[ref]; ok {
					continue
				}
				if !seen[ref] || failed[ref] {
					broken = ref
					break
				}
				blocked = ref
			}
			if broken != "" {
				results[i] = bulkFailure(op, scim.Errorf(http.StatusConflict, scim.InvalidValue, "bulkId %q does not name a resource created in this request", broken))
				errorsSeen++
				if op.BulkID != "" {
					failed[op.BulkID] = true
				}
				progress = true
				continue
			}
			if blocked != "" {
				waiting = append(waiting, i)
				continue
			}
			results[i] = p.runBulkOp(r, op, resolved)
			progress = true
			if st, _ := strconv.Atoi(results[i].Status); st >= 400 {
				errorsSeen++
				if op.BulkID != "" {
					failed[op.BulkID] = true
				}
			} else if op.BulkID != "" && strings.EqualFold(op.Method, http.MethodPost) {
				resolved[op.BulkID] = lastPathSegment(results[i].Location)
			}
		}
		pending = waiting
		if !progress {
			for _, i := range pending {
				op := req.Operations[i]
				results[i] = bulkFailure(op, scim.Errorf(http.StatusConflict, "", "circular bulkId references cannot be resolved"))
				errorsSeen++
			}
			break
		}
	}
	resp := bulkResponse{Schemas: []string{scim.BulkResponseSchema}, Operations: []bulkResult{}}
	for _, res := range results {
		if res != nil { // operations skipped after failOnErrors are left out (RFC 7644 §3.7.3)
			resp.Operations = append(resp.Operations, *res)
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// bulkRefs lists the bulkIds an operation refers to, in its path or data.
func bulkRefs(op bulkOperation) []string {
	var refs []string
	collect := func(s string) {
		for {
			i := strings.Index(s, "bulkId:")
			if i < 0 {
				return
			}
			s = s[i+len("bulkId:"):]
			end := strings.IndexAny(s, "\"/?&, ")
			if end < 0 {
				end = len(s)
			}
			if end > 0 {
				refs = append(refs, s[:end])
			}
			s = s[end:]
		}
	}
	collect(op.Path)
	collect(string(op.Data))
	return refs
}

func lastPathSegment(loc string) string {
	i := strings.LastIndexByte(loc, '/')
	seg := loc[i+1:]
	if u, err := unescapePath(seg); err == nil {
		return u
	}
	return seg
}

func bulkFailure(op bulkOperation, e *scim.Error) *bulkResult {
	body, _ := json.Marshal(e)
	return &bulkResult{Method: op.Method, BulkID: op.BulkID, Status: strconv.Itoa(e.Status), Response: body}
}

// runBulkOp executes one operation through the provider's own handler.
func (p *Provider) runBulkOp(r *http.Request, op bulkOperation, resolved map[string]string) *bulkResult {
	method := strings.ToUpper(op.Method)
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return bulkFailure(op, scim.BadRequest(scim.InvalidSyntax, "bulk method %q is not one of POST, PUT, PATCH, DELETE", op.Method))
	}
	if method == http.MethodPost && op.BulkID == "" {
		return bulkFailure(op, scim.BadRequest(scim.InvalidSyntax, "a bulk POST needs a bulkId"))
	}
	if !strings.HasPrefix(op.Path, "/") || strings.Contains(op.Path, "?") {
		return bulkFailure(op, scim.BadRequest(scim.InvalidPath, "bulk path %q must be a resource path such as /Users or /Users/{id}", op.Path))
	}
	path := replaceBulkRefs(op.Path, resolved, true)
	// RFC 7644 §3.7: a POST names a resource type endpoint ("/Users"); the
	// other methods name one resource ("/Users/{id}").
	segs := strings.Split(strings.Trim(path, "/"), "/")
	rt := p.byPath[strings.ToLower(segs[0])]
	if rt == nil {
		return bulkFailure(op, scim.BadRequest(scim.InvalidPath, "bulk path %q names no resource endpoint", op.Path))
	}
	if method == http.MethodPost && len(segs) != 1 {
		return bulkFailure(op, scim.BadRequest(scim.InvalidPath, "a bulk POST path must be a resource type endpoint such as /Users, not %q", op.Path))
	}
	if method != http.MethodPost && (len(segs) != 2 || segs[1] == "" || strings.EqualFold(segs[1], ".search")) {
		return bulkFailure(op, scim.BadRequest(scim.InvalidPath, "a bulk %s path must name one resource such as /Users/{id}, not %q", method, op.Path))
	}
	var body []byte
	if method != http.MethodDelete {
		if len(op.Data) == 0 {
			return bulkFailure(op, scim.BadRequest(scim.InvalidSyntax, "bulk %s %s needs data", method, op.Path))
		}
		body = []byte(replaceBulkRefs(string(op.Data), resolved, false))
	}
	req, err := http.NewRequestWithContext(r.Context(), method, "/"+strings.TrimPrefix(path, "/"), bytes.NewReader(body))
	if err != nil {
		return bulkFailure(op, scim.BadRequest(scim.InvalidPath, "bulk path %q: %v", op.Path, err))
	}
	req.Header.Set("Content-Type", scim.MediaType)
	if op.Version != "" {
		req.Header.Set("If-Match", op.Version)
	}
	rec := newRecorder()
	p.ServeHTTP(rec, req)
	res := &bulkResult{Method: op.Method, BulkID: op.BulkID, Status: strconv.Itoa(rec.status)}
	// RFC 7644 §3.7.3: location is required in every result but that of a
	// failed POST, so a failed PUT, PATCH or DELETE names its resource too:
	// at the resource type's own endpoint with the id escaped once, as
	// meta.location shows it, whatever case and escaping the path used.
	if method != http.MethodPost {
		res.Location = p.location(rt.Type, lastPathSegment(segs[1]))
	}
	if rec.status >= 400 {
		res.Response = json.RawMessage(rec.body.Bytes())
		return res
	}
	res.Version = rec.header.Get("ETag")
	if method == http.MethodPost {
		res.Location = rec.header.Get("Location")
	}
	return res
}

// replaceBulkRefs substitutes "bulkId:x" with the created resource's id.
func replaceBulkRefs(s string, resolved map[string]string, inPath bool) string {
	if !strings.Contains(s, "bulkId:") {
		return s
	}
	// Longest references first, so "bulkId:ab" never corrupts "bulkId:abc".
	refs := make([]string, 0, len(resolved))
	for ref := range resolved {
		refs = append(refs, ref)
	}
	sort.Slice(refs, func(i, j int) bool { return len(refs[i]) > len(refs[j]) })
	for _, ref := range refs {
		id := resolved[ref]
		repl := id
		if inPath {
			repl = escapePath(id)
		} else {
			b, _ := json.Marshal(id)
			repl = string(b[1 : len(b)-1])
		}
		s = strings.ReplaceAll(s, "bulkId:"+ref, repl)
	}
	return s
}

// recorder is a minimal in-memory http.ResponseWriter for bulk operations.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}, status: http.StatusOK} }

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(status int)      { r.status = status }

var _ http.ResponseWriter = (*recorder)(nil)

func (r *recorder) String() string { return fmt.Sprintf("%d %s", r.status, r.body.String()) }
