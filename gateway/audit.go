package gateway

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/scimconnect/scimconnect/audit"
	"github.com/scimconnect/scimconnect/clientauth"
	"github.com/scimconnect/scimconnect/metrics"
)

// auditReq is what serving a request tells its audit record: who the
// client is, whether authentication failed, the target calls made and,
// for Bulk, the bodies to read the operations from.
type auditReq struct {
	client string
	denied bool
	calls  *audit.Calls
	bulk   *bulkCapture
}

// track returns a request context that gathers the target calls made
// while serving it.
func (a *auditReq) track(ctx context.Context) context.Context {
	a.calls = audit.WithCalls(ctx)
	return a.calls
}

// staticTokenClient names a static token in audit records without
// revealing it: "token:" and the first 12 hex digits of its SHA-256,
// enough to tell an instance's tokens apart across rotations, far too
// little to find the token.
func staticTokenClient(tokenHash []byte) string {
	if len(tokenHash) < 6 {
		return ""
	}
	return "token:" + hex.EncodeToString(tokenHash[:6])
}

// clientOf names the client of a granted request.
func clientOf(in *instance, grant clientauth.Grant) string {
	if grant.Method == clientauth.MethodStaticToken {
		return in.tokenClient
	}
	return grant.Client
}

// recordAudit hands the record of one request to the recorder. It reads
// only what the gateway already holds (path, status, the Location of a
// create), never a body, query string, header value or credential.
func (g *Gateway) recordAudit(sw *statusWriter, in *instance, v2 string, op metrics.Operation, status int, elapsed time.Duration, a *auditReq) {
	rec := audit.Record{
		Time:      sw.start,
		Instance:  in.name,
		Client:    a.client,
		RequestID: sw.requestID,
		Operation: op.String(),
		Status:    status,
		Outcome:   audit.OutcomeOf(status),
		Duration:  audit.Duration(elapsed),
	}
	if a.denied {
		rec.Outcome = audit.OutcomeDenied // 429 from the failure limiter too
	}
	rec.ResourceType, rec.ResourceID = resourceOf(op, v2)
	if op == metrics.OpCreate && status == http.StatusCreated {
		rec.ResourceID = lastSegment(sw.Header().Get("Location"))
	}
	rec.Calls, rec.CallsOmitted = a.calls.Take()
	g.opts.Audit.Record(rec)
	if a.bulk != nil && status == http.StatusOK {
		g.recordBulkOps(rec, a.bulk, g.BaseURL(in.name))
	}
}

// resourceOf returns the resource endpoint and id a request path (under
// the instance's base URL) names, for the operations that name them.
func resourceOf(op metrics.Operation, v2 string) (typ, id string) {
	first, rest, _ := strings.Cut(strings.Trim(v2, "/"), "/")
	switch op {
	case metrics.OpCreate, metrics.OpList:
		return first, ""
	case metrics.OpSearch:
		if rest != "" { // /{Resources}/.search; /.search names none
			return first, ""
		}
		return "", ""
	case metrics.OpGet, metrics.OpReplace, metrics.OpPatch, metrics.OpDelete, metrics.OpDiscovery:
		return first, rest
	}
	return "", ""
}

// lastSegment returns the unescaped last path segment of a URL.
func lastSegment(u string) string {
	seg := u[strings.LastIndexByte(u, '/')+1:]
	if s, err := url.PathUnescape(seg); err == nil {
		return s
	}
	return seg
}

// maxBulkCapture bounds the Bulk response kept to derive per-operation
// records; a larger response gets only the record of the Bulk request.
const maxBulkCapture = 16 << 20

// bulkCapture keeps the request and response bodies of a Bulk request,
// whose operations each get a record of their own.
type bulkCapture struct {
	req  bytes.Buffer
	resp bytes.Buffer
	over bool // the response exceeded maxBulkCapture
}

// captureBulk returns w and r with their bodies copied into a new
// bulkCapture, as the provider writes and reads them.
func (a *auditReq) captureBulk(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
	a.bulk = &bulkCapture{}
	r2 := *r
	r2.Body = struct {
		io.Reader
		io.Closer
	}{io.TeeReader(r.Body, &a.bulk.req), r.Body}
	return &bulkWriter{ResponseWriter: w, c: a.bulk}, &r2
}

// bulkWriter copies a Bulk response into its capture.
type bulkWriter struct {
	http.ResponseWriter
	c *bulkCapture
}

func (w *bulkWriter) Write(b []byte) (int, error) {
	if !w.c.over {
		if w.c.resp.Len()+len(b) > maxBulkCapture {
			w.c.over = true
			w.c.resp = bytes.Buffer{}
		} else {
			w.c.resp.Write(b)
		}
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *bulkWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// bulkOpMethods maps a Bulk operation's method to its operation.
var bulkOpMethods = map[string]metrics.Operation{
	http.MethodPost: metrics.OpCreate, http.MethodPut: metrics.OpReplace,
	http.MethodPatch: metrics.OpPatch, http.MethodDelete: metrics.OpDelete,
}

// recordBulkOps records each operation of an answered Bulk request, with
// the client, time and request id of the Bulk record parent; the target
// calls and the duration stay on the parent. The resource comes from the
// result's location or, for a failed operation, from its request path
// (results pair with request operations one to one unless failOnErrors
// cut the run short; then failed operations name no resource).
func (g *Gateway) recordBulkOps(parent audit.Record, c *bulkCapture, base string) {
	if c.over {
		return
	}
	var resp struct {
		Operations []struct {
			Method   string `json:"method"`
			Location string `json:"location"`
			Status   string `json:"status"`
		} `json:"Operations"`
	}
	if json.Unmarshal(c.resp.Bytes(), &resp) != nil {
		return
	}
	var req struct {
		Operations []struct {
			Path string `json:"path"`
		} `json:"Operations"`
	}
	if json.Unmarshal(c.req.Bytes(), &req) != nil || len(req.Operations) != len(resp.Operations) {
		req.Operations = nil
	}
	for i, res := range resp.Operations {
		status, _ := strconv.Atoi(res.Status)
		rec := audit.Record{
			Time: parent.Time, Instance: parent.Instance, Client: parent.Client, RequestID: parent.RequestID,
			Operation: metrics.OpOther.String(), Status: status, Outcome: audit.OutcomeOf(status),
		}
		op, known := bulkOpMethods[strings.ToUpper(res.Method)]
		if known {
			rec.Operation = op.String()
		}
		switch {
		case res.Location != "" && strings.HasPrefix(res.Location, base+"/"):
			first, rest, _ := strings.Cut(res.Location[len(base)+1:], "/")
			rec.ResourceType, rec.ResourceID = first, lastSegment(rest)
		case req.Operations != nil && known:
			first, rest, _ := strings.Cut(strings.Trim(req.Operations[i].Path, "/"), "/")
			rec.ResourceType = first
			if op != metrics.OpCreate && !strings.Contains(rest, "bulkId:") && !strings.Contains(rest, "/") {
				rec.ResourceID = lastSegment(rest)
			}
		}
		g.opts.Audit.Record(rec)
	}
}
