package mapping

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/scimconnect/scimconnect/scim"
)

// ruleKind says how a rule's SCIM and target paths line up.
type ruleKind uint8

const (
	kindPlain       ruleKind = iota // attr, attr.sub or attr[selector].sub ↔ a target field
	kindElementwise                 // attr[].sub ↔ array[].field, element i ↔ element i
	kindFirst                       // attr[].sub ↔ a target scalar: the primary (else first) element
)

// compiled is a rule ready to run.
type compiled struct {
	rule      Rule
	scim      *scimPath // nil for a constant
	scimStr   string    // scim.String(), precomputed
	akey      string    // scim.key(), precomputed
	subKey    string    // lower-case scim.sub
	targets   []*targetPath
	conv      Converter // nil: the value passes unchanged
	kind      ruleKind
	writeNull bool // a constant null
}

// Mapping is a compiled Table: safe for concurrent use, built once per
// connector instance (Compile reports every configuration mistake at once).
type Mapping struct {
	rules []compiled
	opts  Options
	units []*targetPath // what Changes compares: one per target field or array written
	// resSize is how many top-level keys FromTarget can fill (schemas
	// included), to size the resource once.
	resSize int
}

// Compile checks every rule and returns the runnable mapping. Errors name
// the rule by position and content; all of them are reported, joined.
//
// Beyond each rule's syntax it rejects tables a reader could not predict:
// two rules writing the same target field (or one writing inside the
// other's), two rules reading into the same SCIM path, and rules that fill
// one SCIM multi-valued attribute both element-wise ("[]") and by selector,
// or element-wise from two different target arrays.
func (t Table) Compile(opts Options) (*Mapping, error) {
	m := &Mapping{opts: opts}
	var errs []error
	for i, r := range t {
		c, err := compileRule(r, opts)
		if err != nil {
			errs = append(errs, fmt.Errorf("rule %d (%s): %w", i+1, r, err))
			continue
		}
		m.rules = append(m.rules, c)
	}
	errs = append(errs, m.crossCheck()...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("mapping: %w", errors.Join(errs...))
	}
	tops := map[string]bool{"schemas": true}
	for i := range m.rules {
		if c := &m.rules[i]; c.rule.Dir != ToTarget && c.scim != nil {
			top := c.scim.attr
			if c.scim.urn != "" {
				top = c.scim.urn
			}
			tops[strings.ToLower(top)] = true
		}
	}
	m.resSize = len(tops)
	seen := map[string]bool{}
	for i := range m.rules {
		c := &m.rules[i]
		if c.rule.Dir == FromTarget {
			continue
		}
		for _, tp := range c.targets {
			u := tp
			if c.kind == kindElementwise {
				u = &targetPath{raw: tp.raw[:strings.Index(tp.raw, "[]")], segs: tp.root(), eachAt: -1}
			}
			if !seen[u.raw] {
				seen[u.raw] = true
				m.units = append(m.units, u)
			}
		}
	}
	return m, nil
}

func compileRule(r Rule, opts Options) (compiled, error) {
	c := compiled{rule: r}
	if r.Dir < Both || r.Dir > FromTarget {
		return c, fmt.Errorf("invalid direction %d", int(r.Dir))
	}
	var def transformDef
	if r.Transform != "" {
		var ok bool
		if def, ok = transforms[r.Transform]; !ok {
			return c, fmt.Errorf("unknown transform %q (known: %s)", r.Transform, strings.Join(TransformNames(), ", "))
		}
	} else if len(r.Args) > 0 {
		return c, errors.New("arguments given without a transform")
	}
	switch {
	case def.noSCIM && r.SCIM != "":
		return c, fmt.Errorf("transform %s takes no SCIM path", r.Transform)
	case def.noSCIM && r.Dir == FromTarget:
		return c, fmt.Errorf("transform %s only writes to the target", r.Transform)
	case !def.noSCIM && r.SCIM == "":
		return c, errors.New("empty SCIM path")
	}
	if r.SCIM != "" {
		p, err := parseSCIMPath(r.SCIM, opts.ResourceType)
		if err != nil {
			return c, fmt.Errorf("SCIM path %q: %w", r.SCIM, err)
		}
		c.scim, c.scimStr, c.akey, c.subKey = p, p.String(), p.key(), strings.ToLower(p.sub)
	}
	parts := strings.Split(r.Target, "+")
	if len(parts) > 1 && !def.multiTarget {
		return c, errors.New(`several target fields joined by "+" need a multi-field transform such as concat`)
	}
	for _, s := range parts {
		tp, err := parseTargetPath(strings.TrimSpace(s))
		if err != nil {
			return c, err
		}
		if len(parts) > 1 && tp.eachAt >= 0 {
			return c, fmt.Errorf("target path %q: [] is not allowed among several target fields", tp.raw)
		}
		c.targets = append(c.targets, tp)
	}
	if p, tp := c.scim, c.targets[0]; p != nil {
		switch {
		case p.each && tp.eachAt >= 0:
			c.kind = kindElementwise
		case p.each:
			c.kind = kindFirst
		case tp.eachAt >= 0:
			return c, errors.New(`the target path has "[]" but the SCIM path does not; use attr[].sub, or the singleToMulti transform with a target path without "[]"`)
		}
	} else if c.targets[0].eachAt >= 0 {
		return c, errors.New(`a constant cannot be written to every element ("[]")`)
	}
	if r.Transform != "" {
		conv, err := newConverter(r.Transform, r.Args, opts, len(c.targets))
		if err != nil {
			return c, err
		}
		c.conv = conv
		c.writeNull = isConstantNull(r)
	}
	return c, nil
}

// crossCheck finds conflicts between rules.
func (m *Mapping) crossCheck() []error {
	var errs []error
	writers := map[string]Rule{} // target path → rule writing it
	readers := map[string]Rule{} // SCIM path → rule filling it
	type attrUse struct {
		eachRoot string
		each     *Rule
		sel      *Rule
	}
	uses := map[string]*attrUse{}
	for i := range m.rules {
		c := &m.rules[i]
		if c.rule.Dir != FromTarget {
			for _, tp := range c.targets {
				for raw, other := range writers {
					if raw == tp.raw || strings.HasPrefix(tp.raw, raw+".") || strings.HasPrefix(raw, tp.raw+".") ||
						strings.HasPrefix(tp.raw, raw+"[") || strings.HasPrefix(raw, tp.raw+"[") {
						errs = append(errs, fmt.Errorf("rules %q and %q both write target %q", other, c.rule, raw))
					}
				}
				writers[tp.raw] = c.rule
			}
		}
		if c.rule.Dir == ToTarget || c.scim == nil {
			continue
		}
		key := strings.ToLower(c.scim.String())
		if other, dup := readers[key]; dup {
			errs = append(errs, fmt.Errorf("rules %q and %q both fill SCIM %q", other, c.rule, c.scim))
		}
		readers[key] = c.rule
		u := uses[c.akey]
		if u == nil {
			u = &attrUse{}
			uses[c.akey] = u
		}
		switch {
		case c.kind == kindElementwise:
			root := c.targets[0].raw[:strings.Index(c.targets[0].raw, "[]")]
			if u.each != nil && u.eachRoot != root {
				errs = append(errs, fmt.Errorf("rules %q and %q fill %q element-wise from different target arrays", *u.each, c.rule, c.scim.attr))
			}
			u.each, u.eachRoot = &c.rule, root
		case len(c.scim.sel) > 0:
			u.sel = &c.rule
		}
		if u.each != nil && u.sel != nil {
			errs = append(errs, fmt.Errorf("rules %q and %q fill %q both element-wise and by selector", *u.each, *u.sel, c.scim.attr))
			u.sel = nil
		}
	}
	return errs
}

// TargetOf returns the target path and converter of the rule that maps the
// SCIM path, for translating a filter or sort key; conv converts a literal.
// Only rules with one target field qualify.
func (m *Mapping) TargetOf(scimPath string) (target string, conv Converter, ok bool) {
	// Filters name paths as tables do, so the canonical spelling usually
	// matches as given; other spellings (URN-qualified core attributes)
	// are parsed.
	if c := m.ruleFor(scimPath); c != nil {
		return c.targetOf()
	}
	p, err := parseSCIMPath(scimPath, m.opts.ResourceType)
	if err != nil {
		return "", nil, false
	}
	if c := m.ruleFor(p.String()); c != nil {
		return c.targetOf()
	}
	return "", nil, false
}

// ruleFor finds the single-target rule whose SCIM path is path, compared
// case-insensitively with the canonical spelling.
func (m *Mapping) ruleFor(path string) *compiled {
	for i := range m.rules {
		c := &m.rules[i]
		if c.scim != nil && len(c.targets) == 1 && strings.EqualFold(c.scimStr, path) {
			return c
		}
	}
	return nil
}

func (c *compiled) targetOf() (string, Converter, bool) {
	conv := c.conv
	if conv == nil {
		conv = identityConverter
	}
	return c.targets[0].raw, conv, true
}

// identityConverter passes values unchanged both ways.
var identityConverter Converter = funcs{to: identity, from: identity}

// ToTarget maps a SCIM resource (canonical, as schema.Validate returns it)
// to a new target object. It also returns, sorted, the SCIM paths of
// attributes no rule stores ("nickName", "emails.value",
// "urn:...:User:costCenter"); id, schemas and meta are never listed. In
// strict mode any such path is a 400 invalidValue error. A transform that
// rejects a value is a 400 invalidValue error naming the attribute.
func (m *Mapping) ToTarget(res map[string]any) (map[string]any, []string, error) {
	out, used, err := m.toTarget(res)
	if err != nil {
		return nil, nil, err
	}
	unmapped := unmappedPaths(res, used)
	if m.opts.Strict && len(unmapped) > 0 {
		return nil, unmapped, scim.BadRequest(scim.InvalidValue, "the target cannot store %s", strings.Join(unmapped, ", "))
	}
	return out, unmapped, nil
}

// useKey records that a rule read a SCIM value: the attribute (lower-case
// "urn|attr"), the element index (-1 for a single value) and the
// sub-attribute ("" for the whole value).
type useKey struct {
	attr string
	idx  int
	sub  string
}

func (m *Mapping) toTarget(res map[string]any) (map[string]any, map[useKey]bool, error) {
	out := make(map[string]any, 8)
	used := make(map[useKey]bool, len(m.rules)+8) // sized once: growing it dominated the cost
	for i := range m.rules {
		c := &m.rules[i]
		if c.rule.Dir == FromTarget {
			continue
		}
		if err := c.toTarget(res, out, used); err != nil {
			return nil, nil, err
		}
	}
	return out, used, nil
}

func (c *compiled) toTarget(res, out map[string]any, used map[useKey]bool) error {
	p := c.scim
	if p == nil {
		return c.write(out, nil)
	}
	cont := scimContainer(res, p.urn)
	if cont == nil {
		return nil
	}
	av := scim.Get(cont, p.attr)
	if unassigned(av) {
		return nil
	}
	switch {
	case c.kind == kindElementwise:
		return c.toTargetEach(av, out, used)
	case c.kind == kindFirst:
		arr := asArray(av)
		i := primaryIndex(arr)
		if i < 0 {
			return nil
		}
		used[useKey{c.akey, i, c.subKey}] = true
		return c.write(out, subOf(arr[i], p.sub))
	case len(p.sel) > 0:
		arr := asArray(av)
		for i, el := range arr {
			if !matchElement(el, p.sel) {
				continue
			}
			used[useKey{c.akey, i, c.subKey}] = true
			for _, cd := range p.sel {
				used[useKey{c.akey, i, strings.ToLower(cd.sub)}] = true
			}
			return c.write(out, subOf(el, p.sub))
		}
		return nil
	case p.sub != "":
		used[useKey{c.akey, -1, c.subKey}] = true
		return c.write(out, subOf(av, p.sub))
	}
	if pk, ok := c.conv.(interface{ pick(any) int }); ok {
		used[useKey{c.akey, pk.pick(av), ""}] = true
	} else {
		used[useKey{c.akey, -1, ""}] = true
	}
	return c.write(out, av)
}

func (c *compiled) toTargetEach(av any, out map[string]any, used map[useKey]bool) error {
	tp := c.targets[0]
	tail := tp.tail()
	arr, _ := get(out, tp.root()).([]any)
	wrote := len(arr) > 0
	for i, el := range asArray(av) {
		for len(arr) <= i {
			if len(tail) > 0 {
				arr = append(arr, map[string]any{})
			} else {
				arr = append(arr, nil)
			}
		}
		v := subOf(el, c.scim.sub)
		if unassigned(v) {
			continue
		}
		tv, err := c.convertTo(v)
		if err != nil {
			return err
		}
		if tv == nil {
			continue
		}
		arr[i] = put(arr[i], tail, tv)
		used[useKey{c.akey, i, c.subKey}] = true
		wrote = true
	}
	if wrote {
		put(out, tp.root(), arr)
	}
	return nil
}

// write converts v and stores it at the rule's target field(s).
func (c *compiled) write(out map[string]any, v any) error {
	if c.scim != nil && unassigned(v) {
		return nil
	}
	tv, err := c.convertTo(v)
	if err != nil {
		return err
	}
	if len(c.targets) > 1 {
		parts, _ := tv.([]any)
		for k, tp := range c.targets {
			if k < len(parts) && parts[k] != nil {
				put(out, tp.segs, parts[k])
			}
		}
		return nil
	}
	if tv != nil || c.writeNull {
		put(out, c.targets[0].segs, tv)
	}
	return nil
}

func (c *compiled) convertTo(v any) (any, error) {
	if c.conv == nil {
		return v, nil
	}
	tv, err := c.conv.ToTarget(v)
	if err != nil {
		where := "target"
		if c.scim != nil {
			where = "attribute " + c.scim.String()
		}
		return nil, scim.BadRequest(scim.InvalidValue, "%s: %v", where, err)
	}
	return tv, nil
}

// FromTarget maps a target object to a new SCIM resource. Target values
// that are null, "", [] or {} count as unassigned and are left out (many
// targets send "" for "not set"). Several rules into one multi-valued
// attribute merge: a selector finds or creates its element
// (emails[type eq "work"].value creates {"value": v, "type": "work"}),
// element-wise rules fill element i from target element i, and "attr[]"
// rules from a target scalar fill the first element. With
// Options.ResourceType set, "schemas" lists the core schema and each
// extension holding data. Transform failures are errors: the target sent
// data the table does not expect.
func (m *Mapping) FromTarget(obj map[string]any) (map[string]any, error) {
	res := make(map[string]any, m.resSize)
	for i := range m.rules {
		c := &m.rules[i]
		if c.rule.Dir == ToTarget || c.scim == nil {
			continue
		}
		if err := c.fromTarget(obj, res); err != nil {
			return nil, fmt.Errorf("mapping: %s: %w", c.rule, err)
		}
	}
	prune(res)
	if rt := m.opts.ResourceType; rt != nil {
		schemas := make([]any, 1, 1+len(rt.Extensions))
		schemas[0] = rt.Schema.ID
		for _, e := range rt.Extensions {
			if ext, ok := res[e.Schema.ID].(map[string]any); ok && len(ext) > 0 {
				schemas = append(schemas, e.Schema.ID)
			}
		}
		res["schemas"] = schemas
	}
	return res, nil
}

func (c *compiled) fromTarget(obj, res map[string]any) error {
	p := c.scim
	if c.kind == kindElementwise {
		tp := c.targets[0]
		for i, el := range asArray(get(obj, tp.root())) {
			v := el
			if len(tp.tail()) > 0 {
				v = get(el, tp.tail())
			}
			sv, err := c.convertFrom(v)
			if err != nil {
				return fmt.Errorf("element %d: %w", i+1, err)
			}
			if sv != nil {
				putElement(scimContainerFor(res, p.urn), p.attr, i, p.sub, sv)
			}
		}
		return nil
	}
	var v any
	if len(c.targets) > 1 {
		parts := make([]any, len(c.targets))
		found := false
		for k, tp := range c.targets {
			if x := get(obj, tp.segs); !unassigned(x) {
				parts[k], found = x, true
			}
		}
		if !found {
			return nil
		}
		v = parts
	} else {
		v = get(obj, c.targets[0].segs)
	}
	sv, err := c.convertFrom(v)
	if err != nil || sv == nil {
		return err
	}
	cont := scimContainerFor(res, p.urn)
	switch {
	case c.kind == kindFirst:
		putElement(cont, p.attr, 0, p.sub, sv)
	case len(p.sel) > 0:
		putSelected(cont, p, sv)
	case p.sub != "":
		sm, _ := cont[p.attr].(map[string]any)
		if sm == nil {
			sm = map[string]any{}
			cont[p.attr] = sm
		}
		sm[p.sub] = sv
	default:
		merge(cont, p.attr, sv)
	}
	return nil
}

func (c *compiled) convertFrom(v any) (any, error) {
	if unassigned(v) {
		return nil, nil
	}
	if c.conv == nil {
		return coerce(v, c.scim.typ), nil
	}
	sv, err := c.conv.FromTarget(v)
	if err != nil || unassigned(sv) {
		return nil, err
	}
	return coerce(sv, c.scim.typ), nil
}

// Changes returns the smallest partial target update that turns the target
// form of before into that of after: only the target fields whose mapped
// value differs, each at its target path. A removed value is written as
// Options.Removal says (null by default). A field written element-wise
// ("groupAssignments[].id") is compared and sent as its whole array, since
// JSON merge updates cannot address one element. Constants never differ,
// so they are never sent. An empty map means nothing to update.
func (m *Mapping) Changes(before, after map[string]any) (map[string]any, error) {
	tb, _, err := m.toTarget(before)
	if err != nil {
		return nil, err
	}
	ta, _, err := m.toTarget(after)
	if err != nil {
		return nil, err
	}
	patch := map[string]any{}
	for _, u := range m.units {
		vb, va := get(tb, u.segs), get(ta, u.segs)
		if reflect.DeepEqual(vb, va) || unassigned(vb) && unassigned(va) {
			continue
		}
		if unassigned(va) {
			switch m.opts.Removal {
			case RemoveOmit:
				continue
			case RemoveEmptyString:
				if _, isArray := vb.([]any); isArray {
					va = []any{}
				} else {
					va = ""
				}
			default:
				va = nil
			}
		}
		put(patch, u.segs, va)
	}
	return patch, nil
}

// unmappedPaths lists the assigned attributes of res no rule read.
func unmappedPaths(res map[string]any, used map[useKey]bool) []string {
	seen := map[string]bool{}
	var out []string
	report := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for k, v := range res {
		if unassigned(v) {
			continue
		}
		switch strings.ToLower(k) {
		case "schemas", "id", "meta":
			continue
		}
		if len(k) > 4 && strings.EqualFold(k[:4], "urn:") {
			if ext, ok := v.(map[string]any); ok {
				for ak, av := range ext {
					unmappedAttr(k, ak, av, used, report)
				}
				continue
			}
			i := strings.LastIndexByte(k, ':')
			unmappedAttr(k[:i], k[i+1:], v, used, report)
			continue
		}
		unmappedAttr("", k, v, used, report)
	}
	sort.Strings(out)
	return out
}

func unmappedAttr(urn, name string, v any, used map[useKey]bool, report func(string)) {
	if unassigned(v) {
		return
	}
	key := strings.ToLower(urn + "|" + name)
	if used[useKey{key, -1, ""}] {
		return
	}
	path := name
	if urn != "" {
		path = urn + ":" + name
	}
	switch x := v.(type) {
	case map[string]any:
		for sk, sv := range x {
			if !unassigned(sv) && !used[useKey{key, -1, strings.ToLower(sk)}] {
				report(path + "." + sk)
			}
		}
	case []any:
		for i, el := range x {
			if unassigned(el) || used[useKey{key, i, ""}] {
				continue
			}
			em, ok := el.(map[string]any)
			if !ok {
				report(path)
				continue
			}
			for sk, sv := range em {
				lsk := strings.ToLower(sk)
				if unassigned(sv) || used[useKey{key, i, lsk}] || used[useKey{key, -1, lsk}] {
					continue
				}
				// type and primary only qualify an element's value: the
				// value is what the target lost, if anything.
				if lsk == "type" || lsk == "primary" {
					continue
				}
				report(path + "." + sk)
			}
		}
	default:
		report(path)
	}
}

// scimContainer returns the object holding attributes of urn: res itself
// for the core schema, else the extension object (nil if absent).
func scimContainer(res map[string]any, urn string) map[string]any {
	if urn == "" {
		return res
	}
	m, _ := scim.Get(res, urn).(map[string]any)
	return m
}

// scimContainerFor is scimContainer that creates the extension object.
func scimContainerFor(res map[string]any, urn string) map[string]any {
	if urn == "" {
		return res
	}
	m, ok := res[urn].(map[string]any)
	if !ok {
		m = map[string]any{}
		res[urn] = m
	}
	return m
}

// putElement sets element i (sub-attribute sub, or the element itself).
func putElement(cont map[string]any, attr string, i int, sub string, v any) {
	arr, _ := cont[attr].([]any)
	for len(arr) <= i {
		if sub != "" {
			arr = append(arr, map[string]any{})
		} else {
			arr = append(arr, nil)
		}
	}
	if sub == "" {
		arr[i] = v
	} else {
		el, ok := arr[i].(map[string]any)
		if !ok {
			el = map[string]any{}
			arr[i] = el
		}
		el[sub] = v
	}
	cont[attr] = arr
}

// putSelected sets sub in the element matching p's selector, creating the
// element with the selector's values when there is none.
func putSelected(cont map[string]any, p *scimPath, v any) {
	arr, _ := cont[p.attr].([]any)
	for _, el := range arr {
		if matchElement(el, p.sel) {
			el.(map[string]any)[p.sub] = v
			return
		}
	}
	el := make(map[string]any, len(p.sel)+1)
	for _, cd := range p.sel {
		el[cd.sub] = cd.val
	}
	el[p.sub] = v
	cont[p.attr] = append(arr, el)
}

// merge stores v as attr, appending to an existing array or adding to an
// existing object so that rules into one attribute combine.
func merge(cont map[string]any, attr string, v any) {
	switch old := cont[attr].(type) {
	case []any:
		if nv, ok := v.([]any); ok {
			cont[attr] = append(old, nv...)
			return
		}
	case map[string]any:
		if nv, ok := v.(map[string]any); ok {
			for k, x := range nv {
				if _, has := old[k]; !has {
					old[k] = x
				}
			}
			return
		}
	}
	cont[attr] = v
}

// prune removes empty elements, arrays and objects left by element-wise
// filling, so the resource holds only assigned values (RFC 7643 §2.5).
func prune(res map[string]any) {
	for k, v := range res {
		switch x := v.(type) {
		case []any:
			kept := x[:0]
			for _, el := range x {
				if !unassigned(el) {
					kept = append(kept, el)
				}
			}
			switch {
			case len(kept) == 0:
				delete(res, k)
			case len(kept) < len(x):
				res[k] = kept // else kept is x, already there
			}
		case map[string]any:
			if len(k) > 4 && strings.EqualFold(k[:4], "urn:") {
				prune(x)
			}
			if len(x) == 0 {
				delete(res, k)
			}
		}
	}
}

// unassigned reports whether v means "no value" (RFC 7643 §2.5), "" included.
func unassigned(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// asArray returns v as an array; a single value is one element, as
// schema.Validate is lenient the same way.
func asArray(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return nil
	}
	return []any{v}
}

// primaryIndex returns the index of the primary element, else 0, or -1 if empty.
func primaryIndex(arr []any) int {
	if len(arr) == 0 {
		return -1
	}
	for i, el := range arr {
		if m, ok := el.(map[string]any); ok {
			if b, _ := toBool(scim.Get(m, "primary")); b {
				return i
			}
		}
	}
	return 0
}

// subOf returns el's sub-attribute, or el itself when sub is "".
func subOf(el any, sub string) any {
	if sub == "" {
		return el
	}
	m, ok := el.(map[string]any)
	if !ok {
		return nil
	}
	return scim.Get(m, sub)
}
