package mapping

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/scimconnect/scimconnect/scim"
)

// Converter converts one value between its SCIM form and its target form.
// The engine never calls it with nil, "" or an empty array: those mean
// "unassigned" (RFC 7643 §2.5) and are skipped before conversion. A
// converter returning nil writes nothing.
type Converter interface {
	ToTarget(v any) (any, error)
	FromTarget(v any) (any, error)
}

// transformDef is one entry of the transform library.
type transformDef struct {
	// args lists the accepted argument names; nil accepts any (enum).
	args []string
	// multiTarget transforms take several "+"-joined target paths and
	// exchange []any with one element per path.
	multiTarget bool
	// noSCIM transforms (constant) have no SCIM path and only write.
	noSCIM bool
	new    func(a Args, o Options, targets int) (Converter, error)
}

// transforms is the fixed library; each entry is documented in doc.go and
// on its constructor below.
var transforms = map[string]transformDef{
	"concat":        {args: []string{"sep", "split"}, multiTarget: true, new: newConcat},
	"boolStatus":    {args: []string{"true", "false"}, new: newBoolStatus},
	"not":           {args: []string{}, new: newNot},
	"enum":          {new: newEnum},
	"dateTime":      {args: []string{"format", "offset"}, new: newDateTime},
	"singleToMulti": {args: []string{}, new: newSingleToMulti},
	"multiToSingle": {args: []string{"sub", "type", "primary"}, new: newMultiToSingle},
	"constant":      {args: []string{"value", "type"}, noSCIM: true, new: newConstant},
	"lower":         {args: []string{}, new: newLower},
	"stringBool":    {args: []string{"target"}, new: newStringBool},
	"json":          {args: []string{"encoded"}, new: newJSON},
	"multiFormat":   {args: []string{}, new: newMultiFormat},
}

// TransformNames returns the names of the transform library, sorted.
func TransformNames() []string {
	names := make([]string, 0, len(transforms))
	for n := range transforms {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// NewConverter returns the named transform configured with args, for a
// connector that converts a value outside a table (a filter literal, for
// example). A multi-target transform (concat) is configured for two fields.
func NewConverter(name string, args Args, opts Options) (Converter, error) {
	return newConverter(name, args, opts, 2)
}

func newConverter(name string, args Args, opts Options, targets int) (Converter, error) {
	def, ok := transforms[name]
	if !ok {
		return nil, fmt.Errorf("unknown transform %q (known: %s)", name, strings.Join(TransformNames(), ", "))
	}
	if def.args != nil {
		for k := range args {
			if !slices.Contains(def.args, k) {
				return nil, fmt.Errorf("transform %s: unknown argument %q (accepted: %s)", name, k, strings.Join(def.args, ", "))
			}
		}
	}
	c, err := def.new(args, opts, targets)
	if err != nil {
		return nil, fmt.Errorf("transform %s: %w", name, err)
	}
	return c, nil
}

// funcs adapts two functions to Converter.
type funcs struct {
	to, from func(any) (any, error)
}

func (f funcs) ToTarget(v any) (any, error)   { return f.to(v) }
func (f funcs) FromTarget(v any) (any, error) { return f.from(v) }

func identity(v any) (any, error) { return v, nil }

// newConcat: SCIM displayName <- firstName + " " + lastName.
//
//	{SCIM: "displayName", Target: "firstName+lastName", Dir: FromTarget, Transform: "concat"}
//
// FromTarget joins the non-empty fields with "sep" (default " "). ToTarget
// splits the SCIM string into one part per field: "split" "first" (default)
// cuts at the first separators ("Mary Ann Smith" → "Mary", "Ann Smith"),
// "last" at the last ones ("Mary Ann", "Smith").
func newConcat(a Args, _ Options, targets int) (Converter, error) {
	sep, ok := a["sep"]
	if !ok {
		sep = " "
	}
	fromLast := false
	switch a["split"] {
	case "", "first":
	case "last":
		fromLast = true
	default:
		return nil, fmt.Errorf(`"split" must be "first" or "last", not %q`, a["split"])
	}
	if targets < 2 {
		return nil, errors.New(`needs two or more target fields joined by "+"`)
	}
	return funcs{
		to: func(v any) (any, error) {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("concat: want a string, got %s", describe(v))
			}
			if sep == "" {
				return nil, errors.New("concat: cannot split without a separator")
			}
			var parts []string
			if fromLast {
				for len(parts) < targets-1 {
					i := strings.LastIndex(s, sep)
					if i < 0 {
						break
					}
					parts = append(parts, s[i+len(sep):])
					s = s[:i]
				}
				parts = append(parts, s)
				slices.Reverse(parts)
			} else {
				parts = strings.SplitN(s, sep, targets)
			}
			out := make([]any, targets)
			for i, p := range parts {
				if p != "" {
					out[i] = p
				}
			}
			return out, nil
		},
		from: func(v any) (any, error) {
			vals, _ := v.([]any)
			var parts []string
			for _, x := range vals {
				if x == nil {
					continue
				}
				if s := scalarString(x); s != "" {
					parts = append(parts, s)
				}
			}
			if len(parts) == 0 {
				return nil, nil
			}
			return strings.Join(parts, sep), nil
		},
	}, nil
}

// newBoolStatus: SCIM active <-> a status string.
//
//	{SCIM: "active", Target: "status", Transform: "boolStatus",
//	 Args: Args{"true": "ACTIVE", "false": "DEPROVISIONED"}}
//
// "true" and "false" are comma-separated lists of target values; the first
// of each is what ToTarget writes. FromTarget reads true when the target
// value is one of "true" (case-insensitively) and false otherwise, as the
// seeds' `status == "ACTIVE"`. Without "false", writing false is an error.
func newBoolStatus(a Args, _ Options, _ int) (Converter, error) {
	trueVals, falseVals := splitList(a["true"]), splitList(a["false"])
	if len(trueVals) == 0 {
		return nil, errors.New(`argument "true" is required`)
	}
	return funcs{
		to: func(v any) (any, error) {
			b, ok := toBool(v)
			switch {
			case !ok:
				return nil, fmt.Errorf("boolStatus: want a boolean, got %s", describe(v))
			case b:
				return trueVals[0], nil
			case len(falseVals) == 0:
				return nil, errors.New("boolStatus: the target has no value for false")
			}
			return falseVals[0], nil
		},
		from: func(v any) (any, error) {
			s := scalarString(v)
			for _, t := range trueVals {
				if strings.EqualFold(s, t) {
					return true, nil
				}
			}
			return false, nil
		},
	}, nil
}

// newNot: a boolean that the target stores negated, as ChipSoft's
// "Geblokkeerd" (blocked) for SCIM active.
//
//	{SCIM: "active", Target: "Geblokkeerd", Transform: "not"}
//
// Booleans given as "true"/"false" strings are accepted; booleans are written.
func newNot(Args, Options, int) (Converter, error) {
	neg := func(v any) (any, error) {
		b, ok := toBool(v)
		if !ok {
			return nil, fmt.Errorf("not: want a boolean, got %s", describe(v))
		}
		return !b, nil
	}
	return funcs{to: neg, from: neg}, nil
}

// newEnum: a value map, SCIM value → target value.
//
//	{SCIM: Enterprise + "accessLevel.accountLicenseType", Target: "accessLevel.accountLicenseType",
//	 Transform: "enum", Args: Args{"Basic": "express", "Stakeholder": "stakeholder"}}
//
// ToTarget rejects a value not in the map (400 invalidValue from the
// engine); FromTarget maps back and passes unknown target values through
// unchanged, so a new target value is shown rather than lost. Lookups try
// the exact value, then case-insensitively.
func newEnum(a Args, _ Options, _ int) (Converter, error) {
	if len(a) == 0 {
		return nil, errors.New("needs at least one value pair")
	}
	rev := make(map[string]string, len(a))
	for k, v := range a {
		if prev, dup := rev[v]; dup {
			return nil, fmt.Errorf("target value %q is mapped from both %q and %q", v, prev, k)
		}
		rev[v] = k
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return funcs{
		to: func(v any) (any, error) {
			if out, ok := lookupFold(a, scalarString(v)); ok {
				return out, nil
			}
			return nil, fmt.Errorf("enum: %q is not one of %s", scalarString(v), strings.Join(keys, ", "))
		},
		from: func(v any) (any, error) {
			if out, ok := lookupFold(rev, scalarString(v)); ok {
				return out, nil
			}
			return v, nil
		},
	}, nil
}

func lookupFold(m map[string]string, k string) (string, bool) {
	if v, ok := m[k]; ok {
		return v, true
	}
	for mk, v := range m {
		if strings.EqualFold(mk, k) {
			return v, true
		}
	}
	return "", false
}

// Date-time formats dateTime accepts besides a Go layout.
const (
	formatRFC3339      = "rfc3339"
	formatEpochMillis  = "epochMillis"
	formatEpochSeconds = "epochSeconds"
	formatDate         = "date"
)

// newDateTime: a target date-time ↔ SCIM dateTime (RFC 7643 §2.3.5, RFC 3339).
//
//	{SCIM: "meta.created", Target: "UserCreateDate", Dir: FromTarget,
//	 Transform: "dateTime", Args: Args{"format": "epochSeconds"}}
//
// "format" is "rfc3339" (default; any fraction, a zone-less value is read
// in the offset zone), "epochMillis", "epochSeconds" (fractions allowed, as
// Cognito sends), "date" (2006-01-02) or a Go layout such as Okta's
// "2006-01-02T15:04:05.000Z07:00". "offset" ("+05:30", "-02:00", "Z")
// overrides Options.DateTimeOffset: the zone of target values that carry
// none, and the zone zone-less layouts are written in. SCIM values are
// produced in UTC. The .NET "never" value 0001-01-01T00:00:00Z reads as
// unassigned.
func newDateTime(a Args, o Options, _ int) (Converter, error) {
	format := a["format"]
	switch format {
	case "":
		format = formatRFC3339
	case formatRFC3339, formatEpochMillis, formatEpochSeconds:
	case formatDate:
		format = time.DateOnly
	default:
		if !strings.Contains(format, "2006") {
			return nil, fmt.Errorf(`"format" %q is neither rfc3339, epochMillis, epochSeconds, date nor a Go layout with a year (2006)`, format)
		}
	}
	offset := o.DateTimeOffset
	if s, ok := a["offset"]; ok {
		var err error
		if offset, err = parseOffset(s); err != nil {
			return nil, err
		}
	}
	loc := time.UTC
	if offset != 0 {
		loc = time.FixedZone("", int(offset/time.Second))
	}
	return funcs{
		to: func(v any) (any, error) {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("dateTime: want a string, got %s", describe(v))
			}
			t, err := parseSCIMTime(s)
			if err != nil {
				return nil, fmt.Errorf("dateTime: %q is not an xsd:dateTime: %w", s, err)
			}
			switch format {
			case formatEpochMillis:
				return t.UnixMilli(), nil
			case formatEpochSeconds:
				if t.Nanosecond() == 0 {
					return t.Unix(), nil
				}
				return float64(t.UnixNano()) / 1e9, nil
			case formatRFC3339:
				return t.In(loc).Format(time.RFC3339Nano), nil
			}
			return t.In(loc).Format(format), nil
		},
		from: func(v any) (any, error) {
			t, err := parseTargetTime(v, format, loc)
			if err != nil {
				return nil, fmt.Errorf("dateTime: %w", err)
			}
			if t.Year() <= 1 {
				return nil, nil
			}
			return t.UTC().Format(time.RFC3339Nano), nil
		},
	}, nil
}

// parseOffset reads "+05:30", "-02:00", "+0100" or "Z".
func parseOffset(s string) (time.Duration, error) {
	if s == "Z" || s == "" {
		return 0, nil
	}
	for _, layout := range []string{"-07:00", "-0700", "-07"} {
		if t, err := time.Parse(layout, s); err == nil {
			_, off := t.Zone()
			return time.Duration(off) * time.Second, nil
		}
	}
	return 0, fmt.Errorf(`"offset" %q is not a UTC offset such as +05:30`, s)
}

// parseSCIMTime parses an xsd:dateTime: RFC 3339, or without zone as UTC
// (the same reading as schema.Validate).
func parseSCIMTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err == nil {
		return t, nil
	}
	if t, err2 := time.Parse("2006-01-02T15:04:05.999999999", s); err2 == nil {
		return t, nil
	}
	return time.Time{}, err
}

func parseTargetTime(v any, format string, loc *time.Location) (time.Time, error) {
	switch format {
	case formatEpochMillis, formatEpochSeconds:
		f, ok := toFloat(v)
		if !ok {
			return time.Time{}, fmt.Errorf("want an epoch number, got %s", describe(v))
		}
		if format == formatEpochMillis {
			return time.UnixMilli(int64(f)).UTC(), nil
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1e3))*1e6).UTC(), nil
	}
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("want a date-time string, got %s", describe(v))
	}
	if format != formatRFC3339 {
		return time.ParseInLocation(format, s, loc)
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 date-time", s)
}

// newSingleToMulti: a SCIM single value ↔ a target array.
//
//	{SCIM: "title", Target: "titles", Transform: "singleToMulti"}
//
// ToTarget wraps the value in a one-element array; FromTarget takes the
// first element of the target array (a target scalar passes through).
func newSingleToMulti(Args, Options, int) (Converter, error) {
	return funcs{
		to: func(v any) (any, error) {
			if a, ok := v.([]any); ok {
				return a, nil
			}
			return []any{v}, nil
		},
		from: func(v any) (any, error) {
			a, ok := v.([]any)
			if !ok {
				return v, nil
			}
			for _, x := range a {
				if x != nil {
					return x, nil
				}
			}
			return nil, nil
		},
	}, nil
}

// multiToSingle: a SCIM multi-valued attribute ↔ a target scalar.
//
//	{SCIM: "emails", Target: "profile.email", Transform: "multiToSingle", Args: Args{"type": "work"}}
//
// ToTarget takes the primary element (RFC 7643 §2.4), else the first of
// type <type> (what FromTarget reads back), else the first, and
// its "sub" sub-attribute (default "value"; the element itself for a
// multi-valued attribute of simple values). FromTarget builds
// [{"value": v, "type": <type>, "primary": true}] ("type" optional,
// "primary": "false" leaves primary out). A target array yields one element
// per value, the first one primary. Only the element taken counts as
// mapped: the others are reported unmapped by ToTarget.
type multiToSingle struct {
	sub, typ string
	primary  bool
}

func newMultiToSingle(a Args, _ Options, _ int) (Converter, error) {
	c := &multiToSingle{sub: "value", typ: a["type"], primary: true}
	if s, ok := a["sub"]; ok {
		c.sub = s
	}
	switch a["primary"] {
	case "", "true":
	case "false":
		c.primary = false
	default:
		return nil, fmt.Errorf(`"primary" must be "true" or "false", not %q`, a["primary"])
	}
	return c, nil
}

// pick returns the index of the element ToTarget takes, or -1.
func (c *multiToSingle) pick(v any) int {
	a, ok := v.([]any)
	if !ok || len(a) == 0 {
		return -1
	}
	typed := -1
	for i, el := range a {
		if m, ok := el.(map[string]any); ok {
			if b, _ := toBool(scim.Get(m, "primary")); b {
				return i
			}
			if t, _ := scim.Get(m, "type").(string); typed < 0 && c.typ != "" && strings.EqualFold(t, c.typ) {
				typed = i
			}
		}
	}
	return max(typed, 0)
}

// elementType: the type of the element read back (see Table.NarrowTypes).
func (c *multiToSingle) elementType() string {
	if c.sub == "" {
		return ""
	}
	return c.typ
}

// elementSubAttributes: what an element keeps through the target (see
// Table.Unmapped). A display name, for one, is lost.
func (c *multiToSingle) elementSubAttributes() []string {
	if c.sub == "" {
		return nil // simple values
	}
	kept := []string{c.sub}
	if c.typ != "" {
		kept = append(kept, "type")
	}
	if c.primary {
		kept = append(kept, "primary")
	}
	return kept
}

func (c *multiToSingle) ToTarget(v any) (any, error) {
	a, ok := v.([]any)
	if !ok {
		a = []any{v}
	}
	i := c.pick(a)
	if i < 0 {
		return nil, nil
	}
	if m, ok := a[i].(map[string]any); ok && c.sub != "" {
		return scim.Get(m, c.sub), nil
	}
	return a[i], nil
}

func (c *multiToSingle) FromTarget(v any) (any, error) {
	vals, ok := v.([]any)
	if !ok {
		vals = []any{v}
	}
	out := make([]any, 0, len(vals))
	for _, x := range vals {
		if x == nil {
			continue
		}
		if c.sub == "" {
			out = append(out, x)
			continue
		}
		el := map[string]any{c.sub: x}
		if c.typ != "" {
			el["type"] = c.typ
		}
		if c.primary && len(out) == 0 {
			el["primary"] = true
		}
		out = append(out, el)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// newConstant: a fixed value the target requires, written on every ToTarget.
//
//	{Target: "user.subjectKind", Dir: ToTarget, Transform: "constant", Args: Args{"value": "user"}}
//
// "type" is "string" (default), "boolean", "number" or "null". A constant
// rule has no SCIM path and is never read back.
func newConstant(a Args, _ Options, _ int) (Converter, error) {
	s, ok := a["value"]
	var val any = s
	switch a["type"] {
	case "", "string":
		if !ok {
			return nil, errors.New(`argument "value" is required`)
		}
	case "boolean":
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("value %q is not a boolean", s)
		}
		val = b
	case "number":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("value %q is not a number", s)
		}
		val = f
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			val = int64(f)
		}
	case "null":
		val = nil
	default:
		return nil, fmt.Errorf(`"type" must be string, boolean, number or null, not %q`, a["type"])
	}
	return funcs{
		to:   func(any) (any, error) { return val, nil },
		from: func(any) (any, error) { return nil, nil },
	}, nil
}

// constantNull marks the constant written as JSON null, which the engine
// must write even though nil usually means "write nothing".
func isConstantNull(r Rule) bool { return r.Transform == "constant" && r.Args["type"] == "null" }

// newLower: the target stores the value in lower case (logins, principal
// names). ToTarget lowers; FromTarget passes the stored value through.
//
//	{SCIM: "userName", Target: "user.principalName", Transform: "lower"}
func newLower(Args, Options, int) (Converter, error) {
	return funcs{
		to: func(v any) (any, error) {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("lower: want a string, got %s", describe(v))
			}
			return strings.ToLower(s), nil
		},
		from: identity,
	}, nil
}

// newStringBool: a target boolean kept as "true"/"false" ↔ SCIM boolean.
//
//	{SCIM: Enterprise + "email_verified", Target: "UserAttributes[Name=email_verified].Value", Transform: "stringBool"}
//
// FromTarget accepts booleans and the strings "true"/"false" in any case
// (Cognito, Coupa's XML-born JSON). ToTarget writes strings, or JSON
// booleans with "target": "boolean".
func newStringBool(a Args, _ Options, _ int) (Converter, error) {
	asBool := false
	switch a["target"] {
	case "", "string":
	case "boolean":
		asBool = true
	default:
		return nil, fmt.Errorf(`"target" must be "string" or "boolean", not %q`, a["target"])
	}
	return funcs{
		to: func(v any) (any, error) {
			b, ok := toBool(v)
			if !ok {
				return nil, fmt.Errorf("stringBool: want a boolean, got %s", describe(v))
			}
			if asBool {
				return b, nil
			}
			return strconv.FormatBool(b), nil
		},
		from: func(v any) (any, error) {
			b, ok := toBool(v)
			if !ok {
				return nil, fmt.Errorf("stringBool: %s is not a boolean", describe(v))
			}
			return b, nil
		},
	}, nil
}

// newJSON: JSON text on one side, structured JSON on the other (PingOne's
// JSON custom attributes).
//
//	{SCIM: Enterprise + "preferences", Target: "preferences", Transform: "json"}
//
// With "encoded": "scim" (default) the SCIM value is JSON text (the schema
// attribute is a string) and the target holds the structure; a target
// array is rendered in the multi-valued format, one JSON text per element
// ("[{"a":1};; {"b":2}]"), and read back as an array. With "encoded":
// "target" the target holds JSON text and SCIM the structure. JSON is
// written compactly with sorted keys, so equal values compare equal.
func newJSON(a Args, _ Options, _ int) (Converter, error) {
	switch a["encoded"] {
	case "", "scim":
		return funcs{to: decodeJSONOrMulti, from: encodeJSONOrMulti}, nil
	case "target":
		return funcs{
			to: func(v any) (any, error) {
				b, err := marshalCompact(v)
				if err != nil {
					return nil, fmt.Errorf("json: %w", err)
				}
				return string(b), nil
			},
			from: func(v any) (any, error) {
				s, ok := v.(string)
				if !ok {
					return v, nil // already structured
				}
				return decodeJSON(s)
			},
		}, nil
	}
	return nil, fmt.Errorf(`"encoded" must be "scim" or "target", not %q`, a["encoded"])
}

func decodeJSONOrMulti(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("json: want JSON text, got %s", describe(v))
	}
	if json.Valid([]byte(s)) {
		return decodeJSON(s)
	}
	parts, ok := ParseMulti(s)
	if !ok {
		return nil, fmt.Errorf("json: %q is neither JSON nor a [a;; b] list of JSON values", s)
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		var err error
		if out[i], err = decodeJSON(p); err != nil {
			return nil, fmt.Errorf("json: element %d: %w", i+1, err)
		}
	}
	return out, nil
}

func encodeJSONOrMulti(v any) (any, error) {
	if a, ok := v.([]any); ok {
		parts := make([]string, len(a))
		for i, x := range a {
			b, err := marshalCompact(x)
			if err != nil {
				return nil, fmt.Errorf("json: element %d: %w", i+1, err)
			}
			parts[i] = string(b)
		}
		return FormatMulti(parts), nil
	}
	b, err := marshalCompact(v)
	if err != nil {
		return nil, fmt.Errorf("json: %w", err)
	}
	return string(b), nil
}

func decodeJSON(s string) (any, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber() // keep large integers exact
	var out any
	if err := d.Decode(&out); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if d.More() {
		return nil, errors.New("invalid JSON: data after the value")
	}
	return out, nil
}

func marshalCompact(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// newMultiFormat: a target array of strings ↔ the SCIM multi-valued string
// format "[a;; b]" (PingOne multi-valued custom attributes).
//
//	{SCIM: Enterprise + "badges", Target: "badges", Transform: "multiFormat"}
//
// FromTarget renders an array with FormatMulti (non-string elements as
// JSON text); a scalar passes through. ToTarget writes a value in the
// format as an array of strings; any other value passes through.
func newMultiFormat(Args, Options, int) (Converter, error) {
	return funcs{
		to: func(v any) (any, error) {
			s, ok := v.(string)
			if !ok {
				return v, nil
			}
			parts, ok := ParseMulti(s)
			if !ok {
				return v, nil
			}
			out := make([]any, len(parts))
			for i, p := range parts {
				out[i] = p
			}
			return out, nil
		},
		from: func(v any) (any, error) {
			a, ok := v.([]any)
			if !ok {
				return v, nil
			}
			parts := make([]string, len(a))
			for i, x := range a {
				parts[i] = scalarString(x)
			}
			return FormatMulti(parts), nil
		},
	}, nil
}

// splitList splits a comma-separated argument, trimming spaces.
func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// toBool reads a boolean, or "true"/"false" in any case.
func toBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// toFloat reads a JSON number in any of its Go forms, or a numeric string.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

// scalarString renders a scalar as text: strings as they are, numbers and
// booleans in JSON form, anything else as compact JSON.
func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case json.Number:
		return x.String()
	}
	b, err := marshalCompact(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// describe names a value's JSON type for error messages.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", x)
	case bool:
		return fmt.Sprintf("the boolean %t", x)
	case float64, int, int64, json.Number:
		return fmt.Sprintf("the number %v", x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}
