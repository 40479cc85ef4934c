package jsonvalue

import (
	"encoding/json"
	"errors"
	"hash/maphash"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// errFallback makes the fast decoder hand the input to encoding/json,
// which then produces the result or the exact error message.
var errFallback = errors.New("jsonvalue: decode with encoding/json")

// maxDepth is far below encoding/json's nesting limit (10000), so that
// what it refuses for depth is left to encoding/json, and the recursion
// stays shallow.
const maxDepth = 1000

type decoder struct {
	data      []byte
	i         int
	depth     int
	useNumber bool // numbers as json.Number
	// share makes strings without escapes slices of one copy of the
	// whole input, text, made when the first is needed: one allocation
	// instead of one per string. Without a key filter, most of the input
	// ends up in the result anyway; with one, strings are copied alone,
	// so that what was skipped is not kept alive.
	share bool
	text  string
	// unique makes a key given twice in one object a DuplicateKeyError;
	// path is then the keys of the objects being decoded, and dup the
	// first duplicate's path.
	unique bool
	path   []string
	dup    string
}

// plain returns data[start:end], which holds no escapes, as a string.
func (d *decoder) plain(start, end int) string {
	if !d.share {
		return string(d.data[start:end])
	}
	if d.text == "" {
		d.text = string(d.data)
	}
	return d.text[start:end]
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

// top decodes the whole input as one value; keep selects the keys of a
// top-level object or of the objects directly in a top-level array.
func (d *decoder) top(keep func(string) bool) (any, error) {
	d.ws()
	var v any
	var err error
	switch {
	case keep != nil && d.i < len(d.data) && d.data[d.i] == '{':
		v, err = d.object(keep)
	case keep != nil && d.i < len(d.data) && d.data[d.i] == '[':
		v, err = d.array(keep)
	default:
		v, err = d.value()
	}
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
		return d.array(nil)
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
	if d.depth > maxDepth {
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
			if d.unique {
				d.path = append(d.path, key)
			}
			v, err := d.value()
			if err != nil {
				return nil, err
			}
			n := len(m)
			m[key] = v
			if d.unique {
				// The map did not grow: the key was there already.
				if len(m) == n && d.dup == "" {
					d.dup = strings.Join(d.path, ".")
				}
				d.path = d.path[:len(d.path)-1]
			}
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

// array decodes the array at d.i; elemKeep selects the keys to build of
// the objects directly in it.
func (d *decoder) array(elemKeep func(string) bool) ([]any, error) {
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
		var v any
		var err error
		if elemKeep != nil && d.i < len(d.data) && d.data[d.i] == '{' {
			v, err = d.object(elemKeep)
		} else {
			v, err = d.value()
		}
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
	start := d.i + 1
	raw := d.data[start:end]
	d.i = end + 1
	switch {
	case plain && d.share:
		return d.plain(start, end), nil
	case plain:
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
	start := d.i + 1
	raw := d.data[start:end]
	d.i = end + 1
	if plain {
		if len(raw) <= maxInternedValue {
			if e := internValues.get(raw); e != nil {
				return e.v, nil
			}
		}
		return d.plain(start, end), nil
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

// number decodes a number as float64, as encoding/json does for any, or
// as json.Number with useNumber.
func (d *decoder) number() (any, error) {
	start := d.i
	integerDigits, err := d.scanNumber()
	if err != nil {
		return nil, err
	}
	if d.useNumber {
		return json.Number(d.plain(start, d.i)), nil
	}
	f, err := d.float(start, integerDigits)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// skipNumber checks the number at d.i without building it: a float64 out
// of range is still an error.
func (d *decoder) skipNumber() error {
	start := d.i
	integerDigits, err := d.scanNumber()
	if err != nil || d.useNumber {
		return err
	}
	_, err = d.float(start, integerDigits)
	return err
}

// scanNumber moves past the number at d.i, checking JSON's grammar
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?. integerDigits is the
// number of digits of an integer, 0 for a number with a fraction or an
// exponent.
func (d *decoder) scanNumber() (integerDigits int, err error) {
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
		return 0, errFallback
	}
	integer := true
	if j < len(d.data) && d.data[j] == '.' {
		j++
		if digits() == 0 {
			return 0, errFallback
		}
		integer = false
	}
	if j < len(d.data) && (d.data[j] == 'e' || d.data[j] == 'E') {
		j++
		if j < len(d.data) && (d.data[j] == '+' || d.data[j] == '-') {
			j++
		}
		if digits() == 0 {
			return 0, errFallback
		}
		integer = false
	}
	d.i = j
	if !integer {
		return 0, nil
	}
	return n, nil
}

// float converts the number scanned from start to d.i.
func (d *decoder) float(start, integerDigits int) (float64, error) {
	// Up to 15 digits an integer is exact in a float64, as ParseFloat
	// would return it.
	if integerDigits > 0 && integerDigits <= 15 {
		var x int64
		for _, c := range d.data[d.i-integerDigits : d.i] {
			x = x*10 + int64(c-'0')
		}
		f := float64(x)
		if d.data[start] == '-' {
			f = -f
		}
		return f, nil
	}
	f, err := strconv.ParseFloat(string(d.data[start:d.i]), 64)
	if err != nil {
		return 0, errFallback // out of range: encoding/json's error
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
		return d.skipNumber()
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
