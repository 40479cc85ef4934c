package patch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/scimconnect/scimconnect/internal/jsonvalue"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/filter"
)

// Operation names, lower-cased (RFC 7644 §3.5.2).
const (
	OpAdd     = "add"
	OpReplace = "replace"
	OpRemove  = "remove"
)

// MaxOperations is the largest number of operations Parse accepts in one
// PatchOp request. A bigger request is rejected with 400 invalidValue: RFC
// 7644 §3.12 lists invalidValue for PATCH, while tooMany is defined only for
// filters that select too many results (GET and search).
const MaxOperations = 1000

// Operation is one entry of a PatchOp request's "Operations" (RFC 7644 §3.5.2).
type Operation struct {
	// Op is "add", "replace" or "remove", lower-cased whatever the client sent.
	Op string
	// Path is the parsed "path", or nil when the operation has none.
	Path *filter.PatchPath
	// RawPath is the path as the client wrote it, for error messages; "" when absent.
	RawPath string
	// Value is the decoded "value": JSON shapes with numbers as json.Number;
	// nil when absent or null.
	Value any
}

// label names an operation in error messages: 1-based index, op and path.
func (o *Operation) label(i int) string {
	if o.Path == nil {
		return fmt.Sprintf("operation %d (%s without path)", i+1, o.Op)
	}
	path := o.RawPath
	if path == "" {
		path = o.Path.String()
	}
	return fmt.Sprintf("operation %d (%s %q)", i+1, o.Op, path)
}

// Parse decodes a PatchOp request body (RFC 7644 §3.5.2). Member names are
// matched case-insensitively, op values too ("Replace" from Microsoft
// Entra). Numbers decode as json.Number so that integers keep every digit.
// Every error is a 400 *scim.Error.
func Parse(body []byte) ([]Operation, error) {
	var doc any
	if err := decodeStrict(body, &doc); err != nil {
		var dup *jsonvalue.DuplicateKeyError
		if errors.As(err, &dup) {
			return nil, scim.BadRequest(scim.InvalidSyntax, "patch request: %q is given more than once", dup.Path)
		}
		return nil, scim.BadRequest(scim.InvalidSyntax, "patch request is not a JSON object: %v", err)
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return nil, scim.BadRequest(scim.InvalidSyntax, "patch request is not a JSON object")
	}
	var schemas, opsVal any
	var hasSchemas, hasOps bool
	for k, v := range top {
		switch {
		case strings.EqualFold(k, "schemas") && !hasSchemas:
			schemas, hasSchemas = v, true
		case strings.EqualFold(k, "Operations") && !hasOps:
			opsVal, hasOps = v, true
		case strings.EqualFold(k, "schemas"), strings.EqualFold(k, "Operations"):
			// Names differing only in case would make the outcome depend
			// on map order.
			return nil, scim.BadRequest(scim.InvalidSyntax, "patch request has member %q more than once", k)
		default:
			return nil, scim.BadRequest(scim.InvalidSyntax, "patch request has unknown member %q; only \"schemas\" and \"Operations\" are allowed", k)
		}
	}
	if err := checkSchemas(schemas); err != nil {
		return nil, err
	}
	rawOps, ok := opsVal.([]any)
	if !ok {
		return nil, scim.BadRequest(scim.InvalidSyntax, "patch request must have an \"Operations\" array")
	}
	if len(rawOps) == 0 {
		return nil, scim.BadRequest(scim.InvalidSyntax, "patch request has no operations")
	}
	if len(rawOps) > MaxOperations {
		return nil, scim.BadRequest(scim.InvalidValue, "patch request has %d operations; at most %d are allowed", len(rawOps), MaxOperations)
	}
	ops := make([]Operation, 0, len(rawOps))
	for i, raw := range rawOps {
		op, err := parseOperation(i, raw)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func checkSchemas(v any) error {
	list, ok := v.([]any)
	if ok {
		for _, s := range list {
			if str, isStr := s.(string); isStr && strings.EqualFold(str, scim.PatchOpSchema) {
				return nil
			}
		}
	}
	return scim.BadRequest(scim.InvalidSyntax, "patch request must have a \"schemas\" array containing %q", scim.PatchOpSchema)
}

func parseOperation(i int, raw any) (Operation, error) {
	var o Operation
	fields, ok := raw.(map[string]any)
	if !ok {
		return o, scim.BadRequest(scim.InvalidSyntax, "operation %d is not a JSON object", i+1)
	}
	var opVal, pathVal any
	var hasOp, hasPath, hasValue bool
	for k, v := range fields {
		var seen *bool
		switch {
		case strings.EqualFold(k, "op"):
			opVal, seen = v, &hasOp
		case strings.EqualFold(k, "path"):
			pathVal, seen = v, &hasPath
		case strings.EqualFold(k, "value"):
			o.Value, seen = v, &hasValue
		default:
			return o, scim.BadRequest(scim.InvalidSyntax, "operation %d has unknown member %q; only \"op\", \"path\" and \"value\" are allowed", i+1, k)
		}
		if *seen {
			return o, scim.BadRequest(scim.InvalidSyntax, "operation %d has member %q more than once", i+1, k)
		}
		*seen = true
	}
	name, ok := opVal.(string)
	if !ok {
		return o, scim.BadRequest(scim.InvalidSyntax, "operation %d must have an \"op\" string", i+1)
	}
	o.Op = strings.ToLower(strings.TrimSpace(name))
	switch o.Op {
	case OpAdd, OpReplace, OpRemove:
	default:
		return o, scim.BadRequest(scim.InvalidSyntax, "operation %d has unknown op %q; want add, replace or remove", i+1, name)
	}
	if pathVal != nil {
		p, ok := pathVal.(string)
		if !ok {
			return o, scim.BadRequest(scim.InvalidPath, "operation %d: \"path\" must be a string", i+1)
		}
		// An empty path is treated as absent: some clients send "path": "".
		if p = strings.TrimSpace(p); p != "" {
			pp, err := filter.ParsePatchPath(p)
			if err != nil {
				return o, scim.BadRequest(scim.InvalidPath, "operation %d (%s %q): %s", i+1, o.Op, p, errDetail(err))
			}
			o.Path, o.RawPath = pp, p
		}
	}
	switch o.Op {
	case OpRemove:
		if o.Path == nil {
			return o, scim.BadRequest(scim.NoTarget, "%s: remove requires a path", o.label(i))
		}
	case OpAdd:
		if o.Value == nil {
			return o, scim.BadRequest(scim.InvalidValue, "%s: add requires a non-null value", o.label(i))
		}
	case OpReplace:
		// "value": null is allowed and means remove; an absent value is not.
		if !hasValue {
			return o, scim.BadRequest(scim.InvalidValue, "%s: replace requires a value", o.label(i))
		}
	}
	if o.Path == nil && o.Op != OpRemove {
		if _, ok := o.Value.(map[string]any); !ok {
			return o, scim.BadRequest(scim.InvalidValue, "%s: without a path the value must be an object of attributes", o.label(i))
		}
	}
	return o, nil
}

// decodeStrict decodes exactly one JSON value with json.Number numbers.
func decodeStrict(data []byte, v any) error {
	if p, isAny := v.(*any); isAny {
		x, err := jsonvalue.DecodeValue(data, jsonvalue.Options{UseNumber: true, UniqueKeys: true})
		if err == nil {
			*p = x
			return nil
		}
		if dup, ok := err.(*jsonvalue.DuplicateKeyError); ok {
			return dup
		}
	}
	// Not decoded by the fast path: encoding/json decodes it or says why not.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// errDetail returns a *scim.Error's detail, or the error text.
func errDetail(err error) string {
	var se *scim.Error
	if errors.As(err, &se) {
		return se.Detail
	}
	return err.Error()
}
