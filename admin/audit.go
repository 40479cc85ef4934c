package admin

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scimconnect/scimconnect/audit"
	"github.com/scimconnect/scimconnect/store"
)

// Audit log page sizes.
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
	// maxFilterLength bounds the string filters (resource ids are
	// connector-defined but short).
	maxFilterLength = 1024
)

// auditParams are the query parameters of GET /audit.
var auditParams = []string{"instance", "since", "until", "outcome", "resource_id", "limit", "cursor"}

// auditPage is the answer of GET /audit.
type auditPage struct {
	Records    []audit.Record `json:"records"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

// queryAudit serves GET /audit: the audit log, newest first, filtered by
// the query parameters, one page at a time.
func (h *Handler) queryAudit(w http.ResponseWriter, r *http.Request) {
	al, ok := store.AuditLogOf(h.opts.Store)
	if !ok {
		writeError(w, &apiError{http.StatusNotImplemented, "not_supported", "this store keeps no audit log", ""})
		return
	}
	q, err := parseAuditQuery(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	stored, next, err := al.QueryAudit(r.Context(), q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page := auditPage{Records: make([]audit.Record, 0, len(stored))}
	for _, s := range stored {
		rec, err := audit.FromStore(s)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		page.Records = append(page.Records, rec)
	}
	if next != nil {
		page.NextCursor = encodeAuditCursor(next)
	}
	writeJSON(w, http.StatusOK, page)
}

// parseAuditQuery reads and checks the query parameters; an error names
// the parameter at fault.
func parseAuditQuery(r *http.Request) (store.AuditQuery, error) {
	q := store.AuditQuery{Limit: defaultAuditLimit}
	values := r.URL.Query()
	for name, vs := range values {
		if !slices.Contains(auditParams, name) {
			return q, badRequest("unknown_parameter", name, "unknown query parameter %q; the parameters are %s", name, strings.Join(auditParams, ", "))
		}
		if len(vs) > 1 {
			return q, badRequest("invalid_value", name, "%s: give it once", name)
		}
		if len(vs[0]) > maxFilterLength {
			return q, badRequest("invalid_value", name, "%s: longer than %d characters", name, maxFilterLength)
		}
	}
	q.Instance = values.Get("instance")
	q.ResourceID = values.Get("resource_id")
	if o := values.Get("outcome"); o != "" {
		if !slices.Contains(audit.Outcomes, o) {
			return q, badRequest("invalid_value", "outcome", "outcome %q must be one of %s", o, strings.Join(audit.Outcomes, ", "))
		}
		q.Outcome = o
	}
	for _, p := range []struct {
		name string
		at   *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		v := values.Get(p.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return q, badRequest("invalid_value", p.name, "%s %q is not an RFC 3339 time such as 2025-03-04T05:06:07Z", p.name, v)
		}
		*p.at = t
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return q, badRequest("invalid_value", "until", "until must be after since")
	}
	if v := values.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxAuditLimit {
			return q, badRequest("invalid_value", "limit", "limit %q must be a whole number from 1 to %d", v, maxAuditLimit)
		}
		q.Limit = n
	}
	if v := values.Get("cursor"); v != "" {
		c, err := decodeAuditCursor(v)
		if err != nil {
			return q, badRequest("invalid_value", "cursor", "cursor %q is not one this API returned", v)
		}
		q.After = c
	}
	return q, nil
}

// encodeAuditCursor writes a position as an opaque token. It needs no
// signature: it only says where to continue, within what the admin may
// read anyway.
func encodeAuditCursor(c *store.AuditCursor) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d.%d", c.Time.UnixMicro(), c.ID))
}

func decodeAuditCursor(s string) (*store.AuditCursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	us, id, ok := strings.Cut(string(raw), ".")
	if !ok {
		return nil, fmt.Errorf("no separator")
	}
	t, err := strconv.ParseInt(us, 10, 64)
	if err != nil {
		return nil, err
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, err
	}
	return &store.AuditCursor{Time: time.UnixMicro(t).UTC(), ID: n}, nil
}
