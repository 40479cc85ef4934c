package bridge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/bridge"
	"github.com/scimconnect/scimconnect/connector/mapping"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/filter"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// userTable is the fake target's user mapping: a flat JSON object.
var userTable = mapping.Table{
	{SCIM: "id", Target: "id", Dir: mapping.FromTarget},
	{SCIM: "userName", Target: "login"},
	{SCIM: "name.givenName", Target: "firstName"},
	{SCIM: "name.familyName", Target: "lastName"},
	{SCIM: "title", Target: "title"},
	{SCIM: "emails", Target: "email", Transform: "multiToSingle", Args: mapping.Args{"type": "work"}},
	{SCIM: "active", Target: "status", Transform: "boolStatus", Args: mapping.Args{"true": "ACTIVE", "false": "SUSPENDED"}},
	{SCIM: "meta.created", Target: "created", Dir: mapping.FromTarget, Transform: "dateTime"},
}

// groupTable is the fake target's group mapping; members are read from
// the group object and changed through MemberManager.
var groupTable = mapping.Table{
	{SCIM: "id", Target: "id", Dir: mapping.FromTarget},
	{SCIM: "displayName", Target: "name"},
	{SCIM: "members[].value", Target: "memberIds[]", Dir: mapping.FromTarget},
}

// fakeOptions configure one fake target resource type.
type fakeOptions struct {
	paging   bridge.Paging
	pageMax  int  // largest page the target returns (0: no cap)
	totals   bool // the target reports Page.Total
	idLogin  bool // the target id is the login (ids are reused after a delete)
	soft     bool // the first Delete suspends, the second deletes
	failWith map[string]error
}

// fake is an in-memory target. Objects keep their creation order, which
// is the order the target lists them in.
type fake struct {
	opts fakeOptions

	mu       sync.Mutex
	objs     map[string]map[string]any
	order    []string
	seq      int
	calls    map[string]int
	writes   []map[string]any // w.Target of every Create, Update and Replace
	gotIDs   []string         // ids received by Get, Update, Replace, Delete
	batches  [][]string       // member ids of every AddMembers and RemoveMembers
	failMemb string           // AddMembers fails for a batch holding this id
}

func newFake(opts fakeOptions) *fake {
	return &fake{opts: opts, objs: map[string]map[string]any{}, calls: map[string]int{}}
}

// objects is how many objects the target holds.
func (f *fake) objects() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.objs)
}

func (f *fake) count(op string) {
	f.calls[op]++
}

// Calls returns how often each target method was called.
func (f *fake) Calls() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.calls)
}

// total is the number of target calls of any kind.
func (f *fake) total() int {
	n := 0
	for _, c := range f.Calls() {
		n += c
	}
	return n
}

func (f *fake) resetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = map[string]int{}
	f.writes = nil
	f.gotIDs = nil
	f.batches = nil
}

// seed stores an object directly, without counting a call.
func (f *fake) seed(obj map[string]any) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.store(obj)
}

func (f *fake) store(obj map[string]any) string {
	f.seq++
	id, _ := obj["id"].(string)
	if id == "" {
		id = strconv.Itoa(f.seq)
		if f.opts.idLogin {
			id, _ = obj["login"].(string)
		}
	}
	o := clone(obj)
	o["id"] = id
	if _, ok := o["status"]; !ok {
		o["status"] = "ACTIVE"
	}
	o["created"] = "2024-01-02T03:04:05Z"
	f.objs[id] = o
	f.order = append(f.order, id)
	return id
}

func (f *fake) object(id string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return clone(f.objs[id])
}

func clone(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out, _ := deepCopy(m).(map[string]any)
	return out
}

// deepCopy copies JSON-like values, so the target never shares state
// with the gateway.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

func (f *fake) fail(op string) error {
	return f.opts.failWith[op]
}

// Get implements bridge.Target.
func (f *fake) Get(_ context.Context, id string) (map[string]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("get")
	f.gotIDs = append(f.gotIDs, id)
	o, ok := f.objs[id]
	if !ok {
		return nil, scim.NotFound("no object %q", id)
	}
	return clone(o), nil
}

// Create implements bridge.Creator.
func (f *fake) Create(_ context.Context, w *bridge.Write) (map[string]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("create")
	if err := f.fail("create"); err != nil {
		return nil, err
	}
	f.writes = append(f.writes, clone(w.Target))
	if login, _ := w.Target["login"].(string); login != "" {
		for _, o := range f.objs {
			if o["login"] == login {
				return nil, scim.Conflict("login %q is taken", login)
			}
		}
	}
	id := f.store(w.Target)
	return clone(f.objs[id]), nil
}

// Delete implements bridge.Deleter.
func (f *fake) Delete(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("delete")
	if err := f.fail("delete"); err != nil {
		return err
	}
	f.gotIDs = append(f.gotIDs, id)
	o, ok := f.objs[id]
	if !ok {
		return scim.NotFound("no object %q", id)
	}
	if f.opts.soft && o["status"] != "SUSPENDED" {
		o["status"] = "SUSPENDED"
		return nil
	}
	delete(f.objs, id)
	f.order = slices.DeleteFunc(f.order, func(s string) bool { return s == id })
	return nil
}

// List implements bridge.Lister with the configured paging style. The
// native query "login=<value>" narrows to one login, case-insensitively
// as SCIM compares userName.
func (f *fake) List(_ context.Context, q *bridge.Query) (*bridge.Page, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("list")
	if err := f.fail("list"); err != nil {
		return nil, err
	}
	var match []map[string]any
	for _, id := range f.order {
		o := f.objs[id]
		if v, ok := strings.CutPrefix(q.Search, "login="); ok && !strings.EqualFold(str(o, "login"), v) {
			continue
		}
		match = append(match, clone(o))
	}
	page := &bridge.Page{Total: -1}
	if f.opts.totals {
		page.Total = len(match)
	}
	if f.opts.paging == bridge.PagingNone {
		page.Objects = match
		return page, nil
	}
	start := q.Offset
	if f.opts.paging == bridge.PagingCursor && q.Cursor != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(q.Cursor, "c"))
		if err != nil || !strings.HasPrefix(q.Cursor, "c") {
			return nil, scim.BadRequest(scim.InvalidValue, "bad cursor %q", q.Cursor)
		}
		start = n
	}
	limit := q.Limit
	if f.opts.pageMax > 0 && (limit <= 0 || limit > f.opts.pageMax) {
		limit = f.opts.pageMax
	}
	if limit <= 0 {
		return nil, scim.BadRequest(scim.InvalidValue, "limit %d", q.Limit)
	}
	start = min(start, len(match))
	end := min(start+limit, len(match))
	page.Objects = match[start:end]
	if end < len(match) {
		page.More = true
		if f.opts.paging == bridge.PagingCursor {
			page.Next = "c" + strconv.Itoa(end)
		}
	}
	return page, nil
}

// Push implements bridge.Pusher: only `userName eq` is answered exactly.
func (f *fake) Push(e filter.Expr, _ *mapping.Mapping) (string, bool) {
	c, ok := e.(*filter.Compare)
	if !ok || c.Op != filter.Eq || !strings.EqualFold(c.Path.Attr, "userName") || c.Path.URN != "" || c.Path.Sub != "" {
		return "", false
	}
	s, ok := c.Value.(string)
	if !ok {
		return "", false
	}
	return "login=" + s, true
}

// AddMembers implements bridge.MemberManager.
func (f *fake) AddMembers(_ context.Context, groupID string, ids []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("addMembers")
	f.batches = append(f.batches, slices.Clone(ids))
	g, ok := f.objs[groupID]
	if !ok {
		return scim.NotFound("no group %q", groupID)
	}
	if f.failMemb != "" && slices.Contains(ids, f.failMemb) {
		return scim.Errorf(http.StatusServiceUnavailable, "", "target unavailable")
	}
	cur := memberIDs(g)
	for _, id := range ids {
		if !slices.Contains(cur, id) {
			cur = append(cur, id)
		}
	}
	g["memberIds"] = toAny(cur)
	return nil
}

// RemoveMembers implements bridge.MemberManager.
func (f *fake) RemoveMembers(_ context.Context, groupID string, ids []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("removeMembers")
	f.batches = append(f.batches, slices.Clone(ids))
	g, ok := f.objs[groupID]
	if !ok {
		return scim.NotFound("no group %q", groupID)
	}
	cur := slices.DeleteFunc(memberIDs(g), func(s string) bool { return slices.Contains(ids, s) })
	g["memberIds"] = toAny(cur)
	return nil
}

// MemberIDs implements bridge.MemberManager.
func (f *fake) MemberIDs(_ context.Context, groupID string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("memberIDs")
	g, ok := f.objs[groupID]
	if !ok {
		return nil, scim.NotFound("no group %q", groupID)
	}
	return memberIDs(g), nil
}

func memberIDs(g map[string]any) []string {
	var out []string
	list, _ := g["memberIds"].([]any)
	for _, v := range list {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

func toAny(ids []string) []any {
	out := make([]any, len(ids))
	for i, s := range ids {
		out[i] = s
	}
	return out
}

// updater is a target with partial updates: a JSON merge of w.Target.
type updater struct{ *fake }

// Update implements bridge.Updater.
func (u updater) Update(_ context.Context, id string, w *bridge.Write) (map[string]any, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.count("update")
	if err := u.fail("update"); err != nil {
		return nil, err
	}
	u.gotIDs = append(u.gotIDs, id)
	u.writes = append(u.writes, clone(w.Target))
	o, ok := u.objs[id]
	if !ok {
		return nil, scim.NotFound("no object %q", id)
	}
	for k, v := range w.Target {
		if v == nil {
			delete(o, k)
		} else {
			o[k] = v
		}
	}
	return clone(o), nil
}

// replacer is a target that only replaces whole objects.
type replacer struct{ *fake }

// Replace implements bridge.Replacer.
func (r replacer) Replace(_ context.Context, id string, w *bridge.Write) (map[string]any, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.count("replace")
	r.gotIDs = append(r.gotIDs, id)
	r.writes = append(r.writes, clone(w.Target))
	o, ok := r.objs[id]
	if !ok {
		return nil, scim.NotFound("no object %q", id)
	}
	n := clone(w.Target)
	for _, k := range []string{"id", "created", "memberIds"} {
		if v, ok := o[k]; ok {
			n[k] = v
		}
	}
	if _, ok := n["status"]; !ok {
		n["status"] = o["status"]
	}
	r.objs[id] = n
	return clone(n), nil
}

// getOnly is a target that can only read one object.
type getOnly struct{ f *fake }

// Get implements bridge.Target.
func (g getOnly) Get(ctx context.Context, id string) (map[string]any, error) { return g.f.Get(ctx, id) }

// declaration returns a connector over the given targets with one User
// and, when group is non-nil, one Group resource type.
func declaration(user bridge.Resource, userTarget bridge.Target, group *bridge.Resource, groupTarget bridge.Target) *bridge.Connector {
	if user.Type == nil {
		user.Type = schema.UserResourceType()
	}
	if user.Table == nil {
		user.Table = userTable
	}
	c := &bridge.Connector{
		Name:      "fake",
		Version:   "1.0",
		Resources: []bridge.Resource{user},
		Connect: func(context.Context, connector.Env, json.RawMessage, []mapping.CustomAttribute) (*bridge.Targets, error) {
			by := map[string]bridge.Target{"User": userTarget}
			if groupTarget != nil {
				by["Group"] = groupTarget
			}
			return &bridge.Targets{ByType: by}, nil
		},
	}
	if group != nil {
		g := *group
		if g.Type == nil {
			g.Type = schema.GroupResourceType()
		}
		if g.Table == nil {
			g.Table = groupTable
		}
		c.Resources = append(c.Resources, g)
	}
	return c
}

// server is an instance of a connector served through the provider and
// the instance's wrapper, as the gateway serves it.
type server struct {
	url string
}

func start(t *testing.T, c *bridge.Connector, env connector.Env) *server {
	t.Helper()
	env.Instance = "test"
	inst, err := bridge.Open(context.Background(), c, env, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := inst.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	cfg := provider.DefaultConfig()
	cfg.Features = inst.Features()
	cfg.BaseURL = srv.URL
	p, err := provider.New(cfg, inst.ResourceTypes()...)
	if err != nil {
		t.Fatalf("provider: %v", err)
	}
	handler = p
	if wr, ok := inst.(connector.Wrapper); ok {
		handler = wr.Wrap(p)
	}
	return &server{url: srv.URL}
}

// response is a decoded answer.
type response struct {
	status   int
	body     map[string]any
	location string
}

// do sends a request; body is JSON-encoded unless it is a string.
func (s *server) do(t *testing.T, method, path string, body any) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	out := response{status: resp.StatusCode, location: resp.Header.Get("Location")}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			t.Fatalf("%s %s: status %d, body not JSON: %q", method, path, resp.StatusCode, raw)
		}
	}
	return out
}

// must fails the test unless the answer has status want.
func (r response) must(t *testing.T, what string, want int) response {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d, want %d; body %v", what, r.status, want, r.body)
	}
	return r
}

// scimError checks a SCIM error answer and returns its detail.
func (r response) scimError(t *testing.T, what string, status int, scimType string) string {
	t.Helper()
	r.must(t, what, status)
	if got, _ := r.body["scimType"].(string); got != scimType {
		t.Errorf("%s: scimType %q, want %q; body %v", what, got, scimType, r.body)
	}
	d, _ := r.body["detail"].(string)
	return d
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// ids returns the ids of a list response's resources, in order.
func ids(t *testing.T, body map[string]any) []string {
	t.Helper()
	var out []string
	list, _ := body["Resources"].([]any)
	for _, r := range list {
		m, ok := r.(map[string]any)
		if !ok {
			t.Fatalf("resource %v is not an object", r)
		}
		out = append(out, str(m, "id"))
	}
	return out
}

// totalResults returns a list response's totalResults, -1 when absent.
func totalResults(body map[string]any) int {
	n, ok := body["totalResults"].(float64)
	if !ok {
		return -1
	}
	return int(n)
}

// newUser is a valid SCIM user.
func newUser(n int) map[string]any {
	return map[string]any{
		"schemas":  []string{scim.UserSchema},
		"userName": fmt.Sprintf("user%d@example.com", n),
		"name":     map[string]any{"givenName": fmt.Sprintf("Given%d", n), "familyName": "Family"},
		"title":    "Tester",
	}
}

// seedUsers stores n users on the target and returns their ids in order.
func seedUsers(f *fake, n int) []string {
	out := make([]string, n)
	for i := range n {
		out[i] = f.seed(map[string]any{"login": fmt.Sprintf("user%d@example.com", i), "firstName": "G", "lastName": "F", "title": fmt.Sprintf("t%d", i%3)})
	}
	return out
}
