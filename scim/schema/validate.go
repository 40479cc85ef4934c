package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scimconnect/scimconnect/scim"
)

// Mode says which request a body passed to Validate comes from.
type Mode int

// Validation modes.
const (
	// Create validates a POST body (RFC 7644 §3.3).
	Create Mode = iota
	// Replace validates a PUT body (RFC 7644 §3.5.1) against the existing resource.
	Replace
	// Patched validates the result of applying a PATCH (RFC 7644 §3.5.2) to
	// the existing resource: "schemas" is recomputed rather than required.
	Patched
)

// Limits that protect the server from oversized input. They are read on every
// Validate call; set them at start-up, before serving requests.
var (
	// MaxValues is the largest number of elements accepted in one
	// multi-valued attribute, except the Group "members" attribute, which
	// real directories fill with many thousands of members.
	MaxValues = 1000
	// MaxStringLength is the largest accepted string value, in bytes.
	MaxStringLength = 64 << 10
)

// Validate checks body, a resource sent by a client, against rt and returns
// a new canonical resource; body is not modified. The rules are those of
// RFC 7643 §2 and §7 and RFC 7644 §3.3 and §3.5.1:
//
//   - Attribute and sub-attribute names match case-insensitively and are
//     rewritten to the schema's spelling. Extension attributes may come as an
//     object under the extension URN or as URN-qualified top-level keys
//     ("urn:...:enterprise:2.0:User:employeeNumber"); the output holds them
//     in an object under the exact extension schema ID. Core attributes may
//     be URN-qualified too. Unknown attributes fail with invalidSyntax,
//     all of them named in one message; so does an attribute given twice
//     under different spellings.
//   - In Create and Replace mode "schemas" must be an array of strings that
//     holds the core schema URN and only URNs of this resource type, and
//     must list every extension that has data; Microsoft Entra's legacy
//     ".../ResourceManagement/ADSCIM/..." group schema URI is ignored. In
//     every mode the output's "schemas" is recomputed: the core URN, then
//     each extension with data.
//   - readOnly attributes and sub-attributes (id, meta, groups,
//     manager.displayName) are dropped silently, as RFC 7643 §7 lets the
//     service provider ignore them; the caller sets id, meta and computed
//     attributes on the result itself.
//   - null, empty arrays and complex values without any assigned
//     sub-attribute mean "unassigned" (RFC 7643 §2.5) and are left out.
//   - Values must match their type. Booleans also accept the strings
//     "true" and "false" in any case (Microsoft Entra sends "True");
//     integers become int64 and decimals float64; dateTime values must be
//     xsd:dateTime (RFC 3339, time zone optional) and are kept as given;
//     binary values must be base64. Canonical values are advisory and not
//     enforced.
//   - A multi-valued attribute takes an array; as a leniency a single value
//     is wrapped into one. Null elements and exact duplicates are removed and
//     at most one element may have "primary": true (RFC 7643 §2.4).
//   - Required attributes, and required sub-attributes of present complex
//     values, must be assigned and not the empty string; a required
//     extension must have data. A missing one is invalidValue, or
//     mutability in Patched mode: the PATCH removed it (RFC 7644 §3.5.2.2).
//   - In Replace and Patched mode an immutable attribute that existing has
//     must keep its value (RFC 7644 §3.5.1), else the error is "mutability".
//     A PUT that omits it keeps the existing value; a PATCH that removed it
//     fails. The same holds for immutable sub-attributes of single-valued
//     complex attributes; Group members are readWrite as a whole.
//   - writeOnly attributes (password) are kept; projection never returns them.
//   - MaxValues and MaxStringLength bound the input (invalidValue).
//
// The error is a *scim.Error with status 400.
func (rt *ResourceType) Validate(body map[string]any, mode Mode, existing map[string]any) (map[string]any, error) {
	v := validator{rt: rt, mode: mode}
	if strings.EqualFold(rt.Schema.ID, scim.GroupSchema) {
		v.members = rt.Schema.Attr("members")
	}

	// Place every key of body into the slot of its attribute, so that the
	// attributes are then processed in schema order: error messages do not
	// depend on map iteration order, and duplicates are found.
	nCommon := len(Common.Attributes)
	n := nCommon + len(rt.Schema.Attributes)
	for _, e := range rt.Extensions {
		n += len(e.Schema.Attributes)
	}
	var buf [64]slot
	slots := buf[:0]
	if n <= len(buf) {
		slots = buf[:n]
	} else {
		slots = make([]slot, n)
	}
	for key, val := range body {
		v.place(slots, key, val)
	}

	out := make(map[string]any, len(body)+1)
	schemasIdx := -1
	for i, a := range Common.Attributes {
		if a.Name == "schemas" {
			schemasIdx = i
			continue
		}
		v.assign(out, a, loc{}, slots[i])
	}
	base := nCommon
	for i, a := range rt.Schema.Attributes {
		v.assign(out, a, loc{}, slots[base+i])
	}
	base += len(rt.Schema.Attributes)
	for _, e := range rt.Extensions {
		var ext map[string]any
		for i, a := range e.Schema.Attributes {
			if !slots[base+i].set {
				continue
			}
			if ext == nil {
				ext = make(map[string]any, len(e.Schema.Attributes))
			}
			v.assign(ext, a, loc{urn: e.Schema.ID}, slots[base+i])
		}
		if len(ext) > 0 {
			out[e.Schema.ID] = ext
		}
		base += len(e.Schema.Attributes)
	}

	if mode != Patched {
		var given slot
		if schemasIdx >= 0 {
			given = slots[schemasIdx]
		}
		if err := v.checkSchemas(given.val); err != nil {
			return nil, err
		}
	}
	if len(v.unknown) > 0 {
		slices.Sort(v.unknown)
		v.unknown = slices.Compact(v.unknown)
		plural := ""
		if len(v.unknown) > 1 {
			plural = "s"
		}
		quoted := make([]string, len(v.unknown))
		for i, u := range v.unknown {
			quoted[i] = strconv.Quote(u)
		}
		return nil, scim.BadRequest(scim.InvalidSyntax, "unknown attribute%s: %s", plural, strings.Join(quoted, ", "))
	}
	if v.err != nil {
		return nil, v.err
	}

	if mode != Patched && schemasIdx >= 0 {
		if err := v.checkListed(out, slots[schemasIdx].val); err != nil {
			return nil, err
		}
	}
	if err := v.checkRequired(out); err != nil {
		return nil, err
	}
	// Immutability comes last: the values it carries over from existing
	// were not sent by the client, so they are not subject to the checks
	// of "schemas" and of required attributes above.
	if mode != Create && existing != nil {
		if err := v.checkImmutable(out, existing); err != nil {
			return nil, err
		}
	}

	schemas := make([]any, 1, 1+len(rt.Extensions))
	schemas[0] = rt.Schema.ID
	for _, e := range rt.Extensions {
		if _, ok := out[e.Schema.ID]; ok {
			schemas = append(schemas, e.Schema.ID)
		}
	}
	out["schemas"] = schemas
	return out, nil
}

// slot holds the client's value for one attribute; set tells an explicit
// null apart from absence, which matters for duplicate detection.
type slot struct {
	val any
	set bool
}

// loc locates an attribute for error messages: the extension URN (or "")
// and the parent attribute's name (or ""). Paths are only built on error.
type loc struct {
	urn    string
	parent string
}

// path renders name as the client would write it: [urn ":"] [parent "."] name.
func (l loc) path(name string) string {
	if l.parent != "" {
		name = l.parent + "." + name
	}
	if l.urn != "" {
		name = l.urn + ":" + name
	}
	return name
}

// validator carries the state of one Validate call.
type validator struct {
	rt      *ResourceType
	mode    Mode
	members *Attribute // Group members: exempt from MaxValues, each element needs a value
	unknown []string
	err     *scim.Error // the first value error, in schema order
}

func (v *validator) fail(e *scim.Error) {
	if v.err == nil {
		v.err = e
	}
}

// place puts one top-level key of the body into its slot.
func (v *validator) place(slots []slot, key string, val any) {
	if len(key) >= 4 && strings.EqualFold(key[:4], "urn:") {
		s, base, rest, ok := v.splitURN(key)
		if !ok {
			v.unknown = append(v.unknown, key)
			return
		}
		if rest != "" {
			v.placeIn(slots, s, base, rest, val)
			return
		}
		// The whole schema as an object: {"urn:...:enterprise:2.0:User": {...}}.
		if val == nil {
			return
		}
		m, isObj := val.(map[string]any)
		if !isObj {
			v.fail(scim.BadRequest(scim.InvalidValue, "attribute %q must be an object, got %s", s.ID, describe(val)))
			return
		}
		for k, x := range m {
			v.placeIn(slots, s, base, k, x)
		}
		return
	}
	v.placeIn(slots, v.rt.Schema, len(Common.Attributes), key, val)
}

// placeIn puts the attribute name of schema s, whose slots start at base,
// into its slot. In the core schema the common attributes resolve too.
func (v *validator) placeIn(slots []slot, s *Schema, base int, name string, val any) {
	i := lookup(s.Attributes, name)
	var a *Attribute
	if i >= 0 {
		a, i = s.Attributes[i], base+i
	} else if s == v.rt.Schema {
		if i = lookup(Common.Attributes, name); i >= 0 {
			a = Common.Attributes[i]
		}
	}
	if a == nil {
		l := loc{}
		if s != v.rt.Schema {
			l.urn = s.ID
		}
		v.unknown = append(v.unknown, l.path(name))
		return
	}
	if slots[i].set {
		l := loc{}
		if s != v.rt.Schema {
			l.urn = s.ID
		}
		v.fail(scim.BadRequest(scim.InvalidSyntax, "attribute %q is given more than once", l.path(a.Name)))
		return
	}
	slots[i] = slot{val: val, set: true}
}

// splitURN finds the schema of rt whose ID prefixes key (the longest, in
// case one URN extends another), the index of its first slot and the rest
// of the key after the URN and its colon.
func (v *validator) splitURN(key string) (s *Schema, base int, rest string, ok bool) {
	base = len(Common.Attributes)
	if id := v.rt.Schema.ID; prefixURN(key, id) {
		s, rest = v.rt.Schema, urnRest(key, id)
	}
	candBase := base + len(v.rt.Schema.Attributes)
	for _, e := range v.rt.Extensions {
		if id := e.Schema.ID; prefixURN(key, id) && (s == nil || len(id) > len(s.ID)) {
			s, base, rest = e.Schema, candBase, urnRest(key, id)
		}
		candBase += len(e.Schema.Attributes)
	}
	return s, base, rest, s != nil
}

// prefixURN reports whether key is the URN id, or id followed by ":".
func prefixURN(key, id string) bool {
	return len(key) >= len(id) && strings.EqualFold(key[:len(id)], id) &&
		(len(key) == len(id) || key[len(id)] == ':')
}

func urnRest(key, id string) string {
	if len(key) == len(id) {
		return ""
	}
	return key[len(id)+1:]
}

// lookup returns the index of the attribute called name: an exact match
// first (the common case, and free of allocation), then case-insensitively.
func lookup(attrs []*Attribute, name string) int {
	for i, a := range attrs {
		if a.Name == name {
			return i
		}
	}
	for i, a := range attrs {
		if strings.EqualFold(a.Name, name) {
			return i
		}
	}
	return -1
}

// assign validates the value in sl for a and stores it in dst when assigned.
func (v *validator) assign(dst map[string]any, a *Attribute, l loc, sl slot) {
	if !sl.set || a.Mutability == ReadOnly {
		return
	}
	if val, ok := v.value(a, l, sl.val); ok {
		dst[a.Name] = val
	}
}

// value validates val for attribute a and returns its canonical form, or
// false when it is unassigned or invalid (the error is then recorded).
func (v *validator) value(a *Attribute, l loc, val any) (any, bool) {
	if val == nil {
		return nil, false
	}
	if a.MultiValued {
		return v.multi(a, l, val)
	}
	return v.single(a, l, val)
}

func (v *validator) multi(a *Attribute, l loc, val any) (any, bool) {
	arr, isArr := val.([]any)
	if !isArr {
		// Leniency: a single value where an array is expected.
		arr = []any{val}
	}
	if len(arr) == 0 {
		return nil, false
	}
	if len(arr) > MaxValues && a != v.members {
		v.fail(scim.BadRequest(scim.InvalidValue, "attribute %q has %d values, more than the limit of %d", l.path(a.Name), len(arr), MaxValues))
		return nil, false
	}
	out := make([]any, 0, len(arr))
	for _, el := range arr {
		if el == nil {
			continue
		}
		if _, nested := el.([]any); nested {
			v.fail(scim.BadRequest(scim.InvalidValue, "attribute %q must not contain nested arrays", l.path(a.Name)))
			return nil, false
		}
		if a == v.members && !hasMemberValue(el) {
			// A member is the resource whose id is its "value" (RFC 7643
			// §4.2). Without one the element would be dropped below (its
			// display is read-only), and a PUT naming members by display
			// alone would empty the group instead of failing.
			v.fail(scim.BadRequest(scim.InvalidValue, "every element of %q needs a \"value\": the id of a member resource (\"display\" is read-only and identifies no one)", l.path(a.Name)))
			return nil, false
		}
		if cv, ok := v.single(a, l, el); ok {
			out = append(out, cv)
		}
	}
	out = dedupe(a, out)
	if len(out) == 0 {
		return nil, false
	}
	if a.Type == Complex {
		if i := lookup(a.SubAttributes, "primary"); i >= 0 {
			name, primaries := a.SubAttributes[i].Name, 0
			for _, el := range out {
				if p, _ := el.(map[string]any)[name].(bool); p {
					primaries++
				}
			}
			if primaries > 1 {
				v.fail(scim.BadRequest(scim.InvalidValue, "attribute %q has %d values with primary true, at most one is allowed", l.path(a.Name), primaries))
				return nil, false
			}
		}
	}
	return out, true
}

// hasMemberValue reports whether el, an element of the members attribute,
// carries a non-null "value" (any spelling of the name); an element that is
// not an object is left to the type check.
func hasMemberValue(el any) bool {
	m, ok := el.(map[string]any)
	return !ok || scim.Get(m, "value") != nil
}

// single validates one (non-array) value of attribute a.
func (v *validator) single(a *Attribute, l loc, val any) (any, bool) {
	switch a.Type {
	case String, Reference, Binary, DateTime:
		s, ok := val.(string)
		if !ok {
			return v.typeError(a, l, val)
		}
		if len(s) > MaxStringLength {
			v.fail(scim.BadRequest(scim.InvalidValue, "attribute %q is %d bytes long, more than the limit of %d", l.path(a.Name), len(s), MaxStringLength))
			return nil, false
		}
		if a.Type == Binary && !validBase64(s) || a.Type == DateTime && !validDateTime(s) {
			return v.typeError(a, l, val)
		}
		return val, true // the original interface: re-boxing s would allocate
	case Boolean:
		if b, ok := toBool(val); ok {
			return b, true
		}
		return v.typeError(a, l, val)
	case Integer:
		if i, ok := toInt64(val); ok {
			return i, true
		}
		return v.typeError(a, l, val)
	case Decimal:
		if f, ok := toFloat64(val); ok {
			return f, true
		}
		return v.typeError(a, l, val)
	case Complex:
		if l.parent != "" {
			// RFC 7643 §2.3.8: a complex attribute has no complex sub-attributes.
			v.fail(scim.BadRequest(scim.InvalidValue, "attribute %q is defined as a complex sub-attribute, which SCIM does not allow (RFC 7643 §2.3.8)", l.path(a.Name)))
			return nil, false
		}
		m, ok := val.(map[string]any)
		if !ok {
			return v.typeError(a, l, val)
		}
		return v.complex(a, l, m)
	}
	v.fail(scim.BadRequest(scim.InvalidValue, "attribute %q has unsupported type %q", l.path(a.Name), a.Type))
	return nil, false
}

// complex validates the sub-attributes of one complex value.
func (v *validator) complex(a *Attribute, l loc, m map[string]any) (any, bool) {
	subs := a.SubAttributes
	var buf [16]slot
	slots := buf[:0]
	if len(subs) <= len(buf) {
		slots = buf[:len(subs)]
	} else {
		slots = make([]slot, len(subs))
	}
	inner := loc{urn: l.urn, parent: a.Name}
	for k, x := range m {
		i := lookup(subs, k)
		if i < 0 {
			v.unknown = append(v.unknown, inner.path(k))
			continue
		}
		if slots[i].set {
			v.fail(scim.BadRequest(scim.InvalidSyntax, "attribute %q is given more than once", inner.path(subs[i].Name)))
			continue
		}
		slots[i] = slot{val: x, set: true}
	}
	var out map[string]any
	for i, s := range subs {
		if !slots[i].set || s.Mutability == ReadOnly {
			continue
		}
		if cv, ok := v.value(s, inner, slots[i].val); ok {
			if out == nil {
				out = make(map[string]any, len(m))
			}
			out[s.Name] = cv
		}
	}
	if out == nil {
		return nil, false
	}
	for _, s := range subs {
		if s.Required && s.Mutability != ReadOnly && !assigned(out[s.Name]) {
			v.fail(scim.BadRequest(v.missingType(), "attribute %q is required", inner.path(s.Name)))
		}
	}
	return out, true
}

func (v *validator) typeError(a *Attribute, l loc, val any) (any, bool) {
	v.fail(scim.BadRequest(scim.InvalidValue, "attribute %q must be %s, got %s", l.path(a.Name), typeNoun(a.Type), describe(val)))
	return nil, false
}

// checkSchemas checks the "schemas" the client sent (RFC 7643 §3).
func (v *validator) checkSchemas(given any) *scim.Error {
	if given == nil {
		return scim.BadRequest(scim.InvalidSyntax, "attribute \"schemas\" is required")
	}
	arr, ok := given.([]any)
	if !ok {
		return scim.BadRequest(scim.InvalidSyntax, "attribute \"schemas\" must be an array of strings, got %s", describe(given))
	}
	hasCore := false
	var unknown []string
	for _, el := range arr {
		urn, ok := el.(string)
		if !ok {
			return scim.BadRequest(scim.InvalidSyntax, "attribute \"schemas\" must be an array of strings, got an element %s", describe(el))
		}
		switch s := v.rt.SchemaByURN(urn); {
		case s == v.rt.Schema:
			hasCore = true
		case s == nil && !legacyEntraSchema(urn):
			unknown = append(unknown, strconv.Quote(urn))
		}
	}
	if len(unknown) > 0 {
		return scim.BadRequest(scim.InvalidSyntax, "attribute \"schemas\" holds schemas unknown to resource type %s: %s", v.rt.Name, strings.Join(unknown, ", "))
	}
	if !hasCore {
		return scim.BadRequest(scim.InvalidSyntax, "attribute \"schemas\" must contain %q", v.rt.Schema.ID)
	}
	return nil
}

// legacyEntraSchema reports whether urn is the schema URI Microsoft Entra
// ID's older provisioning jobs list in "schemas" when they create a group
// ("http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/Group",
// ".../ADSCIM/2.0/Group" in Microsoft's SCIM tutorial). It names no
// attributes of its own, so it is ignored rather than refused: refusing it
// fails every group Entra provisions that way.
func legacyEntraSchema(urn string) bool {
	const prefix = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/"
	return len(urn) > len(prefix) && strings.EqualFold(urn[:len(prefix)], prefix)
}

// checkListed checks that "schemas" lists every extension with data.
func (v *validator) checkListed(out map[string]any, given any) *scim.Error {
	arr, _ := given.([]any)
	for _, e := range v.rt.Extensions {
		if _, ok := out[e.Schema.ID]; !ok {
			continue
		}
		listed := false
		for _, el := range arr {
			if s, _ := el.(string); strings.EqualFold(s, e.Schema.ID) {
				listed = true
				break
			}
		}
		if !listed {
			return scim.BadRequest(scim.InvalidSyntax, "extension %q has attributes but is not listed in \"schemas\"", e.Schema.ID)
		}
	}
	return nil
}

// checkRequired checks the required top-level attributes of the core schema
// and of every extension that has data or is required. Every missing
// attribute is named in one error; a missing complex attribute with
// required sub-attributes is named by them ("name.familyName").
func (v *validator) checkRequired(out map[string]any) *scim.Error {
	missing := requiredIn(v.rt.Schema, out, loc{}, nil)
	for _, e := range v.rt.Extensions {
		ext, ok := out[e.Schema.ID].(map[string]any)
		if !ok {
			if e.Required && len(missing) == 0 {
				return scim.BadRequest(v.missingType(), "extension %q is required", e.Schema.ID)
			}
			continue
		}
		missing = requiredIn(e.Schema, ext, loc{urn: e.Schema.ID}, missing)
	}
	switch len(missing) {
	case 0:
		return nil
	case 1:
		return scim.BadRequest(v.missingType(), "attribute %s is required", missing[0])
	}
	return scim.BadRequest(v.missingType(), "attributes %s are required", strings.Join(missing, ", "))
}

// missingType is the scimType of a missing required value: invalidValue
// in a POST or PUT body (RFC 7644 §3.12), mutability when a PATCH removed
// or unassigned it (RFC 7644 §3.5.2.2: "If an attribute is removed or
// becomes unassigned and is defined as a required attribute ...").
func (v *validator) missingType() string {
	if v.mode == Patched {
		return scim.Mutability
	}
	return scim.InvalidValue
}

func requiredIn(s *Schema, m map[string]any, l loc, missing []string) []string {
	for _, a := range s.Attributes {
		if !a.Required || a.Mutability == ReadOnly || assigned(m[a.Name]) {
			continue
		}
		n := len(missing)
		if a.Type == Complex && !a.MultiValued {
			inner := loc{urn: l.urn, parent: a.Name}
			for _, sa := range a.SubAttributes {
				if sa.Required && sa.Mutability != ReadOnly {
					missing = append(missing, strconv.Quote(inner.path(sa.Name)))
				}
			}
		}
		if len(missing) == n {
			missing = append(missing, strconv.Quote(l.path(a.Name)))
		}
	}
	return missing
}

// assigned reports whether a canonical value counts as present for a
// required attribute: not null, and not the empty string.
func assigned(x any) bool {
	if s, ok := x.(string); ok {
		return s != ""
	}
	return x != nil
}

// checkImmutable enforces immutability against existing (RFC 7644 §3.5.1),
// carrying values a PUT omitted over into out.
func (v *validator) checkImmutable(out, existing map[string]any) *scim.Error {
	for _, a := range Common.Attributes {
		v.immutableIn(out, existing, a, loc{})
	}
	for _, a := range v.rt.Schema.Attributes {
		v.immutableIn(out, existing, a, loc{})
	}
	for _, e := range v.rt.Extensions {
		old, _ := scim.Get(existing, e.Schema.ID).(map[string]any)
		if old == nil {
			continue
		}
		ext, _ := out[e.Schema.ID].(map[string]any)
		created := ext == nil
		if created {
			ext = map[string]any{}
		}
		for _, a := range e.Schema.Attributes {
			v.immutableIn(ext, old, a, loc{urn: e.Schema.ID})
		}
		if created && len(ext) > 0 {
			out[e.Schema.ID] = ext
		}
	}
	return v.err
}

// immutableIn checks attribute a of the object dst (canonical, ours to
// change) against the same attribute in old.
func (v *validator) immutableIn(dst, old map[string]any, a *Attribute, l loc) {
	if a.Mutability == ReadOnly {
		return
	}
	nv, has := dst[a.Name]
	if a.Mutability == Immutable {
		if val, keep := v.immutable(a, l, nv, has, scim.Get(old, a.Name)); keep && !has {
			dst[a.Name] = val
		}
		return
	}
	if a.Type != Complex || a.MultiValued || !hasImmutableSub(a) {
		return
	}
	om, _ := scim.Get(old, a.Name).(map[string]any)
	if om == nil {
		return
	}
	nm, _ := nv.(map[string]any)
	inner := loc{urn: l.urn, parent: a.Name}
	for _, s := range a.SubAttributes {
		if s.Mutability != Immutable {
			continue
		}
		snv, shas := nm[s.Name]
		if val, keep := v.immutable(s, inner, snv, shas, scim.Get(om, s.Name)); keep && !shas {
			if nm == nil {
				nm = map[string]any{}
				dst[a.Name] = nm
			}
			nm[s.Name] = val
		}
	}
}

// immutable compares the new value nv (present if has) of an immutable
// attribute with the old value ov, and returns the value to keep.
func (v *validator) immutable(a *Attribute, l loc, nv any, has bool, ov any) (any, bool) {
	if unassigned(ov) {
		return nv, has
	}
	if !has {
		if v.mode == Replace {
			// A PUT that omits an immutable attribute does not assert it.
			return cloneValue(ov), true
		}
		v.fail(scim.BadRequest(scim.Mutability, "attribute %q is immutable and cannot be removed", l.path(a.Name)))
		return nil, false
	}
	if !equalAttr(a, nv, ov) {
		v.fail(scim.BadRequest(scim.Mutability, "attribute %q is immutable and cannot be changed", l.path(a.Name)))
	}
	return nv, true
}

func hasImmutableSub(a *Attribute) bool {
	for _, s := range a.SubAttributes {
		if s.Mutability == Immutable {
			return true
		}
	}
	return false
}

func unassigned(x any) bool {
	switch t := x.(type) {
	case nil:
		return true
	case []any:
		return len(t) == 0
	}
	return false
}

// equalAttr compares two values of attribute a with SCIM semantics: strings
// honour caseExact, numbers compare by value, multi-valued attributes
// compare as sets, complex values by their non-readOnly sub-attributes. It
// tolerates values that are not canonical (stored as decoded JSON).
func equalAttr(a *Attribute, x, y any) bool {
	if !a.MultiValued {
		return equalSingle(a, x, y)
	}
	xs, ys := asSlice(x), asSlice(y)
	if len(xs) != len(ys) {
		return false
	}
	for _, xe := range xs {
		if !slices.ContainsFunc(ys, func(ye any) bool { return equalSingle(a, xe, ye) }) {
			return false
		}
	}
	for _, ye := range ys {
		if !slices.ContainsFunc(xs, func(xe any) bool { return equalSingle(a, xe, ye) }) {
			return false
		}
	}
	return true
}

func asSlice(x any) []any {
	switch t := x.(type) {
	case nil:
		return nil
	case []any:
		return t
	}
	return []any{x}
}

func equalSingle(a *Attribute, x, y any) bool {
	switch a.Type {
	case Complex:
		xm, _ := x.(map[string]any)
		ym, _ := y.(map[string]any)
		if xm == nil || ym == nil {
			return xm == nil && ym == nil
		}
		for _, s := range a.SubAttributes {
			if s.Mutability == ReadOnly {
				continue
			}
			xv, yv := scim.Get(xm, s.Name), scim.Get(ym, s.Name)
			if unassigned(xv) || unassigned(yv) {
				if unassigned(xv) != unassigned(yv) {
					return false
				}
				continue
			}
			if !equalAttr(s, xv, yv) {
				return false
			}
		}
		return true
	case Boolean:
		xb, ok1 := toBool(x)
		yb, ok2 := toBool(y)
		return ok1 && ok2 && xb == yb
	case Integer:
		xi, ok1 := toInt64(x)
		yi, ok2 := toInt64(y)
		return ok1 && ok2 && xi == yi
	case Decimal:
		xf, ok1 := toFloat64(x)
		yf, ok2 := toFloat64(y)
		return ok1 && ok2 && xf == yf
	case DateTime:
		xs, _ := x.(string)
		ys, _ := y.(string)
		if xs == ys {
			return true
		}
		xt, err1 := parseDateTime(xs)
		yt, err2 := parseDateTime(ys)
		return err1 == nil && err2 == nil && xt.Equal(yt)
	}
	xs, ok1 := x.(string)
	ys, ok2 := y.(string)
	if !ok1 || !ok2 {
		return false
	}
	if a.CaseExact {
		return xs == ys
	}
	return strings.EqualFold(xs, ys)
}

// cloneValue deep-copies a JSON value, so carried-over values are not
// shared with existing.
func cloneValue(x any) any {
	switch t := x.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = cloneValue(e)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, e := range t {
			s[i] = cloneValue(e)
		}
		return s
	}
	return x
}

// dedupe removes exact duplicates from canonical values of a, keeping the
// first occurrence. Short lists compare pairwise; long ones (Group
// members) use a hash set of encoded keys to stay linear.
func dedupe(a *Attribute, vals []any) []any {
	if len(vals) < 2 {
		return vals
	}
	if len(vals) <= 16 {
		out := vals[:0]
		for _, x := range vals {
			if !slices.ContainsFunc(out, func(y any) bool { return equalCanonical(x, y) }) {
				out = append(out, x)
			}
		}
		clear(vals[len(out):])
		return vals[:len(out)]
	}
	seen := make(map[string]struct{}, len(vals))
	var key []byte
	out := vals[:0]
	for _, x := range vals {
		key = appendKey(key[:0], a, x)
		if _, dup := seen[string(key)]; dup {
			continue
		}
		seen[string(key)] = struct{}{}
		out = append(out, x)
	}
	clear(vals[len(out):])
	return vals[:len(out)]
}

// equalCanonical is exact equality of canonical values (as built by
// Validate: string, bool, int64, float64, maps of those, slices of those).
func equalCanonical(x, y any) bool {
	switch xt := x.(type) {
	case map[string]any:
		yt, ok := y.(map[string]any)
		if !ok || len(xt) != len(yt) {
			return false
		}
		for k, xv := range xt {
			yv, ok := yt[k]
			if !ok || !equalCanonical(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		yt, ok := y.([]any)
		return ok && slices.EqualFunc(xt, yt, equalCanonical)
	case string, bool, int64, float64:
		return x == y
	}
	return false
}

// appendKey encodes a canonical value so that equal values, and only
// those, have equal keys. Complex values encode their sub-attributes in
// schema order.
func appendKey(b []byte, a *Attribute, x any) []byte {
	if m, ok := x.(map[string]any); ok && a.Type == Complex {
		for i, s := range a.SubAttributes {
			if sv, ok := m[s.Name]; ok {
				b = strconv.AppendInt(append(b, '#'), int64(i), 10)
				b = appendKey(b, s, sv)
			}
		}
		return append(b, '}')
	}
	switch t := x.(type) {
	case string:
		b = strconv.AppendInt(append(b, 's'), int64(len(t)), 10)
		return append(append(b, ':'), t...)
	case bool:
		return strconv.AppendBool(append(b, 'b'), t)
	case int64:
		return strconv.AppendInt(append(b, 'i'), t, 10)
	case float64:
		return strconv.AppendFloat(append(b, 'f'), t, 'g', -1, 64)
	case []any:
		b = append(b, '[')
		for _, e := range t {
			b = appendKey(b, a, e)
		}
		return append(b, ']')
	}
	return fmt.Appendf(append(b, '?'), "%v", x)
}

func toBool(x any) (bool, bool) {
	switch t := x.(type) {
	case bool:
		return t, true
	case string:
		// Microsoft Entra sends booleans as "True" and "False".
		if strings.EqualFold(t, "true") {
			return true, true
		}
		if strings.EqualFold(t, "false") {
			return false, true
		}
	}
	return false, false
}

func toInt64(x any) (int64, bool) {
	switch t := x.(type) {
	case float64:
		return floatToInt64(t)
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i, true
		}
		if f, err := t.Float64(); err == nil {
			return floatToInt64(f)
		}
	case int64:
		return t, true
	case int:
		return int64(t), true
	case int32:
		return int64(t), true
	}
	return 0, false
}

func floatToInt64(f float64) (int64, bool) {
	if f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

func toFloat64(x any) (float64, bool) {
	switch t := x.(type) {
	case float64:
		return t, !math.IsInf(t, 0) && !math.IsNaN(t)
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	case int64:
		return float64(t), true
	case int:
		return float64(t), true
	case int32:
		return float64(t), true
	}
	return 0, false
}

// validDateTime reports whether s is an xsd:dateTime (RFC 7643 §2.3.5).
func validDateTime(s string) bool {
	_, err := parseDateTime(s)
	return err == nil
}

// parseDateTime parses RFC 3339 and, as xsd:dateTime allows, a date-time
// without time zone (read as UTC).
func parseDateTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err == nil {
		return t, nil
	}
	if t, err2 := time.Parse("2006-01-02T15:04:05", s); err2 == nil {
		return t, nil
	}
	return time.Time{}, err
}

// validBase64 reports whether s is base64 (RFC 4648 §4), padded or not,
// without decoding it.
func validBase64(s string) bool {
	n := len(s)
	padded := n > 0 && s[n-1] == '='
	if padded {
		if n%4 != 0 {
			return false
		}
		s = s[:n-1]
		if len(s) > 0 && s[len(s)-1] == '=' {
			s = s[:len(s)-1]
		}
	}
	if len(s)%4 == 1 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

func typeNoun(t Type) string {
	switch t {
	case String:
		return "a string"
	case Boolean:
		return "a boolean"
	case Integer:
		return "an integer"
	case Decimal:
		return "a decimal"
	case DateTime:
		return "a dateTime (RFC 3339)"
	case Reference:
		return "a reference (string)"
	case Binary:
		return "base64 binary"
	case Complex:
		return "a complex object"
	}
	return string(t)
}

// describe renders a JSON value for an error message, shortening long strings.
func describe(x any) string {
	switch t := x.(type) {
	case nil:
		return "null"
	case string:
		if len(t) > 64 {
			return fmt.Sprintf("string %q...", t[:64])
		}
		return fmt.Sprintf("string %q", t)
	case bool:
		return fmt.Sprintf("boolean %t", t)
	case float64:
		return "number " + strconv.FormatFloat(t, 'g', -1, 64)
	case json.Number:
		return "number " + t.String()
	case int64, int, int32:
		return fmt.Sprintf("number %d", t)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", x)
}
