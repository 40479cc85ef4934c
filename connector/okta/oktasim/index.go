package oktasim

import (
	"slices"
	"strings"
)

// This file models the eventual consistency of user and group search
// (WithSearchLag): changes reach the search index a number of requests
// after they are made, and search answers from the index.

// indexUpdate is a change on its way to a search index.
type indexUpdate[T any] struct {
	id  string
	obj *T // the object as changed; nil once deleted
	// due is the request count at the change plus the lag: requests
	// counted beyond it see the change.
	due uint64
}

// searchIndex is what search sees of one kind of object with a search
// lag (id → the object as last indexed), and the changes on their way
// there, in order. Guarded by Server.mu.
type searchIndex[T any] struct {
	objs  map[string]*T
	queue []indexUpdate[T]
}

func newSearchIndex[T any]() searchIndex[T] { return searchIndex[T]{objs: map[string]*T{}} }

// add queues a change made at request count now: snap is the object's
// new state, nil once deleted. Changes already due are applied first, so
// the queue holds only the last lag requests' changes, however long no
// search comes.
func (x *searchIndex[T]) add(id string, snap *T, now, lag uint64) {
	x.apply(now)
	x.queue = append(x.queue, indexUpdate[T]{id: id, obj: snap, due: now + lag})
}

// apply applies the changes that are due by request count now.
func (x *searchIndex[T]) apply(now uint64) {
	n := 0
	for _, up := range x.queue {
		// The queue is in change order and the lag is fixed, so due
		// never decreases along it.
		if up.due >= now {
			break
		}
		if up.obj == nil {
			delete(x.objs, up.id)
		} else {
			x.objs[up.id] = up.obj
		}
		n++
	}
	x.queue = slices.Delete(x.queue, 0, n)
}

// sorted applies the changes that are due by request count now and
// returns the indexed objects in id order.
func (x *searchIndex[T]) sorted(now uint64, idOf func(*T) string) []*T {
	x.apply(now)
	out := make([]*T, 0, len(x.objs))
	for _, o := range x.objs {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b *T) int { return strings.Compare(idOf(a), idOf(b)) })
	return out
}

// changed records a change to u made under s.mu, after the change: it
// moves the ETag and queues the new state for search.
func (s *Server) changed(u *user) {
	u.version++
	s.reindex(u)
}

// reindex queues u's current state (its removal once deleted) for the
// search index; without a search lag search reads the users directly.
func (s *Server) reindex(u *user) {
	queueChange(s, &s.searchIdx, u.id, u.deleted, u.indexCopy)
}

// queueChange queues an object's current state, made by snap (its
// removal once deleted), for a search index; nothing without a lag.
func queueChange[T any](s *Server, x *searchIndex[T], id string, deleted bool, snap func() *T) {
	if s.searchLag == 0 {
		return
	}
	var obj *T
	if !deleted {
		obj = snap()
	}
	x.add(id, obj, s.received.Load(), s.searchLag)
}

// indexCopy is u as the index keeps it: its own profile, no memberships
// (search has no group properties).
func (u *user) indexCopy() *user {
	c := *u
	c.profile = cloneProfile(u.profile)
	c.groups = nil
	return &c
}

// searchable returns the users search sees, in id order, after applying
// the changes that are due. Called under s.mu.
func (s *Server) searchable() []*user {
	if s.searchLag == 0 {
		return s.userOrder
	}
	return s.searchIdx.sorted(s.received.Load(), userID)
}

// regroup queues g's current state (its removal once deleted) for the
// group search index: after a change to its profile, its timestamps or
// its existence.
func (s *Server) regroup(g *group) {
	queueChange(s, &s.groupIdx, g.id, g.deleted, g.indexCopy)
}

// indexCopy is g as the index keeps it: its own profile, no members
// (search has no member properties).
func (g *group) indexCopy() *group {
	c := *g
	c.profile = cloneProfile(g.profile)
	c.members, c.sortedMembers = nil, nil
	return &c
}

// searchableGroups is searchable for groups.
func (s *Server) searchableGroups() []*group {
	if s.searchLag == 0 {
		return s.groupOrder
	}
	return s.groupIdx.sorted(s.received.Load(), groupID)
}
