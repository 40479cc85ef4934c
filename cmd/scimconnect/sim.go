package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/builtin"
)

// cmdSim serves a connector's target simulator: scimconnect sim okta --addr 127.0.0.1:9001.
func cmdSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	reg := builtin.Registry()
	var names []string
	for n, t := range reg {
		if t.Simulator != nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	fs := newFlags("sim")
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	synopsis := "sim <type> [--addr 127.0.0.1:PORT]\n\nTypes with a simulator: " + strings.Join(names, ", ")
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		// Only help may come before the type.
		if err := parseFlags(fs, synopsis, args, stdout, stderr); err != nil {
			return err
		}
		return misused(stderr, fs, synopsis, errors.New("sim: missing connector type"))
	}
	typ, ok := reg[args[0]]
	if !ok || typ.Simulator == nil {
		return misused(stderr, fs, synopsis, fmt.Errorf("sim: no simulator for connector type %q", args[0]))
	}
	if err := parseFlags(fs, synopsis, args[1:], stdout, stderr); err != nil {
		return err
	}
	sim := typ.Simulator()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", *addr)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "%s simulator listening on %s\naccepts: %s\ninstance parameters: %s\n", typ.Name, base, sim.Credentials(), sim.Params(base))
	return serveSim(ctx, ln, sim)
}

// startSim serves a simulator on a loopback port for the demo and returns
// its base URL; it stops with ctx.
func startSim(ctx context.Context, sim connector.Simulator) (string, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("simulator: %w", err)
	}
	go func() { _ = serveSim(ctx, ln, sim) }()
	return "http://" + ln.Addr().String(), nil
}

func serveSim(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}
