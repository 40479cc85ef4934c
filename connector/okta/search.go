package okta

import (
	"errors"
	"net/http"
	"strings"

	"github.com/scimconnect/scimconnect/connector/mapping"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/filter"
)

func isNotFound(err error) bool {
	var se *scim.Error
	return errors.As(err, &se) && se.Status == http.StatusNotFound
}

// containsOK are the Okta properties that accept co (NOTES §5).
var containsOK = map[string]bool{"profile.firstName": true, "profile.lastName": true, "profile.email": true, "profile.login": true}

// dateProps are Okta's top-level date properties.
var dateProps = map[string]bool{"created": true, "lastUpdated": true}

// Push translates a SCIM filter into an Okta search expression (NOTES §5).
// Okta compares search values case-insensitively, as SCIM does for
// caseExact false attributes, so eq, sw and co on profile strings are
// exact; caseExact attributes (id) are pushed as a superset. ne and not
// have no Okta form (ne is not supported); they and value paths are left
// to the gateway, which still pushes the other side of an "and".
func (u *users) Push(f filter.Expr, m *mapping.Mapping) (string, bool) {
	return push(f, m, userExtra)
}

// Push translates group filters the same way.
func (g *groups) Push(f filter.Expr, m *mapping.Mapping) (string, bool) {
	return push(f, m, nil)
}

// userExtra translates users' attributes that are not plain profile
// fields: emails (multiToSingle), active (status).
func userExtra(c *filter.Compare) (string, bool, bool) {
	attr := strings.ToLower(c.Path.Attr)
	switch {
	case attr == "emails" && (c.Path.Sub == "" || strings.EqualFold(c.Path.Sub, "value")):
		return compare("profile.email", c)
	case attr == "active" && c.Path.Sub == "" && c.Op == filter.Eq && c.Value == true:
		var parts []string
		for _, s := range strings.Split(activeStatuses, ",") {
			parts = append(parts, `status eq `+quote(s))
		}
		return "(" + strings.Join(parts, " or ") + ")", true, true
	}
	return "", false, false
}

func push(f filter.Expr, m *mapping.Mapping, extra func(*filter.Compare) (string, bool, bool)) (string, bool) {
	s, exact, ok := translate(f, m, extra)
	if !ok {
		return "", false
	}
	return s, exact
}

func translate(f filter.Expr, m *mapping.Mapping, extra func(*filter.Compare) (string, bool, bool)) (string, bool, bool) {
	switch e := f.(type) {
	case *filter.And:
		l, le, lok := translate(e.Left, m, extra)
		r, re, rok := translate(e.Right, m, extra)
		switch {
		case lok && rok:
			return "(" + l + ") and (" + r + ")", le && re, true
		case lok:
			return l, false, true
		case rok:
			return r, false, true
		}
	case *filter.Or:
		l, le, lok := translate(e.Left, m, extra)
		r, re, rok := translate(e.Right, m, extra)
		if lok && rok {
			return "(" + l + ") or (" + r + ")", le && re, true
		}
	case *filter.Compare:
		if extra != nil {
			if s, exact, ok := extra(e); ok {
				return s, exact, true
			}
		}
		path := e.Path.String()
		switch strings.ToLower(path) {
		case "id":
			s, _, ok := compare("id", e)
			return s, false, ok // Okta compares ids case-insensitively; SCIM ids are caseExact
		case "meta.created":
			return compare("created", e)
		case "meta.lastmodified":
			return compare("lastUpdated", e)
		}
		target, conv, ok := m.TargetOf(path)
		if !ok || !strings.HasPrefix(target, "profile.") {
			return "", false, false
		}
		if conv != nil {
			if _, isString := e.Value.(string); !isString && e.Op != filter.Pr {
				return "", false, false
			}
		}
		return compare(target, e)
	}
	return "", false, false
}

// compare renders one comparison; strings only, except pr.
func compare(prop string, c *filter.Compare) (string, bool, bool) {
	if c.Op == filter.Pr {
		return prop + " pr", true, true
	}
	v, ok := c.Value.(string)
	if !ok {
		return "", false, false
	}
	switch c.Op {
	case filter.Eq, filter.Sw:
		return prop + " " + string(c.Op) + " " + quote(v), true, true
	case filter.Co:
		if !containsOK[prop] {
			return "", false, false
		}
		return prop + " co " + quote(v), true, true
	case filter.Gt, filter.Ge, filter.Lt, filter.Le:
		if !dateProps[prop] {
			return "", false, false
		}
		return prop + " " + string(c.Op) + " " + quote(v), false, true // Okta has millisecond precision: superset
	}
	return "", false, false
}

// quote renders a string literal of an Okta expression. Okta's parser
// takes a backslash as escaping the next character, so a quote or a
// backslash in a value can never end the literal early.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}
