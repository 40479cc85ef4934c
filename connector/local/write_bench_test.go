package local

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/internal/cputime"
	"github.com/scimconnect/scimconnect/scim"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/store/sqlite"
)

// benchStack is the write path of the demo without the network: the
// provider's handler over the local connector over SQLite (exclusive, so
// the read cache is on).
type benchStack struct {
	h   http.Handler
	seq atomic.Int64
}

func newBenchStack(b *testing.B) *benchStack {
	b.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	inst, err := Type.Open(ctx, connector.Env{Instance: "bench", Store: db}, nil)
	if err != nil {
		b.Fatal(err)
	}
	cfg := provider.DefaultConfig()
	cfg.BaseURL = "http://127.0.0.1/scim/bench/v2"
	p, err := provider.New(cfg, inst.ResourceTypes()...)
	if err != nil {
		b.Fatal(err)
	}
	return &benchStack{h: p}
}

// benchUserBody is scimbench's create body: core and enterprise attributes.
func benchUserBody(i int64) string {
	return fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],`+
		`"userName":"bench-%06d","name":{"givenName":"Given%d","familyName":"FamilyRun","formatted":"Given%d FamilyRun"},`+
		`"displayName":"Given%d FamilyRun","emails":[{"value":"bench-%06d@example.com","type":"work","primary":true}],"active":true,`+
		`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"%d","department":"Department %d"}}`,
		i, i, i, i, i, 100000+i, i%20)
}

// do serves one request and fails the benchmark unless it answered want.
func (s *benchStack) do(b *testing.B, method, path, body string, want int) *httptest.ResponseRecorder {
	// Not httptest.NewRequest: it parses a serialized request through a
	// fresh 4 KiB bufio.Reader, an allocation the server does not make.
	req, err := http.NewRequest(method, "http://127.0.0.1"+path, strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", scim.MediaType)
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Errorf("%s %s: status %d, want %d: %s", method, path, rec.Code, want, rec.Body)
	}
	return rec
}

// createUsers creates n users in parallel and returns their ids.
func (s *benchStack) createUsers(b *testing.B, n int) []string {
	ids := make([]string, n)
	var next atomic.Int64
	done := make(chan struct{})
	for w := 0; w < 32; w++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				rec := s.do(b, http.MethodPost, "/Users", benchUserBody(s.seq.Add(1)), http.StatusCreated)
				var out struct {
					ID string `json:"id"`
				}
				_ = json.Unmarshal(rec.Body.Bytes(), &out)
				ids[i] = out.ID
			}
		}()
	}
	for range 32 {
		<-done
	}
	return ids
}

// BenchmarkWrite measures the writes of scimbench's create, patch and
// delete scenarios through provider + local + SQLite: allocations per
// request and the process CPU per request (cpu-ns/op), which a busy
// machine inflates far less than ns/op. clients=32 is scimbench's
// concurrency on the group-committing store; clients=1 runs one request
// at a time, so every write commits alone: its cost per request is
// repeatable, for comparing instruction counts (callgrind) across changes.
func BenchmarkWrite(b *testing.B) {
	for _, clients := range []int{1, 32} {
		// run calls op(i) for i = 0 .. b.N-1 from the given number of
		// goroutines.
		run := func(b *testing.B, op func(i int64)) {
			var next atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			defer cputime.PerOp(b)()
			if clients == 1 {
				for i := range int64(b.N) {
					op(i)
				}
				return
			}
			b.SetParallelism(clients / runtime.GOMAXPROCS(0))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					op(next.Add(1) - 1)
				}
			})
		}
		b.Run(fmt.Sprintf("Create/clients=%d", clients), func(b *testing.B) {
			s := newBenchStack(b)
			run(b, func(i int64) {
				s.do(b, http.MethodPost, "/Users", benchUserBody(s.seq.Add(1)), http.StatusCreated)
			})
		})
		b.Run(fmt.Sprintf("Patch/clients=%d", clients), func(b *testing.B) {
			s := newBenchStack(b)
			ids := s.createUsers(b, 1000)
			run(b, func(i int64) {
				body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Bench User %d"},{"op":"replace","path":"active","value":%t}]}`, i, i%2 == 0)
				s.do(b, http.MethodPatch, "/Users/"+ids[i%int64(len(ids))], body, http.StatusOK)
			})
		})
		b.Run(fmt.Sprintf("Delete/clients=%d", clients), func(b *testing.B) {
			s := newBenchStack(b)
			ids := s.createUsers(b, b.N)
			run(b, func(i int64) {
				s.do(b, http.MethodDelete, "/Users/"+ids[i], "", http.StatusNoContent)
			})
		})
	}
}
