package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRobustness sends odd queries and bodies to every endpoint: the
// gateway must answer each with a 2xx or 4xx SCIM response, never a 5xx
// (RFC 7644 §3.12: 500 is for the service provider's own faults).
func TestRobustness(t *testing.T) {
	t.Parallel()
	d := newDemo(t)
	uid := d.newUser(t, "robust@example.com")
	g := d.do(t, http.MethodPost, "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Robust", "members": []any{map[string]any{"value": uid}}})
	wantStatus(t, g, http.StatusCreated)
	gid := str(g.Body, "id")

	t.Run("odd queries", func(t *testing.T) {
		endpoints := []string{"/Users", "/Groups", "/Users/" + uid, "/Groups/" + gid, "/ServiceProviderConfig", "/ResourceTypes", "/Schemas"}
		queries := []string{
			"count=-1", "count=abc", "count=1e3", "count=99999999999999999999", "count=2147483648",
			"startIndex=0", "startIndex=-5", "startIndex=abc", "startIndex=99999999999999",
			"sortOrder=sideways", "sortBy=", "sortBy=emails", "sortBy=%00",
			"attributes=,,,", "attributes=emails[type", "excludedAttributes=..", "attributes=" + url.QueryEscape(enterpriseURN+":"),
			"filter=%25", "filter=" + url.QueryEscape(`userName eq "ünïcödé😀"`), "filter=" + url.QueryEscape(`displayName co "日本"`),
			"filter=" + url.QueryEscape("userName eq \"\x00\""), "filter=" + url.QueryEscape(`meta.lastModified gt "not a date"`),
			"filter=" + url.QueryEscape(`active gt "x"`), "filter=" + url.QueryEscape(`emails.value lt 5`),
			"cursor=garbage", "cursor=", "cursor=&startIndex=3", "cursor=&count=-1",
			"count=5&count=6", "filter=a&filter=b", "%zz=1",
		}
		for _, ep := range endpoints {
			for _, q := range queries {
				r := d.do(t, http.MethodGet, ep+"?"+q, nil)
				if r.Status >= 500 {
					t.Errorf("GET %s?%s → %s", ep, q, r)
				}
				if r.Status != http.StatusNotModified && r.Header.Get("Content-Type") != scimMediaType {
					t.Errorf("GET %s?%s: Content-Type %q", ep, q, r.Header.Get("Content-Type"))
				}
			}
		}
	})

	t.Run("paging clamps", func(t *testing.T) {
		// RFC 7644 §3.4.2.4: a negative count is 0, a startIndex below 1 is 1,
		// and a count above the maximum is the maximum.
		b := d.listAll(t, "/Users", "count", "-1")
		if len(list(b, "Resources")) != 0 || num(t, b, "totalResults") != 1 {
			t.Errorf("count=-1: %v", b)
		}
		b = d.listAll(t, "/Users", "startIndex", "0")
		if num(t, b, "startIndex") != 1 || len(list(b, "Resources")) != 1 {
			t.Errorf("startIndex=0: %v", b)
		}
		b = d.listAll(t, "/Users", "count", "1000000000")
		if len(list(b, "Resources")) != 1 {
			t.Errorf("huge count: %v", b)
		}
		wantError(t, d.get(t, "/Users", "count", "abc"), http.StatusBadRequest, "")
	})

	t.Run("bodies", func(t *testing.T) {
		big := `{"schemas":["` + userURN + `"],"userName":"big@example.com","nickName":"` + strings.Repeat("x", 1<<20) + `"}`
		patch := `{"schemas":["` + patchOpURN + `"],"Operations":[{"op":"add","path":"nickName","value":"` + strings.Repeat("x", 1<<20) + `"}]}`
		cases := []struct {
			name, method, path string
			body               string
			headers            []header
			status             int
			scimType           string
		}{
			{"POST over 1 MiB", http.MethodPost, "/Users", big, nil, http.StatusRequestEntityTooLarge, ""},
			{"PUT over 1 MiB", http.MethodPut, "/Users/" + uid, big, nil, http.StatusRequestEntityTooLarge, ""},
			{"PATCH over 1 MiB", http.MethodPatch, "/Users/" + uid, patch, nil, http.StatusRequestEntityTooLarge, ""},
			{"invalid JSON on POST", http.MethodPost, "/Users", `{"schemas":["` + userURN + `"],"userName":`, nil, http.StatusBadRequest, "invalidSyntax"},
			{"invalid JSON on PUT", http.MethodPut, "/Users/" + uid, `{not json}`, nil, http.StatusBadRequest, "invalidSyntax"},
			{"invalid JSON on PATCH", http.MethodPatch, "/Users/" + uid, `{"Operations":[`, nil, http.StatusBadRequest, "invalidSyntax"},
			{"invalid JSON on .search", http.MethodPost, "/Users/.search", `{"filter":`, nil, http.StatusBadRequest, "invalidSyntax"},
			{"array body", http.MethodPost, "/Users", `[]`, nil, http.StatusBadRequest, "invalidSyntax"},
			{"empty body", http.MethodPost, "/Users", ``, nil, http.StatusBadRequest, "invalidSyntax"},
			{"trailing data", http.MethodPost, "/Users", `{"schemas":["` + userURN + `"],"userName":"t@example.com"} {}`, nil, http.StatusBadRequest, "invalidSyntax"},
			{"text/xml", http.MethodPost, "/Users", `<user/>`, []header{{"Content-Type", "text/xml"}}, http.StatusUnsupportedMediaType, ""},
			{"text/xml on PATCH", http.MethodPatch, "/Users/" + uid, `<patch/>`, []header{{"Content-Type", "text/xml"}}, http.StatusUnsupportedMediaType, ""},
			{"schemas missing", http.MethodPost, "/Users", `{"userName":"noschemas@example.com"}`, nil, http.StatusBadRequest, "invalidSyntax"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				wantError(t, d.do(t, c.method, c.path, c.body, c.headers...), c.status, c.scimType)
			})
		}
		hostile := []struct {
			name, method, path, body string
		}{
			{"deeply nested JSON", http.MethodPost, "/Users", `{"schemas":["` + userURN + `"],"userName":"deep@example.com","title":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`},
			{"number out of range", http.MethodPost, "/Users", `{"schemas":["` + userURN + `"],"userName":"num@example.com","active":1e400}`},
			{"too many values", http.MethodPost, "/Users", `{"schemas":["` + userURN + `"],"userName":"many@example.com","emails":[` + strings.TrimSuffix(strings.Repeat(`{"value":"e@example.com"},`, 20000), ",") + `]}`},
			{"too many operations", http.MethodPatch, "/Users/" + uid, `{"schemas":["` + patchOpURN + `"],"Operations":[` + strings.TrimSuffix(strings.Repeat(`{"op":"add","path":"title","value":"x"},`, 20000), ",") + `]}`},
			{"null operations", http.MethodPatch, "/Users/" + uid, `{"schemas":["` + patchOpURN + `"],"Operations":null}`},
			{"operation not an object", http.MethodPatch, "/Users/" + uid, `{"schemas":["` + patchOpURN + `"],"Operations":["add"]}`},
			{"bulk operations not an array", http.MethodPost, "/Bulk", `{"schemas":["` + bulkRequestURN + `"],"Operations":{}}`},
			{"search filter not a string", http.MethodPost, "/Users/.search", `{"schemas":["` + searchURN + `"],"filter":42}`},
		}
		for _, c := range hostile {
			t.Run(c.name, func(t *testing.T) {
				wantError(t, d.do(t, c.method, c.path, c.body), http.StatusBadRequest, "")
			})
		}
		// application/json is accepted as well (RFC 7644 §3.8).
		r := d.do(t, http.MethodPost, "/Users", `{"schemas":["`+userURN+`"],"userName":"json@example.com"}`, header{"Content-Type", "application/json; charset=utf-8"})
		wantStatus(t, r, http.StatusCreated)
		// The failed requests changed nothing.
		b := d.listAll(t, "/Users", "sortBy", "userName")
		if diff := cmp.Diff([]string{"json@example.com", "robust@example.com"}, userNames(b)); diff != "" {
			t.Errorf("users after the bad requests (-want +got):\n%s", diff)
		}
	})

	t.Run("methods", func(t *testing.T) {
		cases := []struct {
			method, path string
			allow        []string
		}{
			{http.MethodPut, "/Users", []string{"GET", "POST"}},
			{http.MethodDelete, "/Users", []string{"GET", "POST"}},
			{http.MethodPatch, "/Groups", []string{"GET", "POST"}},
			{http.MethodPost, "/Users/" + uid, []string{"GET", "PUT", "PATCH", "DELETE"}},
			{http.MethodGet, "/Bulk", []string{"POST"}},
			{http.MethodPost, "/ServiceProviderConfig", []string{"GET"}},
			{http.MethodDelete, "/Schemas", []string{"GET"}},
		}
		for _, c := range cases {
			t.Run(c.method+" "+c.path, func(t *testing.T) {
				r := d.do(t, c.method, c.path, nil)
				wantError(t, r, http.StatusMethodNotAllowed, "")
				allow := r.Header.Get("Allow")
				for _, m := range c.allow {
					if !strings.Contains(allow, m) {
						t.Errorf("Allow = %q, want it to list %s (RFC 9110 §15.5.6)", allow, m)
					}
				}
			})
		}
	})

	t.Run("health", func(t *testing.T) {
		for _, p := range []string{"/healthz", "/readyz"} {
			r := d.doURL(t, http.MethodGet, d.Origin+p, nil)
			if r.Status != http.StatusOK {
				t.Errorf("GET %s without a token: %s", p, r)
			}
		}
	})

	t.Run("unknown paths", func(t *testing.T) {
		for _, p := range []string{"/Printers", "/Users/" + uid + "/extra", "/Groups/does-not-exist"} {
			wantError(t, d.do(t, http.MethodGet, p, nil), http.StatusNotFound, "")
		}
		for _, p := range []string{"/nope", "/scim", "/scim/local/v1/Users"} {
			r := d.doURL(t, http.MethodGet, d.Origin+p, nil, header{"Authorization", "Bearer " + d.Token})
			wantError(t, r, http.StatusNotFound, "")
		}
	})

	t.Run("request id", func(t *testing.T) {
		r := d.do(t, http.MethodGet, "/Users", nil, header{"X-Request-Id", "e2e-trace-42"})
		wantStatus(t, r, http.StatusOK)
		if got := r.Header.Get("X-Request-Id"); got != "e2e-trace-42" {
			t.Errorf("X-Request-Id = %q, want the client's id echoed", got)
		}
	})
}
