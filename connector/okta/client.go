package okta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scimconnect/scimconnect/connector/bridge"
	"github.com/scimconnect/scimconnect/connector/httpx"
	"github.com/scimconnect/scimconnect/connector/mapping"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/filter"
	"github.com/scimconnect/scimconnect/scim/schema"
)

// client calls one Okta org.
type client struct {
	http   *httpx.Client
	budget time.Duration // callBudget
}

// errorBody is Okta's error shape (NOTES §6).
type errorBody struct {
	ErrorCode    string `json:"errorCode"`
	ErrorSummary string `json:"errorSummary"`
	ErrorCauses  []struct {
		ErrorSummary string `json:"errorSummary"`
	} `json:"errorCauses"`
}

// errorMessage extracts Okta's summary and causes, which hold the useful
// part of validation errors ("login: An object with this field already
// exists in the current organization").
func errorMessage(body []byte) string {
	var e errorBody
	if json.Unmarshal(body, &e) != nil || e.ErrorSummary == "" {
		return httpx.JSONErrorMessage(body)
	}
	msg := e.ErrorSummary
	for _, c := range e.ErrorCauses {
		if c.ErrorSummary != "" {
			msg += "; " + c.ErrorSummary
		}
	}
	return msg
}

// check reads one user: the cheapest call that proves the org URL and the
// API token (a wrong token is 401 E0000011, a token without the right
// admin role 403).
func (c *client) check(ctx context.Context) error {
	_, err := c.do(ctx, "connection test", &httpx.Request{Path: "/api/v1/users", Query: url.Values{"limit": {"1"}}}, nil)
	return err
}

// do sends one call and translates a failure. Okta reports a duplicate
// login as 400 E0000001 (NOTES §6), which is a SCIM 409 uniqueness; and
// refuses changes in a user's current lifecycle state (403 E0000038,
// E0000016), which are the client's doing, not a gateway credential
// problem: 400 mutability. 403 E0000006 says the token's administrator
// may not do this: 502 through httpx, unless the object itself never
// allows it (see groups.refused).
func (c *client) do(ctx context.Context, op string, req *httpx.Request, out any) (*httpx.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.budget)
	defer cancel()
	resp, err := c.http.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if resp.Status >= 300 {
		var e errorBody
		_ = json.Unmarshal(resp.Body, &e)
		msg := errorMessage(resp.Body)
		switch {
		case resp.Status == http.StatusBadRequest && strings.Contains(msg, "already exists"):
			return nil, scim.Conflict("okta: %s: %s", op, msg)
		case resp.Status == http.StatusForbidden && (e.ErrorCode == "E0000038" || e.ErrorCode == "E0000016"):
			return nil, scim.BadRequest(scim.Mutability, "okta: %s: %s", op, msg)
		}
		return nil, resp.Err("okta: " + op)
	}
	if out != nil {
		if err := resp.DecodeJSONFields(out, isReadField); err != nil {
			return nil, fmt.Errorf("okta: %s: %w", op, err) // a 502 already
		}
		if err := checkIDs(resp, out); err != nil {
			return nil, badAnswer(op, err)
		}
	}
	return resp, nil
}

// checkIDs refuses a decoded answer holding an object without an id: every
// object an Okta call the connector decodes answers is a user or a group.
func checkIDs(resp *httpx.Response, out any) error {
	var objs []map[string]any
	switch v := out.(type) {
	case *map[string]any:
		objs = []map[string]any{*v}
	case *[]map[string]any:
		objs = *v
	}
	for _, o := range objs {
		if id, _ := o["id"].(string); id == "" {
			return fmt.Errorf("an object without an id (HTTP %d)", resp.Status)
		}
	}
	return nil
}

// badAnswer is a successful call whose answer cannot be read. It is the
// target's fault, not the gateway's: the SCIM client gets 502 with a plain
// detail (RFC 7644 §3.12), never a 500 or the decoder's text.
func badAnswer(op string, cause error) error {
	return fmt.Errorf("%w: %w", scim.Errorf(http.StatusBadGateway, "", "okta: %s: the target's answer is not the JSON the call returns", op), cause)
}

// readFields are the top-level fields of Okta objects the connector
// reads: the roots of the target paths its tables read from, and those
// the client uses itself (status and transitioningToStatus for lifecycle
// calls, the timestamps the ETags come from, profile for custom
// attributes). Decoding
// skips the rest (_links alone is half of a user's JSON; credentials and
// the other timestamps).
var readFields = func() map[string]bool {
	m := map[string]bool{"id": true, "status": true, "transitioningToStatus": true, "profile": true, "lastUpdated": true, "lastMembershipUpdated": true}
	for _, t := range []mapping.Table{userTable, groupTable} {
		for _, r := range t {
			if r.Dir == mapping.ToTarget {
				continue
			}
			for _, target := range strings.Split(r.Target, "+") {
				root, _, _ := strings.Cut(strings.TrimSpace(target), ".")
				root, _, _ = strings.Cut(root, "[")
				m[root] = true
			}
		}
	}
	return m
}()

// isReadField selects the keys of Okta objects to decode.
func isReadField(key string) bool { return readFields[key] }

// nextCursor reads the "after" parameter of the rel="next" Link (NOTES §4:
// the cursor must come from the Link header, never be constructed).
func nextCursor(resp *httpx.Response) string {
	next := resp.Link("next")
	if next == "" {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil {
		return ""
	}
	return u.Query().Get("after")
}

func (c *client) list(ctx context.Context, op, path string, q *bridge.Query) (*bridge.Page, error) {
	v := url.Values{}
	v.Set("limit", strconv.Itoa(q.Limit))
	if q.Cursor != "" {
		v.Set("after", q.Cursor)
	}
	if expr, ok := strings.CutPrefix(q.Search, filterPrefix); ok {
		v.Set("filter", expr)
	} else if q.Search != "" {
		v.Set("search", q.Search)
	}
	var objs []map[string]any
	resp, err := c.do(ctx, op, &httpx.Request{Path: path, Query: v}, &objs)
	if err != nil {
		return nil, err
	}
	return &bridge.Page{Objects: objs, Next: nextCursor(resp), Total: -1}, nil
}

// listAll reads every page of a listing.
func (c *client) listAll(ctx context.Context, op, path string, limit int) ([]map[string]any, error) {
	var all []map[string]any
	q := &bridge.Query{Limit: limit}
	for {
		p, err := c.list(ctx, op, path, q)
		if err != nil {
			return nil, err
		}
		all = append(all, p.Objects...)
		if p.Next == "" || len(p.Objects) == 0 {
			return all, nil
		}
		q.Cursor = p.Next
	}
}

func userPath(id string) string  { return "/api/v1/users/" + url.PathEscape(id) }
func groupPath(id string) string { return "/api/v1/groups/" + url.PathEscape(id) }

// getByID reads an object and insists on the id: Okta's getUser also
// accepts a login or shortname, which must not answer a SCIM id.
func (c *client) getByID(ctx context.Context, op, path, id, kind string) (map[string]any, error) {
	if !validID(id) {
		return nil, scim.NotFound("%s %q not found", kind, id)
	}
	var obj map[string]any
	if _, err := c.do(ctx, op, &httpx.Request{Path: path}, &obj); err != nil {
		return nil, err
	}
	if got, _ := obj["id"].(string); got != id {
		return nil, scim.NotFound("%s %q not found", kind, id)
	}
	return obj, nil
}

// validID reports whether id can be an Okta object id (20 ASCII letters
// and digits, "00u..."; NOTES §3). Anything else cannot name an object,
// so it is answered without a call: Okta would otherwise read it as a
// login, and an encoded "/" cannot be routed at all.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// users is the User target.
type users struct {
	c *client
	// multi are the profile fields of custom string attributes, which
	// may hold arrays (the "[a;; b]" format); see compareMulti.
	multi map[string]bool
}

var (
	_ bridge.Creator   = (*users)(nil)
	_ bridge.Updater   = (*users)(nil)
	_ bridge.Deleter   = (*users)(nil)
	_ bridge.Lister    = (*users)(nil)
	_ bridge.Pusher    = (*users)(nil)
	_ bridge.Expander  = (*users)(nil)
	_ bridge.Versioner = (*users)(nil)
	_ bridge.KeyReader = (*users)(nil)
)

// version hashes an Okta object's lastUpdated, the other given
// top-level fields and its profile into an opaque version; "" when
// lastUpdated is missing. lastUpdated alone has millisecond precision, so
// two changes within one millisecond would share it; the profile and the
// fields make every change of what the object maps to change the version.
func version(obj map[string]any, fields ...string) string {
	last, _ := obj["lastUpdated"].(string)
	if last == "" {
		return ""
	}
	h := newFNV()
	h.str(last)
	for _, f := range fields {
		s, _ := obj[f].(string)
		h.str(s)
	}
	if p, ok := obj["profile"].(map[string]any); ok {
		keys := make([]string, 0, len(p))
		for k := range p {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			h.str(k)
			h.value(p[k])
		}
	}
	return strconv.FormatUint(uint64(h), 36)
}

// fnv is FNV-1a, 64 bits, over strings without converting them to bytes.
type fnv uint64

func newFNV() fnv { return 14695981039346656037 }

func (h *fnv) str(s string) {
	for i := 0; i < len(s); i++ {
		*h = (*h ^ fnv(s[i])) * 1099511628211
	}
	*h = (*h ^ 0xff) * 1099511628211 // separator: "ab","c" differs from "a","bc"
}

// value hashes a decoded JSON value; arrays and objects (custom
// multi-valued attributes) through their canonical JSON.
func (h *fnv) value(v any) {
	switch x := v.(type) {
	case nil:
		h.str("\x00null")
	case string:
		h.str(x)
	case bool:
		h.str(strconv.FormatBool(x))
	case float64:
		h.str(strconv.FormatFloat(x, 'g', -1, 64))
	default:
		b, _ := json.Marshal(x)
		h.str(string(b))
	}
}

// Version is derived from lastUpdated, which Okta moves on every profile
// and status change, the status (active) and the profile. A user's group
// memberships are not part of it: Okta records membership times on the
// group.
func (u *users) Version(obj map[string]any) string {
	return version(obj, "status")
}

func (u *users) Get(ctx context.Context, id string) (map[string]any, error) {
	obj, err := u.c.getByID(ctx, "get user", userPath(id), id, "User")
	if err != nil {
		return nil, err
	}
	return settled(obj), nil
}

// KeyAttr is userName: Okta's login, which getUser reads directly.
func (u *users) KeyAttr() string { return "userName" }

// ReadKey reads a user by login with GET /api/v1/users/{login}, one
// consistent call: Okta's search answers from an eventually consistent
// index (spec listUsers: "may not reflect the latest information"), so a
// user created a moment ago can be missing from it. getUser matches logins
// ignoring case, as SCIM compares userName (logins are unique ignoring
// case, spec UserProfile.login), so 404 means no such login. It also
// resolves ids and unambiguous login shortnames: a user with another
// login proves nothing, and the value is searched (ok false), as are
// values getUser cannot take: "me" (always the token's own user), logins
// with "/" (spec getUser: "can only be fetched by id"), "." and "..",
// which URL paths resolve away. The call is reported by its label, so the
// audit log keeps no login.
func (u *users) ReadKey(ctx context.Context, login string) (map[string]any, bool, error) {
	if login == "" || login == "." || login == ".." || strings.Contains(login, "/") || strings.EqualFold(login, "me") {
		return nil, false, nil
	}
	var obj map[string]any
	_, err := u.c.do(ctx, "get user by login", &httpx.Request{Path: userPath(login), PathLabel: "/api/v1/users/{login}"}, &obj)
	if isNotFound(err) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	// Compared as SCIM compares userName (filter.EqualFold, the stores'
	// folding), not strings.EqualFold: the two disagree on a few letters
	// (İ and I), and a login Okta resolves but this check refused would
	// go to the search, which may not list a user created a moment ago.
	if got, _ := profileOf(obj)["login"].(string); !filter.EqualFold(got, login) {
		return nil, false, nil
	}
	return settled(obj), true, nil
}

// settled reads a user in the middle of a lifecycle change as its
// outcome. Okta activates asynchronously: until it is done the user keeps
// its old status and carries transitioningToStatus (NOTES §8, spec
// activateUser), so the read right after a successful activation would
// otherwise say active=false, and the next lifecycle call would start
// from the wrong status.
func settled(obj map[string]any) map[string]any {
	if to, _ := obj["transitioningToStatus"].(string); to != "" {
		obj["status"] = to
	}
	return obj
}

// checkLogin enforces the seed's "UserName should be in the format of email id".
func checkLogin(userName string) error {
	a, err := mail.ParseAddress(userName)
	if err != nil || a.Address != userName {
		return scim.BadRequest(scim.InvalidValue, "okta: userName %q must be an email address", userName)
	}
	return nil
}

func profileOf(target map[string]any) map[string]any {
	p, _ := target["profile"].(map[string]any)
	if p == nil {
		p = map[string]any{}
	}
	return p
}

func (u *users) Create(ctx context.Context, w *bridge.Write) (map[string]any, error) {
	userName, _ := w.After["userName"].(string)
	if err := checkLogin(userName); err != nil {
		return nil, err
	}
	profile := profileOf(w.Target)
	if _, ok := profile["email"]; !ok {
		profile["email"] = userName // Okta requires email; userName is one
	}
	body := map[string]any{"profile": profile}
	if cr, ok := w.Target["credentials"]; ok {
		body["credentials"] = cr
	}
	// active=false creates a STAGED user; otherwise Okta activates it
	// (ACTIVE with a password, PROVISIONED without).
	activate := w.After["active"] != false
	q := url.Values{"activate": {strconv.FormatBool(activate)}}
	var obj map[string]any
	if _, err := u.c.do(ctx, "create user", &httpx.Request{Method: http.MethodPost, Path: "/api/v1/users", Query: q, Body: body}, &obj); err != nil {
		return nil, err
	}
	return settled(obj), nil
}

// Update applies a partial profile update (POST /users/{id}: omitted
// fields are kept, null removes) and the lifecycle call that active asks
// for.
func (u *users) Update(ctx context.Context, id string, w *bridge.Write) (map[string]any, error) {
	if w.After["password"] != nil {
		return nil, scim.BadRequest(scim.Mutability, "okta: the password cannot be changed through this connector: Okta's API needs the user's current password, which can never be read")
	}
	userName, _ := w.After["userName"].(string)
	if err := checkLogin(userName); err != nil {
		return nil, err
	}
	changes := profileOf(w.Target)
	if email, ok := changes["email"]; ok && email == nil {
		// Okta requires an email: a removed one falls back to userName,
		// as on create.
		changes["email"] = userName
	}
	// Seed: changing the email changes both userName and email; changing
	// only userName changes only the login.
	if email, ok := changes["email"]; ok && email != nil {
		if _, loginToo := changes["login"]; !loginToo {
			changes["login"] = email
		}
	}
	wasActive := w.Before["active"] == true
	wantActive := w.After["active"] != false
	status, _ := w.Current["status"].(string)
	if !wasActive && wantActive {
		// Reactivate first: Okta refuses profile edits of DEPROVISIONED users.
		if err := u.lifecycle(ctx, id, status, true); err != nil {
			return nil, err
		}
	}
	if len(changes) > 0 {
		if _, err := u.c.do(ctx, "update user", &httpx.Request{Method: http.MethodPost, Path: userPath(id), Body: map[string]any{"profile": changes}}, nil); err != nil {
			return nil, err
		}
	}
	if wasActive && !wantActive {
		if err := u.lifecycle(ctx, id, status, false); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// lifecycle moves a user to active or inactive from status, its status
// as last read. When Okta refuses the move, the status may have changed
// since that read: a concurrent request (Okta has no conditional writes),
// a client's retry of a request that timed out, or an administrator.
// lifecycle then reads it again: a user already where the request wants
// it counts as moved, so two clients disabling one user both succeed; a
// user in yet another status is moved from there, once.
func (u *users) lifecycle(ctx context.Context, id, status string, active bool) error {
	err := u.move(ctx, id, status, active)
	var se *scim.Error
	if err == nil || !errors.As(err, &se) || se.Status >= 500 {
		// Only a refusal can come from a status change: an Okta that is
		// down or throttling would only be asked again.
		return err
	}
	obj, rerr := u.Get(ctx, id)
	if rerr != nil {
		return err
	}
	now, _ := obj["status"].(string)
	switch {
	case isActiveStatus(now) == active:
		return nil
	case now == status:
		return err
	}
	return u.move(ctx, id, now, active)
}

// activeStatusList is activeStatuses, split once.
var activeStatusList = strings.Split(activeStatuses, ",")

// isActiveStatus tells whether status reads as active=true.
func isActiveStatus(status string) bool {
	return slices.Contains(activeStatusList, status)
}

// move makes the lifecycle call that takes a user in status to active or
// inactive. Deactivation suspends an ACTIVE user (reversible, keeps group
// memberships) and deactivates any other; activation unsuspends a
// SUSPENDED user and activates a STAGED or DEPROVISIONED one without
// sending an email.
func (u *users) move(ctx context.Context, id, status string, active bool) error {
	var op string
	q := url.Values{}
	switch {
	case active && status == "SUSPENDED":
		op = "unsuspend"
	case active:
		op = "activate"
		q.Set("sendEmail", "false")
	case status == "ACTIVE":
		op = "suspend"
	default:
		op = "deactivate"
	}
	_, err := u.c.do(ctx, op+" user", &httpx.Request{Method: http.MethodPost, Path: userPath(id) + "/lifecycle/" + op, Query: q}, nil)
	return err
}

// Delete follows the seed: the first DELETE deactivates, a second deletes.
func (u *users) Delete(ctx context.Context, id string) error {
	if _, err := u.Get(ctx, id); err != nil {
		return err
	}
	_, err := u.c.do(ctx, "delete user", &httpx.Request{Method: http.MethodDelete, Path: userPath(id)}, nil)
	return err
}

func (u *users) List(ctx context.Context, q *bridge.Query) (*bridge.Page, error) {
	var p *bridge.Page
	var err error
	if q.Search == "" {
		p, err = u.listEveryUser(ctx, q)
	} else {
		p, err = u.c.list(ctx, "list users", "/api/v1/users", q)
	}
	if err != nil {
		return nil, err
	}
	for _, obj := range p.Objects {
		settled(obj)
	}
	return p, nil
}

// deprovisionedCursor starts the cursors of the second part of a listing
// of every user: the DEPROVISIONED ones.
const deprovisionedCursor = "deprovisioned:"

// listEveryUser pages through every user. Okta's plain listing leaves out
// DEPROVISIONED users (NOTES §5), which SCIM reads as active=false and
// serves by id, and which a client reconciling its accounts must not take
// for deleted ones. So the plain listing is followed by Okta's filter on
// that status, which is consistent like the listing (search lags); a page
// that ends the first part is filled from the second.
func (u *users) listEveryUser(ctx context.Context, q *bridge.Query) (*bridge.Page, error) {
	deprovisioned := &bridge.Query{Search: filterPrefix + `status eq "DEPROVISIONED"`, Limit: q.Limit}
	after, second := strings.CutPrefix(q.Cursor, deprovisionedCursor)
	if second {
		deprovisioned.Cursor = after
		return u.listDeprovisioned(ctx, deprovisioned)
	}
	p, err := u.c.list(ctx, "list users", "/api/v1/users", q)
	if err != nil || p.Next != "" {
		return p, err
	}
	room := q.Limit - len(p.Objects)
	if room <= 0 {
		p.Next = deprovisionedCursor
		return p, nil
	}
	deprovisioned.Limit = room
	rest, err := u.listDeprovisioned(ctx, deprovisioned)
	if err != nil {
		return nil, err
	}
	p.Objects = append(p.Objects, rest.Objects...)
	p.Next = rest.Next
	return p, nil
}

// listDeprovisioned reads a page of DEPROVISIONED users.
func (u *users) listDeprovisioned(ctx context.Context, q *bridge.Query) (*bridge.Page, error) {
	p, err := u.c.list(ctx, "list deprovisioned users", "/api/v1/users", q)
	if err != nil {
		return nil, err
	}
	if p.Next != "" {
		p.Next = deprovisionedCursor + p.Next
	}
	return p, nil
}

// Expand adds the user's groups when the response asks for them.
func (u *users) Expand(ctx context.Context, obj map[string]any, want *schema.Projection) error {
	if want == nil || !want.Includes("groups") {
		return nil
	}
	id, _ := obj["id"].(string)
	var gs []map[string]any
	if _, err := u.c.do(ctx, "list user groups", &httpx.Request{Path: userPath(id) + "/groups"}, &gs); err != nil {
		return err
	}
	list := make([]any, len(gs))
	for i, g := range gs {
		list[i] = g
	}
	obj["_groups"] = list
	return nil
}

// groups is the Group target.
type groups struct{ c *client }

var (
	_ bridge.Creator       = (*groups)(nil)
	_ bridge.Replacer      = (*groups)(nil)
	_ bridge.Deleter       = (*groups)(nil)
	_ bridge.Lister        = (*groups)(nil)
	_ bridge.Pusher        = (*groups)(nil)
	_ bridge.Expander      = (*groups)(nil)
	_ bridge.MemberManager = (*groups)(nil)
	_ bridge.Versioner     = (*groups)(nil)
	_ bridge.KeyReader     = (*groups)(nil)
)

// groupQueryLimit is the page asked of a group q: q does not page (spec
// listGroups q), so an answer this long may leave groups out.
const groupQueryLimit = 200

// KeyAttr is displayName: Okta's group name, which q finds.
func (g *groups) KeyAttr() string { return "displayName" }

// ReadKey finds a group by name with q, which matches the start of group
// names and, unlike search, is not eventually consistent (spec listGroups:
// only search results "may not reflect the latest information"): Entra
// looks a group up by displayName right after creating it. Names compare
// as SCIM compares displayName (caseExact false). Okta keeps OKTA_GROUP
// names unique, but an imported APP_GROUP may share one: several groups
// of the name, or an answer of groupQueryLimit groups that may leave the
// group out, are left to the search (ok false).
func (g *groups) ReadKey(ctx context.Context, name string) (map[string]any, bool, error) {
	if name == "" {
		return nil, false, nil
	}
	q := url.Values{"q": {name}, "limit": {strconv.Itoa(groupQueryLimit)}}
	var objs []map[string]any
	if _, err := g.c.do(ctx, "find group by name", &httpx.Request{Path: "/api/v1/groups", Query: q}, &objs); err != nil {
		return nil, false, err
	}
	var found map[string]any
	for _, o := range objs {
		if got, _ := profileOf(o)["name"].(string); filter.EqualFold(got, name) {
			if found != nil {
				return nil, false, nil
			}
			found = o
		}
	}
	if found == nil && len(objs) >= groupQueryLimit {
		return nil, false, nil
	}
	return found, true, nil
}

// Version is derived from lastUpdated and the profile (name and
// description changes) and lastMembershipUpdated (members added or
// removed). Members' display names are not part of it.
func (g *groups) Version(obj map[string]any) string {
	return version(obj, "lastMembershipUpdated")
}

func (g *groups) Get(ctx context.Context, id string) (map[string]any, error) {
	return g.c.getByID(ctx, "get group", groupPath(id), id, "Group")
}

func (g *groups) Create(ctx context.Context, w *bridge.Write) (map[string]any, error) {
	var obj map[string]any
	_, err := g.c.do(ctx, "create group", &httpx.Request{Method: http.MethodPost, Path: "/api/v1/groups", Body: map[string]any{"profile": profileOf(w.Target)}}, &obj)
	return obj, err
}

// Replace sends the whole profile: Okta groups only have PUT.
func (g *groups) Replace(ctx context.Context, id string, w *bridge.Write) (map[string]any, error) {
	var obj map[string]any
	if _, err := g.c.do(ctx, "replace group", &httpx.Request{Method: http.MethodPut, Path: groupPath(id), Body: map[string]any{"profile": replaceProfile(w)}}, &obj); err != nil {
		return nil, g.refused(ctx, "replace group", id, err)
	}
	return obj, nil
}

// refused explains Okta's 403 to a change of a group. Okta never lets
// BUILT_IN (Everyone) and APP_GROUP (imported) groups change (spec
// replaceGroup, assignUserToGroup; Everyone cannot be deleted): the
// client asks for what cannot be, 400 mutability. For an OKTA_GROUP the
// token's administrator lacks the permission: the error stays (502).
func (g *groups) refused(ctx context.Context, op, id string, err error) error {
	var te *httpx.TargetError
	if !errors.As(err, &te) || te.Status != http.StatusForbidden {
		return err
	}
	// The group's type is read here alone: readFields leaves it out of
	// every other read.
	var group struct{ Type string }
	resp, gerr := g.c.do(ctx, "get group", &httpx.Request{Path: groupPath(id)}, nil)
	if gerr != nil || resp.DecodeJSON(&group) != nil {
		return err
	}
	if typ := group.Type; typ != "" && typ != "OKTA_GROUP" {
		return scim.BadRequest(scim.Mutability, "okta: %s: group %s is a %s group, which Okta does not let change", op, id, typ)
	}
	return err
}

// replaceProfile is the profile a group's PUT sends. Okta's PUT replaces
// the whole profile (spec replaceGroup), so what the group table does not
// write (custom group attributes an administrator or another tool set)
// and what the SCIM client could not see (a disabled attribute) is
// carried over from the group as read; a mapped attribute the client saw
// and left out is removed.
func replaceProfile(w *bridge.Write) map[string]any {
	profile := profileOf(w.Target)
	current, _ := w.Current["profile"].(map[string]any)
	for k, v := range current {
		if _, set := profile[k]; set || v == nil {
			continue
		}
		if at, mapped := groupProfileSCIM[k]; mapped && scimHas(w.Before, at) {
			continue
		}
		profile[k] = v
	}
	return profile
}

// groupProfileSCIM maps each profile attribute the group table writes to
// its SCIM attribute: schema URN ("" for the core schema) and name.
var groupProfileSCIM = func() map[string][2]string {
	m := map[string][2]string{}
	for _, r := range groupTable {
		key, ok := strings.CutPrefix(r.Target, "profile.")
		if !ok || r.Dir == mapping.FromTarget {
			continue
		}
		urn, name := "", r.SCIM
		if i := strings.LastIndexByte(r.SCIM, ':'); i >= 0 {
			urn, name = r.SCIM[:i], r.SCIM[i+1:]
		}
		m[key] = [2]string{urn, name}
	}
	return m
}()

// scimHas reports whether a SCIM resource has a value for the attribute.
func scimHas(res map[string]any, at [2]string) bool {
	if at[0] != "" {
		res, _ = res[at[0]].(map[string]any)
	}
	return res[at[1]] != nil
}

func (g *groups) Delete(ctx context.Context, id string) error {
	// Checked here since no read precedes the delete: ".." or an encoded
	// "/" would otherwise reach Okta as a path segment.
	if !validID(id) {
		return scim.NotFound("Group %q not found", id)
	}
	if _, err := g.c.do(ctx, "delete group", &httpx.Request{Method: http.MethodDelete, Path: groupPath(id)}, nil); err != nil {
		return g.refused(ctx, "delete group", id, err)
	}
	return nil
}

func (g *groups) List(ctx context.Context, q *bridge.Query) (*bridge.Page, error) {
	return g.c.list(ctx, "list groups", "/api/v1/groups", q)
}

// members reads the group's users, 1,000 per page (NOTES §2 default).
func (g *groups) members(ctx context.Context, id string) ([]map[string]any, error) {
	return g.c.listAll(ctx, "list group members", groupPath(id)+"/users", 1000)
}

// Expand adds the members when the response asks for them.
func (g *groups) Expand(ctx context.Context, obj map[string]any, want *schema.Projection) error {
	if want != nil && !want.Includes("members") {
		return nil
	}
	id, _ := obj["id"].(string)
	ms, err := g.members(ctx, id)
	if err != nil {
		return err
	}
	list := make([]any, len(ms))
	for i, m := range ms {
		list[i] = m
	}
	obj["_members"] = list
	return nil
}

func (g *groups) MemberIDs(ctx context.Context, groupID string) ([]string, error) {
	ms, err := g.members(ctx, groupID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(ms))
	for _, m := range ms {
		if id, ok := m["id"].(string); ok {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func (g *groups) AddMembers(ctx context.Context, groupID string, ids []string) error {
	for _, id := range ids {
		if !validID(id) {
			return scim.BadRequest(scim.InvalidValue, "okta: member %q is not a user id", id)
		}
		_, err := g.c.do(ctx, "add group member", &httpx.Request{Method: http.MethodPut, Path: groupPath(groupID) + "/users/" + url.PathEscape(id)}, nil)
		if isNotFound(err) {
			return scim.BadRequest(scim.InvalidValue, "okta: member %q is not a user of this org (or the group is gone)", id)
		}
		if err != nil {
			return g.refused(ctx, "add group member", groupID, err)
		}
	}
	return nil
}

func (g *groups) RemoveMembers(ctx context.Context, groupID string, ids []string) error {
	for _, id := range ids {
		if !validID(id) {
			continue // cannot be a member
		}
		_, err := g.c.do(ctx, "remove group member", &httpx.Request{Method: http.MethodDelete, Path: groupPath(groupID) + "/users/" + url.PathEscape(id)}, nil)
		if err != nil && !isNotFound(err) {
			return g.refused(ctx, "remove group member", groupID, err)
		}
	}
	return nil
}
