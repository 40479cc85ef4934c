package local

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/patch"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/scim/schema"
	"github.com/scimconnect/scimconnect/store"
)

// exclusiveStore counts every read transaction and claims exclusivity, so
// the connector caches.
type exclusiveStore struct {
	store.Store
	views atomic.Int64
}

func (e *exclusiveStore) Exclusive() bool { return true }

func (e *exclusiveStore) View(ctx context.Context, fn func(store.Tx) error) error {
	e.views.Add(1)
	return e.Store.View(ctx, fn)
}

func newCachedFixture(t *testing.T) (*fixture, *exclusiveStore) {
	t.Helper()
	es := &exclusiveStore{Store: openDB(t)}
	f, dir := openFixture(t, es)
	if dir.cache == nil {
		t.Fatal("no cache on an exclusive store")
	}
	return f, es
}

func patchOps(t *testing.T, ops string) []patch.Operation {
	t.Helper()
	o, err := patch.Parse([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":` + ops + `}`))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestCacheServesRepeatedReadsAndFollowsWrites(t *testing.T) {
	ctx := context.Background()
	f, es := newCachedFixture(t)
	u := f.user(t, "alice")
	if _, err := f.users.Get(ctx, u.ID, nil); err != nil {
		t.Fatal(err)
	}
	before := es.views.Load()
	for range 5 {
		if _, err := f.users.Get(ctx, u.ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := es.views.Load() - before; n != 0 {
		t.Errorf("repeated GETs read the store %d times", n)
	}
	list := func(flt string) []*provider.Resource {
		res, err := f.users.List(ctx, &provider.ListQuery{Filter: mustFilter(t, flt), StartIndex: 1, Count: 10})
		if err != nil {
			t.Fatal(err)
		}
		return res.Resources
	}
	list(`userName eq "ALICE"`)
	before = es.views.Load()
	if got := list(`userName eq "alice"`); len(got) != 1 {
		t.Fatalf("filter found %d", len(got))
	}
	if n := es.views.Load() - before; n != 0 {
		t.Errorf("a repeated userName lookup read the store %d times", n)
	}
	// A write is visible at once: new value, new version.
	if _, err := f.users.Patch(ctx, u.ID, patchOps(t, `[{"op":"replace","path":"userName","value":"alicia"}]`), provider.Precondition{}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := f.users.Get(ctx, u.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Attrs["userName"] != "alicia" || got.Version != "2" {
		t.Errorf("after PATCH: userName %v version %s", got.Attrs["userName"], got.Version)
	}
	if n := len(list(`userName eq "alice"`)); n != 0 {
		t.Errorf("the old userName still finds %d users", n)
	}
	if n := len(list(`userName eq "alicia"`)); n != 1 {
		t.Errorf("the new userName finds %d users", n)
	}
	// Membership changes show in the member's groups.
	g := f.group(t, "G", u.ID)
	got, _ = f.users.Get(ctx, u.ID, nil)
	if groups, _ := got.Attrs["groups"].([]any); len(groups) != 1 || groups[0].(map[string]any)["value"] != g.ID {
		t.Errorf("groups after joining: %v", got.Attrs["groups"])
	}
	if err := f.groups.Delete(ctx, g.ID, provider.Precondition{}); err != nil {
		t.Fatal(err)
	}
	got, _ = f.users.Get(ctx, u.ID, nil)
	if _, ok := got.Attrs["groups"]; ok {
		t.Errorf("groups after the group was deleted: %v", got.Attrs["groups"])
	}
	if err := f.users.Delete(ctx, u.ID, provider.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.users.Get(ctx, u.ID, nil); err == nil {
		t.Error("a deleted user is still served")
	}
}

// TestCacheNeverServesStaleDataUnderConcurrency: readers race a writer;
// once the writer is done, every read must see its last write.
func TestCacheNeverServesStaleDataUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	f, _ := newCachedFixture(t)
	u := f.user(t, "racer")
	const writes = 40
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := f.users.Get(ctx, u.ID, nil); err != nil {
					t.Error(err)
					return
				}
				if _, err := f.users.List(ctx, &provider.ListQuery{Filter: mustFilter(t, `userName eq "racer"`), StartIndex: 1, Count: 1}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := range writes {
		op := fmt.Sprintf(`[{"op":"replace","path":"displayName","value":"v%d"}]`, i)
		if _, err := f.users.Patch(ctx, u.ID, patchOps(t, op), provider.Precondition{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	got, err := f.users.Get(ctx, u.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("v%d", writes-1)
	if got.Attrs["displayName"] != want {
		t.Errorf("displayName %v after all writes, want %s", got.Attrs["displayName"], want)
	}
	res, _ := f.users.List(ctx, &provider.ListQuery{Filter: mustFilter(t, `userName eq "racer"`), StartIndex: 1, Count: 1})
	if len(res.Resources) != 1 || res.Resources[0].Attrs["displayName"] != want {
		t.Errorf("filter serves %v, want %s", res.Resources, want)
	}
}

func TestNoCacheOnSharedStores(t *testing.T) {
	f := newFixture(t) // a store that does not claim exclusivity
	inst, _ := Type.Open(context.Background(), connector.Env{Instance: "x", Store: f.st}, nil)
	if inst.(*directory).cache != nil {
		t.Error("cache enabled on a store that is not exclusive")
	}
}

// TestCacheCoherentUnderConcurrentWriters: writers each own a few users
// and a group and change them concurrently (renames, PUTs, memberships,
// deletes and re-creates, and writes that fail with 412 and 409), so
// their writes share group commits; after every acknowledged write the
// writer's own GET and userName lookups must show exactly that write,
// and after a failed one exactly the state before. Readers meanwhile
// fill the cache from the store and check that no version they see of a
// resource ever goes backwards, and that a userName lookup finds at most
// one user, of that name.
func TestCacheCoherentUnderConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	f, _ := newCachedFixture(t)
	reserved := f.user(t, "reserved")
	shared := f.user(t, "shared") // every writer changes it
	const writers, ops, usersEach = 6, 30, 3

	// Readers mostly read what a writer is about to change (hot), so
	// that their reads race the writes; else any id or name seen.
	var seenMu sync.Mutex
	seenIDs := []string{shared.ID}
	seenNames := []string{"reserved", "shared"}
	var hotIDs, hotNames [writers]string
	see := func(kind, v string) {
		seenMu.Lock()
		defer seenMu.Unlock()
		if kind == "id" {
			seenIDs = append(seenIDs, v)
		} else {
			seenNames = append(seenNames, v)
		}
	}
	heat := func(w int, id, name string) {
		seenMu.Lock()
		defer seenMu.Unlock()
		hotIDs[w], hotNames[w] = id, name
	}
	pick := func(i int) (id, name string) {
		seenMu.Lock()
		defer seenMu.Unlock()
		if i%4 != 0 && hotIDs[i%writers] != "" {
			return hotIDs[i%writers], hotNames[i%writers]
		}
		if len(seenIDs) > 0 {
			id = seenIDs[i%len(seenIDs)]
		}
		return id, seenNames[i%len(seenNames)]
	}
	version := func(t *testing.T, r *provider.Resource) int64 {
		n, err := strconv.ParseInt(r.Version, 10, 64)
		if err != nil {
			t.Errorf("version %q: %v", r.Version, err)
			return -1
		}
		return n
	}
	lookup := func(name string) ([]*provider.Resource, error) {
		res, err := f.users.List(ctx, &provider.ListQuery{Filter: mustFilter(t, `userName eq "`+name+`"`), StartIndex: 1, Count: 10})
		if err != nil {
			return nil, err
		}
		return res.Resources, nil
	}

	stop := make(chan struct{})
	var readers sync.WaitGroup
	for r := range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			last := map[string]int64{}
			check := func(res *provider.Resource) bool {
				v := version(t, res)
				if v < last[res.ID] {
					t.Errorf("reader %d: %s went back from version %d to %d", r, res.ID, last[res.ID], v)
					return false
				}
				last[res.ID] = v
				return true
			}
			for i := r; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id, name := pick(i)
				if id != "" {
					for _, b := range []provider.Backend{f.users, f.groups} {
						res, err := b.Get(ctx, id, nil)
						if err == nil && !check(res) {
							return
						}
						if err != nil && scimStatus(err) != http.StatusNotFound {
							t.Error(err)
							return
						}
					}
				}
				found, err := lookup(name)
				if err != nil {
					t.Error(err)
					return
				}
				if len(found) > 1 {
					t.Errorf("reader %d: userName %q finds %d users", r, name, len(found))
					return
				}
				for _, res := range found {
					if !strings.EqualFold(res.Attrs["userName"].(string), name) {
						t.Errorf("reader %d: userName %q finds %v", r, name, res.Attrs["userName"])
						return
					}
					if !check(res) {
						return
					}
				}
			}
		}()
	}

	type user struct {
		id, name, display string
		version           int64
		member            bool
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			n := 0
			fresh := func(i int) string { n++; return fmt.Sprintf("w%d-u%d-%d", w, i, n) }
			create := func(name string) *user {
				attrs, err := f.ut.Validate(map[string]any{"schemas": []any{scim.UserSchema}, "userName": name, "displayName": "D " + name}, schema.Create, nil)
				if err != nil {
					panic(err) // a bad test body, not a failure of the directory
				}
				res, err := f.users.Create(ctx, attrs)
				if err != nil {
					t.Errorf("writer %d: create %s: %v", w, name, err)
					return nil
				}
				see("id", res.ID)
				see("name", name)
				return &user{id: res.ID, name: name, display: "D " + name, version: version(t, res)}
			}
			users := make([]*user, usersEach)
			for i := range users {
				if users[i] = create(fresh(i)); users[i] == nil {
					return
				}
			}
			gattrs, err := f.gt.Validate(map[string]any{"schemas": []any{scim.GroupSchema}, "displayName": fmt.Sprintf("G%d", w)}, schema.Create, nil)
			if err != nil {
				panic(err)
			}
			g, err := f.groups.Create(ctx, gattrs)
			if err != nil {
				t.Errorf("writer %d: create group: %v", w, err)
				return
			}
			see("id", g.ID)
			gVersion := version(t, g) // the group's least version: exact after its own PATCH

			// checkUser: GET and a userName lookup show exactly u.
			checkUser := func(what string, u *user) bool {
				got, err := f.users.Get(ctx, u.id, nil)
				if err != nil {
					t.Errorf("writer %d, %s: GET %s: %v", w, what, u.id, err)
					return false
				}
				if got.Attrs["userName"] != u.name || got.Attrs["displayName"] != u.display || version(t, got) != u.version {
					t.Errorf("writer %d, %s: GET shows userName %v, displayName %v, version %s; want %s, %s, %d",
						w, what, got.Attrs["userName"], got.Attrs["displayName"], got.Version, u.name, u.display, u.version)
					return false
				}
				groups, _ := got.Attrs["groups"].([]any)
				if inGroup := len(groups) == 1 && groups[0].(map[string]any)["value"] == g.ID; inGroup != u.member || len(groups) > 1 {
					t.Errorf("writer %d, %s: groups %v, member of %s: %t", w, what, got.Attrs["groups"], g.ID, u.member)
					return false
				}
				found, err := lookup(u.name)
				if err != nil {
					t.Error(err)
					return false
				}
				if len(found) != 1 || found[0].ID != u.id || version(t, found[0]) != u.version || found[0].Attrs["displayName"] != u.display {
					t.Errorf("writer %d, %s: userName eq %q finds %d, want %s at version %d", w, what, u.name, len(found), u.id, u.version)
					return false
				}
				return true
			}
			gone := func(what, name string) bool {
				found, err := lookup(name)
				if err != nil || len(found) != 0 {
					t.Errorf("writer %d, %s: the old userName %q still finds %d users (%v)", w, what, name, len(found), err)
					return false
				}
				return true
			}
			// checkGroup: GET shows the owned users that are members, and
			// a version at least gVersion (exactly, when exact).
			checkGroup := func(what string, exact bool) bool {
				got, err := f.groups.Get(ctx, g.ID, nil)
				if err != nil {
					t.Errorf("writer %d, %s: GET group: %v", w, what, err)
					return false
				}
				if v := version(t, got); v < gVersion || exact && v != gVersion {
					t.Errorf("writer %d, %s: group version %d, want %d (exact %t)", w, what, v, gVersion, exact)
					return false
				} else {
					gVersion = v
				}
				want := map[string]string{}
				for _, u := range users {
					if u.member {
						want[u.id] = u.display
					}
				}
				members, _ := got.Attrs["members"].([]any)
				if len(members) != len(want) {
					t.Errorf("writer %d, %s: group members %v, want %v", w, what, members, want)
					return false
				}
				for _, el := range members {
					m := el.(map[string]any)
					if d, ok := want[m["value"].(string)]; !ok || m["display"] != d {
						t.Errorf("writer %d, %s: group members %v, want %v", w, what, members, want)
						return false
					}
				}
				return true
			}
			// touched: u's version moved on by a membership change, to
			// what GET answers, which must be newer.
			touched := func(what string, u *user) bool {
				got, err := f.users.Get(ctx, u.id, nil)
				if err != nil {
					t.Errorf("writer %d, %s: %v", w, what, err)
					return false
				}
				if v := version(t, got); v <= u.version {
					t.Errorf("writer %d, %s: user version %d, was %d: unchanged", w, what, v, u.version)
					return false
				} else {
					u.version = v
				}
				return true
			}

			for k := range ops {
				i := rng.IntN(usersEach)
				u := users[i]
				heat(w, u.id, u.name)
				var what string
				ok := true
				switch op := rng.IntN(9); op {
				case 0, 1: // rename, or a new displayName
					old := u.name
					body := `[{"op":"replace","path":"displayName","value":"D` + strconv.Itoa(k) + `"}]`
					if op == 0 {
						u.name = fresh(i)
						see("name", u.name)
						heat(w, u.id, u.name)
						body = `[{"op":"replace","path":"userName","value":"` + u.name + `"}]`
					} else {
						u.display = "D" + strconv.Itoa(k)
					}
					what = fmt.Sprintf("op %d PATCH %s", k, body)
					res, err := f.users.Patch(ctx, u.id, patchOps(t, body), provider.Precondition{}, nil)
					if err != nil {
						t.Errorf("writer %d, %s: %v", w, what, err)
						return
					}
					if v := version(t, res); v <= u.version {
						t.Errorf("writer %d, %s: answered version %d, was %d", w, what, v, u.version)
						return
					} else {
						u.version = v
					}
					ok = checkUser(what, u) && (op == 1 || gone(what, old)) && (!u.member || checkGroup(what, false))
				case 2: // PUT with a new userName and displayName
					old := u.name
					u.name, u.display = fresh(i), "P"+strconv.Itoa(k)
					see("name", u.name)
					what = fmt.Sprintf("op %d PUT %s", k, u.name)
					attrs, err := f.ut.Validate(map[string]any{"schemas": []any{scim.UserSchema}, "userName": u.name, "displayName": u.display}, schema.Replace, nil)
					if err != nil {
						panic(err)
					}
					res, err := f.users.Replace(ctx, u.id, attrs, provider.Precondition{IfMatch: `W/"` + strconv.FormatInt(u.version, 10) + `"`})
					if err != nil {
						t.Errorf("writer %d, %s: %v", w, what, err)
						return
					}
					u.version = version(t, res)
					ok = checkUser(what, u) && gone(what, old) && (!u.member || checkGroup(what, false))
				case 3: // join or leave the group
					body := `[{"op":"add","path":"members","value":[{"value":"` + u.id + `"}]}]`
					if u.member {
						body = `[{"op":"remove","path":"members[value eq \"` + u.id + `\"]"}]`
					}
					what = fmt.Sprintf("op %d group PATCH %s", k, body)
					res, err := f.groups.Patch(ctx, g.ID, patchOps(t, body), provider.Precondition{}, nil)
					if err != nil {
						t.Errorf("writer %d, %s: %v", w, what, err)
						return
					}
					u.member = !u.member
					if v := version(t, res); v <= gVersion {
						t.Errorf("writer %d, %s: group answered version %d, was %d", w, what, v, gVersion)
						return
					} else {
						gVersion = v
					}
					ok = checkGroup(what, true) && touched(what, u) && checkUser(what, u)
				case 4: // delete, then create again under a new name
					what = fmt.Sprintf("op %d DELETE %s", k, u.id)
					if err := f.users.Delete(ctx, u.id, provider.Precondition{}); err != nil {
						t.Errorf("writer %d, %s: %v", w, what, err)
						return
					}
					if _, err := f.users.Get(ctx, u.id, nil); scimStatus(err) != http.StatusNotFound {
						t.Errorf("writer %d, %s: GET after DELETE: %v", w, what, err)
						return
					}
					wasMember := u.member
					u.member = false
					ok = gone(what, u.name) && (!wasMember || checkGroup(what, false))
					if users[i] = create(fresh(i)); users[i] == nil {
						return
					}
					ok = ok && checkUser(what+", created again", users[i])
				case 5: // a stale If-Match: 412, nothing changes
					what = fmt.Sprintf("op %d PATCH with a stale If-Match", k)
					_, err := f.users.Patch(ctx, u.id, patchOps(t, `[{"op":"replace","path":"displayName","value":"never"}]`), provider.Precondition{IfMatch: `W/"` + strconv.FormatInt(u.version-1, 10) + `"`}, nil)
					if scimStatus(err) != http.StatusPreconditionFailed {
						t.Errorf("writer %d, %s: %v, want 412", w, what, err)
						return
					}
					ok = checkUser(what, u)
				case 7, 8: // the shared user: later GETs show this write or a later one
					what = fmt.Sprintf("op %d PATCH of the shared user", k)
					mine := fmt.Sprintf("w%d-%d", w, k)
					res, err := f.users.Patch(ctx, shared.ID, patchOps(t, `[{"op":"replace","path":"displayName","value":"`+mine+`"}]`), provider.Precondition{}, nil)
					if err != nil {
						t.Errorf("writer %d, %s: %v", w, what, err)
						return
					}
					v := version(t, res)
					got, err := f.users.Get(ctx, shared.ID, nil)
					if err != nil {
						t.Errorf("writer %d, %s: %v", w, what, err)
						return
					}
					found, err := lookup("shared")
					if err != nil || len(found) != 1 {
						t.Errorf("writer %d, %s: userName eq shared finds %d (%v)", w, what, len(found), err)
						return
					}
					for _, r := range []*provider.Resource{got, found[0]} {
						if gv := version(t, r); gv < v || gv == v && r.Attrs["displayName"] != mine {
							t.Errorf("writer %d, %s: wrote version %d, then read version %d with displayName %v", w, what, v, gv, r.Attrs["displayName"])
							return
						}
					}
				case 6: // a taken userName: 409, nothing changes
					what = fmt.Sprintf("op %d rename to a taken userName", k)
					_, err := f.users.Patch(ctx, u.id, patchOps(t, `[{"op":"replace","path":"userName","value":"RESERVED"}]`), provider.Precondition{}, nil)
					if scimStatus(err) != http.StatusConflict {
						t.Errorf("writer %d, %s: %v, want 409", w, what, err)
						return
					}
					found, err := lookup("reserved")
					if err != nil || len(found) != 1 || found[0].ID != reserved.ID {
						t.Errorf("writer %d, %s: userName eq reserved finds %d (%v)", w, what, len(found), err)
						return
					}
					ok = checkUser(what, u)
				}
				if !ok {
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
}

// TestReadRacingAWriteCachesNothingStale: a cold read that took its
// snapshot before a write and finishes after it must not cache what it
// read (the generation check), and a write drops the index lookups it
// changed, not only the userName the write-through caches anew.
func TestReadRacingAWriteCachesNothingStale(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	ps := &pausingStore{Store: db, exclusive: true}
	f, _ := openFixture(t, ps)
	setup, _ := openFixture(t, db) // creates users f has not cached
	lookup := func(flt string) []*provider.Resource {
		t.Helper()
		res, err := f.users.List(ctx, &provider.ListQuery{Filter: mustFilter(t, flt), StartIndex: 1, Count: 10})
		if err != nil {
			t.Fatal(err)
		}
		return res.Resources
	}
	// during runs read paused after its first store read, write meanwhile.
	during := func(read func(), write func()) {
		t.Helper()
		ps.arm()
		done := make(chan struct{})
		go func() {
			defer close(done)
			read()
		}()
		<-ps.paused
		write()
		close(ps.resume)
		<-done
	}
	patchUser := func(id, ops string) {
		t.Helper()
		if _, err := f.users.Patch(ctx, id, patchOps(t, ops), provider.Precondition{}, nil); err != nil {
			t.Error(err)
		}
	}

	t.Run("get", func(t *testing.T) {
		u := setup.user(t, "got")
		during(func() { _, _ = f.users.Get(ctx, u.ID, nil) }, func() {
			patchUser(u.ID, `[{"op":"replace","path":"displayName","value":"After"}]`)
		})
		got, err := f.users.Get(ctx, u.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.Attrs["displayName"] != "After" || got.Version != "2" {
			t.Errorf("GET after the PATCH: displayName %v, version %s", got.Attrs["displayName"], got.Version)
		}
	})
	t.Run("delete", func(t *testing.T) {
		u := setup.user(t, "gone")
		during(func() { _, _ = f.users.Get(ctx, u.ID, nil) }, func() {
			if err := f.users.Delete(ctx, u.ID, provider.Precondition{}); err != nil {
				t.Error(err)
			}
		})
		if _, err := f.users.Get(ctx, u.ID, nil); scimStatus(err) != http.StatusNotFound {
			t.Errorf("GET after DELETE = %v, want not found", err)
		}
	})
	t.Run("lookup", func(t *testing.T) {
		u := setup.user(t, "looked")
		during(func() { lookup(`externalId eq "new-ext"`) }, func() {
			patchUser(u.ID, `[{"op":"replace","path":"externalId","value":"new-ext"}]`)
		})
		if got := lookup(`externalId eq "new-ext"`); len(got) != 1 || got[0].ID != u.ID {
			t.Errorf("externalId lookup after the PATCH found %d", len(got))
		}
		if got := lookup(`externalId eq "ext-looked"`); len(got) != 0 {
			t.Errorf("the old externalId still finds %d", len(got))
		}
	})
	t.Run("lookups a write changes", func(t *testing.T) {
		u := setup.user(t, "keys")
		// Cached answers, empty for the values the PATCH then sets.
		for _, flt := range []string{`emails eq "new@example.com"`, `externalId eq "ext-2"`, `displayName eq "Shown"`, `emails eq "keys@example.com"`} {
			lookup(flt)
			lookup(flt)
		}
		patchUser(u.ID, `[{"op":"replace","path":"emails","value":[{"value":"new@example.com"}]},{"op":"replace","path":"externalId","value":"ext-2"},{"op":"replace","path":"displayName","value":"Shown"}]`)
		for _, flt := range []string{`emails eq "NEW@example.com"`, `externalId eq "ext-2"`, `displayName eq "shown"`} {
			if got := lookup(flt); len(got) != 1 || got[0].ID != u.ID || got[0].Version != "2" {
				t.Errorf("%s after the PATCH found %d", flt, len(got))
			}
		}
		if got := lookup(`emails eq "keys@example.com"`); len(got) != 0 {
			t.Errorf("the old email still finds %d", len(got))
		}
	})
}

// ackPausingStore holds an armed Update after its commit, before it
// returns: the window in which the store has a write's result and the
// read cache has not been refreshed yet.
type ackPausingStore struct {
	store.Store
	armed     atomic.Bool
	committed chan struct{}
	release   chan struct{}
}

func (s *ackPausingStore) Exclusive() bool { return true }

func (s *ackPausingStore) arm() {
	s.committed, s.release = make(chan struct{}), make(chan struct{})
	s.armed.Store(true)
}

func (s *ackPausingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	err := s.Store.Update(ctx, fn)
	if s.armed.CompareAndSwap(true, false) {
		close(s.committed)
		<-s.release
	}
	return err
}

// TestReadsAfterACommitDoNotGoBack: once a write has committed, a read
// sees it even before the write has refreshed the read cache, so that a
// client that has seen the new state (in a list, say) is not answered the
// old cached copy next.
func TestReadsAfterACommitDoNotGoBack(t *testing.T) {
	ctx := context.Background()
	as := &ackPausingStore{Store: openDB(t)}
	f, _ := openFixture(t, as)
	u := f.user(t, "mono")
	if _, err := f.users.Get(ctx, u.ID, nil); err != nil { // cached
		t.Fatal(err)
	}
	as.arm()
	patched := make(chan error, 1)
	go func() {
		_, err := f.users.Patch(ctx, u.ID, patchOps(t, `[{"op":"replace","path":"displayName","value":"After"}]`), provider.Precondition{}, nil)
		patched <- err
	}()
	<-as.committed
	got, err := f.users.Get(ctx, u.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Attrs["displayName"] != "After" || got.Version == u.Version {
		t.Errorf("GET between the commit and the cache refresh: displayName %v, version %s (created at %s)", got.Attrs["displayName"], got.Version, u.Version)
	}
	res, err := f.users.List(ctx, &provider.ListQuery{Filter: mustFilter(t, `userName eq "mono"`), StartIndex: 1, Count: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Resources) != 1 || res.Resources[0].Attrs["displayName"] != "After" {
		t.Errorf("userName lookup between the commit and the cache refresh: %v", res.Resources)
	}
	close(as.release)
	if err := <-patched; err != nil {
		t.Fatal(err)
	}
}

// TestRetriedWriteClearsEveryAttemptsMarks: a write whose fn ran twice
// (a batch re-run) may have changed other resources the first time; once
// it finishes, none of them stays marked as being written, or the cache
// would stop serving them until their next write.
func TestRetriedWriteClearsEveryAttemptsMarks(t *testing.T) {
	c := newReadCache(&exclusiveStore{})
	for _, id := range []string{"a", "b"} {
		c.add(&cached{rec: store.Resource{Type: "User", ID: id}})
	}
	first := c.beginWrite()
	c.changing(first, []string{"a"})
	ws := writeSet{seq: c.beginWrite(), earlier: []string{"a"}}
	c.changing(ws.seq, []string{"b"})
	ws.ids = []string{"b"}
	c.wrote(&ws, first, true)
	if len(c.pending) != 0 {
		t.Errorf("marks left after the write: %v", c.pending)
	}
	if c.get(resourceKey("User", "a")) == nil {
		t.Error("a, changed only by the first attempt (rolled back), is no longer served")
	}
}

// TestCacheStaysBoundedUnderCreates: creates alone fill the cache (they
// write through), so they too must respect its limit, and lookups stay
// right after the cache started over.
func TestCacheStaysBoundedUnderCreates(t *testing.T) {
	ctx := context.Background()
	es := &exclusiveStore{Store: openDB(t)}
	f, dir := openFixture(t, es)
	const limit = 8
	dir.cache.limit = limit
	var ids []string
	for i := range 3*limit + 1 {
		ids = append(ids, f.user(t, fmt.Sprintf("u%d", i)).ID)
	}
	dir.cache.mu.Lock()
	resources, lookups := len(dir.cache.resources), len(dir.cache.lookups)
	dir.cache.mu.Unlock()
	if resources > limit || lookups > limit {
		t.Errorf("after %d creates the cache holds %d resources and %d lookups; limit %d", len(ids), resources, lookups, limit)
	}
	for i, id := range ids {
		res, err := f.users.List(ctx, &provider.ListQuery{Filter: mustFilter(t, fmt.Sprintf(`userName eq "U%d"`, i)), StartIndex: 1, Count: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Resources) != 1 || res.Resources[0].ID != id {
			t.Errorf("userName eq u%d: %d results", i, len(res.Resources))
		}
	}
}

// TestProviderReadsLeaveTheCacheAsItWas: a cached GET hands the provider
// the cache's own attributes, so nothing the provider does with them
// (projection, $ref values, the computed attribute, rendering) may change
// them: the next reader would see it.
func TestProviderReadsLeaveTheCacheAsItWas(t *testing.T) {
	ctx := context.Background()
	f, _ := newCachedFixture(t)
	dir := f.users.(*backend).d
	boss := f.user(t, "boss")
	u := f.user(t, "alice")
	if _, err := f.users.Patch(ctx, u.ID, patchOps(t, `[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"`+boss.ID+`"}}]`), provider.Precondition{}, nil); err != nil {
		t.Fatal(err)
	}
	g := f.group(t, "Readers", u.ID)
	cfg := provider.DefaultConfig()
	cfg.BaseURL = "https://scim.example.com/scim/t/v2"
	p, err := provider.New(cfg, provider.ResourceType{Type: f.ut, Backend: f.users}, provider.ResourceType{Type: f.gt, Backend: f.groups})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) {
		t.Helper()
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
	}
	get("/Users/" + u.ID) // fills the cache
	get("/Groups/" + g.ID)
	snapshot := func(typ, id string) string {
		t.Helper()
		v := dir.cache.get(resourceKey(typ, id))
		if v == nil {
			t.Fatalf("%s %s is not cached", typ, id)
		}
		b, err := json.Marshal(map[string]any{"attrs": v.attrs, "computed": v.computed})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	userBefore, groupBefore := snapshot("User", u.ID), snapshot("Group", g.ID)
	for _, q := range []string{"", "?attributes=userName", "?excludedAttributes=emails,name", "?attributes=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "?excludedAttributes=groups"} {
		get("/Users/" + u.ID + q)
	}
	for _, q := range []string{"", "?attributes=displayName", "?excludedAttributes=members"} {
		get("/Groups/" + g.ID + q)
	}
	if got := snapshot("User", u.ID); got != userBefore {
		t.Errorf("GETs changed the cached user:\nbefore %s\nafter  %s", userBefore, got)
	}
	if got := snapshot("Group", g.ID); got != groupBefore {
		t.Errorf("GETs changed the cached group:\nbefore %s\nafter  %s", groupBefore, got)
	}
}
