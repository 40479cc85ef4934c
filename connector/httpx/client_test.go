package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimconnect/scimconnect/scim"
)

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"https", Config{BaseURL: "https://acme.okta.com"}, ""},
		{"http loopback ip", Config{BaseURL: "http://127.0.0.1:8080/api"}, ""},
		{"http localhost", Config{BaseURL: "http://localhost:9229"}, ""},
		{"http ipv6 loopback", Config{BaseURL: "http://[::1]:80"}, ""},
		{"http remote refused", Config{BaseURL: "http://acme.okta.com"}, "plain http"},
		{"http remote allowed explicitly", Config{BaseURL: "http://gomez.hospital.local:8080", AllowInsecureHTTP: true}, ""},
		{"relative", Config{BaseURL: "/api/v1"}, "absolute"},
		{"other scheme", Config{BaseURL: "ftp://acme.example"}, "scheme"},
		{"userinfo", Config{BaseURL: "https://user:pw@acme.okta.com"}, "credentials in the URL"},
		{"query", Config{BaseURL: "https://acme.okta.com/?x=1"}, "query"},
		{"negative timeout", Config{BaseURL: "https://acme.okta.com", Timeout: -1}, "Timeout"},
		{"bad allowed host", Config{BaseURL: "https://acme.okta.com", AllowedHosts: []string{"https://x/"}}, "allowed host"},
		{"token endpoint plain http", Config{BaseURL: "https://api.pingone.eu/v1", Auth: ClientCredentials(ClientCredentialsConfig{TokenURL: "http://auth.pingone.eu/env/as/token"})}, "token endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("New error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	t.Run("user:pass never echoed", func(t *testing.T) {
		_, err := New(Config{BaseURL: "https://user:hunter22@acme.okta.com"})
		if err == nil || strings.Contains(err.Error(), "hunter22") {
			t.Fatalf("error %v leaks the password", err)
		}
	})
}

func TestRetryPolicy(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		idempotent bool
		maxRetries int
		codes      []int
		wantHits   int
		wantStatus int
	}{
		{"GET 503 retried up to MaxRetries", "GET", false, 0, []int{503}, 4, 503},
		{"GET recovers", "GET", false, 0, []int{503, 502, 200}, 3, 200},
		{"GET 500 retried", "GET", false, 0, []int{500}, 4, 500},
		{"GET 504 retried", "GET", false, 0, []int{504, 200}, 2, 200},
		{"PUT 502 retried", "PUT", false, 0, []int{502}, 4, 502},
		{"DELETE 503 retried", "DELETE", false, 0, []int{503, 204}, 2, 204},
		{"POST 503 not retried", "POST", false, 0, []int{503}, 1, 503},
		{"POST 500 not retried", "POST", false, 0, []int{500}, 1, 500},
		{"PATCH 502 not retried", "PATCH", false, 0, []int{502}, 1, 502},
		{"POST idempotent 503 retried", "POST", true, 0, []int{503}, 4, 503},
		{"POST 429 retried: refused, not applied", "POST", false, 0, []int{429, 201}, 2, 201},
		{"GET 404 not retried", "GET", false, 0, []int{404}, 1, 404},
		{"GET 400 not retried", "GET", false, 0, []int{400}, 1, 400},
		{"GET 401 not retried without token auth", "GET", false, 0, []int{401}, 1, 401},
		{"MaxRetries 1", "GET", false, 1, []int{503}, 2, 503},
		{"MaxRetries negative: none", "GET", false, -1, []int{503}, 1, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTarget(t, statuses(tt.codes...))
			cfg := fastConfig(srv.URL)
			cfg.MaxRetries = tt.maxRetries
			c := mustNew(t, cfg)
			rec := withRecorder(c)
			resp, err := c.Do(context.Background(), &Request{Method: tt.method, Path: "/x", Body: map[string]string{"a": "b"}, Idempotent: tt.idempotent})
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if got := int(srv.hits.Load()); got != tt.wantHits {
				t.Errorf("server hits = %d, want %d", got, tt.wantHits)
			}
			if resp.Status != tt.wantStatus || resp.Attempts != tt.wantHits {
				t.Errorf("status %d after %d attempts, want %d after %d", resp.Status, resp.Attempts, tt.wantStatus, tt.wantHits)
			}
			if got := len(rec.recorded()); got != tt.wantHits-1 {
				t.Errorf("waited %d times, want %d", got, tt.wantHits-1)
			}
		})
	}
}

func TestRequestBuilding(t *testing.T) {
	var got *http.Request
	var gotBody []byte
	srv := newTarget(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		got = r
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read body: %v", err)
		}
		gotBody = b
		w.WriteHeader(http.StatusCreated)
	})
	cfg := fastConfig(srv.URL + "/api/v1/")
	cfg.UserAgent = "scimconnect-test/1"
	c := mustNew(t, cfg)
	_, err := c.Do(context.Background(), &Request{
		Method: "post",
		Path:   "/users/" + url.PathEscape("a/b c"),
		Query:  url.Values{"activate": {"false"}},
		Header: http.Header{"X-Extra": {"1"}},
		Body:   map[string]any{"login": "ada@example.com"},
	})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	want := map[string]string{
		"method":       "POST",
		"path":         "/api/v1/users/a%2Fb%20c",
		"query":        "activate=false",
		"content-type": "application/json",
		"accept":       "application/json",
		"user-agent":   "scimconnect-test/1",
		"x-extra":      "1",
		"body":         `{"login":"ada@example.com"}`,
	}
	have := map[string]string{
		"method":       got.Method,
		"path":         got.URL.EscapedPath(),
		"query":        got.URL.RawQuery,
		"content-type": got.Header.Get("Content-Type"),
		"accept":       got.Header.Get("Accept"),
		"user-agent":   got.Header.Get("User-Agent"),
		"x-extra":      got.Header.Get("X-Extra"),
		"body":         string(gotBody),
	}
	if d := cmp.Diff(want, have); d != "" {
		t.Errorf("request mismatch (-want +got):\n%s", d)
	}

	t.Run("Body and RawBody together refused", func(t *testing.T) {
		_, err := c.Do(context.Background(), &Request{Method: "POST", Body: 1, RawBody: []byte("x")})
		if err == nil {
			t.Fatal("Do accepted Body and RawBody")
		}
	})
	t.Run("Query merged into a URL's query", func(t *testing.T) {
		_, err := c.Do(context.Background(), &Request{URL: srv.URL + "/api/v1/users?after=x&limit=2", Query: url.Values{"limit": {"5"}, "search": {`a eq "b"`}}})
		if err != nil {
			t.Fatalf("Do: %v", err)
		}
		if q := got.URL.RawQuery; q != "after=x&limit=5&search=a+eq+%22b%22" {
			t.Errorf("query %q, want the URL's after, Query's limit and search", q)
		}
	})
	t.Run("RawBody with own content type", func(t *testing.T) {
		_, err := c.Do(context.Background(), &Request{Method: "PATCH", Path: "/u/1", RawBody: []byte(`[{"op":"add"}]`),
			Header: http.Header{"Content-Type": {"application/json-patch+json"}}})
		if err != nil {
			t.Fatalf("Do: %v", err)
		}
		if ct := got.Header.Get("Content-Type"); ct != "application/json-patch+json" || string(gotBody) != `[{"op":"add"}]` {
			t.Errorf("got %q %q", ct, gotBody)
		}
	})
}

func TestNetworkErrors(t *testing.T) {
	// hangUp reads the request and drops the connection without answering:
	// the call may have been applied.
	hangUp := func(_ int, w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err) // the test server always supports hijacking
		}
		_ = conn.Close()
	}
	// stall answers the first hit only after the client gave up.
	stall := func(hit int, w http.ResponseWriter, r *http.Request) {
		if hit == 1 {
			// The server notices the client's hang-up only once the body
			// is read.
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		w.WriteHeader(http.StatusOK)
	}
	tests := []struct {
		name       string
		handler    func(int, http.ResponseWriter, *http.Request)
		method     string
		idempotent bool
		wantHits   int
		wantErr    bool
	}{
		{"GET after hang-up retried", hangUp, "GET", false, 4, true},
		{"POST after hang-up not retried", hangUp, "POST", false, 1, true},
		{"idempotent POST after hang-up retried", hangUp, "POST", true, 4, true},
		{"GET attempt timeout retried", stall, "GET", false, 2, false},
		{"POST attempt timeout not retried", stall, "POST", false, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTarget(t, tt.handler)
			cfg := fastConfig(srv.URL)
			cfg.Timeout = 100 * time.Millisecond
			c := mustNew(t, cfg)
			withRecorder(c)
			resp, err := c.Do(context.Background(), &Request{Method: tt.method, Path: "/x", Body: map[string]int{"n": 1}, Idempotent: tt.idempotent})
			if got := int(srv.hits.Load()); got != tt.wantHits {
				t.Errorf("server hits = %d, want %d", got, tt.wantHits)
			}
			if !tt.wantErr {
				if err != nil || resp.Status != http.StatusOK {
					t.Fatalf("Do = %v, %v; want 200", resp, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Do succeeded with status %d", resp.Status)
			}
			se := scimErr(t, err)
			var te *TargetError
			if se.Status != http.StatusServiceUnavailable || se.RetryAfter <= 0 || !errors.As(err, &te) || !te.Retryable {
				t.Errorf("error %v: scim %+v; want 503 with Retry-After and a retryable TargetError", err, se)
			}
		})
	}

	t.Run("POST retried when the connection was refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		if err := ln.Close(); err != nil {
			t.Fatal(err)
		}
		var logs logBuffer
		cfg := fastConfig("http://" + addr)
		cfg.Logger = debugLogger(&logs)
		c := mustNew(t, cfg)
		withRecorder(c)
		_, err = c.Do(context.Background(), &Request{Method: "POST", Path: "/users", Body: 1})
		if se := scimErr(t, err); se.Status != http.StatusServiceUnavailable {
			t.Errorf("status %d, want 503", se.Status)
		}
		if n := strings.Count(logs.String(), "msg=\"target call\""); n != 4 {
			t.Errorf("%d attempts logged, want 4:\n%s", n, logs.String())
		}
	})

	t.Run("POST retried when the transport failed before sending", func(t *testing.T) {
		srv := newTarget(t, statuses(http.StatusCreated))
		ft := &failingTransport{fails: 2, base: http.DefaultTransport}
		cfg := fastConfig(srv.URL)
		cfg.HTTPClient = &http.Client{Transport: ft}
		c := mustNew(t, cfg)
		withRecorder(c)
		resp, err := c.Do(context.Background(), &Request{Method: "POST", Path: "/users", Body: 1})
		if err != nil || resp.Status != http.StatusCreated || resp.Attempts != 3 || srv.hits.Load() != 1 {
			t.Fatalf("Do = %+v, %v (hits %d); want 201 after 3 attempts and 1 hit", resp, err, srv.hits.Load())
		}
	})
}

// failingTransport fails its first calls without sending anything.
type failingTransport struct {
	calls atomic.Int32
	fails int32
	base  http.RoundTripper
}

func (f *failingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.calls.Add(1) <= f.fails {
		return nil, errors.New("dial tcp: connection refused")
	}
	return f.base.RoundTrip(r)
}

func TestServerRequestedWaits(t *testing.T) {
	date := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	httpDate := func(d time.Duration) string { return date.Add(d).Format(http.TimeFormat) }
	epoch := func(d time.Duration) string { return strconv.FormatInt(date.Add(d).Unix(), 10) }
	tests := []struct {
		name      string
		status    int
		header    map[string]string
		rateLimit RateLimitHeaders
		wantWaits []time.Duration
		wantHits  int
		wantRA    int // Retry-After of the final Err, 0 when not 503
	}{
		{"Retry-After seconds", 429, map[string]string{"Retry-After": "2"}, RateLimitHeaders{}, []time.Duration{2 * time.Second}, 2, 0},
		{"Retry-After HTTP-date from Date", 503, map[string]string{"Retry-After": httpDate(3 * time.Second)}, RateLimitHeaders{}, []time.Duration{3 * time.Second}, 2, 0},
		{"Retry-After date in the past", 503, map[string]string{"Retry-After": httpDate(-time.Minute)}, RateLimitHeaders{}, []time.Duration{0}, 2, 0},
		{"Okta reset epoch from Date", 429, map[string]string{"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": epoch(4 * time.Second)}, OktaRateLimitHeaders, []time.Duration{4 * time.Second}, 2, 0},
		{"reset ignored when not configured", 429, map[string]string{"X-Rate-Limit-Reset": epoch(4 * time.Second)}, RateLimitHeaders{}, []time.Duration{time.Millisecond}, 2, 0},
		{"Retry-After beyond MaxRetryWait ends retries", 429, map[string]string{"Retry-After": "120"}, RateLimitHeaders{}, nil, 1, 120},
		{"reset beyond MaxRetryWait ends retries", 429, map[string]string{"X-Rate-Limit-Reset": epoch(90 * time.Second)}, OktaRateLimitHeaders, nil, 1, 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTarget(t, func(hit int, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Date", date.Format(http.TimeFormat))
				if hit > 1 {
					w.WriteHeader(http.StatusOK)
					return
				}
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
			})
			cfg := fastConfig(srv.URL)
			cfg.RateLimitHeaders = tt.rateLimit
			c := mustNew(t, cfg)
			c.jitter = func(n int64) int64 { return n - 1 } // the backoff ceiling
			rec := withFakeClock(c, date.Add(500*time.Millisecond))
			resp, err := c.Do(context.Background(), &Request{Path: "/x"})
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if d := cmp.Diff(tt.wantWaits, rec.recorded()); d != "" {
				t.Errorf("waits (-want +got):\n%s", d)
			}
			if int(srv.hits.Load()) != tt.wantHits {
				t.Errorf("hits = %d, want %d", srv.hits.Load(), tt.wantHits)
			}
			if tt.wantRA > 0 {
				if se := scimErr(t, resp.Err("test")); se.Status != 503 || se.RetryAfter != tt.wantRA {
					t.Errorf("Err = %+v, want 503 with Retry-After %d", se, tt.wantRA)
				}
			}
		})
	}

	t.Run("exponential backoff with full jitter", func(t *testing.T) {
		srv := newTarget(t, statuses(503))
		cfg := fastConfig(srv.URL)
		cfg.BaseBackoff = 100 * time.Millisecond
		cfg.MaxBackoff = 300 * time.Millisecond
		cfg.MaxRetries = 4
		c := mustNew(t, cfg)
		var ceilings []time.Duration
		c.jitter = func(n int64) int64 { ceilings = append(ceilings, time.Duration(n-1)); return n / 2 }
		rec := withRecorder(c)
		if _, err := c.Do(context.Background(), &Request{Path: "/x"}); err != nil {
			t.Fatal(err)
		}
		wantCeilings := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond}
		if d := cmp.Diff(wantCeilings, ceilings); d != "" {
			t.Errorf("backoff ceilings (-want +got):\n%s", d)
		}
		for i, w := range rec.recorded() {
			if w != (wantCeilings[i]+1)/2 {
				t.Errorf("wait %d = %v, want the jittered %v", i, w, (wantCeilings[i]+1)/2)
			}
		}
	})

	t.Run("wait past the caller's deadline ends retries", func(t *testing.T) {
		srv := newTarget(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		c := mustNew(t, fastConfig(srv.URL))
		rec := withRecorder(c)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, err := c.Do(ctx, &Request{Path: "/x"})
		if err != nil || resp.Status != 503 || srv.hits.Load() != 1 || len(rec.recorded()) != 0 {
			t.Fatalf("Do = %v, %v after %d hits and waits %v; want the 503 at once", resp, err, srv.hits.Load(), rec.recorded())
		}
		if se := scimErr(t, resp.Err("")); se.RetryAfter != 30 {
			t.Errorf("Retry-After %d, want 30", se.RetryAfter)
		}
	})
}

func TestContextCancellation(t *testing.T) {
	t.Run("cancel during a Retry-After wait", func(t *testing.T) {
		srv := newTarget(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
		})
		c := mustNew(t, fastConfig(srv.URL)) // real sleeping
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := c.Do(ctx, &Request{Path: "/x"})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Do error = %v, want context.Canceled", err)
		}
		if se := scimErr(t, err); se.Status != 503 {
			t.Errorf("status %d, want 503", se.Status)
		}
		if srv.hits.Load() != 1 {
			t.Errorf("hits = %d, want 1", srv.hits.Load())
		}
	})

	t.Run("cancel while waiting for a concurrency slot", func(t *testing.T) {
		release := make(chan struct{})
		entered := make(chan struct{}, 1)
		srv := newTarget(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
			entered <- struct{}{}
			<-release
		})
		cfg := fastConfig(srv.URL)
		cfg.MaxConcurrent = 1
		c := mustNew(t, cfg)
		done := make(chan error, 1)
		go func() {
			_, err := c.Do(context.Background(), &Request{Path: "/slow"})
			done <- err
		}()
		<-entered
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		_, err := c.Do(ctx, &Request{Path: "/queued"})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("queued Do error = %v, want context.DeadlineExceeded", err)
		}
		close(release)
		if err := <-done; err != nil {
			t.Errorf("first Do: %v", err)
		}
		if srv.hits.Load() != 1 {
			t.Errorf("hits = %d, want 1 (the queued call must not be sent)", srv.hits.Load())
		}
	})
}

func TestConcurrencyLimit(t *testing.T) {
	const limit, calls = 3, 12
	var inFlight, maxInFlight atomic.Int32
	release := make(chan struct{})
	srv := newTarget(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		n := inFlight.Add(1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		<-release
		inFlight.Add(-1)
	})
	cfg := fastConfig(srv.URL)
	cfg.MaxConcurrent = limit
	c := mustNew(t, cfg)
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for range calls {
		wg.Go(func() {
			_, err := c.Do(context.Background(), &Request{Path: "/x"})
			errs <- err
		})
	}
	// Wait until the limit is reached, give extra calls a chance to slip
	// through, then let everything finish.
	for inFlight.Load() < limit {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Do: %v", err)
		}
	}
	if got := maxInFlight.Load(); got != limit {
		t.Errorf("max in flight = %d, want %d", got, limit)
	}
	if got := srv.hits.Load(); got != calls {
		t.Errorf("hits = %d, want %d", got, calls)
	}
}

func TestProactiveThrottle(t *testing.T) {
	date := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	srv := newTarget(t, func(hit int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Date", date.Format(http.TimeFormat))
		w.Header().Set("X-Rate-Limit-Limit", "600")
		w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(date.Add(2*time.Second).Unix(), 10))
		if hit == 1 {
			w.Header().Set("X-Rate-Limit-Remaining", "0")
		} else {
			w.Header().Set("X-Rate-Limit-Remaining", "599")
		}
	})
	cfg := fastConfig(srv.URL)
	cfg.RateLimitHeaders = OktaRateLimitHeaders
	c := mustNew(t, cfg)
	rec := withFakeClock(c, date)
	for i := range 2 {
		if _, err := c.Do(context.Background(), &Request{Path: "/x"}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if d := cmp.Diff([]time.Duration{2 * time.Second}, rec.recorded()); d != "" {
		t.Errorf("waits (-want +got):\n%s", d)
	}

	t.Run("pause past the deadline fails at once", func(t *testing.T) {
		now := c.now()
		c.pauseUntil = now.Add(30 * time.Second)
		hits := srv.hits.Load()
		ctx, cancel := context.WithDeadline(context.Background(), now.Add(time.Second))
		defer cancel()
		_, err := c.Do(ctx, &Request{Path: "/x"})
		if se := scimErr(t, err); se.Status != 503 || se.RetryAfter != 30 {
			t.Errorf("error %+v, want 503 with Retry-After 30", se)
		}
		if srv.hits.Load() != hits {
			t.Error("a call was sent during the pause")
		}
	})

	t.Run("pause bounded by MaxRetryWait", func(t *testing.T) {
		srv := newTarget(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Date", date.Format(http.TimeFormat))
			w.Header().Set("X-Rate-Limit-Remaining", "0")
			w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(date.Add(time.Hour).Unix(), 10))
		})
		cfg := fastConfig(srv.URL)
		cfg.RateLimitHeaders = OktaRateLimitHeaders
		cfg.MaxRetryWait = 5 * time.Second
		c := mustNew(t, cfg)
		rec := withFakeClock(c, date)
		for range 2 {
			if _, err := c.Do(context.Background(), &Request{Path: "/x"}); err != nil {
				t.Fatal(err)
			}
		}
		if d := cmp.Diff([]time.Duration{5 * time.Second}, rec.recorded()); d != "" {
			t.Errorf("waits (-want +got):\n%s", d)
		}
	})
}

func TestAllowedHosts(t *testing.T) {
	other := newTarget(t, statuses(200))
	srv := newTarget(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, other.URL+"/stolen", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	otherHost := strings.TrimPrefix(other.URL, "http://")
	tests := []struct {
		name      string
		allowed   []string
		req       Request
		wantErr   bool
		wantOther int32 // hits on the other server
	}{
		{"absolute URL on the base host", nil, Request{URL: srv.URL + "/api/v1/users?after=abc"}, false, 0},
		{"absolute URL to another host refused", nil, Request{URL: other.URL + "/api/v1/users"}, true, 0},
		{"absolute URL to an allowed host", []string{otherHost}, Request{URL: other.URL + "/x"}, false, 1},
		{"same host other port refused", []string{"127.0.0.1"}, Request{URL: other.URL + "/x"}, true, 0},
		{"userinfo refused", nil, Request{URL: strings.Replace(srv.URL, "http://", "http://u:p@", 1)}, true, 0},
		{"redirect to another host refused", nil, Request{Path: "/redirect"}, true, 0},
		{"non-http scheme refused", nil, Request{URL: "file:///etc/passwd"}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := other.hits.Load()
			cfg := fastConfig(srv.URL)
			cfg.AllowedHosts = tt.allowed
			c := mustNew(t, cfg)
			withRecorder(c)
			_, err := c.Do(context.Background(), &tt.req)
			if tt.wantErr {
				if !errors.Is(err, ErrHostNotAllowed) || !strings.Contains(err.Error(), "outbound calls only to the configured target") {
					t.Errorf("Do error = %v, want ErrHostNotAllowed", err)
				}
				if se := scimErr(t, err); se.Status != http.StatusBadGateway {
					t.Errorf("status %d, want 502", se.Status)
				}
			} else if err != nil {
				t.Errorf("Do: %v", err)
			}
			if got := other.hits.Load() - before; got != tt.wantOther {
				t.Errorf("other host hit %d times, want %d", got, tt.wantOther)
			}
		})
	}
}

func TestResponseSizeCap(t *testing.T) {
	const limit = 1024
	tests := []struct {
		name    string
		size    int
		chunked bool
		wantErr bool
	}{
		{"at the cap", limit, false, false},
		{"over the cap with Content-Length", limit + 1, false, true},
		{"over the cap chunked", limit + 1, true, true},
		{"far over the cap chunked", 64 * limit, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTarget(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
				body := strings.Repeat("x", tt.size)
				if !tt.chunked {
					w.Header().Set("Content-Length", strconv.Itoa(tt.size))
				}
				_, _ = io.WriteString(w, body[:tt.size/2])
				w.(http.Flusher).Flush()
				_, _ = io.WriteString(w, body[tt.size/2:])
			})
			cfg := fastConfig(srv.URL)
			cfg.MaxResponseBytes = limit
			c := mustNew(t, cfg)
			withRecorder(c)
			resp, err := c.Do(context.Background(), &Request{Path: "/big"})
			if !tt.wantErr {
				if err != nil || len(resp.Body) != tt.size {
					t.Fatalf("Do = %v; want %d bytes", err, tt.size)
				}
				return
			}
			if !errors.Is(err, ErrResponseTooLarge) {
				t.Fatalf("Do error = %v, want ErrResponseTooLarge", err)
			}
			if srv.hits.Load() != 1 {
				t.Errorf("hits = %d, want 1 (a too-large answer is not retried)", srv.hits.Load())
			}
		})
	}
}

// TestResponseBodyLength covers the reads sized by Content-Length: a
// body cut short is an error, and a HEAD answer has no body to read.
func TestResponseBodyLength(t *testing.T) {
	srv := newTarget(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		if r.Method == http.MethodHead {
			return
		}
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err) // the test server always supports hijacking
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + strings.Repeat("x", 10))
		_ = buf.Flush()
		_ = conn.Close()
	})
	c := mustNew(t, fastConfig(srv.URL))
	withRecorder(c)
	if resp, err := c.Do(context.Background(), &Request{Path: "/short"}); err == nil {
		t.Errorf("a body cut short after 10 of 100 bytes was read: %q", resp.Body)
	}
	resp, err := c.Do(context.Background(), &Request{Method: http.MethodHead, Path: "/head"})
	if err != nil || resp.Status != http.StatusOK || len(resp.Body) != 0 {
		t.Errorf("HEAD = %+v, %v; want 200 without a body", resp, err)
	}
}

func TestDecodeJSON(t *testing.T) {
	r := &Response{Status: 200, Body: []byte(`{"id":"00u1","profile":{"login":"ada@example.com"}}`)}
	var v struct {
		ID      string `json:"id"`
		Profile struct {
			Login string `json:"login"`
		} `json:"profile"`
	}
	if err := r.DecodeJSON(&v); err != nil || v.ID != "00u1" || v.Profile.Login != "ada@example.com" {
		t.Fatalf("DecodeJSON = %v, %+v", err, v)
	}
	bad := &Response{Status: 200, Body: []byte(`<html>`)}
	var se *json.SyntaxError
	if err := bad.DecodeJSON(&v); !errors.As(err, &se) {
		t.Fatalf("DecodeJSON(html) = %v, want a *json.SyntaxError", err)
	}
	// An answer that is not JSON, or none, is the target's fault: 502 for
	// the SCIM client, whatever connector made the call.
	for _, body := range []string{`<html>`, ``, ` null `, `[1]`} {
		var m map[string]any
		err := (&Response{Status: 200, Body: []byte(body)}).DecodeJSON(&m)
		var scimErr *scim.Error
		if !errors.As(err, &scimErr) || scimErr.Status != http.StatusBadGateway || strings.Contains(scimErr.Detail, "invalid character") {
			t.Errorf("DecodeJSON(%q) = %v, want a 502 with a plain detail", body, err)
		}
	}
}
