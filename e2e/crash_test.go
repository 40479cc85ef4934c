package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scimconnect/scimconnect/internal/pgtest"
)

// The crash tests drive the real binary with concurrent clients, SIGKILL
// it at random moments and check, after every restart, what the product
// promises: every acknowledged write (a 2xx) is there with exactly the
// acknowledged content and version, an acknowledged delete is gone, a
// write whose answer was lost is there whole or not at all, memberships
// are intact both ways, userNames are unique, totalResults agrees with the
// listing, and no version (ETag) ever names two different contents.
//
// Each client works on its own users and its own group, one request at a
// time, so the state every resource must be in is known exactly. A write
// whose outcome is unknown (the process died under it) leaves its
// resources with two allowed states and freezes them until the next check.
//
// The default run takes a few seconds per store; a longer soak:
//
//	SCIMCONNECT_E2E_CRASH_CYCLES=40 go test ./e2e -run 'TestCrash' -timeout 30m

// crashCycles is how many kills a crash test makes.
func crashCycles(def int) int {
	if n, err := strconv.Atoi(os.Getenv("SCIMCONNECT_E2E_CRASH_CYCLES")); err == nil && n > 0 {
		return n
	}
	return def
}

const crashWorkers = 6

// userState is what the clients can tell apart of a user. member: in its
// client's group.
type userState struct {
	display, title string
	member         bool
}

// crashUser is one user as its client knows it.
type crashUser struct {
	id, userName string
	known        userState
	version      int  // of known
	exact        bool // version is exactly the stored one; else a lower bound
	deleted      bool // acknowledged delete
	// An unacknowledged write: alt is the state it would have left
	// (altGone: deleted). The user is left alone until a check.
	frozen  bool
	alt     *userState
	altGone bool
}

// crashGroup is a client's group as it knows it.
type crashGroup struct {
	id      string
	members map[string]bool
	version int
	exact   bool
	frozen  bool
	// An unacknowledged membership change: altAdd or altRemove may be
	// a member (altAddName: the user of an unknown create, by userName).
	altAdd, altRemove, altAddName string
}

// crashClient is one client goroutine's model.
type crashClient struct {
	w       int
	rnd     *rand.Rand
	users   []*crashUser
	group   *crashGroup
	pending []string // userNames of creates whose outcome is unknown
	serial  int
	history []string // for failure messages
	errs    []string // unexpected answers
	acks    int
	unknown int // requests that got no answer
}

// seenVersions maps "id@version" to the content first seen with that
// version, across restarts: a version must never name other content.
type seenVersions struct {
	mu   sync.Mutex
	sigs map[string]string
	errs []string
}

func (s *seenVersions) note(id string, version int, sig, where string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := id + "@" + strconv.Itoa(version)
	if prev, ok := s.sigs[key]; ok && prev != sig {
		s.errs = append(s.errs, fmt.Sprintf("%s: %s version %d shows %q, earlier %q with the same version", where, id, version, sig, prev))
		return
	}
	s.sigs[key] = sig
}

// versionOf parses meta.version W/"N".
func versionOf(body map[string]any) int {
	v := str(obj(body, "meta"), "version")
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(v, `W/"`), `"`))
	if err != nil {
		return -1
	}
	return n
}

// etagVersion parses an ETag or bulk result version W/"N".
func etagVersion(tag string) int {
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(tag, `W/"`), `"`))
	if err != nil {
		return -1
	}
	return n
}

// userStateOf reads a user's state from a response; gid is its client's group.
func userStateOf(body map[string]any, gid string) userState {
	s := userState{display: str(body, "displayName"), title: str(body, "title")}
	for _, g := range list(body, "groups") {
		if str(g, "value") == gid {
			s.member = true
		}
	}
	return s
}

func (s userState) sig(userName string) string {
	return fmt.Sprintf("%s|%s|%s|%v", userName, s.display, s.title, s.member)
}

func groupSig(members []string) string { return strings.Join(sorted(members), ",") }

// groupContent is a group's members with the display each shows: a
// member's rename changes the group (and its version).
func groupContent(body map[string]any) string {
	var out []string
	for _, m := range list(body, "members") {
		out = append(out, str(m, "value")+"="+str(m, "display"))
	}
	return strings.Join(sorted(out), ",")
}

func memberKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// crashTarget picks the process a client sends a request to.
type crashTarget func(w int) *demo

// call sends one request. ok: an answer came (any status); a 5xx other
// than a 503 with Retry-After (nothing written, per the store contract)
// is noted as unexpected and treated as an unknown outcome.
func (c *crashClient) call(ctx context.Context, d *demo, method, path string, body any, hs ...header) (*response, bool) {
	r, err := d.trySCIM(ctx, method, path, body, hs...)
	if err != nil {
		c.unknown++
		c.history = append(c.history, fmt.Sprintf("%s %s: %v", method, path, err))
		return nil, false
	}
	if r.Status >= 500 && !(r.Status == http.StatusServiceUnavailable && r.Header.Get("Retry-After") != "") {
		c.errs = append(c.errs, r.String())
		return nil, false
	}
	c.history = append(c.history, fmt.Sprintf("%s %s → %d", method, path, r.Status))
	return r, true
}

func (c *crashClient) live() []*crashUser {
	var out []*crashUser
	for _, u := range c.users {
		if !u.deleted && !u.frozen {
			out = append(out, u)
		}
	}
	return out
}

func (c *crashClient) pick() *crashUser {
	l := c.live()
	if len(l) == 0 {
		return nil
	}
	return l[c.rnd.IntN(len(l))]
}

// observeUser records a 2xx answer that shows user u.
func (c *crashClient) observeUser(seen *seenVersions, u *crashUser, body map[string]any, where string) {
	s := userStateOf(body, c.group.id)
	v := versionOf(body)
	seen.note(u.id, v, s.sig(u.userName), where)
	if s.member && s.display != u.known.display {
		c.group.exact = false // its members show the new display
	}
	u.known, u.version, u.exact = s, v, true
}

// writeUser sends a PATCH or PUT of u that should leave it as next. An
// unanswered one freezes u with next as its other possible state; it
// returns false then, as step does, and counts an acknowledged one.
func (c *crashClient) writeUser(ctx context.Context, d *demo, seen *seenVersions, u *crashUser, next userState, method string, body any) bool {
	r, ok := c.call(ctx, d, method, "/Users/"+u.id, body)
	if !ok {
		u.frozen, u.alt = true, &next
		return false
	}
	if r.Status != http.StatusOK {
		c.errs = append(c.errs, strings.ToLower(method)+": "+r.String())
		return true
	}
	c.observeUser(seen, u, r.Body, method+" answer")
	c.acks++
	return true
}

func (c *crashClient) observeGroup(seen *seenVersions, body map[string]any, where string) {
	m := memberValues(body)
	v := versionOf(body)
	seen.note(c.group.id, v, groupContent(body), where)
	c.group.members = map[string]bool{}
	for _, id := range m {
		c.group.members[id] = true
	}
	c.group.version, c.group.exact = v, true
}

// step runs one random operation; it returns false when the process
// stopped answering (the client then waits for the check).
func (c *crashClient) step(ctx context.Context, d *demo, seen *seenVersions, run int) bool {
	c.serial++
	g := c.group
	switch op := c.rnd.IntN(10); {
	case op < 2 || len(c.live()) < 3: // create
		name := fmt.Sprintf("crash-r%d-w%d-%d@example.com", run, c.w, c.serial)
		r, ok := c.call(ctx, d, http.MethodPost, "/Users", map[string]any{"schemas": []string{userURN}, "userName": name})
		if !ok {
			c.pending = append(c.pending, name)
			return false
		}
		if r.Status != http.StatusCreated {
			c.errs = append(c.errs, "create: "+r.String())
			return true
		}
		u := &crashUser{id: str(r.Body, "id"), userName: name}
		c.observeUser(seen, u, r.Body, "POST answer")
		c.users = append(c.users, u)
	case op < 4: // PATCH two attributes: both or neither
		u := c.pick()
		if u == nil {
			return true
		}
		next := u.known
		next.display, next.title = fmt.Sprintf("d%d", c.serial), fmt.Sprintf("t%d", c.serial)
		return c.writeUser(ctx, d, seen, u, next, http.MethodPatch, patchOp(
			map[string]any{"op": "replace", "path": "displayName", "value": next.display},
			map[string]any{"op": "add", "path": "title", "value": next.title}))
	case op < 5: // PUT
		u := c.pick()
		if u == nil {
			return true
		}
		next := u.known
		next.display, next.title = fmt.Sprintf("p%d", c.serial), ""
		return c.writeUser(ctx, d, seen, u, next, http.MethodPut, map[string]any{"schemas": []string{userURN}, "userName": u.userName, "displayName": next.display})
	case op < 7: // member add or remove, then read the user back
		u := c.pick()
		if u == nil || g.frozen {
			return true
		}
		opName := "add"
		body := patchOp(map[string]any{"op": "add", "path": "members", "value": []map[string]any{{"value": u.id}}})
		if g.members[u.id] {
			opName = "remove"
			body = patchOp(map[string]any{"op": "remove", "path": `members[value eq "` + u.id + `"]`})
		}
		r, ok := c.call(ctx, d, http.MethodPatch, "/Groups/"+g.id, body)
		if !ok {
			next := u.known
			next.member = !next.member
			u.frozen, u.alt, g.frozen = true, &next, true
			if opName == "add" {
				g.altAdd = u.id
			} else {
				g.altRemove = u.id
			}
			return false
		}
		if r.Status != http.StatusOK {
			c.errs = append(c.errs, "member "+opName+": "+r.String())
			return true
		}
		c.observeGroup(seen, r.Body, "group PATCH answer")
		u.known.member, u.exact = opName == "add", false
		if r, ok := c.call(ctx, d, http.MethodGet, "/Users/"+u.id, nil); !ok {
			return false
		} else if r.Status == http.StatusOK {
			c.observeUser(seen, u, r.Body, "GET")
		}
	case op < 8: // DELETE
		u := c.pick()
		if u == nil || (g.members[u.id] && g.frozen) {
			return true
		}
		r, ok := c.call(ctx, d, http.MethodDelete, "/Users/"+u.id, nil)
		if !ok {
			u.frozen, u.altGone = true, true
			if g.members[u.id] {
				g.frozen, g.altRemove = true, u.id
			}
			return false
		}
		if r.Status != http.StatusNoContent {
			c.errs = append(c.errs, "delete: "+r.String())
			return true
		}
		u.deleted = true
		if g.members[u.id] {
			delete(g.members, u.id)
			g.exact = false
			if r, ok := c.call(ctx, d, http.MethodGet, "/Groups/"+g.id, nil); !ok {
				return false
			} else if r.Status == http.StatusOK {
				c.observeGroup(seen, r.Body, "GET")
			}
		}
	case op < 9: // Bulk: create a user, add it to the group, patch another
		u := c.pick()
		if u == nil || g.frozen {
			return true
		}
		name := fmt.Sprintf("crash-r%d-w%d-%d-bulk@example.com", run, c.w, c.serial)
		next := u.known
		next.display = fmt.Sprintf("b%d", c.serial)
		r, ok := c.call(ctx, d, http.MethodPost, "/Bulk", bulkRequest(0,
			map[string]any{"method": "POST", "path": "/Users", "bulkId": "nu", "data": map[string]any{"schemas": []string{userURN}, "userName": name}},
			map[string]any{"method": "PATCH", "path": "/Groups/" + g.id, "data": patchOp(map[string]any{"op": "add", "path": "members", "value": []map[string]any{{"value": "bulkId:nu"}}})},
			map[string]any{"method": "PATCH", "path": "/Users/" + u.id, "data": patchOp(map[string]any{"op": "replace", "path": "displayName", "value": next.display})},
		))
		if !ok {
			c.pending = append(c.pending, name)
			g.frozen, g.altAddName = true, name
			u.frozen, u.alt = true, &next
			return false
		}
		res := list(r.Body, "Operations")
		if r.Status != http.StatusOK || len(res) != 3 || str(res[0], "status") != "201" || str(res[1], "status") != "200" || str(res[2], "status") != "200" {
			c.errs = append(c.errs, "bulk: "+r.String())
			return true
		}
		loc := str(res[0], "location")
		nu := &crashUser{id: loc[strings.LastIndex(loc, "/")+1:], userName: name, version: etagVersion(str(res[0], "version")),
			known: userState{member: true}} // the group's PATCH then touched it: version unknown
		c.users = append(c.users, nu)
		g.members[nu.id], g.version, g.exact = true, etagVersion(str(res[1], "version")), !u.known.member
		u.known, u.version, u.exact = next, etagVersion(str(res[2], "version")), true
	default: // read
		u := c.pick()
		if u == nil {
			return true
		}
		r, ok := c.call(ctx, d, http.MethodGet, "/Users/"+u.id, nil)
		if !ok {
			return false
		}
		if r.Status != http.StatusOK {
			c.errs = append(c.errs, "get: "+r.String())
			return true
		}
		c.observeUser(seen, u, r.Body, "GET")
	}
	c.acks++
	return true
}

// runCrashLoad runs the clients until ctx ends. A client whose process
// stops answering stops too, unless keepGoing: then it goes on, through
// target, with the resources its lost request left alone.
func runCrashLoad(ctx context.Context, clients []*crashClient, target crashTarget, seen *seenVersions, run int, keepGoing bool) {
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				if !c.step(ctx, target(c.w), seen, run) && !keepGoing {
					return
				}
			}
		})
	}
	wg.Wait()
}

// checkCrashState checks the state d serves against the clients' models,
// then makes what it found the known state (exact, nothing pending).
func checkCrashState(t *testing.T, d *demo, clients []*crashClient, seen *seenVersions) {
	t.Helper()
	// Every user and group d lists, with their computed attributes.
	users := d.listEvery(t, "/Users")
	groups := d.listEvery(t, "/Groups")
	byID := map[string]map[string]any{}
	names := map[string]string{}
	for _, u := range users {
		id := str(u, "id")
		if byID[id] != nil {
			t.Errorf("user %s listed twice", id)
		}
		byID[id] = u
		lower := strings.ToLower(str(u, "userName"))
		if other, dup := names[lower]; dup {
			t.Errorf("userName %q held by %s and %s", lower, other, id)
		}
		names[lower] = id
	}
	if n := num(t, d.listAll(t, "/Users", "count", "0"), "totalResults"); n != len(users) {
		t.Errorf("Users totalResults = %d, the listing has %d", n, len(users))
	}
	if n := num(t, d.listAll(t, "/Groups", "count", "0"), "totalResults"); n != len(groups) {
		t.Errorf("Groups totalResults = %d, the listing has %d", n, len(groups))
	}

	// Memberships agree both ways and name only users that exist.
	memberOf := map[string][]string{}
	for _, g := range groups {
		for _, m := range memberValues(g) {
			if byID[m] == nil {
				t.Errorf("group %s lists member %s, which does not exist", str(g, "id"), m)
			}
			memberOf[m] = append(memberOf[m], str(g, "id"))
		}
	}
	for id, u := range byID {
		var gs []string
		for _, g := range list(u, "groups") {
			gs = append(gs, str(g, "value"))
		}
		if !slices.Equal(sorted(gs), sorted(memberOf[id])) {
			t.Errorf("user %s: groups %v, but the groups listing it are %v", id, sorted(gs), sorted(memberOf[id]))
		}
	}

	known := map[string]bool{}
	for _, c := range clients {
		fail := func(format string, args ...any) {
			t.Helper()
			t.Errorf("client %d: "+format+"\nlast requests:\n%s", append([]any{c.w}, append(args, strings.Join(c.history[max(0, len(c.history)-6):], "\n"))...)...)
		}
		// Creates with unknown outcome: at most one user each.
		for _, name := range c.pending {
			id, ok := names[strings.ToLower(name)]
			if !ok {
				continue
			}
			u := &crashUser{id: id, userName: name, version: 0}
			c.users = append(c.users, u)
		}
		c.pending = nil
		g := c.group
		if g.altAddName != "" {
			if id, ok := names[strings.ToLower(g.altAddName)]; ok {
				g.altAdd = id
			}
		}
		for _, u := range c.users {
			if u.alt != nil && u.known.member && u.alt.display != u.known.display {
				g.exact = false // an unacknowledged rename of a member may have touched it
			}
		}
		for _, u := range c.users {
			if u.deleted {
				if byID[u.id] != nil {
					fail("user %s was deleted (204) but is listed", u.id)
				}
				if r := d.get(t, "/Users/"+u.id); r.Status != http.StatusNotFound {
					fail("GET deleted user %s: %s", u.id, r)
				}
				continue
			}
			known[u.id] = true
			body := byID[u.id]
			if body == nil {
				if !u.altGone && u.version != 0 {
					fail("acknowledged user %s (%s) is gone", u.id, u.userName)
				}
				u.deleted = true
				continue
			}
			// The single GET and the listing must agree (the GET may
			// come from the read cache, the listing from the store).
			r := d.get(t, "/Users/"+u.id)
			wantStatus(t, r, http.StatusOK)
			s, v := userStateOf(r.Body, g.id), versionOf(r.Body)
			if ls, lv := userStateOf(body, g.id), versionOf(body); ls != s || lv != v {
				fail("user %s: GET shows %+v version %d, the listing %+v version %d", u.id, s, v, ls, lv)
			}
			seen.note(u.id, v, s.sig(u.userName), "after restart")
			switch {
			case u.version == 0: // an unknown create that committed
			case s == u.known:
				if u.exact && v != u.version || v < u.version {
					fail("user %s: version %d, acknowledged %d (exact %v) for %+v", u.id, v, u.version, u.exact, s)
				}
			case u.alt != nil && s == *u.alt:
				if v <= u.version {
					fail("user %s: an unacknowledged write shows with version %d, not above the acknowledged %d", u.id, v, u.version)
				}
			default:
				alt := "none"
				if u.alt != nil {
					alt = fmt.Sprintf("%+v", *u.alt)
				}
				fail("user %s: state %+v version %d, want the acknowledged %+v version %d or the unacknowledged %s", u.id, s, v, u.known, u.version, alt)
			}
			u.known, u.version, u.exact, u.frozen, u.alt, u.altGone = s, v, true, false, nil, false
		}

		r := d.get(t, "/Groups/"+g.id)
		wantStatus(t, r, http.StatusOK)
		got, v := memberValues(r.Body), versionOf(r.Body)
		seen.note(g.id, v, groupContent(r.Body), "after restart")
		want := memberKeys(g.members)
		alt := slices.Clone(want)
		if g.altAdd != "" {
			alt = append(alt, g.altAdd)
		}
		if g.altRemove != "" {
			alt = slices.DeleteFunc(alt, func(id string) bool { return id == g.altRemove })
		}
		switch {
		case groupSig(got) == groupSig(want):
			if g.exact && v != g.version || v < g.version {
				fail("group %s: version %d, acknowledged %d (exact %v)", g.id, v, g.version, g.exact)
			}
		case groupSig(got) == groupSig(alt) && g.frozen:
			if v <= g.version {
				fail("group %s: an unacknowledged change shows with version %d, not above %d", g.id, v, g.version)
			}
		default:
			fail("group %s: members %v, want the acknowledged %v or %v", g.id, sorted(got), sorted(want), sorted(alt))
		}
		g.members = map[string]bool{}
		for _, m := range got {
			g.members[m] = true
		}
		g.version, g.exact, g.frozen, g.altAdd, g.altRemove, g.altAddName = v, true, false, "", "", ""
	}
	for id, u := range byID {
		if !known[id] && strings.HasPrefix(str(u, "userName"), "crash-") {
			t.Errorf("user %s (%s) exists, but no client created it", id, str(u, "userName"))
		}
	}
	seen.mu.Lock()
	for _, e := range seen.errs {
		t.Error(e)
	}
	seen.errs = nil
	seen.mu.Unlock()
}

// listEvery pages through every resource of an endpoint by cursor.
func (d *demo) listEvery(t *testing.T, path string) []map[string]any {
	t.Helper()
	var out []map[string]any
	cursor := ""
	for range 1000 {
		b := d.listAll(t, path, "cursor", cursor, "count", "200")
		out = append(out, list(b, "Resources")...)
		if cursor = str(b, "nextCursor"); cursor == "" {
			return out
		}
	}
	t.Fatalf("%s: more than 1000 pages", path)
	return nil
}

// newCrashClients creates each client's group on d.
func newCrashClients(t *testing.T, d *demo, seed uint64) []*crashClient {
	t.Helper()
	clients := make([]*crashClient, crashWorkers)
	for w := range clients {
		clients[w] = &crashClient{w: w, rnd: rand.New(rand.NewPCG(seed, uint64(w))),
			group: &crashGroup{id: d.createGroup(t, fmt.Sprintf("crash-group-%d", w)), members: map[string]bool{}, version: 1, exact: true}}
	}
	return clients
}

// checkCursorAfterRestart uses a cursor issued before the restart: it
// must keep working or be refused as invalidCursor, never a 5xx, and a
// page it serves shows users as they are.
func checkCursorAfterRestart(t *testing.T, d *demo, cursor string) {
	t.Helper()
	r := d.get(t, "/Users", "cursor", cursor, "count", "5")
	if r.Status == http.StatusBadRequest {
		wantError(t, r, http.StatusBadRequest, "invalidCursor")
		return
	}
	wantStatus(t, r, http.StatusOK)
	for _, u := range list(r.Body, "Resources") {
		g := d.get(t, "/Users/"+str(u, "id"))
		wantStatus(t, g, http.StatusOK)
		if str(g.Body, "displayName") != str(u, "displayName") || versionOf(g.Body) != versionOf(u) {
			t.Errorf("cursor page shows user %s as %q version %d, GET as %q version %d", str(u, "id"), str(u, "displayName"), versionOf(u), str(g.Body, "displayName"), versionOf(g.Body))
		}
	}
}

// TestCrashKillRestart runs the crash check on the embedded store:
// concurrent clients, SIGKILL at a random moment, restart on the same
// data, check; several times. It ends with a kill of the idle process, so
// that what the warm read cache served is compared with what the store
// holds after a restart.
func TestCrashKillRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dataDir, statePath := filepath.Join(dir, "data"), filepath.Join(dir, "state.json")
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 0))

	d := startDemo(t, dataDir, statePath)
	clients := newCrashClients(t, d, seed)
	seen := &seenVersions{sigs: map[string]string{}}
	cycles := crashCycles(4)
	for run := range cycles {
		cursor := str(d.listAll(t, "/Users", "cursor", "", "count", "5"), "nextCursor")
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			runCrashLoad(ctx, clients, func(int) *demo { return d }, seen, run, false)
		}()
		time.Sleep(time.Duration(300+rnd.IntN(900)) * time.Millisecond)
		d.kill(t)
		<-done
		cancel()
		d = startDemo(t, dataDir, statePath)
		checkCrashState(t, d, clients, seen)
		if cursor != "" {
			checkCursorAfterRestart(t, d, cursor)
		}
		if t.Failed() {
			t.FailNow()
		}
	}

	// The warm cache's view, then the store's after a kill of the idle
	// process: they must be the same.
	before := d.snapshot(t)
	d.kill(t)
	d = startDemo(t, dataDir, statePath)
	if after := d.snapshot(t); after != before {
		t.Errorf("state served before the kill differs from the state after the restart:\nbefore %s\nafter  %s", before, after)
	}
	var acks, users, unknown int
	for _, c := range clients {
		for _, e := range c.errs {
			t.Errorf("client %d: unexpected answer: %s", c.w, e)
		}
		acks, users, unknown = acks+c.acks, users+len(c.users), unknown+c.unknown
	}
	t.Logf("%d kills, %d acknowledged requests, %d unanswered, %d users tracked, %d versions seen", cycles+1, acks, unknown, users, len(seen.sigs))
}

// snapshot renders every user and group with its version and computed
// attributes, in a stable form.
func (d *demo) snapshot(t *testing.T) string {
	t.Helper()
	var lines []string
	for _, u := range d.listEvery(t, "/Users") {
		r := d.get(t, "/Users/"+str(u, "id"))
		wantStatus(t, r, http.StatusOK)
		var gs []string
		for _, g := range list(r.Body, "groups") {
			gs = append(gs, str(g, "value"))
		}
		lines = append(lines, fmt.Sprintf("U %s %s %q %q v%d %v", str(u, "id"), str(u, "userName"), str(r.Body, "displayName"), str(r.Body, "title"), versionOf(r.Body), sorted(gs)))
	}
	for _, g := range d.listEvery(t, "/Groups") {
		r := d.get(t, "/Groups/"+str(g, "id"))
		wantStatus(t, r, http.StatusOK)
		lines = append(lines, fmt.Sprintf("G %s %q v%d %v", str(g, "id"), str(r.Body, "displayName"), versionOf(r.Body), memberValues(r.Body)))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestCrashPreconditions checks ETags across a SIGKILL: a client that saw
// a version before the crash gets 304 for If-None-Match and passes
// If-Match while that version is current, and gets 412 once it is not;
// a version acknowledged just before the kill is the one served after it.
func TestCrashPreconditions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dataDir, statePath := filepath.Join(dir, "data"), filepath.Join(dir, "state.json")
	d := startDemo(t, dataDir, statePath)
	id := d.newUser(t, "etag-crash@example.com")
	gid := d.createGroup(t, "etag-crash-group")
	patchName := func(d *demo, value string, hs ...header) *response {
		return d.do(t, http.MethodPatch, "/Users/"+id, patchOp(map[string]any{"op": "replace", "path": "displayName", "value": value}), hs...)
	}
	// v1 read (and cached), v2 acknowledged, then the kill.
	v1 := d.get(t, "/Users/"+id).Header.Get("ETag")
	r := patchName(d, "second", header{"If-Match", v1})
	wantStatus(t, r, http.StatusOK)
	v2 := r.Header.Get("ETag")
	g := d.do(t, http.MethodPatch, "/Groups/"+gid, patchOp(map[string]any{"op": "add", "path": "members", "value": []map[string]any{{"value": id}}}))
	wantStatus(t, g, http.StatusOK)
	u := d.get(t, "/Users/"+id)
	v3 := u.Header.Get("ETag")
	if v1 == v2 || v2 == v3 {
		t.Fatalf("versions did not change: %s %s %s", v1, v2, v3)
	}
	d.kill(t)

	d = startDemo(t, dataDir, statePath)
	got := d.get(t, "/Users/"+id)
	wantStatus(t, got, http.StatusOK)
	if tag := got.Header.Get("ETag"); tag != v3 || str(got.Body, "displayName") != "second" || len(list(got.Body, "groups")) != 1 {
		t.Fatalf("after the restart: ETag %s (want %s) %s", tag, v3, got.Raw)
	}
	if r := d.do(t, http.MethodGet, "/Users/"+id, nil, header{"If-None-Match", v3}); r.Status != http.StatusNotModified {
		t.Errorf("If-None-Match with the version acknowledged before the crash: %s, want 304", r)
	}
	for _, old := range []string{v1, v2} {
		if r := d.do(t, http.MethodGet, "/Users/"+id, nil, header{"If-None-Match", old}); r.Status != http.StatusOK {
			t.Errorf("If-None-Match %s (an older version): %s, want 200", old, r)
		}
		wantError(t, patchName(d, "stale", header{"If-Match", old}), http.StatusPreconditionFailed, "")
		wantError(t, d.do(t, http.MethodDelete, "/Users/"+id, nil, header{"If-Match", old}), http.StatusPreconditionFailed, "")
	}
	r = patchName(d, "third", header{"If-Match", v3})
	wantStatus(t, r, http.StatusOK)
	v4 := r.Header.Get("ETag")
	if v4 == v1 || v4 == v2 || v4 == v3 {
		t.Fatalf("the write after the restart reused version %s", v4)
	}
	d.kill(t)

	d = startDemo(t, dataDir, statePath)
	wantError(t, patchName(d, "stale", header{"If-Match", v3}), http.StatusPreconditionFailed, "")
	got = d.get(t, "/Users/"+id)
	if tag := got.Header.Get("ETag"); tag != v4 || str(got.Body, "displayName") != "third" {
		t.Fatalf("after the second restart: ETag %s (want %s) %s", tag, v4, got.Raw)
	}
	wantStatus(t, d.do(t, http.MethodDelete, "/Users/"+id, nil, header{"If-Match", v4}), http.StatusNoContent)
	d.kill(t)
	d = startDemo(t, dataDir, statePath)
	wantError(t, d.get(t, "/Users/"+id), http.StatusNotFound, "")
	grp := d.get(t, "/Groups/"+gid)
	wantStatus(t, grp, http.StatusOK)
	if m := memberValues(grp.Body); len(m) != 0 {
		t.Errorf("the deleted user is still a member after the restart: %v", m)
	}
}

// TestCrashReplicasKill runs the crash check on PostgreSQL with two
// replicas sharing the store: the clients spread over both, one replica
// is SIGKILLed mid-write while the other goes on serving (the clients of
// the dead one move over, leaving alone what their lost request wrote),
// then the state is checked through the survivor and the dead one is
// restarted; the next cycle kills the other.
func TestCrashReplicasKill(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := fmt.Sprintf("scimtest_crash_%d", time.Now().UnixNano())
	dropSchemaAtEnd(t, dsn, schema)
	token := fmt.Sprintf("scim_crash-%d", time.Now().UnixNano())
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 0))

	var mu sync.Mutex
	replicas := []*demo{startReplica(t, dsn, schema, token), startReplica(t, dsn, schema, token)}
	dead := -1
	target := func(w int) *demo {
		mu.Lock()
		defer mu.Unlock()
		i := w % len(replicas)
		if i == dead {
			i = 1 - i
		}
		return replicas[i]
	}
	clients := newCrashClients(t, replicas[0], seed)
	seen := &seenVersions{sigs: map[string]string{}}
	cycles := crashCycles(3)
	for run := range cycles {
		victim := run % 2
		cursor := str(replicas[victim].listAll(t, "/Users", "cursor", "", "count", "5"), "nextCursor")
		ctx, cancel := context.WithTimeout(t.Context(), time.Duration(800+rnd.IntN(800))*time.Millisecond)
		done := make(chan struct{})
		go func() {
			defer close(done)
			runCrashLoad(ctx, clients, target, seen, run, true)
		}()
		time.Sleep(time.Duration(200+rnd.IntN(500)) * time.Millisecond)
		mu.Lock()
		dead = victim
		mu.Unlock()
		replicas[victim].kill(t)
		<-done
		cancel()
		survivor := replicas[1-victim]
		survivor.client.CloseIdleConnections()
		waitNoTransactions(t, dsn)
		checkCrashState(t, survivor, clients, seen)
		if cursor != "" {
			checkCursorAfterRestart(t, survivor, cursor)
		}
		restarted := startReplica(t, dsn, schema, token)
		mu.Lock()
		replicas[victim], dead = restarted, -1
		mu.Unlock()
		checkCrashState(t, restarted, clients, seen)
		if t.Failed() {
			t.FailNow()
		}
	}
	var acks, unknown int
	for _, c := range clients {
		for _, e := range c.errs {
			t.Errorf("client %d: unexpected answer: %s", c.w, e)
		}
		acks, unknown = acks+c.acks, unknown+c.unknown
	}
	t.Logf("%d kills, %d acknowledged requests, %d unanswered, %d versions seen", cycles, acks, unknown, len(seen.sigs))
}

// waitNoTransactions waits until no session of the database is inside a
// transaction: a transaction of a killed replica whose COMMIT had reached
// the server ends (committed) a moment after the kill, one that had not
// ends (rolled back) when the server notices the dead connection. Until
// then its outcome is not decided, and a check could see either.
func waitNoTransactions(t *testing.T, dsn string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer func() { _ = conn.Close(ctx) }()
	for {
		var n int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL`).Scan(&n)
		if err != nil {
			t.Fatalf("pg_stat_activity: %v", err)
		}
		if n == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestGracefulStopUnderLoad sends SIGTERM while clients write: every
// request the server had taken must be answered (no 5xx, no connection
// cut mid-request), the process must exit cleanly, and every acknowledged
// write must be there after a restart.
func TestGracefulStopUnderLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dataDir, statePath := filepath.Join(dir, "data"), filepath.Join(dir, "state.json")
	d := startDemo(t, dataDir, statePath)
	// Clients of the okta instance too: its requests call the target
	// (the demo's simulator) several times each, and those calls must
	// keep working until the last request is answered.
	okta := d.instance(t, "okta")

	var mu sync.Mutex
	var acked []string  // userNames of acknowledged creates
	var unsent []string // userNames of creates whose request got no answer
	var failures []string
	var wg sync.WaitGroup
	stopped := make(chan struct{})
	for w := range crashWorkers + 2 {
		d := d
		if w >= crashWorkers {
			d = okta
		}
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stopped:
					return
				default:
				}
				// Every other request is a Bulk of 50 creates: slow enough
				// to be in flight when the signal comes.
				var names []string
				var r *response
				var err error
				if i%2 == 0 {
					names = []string{fmt.Sprintf("term-w%d-%d@example.com", w, i)}
					r, err = d.trySCIM(t.Context(), http.MethodPost, "/Users", termUser(names[0]))
				} else {
					var ops []map[string]any
					n := 50
					if d == okta {
						n = 10
					}
					for k := range n {
						names = append(names, fmt.Sprintf("term-w%d-%d-%d@example.com", w, i, k))
						ops = append(ops, map[string]any{"method": "POST", "path": "/Users", "bulkId": fmt.Sprint(k),
							"data": termUser(names[k])})
					}
					r, err = d.trySCIM(t.Context(), http.MethodPost, "/Bulk", bulkRequest(0, ops...))
				}
				mu.Lock()
				switch {
				case err != nil:
					// A new connection refused, or a kept-alive one the
					// server closed as idle as the request was sent (EOF
					// or reset): the request never reached a handler, so
					// nothing of it may be stored.
					unsent = append(unsent, names...)
				case r.Status == http.StatusCreated:
					acked = append(acked, names...)
				case r.Status == http.StatusOK:
					for k, res := range list(r.Body, "Operations") {
						if str(res, "status") == "201" {
							acked = append(acked, names[k])
						} else {
							failures = append(failures, fmt.Sprintf("bulk operation %d: %v", k, res))
						}
					}
				default:
					failures = append(failures, r.String())
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	time.Sleep(400 * time.Millisecond)
	d.stopOnce.Do(func() {
		if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatalf("SIGTERM: %v", err)
		}
		select {
		case <-d.exited:
		case <-time.After(stopTimeout + 5*time.Second):
			_ = d.cmd.Process.Kill()
			<-d.exited
			t.Errorf("demo still running after SIGTERM; killed")
		}
		if d.exitErr != nil {
			t.Errorf("demo did not exit cleanly after SIGTERM: %v\n%s", d.exitErr, d.output)
		}
	})
	close(stopped)
	wg.Wait()
	for _, f := range failures {
		t.Errorf("during the graceful stop: %s", f)
	}
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged")
	}

	d = startDemo(t, dataDir, statePath)
	// The okta simulator keeps its users in memory.
	isOkta := func(name string) bool {
		return strings.HasPrefix(name, fmt.Sprintf("term-w%d-", crashWorkers)) || strings.HasPrefix(name, fmt.Sprintf("term-w%d-", crashWorkers+1))
	}
	acked, unsent = slices.DeleteFunc(acked, isOkta), slices.DeleteFunc(unsent, isOkta)
	all := map[string]bool{}
	for _, u := range d.listEvery(t, "/Users") {
		all[str(u, "userName")] = true
	}
	for _, name := range unsent {
		if all[name] {
			t.Errorf("%s is stored, but its request got no answer: it was cut in flight", name)
		}
	}
	missing := 0
	for _, name := range acked {
		if !all[name] {
			missing++
			if missing < 10 {
				t.Errorf("acknowledged create of %s is gone after the graceful stop", name)
			}
		}
	}
	t.Logf("%d creates acknowledged, %d missing, %d unanswered, %d users stored", len(acked), missing, len(unsent), len(all))
}

// termUser is a user both the local directory and Okta accept.
func termUser(userName string) map[string]any {
	return map[string]any{"schemas": []string{userURN}, "userName": userName,
		"name": map[string]any{"givenName": "Term", "familyName": "Load"}}
}
