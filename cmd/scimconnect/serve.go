package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/scimconnect/scimconnect/admin"
	"github.com/scimconnect/scimconnect/config"
	"github.com/scimconnect/scimconnect/connector"
	"github.com/scimconnect/scimconnect/connector/builtin"
	"github.com/scimconnect/scimconnect/gateway"
)

func randRead(b []byte) (int, error) { return rand.Read(b) }

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve")
	path := fs.String("config", "scimconnect.yaml", "configuration file")
	if err := parseFlags(fs, "serve [--config scimconnect.yaml]", args, stdout, stderr); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	reg := builtin.Registry()
	for i, in := range cfg.Instances {
		typ, ok := reg[in.Type]
		if !ok {
			return fmt.Errorf("%s: instances[%d].type: unknown connector type %q (see 'scimconnect connectors')", *path, i, in.Type)
		}
		if err := checkParamNames(typ, in.Parameters); err != nil {
			return fmt.Errorf("%s: instances[%d].parameters.%w", *path, i, err)
		}
	}
	log, closeLog, err := newLogger(stderr, cfg.Log.Format, cfg.Log.Level)
	if err != nil {
		return err
	}
	defer closeLog()
	listen := cfg.Listen
	if listen == "" {
		listen = "127.0.0.1:8080"
	}
	data := cfg.Data
	if data == "" {
		data = "./data"
	}
	keys, err := loadKeyring(cfg.Secrets)
	if err != nil {
		return err
	}
	if keys != nil {
		log.Info("secret key loaded", "key_id", keys.KeyID())
	} else {
		log.Warn("no secret key configured (secrets.key_file or secrets.key_env): the admin API refuses secret parameters")
	}
	st, err := openConfiguredStore(ctx, cfg, data)
	if err != nil {
		return err
	}
	defer st.Close()
	key, err := cursorKey(ctx, st, keys)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	public := cfg.PublicURL
	if public == "" {
		public = publicURLFor(ln)
	}
	gw, stopAudit, err := newGateway(st, public, cfg, key, log)
	if err != nil {
		return err
	}
	defer stopAudit() // after gw.Close, before st.Close
	defer gw.Close()
	var configured []gateway.InstanceSpec
	for _, in := range cfg.Instances {
		spec, err := authSpec(in)
		if err != nil {
			return err
		}
		params, err := json.Marshal(in.Parameters)
		if err != nil {
			return fmt.Errorf("instance %q: parameters: %w", in.Name, err)
		}
		if len(in.Parameters) == 0 {
			params = nil
		}
		spec.Name, spec.Type, spec.Params = in.Name, in.Type, params
		spec.CustomAttributes, spec.DisabledAttributes = in.CustomAttributes, in.DisabledAttributes
		if err := gw.Mount(ctx, spec); err != nil {
			return err
		}
		configured = append(configured, spec)
		attrs := []any{"instance", in.Name, "type", in.Type, "scim_base_url", gw.BaseURL(in.Name)}
		if len(spec.Clients) > 0 {
			attrs = append(attrs, "token_url", gw.TokenURL(in.Name))
		}
		log.Info("instance ready", attrs...)
	}
	// Instances created through the admin API live in the store; the
	// file's instances win over stored ones of the same name.
	// The syncer mounts them now and then follows the store, so that a
	// change made through any replica sharing it is served here within
	// a second.
	adminOpts := admin.Options{Gateway: gw, Store: st, Registry: reg, Config: configured, Logger: log, Secrets: keys}
	syncer, err := admin.NewSyncer(adminOpts)
	if err != nil {
		return err
	}
	adminOpts.Syncer = syncer
	first, err := syncer.Reconcile(ctx)
	if err != nil {
		return err
	}
	stored := first.Mounted
	for _, name := range stored {
		log.Info("instance ready", "instance", name, "source", "store", "scim_base_url", gw.BaseURL(name))
	}
	var handler http.Handler = gw
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	syncDone := make(chan struct{})
	go func() {
		defer close(syncDone)
		syncer.Run(ctx, admin.DefaultSyncInterval)
	}()
	// Stop the syncer before the deferred gw.Close, so that it does not
	// mount into a closed gateway.
	defer func() { cancel(); <-syncDone }()
	adminDone := make(chan error, 1)
	adminDone <- nil // replaced below when the admin API has its own listener
	if cfg.Admin.Enabled() {
		adminOpts.TokenHash = gateway.HashToken(cfg.Admin.Token)
		if cfg.Admin.TokenSHA256 != "" {
			if adminOpts.TokenHash, err = hex.DecodeString(cfg.Admin.TokenSHA256); err != nil {
				return fmt.Errorf("admin.token_sha256: %w", err)
			}
		}
		adm, err := admin.New(adminOpts)
		if err != nil {
			return err
		}
		if cfg.Admin.Listen == "" {
			handler = adm.Wrap(gw)
			log.Info("admin API enabled", "url", public+admin.Prefix)
		} else {
			adminLn, err := net.Listen("tcp", cfg.Admin.Listen)
			if err != nil {
				return fmt.Errorf("admin.listen: %w", err)
			}
			log.Info("admin API enabled", "url", publicURLFor(adminLn)+admin.Prefix)
			// The admin listener serves only the admin API. Either
			// server stopping stops the other.
			<-adminDone
			go func() {
				err := serveUntilDone(ctx, adminLn, adm.Wrap(http.NotFoundHandler()), gw, cfg.Limits, log)
				cancel()
				adminDone <- err
			}()
		}
	}
	log.Info("scimconnect serving", "addr", ln.Addr().String(), "version", version)
	fmt.Fprintf(stdout, "scimconnect %s serving %d instance(s) on %s\n", version, len(cfg.Instances)+len(stored), public)
	err = serveUntilDone(ctx, ln, handler, gw, cfg.Limits, log)
	cancel()
	if aerr := <-adminDone; aerr != nil {
		err = errors.Join(err, fmt.Errorf("admin API: %w", aerr))
	}
	return err
}

// authSpec turns an instance's credentials in the file into the gateway's
// form: a static token (hashed), OAuth clients (secrets hashed), external
// JWT issuers, and the read-only flag of the static token.
func authSpec(in config.Instance) (gateway.InstanceSpec, error) {
	var spec gateway.InstanceSpec
	switch {
	case in.TokenSHA256 != "":
		hash, err := hex.DecodeString(in.TokenSHA256)
		if err != nil {
			return spec, fmt.Errorf("instance %q: token_sha256: %w", in.Name, err)
		}
		spec.TokenHash = hash
	case in.Token != "":
		spec.TokenHash = gateway.HashToken(in.Token)
	}
	if err := admin.ApplyAuth(&spec, in.Auth); err != nil {
		return spec, fmt.Errorf("instance %q: %w", in.Name, err)
	}
	return spec, nil
}

// checkParamNames refuses a parameter the connector type does not declare,
// spelled exactly, as the admin API does.
func checkParamNames(typ connector.Type, params map[string]any) error {
	k, ok := connector.UnknownParam(typ, params)
	if !ok {
		return nil
	}
	declared := make([]string, len(typ.Params))
	for i, p := range typ.Params {
		declared[i] = p.Name
	}
	return fmt.Errorf("%s: unknown parameter of connector type %s, which takes %s", k, typ.Name, strings.Join(declared, ", "))
}
