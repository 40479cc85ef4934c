package oktasim

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"
)

// userBodyKeys are the top-level properties accepted in user request
// bodies: CreateUserRequest/UpdateUserRequest plus the read-only User
// properties, which are ignored so a fetched user can be sent back as is.
// Anything else is rejected as a malformed body.
var userBodyKeys = map[string]bool{"profile": true, "credentials": true, "type": true, "realmId": true,
	"id": true, "status": true, "created": true, "activated": true, "statusChanged": true, "lastLogin": true,
	"lastUpdated": true, "passwordChanged": true, "transitioningToStatus": true, "_embedded": true, "_links": true}

type userBody struct {
	profile      map[string]any
	hasProfile   bool
	password     string
	hasPassword  bool
	recoveryQ    string
	hasRecovery  bool
	providerType string
	providerName string
	groupIDs     []string
	typeID       string
}

func decodeUserBody(body []byte, create bool) (userBody, *apiError) {
	var out userBody
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return out, malformedBody()
	}
	for k, raw := range top {
		switch {
		case k == "groupIds" && create:
			if err := json.Unmarshal(raw, &out.groupIDs); err != nil {
				return out, malformedBody()
			}
		case !userBodyKeys[k]:
			return out, malformedBody()
		case k == "profile":
			p, ok := decodeObject(raw)
			if !ok {
				return out, malformedBody()
			}
			out.profile, out.hasProfile = p, true
		case k == "credentials":
			if err := decodeCredentials(raw, &out); err != nil {
				return out, err
			}
		case k == "type":
			var t map[string]json.RawMessage
			if err := json.Unmarshal(raw, &t); err != nil {
				return out, malformedBody()
			}
			for tk, tv := range t {
				if tk != "id" || json.Unmarshal(tv, &out.typeID) != nil {
					return out, malformedBody()
				}
			}
		case k == "realmId":
			var realm string
			if json.Unmarshal(raw, &realm) != nil {
				return out, malformedBody()
			}
		}
	}
	return out, nil
}

func decodeCredentials(raw json.RawMessage, out *userBody) *apiError {
	var creds map[string]json.RawMessage
	if err := json.Unmarshal(raw, &creds); err != nil {
		return malformedBody()
	}
	for k, v := range creds {
		switch k {
		case "password":
			var pw map[string]json.RawMessage
			if err := json.Unmarshal(v, &pw); err != nil {
				return malformedBody()
			}
			for pk, pv := range pw {
				switch pk {
				case "value":
					if json.Unmarshal(pv, &out.password) != nil {
						return malformedBody()
					}
					out.hasPassword = true
				case "hash", "hook":
					var obj map[string]any
					if json.Unmarshal(pv, &obj) != nil {
						return malformedBody()
					}
					// An imported hash or hook counts as a password being set.
					out.password, out.hasPassword = "\x00imported", true
					out.providerType, out.providerName = "IMPORT", "IMPORT"
				default:
					return malformedBody()
				}
			}
		case "recovery_question":
			var rq struct {
				Question string `json:"question"`
				Answer   string `json:"answer"`
			}
			dec := json.NewDecoder(strings.NewReader(string(v)))
			dec.DisallowUnknownFields()
			if dec.Decode(&rq) != nil {
				return malformedBody()
			}
			if rq.Question != "" || rq.Answer != "" {
				if rq.Question == "" || len(rq.Answer) < 4 {
					return validationError("recovery_question", "recovery_question: The security question answer must be at least 4 characters long")
				}
				out.recoveryQ, out.hasRecovery = rq.Question, true
			}
		case "provider":
			var pr struct {
				Type string `json:"type"`
				Name string `json:"name"`
			}
			dec := json.NewDecoder(strings.NewReader(string(v)))
			dec.DisallowUnknownFields()
			if dec.Decode(&pr) != nil {
				return malformedBody()
			}
			switch pr.Type {
			case "", "OKTA", "ACTIVE_DIRECTORY", "FEDERATION", "IMPORT", "LDAP", "SOCIAL":
			default:
				return validationError("provider", "provider: Invalid provider type")
			}
			if pr.Type != "" && out.providerType == "" {
				out.providerType, out.providerName = pr.Type, pr.Name
			}
		case "emails":
			// read-only, present in fetched users; ignored
		default:
			return malformedBody()
		}
	}
	return nil
}

// profileError turns validation causes into E0000001, naming the first
// offending field in the summary as Okta does ("Api validation failed: login").
func profileError(causes []string) *apiError {
	field := "profile"
	if f, _, ok := strings.Cut(causes[0], ":"); ok && !strings.Contains(f, " ") {
		field = f
	}
	return validationError(field, causes...)
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, _ []string, body []byte) *apiError {
	q := r.URL.Query()
	activate, err := parseBool(q, "activate", true)
	if err != nil {
		return err
	}
	if _, err := parseBool(q, "provider", false); err != nil {
		return err
	}
	nextLogin := q.Get("nextLogin")
	if q.Has("nextLogin") && nextLogin != "changePassword" {
		return validationError("nextLogin", "nextLogin: The value must be changePassword")
	}
	in, err := decodeUserBody(body, true)
	if err != nil {
		return err
	}
	if !in.hasProfile {
		return validationError("profile", "profile: The field cannot be left blank")
	}
	if in.typeID != "" && in.typeID != s.userTypeID {
		return validationError("type", "type: Invalid user type id "+in.typeID)
	}
	if causes := s.validateUserProfile(in.profile); len(causes) > 0 {
		return profileError(causes)
	}
	federated := in.providerType == "FEDERATION" || in.providerType == "SOCIAL"
	if federated && (in.hasPassword || in.hasRecovery) {
		return validationError("credentials", "credentials: A password or recovery question is not allowed with provider "+in.providerType)
	}
	if in.hasPassword && in.password != "\x00imported" {
		if causes := passwordCauses(in.password, in.profile); causes != nil {
			return validationError("password", causes...)
		}
	}
	if nextLogin != "" {
		if !activate {
			return &apiError{status: http.StatusBadRequest, code: codeExpireNoActivate,
				summary: "Could not create user. To create a user and expire their password immediately, `activate` must be true.",
				causes:  []string{"Could not create user. To create a user and expire their password immediately, `activate` must be true."}}
		}
		if !in.hasPassword {
			return &apiError{status: http.StatusBadRequest, code: codeExpireNoPassword,
				summary: "Could not create user. To create a user and expire their password immediately, a password must be specified.",
				causes:  []string{"Could not create user. To create a user and expire their password immediately, a password must be specified."}}
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	login, _ := in.profile["login"].(string)
	if s.logins[foldLogin(login)] != nil {
		return duplicateLogin()
	}
	groups := make([]*group, 0, len(in.groupIDs))
	for _, gid := range in.groupIDs {
		g := s.groups[gid]
		if g == nil {
			return validationError("groupIds", "groupIds: Group not found: "+gid)
		}
		if g.typ != GroupTypeOkta {
			return validationError("groupIds", "groupIds: Only OKTA_GROUP groups can be assigned: "+gid)
		}
		groups = append(groups, g)
	}
	now := s.now()
	u := &user{id: s.newID("00u"), status: StatusStaged, created: now, lastUpdated: now,
		profile: in.profile, providerType: "OKTA", providerName: "OKTA", groups: map[string]struct{}{}}
	if in.providerType != "" {
		u.providerType, u.providerName = in.providerType, in.providerName
		if u.providerName == "" {
			u.providerName = in.providerType
		}
	}
	if in.hasPassword {
		u.password, u.passwordChanged = in.password, now
	}
	u.recoveryQ = in.recoveryQ
	// NOTES.md §8: activate=true with a password (or a federated provider)
	// gives ACTIVE, without credentials PROVISIONED; activate=false STAGED.
	// Activation is asynchronous: the response shows the STAGED user
	// transitioning (see beginActivation).
	if activate {
		switch {
		case nextLogin != "":
			u.status = StatusPasswordExpired
			u.activated, u.statusChanged = now, now
		case in.hasPassword || federated:
			s.beginActivation(u, StatusActive, now)
		default:
			s.beginActivation(u, StatusProvisioned, now)
		}
	}
	s.insertUser(u)
	s.reindex(u)
	s.regroup(s.everyone)
	for _, g := range groups {
		s.addMember(g, u, now)
	}
	writeJSON(w, http.StatusOK, s.userJSON(u, s.base(r), true))
	return nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, p []string, _ []byte) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(p[0])
	if u == nil {
		return notFound(p[0], "User")
	}
	w.Header().Set("ETag", etag(u))
	writeJSON(w, http.StatusOK, s.userJSON(u, s.base(r), true))
	return nil
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, p []string, body []byte) *apiError {
	return s.writeUser(w, r, p[0], body, false)
}

func (s *Server) replaceUser(w http.ResponseWriter, r *http.Request, p []string, body []byte) *apiError {
	return s.writeUser(w, r, p[0], body, true)
}

// writeUser implements POST (partial: profile merged, null removes an
// attribute) and PUT (strict: profile replaced, unsent attributes removed).
func (s *Server) writeUser(w http.ResponseWriter, r *http.Request, key string, body []byte, replace bool) *apiError {
	if _, err := parseBool(r.URL.Query(), "strict", false); err != nil {
		return err
	}
	in, err := decodeUserBody(body, false)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(key)
	if u == nil {
		return notFound(key, "User")
	}
	s.settle(u)
	if match := r.Header.Get("If-Match"); match != "" && match != etag(u) {
		return &apiError{status: http.StatusPreconditionFailed, code: codeValidation,
			summary: "Api validation failed: If-Match", causes: []string{"If-Match: The resource has changed since the ETag was issued"}}
	}
	if in.typeID != "" && in.typeID != s.userTypeID {
		return validationError("type", "type: The user type cannot be changed")
	}
	if in.providerType != "" && in.providerType != u.providerType && in.providerType != "IMPORT" {
		return validationError("provider", "provider: The provider cannot be changed")
	}
	profile := u.profile
	if in.hasProfile {
		if u.status == StatusDeprovisioned && !s.editDeprovisoned {
			return wrongStatus()
		}
		if replace {
			profile = in.profile
		} else {
			profile = cloneProfile(u.profile)
			for k, v := range in.profile {
				if v == nil {
					delete(profile, k)
				} else {
					profile[k] = v
				}
			}
		}
		for k, v := range profile {
			if v == nil {
				delete(profile, k) // null means absent for optional attributes
				if k == "login" || k == "email" || k == "firstName" || k == "lastName" {
					profile[k] = nil // keep so validation reports it as blank
				}
			}
		}
		if causes := s.validateUserProfile(profile); len(causes) > 0 {
			return profileError(causes)
		}
		login, _ := profile["login"].(string)
		if other := s.logins[foldLogin(login)]; other != nil && other != u {
			return duplicateLogin()
		}
	}
	if in.hasPassword && in.password != "\x00imported" {
		if causes := passwordCauses(in.password, profile); causes != nil {
			return validationError("password", causes...)
		}
	}
	if in.hasPassword && in.password == "\x00imported" && u.status != StatusStaged {
		return validationError("password", "password: A hashed password can only be set for STAGED users")
	}
	now := s.now()
	if in.hasProfile {
		s.unindexLogin(u)
		u.profile = profile
		s.indexLogin(u)
	}
	if in.hasPassword {
		u.password, u.passwordChanged = in.password, now
	}
	if in.hasRecovery {
		u.recoveryQ = in.recoveryQ
	}
	u.lastUpdated = now
	s.changed(u)
	w.Header().Set("ETag", etag(u))
	writeJSON(w, http.StatusOK, s.userJSON(u, s.base(r), true))
	return nil
}

// deleteUser is two-step (spec deleteUser, NOTES.md §8): a user that is not
// DEPROVISIONED is only deactivated; deleting a DEPROVISIONED user removes it.
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, p []string, _ []byte) *apiError {
	if _, err := parseBool(r.URL.Query(), "sendEmail", false); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(p[0])
	if u == nil {
		return notFound(p[0], "User")
	}
	s.settle(u)
	now := s.now()
	if u.status != StatusDeprovisioned {
		s.deactivate(u, now)
	} else {
		s.removeUser(u, now)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deactivate moves u to DEPROVISIONED. Group memberships are dropped, as
// NOTES.md §8 states deactivation does not keep assignments.
func (s *Server) deactivate(u *user, now time.Time) {
	s.dropMemberships(u, now)
	s.setStatus(u, StatusDeprovisioned, now)
}

func (s *Server) listUserGroups(w http.ResponseWriter, r *http.Request, p []string, _ []byte) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(p[0])
	if u == nil {
		return notFound(p[0], "User")
	}
	ids := make([]string, 0, len(u.groups)+1)
	ids = append(ids, s.everyone.id)
	for gid := range u.groups {
		ids = append(ids, gid)
	}
	sort.Strings(ids)
	base := s.base(r)
	items := make([]any, 0, len(ids))
	for _, id := range ids {
		items = append(items, s.groupJSON(s.groups[id], base, false))
	}
	s.writeList(w, r, items, "")
	return nil
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, _ []string, _ []byte) *apiError {
	q := r.URL.Query()
	if q.Has("fields") {
		return &apiError{status: http.StatusNotImplemented, code: codeNotModelled, summary: "Unsupported operation.",
			causes: []string{"the Okta simulator does not model field projections (fields=)"}}
	}
	if err := exclusive(q); err != nil {
		return err
	}
	sortBy, desc, err := parseSort(q)
	if err != nil {
		return err
	}
	after := q.Get("after")
	base := s.base(r)

	switch {
	case q.Has("q"):
		// q: startsWith on firstName, lastName or email; no paging; omits
		// DEPROVISIONED (spec listUsers q).
		limit, err := parseLimit(q, userQueryLimitDefault, userLimitMax)
		if err != nil {
			return err
		}
		term := strings.ToLower(q.Get("q"))
		s.mu.Lock()
		defer s.mu.Unlock()
		page := pageByID(s.userOrder, userID, "", limit, func(u *user) bool {
			if u.deleted || u.status == StatusDeprovisioned {
				return false
			}
			for _, k := range []string{"firstName", "lastName", "email"} {
				if v, ok := u.profile[k].(string); ok && strings.HasPrefix(strings.ToLower(v), term) {
					return true
				}
			}
			return false
		})
		s.writeList(w, r, s.renderUsers(page, base), "")
		return nil

	case q.Has("search"):
		limit, err := parseLimit(q, userLimitDefault, userLimitMax)
		if err != nil {
			return err
		}
		e, err := parseExpr(q.Get("search"))
		if err != nil {
			return err
		}
		mode := s.userSearchMode()
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
		users := s.searchable()
		match := func(u *user) bool { return !u.deleted && eval(e, false, s.userGetter(u)) }
		var page []*user
		var next string
		if sortBy == "" {
			cid := ""
			if cursor != nil {
				cid = cursor.ID
			}
			page = pageByID(users, userID, cid, limit, match)
			if len(page) == limit {
				next = encodeCursor(searchCursor{ID: page[len(page)-1].id})
			}
		} else {
			var items []sortedItem[*user]
			for _, u := range users {
				if match(u) {
					items = append(items, sortedItem[*user]{key: sortKey(s.userGetter(u)(sortBy)), id: u.id, item: u})
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
		if s.searchLag > 0 {
			s.writeList(w, r, s.renderIndexed(page, base), next)
		} else {
			s.writeList(w, r, s.renderUsers(page, base), next)
		}
		return nil
	}

	limit, err := parseLimit(q, userLimitDefault, userLimitMax)
	if err != nil {
		return err
	}
	if after != "" && !isID(after, "00u") {
		return invalidCursor()
	}
	keep := func(u *user) bool { return !u.deleted && u.status != StatusDeprovisioned }
	if q.Has("filter") {
		e, err := parseExpr(q.Get("filter"))
		if err != nil {
			return err
		}
		mode := userFilterMode()
		if err := mode.validate(e); err != nil {
			return err
		}
		// filter includes DEPROVISIONED users (spec listUsers filter).
		keep = func(u *user) bool { return !u.deleted && eval(e, true, s.userGetter(u)) }
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	page := pageByID(s.userOrder, userID, after, limit, keep)
	next := ""
	if len(page) == limit {
		next = page[len(page)-1].id
	}
	s.writeList(w, r, s.renderUsers(page, base), next)
	return nil
}

func userID(u *user) string { return u.id }

func (s *Server) renderUsers(page []*user, base string) []any {
	items := make([]any, 0, len(page))
	for _, u := range page {
		items = append(items, s.userJSON(u, base, false))
	}
	return items
}

// renderIndexed renders users as the search index holds them: showing
// them completes nothing (see userJSON), since they are copies.
func (s *Server) renderIndexed(page []*user, base string) []any {
	items := make([]any, 0, len(page))
	for _, u := range page {
		items = append(items, s.userView(u, base, false))
	}
	return items
}
