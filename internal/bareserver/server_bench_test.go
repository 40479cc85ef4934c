package bareserver

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// serve runs one request through the handler without a network.
func serve(b *testing.B, h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code >= 300 {
		b.Fatalf("%s %s: status %d: %s", method, target, rec.Code, rec.Body)
	}
	return rec
}

func BenchmarkGetUser(b *testing.B) {
	h := New(testToken)
	rec := serve(b, h, http.MethodPost, "/Users", `{"userName":"u","displayName":"U","emails":[{"value":"u@example.com"}],"active":true}`)
	id := strings.Split(rec.Header().Get("Location"), "/Users/")[1]
	for b.Loop() {
		serve(b, h, http.MethodGet, "/Users/"+id, "")
	}
}

// BenchmarkGroupMemberPatch moves 50 members out of and back into a group,
// small and large, with and without the members in the response.
func BenchmarkGroupMemberPatch(b *testing.B) {
	for _, size := range []int{60, 10000} {
		for _, exclude := range []bool{true, false} {
			b.Run(fmt.Sprintf("size=%d/excluded=%t", size, exclude), func(b *testing.B) {
				h := New(testToken)
				var members, adds, removes []string
				for i := range size {
					members = append(members, fmt.Sprintf(`{"value":"m%d"}`, i))
					if i < 50 {
						adds = append(adds, fmt.Sprintf(`{"value":"m%d"}`, i))
						removes = append(removes, fmt.Sprintf(`{"op":"remove","path":"members[value eq \"m%d\"]"}`, i))
					}
				}
				rec := serve(b, h, http.MethodPost, "/Groups", `{"displayName":"g","members":[`+strings.Join(members, ",")+`]}`)
				path := "/Groups/" + strings.Split(rec.Header().Get("Location"), "/Groups/")[1]
				if exclude {
					path += "?excludedAttributes=members"
				}
				add := `{"Operations":[{"op":"add","path":"members","value":[` + strings.Join(adds, ",") + `]}]}`
				remove := `{"Operations":[` + strings.Join(removes, ",") + `]}`
				for b.Loop() {
					serve(b, h, http.MethodPatch, path, remove)
					serve(b, h, http.MethodPatch, path, add)
				}
			})
		}
	}
}
