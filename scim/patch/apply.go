package patch

import (
	"errors"
	"slices"
	"strings"

	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/filter"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// Apply applies ops in order to a deep copy of res and returns the copy
// (RFC 7644 §3.5.2). It is all or nothing: on error it returns nil and the
// error, and res is never modified. Errors are 400 *scim.Error values whose
// detail names the operation (1-based), its op and path.
//
// Apply checks paths, mutability and structure, and coerces "True"/"False"
// strings for boolean attributes; deeper type checking is left to
// (*schema.ResourceType).Validate, which the caller runs on the result.
// A nil rt is a programming error, reported as a plain error.
func Apply(res map[string]any, ops []Operation, rt *schema.ResourceType) (map[string]any, error) {
	if rt == nil || rt.Schema == nil {
		return nil, errNoResourceType
	}
	out := cloneMap(res)
	ap := &applier{rt: rt, res: out}
	for i := range ops {
		if err := ap.apply(&ops[i]); err != nil {
			return nil, withLabel(ops[i].label(i), err)
		}
	}
	ap.normalizeExtensions(res)
	return out, nil
}

// errNoResourceType reports a programming error: no resource type given.
var errNoResourceType = errors.New("patch: no resource type")

// withLabel prefixes a *scim.Error's detail with the operation's label.
func withLabel(label string, err error) error {
	var se *scim.Error
	if errors.As(err, &se) {
		return &scim.Error{Status: se.Status, ScimType: se.ScimType, Detail: label + ": " + se.Detail}
	}
	return scim.BadRequest(scim.InvalidValue, "%s: %v", label, err)
}

// applier applies operations to res, which Apply owns (a deep copy).
type applier struct {
	rt  *schema.ResourceType
	res map[string]any
}

// target is a PATCH path resolved against the resource type.
type target struct {
	schema    *schema.Schema    // the defining schema; nil for common attributes
	whole     bool              // the path is a schema URN: the whole extension
	attr      *schema.Attribute // the top-level attribute
	sub       *schema.Attribute // "name.givenName": the sub-attribute, or nil
	filter    filter.Expr       // "emails[type eq \"work\"]": the value filter, or nil
	filterSub *schema.Attribute // "emails[...].value": the sub-attribute, or nil
	matcher   *filter.Matcher   // attr[filter], compiled
}

func (ap *applier) apply(op *Operation) error {
	name := strings.ToLower(op.Op)
	switch name {
	case OpAdd, OpReplace, OpRemove:
	default:
		return scim.BadRequest(scim.InvalidSyntax, "unknown op %q; want add, replace or remove", op.Op)
	}
	if op.Path == nil {
		switch name {
		case OpRemove:
			return scim.BadRequest(scim.NoTarget, "remove requires a path")
		case OpAdd:
			if op.Value == nil {
				return scim.BadRequest(scim.InvalidValue, "add requires a non-null value")
			}
		}
		obj, ok := op.Value.(map[string]any)
		if !ok {
			return scim.BadRequest(scim.InvalidValue, "without a path the value must be an object of attributes")
		}
		return ap.applyObject(name, obj, nil)
	}
	t, err := ap.resolve(op.Path)
	if err != nil {
		return err
	}
	if err := checkWritable(t); err != nil {
		return err
	}
	if name == OpAdd && op.Value == nil {
		return scim.BadRequest(scim.InvalidValue, "add requires a non-null value")
	}
	switch {
	case t.whole:
		return ap.writeWhole(name, t.schema, op.Value)
	case t.filter != nil:
		return ap.writeFiltered(name, t, op.Value)
	default:
		return ap.write(name, t, op.Value)
	}
}

// resolve resolves a parsed path; unknown names are 400 invalidPath.
func (ap *applier) resolve(p *filter.PatchPath) (target, error) {
	var t target
	if s := schemaPath(p, ap.rt); s != nil {
		return target{schema: s, whole: true}, nil
	}
	if p.Path.URN != "" && ap.rt.SchemaByURN(p.Path.URN) == nil {
		return t, scim.BadRequest(scim.InvalidPath, "schema %q is not a schema of resource type %s", p.Path.URN, ap.rt.Name)
	}
	r, ok := ap.rt.Resolve(p.Path.URN, p.Path.Attr, p.Path.Sub)
	if !ok {
		return t, scim.BadRequest(scim.InvalidPath, "attribute %q is not defined for resource type %s", p.Path.String(), ap.rt.Name)
	}
	t = target{schema: r.Schema, attr: r.Attr, sub: r.Sub, filter: p.Filter}
	if p.Filter == nil {
		if p.FilterSub != "" {
			return t, scim.BadRequest(scim.InvalidPath, "a sub-attribute after a path needs a value filter before it")
		}
		return t, nil
	}
	if !r.Attr.MultiValued || r.Attr.Type != schema.Complex {
		return t, scim.BadRequest(scim.InvalidPath, "a value filter needs a multi-valued complex attribute, and %q is not one", r.Attr.Name)
	}
	if r.Sub != nil {
		return t, scim.BadRequest(scim.InvalidPath, "a value filter applies to an attribute, not to the sub-attribute %q", p.Path.String())
	}
	if err := checkFilter(r.Attr, p.Filter); err != nil {
		return t, err
	}
	// Compile the filter as attr[filter] once; matchElement evaluates it on
	// each value wrapped as a one-value resource.
	vp := &filter.ValuePath{Path: filter.AttrPath{Attr: r.Attr.Name}, Filter: p.Filter}
	if r.InExtension(ap.rt) {
		vp.Path.URN = r.Schema.ID
	}
	m, err := filter.Compile(vp, ap.rt)
	if err != nil {
		return t, scim.BadRequest(scim.InvalidPath, "%s", errDetail(err))
	}
	t.matcher = m
	if p.FilterSub != "" {
		t.filterSub = r.Attr.Sub(p.FilterSub)
		if t.filterSub == nil {
			return t, scim.BadRequest(scim.InvalidPath, "%q is not a sub-attribute of %q", p.FilterSub, r.Attr.Name)
		}
	}
	return t, nil
}

// schemaPath returns the schema a path names as a whole, or nil. A bare
// schema URN targets all of that schema's attributes (RFC 7644 §3.5.2
// paths may be "urn:...:enterprise:2.0:User"). The parser tells a schema
// from an attribute by a version before the last segment; a custom URN
// without one arrives as URN plus attribute, so both forms are checked.
func schemaPath(p *filter.PatchPath, rt *schema.ResourceType) *schema.Schema {
	switch {
	case p.Filter != nil || p.Path.Sub != "":
		return nil
	case p.Path.Attr == "":
		return rt.SchemaByURN(p.Path.URN)
	case p.Path.URN != "":
		return rt.SchemaByURN(p.Path.URN + ":" + p.Path.Attr)
	}
	return nil
}

// checkFilter checks that a value filter names only sub-attributes of a.
func checkFilter(a *schema.Attribute, e filter.Expr) error {
	switch n := e.(type) {
	case *filter.And:
		if err := checkFilter(a, n.Left); err != nil {
			return err
		}
		return checkFilter(a, n.Right)
	case *filter.Or:
		if err := checkFilter(a, n.Left); err != nil {
			return err
		}
		return checkFilter(a, n.Right)
	case *filter.Not:
		return checkFilter(a, n.X)
	case *filter.Compare:
		if n.Path.URN != "" || n.Path.Sub != "" || a.Sub(n.Path.Attr) == nil {
			return scim.BadRequest(scim.InvalidPath, "the filter names %q, which is not a sub-attribute of %q", n.Path.String(), a.Name)
		}
		return nil
	default:
		return scim.BadRequest(scim.InvalidPath, "value filters do not nest")
	}
}

// checkWritable rejects explicit paths to readOnly attributes (RFC 7643 §7).
func checkWritable(t target) error {
	if t.whole {
		return nil
	}
	for _, a := range []*schema.Attribute{t.attr, t.sub, t.filterSub} {
		if a != nil && a.Mutability == schema.ReadOnly {
			return scim.BadRequest(scim.Mutability, "attribute %q is readOnly", a.Name)
		}
	}
	return nil
}

// applyObject applies a no-path add or replace, or one on a whole schema
// (in != nil): every member of obj is an attribute to add or replace.
// Members are applied in sorted order so that errors are deterministic.
// readOnly attributes are skipped silently: clients such as Okta send the
// whole resource, id, meta and schemas included.
func (ap *applier) applyObject(op string, obj map[string]any, in *schema.Schema) error {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := obj[k]
		r, ok := resolveKey(ap.rt, k, in)
		if !ok {
			return scim.BadRequest(scim.InvalidValue, "the value names %q, which is not an attribute of resource type %s", k, ap.rt.Name)
		}
		if r.Attr == nil { // a schema URN; resolveKey never returns one inside a schema
			sub, ok := v.(map[string]any)
			if !ok {
				if v == nil && op == OpReplace {
					if err := ap.writeWhole(OpRemove, r.Schema, nil); err != nil {
						return err
					}
					continue
				}
				return scim.BadRequest(scim.InvalidValue, "the value of %q must be an object of its attributes", k)
			}
			if err := ap.applyObject(op, sub, r.Schema); err != nil {
				return err
			}
			continue
		}
		if r.Attr.Mutability == schema.ReadOnly || (r.Sub != nil && r.Sub.Mutability == schema.ReadOnly) {
			continue
		}
		if v == nil && op == OpAdd {
			continue
		}
		if err := ap.write(op, target{schema: r.Schema, attr: r.Attr, sub: r.Sub}, v); err != nil {
			return err
		}
	}
	return nil
}

// resolveKey resolves a member name of a no-path value: "userName",
// "name.givenName", "urn:...:User:employeeNumber" or a schema URN; inside a
// schema's object (in != nil) a name of that schema.
func resolveKey(rt *schema.ResourceType, k string, in *schema.Schema) (schema.Resolved, bool) {
	if in == nil {
		return rt.ResolvePath(k)
	}
	if strings.HasPrefix(strings.ToLower(k), "urn:") {
		return schema.Resolved{Schema: in}, false
	}
	attr, sub, _ := strings.Cut(k, ".")
	r := schema.Resolved{Schema: in, Attr: in.Attr(attr)}
	if r.Attr == nil && in == rt.Schema {
		r = schema.Resolved{Attr: schema.Common.Attr(attr)}
	}
	if r.Attr == nil {
		return r, false
	}
	if sub != "" {
		if r.Sub = r.Attr.Sub(sub); r.Sub == nil {
			return r, false
		}
	}
	return r, true
}

// container returns the map holding the attributes of schema s: the
// resource for the core schema and common attributes, else the extension's
// object under its URN, created when create is set (nil otherwise).
func (ap *applier) container(s *schema.Schema, create bool) map[string]any {
	if s == nil || s == ap.rt.Schema {
		return ap.res
	}
	key, v, ok := lookup(ap.res, s.ID)
	if m, isMap := v.(map[string]any); ok && isMap {
		if key != s.ID {
			delete(ap.res, key)
			ap.res[s.ID] = m
		}
		return m
	}
	if !create {
		return nil
	}
	m := map[string]any{}
	setKey(ap.res, s.ID, m)
	return m
}

// writeWhole applies an op whose path is a schema URN.
func (ap *applier) writeWhole(op string, s *schema.Schema, v any) error {
	if op != OpRemove {
		obj, ok := v.(map[string]any)
		if !ok {
			return scim.BadRequest(scim.InvalidValue, "the value for schema %q must be an object of its attributes", s.ID)
		}
		return ap.applyObject(op, obj, s)
	}
	m := ap.container(s, false)
	if m == nil {
		return nil
	}
	if s == ap.rt.Schema {
		return scim.BadRequest(scim.Mutability, "the core schema %q cannot be removed", s.ID)
	}
	for _, a := range s.Attributes {
		if _, cur, ok := lookup(m, a.Name); ok && !isEmpty(cur) && a.Mutability == schema.Immutable {
			return scim.BadRequest(scim.Mutability, "attribute %q is immutable and has a value", a.Name)
		}
	}
	deleteKey(ap.res, s.ID)
	return nil
}

// write applies an op to an attribute or a sub-attribute, without filter.
func (ap *applier) write(op string, t target, v any) error {
	if t.sub != nil {
		return ap.writeSub(op, t, v)
	}
	a := t.attr
	if op == OpReplace && (v == nil || isEmptyArray(v)) {
		op = OpRemove // RFC 7644 §3.5.2.3 with RFC 7643 §2.5: null and [] unassign
		v = nil
	}
	if op == OpRemove {
		m := ap.container(t.schema, false)
		if m == nil {
			return nil
		}
		if v != nil && a.MultiValued {
			return removeValues(m, a, v)
		}
		return removeAttr(m, a)
	}
	m := ap.container(t.schema, true)
	key, cur, _ := lookup(m, a.Name)
	switch {
	case a.MultiValued:
		vals, err := canonElements(a, v)
		if err != nil {
			return err
		}
		var arr []any
		var written []int
		if op == OpReplace {
			arr = vals
			for i := range arr {
				written = append(written, i)
			}
			if conflicts(a, cur, arr) {
				return immutableErr(a)
			}
		} else {
			arr = asSlice(cur)
			for _, nv := range vals {
				if slices.ContainsFunc(arr, func(e any) bool { return present(a, e, nv) }) {
					continue // already present (RFC 7644 §3.5.2.1)
				}
				arr = append(arr, nv)
				written = append(written, len(arr)-1)
			}
			if len(written) > 0 && a.Mutability == schema.Immutable && !isEmpty(cur) {
				return immutableErr(a)
			}
		}
		if err := enforcePrimary(a, arr, written); err != nil {
			return err
		}
		if len(arr) == 0 {
			if key != "" {
				delete(m, key)
			}
			return nil
		}
		setKey(m, a.Name, arr)
	case a.Type == schema.Complex:
		nv, err := canonSingle(a, v)
		if err != nil {
			return err
		}
		if nv == nil { // "" for a reference: clear it on replace
			if op == OpReplace {
				deleteKey(m, a.Name)
			}
			return nil
		}
		obj, _ := cur.(map[string]any)
		if obj == nil {
			obj = map[string]any{}
		}
		// Both add and replace merge sub-attributes (RFC 7644 §3.5.2.1 and §3.5.2.3).
		if err := merge(a, obj, nv.(map[string]any)); err != nil {
			return err
		}
		if len(obj) == 0 {
			deleteKey(m, a.Name)
			return nil
		}
		setKey(m, a.Name, obj)
	default:
		nv, err := canonSingle(a, v)
		if err != nil {
			return err
		}
		if conflicts(a, cur, nv) {
			return immutableErr(a)
		}
		setKey(m, a.Name, nv)
	}
	return nil
}

// writeSub applies an op to "attr.sub" without filter.
func (ap *applier) writeSub(op string, t target, v any) error {
	a, s := t.attr, t.sub
	if a.MultiValued {
		if op != OpRemove {
			return scim.BadRequest(scim.InvalidPath, "%q is multi-valued: select values with a filter, as in %s[type eq \"work\"].%s", a.Name, a.Name, s.Name)
		}
		// Remove the sub-attribute from every value.
		m := ap.container(t.schema, false)
		_, cur, _ := lookup(m, a.Name)
		arr := asSlice(cur)
		all := make([]int, len(arr))
		for i := range all {
			all[i] = i
		}
		if err := removeSubs(s, arr, all); err != nil {
			return err
		}
		if arr = dropEmpty(arr); len(arr) > 0 {
			setKey(m, a.Name, arr)
		} else if m != nil {
			deleteKey(m, a.Name)
		}
		return nil
	}
	if op == OpReplace && v == nil {
		op = OpRemove
	}
	if op == OpRemove {
		m := ap.container(t.schema, false)
		_, cur, _ := lookup(m, a.Name)
		obj, _ := cur.(map[string]any)
		if obj == nil {
			return nil
		}
		if _, old, ok := lookup(obj, s.Name); ok && !isEmpty(old) && s.Mutability == schema.Immutable {
			return immutableErr(s)
		}
		deleteKey(obj, s.Name)
		if len(obj) == 0 {
			deleteKey(m, a.Name)
		}
		return nil
	}
	nv, err := canonAttr(s, v)
	if err != nil {
		return err
	}
	m := ap.container(t.schema, true)
	_, cur, _ := lookup(m, a.Name)
	obj, _ := cur.(map[string]any)
	if obj == nil {
		obj = map[string]any{}
	}
	if err := merge(a, obj, map[string]any{s.Name: nv}); err != nil {
		return err
	}
	setKey(m, a.Name, obj)
	return nil
}

// appendFromFilter appends to arr the element a value filter that matched
// nothing describes (see elementFromFilter), and returns its index as the
// matched one.
func appendFromFilter(a *schema.Attribute, f filter.Expr, arr []any) ([]any, []int, error) {
	elem, ok := elementFromFilter(a, f)
	if !ok {
		return nil, nil, scim.BadRequest(scim.NoTarget, "no value matches the filter, and a new value can only be built from eq comparisons joined by and")
	}
	arr = append(arr, elem)
	return arr, []int{len(arr) - 1}, nil
}

// writeFiltered applies an op to the values of a multi-valued complex
// attribute that a value filter selects (RFC 7644 §3.5.2).
func (ap *applier) writeFiltered(op string, t target, v any) error {
	a := t.attr
	m := ap.container(t.schema, op != OpRemove)
	if m == nil {
		return nil // remove from an absent extension: nothing matches
	}
	key, cur, _ := lookup(m, a.Name)
	arr := asSlice(cur)
	matched := ap.matchAll(t, arr)
	switch op {
	case OpAdd:
		if len(matched) == 0 {
			// Microsoft Entra adds emails[type eq "work"].value to a user
			// without a work email and expects the value to be created.
			var err error
			if arr, matched, err = appendFromFilter(a, t.filter, arr); err != nil {
				return err
			}
		}
		if err := ap.setMatched(t, arr, matched, v); err != nil {
			return err
		}
	case OpReplace:
		if len(matched) == 0 {
			if isEmpty(v) || v == "" {
				// Clearing what is not there: nothing to do, as for remove.
				// The Entra SCIM Validator clears every mapped attribute
				// with "" and then null, typed values that were never set
				// included.
				break
			}
			if t.filterSub == nil {
				return scim.BadRequest(scim.NoTarget, "no value matches the filter")
			}
			// attr[filter].sub names a sub-attribute that does not exist
			// yet, which RFC 7644 §3.5.2.3 treats as an add. Microsoft
			// Entra sends "Replace" for emails[type eq "work"].value to a
			// user without a work email (it chooses Add or Replace from
			// its own records), and expects the value to be created.
			var err error
			if arr, matched, err = appendFromFilter(a, t.filter, arr); err != nil {
				return err
			}
		}
		switch {
		case t.filterSub != nil && v == nil:
			if err := removeSubs(t.filterSub, arr, matched); err != nil {
				return err
			}
			arr, matched = dropEmpty(arr), nil
		case t.filterSub != nil:
			if err := ap.setMatched(t, arr, matched, v); err != nil {
				return err
			}
		case v == nil || isEmptyArray(v):
			arr = removeIndexes(arr, matched)
			matched = nil
		default:
			if err := replaceMatched(a, arr, matched, v); err != nil {
				return err
			}
		}
	case OpRemove:
		// Removing what is not there is not an error: a retried request
		// (Entra and Okta retry) must succeed the second time too.
		if t.filterSub != nil {
			if err := removeSubs(t.filterSub, arr, matched); err != nil {
				return err
			}
			arr = dropEmpty(arr)
		} else {
			arr = removeIndexes(arr, matched)
		}
		matched = nil
	}
	if err := enforcePrimary(a, arr, matched); err != nil {
		return err
	}
	if len(arr) == 0 {
		if key != "" {
			delete(m, key)
		}
		return nil
	}
	setKey(m, a.Name, arr)
	return nil
}

// setMatched sets the filter's sub-attribute (or merges the value object)
// in every matched element.
func (ap *applier) setMatched(t target, arr []any, matched []int, v any) error {
	var patch map[string]any
	if t.filterSub != nil {
		nv, err := canonAttr(t.filterSub, v)
		if err != nil {
			return err
		}
		patch = map[string]any{t.filterSub.Name: nv}
	} else {
		nv, err := canonSingle(t.attr, unwrapSingle(v))
		if err != nil {
			return err
		}
		patch = nv.(map[string]any)
	}
	for _, i := range matched {
		elem, ok := arr[i].(map[string]any)
		if !ok {
			elem = map[string]any{}
			arr[i] = elem
		}
		if err := merge(t.attr, elem, cloneMap(patch)); err != nil {
			return err
		}
	}
	return nil
}

// replaceMatched replaces every matched element with the value.
func replaceMatched(a *schema.Attribute, arr []any, matched []int, v any) error {
	nv, err := canonSingle(a, unwrapSingle(v))
	if err != nil {
		return err
	}
	for _, i := range matched {
		old, _ := arr[i].(map[string]any)
		for _, s := range a.SubAttributes {
			if s.Mutability != schema.Immutable {
				continue
			}
			_, ov, _ := lookup(old, s.Name)
			_, newV, _ := lookup(nv.(map[string]any), s.Name)
			if conflicts(s, ov, newV) {
				return immutableErr(s)
			}
		}
		arr[i] = cloneValue(nv)
	}
	return nil
}

// removeSubs removes sub-attribute s from the listed elements.
func removeSubs(s *schema.Attribute, arr []any, idx []int) error {
	for _, i := range idx {
		elem, ok := arr[i].(map[string]any)
		if !ok {
			continue
		}
		if _, old, ok := lookup(elem, s.Name); ok && !isEmpty(old) && s.Mutability == schema.Immutable {
			return immutableErr(s)
		}
		deleteKey(elem, s.Name)
	}
	return nil
}

// dropEmpty removes values left empty, e.g. {} after removing their only
// sub-attribute.
func dropEmpty(arr []any) []any {
	return slices.DeleteFunc(arr, isEmpty)
}

func removeIndexes(arr []any, idx []int) []any {
	out := arr[:0:0]
	for i, e := range arr {
		if !slices.Contains(idx, i) {
			out = append(out, e)
		}
	}
	return out
}

// removeAttr removes an attribute; absent is not an error.
func removeAttr(m map[string]any, a *schema.Attribute) error {
	_, cur, ok := lookup(m, a.Name)
	if !ok {
		return nil
	}
	if a.Mutability == schema.Immutable && !isEmpty(cur) {
		return immutableErr(a)
	}
	deleteKey(m, a.Name)
	return nil
}

// removeValues removes the listed values from a multi-valued attribute:
// Microsoft Entra's {"op":"Remove","path":"members","value":[{"value":"id"}]}.
// Values are matched by their "value" sub-attribute when a has one, else
// by equality. Values not present are ignored.
func removeValues(m map[string]any, a *schema.Attribute, v any) error {
	valueSub := a.Sub("value")
	var wants []any
	for _, rv := range asSlice(v) {
		if valueSub == nil {
			wants = append(wants, rv)
			continue
		}
		if obj, ok := rv.(map[string]any); ok {
			_, want, ok := lookup(obj, valueSub.Name)
			if !ok || want == nil {
				return scim.BadRequest(scim.InvalidValue, "each value to remove from %q needs a %q", a.Name, valueSub.Name)
			}
			rv = want
		}
		wants = append(wants, rv)
	}
	_, cur, ok := lookup(m, a.Name)
	if !ok {
		return nil
	}
	arr := asSlice(cur)
	var drop []int
	for i, e := range arr {
		for _, w := range wants {
			var hit bool
			if valueSub != nil {
				em, _ := e.(map[string]any)
				_, ev, _ := lookup(em, valueSub.Name)
				hit = sameScalar(valueSub, ev, w)
			} else {
				hit = contains(a, e, w) && contains(a, w, e)
			}
			if hit {
				drop = append(drop, i)
				break
			}
		}
	}
	if len(drop) == 0 {
		return nil
	}
	if a.Mutability == schema.Immutable {
		return immutableErr(a)
	}
	arr = removeIndexes(arr, drop)
	if len(arr) == 0 {
		deleteKey(m, a.Name)
		return nil
	}
	setKey(m, a.Name, arr)
	return nil
}

// merge sets the sub-attributes of patch in obj, refusing to change an
// immutable sub-attribute that has a value.
func merge(a *schema.Attribute, obj, patch map[string]any) error {
	for k, nv := range patch {
		s := a.Sub(k)
		_, cur, _ := lookup(obj, k)
		if s != nil && conflicts(s, cur, nv) {
			return immutableErr(s)
		}
		setKey(obj, k, nv)
	}
	return nil
}

// present reports whether the new value nv is already present as e
// (RFC 7644 §3.5.2.1: adding a value that exists changes nothing). It is if
// every sub-attribute nv states equals e's. When the "value" sub-attribute
// is immutable (group members), the value identifies the element, so an
// equal "value" suffices: re-adding a member with another display is a
// no-op rather than a duplicate member.
func present(a *schema.Attribute, e, nv any) bool {
	if vs := a.Sub("value"); vs != nil && vs.Mutability == schema.Immutable {
		em, eok := e.(map[string]any)
		nm, nok := nv.(map[string]any)
		if eok && nok {
			_, ev, eHas := lookup(em, vs.Name)
			_, newV, nHas := lookup(nm, vs.Name)
			if eHas && nHas && sameScalar(vs, ev, newV) {
				return true
			}
		}
	}
	return contains(a, e, nv)
}

// conflicts reports whether writing next over cur changes an immutable
// attribute that has a value (RFC 7643 §7; RFC 7644 §3.5.1).
func conflicts(a *schema.Attribute, cur, next any) bool {
	return a.Mutability == schema.Immutable && !isEmpty(cur) && !sameValue(a, cur, next)
}

func immutableErr(a *schema.Attribute) error {
	return scim.BadRequest(scim.Mutability, "attribute %q is immutable and already has a different value", a.Name)
}

// enforcePrimary applies RFC 7644 §3.5.2: setting "primary" to true on a
// value sets it to false on the others. written are the indexes of the
// values this operation wrote; more than one of them primary is an error
// (RFC 7643 §2.4: true appears no more than once).
func enforcePrimary(a *schema.Attribute, arr []any, written []int) error {
	p := a.Sub("primary")
	if p == nil {
		return nil
	}
	chosen := -1
	for _, i := range written {
		if elem, ok := arr[i].(map[string]any); ok && elem[p.Name] == true {
			if chosen >= 0 {
				return scim.BadRequest(scim.InvalidValue, "more than one value of %q has primary true", a.Name)
			}
			chosen = i
		}
	}
	if chosen < 0 {
		return nil
	}
	for i, e := range arr {
		if elem, ok := e.(map[string]any); ok && i != chosen && elem[p.Name] == true {
			elem[p.Name] = false
		}
	}
	return nil
}

// normalizeExtensions drops extension objects left empty and keeps
// "schemas" (when the resource has it) listing exactly the extensions that
// appeared or disappeared (RFC 7643 §3: schemas names the extensions used).
func (ap *applier) normalizeExtensions(before map[string]any) {
	for _, e := range ap.rt.Extensions {
		id := e.Schema.ID
		key, v, ok := lookup(ap.res, id)
		if ok && isEmpty(v) {
			delete(ap.res, key)
		}
		_, old, _ := lookup(before, id)
		_, now, _ := lookup(ap.res, id)
		was, is := !isEmpty(old), !isEmpty(now)
		if was == is {
			continue
		}
		skey, schemas, ok := lookup(ap.res, "schemas")
		if !ok {
			continue
		}
		list := asSlice(schemas)
		list = slices.DeleteFunc(list, func(s any) bool {
			str, isStr := s.(string)
			return isStr && strings.EqualFold(str, id)
		})
		if is {
			list = append(list, id)
		}
		ap.res[skey] = list
	}
}

func isEmptyArray(v any) bool {
	arr, ok := v.([]any)
	return ok && len(arr) == 0
}

// unwrapSingle turns a one-element array into its element: some clients
// wrap the value for a filtered path in an array.
func unwrapSingle(v any) any {
	if arr, ok := v.([]any); ok && len(arr) == 1 {
		return arr[0]
	}
	return v
}
