package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/scimconnect/scimconnect/internal/bareserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: scimbench run [flags]

Drives a SCIM 2.0 base URL with a fixed concurrency and reports req/s and
latency per scenario. Run "scimbench run -h" for the flags.
`

// run is the whole program; it returns the exit status: 0 when every
// scenario ran without errors, 1 when a scenario had errors or the run
// failed, 2 on a bad command line.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] != "run" {
		fmt.Fprintf(stderr, "scimbench: unknown command %q\n%s", args[0], usage)
		return 2
	}
	opts, err := parseOptions(args[1:], stderr)
	if errors.Is(err, errUsage) {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "scimbench: %v\n", err)
			return 2
		}
		return 0
	}

	out := &output{Users: opts.users, Requests: opts.requests, Concurrency: opts.concurrency, Duration: opts.duration.String(), Batch: opts.batch}
	targets, err := resolveTargets(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "scimbench: %v\n", err)
		return 1
	}
	failed := false
	for _, t := range targets {
		rep, err := runTarget(ctx, opts, t, stderr)
		if rep != nil {
			out.Runs = append(out.Runs, *rep)
		}
		if err != nil {
			// Report what ran, e.g. after an interrupt.
			fmt.Fprintf(stderr, "scimbench: %s: %v\n", t.label, err)
			failed = true
			break
		}
	}
	if len(out.Runs) == 0 {
		return 1
	}
	if len(out.Runs) == 2 {
		out.Ratios = ratios(out.Runs[0], out.Runs[1])
	}
	if opts.jsonOut {
		err = writeJSON(stdout, out)
	} else {
		err = writeTable(stdout, out)
	}
	if err != nil {
		fmt.Fprintf(stderr, "scimbench: writing report: %v\n", err)
		return 1
	}
	if failed || out.hasErrors() {
		return 1
	}
	return 0
}

// target is one SCIM service to drive. start, when set, brings up an
// in-process server and returns its base URL and a stop function; it runs
// just before the target's scenarios so two bare servers never coexist.
type target struct {
	label string
	base  string
	token string
	start func() (base string, stop func(), err error)
}

func resolveTargets(ctx context.Context, opts *options) ([]target, error) {
	var primary target
	switch {
	case opts.bare:
		primary = bareTarget("bare")
	case opts.stateFile != "":
		base, token, err := readState(opts.stateFile, opts.instance)
		if err != nil {
			return nil, err
		}
		primary = target{label: "target", base: base, token: token}
	default:
		primary = target{label: "target", base: opts.base, token: opts.token}
	}
	if primary.start == nil && !opts.allowRemote {
		if err := checkLoopback(ctx, primary.base); err != nil {
			return nil, err
		}
	}
	targets := []target{primary}
	if opts.compare {
		if opts.bare {
			targets[0].label = "target"
		}
		targets = append(targets, bareTarget("bare"))
	}
	return targets, nil
}

// bareTarget is an in-process bareserver on a free 127.0.0.1 port.
func bareTarget(label string) target {
	token := rand.Text()
	return target{
		label: label,
		token: token,
		start: func() (string, func(), error) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return "", nil, fmt.Errorf("starting bare server: %w", err)
			}
			srv := &http.Server{Handler: bareserver.New(token), ReadHeaderTimeout: 10 * time.Second}
			done := make(chan struct{})
			go func() {
				defer close(done)
				_ = srv.Serve(ln) // returns http.ErrServerClosed on Shutdown
			}()
			stop := func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if srv.Shutdown(ctx) != nil {
					_ = srv.Close()
				}
				<-done
			}
			return "http://" + ln.Addr().String(), stop, nil
		},
	}
}

// runTarget runs the selected scenarios against one target.
func runTarget(ctx context.Context, opts *options, t target, stderr io.Writer) (*report, error) {
	base := t.base
	if t.start != nil {
		b, stop, err := t.start()
		if err != nil {
			return nil, err
		}
		defer stop()
		base = b
	}
	base = strings.TrimRight(base, "/")
	pid := opts.pid
	if t.start != nil && opts.compare && t.label == "bare" {
		pid = 0 // --pid names the target's process, not this one
	}
	b := newBench(opts, base, t.token, pid, stderr)
	defer b.client.CloseIdleConnections()
	rep := &report{Label: t.label, BaseURL: base}
	if pid > 0 {
		if _, err := readRSS(pid); err != nil {
			return nil, fmt.Errorf("--pid %d: %w", pid, err)
		}
	}
	b.cursor = b.discoverCursor(ctx)
	rep.CursorPagination = b.cursor
	for _, name := range opts.scenarios {
		rep.Scenarios = append(rep.Scenarios, b.scenario(ctx, name)...)
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("interrupted during %s: %w", name, err)
		}
	}
	b.cleanup(ctx)
	return rep, nil
}
