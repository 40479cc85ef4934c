package okta

import (
	"errors"
	"net/http"
	"strings"
	"time"

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

// oktaDateLayout is the one date form Okta's search takes
// (yyyy-MM-dd'T'HH:mm:ss.SSSZZ); anything else, RFC 3339 without
// milliseconds included, is 400 E0000030.
const oktaDateLayout = "2006-01-02T15:04:05.000Z"

// dialect is what one Okta search endpoint accepts beyond eq, sw and the
// date orderings.
type dialect struct {
	// extra translates attributes that are not plain profile fields.
	extra func(*filter.Compare) (string, bool, bool)
	// presence: pr is pushed. Users' search has it (NOTES §5); groups'
	// search has only eq, sw and co (spec listGroups search), and Okta
	// refuses "profile.name pr" with 400 E0000031.
	presence bool
	// multi are the profile fields that may hold arrays (custom string
	// attributes), compared with compareMulti.
	multi map[string]bool
}

var (
	userDialect  = dialect{extra: userExtra, presence: true}
	groupDialect = dialect{}
)

// Push translates a SCIM filter into an Okta search expression (NOTES §5).
// Okta compares search values case-insensitively, as SCIM does for
// caseExact false attributes, so eq, sw and co on profile strings are
// exact; caseExact attributes (id) are pushed as a superset. ne and not
// have no Okta form (ne is not supported); they and value paths are left
// to the gateway, which still pushes the other side of an "and".
func (u *users) Push(f filter.Expr, m *mapping.Mapping) (string, bool) {
	if expr, ok := sinceFilter(f); ok {
		return filterPrefix + expr, false
	}
	d := userDialect
	d.multi = u.multi
	return push(f, m, d)
}

// Push translates group filters the same way, without pr.
func (g *groups) Push(f filter.Expr, m *mapping.Mapping) (string, bool) {
	if expr, ok := sinceFilter(f); ok {
		return filterPrefix + expr, false
	}
	return push(f, m, groupDialect)
}

// filterPrefix marks a native query that list sends as Okta's filter
// parameter instead of search ("filter:" cannot begin a search
// expression, which begins with a property name or a parenthesis).
const filterPrefix = "filter:"

// sinceFilter translates a delta query, a filter that asks for what
// changed since a time (`meta.lastModified gt "…"`, alone or among the
// clauses of its top-level "and"; SailPoint's delta aggregation), into
// Okta's filter on lastUpdated, which users' and groups' filter both
// take with gt, ge, lt and le (spec listUsers, listGroups). Search would
// narrow it further, but search answers from an eventually consistent
// index (spec: "may not reflect the latest information"): a change made
// a moment before would be missing, and a client that moves its marker
// past it would never see it. The filter is consistent; the gateway
// evaluates the rest of the SCIM filter on its answer.
func sinceFilter(f filter.Expr) (string, bool) {
	var parts []string
	lower := false
	var walk func(filter.Expr)
	walk = func(e filter.Expr) {
		switch x := e.(type) {
		case *filter.And:
			walk(x.Left)
			walk(x.Right)
		case *filter.Compare:
			if !strings.EqualFold(x.Path.String(), "meta.lastModified") {
				return
			}
			v, ok := x.Value.(string)
			if !ok {
				return
			}
			switch x.Op {
			case filter.Gt, filter.Ge, filter.Lt, filter.Le:
				if s, _, ok := compareDate("lastUpdated", x.Op, v); ok {
					parts = append(parts, s)
					lower = lower || x.Op == filter.Gt || x.Op == filter.Ge
				}
			}
		}
	}
	walk(f)
	if !lower {
		return "", false
	}
	return strings.Join(parts, " and "), true
}

// userExtra translates users' attributes that are not plain profile
// fields: emails (multiToSingle), active (status).
func userExtra(c *filter.Compare) (string, bool, bool) {
	attr := strings.ToLower(c.Path.Attr)
	switch {
	case attr == "emails" && (c.Path.Sub == "" || strings.EqualFold(c.Path.Sub, "value")):
		return compare("profile.email", c)
	case attr == "active" && c.Path.Sub == "" && c.Op == filter.Eq && (c.Value == true || c.Value == false):
		// Both ways as statuses, so that active eq false is a search and
		// finds DEPROVISIONED users, as every other pushed filter does
		// (a plain listing, evaluated in the gateway, omits them).
		if c.Value == false {
			return inactiveSearch, true, true
		}
		return activeSearch, true, true
	}
	return "", false, false
}

// activeSearch and inactiveSearch find the users active=true and
// active=false read from, by status.
var activeSearch, inactiveSearch = statusSearch(activeStatuses), statusSearch(inactiveStatuses)

func statusSearch(statuses string) string {
	var parts []string
	for _, s := range strings.Split(statuses, ",") {
		parts = append(parts, `status eq `+quote(s))
	}
	return "(" + strings.Join(parts, " or ") + ")"
}

func push(f filter.Expr, m *mapping.Mapping, d dialect) (string, bool) {
	s, exact, ok := translate(f, m, d)
	if !ok {
		return "", false
	}
	return s, exact
}

func translate(f filter.Expr, m *mapping.Mapping, d dialect) (string, bool, bool) {
	switch e := f.(type) {
	case *filter.And:
		l, le, lok := translate(e.Left, m, d)
		r, re, rok := translate(e.Right, m, d)
		switch {
		case lok && rok:
			return "(" + l + ") and (" + r + ")", le && re, true
		case lok:
			return l, false, true
		case rok:
			return r, false, true
		}
	case *filter.Or:
		l, le, lok := translate(e.Left, m, d)
		r, re, rok := translate(e.Right, m, d)
		if lok && rok {
			return "(" + l + ") or (" + r + ")", le && re, true
		}
	case *filter.ValuePath:
		// Okta keeps one value of each multi-valued attribute it maps
		// (profile.email for emails), so the element's conditions become
		// conditions on that field; what does not map (type) is left to
		// the gateway, which evaluates the whole filter. Entra matches on
		// emails[type eq "work"].value eq "x".
		loose, ok := e.Loosened()
		if !ok {
			return "", false, false
		}
		s, _, ok := translate(loose, m, d)
		return s, false, ok
	case *filter.Compare:
		if e.Op == filter.Pr && !d.presence {
			return "", false, false
		}
		if d.extra != nil {
			if s, exact, ok := d.extra(e); ok {
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
		if d.multi[target] {
			return compareMulti(target, e)
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
	if dateProps[prop] {
		return compareDate(prop, c.Op, v)
	}
	switch c.Op {
	case filter.Eq, filter.Sw:
		return prop + " " + string(c.Op) + " " + quote(v), true, true
	case filter.Co:
		if !containsOK[prop] {
			return "", false, false
		}
		return prop + " co " + quote(v), true, true
	}
	return "", false, false
}

// compareMulti renders a comparison of a field that may hold an array,
// which SCIM reads as one string in the seeds' multi-valued format
// ("[red;; green]") while Okta's search matches an array when any one
// element matches (spec listUsers search, "searchArrayAttributes"). So
// nothing pushed is exact: eq of a multi-valued literal becomes its
// elements joined by "and" (an array holding more matches too); eq, sw and
// pr of a plain literal match the field's elements as well as its value;
// the gateway checks the answer. Other comparisons, a literal in the
// multi-valued format with other operators or no non-empty element, and
// sw of a literal that may begin the format ("[red") are not pushed.
func compareMulti(prop string, c *filter.Compare) (string, bool, bool) {
	v, isString := c.Value.(string)
	if !isString && c.Op != filter.Pr {
		return "", false, false
	}
	if c.Op == filter.Sw && strings.HasPrefix(strings.TrimSpace(v), "[") {
		return "", false, false
	}
	if elems, ok := mapping.ParseMulti(v); ok && c.Op != filter.Pr {
		var parts []string
		for _, el := range elems {
			if el != "" { // an empty element cannot be searched for
				parts = append(parts, prop+" eq "+quote(el))
			}
		}
		if c.Op != filter.Eq || len(parts) == 0 {
			return "", false, false
		}
		return "(" + strings.Join(parts, " and ") + ")", false, true
	}
	switch c.Op {
	case filter.Eq, filter.Sw, filter.Pr:
		s, _, ok := compare(prop, c)
		return s, false, ok
	}
	return "", false, false
}

// compareDate renders a comparison of a date property. Okta takes only
// its own date form (oktaDateLayout) and keeps milliseconds, while a SCIM
// dateTime is any RFC 3339 time ("2011-05-13T04:42:34Z"), so the value is
// rewritten in UTC with milliseconds, rounded so that Okta's answer is a
// superset: down for gt and ge, up for lt and le. A value that is not
// RFC 3339 is left to the gateway.
func compareDate(prop string, op filter.Op, v string) (string, bool, bool) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return "", false, false
	}
	t = t.UTC()
	ms := t.Truncate(time.Millisecond)
	switch op {
	case filter.Eq:
		// An instant finer than Okta's milliseconds equals no Okta date;
		// its millisecond is a superset.
		return prop + " eq " + quote(ms.Format(oktaDateLayout)), ms.Equal(t), true
	case filter.Gt, filter.Ge:
		return prop + " " + string(op) + " " + quote(ms.Format(oktaDateLayout)), false, true
	case filter.Lt, filter.Le:
		if !ms.Equal(t) {
			ms = ms.Add(time.Millisecond)
		}
		return prop + " " + string(op) + " " + quote(ms.Format(oktaDateLayout)), false, true
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
