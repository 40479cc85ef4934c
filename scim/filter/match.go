package filter

import (
	"encoding/json"
	"strings"

	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// Match reports whether res satisfies e, evaluated in memory per RFC 7644
// §3.4.2.2 against the attribute definitions of rt. A nil e matches every
// resource.
//
// Semantics:
//   - paths resolve through rt case-insensitively (rt.Resolve); resource
//     keys are looked up by canonical name first, then case-insensitively;
//     extension attributes are read under their schema URN key;
//   - strings compare case-insensitively unless the attribute is caseExact
//     (id, externalId and meta.* strings are); binary values exactly;
//   - numbers compare numerically whether held as int64, float64 or
//     json.Number; dateTimes chronologically (RFC 3339, with or without
//     fractional seconds); booleans with eq and ne only;
//   - a multi-valued attribute matches when any of its values matches; a
//     complex attribute with a "value" sub-attribute compared without a
//     sub-attribute compares that (`emails co "example.com"`, Entra's
//     `manager eq "id"`);
//   - a value path `emails[type eq "work" and value co "@x"]` matches when
//     one element satisfies the whole inner filter;
//   - pr means present and not null, "", [] or {}; `eq null` means not
//     present and `ne null` present;
//   - ne is the negation of eq: it is true for a missing attribute and, for
//     a multi-valued attribute, when no value is equal;
//   - an attribute rt does not define behaves as a missing one (run Check
//     first to reject such filters with a 400).
//
// Match resolves paths on every call; to evaluate one filter against many
// resources, Compile it once and use Matcher.Match, which does not allocate.
func Match(e Expr, res map[string]any, rt *schema.ResourceType) bool {
	if e == nil {
		return true
	}
	ev := evaluator{rt: rt}
	return ev.eval(e, res, nil)
}

// Matcher is a filter compiled against a resource type: every path is
// resolved once. It is safe for concurrent use.
type Matcher struct {
	expr     Expr
	compares map[*Compare]binding
	values   map[*ValuePath]binding
}

// Compile checks e against rt (see Check) and resolves its paths, returning
// a Matcher whose Match gives the same answers as Match(e, res, rt). The
// Matcher keeps e: it must not be changed afterwards. A nil e compiles to a
// Matcher that matches everything.
func Compile(e Expr, rt *schema.ResourceType) (*Matcher, error) {
	if err := Check(e, rt); err != nil {
		return nil, err
	}
	m := &Matcher{expr: e, compares: map[*Compare]binding{}, values: map[*ValuePath]binding{}}
	m.bindAll(e, rt, nil)
	return m, nil
}

func (m *Matcher) bindAll(e Expr, rt *schema.ResourceType, parent *schema.Attribute) {
	switch e := e.(type) {
	case *And:
		m.bindAll(e.Left, rt, parent)
		m.bindAll(e.Right, rt, parent)
	case *Or:
		m.bindAll(e.Left, rt, parent)
		m.bindAll(e.Right, rt, parent)
	case *Not:
		m.bindAll(e.X, rt, parent)
	case *ValuePath:
		b := bindPath(e.Path, rt, parent)
		m.values[e] = b
		if b.ok {
			m.bindAll(e.Filter, rt, b.attr())
		}
	case *Compare:
		b := bindPath(e.Path, rt, parent)
		if b.ok {
			b.operand = prepareOperand(e.Value, b.attr())
		}
		m.compares[e] = b
	}
}

// Expr returns the filter the Matcher evaluates.
func (m *Matcher) Expr() Expr { return m.expr }

// Match reports whether res satisfies the compiled filter.
func (m *Matcher) Match(res map[string]any) bool {
	if m.expr == nil {
		return true
	}
	ev := evaluator{cache: m}
	return ev.eval(m.expr, res, nil)
}

// binding is a path resolved against a resource type.
type binding struct {
	ok  bool
	ext string            // the extension URN key holding top, or ""
	top *schema.Attribute // the attribute under the resource (or element)
	sub *schema.Attribute // its sub-attribute, or nil
	// operand is the comparison value parsed for the attribute's type
	// (time.Time, number), or nil to use the Compare's value as it is.
	operand any
}

func (b binding) attr() *schema.Attribute {
	if b.sub != nil {
		return b.sub
	}
	return b.top
}

// bindPath resolves p at the top level (parent nil) or as a sub-attribute
// of parent inside a value path.
func bindPath(p AttrPath, rt *schema.ResourceType, parent *schema.Attribute) binding {
	if parent != nil {
		if p.URN != "" || p.Sub != "" {
			return binding{}
		}
		a := parent.Sub(p.Attr)
		return binding{ok: a != nil, top: a}
	}
	if rt == nil || rt.Schema == nil {
		return binding{}
	}
	r, ok := rt.Resolve(p.URN, p.Attr, p.Sub)
	if !ok {
		return binding{}
	}
	b := binding{ok: true, top: r.Attr, sub: r.Sub}
	if r.InExtension(rt) {
		b.ext = r.Schema.ID
	}
	return b
}

// evaluator walks the AST; with a cache it reads bindings from the Matcher,
// else it resolves each path as it goes.
type evaluator struct {
	rt    *schema.ResourceType
	cache *Matcher
}

func (ev *evaluator) eval(e Expr, res map[string]any, parent *schema.Attribute) bool {
	switch e := e.(type) {
	case *And:
		return ev.eval(e.Left, res, parent) && ev.eval(e.Right, res, parent)
	case *Or:
		return ev.eval(e.Left, res, parent) || ev.eval(e.Right, res, parent)
	case *Not:
		return !ev.eval(e.X, res, parent)
	case *Compare:
		var b binding
		if ev.cache != nil {
			b = ev.cache.compares[e]
		} else {
			b = bindPath(e.Path, ev.rt, parent)
		}
		if !b.ok {
			// Unknown attributes behave as missing ones.
			return (e.Op == Ne) || (e.Op == Eq && e.Value == nil)
		}
		return matchCompare(e, b.value(res), b.top, b.sub, b.operand)
	case *ValuePath:
		var b binding
		if ev.cache != nil {
			b = ev.cache.values[e]
		} else {
			b = bindPath(e.Path, ev.rt, parent)
		}
		if !b.ok || b.sub != nil {
			return false
		}
		switch v := b.value(res).(type) {
		case []any:
			for _, el := range v {
				if m, ok := el.(map[string]any); ok && ev.eval(e.Filter, m, b.top) {
					return true
				}
			}
		case map[string]any:
			return ev.eval(e.Filter, v, b.top)
		}
		return false
	}
	return false
}

// value returns the value of the bound top-level attribute in res.
func (b binding) value(res map[string]any) any {
	container := res
	if b.ext != "" {
		m, ok := scim.Get(res, b.ext).(map[string]any)
		if !ok {
			return nil
		}
		container = m
	}
	return scim.Get(container, b.top.Name)
}

// prepareOperand parses a comparison value once for a Matcher: dateTimes to
// time.Time, numbers to number. Other values need no preparation (nil).
func prepareOperand(v any, attr *schema.Attribute) any {
	if attr.Type == schema.Complex {
		if attr = attr.Sub("value"); attr == nil {
			return nil
		}
	}
	switch attr.Type {
	case schema.DateTime:
		if t, ok := toTime(v); ok {
			return t
		}
	case schema.Integer, schema.Decimal:
		if n, ok := toNumber(v); ok {
			return n
		}
	}
	return nil
}

// matchCompare evaluates c against v, the value of attribute top (with sub
// the sub-attribute the path names, or nil); operand, when not nil,
// replaces c.Value as prepared by prepareOperand.
func matchCompare(c *Compare, v any, top, sub *schema.Attribute, operand any) bool {
	if sub == nil && top.Type == schema.Complex && c.Op != Pr && c.Value != nil {
		// RFC 7644 §3.4.2.2: a complex multi-valued attribute compared
		// directly compares its "value" sub-attribute; so does a
		// single-valued one that has it (Entra's `manager eq "id"`).
		// Other complex attributes equal no value (Check rejects such
		// filters).
		sub = top.Sub("value")
		if sub == nil {
			return c.Op == Ne
		}
	}
	t := test{op: c.Op, value: c.Value, attr: top}
	if operand != nil {
		t.value = operand
	}
	if sub != nil {
		t.attr = sub
	}
	switch {
	case c.Op == Pr:
		t.op = Pr
		return anyCandidate(v, sub, t)
	case c.Op == Eq && c.Value == nil:
		t.op = Pr
		return !anyCandidate(v, sub, t)
	case c.Op == Ne && c.Value == nil:
		t.op = Pr
		return anyCandidate(v, sub, t)
	case c.Op == Ne:
		t.op = Eq
		return !anyCandidate(v, sub, t)
	}
	return anyCandidate(v, sub, t)
}

// anyCandidate reports whether t holds for any value the path denotes in v:
// v itself, its elements if multi-valued, and with sub, the sub-attribute
// of v or of each element.
func anyCandidate(v any, sub *schema.Attribute, t test) bool {
	if sub == nil {
		return anyElement(v, t)
	}
	switch v := v.(type) {
	case map[string]any:
		return anyElement(scim.Get(v, sub.Name), t)
	case []any:
		for _, el := range v {
			if m, ok := el.(map[string]any); ok && anyElement(scim.Get(m, sub.Name), t) {
				return true
			}
		}
	}
	return false
}

func anyElement(v any, t test) bool {
	if a, ok := v.([]any); ok {
		if t.op == Pr {
			return isPresent(a)
		}
		for _, el := range a {
			if t.holds(el) {
				return true
			}
		}
		return false
	}
	return t.holds(v)
}

// test is one comparison against a single value of attr.
type test struct {
	op    Op
	value any
	attr  *schema.Attribute
}

func (t test) holds(x any) bool {
	if t.op == Pr {
		return isPresent(x)
	}
	if x == nil {
		return false
	}
	switch t.attr.Type {
	case schema.String, schema.Reference, schema.Binary:
		s, ok := x.(string)
		if !ok {
			return false
		}
		want, ok := stringOperand(t.value)
		if !ok {
			return false
		}
		exact := t.attr.CaseExact || t.attr.Type == schema.Binary
		switch t.op {
		case Eq:
			return equalStrings(s, want, exact)
		case Co:
			if exact {
				return strings.Contains(s, want)
			}
			return containsFold(s, want)
		case Sw:
			if exact {
				return strings.HasPrefix(s, want)
			}
			return hasPrefixFold(s, want)
		case Ew:
			if exact {
				return strings.HasSuffix(s, want)
			}
			return hasSuffixFold(s, want)
		}
		return ordered(t.op, compareStrings(s, want, exact))
	case schema.Boolean:
		b, ok := x.(bool)
		want, wok := t.value.(bool)
		return ok && wok && t.op == Eq && b == want
	case schema.Integer, schema.Decimal:
		n, ok := toNumber(x)
		want, wok := toNumber(t.value)
		return ok && wok && ordered(t.op, compareNumbers(n, want))
	case schema.DateTime:
		tx, ok := toTime(x)
		want, wok := toTime(t.value)
		if ok && wok {
			return ordered(t.op, tx.Compare(want))
		}
		// Not a dateTime on one side: only exact equality can hold.
		s, sok := x.(string)
		ws, wsok := t.value.(string)
		return t.op == Eq && sok && wsok && s == ws
	}
	return false
}

// stringOperand returns the filter value as a string; an unquoted number
// compares as its literal (numeric IDs sent without quotes).
func stringOperand(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return string(v), true
	}
	return "", false
}

// ordered reports whether a comparison result c satisfies an ordering
// operator (or eq).
func ordered(op Op, c int) bool {
	switch op {
	case Eq:
		return c == 0
	case Gt:
		return c > 0
	case Ge:
		return c >= 0
	case Lt:
		return c < 0
	case Le:
		return c <= 0
	}
	return false
}
