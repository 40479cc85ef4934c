package scim

import "strings"

// Get returns the member of a JSON object named name: the exact key, else
// one equal to it ignoring case, since attribute names are
// case-insensitive (RFC 7643 §2.1) and resources and requests need not
// spell them canonically. nil when there is none.
func Get(m map[string]any, name string) any {
	if v, ok := m[name]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}
