package filter

import (
	"cmp"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/scimconnect/scimconnect/scim/schema"
)

// number is a numeric value: exact as an int64 when it is an integer that
// fits, else a float64.
type number struct {
	i     int64
	f     float64
	isInt bool
}

// toNumber converts the numeric forms a resource or filter may hold
// (json.Number, int64, float64 and the other Go numeric types, or a numeric
// string) without allocating.
func toNumber(v any) (number, bool) {
	switch v := v.(type) {
	case number:
		return v, true
	case json.Number:
		return parseNumber(string(v))
	case string:
		return parseNumber(v)
	case int64:
		return number{i: v, isInt: true}, true
	case int:
		return number{i: int64(v), isInt: true}, true
	case int32:
		return number{i: int64(v), isInt: true}, true
	case float64:
		return floatNumber(v), true
	case float32:
		return floatNumber(float64(v)), true
	case uint64:
		if v <= math.MaxInt64 {
			return number{i: int64(v), isInt: true}, true
		}
		return number{f: float64(v)}, true
	}
	return number{}, false
}

func floatNumber(f float64) number {
	if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
		return number{i: int64(f), isInt: true}
	}
	return number{f: f}
}

func parseNumber(s string) (number, bool) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return number{i: i, isInt: true}, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return number{}, false
	}
	return floatNumber(f), true
}

func (n number) float() float64 {
	if n.isInt {
		return float64(n.i)
	}
	return n.f
}

func compareNumbers(a, b number) int {
	if a.isInt && b.isInt {
		return cmp.Compare(a.i, b.i)
	}
	return cmp.Compare(a.float(), b.float())
}

// parseDateTime parses an xsd:dateTime as SCIM uses it (RFC 7643 §2.3.5):
// RFC 3339 with or without fractional seconds; a value without a time zone,
// which xsd:dateTime allows, is taken as UTC.
func parseDateTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

func toTime(v any) (time.Time, bool) {
	switch v := v.(type) {
	case string:
		return parseDateTime(v)
	case time.Time:
		return v, true
	}
	return time.Time{}, false
}

// foldRune maps r to a canonical case for case-insensitive comparison
// (caseExact=false): its lower case, exactly as the stores fold their
// index keys (strings.ToLower), so that the filter evaluated in memory, an
// index lookup and the uniqueness check agree on which strings are equal.
// Wider foldings (strings.EqualFold, lower of upper) differ from it on a
// few letters (İ and I, ı and I, ς and σ, µ and μ); with them a
// userName eq could miss the very user a create is refused for, and
// Entra and Okta, which look a user up before creating it, would loop.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	return unicode.ToLower(r)
}

// EqualFold reports whether a and b are equal as SCIM compares values that
// are not caseExact: equal once lower-cased (see foldRune). Connectors
// that compare such values themselves use it to agree with filters.
func EqualFold(a, b string) bool { return compareFold(a, b) == 0 }

// compareFold orders a and b case-insensitively, rune by rune.
func compareFold(a, b string) int {
	// ASCII fast path, byte by byte.
	n := min(len(a), len(b))
	i := 0
	for ; i < n; i++ {
		ca, cb := a[i], b[i]
		if ca|cb >= utf8.RuneSelf {
			break
		}
		if ca != cb {
			ca, cb = lowerASCII(ca), lowerASCII(cb)
			if ca != cb {
				return cmp.Compare(ca, cb)
			}
		}
	}
	a, b = a[i:], b[i:]
	for a != "" && b != "" {
		ra, na := decodeRune(a)
		rb, nb := decodeRune(b)
		if c := cmp.Compare(foldRune(ra), foldRune(rb)); c != 0 {
			return c
		}
		a, b = a[na:], b[nb:]
	}
	return cmp.Compare(len(a), len(b))
}

func decodeRune(s string) (rune, int) {
	if s[0] < utf8.RuneSelf {
		return rune(s[0]), 1
	}
	return utf8.DecodeRuneInString(s)
}

// hasPrefixFold reports whether s begins with prefix, case-insensitively.
func hasPrefixFold(s, prefix string) bool {
	// ASCII fast path, byte by byte.
	i := 0
	for ; i < len(prefix) && i < len(s); i++ {
		cs, cp := s[i], prefix[i]
		if cs|cp >= utf8.RuneSelf {
			break
		}
		if cs != cp && lowerASCII(cs) != lowerASCII(cp) {
			return false
		}
	}
	s, prefix = s[i:], prefix[i:]
	for prefix != "" {
		if s == "" {
			return false
		}
		rs, ns := decodeRune(s)
		rp, np := decodeRune(prefix)
		if rs != rp && foldRune(rs) != foldRune(rp) {
			return false
		}
		s, prefix = s[ns:], prefix[np:]
	}
	return true
}

// hasSuffixFold reports whether s ends with suffix, case-insensitively.
func hasSuffixFold(s, suffix string) bool {
	for suffix != "" {
		if s == "" {
			return false
		}
		rs, ns := utf8.DecodeLastRuneInString(s)
		rp, np := utf8.DecodeLastRuneInString(suffix)
		if rs != rp && foldRune(rs) != foldRune(rp) {
			return false
		}
		s, suffix = s[:len(s)-ns], suffix[:len(suffix)-np]
	}
	return true
}

// containsFold reports whether sub occurs in s, case-insensitively.
func containsFold(s, sub string) bool {
	if sub == "" {
		return true
	}
	for i := 0; i < len(s); {
		if hasPrefixFold(s[i:], sub) {
			return true
		}
		_, n := decodeRune(s[i:])
		i += n
	}
	return false
}

func equalStrings(a, b string, caseExact bool) bool {
	if caseExact {
		return a == b
	}
	return EqualFold(a, b)
}

func compareStrings(a, b string, caseExact bool) int {
	if caseExact {
		return cmp.Compare(a, b)
	}
	return compareFold(a, b)
}

// CompareValues orders two values of attr (nil for an unknown attribute,
// then the values' own kinds decide) and returns -1, 0 or +1: strings
// lexicographically (case-folded unless attr is caseExact), numbers
// numerically, dateTimes chronologically, false before true. A missing
// value (nil, "", an empty array or object) orders after every present one,
// which is where RFC 7644 §3.4.2.3 puts it in ascending order. Values that
// do not fit the type order after those that do. The order is total, so it
// suits sorting.
func CompareValues(a, b any, attr *schema.Attribute) int {
	pa, pb := isPresent(a), isPresent(b)
	switch {
	case !pa && !pb:
		return 0
	case !pa:
		return 1
	case !pb:
		return -1
	}
	t := schema.Type("")
	caseExact := false
	if attr != nil {
		t, caseExact = attr.Type, attr.CaseExact
		if t == schema.Binary {
			caseExact = true
		}
	}
	switch t {
	case schema.Integer, schema.Decimal:
		na, oka := toNumber(a)
		nb, okb := toNumber(b)
		if oka && okb {
			return compareNumbers(na, nb)
		}
		if oka != okb {
			return rankFirst(oka)
		}
	case schema.DateTime:
		ta, oka := toTime(a)
		tb, okb := toTime(b)
		if oka && okb {
			return ta.Compare(tb)
		}
		if oka != okb {
			return rankFirst(oka)
		}
	}
	// By kind: the type is unknown or the values do not fit it.
	ka, kb := kindRank(a), kindRank(b)
	if ka != kb {
		return cmp.Compare(ka, kb)
	}
	switch a := a.(type) {
	case string:
		return compareStrings(a, b.(string), caseExact)
	case bool:
		bb := b.(bool)
		switch {
		case a == bb:
			return 0
		case !a:
			return -1
		}
		return 1
	}
	if ka == kindNumber {
		na, _ := toNumber(a)
		nb, _ := toNumber(b)
		return compareNumbers(na, nb)
	}
	return 0
}

// rankFirst returns -1 when the first value is the one that fits.
func rankFirst(firstFits bool) int {
	if firstFits {
		return -1
	}
	return 1
}

const (
	kindNumber = iota
	kindString
	kindBool
	kindOther
)

func kindRank(v any) int {
	switch v.(type) {
	case string:
		return kindString
	case bool:
		return kindBool
	}
	if _, ok := v.(json.Number); ok {
		return kindNumber
	}
	if _, ok := toNumber(v); ok {
		return kindNumber
	}
	return kindOther
}

// isPresent implements "pr" (RFC 7644 §3.4.2.2): the value is there and is
// not null, "" or an empty array or object (an array or object counts when
// any member is present).
func isPresent(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return v != ""
	case []any:
		for _, e := range v {
			if isPresent(e) {
				return true
			}
		}
		return false
	case map[string]any:
		for _, e := range v {
			if isPresent(e) {
				return true
			}
		}
		return false
	}
	return true
}

// foldString returns s in the canonical case of foldRune, so that folded
// strings order as compareFold orders the originals.
func foldString(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			var b strings.Builder
			b.Grow(len(s))
			b.WriteString(s[:i])
			for _, r := range s[i:] {
				b.WriteRune(foldRune(r))
			}
			return b.String()
		}
	}
	return s
}
