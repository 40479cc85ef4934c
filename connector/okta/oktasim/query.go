package oktasim

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// This file implements Okta's search and filter expression languages
// (NOTES.md §5): SCIM-like comparisons joined by and/or with parentheses.
// "and" binds tighter than "or"; "not" and "ne" are rejected as Okta does.

type attrKind int

const (
	kindString attrKind = iota // enum-like or string top-level property
	kindDate                   // timestamps compared as instants
	kindAny                    // profile property: string, number, boolean or array
)

type expr interface{ isExpr() }

type logical struct {
	op          string // "and" or "or"
	left, right expr
}

type comparison struct {
	attr  string
	op    string // eq sw co gt ge lt le pr
	value any    // string, json.Number, bool or nil
	when  time.Time
	kind  attrKind
}

func (logical) isExpr()     {}
func (*comparison) isExpr() {}

type token struct {
	text   string
	quoted bool
	paren  byte // '(' or ')' or 0
}

func tokenize(src string) ([]token, *apiError) {
	var toks []token
	rs := []rune(src)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '(' || r == ')':
			toks = append(toks, token{paren: byte(r)})
			i++
		case r == '"':
			var b strings.Builder
			i++
			closed := false
			for i < len(rs) {
				if rs[i] == '\\' && i+1 < len(rs) {
					b.WriteRune(rs[i+1])
					i += 2
					continue
				}
				if rs[i] == '"' {
					closed = true
					i++
					break
				}
				b.WriteRune(rs[i])
				i++
			}
			if !closed {
				return nil, invalidSearch("Unterminated string literal.")
			}
			toks = append(toks, token{text: b.String(), quoted: true})
		default:
			start := i
			for i < len(rs) && !unicode.IsSpace(rs[i]) && rs[i] != '(' && rs[i] != ')' && rs[i] != '"' {
				i++
			}
			toks = append(toks, token{text: string(rs[start:i])})
		}
	}
	return toks, nil
}

type parser struct {
	toks []token
	pos  int
}

func (p *parser) peekWord(w string) bool {
	return p.pos < len(p.toks) && !p.toks[p.pos].quoted && p.toks[p.pos].paren == 0 &&
		strings.EqualFold(p.toks[p.pos].text, w)
}

func parseExpr(src string) (expr, *apiError) {
	if strings.TrimSpace(src) == "" {
		return nil, invalidSearch("Invalid search syntax.")
	}
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, invalidSearch("Invalid search syntax.")
	}
	return e, nil
}

func (p *parser) parseOr() (expr, *apiError) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.peekWord("or") {
		p.pos++
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		left = logical{op: "or", left: left, right: right}
	}
	return left, nil
}

func (p *parser) parseAnd() (expr, *apiError) {
	left, err := p.parseFactor()
	if err != nil {
		return nil, err
	}
	for p.peekWord("and") {
		p.pos++
		right, err := p.parseFactor()
		if err != nil {
			return nil, err
		}
		left = logical{op: "and", left: left, right: right}
	}
	return left, nil
}

func (p *parser) parseFactor() (expr, *apiError) {
	if p.pos >= len(p.toks) {
		return nil, invalidSearch("Invalid search syntax.")
	}
	t := p.toks[p.pos]
	if t.paren == '(' {
		p.pos++
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if p.pos >= len(p.toks) || p.toks[p.pos].paren != ')' {
			return nil, invalidSearch("Invalid search syntax.")
		}
		p.pos++
		return e, nil
	}
	if t.paren != 0 || t.quoted {
		return nil, invalidSearch("Invalid search syntax.")
	}
	if strings.EqualFold(t.text, "not") {
		return nil, invalidSearch("The 'not' operator is not supported.")
	}
	p.pos++
	if p.pos >= len(p.toks) || p.toks[p.pos].quoted || p.toks[p.pos].paren != 0 {
		return nil, invalidSearch("Invalid search syntax.")
	}
	op := strings.ToLower(p.toks[p.pos].text)
	p.pos++
	switch op {
	case "eq", "sw", "co", "gt", "ge", "lt", "le":
	case "pr":
		return &comparison{attr: t.text, op: op}, nil
	case "ne":
		return nil, invalidSearch("The 'ne' operator is not supported.")
	default:
		return nil, invalidSearch("Invalid operator '" + op + "'.")
	}
	if p.pos >= len(p.toks) || p.toks[p.pos].paren != 0 {
		return nil, invalidSearch("Invalid search syntax.")
	}
	v := p.toks[p.pos]
	p.pos++
	c := &comparison{attr: t.text, op: op}
	if v.quoted {
		c.value = v.text
		return c, nil
	}
	switch strings.ToLower(v.text) {
	case "true":
		c.value = true
	case "false":
		c.value = false
	case "null":
		return nil, invalidSearch("Invalid search syntax.")
	default:
		if _, err := strconv.ParseFloat(v.text, 64); err != nil {
			return nil, invalidSearch("Invalid search syntax.")
		}
		c.value = json.Number(v.text)
	}
	return c, nil
}

// queryMode describes which attributes and operators one expression
// language accepts on one resource.
type queryMode struct {
	caseSensitive bool
	kindOf        func(attr string) (attrKind, bool)
	allowed       func(attr, op string, kind attrKind) bool
}

// validate checks every comparison against the mode and pre-parses dates.
func (m queryMode) validate(e expr) *apiError {
	switch n := e.(type) {
	case logical:
		if err := m.validate(n.left); err != nil {
			return err
		}
		return m.validate(n.right)
	case *comparison:
		kind, ok := m.kindOf(n.attr)
		if !ok {
			return invalidSearch("Invalid property '" + n.attr + "'.")
		}
		if !m.allowed(n.attr, n.op, kind) {
			return invalidSearch("Operator '" + n.op + "' is not supported for property '" + n.attr + "'.")
		}
		n.kind = kind
		if kind == kindDate && n.op != "pr" {
			s, ok := n.value.(string)
			if !ok {
				return invalidDate()
			}
			t, ok := parseTime(s)
			if !ok {
				return invalidDate()
			}
			n.when = t
		}
	}
	return nil
}

var (
	userSearchTop = map[string]attrKind{"id": kindString, "status": kindString, "created": kindDate,
		"activated": kindDate, "statusChanged": kindDate, "lastUpdated": kindDate, "type.id": kindString}
	userFilterAttrs = map[string]attrKind{"status": kindString, "lastUpdated": kindDate, "id": kindString,
		"profile.login": kindAny, "profile.email": kindAny, "profile.firstName": kindAny, "profile.lastName": kindAny}
	userContains   = map[string]bool{"profile.firstName": true, "profile.lastName": true, "profile.email": true, "profile.login": true}
	groupSearchTop = map[string]attrKind{"id": kindString, "created": kindDate, "lastMembershipUpdated": kindDate,
		"lastUpdated": kindDate, "type": kindString, "source.id": kindString}
	groupFilterAttrs = map[string]attrKind{"id": kindString, "type": kindString, "lastUpdated": kindDate, "lastMembershipUpdated": kindDate}
	groupContains    = map[string]bool{"profile.name": true, "profile.description": true}
)

func isOrdering(op string) bool { return op == "gt" || op == "ge" || op == "lt" || op == "le" }

func (s *Server) userSearchMode() queryMode {
	return queryMode{
		kindOf: func(attr string) (attrKind, bool) {
			if k, ok := userSearchTop[attr]; ok {
				return k, true
			}
			if name, ok := strings.CutPrefix(attr, "profile."); ok && s.userAttrs[name] {
				return kindAny, true
			}
			return 0, false
		},
		allowed: func(attr, op string, kind attrKind) bool {
			if kind == kindDate && (op == "sw" || op == "co") {
				return false
			}
			return op != "co" || userContains[attr]
		},
	}
}

func userFilterMode() queryMode {
	return queryMode{
		caseSensitive: true,
		kindOf: func(attr string) (attrKind, bool) {
			k, ok := userFilterAttrs[attr]
			return k, ok
		},
		allowed: func(attr, op string, _ attrKind) bool {
			return op == "eq" || (attr == "lastUpdated" && isOrdering(op))
		},
	}
}

func (s *Server) groupSearchMode() queryMode {
	return queryMode{
		kindOf: func(attr string) (attrKind, bool) {
			if k, ok := groupSearchTop[attr]; ok {
				return k, true
			}
			if name, ok := strings.CutPrefix(attr, "profile."); ok && s.groupAttrs[name] {
				return kindAny, true
			}
			return 0, false
		},
		allowed: func(attr, op string, kind attrKind) bool {
			switch op {
			case "eq":
				return true
			case "sw":
				return kind != kindDate
			case "co":
				return groupContains[attr]
			case "pr":
				return false
			}
			return kind == kindDate // gt/ge/lt/le on timestamps
		},
	}
}

func groupFilterMode() queryMode {
	return queryMode{
		caseSensitive: true,
		kindOf: func(attr string) (attrKind, bool) {
			k, ok := groupFilterAttrs[attr]
			return k, ok
		},
		allowed: func(_, op string, kind attrKind) bool {
			return op == "eq" || (kind == kindDate && isOrdering(op))
		},
	}
}

// eval reports whether an object matches; get returns the attribute's values
// (several for array properties, none when absent).
func eval(e expr, caseSensitive bool, get func(attr string) []any) bool {
	switch n := e.(type) {
	case logical:
		if n.op == "and" {
			return eval(n.left, caseSensitive, get) && eval(n.right, caseSensitive, get)
		}
		return eval(n.left, caseSensitive, get) || eval(n.right, caseSensitive, get)
	case *comparison:
		vals := get(n.attr)
		if n.op == "pr" {
			return len(vals) > 0
		}
		for _, v := range vals {
			if matchValue(n, v, caseSensitive) {
				return true
			}
		}
	}
	return false
}

func matchValue(c *comparison, v any, caseSensitive bool) bool {
	if c.kind == kindDate {
		t, ok := v.(time.Time)
		if !ok {
			return false
		}
		switch c.op {
		case "eq":
			return t.Equal(c.when)
		case "gt":
			return t.After(c.when)
		case "ge":
			return !t.Before(c.when)
		case "lt":
			return t.Before(c.when)
		case "le":
			return !t.After(c.when)
		}
		return false
	}
	switch want := c.value.(type) {
	case string:
		got, ok := v.(string)
		if !ok {
			return false
		}
		if !caseSensitive {
			got, want = strings.ToLower(got), strings.ToLower(want)
		}
		return compareOrdered(c.op, strings.Compare(got, want), got, want)
	case json.Number:
		got, ok := v.(json.Number)
		if !ok {
			return false
		}
		a, err1 := got.Float64()
		b, err2 := want.Float64()
		if err1 != nil || err2 != nil {
			return false
		}
		cmp := 0
		if a < b {
			cmp = -1
		} else if a > b {
			cmp = 1
		}
		return c.op != "sw" && c.op != "co" && compareOrdered(c.op, cmp, "", "")
	case bool:
		got, ok := v.(bool)
		return ok && c.op == "eq" && got == want
	}
	return false
}

func compareOrdered(op string, cmp int, got, want string) bool {
	switch op {
	case "eq":
		return cmp == 0
	case "sw":
		return strings.HasPrefix(got, want)
	case "co":
		return strings.Contains(got, want)
	case "gt":
		return cmp > 0
	case "ge":
		return cmp >= 0
	case "lt":
		return cmp < 0
	case "le":
		return cmp <= 0
	}
	return false
}

// profileValues flattens a profile value into comparable values; arrays
// match when any element matches (spec listUsers search description).
func profileValues(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if e != nil {
				out = append(out, e)
			}
		}
		return out
	}
	return []any{v}
}

func timeValues(t time.Time) []any {
	if t.IsZero() {
		return nil
	}
	return []any{t}
}

func (s *Server) userGetter(u *user) func(string) []any {
	return func(attr string) []any {
		switch attr {
		case "id":
			return []any{u.id}
		case "status":
			return []any{u.status}
		case "created":
			return timeValues(u.created)
		case "activated":
			return timeValues(u.activated)
		case "statusChanged":
			return timeValues(u.statusChanged)
		case "lastUpdated":
			return timeValues(u.lastUpdated)
		case "type.id":
			return []any{s.userTypeID}
		}
		if name, ok := strings.CutPrefix(attr, "profile."); ok {
			return profileValues(u.profile[name])
		}
		return nil
	}
}

func groupGetter(g *group) func(string) []any {
	return func(attr string) []any {
		switch attr {
		case "id":
			return []any{g.id}
		case "type":
			return []any{g.typ}
		case "created":
			return timeValues(g.created)
		case "lastUpdated":
			return timeValues(g.lastUpdated)
		case "lastMembershipUpdated":
			return timeValues(g.lastMembershipUpdated)
		case "source.id":
			return nil
		}
		if name, ok := strings.CutPrefix(attr, "profile."); ok {
			return profileValues(g.profile[name])
		}
		return nil
	}
}

// sortKey orders search results for sortBy: timestamps by instant, other
// values case-insensitively; absent values sort first.
func sortKey(vals []any) string {
	if len(vals) == 0 {
		return ""
	}
	switch v := vals[0].(type) {
	case time.Time:
		return v.UTC().Format(timeLayout)
	case string:
		return strings.ToLower(v)
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return v.String()
		}
		return strconv.FormatFloat(f+1e15, 'f', 6, 64) // shifted so lexical order matches for |f| < 1e15
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}
