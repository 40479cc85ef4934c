package local

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/scimconnect/scimconnect/scim/patch"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/scim/schema"
	"github.com/scimconnect/scimconnect/store"
)

// errStale means an optimistic write could not be completed from the
// cached copy; the caller takes the exact path, which reads the store.
var errStale = errors.New("local: cached copy not usable")

// patchFromCache is the fast path of a User PATCH: it starts from the read
// cache's copy, so parsing, applying, validating and encoding run outside
// the store's single writer, which then only writes the new row, checking
// that the version is still the cached one. Anything doubtful (a failed
// precondition, a PATCH error, a version that moved: a membership change
// also moves it) returns errStale, and the exact path answers
// authoritatively. A PATCH that changes nothing writes nothing.
func (b *backend) patchFromCache(ctx context.Context, id string, ops []patch.Operation, cond provider.Precondition, want *schema.Projection) (*provider.Resource, error) {
	v := b.d.cache.get(resourceKey(b.name(), id))
	if v == nil {
		return nil, errStale
	}
	if provider.CheckPrecondition(cond, strconv.FormatInt(v.rec.Version, 10)) != nil {
		return nil, errStale
	}
	patched, err := patch.Apply(v.attrs, ops, b.typ)
	if err != nil {
		return nil, errStale
	}
	valid, err := b.typ.Validate(patched, schema.Patched, v.attrs)
	if err != nil {
		return nil, errStale
	}
	prev := v.rec
	if err := b.toRecord(&prev, v.attrs, v.pw); err != nil {
		return nil, errStale
	}
	next := v.rec
	if err := b.toRecord(&next, valid, v.pw); err != nil {
		return nil, errStale
	}
	if _, newPassword := valid["password"]; !newPassword && bytes.Equal(next.Data, prev.Data) {
		return nil, errStale // nothing to write: the exact path answers without writing
	}
	next.Modified = time.Now().UTC()
	err = b.d.update(ctx, func(tx store.Tx) error {
		if err := tx.PutResource(ctx, &next, v.rec.Version); err != nil {
			return err
		}
		if displayChanged(&v.rec, &next) {
			return b.touchRelated(ctx, tx, id)
		}
		return nil
	})
	if errors.Is(err, store.ErrVersionMismatch) || errors.Is(err, store.ErrNotFound) {
		return nil, errStale
	}
	if err != nil {
		return nil, b.storeError(err, id)
	}
	delete(valid, "password")
	res := toResource(&next, valid)
	if wants(want, b.computed()) && v.hasComputed {
		// Group changes bump the user's version, so the cached groups are
		// those of the version just replaced.
		if len(v.computed) > 0 {
			res.Attrs[b.computed()] = v.computed
		}
		return res, nil
	}
	return b.withComputed(ctx, res, want)
}
