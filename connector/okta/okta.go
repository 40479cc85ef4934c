package okta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/bridge"
	"github.com/scimconnect/scimconnect/connector/httpx"
	"github.com/scimconnect/scimconnect/connector/mapping"
)

// Version is the connector's version; the seed's connectors start at 1.0.
const Version = "1.0"

// maxPage is the page size asked of Okta: its maximum for users (NOTES §4),
// and its recommended maximum for groups.
const maxPage = 200

// customTarget prefixes custom attributes' Okta fields: they live in the
// user's profile, as Profile Editor attributes.
const customTarget = "profile."

// callBudget bounds one Okta call with its retries and waits. Okta's
// rate limits are per minute (NOTES §7), so a 429 names a reset up to a
// minute away; waiting for it (httpx waits up to 60s), up to three times,
// or retrying a hung Okta (30s per attempt) would hold the SCIM request
// for minutes, past the server's write timeout (60s by default), and the
// client would get no answer at all. With a deadline httpx does not start
// a wait that would end after it and cancels an attempt at it: the SCIM
// client gets 503 with Retry-After (for a 429, the reset Okta named).
var callBudget = 30 * time.Second // a variable for tests

// Config is an instance's parameters (seed: "Connector name", "Token"; the
// org URL is the target URL every seed connector has).
type Config struct {
	// Name is the connector name shown to administrators; the instance
	// name when empty.
	Name string `json:"name,omitempty"`
	// Token is the Okta API token, sent as "Authorization: SSWS <token>".
	Token string `json:"token"`
	// TargetURL is the Okta org URL, e.g. "https://acme.okta.com".
	TargetURL string `json:"target_url"`
}

// Validate reports every problem of c at once.
func (c *Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.Token) == "" {
		errs = append(errs, errors.New("token is required"))
	}
	if c.TargetURL == "" {
		errs = append(errs, errors.New("target_url is required"))
	} else if u, err := url.Parse(c.TargetURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		// Not echoed: a malformed URL may still carry credentials.
		errs = append(errs, errors.New("target_url is not an absolute http(s) URL such as https://acme.okta.com"))
	}
	return errors.Join(errs...)
}

// Connector is the Okta connector's declaration.
var Connector = &bridge.Connector{
	Name:        "okta",
	Version:     Version,
	Description: "Okta users, groups and group memberships (Okta Management API)",
	Params: []connector.Param{
		{Name: "name", Description: "Connector name (defaults to the instance name)", Type: "string"},
		{Name: "token", Description: "Okta API token, sent as Authorization: SSWS <token>", Required: true, Secret: true, Type: "string"},
		{Name: "target_url", Description: "Okta org URL, e.g. https://acme.okta.com", Required: true, Type: "url"},
	},
	Resources: []bridge.Resource{
		{
			Type:   userType(),
			Table:  userTable,
			Ops:    bridge.OpCreate | bridge.OpGet | bridge.OpList | bridge.OpReplace | bridge.OpPatch | bridge.OpDelete,
			Paging: bridge.PagingCursor, MaxPageSize: maxPage,
			Filters: []string{
				"userName, name.givenName, name.familyName, emails, displayName and the other profile attributes: eq, sw, pr",
				"userName, name.givenName, name.familyName, emails: co",
				"active eq true", "meta.created, meta.lastModified: gt, ge, lt, le", "and, or",
			},
			// Okta requires login, email, firstName and lastName (email
			// defaults to userName, see the package documentation).
			Mandatory:  []string{"userName", "name.givenName", "name.familyName"},
			Custom:     true,
			SoftDelete: true,
		},
		{
			Type:   groupType(),
			Table:  groupTable,
			Ops:    bridge.OpAll,
			Paging: bridge.PagingCursor, MaxPageSize: maxPage,
			Filters:           []string{"displayName, description: eq, sw", "meta.created, meta.lastModified: gt, ge, lt, le", "and, or"},
			Mandatory:         []string{"displayName"},
			Members:           "members",
			MemberBatch:       1, // Okta: one PUT or DELETE per member
			MemberConcurrency: 4,
		},
	},
	CustomTypes:  []string{mapping.TypeString, mapping.TypeBoolean, mapping.TypeInteger, mapping.TypeDecimal},
	CustomTarget: customTarget,
	Connect:      connect,
}

// Type is the registry entry.
var Type = func() connector.Type {
	t := Connector.Type()
	t.Simulator = newSimulator
	t.Declaration = Connector
	return t
}()

func connect(ctx context.Context, env connector.Env, params json.RawMessage, custom []mapping.CustomAttribute) (*bridge.Targets, error) {
	var cfg Config
	d := json.NewDecoder(bytes.NewReader(params))
	d.DisallowUnknownFields()
	if len(bytes.TrimSpace(params)) > 0 {
		if err := d.Decode(&cfg); err != nil {
			return nil, fmt.Errorf("parameters: %w", err)
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("parameters: %w", err)
	}
	cl, err := httpx.New(httpx.Config{
		BaseURL:          strings.TrimRight(cfg.TargetURL, "/"),
		Auth:             httpx.HeaderToken("Authorization", "SSWS", cfg.Token),
		RateLimitHeaders: httpx.OktaRateLimitHeaders,
		Logger:           env.Logger,
		ErrorMessage:     errorMessage,
		HTTPClient:       &http.Client{Transport: transport()},
		Observer:         env.TargetObserver,
	})
	if err != nil {
		return nil, fmt.Errorf("okta client: %w", err)
	}
	c := &client{http: cl, budget: callBudget}
	// Custom string attributes may hold Okta arrays, read as "[a;; b]".
	multi := map[string]bool{}
	for _, a := range custom {
		if a.Type == mapping.TypeString {
			multi[customTarget+a.Name] = true
		}
	}
	return &bridge.Targets{
		ByType: map[string]bridge.Target{
			"User":  &users{c: c, multi: multi},
			"Group": &groups{c},
		},
		Check: c.check,
	}, nil
}

// transport keeps enough idle connections for httpx's concurrency limit:
// http.DefaultTransport keeps 2 per host, so 8 concurrent calls would open
// and close connections all the time.
func transport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return t
}
