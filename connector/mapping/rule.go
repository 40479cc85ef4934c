package mapping

import (
	"fmt"
	"strings"
	"time"

	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// Enterprise is the prefix of an Enterprise User extension attribute path
// (RFC 7643 §4.3), so a table can write Enterprise+"employeeNumber".
const Enterprise = scim.EnterpriseUserSchema + ":"

// Direction says which way a rule carries a value.
type Direction int

// Directions. The zero value is Both.
const (
	// Both maps SCIM → target on writes and target → SCIM on reads.
	Both Direction = iota
	// ToTarget maps SCIM → target only: a write-only value such as a password,
	// or a constant the target requires.
	ToTarget
	// FromTarget maps target → SCIM only: a read-only value such as id,
	// meta.created, or a SCIM attribute computed from target fields.
	FromTarget
)

var directionNames = [...]string{Both: "both", ToTarget: "toTarget", FromTarget: "fromTarget"}

// String returns "both", "toTarget" or "fromTarget".
func (d Direction) String() string {
	if d >= 0 && int(d) < len(directionNames) {
		return directionNames[d]
	}
	return fmt.Sprintf("Direction(%d)", int(d))
}

// MarshalText renders the direction as in String, for YAML and JSON tables.
func (d Direction) MarshalText() ([]byte, error) {
	if d < 0 || int(d) >= len(directionNames) {
		return nil, fmt.Errorf("invalid direction %d", int(d))
	}
	return []byte(d.String()), nil
}

// UnmarshalText reads "both" (or ""), "toTarget" or "fromTarget", case-insensitively.
func (d *Direction) UnmarshalText(b []byte) error {
	s := string(b)
	if s == "" {
		*d = Both
		return nil
	}
	for i, n := range directionNames {
		if strings.EqualFold(s, n) {
			*d = Direction(i)
			return nil
		}
	}
	return fmt.Errorf("unknown direction %q (want both, toTarget or fromTarget)", s)
}

// Args are a transform's named arguments, such as {"true": "ACTIVE"} for
// boolStatus or {"format": "epochMillis"} for dateTime.
type Args map[string]string

// Rule maps one SCIM attribute path to one target JSON path. The path
// syntax of both sides is described in the package documentation.
type Rule struct {
	// SCIM is the SCIM attribute path: "userName", "name.givenName",
	// `emails[type eq "work"].value`, "groups[].value",
	// Enterprise+"employeeNumber", "meta.created". Empty only for a
	// constant rule.
	SCIM string `yaml:"scim" json:"scim"`
	// Target is the target JSON path: "profile.login",
	// "UserAttributes[Name=email].Value", "groupAssignments[].group.displayName".
	// concat takes several paths joined by "+": "firstName+lastName".
	Target string `yaml:"target" json:"target"`
	// Dir restricts the rule to one direction; the zero value is Both.
	Dir Direction `yaml:"dir,omitempty" json:"dir,omitempty"`
	// Transform names a transform of the library (see TransformNames), or "".
	Transform string `yaml:"transform,omitempty" json:"transform,omitempty"`
	// Args are the transform's arguments.
	Args Args `yaml:"args,omitempty" json:"args,omitempty"`
}

// String renders the rule as one line, "scim <-> target (transform)", for
// error messages and logs.
func (r Rule) String() string {
	arrow := "<->"
	switch r.Dir {
	case ToTarget:
		arrow = "->"
	case FromTarget:
		arrow = "<-"
	}
	s := fmt.Sprintf("%s %s %s", r.SCIM, arrow, r.Target)
	if r.Transform != "" {
		s += " (" + r.Transform + ")"
	}
	return s
}

// Table is the mapping of one resource type of one connector: one rule per
// line of the seed's mapping table.
type Table []Rule

// Removal says how Mapping.Changes writes a target field whose value was removed.
type Removal int

// Removal styles.
const (
	// RemoveNull writes an explicit JSON null (PingOne PATCH, Okta partial update).
	RemoveNull Removal = iota
	// RemoveEmptyString writes "" (targets such as Coupa that keep a field
	// left out of an update and ignore null).
	RemoveEmptyString
	// RemoveOmit leaves the field out: the target cannot clear it.
	RemoveOmit
)

// Options configure how a table is compiled and run. The zero value is usable.
type Options struct {
	// ResourceType, when set, is checked against every SCIM path at compile
	// time (a typo is a configuration error, not a silent no-op), spells
	// paths canonically, and lets FromTarget fill in "schemas".
	ResourceType *schema.ResourceType
	// Strict makes ToTarget fail with 400 invalidValue when the resource
	// holds attributes no rule can store, instead of only reporting them.
	Strict bool
	// DateTimeOffset is the UTC offset of target date-times that carry no
	// time zone (the instance's "additional datetime offset"); dateTime's
	// "offset" argument overrides it per rule.
	DateTimeOffset time.Duration
	// Removal is how Changes writes a removed value.
	Removal Removal
}

// Without returns the table without the rules that read or write a disabled
// attribute or one of its sub-attributes: disabling "name" drops
// "name.givenName", disabling "emails" drops `emails[type eq "work"].value`.
// Paths are matched case-insensitively; extension attributes must be named
// with their schema URN, as DisableAttributes requires.
func (t Table) Without(paths []string) Table {
	out := make(Table, 0, len(t))
	for _, r := range t {
		if r.SCIM != "" && IsDisabled(r.SCIM, paths) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// ToTarget compiles t and maps a SCIM resource to a target object; see
// Mapping.ToTarget. Connectors should Compile once at start-up instead.
func (t Table) ToTarget(res map[string]any, opts Options) (map[string]any, []string, error) {
	m, err := t.Compile(opts)
	if err != nil {
		return nil, nil, err
	}
	return m.ToTarget(res)
}

// FromTarget compiles t and maps a target object to a SCIM resource; see
// Mapping.FromTarget. Connectors should Compile once at start-up instead.
func (t Table) FromTarget(obj map[string]any, opts Options) (map[string]any, error) {
	m, err := t.Compile(opts)
	if err != nil {
		return nil, err
	}
	return m.FromTarget(obj)
}
