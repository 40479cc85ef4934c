package oktasim

import (
	"encoding/json"
	"net/http"
	"strings"
)

// groupBodyKeys: the Group properties accepted in request bodies; all but
// profile are read-only and ignored.
var groupBodyKeys = map[string]bool{"profile": true, "id": true, "created": true, "lastUpdated": true,
	"lastMembershipUpdated": true, "objectClass": true, "type": true, "_embedded": true, "_links": true}

func decodeGroupBody(body []byte) (map[string]any, *apiError) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return nil, malformedBody()
	}
	for k := range top {
		if !groupBodyKeys[k] {
			return nil, malformedBody()
		}
	}
	raw, ok := top["profile"]
	if !ok {
		return nil, validationError("profile", "profile: The field cannot be left blank")
	}
	p, ok := decodeObject(raw)
	if !ok {
		return nil, malformedBody()
	}
	for k, v := range p {
		if v == nil {
			delete(p, k)
		}
	}
	return p, nil
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request, _ []string, body []byte) *apiError {
	profile, err := decodeGroupBody(body)
	if err != nil {
		return err
	}
	if causes := s.validateGroupProfile(profile); len(causes) > 0 {
		return profileError(causes)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groupNames[foldLogin(groupName(profile))] != nil {
		return duplicateGroupName()
	}
	now := s.now()
	g := &group{id: s.newID("00g"), typ: GroupTypeOkta, objectClass: "okta:user_group", created: now,
		lastUpdated: now, lastMembershipUpdated: now, profile: profile, members: map[string]struct{}{}}
	s.insertGroup(g)
	s.regroup(g)
	writeJSON(w, http.StatusOK, s.groupJSON(g, s.base(r), false))
	return nil
}

func wantsStats(r *http.Request) bool {
	for _, v := range strings.Split(r.URL.Query().Get("expand"), ",") {
		if strings.TrimSpace(v) == "stats" {
			return true
		}
	}
	return false
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request, p []string, _ []byte) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[p[0]]
	if g == nil {
		return notFound(p[0], "UserGroup")
	}
	writeJSON(w, http.StatusOK, s.groupJSON(g, s.base(r), wantsStats(r)))
	return nil
}

// replaceGroup: only OKTA_GROUP profiles can be replaced (spec replaceGroup).
func (s *Server) replaceGroup(w http.ResponseWriter, r *http.Request, p []string, body []byte) *apiError {
	profile, err := decodeGroupBody(body)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[p[0]]
	if g == nil {
		return notFound(p[0], "UserGroup")
	}
	if g.typ != GroupTypeOkta {
		return accessDenied()
	}
	if causes := s.validateGroupProfile(profile); len(causes) > 0 {
		return profileError(causes)
	}
	if other := s.groupNames[foldLogin(groupName(profile))]; other != nil && other != g {
		return duplicateGroupName()
	}
	delete(s.groupNames, foldLogin(groupName(g.profile)))
	g.profile = profile
	s.groupNames[foldLogin(groupName(profile))] = g
	g.lastUpdated = s.now()
	s.regroup(g)
	writeJSON(w, http.StatusOK, s.groupJSON(g, s.base(r), false))
	return nil
}

// deleteGroup: OKTA_GROUP and APP_GROUP can be deleted, BUILT_IN cannot.
func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request, p []string, _ []byte) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[p[0]]
	if g == nil {
		return notFound(p[0], "UserGroup")
	}
	if g.typ == GroupTypeBuiltIn {
		return accessDenied()
	}
	s.removeGroup(g)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request, _ []string, _ []byte) *apiError {
	q := r.URL.Query()
	if err := exclusive(q); err != nil {
		return err
	}
	sortBy, desc, err := parseSort(q)
	if err != nil {
		return err
	}
	after := q.Get("after")
	base := s.base(r)
	stats := wantsStats(r)
	render := func(page []*group) []any {
		items := make([]any, 0, len(page))
		for _, g := range page {
			items = append(items, s.groupJSON(g, base, stats))
		}
		return items
	}

	switch {
	case q.Has("q"):
		// q matches the start of the name and does not page (spec listGroups q).
		limit, err := parseLimit(q, groupQueryLimitDefault, groupLimitMax)
		if err != nil {
			return err
		}
		term := strings.ToLower(q.Get("q"))
		s.mu.Lock()
		defer s.mu.Unlock()
		page := pageByID(s.groupOrder, groupID, "", limit, func(g *group) bool {
			return !g.deleted && strings.HasPrefix(strings.ToLower(groupName(g.profile)), term)
		})
		s.writeList(w, r, render(page), "")
		return nil

	case q.Has("search"):
		limit, err := parseLimit(q, groupLimitDefault, groupLimitMax)
		if err != nil {
			return err
		}
		e, err := parseExpr(q.Get("search"))
		if err != nil {
			return err
		}
		mode := s.groupSearchMode()
		if err := mode.validate(e); err != nil {
			return err
		}
		if sortBy != "" {
			if _, ok := mode.kindOf(sortBy); !ok {
				return invalidSearch("Invalid sortBy property '" + sortBy + "'.")
			}
		}
		var cursor *searchCursor
		if after != "" {
			c, err := decodeCursor(after, sortBy, desc)
			if err != nil {
				return err
			}
			cursor = &c
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		groups := s.searchableGroups()
		match := func(g *group) bool { return !g.deleted && eval(e, false, groupGetter(g)) }
		var page []*group
		next := ""
		if sortBy == "" {
			cid := ""
			if cursor != nil {
				cid = cursor.ID
			}
			page = pageByID(groups, groupID, cid, limit, match)
			if len(page) == limit {
				next = encodeCursor(searchCursor{ID: page[len(page)-1].id})
			}
		} else {
			var items []sortedItem[*group]
			for _, g := range groups {
				if match(g) {
					items = append(items, sortedItem[*group]{key: sortKey(groupGetter(g)(sortBy)), id: g.id, item: g})
				}
			}
			sorted := pageSorted(items, cursor, desc, limit)
			for _, it := range sorted {
				page = append(page, it.item)
			}
			if len(sorted) == limit {
				last := sorted[len(sorted)-1]
				next = encodeCursor(searchCursor{SortBy: sortBy, Desc: desc, Key: last.key, ID: last.id})
			}
		}
		s.writeList(w, r, render(page), next)
		return nil
	}

	limit, err := parseLimit(q, groupLimitDefault, groupLimitMax)
	if err != nil {
		return err
	}
	if after != "" && !isID(after, "00g") {
		return invalidCursor()
	}
	keep := func(g *group) bool { return !g.deleted }
	if q.Has("filter") {
		e, err := parseExpr(q.Get("filter"))
		if err != nil {
			return err
		}
		mode := groupFilterMode()
		if err := mode.validate(e); err != nil {
			return err
		}
		keep = func(g *group) bool { return !g.deleted && eval(e, true, groupGetter(g)) }
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	page := pageByID(s.groupOrder, groupID, after, limit, keep)
	next := ""
	if len(page) == limit {
		next = page[len(page)-1].id
	}
	s.writeList(w, r, render(page), next)
	return nil
}

func groupID(g *group) string { return g.id }

// listGroupUsers pages members in user-id order; the cursor is the last
// user id. Everyone's members are all users.
func (s *Server) listGroupUsers(w http.ResponseWriter, r *http.Request, p []string, _ []byte) *apiError {
	q := r.URL.Query()
	limit, err := parseLimit(q, memberLimitDefault, memberLimitMax)
	if err != nil {
		return err
	}
	after := q.Get("after")
	if after != "" && !isID(after, "00u") {
		return invalidCursor()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[p[0]]
	if g == nil {
		return notFound(p[0], "UserGroup")
	}
	var page []*user
	if g.typ == GroupTypeBuiltIn {
		page = pageByID(s.userOrder, userID, after, limit, func(u *user) bool { return !u.deleted })
	} else {
		ids := pageByID(g.sortedMemberIDs(), func(id string) string { return id }, after, limit,
			func(string) bool { return true })
		page = make([]*user, 0, len(ids))
		for _, id := range ids {
			page = append(page, s.users[id])
		}
	}
	next := ""
	if len(page) == limit {
		next = page[len(page)-1].id
	}
	s.writeList(w, r, s.renderUsers(page, s.base(r)), next)
	return nil
}

// membership resolves the group and user of /groups/{gid}/users/{uid}; the
// user must be named by id (spec pathUserId) and the group must be an
// OKTA_GROUP (spec assignUserToGroup).
func (s *Server) membership(p []string) (*group, *user, *apiError) {
	g := s.groups[p[0]]
	if g == nil {
		return nil, nil, notFound(p[0], "UserGroup")
	}
	u := s.users[p[1]]
	if u == nil {
		return nil, nil, notFound(p[1], "User")
	}
	if g.typ != GroupTypeOkta {
		return nil, nil, accessDenied()
	}
	return g, u, nil
}

func (s *Server) assignUser(w http.ResponseWriter, _ *http.Request, p []string, _ []byte) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, u, err := s.membership(p)
	if err != nil {
		return err
	}
	s.addMember(g, u, s.now())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) unassignUser(w http.ResponseWriter, _ *http.Request, p []string, _ []byte) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, u, err := s.membership(p)
	if err != nil {
		return err
	}
	if _, ok := g.members[u.id]; ok {
		delete(g.members, u.id)
		delete(u.groups, g.id)
		g.sortedMembers = nil
		g.lastMembershipUpdated = s.now()
		s.regroup(g)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
