// Command scimconnect is the SCIM 2.0 connector gateway.
//
//	scimconnect serve --config scimconnect.yaml   serve the configured instances
//	scimconnect demo [--addr] [--data] [--state-file]   run everything with no configuration
//	scimconnect connectors                        list connector types
//	scimconnect sim <type> [--addr]               serve a connector's target simulator
//	scimconnect rekey --config FILE --new-key-file PATH   re-encrypt stored secrets under a new key
//	scimconnect version                           print the version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "scimconnect:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return fmt.Errorf("missing command")
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], stdout, stderr)
	case "demo":
		return cmdDemo(ctx, args[1:], stdout, stderr)
	case "connectors":
		return cmdConnectors(stdout)
	case "sim":
		return cmdSim(ctx, args[1:], stdout, stderr)
	case "rekey":
		return cmdRekey(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "scimconnect", version)
		return nil
	case "help", "-h", "--help":
		usage(stdout)
		return nil
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprint(w, `scimconnect: a SCIM 2.0 connector gateway

Usage:
  scimconnect demo [--addr 127.0.0.1:8080] [--data ./data] [--state-file DATA/demo.json]
  scimconnect serve --config scimconnect.yaml
  scimconnect connectors
  scimconnect sim <type> [--addr 127.0.0.1:PORT]
  scimconnect rekey --config scimconnect.yaml (--new-key-file PATH | --new-key-env NAME)
  scimconnect version
`)
}
