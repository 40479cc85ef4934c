package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/scimconnect/scimconnect/config"
	"github.com/scimconnect/scimconnect/connector/builtin"
	"github.com/scimconnect/scimconnect/gateway"
	"github.com/scimconnect/scimconnect/store"
)

// State is the demo's state file; its format is fixed, scripts rely on it.
type State struct {
	Instances []StateInstance `json:"instances"`
}

// StateInstance is one instance in the state file.
type StateInstance struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	SCIMBaseURL string `json:"scim_base_url"`
	Token       string `json:"token"`
}

// demoInstances are created by the demo when missing.
var demoInstances = []struct{ name, typ string }{
	{"local", "local"},
	{"okta", "okta"},
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	data := fs.String("data", "./data", "data directory")
	statePath := fs.String("state-file", "", "state file (default DATA/demo.json)")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	if err := parseFlags(fs, "demo [flags]", args, stdout, stderr); err != nil {
		return err
	}
	if *statePath == "" {
		*statePath = filepath.Join(*data, "demo.json")
	}
	log, closeLog, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	defer closeLog()
	st, err := openStore(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	key, err := cursorKey(ctx, st, nil)
	if err != nil {
		return fmt.Errorf("cursor key: %w", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	public := publicURLFor(ln)
	gw, stopAudit, err := newGateway(st, public, &config.File{}, key, log)
	if err != nil {
		return err
	}
	defer stopAudit() // after gw.Close, before st.Close
	defer gw.Close()

	// The simulators outlive the signal: they stop only once the gateway
	// has answered its requests in flight, which may still call them.
	simCtx, stopSims := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSims()

	previous := readState(*statePath)
	var state State
	for _, di := range demoInstances {
		token, err := ensureInstance(ctx, st, di.name, di.typ, previous)
		if err != nil {
			return err
		}
		in, err := loadInstance(ctx, st, di.name)
		if err != nil {
			return err
		}
		params := in.Config
		if typ := builtin.Registry()[di.typ]; typ.Simulator != nil {
			// Target connectors run against their in-process simulator.
			sim := typ.Simulator()
			base, err := startSim(simCtx, sim)
			if err != nil {
				return err
			}
			params = sim.Params(base)
		}
		if err := gw.Mount(ctx, gateway.InstanceSpec{Name: in.Name, Type: in.Type, Params: params, TokenHash: in.TokenHash}); err != nil {
			return err
		}
		state.Instances = append(state.Instances, StateInstance{Name: in.Name, Type: in.Type, SCIMBaseURL: gw.BaseURL(in.Name), Token: token})
	}
	if err := writeState(*statePath, &state); err != nil {
		return err
	}
	printSummary(stdout, *statePath, &state)
	return serveUntilDone(ctx, ln, gw, gw, config.Limits{}, log)
}

func readState(path string) *State {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var s State
	if json.Unmarshal(data, &s) != nil {
		return nil
	}
	return &s
}

// ensureInstance creates a demo instance if missing and returns its token.
// The token of an existing instance is only known through the previous
// state file; if that does not match the stored hash, the token is rotated.
func ensureInstance(ctx context.Context, st store.Store, name, typ string, previous *State) (string, error) {
	known := ""
	if previous != nil {
		for _, in := range previous.Instances {
			if in.Name == name {
				known = in.Token
			}
		}
	}
	reg := builtin.Registry()
	var token string
	err := st.Update(ctx, func(tx store.Tx) error {
		cur, err := tx.GetInstance(ctx, name)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if cur != nil && known != "" && subtle.ConstantTimeCompare(gateway.HashToken(known), cur.TokenHash) == 1 {
			token = known
			return nil
		}
		if token, err = gateway.NewToken(); err != nil {
			return err
		}
		now := time.Now().UTC()
		if cur == nil {
			return tx.CreateInstance(ctx, &store.Instance{
				Name: name, Type: typ, Version: reg[typ].Version,
				TokenHash: gateway.HashToken(token), Created: now, Modified: now,
			})
		}
		cur.TokenHash = gateway.HashToken(token)
		cur.Modified = now
		return tx.UpdateInstance(ctx, cur)
	})
	if err != nil {
		return "", fmt.Errorf("demo instance %q: %w", name, err)
	}
	return token, nil
}

func loadInstance(ctx context.Context, st store.Store, name string) (*store.Instance, error) {
	var in *store.Instance
	err := st.View(ctx, func(tx store.Tx) error {
		var err error
		in, err = tx.GetInstance(ctx, name)
		return err
	})
	return in, err
}

// writeState writes the state file atomically, readable only by its owner
// since it holds tokens.
func writeState(path string, s *State) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".demo-*.json")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("state file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}

func printSummary(w io.Writer, statePath string, s *State) {
	fmt.Fprintf(w, "scimconnect %s demo is running. State file: %s\n\n", version, statePath)
	for _, in := range s.Instances {
		fmt.Fprintf(w, "  instance %-8s %-9s %s\n", in.Name, "("+in.Type+")", in.SCIMBaseURL)
	}
	if len(s.Instances) > 0 {
		// The token is read from the state file rather than printed, so it
		// never lands in terminal scrollback or CI logs.
		in := s.Instances[0]
		fmt.Fprintf(w, "\nTry it:\n  TOKEN=$(sed -n 's/.*\"token\": \"\\(.*\\)\".*/\\1/p' %s | head -1)\n", statePath)
		fmt.Fprintf(w, "  curl -H \"Authorization: Bearer $TOKEN\" %s/Users\n", in.SCIMBaseURL)
		fmt.Fprintf(w, "  curl -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/scim+json' \\\n")
		fmt.Fprintf(w, "       -d '{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"grace@example.com\"}' %s/Users\n", in.SCIMBaseURL)
	}
	fmt.Fprintln(w, "\nPress Ctrl+C to stop.")
}
