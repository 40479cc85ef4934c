package filter

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// String renders `path op value`, or `path pr`; strings are JSON-quoted.
func (c *Compare) String() string {
	var b strings.Builder
	c.write(&b)
	return b.String()
}

// String renders `left and right`, parenthesizing operands only where the
// precedence of "or" or left associativity requires it.
func (a *And) String() string {
	var b strings.Builder
	a.write(&b)
	return b.String()
}

// String renders `left or right`; a right operand that is itself an Or is
// parenthesized to keep the tree's shape.
func (o *Or) String() string {
	var b strings.Builder
	o.write(&b)
	return b.String()
}

// String renders `not (x)`.
func (n *Not) String() string {
	var b strings.Builder
	n.write(&b)
	return b.String()
}

// String renders `path[filter]`.
func (v *ValuePath) String() string {
	var b strings.Builder
	v.write(&b)
	return b.String()
}

// String renders the PATCH path: attrPath, or valuePath with its optional
// sub-attribute; parsing it with ParsePatchPath yields an equal PatchPath.
func (p *PatchPath) String() string {
	var b strings.Builder
	b.WriteString(p.Path.String())
	if p.Filter != nil {
		b.WriteByte('[')
		writeExpr(&b, p.Filter)
		b.WriteByte(']')
		if p.FilterSub != "" {
			b.WriteByte('.')
			b.WriteString(p.FilterSub)
		}
	}
	return b.String()
}

func writeExpr(b *strings.Builder, e Expr) {
	switch e := e.(type) {
	case *Compare:
		e.write(b)
	case *And:
		e.write(b)
	case *Or:
		e.write(b)
	case *Not:
		e.write(b)
	case *ValuePath:
		e.write(b)
	case nil:
		b.WriteString("<nil>")
	default:
		b.WriteString(e.String())
	}
}

func writeGrouped(b *strings.Builder, e Expr, group bool) {
	if group {
		b.WriteByte('(')
		writeExpr(b, e)
		b.WriteByte(')')
		return
	}
	writeExpr(b, e)
}

func (c *Compare) write(b *strings.Builder) {
	b.WriteString(c.Path.String())
	b.WriteByte(' ')
	b.WriteString(string(c.Op))
	if c.Op == Pr {
		return
	}
	b.WriteByte(' ')
	writeValue(b, c.Value)
}

func (a *And) write(b *strings.Builder) {
	_, leftOr := a.Left.(*Or)
	writeGrouped(b, a.Left, leftOr)
	b.WriteString(" and ")
	switch a.Right.(type) {
	case *Or, *And:
		writeGrouped(b, a.Right, true)
	default:
		writeExpr(b, a.Right)
	}
}

func (o *Or) write(b *strings.Builder) {
	writeExpr(b, o.Left)
	b.WriteString(" or ")
	_, rightOr := o.Right.(*Or)
	writeGrouped(b, o.Right, rightOr)
}

func (n *Not) write(b *strings.Builder) {
	b.WriteString("not (")
	writeExpr(b, n.X)
	b.WriteByte(')')
}

func (v *ValuePath) write(b *strings.Builder) {
	b.WriteString(v.Path.String())
	b.WriteByte('[')
	writeExpr(b, v.Filter)
	b.WriteByte(']')
}

// writeValue renders a comparison value as a JSON literal.
func writeValue(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		writeQuoted(b, v)
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case json.Number:
		b.WriteString(string(v))
	case int:
		b.WriteString(strconv.Itoa(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	default:
		// Values built by hand rather than parsed: render as JSON if possible.
		if data, err := json.Marshal(v); err == nil {
			b.Write(data)
		} else {
			writeQuoted(b, fmt.Sprint(v))
		}
	}
}

// writeQuoted writes s as a JSON string, escaping only what JSON requires
// (RFC 8259 §7) so that non-ASCII text stays readable. Bytes that are not
// UTF-8 are copied as they are: the parser reads them back unchanged.
func writeQuoted(b *strings.Builder, s string) {
	const hexDigits = "0123456789abcdef"
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xF])
		}
		start = i + 1
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

// quoteForMessage quotes a value for an error message.
func quoteForMessage(v any) string {
	var b strings.Builder
	writeValue(&b, v)
	s := b.String()
	if len(s) > 64 {
		cut := 64
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}
