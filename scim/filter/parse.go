package filter

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/scimconnect/scimconnect/scim"
)

// Parse parses a SCIM filter (RFC 7644 §3.4.2.2) within DefaultLimits.
// Every error is a *scim.Error with status 400 and scimType invalidFilter
// whose detail gives the 1-based character position.
func Parse(s string) (Expr, error) {
	return ParseWithLimits(s, DefaultLimits)
}

// ParseWithLimits parses a SCIM filter within l. A limit that is zero or
// negative takes its value from DefaultLimits, so that no filter is ever
// parsed without bounds.
func ParseWithLimits(s string, l Limits) (Expr, error) {
	p := newParser(s, l, modeFilter)
	if err := p.checkLength(); err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.atEnd() {
		return nil, p.errorf(p.pos, "the filter is empty")
	}
	e, err := p.parseOr(false)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !p.atEnd() {
		return nil, p.expected(`"and", "or" or the end of the filter`)
	}
	return e, nil
}

// mode selects the vocabulary of errors: filters and PATCH paths report
// different scimTypes (RFC 7644 §3.12).
type mode int

const (
	modeFilter mode = iota
	modePath
)

type parser struct {
	src   string
	pos   int // byte offset of the next unread byte
	lim   Limits
	mode  mode
	depth int
	nodes int
}

func newParser(s string, l Limits, m mode) *parser {
	if l.MaxLength <= 0 {
		l.MaxLength = DefaultLimits.MaxLength
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = DefaultLimits.MaxNodes
	}
	return &parser{src: s, lim: l, mode: m}
}

func (p *parser) what() string {
	if p.mode == modePath {
		return "path"
	}
	return "filter"
}

func (p *parser) scimType() string {
	if p.mode == modePath {
		return scim.InvalidPath
	}
	return scim.InvalidFilter
}

// errorf returns a 400 error at byte offset off, reported as a 1-based
// character position.
func (p *parser) errorf(off int, format string, args ...any) *scim.Error {
	if off > len(p.src) {
		off = len(p.src)
	}
	pos := utf8.RuneCountInString(p.src[:off]) + 1
	return scim.BadRequest(p.scimType(), "invalid %s at position %d: %s", p.what(), pos, fmt.Sprintf(format, args...))
}

// expected reports what the parser wanted at the current position (after
// whitespace) and what it found there.
func (p *parser) expected(what string) *scim.Error {
	p.skipSpace()
	return p.errorf(p.pos, "expected %s, found %s", what, p.found(p.pos))
}

// found describes the token at off for an error message.
func (p *parser) found(off int) string {
	if off >= len(p.src) {
		return "the end of the " + p.what()
	}
	end := off
	if p.src[off] == '"' {
		// A whole string literal, up to its closing quote.
		end++
		for end < len(p.src) && p.src[end] != '"' {
			if p.src[end] == '\\' {
				end++
			}
			end++
		}
		end = min(end+1, len(p.src))
	} else if isDelim(p.src[off]) {
		_, size := utf8.DecodeRuneInString(p.src[off:])
		end += size
	} else {
		for end < len(p.src) && !isDelim(p.src[end]) {
			end++
		}
	}
	tok := p.src[off:end]
	const maxTok = 32
	if len(tok) > maxTok {
		cut := maxTok
		for cut > 0 && !utf8.RuneStart(tok[cut]) {
			cut--
		}
		return fmt.Sprintf("%q...", tok[:cut])
	}
	return fmt.Sprintf("%q", tok)
}

func (p *parser) checkLength() error {
	if len(p.src) > p.lim.MaxLength {
		if n := utf8.RuneCountInString(p.src); n > p.lim.MaxLength {
			return scim.BadRequest(p.scimType(), "invalid %s: it is %d characters long, the limit is %d", p.what(), n, p.lim.MaxLength)
		}
	}
	return nil
}

// addNode counts a node against MaxNodes; off locates the error.
func (p *parser) addNode(off int) error {
	p.nodes++
	if p.nodes > p.lim.MaxNodes {
		return p.errorf(off, "more than %d comparisons and logical operators", p.lim.MaxNodes)
	}
	return nil
}

func (p *parser) enter(off int) error {
	p.depth++
	if p.depth > p.lim.MaxDepth {
		return p.errorf(off, "nesting deeper than %d levels of parentheses, not and value paths", p.lim.MaxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func (p *parser) atEnd() bool { return p.pos >= len(p.src) }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isDelim reports whether c ends a word: whitespace and the punctuation of
// the grammar.
func isDelim(c byte) bool {
	return isSpace(c) || c == '(' || c == ')' || c == '[' || c == ']' || c == '"'
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
}

// peekWord returns the word (run of non-delimiters) at the current position
// without consuming it.
func (p *parser) peekWord() string {
	end := p.pos
	for end < len(p.src) && !isDelim(p.src[end]) {
		end++
	}
	return p.src[p.pos:end]
}

// acceptKeyword consumes kw (case-insensitively) when it is the next word.
func (p *parser) acceptKeyword(kw string) bool {
	save := p.pos
	p.skipSpace()
	if strings.EqualFold(p.peekWord(), kw) {
		p.pos += len(kw)
		return true
	}
	p.pos = save
	return false
}

// parseOr parses a disjunction of conjunctions, left-associative.
func (p *parser) parseOr(inBrackets bool) (Expr, error) {
	left, err := p.parseAnd(inBrackets)
	if err != nil {
		return nil, err
	}
	for {
		off := p.pos
		if !p.acceptKeyword("or") {
			return left, nil
		}
		if err := p.addNode(off); err != nil {
			return nil, err
		}
		right, err := p.parseAnd(inBrackets)
		if err != nil {
			return nil, err
		}
		left = &Or{Left: left, Right: right}
	}
}

// parseAnd parses a conjunction of primaries, left-associative.
func (p *parser) parseAnd(inBrackets bool) (Expr, error) {
	left, err := p.parsePrimary(inBrackets)
	if err != nil {
		return nil, err
	}
	for {
		off := p.pos
		if !p.acceptKeyword("and") {
			return left, nil
		}
		if err := p.addNode(off); err != nil {
			return nil, err
		}
		right, err := p.parsePrimary(inBrackets)
		if err != nil {
			return nil, err
		}
		left = &And{Left: left, Right: right}
	}
}

// parsePrimary parses "(" FILTER ")", "not" "(" FILTER ")", an attribute
// expression or a value path.
func (p *parser) parsePrimary(inBrackets bool) (Expr, error) {
	p.skipSpace()
	if p.atEnd() {
		return nil, p.expected("an attribute path, \"not\" or \"(\"")
	}
	start := p.pos
	if p.src[p.pos] == '(' {
		return p.parseGroup(inBrackets)
	}
	if strings.EqualFold(p.peekWord(), "not") {
		// "not" is a keyword only before "("; otherwise it is an attribute
		// name, which the ABNF allows.
		p.pos += 3
		p.skipSpace()
		if !p.atEnd() && p.src[p.pos] == '(' {
			if err := p.addNode(start); err != nil {
				return nil, err
			}
			x, err := p.parseGroup(inBrackets)
			if err != nil {
				return nil, err
			}
			return &Not{X: x}, nil
		}
		p.pos = start
	}
	path, err := p.parseAttrPath(inBrackets)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !p.atEnd() && p.src[p.pos] == '[' {
		vp, err := p.parseValuePath(path, start, inBrackets)
		if err != nil || p.atEnd() || p.src[p.pos] != '.' {
			return vp, err
		}
		return p.parseValuePathSub(vp.(*ValuePath))
	}
	return p.parseComparison(path, start)
}

// parseValuePathSub parses the comparison after `attr[filter].sub`, a form
// outside the ABNF that Microsoft Entra ID sends when a user's work email
// is the matching attribute: `emails[type eq "work"].value eq "x"`. It
// means one element satisfies both, so it becomes
// `emails[type eq "work" and value eq "x"]`.
func (p *parser) parseValuePathSub(vp *ValuePath) (Expr, error) {
	off := p.pos
	p.pos++ // "."
	subStart := p.pos
	for p.pos < len(p.src) && isPathChar(p.src[p.pos]) {
		p.pos++
	}
	sub := p.src[subStart:p.pos]
	if !isAttrName(sub) {
		if sub == "" {
			return nil, p.errorf(subStart, "expected a sub-attribute name after \"].\", found %s", p.found(subStart))
		}
		return nil, p.errorf(subStart, "expected a sub-attribute name after \"].\", found %q", sub)
	}
	if err := p.addNode(off); err != nil {
		return nil, err
	}
	cmp, err := p.parseComparison(AttrPath{Attr: sub}, subStart)
	if err != nil {
		return nil, err
	}
	return &ValuePath{Path: vp.Path, Filter: &And{Left: vp.Filter, Right: cmp}}, nil
}

// parseGroup parses "(" FILTER ")" at the current position.
func (p *parser) parseGroup(inBrackets bool) (Expr, error) {
	open := p.pos
	if err := p.enter(open); err != nil {
		return nil, err
	}
	p.pos++ // "("
	x, err := p.parseOr(inBrackets)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.atEnd() || p.src[p.pos] != ')' {
		return nil, p.expected(`"and", "or" or ")"`)
	}
	p.pos++
	p.leave()
	return x, nil
}

func (p *parser) parseValuePath(path AttrPath, start int, inBrackets bool) (Expr, error) {
	if inBrackets {
		return nil, p.errorf(p.pos, "value paths cannot be nested")
	}
	if path.Sub != "" {
		return nil, p.errorf(start, "a value path needs a complex attribute, found the sub-attribute %q", path.String())
	}
	if err := p.addNode(start); err != nil {
		return nil, err
	}
	if err := p.enter(p.pos); err != nil {
		return nil, err
	}
	p.pos++ // "["
	f, err := p.parseOr(true)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.atEnd() || p.src[p.pos] != ']' {
		return nil, p.expected(`"and", "or" or "]"`)
	}
	p.pos++
	p.leave()
	return &ValuePath{Path: path, Filter: f}, nil
}

// parseComparison parses `op value` or `pr` after path.
func (p *parser) parseComparison(path AttrPath, start int) (Expr, error) {
	p.skipSpace()
	word := p.peekWord()
	op, ok := parseOp(word)
	if !ok {
		if path.URN == "" && path.Sub == "" && strings.EqualFold(path.Attr, "not") && word != "" {
			return nil, p.errorf(start, `expected "(" after "not"`)
		}
		return nil, p.expected("a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr)")
	}
	if err := p.addNode(start); err != nil {
		return nil, err
	}
	p.pos += len(word)
	if op == Pr {
		return &Compare{Path: path, Op: Pr}, nil
	}
	p.skipSpace()
	v, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	return &Compare{Path: path, Op: op, Value: v}, nil
}

// parseOp maps an operator word, case-insensitively, to its Op.
func parseOp(w string) (Op, bool) {
	if len(w) != 2 {
		return "", false
	}
	a, b := lowerASCII(w[0]), lowerASCII(w[1])
	switch {
	case a == 'e' && b == 'q':
		return Eq, true
	case a == 'n' && b == 'e':
		return Ne, true
	case a == 'c' && b == 'o':
		return Co, true
	case a == 's' && b == 'w':
		return Sw, true
	case a == 'e' && b == 'w':
		return Ew, true
	case a == 'p' && b == 'r':
		return Pr, true
	case a == 'g' && b == 't':
		return Gt, true
	case a == 'g' && b == 'e':
		return Ge, true
	case a == 'l' && b == 't':
		return Lt, true
	case a == 'l' && b == 'e':
		return Le, true
	}
	return "", false
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// parseValue parses compValue: a JSON string, number, true, false or null,
// or (leniently) an unquoted word, which is a string.
func (p *parser) parseValue() (any, error) {
	if p.atEnd() {
		return nil, p.expected("a value")
	}
	if p.src[p.pos] == '"' {
		return p.parseString()
	}
	off := p.pos
	w := p.peekWord()
	switch {
	case w == "":
		return nil, p.expected("a value")
	case strings.EqualFold(w, "true"):
		p.pos += len(w)
		return true, nil
	case strings.EqualFold(w, "false"):
		p.pos += len(w)
		return false, nil
	case strings.EqualFold(w, "null"):
		p.pos += len(w)
		return nil, nil
	case isJSONNumber(w):
		p.pos += len(w)
		return json.Number(w), nil
	case strings.EqualFold(w, "and") || strings.EqualFold(w, "or") || strings.EqualFold(w, "not"):
		return nil, p.errorf(off, "expected a value, found the keyword %q", w)
	}
	// Unquoted values are sent by real clients (Microsoft Entra ID:
	// `externalId eq jyoung`); a word that is no JSON literal can only be a
	// string.
	p.pos += len(w)
	return w, nil
}

// parseString parses a JSON string (RFC 8259 §7) at the current position.
func (p *parser) parseString() (string, error) {
	open := p.pos
	i := p.pos + 1
	// Fast path: no escapes, the value is a substring of the input.
	for i < len(p.src) {
		c := p.src[i]
		if c == '"' {
			p.pos = i + 1
			return p.src[open+1 : i], nil
		}
		if c == '\\' {
			break
		}
		i++
	}
	if i >= len(p.src) {
		return "", p.errorf(open, "unterminated string")
	}
	var b strings.Builder
	b.WriteString(p.src[open+1 : i])
	for i < len(p.src) {
		c := p.src[i]
		switch c {
		case '"':
			p.pos = i + 1
			return b.String(), nil
		case '\\':
			if i+1 >= len(p.src) {
				return "", p.errorf(open, "unterminated string")
			}
			esc := p.src[i+1]
			switch esc {
			case '"', '\\', '/':
				b.WriteByte(esc)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, n, ok := decodeUnicodeEscape(p.src[i:])
				if !ok {
					return "", p.errorf(i, `invalid \u escape: expected four hexadecimal digits`)
				}
				b.WriteRune(r)
				i += n
				continue
			default:
				return "", p.errorf(i, "invalid escape %q in string", p.src[i:i+2])
			}
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", p.errorf(open, "unterminated string")
}

// decodeUnicodeEscape decodes `\uXXXX` (and a following low surrogate) at
// the start of s, returning the rune and the bytes consumed. A lone
// surrogate becomes U+FFFD, as in encoding/json.
func decodeUnicodeEscape(s string) (rune, int, bool) {
	r, ok := hex4(s)
	if !ok {
		return 0, 0, false
	}
	if 0xD800 <= r && r < 0xDC00 {
		if lo, ok := hex4(s[6:]); ok && 0xDC00 <= lo && lo < 0xE000 {
			return (r-0xD800)<<10 + (lo - 0xDC00) + 0x10000, 12, true
		}
		return utf8.RuneError, 6, true
	}
	if 0xDC00 <= r && r < 0xE000 {
		return utf8.RuneError, 6, true
	}
	return r, 6, true
}

// hex4 reads `\uXXXX` at the start of s.
func hex4(s string) (rune, bool) {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[2:6]) {
		r <<= 4
		switch {
		case '0' <= c && c <= '9':
			r |= rune(c - '0')
		case 'a' <= c && c <= 'f':
			r |= rune(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// isJSONNumber reports whether s is a number per RFC 8259 §6.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	return i == len(s)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlpha(c byte) bool { u := c &^ 0x20; return 'A' <= u && u <= 'Z' }

// isPathChar reports whether c may appear in an attribute path token:
// attribute names, "$ref", the dots of sub-attributes and the characters of
// SCIM schema URNs.
func isPathChar(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '-' || c == '_' || c == '.' || c == ':' || c == '$'
}

// parseAttrPath parses attrPath = [URI ":"] ATTRNAME *1subAttr. Inside
// brackets the path names a sub-attribute: no URN, no sub-attribute.
func (p *parser) parseAttrPath(inBrackets bool) (AttrPath, error) {
	start := p.pos
	end := start
	for end < len(p.src) && isPathChar(p.src[end]) {
		end++
	}
	if end == start {
		return AttrPath{}, p.expected("an attribute path, \"not\" or \"(\"")
	}
	if end < len(p.src) && !isDelim(p.src[end]) {
		r, _ := utf8.DecodeRuneInString(p.src[end:])
		return AttrPath{}, p.errorf(end, "invalid character %q in attribute path", r)
	}
	p.pos = end
	path, err := p.splitPath(start, end)
	if err != nil {
		return AttrPath{}, err
	}
	if inBrackets && (path.URN != "" || path.Sub != "") {
		return AttrPath{}, p.errorf(start, "expected a sub-attribute name inside brackets, found %q", p.src[start:end])
	}
	return path, nil
}

// splitPath splits the path token src[start:end]: the URN is everything up
// to the last colon (URNs contain dots, as in "2.0"), the rest is an
// attribute name with at most one sub-attribute.
func (p *parser) splitPath(start, end int) (AttrPath, error) {
	tok := p.src[start:end]
	var path AttrPath
	nameStart := start
	if i := strings.LastIndexByte(tok, ':'); i >= 0 {
		urn := tok[:i]
		if err := p.checkURN(urn, start); err != nil {
			return AttrPath{}, err
		}
		path.URN = urn
		nameStart = start + i + 1
	}
	rest := p.src[nameStart:end]
	attr, sub, hasSub := strings.Cut(rest, ".")
	if attr == "" {
		return AttrPath{}, p.errorf(nameStart, "expected an attribute name after the schema URN, found %s", p.found(nameStart))
	}
	if !isAttrName(attr) {
		return AttrPath{}, p.errorf(nameStart, "expected an attribute name, found %q", attr)
	}
	path.Attr = attr
	if hasSub {
		subStart := nameStart + len(attr) + 1
		if j := strings.IndexByte(sub, '.'); j >= 0 {
			return AttrPath{}, p.errorf(subStart+j, "an attribute path has at most one sub-attribute")
		}
		if !isAttrName(sub) {
			if sub == "" {
				return AttrPath{}, p.errorf(subStart, "expected a sub-attribute name after \".\", found %s", p.found(subStart))
			}
			return AttrPath{}, p.errorf(subStart, "expected a sub-attribute name, found %q", sub)
		}
		path.Sub = sub
	}
	return path, nil
}

// checkURN validates the schema URN of a path at offset start: "urn:"
// followed by non-empty colon-separated segments.
func (p *parser) checkURN(urn string, start int) error {
	if len(urn) < 4 || !strings.EqualFold(urn[:4], "urn:") {
		return p.errorf(start, "expected an attribute name or a schema URN, found %q", urn)
	}
	segStart := 4
	for i := 4; i <= len(urn); i++ {
		if i == len(urn) || urn[i] == ':' {
			if i == segStart {
				return p.errorf(start+i, "empty segment in schema URN %q", urn)
			}
			segStart = i + 1
		}
	}
	return nil
}

// isAttrName reports whether s is an ATTRNAME (ALPHA *(ALPHA / DIGIT / "-"
// / "_")) or "$ref" (RFC 7643 §2.4).
func isAttrName(s string) bool {
	if s == "$ref" {
		return true
	}
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}
