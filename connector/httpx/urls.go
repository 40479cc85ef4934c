package httpx

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
)

// target is a scheme and canonical host:port.
type target struct {
	scheme string
	host   string
}

// hostPolicy decides which URLs a client may call.
type hostPolicy struct {
	exact         map[string]bool // "host:port", lower case
	anyDefault    map[string]bool // host names allowed on their scheme's default port
	allowInsecure bool
}

func newHostPolicy(base *url.URL, extra []string, allowInsecure bool) (hostPolicy, error) {
	p := hostPolicy{exact: map[string]bool{hostKey(base): true}, anyDefault: map[string]bool{}, allowInsecure: allowInsecure}
	for _, h := range extra {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" || strings.ContainsAny(h, "/?#@") {
			return p, fmt.Errorf("allowed host %q: want host or host:port", h)
		}
		if host, port, err := net.SplitHostPort(h); err == nil {
			p.exact[net.JoinHostPort(host, port)] = true
			continue
		}
		p.anyDefault[strings.Trim(h, "[]")] = true
	}
	return p, nil
}

// check returns ErrHostNotAllowed (wrapped) unless u may be called.
func (p hostPolicy) check(u *url.URL) error {
	if err := checkScheme(u, p.allowInsecure); err != nil {
		return err
	}
	if u.User != nil {
		return fmt.Errorf("%w: credentials in URLs are not allowed", ErrHostNotAllowed)
	}
	if p.exact[hostKey(u)] || (u.Port() == "" || u.Port() == defaultPort(u.Scheme)) && p.anyDefault[strings.ToLower(u.Hostname())] {
		return nil
	}
	return fmt.Errorf("%w: host %s is not allowed", ErrHostNotAllowed, u.Host)
}

// checkURL parses a configured absolute URL (base URL, token endpoint).
func checkURL(raw string, allowInsecure bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("not a valid URL")
	}
	if !u.IsAbs() || u.Host == "" {
		return nil, errors.New("want an absolute http or https URL")
	}
	if u.User != nil {
		return nil, errors.New("credentials in the URL are not allowed; configure an authenticator")
	}
	if err := checkScheme(u, allowInsecure); err != nil {
		return nil, err
	}
	return u, nil
}

// checkScheme allows https, and http for loopback hosts (local simulators)
// or when explicitly allowed.
func checkScheme(u *url.URL, allowInsecure bool) error {
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if allowInsecure || isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%w: plain http to %s (only loopback hosts, unless insecure http is allowed)", ErrHostNotAllowed, u.Host)
	default:
		return fmt.Errorf("%w: scheme %q", ErrHostNotAllowed, u.Scheme)
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func defaultPort(scheme string) string {
	if strings.EqualFold(scheme, "http") {
		return "80"
	}
	return "443"
}

// hostKey is u's lower-case host with an explicit port.
func hostKey(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = defaultPort(u.Scheme)
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// redactURL renders a URL for logs and error texts: scheme, host and path,
// and the query's keys without their values (they may be cursors, filters
// with personal data or, on badly designed APIs, keys).
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[invalid URL]"
	}
	return redactedURL(u)
}

// callURL is a call's URL with the label that stands for its path
// wherever the call is reported (Request.PathLabel), "" for none.
type callURL struct {
	*url.URL
	label string
}

// shown is the URL as logs and errors show it: redacted, or scheme, host
// and label when there is a label, without the query.
func (c callURL) shown() string {
	if c.label == "" {
		return redactedURL(c.URL)
	}
	return c.Scheme + "://" + c.Host + c.label
}

func redactedURL(u *url.URL) string {
	var b strings.Builder
	if u.Scheme != "" {
		b.WriteString(u.Scheme)
		b.WriteString("://")
	}
	b.WriteString(u.Host)
	b.WriteString(u.EscapedPath())
	if u.RawQuery != "" {
		q, _ := url.ParseQuery(u.RawQuery) // partial results are fine for keys
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, url.QueryEscape(k))
		}
		slices.Sort(keys)
		b.WriteByte('?')
		b.WriteString(strings.Join(keys, "&"))
	}
	return b.String()
}

// minSecret is the shortest string scrubbed; shorter "secrets" (an empty
// user name, a one-letter password) would mangle every text they appear in.
const minSecret = 4

// scrub replaces every secret in s.
func scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= minSecret && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	return s
}
