package patch

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/filter"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// MemberChange kinds.
const (
	MemberAdd       = "add"       // add IDs (already present ones are not an error)
	MemberRemove    = "remove"    // remove IDs (absent ones are not an error)
	MemberReplace   = "replace"   // the members become exactly IDs
	MemberRemoveAll = "removeAll" // remove every member
	// MemberRemoveMatching removes the members that Filter matches: a
	// remove through a value filter that is not `value eq "id"` (RFC 7644
	// §3.5.2.2, e.g. members[type eq "User"]). The store must evaluate it
	// against the member list, so it costs the group's size.
	MemberRemoveMatching = "removeMatching"
)

// MemberChange is a change to a group's membership expressed by member
// IDs, so that a store keeping members apart from the group can apply it
// without loading the members.
type MemberChange struct {
	// Op is MemberAdd, MemberRemove, MemberReplace or MemberRemoveAll.
	Op string
	// IDs are the members' "value"s in request order, without duplicates;
	// nil for MemberRemoveAll and MemberRemoveMatching.
	IDs []string
	// Filter is the value filter of MemberRemoveMatching, relative to a
	// member (its paths name sub-attributes: value, type, display).
	Filter filter.Expr
}

// SplitMembers pulls out of ops every change to the multi-valued attribute
// attr ("members") and returns those changes in request order, together with
// the remaining operations for Apply. Ops on other attributes keep their
// order; since the two lists touch disjoint attributes, applying all changes
// and then rest gives the same result as applying ops in order.
//
// Recognized forms:
//   - add members, value [{"value": id}, ...] (or one object, or bare ids);
//   - remove members[value eq "id"], also several comparisons joined by or;
//   - remove members with a value array (Microsoft Entra): remove those ids;
//   - remove members without value: MemberRemoveAll;
//   - replace members: MemberReplace (MemberRemoveAll for null or []);
//   - add or replace without path (or with a schema URN path) whose value
//     object has a members member: that member becomes a change, the rest of
//     the object stays an operation.
//
// A remove through any other value filter becomes MemberRemoveMatching.
// Member sub-attributes other than value (display, type, $ref) are dropped:
// the store derives them; one the schema does not define is a 400
// invalidValue error. Anything else that touches attr (a sub-attribute such as members.display or
// members[value eq "x"].display) cannot be expressed by IDs and is a 400
// invalidPath error rather than being left to Apply, which would act on a
// group loaded without its members. A member without a string value is a
// 400 invalidValue error.
func SplitMembers(ops []Operation, rt *schema.ResourceType, attr string) (changes []MemberChange, rest []Operation, err error) {
	if rt == nil || rt.Schema == nil {
		return nil, nil, errNoResourceType
	}
	r, ok := rt.ResolvePath(attr)
	if !ok || r.Attr == nil || r.Sub != nil || !r.Attr.MultiValued || r.Attr.Sub("value") == nil {
		return nil, nil, fmt.Errorf("patch: resource type %s has no multi-valued attribute %q with a value sub-attribute", rt.Name, attr)
	}
	s := &splitter{rt: rt, attr: r.Attr, schema: r.Schema}
	for i := range ops {
		op := &ops[i]
		changed, kept, err := s.split(op)
		if err != nil {
			return nil, nil, withLabel(op.label(i), err)
		}
		changes = append(changes, changed...)
		if kept != nil {
			rest = append(rest, *kept)
		}
	}
	return changes, rest, nil
}

type splitter struct {
	rt     *schema.ResourceType
	attr   *schema.Attribute
	schema *schema.Schema
}

// split returns the membership changes of one op and what remains of it
// (the op itself when it does not touch the members, nil when nothing remains).
func (s *splitter) split(op *Operation) ([]MemberChange, *Operation, error) {
	name := strings.ToLower(op.Op)
	if op.Path == nil {
		return s.splitObject(op, name, nil)
	}
	p := op.Path
	if sch := schemaPath(p, s.rt); sch != nil {
		return s.splitObject(op, name, sch)
	}
	r, ok := s.rt.Resolve(p.Path.URN, p.Path.Attr, p.Path.Sub)
	if !ok || r.Attr != s.attr {
		return nil, op, nil // not membership; Apply reports unknown paths
	}
	if s.attr.Mutability == schema.ReadOnly {
		return nil, nil, scim.BadRequest(scim.Mutability, "attribute %q is readOnly", s.attr.Name)
	}
	if sub := cmp.Or(p.Path.Sub, p.FilterSub); sub != "" {
		sa := s.attr.Sub(sub)
		if sa == nil {
			return nil, nil, scim.BadRequest(scim.InvalidPath, "%q is not a sub-attribute of %q", sub, s.attr.Name)
		}
		// A member's sub-attributes describe the member (RFC 7643 §8.7.1
		// makes them immutable): changing one would change who is a
		// member, which is a remove and an add.
		if sa.Mutability == schema.Immutable || sa.Mutability == schema.ReadOnly {
			return nil, nil, scim.BadRequest(scim.Mutability, "%s.%s is %s: membership changes add or remove whole members", s.attr.Name, sa.Name, sa.Mutability)
		}
		return nil, nil, scim.BadRequest(scim.InvalidPath, "membership changes add or remove whole members; a path to a member's sub-attribute is not supported")
	}
	if p.Filter != nil {
		if name != OpRemove {
			return nil, nil, scim.BadRequest(scim.InvalidPath, "a value filter on %q is supported only to remove members", s.attr.Name)
		}
		ids, ok := s.filterIDs(p.Filter)
		if !ok {
			if _, err := filter.Compile(&filter.ValuePath{Path: filter.AttrPath{Attr: s.attr.Name}, Filter: p.Filter}, s.rt); err != nil {
				return nil, nil, scim.BadRequest(scim.InvalidPath, "invalid member filter: %v", err)
			}
			return []MemberChange{{Op: MemberRemoveMatching, Filter: p.Filter}}, nil, nil
		}
		return []MemberChange{{Op: MemberRemove, IDs: ids}}, nil, nil
	}
	c, err := s.change(name, op.Value)
	if err != nil {
		return nil, nil, err
	}
	return c, nil, nil
}

// change turns add, replace or remove of the whole attribute into a change.
func (s *splitter) change(op string, v any) ([]MemberChange, error) {
	switch op {
	case OpRemove:
		if v == nil {
			return []MemberChange{{Op: MemberRemoveAll}}, nil
		}
		ids, err := s.valueIDs(v)
		if err != nil || len(ids) == 0 {
			return nil, err
		}
		return []MemberChange{{Op: MemberRemove, IDs: ids}}, nil
	case OpReplace:
		ids, err := s.valueIDs(v)
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			return []MemberChange{{Op: MemberRemoveAll}}, nil
		}
		return []MemberChange{{Op: MemberReplace, IDs: ids}}, nil
	case OpAdd:
		if v == nil {
			return nil, scim.BadRequest(scim.InvalidValue, "add requires a non-null value")
		}
		ids, err := s.valueIDs(v)
		if err != nil || len(ids) == 0 {
			return nil, err
		}
		return []MemberChange{{Op: MemberAdd, IDs: ids}}, nil
	}
	return nil, scim.BadRequest(scim.InvalidSyntax, "unknown op %q; want add, replace or remove", op)
}

// splitObject handles add or replace of an object of attributes (no path,
// or a schema URN path when in is set): the members member becomes a change.
func (s *splitter) splitObject(op *Operation, name string, in *schema.Schema) ([]MemberChange, *Operation, error) {
	obj, ok := op.Value.(map[string]any)
	if !ok || name == OpRemove {
		return nil, op, nil // Apply reports the error, if any
	}
	var found bool
	var changes []MemberChange
	remaining, err := s.extract(obj, in, func(v any) error {
		found = true
		if v == nil && name == OpAdd {
			return nil
		}
		c, err := s.change(name, v)
		changes = append(changes, c...)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if !found {
		return nil, op, nil
	}
	if len(remaining) == 0 {
		return changes, nil, nil
	}
	kept := *op
	kept.Value = remaining
	return changes, &kept, nil
}

// extract calls found for every member of obj naming the members attribute
// and returns a copy of obj without them (nested schema objects included).
func (s *splitter) extract(obj map[string]any, in *schema.Schema, found func(any) error) (map[string]any, error) {
	out := make(map[string]any, len(obj))
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := obj[k]
		r, ok := resolveKey(s.rt, k, in)
		switch {
		case !ok:
			out[k] = v
		case r.Attr == nil:
			inner, isMap := v.(map[string]any)
			if !isMap || in != nil {
				out[k] = v
				continue
			}
			rest, err := s.extract(inner, r.Schema, found)
			if err != nil {
				return nil, err
			}
			if len(rest) > 0 {
				out[k] = rest
			}
		case r.Attr == s.attr && r.Sub != nil:
			return nil, scim.BadRequest(scim.InvalidPath, "membership changes add or remove whole members; %q is not supported", k)
		case r.Attr == s.attr:
			if err := found(v); err != nil {
				return nil, err
			}
		default:
			out[k] = v
		}
	}
	return out, nil
}

// valueIDs returns the ids of a value: an array (or one) of member objects
// with a "value", or of bare id strings. Duplicates are dropped.
func (s *splitter) valueIDs(v any) ([]string, error) {
	valueName := s.attr.Sub("value").Name
	var ids []string
	seen := map[string]bool{}
	for _, e := range asSlice(v) {
		if e == nil {
			continue
		}
		raw := e
		if obj, ok := e.(map[string]any); ok {
			raw = nil
			for k, v := range obj {
				if !strings.EqualFold(k, valueName) {
					// Dropped, as the store derives them, but only if
					// the schema defines them: a create or replace
					// refuses the same element too.
					if s.attr.Sub(k) == nil {
						return nil, scim.BadRequest(scim.InvalidValue, "%q is not a sub-attribute of %q", k, s.attr.Name)
					}
					continue
				}
				if raw != nil {
					return nil, scim.BadRequest(scim.InvalidValue, "a member of %q has %q more than once", s.attr.Name, valueName)
				}
				raw = v
			}
			if raw == nil {
				return nil, scim.BadRequest(scim.InvalidValue, "a member of %q has no %q", s.attr.Name, valueName)
			}
		}
		id, ok := raw.(string)
		if !ok || strings.TrimSpace(id) == "" {
			return nil, scim.BadRequest(scim.InvalidValue, "a member %s of %q must be a non-empty string", valueName, s.attr.Name)
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// filterIDs returns the ids of a filter made of value eq "id" comparisons
// joined by or; ok is false for any other filter.
func (s *splitter) filterIDs(e filter.Expr) (ids []string, ok bool) {
	seen := map[string]bool{}
	var walk func(filter.Expr) bool
	walk = func(e filter.Expr) bool {
		switch n := e.(type) {
		case *filter.Or:
			return walk(n.Left) && walk(n.Right)
		case *filter.Compare:
			// An unquoted numeric id (Entra sends unquoted values) parses
			// as a json.Number; it is still an id.
			var id string
			switch v := n.Value.(type) {
			case string:
				id = v
			case json.Number:
				id = string(v)
			default:
				return false
			}
			if n.Op != filter.Eq || n.Path.URN != "" || n.Path.Sub != "" || !strings.EqualFold(n.Path.Attr, "value") {
				return false
			}
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
			return true
		}
		return false
	}
	if !walk(e) {
		return nil, false
	}
	return ids, true
}
