package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Schema and message URNs of RFC 7643 §8.7 and RFC 7644 §3.1 the requests use.
const (
	userSchema       = "urn:ietf:params:scim:schemas:core:2.0:User"
	enterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	groupSchema      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	patchOpSchema    = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// pageSize is the count of the page scenarios.
const pageSize = 100

// smallGroupBase is the resident membership of a members-small group.
const smallGroupBase = 10

// scenario runs one named scenario and returns its rows.
func (b *bench) scenario(ctx context.Context, name string) []result {
	switch name {
	case "create":
		return []result{b.create(ctx)}
	case "get":
		return []result{b.get(ctx)}
	case "filter":
		return []result{b.filter(ctx)}
	case "page":
		return b.page(ctx)
	case "patch":
		return []result{b.patch(ctx)}
	case "members":
		return b.members(ctx)
	case "getgroup":
		return b.getGroup(ctx)
	case "delete":
		return []result{b.deleteUsers(ctx)}
	}
	return []result{{Name: name, Skipped: true, Note: "unknown scenario"}}
}

func skipped(name, why string) result { return result{Name: name, Skipped: true, Note: why} }

// userBody is a realistic create body: core and enterprise attributes.
func (b *bench) userBody(i int) ([]byte, string) {
	userName := fmt.Sprintf("bench-%s-%06d", b.runID, i)
	given, family := fmt.Sprintf("Given%d", i), fmt.Sprintf("Family%s", b.runID)
	body := map[string]any{
		"schemas":  []string{userSchema, enterpriseSchema},
		"userName": userName,
		"name": map[string]any{
			"givenName":  given,
			"familyName": family,
			"formatted":  given + " " + family,
		},
		"displayName": given + " " + family,
		"emails": []map[string]any{
			{"value": userName + "@example.com", "type": "work", "primary": true},
		},
		"active": true,
		enterpriseSchema: map[string]any{
			"employeeNumber": strconv.Itoa(100000 + i),
			"department":     fmt.Sprintf("Department %d", i%20),
		},
	}
	data, _ := json.Marshal(body) // maps of strings and bools always marshal
	return data, userName
}

func (b *bench) create(ctx context.Context) result {
	n := b.opts.users
	made := make([]userRef, n)
	res := b.counted(ctx, "create", b.opts.concurrency, n, func(ctx context.Context, rec *recorder, w, i int) {
		body, userName := b.userBody(i)
		var out struct {
			ID string `json:"id"`
		}
		if b.do(ctx, rec, w, http.MethodPost, "/Users", body, &out) {
			if out.ID == "" {
				rec.fail("POST /Users: response has no id")
				return
			}
			made[i] = userRef{id: out.ID, userName: userName}
		}
	})
	for _, u := range made {
		if u.id != "" {
			b.users = append(b.users, u)
		}
	}
	b.created = true
	return res
}

// ensureUsers gives scenarios run without create some users to address:
// the first --n users the server lists. They are never deleted.
func (b *bench) ensureUsers(ctx context.Context) {
	if b.created || len(b.users) > 0 {
		return
	}
	rec := b.newRecorder("discover users", 1)
	for start := 1; len(b.users) < b.opts.users && ctx.Err() == nil; {
		var page listPage
		path := fmt.Sprintf("/Users?startIndex=%d&count=%d", start, pageSize)
		if !b.do(ctx, rec, 0, http.MethodGet, path, nil, &page) {
			return
		}
		for _, raw := range page.Resources {
			var u struct {
				ID       string `json:"id"`
				UserName string `json:"userName"`
			}
			if json.Unmarshal(raw, &u) == nil && u.ID != "" && len(b.users) < b.opts.users {
				b.users = append(b.users, userRef{id: u.ID, userName: u.UserName})
			}
		}
		start += len(page.Resources)
		if len(page.Resources) == 0 || start > page.TotalResults {
			return
		}
	}
}

func (b *bench) pick(rng *rand.Rand) userRef { return b.users[rng.IntN(len(b.users))] }

func (b *bench) get(ctx context.Context) result {
	if b.ensureUsers(ctx); len(b.users) == 0 {
		return skipped("get", "no users")
	}
	return b.timed(ctx, "get", b.opts.concurrency, func(ctx context.Context, rec *recorder, w int, rng *rand.Rand) {
		b.do(ctx, rec, w, http.MethodGet, "/Users/"+url.PathEscape(b.pick(rng).id), nil, nil)
	})
}

// filterQuery encodes a filter with %20 for spaces, as most clients send it.
func filterQuery(filter string) string {
	return strings.ReplaceAll(url.QueryEscape(filter), "+", "%20")
}

func (b *bench) filter(ctx context.Context) result {
	if b.ensureUsers(ctx); len(b.users) == 0 {
		return skipped("filter", "no users")
	}
	return b.timed(ctx, "filter", b.opts.concurrency, func(ctx context.Context, rec *recorder, w int, rng *rand.Rand) {
		u := b.pick(rng)
		var out struct {
			TotalResults int `json:"totalResults"`
		}
		path := "/Users?filter=" + filterQuery(`userName eq "`+u.userName+`"`)
		if b.do(ctx, rec, w, http.MethodGet, path, nil, &out) && out.TotalResults != 1 {
			rec.fail("GET %s: totalResults %d, want 1", path, out.TotalResults)
		}
	})
}

// listPage is the part of an RFC 7644 §3.4.2 ListResponse (and RFC 9865
// §2's cursor fields) the page scenarios read.
type listPage struct {
	TotalResults int               `json:"totalResults"`
	Resources    []json.RawMessage `json:"Resources"`
	NextCursor   string            `json:"nextCursor"`
}

// page lists every user with one client, by startIndex and, when the
// server advertises it, by cursor. Each row's total is the time to list
// everything; its latencies are per page.
func (b *bench) page(ctx context.Context) []result {
	rows := []result{b.pageIndex(ctx)}
	if b.cursor {
		rows = append(rows, b.pageCursor(ctx))
	}
	return rows
}

func (b *bench) pageIndex(ctx context.Context) result {
	rec := b.newRecorder("page", 1)
	rss := b.sampleRSS()
	start := time.Now()
	deadline := start.Add(b.opts.maxTime)
	seen, total, pages, maxPages := 0, -1, 0, 1
	for next := 1; pages < maxPages && ctx.Err() == nil && time.Now().Before(deadline); pages++ {
		var p listPage
		if !b.do(ctx, rec, 0, http.MethodGet, fmt.Sprintf("/Users?startIndex=%d&count=%d", next, pageSize), nil, &p) {
			break
		}
		if total < 0 {
			// Bounded by what the server said, in pages of the size it
			// chose (it may cap count below pageSize).
			total = p.TotalResults
			maxPages = total/max(len(p.Resources), 1) + 2
		}
		seen += len(p.Resources)
		next += len(p.Resources)
		if len(p.Resources) == 0 || next > total {
			break
		}
	}
	res := rec.result(time.Since(start))
	rss.stop(&res)
	if total >= 0 && seen != total {
		rec.fail("listed %d users, totalResults said %d", seen, total)
		res.Errors = int(rec.errs.Load())
	}
	res.Note = fmt.Sprintf("%d users in %d pages of %d", seen, res.Requests, pageSize)
	return res
}

// pageCursor pages with RFC 9865 cursors: the first request carries an
// empty cursor, each next one the previous page's nextCursor.
func (b *bench) pageCursor(ctx context.Context) result {
	rec := b.newRecorder("page-cursor", 1)
	rss := b.sampleRSS()
	start := time.Now()
	deadline := start.Add(b.opts.maxTime)
	seen, total, maxPages := 0, -1, 1_000_000
	path := fmt.Sprintf("/Users?cursor&count=%d", pageSize)
	for pages := 0; pages < maxPages && ctx.Err() == nil && time.Now().Before(deadline); pages++ {
		var p listPage
		if !b.do(ctx, rec, 0, http.MethodGet, path, nil, &p) {
			break
		}
		if total < 0 && p.TotalResults > 0 {
			total = p.TotalResults
			maxPages = total/max(len(p.Resources), 1) + 2
		}
		seen += len(p.Resources)
		if p.NextCursor == "" {
			break
		}
		path = fmt.Sprintf("/Users?cursor=%s&count=%d", url.QueryEscape(p.NextCursor), pageSize)
	}
	res := rec.result(time.Since(start))
	rss.stop(&res)
	if total >= 0 && seen != total {
		rec.fail("listed %d users, totalResults said %d", seen, total)
		res.Errors = int(rec.errs.Load())
	}
	res.Note = fmt.Sprintf("%d users in %d pages of %d", seen, res.Requests, pageSize)
	return res
}

func (b *bench) patch(ctx context.Context) result {
	if b.ensureUsers(ctx); len(b.users) == 0 {
		return skipped("patch", "no users")
	}
	return b.timed(ctx, "patch", b.opts.concurrency, func(ctx context.Context, rec *recorder, w int, rng *rand.Rand) {
		body := fmt.Sprintf(`{"schemas":[%q],"Operations":[{"op":"replace","path":"displayName","value":"Bench User %d"},{"op":"replace","path":"active","value":%t}]}`,
			patchOpSchema, rng.IntN(1_000_000), rng.IntN(2) == 0)
		b.do(ctx, rec, w, http.MethodPatch, "/Users/"+url.PathEscape(b.pick(rng).id), []byte(body), nil)
	})
}

// memberBodies returns the PATCH that adds ids to a group's members and
// the one that removes them again, one members[value eq "id"] operation
// per id (RFC 7644 §3.5.2.1, §3.5.2.2).
func memberBodies(ids []string) (add, remove []byte) {
	values := make([]map[string]string, len(ids))
	ops := make([]map[string]any, len(ids))
	for i, id := range ids {
		values[i] = map[string]string{"value": id}
		quoted, _ := json.Marshal(id) // a string always marshals
		ops[i] = map[string]any{"op": "remove", "path": "members[value eq " + string(quoted) + "]"}
	}
	add, _ = json.Marshal(map[string]any{
		"schemas":    []string{patchOpSchema},
		"Operations": []any{map[string]any{"op": "add", "path": "members", "value": values}},
	})
	remove, _ = json.Marshal(map[string]any{"schemas": []string{patchOpSchema}, "Operations": ops})
	return add, remove
}

// memberWorker owns one batch of a group's members and moves it out and in.
type memberWorker struct {
	groupID     string
	add, remove []byte
	// out says the batch is currently not in the group.
	out bool
}

// toggle sends the worker's next member PATCH: remove when the batch is
// in, add when it is out. Both keep the group near its size.
func (b *bench) toggle(ctx context.Context, rec *recorder, w int, mw *memberWorker, excludeMembers bool) {
	path := "/Groups/" + url.PathEscape(mw.groupID)
	if excludeMembers {
		path += "?excludedAttributes=members"
	}
	body := mw.remove
	if mw.out {
		body = mw.add
	}
	if b.do(ctx, rec, w, http.MethodPatch, path, body, nil) {
		mw.out = !mw.out
	}
}

// createGroup POSTs a group with the given members; the caller records it
// for cleanup.
func (b *bench) createGroup(ctx context.Context, rec *recorder, w int, name string, members []string) (string, bool) {
	values := make([]map[string]string, len(members))
	for i, id := range members {
		values[i] = map[string]string{"value": id}
	}
	body, _ := json.Marshal(map[string]any{"schemas": []string{groupSchema}, "displayName": name, "members": values})
	var out struct {
		ID string `json:"id"`
	}
	if !b.do(ctx, rec, w, http.MethodPost, "/Groups?excludedAttributes=members", body, &out) {
		return "", false
	}
	if out.ID == "" {
		rec.fail("POST /Groups: response has no id")
		return "", false
	}
	return out.ID, true
}

// members measures member PATCHes on small groups (one per client, held
// at 10 to 10+batch members) and on one large group of --n members shared
// by all clients, with and without excludedAttributes=members.
func (b *bench) members(ctx context.Context) []result {
	if b.ensureUsers(ctx); len(b.users) < 2 {
		return []result{skipped("members-small", "fewer than 2 users"), skipped("members-large", "fewer than 2 users"), skipped("members-large-full", "fewer than 2 users")}
	}
	rows := []result{b.membersSmall(ctx)}
	build, ok := b.ensureLargeGroup(ctx)
	if build != nil {
		rows = append(rows, *build)
	}
	if !ok {
		return append(rows, skipped("members-large", "large group not built"), skipped("members-large-full", "large group not built"))
	}
	lg := b.large
	rows = append(rows, b.timed(ctx, "members-large", len(lg.workers), func(ctx context.Context, rec *recorder, w int, _ *rand.Rand) {
		b.toggle(ctx, rec, w, lg.workers[w], true)
	}))
	rows[len(rows)-1].Note = fmt.Sprintf("group of %d, %d clients moving %d members each, excludedAttributes=members", lg.size, len(lg.workers), lg.batch)
	rows = append(rows, b.timed(ctx, "members-large-full", len(lg.workers), func(ctx context.Context, rec *recorder, w int, _ *rand.Rand) {
		b.toggle(ctx, rec, w, lg.workers[w], false)
	}))
	rows[len(rows)-1].Note = fmt.Sprintf("group of %d, responses carry all members", lg.size)
	if n := b.restoreLarge(ctx); n > 0 {
		rows[len(rows)-1].Errors += n
		rows[len(rows)-1].Note += fmt.Sprintf("; %d batches could not be put back", n)
	}
	return rows
}

func (b *bench) membersSmall(ctx context.Context) result {
	batch := min(b.opts.batch, len(b.users)-smallGroupBase)
	if batch < 1 {
		return skipped("members-small", fmt.Sprintf("needs more than %d users", smallGroupBase))
	}
	setup := b.newRecorder("members-small setup", 1)
	workers := make([]*memberWorker, 0, b.opts.concurrency)
	for w := range b.opts.concurrency {
		ids := make([]string, smallGroupBase+batch)
		for k := range ids {
			ids[k] = b.users[(w*len(ids)+k)%len(b.users)].id
		}
		gid, ok := b.createGroup(ctx, setup, 0, fmt.Sprintf("bench-%s-small-%d", b.runID, w), ids)
		if !ok {
			continue
		}
		b.groups = append(b.groups, gid)
		mw := &memberWorker{groupID: gid}
		mw.add, mw.remove = memberBodies(ids[smallGroupBase:])
		workers = append(workers, mw)
	}
	if len(workers) == 0 {
		res := skipped("members-small", "no group could be created")
		res.Errors = int(setup.errs.Load())
		return res
	}
	res := b.timed(ctx, "members-small", len(workers), func(ctx context.Context, rec *recorder, w int, _ *rand.Rand) {
		b.toggle(ctx, rec, w, workers[w], true)
	})
	res.Errors += int(setup.errs.Load())
	res.Note = fmt.Sprintf("%d groups of %d-%d members, one per client, excludedAttributes=members", len(workers), smallGroupBase, smallGroupBase+batch)
	return res
}

// largeGroup is the group of --n members the large scenarios share.
type largeGroup struct {
	id      string
	size    int
	batch   int
	workers []*memberWorker
	// ok says the build succeeded; a failed build is not retried.
	ok bool
}

// ensureLargeGroup builds the large group once, by member PATCHes of
// --batch on all clients, and returns the build as a row the first time.
func (b *bench) ensureLargeGroup(ctx context.Context) (*result, bool) {
	if b.large != nil {
		return nil, b.large.ok
	}
	size := len(b.users)
	setup := b.newRecorder("members-build", 1)
	gid, ok := b.createGroup(ctx, setup, 0, fmt.Sprintf("bench-%s-large", b.runID), nil)
	if !ok {
		b.large = &largeGroup{}
		return &result{Name: "members-build", Errors: int(setup.errs.Load()), Note: "group not created"}, false
	}
	b.groups = append(b.groups, gid)
	batches := (size + b.opts.batch - 1) / b.opts.batch
	build := b.counted(ctx, "members-build", b.opts.concurrency, batches, func(ctx context.Context, rec *recorder, w, i int) {
		ids := make([]string, 0, b.opts.batch)
		for _, u := range b.users[i*b.opts.batch : min((i+1)*b.opts.batch, size)] {
			ids = append(ids, u.id)
		}
		add, _ := memberBodies(ids)
		b.do(ctx, rec, w, http.MethodPatch, "/Groups/"+url.PathEscape(gid)+"?excludedAttributes=members", add, nil)
	})
	build.Note = fmt.Sprintf("%d PATCHes of up to %d members grow one group to %d", batches, b.opts.batch, size)

	// Each client owns a disjoint batch; at most half the group is out at once.
	workers := min(b.opts.concurrency, size/2)
	batch := max(1, min(b.opts.batch, size/(2*max(workers, 1))))
	lg := &largeGroup{id: gid, size: size, batch: batch}
	for w := range workers {
		ids := make([]string, batch)
		for k := range ids {
			ids[k] = b.users[w*batch+k].id
		}
		mw := &memberWorker{groupID: gid}
		mw.add, mw.remove = memberBodies(ids)
		lg.workers = append(lg.workers, mw)
	}
	lg.ok = build.Errors == 0 && len(lg.workers) > 0
	b.large = lg
	return &build, lg.ok
}

// restoreLarge puts back every batch a large-group client left out, so
// getgroup sees all members; it returns how many failed.
func (b *bench) restoreLarge(ctx context.Context) int {
	rec := b.newRecorder("members restore", 1)
	for _, mw := range b.large.workers {
		if mw.out {
			b.toggle(ctx, rec, 0, mw, true)
		}
	}
	return int(rec.errs.Load())
}

// getGroup reads the large group with all its members.
func (b *bench) getGroup(ctx context.Context) []result {
	if b.ensureUsers(ctx); len(b.users) < 2 {
		return []result{skipped("getgroup", "fewer than 2 users")}
	}
	var rows []result
	build, ok := b.ensureLargeGroup(ctx)
	if build != nil {
		rows = append(rows, *build)
	}
	if !ok {
		return append(rows, skipped("getgroup", "large group not built"))
	}
	path := "/Groups/" + url.PathEscape(b.large.id)
	check := b.newRecorder("getgroup", 1)
	var g struct {
		Members []json.RawMessage `json:"members"`
	}
	if b.do(ctx, check, 0, http.MethodGet, path, nil, &g) && len(g.Members) != b.large.size {
		check.fail("GET %s: %d members, want %d", path, len(g.Members), b.large.size)
	}
	res := b.timed(ctx, "getgroup", b.opts.concurrency, func(ctx context.Context, rec *recorder, w int, _ *rand.Rand) {
		b.do(ctx, rec, w, http.MethodGet, path, nil, nil)
	})
	res.Errors += int(check.errs.Load())
	res.Note = fmt.Sprintf("group of %d members", b.large.size)
	return append(rows, res)
}

// deleteUsers deletes the users this run created, after its groups.
func (b *bench) deleteUsers(ctx context.Context) result {
	if !b.created {
		return skipped("delete", "deletes only users this run created; add create to --scenarios")
	}
	b.deleteGroups(ctx)
	users := b.users
	res := b.counted(ctx, "delete", b.opts.concurrency, len(users), func(ctx context.Context, rec *recorder, w, i int) {
		b.do(ctx, rec, w, http.MethodDelete, "/Users/"+url.PathEscape(users[i].id), nil, nil)
	})
	b.users, b.large = nil, nil
	return res
}

// deleteGroups removes the groups this run created, untimed: deleting
// users first would make each user delete rewrite a 10,000-member group.
func (b *bench) deleteGroups(ctx context.Context) {
	rec := b.newRecorder("cleanup", 1)
	for _, gid := range b.groups {
		b.do(ctx, rec, 0, http.MethodDelete, "/Groups/"+url.PathEscape(gid), nil, nil)
	}
	b.groups, b.large = nil, nil
}

// cleanup runs after the scenarios: groups always go; created users stay
// unless delete ran, and a note says so.
func (b *bench) cleanup(ctx context.Context) {
	b.deleteGroups(ctx)
	if b.created && len(b.users) > 0 {
		b.stderrMu.Lock()
		fmt.Fprintf(b.stderr, "scimbench: %d users named bench-%s-* left on %s (add delete to --scenarios to remove them)\n", len(b.users), b.runID, b.base)
		b.stderrMu.Unlock()
	}
}
