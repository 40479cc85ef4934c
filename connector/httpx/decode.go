package httpx

import (
	"encoding/json"
	"errors"
	"hash/maphash"
	"strconv"
	"sync/atomic"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// errFallback makes the fast decoder hand the input to encoding/json,
// which then produces the result or the exact error message.
var errFallback = errors.New("httpx: decode with encoding/json")

// maxDecodeDepth is encoding/json's nesting limit.
const maxDecodeDepth = 10000

// decodeFast decodes JSON into the generic shapes target objects are read
// as (*map[string]any, *[]map[string]any, *[]any, *any) with the same
// result as encoding/json.Unmarshal, at a fraction of its cost: no
// reflection, and strings without escapes are copied once. keep, when not
// nil, selects the keys of the top-level object (*map[string]any) or of
// each element (*[]map[string]any) to decode; the values of the others
// are checked and skipped without being built. Other shapes ignore keep.
//
// It reports false when v is of another type or the input needs
// encoding/json (invalid JSON, whose error encoding/json words; a number
// out of range; a type mismatch; a destination already filled), and the
// caller then decodes with encoding/json.
func decodeFast(data []byte, v any, keep func(key string) bool) bool {
	d := decoder{data: data}
	var err error
	switch p := v.(type) {
	case *map[string]any:
		if *p != nil {
			return false
		}
		var m map[string]any
		if m, err = d.topObject(keep); err == nil {
			*p = m
		}
	case *[]map[string]any:
		if *p != nil {
			return false
		}
		var s []map[string]any
		if s, err = d.topObjects(keep); err == nil {
			*p = s
		}
	case *[]any:
		if *p != nil {
			return false
		}
		var x any
		if x, err = d.top(); err == nil {
			s, ok := x.([]any)
			if !ok && x != nil {
				return false
			}
			*p = s
		}
	case *any:
		if *p != nil {
			return false
		}
		var x any
		if x, err = d.top(); err == nil {
			*p = x
		}
	default:
		return false
	}
	return err == nil
}

type decoder struct {
	data  []byte
	i     int
	depth int
}

func (d *decoder) ws() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// end checks that only whitespace follows the top-level value.
func (d *decoder) end() error {
	d.ws()
	if d.i != len(d.data) {
		return errFallback
	}
	return nil
}

func (d *decoder) top() (any, error) {
	d.ws()
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	return v, d.end()
}

// topObject decodes a top-level object (null leaves the map nil, as
// encoding/json does).
func (d *decoder) topObject(keep func(string) bool) (map[string]any, error) {
	d.ws()
	var m map[string]any
	switch {
	case d.literal("null"):
	case d.i < len(d.data) && d.data[d.i] == '{':
		var err error
		if m, err = d.object(keep); err != nil {
			return nil, err
		}
	default:
		return nil, errFallback // not an object: encoding/json reports the type error
	}
	return m, d.end()
}

// topObjects decodes a top-level array of objects (null elements stay nil).
func (d *decoder) topObjects(keep func(string) bool) ([]map[string]any, error) {
	d.ws()
	if d.literal("null") {
		return nil, d.end()
	}
	if d.i >= len(d.data) || d.data[d.i] != '[' {
		return nil, errFallback
	}
	d.i++
	out := []map[string]any{}
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == ']' {
		d.i++
		return out, d.end()
	}
	for {
		d.ws()
		var m map[string]any
		switch {
		case d.literal("null"):
		case d.i < len(d.data) && d.data[d.i] == '{':
			var err error
			if m, err = d.object(keep); err != nil {
				return nil, err
			}
		default:
			return nil, errFallback
		}
		out = append(out, m)
		d.ws()
		if d.i >= len(d.data) {
			return nil, errFallback
		}
		switch d.data[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return out, d.end()
		default:
			return nil, errFallback
		}
	}
}

// literal consumes word when the input continues with it.
func (d *decoder) literal(word string) bool {
	if len(d.data)-d.i >= len(word) && string(d.data[d.i:d.i+len(word)]) == word {
		d.i += len(word)
		return true
	}
	return false
}

// value decodes the value at d.i (whitespace already skipped).
func (d *decoder) value() (any, error) {
	if d.i >= len(d.data) {
		return nil, errFallback
	}
	switch c := d.data[d.i]; {
	case c == '{':
		return d.object(nil)
	case c == '[':
		return d.array()
	case c == '"':
		return d.strValue()
	case c == '-' || '0' <= c && c <= '9':
		return d.number()
	case d.literal("true"):
		return true, nil
	case d.literal("false"):
		return false, nil
	case d.literal("null"):
		return nil, nil
	}
	return nil, errFallback
}

func (d *decoder) enter() error {
	d.depth++
	if d.depth > maxDecodeDepth {
		return errFallback
	}
	return nil
}

// object decodes the object at d.i; keep selects the keys to build.
func (d *decoder) object(keep func(string) bool) (map[string]any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	d.i++ // {
	m := map[string]any{}
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
		d.depth--
		return m, nil
	}
	for {
		d.ws()
		if d.i >= len(d.data) || d.data[d.i] != '"' {
			return nil, errFallback
		}
		key, err := d.key()
		if err != nil {
			return nil, err
		}
		d.ws()
		if d.i >= len(d.data) || d.data[d.i] != ':' {
			return nil, errFallback
		}
		d.i++
		d.ws()
		if keep != nil && !keep(key) {
			if err := d.skip(); err != nil {
				return nil, err
			}
		} else {
			v, err := d.value()
			if err != nil {
				return nil, err
			}
			m[key] = v
		}
		d.ws()
		if d.i >= len(d.data) {
			return nil, errFallback
		}
		switch d.data[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			d.depth--
			return m, nil
		default:
			return nil, errFallback
		}
	}
}

func (d *decoder) array() ([]any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	d.i++ // [
	out := []any{}
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == ']' {
		d.i++
		d.depth--
		return out, nil
	}
	for {
		d.ws()
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		d.ws()
		if d.i >= len(d.data) {
			return nil, errFallback
		}
		switch d.data[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			d.depth--
			return out, nil
		default:
			return nil, errFallback
		}
	}
}

// key decodes an object key: plain keys are interned, since the same
// few names come back in every object.
func (d *decoder) key() (string, error) {
	end, plain, err := d.scanString()
	if err != nil {
		return "", err
	}
	raw := d.data[d.i+1 : end]
	d.i = end + 1
	if plain {
		if e := internKeys.get(raw); e != nil {
			return e.s, nil
		}
		return string(raw), nil
	}
	return unquote(raw), nil
}

// strValue decodes a string value boxed as any; short plain strings
// (statuses, types, flags) are interned with their box, which saves both
// allocations of a string in a map[string]any.
func (d *decoder) strValue() (any, error) {
	end, plain, err := d.scanString()
	if err != nil {
		return nil, err
	}
	raw := d.data[d.i+1 : end]
	d.i = end + 1
	switch {
	case plain && len(raw) <= maxInternedValue:
		if e := internValues.get(raw); e != nil {
			return e.v, nil
		}
		return string(raw), nil
	case plain:
		return string(raw), nil
	}
	return unquote(raw), nil
}

// maxInternedValue is the longest string value interned: longer ones
// (ids, names, timestamps) are rarely repeated.
const maxInternedValue = 16

// interned is a string and the same string boxed as any.
type interned struct {
	s string
	v any
}

// internTable is a lock-free table of decoded strings, one per slot of
// their hash. A slot keeps the first string that took it: a string whose
// slot holds another costs what it would without the table, and unique
// values (names) cannot push out frequent ones (statuses), which are met
// first. Keys and values have a table each.
type internTable struct {
	slots [1 << 12]atomic.Pointer[interned]
}

var (
	internKeys, internValues internTable
	internSeed               = maphash.MakeSeed()
)

// get returns the interned form of b, nil when its slot holds another
// string.
func (t *internTable) get(b []byte) *interned {
	slot := &t.slots[maphash.Bytes(internSeed, b)&(uint64(len(t.slots))-1)]
	e := slot.Load()
	if e == nil {
		s := string(b)
		e = &interned{s: s, v: s}
		if !slot.CompareAndSwap(nil, e) {
			e = slot.Load()
		}
	}
	if e.s != string(b) {
		return nil
	}
	return e
}

// scanString finds the closing quote of the string literal at d.i,
// checking escapes and control characters as encoding/json's scanner
// does. plain means no escapes and valid UTF-8: the bytes are the string.
func (d *decoder) scanString() (end int, plain bool, err error) {
	ascii, escaped := true, false
	for j := d.i + 1; j < len(d.data); j++ {
		if !stringSpecial[d.data[j]] {
			continue
		}
		switch c := d.data[j]; {
		case c == '"':
			plain = !escaped && (ascii || utf8.Valid(d.data[d.i+1:j]))
			return j, plain, nil
		case c < 0x20:
			return 0, false, errFallback
		case c >= utf8.RuneSelf:
			ascii = false
		case c == '\\':
			escaped = true
			if j+1 >= len(d.data) {
				return 0, false, errFallback
			}
			switch d.data[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if j+5 >= len(d.data) {
					return 0, false, errFallback
				}
				for _, h := range d.data[j+2 : j+6] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return 0, false, errFallback
					}
				}
				j += 5
			default:
				return 0, false, errFallback
			}
		}
	}
	return 0, false, errFallback
}

// stringSpecial marks the bytes scanString must look at: the quote, the
// backslash, control characters and non-ASCII.
var stringSpecial = func() (t [256]bool) {
	for c := range t {
		t[c] = c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf
	}
	return t
}()

// unquote decodes the body of a checked string literal with escapes or
// invalid UTF-8 the way encoding/json does: invalid bytes and unpaired
// surrogates become U+FFFD.
func unquote(s []byte) string {
	b := make([]byte, 0, len(s)+utf8.UTFMax)
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			r++
			switch s[r] {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				rr := hex4(s[r+1 : r+5])
				r += 5
				if utf16.IsSurrogate(rr) {
					if r+6 <= len(s) && s[r] == '\\' && s[r+1] == 'u' {
						if dec := utf16.DecodeRune(rr, hex4(s[r+2:r+6])); dec != unicode.ReplacementChar {
							b = utf8.AppendRune(b, dec)
							r += 6
							continue
						}
					}
					rr = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, rr)
				continue
			default: // " \ /
				b = append(b, s[r])
			}
			r++
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			b = utf8.AppendRune(b, rr)
			r += size
		}
	}
	return string(b)
}

// hex4 decodes four checked hex digits.
func hex4(h []byte) rune {
	var r rune
	for _, c := range h {
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r*16 + rune(c)
	}
	return r
}

// number decodes a number as float64, as encoding/json does for any.
func (d *decoder) number() (any, error) {
	start := d.i
	j := d.i
	if d.data[j] == '-' {
		j++
	}
	digits := func() int {
		n := 0
		for j < len(d.data) && '0' <= d.data[j] && d.data[j] <= '9' {
			j++
			n++
		}
		return n
	}
	intStart := j
	n := digits()
	if n == 0 || n > 1 && d.data[intStart] == '0' {
		return nil, errFallback
	}
	integer := true
	if j < len(d.data) && d.data[j] == '.' {
		j++
		if digits() == 0 {
			return nil, errFallback
		}
		integer = false
	}
	if j < len(d.data) && (d.data[j] == 'e' || d.data[j] == 'E') {
		j++
		if j < len(d.data) && (d.data[j] == '+' || d.data[j] == '-') {
			j++
		}
		if digits() == 0 {
			return nil, errFallback
		}
		integer = false
	}
	d.i = j
	// Up to 15 digits an integer is exact in a float64, as ParseFloat
	// would return it.
	if integer && n <= 15 {
		var x int64
		for _, c := range d.data[intStart:j] {
			x = x*10 + int64(c-'0')
		}
		f := float64(x)
		if d.data[start] == '-' {
			f = -f
		}
		return f, nil
	}
	f, err := strconv.ParseFloat(string(d.data[start:j]), 64)
	if err != nil {
		return nil, errFallback // out of range: encoding/json's error
	}
	return f, nil
}

// skip checks the value at d.i without building it.
func (d *decoder) skip() error {
	if d.i >= len(d.data) {
		return errFallback
	}
	switch c := d.data[d.i]; {
	case c == '{':
		if err := d.enter(); err != nil {
			return err
		}
		d.i++
		d.ws()
		if d.i < len(d.data) && d.data[d.i] == '}' {
			d.i++
			d.depth--
			return nil
		}
		for {
			d.ws()
			if d.i >= len(d.data) || d.data[d.i] != '"' {
				return errFallback
			}
			if err := d.skipString(); err != nil {
				return err
			}
			d.ws()
			if d.i >= len(d.data) || d.data[d.i] != ':' {
				return errFallback
			}
			d.i++
			d.ws()
			if err := d.skip(); err != nil {
				return err
			}
			d.ws()
			if d.i >= len(d.data) {
				return errFallback
			}
			switch d.data[d.i] {
			case ',':
				d.i++
			case '}':
				d.i++
				d.depth--
				return nil
			default:
				return errFallback
			}
		}
	case c == '[':
		if err := d.enter(); err != nil {
			return err
		}
		d.i++
		d.ws()
		if d.i < len(d.data) && d.data[d.i] == ']' {
			d.i++
			d.depth--
			return nil
		}
		for {
			d.ws()
			if err := d.skip(); err != nil {
				return err
			}
			d.ws()
			if d.i >= len(d.data) {
				return errFallback
			}
			switch d.data[d.i] {
			case ',':
				d.i++
			case ']':
				d.i++
				d.depth--
				return nil
			default:
				return errFallback
			}
		}
	case c == '"':
		return d.skipString()
	case c == '-' || '0' <= c && c <= '9':
		_, err := d.number()
		return err
	case d.literal("true"), d.literal("false"), d.literal("null"):
		return nil
	}
	return errFallback
}

// skipString checks a string literal without building it.
func (d *decoder) skipString() error {
	end, _, err := d.scanString()
	if err != nil {
		return err
	}
	d.i = end + 1
	return nil
}

// decodeJSON decodes data into v: the fast decoder when it can, else
// encoding/json, after which keys keep rejects are removed too, so that
// the result does not depend on the path taken.
func decodeJSON(data []byte, v any, keep func(string) bool) error {
	if decodeFast(data, v, keep) {
		return nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return err
	}
	if keep != nil {
		switch p := v.(type) {
		case *map[string]any:
			dropKeys(*p, keep)
		case *[]map[string]any:
			for _, m := range *p {
				dropKeys(m, keep)
			}
		}
	}
	return nil
}

func dropKeys(m map[string]any, keep func(string) bool) {
	for k := range m {
		if !keep(k) {
			delete(m, k)
		}
	}
}
