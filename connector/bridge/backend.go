package bridge

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scimconnect/scimconnect/connector/mapping"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/patch"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// backend implements provider.Backend for one declared resource type over
// its Target.
type backend struct {
	conn    *Connector
	decl    *Resource
	rt      *schema.ResourceType
	m       *mapping.Mapping
	t       Target
	ver     Versioner   // nil: no versions, no ETags
	ext     ExternalIDs // nil when the target stores externalId
	log     *slog.Logger
	cursors *cursorCache
	table   mapping.Table
	// disabled are the instance's disabled attributes of this type, which
	// PATCH operations may name: they are ignored (see withoutDisabled).
	disabled []string

	// locks serialize the writes of one resource that read it first
	// (see writeLocks).
	locks writeLocks

	readOnce sync.Once
	readable map[*schema.Attribute]bool // top-level attributes read from plain target fields
	computed map[*schema.Attribute]bool // top-level attributes read from "_" fields, which only an Expander fills
}

var _ provider.Backend = (*backend)(nil)

func newBackend(c *Connector, p resourcePlan, t Target, ext ExternalIDs, log *slog.Logger) (*backend, error) {
	m, err := p.table.Compile(mapping.Options{ResourceType: p.rt, Removal: p.decl.Removal})
	if err != nil {
		return nil, fmt.Errorf("%s %s mapping: %w", c.Name, p.rt.Name, err)
	}
	b := &backend{conn: c, decl: p.decl, rt: p.rt, m: m, t: t, log: log.With("resourceType", p.rt.Name), cursors: newCursorCache(1024), table: p.table, disabled: p.disabled}
	b.ver, _ = t.(Versioner)
	for _, r := range p.table {
		if strings.EqualFold(r.SCIM, "externalId") {
			ext = nil
		}
	}
	b.ext = ext
	var missing []string
	check := func(op Op, ok bool, iface string) {
		if p.decl.Ops.Has(op) && !ok {
			missing = append(missing, fmt.Sprintf("%s needs %s", op, iface))
		}
	}
	_, creator := t.(Creator)
	_, updater := t.(Updater)
	_, replacer := t.(Replacer)
	_, deleter := t.(Deleter)
	_, lister := t.(Lister)
	_, members := t.(MemberManager)
	check(OpCreate, creator, "Creator")
	check(OpReplace, updater || replacer, "Updater or Replacer")
	check(OpPatch, updater || replacer, "Updater or Replacer")
	check(OpDelete, deleter, "Deleter")
	check(OpList, lister, "Lister")
	check(OpMembers, members && p.decl.Members != "", "MemberManager and Resource.Members")
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s %s: declared operations not implemented: %s", c.Name, p.rt.Name, strings.Join(missing, "; "))
	}
	return b, nil
}

// unsupported is the 501 answer for an operation the target lacks.
func (b *backend) unsupported(op Op) error {
	return scim.Errorf(http.StatusNotImplemented, "", "the %s target does not support %s of %s (it supports: %s)", b.conn.Name, op, b.rt.Name, b.decl.Ops)
}

func (b *backend) require(op Op) error {
	if !b.decl.Ops.Has(op) {
		return b.unsupported(op)
	}
	return nil
}

// Get implements provider.Backend.
func (b *backend) Get(ctx context.Context, id string, want *schema.Projection) (*provider.Resource, error) {
	if err := b.require(OpGet); err != nil {
		return nil, err
	}
	obj, err := b.t.Get(ctx, id)
	if err != nil {
		return nil, b.targetErr("get", err)
	}
	return b.resource(ctx, obj, want)
}

// resource maps a target object to a provider resource, expanding it
// first when the response needs computed data.
func (b *backend) resource(ctx context.Context, obj map[string]any, want *schema.Projection) (*provider.Resource, error) {
	if e, ok := b.t.(Expander); ok {
		if err := e.Expand(ctx, obj, want); err != nil {
			return nil, b.targetErr("read computed attributes", err)
		}
	}
	res, err := b.toResource(obj)
	if err != nil {
		return nil, err
	}
	if err := b.attachExternalID(ctx, res); err != nil {
		return nil, err
	}
	return res, nil
}

// attachExternalID adds the gateway-kept externalId of res, if any.
func (b *backend) attachExternalID(ctx context.Context, res *provider.Resource) error {
	if b.ext == nil {
		return nil
	}
	got, err := b.ext.Get(ctx, b.rt.Name, []string{res.ID})
	if err != nil {
		return err
	}
	if e, ok := got[res.ID]; ok {
		setExternalID(res, e)
	}
	return nil
}

// setExternalID sets a gateway-kept externalId and mixes it into the
// version: the target does not know it, so its version does not change
// when only the externalId does.
func setExternalID(res *provider.Resource, ext string) {
	res.Attrs["externalId"] = ext
	if res.Version != "" {
		h := fnv.New64a()
		_, _ = h.Write([]byte(ext))
		res.Version += "." + strconv.FormatUint(h.Sum64(), 36)
	}
}

// toResource maps without expansion or externalId.
func (b *backend) toResource(obj map[string]any) (*provider.Resource, error) {
	attrs, err := b.m.FromTarget(obj)
	if err != nil {
		return nil, fmt.Errorf("%s: map %s from target: %w", b.conn.Name, b.rt.Name, err)
	}
	id, _ := attrs["id"].(string)
	if id == "" {
		return nil, fmt.Errorf("%s: target %s without id", b.conn.Name, b.rt.Name)
	}
	res := &provider.Resource{ID: id, Attrs: attrs}
	if b.ver != nil {
		res.Version = b.ver.Version(obj)
	}
	if meta, ok := attrs["meta"].(map[string]any); ok {
		res.Created = parseTime(meta["created"])
		res.Modified = parseTime(meta["lastModified"])
	}
	if res.Modified.IsZero() {
		res.Modified = res.Created
	}
	delete(attrs, "id")
	delete(attrs, "meta")
	delete(attrs, "schemas")
	return res, nil
}

func parseTime(v any) time.Time {
	s, _ := v.(string)
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// targetErr keeps SCIM errors (httpx translations, connector refusals)
// and wraps the rest with the operation for the log.
func (b *backend) targetErr(op string, err error) error {
	var se *scim.Error
	if errors.As(err, &se) {
		return err
	}
	return fmt.Errorf("%s: %s %s: %w", b.conn.Name, op, b.rt.Name, err)
}

// Create implements provider.Backend.
func (b *backend) Create(ctx context.Context, attrs map[string]any) (*provider.Resource, error) {
	if err := b.require(OpCreate); err != nil {
		return nil, err
	}
	if err := mapping.CheckMandatory(attrs, b.decl.Mandatory); err != nil {
		return nil, err
	}
	attrs, members, err := b.takeMembers(attrs)
	if err != nil {
		return nil, err
	}
	ext, _ := attrs["externalId"].(string)
	target, unstored, err := b.m.ToTarget(attrs)
	if err != nil {
		return nil, err
	}
	b.logUnstored(ctx, unstored)
	obj, err := b.t.(Creator).Create(ctx, &Write{Target: target, After: attrs})
	if err != nil {
		return nil, b.targetErr("create", err)
	}
	res, err := b.toResource(obj)
	if err != nil {
		return nil, err
	}
	if len(members) > 0 {
		if err := b.changeMembers(ctx, res.ID, []patch.MemberChange{{Op: patch.MemberAdd, IDs: members}}); err != nil {
			return nil, b.undoCreate(ctx, res.ID, err)
		}
	}
	if b.ext != nil && ext != "" {
		if err := b.ext.Put(ctx, b.rt.Name, res.ID, ext); err != nil {
			return nil, fmt.Errorf("%s %s %q created, but its externalId was not kept: %w", b.conn.Name, b.rt.Name, res.ID, err)
		}
	}
	return b.reread(ctx, res.ID, nil)
}

// undoTimeout bounds the delete that undoes a failed create; it runs even
// when the client has gone, so that the target is not left holding it.
const undoTimeout = 30 * time.Second

// undoCreate deletes a resource the target created for a create whose
// members could not all be added (a member the target refuses, a target
// failing half-way), so that the client's error means nothing was
// created and its retry makes no duplicate. A soft-deleting target
// cannot undo it, and a delete may fail: the error then says that the
// resource exists, as the create left it.
func (b *backend) undoCreate(ctx context.Context, id string, cause error) error {
	left := fmt.Sprintf("%s %q was created but its members were not all added", b.rt.Name, id)
	d, ok := b.t.(Deleter)
	if !ok || b.decl.SoftDelete {
		return prefixErr(cause, left)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
	defer cancel()
	if err := d.Delete(ctx, id); err != nil && !isNotFound(err) {
		b.log.WarnContext(ctx, "a failed create was not undone", "type", b.rt.Name, "id", id, "error", err)
		return prefixErr(cause, left+", and deleting it again failed")
	}
	return prefixErr(cause, fmt.Sprintf("%s not created (the target's %q was deleted again) because its members could not all be added", b.rt.Name, id))
}

// reread returns the resource as the target now has it.
func (b *backend) reread(ctx context.Context, id string, want *schema.Projection) (*provider.Resource, error) {
	obj, err := b.t.Get(ctx, id)
	if err != nil {
		return nil, b.targetErr("get", err)
	}
	return b.resource(ctx, obj, want)
}

// takeMembers removes the membership attribute from attrs when the target
// changes it through membership calls, returning the member ids.
func (b *backend) takeMembers(attrs map[string]any) (map[string]any, []string, error) {
	if b.decl.Members == "" {
		return attrs, nil, nil
	}
	raw, ok := attrs[b.decl.Members]
	if !ok {
		return attrs, nil, nil
	}
	if !b.decl.Ops.Has(OpMembers) {
		return nil, nil, b.unsupported(OpMembers)
	}
	out := make(map[string]any, len(attrs))
	for k, v := range attrs {
		if k != b.decl.Members {
			out[k] = v
		}
	}
	list, _ := raw.([]any)
	ids := make([]string, 0, len(list))
	for _, m := range list {
		mm, _ := m.(map[string]any)
		id, _ := mm["value"].(string)
		if id == "" {
			return nil, nil, scim.BadRequest(scim.InvalidValue, "every member needs a value")
		}
		ids = append(ids, id)
	}
	return out, ids, nil
}

func (b *backend) logUnstored(ctx context.Context, unstored []string) {
	if len(unstored) > 0 {
		b.log.DebugContext(ctx, "attributes the target cannot store were ignored", "attributes", unstored)
	}
}

// current reads the target object and its SCIM form for a write, and
// checks the request's If-Match against its version (RFC 7644 §3.14) when
// the target has versions. Targets without versions ignore If-Match, as
// /ServiceProviderConfig says ETags are not supported. The check and the
// write are two target calls: requests through this gateway hold the
// resource's write lock across both (writeLocks), but a change made in
// between by another client of the target is not detected (the targets
// have no conditional writes).
func (b *backend) current(ctx context.Context, id string, cond provider.Precondition) (map[string]any, map[string]any, error) {
	obj, err := b.t.Get(ctx, id)
	if err != nil {
		return nil, nil, b.targetErr("get", err)
	}
	res, err := b.toResource(obj)
	if err != nil {
		return nil, nil, err
	}
	if err := b.attachExternalID(ctx, res); err != nil {
		return nil, nil, err
	}
	if b.ver != nil {
		if err := provider.CheckPrecondition(cond, res.Version); err != nil {
			return nil, nil, err
		}
	}
	return obj, res.Attrs, nil
}

// Replace implements provider.Backend (RFC 7644 §3.5.1): attributes the
// request omits are cleared on the target where it can clear them.
func (b *backend) Replace(ctx context.Context, id string, attrs map[string]any, cond provider.Precondition) (*provider.Resource, error) {
	if err := b.require(OpReplace); err != nil {
		return nil, err
	}
	if err := mapping.CheckMandatory(attrs, b.decl.Mandatory); err != nil {
		return nil, err
	}
	attrs, members, err := b.takeMembers(attrs)
	if err != nil {
		return nil, err
	}
	unlock, err := b.locks.lock(ctx, id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	obj, before, err := b.current(ctx, id, cond)
	if err != nil {
		return nil, err
	}
	if err := b.update(ctx, id, obj, before, attrs); err != nil {
		return nil, err
	}
	if b.decl.Members != "" && b.decl.Ops.Has(OpMembers) {
		ch := patch.MemberChange{Op: patch.MemberReplace, IDs: members}
		if members == nil {
			ch = patch.MemberChange{Op: patch.MemberRemoveAll}
		}
		if err := b.changeMembers(ctx, id, []patch.MemberChange{ch}); err != nil {
			return nil, err
		}
	}
	return b.reread(ctx, id, nil)
}

// update sends the smallest update turning before into after.
func (b *backend) update(ctx context.Context, id string, obj, before, after map[string]any) error {
	// The target first: it is the step that refuses writes (validation,
	// lifecycle, rate limits), and a refused write must leave the
	// externalId as it was.
	if err := b.writeTarget(ctx, id, obj, before, after); err != nil {
		return err
	}
	if b.ext != nil {
		old, _ := before["externalId"].(string)
		now, _ := after["externalId"].(string)
		if old != now {
			if err := b.ext.Put(ctx, b.rt.Name, id, now); err != nil {
				return fmt.Errorf("bridge: %s %s was updated in the target, but its new externalId was not stored: %w", b.rt.Name, id, err)
			}
		}
	}
	return nil
}

// writeTarget sends an update to the target: the changed fields to an
// Updater, the whole object to a Replacer.
func (b *backend) writeTarget(ctx context.Context, id string, obj, before, after map[string]any) error {
	w := &Write{Before: before, After: after, Current: obj}
	if u, ok := b.t.(Updater); ok {
		changes, err := b.m.Changes(before, after)
		if err != nil {
			return err
		}
		if b.decl.Removal == mapping.RemoveOmit {
			b.logUncleared(ctx, before, after)
		}
		w.Target = changes
		if _, err := u.Update(ctx, id, w); err != nil {
			return b.targetErr("update", err)
		}
		return nil
	}
	target, unstored, err := b.m.ToTarget(after)
	if err != nil {
		return err
	}
	b.logUnstored(ctx, unstored)
	w.Target = target
	if _, err := b.t.(Replacer).Replace(ctx, id, w); err != nil {
		return b.targetErr("replace", err)
	}
	return nil
}

// logUncleared says which attributes a PUT omitted that the target keeps.
func (b *backend) logUncleared(ctx context.Context, before, after map[string]any) {
	var kept []string
	for k := range before {
		if _, ok := after[k]; !ok && k != "id" && k != "meta" && k != "schemas" {
			kept = append(kept, k)
		}
	}
	if len(kept) > 0 {
		b.log.InfoContext(ctx, "the target cannot clear omitted attributes; they keep their values", "attributes", kept)
	}
}

// Patch implements provider.Backend (RFC 7644 §3.5.2): member operations
// become membership calls; the rest is applied to the current resource
// and sent as the smallest update.
func (b *backend) Patch(ctx context.Context, id string, ops []patch.Operation, cond provider.Precondition, want *schema.Projection) (*provider.Resource, error) {
	if err := b.require(OpPatch); err != nil {
		return nil, err
	}
	if len(b.disabled) > 0 {
		var ignored []string
		if ops, ignored = b.withoutDisabled(ops); len(ignored) > 0 {
			b.log.DebugContext(ctx, "disabled attributes ignored", "attributes", ignored)
		}
		if len(ops) == 0 {
			// Every operation named a disabled attribute: accepted,
			// nothing written, the resource as it is.
			obj, _, err := b.current(ctx, id, cond)
			if err != nil {
				return nil, err
			}
			return b.resource(ctx, obj, want)
		}
	}
	rest := ops
	var changes []patch.MemberChange
	if b.decl.Members != "" {
		var err error
		if changes, rest, err = patch.SplitMembers(ops, b.rt, b.decl.Members); err != nil {
			return nil, err
		}
		if len(changes) > 0 && !b.decl.Ops.Has(OpMembers) {
			return nil, b.unsupported(OpMembers)
		}
	}
	// Operations applied to the current state, and an If-Match check,
	// read before they write; membership changes alone are single calls
	// that need no lock.
	if len(rest) > 0 || (b.ver != nil && !cond.Empty()) {
		unlock, err := b.locks.lock(ctx, id)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	if len(rest) > 0 {
		obj, before, err := b.current(ctx, id, cond)
		if err != nil {
			return nil, err
		}
		patched, err := patch.Apply(before, rest, b.rt)
		if err != nil {
			return nil, err
		}
		after, err := b.rt.Validate(patched, schema.Patched, before)
		if err != nil {
			return nil, err
		}
		delete(after, "id")
		delete(after, "meta")
		// A PATCH that changes nothing (its operations set the current
		// values, or the wrapper dropped them all because they named
		// disabled attributes) writes nothing to the target.
		if !b.unchanged(before, after) {
			if err := mapping.CheckMandatory(after, b.decl.Mandatory); err != nil {
				return nil, err
			}
			if err := b.update(ctx, id, obj, before, after); err != nil {
				return nil, err
			}
		}
	} else if len(changes) > 0 {
		// Membership calls on a missing group must be a 404, not a
		// partial failure: check it exists first (and its version).
		if b.ver != nil && !cond.Empty() {
			if _, _, err := b.current(ctx, id, cond); err != nil {
				return nil, err
			}
		} else if _, err := b.t.Get(ctx, id); err != nil {
			return nil, b.targetErr("get", err)
		}
	}
	if len(changes) > 0 {
		if err := b.changeMembers(ctx, id, changes); err != nil {
			return nil, err
		}
	}
	return b.reread(ctx, id, want)
}

// withoutDisabled drops the PATCH operations whose path names a disabled
// attribute and strips disabled attributes from the values of the others
// (path-less operations, a complex attribute or an extension as a whole),
// returning what it ignored. The seeds' behaviour for disabled attributes
// is "accepted and ignored"; the provider does not check PATCH paths
// against the schema, so this is the only place that sees them.
func (b *backend) withoutDisabled(ops []patch.Operation) ([]patch.Operation, []string) {
	var ignored []string
	kept := make([]patch.Operation, 0, len(ops))
	for _, op := range ops {
		if op.Path == nil {
			if v, ok := op.Value.(map[string]any); ok {
				ignored = append(ignored, mapping.StripDisabled(v, b.disabled)...)
			}
			kept = append(kept, op)
			continue
		}
		if mapping.IsDisabled(op.RawPath, b.disabled) {
			ignored = append(ignored, op.RawPath)
			continue
		}
		if p := op.Path; p.Path.Sub == "" && p.FilterSub == "" && op.Value != nil {
			// The value holds sub-attributes (name, emails[...]) or a
			// whole extension: strip it as a body holding it would be.
			key := op.RawPath
			if i := strings.IndexByte(key, '['); i >= 0 {
				key = key[:i]
			}
			holder := map[string]any{key: op.Value}
			if found := mapping.StripDisabled(holder, b.disabled); len(found) > 0 {
				ignored = append(ignored, found...)
				v, ok := holder[key]
				if !ok {
					continue // nothing but disabled attributes
				}
				op.Value = v
			}
		}
		kept = append(kept, op)
	}
	return kept, ignored
}

// unchanged reports whether a patched resource equals the resource before
// the PATCH. Both are compared in the canonical form schema validation
// gives (after already has it), so that number types and "schemas" do not
// count as changes.
func (b *backend) unchanged(before, after map[string]any) bool {
	canon, err := b.rt.Validate(before, schema.Patched, before)
	if err != nil {
		return false
	}
	delete(canon, "id")
	delete(canon, "meta")
	return reflect.DeepEqual(canon, after)
}

// Delete implements provider.Backend.
func (b *backend) Delete(ctx context.Context, id string, cond provider.Precondition) error {
	if err := b.require(OpDelete); err != nil {
		return err
	}
	// Always locked: a PUT or PATCH in flight on id would otherwise store
	// its externalId again after this delete removed it, and a target
	// that reuses ids would hand it to the next resource.
	unlock, err := b.locks.lock(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()
	if b.ver != nil && !cond.Empty() {
		if _, _, err := b.current(ctx, id, cond); err != nil {
			return err
		}
	}
	if err := b.t.(Deleter).Delete(ctx, id); err != nil {
		return b.targetErr("delete", err)
	}
	if b.ext != nil && b.gone(ctx, id) {
		if err := b.ext.Put(ctx, b.rt.Name, id, ""); err != nil {
			b.log.WarnContext(ctx, "externalId of a deleted resource not removed", "id", id, "error", err)
		}
	}
	return nil
}

// gone reports whether a DELETE removed the resource for good, so that
// its gateway-kept externalId can go too (targets that reuse ids, such as
// a login used as id, must not inherit it). A soft-deleting target's
// first DELETE only deactivates: the resource stays readable and keeps
// its externalId, so the target is asked.
func (b *backend) gone(ctx context.Context, id string) bool {
	if !b.decl.SoftDelete {
		return true
	}
	_, err := b.t.Get(ctx, id)
	if err != nil && !isNotFound(err) {
		b.log.WarnContext(ctx, "cannot tell whether a deleted resource is gone; its externalId is kept", "id", id, "error", err)
	}
	return isNotFound(err)
}

// prefixErr adds context to an error, keeping a SCIM error's status.
func prefixErr(err error, msg string) error {
	var se *scim.Error
	if errors.As(err, &se) {
		return scim.Errorf(se.Status, se.ScimType, "%s: %s", msg, se.Detail)
	}
	return fmt.Errorf("%s: %w", msg, err)
}

func asSCIM(err error) (*scim.Error, bool) {
	var se *scim.Error
	ok := errors.As(err, &se)
	return se, ok
}
