package provider

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/scimconnect/scimconnect/internal/jsonvalue"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/patch"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// readBody reads a request body of at most limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if err := checkContentType(r); err != nil {
		return nil, err
	}
	// A body that states its length is read into one buffer of that size
	// (plus the byte that sees the end), not grown step by step.
	var buf []byte
	if n := r.ContentLength; n > 0 && n < limit {
		buf = make([]byte, 0, n+1)
	}
	body, err := readAll(http.MaxBytesReader(w, r.Body, limit), buf)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, scim.Errorf(http.StatusRequestEntityTooLarge, "", "request body exceeds the limit of %d bytes", limit)
		}
		return nil, scim.BadRequest(scim.InvalidSyntax, "cannot read request body: %v", err)
	}
	// RFC 8259 §8.1: JSON text is UTF-8. encoding/json would silently
	// replace invalid bytes, storing something the client never sent.
	if !utf8.Valid(body) {
		return nil, scim.BadRequest(scim.InvalidSyntax, "request body is not valid UTF-8")
	}
	return body, nil
}

// readAll is io.ReadAll appending to b.
func readAll(r io.Reader, b []byte) ([]byte, error) {
	if cap(b) == 0 {
		b = make([]byte, 0, 512)
	}
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// decodeObject parses a JSON object body.
func decodeObject(body []byte) (map[string]any, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, scim.BadRequest(scim.InvalidSyntax, "request body is empty: expected a JSON object")
	}
	if body[0] != '{' {
		return nil, scim.BadRequest(scim.InvalidSyntax, "request body must be a JSON object")
	}
	v, err := jsonvalue.DecodeValue(body, jsonvalue.Options{UniqueKeys: true})
	if obj, ok := v.(map[string]any); ok && err == nil {
		return obj, nil
	}
	if dup, ok := err.(*jsonvalue.DuplicateKeyError); ok {
		return nil, scim.BadRequest(scim.InvalidSyntax, "request body: %q is given more than once", dup.Path)
	}
	// Not decoded by the fast path: encoding/json decodes it or says why not.
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&obj); err != nil {
		return nil, scim.BadRequest(scim.InvalidSyntax, "request body is not valid JSON: %s", jsonErrorText(err))
	}
	if rest := bytes.TrimSpace(body[dec.InputOffset():]); len(rest) > 0 {
		return nil, scim.BadRequest(scim.InvalidSyntax, "request body has data after the JSON object")
	}
	return obj, nil
}

func jsonErrorText(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v (at byte %d)", se, se.Offset)
	}
	// A generic value fails on a type only for a number beyond float64;
	// the Bulk and search requests, decoded into structs, also for a
	// member of the wrong kind, named by its field. encoding/json's own
	// text names Go types.
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if num, ok := strings.CutPrefix(te.Value, "number "); ok && te.Field == "" {
			return fmt.Sprintf("the number %s is out of range", num)
		}
		if te.Field != "" {
			return fmt.Sprintf("%s: unexpected %s (at byte %d)", te.Field, te.Value, te.Offset)
		}
		return fmt.Sprintf("unexpected %s (at byte %d)", te.Value, te.Offset)
	}
	return err.Error()
}

// projectionFor compiles the attributes/excludedAttributes query parameters.
func projectionFor(r *http.Request, rt *schema.ResourceType) (*schema.Projection, error) {
	q := r.URL.Query()
	// Always a compiled projection, even without parameters: it strips the
	// "never" and "request" attributes of this instance's own schema.
	return rt.NewProjection(schema.ParseAttrList(q.Get("attributes")), schema.ParseAttrList(q.Get("excludedAttributes")))
}

func (p *Provider) writeResource(w http.ResponseWriter, r *http.Request, rt *ResourceType, res *Resource, status int, proj *schema.Projection) {
	if tag := etag(res.Version); tag != "" {
		w.Header().Set("ETag", tag)
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", p.location(rt.Type, res.ID))
	}
	writeJSON(w, status, p.render(rt.Type, res, proj))
}

func (p *Provider) serveGet(w http.ResponseWriter, r *http.Request, rt *ResourceType, id string) {
	proj, err := projectionFor(r, rt.Type)
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	res, err := rt.Backend.Get(r.Context(), id, proj)
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	// RFC 7644 §3.14: If-None-Match on GET answers 304 when unchanged.
	if inm := r.Header.Get("If-None-Match"); inm != "" && res.Version != "" && etagMatches(inm, res.Version) {
		w.Header().Set("ETag", etag(res.Version))
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if im := r.Header.Get("If-Match"); im != "" && !etagMatches(im, res.Version) {
		p.writeError(w, r, PreconditionFailed(res.Version))
		return
	}
	if !rt.versioned || res.Version == "" {
		p.writeResource(w, r, rt, res, http.StatusOK, proj)
		return
	}
	key := rt.Type.ID + "\x00" + res.ID + "\x00" + res.Version + "\x00" + r.URL.Query().Get("attributes") + "\x00" + r.URL.Query().Get("excludedAttributes")
	body, ok := p.rendered.get(key)
	if !ok {
		var err error
		if body, err = schema.MarshalValue(p.render(rt.Type, res, proj)); err != nil {
			p.writeError(w, r, p.internalError(r.Context(), err))
			return
		}
		p.rendered.put(key, body)
	}
	w.Header().Set("ETag", etag(res.Version))
	writeBody(w, http.StatusOK, body)
}

func (p *Provider) readResourceBody(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	body, err := readBody(w, r, p.cfg.MaxBodyBytes)
	if err != nil {
		return nil, err
	}
	return decodeObject(body)
}

func (p *Provider) serveCreate(w http.ResponseWriter, r *http.Request, rt *ResourceType) {
	p.serveWrite(w, r, rt, schema.Create, http.StatusCreated, func(attrs map[string]any) (*Resource, error) {
		return rt.Backend.Create(r.Context(), attrs)
	})
}

func (p *Provider) serveReplace(w http.ResponseWriter, r *http.Request, rt *ResourceType, id string) {
	p.serveWrite(w, r, rt, schema.Replace, http.StatusOK, func(attrs map[string]any) (*Resource, error) {
		return rt.Backend.Replace(r.Context(), id, attrs, preconditionOf(r))
	})
}

// serveWrite reads and validates a whole resource (POST or PUT), hands it
// to write, and answers with the result.
func (p *Provider) serveWrite(w http.ResponseWriter, r *http.Request, rt *ResourceType, mode schema.Mode, status int, write func(map[string]any) (*Resource, error)) {
	proj, err := projectionFor(r, rt.Type)
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	obj, err := p.readResourceBody(w, r)
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	attrs, err := rt.Type.Validate(obj, mode, nil)
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	res, err := write(attrs)
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	p.writeResource(w, r, rt, res, status, proj)
}

func (p *Provider) servePatch(w http.ResponseWriter, r *http.Request, rt *ResourceType, id string) {
	if !p.features().Patch {
		p.writeError(w, r, scim.Errorf(http.StatusNotImplemented, "", "PATCH is not supported by this service provider: replace the resource with PUT"))
		return
	}
	proj, err := projectionFor(r, rt.Type)
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	body, err := readBody(w, r, p.cfg.MaxBodyBytes)
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	ops, err := patch.Parse(body)
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	res, err := rt.Backend.Patch(r.Context(), id, ops, preconditionOf(r), proj)
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	p.writeResource(w, r, rt, res, http.StatusOK, proj)
}

func (p *Provider) serveDelete(w http.ResponseWriter, r *http.Request, rt *ResourceType, id string) {
	if err := rt.Backend.Delete(r.Context(), id, preconditionOf(r)); err != nil {
		p.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// etagMatches reports whether an If-Match / If-None-Match header value
// matches version: "*" or a comma-separated list of (weak or strong) tags.
func etagMatches(header, version string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		t = strings.TrimPrefix(t, "W/")
		t = strings.Trim(t, `"`)
		if t == version {
			return true
		}
	}
	return false
}

// preconditionOf reads the precondition headers of a PUT, PATCH or DELETE.
func preconditionOf(r *http.Request) Precondition {
	return Precondition{IfMatch: r.Header.Get("If-Match"), IfNoneMatch: r.Header.Get("If-None-Match")}
}

// CheckPrecondition returns a 412 error when cond does not hold for the
// current version: If-Match names none of its tags, or If-None-Match names
// one of them or is "*" (RFC 9110 §13.1.2: a write whose If-None-Match
// matches is refused with 412, not performed). Backends call it inside
// their transaction.
func CheckPrecondition(cond Precondition, version string) error {
	if cond.IfMatch != "" && !etagMatches(cond.IfMatch, version) {
		return PreconditionFailed(version)
	}
	if cond.IfNoneMatch != "" && etagMatches(cond.IfNoneMatch, version) {
		return scim.Errorf(http.StatusPreconditionFailed, "", "the resource matches If-None-Match: its current version is %s", etag(version))
	}
	return nil
}

// PreconditionFailed is the 412 error of RFC 7644 §3.14.
func PreconditionFailed(current string) *scim.Error {
	return scim.Errorf(http.StatusPreconditionFailed, "", "the resource has changed: its current version is %s", etag(current))
}
