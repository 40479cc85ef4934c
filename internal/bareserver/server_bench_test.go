package bareserver

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/scimconnect/scimconnect/internal/cputime"
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

// BenchmarkWrite is connector/local's BenchmarkWrite (clients=32) against
// the bare handler: scimbench's create, patch and delete requests, 32
// concurrent callers, without a network. Its cpu-ns/op next to the local
// connector's gives the cost of the durable path per request on a machine
// too busy for throughput figures.
func BenchmarkWrite(b *testing.B) {
	const clients = 32
	userBody := func(i int64) string {
		return fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],`+
			`"userName":"bench-%06d","name":{"givenName":"Given%d","familyName":"FamilyRun","formatted":"Given%d FamilyRun"},`+
			`"displayName":"Given%d FamilyRun","emails":[{"value":"bench-%06d@example.com","type":"work","primary":true}],"active":true,`+
			`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"%d","department":"Department %d"}}`,
			i, i, i, i, i, 100000+i, i%20)
	}
	do := func(b *testing.B, h http.Handler, method, target, body string) string {
		req, err := http.NewRequest(method, "http://127.0.0.1"+target, strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/scim+json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 300 {
			b.Errorf("%s %s: status %d: %s", method, target, rec.Code, rec.Body)
		}
		return rec.Header().Get("Location")
	}
	var seq atomic.Int64
	create := func(b *testing.B, h http.Handler, n int) []string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = strings.Split(do(b, h, http.MethodPost, "/Users", userBody(seq.Add(1))), "/Users/")[1]
		}
		return ids
	}
	run := func(b *testing.B, op func(i int64)) {
		var next atomic.Int64
		b.ReportAllocs()
		b.SetParallelism(clients / runtime.GOMAXPROCS(0))
		b.ResetTimer()
		defer cputime.PerOp(b)()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				op(next.Add(1) - 1)
			}
		})
	}
	b.Run("Create", func(b *testing.B) {
		h := New(testToken)
		run(b, func(int64) { do(b, h, http.MethodPost, "/Users", userBody(seq.Add(1))) })
	})
	b.Run("Patch", func(b *testing.B) {
		h := New(testToken)
		ids := create(b, h, 1000)
		run(b, func(i int64) {
			body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Bench User %d"},{"op":"replace","path":"active","value":%t}]}`, i, i%2 == 0)
			do(b, h, http.MethodPatch, "/Users/"+ids[i%int64(len(ids))], body)
		})
	})
	b.Run("Delete", func(b *testing.B) {
		h := New(testToken)
		ids := create(b, h, b.N)
		run(b, func(i int64) { do(b, h, http.MethodDelete, "/Users/"+ids[i], "") })
	})
}
