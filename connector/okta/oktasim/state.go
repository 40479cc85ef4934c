package oktasim

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"
)

// ErrNotFound is returned by the seeding helpers for unknown ids.
var ErrNotFound = errors.New("oktasim: not found")

// insertUser adds u, a member of Everyone; the caller indexes u and
// Everyone for search (queued for a request, at once for seeding).
func (s *Server) insertUser(u *user) {
	s.users[u.id] = u
	s.userOrder = append(s.userOrder, u)
	s.indexLogin(u)
	s.liveUsers++
	s.everyone.lastMembershipUpdated = u.created
}

func (s *Server) indexLogin(u *user) {
	login, _ := u.profile["login"].(string)
	s.logins[foldLogin(login)] = u
	sn := shortName(login)
	s.shortNames[sn] = append(s.shortNames[sn], u.id)
}

func (s *Server) unindexLogin(u *user) {
	login, _ := u.profile["login"].(string)
	delete(s.logins, foldLogin(login))
	sn := shortName(login)
	ids := slices.DeleteFunc(s.shortNames[sn], func(id string) bool { return id == u.id })
	if len(ids) == 0 {
		delete(s.shortNames, sn)
	} else {
		s.shortNames[sn] = ids
	}
}

// removeUser deletes u permanently, with its memberships.
func (s *Server) removeUser(u *user, now time.Time) {
	s.dropMemberships(u, now)
	s.unindexLogin(u)
	delete(s.users, u.id)
	u.deleted = true
	s.reindex(u)
	s.liveUsers--
	s.deletedUsers++
	s.everyone.lastMembershipUpdated = now
	s.regroup(s.everyone)
	if s.deletedUsers > 1024 && s.deletedUsers > len(s.userOrder)/2 {
		s.userOrder = slices.DeleteFunc(s.userOrder, func(x *user) bool { return x.deleted })
		s.deletedUsers = 0
	}
}

func (s *Server) dropMemberships(u *user, now time.Time) {
	for gid := range u.groups {
		if g := s.groups[gid]; g != nil {
			delete(g.members, u.id)
			g.sortedMembers = nil
			g.lastMembershipUpdated = now
			s.regroup(g)
		}
	}
	u.groups = map[string]struct{}{}
}

func (s *Server) insertGroup(g *group) {
	s.groups[g.id] = g
	s.groupOrder = append(s.groupOrder, g)
	if g.typ == GroupTypeOkta {
		s.groupNames[foldLogin(groupName(g.profile))] = g
	}
}

func (s *Server) removeGroup(g *group) {
	for uid := range g.members {
		if u := s.users[uid]; u != nil {
			delete(u.groups, g.id)
		}
	}
	if s.groupNames[foldLogin(groupName(g.profile))] == g {
		delete(s.groupNames, foldLogin(groupName(g.profile)))
	}
	delete(s.groups, g.id)
	g.deleted = true
	s.regroup(g)
	s.deletedGroups++
	if s.deletedGroups > 256 && s.deletedGroups > len(s.groupOrder)/2 {
		s.groupOrder = slices.DeleteFunc(s.groupOrder, func(x *group) bool { return x.deleted })
		s.deletedGroups = 0
	}
}

func groupName(p map[string]any) string {
	n, _ := p["name"].(string)
	return n
}

// addMember reports whether the membership is new.
func (s *Server) addMember(g *group, u *user, now time.Time) bool {
	if _, ok := g.members[u.id]; ok {
		return false
	}
	g.members[u.id] = struct{}{}
	u.groups[g.id] = struct{}{}
	if n := len(g.sortedMembers); n > 0 && g.sortedMembers[n-1] < u.id {
		g.sortedMembers = append(g.sortedMembers, u.id) // keep cache when ids arrive in order (seeding)
	} else {
		g.sortedMembers = nil
	}
	g.lastMembershipUpdated = now
	s.regroup(g)
	return true
}

// lookupUser resolves an id, a login or an unambiguous login shortname
// (spec parameters/pathId), or "me", the API tokens' own user (spec
// getUser; WithTokenUser).
func (s *Server) lookupUser(key string) *user {
	if key == "me" {
		if s.tokenUser == "" {
			return nil
		}
		return s.logins[foldLogin(s.tokenUser)]
	}
	if u := s.users[key]; u != nil {
		return u
	}
	if u := s.logins[foldLogin(key)]; u != nil {
		return u
	}
	if !strings.Contains(key, "@") {
		if ids := s.shortNames[foldLogin(key)]; len(ids) == 1 {
			return s.users[ids[0]]
		}
	}
	return nil
}

func etag(u *user) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%d", u.id, u.version)
	return fmt.Sprintf(`W/"%x"`, h.Sum64())
}

// UserSeed describes a user to add directly, bypassing HTTP.
type UserSeed struct {
	Profile  map[string]any // validated against the profile schema
	Status   string         // default ACTIVE
	Password string         // optional; not checked against the password policy
	Created  time.Time      // default now
}

// GroupSeed describes a group to add directly, bypassing HTTP.
type GroupSeed struct {
	Profile map[string]any
	Type    string    // default OKTA_GROUP; APP_GROUP models an imported group
	Created time.Time // default now
}

var validStatuses = map[string]bool{StatusActive: true, StatusDeprovisioned: true, StatusLockedOut: true,
	StatusPasswordExpired: true, StatusProvisioned: true, StatusRecovery: true, StatusStaged: true, StatusSuspended: true}

// AddUser adds a user without HTTP, for tests and benchmarks. It enforces
// the profile schema and login uniqueness but not the password policy.
func (s *Server) AddUser(seed UserSeed) (User, error) {
	status := seed.Status
	if status == "" {
		status = StatusActive
	}
	if !validStatuses[status] {
		return User{}, fmt.Errorf("oktasim: add user: unknown status %q", status)
	}
	profile := cloneProfile(seed.Profile)
	s.mu.Lock()
	defer s.mu.Unlock()
	if causes := s.validateUserProfile(profile); len(causes) > 0 {
		return User{}, fmt.Errorf("oktasim: add user: %w", validationError("profile", causes...))
	}
	login, _ := profile["login"].(string)
	if s.logins[foldLogin(login)] != nil {
		return User{}, fmt.Errorf("oktasim: add user %q: %w", login, duplicateLogin())
	}
	now := s.now()
	created := seed.Created
	if created.IsZero() {
		created = now
	}
	u := &user{id: s.newID("00u"), status: status, created: created, lastUpdated: created,
		statusChanged: created, profile: profile, password: seed.Password,
		providerType: "OKTA", providerName: "OKTA", groups: map[string]struct{}{}}
	if status != StatusStaged {
		u.activated = created
	}
	if status == StatusStaged {
		u.statusChanged = time.Time{}
	}
	if seed.Password != "" {
		u.passwordChanged = created
	}
	s.insertUser(u)
	if s.searchLag > 0 {
		// Seeded users exist before any search; seeding makes no request
		// that a queued change could wait for.
		s.searchIdx.objs[u.id] = u.indexCopy()
		s.groupIdx.objs[s.everyone.id] = s.everyone.indexCopy()
	}
	return u.snapshot(), nil
}

// AddGroup adds a group without HTTP, for tests and benchmarks.
func (s *Server) AddGroup(seed GroupSeed) (Group, error) {
	typ := seed.Type
	if typ == "" {
		typ = GroupTypeOkta
	}
	if typ != GroupTypeOkta && typ != GroupTypeApp {
		return Group{}, fmt.Errorf("oktasim: add group: unsupported type %q", typ)
	}
	profile := cloneProfile(seed.Profile)
	s.mu.Lock()
	defer s.mu.Unlock()
	if typ == GroupTypeOkta {
		if causes := s.validateGroupProfile(profile); len(causes) > 0 {
			return Group{}, fmt.Errorf("oktasim: add group: %w", validationError("profile", causes...))
		}
		if s.groupNames[foldLogin(groupName(profile))] != nil {
			return Group{}, fmt.Errorf("oktasim: add group: %w", duplicateGroupName())
		}
	}
	created := seed.Created
	if created.IsZero() {
		created = s.now()
	}
	class := "okta:user_group"
	if typ == GroupTypeApp {
		class = "okta:windows_security_principal"
	}
	g := &group{id: s.newID("00g"), typ: typ, objectClass: class, created: created, lastUpdated: created,
		lastMembershipUpdated: created, profile: profile, members: map[string]struct{}{}}
	s.insertGroup(g)
	if s.searchLag > 0 {
		s.groupIdx.objs[g.id] = g.indexCopy() // seeded groups exist before any search
	}
	return g.snapshot(), nil
}

// AddMember adds a user to a group (any type) without HTTP.
func (s *Server) AddMember(groupID, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, u := s.groups[groupID], s.users[userID]
	if g == nil || g.typ == GroupTypeBuiltIn {
		return fmt.Errorf("oktasim: add member: group %q: %w", groupID, ErrNotFound)
	}
	if u == nil {
		return fmt.Errorf("oktasim: add member: user %q: %w", userID, ErrNotFound)
	}
	s.addMember(g, u, s.now())
	return nil
}

// SetUserStatus forces a user's status, e.g. to seed LOCKED_OUT users.
func (s *Server) SetUserStatus(userID, status string) error {
	if !validStatuses[status] {
		return fmt.Errorf("oktasim: set user status: unknown status %q", status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		return fmt.Errorf("oktasim: set user status: user %q: %w", userID, ErrNotFound)
	}
	now := s.now()
	u.transitioningTo = ""
	s.setStatus(u, status, now)
	return nil
}

// User returns a snapshot of a user by id, login or unambiguous shortname.
func (s *Server) User(idOrLogin string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(idOrLogin)
	if u == nil {
		return User{}, false
	}
	return u.snapshot(), true
}

// Group returns a snapshot of a group by id.
func (s *Server) Group(id string) (Group, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[id]
	if g == nil {
		return Group{}, false
	}
	return g.snapshot(), true
}

// Users returns snapshots of all users (any status) in id order.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, s.liveUsers)
	for _, u := range s.userOrder {
		if !u.deleted {
			out = append(out, u.snapshot())
		}
	}
	return out
}

// Groups returns snapshots of all groups, Everyone included, in id order.
func (s *Server) Groups() []Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Group, 0, len(s.groups))
	for _, g := range s.groupOrder {
		if !g.deleted {
			out = append(out, g.snapshot())
		}
	}
	return out
}

// beginActivation starts an activation. Okta activates asynchronously
// (spec createUser and activateUser: "Activation of a user is an
// asynchronous operation"; "The user has the transitioningToStatus property
// with an ACTIVE value during activation"; NOTES.md §8): the user keeps its
// status and shows transitioningToStatus until the activation completes.
// Here it completes right after the first response that shows the user
// (userJSON) or before anything else is done to it (settle), so that the
// look a client takes right after activating is the one that sees it in
// progress, deterministically.
func (s *Server) beginActivation(u *user, to string, now time.Time) {
	u.transitioningTo = to
	u.lastUpdated = now
	s.changed(u)
}

// settle completes a pending activation, dated when it began: the user's
// timestamps do not move when it completes, only status and activated do.
func (s *Server) settle(u *user) {
	if u.transitioningTo == "" {
		return
	}
	u.status, u.transitioningTo = u.transitioningTo, ""
	u.statusChanged, u.activated = u.lastUpdated, u.lastUpdated
	s.changed(u)
}

func (s *Server) setStatus(u *user, status string, now time.Time) {
	if u.status == status {
		return
	}
	u.status = status
	u.statusChanged = now
	u.lastUpdated = now
	if status == StatusActive && u.activated.IsZero() {
		u.activated = now
	}
	s.changed(u)
}

func duplicateLogin() *apiError {
	return validationError("login", "login: An object with this field already exists in the current organization")
}

func duplicateGroupName() *apiError {
	return validationError("name", "name: An object with this field already exists in the current organization")
}
