// Package config reads scimconnect's YAML configuration file.
//
// Decoding is strict: an unknown key is an error. ${VAR} references in
// string values are expanded from the environment after parsing, so
// secrets can stay out of the file. Validate reports every problem at
// once, each naming the field.
package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// File is the configuration file.
type File struct {
	// Listen is the address to serve on, e.g. "127.0.0.1:8080".
	Listen string `yaml:"listen"`
	// PublicURL is the origin clients use to reach scimconnect, used in
	// meta.location and Location headers; "http://" + Listen by default.
	PublicURL string `yaml:"public_url"`
	// Data is the directory of the embedded database; "./data" by default.
	Data string `yaml:"data"`
	// Store selects the store: the embedded SQLite database in Data (the
	// default) or PostgreSQL, which several replicas can share.
	Store Store `yaml:"store"`
	// Log sets the log format ("text" or "json") and level.
	Log Log `yaml:"log"`
	// Limits are the protocol limits applied to every instance.
	Limits Limits `yaml:"limits"`
	// Instances are the connector instances to serve.
	Instances []Instance `yaml:"instances"`
	// Admin enables the admin API (/admin/v1) when a token is set.
	Admin Admin `yaml:"admin"`
	// Secrets configures the key that encrypts secret connector
	// parameters stored through the admin API.
	Secrets Secrets `yaml:"secrets"`
	// Metrics protects /metrics with a bearer token when one is set.
	Metrics Metrics `yaml:"metrics"`
	// TrustedProxies are the reverse proxies and load balancers (IP
	// addresses or CIDR prefixes) whose X-Forwarded-For is believed when
	// telling clients apart for the failed-authentication budget.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// Audit configures the audit log of SCIM requests.
	Audit Audit `yaml:"audit"`
}

// Audit configures the audit log: every SCIM request is recorded in the
// store and kept for Retention.
type Audit struct {
	// Retention is how long records are kept, a Go duration of at least
	// 1h ("720h" is 30 days, the default when empty), or "off" to record
	// nothing. 0 is refused as ambiguous (keep nothing, or forever?).
	Retention string `yaml:"retention"`
}

// DefaultAuditRetention is the retention when audit.retention is empty.
const DefaultAuditRetention = 30 * 24 * time.Hour

// RetentionPeriod returns the configured retention, and false when the
// audit log is off. Call it on a validated configuration.
func (a Audit) RetentionPeriod() (time.Duration, bool) {
	switch a.Retention {
	case "":
		return DefaultAuditRetention, true
	case "off":
		return 0, false
	}
	d, _ := time.ParseDuration(a.Retention)
	return d, true
}

func (a Audit) validate() []string {
	if a.Retention == "" || a.Retention == "off" {
		return nil
	}
	d, err := time.ParseDuration(a.Retention)
	switch {
	case err != nil:
		return []string{fmt.Sprintf("audit.retention: %q must be a duration such as \"720h\" (30 days), or \"off\"", a.Retention)}
	case d < time.Hour:
		return []string{fmt.Sprintf("audit.retention: %q is too short: at least 1h, or \"off\" to record nothing", a.Retention)}
	}
	return nil
}

// Metrics configures /metrics: open when no token is set (bind the
// listener to a private network then), else behind this bearer token.
type Metrics struct {
	Token       string `yaml:"token"`        // use ${ENV_VAR}; only its SHA-256 is kept
	TokenSHA256 string `yaml:"token_sha256"` // hex SHA-256, instead of token
}

func (m Metrics) validate(adminToken string) []string {
	var p []string
	switch {
	case m.Token != "" && m.TokenSHA256 != "":
		p = append(p, "metrics: set token or token_sha256, not both")
	case m.Token != "" && len(m.Token) < 16:
		p = append(p, "metrics.token: too short: use at least 16 random characters")
	case m.TokenSHA256 != "" && !sha256Hex.MatchString(m.TokenSHA256):
		p = append(p, "metrics.token_sha256: must be 64 hex digits")
	}
	if m.Token != "" && m.Token == adminToken {
		p = append(p, "metrics.token: must differ from admin.token")
	}
	return p
}

// ParsePrefixes reads addresses and CIDR prefixes (a single address is
// a /32 or /128).
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("%q is not an address or CIDR prefix", s)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR prefix", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// Secrets names the AES-256 key that encrypts secret parameters at rest,
// and older keys that still decrypt during a rotation. The key itself is
// never in this file: it is in a key file (32 raw bytes, 64 hex digits
// or base64) or in an environment variable (hex or base64) named here.
type Secrets struct {
	// KeyFile is the path of the current key.
	KeyFile string `yaml:"key_file"`
	// KeyEnv is the name of the environment variable holding the current
	// key, e.g. SCIMCONNECT_SECRET_KEY, instead of KeyFile.
	KeyEnv string `yaml:"key_env"`
	// OldKeyFiles and OldKeyEnvs are keys that only decrypt: values
	// sealed under them stay readable until 'scimconnect rekey' has
	// re-encrypted them under the current key.
	OldKeyFiles []string `yaml:"old_key_files"`
	OldKeyEnvs  []string `yaml:"old_key_envs"`
}

// Enabled reports whether a secret key is configured.
func (s Secrets) Enabled() bool { return s.KeyFile != "" || s.KeyEnv != "" }

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (s Secrets) validate() []string {
	var p []string
	if s.KeyFile != "" && s.KeyEnv != "" {
		p = append(p, "secrets: set key_file or key_env, not both")
	}
	if !s.Enabled() && (len(s.OldKeyFiles) > 0 || len(s.OldKeyEnvs) > 0) {
		p = append(p, "secrets: old keys need a current key (key_file or key_env)")
	}
	for i, name := range append([]string{s.KeyEnv}, s.OldKeyEnvs...) {
		if (i == 0 && name == "") || envName.MatchString(name) {
			continue
		}
		at := "secrets.key_env"
		if i > 0 {
			at = fmt.Sprintf("secrets.old_key_envs[%d]", i-1)
		}
		// The name, not ${NAME}: the key is read when serve starts and
		// never passes through the configuration.
		p = append(p, fmt.Sprintf("%s: %q must be the name of an environment variable, e.g. SCIMCONNECT_SECRET_KEY", at, name))
	}
	for i, f := range s.OldKeyFiles {
		if f == "" {
			p = append(p, fmt.Sprintf("secrets.old_key_files[%d]: empty path", i))
		}
	}
	return p
}

// Admin configures the admin API. It is off unless Token or TokenSHA256
// is set.
type Admin struct {
	// Token is the admin bearer token (use ${ENV_VAR}); only its SHA-256
	// is kept in memory. It must differ from every SCIM token.
	Token string `yaml:"token"`
	// TokenSHA256 is the hex SHA-256 of the admin token, instead of Token.
	TokenSHA256 string `yaml:"token_sha256"`
	// Listen, when set, serves the admin API on its own address (e.g. a
	// loopback or internal interface); by default it shares the main
	// listener under /admin/v1.
	Listen string `yaml:"listen"`
}

// Enabled reports whether the admin API is configured.
func (a Admin) Enabled() bool { return a.Token != "" || a.TokenSHA256 != "" }

// Store selects and configures the store.
type Store struct {
	Type   string `yaml:"type"`   // sqlite (default) or postgres
	DSN    string `yaml:"dsn"`    // postgres: connection string (use ${ENV_VAR} for the password)
	Schema string `yaml:"schema"` // postgres: schema for scimconnect's tables (default: the DSN's search_path)
}

// Log configures logging.
type Log struct {
	Format string `yaml:"format"` // text (default) or json
	Level  string `yaml:"level"`  // debug, info (default), warn, error
}

// Limits are protocol and server limits. Zero means the default.
type Limits struct {
	MaxBodyBytes      int64         `yaml:"max_body_bytes"`      // default 1 MiB
	DefaultPageSize   int           `yaml:"default_page_size"`   // default 100
	MaxPageSize       int           `yaml:"max_page_size"`       // default 1000
	FilterMaxLength   int           `yaml:"filter_max_length"`   // default 4096 characters
	FilterMaxDepth    int           `yaml:"filter_max_depth"`    // default 16
	BulkMaxOperations int           `yaml:"bulk_max_operations"` // default 1000
	BulkMaxPayload    int64         `yaml:"bulk_max_payload"`    // default 4 MiB
	CursorTTL         time.Duration `yaml:"cursor_ttl"`          // default 10m
	ReadTimeout       time.Duration `yaml:"read_timeout"`        // default 60s
	WriteTimeout      time.Duration `yaml:"write_timeout"`       // default 60s
	// AuthFailures is the failed authentications a client address may
	// make in a burst (default 10); one is regained every
	// AuthFailureRefill (default 1s). Then it gets 429 until refilled.
	AuthFailures      int           `yaml:"auth_failures"`
	AuthFailureRefill time.Duration `yaml:"auth_failure_refill"`
}

// Instance is one connector instance.
type Instance struct {
	// Name is the instance's name, the {instance} of /scim/{instance}/v2.
	Name string `yaml:"name"`
	// Type is the connector type, e.g. "local".
	Type string `yaml:"type"`
	// Token is the SCIM bearer token clients present (use ${ENV_VAR}).
	// Only its SHA-256 is kept in memory.
	Token string `yaml:"token"`
	// TokenSHA256 is the hex SHA-256 of the token, instead of Token.
	TokenSHA256 string `yaml:"token_sha256"`
	// Parameters are the connector's parameters.
	Parameters map[string]any `yaml:"parameters"`
	// CustomAttributes lists extra attributes as "name|type;name2|type;".
	CustomAttributes string `yaml:"custom_attributes"`
	// DisabledAttributes lists attributes this instance never reads or writes.
	DisabledAttributes []string `yaml:"disabled_attributes"`
	// Auth configures how clients authenticate besides token/token_sha256,
	// and read-only credentials.
	Auth InstanceAuth `yaml:"auth"`
}

// InstanceAuth is how an instance's SCIM clients authenticate besides
// token/token_sha256.
type InstanceAuth struct {
	// TokenReadOnly limits token/token_sha256 to GET and POST .search.
	TokenReadOnly bool `yaml:"token_read_only"`
	// ClientCredentials are OAuth 2.0 clients that obtain access tokens at
	// /scim/{name}/oauth/token (RFC 6749 §4.4).
	ClientCredentials []Client `yaml:"client_credentials"`
	// JWT lists external issuers whose JWTs are accepted as bearer tokens.
	JWT []JWTIssuer `yaml:"jwt"`
}

// Client is an OAuth 2.0 client of an instance.
type Client struct {
	ClientID           string        `yaml:"client_id"`
	ClientSecret       string        `yaml:"client_secret"`        // use ${ENV_VAR}; only its SHA-256 is kept
	ClientSecretSHA256 string        `yaml:"client_secret_sha256"` // hex SHA-256, instead of client_secret
	TokenTTL           time.Duration `yaml:"token_ttl"`            // default 1h, at most 24h
	ReadOnly           bool          `yaml:"read_only"`
}

// JWTIssuer is an external issuer of JWT bearer tokens (e.g. Microsoft Entra).
type JWTIssuer struct {
	Issuer   string `yaml:"issuer"`
	Audience string `yaml:"audience"`
	JWKSURL  string `yaml:"jwks_url"`
	ReadOnly bool   `yaml:"read_only"`
}

// Problems lists what is wrong with a, each as "<at>.<key>: <problem>",
// the same checks as in a configuration file (the admin API uses them
// for the instances it stores).
func (a InstanceAuth) Problems(at string) []string { return a.validate(at, "") }

func (a InstanceAuth) hasOther() bool { return len(a.ClientCredentials) > 0 || len(a.JWT) > 0 }

func (a InstanceAuth) validate(at, adminToken string) []string {
	var p []string
	ids := map[string]bool{}
	for i, c := range a.ClientCredentials {
		cat := fmt.Sprintf("%s.client_credentials[%d]", at, i)
		switch {
		case c.ClientID == "":
			p = append(p, cat+".client_id: required")
		case ids[c.ClientID]:
			p = append(p, fmt.Sprintf("%s.client_id: %q is used by another client of this instance", cat, c.ClientID))
		}
		ids[c.ClientID] = true
		switch {
		case c.ClientSecret == "" && c.ClientSecretSHA256 == "":
			p = append(p, cat+".client_secret: required (or client_secret_sha256)")
		case c.ClientSecret != "" && c.ClientSecretSHA256 != "":
			p = append(p, cat+": set client_secret or client_secret_sha256, not both")
		case c.ClientSecret != "" && len(c.ClientSecret) < 16:
			p = append(p, cat+".client_secret: too short: use at least 16 random characters")
		case c.ClientSecretSHA256 != "" && !sha256Hex.MatchString(c.ClientSecretSHA256):
			p = append(p, cat+".client_secret_sha256: must be 64 hex digits")
		}
		if adminToken != "" && c.ClientSecret == adminToken {
			p = append(p, cat+".client_secret: must differ from admin.token")
		}
		if c.TokenTTL < 0 || c.TokenTTL > 24*time.Hour {
			p = append(p, cat+".token_ttl: must be between 0 (default 1h) and 24h")
		}
	}
	for i, j := range a.JWT {
		jat := fmt.Sprintf("%s.jwt[%d]", at, i)
		if j.Issuer == "" {
			p = append(p, jat+".issuer: required")
		}
		if j.Audience == "" {
			p = append(p, jat+".audience: required")
		}
		u, err := url.Parse(j.JWKSURL)
		switch {
		case j.JWKSURL == "":
			p = append(p, jat+".jwks_url: required")
		case err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))):
			p = append(p, fmt.Sprintf("%s.jwks_url: %q must be an https URL (http only on loopback)", jat, j.JWKSURL))
		}
	}
	return p
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Parse decodes and validates a configuration; lookup resolves ${VAR}
// (os.LookupEnv when nil).
func Parse(data []byte, lookup func(string) (string, bool)) (*File, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var problems []string
	expanded := map[*yaml.Node]bool{}
	expandNode(&root, "", lookup, &problems, expanded)
	if len(root.Content) > 0 {
		checkNode(root.Content[0], reflect.TypeFor[File](), "", expanded, &problems)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("config: %d problem(s):\n  - %s", len(problems), strings.Join(problems, "\n  - "))
	}
	// checkNode has refused unknown keys and values of the wrong type,
	// each with its line; what is left decodes.
	var f File
	if len(root.Content) > 0 {
		if err := root.Content[0].Decode(&f); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	problems = append(problems, f.validate()...)
	if len(problems) > 0 {
		return nil, fmt.Errorf("config: %d problem(s):\n  - %s", len(problems), strings.Join(problems, "\n  - "))
	}
	return &f, nil
}

// Load reads and parses a configuration file.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	f, err := Parse(data, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// expandNode replaces ${VAR} in scalar values, recording unset variables
// and the nodes it changed.
func expandNode(n *yaml.Node, path string, lookup func(string) (string, bool), problems *[]string, expanded map[*yaml.Node]bool) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for i, c := range n.Content {
			p := path
			if n.Kind == yaml.SequenceNode {
				p = fmt.Sprintf("%s[%d]", path, i)
			}
			expandNode(c, p, lookup, problems, expanded)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			p := key
			if path != "" {
				p = path + "." + key
			}
			expandNode(n.Content[i+1], p, lookup, problems, expanded)
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			return
		}
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(m string) string {
			name := envRef.FindStringSubmatch(m)[1]
			v, ok := lookup(name)
			if !ok {
				*problems = append(*problems, fmt.Sprintf("%s: environment variable %s is not set", path, name))
			}
			return v
		})
		n.Tag = "!!str"
		n.Style = yaml.DoubleQuotedStyle
		expanded[n] = true
	}
}

var durationType = reflect.TypeFor[time.Duration]()

// checkNode checks n against t, the type it decodes into, and records
// each unknown key and each value of the wrong kind with its field and
// its line in the file. A value that came from the environment is never
// shown (it may be a secret); one meant for a number, a boolean or a
// duration is retagged so that it decodes as one.
func checkNode(n *yaml.Node, t reflect.Type, path string, expanded map[*yaml.Node]bool, problems *[]string) {
	at := path
	if at == "" {
		at = "the file"
	}
	bad := func(format string, args ...any) {
		*problems = append(*problems, fmt.Sprintf("%s: %s (line %d)", at, fmt.Sprintf(format, args...), n.Line))
	}
	if n.Kind == yaml.AliasNode || n.ShortTag() == "!!null" {
		return // yaml resolves aliases; null leaves the default
	}
	switch {
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			bad("must be a mapping of keys")
			return
		}
		fields := map[string]reflect.StructField{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if name != "" && name != "-" {
				fields[name] = t.Field(i)
				names = append(names, name)
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			p := key
			if path != "" {
				p = path + "." + key
			}
			fld, ok := fields[key]
			switch {
			case key == "<<":
			case !ok:
				*problems = append(*problems, fmt.Sprintf("%s: unknown key (line %d); %s takes %s", p, n.Content[i].Line, at, strings.Join(names, ", ")))
			default:
				checkNode(n.Content[i+1], fld.Type, p, expanded, problems)
			}
		}
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			bad("must be a list")
			return
		}
		for i, c := range n.Content {
			checkNode(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), expanded, problems)
		}
	case t.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			bad("must be a mapping of keys")
		}
	case t.Kind() == reflect.Interface:
	case n.Kind != yaml.ScalarNode:
		bad("must be a single value, not a list or mapping")
	case t.Kind() == reflect.String:
	default:
		if expanded[n] {
			n.Tag, n.Style = "", 0 // decode "500" from the environment as 500
		}
		if n.Decode(reflect.New(t).Interface()) == nil {
			return
		}
		want := "must be a whole number"
		switch {
		case t == durationType:
			want = "must be a duration such as 90s, 10m or 1h"
		case t.Kind() == reflect.Bool:
			want = "must be true or false"
		}
		if expanded[n] {
			bad("%s (the value from the environment is not shown)", want)
		} else {
			bad("%q %s", n.Value, want)
		}
	}
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidName reports whether s can name an instance (it is a URL path segment).
func ValidName(s string) bool { return namePattern.MatchString(s) }

func (f *File) validate() []string {
	var p []string
	if f.Listen != "" {
		if _, _, err := net.SplitHostPort(f.Listen); err != nil {
			p = append(p, fmt.Sprintf("listen: %q is not host:port", f.Listen))
		}
	}
	if f.PublicURL != "" && !strings.HasPrefix(f.PublicURL, "http://") && !strings.HasPrefix(f.PublicURL, "https://") {
		p = append(p, fmt.Sprintf("public_url: %q must start with http:// or https://", f.PublicURL))
	}
	switch f.Store.Type {
	case "", "sqlite":
		if f.Store.DSN != "" || f.Store.Schema != "" {
			p = append(p, "store: dsn and schema are for type postgres")
		}
	case "postgres":
		if f.Store.DSN == "" {
			p = append(p, "store.dsn: required for type postgres")
		}
	default:
		p = append(p, fmt.Sprintf("store.type: %q must be sqlite or postgres", f.Store.Type))
	}
	switch f.Log.Format {
	case "", "text", "json":
	default:
		p = append(p, fmt.Sprintf("log.format: %q must be text or json", f.Log.Format))
	}
	switch strings.ToLower(f.Log.Level) {
	case "", "debug", "info", "warn", "error":
	default:
		p = append(p, fmt.Sprintf("log.level: %q must be debug, info, warn or error", f.Log.Level))
	}
	l := f.Limits
	for _, c := range []struct {
		name string
		v    int64
	}{
		{"limits.max_body_bytes", l.MaxBodyBytes}, {"limits.default_page_size", int64(l.DefaultPageSize)},
		{"limits.max_page_size", int64(l.MaxPageSize)}, {"limits.filter_max_length", int64(l.FilterMaxLength)},
		{"limits.filter_max_depth", int64(l.FilterMaxDepth)}, {"limits.bulk_max_operations", int64(l.BulkMaxOperations)},
		{"limits.bulk_max_payload", l.BulkMaxPayload}, {"limits.cursor_ttl", int64(l.CursorTTL)},
		{"limits.read_timeout", int64(l.ReadTimeout)}, {"limits.write_timeout", int64(l.WriteTimeout)},
		{"limits.auth_failures", int64(l.AuthFailures)}, {"limits.auth_failure_refill", int64(l.AuthFailureRefill)},
	} {
		if c.v < 0 {
			p = append(p, fmt.Sprintf("%s: must not be negative", c.name))
		}
	}
	p = append(p, f.Admin.validate()...)
	p = append(p, f.Secrets.validate()...)
	p = append(p, f.Metrics.validate(f.Admin.Token)...)
	p = append(p, f.Audit.validate()...)
	if _, err := ParsePrefixes(f.TrustedProxies); err != nil {
		p = append(p, "trusted_proxies: "+err.Error())
	}
	seen := map[string]bool{}
	for i, in := range f.Instances {
		at := fmt.Sprintf("instances[%d]", i)
		if in.Name == "" {
			p = append(p, at+".name: required")
		} else if !ValidName(in.Name) {
			p = append(p, fmt.Sprintf("%s.name: %q must be lowercase letters, digits, - or _ (at most 63)", at, in.Name))
		} else if seen[in.Name] {
			p = append(p, fmt.Sprintf("%s.name: %q is used by another instance", at, in.Name))
		}
		seen[in.Name] = true
		if in.Type == "" {
			p = append(p, at+".type: required")
		}
		switch {
		case in.Token == "" && in.TokenSHA256 == "":
			if !in.Auth.hasOther() {
				p = append(p, at+".token: required (or token_sha256, auth.client_credentials or auth.jwt)")
			} else if in.Auth.TokenReadOnly {
				p = append(p, at+".auth.token_read_only: needs token or token_sha256")
			}
		case in.Token != "" && in.TokenSHA256 != "":
			p = append(p, at+": set token or token_sha256, not both")
		case in.Token != "" && len(in.Token) < 16:
			p = append(p, at+".token: too short: use at least 16 random characters")
		case in.TokenSHA256 != "" && !sha256Hex.MatchString(in.TokenSHA256):
			p = append(p, at+".token_sha256: must be 64 hex digits")
		}
		if f.Admin.Token != "" && in.Token == f.Admin.Token {
			p = append(p, at+".token: must differ from admin.token")
		}
		p = append(p, in.Auth.validate(at+".auth", f.Admin.Token)...)
	}
	return p
}

var sha256Hex = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

func (a Admin) validate() []string {
	var p []string
	switch {
	case a.Token != "" && a.TokenSHA256 != "":
		p = append(p, "admin: set token or token_sha256, not both")
	case a.Token != "" && len(a.Token) < 16:
		p = append(p, "admin.token: too short: use at least 16 random characters")
	case a.TokenSHA256 != "" && !sha256Hex.MatchString(a.TokenSHA256):
		p = append(p, "admin.token_sha256: must be 64 hex digits")
	}
	if a.Listen != "" {
		if !a.Enabled() {
			p = append(p, "admin.listen: set admin.token or admin.token_sha256 to enable the admin API")
		}
		if _, _, err := net.SplitHostPort(a.Listen); err != nil {
			p = append(p, fmt.Sprintf("admin.listen: %q is not host:port", a.Listen))
		}
	}
	return p
}
