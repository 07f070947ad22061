package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
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
	logAddr    = "addr"
	logStore   = "store"
	logTLS     = "tls"
	logFile    = "file" // a path, never a file's contents
	logMode    = "mode"
	logAttempt = "attempt"
	logIn      = "in"
	logErr     = "err" // an error's message, which never holds a secret
	logWhy     = "why"
)

// Defaults of secrets serve.
const (
	defaultServeAddr = "127.0.0.1:8427"
	defaultServeDB   = "secrets.db"
	defaultPoolConns = 16 // PostgreSQL connections per instance, unless the URL sets pool_max_conns
	defaultDBWait    = time.Minute
)

// serveConfig is what secrets serve was asked to do.
type serveConfig struct {
	addr, db, logFormat      string
	adminKeyFile, pepperFile string
	tlsCert, tlsKey          string
	metricsAddr              string
	quiet, insecurePerms     bool
	noAuthThrottle           bool
	maxConns                 int
	retention, auditRetain   time.Duration
	dbWait                   time.Duration
	deliver                  deliverConfig
	analytics                analyticsConfig
	dashboard                dashboardConfig
}

func newServeCmd(s Streams) *cobra.Command {
	var c serveConfig
	cmd := &cobra.Command{
		Use:   "serve [--addr HOST:PORT] [--db PATH|postgres://URL]",
		Short: "Serve the HTTP API that issues and verifies API keys, tokens and codes",
		Long: `Serve a JSON HTTP API that issues and verifies API keys, one-time tokens
and one-time codes, for programs in any language. The API is described at
/openapi.json; it and /healthz need no key.

The database is a SQLite file (secrets.db in the working directory by
default) or, with --db postgres://…, a PostgreSQL database that any number
of instances may share; each instance keeps up to 16 connections unless the
URL sets pool_max_conns. The environment gives defaults: SECRETS_ADDR,
SECRETS_DB.

Every /v1 call needs "Authorization: Bearer <access key>". On a new
database, the first start creates a root access key (every scope) and
writes it to --admin-key-file (default: the database's path with
".admin-key" added, or secrets-admin.key in the working directory for
PostgreSQL), a new file of mode 0600; only the file's path is logged.
"secrets access create" makes keys of fewer scopes. SECRETS_ADMIN_KEY, if
set (at least 32 characters), is a root key too, and then none is created.

The pepper that keys the codes' HMACs is never in the database: it is
SECRETS_PEPPER if set (at least 32 bytes), otherwise in --pepper-file
(default: the database's path with ".pepper" added, or secrets.pepper for
PostgreSQL), made on the first start with mode 0600. The file holds one
pepper per line in hex; the last keys new codes, the others still check
the codes they keyed, so appending "secrets hex 32" rotates it. Every
instance on one database needs a copy of the same file.

The database, pepper and key files must be private to their owner (mode
0600): serve refuses to start otherwise, unless --insecure-permissions.

The garbage collector runs with GOGC=400 and a soft memory limit of
256 MiB (GOMEMLIMIT=256MiB) unless the environment sets them.

Limits against floods: at most --max-conns connections are open at once
(more wait in the system's listen queue; each uses a file descriptor, and
the bound is lowered if ulimit -n is too low for it); a connection must
send its headers within 10 s and may idle for 30 s between requests. A
client address that presents 20 wrong access keys in a row gets 429 with
Retry-After, and then may try one key each 3 s; behind a proxy, where every
request comes from the proxy's address, --no-auth-throttle turns this off
(limit clients at the proxy instead).

Logs go to standard error, one line per request, and never hold a secret.

A PostgreSQL database that does not answer at start is retried, with
backoff and a log line each time, for --db-wait (a minute by default), so
that a server started beside its database waits for it.

SIGTERM or SIGINT stops the server after in-flight requests finish.` + deliverHelp,
		Example: `  secrets serve                                   # 127.0.0.1:8427, ./secrets.db
  secrets serve --addr :8443 --db /var/lib/secrets/secrets.db --tls-cert cert.pem --tls-key key.pem
  secrets serve --db postgres://secrets@db/secrets --log-format json --metrics-addr 127.0.0.1:9427
  secrets serve --smtp smtps://mailer:PASS@smtp.example.com --mail-from no-reply@example.com \
      --link 'reset=https://app.example.com/reset?token={{.Token}}'`,
		Args: noArgs,
	}
	f := cmd.Flags()
	f.StringVar(&c.addr, "addr", envOr("SECRETS_ADDR", defaultServeAddr), "the `HOST:PORT` to listen on ($SECRETS_ADDR)")
	f.StringVar(&c.db, "db", envOr("SECRETS_DB", defaultServeDB), "a SQLite file `PATH` or a postgres:// URL ($SECRETS_DB)")
	f.StringVar(&c.logFormat, "log-format", "text", "log `FORMAT`: text or json")
	f.BoolVar(&c.quiet, "quiet-requests", false, "leave out the log line per request")
	f.DurationVar(&c.retention, "retention", 24*time.Hour, "how long expired, used and revoked records are kept before they are swept")
	f.DurationVar(&c.auditRetain, "audit-retention", store.DefaultAuditRetention, "how long the audit trail, and the revoked keys it names, are kept (at least --retention)")
	f.StringVar(&c.adminKeyFile, "admin-key-file", "", "the new `FILE` the first start writes the root access key to (default <db>.admin-key)")
	f.StringVar(&c.pepperFile, "pepper-file", "", "the `FILE` of the code peppers, made on the first start (default <db>.pepper)")
	f.BoolVar(&c.insecurePerms, "insecure-permissions", false, "start even if the database, pepper or key file is readable by others")
	f.StringVar(&c.tlsCert, "tls-cert", "", "serve HTTPS with the certificate chain in this PEM `FILE` (with --tls-key)")
	f.StringVar(&c.tlsKey, "tls-key", "", "the private key of --tls-cert, a PEM `FILE`")
	f.StringVar(&c.metricsAddr, "metrics-addr", "", "also serve /metrics, without a key, on this `HOST:PORT`")
	f.DurationVar(&c.dbWait, "db-wait", defaultDBWait, "how long to keep retrying, with backoff, a PostgreSQL database that does not answer at start (0: give up at once)")
	f.IntVar(&c.maxConns, "max-conns", server.DefaultMaxConns, "the most client connections open at once; more wait until one closes")
	f.BoolVar(&c.noAuthThrottle, "no-auth-throttle", false, "do not throttle client addresses that present wrong access keys (behind a proxy)")
	c.deliver.flags(f)
	c.analytics.flags(f)
	c.dashboard.flags(f)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := c.check(); err != nil {
			return err
		}
		log, err := newLogger(s.Err, c.logFormat)
		if err != nil {
			return err
		}
		return serve(cmd.Context(), log, c)
	}
	return cmd
}

// check refuses flags that cannot work, before anything is opened or made.
func (c *serveConfig) check() error {
	if _, _, err := net.SplitHostPort(c.addr); err != nil {
		return withHint(usagef("--addr %q is not HOST:PORT", c.addr), "such as 127.0.0.1:8427, or :8427 for every interface")
	}
	if c.metricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.metricsAddr); err != nil {
			return withHint(usagef("--metrics-addr %q is not HOST:PORT", c.metricsAddr), "such as 127.0.0.1:9427")
		}
	}
	if c.db == "" {
		return usagef("--db is empty: give a SQLite file path or a postgres:// URL")
	}
	if err := checkDB(c.db); err != nil {
		return err
	}
	if c.maxConns < 1 {
		return withHint(usagef("--max-conns %d is not positive", c.maxConns), fmt.Sprintf("the default is %d", server.DefaultMaxConns))
	}
	if c.retention <= 0 {
		return usagef("--retention %v is not positive", c.retention)
	}
	// The send throttle counts the codes created in its window; sweeping
	// them sooner would let a subject be sent more codes than allowed.
	if c.retention < code.DefaultSendWindow {
		return usagef("--retention %v is shorter than the code send window (%v); the send limit would forget codes", c.retention, code.DefaultSendWindow)
	}
	if c.auditRetain < c.retention {
		return usagef("--audit-retention %v is shorter than --retention %v: the audit trail must outlive the records it names", c.auditRetain, c.retention)
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together: give both or neither")
	}
	if c.dbWait < 0 {
		return usagef("--db-wait %v is negative; 0 gives up at once", c.dbWait)
	}
	if c.adminKeyFile == "" {
		c.adminKeyFile = besideDB(c.db, ".admin-key", "secrets-admin.key")
	}
	if c.pepperFile == "" {
		c.pepperFile = besideDB(c.db, ".pepper", "secrets.pepper")
	}
	if err := c.dashboard.check(); err != nil {
		return err
	}
	if err := c.analytics.check(); err != nil {
		return err
	}
	return c.deliver.check(c.db)
}

// besideDB is the default path of a file of the service: the SQLite
// database's path with suffix added, or name in the working directory for
// PostgreSQL.
func besideDB(db, suffix, name string) string {
	if isPostgres(db) {
		return name
	}
	return db + suffix
}

func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// secretHint is the hint of a configured secret that is too short.
const secretHint = "use a random value such as the output of: secrets urlsafe"

func serve(ctx context.Context, log *slog.Logger, c serveConfig) error {
	tuneGC()
	var tlsConfig *tls.Config
	if c.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
		if err != nil {
			return withHint(usagef("--tls-cert, --tls-key: %v", err), "give PEM files: the certificate chain, and its unencrypted private key")
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
	}
	envPepper := os.Getenv("SECRETS_PEPPER")
	private := []string{c.adminKeyFile}
	if envPepper == "" {
		private = append(private, c.pepperFile)
	}
	if c.deliver.on() {
		private = append(private, c.deliver.keyFile)
	}
	if !isPostgres(c.db) {
		private = append([]string{c.db}, private...)
	}
	for _, path := range private {
		err := server.CheckFileMode(path)
		var me *server.ModeError
		switch {
		case errors.As(err, &me) && c.insecurePerms:
			log.Warn("starting although a file is not private (--insecure-permissions)", logFile, path, logMode, fmt.Sprintf("%04o", me.Mode.Perm()))
		case me != nil:
			return withHint(usagef("%v; chmod 600 %s, or --insecure-permissions", me, path),
				"other users of this host could copy what protects the keys, tokens and codes")
		case err != nil:
			return fmt.Errorf("check %s: %w", path, err)
		}
	}

	st, kind, err := openStoreWaiting(ctx, log, c.db, c.dbWait)
	if err != nil {
		return err
	}
	defer st.Close()
	digest, err := server.RootKey(ctx, st, os.Getenv("SECRETS_ADMIN_KEY"))
	if errors.Is(err, server.ErrWeakSecret) {
		return withHint(&usageError{err: err}, secretHint)
	}
	if err != nil {
		return err
	}
	if digest == ([32]byte{}) {
		created, err := server.Bootstrap(ctx, st, c.adminKeyFile)
		if errors.Is(err, server.ErrFileExists) {
			return withHint(usagef("the database has no access key yet, and the root key's file exists: %v", err),
				"move the file away (it may hold the key of another database), or give --admin-key-file")
		}
		if err != nil {
			return err
		}
		if created {
			// The path only: the key is in the file, and nowhere else.
			log.Info("created the root access key; it is in a file of mode 0600 and nowhere else", logFile, c.adminKeyFile)
		}
	}

	peppers, err := server.LoadPeppers(ctx, st, c.pepperFile, envPepper)
	switch {
	case errors.Is(err, server.ErrWeakSecret):
		return withHint(&usageError{err: err}, secretHint)
	case errors.Is(err, server.ErrPepperMismatch):
		return withHint(&usageError{err: err}, "or, to give up the pending codes and key new ones with this pepper, delete the setting server.pepper_id from the database")
	case errors.Is(err, server.ErrPepperFile):
		return &usageError{err: err}
	case err != nil:
		return err
	}
	switch {
	case peppers.Migrated:
		log.Info("moved the pepper out of the database into the pepper file; the database no longer holds it", logFile, c.pepperFile)
	case peppers.Generated:
		log.Info("generated the pepper that keys codes, in a new file of mode 0600", logFile, c.pepperFile)
	case peppers.Dropped:
		log.Info("deleted the pepper the database held: SECRETS_PEPPER is the pepper")
	}
	if peppers.Rotated {
		log.Info("the newest pepper of the pepper file keys new codes from now on; the older ones check the codes they keyed", logFile, c.pepperFile)
	}

	deliverer, err := c.deliver.deliverer(ctx, log, st)
	if err != nil {
		return err
	}
	opts := server.Options{Store: st, AdminKeyDigest: digest, Pepper: peppers.Current, OldPeppers: peppers.Old,
		Logger: log, Retention: c.retention, AuditRetention: c.auditRetain, QuietRequests: c.quiet,
		MaxConns: c.maxConns, NoAuthThrottle: c.noAuthThrottle, Deliverer: deliverer}
	c.analytics.apply(&opts)
	c.dashboard.apply(&opts)
	srv, err := server.New(opts)
	if err != nil {
		return err
	}
	warnWithoutVacuum(ctx, log, st)
	ln, err := listen(c.addr, tlsConfig)
	if err != nil {
		return err
	}
	if tlsConfig == nil && !loopback(ln.Addr()) {
		log.Warn("serving plain HTTP on an address other hosts can reach: keys, tokens and codes cross the network in the clear; give --tls-cert and --tls-key, or put a TLS proxy in front", logAddr, ln.Addr().String())
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	metricsErr := make(chan error, 1)
	if c.metricsAddr != "" {
		mln, err := listen(c.metricsAddr, tlsConfig)
		if err != nil {
			ln.Close()
			return err
		}
		log.Info("serving /metrics without a key", logAddr, mln.Addr().String())
		go func() { metricsErr <- serveMetrics(ctx, srv.MetricsHandler(), mln, cancel) }()
	} else {
		metricsErr <- nil
	}
	log.Info("listening", logAddr, ln.Addr().String(), logStore, kind, logTLS, tlsConfig != nil)
	err = srv.Serve(ctx, ln)
	cancel()
	if merr := <-metricsErr; err == nil && merr != nil {
		err = merr
	}
	if err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// listen listens on addr, with TLS if config is not nil.
func listen(addr string, config *tls.Config) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	if config != nil {
		ln = tls.NewListener(ln, config)
	}
	return ln, nil
}

// loopback reports whether addr can be reached only from this host.
func loopback(addr net.Addr) bool {
	a, ok := addr.(*net.TCPAddr)
	return ok && a.IP.IsLoopback()
}

// serveMetrics serves h at /metrics on ln until ctx is done; if serving
// fails, it calls stop, so that the main listener stops too.
func serveMetrics(ctx context.Context, h http.Handler, ln net.Listener, stop func()) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: server.ReadHeaderTimeout, WriteTimeout: 30 * time.Second,
		IdleTimeout: server.IdleTimeout, MaxHeaderBytes: server.MaxHeaderBytes}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		stop()
		return fmt.Errorf("metrics: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(shutCtx)
	<-served
	return nil
}

// checkDB refuses a --db that names no database the service can use.
// Errors never quote the URL, which may hold a password.
func checkDB(db string) error {
	if isPostgres(db) {
		return nil
	}
	if scheme, _, ok := strings.Cut(db, "://"); ok && !strings.ContainsAny(scheme, `/\`) {
		return withHint(usagef("--db: %s:// databases are not supported", scheme),
			"give a SQLite file path or a postgres:// URL")
	}
	if db == ":memory:" {
		return withHint(usagef("--db :memory: is not supported: the service keeps its keys in a file or in PostgreSQL"),
			"for a throwaway server, give a file in a temporary directory")
	}
	return nil
}

// openStore opens PostgreSQL for a postgres:// or postgresql:// URL and a
// SQLite file for anything else. A SQLite file that does not exist is made
// with mode 0600 if create is set, and refused if not. Errors never quote
// the URL, which may hold a password.
func openStore(ctx context.Context, db string, create bool) (store.Store, string, error) {
	if err := checkDB(db); err != nil {
		return nil, "", err
	}
	if isPostgres(db) {
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
	if _, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, "", withHint(usagef("--db %s: no such database", db), "give the database of secrets serve with --db or SECRETS_DB")
		}
		// SQLite would make it 0644, and its -wal and -shm files take
		// the database's mode: an empty file of 0600 is a new database
		// that only its owner can read.
		f, err := os.OpenFile(db, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, "", fmt.Errorf("create the database: %w", err)
		}
		f.Close()
	}
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		return nil, "", fmt.Errorf("open the database: %w", err)
	}
	return st, "sqlite", nil
}

// warnWithoutVacuum warns when PostgreSQL will not vacuum the service's
// tables: the sweeper's deletes leave dead rows that only VACUUM makes
// reusable, so without it the tables grow, and verification slows, while
// the records kept stay level (docs/SOAK.md).
func warnWithoutVacuum(ctx context.Context, log *slog.Logger, st store.Store) {
	v, ok := st.(interface {
		VacuumProblem(context.Context) (string, error)
	})
	if !ok {
		return
	}
	why, err := v.VacuumProblem(ctx)
	switch {
	case err != nil:
		log.Warn("could not read whether PostgreSQL vacuums the service's tables", logErr, flat(err))
	case why != "":
		log.Warn("PostgreSQL will not vacuum the service's tables: the sweeper's deletes leave dead rows behind, and the tables grow and verification slows; turn autovacuum on, or VACUUM the service's schema regularly",
			logWhy, why)
	}
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
