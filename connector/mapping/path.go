package mapping

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/filter"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// scimPath is a parsed SCIM-side path:
//
//	[URN ":"] attr [ "[" [selector] "]" ] [ "." sub ]
//
// where an empty "[]" means "each element" and a selector is one or more
// `sub eq literal` joined by "and" (RFC 7644 §3.4.2.2 syntax, eq only).
type scimPath struct {
	urn  string // exact extension URN, or "" for the core schema and common attributes
	attr string
	each bool   // "attr[]"
	sel  []cond // "attr[type eq "work"]"
	sub  string
	// typ is the SCIM type of the value the path designates, when a
	// resource type is known and the value is a scalar; FromTarget coerces
	// target values to it.
	typ schema.Type
}

// cond is one `sub eq value` of a selector.
type cond struct {
	sub string
	val any // string, bool, float64 or nil
}

// String renders the path canonically, so two spellings of one path compare equal.
func (p *scimPath) String() string {
	var b strings.Builder
	if p.urn != "" {
		b.WriteString(p.urn)
		b.WriteByte(':')
	}
	b.WriteString(p.attr)
	if p.each {
		b.WriteString("[]")
	}
	if len(p.sel) > 0 {
		b.WriteByte('[')
		for i, c := range p.sel {
			if i > 0 {
				b.WriteString(" and ")
			}
			v, _ := json.Marshal(c.val)
			fmt.Fprintf(&b, "%s eq %s", c.sub, v)
		}
		b.WriteByte(']')
	}
	if p.sub != "" {
		b.WriteByte('.')
		b.WriteString(p.sub)
	}
	return b.String()
}

// key is the lower-case (urn, attr) pair used to group rules by attribute.
func (p *scimPath) key() string { return strings.ToLower(p.urn + "|" + p.attr) }

// parseSCIMPath parses a SCIM-side path. rt, when not nil, must define the
// attribute; names are then rewritten to the schema's spelling.
func parseSCIMPath(s string, rt *schema.ResourceType) (*scimPath, error) {
	p := &scimPath{}
	rest := s
	if len(s) > 4 && strings.EqualFold(s[:4], "urn:") {
		head := s
		if i := strings.IndexByte(s, '['); i >= 0 {
			head = s[:i]
		}
		i := strings.LastIndexByte(head, ':')
		p.urn, rest = s[:i], s[i+1:]
	}
	end := strings.IndexAny(rest, "[.")
	if end < 0 {
		end = len(rest)
	}
	p.attr = rest[:end]
	if !validName(p.attr) {
		return nil, fmt.Errorf("invalid attribute name %q", p.attr)
	}
	rest = rest[end:]
	if strings.HasPrefix(rest, "[") {
		close := closingBracket(rest)
		if close < 0 {
			return nil, errors.New(`missing "]"`)
		}
		inner := strings.TrimSpace(rest[1:close])
		rest = rest[close+1:]
		if inner == "" {
			p.each = true
		} else {
			sel, err := parseSelector(inner)
			if err != nil {
				return nil, err
			}
			p.sel = sel
		}
	}
	if rest != "" {
		if rest[0] != '.' || !validName(rest[1:]) {
			return nil, fmt.Errorf("unexpected %q after the attribute", rest)
		}
		p.sub = rest[1:]
	}
	if len(p.sel) > 0 && p.sub == "" {
		return nil, errors.New("a selector must be followed by a sub-attribute, as in emails[type eq \"work\"].value")
	}
	if rt != nil {
		if err := p.canonicalize(rt); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// canonicalize checks p against rt and adopts the schema's spelling.
func (p *scimPath) canonicalize(rt *schema.ResourceType) error {
	if p.urn != "" && rt.SchemaByURN(p.urn) == nil {
		return fmt.Errorf("unknown schema %q", p.urn)
	}
	r, ok := rt.Resolve(p.urn, p.attr, p.sub)
	if !ok {
		return fmt.Errorf("resource type %s has no attribute %q", rt.Name, p.String())
	}
	p.attr = r.Attr.Name
	if r.Sub != nil {
		p.sub = r.Sub.Name
	}
	switch t := r.Target(); {
	case r.Sub != nil:
		p.typ = t.Type
	case t.Type != schema.Complex && (!t.MultiValued || p.each):
		p.typ = t.Type
	}
	p.urn = ""
	if r.InExtension(rt) {
		p.urn = r.Schema.ID
	}
	if (p.each || len(p.sel) > 0) && !r.Attr.MultiValued {
		return fmt.Errorf("%q is not multi-valued, so it takes no [...]", p.attr)
	}
	for i, c := range p.sel {
		s := r.Attr.Sub(c.sub)
		if s == nil {
			return fmt.Errorf("%q has no sub-attribute %q", p.attr, c.sub)
		}
		p.sel[i].sub = s.Name
	}
	return nil
}

// closingBracket returns the index of the "]" closing s[0]=="[", skipping
// quoted strings, or -1.
func closingBracket(s string) int {
	inQuote := false
	for i := 1; i < len(s); i++ {
		switch {
		case inQuote && s[i] == '\\':
			i++
		case s[i] == '"':
			inQuote = !inQuote
		case !inQuote && s[i] == ']':
			return i
		}
	}
	return -1
}

// parseSelector reads `sub eq literal [and ...]` with the filter parser, so
// literals follow RFC 7644 §3.4.2.2 exactly.
func parseSelector(s string) ([]cond, error) {
	expr, err := filter.Parse(s)
	if err != nil {
		// %v, not %w: a table's selector is configuration, and the filter
		// parser's *scim.Error would read as the client's fault.
		return nil, fmt.Errorf("selector %q: %v", s, err)
	}
	var out []cond
	var walk func(e filter.Expr) error
	walk = func(e filter.Expr) error {
		switch x := e.(type) {
		case *filter.And:
			if err := walk(x.Left); err != nil {
				return err
			}
			return walk(x.Right)
		case *filter.Compare:
			if x.Op != filter.Eq || x.Path.URN != "" || x.Path.Sub != "" {
				return fmt.Errorf("selector %q: only \"sub eq value\" joined by \"and\" is supported", s)
			}
			v := x.Value
			if n, ok := v.(json.Number); ok {
				f, err := n.Float64()
				if err != nil {
					return fmt.Errorf("selector %q: %w", s, err)
				}
				v = f
			}
			out = append(out, cond{sub: x.Path.Attr, val: v})
			return nil
		}
		return fmt.Errorf("selector %q: only \"sub eq value\" joined by \"and\" is supported", s)
	}
	if err := walk(expr); err != nil {
		return nil, err
	}
	return out, nil
}

// validName reports whether s is an ATTRNAME of RFC 7643 §2.1 (the "$ref"
// sub-attribute included).
func validName(s string) bool {
	if s == "$ref" {
		return true
	}
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !('0' <= c && c <= '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// matchElement reports whether a multi-valued element satisfies every condition.
func matchElement(el any, sel []cond) bool {
	m, ok := el.(map[string]any)
	if !ok {
		return false
	}
	for _, c := range sel {
		if !looseEqual(scim.Get(m, c.sub), c.val) {
			return false
		}
	}
	return true
}

// looseEqual compares a resource value with a selector literal: strings
// case-insensitively (type values are caseExact false, RFC 7643 §4.1.2),
// booleans given as strings as booleans, numbers numerically.
func looseEqual(v, lit any) bool {
	switch l := lit.(type) {
	case string:
		s, ok := v.(string)
		return ok && strings.EqualFold(s, l)
	case bool:
		if b, ok := toBool(v); ok {
			return b == l
		}
		return false
	case float64:
		f, ok := toFloat(v)
		return ok && f == l
	case nil:
		return v == nil
	}
	return false
}

// segKind is the kind of one target path segment.
type segKind uint8

const (
	segKey   segKind = iota // "name"
	segEach                 // "[]": each element
	segIndex                // "[2]"
	segMatch                // "[Name=email]": the element whose Name is "email"
)

// seg is one step of a target path.
type seg struct {
	kind segKind
	key  string // segKey: the key; segMatch: the element's key field
	idx  int    // segIndex
	val  string // segMatch: the wanted value
}

// targetPath is a parsed target-side path such as
// "groupAssignments[].group.displayName".
type targetPath struct {
	raw    string
	segs   []seg
	eachAt int // index of the segEach segment, or -1
}

func (p *targetPath) root() []seg { return p.segs[:p.eachAt] }
func (p *targetPath) tail() []seg { return p.segs[p.eachAt+1:] }

// parseTargetPath parses dotted keys, each optionally followed by "[]",
// "[N]" or "[Key=Value]". At most one "[]" is allowed. Keys may hold any
// character but ".", "[", "]" and "+".
func parseTargetPath(s string) (*targetPath, error) {
	p := &targetPath{raw: s, eachAt: -1}
	if s == "" {
		return nil, errors.New("empty target path")
	}
	rest := s
	for {
		end := strings.IndexAny(rest, ".[]")
		if end < 0 {
			end = len(rest)
		}
		key := rest[:end]
		if key == "" {
			return nil, fmt.Errorf("target path %q: empty key", s)
		}
		p.segs = append(p.segs, seg{kind: segKey, key: key})
		rest = rest[end:]
		for strings.HasPrefix(rest, "[") {
			close := strings.IndexByte(rest, ']')
			if close < 0 {
				return nil, fmt.Errorf("target path %q: missing \"]\"", s)
			}
			inner := rest[1:close]
			rest = rest[close+1:]
			switch k, v, isMatch := strings.Cut(inner, "="); {
			case inner == "":
				if p.eachAt >= 0 {
					return nil, fmt.Errorf("target path %q: only one \"[]\" is allowed", s)
				}
				p.eachAt = len(p.segs)
				p.segs = append(p.segs, seg{kind: segEach})
			case isMatch:
				if k == "" {
					return nil, fmt.Errorf("target path %q: empty key in [%s]", s, inner)
				}
				p.segs = append(p.segs, seg{kind: segMatch, key: k, val: v})
			default:
				n, err := strconv.Atoi(inner)
				if err != nil || n < 0 || n > 1000 {
					return nil, fmt.Errorf("target path %q: [%s] is neither [], [index] nor [Key=Value]", s, inner)
				}
				p.segs = append(p.segs, seg{kind: segIndex, idx: n})
			}
		}
		if rest == "" {
			return p, nil
		}
		if rest[0] != '.' {
			return nil, fmt.Errorf("target path %q: unexpected %q", s, rest[:1])
		}
		rest = rest[1:]
	}
}

// get reads the value at segs (which hold no segEach) below v, or nil.
func get(v any, segs []seg) any {
	for _, s := range segs {
		switch s.kind {
		case segKey:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[s.key]
		case segIndex:
			a, ok := v.([]any)
			if !ok || s.idx >= len(a) {
				return nil
			}
			v = a[s.idx]
		case segMatch:
			a, ok := v.([]any)
			if !ok {
				return nil
			}
			v = nil
			for _, el := range a {
				if m, ok := el.(map[string]any); ok && matchTarget(m[s.key], s.val) {
					v = el
					break
				}
			}
		default:
			return nil
		}
	}
	return v
}

// put writes val at segs (which hold no segEach) below cur and returns the
// updated container, creating objects and arrays on the way.
func put(cur any, segs []seg, val any) any {
	if len(segs) == 0 {
		return val
	}
	s := segs[0]
	switch s.kind {
	case segKey:
		m, ok := cur.(map[string]any)
		if !ok {
			m = map[string]any{}
		}
		m[s.key] = put(m[s.key], segs[1:], val)
		return m
	case segIndex:
		a, _ := cur.([]any)
		for len(a) <= s.idx {
			a = append(a, nil)
		}
		a[s.idx] = put(a[s.idx], segs[1:], val)
		return a
	case segMatch:
		a, _ := cur.([]any)
		for i, el := range a {
			if m, ok := el.(map[string]any); ok && matchTarget(m[s.key], s.val) {
				a[i] = put(el, segs[1:], val)
				return a
			}
		}
		return append(a, put(map[string]any{s.key: s.val}, segs[1:], val))
	}
	return cur
}

// matchTarget compares a target field with a [Key=Value] selector value.
func matchTarget(v any, want string) bool {
	switch x := v.(type) {
	case string:
		return x == want
	case nil:
		return false
	}
	return fmt.Sprint(v) == want
}

// coerce converts a scalar target value to the SCIM type t, so that a
// target's numeric key becomes a string id and a "true" string a boolean.
// Values that do not convert are left as they are.
func coerce(v any, t schema.Type) any {
	switch t {
	case schema.String, schema.Reference, schema.DateTime, schema.Binary:
		switch v.(type) {
		case bool, float64, float32, int, int64, json.Number:
			return scalarString(v)
		}
	case schema.Boolean:
		if b, ok := toBool(v); ok {
			return b
		}
	case schema.Integer:
		if f, ok := toFloat(v); ok && f == float64(int64(f)) {
			if n, isNum := v.(json.Number); isNum {
				if i, err := n.Int64(); err == nil {
					return i
				}
			}
			return int64(f)
		}
	case schema.Decimal:
		if f, ok := toFloat(v); ok {
			return f
		}
	}
	return v
}
