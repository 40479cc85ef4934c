package provider_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/provider"
)

// bulkResult is one entry of a BulkResponse (RFC 7644 §3.7.3), with the
// status kept raw so that its JSON type can be checked.
type bulkResult struct {
	Method   string          `json:"method"`
	BulkID   string          `json:"bulkId"`
	Version  string          `json:"version"`
	Location string          `json:"location"`
	Status   json.RawMessage `json:"status"`
	Response json.RawMessage `json:"response"`
}

func bulkResults(t testing.TB, res response) []bulkResult {
	t.Helper()
	var body struct {
		Schemas    []string     `json:"schemas"`
		Operations []bulkResult `json:"Operations"`
	}
	res.decode(t, &body)
	if !cmp.Equal(body.Schemas, []string{scim.BulkResponseSchema}) {
		t.Errorf("schemas = %v", body.Schemas)
	}
	return body.Operations
}

// bulkStatuses returns the statuses of a BulkResponse, asserting that each
// is a JSON string as RFC 7644 §3.7.3 shows ("status": "201").
func bulkStatuses(t testing.TB, res response) []string {
	t.Helper()
	var out []string
	for i, r := range bulkResults(t, res) {
		var s string
		if err := json.Unmarshal(r.Status, &s); err != nil {
			t.Errorf("operation %d: status %s is not a JSON string", i+1, r.Status)
		}
		out = append(out, s)
	}
	return out
}

// bulkBody wraps operations (a JSON array) in a BulkRequest.
func bulkBody(ops string, failOnErrors int) string {
	fo := ""
	if failOnErrors > 0 {
		fo = fmt.Sprintf(`"failOnErrors":%d,`, failOnErrors)
	}
	return `{"schemas":["` + scim.BulkRequestSchema + `"],` + fo + `"Operations":` + ops + `}`
}

func userData(name string) string {
	return `{"schemas":["` + scim.UserSchema + `"],"userName":"` + name + `"}`
}

func groupData(name string, members ...string) string {
	var ms []string
	for _, m := range members {
		ms = append(ms, `{"value":"`+m+`","type":"User"}`)
	}
	return `{"schemas":["` + scim.GroupSchema + `"],"displayName":"` + name + `","members":[` + strings.Join(ms, ",") + `]}`
}

func patchData(ops string) string {
	return `{"schemas":["` + scim.PatchOpSchema + `"],"Operations":` + ops + `}`
}

func TestBulkReferences(t *testing.T) {
	f := newFixture(t)
	// The group refers forward to a user created later in the request, and
	// a PATCH refers to the group by bulkId in its path (RFC 7644 §3.7.2).
	res := f.do(t, "POST", "/Bulk", bulkBody(`[
		{"method":"POST","bulkId":"g","path":"/Groups","data":`+groupData("Admins", "bulkId:u1")+`},
		{"method":"POST","bulkId":"u1","path":"/Users","data":`+userData("alice")+`},
		{"method":"post","bulkId":"u2","path":"/Users","data":`+userData("bob")+`},
		{"method":"Patch","path":"/Groups/bulkId:g","data":`+patchData(`[{"op":"add","path":"members","value":[{"value":"bulkId:u2","type":"User"}]}]`)+`},
		{"method":"PUT","path":"/Users/bulkId:u1","data":{"schemas":["`+scim.UserSchema+`"],"userName":"alice","title":"bulkId:u2"}},
		{"method":"delete","path":"/Users/bulkId:u2"}
	]`, 0))
	wantStatus(t, res, http.StatusOK)
	results := bulkResults(t, res)
	if got, want := bulkStatuses(t, res), []string{"201", "201", "201", "200", "200", "204"}; !cmp.Equal(got, want) {
		t.Fatalf("statuses = %v, want %v: %s", got, want, res.Body)
	}
	// Results keep the request's order and echo method and bulkId.
	for i, want := range []struct{ method, bulkID string }{{"POST", "g"}, {"POST", "u1"}, {"post", "u2"}, {"Patch", ""}, {"PUT", ""}, {"delete", ""}} {
		if results[i].Method != want.method || results[i].BulkID != want.bulkID {
			t.Errorf("result %d = %s %q, want %s %q", i+1, results[i].Method, results[i].BulkID, want.method, want.bulkID)
		}
	}
	gLoc, u1Loc, u2Loc := results[0].Location, results[1].Location, results[2].Location
	u1 := u1Loc[strings.LastIndexByte(u1Loc, '/')+1:]
	u2 := u2Loc[strings.LastIndexByte(u2Loc, '/')+1:]
	if results[0].Version == "" || results[3].Version == "" {
		t.Errorf("versions missing: %s", res.Body)
	}
	if results[3].Location != gLoc || results[5].Location != u2Loc {
		t.Errorf("locations = %q, %q, want %q, %q", results[3].Location, results[5].Location, gLoc, u2Loc)
	}
	g := f.do(t, "GET", pathOf(t, gLoc), "").object(t)
	var values []string
	for _, m := range g["members"].([]any) {
		values = append(values, m.(map[string]any)["value"].(string))
	}
	if !cmp.Equal(values, []string{u1, u2}) {
		t.Errorf("members = %v, want [%s %s]", values, u1, u2)
	}
	if title := f.do(t, "GET", pathOf(t, u1Loc), "").object(t)["title"]; title != u2 {
		t.Errorf("title = %v, want the id %q the data reference resolved to", title, u2)
	}
	wantStatus(t, f.do(t, "GET", pathOf(t, u2Loc), ""), http.StatusNotFound)
}

func TestBulkErrors(t *testing.T) {
	tests := []struct {
		name     string
		ops      string
		fail     int
		statuses []string
		users    int // users existing afterwards
	}{
		{
			name: "circular references",
			ops: `[{"method":"POST","bulkId":"a","path":"/Groups","data":` + groupData("A", "bulkId:b") + `},
				{"method":"POST","bulkId":"b","path":"/Groups","data":` + groupData("B", "bulkId:a") + `}]`,
			statuses: []string{"409", "409"},
		},
		{
			name:     "self reference",
			ops:      `[{"method":"POST","bulkId":"a","path":"/Groups","data":` + groupData("A", "bulkId:a") + `}]`,
			statuses: []string{"409"},
		},
		{
			name: "unknown bulkId",
			ops: `[{"method":"POST","bulkId":"u","path":"/Users","data":` + userData("alice") + `},
				{"method":"POST","bulkId":"g","path":"/Groups","data":` + groupData("G", "bulkId:nope") + `}]`,
			statuses: []string{"201", "409"},
			users:    1,
		},
		{
			name: "reference to a failed POST",
			ops: `[{"method":"POST","bulkId":"u","path":"/Users","data":{"schemas":["` + scim.UserSchema + `"]}},
				{"method":"PATCH","path":"/Users/bulkId:u","data":` + patchData(`[{"op":"replace","path":"title","value":"t"}]`) + `}]`,
			statuses: []string{"400", "409"},
		},
		{
			name: "errors are per operation",
			ops: `[{"method":"POST","bulkId":"a","path":"/Users","data":` + userData("alice") + `},
				{"method":"POST","bulkId":"b","path":"/Users","data":` + userData("ALICE") + `},
				{"method":"DELETE","path":"/Users/nope"},
				{"method":"GET","path":"/Users"},
				{"method":"POST","path":"/Users","data":` + userData("nobulkid") + `},
				{"method":"POST","bulkId":"c","path":"/Nope","data":` + userData("c") + `},
				{"method":"POST","bulkId":"d","path":"/Users","data":` + userData("dave") + `}]`,
			statuses: []string{"201", "409", "404", "400", "400", "400", "201"},
			users:    2,
		},
		{
			name: "failOnErrors stops processing",
			ops: `[{"method":"DELETE","path":"/Users/nope"},
				{"method":"POST","bulkId":"a","path":"/Users","data":` + userData("alice") + `},
				{"method":"DELETE","path":"/Users/nope2"},
				{"method":"POST","bulkId":"b","path":"/Users","data":` + userData("bob") + `}]`,
			fail:     2,
			statuses: []string{"404", "201", "404"},
			users:    1,
		},
		{
			name: "failOnErrors 1",
			ops: `[{"method":"POST","bulkId":"x","path":"/Users","data":{"schemas":["` + scim.UserSchema + `"]}},
				{"method":"POST","bulkId":"a","path":"/Users","data":` + userData("alice") + `}]`,
			fail:     1,
			statuses: []string{"400"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			res := f.do(t, "POST", "/Bulk", bulkBody(tt.ops, tt.fail))
			wantStatus(t, res, http.StatusOK)
			if got := bulkStatuses(t, res); !cmp.Equal(got, tt.statuses) {
				t.Errorf("statuses = %v, want %v: %s", got, tt.statuses, res.Body)
			}
			for i, r := range bulkResults(t, res) {
				var st string
				if json.Unmarshal(r.Status, &st) == nil && st >= "400" {
					// A failed operation carries an RFC 7644 §3.12 error as its response.
					var e struct {
						Schemas []string `json:"schemas"`
						Status  string   `json:"status"`
					}
					if err := json.Unmarshal(r.Response, &e); err != nil || e.Status != st || !cmp.Equal(e.Schemas, []string{scim.ErrorSchema}) {
						t.Errorf("operation %d: response %s is not the error of status %s", i+1, r.Response, st)
					}
				}
			}
			list := f.do(t, "GET", "/Users?count=0", "").object(t)
			if n := jsonInt(t, "totalResults", list["totalResults"]); n != tt.users {
				t.Errorf("%d users exist afterwards, want %d", n, tt.users)
			}
		})
	}
}

func TestBulkRequestErrors(t *testing.T) {
	const maxOps, maxPayload = 3, 2048
	op := `{"method":"POST","bulkId":"%d","path":"/Users","data":{"schemas":["` + scim.UserSchema + `"],"userName":"u%d"}}`
	ops := func(n int) string {
		var s []string
		for i := range n {
			s = append(s, fmt.Sprintf(op, i, i))
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	tests := []struct {
		name     string
		body     string
		status   int
		scimType string
	}{
		{"too many operations", bulkBody(ops(maxOps+1), 0), 413, ""},
		{"payload over maxPayloadSize", bulkBody(`[{"method":"DELETE","path":"/Users/`+strings.Repeat("x", maxPayload)+`"}]`, 0), 413, ""},
		{"duplicate bulkId", bulkBody(`[`+fmt.Sprintf(op, 1, 1)+`,`+fmt.Sprintf(op, 1, 2)+`]`, 0), 400, scim.InvalidValue},
		{"no schemas", `{"Operations":` + ops(1) + `}`, 400, scim.InvalidSyntax},
		{"no operations", bulkBody(`[]`, 0), 400, scim.InvalidSyntax},
		{"operations not an array", bulkBody(`{}`, 0), 400, scim.InvalidSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *provider.Config) { c.BulkMaxOperations = maxOps; c.BulkMaxPayload = maxPayload })
			wantError(t, f.do(t, "POST", "/Bulk", tt.body), tt.status, tt.scimType)
			list := f.do(t, "GET", "/Users?count=0", "").object(t)
			if n := jsonInt(t, "totalResults", list["totalResults"]); n != 0 {
				t.Errorf("a rejected bulk request created %d users", n)
			}
		})
	}
	t.Run("a member of the wrong kind is named", func(t *testing.T) {
		f := newFixture(t)
		res := f.do(t, "POST", "/Bulk", `{"schemas":["`+scim.BulkRequestSchema+`"],"Operations":"x"}`)
		wantError(t, res, 400, scim.InvalidSyntax)
		if detail, _ := res.object(t)["detail"].(string); !strings.Contains(detail, "Operations: unexpected string") {
			t.Errorf("detail %q, want it to name Operations", detail)
		}
	})
	t.Run("exactly maxOperations", func(t *testing.T) {
		f := newFixture(t, func(c *provider.Config) { c.BulkMaxOperations = maxOps; c.BulkMaxPayload = maxPayload })
		res := f.do(t, "POST", "/Bulk", bulkBody(ops(maxOps), 0))
		wantStatus(t, res, http.StatusOK)
		if got := bulkStatuses(t, res); !cmp.Equal(got, []string{"201", "201", "201"}) {
			t.Errorf("statuses = %v", got)
		}
	})
	t.Run("bulk not supported", func(t *testing.T) {
		f := newFixture(t, func(c *provider.Config) { c.Features.Bulk = false })
		wantError(t, f.do(t, "POST", "/Bulk", bulkBody(ops(1), 0)), 501, "")
	})
}

func TestBulkVersion(t *testing.T) {
	f := newFixture(t)
	id := f.createUser(t, "bjensen")["id"].(string)
	res := f.do(t, "POST", "/Bulk", bulkBody(`[
		{"method":"PATCH","path":"/Users/`+id+`","version":"W/\"9\"","data":`+patchData(`[{"op":"replace","path":"title","value":"t"}]`)+`},
		{"method":"PATCH","path":"/Users/`+id+`","version":"W/\"1\"","data":`+patchData(`[{"op":"replace","path":"title","value":"t"}]`)+`},
		{"method":"DELETE","path":"/Users/`+id+`","version":"W/\"1\""}
	]`, 0))
	wantStatus(t, res, http.StatusOK)
	if got := bulkStatuses(t, res); !cmp.Equal(got, []string{"412", "200", "412"}) {
		t.Errorf("statuses = %v, want [412 200 412]: %s", got, res.Body)
	}
	if v := bulkResults(t, res)[1].Version; v != `W/"2"` {
		t.Errorf("version = %q, want W/\"2\"", v)
	}
}

// TestBulkReferenceToNonPOST: a bulkId names a resource only when its
// operation created one; referring to a PATCH's bulkId is an unknown
// reference, not a circular one.
func TestBulkReferenceToNonPOST(t *testing.T) {
	f := newFixture(t)
	u := f.createUser(t, "bjensen")
	body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
	  {"method":"PATCH","bulkId":"p","path":"/Users/` + u["id"].(string) + `","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"B"}]}},
	  {"method":"POST","bulkId":"g","path":"/Groups","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"bulkId:p"}]}}]}`
	res := f.do(t, "POST", "/Bulk", body)
	wantStatus(t, res, http.StatusOK)
	ops := res.object(t)["Operations"].([]any)
	second := ops[1].(map[string]any)
	detail, _ := second["response"].(map[string]any)["detail"].(string)
	if second["status"] != "409" || !strings.Contains(detail, "does not name a resource created") {
		t.Errorf("second operation: %v", second)
	}
}

// TestBulkFailureLocation: RFC 7644 §3.7.3 requires "location" in every
// operation result except a failed POST, so a failed PUT, PATCH or DELETE
// still names its resource, in the canonical form meta.location has.
func TestBulkFailureLocation(t *testing.T) {
	f := newFixture(t)
	id := f.createUser(t, "bjensen")["id"].(string)
	res := f.do(t, "POST", "/Bulk", bulkBody(`[
		{"method":"PATCH","path":"/Users/`+id+`","version":"W/\"9\"","data":`+patchData(`[{"op":"replace","path":"title","value":"t"}]`)+`},
		{"method":"DELETE","path":"/users/`+id+`","version":"W/\"9\""},
		{"method":"PUT","path":"/Users/no%20such","data":`+userData("x")+`},
		{"method":"DELETE","path":"/Groups/nope"},
		{"method":"POST","bulkId":"b","path":"/Users","data":{"schemas":["`+scim.UserSchema+`"]}}
	]`, 0))
	wantStatus(t, res, http.StatusOK)
	if got, want := bulkStatuses(t, res), []string{"412", "412", "404", "404", "400"}; !cmp.Equal(got, want) {
		t.Fatalf("statuses = %v, want %v: %s", got, want, res.Body)
	}
	var got []string
	for _, r := range bulkResults(t, res) {
		got = append(got, r.Location)
	}
	want := []string{testBase + "/Users/" + id, testBase + "/Users/" + id, testBase + "/Users/no%20such", testBase + "/Groups/nope", ""}
	if !cmp.Equal(got, want) {
		t.Errorf("locations = %q, want %q", got, want)
	}
}
