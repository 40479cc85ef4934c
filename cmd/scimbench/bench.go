package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// scimMediaType is RFC 7644 §3.1's media type.
const scimMediaType = "application/scim+json"

// shownErrors is how many failing responses per scenario go to stderr.
const shownErrors = 3

// bench drives one target. Its fields after construction are only
// written between scenarios, never while workers run.
type bench struct {
	opts   *options
	base   string
	token  string
	pid    int
	client *http.Client
	stderr io.Writer
	// stderrMu serializes error samples from concurrent workers.
	stderrMu *sync.Mutex
	// runID makes this run's userNames and group names unique on a
	// server that keeps data from earlier runs.
	runID string

	users []userRef
	// created says users were created by this run, so delete may remove them.
	created bool
	// groups are the groups this run created, deleted by cleanup.
	groups []string
	large  *largeGroup
	// cursor says the target advertises RFC 9865 cursor pagination.
	cursor bool
}

// userRef is a user the scenarios address.
type userRef struct {
	id, userName string
}

func newBench(opts *options, base, token string, pid int, stderr io.Writer) *bench {
	transport := &http.Transport{
		Proxy:                 nil, // never detour loopback traffic through a proxy
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          2 * opts.concurrency,
		MaxIdleConnsPerHost:   2 * opts.concurrency,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: opts.timeout,
		// Compressing would spend the 2 shared cores on gzip for both sides.
		DisableCompression: true,
	}
	var id [4]byte
	for i := range id {
		id[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[rand.IntN(36)]
	}
	return &bench{
		opts:  opts,
		base:  base,
		token: token,
		pid:   pid,
		client: &http.Client{
			Transport: transport,
			Timeout:   opts.timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse // stay on the base URL
			},
		},
		stderr:   stderr,
		stderrMu: &sync.Mutex{},
		runID:    string(id[:]),
	}
}

// recorder collects one row's latencies (one slice per worker, so workers
// never contend) and errors.
type recorder struct {
	name   string
	lat    [][]time.Duration
	errs   atomic.Int64
	shown  atomic.Int64
	stderr io.Writer
	mu     *sync.Mutex
}

func (b *bench) newRecorder(name string, workers int) *recorder {
	return &recorder{name: name, lat: make([][]time.Duration, workers), stderr: b.stderr, mu: b.stderrMu}
}

// fail counts an error and prints the first few.
func (r *recorder) fail(format string, args ...any) {
	r.errs.Add(1)
	if r.shown.Add(1) <= shownErrors {
		r.mu.Lock()
		fmt.Fprintf(r.stderr, "scimbench: %s: %s\n", r.name, fmt.Sprintf(format, args...))
		r.mu.Unlock()
	}
}

// result summarizes the recorder into a row.
func (r *recorder) result(elapsed time.Duration) result {
	var all []time.Duration
	for _, l := range r.lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	res := result{
		Name:     r.name,
		Requests: len(all),
		Errors:   int(r.errs.Load()),
		TotalMs:  ms(elapsed),
		P50Ms:    ms(percentile(all, 0.50)),
		P99Ms:    ms(percentile(all, 0.99)),
	}
	if elapsed > 0 {
		res.ReqPerSec = float64(len(all)) / elapsed.Seconds()
	}
	return res
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// do sends one request to base+path, records its latency (until the body
// is fully read) for worker w, and counts a transport error, a non-2xx
// status or an undecodable body as an error. When out is not nil the 2xx
// body is decoded into it. It reports whether the request succeeded.
func (b *bench) do(ctx context.Context, rec *recorder, w int, method, path string, body []byte, out any) bool {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, rd)
	if err != nil {
		rec.fail("%s %s: %v", method, path, err)
		return false
	}
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Accept", scimMediaType)
	if body != nil {
		req.Header.Set("Content-Type", scimMediaType)
	}

	start := time.Now()
	resp, err := b.client.Do(req)
	if err != nil {
		rec.lat[w] = append(rec.lat[w], time.Since(start))
		rec.fail("%s %s: %v", method, path, err)
		return false
	}
	defer resp.Body.Close()
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	var data []byte
	switch {
	case !ok:
		data, err = io.ReadAll(io.LimitReader(resp.Body, 1024))
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
		}
	case out != nil:
		data, err = io.ReadAll(resp.Body)
	default:
		_, err = io.Copy(io.Discard, resp.Body)
	}
	rec.lat[w] = append(rec.lat[w], time.Since(start))
	switch {
	case err != nil:
		rec.fail("%s %s: reading response: %v", method, path, err)
		return false
	case !ok:
		rec.fail("%s %s: status %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(data))
		return false
	case out != nil:
		if err := json.Unmarshal(data, out); err != nil {
			rec.fail("%s %s: decoding response: %v", method, path, err)
			return false
		}
	}
	return true
}

// op is one unit of work of worker w; rng is the worker's own.
type op func(ctx context.Context, rec *recorder, w int, rng *rand.Rand)

// timed runs op on workers clients until --duration passes or
// --requests operations were issued, whichever comes first. Requests in flight at the
// deadline finish and count: the deadline stops issuing, it cancels nothing.
func (b *bench) timed(ctx context.Context, name string, workers int, fn op) result {
	rec := b.newRecorder(name, workers)
	rss := b.sampleRSS()
	var issued atomic.Int64
	budget := int64(b.opts.requests)
	start := time.Now()
	deadline := start.Add(b.opts.duration)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(rand.Uint64(), uint64(w)))
			for ctx.Err() == nil && time.Now().Before(deadline) && issued.Add(1) <= budget {
				fn(ctx, rec, w, rng)
			}
		})
	}
	wg.Wait()
	res := rec.result(time.Since(start))
	rss.stop(&res)
	return res
}

// counted runs fn(i) for i in [0, total) on workers clients. It is bounded
// by --max-time too, and notes a run it cut short.
func (b *bench) counted(ctx context.Context, name string, workers, total int, fn func(ctx context.Context, rec *recorder, w, i int)) result {
	rec := b.newRecorder(name, workers)
	rss := b.sampleRSS()
	var next atomic.Int64
	start := time.Now()
	deadline := start.Add(b.opts.maxTime)
	var wg sync.WaitGroup
	for w := range min(workers, max(total, 1)) {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				i := int(next.Add(1)) - 1
				if i >= total {
					return
				}
				fn(ctx, rec, w, i)
			}
		})
	}
	wg.Wait()
	res := rec.result(time.Since(start))
	rss.stop(&res)
	if done := min(int(next.Load()), total); done < total {
		res.Errors++
		res.Note = fmt.Sprintf("stopped after %d of %d operations (--max-time %s)", done, total, b.opts.maxTime)
	}
	return res
}

// discoverCursor reports whether the target advertises RFC 9865 cursor
// pagination in its ServiceProviderConfig; any failure means no.
func (b *bench) discoverCursor(ctx context.Context) bool {
	var spc struct {
		Pagination struct {
			Cursor bool `json:"cursor"`
		} `json:"pagination"`
	}
	rec := b.newRecorder("discovery", 1)
	rec.shown.Store(shownErrors) // a missing endpoint is not worth a line
	return b.do(ctx, rec, 0, http.MethodGet, "/ServiceProviderConfig", nil, &spc) && spc.Pagination.Cursor
}
