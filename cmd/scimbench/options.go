package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

// scenarioNames lists the scenarios in the order they run.
var scenarioNames = []string{"create", "get", "filter", "page", "patch", "members", "getgroup", "delete"}

// options are the flags of "scimbench run".
type options struct {
	base, token         string
	stateFile, instance string
	bare, compare       bool
	allowRemote         bool
	jsonOut             bool
	users, concurrency  int
	requests            int
	batch               int
	duration, timeout   time.Duration
	maxTime             time.Duration
	scenarios           []string
	pid                 int
}

// errUsage marks a bad command line; run exits 2 on it.
var errUsage = errors.New("usage")

func parseOptions(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("scimbench run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.base, "base", "", "SCIM base URL of the target, e.g. http://127.0.0.1:8080/scim/local/v2")
	fs.StringVar(&o.token, "token", "", "bearer token for --base")
	fs.StringVar(&o.stateFile, "state", "", "demo state file naming the target instead of --base/--token")
	fs.StringVar(&o.instance, "instance", "", "instance name in --state (default: the only one)")
	fs.BoolVar(&o.bare, "bare", false, "target an in-process bare net/http SCIM server")
	fs.BoolVar(&o.compare, "compare", false, "also run every scenario against an in-process bare server and print target/bare ratios")
	fs.BoolVar(&o.allowRemote, "allow-remote", false, "allow a target that is not a loopback address")
	fs.BoolVar(&o.jsonOut, "json", false, "print the report as JSON")
	fs.IntVar(&o.users, "n", 10000, "users to create; also the large group's size")
	fs.IntVar(&o.requests, "requests", 0, "request budget of each timed scenario (default: --n)")
	fs.IntVar(&o.concurrency, "c", 32, "concurrent clients")
	fs.IntVar(&o.batch, "batch", 50, "members per member PATCH")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "time cap of each timed scenario")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "timeout of each request")
	fs.DurationVar(&o.maxTime, "max-time", 10*time.Minute, "time cap of each counted scenario (create, page, member build, delete)")
	scenarios := fs.String("scenarios", "all", "comma-separated scenarios: "+strings.Join(scenarioNames, ","))
	fs.IntVar(&o.pid, "pid", 0, "server process id whose RSS to sample every 100 ms (Linux /proc)")
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	var err error
	if o.scenarios, err = parseScenarios(*scenarios); err != nil {
		return nil, fmt.Errorf("%w: %w", errUsage, err)
	}
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", errUsage, err)
	}
	if o.requests == 0 {
		o.requests = o.users
	}
	return o, nil
}

func (o *options) validate() error {
	targets := 0
	for _, set := range []bool{o.base != "", o.stateFile != "", o.bare} {
		if set {
			targets++
		}
	}
	switch {
	case targets != 1:
		return errors.New("give exactly one target: --base URL --token T, --state FILE [--instance NAME], or --bare")
	case o.base != "" && o.token == "":
		return errors.New("--base needs --token")
	case o.instance != "" && o.stateFile == "":
		return errors.New("--instance needs --state")
	case o.users < 1:
		return errors.New("--n must be at least 1")
	case o.concurrency < 1:
		return errors.New("--c must be at least 1")
	case o.batch < 1:
		return errors.New("--batch must be at least 1")
	case o.duration <= 0 || o.timeout <= 0 || o.maxTime <= 0:
		return errors.New("--duration, --timeout and --max-time must be positive")
	case o.requests < 0:
		return errors.New("--requests must not be negative")
	case o.pid < 0:
		return errors.New("--pid must be a process id")
	}
	return nil
}

// parseScenarios accepts "all" or a comma list of known names, and returns
// them in run order whatever order they were given in.
func parseScenarios(list string) ([]string, error) {
	if strings.TrimSpace(list) == "all" {
		return slices.Clone(scenarioNames), nil
	}
	want := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(scenarioNames, name) {
			return nil, fmt.Errorf("unknown scenario %q (known: %s)", name, strings.Join(scenarioNames, ","))
		}
		want[name] = true
	}
	var out []string
	for _, name := range scenarioNames {
		if want[name] {
			out = append(out, name)
		}
	}
	return out, nil
}

// stateFile is the part of the "scimconnect demo" state file scimbench reads.
type stateFile struct {
	Instances []struct {
		Name        string `json:"name"`
		Type        string `json:"type"`
		SCIMBaseURL string `json:"scim_base_url"`
		Token       string `json:"token"`
	} `json:"instances"`
}

// readState returns the base URL and token of the named instance in the
// demo state file; an empty name picks the only instance.
func readState(path, name string) (base, token string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("reading state file: %w", err)
	}
	var st stateFile
	if err := json.Unmarshal(data, &st); err != nil {
		return "", "", fmt.Errorf("parsing state file %s: %w", path, err)
	}
	var names []string
	for _, in := range st.Instances {
		names = append(names, in.Name)
		if in.Name == name || (name == "" && len(st.Instances) == 1) {
			if in.SCIMBaseURL == "" || in.Token == "" {
				return "", "", fmt.Errorf("instance %q in %s has no scim_base_url or token", in.Name, path)
			}
			return in.SCIMBaseURL, in.Token, nil
		}
	}
	if name == "" {
		return "", "", fmt.Errorf("state file %s has %d instances (%s): pick one with --instance", path, len(names), strings.Join(names, ", "))
	}
	return "", "", fmt.Errorf("no instance %q in %s (have: %s)", name, path, strings.Join(names, ", "))
}

// checkLoopback refuses a base URL whose host is not a loopback address:
// a load generator must not be pointed at someone else's service by
// accident. --allow-remote lifts it.
func checkLoopback(ctx context.Context, base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return fmt.Errorf("parsing base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("base URL %q: scheme must be http or https", base)
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("base URL %q has no host", base)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil {
		if ip.IsLoopback() {
			return nil
		}
		return fmt.Errorf("base URL host %s is not a loopback address (use --allow-remote)", host)
	}
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return fmt.Errorf("resolving %s: %w", host, err)
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return fmt.Errorf("base URL host %s resolves to %s, not a loopback address (use --allow-remote)", host, a.IP)
		}
	}
	return nil
}
