package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/unguessable/secrets/code"
	"github.com/unguessable/secrets/server"
	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/store/postgres"
	"github.com/unguessable/secrets/store/sqlite"
)

// The keys of serve's own log lines (scripts read "listening addr=");
// the server's subsystems log under their own.
const (
	logAddr  = "addr"
	logStore = "store"
)

// Defaults of secrets serve.
const (
	defaultServeAddr = "127.0.0.1:8427"
	defaultServeDB   = "secrets.db"
	defaultPoolConns = 16 // PostgreSQL connections per instance, unless the URL sets pool_max_conns
)

func newServeCmd(s Streams) *cobra.Command {
	var addr, db, logFormat string
	var quiet bool
	var retention time.Duration
	cmd := &cobra.Command{
		Use:   "serve [--addr HOST:PORT] [--db PATH|postgres://URL]",
		Short: "Serve the HTTP API that issues and verifies API keys, tokens and codes",
		Long: `Serve a JSON HTTP API that issues and verifies API keys, one-time tokens
and one-time codes, for programs in any language. The API is described at
/openapi.json; /healthz and /metrics (Prometheus) need no key.

The database is a SQLite file (secrets.db in the working directory by
default) or, with --db postgres://…, a PostgreSQL database that any number
of instances may share; each instance keeps up to 16 connections unless the
URL sets pool_max_conns. The environment gives defaults: SECRETS_ADDR,
SECRETS_DB.

Every /v1 call needs "Authorization: Bearer <admin key>". The admin key is
SECRETS_ADMIN_KEY if set (at least 32 characters); otherwise the first start
generates one and prints it once on standard error, keeping only its hash.
The pepper that keys the codes' HMACs is SECRETS_PEPPER if set (at least 32
bytes), otherwise generated once and kept in the database.

Logs go to standard error, one line per request, and never hold a secret.
SIGTERM or SIGINT stops the server after in-flight requests finish.`,
		Example: `  secrets serve                                   # 127.0.0.1:8427, ./secrets.db
  secrets serve --addr :8080 --db /var/lib/secrets/secrets.db
  secrets serve --db postgres://secrets@db/secrets --log-format json`,
		Args: noArgs,
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", envOr("SECRETS_ADDR", defaultServeAddr), "the `HOST:PORT` to listen on ($SECRETS_ADDR)")
	f.StringVar(&db, "db", envOr("SECRETS_DB", defaultServeDB), "a SQLite file `PATH` or a postgres:// URL ($SECRETS_DB)")
	f.StringVar(&logFormat, "log-format", "text", "log `FORMAT`: text or json")
	f.BoolVar(&quiet, "quiet-requests", false, "leave out the log line per request")
	f.DurationVar(&retention, "retention", 24*time.Hour, "how long expired, used and revoked records are kept before they are swept")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return withHint(usagef("--addr %q is not HOST:PORT", addr), "such as 127.0.0.1:8427, or :8427 for every interface")
		}
		if db == "" {
			return usagef("--db is empty: give a SQLite file path or a postgres:// URL")
		}
		if retention <= 0 {
			return usagef("--retention %v is not positive", retention)
		}
		// The send throttle counts the codes created in its window; sweeping
		// them sooner would let a subject be sent more codes than allowed.
		if retention < code.DefaultSendWindow {
			return usagef("--retention %v is shorter than the code send window (%v); the send limit would forget codes", retention, code.DefaultSendWindow)
		}
		log, err := newLogger(s.Err, logFormat)
		if err != nil {
			return err
		}
		return serve(cmd.Context(), s, log, addr, db, retention, quiet)
	}
	return cmd
}

func serve(ctx context.Context, s Streams, log *slog.Logger, addr, db string, retention time.Duration, quiet bool) error {
	st, kind, err := openStore(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	digest, generated, err := server.AdminKey(ctx, st, os.Getenv("SECRETS_ADMIN_KEY"))
	if errors.Is(err, server.ErrWeakSecret) {
		return withHint(&usageError{err: err}, "use a random value such as the output of: secrets urlsafe")
	}
	if err != nil {
		return err
	}
	if generated != "" {
		// The one place a secret is printed: the operator needs it, and
		// only its hash is kept.
		fmt.Fprintf(s.Err, "secrets: admin key (shown once, only its hash is kept): %s\n", generated)
	}
	pepper, err := server.Pepper(ctx, st, os.Getenv("SECRETS_PEPPER"))
	if errors.Is(err, server.ErrWeakSecret) {
		return withHint(&usageError{err: err}, "use a random value such as the output of: secrets urlsafe")
	}
	if err != nil {
		return err
	}
	srv, err := server.New(server.Options{Store: st, AdminKeyDigest: digest, Pepper: pepper, Logger: log, Retention: retention, QuietRequests: quiet})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("listening", logAddr, ln.Addr().String(), logStore, kind)
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// openStore opens PostgreSQL for a postgres:// or postgresql:// URL and a
// SQLite file for anything else. Errors never quote the URL, which may hold
// a password.
func openStore(ctx context.Context, db string) (store.Store, string, error) {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		cfg, err := pgxpool.ParseConfig(db)
		if err != nil {
			// pgx's parse errors can quote the URL, password and all.
			return nil, "", usagef("--db: the postgres:// URL does not parse")
		}
		if !strings.Contains(db, "pool_max_conns=") {
			// pgxpool's default, max(4, CPUs), queues a server's
			// concurrent requests behind a few connections.
			cfg.MaxConns = defaultPoolConns
		}
		st, err := postgres.OpenConfig(ctx, cfg, postgres.Options{})
		if err != nil {
			return nil, "", fmt.Errorf("open the database: %w", err)
		}
		return st, "postgres", nil
	}
	if scheme, _, ok := strings.Cut(db, "://"); ok && !strings.ContainsAny(scheme, `/\`) {
		return nil, "", withHint(usagef("--db: %s:// databases are not supported", scheme),
			"give a SQLite file path or a postgres:// URL")
	}
	if db == ":memory:" {
		return nil, "", withHint(usagef("--db :memory: is not supported: the service keeps its keys in a file or in PostgreSQL"),
			"for a throwaway server, give a file in a temporary directory")
	}
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		return nil, "", fmt.Errorf("open the database: %w", err)
	}
	return st, "sqlite", nil
}

// newLogger returns the service's logger on w.
func newLogger(w io.Writer, format string) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usagef("--log-format %q is not text or json", format)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
