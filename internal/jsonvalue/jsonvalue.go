// Package jsonvalue decodes JSON into generic values (map[string]any,
// []any, string, float64 or json.Number, bool, nil) with exactly the
// results of encoding/json, without its reflection.
//
// It exists because encoding/json's reflection-based decoding of generic
// values dominated the cost of a request: every SCIM body and every target
// answer is read this way. The decoder here builds the same values several
// times cheaper: strings without escapes share one copy of the input (or,
// with a key filter, are copied alone), frequent keys and short values
// are interned, and values outside a key filter are checked and skipped
// instead of built. Whatever it does not decode
// exactly as encoding/json would (invalid JSON, whose error encoding/json
// words; numbers out of range; deep nesting; a destination already
// filled), it leaves to encoding/json.
package jsonvalue

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Options select how values are decoded.
type Options struct {
	// UseNumber decodes numbers as json.Number instead of float64, as
	// json.Decoder.UseNumber does.
	UseNumber bool
	// Keep, when not nil, selects the keys to decode of the top-level
	// object, or of each object directly in a top-level array; the values
	// of the others are checked as JSON and skipped without being built.
	// Keys deeper down are all kept.
	Keep func(key string) bool
	// UniqueKeys makes DecodeValue refuse an object that gives a key
	// twice (RFC 8259 §4 leaves what that means to the reader; encoding/json
	// keeps the last), so that a request cannot say two things at once.
	UniqueKeys bool
}

// ErrNotDecoded is DecodeValue's answer for anything it does not decode
// exactly as encoding/json: decode with encoding/json, which also reports
// the error.
var ErrNotDecoded = errors.New("jsonvalue: not decoded; use encoding/json")

// DuplicateKeyError is DecodeValue's answer, with Options.UniqueKeys, for
// valid JSON in which an object gives a key twice.
type DuplicateKeyError struct {
	// Path is the key with the keys of the objects around it, joined by
	// dots ("name.givenName"); array positions are left out.
	Path string
}

func (e *DuplicateKeyError) Error() string {
	return fmt.Sprintf("the key %q is given more than once", e.Path)
}

// Decode decodes one JSON value, with optional white space around it and
// nothing else, into what encoding/json gives an *any (with Options.Keep
// applied). ok is false for anything it does not decode exactly as
// encoding/json: the caller then decodes with encoding/json, which also
// reports the error.
func Decode(data []byte, opts Options) (v any, ok bool) {
	v, err := DecodeValue(data, opts)
	return v, err == nil
}

// DecodeValue is Decode that says why it did not decode: ErrNotDecoded,
// or a *DuplicateKeyError with Options.UniqueKeys.
func DecodeValue(data []byte, opts Options) (any, error) {
	d := decoder{data: data, useNumber: opts.UseNumber, share: opts.Keep == nil, unique: opts.UniqueKeys}
	v, err := d.top(opts.Keep)
	switch {
	case err != nil:
		return nil, ErrNotDecoded
	case d.dup != "":
		return nil, &DuplicateKeyError{Path: d.dup}
	}
	return v, nil
}

// Unmarshal is json.Unmarshal (json.Decoder.UseNumber's numbers with
// Options.UseNumber) restricted by Options.Keep. The shapes generic values
// are read as (*map[string]any, *[]map[string]any, *[]any, *any), when
// empty, take the fast decoder; anything else, and anything the fast
// decoder leaves, goes to encoding/json, after which the keys Keep rejects
// are removed too, so that the result does not depend on the path taken.
// Errors are encoding/json's.
func Unmarshal(data []byte, v any, opts Options) error {
	if decodeInto(data, v, opts) {
		return nil
	}
	if err := unmarshalStd(data, v, opts.UseNumber); err != nil {
		return err
	}
	if opts.Keep != nil {
		switch p := v.(type) {
		case *map[string]any:
			dropKeys(*p, opts.Keep)
		case *[]map[string]any:
			for _, m := range *p {
				dropKeys(m, opts.Keep)
			}
		case *[]any:
			dropKeysInElements(*p, opts.Keep)
		case *any:
			switch x := (*p).(type) {
			case map[string]any:
				dropKeys(x, opts.Keep)
			case []any:
				dropKeysInElements(x, opts.Keep)
			}
		}
	}
	return nil
}

// unmarshalStd is json.Unmarshal, with json.Number numbers when useNumber
// is set.
func unmarshalStd(data []byte, v any, useNumber bool) error {
	if !useNumber {
		return json.Unmarshal(data, v)
	}
	// json.Unmarshal checks the whole input before it decodes anything:
	// its syntax errors, and v left untouched on them, come from there.
	if !json.Valid(data) {
		return json.Unmarshal(data, v)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// decodeInto decodes on the fast path into the generic shapes; false
// leaves v untouched for encoding/json.
func decodeInto(data []byte, v any, opts Options) bool {
	d := decoder{data: data, useNumber: opts.UseNumber, share: opts.Keep == nil}
	switch p := v.(type) {
	case *map[string]any:
		if *p != nil {
			return false // encoding/json merges into a filled map
		}
		m, err := d.topObject(opts.Keep)
		if err != nil {
			return false
		}
		*p = m
	case *[]map[string]any:
		if *p != nil {
			return false
		}
		s, err := d.topObjects(opts.Keep)
		if err != nil {
			return false
		}
		*p = s
	case *[]any:
		if *p != nil {
			return false
		}
		x, err := d.top(opts.Keep)
		if err != nil {
			return false
		}
		s, ok := x.([]any)
		if !ok && x != nil {
			return false // not an array: encoding/json reports the type error
		}
		*p = s
	case *any:
		if *p != nil {
			return false
		}
		x, err := d.top(opts.Keep)
		if err != nil {
			return false
		}
		*p = x
	default:
		return false
	}
	return true
}

func dropKeys(m map[string]any, keep func(string) bool) {
	for k := range m {
		if !keep(k) {
			delete(m, k)
		}
	}
}

func dropKeysInElements(s []any, keep func(string) bool) {
	for _, e := range s {
		if m, ok := e.(map[string]any); ok {
			dropKeys(m, keep)
		}
	}
}
