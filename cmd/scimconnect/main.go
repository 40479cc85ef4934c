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
	"errors"
	"flag"
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
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "scimconnect:", err)
	}
	os.Exit(exitCode(err))
}

// exitCode is the process's exit status for run's result: 0 on success
// (help included), 2 for a mistake on the command line, 1 otherwise.
func exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		return 2
	}
	return 1
}

// usageError is a mistake on the command line; the usage has been
// printed to stderr.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // asked for help, and it was printed
	}
	return err
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return usageError{errors.New("missing command")}
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], stdout, stderr)
	case "demo":
		return cmdDemo(ctx, args[1:], stdout, stderr)
	case "connectors":
		if err := parseFlags(newFlags("connectors"), "connectors", args[1:], stdout, stderr); err != nil {
			return err
		}
		return cmdConnectors(stdout)
	case "sim":
		return cmdSim(ctx, args[1:], stdout, stderr)
	case "rekey":
		return cmdRekey(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-v":
		if err := parseFlags(newFlags("version"), "version", args[1:], stdout, stderr); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "scimconnect", version)
		return nil
	case "help", "-h", "--help", "-help":
		if len(args) > 1 && args[1] != "help" && args[0] == "help" {
			return dispatch(ctx, []string{args[1], "--help"}, stdout, stderr)
		}
		usage(stdout)
		return nil
	}
	usage(stderr)
	return usageError{fmt.Errorf("unknown command %q", args[0])}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `scimconnect: a SCIM 2.0 connector gateway

Usage:
  scimconnect demo [--addr 127.0.0.1:8080] [--data ./data] [--state-file DATA/demo.json]
                   [--log-format text|json] [--log-level info]
  scimconnect serve --config scimconnect.yaml
  scimconnect connectors
  scimconnect sim <type> [--addr 127.0.0.1:PORT]
  scimconnect rekey --config scimconnect.yaml (--new-key-file PATH | --new-key-env NAME)
  scimconnect version

'scimconnect <command> --help' describes a command's flags.
`)
}

// newFlags returns a command's flag set; parseFlags prints its messages.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses a command's flags; synopsis is its usage line after
// "scimconnect ". Asked for help (-h, --help), it prints the usage to
// stdout and returns flag.ErrHelp, which run turns into success. A
// mistake, an argument that is not a flag included, prints the usage to
// stderr and returns a usageError.
func parseFlags(fs *flag.FlagSet, synopsis string, args []string, stdout, stderr io.Writer) error {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printFlags(stdout, fs, synopsis)
		return err
	case err != nil:
		return misused(stderr, fs, synopsis, fmt.Errorf("%s: %w", fs.Name(), err))
	case fs.NArg() > 0:
		return misused(stderr, fs, synopsis, fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0)))
	}
	return nil
}

// misused prints a command's usage to stderr and returns err as the
// usageError of a mistake on the command line.
func misused(stderr io.Writer, fs *flag.FlagSet, synopsis string, err error) error {
	printFlags(stderr, fs, synopsis)
	return usageError{err}
}

func printFlags(w io.Writer, fs *flag.FlagSet, synopsis string) {
	fmt.Fprintf(w, "Usage: scimconnect %s\n", synopsis)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}
