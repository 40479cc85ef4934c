package bareserver

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scimconnect/scimconnect/scim"
)

// Paging limits (RFC 7644 §3.4.2.4 leaves both to the service provider).
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// maxBody bounds a request body; a 10,000-member replace is well under it.
const maxBody = 8 << 20

// member is one value of a Group's members attribute (RFC 7643 §4.2).
type member struct {
	Value   string `json:"value"`
	Display string `json:"display,omitempty"`
	Type    string `json:"type,omitempty"`
}

// group is a published Group; members is never modified in place, so a
// reader may encode it after releasing the lock.
type group struct {
	id          string
	displayName string
	externalID  string
	members     []member
	created     time.Time
	modified    time.Time
}

// server holds all state behind one RWMutex, as a typical small Go service would.
type server struct {
	token []byte

	mu sync.RWMutex
	// users maps id to the published resource; a published map is never
	// mutated, writers replace it.
	users map[string]map[string]any
	// userIDs maps the lower-cased userName to the id: userName is unique
	// and case-insensitive (RFC 7643 §4.1.1).
	userIDs map[string]string
	// order lists user ids in insertion order for index paging; deleted
	// ids stay as "" until the next list compacts it.
	order     []string
	orderDead int
	// orderPos maps a live id to its index in order.
	orderPos map[string]int
	groups   map[string]*group
	// memberSets mirrors each group's members for O(1) dedupe; only
	// touched under the write lock.
	memberSets map[string]map[string]struct{}
}

// New returns the bare SCIM handler, rooted at "/", that accepts only
// requests bearing "Authorization: Bearer token".
func New(token string) http.Handler {
	s := &server{
		token:      []byte(token),
		users:      make(map[string]map[string]any),
		userIDs:    make(map[string]string),
		orderPos:   make(map[string]int),
		groups:     make(map[string]*group),
		memberSets: make(map[string]map[string]struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /Users", s.createUser)
	mux.HandleFunc("GET /Users", s.listUsers)
	mux.HandleFunc("GET /Users/{id}", s.getUser)
	mux.HandleFunc("PATCH /Users/{id}", s.patchUser)
	mux.HandleFunc("DELETE /Users/{id}", s.deleteUser)
	mux.HandleFunc("POST /Groups", s.createGroup)
	mux.HandleFunc("GET /Groups/{id}", s.getGroup)
	mux.HandleFunc("PATCH /Groups/{id}", s.patchGroup)
	mux.HandleFunc("DELETE /Groups/{id}", s.deleteGroup)
	mux.HandleFunc("GET /ServiceProviderConfig", s.serviceProviderConfig)
	return s.authenticate(mux)
}

// authenticate enforces the bearer token (RFC 7644 §2, RFC 6750 §2.1).
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), s.token) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
			writeError(w, scim.Errorf(http.StatusUnauthorized, "", "missing or invalid bearer token"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *server) createUser(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := decodeBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	userName, _ := body["userName"].(string)
	if userName == "" {
		writeError(w, scim.BadRequest(scim.InvalidValue, "userName is required"))
		return
	}
	id := newID()
	now := time.Now().UTC()
	body["id"] = id
	body["meta"] = meta("User", location(r, "/Users/", id), now, now)
	delete(body, "password") // returned "never" (RFC 7643 §4.1.1)

	key := strings.ToLower(userName)
	s.mu.Lock()
	if _, taken := s.userIDs[key]; taken {
		s.mu.Unlock()
		writeError(w, scim.Conflict("userName %q is already taken", userName))
		return
	}
	s.users[id] = body
	s.userIDs[key] = id
	s.orderPos[id] = len(s.order)
	s.order = append(s.order, id)
	s.mu.Unlock()

	w.Header().Set("Location", location(r, "/Users/", id))
	writeJSON(w, http.StatusCreated, body)
}

func (s *server) getUser(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	user, ok := s.users[r.PathValue("id")]
	s.mu.RUnlock()
	if !ok {
		writeError(w, scim.NotFound("user %q not found", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, user)
}

// listResponse is the RFC 7644 §3.4.2 query response.
type listResponse struct {
	Schemas      []string         `json:"schemas"`
	TotalResults int              `json:"totalResults"`
	StartIndex   int              `json:"startIndex"`
	ItemsPerPage int              `json:"itemsPerPage"`
	Resources    []map[string]any `json:"Resources"`
}

func (s *server) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if _, ok := q["cursor"]; ok {
		writeError(w, scim.BadRequest(scim.InvalidCursor, "cursor pagination is not supported"))
		return
	}
	startIndex, count, err := pageParams(q.Get("startIndex"), q.Get("count"))
	if err != nil {
		writeError(w, err)
		return
	}
	resp := listResponse{Schemas: []string{scim.ListResponseSchema}, StartIndex: startIndex, Resources: []map[string]any{}}

	if f := q.Get("filter"); f != "" {
		userName, err := parseUserNameEq(f)
		if err != nil {
			writeError(w, err)
			return
		}
		s.mu.RLock()
		user, found := s.users[s.userIDs[strings.ToLower(userName)]]
		s.mu.RUnlock()
		if found {
			resp.TotalResults = 1
			if startIndex == 1 && count > 0 {
				resp.Resources = append(resp.Resources, user)
			}
		}
		resp.ItemsPerPage = len(resp.Resources)
		writeJSON(w, http.StatusOK, resp)
		return
	}

	s.mu.RLock()
	if s.orderDead > 0 {
		s.mu.RUnlock()
		s.mu.Lock()
		s.compactOrder()
		s.mu.Unlock()
		s.mu.RLock()
	}
	// A delete between the two locks leaves a tombstone: skip it.
	resp.TotalResults = len(s.order) - s.orderDead
	for i := startIndex - 1; i < len(s.order) && len(resp.Resources) < count; i++ {
		if id := s.order[i]; id != "" {
			resp.Resources = append(resp.Resources, s.users[id])
		}
	}
	s.mu.RUnlock()
	resp.ItemsPerPage = len(resp.Resources)
	writeJSON(w, http.StatusOK, resp)
}

// compactOrder drops the ids of deleted users; callers hold the write lock.
// Deferring it to the next list keeps a DELETE O(1).
func (s *server) compactOrder() {
	if s.orderDead == 0 {
		return
	}
	live := s.order[:0]
	for _, id := range s.order {
		if id != "" {
			s.orderPos[id] = len(live)
			live = append(live, id)
		}
	}
	clear(s.order[len(live):])
	s.order = live
	s.orderDead = 0
}

// patchRequest is the RFC 7644 §3.5.2 PatchOp message.
type patchRequest struct {
	Schemas    []string `json:"schemas"`
	Operations []struct {
		Op    string          `json:"op"`
		Path  string          `json:"path"`
		Value json.RawMessage `json:"value"`
	} `json:"Operations"`
}

func (s *server) patchUser(w http.ResponseWriter, r *http.Request) {
	var req patchRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	// Decode values before taking the lock.
	type change struct {
		remove bool
		attrs  map[string]any
	}
	changes := make([]change, 0, len(req.Operations))
	for _, op := range req.Operations {
		c, err := userChange(op.Op, op.Path, op.Value)
		if err != nil {
			writeError(w, err)
			return
		}
		changes = append(changes, change{remove: strings.EqualFold(op.Op, "remove"), attrs: c})
	}

	id := r.PathValue("id")
	s.mu.Lock()
	old, ok := s.users[id]
	if !ok {
		s.mu.Unlock()
		writeError(w, scim.NotFound("user %q not found", id))
		return
	}
	next := maps.Clone(old)
	for _, c := range changes {
		for k, v := range c.attrs {
			if c.remove {
				delete(next, k)
			} else {
				next[k] = v
			}
		}
	}
	oldName, _ := old["userName"].(string)
	newName, _ := next["userName"].(string)
	if newName == "" {
		s.mu.Unlock()
		writeError(w, scim.BadRequest(scim.Mutability, "userName is required"))
		return
	}
	if !strings.EqualFold(oldName, newName) {
		if _, taken := s.userIDs[strings.ToLower(newName)]; taken {
			s.mu.Unlock()
			writeError(w, scim.Conflict("userName %q is already taken", newName))
			return
		}
		delete(s.userIDs, strings.ToLower(oldName))
		s.userIDs[strings.ToLower(newName)] = id
	}
	next["id"] = id
	oldMeta, _ := old["meta"].(map[string]any)
	created, _ := oldMeta["created"].(string)
	next["meta"] = metaRaw("User", location(r, "/Users/", id), created, time.Now().UTC())
	s.users[id] = next
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, next)
}

// userChange turns one PATCH operation on a User into the top-level
// attributes it sets (add, replace) or removes (remove). Only simple
// top-level paths, or no path with an object value, are supported.
func userChange(op, path string, raw json.RawMessage) (map[string]any, error) {
	switch strings.ToLower(op) {
	case "add", "replace":
		if path == "" {
			var attrs map[string]any
			if err := json.Unmarshal(raw, &attrs); err != nil {
				return nil, scim.BadRequest(scim.InvalidValue, "value must be an object without a path: %v", err)
			}
			delete(attrs, "id")
			delete(attrs, "meta")
			return attrs, nil
		}
		if strings.ContainsAny(path, ".[:") || path == "id" || path == "meta" {
			return nil, scim.BadRequest(scim.InvalidPath, "path %q is not supported", path)
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, scim.BadRequest(scim.InvalidValue, "value of %q: %v", path, err)
		}
		return map[string]any{path: v}, nil
	case "remove":
		if path == "" || strings.ContainsAny(path, ".[:") || path == "id" || path == "meta" {
			return nil, scim.BadRequest(scim.InvalidPath, "path %q is not supported", path)
		}
		return map[string]any{path: nil}, nil
	default:
		return nil, scim.BadRequest(scim.InvalidSyntax, "unknown op %q", op)
	}
}

func (s *server) deleteUser(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	user, ok := s.users[id]
	if ok {
		delete(s.users, id)
		name, _ := user["userName"].(string)
		delete(s.userIDs, strings.ToLower(name))
		// Tombstone the id; the next list compacts, so a DELETE is O(1).
		s.order[s.orderPos[id]] = ""
		delete(s.orderPos, id)
		s.orderDead++
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, scim.NotFound("user %q not found", id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// groupBody is a Group on the wire, in and out.
type groupBody struct {
	Schemas     []string       `json:"schemas"`
	ID          string         `json:"id,omitempty"`
	ExternalID  string         `json:"externalId,omitempty"`
	DisplayName string         `json:"displayName"`
	Members     []member       `json:"members,omitempty"`
	Meta        map[string]any `json:"meta,omitempty"`
}

func (s *server) createGroup(w http.ResponseWriter, r *http.Request) {
	var body groupBody
	if err := decodeBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	if body.DisplayName == "" {
		writeError(w, scim.BadRequest(scim.InvalidValue, "displayName is required"))
		return
	}
	now := time.Now().UTC()
	g := &group{id: newID(), displayName: body.DisplayName, externalID: body.ExternalID, created: now, modified: now}
	set := make(map[string]struct{}, len(body.Members))
	for _, m := range body.Members {
		if _, dup := set[m.Value]; m.Value == "" || dup {
			continue
		}
		set[m.Value] = struct{}{}
		g.members = append(g.members, m)
	}
	s.mu.Lock()
	s.groups[g.id] = g
	s.memberSets[g.id] = set
	s.mu.Unlock()

	w.Header().Set("Location", location(r, "/Groups/", g.id))
	writeJSON(w, http.StatusCreated, render(r, g))
}

func (s *server) getGroup(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	g, ok := s.groups[r.PathValue("id")]
	s.mu.RUnlock()
	if !ok {
		writeError(w, scim.NotFound("group %q not found", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, render(r, g))
}

// groupOp is one decoded PATCH operation on a Group.
type groupOp struct {
	kind        string // "add", "remove", "replace"
	members     []member
	removeAll   bool   // remove "members" without a value (RFC 7644 §3.5.2.2)
	displayName string // for replace/add of displayName; "" if untouched
}

func (s *server) patchGroup(w http.ResponseWriter, r *http.Request) {
	var req patchRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	ops := make([]groupOp, 0, len(req.Operations))
	for _, op := range req.Operations {
		g, err := parseGroupOp(op.Op, op.Path, op.Value)
		if err != nil {
			writeError(w, err)
			return
		}
		ops = append(ops, g)
	}

	id := r.PathValue("id")
	s.mu.Lock()
	old, ok := s.groups[id]
	if !ok {
		s.mu.Unlock()
		writeError(w, scim.NotFound("group %q not found", id))
		return
	}
	set := s.memberSets[id]
	next := *old
	// orig remembers, for each value an operation touched, whether it was a
	// member before this PATCH, so the result keeps old members in place
	// and appends only new ones, whatever the order of operations.
	orig := make(map[string]bool)
	touch := func(v string) {
		if _, seen := orig[v]; !seen {
			_, in := set[v]
			orig[v] = in
		}
	}
	var added []member
	for _, op := range ops {
		if op.displayName != "" {
			next.displayName = op.displayName
		}
		if op.removeAll || op.kind == "replace" {
			for v := range set {
				touch(v)
			}
			clear(set)
		}
		for _, m := range op.members {
			if m.Value == "" {
				continue
			}
			touch(m.Value)
			if op.kind == "remove" {
				delete(set, m.Value)
				continue
			}
			if _, in := set[m.Value]; !in {
				set[m.Value] = struct{}{}
				added = append(added, m)
			}
		}
	}
	if len(orig) > 0 {
		// Readers may still be encoding old.members, so its first
		// len(old.members) elements are never written again. Without
		// removals the new members go after them, in place when capacity
		// allows (no reader looks past its own length); with removals
		// the survivors are copied to a fresh slice.
		removedAny := false
		for v, was := range orig {
			if _, in := set[v]; was && !in {
				removedAny = true
				break
			}
		}
		members := old.members
		if removedAny {
			members = make([]member, 0, len(set))
			for _, m := range old.members {
				if _, touched := orig[m.Value]; touched {
					if _, in := set[m.Value]; !in {
						continue
					}
				}
				members = append(members, m)
			}
		}
		for _, m := range added {
			if _, in := set[m.Value]; in && !orig[m.Value] {
				members = append(members, m)
				orig[m.Value] = true // emit once
			}
		}
		next.members = members
	}
	next.modified = time.Now().UTC()
	s.groups[id] = &next
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, render(r, &next))
}

// parseGroupOp decodes the operations scimbench and typical clients send
// on Groups: "members" with a value array, members[value eq "x"], no path
// with an object value, and displayName.
func parseGroupOp(op, path string, raw json.RawMessage) (groupOp, error) {
	g := groupOp{kind: strings.ToLower(op)}
	if g.kind != "add" && g.kind != "remove" && g.kind != "replace" {
		return g, scim.BadRequest(scim.InvalidSyntax, "unknown op %q", op)
	}
	lower := strings.ToLower(path)
	switch {
	case path == "":
		if g.kind == "remove" {
			return g, scim.BadRequest(scim.NoTarget, "remove needs a path")
		}
		var body struct {
			DisplayName string   `json:"displayName"`
			Members     []member `json:"members"`
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			return g, scim.BadRequest(scim.InvalidValue, "value must be an object without a path: %v", err)
		}
		g.displayName, g.members = body.DisplayName, body.Members
		if g.kind == "replace" && body.Members == nil {
			g.kind = "add" // only displayName changes; keep members
		}
	case lower == "displayname":
		if g.kind == "remove" {
			return g, scim.BadRequest(scim.Mutability, "displayName is required")
		}
		if err := json.Unmarshal(raw, &g.displayName); err != nil || g.displayName == "" {
			return g, scim.BadRequest(scim.InvalidValue, "displayName must be a non-empty string")
		}
		g.kind = "add"
	case lower == "members":
		if g.kind == "remove" && len(raw) == 0 {
			g.removeAll = true
			return g, nil
		}
		if err := json.Unmarshal(raw, &g.members); err != nil {
			return g, scim.BadRequest(scim.InvalidValue, "members value must be an array of {value}: %v", err)
		}
	case strings.HasPrefix(lower, "members[") && strings.HasSuffix(path, "]"):
		if g.kind != "remove" {
			return g, scim.BadRequest(scim.InvalidPath, "only remove takes a members filter here")
		}
		v, err := parseValueEq(path[len("members[") : len(path)-1])
		if err != nil {
			return g, err
		}
		g.members = []member{{Value: v}}
	default:
		return g, scim.BadRequest(scim.InvalidPath, "path %q is not supported", path)
	}
	return g, nil
}

func (s *server) deleteGroup(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	_, ok := s.groups[id]
	delete(s.groups, id)
	delete(s.memberSets, id)
	s.mu.Unlock()
	if !ok {
		writeError(w, scim.NotFound("group %q not found", id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// serviceProviderConfig answers RFC 7643 §5, with the RFC 9865 §4
// pagination attribute saying that only index pagination is offered.
func (s *server) serviceProviderConfig(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":               []string{scim.ServiceProviderConfigSchema},
		"patch":                 map[string]any{"supported": true},
		"bulk":                  map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":                map[string]any{"supported": true, "maxResults": maxPageSize},
		"changePassword":        map[string]any{"supported": false},
		"sort":                  map[string]any{"supported": false},
		"etag":                  map[string]any{"supported": false},
		"authenticationSchemes": []any{map[string]any{"type": "oauthbearertoken", "name": "Bearer token", "description": "RFC 6750 bearer token"}},
		"pagination":            map[string]any{"cursor": false, "index": true, "defaultPaginationMethod": "index", "defaultPageSize": defaultPageSize, "maxPageSize": maxPageSize},
	})
}

// render shapes a Group for a response, leaving members out when the
// request says excludedAttributes=members (RFC 7644 §3.4.2.5).
func render(r *http.Request, g *group) groupBody {
	b := groupBody{
		Schemas:     []string{scim.GroupSchema},
		ID:          g.id,
		ExternalID:  g.externalID,
		DisplayName: g.displayName,
		Members:     g.members,
		Meta:        meta("Group", location(r, "/Groups/", g.id), g.created, g.modified),
	}
	for _, attr := range strings.Split(r.URL.Query().Get("excludedAttributes"), ",") {
		if strings.EqualFold(strings.TrimSpace(attr), "members") {
			b.Members = nil
		}
	}
	return b
}

// pageParams reads startIndex and count (RFC 7644 §3.4.2.4): startIndex
// below 1 means 1, a negative count means 0, and count is capped.
func pageParams(startParam, countParam string) (startIndex, count int, err error) {
	startIndex, count = 1, defaultPageSize
	if startParam != "" {
		if startIndex, err = strconv.Atoi(startParam); err != nil {
			return 0, 0, scim.BadRequest(scim.InvalidValue, "startIndex %q is not an integer", startParam)
		}
		startIndex = max(startIndex, 1)
	}
	if countParam != "" {
		if count, err = strconv.Atoi(countParam); err != nil {
			return 0, 0, scim.BadRequest(scim.InvalidValue, "count %q is not an integer", countParam)
		}
		count = min(max(count, 0), maxPageSize)
	}
	return startIndex, count, nil
}

// parseUserNameEq accepts exactly `userName eq "x"`: attribute names and
// operators are case-insensitive (RFC 7644 §3.4.2.2).
func parseUserNameEq(filter string) (string, error) {
	attr, rest, _ := strings.Cut(strings.TrimSpace(filter), " ")
	op, value, _ := strings.Cut(strings.TrimSpace(rest), " ")
	var s string
	if !strings.EqualFold(attr, "userName") || !strings.EqualFold(op, "eq") || json.Unmarshal([]byte(strings.TrimSpace(value)), &s) != nil {
		return "", scim.BadRequest(scim.InvalidFilter, "only userName eq \"value\" is supported, got %q", filter)
	}
	return s, nil
}

// parseValueEq accepts the value filter `value eq "x"` of a members path.
func parseValueEq(filter string) (string, error) {
	attr, rest, _ := strings.Cut(strings.TrimSpace(filter), " ")
	op, value, _ := strings.Cut(strings.TrimSpace(rest), " ")
	var s string
	if !strings.EqualFold(attr, "value") || !strings.EqualFold(op, "eq") || json.Unmarshal([]byte(strings.TrimSpace(value)), &s) != nil {
		return "", scim.BadRequest(scim.InvalidFilter, "only members[value eq \"id\"] is supported, got %q", filter)
	}
	return s, nil
}

func decodeBody(r *http.Request, v any) error {
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody)).Decode(v); err != nil {
		return scim.BadRequest(scim.InvalidSyntax, "request body: %v", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", scim.MediaType)
	w.WriteHeader(status)
	// The status line is gone; a failed write means the client left.
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	e, ok := err.(*scim.Error)
	if !ok {
		e = scim.Errorf(http.StatusInternalServerError, "", "%v", err)
	}
	writeJSON(w, e.Status, e)
}

// location builds an absolute resource URL from the request's Host; the
// handler is rooted at "/" so no prefix is needed.
func location(r *http.Request, prefix, id string) string {
	return "http://" + r.Host + prefix + id
}

func meta(resourceType, loc string, created, modified time.Time) map[string]any {
	return metaRaw(resourceType, loc, created.Format(time.RFC3339Nano), modified)
}

func metaRaw(resourceType, loc, created string, modified time.Time) map[string]any {
	return map[string]any{
		"resourceType": resourceType,
		"created":      created,
		"lastModified": modified.Format(time.RFC3339Nano),
		"location":     loc,
	}
}

// newID returns a random UUID-shaped id.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}
