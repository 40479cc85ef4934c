package provider

import (
	"errors"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// writeJSON sends v with the SCIM media type, exactly "application/scim+json"
// (RFC 7644 §3.1), and the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	// json.Marshal's bytes, encoded into a reused buffer: Write must not
	// keep the slice it is given (io.Writer), so the buffer serves the
	// next response.
	bp := bodyPool.Get().(*[]byte)
	body, err := schema.AppendValue((*bp)[:0], v)
	if err != nil {
		body = append(body[:0], `{"schemas":["`+scim.ErrorSchema+`"],"status":"500","detail":"response encoding failed"}`...)
		status = http.StatusInternalServerError
	}
	writeBody(w, status, body)
	if cap(body) <= maxPooledBody {
		*bp = body[:0]
		bodyPool.Put(bp)
	}
}

// bodyPool holds response encoding buffers; one grown past maxPooledBody
// (a large group with its members) is left to the garbage collector.
var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

const maxPooledBody = 256 << 10

// mediaType is the Content-Type header value of every response, shared
// rather than allocated per response; header values are never modified
// in place.
var mediaType = []string{scim.MediaType}

// writeBody sends an encoded JSON body with the SCIM media type.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = mediaType
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError renders err as an RFC 7644 §3.12 error body. Errors that are
// not *scim.Error are logged and hidden behind a 500.
func (p *Provider) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var se *scim.Error
	if !errors.As(err, &se) {
		if ctxErr := r.Context().Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			se = unfinished(r)
		} else {
			se = p.internalError(r.Context(), err)
		}
	}
	if se.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(se.RetryAfter))
	}
	writeJSON(w, se.Status, se)
}

// unfinished is the error of a request stopped because its deadline
// passed (the gateway bounds every request) or its client went away:
// not a fault of the server, so 503, which clients retry, and nothing
// logged as an internal error.
func unfinished(r *http.Request) *scim.Error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead || strings.EqualFold(path.Base(r.URL.Path), ".search") {
		return scim.Errorf(http.StatusServiceUnavailable, "", "the request did not finish in time; try again later")
	}
	return scim.Errorf(http.StatusServiceUnavailable, "", "the request did not finish in time; read the resource before trying again, since the change may have been applied")
}

// etag renders a backend version as a weak entity tag (RFC 7232 §2.3).
func etag(version string) string {
	if version == "" {
		return ""
	}
	return `W/"` + version + `"`
}

// Meta is res's meta attribute (RFC 7643 §3.1) as a response shows it,
// but for location, which depends on the URL the client used. Backends
// that filter or sort in memory match against it, so that filters on
// meta.created, meta.lastModified, meta.resourceType and meta.version see
// what clients see.
func (res *Resource) Meta(resourceType string) map[string]any {
	meta := make(map[string]any, 5)
	meta["resourceType"] = resourceType
	if !res.Created.IsZero() {
		meta["created"] = res.Created.UTC().Format(time.RFC3339Nano)
	}
	if !res.Modified.IsZero() {
		meta["lastModified"] = res.Modified.UTC().Format(time.RFC3339Nano)
	}
	if res.Version != "" {
		meta["version"] = etag(res.Version)
	}
	return meta
}

// Schemas is res's schemas attribute as a response shows it: the core
// schema and each extension res has attributes of. Backends that filter in
// memory match against it, so that `schemas eq "<extension URN>"` finds
// what clients see.
func (res *Resource) Schemas(rt *schema.ResourceType) []any {
	schemas := []any{rt.Schema.ID}
	for _, e := range rt.Extensions {
		if _, ok := res.Attrs[e.Schema.ID]; ok {
			schemas = append(schemas, e.Schema.ID)
		}
	}
	return schemas
}

// render builds the JSON object of a resource: schemas, id, meta, the
// attributes, $ref values, then the projection.
func (p *Provider) render(rt *schema.ResourceType, res *Resource, proj *schema.Projection) map[string]any {
	out := make(map[string]any, len(res.Attrs)+3)
	for k, v := range res.Attrs {
		out[k] = v
	}
	out["schemas"] = res.Schemas(rt)
	out["id"] = res.ID
	meta := res.Meta(rt.Name)
	meta["location"] = p.location(rt, res.ID)
	out["meta"] = meta
	p.fillRefs(rt, out)
	return proj.Apply(out)
}

// fillRefs sets "$ref" on members, groups and manager values that lack one,
// from their value and type (RFC 7643 §4.2: the URI of the referenced
// resource), and "type" when the reference can only be to one resource
// type that the attribute's type lists (Okta group members, all users,
// are stored as ids alone). Extension attributes (enterprise manager) are
// covered too.
func (p *Provider) fillRefs(rt *schema.ResourceType, out map[string]any) {
	p.fillRefsIn(rt.Schema, out)
	for _, e := range rt.Extensions {
		if ext, ok := out[e.Schema.ID].(map[string]any); ok {
			c := make(map[string]any, len(ext))
			for k, v := range ext {
				c[k] = v
			}
			if p.fillRefsIn(e.Schema, c) {
				out[e.Schema.ID] = c
			}
		}
	}
}

// fillRefsIn fills $ref in the complex attributes of one schema's object;
// it reports whether it changed anything. Changed values are copies.
func (p *Provider) fillRefsIn(s *schema.Schema, out map[string]any) bool {
	changed := false
	for _, a := range s.Attributes {
		if a.Type != schema.Complex || a.Sub("$ref") == nil {
			continue
		}
		fillType := p.fillType(a) // worked out once, not per member
		switch v := out[a.Name].(type) {
		case []any:
			copied := false
			for i, el := range v {
				m, ok := el.(map[string]any)
				if !ok {
					continue
				}
				filled := p.withRef(m, a, fillType)
				if filled == nil {
					continue
				}
				if !copied {
					v = append([]any(nil), v...)
					copied = true
				}
				v[i] = filled
			}
			if copied {
				out[a.Name] = v
				changed = true
			}
		case map[string]any:
			if filled := p.withRef(v, a, fillType); filled != nil {
				out[a.Name] = filled
				changed = true
			}
		}
	}
	return changed
}

// withRef returns a copy of m, a value of a, with the $ref and type it
// lacks filled in, or nil when there is nothing to fill; fillType is
// what a lacking type becomes (see fillType).
func (p *Provider) withRef(m map[string]any, a *schema.Attribute, fillType string) map[string]any {
	addType := fillType != "" && m["type"] == nil
	if m["$ref"] != nil && !addType {
		return nil
	}
	t := p.refType(m, a)
	if t == nil {
		return nil
	}
	c := make(map[string]any, len(m)+2)
	for k, x := range m {
		c[k] = x
	}
	if c["$ref"] == nil {
		c["$ref"] = p.location(t, m["value"].(string))
	}
	if addType {
		c["type"] = fillType
	}
	return c
}

// fillType is the type a value of a that lacks one is given: the only
// resource type its $ref may reference, where a's "type" lists resource
// types (members of a target holding users only), not for groups'
// direct/indirect; "" when none.
func (p *Provider) fillType(a *schema.Attribute) string {
	typ := a.Sub("type")
	refs := a.Sub("$ref").ReferenceTypes
	if typ == nil || len(refs) != 1 || !containsFold(typ.CanonicalValues, refs[0]) {
		return ""
	}
	if t := p.typeNamed(refs[0]); t != nil {
		return t.Name
	}
	return ""
}

// refType finds the resource type a value points at: its "type" when that
// names a resource type, User.groups always Group, or the only resource
// type the attribute's $ref may reference (enterprise manager: User); nil
// when the value has no id or the type is unknown.
func (p *Provider) refType(m map[string]any, a *schema.Attribute) *schema.ResourceType {
	if id, _ := m["value"].(string); id == "" {
		return nil
	}
	typ, _ := m["type"].(string)
	if a.Name == "groups" {
		typ = "Group"
	}
	if p.typeNamed(typ) == nil {
		typ = ""
		if refs := a.Sub("$ref").ReferenceTypes; len(refs) == 1 {
			typ = refs[0]
		}
	}
	return p.typeNamed(typ)
}

func (p *Provider) typeNamed(name string) *schema.ResourceType {
	if name == "" {
		return nil
	}
	for i := range p.types {
		if strings.EqualFold(p.types[i].Type.Name, name) {
			return p.types[i].Type
		}
	}
	return nil
}

// checkContentType accepts application/scim+json, application/json and
// any other JSON media type; a request without body type is accepted too.
func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || mt == scim.MediaType || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return scim.Errorf(http.StatusUnsupportedMediaType, "", "unsupported Content-Type %q: send application/scim+json", ct)
}
