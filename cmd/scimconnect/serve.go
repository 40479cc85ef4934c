package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"

	"github.com/scimconnect/scimconnect/config"
	"github.com/scimconnect/scimconnect/connector/builtin"
	"github.com/scimconnect/scimconnect/gateway"
)

func randRead(b []byte) (int, error) { return rand.Read(b) }

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "scimconnect.yaml", "configuration file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	reg := builtin.Registry()
	for i, in := range cfg.Instances {
		if _, ok := reg[in.Type]; !ok {
			return fmt.Errorf("%s: instances[%d].type: unknown connector type %q (see 'scimconnect connectors')", *path, i, in.Type)
		}
	}
	log, err := newLogger(stderr, cfg.Log.Format, cfg.Log.Level)
	if err != nil {
		return err
	}
	listen := cfg.Listen
	if listen == "" {
		listen = "127.0.0.1:8080"
	}
	data := cfg.Data
	if data == "" {
		data = "./data"
	}
	st, err := openConfiguredStore(ctx, cfg, data)
	if err != nil {
		return err
	}
	defer st.Close()
	key, err := cursorKey(ctx, st)
	if err != nil {
		return fmt.Errorf("cursor key: %w", err)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	public := cfg.PublicURL
	if public == "" {
		public = publicURLFor(ln)
	}
	gw := newGateway(st, public, cfg.Limits, key, log)
	defer gw.Close()
	for _, in := range cfg.Instances {
		hash := gateway.HashToken(in.Token)
		if in.TokenSHA256 != "" {
			if hash, err = hex.DecodeString(in.TokenSHA256); err != nil {
				return fmt.Errorf("instance %q: token_sha256: %w", in.Name, err)
			}
		}
		params, err := json.Marshal(in.Parameters)
		if err != nil {
			return fmt.Errorf("instance %q: parameters: %w", in.Name, err)
		}
		if len(in.Parameters) == 0 {
			params = nil
		}
		spec := gateway.InstanceSpec{
			Name: in.Name, Type: in.Type, Params: params, TokenHash: hash,
			CustomAttributes: in.CustomAttributes, DisabledAttributes: in.DisabledAttributes,
		}
		if err := gw.Mount(ctx, spec); err != nil {
			return err
		}
		log.Info("instance ready", "instance", in.Name, "type", in.Type, "scim_base_url", gw.BaseURL(in.Name))
	}
	log.Info("scimconnect serving", "addr", ln.Addr().String(), "version", version)
	fmt.Fprintf(stdout, "scimconnect %s serving %d instance(s) on %s\n", version, len(cfg.Instances), public)
	return serveUntilDone(ctx, ln, gw, gw, cfg.Limits, log)
}
