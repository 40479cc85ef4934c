package local

import (
	"context"
	"time"

	"github.com/scimconnect/scimconnect/store"
)

// writeSet is what one write transaction changed, as far as the read
// cache is concerned.
type writeSet struct {
	seq     uint64    // the write's number (readCache.beginWrite)
	ids     []string  // resources whose cached copies are stale, and created ones
	earlier []string  // ids of the write's earlier attempts, whose pending marks wrote clears
	keys    []string  // index lookups whose answers may have changed
	created []*cached // new resources, to cache once committed
	through []*cached // resources as this write left them, to cache once committed
}

// changedOnce reports whether id is noted once only among the changed
// resources.
func (ws *writeSet) changedOnce(id string) bool {
	n := 0
	for _, x := range ws.ids {
		if x == id {
			n++
		}
	}
	return n == 1
}

// recordingTx notes, for the read cache, what a write transaction reads
// and writes. Reads inside a write are the pre-images of what it changes,
// so their index keys are the ones a change can make stale.
type recordingTx struct {
	store.Tx
	ws *writeSet
}

func (ws *writeSet) addKeys(r *store.Resource) {
	add := func(k store.Key, v string) {
		if v != "" {
			ws.keys = append(ws.keys, lookupKey(r.Type, k, v))
		}
	}
	add(store.KeyUserName, r.UserName)
	add(store.KeyExternalID, r.ExternalID)
	add(store.KeyDisplayName, r.DisplayName)
	for _, e := range r.Emails {
		add(store.KeyEmail, e)
	}
}

func (t recordingTx) GetResource(ctx context.Context, instance, typ, id string) (*store.Resource, error) {
	r, err := t.Tx.GetResource(ctx, instance, typ, id)
	if err == nil {
		t.ws.addKeys(r)
	}
	return r, err
}

func (t recordingTx) CreateResource(ctx context.Context, r *store.Resource) error {
	err := t.Tx.CreateResource(ctx, r)
	if err == nil {
		// Noted as changed (see readCache.changing), so that a later
		// write of the same batch that reaches the new resource keeps
		// its created copy out of the cache.
		t.ws.ids = append(t.ws.ids, r.ID)
		t.ws.addKeys(r)
	}
	return err
}

func (t recordingTx) PutResource(ctx context.Context, r *store.Resource, ifVersion int64) error {
	t.ws.ids = append(t.ws.ids, r.ID)
	t.ws.addKeys(r)
	return t.Tx.PutResource(ctx, r, ifVersion)
}

func (t recordingTx) ReplaceResource(ctx context.Context, r, prev *store.Resource) error {
	t.ws.ids = append(t.ws.ids, r.ID)
	t.ws.addKeys(prev) // the pre-image's lookups, as GetResource notes them
	t.ws.addKeys(r)
	return t.Tx.ReplaceResource(ctx, r, prev)
}

func (t recordingTx) DeleteResource(ctx context.Context, instance, typ, id string, ifVersion int64) error {
	t.ws.ids = append(t.ws.ids, id)
	return t.Tx.DeleteResource(ctx, instance, typ, id, ifVersion)
}

func (t recordingTx) TouchResources(ctx context.Context, instance string, ids []string, modified time.Time) error {
	t.ws.ids = append(t.ws.ids, ids...)
	return t.Tx.TouchResources(ctx, instance, ids, modified)
}

func (t recordingTx) AddMembers(ctx context.Context, instance, groupID string, members []store.Member) error {
	t.ws.ids = append(t.ws.ids, groupID)
	return t.Tx.AddMembers(ctx, instance, groupID, members)
}

func (t recordingTx) RemoveMembers(ctx context.Context, instance, groupID string, ids []string) error {
	t.ws.ids = append(t.ws.ids, groupID)
	return t.Tx.RemoveMembers(ctx, instance, groupID, ids)
}

func (t recordingTx) RemoveAllMembers(ctx context.Context, instance, groupID string) error {
	t.ws.ids = append(t.ws.ids, groupID)
	return t.Tx.RemoveAllMembers(ctx, instance, groupID)
}
