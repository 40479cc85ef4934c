package oktasim

import (
	"slices"
	"strings"
)

// This file models the eventual consistency of user search
// (WithSearchLag): changes reach the search index a number of requests
// after they are made, and search answers from the index.

// indexUpdate is a change on its way to the search index.
type indexUpdate struct {
	id string
	u  *user // the user as changed; nil once deleted
	// due is the request count at the change plus the lag: requests
	// counted beyond it see the change.
	due uint64
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
	if s.searchLag == 0 {
		return
	}
	var snap *user
	if !u.deleted {
		snap = u.indexCopy()
	}
	s.idxQueue = append(s.idxQueue, indexUpdate{id: u.id, u: snap, due: s.received.Load() + s.searchLag})
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
	now := s.received.Load()
	n := 0
	for _, up := range s.idxQueue {
		// The queue is in change order and the lag is fixed, so due
		// never decreases along it.
		if up.due >= now {
			break
		}
		if up.u == nil {
			delete(s.searchIdx, up.id)
		} else {
			s.searchIdx[up.id] = up.u
		}
		n++
	}
	s.idxQueue = slices.Delete(s.idxQueue, 0, n)
	out := make([]*user, 0, len(s.searchIdx))
	for _, u := range s.searchIdx {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b *user) int { return strings.Compare(a.id, b.id) })
	return out
}
