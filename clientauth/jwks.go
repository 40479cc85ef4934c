package clientauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Defaults of KeySetOptions.
const (
	DefaultJWKSTimeout    = 10 * time.Second
	DefaultJWKSMaxAge     = time.Hour
	DefaultJWKSMinRefresh = time.Minute
	// MaxJWKSBytes bounds a JWKS document.
	MaxJWKSBytes = 1 << 20
)

// ErrUnknownKey is returned for a token signed with a key the issuer's
// JWKS does not hold, even after a refetch.
var ErrUnknownKey = errors.New("unknown signing key")

// ErrKeysUnavailable is returned when the issuer's JWKS cannot be fetched
// and no cached key can verify the token: the token may well be valid, so
// the gateway answers 503 rather than 401, and the client retries instead
// of discarding a good credential.
var ErrKeysUnavailable = errors.New("the issuer's signing keys cannot be fetched")

// KeySetOptions configure the fetching of JWKS documents. Zero values
// take the defaults.
type KeySetOptions struct {
	// Client fetches the documents (http.DefaultClient when nil); Timeout
	// bounds each fetch anyway.
	Client *http.Client
	// Timeout bounds one fetch (default 10s).
	Timeout time.Duration
	// MaxAge is how long fetched keys are used before the document is
	// fetched again (default 1h). Keys stay in use while a refetch fails.
	MaxAge time.Duration
	// MinRefresh is the least time between two fetches (default 1m): a
	// token naming an unknown key triggers a refetch at most this often,
	// so forged tokens cannot make the gateway hammer the issuer.
	MinRefresh time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// KeySet is the cached JWKS (RFC 7517 §5) of an issuer. It is safe for
// concurrent use.
type KeySet struct {
	url  string
	opts KeySetOptions

	// fetchMu serializes fetches; mu guards the fields below.
	fetchMu   sync.Mutex
	mu        sync.RWMutex
	keys      []jose.JSONWebKey
	fetched   time.Time // last successful fetch
	attempted time.Time // last fetch attempt
	failure   error     // why the last attempt failed; nil after a success
}

// NewKeySet returns the key set served at url; nothing is fetched until
// a key is needed.
func NewKeySet(url string, opts KeySetOptions) *KeySet {
	if opts.Client == nil {
		opts.Client = http.DefaultClient
	}
	opts.Client = noDowngrade(opts.Client)
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultJWKSTimeout
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultJWKSMaxAge
	}
	if opts.MinRefresh <= 0 {
		opts.MinRefresh = DefaultJWKSMinRefresh
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &KeySet{url: url, opts: opts}
}

// maxJWKSRedirects is how many redirects a fetch follows, as
// http.Client does by default.
const maxJWKSRedirects = 10

// noDowngrade returns a copy of c that refuses a redirect from https to
// any other scheme: an https JWKS URL promises keys nobody on the path
// can alter, and a redirect to plain http would break that promise.
func noDowngrade(c *http.Client) *http.Client {
	out := *c
	next := c.CheckRedirect
	out.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if strings.EqualFold(via[0].URL.Scheme, "https") && !strings.EqualFold(req.URL.Scheme, "https") {
			return fmt.Errorf("refused a redirect from https to %s://%s", req.URL.Scheme, req.URL.Host)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= maxJWKSRedirects {
			return fmt.Errorf("stopped after %d redirects", maxJWKSRedirects)
		}
		return nil
	}
	return &out
}

// Keys returns the signature keys with this key id (every key when kid
// is empty), fetching the document when it was never fetched, is older
// than MaxAge, or lacks the key and MinRefresh has passed since the last
// fetch.
func (k *KeySet) Keys(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	now := k.opts.Now()
	keys, fresh := k.cached(kid, now)
	if len(keys) > 0 && fresh {
		return keys, nil
	}
	k.fetchMu.Lock()
	defer k.fetchMu.Unlock()
	// Another request may have fetched while this one waited.
	now = k.opts.Now()
	keys, fresh = k.cached(kid, now)
	if len(keys) > 0 && fresh {
		return keys, nil
	}
	k.mu.RLock()
	attempted, failure := k.attempted, k.failure
	k.mu.RUnlock()
	if !attempted.IsZero() && now.Sub(attempted) < k.opts.MinRefresh {
		if len(keys) > 0 {
			return keys, nil
		}
		if failure != nil {
			return nil, fmt.Errorf("%w: %w (%s ago)", ErrKeysUnavailable, failure, now.Sub(attempted).Round(time.Second))
		}
		return nil, fmt.Errorf("%w %q (jwks %s fetched %s ago)", ErrUnknownKey, kid, k.url, now.Sub(attempted).Round(time.Second))
	}
	fetchErr := k.fetch(ctx, now)
	k.mu.Lock()
	k.failure = fetchErr
	k.mu.Unlock()
	keys, _ = k.cached(kid, now)
	if len(keys) > 0 {
		return keys, nil
	}
	if fetchErr != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeysUnavailable, fetchErr)
	}
	return nil, fmt.Errorf("%w %q in jwks %s", ErrUnknownKey, kid, k.url)
}

// cached returns the cached keys matching kid and whether the cache is
// younger than MaxAge.
func (k *KeySet) cached(kid string, now time.Time) ([]jose.JSONWebKey, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	var out []jose.JSONWebKey
	for _, key := range k.keys {
		if kid == "" || key.KeyID == kid {
			out = append(out, key)
		}
	}
	return out, !k.fetched.IsZero() && now.Sub(k.fetched) < k.opts.MaxAge
}

// fetch replaces the cached keys with the document's public signature
// keys. A failed fetch keeps the old keys. The shared fetch does not end
// with the request that triggered it, only at the timeout.
func (k *KeySet) fetch(ctx context.Context, now time.Time) error {
	k.mu.Lock()
	k.attempted = now
	k.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), k.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return fmt.Errorf("fetch jwks %s: %w", k.url, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.opts.Client.Do(req)
	if err != nil {
		return fmt.Errorf("fetch jwks %s: %w", k.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch jwks %s: status %d", k.url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxJWKSBytes+1))
	if err != nil {
		return fmt.Errorf("fetch jwks %s: %w", k.url, err)
	}
	if len(body) > MaxJWKSBytes {
		return fmt.Errorf("fetch jwks %s: document larger than %d bytes", k.url, MaxJWKSBytes)
	}
	// Keys go-jose cannot parse make the whole document fail; decode
	// them one by one so that one odd key does not hide the others.
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return fmt.Errorf("fetch jwks %s: %w", k.url, err)
	}
	var keys []jose.JSONWebKey
	for _, raw := range doc.Keys {
		var key jose.JSONWebKey
		if err := key.UnmarshalJSON(raw); err != nil {
			continue
		}
		if !key.Valid() || !key.IsPublic() || (key.Use != "" && key.Use != "sig") {
			continue
		}
		keys = append(keys, key)
	}
	k.mu.Lock()
	k.keys, k.fetched = keys, now
	k.mu.Unlock()
	return nil
}
