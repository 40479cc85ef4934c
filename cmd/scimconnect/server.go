package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/scimconnect/scimconnect/audit"
	"github.com/scimconnect/scimconnect/clientauth"
	"github.com/scimconnect/scimconnect/config"
	"github.com/scimconnect/scimconnect/connector/builtin"
	"github.com/scimconnect/scimconnect/gateway"
	"github.com/scimconnect/scimconnect/internal/logbuf"
	"github.com/scimconnect/scimconnect/metrics"
	"github.com/scimconnect/scimconnect/scim/filter"
	"github.com/scimconnect/scimconnect/scim/provider"
	"github.com/scimconnect/scimconnect/store"
	"github.com/scimconnect/scimconnect/store/postgres"
	"github.com/scimconnect/scimconnect/store/sqlite"
)

// newLogger builds the process logger: text or JSON on w, written out in
// batches (logbuf: at most 100 ms late, at once from level Warn). The
// returned func writes out what is buffered; call it before exiting.
func newLogger(w io.Writer, format, level string) (*slog.Logger, func() error, error) {
	var lvl slog.Level
	if level != "" {
		if err := lvl.UnmarshalText([]byte(level)); err != nil {
			return nil, nil, fmt.Errorf("log level %q: %w", level, err)
		}
	}
	opts := &slog.HandlerOptions{Level: lvl}
	out := logbuf.New(w, logbuf.DefaultInterval, logbuf.DefaultSize)
	var h slog.Handler
	switch format {
	case "", "text":
		h = slog.NewTextHandler(out, opts)
	case "json":
		h = slog.NewJSONHandler(out, opts)
	default:
		return nil, nil, fmt.Errorf("log format %q: must be text or json", format)
	}
	return slog.New(logbuf.Handler(h, out)), out.Close, nil
}

// providerConfig turns configured limits into provider settings.
func providerConfig(l config.Limits, cursorKey []byte) provider.Config {
	cfg := provider.DefaultConfig()
	if l.MaxBodyBytes > 0 {
		cfg.MaxBodyBytes = l.MaxBodyBytes
	}
	if l.DefaultPageSize > 0 {
		cfg.DefaultPageSize = l.DefaultPageSize
	}
	if l.MaxPageSize > 0 {
		cfg.MaxPageSize = l.MaxPageSize
	}
	if l.FilterMaxLength > 0 {
		cfg.FilterLimits.MaxLength = l.FilterMaxLength
	}
	if l.FilterMaxDepth > 0 {
		cfg.FilterLimits.MaxDepth = l.FilterMaxDepth
	}
	if cfg.FilterLimits == (filter.Limits{}) {
		cfg.FilterLimits = filter.DefaultLimits
	}
	if l.BulkMaxOperations > 0 {
		cfg.BulkMaxOperations = l.BulkMaxOperations
	}
	if l.BulkMaxPayload > 0 {
		cfg.BulkMaxPayload = l.BulkMaxPayload
	}
	if l.CursorTTL > 0 {
		cfg.CursorTTL = l.CursorTTL
	}
	cfg.CursorKey = cursorKey
	return cfg
}

// openConfiguredStore opens the store a configuration file selects.
func openConfiguredStore(ctx context.Context, cfg *config.File, dataDir string) (store.Store, error) {
	if cfg.Store.Type == "postgres" {
		var opts []postgres.Option
		if cfg.Store.Schema != "" {
			opts = append(opts, postgres.WithSchema(cfg.Store.Schema))
		}
		return postgres.Open(ctx, cfg.Store.DSN, opts...)
	}
	return openStore(ctx, dataDir)
}

// openStore opens the embedded store in dir.
func openStore(ctx context.Context, dir string) (store.Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	return sqlite.Open(ctx, filepath.Join(dir, "scimconnect.db"))
}

// newGateway builds a gateway over st, with its metrics served at
// /metrics, the store's transactions timed and, unless cfg turns it off,
// the audit log recorded. cfg gives the limits, the metrics token, the
// trusted proxies and the audit retention; Parse has validated them.
// stopAudit writes the audit records still queued and stops the
// retention loop: call it once the HTTP server has stopped, before the
// store closes.
func newGateway(st store.Store, publicURL string, cfg *config.File, key []byte, log *slog.Logger) (_ *gateway.Gateway, stopAudit func(), _ error) {
	m := metrics.New()
	tokens, err := accessTokenSigner(key)
	if err != nil { // only keys shorter than 32 bytes fail; the store key has 32
		log.Warn("OAuth client credentials disabled", "error", err)
	}
	proxies, err := config.ParsePrefixes(cfg.TrustedProxies)
	if err != nil {
		return nil, nil, fmt.Errorf("trusted_proxies: %w", err)
	}
	var metricsToken []byte
	switch {
	case cfg.Metrics.TokenSHA256 != "":
		if metricsToken, err = hex.DecodeString(cfg.Metrics.TokenSHA256); err != nil {
			return nil, nil, fmt.Errorf("metrics.token_sha256: %w", err)
		}
	case cfg.Metrics.Token != "":
		metricsToken = gateway.HashToken(cfg.Metrics.Token)
	}
	rec, stopAudit, err := startAudit(st, cfg.Audit, m, log)
	if err != nil {
		return nil, nil, err
	}
	return gateway.New(gateway.Options{
		PublicURL:        publicURL,
		Provider:         providerConfig(cfg.Limits, key),
		Store:            metrics.InstrumentStore(st, m),
		Registry:         builtin.Registry(),
		Logger:           log,
		Metrics:          m,
		MetricsTokenHash: metricsToken,
		TrustedProxies:   proxies,
		AuthLimit:        gateway.AuthLimit{Failures: cfg.Limits.AuthFailures, Refill: cfg.Limits.AuthFailureRefill},
		AccessTokens:     tokens,
		Audit:            rec,
		RequestTimeout:   requestTimeout(cfg.Limits),
	}), stopAudit, nil
}

// startAudit starts the audit log cfg asks for: the recorder the gateway
// hands records to (its metrics in m) and the retention loop. With the
// audit log off, or a store without one, rec is nil and stop does
// nothing.
func startAudit(st store.Store, cfg config.Audit, m *metrics.Metrics, log *slog.Logger) (rec *audit.Recorder, stop func(), err error) {
	retention, on := cfg.RetentionPeriod()
	al, ok := store.AuditLogOf(st)
	if !on || !ok {
		if on {
			log.Warn("audit log off: the store keeps none")
		}
		return nil, func() {}, nil
	}
	rec, err = audit.NewRecorder(audit.RecorderOptions{Log: al, Logger: log, Registerer: m.Registry()})
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		(&audit.Retainer{Log: al, Retention: retention, Logger: log}).Run(ctx)
	}()
	log.Info("audit log on", "retention", retention)
	return rec, func() {
		cancel()
		<-done
		if err := rec.Close(); err != nil {
			log.Error("audit log: records lost at shutdown", "error", err)
		}
	}, nil
}

// accessTokenSigner derives the key of the OAuth access tokens scimconnect
// issues from the store-wide key (HKDF), so replicas sharing the store
// accept each other's tokens.
func accessTokenSigner(storeKey []byte) (*clientauth.Signer, error) {
	k, err := clientauth.DeriveKey(storeKey)
	if err != nil {
		return nil, err
	}
	return clientauth.NewHMACSigner(k)
}

// serveUntilDone serves h on ln until ctx ends, then shuts down gracefully,
// letting requests in flight finish (up to 30 s).
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler, gw *gateway.Gateway, limits config.Limits, log *slog.Logger) error {
	read, write := serverTimeouts(limits)
	srv := &http.Server{
		Handler:           gateway.LogRequests(log, h),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       read,
		WriteTimeout:      write,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	gw.SetReady(false)
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// serverTimeouts are the HTTP server's read and write timeouts, 60 s
// unless configured.
func serverTimeouts(limits config.Limits) (read, write time.Duration) {
	read, write = limits.ReadTimeout, limits.WriteTimeout
	if read <= 0 {
		read = 60 * time.Second
	}
	if write <= 0 {
		write = 60 * time.Second
	}
	return read, write
}

// requestTimeout is the deadline of each SCIM request: a tenth short of
// the write timeout, so that a request held up by a slow target still
// gets a SCIM error instead of a connection the server drops.
func requestTimeout(limits config.Limits) time.Duration {
	_, write := serverTimeouts(limits)
	return write - write/10
}

func publicURLFor(ln net.Listener) string {
	addr := ln.Addr().String()
	if strings.HasPrefix(addr, "[::]:") || strings.HasPrefix(addr, "0.0.0.0:") {
		_, port, _ := net.SplitHostPort(addr)
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	return "http://" + addr
}
