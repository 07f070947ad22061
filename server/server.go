// Package server is the HTTP JSON service behind "secrets serve": API keys
// (like Unkey), one-time tokens and one-time codes (like Twilio Verify),
// issued and verified over HTTP by programs in any language.
//
// It is a thin layer over the managers of packages keys, token and code:
// it decodes strict JSON, checks the admin key, calls one manager method
// and encodes the result. Every decision about a secret (redeem once, count
// an attempt, spend a use) is made by the store in one atomic step, so any
// number of servers may share one PostgreSQL database.
//
// What the service never does: write a plaintext token, code, key or the
// admin key to a log, a metric label or an error message; send an internal
// error's text or a stack trace to a client; answer differently, or in a
// measurably different time, to a missing admin key and a wrong one.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/unguessable/secrets/access"
	"github.com/unguessable/secrets/analytics"
	"github.com/unguessable/secrets/audit"
	"github.com/unguessable/secrets/code"
	"github.com/unguessable/secrets/deliver"
	"github.com/unguessable/secrets/keys"
	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/token"
)

// Defaults of [Options] and [Server.Serve].
const (
	// MaxBodyBytes caps a request body; a larger one gets 413.
	MaxBodyBytes = 1 << 20
	// MaxDrainBytes is how much more of a body over MaxBodyBytes the
	// service reads, and discards, before it answers 413, so that a client
	// that sends the whole body before reading can read the answer. After
	// a larger body the connection is closed.
	MaxDrainBytes = 4 << 20
	// RetryAfterUnavailable is the Retry-After, in seconds, of the 503 that
	// answers a call when the database fails.
	RetryAfterUnavailable = 2
	// RetryAfterStorageFull is the Retry-After, in seconds, of the 507
	// that answers a write the database refused for want of disk space.
	RetryAfterStorageFull = 30
	// ShutdownTimeout is how long Serve waits for in-flight requests after
	// its context is done.
	ShutdownTimeout = 30 * time.Second
	// DefaultMaxConns is the default of Options.MaxConns: with the
	// timeouts below, it bounds the memory that idle and slow clients can
	// hold (docs/SECURITY.md has the figures).
	DefaultMaxConns = 4096
	// ReadHeaderTimeout is how long a client has to send a request's
	// headers, IdleTimeout how long a kept-alive connection may wait for
	// its next request, MaxHeaderBytes the most header bytes it may send.
	ReadHeaderTimeout = 10 * time.Second
	IdleTimeout       = 30 * time.Second
	MaxHeaderBytes    = 16 << 10
)

// Options configure a Server.
type Options struct {
	// Store holds the tokens, codes, keys and settings. Required.
	Store store.Store
	// AdminKeyDigest, unless zero, is the SHA-256 of a root key: it holds
	// every scope and every namespace without being stored (the key of
	// SECRETS_ADMIN_KEY, or the admin key of a database made before access
	// keys). Every other caller presents an access key (package access).
	AdminKeyDigest [32]byte
	// Pepper keys the HMACs of new codes; see [LoadPeppers]. At least
	// code.MinPepperBytes bytes.
	Pepper []byte
	// OldPeppers check the codes they keyed until those expire (a pepper
	// rotation).
	OldPeppers [][]byte
	// AuditRetention is how long the audit trail, and revoked and expired
	// keys with it, are kept; default store.DefaultAuditRetention.
	AuditRetention time.Duration
	// Logger receives one line per request and failures, each with a
	// "subsystem" attribute: "http" (requests), "sweep" (the background
	// sweep) or "server" (starting and stopping); default: discard.
	Logger *slog.Logger
	// QuietRequests logs the line per request at debug level instead of
	// info, for high request rates.
	QuietRequests bool
	// Clock tells the managers the time; default store.SystemClock.
	Clock store.Clock
	// Registry, if set, receives the service's metrics; default: a new
	// registry with the Go and process collectors, served on /metrics.
	Registry *prometheus.Registry
	// Retention is how long expired, used and revoked records are kept
	// before the background sweep deletes them; default 24h. Serve runs the
	// sweep; Handler alone does not.
	Retention time.Duration
	// MaxConns bounds the connections Serve keeps open at once; default
	// DefaultMaxConns. Beyond it, new connections wait in the listen queue
	// of the operating system until one closes.
	MaxConns int
	// NoAuthThrottle turns off the throttle of wrong access keys per client
	// address (see AuthFailureBurst): for a service behind a proxy, where
	// every request comes from the proxy's address, and the proxy limits
	// clients itself.
	NoAuthThrottle bool
	// Deliverer, if set, lets POST /v1/codes and POST /v1/tokens deliver
	// what they issue (package deliver); Serve runs its dispatcher, tuned
	// by Dispatch. The Store must be a store.Outbox.
	Deliverer *deliver.Deliverer
	Dispatch  deliver.DispatchOptions
	// NoDashboard leaves out the web dashboard (package dashboard), which
	// is otherwise served at / on a store that keeps its sessions; its
	// sessions end after DashboardIdleTimeout without a request and
	// DashboardAbsoluteTimeout in any case (defaults: the dashboard's).
	NoDashboard              bool
	DashboardIdleTimeout     time.Duration
	DashboardAbsoluteTimeout time.Duration
	// NoAnalytics turns off the usage analytics (package analytics): no
	// counts, no last_used_at on keys, and GET /v1/analytics/… answer 404.
	NoAnalytics bool
	// AnalyticsFlushInterval is how often Serve writes the counts; default
	// (and at most, by the documented bound on a crash's loss) one second.
	AnalyticsFlushInterval time.Duration
	// AnalyticsRetention is how long the sweep keeps the analytics counts
	// of each granularity; see store.Sweeper.AnalyticsRetention.
	AnalyticsRetention map[string]time.Duration
}

// Server is the HTTP service. Its Handler is safe for concurrent use.
type Server struct {
	st       store.Store
	log      *slog.Logger // subsystemServer
	httpLog  *slog.Logger // subsystemHTTP
	sweepLog *slog.Logger // subsystemSweep
	clock    store.Clock
	admin    [32]byte
	keys     *keys.Manager
	tokens   *token.Manager
	codes    *code.Manager
	metrics  *metrics
	reg      *prometheus.Registry
	retain   time.Duration
	auditFor time.Duration // the audit retention
	reqLvl   slog.Level

	access   *access.Manager
	auditLog *audit.Log
	hasRoot  int       // 1 if admin is a root key's digest
	throttle *throttle // nil: off
	maxConns int

	outbox *outbox // nil: the service delivers nothing

	analytics       *analytics.Aggregator // nil: nothing is counted
	analyticsRetain map[string]time.Duration

	mux     *http.ServeMux
	routes  []string          // every registered pattern, for the OpenAPI test
	scopes  map[string]string // the scope of each pattern
	handler http.Handler
}

// ErrConfig is returned by New for Options that cannot work: no store, or a
// pepper too short.
var ErrConfig = errors.New("server: bad configuration")

// New returns a Server for opts.
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, fmt.Errorf("%w: no store", ErrConfig)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = store.SystemClock{}
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
		opts.Registry.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	}
	codes, err := code.New(opts.Store, opts.Pepper, code.Options{Clock: opts.Clock})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	m, err := newMetrics(opts.Registry)
	if err != nil {
		return nil, fmt.Errorf("%w: metrics: %w", ErrConfig, err)
	}
	s := &Server{
		st:       opts.Store,
		log:      opts.Logger.With(logKeySubsystem, subsystemServer),
		httpLog:  opts.Logger.With(logKeySubsystem, subsystemHTTP),
		sweepLog: opts.Logger.With(logKeySubsystem, subsystemSweep),
		clock:    opts.Clock,
		admin:    opts.AdminKeyDigest,
		keys:     keys.New(opts.Store, keys.Options{Clock: opts.Clock}),
		tokens:   token.New(opts.Store, token.Options{Clock: opts.Clock}),
		codes:    codes,
		metrics:  m,
		reg:      opts.Registry,
		retain:   opts.Retention,
		auditFor: opts.AuditRetention,
		reqLvl:   slog.LevelInfo,
		mux:      http.NewServeMux(),
		scopes:   map[string]string{},
		access:   access.New(opts.Store, access.Options{Clock: opts.Clock}),
		auditLog: audit.New(opts.Store, opts.Clock),
	}
	if opts.AdminKeyDigest != ([32]byte{}) {
		s.hasRoot = 1
	}
	if !opts.NoAuthThrottle {
		s.throttle = newThrottle(opts.Clock)
	}
	s.maxConns = opts.MaxConns
	if s.maxConns <= 0 {
		s.maxConns = DefaultMaxConns
	}
	s.analytics = newAnalytics(opts, func(err error) { s.log.Warn("analytics flush failed", logKeyErr, err) })
	s.analyticsRetain = opts.AnalyticsRetention
	deliverLog := opts.Logger.With(logKeySubsystem, subsystemDeliver)
	if s.outbox, err = newOutbox(opts, func(err error) { deliverLog.Warn("delivery failed", logKeyErr, err) }, s.recordDelivery); err != nil {
		return nil, err
	}
	if opts.QuietRequests {
		s.reqLvl = slog.LevelDebug
	}
	s.registerRoutes()
	if err := s.mountDashboard(opts); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	s.handler = http.HandlerFunc(s.serveHTTP)
	return s, nil
}

// Handler returns the service's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Routes returns the registered route patterns, such as "POST /v1/keys".
func (s *Server) Routes() []string { return append([]string(nil), s.routes...) }

// Serve answers HTTP on ln and sweeps finished records in the background
// until ctx is done; then it stops accepting, lets in-flight requests finish
// (for at most ShutdownTimeout) and returns nil. It returns an error only if
// serving failed.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	lim := newLimitListener(ln, s.connLimit())
	srv := s.httpServer()
	srv.ConnState = lim.connState(s.metrics.conns.Add)
	sweepCtx, stopSweep := context.WithCancel(context.WithoutCancel(ctx))
	sweeper := &store.Sweeper{Store: s.st, Retention: s.retain, AuditRetention: s.auditFor, Clock: s.clock, AnalyticsRetention: s.analyticsRetain,
		OnError: func(err error) { s.sweepLog.Warn("sweep failed", logKeyErr, err) }}
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		_ = sweeper.Run(sweepCtx)
	}()
	// The dispatcher stops with the sweep, after in-flight requests.
	dispatched := s.runDispatcher(sweepCtx)
	// The last flush of the counts follows everything that counts.
	flushed := s.runAnalytics()
	defer func() {
		stopSweep()
		<-swept
		dispatched()
		flushed()
	}()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(lim) }()
	select {
	case err := <-served:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down: finishing in-flight requests")
	shutCtx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		srv.Close()
		return fmt.Errorf("server: shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}

// fdReserve is how many open files Serve leaves to everything but client
// connections: the database's connections and files, the listeners, logs.
const fdReserve = 128

// connLimit is the bound on Serve's connections: Options.MaxConns, lowered
// to leave fdReserve files when the process may not open that many, so
// that clients can never take every file descriptor.
func (s *Server) connLimit() int {
	n := s.maxConns
	if lim, ok := fdLimit(); ok && lim < uint64(n)+fdReserve {
		n = max(int(lim)-fdReserve, 1)
		s.log.Warn("the limit of open files is too low for the connection bound; serving fewer connections (raise ulimit -n)",
			logKeyMaxConns, s.maxConns, logKeyConns, n, logKeyFiles, lim)
	}
	return n
}

// httpServer is the http.Server of Serve, without its listener: the
// timeouts and the header bound that, with Options.MaxConns, bound what
// slow and idle clients can hold.
func (s *Server) httpServer() *http.Server {
	return &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.httpLog.Handler(), slog.LevelWarn),
	}
}

// apiHandler is an endpoint: it writes its answer, or returns an error that
// the route wrapper writes (an *apiError as is, anything else as 503: see
// failed).
type apiHandler func(w http.ResponseWriter, r *http.Request) error

// route describes an endpoint: the scope a caller needs ("" for none: the
// endpoint is public) and, for a call that changes state, the action its
// audit record names.
type route struct {
	scope  string
	action string
}

// handle registers h for pattern, behind the scope and audit of rt.
func (s *Server) handle(pattern string, rt route, h apiHandler) {
	s.routes = append(s.routes, pattern)
	s.scopes[pattern] = rt.scope
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		var rec *auditEntry
		if rt.action != "" {
			rec = &auditEntry{action: rt.action, target: r.PathValue("id"), requestID: newRequestID()}
			w.Header().Set("X-Request-Id", rec.requestID)
			r = r.WithContext(context.WithValue(r.Context(), auditKey{}, rec))
		}
		k, err := s.authorize(w, r, rt.scope)
		r = r.WithContext(withCaller(r.Context(), k))
		if err == nil {
			err = h(w, r)
		}
		// Only the calls of a known caller are recorded: an unknown one
		// (401, or 429 for too many wrong keys) did nothing, and would
		// otherwise write a record per guess.
		if rec != nil && k.ID != "" {
			s.audit(r, rec, err)
		}
		if err != nil {
			var ae *apiError
			if errors.As(err, &ae) {
				writeError(w, ae)
				return
			}
			s.failed(w, r, err)
		}
	})
}

// authorize authenticates r's caller, if scope asks for one, and checks
// that it holds scope.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, scope string) (access.Key, error) {
	if scope == "" {
		return access.Key{}, nil
	}
	if k, ok := inProcessCaller(r); ok {
		if !k.Allows(scope) {
			return k, forbidden(scope)
		}
		return k, nil
	}
	if s.throttle != nil {
		if d := s.throttle.wait(r.RemoteAddr); d > 0 {
			return access.Key{}, throttled(d)
		}
	}
	k, err := s.authenticate(r)
	if err != nil {
		if errors.Is(err, errUnauthorized) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="secrets"`)
			if s.throttle != nil {
				s.throttle.fail(r.RemoteAddr)
			}
		}
		return access.Key{}, err
	}
	if !k.Allows(scope) {
		return k, forbidden(scope)
	}
	return k, nil
}

// methodNotAllowed answers 405 with an Allow header naming allow.
func methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, &apiError{Status: http.StatusMethodNotAllowed, Code: codeMethod,
			Message: "method " + strconv.Quote(r.Method) + " is not allowed here; allowed: " + allow})
	}
}

// failed answers a call that failed below the handler: every error a
// handler returns that is not an *apiError comes from the store, so the
// answer is 503 with Retry-After (507 when the disk is full), without any detail, and the failure is
// logged. Unless the client has gone: net/http cancels the request's
// context when the connection closes, which fails the store's call with
// context.Canceled. That is no failure of the database: it is logged at
// debug level and counted as 499, and nobody reads the answer.
func (s *Server) failed(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		s.httpLog.Debug("the client left before the answer", logKeyRoute, routeLabel(r))
		writeError(w, errClientGone)
		return
	}
	s.httpLog.Error("the database failed", logKeyRoute, routeLabel(r), logKeyErr, err)
	if errors.Is(err, store.ErrStorageFull) {
		writeError(w, errStorageFull)
		return
	}
	writeError(w, errUnavailable)
}

func (s *Server) registerRoutes() {
	public := route{}
	s.handle("GET /healthz", public, s.healthz)
	s.handle("GET /metrics", route{scope: access.MetricsRead}, s.serveMetrics)
	s.handle("GET /openapi.json", public, serveOpenAPI)

	s.handle("POST /v1/keys", route{access.KeysCreate, audit.KeysCreate}, s.createKey)
	s.handle("GET /v1/keys", route{scope: access.KeysRead}, s.listKeys)
	s.handle("POST /v1/keys/verify", route{scope: access.KeysVerify}, s.verifyKey)
	// Without these, GET /v1/keys/verify would be a lookup of the key with
	// the id "verify": 404 where a 405 belongs.
	for _, m := range []string{"GET", "PATCH", "DELETE", "PUT"} {
		s.mux.HandleFunc(m+" /v1/keys/verify", methodNotAllowed("POST"))
	}
	s.handle("POST /v1/roles", route{access.KeysUpdate, audit.RolesPut}, s.putRole)
	s.handle("GET /v1/roles", route{scope: access.KeysRead}, s.listRoles)
	s.handle("GET /v1/keys/{id}", route{scope: access.KeysRead}, s.getKey)
	s.handle("PATCH /v1/keys/{id}", route{access.KeysUpdate, audit.KeysUpdate}, s.updateKey)
	s.handle("DELETE /v1/keys/{id}", route{access.KeysRevoke, audit.KeysRevoke}, s.revokeKey)
	s.handle("POST /v1/keys/{id}/reroll", route{access.KeysCreate, audit.KeysReroll}, s.rerollKey)
	s.handle("PUT /v1/owners/{owner}/ratelimits", route{access.KeysUpdate, audit.OwnersRateLimits}, s.putOwnerRateLimits)
	s.handle("GET /v1/owners/{owner}/ratelimits", route{scope: access.KeysRead}, s.getOwnerRateLimits)

	s.handle("POST /v1/tokens", route{access.TokensIssue, audit.TokensIssue}, s.issueToken)
	s.handle("POST /v1/tokens/verify", route{scope: access.TokensVerify}, s.verifyToken)
	s.handle("POST /v1/tokens/redeem", route{scope: access.TokensVerify}, s.redeemToken)
	s.handle("DELETE /v1/tokens", route{access.TokensRevoke, audit.TokensRevoke}, s.revokeTokens)

	s.handle("POST /v1/codes", route{access.CodesIssue, audit.CodesIssue}, s.issueCode)
	s.handle("POST /v1/codes/verify", route{scope: access.CodesVerify}, s.verifyCode)

	s.handle("POST /v1/access-keys", route{access.AccessManage, audit.AccessCreate}, s.createAccessKey)
	s.handle("GET /v1/access-keys", route{scope: access.AccessManage}, s.listAccessKeys)
	s.handle("GET /v1/access-keys/{id}", route{scope: access.AccessManage}, s.getAccessKey)
	s.handle("DELETE /v1/access-keys/{id}", route{access.AccessManage, audit.AccessRevoke}, s.revokeAccessKey)

	s.handle("GET /v1/audit", route{scope: access.AuditRead}, s.listAudit)

	s.handle("GET /v1/deliveries/{id}", route{scope: access.DeliveriesRead}, s.getDelivery)

	for _, kind := range []string{analytics.KindVerifications, analytics.KindCodes, analytics.KindTokens, analytics.KindDeliveries} {
		s.handle("GET /v1/analytics/"+kind, route{scope: access.AnalyticsRead}, s.analyticsOf(kind))
	}
}

// Scope returns the scope that the route pattern (as Routes lists it)
// requires, and whether there is such a route; "" for a public one.
func (s *Server) Scope(pattern string) (string, bool) {
	scope, ok := s.scopes[pattern]
	return scope, ok
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.st.Ping(ctx); err != nil {
		if r.Context().Err() != nil {
			return err // the client left: see failed
		}
		s.httpLog.Error("health check: the database does not answer", logKeyErr, err)
		return &apiError{Status: http.StatusServiceUnavailable, Code: codeUnavailableStore, RetryAfter: RetryAfterUnavailable,
			Message: "the database does not answer"}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}
