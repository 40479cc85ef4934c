package local

import (
	"bytes"
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scimconnect/scimconnect/internal/jsonvalue"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/filter"
	"github.com/scimconnect/scimconnect/scim/patch"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/scim/schema"
	"github.com/scimconnect/scimconnect/store"
)

type storeT = store.Store

type kind int

const (
	kindUser kind = iota
	kindGroup
)

// backend serves Users or Groups of one local directory.
type backend struct {
	d    *directory
	typ  *schema.ResourceType
	kind kind
}

var _ provider.Backend = (*backend)(nil)

func (b *backend) name() string { return b.typ.Name }

// computed is the attribute kept outside the document: User.groups or Group.members.
func (b *backend) computed() string {
	if b.kind == kindUser {
		return "groups"
	}
	return "members"
}

// storeError maps store errors to SCIM errors.
func (b *backend) storeError(err error, id string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return scim.NotFound("%s %q not found", b.name(), id)
	case errors.Is(err, store.ErrConflict):
		// Ids are made here, at random: a conflict is over the name.
		if b.kind == kindUser {
			return scim.Conflict("userName is already taken by another user")
		}
		return scim.Conflict("displayName is already taken by another group (compared without case)")
	case errors.Is(err, store.ErrVersionMismatch):
		return provider.PreconditionFailed("(changed)")
	case errors.Is(err, store.ErrContention):
		return &scim.Error{Status: http.StatusServiceUnavailable, Detail: "too many concurrent changes to the same data: nothing was changed, try again", RetryAfter: 1}
	case errors.Is(err, store.ErrValueRejected):
		return scim.BadRequest(scim.InvalidValue, "a value cannot be stored or looked up: it holds a NUL character, or a userName, externalId, displayName or e-mail address is longer than the store can index (keep them under 2,000 bytes); nothing was changed")
	}
	var se *scim.Error
	if errors.As(err, &se) {
		return se
	}
	return fmt.Errorf("local %s: %w", b.name(), err)
}

const passwordIterations = 20000

// hashPassword keeps only a salted PBKDF2 hash of a password: the local
// directory never returns it and needs it only to prove it was set.
func hashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := pbkdf2.Key(sha256.New, pw, salt, passwordIterations, 32)
	if err != nil {
		return "", err
	}
	return "pbkdf2-sha256$" + strconv.Itoa(passwordIterations) + "$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key), nil
}

// toRecord turns validated attributes into a stored document and its index
// keys. The computed attribute (groups/members) is not stored in the
// document. prevPassword keeps the stored password hash when attrs has none.
// It returns the stored attributes as decode reads them back (without the
// password hash), so a write can answer and fill the read cache without
// decoding what it just encoded, and the stored hash.
func (b *backend) toRecord(r *store.Resource, attrs map[string]any, prevPassword string) (shown map[string]any, password string, err error) {
	doc := make(map[string]any, len(attrs))
	computed := b.computed()
	for k, v := range attrs {
		switch k {
		case computed, "id", "meta", "schemas":
			continue
		}
		doc[k] = v
	}
	if pw, ok := doc["password"].(string); ok {
		h, err := hashPassword(pw)
		if err != nil {
			return nil, "", fmt.Errorf("hash password: %w", err)
		}
		doc["password"] = h
		password = h
	} else if prevPassword != "" {
		doc["password"] = prevPassword
		password = prevPassword
	}
	data, err := schema.MarshalValue(doc)
	if err != nil {
		return nil, "", fmt.Errorf("encode %s: %w", b.name(), err)
	}
	r.Data = data
	r.UserName, _ = doc["userName"].(string)
	r.ExternalID, _ = doc["externalId"].(string)
	r.DisplayName, _ = doc["displayName"].(string)
	r.Emails = nil // never append to a slice r may share (with a cached copy)
	if emails, ok := doc["emails"].([]any); ok {
		for _, e := range emails {
			if m, ok := e.(map[string]any); ok {
				if v, ok := m["value"].(string); ok && v != "" {
					r.Emails = append(r.Emails, v)
				}
			}
		}
	}
	delete(doc, "password")
	return doc, password, nil
}

// decode returns the stored document's attributes (without the password hash)
// and the hash.
func decode(r *store.Resource) (map[string]any, string, error) {
	attrs, ok := schemaObject(r.Data)
	if !ok {
		if err := json.Unmarshal(r.Data, &attrs); err != nil {
			return nil, "", fmt.Errorf("decode resource %s: %w", r.ID, err)
		}
	}
	pw, _ := attrs["password"].(string)
	delete(attrs, "password")
	return attrs, pw, nil
}

// schemaObject decodes a stored JSON object as json.Unmarshal does, on
// jsonvalue's fast path; ok is false when that cannot.
func schemaObject(data []byte) (map[string]any, bool) {
	v, ok := jsonvalue.Decode(data, jsonvalue.Options{})
	m, isObj := v.(map[string]any)
	return m, ok && isObj
}

func toResource(r *store.Resource, attrs map[string]any) *provider.Resource {
	return &provider.Resource{
		ID:       r.ID,
		Attrs:    attrs,
		Created:  r.Created,
		Modified: r.Modified,
		Version:  strconv.FormatInt(r.Version, 10),
	}
}

// wants reports whether the response needs attribute name.
func wants(p *schema.Projection, name string) bool {
	return p == nil || p.Includes(name)
}

// addComputed loads User.groups or Group.members into attrs.
func (b *backend) addComputed(ctx context.Context, tx store.Tx, id string, attrs map[string]any) error {
	if b.kind == kindUser {
		list, err := b.groupsOf(ctx, tx, id)
		if err != nil {
			return err
		}
		if len(list) > 0 {
			attrs["groups"] = list
		}
		return nil
	}
	members, err := tx.Members(ctx, b.d.instance, id)
	if err != nil {
		return err
	}
	if len(members) > 0 {
		list := make([]any, len(members))
		for i, m := range members {
			el := map[string]any{"value": m.ID, "type": m.Type}
			if m.Display != "" {
				el["display"] = m.Display
			}
			list[i] = el
		}
		attrs["members"] = list
	}
	return nil
}

// maxGroupDepth bounds how far nested groups are followed.
const maxGroupDepth = 32

// groupsOf lists the groups a user belongs to: direct memberships first,
// then the groups reached through nested groups as "indirect" (RFC 7643
// §4.1.2). Cycles are followed once.
func (b *backend) groupsOf(ctx context.Context, tx store.Tx, id string) ([]any, error) {
	all, err := b.groupsOfMany(ctx, tx, []string{id})
	return all[id], err
}

// groupsOfMany is groupsOf for many users with one store call per level of
// nesting, so a page of 100 users costs one query, not 100.
func (b *backend) groupsOfMany(ctx context.Context, tx store.Tx, ids []string) (map[string][]any, error) {
	direct, err := tx.GroupsOfMany(ctx, b.d.instance, ids)
	if err != nil || len(direct) == 0 {
		return nil, err
	}
	// Parents of every group reachable from these users, level by level.
	parents := map[string][]store.GroupRef{}
	var frontier []string
	queued := map[string]bool{}
	for _, gs := range direct {
		for _, g := range gs {
			if !queued[g.ID] {
				queued[g.ID] = true
				frontier = append(frontier, g.ID)
			}
		}
	}
	for depth := 0; len(frontier) > 0 && depth < maxGroupDepth; depth++ {
		level, err := tx.GroupsOfMany(ctx, b.d.instance, frontier)
		if err != nil {
			return nil, err
		}
		frontier = frontier[:0:0]
		for g, ps := range level {
			parents[g] = ps
			for _, p := range ps {
				if !queued[p.ID] {
					queued[p.ID] = true
					frontier = append(frontier, p.ID)
				}
			}
		}
	}
	out := make(map[string][]any, len(direct))
	for user, gs := range direct {
		seen := map[string]bool{}
		var list []any
		var walk []string
		for _, g := range gs {
			seen[g.ID] = true
			walk = append(walk, g.ID)
			list = append(list, map[string]any{"value": g.ID, "display": g.Display, "type": "direct"})
		}
		for len(walk) > 0 {
			var next []string
			for _, g := range walk {
				for _, p := range parents[g] {
					if !seen[p.ID] {
						seen[p.ID] = true
						next = append(next, p.ID)
						list = append(list, map[string]any{"value": p.ID, "display": p.Display, "type": "indirect"})
					}
				}
			}
			walk = next
		}
		out[user] = list
	}
	return out, nil
}

// withComputed adds the computed attribute to the result of a write when
// the response wants it. It reads after the write committed, in a read
// transaction: loading 10,000 members inside the write transaction would
// hold up every other writer. A write committed in between (a member added
// meanwhile) changed the version with the computed attribute, so the
// answer is then that later state, whole: a version must never come with
// content it does not have, or a client caching by ETag keeps a wrong copy.
func (b *backend) withComputed(ctx context.Context, res *provider.Resource, want *schema.Projection) (*provider.Resource, error) {
	if !wants(want, b.computed()) {
		return res, nil
	}
	err := b.d.store.View(ctx, func(tx store.Tx) error {
		r, err := tx.GetResource(ctx, b.d.instance, b.name(), res.ID)
		if err == nil && strconv.FormatInt(r.Version, 10) != res.Version {
			attrs, _, err := decode(r)
			if err != nil {
				return err
			}
			delete(attrs, b.computed())
			res = toResource(r, attrs)
		}
		return b.addComputed(ctx, tx, res.ID, res.Attrs)
	})
	if err != nil {
		return nil, b.storeError(err, res.ID)
	}
	return res, nil
}

func (b *backend) Get(ctx context.Context, id string, want *schema.Projection) (*provider.Resource, error) {
	need := wants(want, b.computed())
	key := resourceKey(b.name(), id)
	if v := b.d.cache.get(key); v != nil && (v.hasComputed || !need) {
		return v.view(b.computed(), need), nil
	}
	gen := b.d.cache.generation()
	var v *cached
	err := b.d.store.View(ctx, func(tx store.Tx) error {
		r, err := tx.GetResource(ctx, b.d.instance, b.name(), id)
		if err != nil {
			return err
		}
		attrs, pw, err := decode(r)
		if err != nil {
			return err
		}
		if need {
			if err := b.addComputed(ctx, tx, id, attrs); err != nil {
				return err
			}
		}
		v = newCached(r, attrs, pw, b.computed())
		v.hasComputed = need
		return nil
	})
	if err != nil {
		return nil, b.storeError(err, id)
	}
	b.d.cache.put(gen, key, v)
	return v.view(b.computed(), need), nil
}

// memberRefs validates member values and resolves their types with one
// store lookup; every member must exist in this directory (referential
// integrity).
func (b *backend) memberRefs(ctx context.Context, tx store.Tx, groupID string, ids []string) ([]store.Member, error) {
	unique := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id == "" {
			return nil, scim.BadRequest(scim.InvalidValue, "a member needs a non-empty \"value\"")
		}
		if id == groupID {
			return nil, scim.BadRequest(scim.InvalidValue, "a group cannot be a member of itself")
		}
		if !seen[id] {
			seen[id] = true
			unique = append(unique, id)
		}
	}
	types, err := tx.TypesOf(ctx, b.d.instance, unique)
	if err != nil {
		return nil, err
	}
	out := make([]store.Member, 0, len(unique))
	for _, id := range unique {
		typ, ok := types[id]
		if !ok {
			return nil, scim.BadRequest(scim.InvalidValue, "member %q does not exist: members must be users or groups of this directory", id)
		}
		out = append(out, store.Member{ID: id, Type: typ})
	}
	return out, nil
}

// memberIDs extracts the "value" of every element of a members array.
func memberIDs(v any) ([]string, error) {
	list, _ := v.([]any)
	ids := make([]string, 0, len(list))
	for _, el := range list {
		m, ok := el.(map[string]any)
		if !ok {
			return nil, scim.BadRequest(scim.InvalidValue, "each member must be an object with a \"value\"")
		}
		id, _ := m["value"].(string)
		if id == "" {
			return nil, scim.BadRequest(scim.InvalidValue, "a member needs a non-empty \"value\"")
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (b *backend) Create(ctx context.Context, attrs map[string]any) (*provider.Resource, error) {
	now := time.Now().UTC()
	r := &store.Resource{Instance: b.d.instance, Type: b.name(), ID: newID(), Created: now, Modified: now}
	shown, pw, err := b.toRecord(r, attrs, "")
	if err != nil {
		return nil, err
	}
	var ids []string
	if b.kind == kindGroup {
		if ids, err = memberIDs(attrs["members"]); err != nil {
			return nil, err
		}
	}
	var v *cached
	err = b.d.update(ctx, func(tx store.Tx, ws *writeSet) error {
		if err := tx.CreateResource(ctx, r); err != nil {
			return err
		}
		if len(ids) > 0 {
			members, err := b.memberRefs(ctx, tx, r.ID, ids)
			if err != nil {
				return err
			}
			if err := tx.AddMembers(ctx, b.d.instance, r.ID, members); err != nil {
				return err
			}
			if err := b.touch(ctx, tx, ids); err != nil {
				return err
			}
		}
		v = newCached(r, shown, pw, b.computed())
		// A new user belongs to no group yet: its computed attribute is
		// known (empty). A group's members are read after the commit.
		v.hasComputed = b.kind == kindUser
		ws.created = append(ws.created[:0], v)
		return nil
	})
	if err != nil {
		return nil, b.storeError(err, r.ID)
	}
	res := v.resource(b.computed(), false)
	if len(ids) == 0 {
		return res, nil
	}
	// Answer with the members as stored: with type and display.
	return b.withComputed(ctx, res, nil)
}

// current reads the resource a write changes, checks the client's
// precondition against it, and decodes it (attributes and password hash).
func (b *backend) current(ctx context.Context, tx store.Tx, id string, cond provider.Precondition) (*store.Resource, map[string]any, string, error) {
	cur, err := tx.GetResource(ctx, b.d.instance, b.name(), id)
	if err != nil {
		return nil, nil, "", err
	}
	if err := provider.CheckPrecondition(cond, strconv.FormatInt(cur.Version, 10)); err != nil {
		return nil, nil, "", err
	}
	attrs, pw, err := decode(cur)
	return cur, attrs, pw, err
}

func (b *backend) Replace(ctx context.Context, id string, attrs map[string]any, cond provider.Precondition) (*provider.Resource, error) {
	var res *provider.Resource
	err := b.d.update(ctx, func(tx store.Tx, ws *writeSet) error {
		cur, curAttrs, pw, err := b.current(ctx, tx, id, cond)
		if err != nil {
			return err
		}
		// The provider validated the body alone; immutable attributes
		// can only be checked against the stored resource (RFC 7643 §7).
		attrs, err := b.typ.Validate(attrs, schema.Replace, curAttrs)
		if err != nil {
			return err
		}
		next := *cur
		next.Modified = time.Now().UTC()
		shown, pw, err := b.toRecord(&next, attrs, pw)
		if err != nil {
			return err
		}
		if err := tx.PutResource(ctx, &next, cur.Version); err != nil {
			return err
		}
		if b.kind == kindGroup {
			ids, err := memberIDs(attrs["members"])
			if err != nil {
				return err
			}
			if err := b.applyMemberChange(ctx, tx, id, patch.MemberChange{Op: patch.MemberReplace, IDs: ids}); err != nil {
				return err
			}
			// The member replace touched the members; a rename also
			// changes the parents' members.
			if displayChanged(cur, &next) {
				if err := b.touchShowing(ctx, tx, id, nil); err != nil {
					return err
				}
			}
		} else if displayChanged(cur, &next) {
			if err := b.touchRelated(ctx, tx, id); err != nil {
				return err
			}
		}
		// Answer with what was written; the computed attribute is loaded
		// after the commit.
		v := newCached(&next, shown, pw, b.computed())
		ws.through = append(ws.through, v)
		res = v.resource(b.computed(), false)
		return nil
	})
	if err != nil {
		return nil, b.storeError(err, id)
	}
	return b.withComputed(ctx, res, nil)
}

// passwordMark stands for the stored password hash among the attributes
// a PATCH applies to, which never hold it (returned never): whatever the
// operations do to the password (remove it, replace it with null or with
// a new one) then shows in their result.
type passwordMark struct{}

// applyPatch applies ops to attrs, the attributes of a resource whose
// stored password hash is pw, and validates the result. keep is the hash
// the result keeps: pw, or "" when the operations removed the password
// (a new password in valid replaces it in toRecord either way).
func (b *backend) applyPatch(attrs map[string]any, pw string, ops []patch.Operation) (valid map[string]any, keep string, err error) {
	in := attrs
	if pw != "" {
		in = maps.Clone(attrs)
		in["password"] = passwordMark{}
	}
	patched, err := patch.Apply(in, ops, b.typ)
	if err != nil {
		return nil, "", err
	}
	if _, ok := patched["password"].(passwordMark); ok {
		delete(patched, "password")
		keep = pw
	}
	valid, err = b.typ.Validate(patched, schema.Patched, attrs)
	return valid, keep, err
}

func (b *backend) Patch(ctx context.Context, id string, ops []patch.Operation, cond provider.Precondition, want *schema.Projection) (*provider.Resource, error) {
	var changes []patch.MemberChange
	if b.kind == kindGroup {
		var err error
		changes, ops, err = patch.SplitMembers(ops, b.typ, "members")
		if err != nil {
			return nil, err
		}
	} else {
		for i, op := range ops {
			if op.Path != nil && strings.EqualFold(op.Path.Path.Attr, "groups") && op.Path.Path.URN == "" {
				return nil, scim.BadRequest(scim.Mutability, "operation %d: User groups are read-only; change memberships through the Group's members", i+1)
			}
		}
	}
	need := wants(want, b.computed())
	// A PATCH of a cached resource is worked out before the write, outside
	// the store's single writer; the write then only checks that the
	// cached version is still the stored one.
	var pre *patched
	if len(changes) == 0 && len(ops) > 0 {
		if v := b.d.cache.get(resourceKey(b.name(), id)); v != nil {
			var err error
			if pre, err = b.patchCached(v, ops, cond); err != nil {
				return nil, b.storeError(err, id)
			}
		}
	}
	var res *provider.Resource
	complete := false // res holds the computed attribute if the response needs it
	err := b.d.update(ctx, func(tx store.Tx, ws *writeSet) error {
		if pre != nil {
			nv, err := b.writePatched(ctx, tx, ws, pre, need)
			if err != nil || nv != nil {
				if nv != nil {
					res, complete = nv.resource(b.computed(), need), !need || nv.hasComputed
				}
				return err
			}
		}
		cur, attrs, pw, err := b.current(ctx, tx, id, cond)
		if err != nil {
			return err
		}
		// final and finalAttrs are what the response shows: the written
		// record and attributes, so nothing is read back.
		final, finalAttrs := cur, attrs
		if len(ops) > 0 {
			valid, keep, err := b.applyPatch(attrs, pw, ops)
			if err != nil {
				return err
			}
			next := *cur
			shown, newPW, err := b.toRecord(&next, valid, keep)
			if err != nil {
				return err
			}
			if newPW != pw || !bytes.Equal(next.Data, cur.Data) {
				next.Modified = time.Now().UTC()
				if err := tx.PutResource(ctx, &next, cur.Version); err != nil {
					return err
				}
				if displayChanged(cur, &next) {
					if err := b.touchRelated(ctx, tx, id); err != nil {
						return err
					}
				}
				final, finalAttrs, pw = &next, shown, newPW
			}
		}
		for _, c := range coalesce(changes) {
			if err := b.applyMemberChange(ctx, tx, id, c); err != nil {
				return err
			}
		}
		if len(changes) > 0 && final == cur {
			// Membership changes are changes of the group: bump its version.
			next := *cur
			next.Modified = time.Now().UTC()
			if err := tx.PutResource(ctx, &next, cur.Version); err != nil {
				return err
			}
			final = &next
		}
		v := newCached(final, finalAttrs, pw, b.computed())
		// A user's groups are one indexed query: cheaper here than in a
		// read transaction of its own afterwards.
		if b.kind == kindUser && need {
			if v.computed, err = b.groupsOf(ctx, tx, id); err != nil {
				return err
			}
			v.hasComputed = true
		}
		if final != cur {
			ws.through = append(ws.through, v)
		}
		res, complete = v.resource(b.computed(), need), !need || v.hasComputed
		return nil
	})
	if err != nil {
		return nil, b.storeError(err, id)
	}
	if complete {
		return res, nil
	}
	return b.withComputed(ctx, res, want)
}

// patched is a PATCH without member changes applied to a cached copy.
type patched struct {
	v     *cached        // the copy it was applied to
	next  store.Resource // the record to write over v.rec
	shown map[string]any // the attributes next holds
	pw    string         // the password hash next keeps or sets
}

// patchCached applies a PATCH without member changes to the cached copy v
// instead of reading the resource. It returns nil when the store must
// decide: the operations fail or change nothing on v (errors and no-ops
// are answered from the stored resource), or the client's precondition
// does not hold for v.
func (b *backend) patchCached(v *cached, ops []patch.Operation, cond provider.Precondition) (*patched, error) {
	if !cond.Empty() && provider.CheckPrecondition(cond, strconv.FormatInt(v.rec.Version, 10)) != nil {
		return nil, nil
	}
	valid, keep, err := b.applyPatch(v.attrs, v.password, ops)
	if err != nil {
		return nil, nil
	}
	p := &patched{v: v, next: v.rec}
	if p.shown, p.pw, err = b.toRecord(&p.next, valid, keep); err != nil {
		return nil, err
	}
	// A new password gets a new salt, so p.pw differs from the old hash.
	if p.pw == v.password && sameValue(p.shown, v.attrs) {
		return nil, nil
	}
	p.next.Modified = time.Now().UTC()
	return p, nil
}

// writePatched writes p on condition that the stored version is still the
// one p was applied to; it returns nil, having written nothing, when it is
// not. Once the write succeeded, the cached copy was current, its computed
// attribute included, so the resources that show this one and the
// response's computed attribute need no store reads either.
func (b *backend) writePatched(ctx context.Context, tx store.Tx, ws *writeSet, p *patched, need bool) (*cached, error) {
	next := p.next // a retried fn starts from p again
	if err := tx.ReplaceResource(ctx, &next, &p.v.rec); errors.Is(err, store.ErrVersionMismatch) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if displayChanged(&p.v.rec, &next) {
		related, ok := p.v.related()
		if !ok {
			var err error
			if related, err = b.related(ctx, tx, next.ID); err != nil {
				return nil, err
			}
		}
		if err := b.touchShowing(ctx, tx, next.ID, related); err != nil {
			return nil, err
		}
	}
	nv := newCached(&next, p.shown, p.pw, b.computed())
	nv.computed, nv.hasComputed = p.v.computed, p.v.hasComputed
	if need && !nv.hasComputed && b.kind == kindUser {
		var err error
		if nv.computed, err = b.groupsOf(ctx, tx, next.ID); err != nil {
			return nil, err
		}
		nv.hasComputed = true
	}
	ws.through = append(ws.through, nv)
	return nv, nil
}

func (b *backend) applyMemberChange(ctx context.Context, tx store.Tx, groupID string, c patch.MemberChange) error {
	switch c.Op {
	case patch.MemberAdd:
		members, err := b.memberRefs(ctx, tx, groupID, c.IDs)
		if err != nil {
			return err
		}
		if err := tx.AddMembers(ctx, b.d.instance, groupID, members); err != nil {
			return err
		}
		return b.touch(ctx, tx, c.IDs)
	case patch.MemberRemove:
		if err := tx.RemoveMembers(ctx, b.d.instance, groupID, c.IDs); err != nil {
			return err
		}
		return b.touch(ctx, tx, c.IDs)
	case patch.MemberRemoveAll, patch.MemberReplace:
		old, err := b.memberIDsOf(ctx, tx, groupID)
		if err != nil {
			return err
		}
		var members []store.Member
		if c.Op == patch.MemberReplace {
			if members, err = b.memberRefs(ctx, tx, groupID, c.IDs); err != nil {
				return err
			}
		}
		if err := tx.RemoveAllMembers(ctx, b.d.instance, groupID); err != nil {
			return err
		}
		if err := tx.AddMembers(ctx, b.d.instance, groupID, members); err != nil {
			return err
		}
		return b.touch(ctx, tx, append(old, c.IDs...))
	case patch.MemberRemoveMatching:
		// Evaluate the filter on each member as the element of a members array.
		m, err := filter.Compile(&filter.ValuePath{Path: filter.AttrPath{Attr: "members"}, Filter: c.Filter}, b.typ)
		if err != nil {
			return scim.BadRequest(scim.InvalidPath, "invalid member filter: %v", err)
		}
		members, err := tx.Members(ctx, b.d.instance, groupID)
		if err != nil {
			return err
		}
		var ids []string
		for _, mb := range members {
			el := map[string]any{"value": mb.ID, "type": mb.Type, "display": mb.Display}
			if m.Match(map[string]any{"members": []any{el}}) {
				ids = append(ids, mb.ID)
			}
		}
		if err := tx.RemoveMembers(ctx, b.d.instance, groupID, ids); err != nil {
			return err
		}
		return b.touch(ctx, tx, ids)
	}
	return scim.BadRequest(scim.InvalidValue, "unsupported member change %q", c.Op)
}

// coalesce merges consecutive adds and consecutive removes, so that a PATCH
// of fifty `remove members[value eq "id"]` operations (a common client
// shape) costs one store call, not fifty. Order between different kinds
// is kept: add X then remove X still ends without X.
func coalesce(changes []patch.MemberChange) []patch.MemberChange {
	var out []patch.MemberChange
	for _, c := range changes {
		if n := len(out); n > 0 && c.Op == out[n-1].Op && (c.Op == patch.MemberAdd || c.Op == patch.MemberRemove) {
			out[n-1].IDs = append(out[n-1].IDs, c.IDs...)
			continue
		}
		if c.Op == patch.MemberAdd || c.Op == patch.MemberRemove {
			c.IDs = append([]string(nil), c.IDs...)
		}
		out = append(out, c)
	}
	return out
}

// memberIDsOf lists the ids of a group's members.
func (b *backend) memberIDsOf(ctx context.Context, tx store.Tx, groupID string) ([]string, error) {
	members, err := tx.Members(ctx, b.d.instance, groupID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	return ids, nil
}

// groupIDsOf lists the ids of the groups a resource is a direct member of.
func (b *backend) groupIDsOf(ctx context.Context, tx store.Tx, id string) ([]string, error) {
	groups, err := tx.GroupsOf(ctx, b.d.instance, id)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(groups))
	for i, g := range groups {
		ids[i] = g.ID
	}
	return ids, nil
}

// touch bumps the version of resources whose computed attributes changed
// (a user's groups, a group's members or their display), so their ETags
// change with what a GET returns.
//
// Through nested groups a change reaches further: when a group joins or
// leaves another, or is renamed or deleted, every resource below it sees
// its indirect groups change. touch therefore also touches the transitive
// members of every touched group (rarely more than a few lookups: nested
// groups are uncommon).
func (b *backend) touch(ctx context.Context, tx store.Tx, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	all, err := b.withNestedMembers(ctx, tx, ids)
	if err != nil {
		return err
	}
	return tx.TouchResources(ctx, b.d.instance, all, time.Now().UTC())
}

// withNestedMembers returns ids plus, for those that are groups, all
// their members at any depth.
func (b *backend) withNestedMembers(ctx context.Context, tx store.Tx, ids []string) ([]string, error) {
	types, err := tx.TypesOf(ctx, b.d.instance, ids)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(ids))
	out := append([]string(nil), ids...)
	var frontier []string
	for _, id := range ids {
		seen[id] = true
		if types[id] == "Group" {
			frontier = append(frontier, id)
		}
	}
	for depth := 0; len(frontier) > 0 && depth < maxGroupDepth; depth++ {
		var next []string
		for _, gid := range frontier {
			members, err := tx.Members(ctx, b.d.instance, gid)
			if err != nil {
				return nil, err
			}
			for _, m := range members {
				if seen[m.ID] {
					continue
				}
				seen[m.ID] = true
				out = append(out, m.ID)
				if m.Type == "Group" {
					next = append(next, m.ID)
				}
			}
		}
		frontier = next
	}
	return out, nil
}

// touchRelated touches the resources that show id's display.
func (b *backend) touchRelated(ctx context.Context, tx store.Tx, id string) error {
	related, err := b.related(ctx, tx, id)
	if err != nil {
		return err
	}
	return b.touchShowing(ctx, tx, id, related)
}

// touchShowing touches what shows resource id, renamed: its related
// resources and, for a group, its parents (read here).
func (b *backend) touchShowing(ctx context.Context, tx store.Tx, id string, related []string) error {
	parents, err := b.parents(ctx, tx, id)
	if err != nil {
		return err
	}
	return b.touchShown(ctx, tx, related, parents)
}

// touchShown touches the related resources of a resource of this type
// that was renamed or deleted (see related) and, for a group, its parents
// (see parents). A user shows in its groups' members and nowhere below
// them: the groups' own members and nested groups show the groups, which
// did not change. A group shows in its members' groups and, as an
// indirect group, in everything below them; and in its parents' members,
// but not above them (the parents' parents show the parents).
func (b *backend) touchShown(ctx context.Context, tx store.Tx, related, parents []string) error {
	if b.kind == kindUser {
		if len(related) == 0 {
			return nil
		}
		return tx.TouchResources(ctx, b.d.instance, related, time.Now().UTC())
	}
	if err := b.touch(ctx, tx, related); err != nil {
		return err
	}
	if len(parents) == 0 {
		return nil
	}
	return tx.TouchResources(ctx, b.d.instance, parents, time.Now().UTC())
}

// displayChanged reports whether what other resources show of r (a
// member's or group's display) changed.
func displayChanged(before, after *store.Resource) bool {
	return before.DisplayName != after.DisplayName || before.UserName != after.UserName
}

// related lists the resources whose computed attributes show resource id:
// a group's members (User.groups) or a user's groups (Group.members).
func (b *backend) related(ctx context.Context, tx store.Tx, id string) ([]string, error) {
	if b.kind == kindGroup {
		return b.memberIDsOf(ctx, tx, id)
	}
	return b.groupIDsOf(ctx, tx, id)
}

// parents lists the groups a group is a direct member of: their members
// show the group's display, so renaming or deleting the group changes
// them too. A cached group does not know them (Group has no groups
// attribute), so they are always read; for a user they are its related
// resources already, and parents is nil. A delete must read them first:
// it drops the memberships.
func (b *backend) parents(ctx context.Context, tx store.Tx, id string) ([]string, error) {
	if b.kind == kindUser {
		return nil, nil
	}
	return b.groupIDsOf(ctx, tx, id)
}

func (b *backend) Delete(ctx context.Context, id string, cond provider.Precondition) error {
	// A cached copy that knows the related resources lets the write skip
	// reading the resource: it deletes on condition that the stored
	// version is still the cached one.
	v := b.d.cache.get(resourceKey(b.name(), id))
	if v != nil && !cond.Empty() && provider.CheckPrecondition(cond, strconv.FormatInt(v.rec.Version, 10)) != nil {
		v = nil
	}
	// deleteShowing deletes id if it is at version and touches what showed
	// it; a group's parents are read first, as the delete drops the
	// memberships.
	deleteShowing := func(tx store.Tx, version int64, related []string) error {
		parents, err := b.parents(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteResource(ctx, b.d.instance, b.name(), id, version); err != nil {
			return err
		}
		return b.touchShown(ctx, tx, related, parents)
	}
	err := b.d.update(ctx, func(tx store.Tx, ws *writeSet) error {
		if v != nil {
			if related, ok := v.related(); ok {
				err := deleteShowing(tx, v.rec.Version, related)
				if err == nil {
					ws.addKeys(&v.rec) // the pre-image's lookups, as GetResource notes them
					return nil
				}
				if !errors.Is(err, store.ErrVersionMismatch) {
					return err
				}
			}
		}
		cur, err := tx.GetResource(ctx, b.d.instance, b.name(), id)
		if err != nil {
			return err
		}
		if err := provider.CheckPrecondition(cond, strconv.FormatInt(cur.Version, 10)); err != nil {
			return err
		}
		// A cached copy of the stored version knows the related resources:
		// every membership change bumps the version of both sides.
		related, ok := []string(nil), false
		if v := b.d.cache.get(resourceKey(b.name(), id)); v != nil && v.rec.Version == cur.Version {
			related, ok = v.related()
		}
		if !ok {
			if related, err = b.related(ctx, tx, id); err != nil {
				return err
			}
		}
		return deleteShowing(tx, cur.Version, related)
	})
	if err == nil {
		// A delete shifts the index of every later resource, of this type
		// and, through memberships, nothing else.
		b.d.offsets(b.kind).reset()
	}
	return b.storeError(err, id)
}

// sameValue reports whether two attribute values encode to the same JSON.
// Numbers compare by value whatever their Go type: Validate makes int64
// what decoding reads back as float64.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			if yv, ok := y[k]; !ok || !sameValue(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	case int64:
		switch y := b.(type) {
		case int64:
			return x == y
		case float64:
			return float64(x) == y && int64(y) == x
		}
	case float64:
		switch y := b.(type) {
		case float64:
			return x == y
		case int64:
			return float64(y) == x && int64(x) == y
		}
	}
	return false // another type: assume a change, the write then proceeds
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// ContentVersioned: every change to what Get returns, memberships
// included, bumps the version (see touch), so rendered responses can be
// reused per version.
func (b *backend) ContentVersioned() bool { return true }
