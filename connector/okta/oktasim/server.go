package oktasim

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Default limits. DefaultRateLimit is far above a real org's per-minute
// bucket ceilings so tests and benchmarks are not throttled unless asked.
// DefaultConcurrencyLimit is Okta's documented per-org limit of concurrent
// API transactions (NOTES.md §7: 75; the first request over it is a 429),
// so a client that fans out further fails here as it would on Okta.
const (
	DefaultRateLimit        = 100000
	DefaultRateWindow       = time.Minute
	DefaultConcurrencyLimit = 75
	maxBodyBytes            = 1 << 20
)

// Server is an in-memory, strict simulator of the Okta Management API users,
// groups and group-membership endpoints. It implements http.Handler and is
// safe for concurrent use.
type Server struct {
	mu            sync.Mutex // guards the directory below
	users         map[string]*user
	userOrder     []*user // id order (= creation order); may hold deleted entries
	deletedUsers  int
	logins        map[string]*user    // foldLogin(login) -> user
	shortNames    map[string][]string // shortName(login) -> user ids
	liveUsers     int
	groups        map[string]*group
	groupOrder    []*group
	deletedGroups int
	groupNames    map[string]*group // folded OKTA_GROUP name -> group
	everyone      *group
	idCounter     uint64

	rngMu sync.Mutex
	rng   *rand.Rand

	// configuration, fixed after New
	tokens           map[string]bool
	readOnlyTokens   map[string]bool
	bearerTokens     map[string]bool
	primaryToken     string
	clock            func() time.Time
	baseURL          string
	userTypeID       string
	userAttrs        map[string]bool
	baseUserAttrs    map[string]bool
	groupAttrs       map[string]bool
	editDeprovisoned bool
	concurrencyLimit int64
	inflight         atomic.Int64
	tokenUser        string // login of the API tokens' own user ("me"), WithTokenUser
	searchLag        uint64 // WithSearchLag

	// received counts the requests received: the clock of the search
	// index (WithSearchLag).
	received atomic.Uint64
	// searchIdx and groupIdx are what user and group search see with a
	// search lag. Guarded by mu.
	searchIdx searchIndex[user]
	groupIdx  searchIndex[group]

	ctlMu         sync.Mutex // guards faults, limits and logs
	failRemaining int
	failStatus    int
	latency       time.Duration
	rateLimit     int
	rateWindow    time.Duration
	bucketLimits  map[string]int
	buckets       map[string]*bucket
	requests      []Request
	unhandled     []Request
}

// Request is one request the simulator received, for assertions.
type Request struct {
	Method string
	Path   string     // decoded URL path
	Query  url.Values // decoded query parameters
	Status int        // status the simulator answered with
}

type bucket struct {
	used      int
	windowEnd time.Time
}

// Option configures a Server.
type Option func(*Server)

// WithToken sets the accepted API tokens (sent as "Authorization: SSWS <token>").
// The first becomes Token(). Without it New generates a random token.
func WithToken(tokens ...string) Option {
	return func(s *Server) {
		for _, t := range tokens {
			if s.primaryToken == "" {
				s.primaryToken = t
			}
			s.tokens[t] = true
		}
	}
}

// WithReadOnlyToken accepts API tokens (SSWS) of an administrator who may
// only read, such as a Read-Only Administrator: reads answer as for any
// token, everything else is 403 E0000006 (spec ErrorAccessDenied: "You do
// not have permission to perform the requested action").
func WithReadOnlyToken(tokens ...string) Option {
	return func(s *Server) {
		for _, t := range tokens {
			s.readOnlyTokens[t] = true
		}
	}
}

// WithBearerToken accepts an OAuth 2.0 access token sent as
// "Authorization: Bearer <token>" (NOTES.md §1); scopes are not checked.
func WithBearerToken(token string) Option {
	return func(s *Server) { s.bearerTokens[token] = true }
}

// WithClock replaces the wall clock, for deterministic timestamps and
// rate-limit windows.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.clock = now }
}

// WithBaseURL fixes the origin used in Link headers and _links (for example
// "https://acme.okta.com"); by default it is taken from each request.
func WithBaseURL(base string) Option {
	return func(s *Server) { s.baseURL = strings.TrimSuffix(base, "/") }
}

// WithRateLimit sets the per-bucket request ceiling per window; n = 0 means
// unlimited (headers still report DefaultRateLimit).
func WithRateLimit(n int, window time.Duration) Option {
	return func(s *Server) { s.rateLimit, s.rateWindow = n, window }
}

// WithBucketLimit overrides the ceiling of one bucket, named by its route
// template (see Buckets in the package documentation), e.g. "/api/v1/users".
func WithBucketLimit(bucket string, n int) Option {
	return func(s *Server) { s.bucketLimits[bucket] = n }
}

// WithConcurrencyLimit answers 429 to a request that would exceed n requests
// in flight (NOTES.md §7 per-org concurrency limit; DefaultConcurrencyLimit
// without it); 0 means unlimited.
func WithConcurrencyLimit(n int) Option {
	return func(s *Server) { s.concurrencyLimit = int64(n) }
}

// WithUserProfileAttributes declares custom user profile attributes, as an
// admin would in the Profile Editor; undeclared attributes are rejected.
func WithUserProfileAttributes(names ...string) Option {
	return func(s *Server) {
		for _, n := range names {
			s.userAttrs[n] = true
		}
	}
}

// WithGroupProfileAttributes declares custom OKTA_GROUP profile attributes.
func WithGroupProfileAttributes(names ...string) Option {
	return func(s *Server) {
		for _, n := range names {
			s.groupAttrs[n] = true
		}
	}
}

// WithTokenUser names, by login, the user the API tokens belong to (the
// admin who created them): GET /api/v1/users/me reads that user (spec
// getUser: "You can substitute me for the id to fetch the current user
// linked to an API token"). "me" is never read as a login or shortname;
// without a token user, or when it does not exist, it is 404.
func WithTokenUser(login string) Option {
	return func(s *Server) { s.tokenUser = login }
}

// WithSearchLag makes user and group search eventually consistent, as
// Okta's are (spec listUsers and listGroups: search results "are sourced
// from an eventually consistent datasource and may not reflect the latest
// information"; the Okta SDKs speak of a few seconds): a change to a user
// (creation, profile, status, deletion) or a group (creation, profile,
// membership times, deletion) reaches search only after n further
// requests to the simulator, of any kind. Until then search matches and
// returns the object as it was before: a new one not at all, a deleted
// one still. Reads by id or login, filter and q stay consistent (the spec
// marks only search). Users and groups added with AddUser and AddGroup
// are searchable at once. 0, the default, means no lag; with a lag every
// search sorts the index, which suits tests, not benchmarks.
func WithSearchLag(n int) Option {
	return func(s *Server) { s.searchLag = uint64(max(n, 0)) }
}

// WithDeprovisionedProfileEdits models the Admin Console option "Edit
// Deactivated User Profile Updates": profile updates of DEPROVISIONED users
// are allowed instead of rejected.
func WithDeprovisionedProfileEdits() Option {
	return func(s *Server) { s.editDeprovisoned = true }
}

// WithSeed makes generated ids, tokens and errorIds deterministic.
func WithSeed(seed uint64) Option {
	return func(s *Server) { s.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
}

// New returns a simulator holding only the BUILT_IN Everyone group.
func New(opts ...Option) *Server {
	var seed [16]byte
	_, _ = crand.Read(seed[:]) // crypto/rand never fails on supported platforms
	s := &Server{
		users:            map[string]*user{},
		logins:           map[string]*user{},
		shortNames:       map[string][]string{},
		groups:           map[string]*group{},
		groupNames:       map[string]*group{},
		tokens:           map[string]bool{},
		readOnlyTokens:   map[string]bool{},
		bearerTokens:     map[string]bool{},
		clock:            time.Now,
		userAttrs:        map[string]bool{},
		baseUserAttrs:    map[string]bool{},
		groupAttrs:       map[string]bool{},
		rateLimit:        DefaultRateLimit,
		rateWindow:       DefaultRateWindow,
		concurrencyLimit: DefaultConcurrencyLimit,
		bucketLimits:     map[string]int{},
		buckets:          map[string]*bucket{},
		searchIdx:        newSearchIndex[user](),
		groupIdx:         newSearchIndex[group](),
	}
	s.rng = rand.New(rand.NewPCG(leUint64(seed[:8]), leUint64(seed[8:])))
	for _, a := range userProfileAttributes {
		s.userAttrs[a] = true
		s.baseUserAttrs[a] = true
	}
	for _, a := range groupProfileAttributes {
		s.groupAttrs[a] = true
	}
	for _, o := range opts {
		o(s)
	}
	if s.primaryToken == "" {
		s.primaryToken = "00" + s.randomString(40)
		s.tokens[s.primaryToken] = true
	}
	s.userTypeID = "oty" + s.randomString(17)
	now := s.now()
	s.everyone = &group{id: s.newID("00g"), typ: GroupTypeBuiltIn, objectClass: "okta:user_group",
		created: now, lastUpdated: now, lastMembershipUpdated: now,
		profile: map[string]any{"name": "Everyone", "description": "All users in your organization"},
		members: map[string]struct{}{}}
	s.insertGroup(s.everyone)
	if s.searchLag > 0 {
		s.groupIdx.objs[s.everyone.id] = s.everyone.indexCopy() // exists before any search
	}
	return s
}

func leUint64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// Token returns the primary accepted API token.
func (s *Server) Token() string { return s.primaryToken }

// UserTypeID returns the id of the org's default user type (type.id).
func (s *Server) UserTypeID() string { return s.userTypeID }

// EveryoneGroupID returns the id of the BUILT_IN Everyone group.
func (s *Server) EveryoneGroupID() string { return s.everyone.id }

func (s *Server) now() time.Time { return s.clock().UTC().Truncate(time.Millisecond) }

// FailNext makes the next n requests fail with status and a matching Okta
// error body; 429s carry exhausted rate-limit headers.
func (s *Server) FailNext(n, status int) {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	s.failRemaining, s.failStatus = n, status
}

// SetLatency delays every subsequent response by d (0 disables).
func (s *Server) SetLatency(d time.Duration) {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	s.latency = d
}

// SetRateLimit changes the default per-bucket ceiling and window and resets
// all buckets; n = 0 means unlimited. WithBucketLimit overrides still apply.
func (s *Server) SetRateLimit(n int, window time.Duration) {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	s.rateLimit, s.rateWindow = n, window
	s.buckets = map[string]*bucket{}
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Unhandled returns the requests to routes the simulator does not model.
func (s *Server) Unhandled() []Request {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	return append([]Request(nil), s.unhandled...)
}

// ResetRequests clears the request and unhandled logs.
func (s *Server) ResetRequests() {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	s.requests, s.unhandled = nil, nil
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, params []string, body []byte) *apiError

type route struct {
	bucket   string
	handlers map[string]handlerFunc
	params   []string
	withBody map[string]bool // methods whose JSON body is read
	modelled bool
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.received.Add(1)
	rec := &statusRecorder{ResponseWriter: w}
	entry := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query()}
	unhandled := false
	defer func() {
		entry.Status = rec.status
		s.ctlMu.Lock()
		s.requests = append(s.requests, entry)
		if unhandled {
			s.unhandled = append(s.unhandled, entry)
		}
		s.ctlMu.Unlock()
	}()

	h := rec.Header()
	rt := s.resolve(r)
	// Requests count as in flight while they wait out injected latency, so
	// SetLatency plus WithConcurrencyLimit reproduces concurrency 429s.
	if n := s.inflight.Add(1); s.concurrencyLimit > 0 && n > s.concurrencyLimit {
		s.inflight.Add(-1)
		h.Set("Date", s.clock().UTC().Format(http.TimeFormat))
		s.setRateHeaders(h, rt.bucket, false, true)
		s.writeError(rec, rateLimited())
		return
	}
	defer s.inflight.Add(-1)

	s.ctlMu.Lock()
	latency := s.latency
	s.ctlMu.Unlock()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	h.Set("Date", s.clock().UTC().Format(http.TimeFormat))
	h.Set("X-Okta-Request-Id", s.randomString(27))

	if status, ok := s.takeFailure(); ok {
		s.setRateHeaders(h, rt.bucket, false, status == http.StatusTooManyRequests)
		s.writeError(rec, errorForStatus(status))
		return
	}
	ok, readOnly := s.authorized(r)
	if !ok {
		s.setRateHeaders(h, rt.bucket, false, false)
		s.writeError(rec, &apiError{status: http.StatusUnauthorized, code: codeInvalidToken, summary: "Invalid token provided"})
		return
	}
	if !s.setRateHeaders(h, rt.bucket, true, false) {
		s.writeError(rec, rateLimited())
		return
	}
	if readOnly && r.Method != http.MethodGet && rt.modelled && rt.handlers[r.Method] != nil {
		s.writeError(rec, accessDenied())
		return
	}
	if !rt.modelled {
		unhandled = true
		if rt.handlers == nil {
			s.writeError(rec, &apiError{status: http.StatusNotFound, code: codeNotFound,
				summary: "Not found: Resource not found: " + r.URL.Path + " (" + r.Method + ")"})
			return
		}
		s.writeError(rec, &apiError{status: http.StatusNotImplemented, code: codeNotModelled,
			summary: "Unsupported operation.", causes: []string{"the Okta simulator does not model " + r.Method + " " + r.URL.Path}})
		return
	}
	handler, ok := rt.handlers[r.Method]
	if !ok {
		allow := make([]string, 0, len(rt.handlers))
		for m := range rt.handlers {
			allow = append(allow, m)
		}
		slices.Sort(allow)
		h.Set("Allow", strings.Join(allow, ", "))
		s.writeError(rec, &apiError{status: http.StatusMethodNotAllowed, code: codeMethod,
			summary: "The endpoint does not support the provided HTTP method"})
		return
	}
	if !acceptsJSON(r.Header.Get("Accept")) {
		s.writeError(rec, mediaTypeError())
		return
	}
	var body []byte
	if rt.withBody[r.Method] {
		ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || ct != "application/json" {
			s.writeError(rec, mediaTypeError())
			return
		}
		body, err = io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
		if err != nil || len(body) > maxBodyBytes {
			s.writeError(rec, malformedBody())
			return
		}
	}
	if apiErr := handler(rec, r, rt.params, body); apiErr != nil {
		s.writeError(rec, apiErr)
	}
}

func mediaTypeError() *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeMediaType,
		summary: "Bad request. Accept and/or Content-Type headers likely do not match supported values."}
}

func acceptsJSON(accept string) bool {
	if strings.TrimSpace(accept) == "" {
		return true
	}
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if mt == "*/*" || mt == "application/*" || mt == "application/json" {
			return true
		}
	}
	return false
}

func (s *Server) takeFailure() (int, bool) {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	if s.failRemaining <= 0 {
		return 0, false
	}
	s.failRemaining--
	return s.failStatus, true
}

// authorized reports whether the request carries an accepted token, and
// whether that token may only read (WithReadOnlyToken).
func (s *Server) authorized(r *http.Request) (ok, readOnly bool) {
	scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
	if !found {
		return false, false
	}
	switch scheme {
	case "SSWS":
		if s.readOnlyTokens[token] {
			return true, true
		}
		return s.tokens[token], false
	case "Bearer":
		return s.bearerTokens[token], false
	}
	return false, false
}

// setRateHeaders writes the X-Rate-Limit-* headers of a bucket (NOTES.md §7).
// With consume it counts the request and reports false when the bucket is
// exhausted; exhausted forces Remaining to 0 (injected 429s).
func (s *Server) setRateHeaders(h http.Header, name string, consume, exhausted bool) bool {
	now := s.clock()
	s.ctlMu.Lock()
	limit := s.rateLimit
	if l, ok := s.bucketLimits[name]; ok {
		limit = l
	}
	b := s.buckets[name]
	if b == nil || !now.Before(b.windowEnd) {
		b = &bucket{windowEnd: now.Add(s.rateWindow)}
		s.buckets[name] = b
	}
	allowed := true
	if consume {
		if limit > 0 && b.used >= limit {
			allowed = false
		} else {
			b.used++
		}
	}
	shown := limit
	if shown <= 0 {
		shown = DefaultRateLimit
	}
	remaining := shown - b.used
	if limit <= 0 {
		remaining = shown
	}
	if remaining < 0 || exhausted || !allowed {
		remaining = 0
	}
	reset := b.windowEnd
	s.ctlMu.Unlock()
	resetSec := reset.Unix()
	if reset.Nanosecond() > 0 {
		resetSec++ // round up so Reset - Date is never negative
	}
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(shown))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(resetSec, 10))
	return allowed
}

// base returns the origin for absolute links.
func (s *Server) base(r *http.Request) string {
	if s.baseURL != "" {
		return s.baseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// resolve maps a request path to its route. Path segments are unescaped one
// by one, so a login containing an encoded '/' never matches (Okta: such
// logins can only be fetched by id).
func (s *Server) resolve(r *http.Request) route {
	raw := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	seg := make([]string, 0, len(raw))
	for _, p := range raw {
		u, err := url.PathUnescape(p)
		if err != nil || strings.Contains(u, "/") || u == "" {
			return route{bucket: "default"}
		}
		seg = append(seg, u)
	}
	if len(seg) < 3 || seg[0] != "api" || seg[1] != "v1" {
		return route{bucket: "default"}
	}
	seg = seg[2:]
	body := func(methods ...string) map[string]bool {
		m := map[string]bool{}
		for _, x := range methods {
			m[x] = true
		}
		return m
	}
	switch {
	case seg[0] == "users" && len(seg) == 1:
		return route{bucket: "/api/v1/users", modelled: true, withBody: body(http.MethodPost),
			handlers: map[string]handlerFunc{http.MethodGet: s.listUsers, http.MethodPost: s.createUser}}
	case seg[0] == "users" && len(seg) == 2:
		return route{bucket: "/api/v1/users/{id}", modelled: true, params: seg[1:], withBody: body(http.MethodPost, http.MethodPut),
			handlers: map[string]handlerFunc{http.MethodGet: s.getUser, http.MethodPost: s.updateUser,
				http.MethodPut: s.replaceUser, http.MethodDelete: s.deleteUser}}
	case seg[0] == "users" && len(seg) == 3 && seg[2] == "groups":
		return route{bucket: "/api/v1/users/{id}/groups", modelled: true, params: seg[1:2],
			handlers: map[string]handlerFunc{http.MethodGet: s.listUserGroups}}
	case seg[0] == "users" && len(seg) == 4 && seg[2] == "lifecycle":
		h, modelled := s.lifecycleHandler(seg[3])
		if h == nil {
			return route{bucket: "default"}
		}
		return route{bucket: "/api/v1/users/{id}/lifecycle", modelled: modelled, params: seg[1:2],
			handlers: map[string]handlerFunc{http.MethodPost: h}}
	case seg[0] == "groups" && len(seg) == 1:
		return route{bucket: "/api/v1/groups", modelled: true, withBody: body(http.MethodPost),
			handlers: map[string]handlerFunc{http.MethodGet: s.listGroups, http.MethodPost: s.createGroup}}
	case seg[0] == "groups" && len(seg) == 2:
		return route{bucket: "/api/v1/groups/{id}", modelled: true, params: seg[1:], withBody: body(http.MethodPut),
			handlers: map[string]handlerFunc{http.MethodGet: s.getGroup, http.MethodPut: s.replaceGroup,
				http.MethodDelete: s.deleteGroup}}
	case seg[0] == "groups" && len(seg) == 3 && seg[2] == "users":
		return route{bucket: "/api/v1/groups/{id}/users", modelled: true, params: seg[1:2],
			handlers: map[string]handlerFunc{http.MethodGet: s.listGroupUsers}}
	case seg[0] == "groups" && len(seg) == 4 && seg[2] == "users":
		return route{bucket: "/api/v1/groups/{id}/users/{userId}", modelled: true, params: []string{seg[1], seg[3]},
			handlers: map[string]handlerFunc{http.MethodPut: s.assignUser, http.MethodDelete: s.unassignUser}}
	}
	return route{bucket: "default"}
}

// Run serves a simulator on addr until ctx is cancelled, after printing the
// base URL and the accepted API token to stdout. It backs
// "scimconnect sim okta --addr".
func Run(ctx context.Context, addr string, stdout io.Writer, opts ...Option) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("oktasim: listen on %s: %w", addr, err)
	}
	sim := New(opts...)
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	base := "http://" + ln.Addr().String()
	if _, err := io.WriteString(stdout, "okta simulator listening on "+base+"\nAPI token: "+sim.Token()+
		"\nuse header: Authorization: SSWS "+sim.Token()+"\n"); err != nil {
		_ = ln.Close()
		return fmt.Errorf("oktasim: print banner: %w", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			return fmt.Errorf("oktasim: shutdown: %w", err)
		}
		return nil
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("oktasim: serve: %w", err)
	}
}
