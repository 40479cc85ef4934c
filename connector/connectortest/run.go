package connectortest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/bridge"
	"github.com/scimconnect/scimconnect/scim"
)

// Run runs every scenario the declaration allows, each on a fresh
// simulator, and fails on requests to routes the simulator does not model.
func Run(t *testing.T, h Harness) {
	d := declaration(t, h)
	users := resource(d, "User")
	if users == nil {
		t.Fatalf("%s declares no User resource type", d.Name)
	}
	scenario := func(name string, env connector.Env, fn func(t *testing.T, s *Server)) {
		t.Run(name, func(t *testing.T) {
			s := Start(t, h, env)
			fn(t, s)
			if u := s.Sim.Unhandled(); len(u) > 0 {
				t.Errorf("requests to unmodelled simulator routes: %v", u)
			}
		})
	}
	scenario("Discovery", connector.Env{}, func(t *testing.T, s *Server) { discovery(t, s, d) })
	scenario("UserLifecycle", connector.Env{}, func(t *testing.T, s *Server) { userLifecycle(t, s, h, users) })
	if users.Ops.Has(bridge.OpList) {
		scenario("Paging", connector.Env{}, func(t *testing.T, s *Server) { paging(t, s, h) })
		scenario("FilterUserName", connector.Env{}, func(t *testing.T, s *Server) { filterUserName(t, s, h) })
	}
	scenario("Mandatory", connector.Env{}, func(t *testing.T, s *Server) { mandatory(t, s, h, users) })
	scenario("TargetErrors", connector.Env{}, func(t *testing.T, s *Server) { targetErrors(t, s, h, users) })
	scenario("RetriesThen429And500", connector.Env{}, func(t *testing.T, s *Server) { retries(t, s, h) })
	scenario("ExternalID", connector.Env{}, func(t *testing.T, s *Server) { externalID(t, s, h) })
	scenario("ETags", connector.Env{}, func(t *testing.T, s *Server) { etags(t, s, h, d) })
	if g := resource(d, "Group"); g != nil {
		scenario("GroupsAndMembership", connector.Env{}, func(t *testing.T, s *Server) { groupsAndMembers(t, s, h, g) })
	}
	if h.CustomAttributes != "" {
		scenario("CustomAttributes", connector.Env{CustomAttributes: h.CustomAttributes}, func(t *testing.T, s *Server) { customAttrs(t, s, h) })
	}
	if h.Disabled != "" {
		scenario("DisabledAttributes", connector.Env{DisabledAttributes: []string{h.Disabled}}, func(t *testing.T, s *Server) { disabledAttrs(t, s, h) })
	}
}

func discovery(t *testing.T, s *Server, d *bridge.Connector) {
	code, spc := s.Do(t, "GET", "/ServiceProviderConfig", nil)
	expect(t, "ServiceProviderConfig", code, 200, spc)
	wantPatch := false
	for _, r := range d.Resources {
		wantPatch = wantPatch || r.Ops.Has(bridge.OpPatch)
	}
	if got := spc["patch"].(map[string]any)["supported"]; got != wantPatch {
		t.Errorf("patch.supported = %v, want %v", got, wantPatch)
	}
	code, rts := s.Do(t, "GET", "/ResourceTypes", nil)
	expect(t, "ResourceTypes", code, 200, rts)
	if n := int(rts["totalResults"].(float64)); n != len(d.Resources) {
		t.Errorf("ResourceTypes totalResults = %d, want %d", n, len(d.Resources))
	}
	for _, r := range rts["Resources"].([]any) {
		desc := str(r.(map[string]any), "description")
		if !strings.Contains(desc, d.Name+" "+d.Version) {
			t.Errorf("resource type description %q does not name the connector version %s %s", desc, d.Name, d.Version)
		}
	}
}

func create(t *testing.T, s *Server, path string, body map[string]any) map[string]any {
	t.Helper()
	code, res := s.Do(t, "POST", path, body)
	expect(t, "POST "+path, code, 201, res)
	if str(res, "id") == "" {
		t.Fatalf("created resource without id: %v", res)
	}
	return res
}

func userLifecycle(t *testing.T, s *Server, h Harness, d *bridge.Resource) {
	u := h.User(1)
	created := create(t, s, "/Users", u)
	id := str(created, "id")
	loc := "/Users/" + url.PathEscape(id)
	if got := created["meta"].(map[string]any)["location"]; got != s.URL+loc {
		t.Errorf("meta.location = %v, want %s", got, s.URL+loc)
	}
	code, got := s.Do(t, "GET", loc, nil)
	expect(t, "GET user", code, 200, got)
	if diff := cmp.Diff(u["userName"], got["userName"]); diff != "" {
		t.Errorf("userName (-sent +got):\n%s", diff)
	}
	if diff := cmp.Diff(u["name"].(map[string]any)["givenName"], got["name"].(map[string]any)["givenName"]); diff != "" {
		t.Errorf("name.givenName (-sent +got):\n%s", diff)
	}

	// Replace: a new family name, title removed.
	put := h.User(1)
	put["name"].(map[string]any)["familyName"] = "Replaced"
	delete(put, "title")
	code, got = s.Do(t, "PUT", loc, put)
	expect(t, "PUT user", code, 200, got)
	if f := got["name"].(map[string]any)["familyName"]; f != "Replaced" {
		t.Errorf("after PUT familyName = %v, want Replaced", f)
	}
	if _, ok := got["title"]; ok && d.Removal != 2 {
		t.Errorf("after a PUT without title, title = %v, want it cleared", got["title"])
	}

	// Patch: title and an enterprise attribute.
	code, got = s.Do(t, "PATCH", loc, map[string]any{
		"schemas": []string{scim.PatchOpSchema},
		"Operations": []any{
			map[string]any{"op": "replace", "path": "title", "value": "Engineer"},
			map[string]any{"op": "add", "path": scim.EnterpriseUserSchema + ":department", "value": "R&D"},
		},
	})
	expect(t, "PATCH user", code, 200, got)
	if got["title"] != "Engineer" {
		t.Errorf("after PATCH title = %v, want Engineer", got["title"])
	}
	if ext, _ := got[scim.EnterpriseUserSchema].(map[string]any); ext["department"] != "R&D" {
		t.Errorf("after PATCH department = %v, want R&D", ext["department"])
	}

	// active false and back.
	for _, active := range []bool{false, true} {
		code, got = s.Do(t, "PATCH", loc, map[string]any{
			"schemas":    []string{scim.PatchOpSchema},
			"Operations": []any{map[string]any{"op": "replace", "path": "active", "value": active}},
		})
		expect(t, fmt.Sprintf("PATCH active=%v", active), code, 200, got)
		if got["active"] != active {
			t.Errorf("after PATCH active=%v, active = %v", active, got["active"])
		}
	}

	if !d.Ops.Has(bridge.OpDelete) {
		code, got = s.Do(t, "DELETE", loc, nil)
		expect(t, "DELETE unsupported", code, 501, got)
		return
	}
	code, got = s.Do(t, "DELETE", loc, nil)
	expect(t, "DELETE user", code, 204, got)
	if d.SoftDelete {
		code, got = s.Do(t, "GET", loc, nil)
		expect(t, "GET soft-deleted user", code, 200, got)
		if got["active"] != false {
			t.Errorf("soft-deleted user active = %v, want false", got["active"])
		}
		code, got = s.Do(t, "DELETE", loc, nil)
		expect(t, "second DELETE", code, 204, got)
	}
	code, got = s.Do(t, "GET", loc, nil)
	expect(t, "GET deleted user", code, 404, got)
}

func paging(t *testing.T, s *Server, h Harness) {
	const n = 23
	want := map[string]bool{}
	for i := range n {
		want[str(create(t, s, "/Users", h.User(100+i)), "id")] = true
	}
	// Index paging, pages of 5.
	seen := map[string]bool{}
	for start := 1; ; start += 5 {
		code, page := s.Do(t, "GET", fmt.Sprintf("/Users?startIndex=%d&count=5", start), nil)
		expect(t, "list page", code, 200, page)
		rs, _ := page["Resources"].([]any)
		for _, r := range rs {
			id := str(r.(map[string]any), "id")
			if seen[id] {
				t.Errorf("user %s listed twice", id)
			}
			seen[id] = true
		}
		total := int(page["totalResults"].(float64))
		if len(rs) == 0 || start+len(rs) > total {
			if total != len(seen) {
				t.Errorf("last page totalResults = %d, want %d", total, len(seen))
			}
			break
		}
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("index paging (-created +listed):\n%s", diff)
	}
	// Cursor paging, pages of 7.
	seen = map[string]bool{}
	cursor := ""
	for range 20 {
		code, page := s.Do(t, "GET", "/Users?count=7&cursor="+url.QueryEscape(cursor), nil)
		expect(t, "cursor page", code, 200, page)
		for _, r := range page["Resources"].([]any) {
			seen[str(r.(map[string]any), "id")] = true
		}
		cursor = str(page, "nextCursor")
		if cursor == "" {
			break
		}
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("cursor paging (-created +listed):\n%s", diff)
	}
}

func filterUserName(t *testing.T, s *Server, h Harness) {
	var names []string
	var lastModified bool
	for i := range 3 {
		u := h.User(200 + i)
		res := create(t, s, "/Users", u)
		names = append(names, u["userName"].(string))
		meta, _ := res["meta"].(map[string]any)
		_, lastModified = meta["lastModified"]
	}
	one := `userName eq "` + esc(names[1]) + `"`
	type filterCase struct {
		name, filter string
		want         int
	}
	cases := []filterCase{
		{"exact", one, 1},
		{"other case", `userName eq "` + esc(strings.ToUpper(names[1])) + `"`, 1},
		{"missing", `userName eq "nobody@example.com"`, 0},
		{"quote in value", `userName eq "a\" or userName pr or \"b@example.com"`, 0},
		// meta as responses show it, whether the target or the gateway
		// evaluates the filter
		{"resourceType", one + ` and meta.resourceType eq "User"`, 1},
		{"other resourceType", one + ` and meta.resourceType eq "Group"`, 0},
	}
	if lastModified { // delta synchronisation
		cases = append(cases,
			filterCase{"modified since", one + ` and meta.lastModified gt "2000-01-01T00:00:00Z"`, 1},
			filterCase{"modified before", one + ` and meta.lastModified lt "2000-01-01T00:00:00+01:00"`, 0})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, page := s.Do(t, "GET", "/Users?filter="+url.QueryEscape(tc.filter), nil)
			expect(t, "filter", code, 200, page)
			if got := int(page["totalResults"].(float64)); got != tc.want {
				t.Errorf("totalResults = %d, want %d", got, tc.want)
			}
		})
	}
}

func mandatory(t *testing.T, s *Server, h Harness, d *bridge.Resource) {
	for _, path := range d.Mandatory {
		if path == "userName" {
			continue // required by the schema: the provider refuses it first
		}
		t.Run(path, func(t *testing.T) {
			u := h.User(300)
			top, sub, nested := strings.Cut(path, ".")
			if nested {
				delete(u[top].(map[string]any), sub)
			} else {
				delete(u, top)
			}
			s.Sim.FailNext(1, 500) // any target call would fail loudly
			code, res := s.Do(t, "POST", "/Users", u)
			expect(t, "create without "+path, code, 400, res)
			if res["scimType"] != scim.InvalidValue || !strings.Contains(str(res, "detail"), path) {
				t.Errorf("error = %v, want invalidValue naming %s", res, path)
			}
			s.Sim.FailNext(0, 500)
		})
	}
}

func targetErrors(t *testing.T, s *Server, h Harness, d *bridge.Resource) {
	code, res := s.Do(t, "GET", "/Users/"+url.PathEscape("no such/id?#% é"), nil)
	expect(t, "GET missing", code, 404, res)
	u := h.User(400)
	create(t, s, "/Users", u)
	code, res = s.Do(t, "POST", "/Users", u)
	expect(t, "duplicate userName", code, 409, res)
	if res["scimType"] != scim.Uniqueness {
		t.Errorf("duplicate scimType = %v, want uniqueness", res["scimType"])
	}
	s.Sim.FailNext(1, 400)
	code, res = s.Do(t, "POST", "/Users", h.User(401))
	expect(t, "target validation error", code, 400, res)
}

func retries(t *testing.T, s *Server, h Harness) {
	for _, status := range []int{429, 500} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			u := create(t, s, "/Users", h.User(500+status))
			s.Sim.FailNext(2, status)
			code, res := s.Do(t, "GET", "/Users/"+url.PathEscape(str(u, "id")), nil)
			expect(t, "GET after failures", code, 200, res)
		})
	}
}

func externalID(t *testing.T, s *Server, h Harness) {
	u := h.User(600)
	u["externalId"] = `ext-"1"/x`
	created := create(t, s, "/Users", u)
	if created["externalId"] != u["externalId"] {
		t.Errorf("externalId = %v, want %v", created["externalId"], u["externalId"])
	}
	create(t, s, "/Users", h.User(601))
	code, page := s.Do(t, "GET", "/Users?filter="+url.QueryEscape(`externalId eq "ext-\"1\"/x"`), nil)
	expect(t, "filter externalId", code, 200, page)
	rs, _ := page["Resources"].([]any)
	if len(rs) != 1 || str(rs[0].(map[string]any), "id") != str(created, "id") {
		t.Errorf("externalId filter found %v, want only %s", rs, str(created, "id"))
	}
}

func groupsAndMembers(t *testing.T, s *Server, h Harness, d *bridge.Resource) {
	var ids []string
	for i := range 3 {
		ids = append(ids, str(create(t, s, "/Users", h.User(700+i)), "id"))
	}
	g := create(t, s, "/Groups", map[string]any{
		"schemas": []string{scim.GroupSchema}, "displayName": "Conformance Team",
		"members": []any{map[string]any{"value": ids[0]}},
	})
	loc := "/Groups/" + url.PathEscape(str(g, "id"))
	members := func() []string {
		t.Helper()
		code, got := s.Do(t, "GET", loc, nil)
		expect(t, "GET group", code, 200, got)
		var out []string
		ms, _ := got["members"].([]any)
		for _, m := range ms {
			out = append(out, str(m.(map[string]any), "value"))
		}
		return out
	}
	if diff := cmp.Diff([]string{ids[0]}, members()); diff != "" {
		t.Errorf("members after create (-want +got):\n%s", diff)
	}
	code, res := s.Do(t, "PATCH", loc, map[string]any{"schemas": []string{scim.PatchOpSchema}, "Operations": []any{
		map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": ids[1]}, map[string]any{"value": ids[2]}}},
		map[string]any{"op": "remove", "path": `members[value eq "` + ids[0] + `"]`},
	}})
	expect(t, "PATCH members", code, 200, res)
	got := members()
	if diff := cmp.Diff(map[string]bool{ids[1]: true, ids[2]: true}, set(got)); diff != "" {
		t.Errorf("members after PATCH (-want +got):\n%s", diff)
	}
	// A missing member: the error says what was applied.
	code, res = s.Do(t, "PATCH", loc, map[string]any{"schemas": []string{scim.PatchOpSchema}, "Operations": []any{
		map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": ids[0]}, map[string]any{"value": "no-such-user"}}},
	}})
	if code < 400 || !strings.Contains(str(res, "detail"), "were added") {
		t.Errorf("PATCH with a missing member: status %d %v, want an error saying which members were added", code, res)
	}
	// Rename through PUT keeps members given in the body.
	code, res = s.Do(t, "PUT", loc, map[string]any{"schemas": []string{scim.GroupSchema}, "displayName": "Renamed Team",
		"members": []any{map[string]any{"value": ids[2]}}})
	expect(t, "PUT group", code, 200, res)
	if res["displayName"] != "Renamed Team" {
		t.Errorf("displayName after PUT = %v", res["displayName"])
	}
	if diff := cmp.Diff([]string{ids[2]}, members()); diff != "" {
		t.Errorf("members after PUT (-want +got):\n%s", diff)
	}
	code, page := s.Do(t, "GET", "/Groups?filter="+url.QueryEscape(`displayName eq "renamed team"`), nil)
	expect(t, "filter groups", code, 200, page)
	if n := int(page["totalResults"].(float64)); n != 1 {
		t.Errorf("displayName filter totalResults = %d, want 1", n)
	}
	code, res = s.Do(t, "DELETE", loc, nil)
	expect(t, "DELETE group", code, 204, res)
	code, res = s.Do(t, "GET", loc, nil)
	expect(t, "GET deleted group", code, 404, res)
}

func set(ids []string) map[string]bool {
	m := map[string]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func customAttrs(t *testing.T, s *Server, h Harness) {
	name, _, _ := strings.Cut(h.CustomAttributes, "|")
	code, sch := s.Do(t, "GET", "/Schemas/"+scim.EnterpriseUserSchema, nil)
	expect(t, "enterprise schema", code, 200, sch)
	found := false
	for _, a := range sch["attributes"].([]any) {
		if strings.EqualFold(str(a.(map[string]any), "name"), name) {
			found = true
		}
	}
	if !found {
		t.Fatalf("custom attribute %s not in the enterprise schema", name)
	}
	u := h.User(800)
	u["schemas"] = []string{scim.UserSchema, scim.EnterpriseUserSchema}
	u[scim.EnterpriseUserSchema] = map[string]any{name: "custom value"}
	created := create(t, s, "/Users", u)
	code, got := s.Do(t, "GET", "/Users/"+url.PathEscape(str(created, "id")), nil)
	expect(t, "GET", code, 200, got)
	if ext, _ := got[scim.EnterpriseUserSchema].(map[string]any); ext[name] != "custom value" {
		t.Errorf("custom attribute read back as %v", ext[name])
	}
}

func disabledAttrs(t *testing.T, s *Server, h Harness) {
	u := h.User(900)
	if _, ok := u[h.Disabled]; !ok {
		t.Fatalf("harness User does not set the disabled attribute %q", h.Disabled)
	}
	created := create(t, s, "/Users", u)
	if _, ok := created[h.Disabled]; ok {
		t.Errorf("disabled attribute %s returned: %v", h.Disabled, created[h.Disabled])
	}
	code, sch := s.Do(t, "GET", "/Schemas/"+scim.UserSchema, nil)
	expect(t, "user schema", code, 200, sch)
	for _, a := range sch["attributes"].([]any) {
		if strings.EqualFold(str(a.(map[string]any), "name"), h.Disabled) {
			t.Errorf("disabled attribute %s still in /Schemas", h.Disabled)
		}
	}
	code, res := s.Do(t, "PATCH", "/Users/"+url.PathEscape(str(created, "id")), map[string]any{"schemas": []string{scim.PatchOpSchema}, "Operations": []any{
		map[string]any{"op": "replace", "path": h.Disabled, "value": "ignored"},
		map[string]any{"op": "replace", "path": "displayName", "value": "Still Patched"},
	}})
	expect(t, "PATCH with a disabled attribute", code, 200, res)
	if _, ok := res[h.Disabled]; ok || res["displayName"] != "Still Patched" {
		t.Errorf("PATCH result %v: want displayName changed and %s absent", res, h.Disabled)
	}
}

// etags checks RFC 7644 §3.14 through the bridge: versions on users and
// groups as /ServiceProviderConfig advertises them.
func etags(t *testing.T, s *Server, h Harness, d *bridge.Connector) {
	code, spc := s.Do(t, "GET", "/ServiceProviderConfig", nil)
	expect(t, "ServiceProviderConfig", code, 200, spc)
	supported := spc["etag"].(map[string]any)["supported"] == true
	users := resource(d, "User")
	u := create(t, s, "/Users", h.User(1000))
	loc := "/Users/" + url.PathEscape(str(u, "id"))
	// get returns the resource's version, checking that the ETag header
	// and meta.version agree.
	get := func(what, loc string) string {
		t.Helper()
		code, hdr, res := s.DoHeader(t, "GET", loc, nil, nil)
		expect(t, what, code, 200, res)
		v, _ := res["meta"].(map[string]any)["version"].(string)
		if hdr.Get("ETag") != v {
			t.Errorf("%s: ETag header %q, meta.version %q", what, hdr.Get("ETag"), v)
		}
		return v
	}
	v1 := get("GET user", loc)
	if !supported {
		if v1 != "" {
			t.Errorf("etag unsupported, yet meta.version = %q", v1)
		}
		return
	}
	if v1 == "" || !strings.HasPrefix(v1, `W/"`) {
		t.Fatalf("meta.version = %q, want a weak entity tag", v1)
	}
	if v := str(u["meta"].(map[string]any), "version"); v != v1 {
		t.Errorf("created version %q, GET version %q", v, v1)
	}
	code, _, res := s.DoHeader(t, "GET", loc, nil, http.Header{"If-None-Match": {v1}})
	expect(t, "GET If-None-Match current", code, 304, res)
	stale := http.Header{"If-Match": {`W/"stale"`}}
	setDisplayName := func(v string) map[string]any {
		return map[string]any{"schemas": []string{scim.PatchOpSchema}, "Operations": []any{map[string]any{"op": "replace", "path": "displayName", "value": v}}}
	}
	if users.Ops.Has(bridge.OpPatch) {
		code, _, res = s.DoHeader(t, "PATCH", loc, setDisplayName("Stale"), stale)
		expect(t, "PATCH with a stale If-Match", code, 412, res)
		if v := get("GET after the refused PATCH", loc); v != v1 {
			t.Errorf("a refused PATCH changed the version from %s to %s", v1, v)
		}
		code, hdr, res := s.DoHeader(t, "PATCH", loc, setDisplayName("Current"), http.Header{"If-Match": {v1}})
		expect(t, "PATCH with the current If-Match", code, 200, res)
		v2 := hdr.Get("ETag")
		if v2 == "" || v2 == v1 {
			t.Errorf("version after a PATCH %q, before %q: want a new one", v2, v1)
		}
		if v := get("GET after PATCH", loc); v != v2 {
			t.Errorf("GET version %q, PATCH answered %q", v, v2)
		}
		code, _, res = s.DoHeader(t, "GET", loc, nil, http.Header{"If-None-Match": {v1}})
		expect(t, "GET If-None-Match outdated", code, 200, res)
		// The externalId the gateway keeps is part of the version.
		put := h.User(1000)
		put["displayName"] = "Current"
		put["externalId"] = "etag-ext"
		code, hdr, res = s.DoHeader(t, "PUT", loc, put, http.Header{"If-Match": {v2}})
		expect(t, "PUT with the current If-Match", code, 200, res)
		if v3 := hdr.Get("ETag"); v3 == v2 {
			t.Errorf("version %q unchanged by a PUT that set externalId", v3)
		}
		v1 = get("GET after PUT", loc)
	}
	if users.Ops.Has(bridge.OpDelete) {
		code, _, res = s.DoHeader(t, "DELETE", loc, nil, stale)
		expect(t, "DELETE with a stale If-Match", code, 412, res)
		get("GET after the refused DELETE", loc)
		code, _, res = s.DoHeader(t, "DELETE", loc, nil, http.Header{"If-Match": {v1}})
		expect(t, "DELETE with the current If-Match", code, 204, res)
	}
	g := resource(d, "Group")
	if g == nil || !g.Ops.Has(bridge.OpMembers) {
		return
	}
	member := str(create(t, s, "/Users", h.User(1001)), "id")
	grp := create(t, s, "/Groups", map[string]any{"schemas": []string{scim.GroupSchema}, "displayName": "ETag Team"})
	gloc := "/Groups/" + url.PathEscape(str(grp, "id"))
	gv := get("GET group", gloc)
	add := map[string]any{"schemas": []string{scim.PatchOpSchema}, "Operations": []any{
		map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": member}}}}}
	code, _, res = s.DoHeader(t, "PATCH", gloc, add, stale)
	expect(t, "member PATCH with a stale If-Match", code, 412, res)
	code, _, res = s.DoHeader(t, "PATCH", gloc, add, http.Header{"If-Match": {gv}})
	expect(t, "member PATCH with the current If-Match", code, 200, res)
	if ms, _ := res["members"].([]any); len(ms) != 1 {
		t.Errorf("members after the PATCH: %v, want the one added", res["members"])
	}
}
