package e2e

import (
	"github.com/scimconnect/scimconnect/internal/pgtest"
	"github.com/scimconnect/scimconnect/internal/syncbuf"

	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// replicaCount is how many serve processes share the schema.
	replicaCount = 3
	// loadWorkers is how many client goroutines drive the load.
	loadWorkers = 12
	// loadDuration is how long the load runs; the kill happens halfway.
	loadDuration = 4 * time.Second
	// maxAttempts bounds one logical operation's retries across replicas.
	maxAttempts = 6
	// collisionNames is how many userNames every worker races for.
	collisionNames = 8
)

// dropSchemaAtEnd drops schema with everything in it when the test ends,
// after the replicas (registered later) have stopped.
func dropSchemaAtEnd(t *testing.T, dsn, schema string) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schema %s: connect: %v", schema, err)
			return
		}
		defer func() { _ = conn.Close(ctx) }()
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
}

// startReplica starts `scimconnect serve` on a free port with the shared
// PostgreSQL store and waits until it answers /readyz. The returned demo
// reuses the harness's request helpers and graceful-stop check.
func startReplica(t *testing.T, dsn, schema, token string) *demo {
	t.Helper()
	return startReplicaWith(t, dsn, schema, token, "", nil)
}

// startReplicaWith is startReplica with more configuration (YAML
// appended to the file) and environment variables ("NAME=value").
func startReplicaWith(t *testing.T, dsn, schema, token, extraYAML string, env []string) *demo {
	t.Helper()
	dir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfg := fmt.Sprintf(`listen: %q
data: %q
log:
  level: warn
store:
  type: postgres
  dsn: %q
  schema: %q
instances:
  - name: local
    type: local
    token: %q
`, addr, filepath.Join(dir, "data"), dsn, schema, token) + extraYAML
	cfgPath := filepath.Join(dir, "scimconnect.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatalf("write config: %v", err)
	}
	d := &demo{
		Origin:  "http://" + addr,
		BaseURL: "http://" + addr + "/scim/local/v2",
		Token:   token,
		output:  &syncbuf.Buffer{},
		exited:  make(chan struct{}),
		client:  &http.Client{Timeout: 10 * time.Second},
	}
	d.cmd = exec.Command(binaryPath, "serve", "--config", cfgPath)
	if env != nil {
		d.cmd.Env = append(os.Environ(), env...)
	}
	d.cmd.Stdout = d.output
	d.cmd.Stderr = d.output
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start serve: %v", err)
	}
	go func() {
		d.exitErr = d.cmd.Wait()
		close(d.exited)
	}()
	t.Cleanup(func() { d.stop(t) })

	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-d.exited:
			t.Fatalf("serve exited before it was ready: %v\n%s", d.exitErr, d.output)
		default:
		}
		r, err := d.send(t.Context(), http.MethodGet, d.Origin+"/readyz", nil)
		if err == nil && r.Status == http.StatusOK {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve on %s not ready within %v (last: %v %v)\n%s", addr, startTimeout, r, err, d.output)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// kill ends the replica with SIGKILL, without a chance to finish
// anything, and marks it stopped so the graceful-stop cleanup skips it.
func (d *demo) kill(t *testing.T) {
	t.Helper()
	d.stopOnce.Do(func() {
		if err := d.cmd.Process.Kill(); err != nil {
			t.Errorf("SIGKILL replica: %v", err)
		}
		<-d.exited
	})
}

// outcome classifies one logical operation after its retries.
type outcome int

const (
	acked     outcome = iota // 2xx
	expected                 // an error the scenario provokes (409, 404)
	uncertain                // retries exhausted: the write may or may not have committed
)

// loadStats counts what the clients saw, per attempt.
type loadStats struct {
	mu         sync.Mutex
	acked      int
	expected   int
	retryable  int
	connErrors int
	status503  int
	by503      map[string]int // "POST /Users" → 503s, to show where conflicts occur
	unexpected []string
}

func (s *loadStats) add(f func(*loadStats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// loadClient is one worker: it starts on its own replica and moves to the
// next one after every retryable failure, as a client behind a load
// balancer would.
type loadClient struct {
	replicas []*demo
	next     int
	stats    *loadStats
}

// call performs one logical operation, retrying connection errors and 503
// on other replicas. ok lists the statuses the caller accepts as final;
// retried reports whether any attempt failed retryably, so that a final
// 409 or 404 can be read as "an earlier attempt may have committed".
func (c *loadClient) call(ctx context.Context, method, path string, body any, ok ...int) (r *response, retried bool) {
	for attempt := range maxAttempts {
		d := c.replicas[c.next%len(c.replicas)]
		resp, err := d.trySCIM(ctx, method, path, body)
		switch {
		case ctx.Err() != nil:
			return nil, retried
		case err != nil:
			c.stats.add(func(s *loadStats) { s.retryable++; s.connErrors++ })
		case resp.Status == http.StatusServiceUnavailable:
			op := method + " /" + strings.SplitN(strings.TrimPrefix(path, "/"), "/", 2)[0]
			c.stats.add(func(s *loadStats) { s.retryable++; s.status503++; s.by503[op]++ })
			if secs, convErr := strconv.Atoi(resp.Header.Get("Retry-After")); convErr != nil || secs < 0 {
				c.stats.add(func(s *loadStats) {
					s.unexpected = append(s.unexpected, fmt.Sprintf("503 without a valid Retry-After: %s", resp))
				})
			}
		case resp.Status >= 200 && resp.Status < 300:
			c.stats.add(func(s *loadStats) { s.acked++ })
			return resp, retried
		case slices.Contains(ok, resp.Status):
			c.stats.add(func(s *loadStats) { s.expected++ })
			return resp, retried
		default:
			c.stats.add(func(s *loadStats) { s.unexpected = append(s.unexpected, resp.String()) })
			return nil, retried
		}
		retried = true
		c.next++
		// A short, growing pause: Retry-After is in whole seconds, far
		// longer than a serialization conflict or a dead replica needs.
		time.Sleep(time.Duration(20*(attempt+1)) * time.Millisecond)
	}
	return nil, retried
}

// userRecord is what the clients know about one user they created.
type userRecord struct {
	id       string
	userName string
	// displayNames holds the values the user may show: the last
	// acknowledged one ("" at creation) plus any later PATCH whose
	// outcome is unknown.
	displayNames []string
	patched      int      // acknowledged PATCHes
	deleted      bool     // acknowledged delete (204, or 404 after a retry)
	maybeDeleted bool     // delete whose outcome is unknown
	grouped      bool     // acknowledged member of the worker's group
	history      []string // this worker's writes and their results, for failure messages
}

// workerLog is one worker's record of its writes; only that worker
// writes to it until the load ends.
type workerLog struct {
	users        []*userRecord // acknowledged creates
	maybeNames   []string      // unique creates that answered 409 after a retry: committed
	unknownNames []string      // unique creates whose outcome is unknown
	groupID      string
	collisions   map[string][]string // collision userName → ids from 201
	collided409  map[string]bool     // collision userName → a 409 was seen
}

// TestReplicasSurviveKill runs three replicas on one PostgreSQL schema,
// drives a mixed SCIM load across them, SIGKILLs one halfway, and checks
// that every acknowledged write survived, nothing was duplicated and the
// clients saw only retryable errors (issue 4, PostgreSQL and scale-out).
func TestReplicasSurviveKill(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := fmt.Sprintf("scimtest_replicas_%d", time.Now().UnixNano())
	dropSchemaAtEnd(t, dsn, schema)
	token := fmt.Sprintf("scim_replicas-%d", time.Now().UnixNano())

	// Started one after another: each waits for /readyz, so the first
	// runs the migrations and the others find the schema ready.
	replicas := make([]*demo, replicaCount)
	for i := range replicas {
		replicas[i] = startReplica(t, dsn, schema, token)
	}
	victim, survivor := replicas[1], replicas[0]

	logs := make([]*workerLog, loadWorkers)
	stats := &loadStats{by503: map[string]int{}}
	for w := range loadWorkers {
		logs[w] = &workerLog{collisions: map[string][]string{}, collided409: map[string]bool{}}
		g := replicas[w%replicaCount].createGroup(t, fmt.Sprintf("replica-group-%d", w))
		logs[w].groupID = g
	}

	ctx, cancel := context.WithTimeout(t.Context(), loadDuration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range loadWorkers {
		wg.Go(func() {
			runWorker(ctx, w, logs[w], &loadClient{replicas: replicas, next: w, stats: stats})
		})
	}
	time.Sleep(loadDuration / 2)
	victim.kill(t)
	killedAt := time.Since(start)
	wg.Wait()
	// The connection pools still point at the dead replica; the checks
	// below go to a survivor only.
	for _, d := range replicas {
		d.client.CloseIdleConnections()
	}

	t.Run("clients saw only retryable errors", func(t *testing.T) {
		for _, u := range stats.unexpected {
			t.Errorf("not a retryable or expected error: %s", u)
		}
		if stats.acked == 0 {
			t.Fatal("no write was acknowledged: the load did not run")
		}
	})
	t.Run("survivors stay ready", func(t *testing.T) {
		for _, d := range replicas {
			if d == victim {
				continue
			}
			r := d.doURL(t, http.MethodGet, d.Origin+"/readyz", nil)
			if r.Status != http.StatusOK {
				t.Errorf("%s/readyz after the kill: %s", d.Origin, r)
			}
		}
	})
	t.Run("acknowledged creates exist exactly once", func(t *testing.T) {
		for _, l := range logs {
			for _, u := range l.users {
				r := survivor.get(t, "/Users/"+u.id)
				switch {
				case u.deleted:
					wantError(t, r, http.StatusNotFound, "")
				case u.maybeDeleted:
					if r.Status != http.StatusOK && r.Status != http.StatusNotFound {
						t.Errorf("user %s after an unknown delete: %s", u.id, r)
					}
				default:
					wantStatus(t, r, http.StatusOK)
					if got := str(r.Body, "userName"); got != u.userName {
						t.Errorf("user %s userName = %q, want %q", u.id, got, u.userName)
					}
				}
				want := 1
				if u.deleted {
					want = 0
				}
				n := survivor.countUserName(t, u.userName)
				if n != want && !(u.maybeDeleted && n <= 1) {
					t.Errorf("userName %q: %d users, want %d", u.userName, n, want)
				}
			}
		}
	})
	t.Run("creates that got 409 after a retry committed once", func(t *testing.T) {
		for _, l := range logs {
			for _, name := range l.maybeNames {
				// Only this worker uses the name: a 409 means its own
				// earlier attempt committed.
				if n := survivor.countUserName(t, name); n != 1 {
					t.Errorf("userName %q answered 409 after a retry but %d users have it", name, n)
				}
			}
		}
	})
	t.Run("creates with unknown outcome committed at most once", func(t *testing.T) {
		for _, l := range logs {
			for _, name := range l.unknownNames {
				if n := survivor.countUserName(t, name); n > 1 {
					t.Errorf("userName %q: %d users, want at most 1", name, n)
				}
			}
		}
	})
	t.Run("each collision produced one user", func(t *testing.T) {
		for k := range collisionNames {
			name := collisionName(k)
			var created []string
			seen409 := false
			for _, l := range logs {
				created = append(created, l.collisions[name]...)
				seen409 = seen409 || l.collided409[name]
			}
			if len(created) > 1 {
				t.Errorf("userName %q: %d creates acknowledged (%v), want at most 1", name, len(created), created)
			}
			n := survivor.countUserName(t, name)
			if n > 1 || ((len(created) > 0 || seen409) && n != 1) {
				t.Errorf("userName %q: %d users (201s %v, 409 seen %v), want exactly 1", name, n, created, seen409)
			}
			if len(created) == 1 && n == 1 {
				wantStatus(t, survivor.get(t, "/Users/"+created[0]), http.StatusOK)
			}
		}
	})
	t.Run("acknowledged patches are visible", func(t *testing.T) {
		for _, l := range logs {
			for _, u := range l.users {
				if u.deleted || u.maybeDeleted {
					continue
				}
				r := survivor.get(t, "/Users/"+u.id)
				wantStatus(t, r, http.StatusOK)
				if got := str(r.Body, "displayName"); !slices.Contains(u.displayNames, got) {
					t.Errorf("user %s displayName = %q, want one of %q\n%s\n%s", u.id, got, u.displayNames, r.Raw, strings.Join(u.history, "\n"))
				}
			}
		}
	})
	t.Run("group members exist", func(t *testing.T) {
		for _, l := range logs {
			r := survivor.get(t, "/Groups/"+l.groupID)
			wantStatus(t, r, http.StatusOK)
			members := memberValues(r.Body)
			for _, m := range members {
				if g := survivor.get(t, "/Users/"+m); g.Status != http.StatusOK {
					t.Errorf("group %s lists member %s, which does not exist: %s", l.groupID, m, g)
				}
			}
			for _, u := range l.users {
				if u.grouped && !u.deleted && !u.maybeDeleted && !slices.Contains(members, u.id) {
					t.Errorf("group %s lacks acknowledged member %s (members %v)", l.groupID, u.id, members)
				}
			}
		}
	})

	var creates, patches, deletes, grouped, maybe int
	for _, l := range logs {
		creates += len(l.users)
		maybe += len(l.maybeNames)
		for _, u := range l.users {
			patches += u.patched
			if u.deleted {
				deletes++
			}
			if u.grouped {
				grouped++
			}
		}
	}
	t.Logf("killed %s after %v; attempts: %d acknowledged, %d expected errors, %d retryable (%d connection errors, %d×503 %v), %d unexpected",
		victim.Origin, killedAt.Round(time.Millisecond), stats.acked, stats.expected, stats.retryable, stats.connErrors, stats.status503, stats.by503, len(stats.unexpected))
	t.Logf("state: %d users created (+%d 409-after-retry), %d patched, %d deleted, %d group members", creates, maybe, patches, deletes, grouped)
}

// collisionName is the k-th userName every worker tries to create.
func collisionName(k int) string { return fmt.Sprintf("collide-%d@example.com", k) }

// runWorker drives one client's share of the load until ctx ends: a
// rotation of unique creates, colliding creates, PATCHes, member adds and
// deletes, all on this worker's own users so the expected state is known.
func runWorker(ctx context.Context, w int, l *workerLog, c *loadClient) {
	for step := 0; ctx.Err() == nil; step++ {
		switch step % 6 {
		case 0, 3:
			name := fmt.Sprintf("w%d-u%d@example.com", w, step)
			r, retried := c.call(ctx, http.MethodPost, "/Users",
				map[string]any{"schemas": []string{userURN}, "userName": name}, http.StatusConflict)
			switch {
			case r == nil:
				l.unknownNames = append(l.unknownNames, name)
			case r.Status == http.StatusCreated:
				l.users = append(l.users, &userRecord{id: str(r.Body, "id"), userName: name, displayNames: []string{""}})
			case r.Status == http.StatusConflict && retried:
				l.maybeNames = append(l.maybeNames, name)
			default:
				c.stats.add(func(s *loadStats) {
					s.unexpected = append(s.unexpected, "unique create answered without a retry: "+r.String())
				})
			}
		case 1:
			name := collisionName((step / 6) % collisionNames)
			r, _ := c.call(ctx, http.MethodPost, "/Users",
				map[string]any{"schemas": []string{userURN}, "userName": name}, http.StatusConflict)
			switch {
			case r == nil:
			case r.Status == http.StatusCreated:
				l.collisions[name] = append(l.collisions[name], str(r.Body, "id"))
			case r.Status == http.StatusConflict:
				if str(r.Body, "scimType") != "uniqueness" {
					c.stats.add(func(s *loadStats) {
						s.unexpected = append(s.unexpected, "409 without scimType uniqueness: "+r.String())
					})
				}
				l.collided409[name] = true
			}
		case 2:
			u := pickLive(l.users, step)
			if u == nil {
				continue
			}
			value := fmt.Sprintf("w%d step %d", w, step)
			r, _ := c.call(ctx, http.MethodPatch, "/Users/"+u.id,
				patchOp(map[string]any{"op": "replace", "path": "displayName", "value": value}))
			u.history = append(u.history, fmt.Sprintf("patch %q -> %v", value, r))
			if r != nil {
				u.patched++
				u.displayNames = []string{value}
			} else {
				u.displayNames = append(u.displayNames, value)
			}
		case 4:
			u := pickLive(l.users, step)
			if u == nil || u.grouped {
				continue
			}
			r, _ := c.call(ctx, http.MethodPatch, "/Groups/"+l.groupID,
				patchOp(map[string]any{"op": "add", "path": "members", "value": []map[string]any{{"value": u.id}}}))
			u.grouped = r != nil
			u.history = append(u.history, fmt.Sprintf("group add -> %v", r))
		case 5:
			if step%12 != 5 {
				continue // delete half as often as the rest
			}
			u := pickLive(l.users, step)
			if u == nil {
				continue
			}
			r, retried := c.call(ctx, http.MethodDelete, "/Users/"+u.id, nil, http.StatusNotFound)
			switch {
			case r == nil:
				u.maybeDeleted = true
			case r.Status == http.StatusNoContent:
				u.deleted = true
				u.history = append(u.history, "delete -> 204")
			case r.Status == http.StatusNotFound && retried:
				u.deleted = true // an earlier attempt committed
			default:
				c.stats.add(func(s *loadStats) {
					s.unexpected = append(s.unexpected, "delete of a live user: "+r.String())
				})
			}
		}
	}
}

// pickLive returns one of users that is not (maybe) deleted, chosen by
// step, or nil when there is none.
func pickLive(users []*userRecord, step int) *userRecord {
	for i := range users {
		u := users[(step+i)%len(users)]
		if !u.deleted && !u.maybeDeleted {
			return u
		}
	}
	return nil
}

// createGroup POSTs a group with a displayName and returns its id.
func (d *demo) createGroup(t *testing.T, displayName string) string {
	t.Helper()
	r := d.do(t, http.MethodPost, "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": displayName})
	wantStatus(t, r, http.StatusCreated)
	return str(r.Body, "id")
}

// countUserName returns how many users have exactly userName.
func (d *demo) countUserName(t *testing.T, userName string) int {
	t.Helper()
	filter := `userName eq "` + strings.ReplaceAll(userName, `"`, `\"`) + `"`
	return num(t, d.listAll(t, "/Users", "filter", filter), "totalResults")
}
