// Package dashboard is the web console of "secrets serve": server-rendered
// HTML pages, embedded in the binary with their stylesheet and script, for
// operators who would rather not drive the service with curl. It shows the
// usage charts, the API keys, the access keys, the audit trail and the
// tokens and codes, and makes the changes the signed-in access key's scopes
// allow.
//
// A browser signs in with an access key, which is exchanged for a session:
// a random id in an HttpOnly, SameSite=Strict cookie (Secure under TLS), of
// which the store keeps only the SHA-256. A session ends on sign-out, after
// Options.IdleTimeout without a request, after Options.AbsoluteTimeout in
// any case, and as soon as its access key is revoked or (the root key)
// replaced. Every form carries a token derived from the session (CSRF);
// every page is sent with a Content-Security-Policy that allows no inline
// script and nothing from another origin, and with Cache-Control: no-store.
//
// The pages make their changes through the service's own API, in process,
// as the signed-in access key: the same checks of scope and namespace, the
// same validation and the same audit records as a call over HTTP.
package dashboard

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/unguessable/secrets/access"
	"github.com/unguessable/secrets/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Defaults of [Options].
const (
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultAbsoluteTimeout = 12 * time.Hour
	// SignInFailures wrong access keys from one client address within
	// SignInWindow make its further attempts wait for the window's end.
	SignInFailures = 5
	SignInWindow   = time.Minute
)

// API calls the service's HTTP API in process as caller: method and target
// (a path with its query, such as "/v1/keys?limit=10"), a JSON body or nil.
// It returns the answer's status and body.
type API func(ctx context.Context, caller access.Key, method, target string, body []byte) (status int, answer []byte)

// Options configure a Dashboard.
type Options struct {
	// Store keeps the sessions and answers the key search; it must be a
	// store.Dashboard.
	Store store.Store
	// API makes the pages' calls. Required.
	API API
	// Authenticate returns the access key whose plaintext is presented
	// and the SHA-256 of that plaintext, or an error wrapping
	// access.ErrUnauthenticated. Required.
	Authenticate func(ctx context.Context, presented string) (access.Key, [32]byte, error)
	// AccessKey returns the live access key with this id and the SHA-256
	// of its plaintext, or an error wrapping access.ErrUnauthenticated
	// for one revoked, unknown or no longer the root key. Required.
	AccessKey func(ctx context.Context, id string) (access.Key, [32]byte, error)
	// IdleTimeout and AbsoluteTimeout end sessions; defaults
	// DefaultIdleTimeout and DefaultAbsoluteTimeout.
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
	// NoSignInThrottle turns off the throttle of wrong keys per client
	// address (SignInFailures): for a service behind a proxy, where every
	// request comes from the proxy's address, and the proxy limits
	// clients itself.
	NoSignInThrottle bool
	Clock            store.Clock  // default store.SystemClock
	Logger           *slog.Logger // default: discard
}

// Dashboard serves the pages. It is safe for concurrent use.
type Dashboard struct {
	st       store.Dashboard
	opts     Options
	clock    store.Clock
	log      *slog.Logger
	pages    map[string]*template.Template
	static   http.Handler
	throttle *throttle
}

// New returns a Dashboard for opts.
func New(opts Options) (*Dashboard, error) {
	st, ok := opts.Store.(store.Dashboard)
	if !ok {
		return nil, fmt.Errorf("dashboard: the store %T keeps no sessions", opts.Store)
	}
	if opts.API == nil || opts.Authenticate == nil || opts.AccessKey == nil {
		return nil, errors.New("dashboard: API, Authenticate and AccessKey are required")
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.AbsoluteTimeout <= 0 {
		opts.AbsoluteTimeout = DefaultAbsoluteTimeout
	}
	if opts.Clock == nil {
		opts.Clock = store.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	sub, _ := fs.Sub(staticFS, "static")
	return &Dashboard{st: st, opts: opts, clock: opts.Clock, log: opts.Logger, pages: pages,
		static: http.StripPrefix("/static/", http.FileServerFS(sub)), throttle: newThrottle(!opts.NoSignInThrottle)}, nil
}

// Patterns lists the patterns Register adds, for a caller that documents
// or tests its routes.
func (d *Dashboard) Patterns() []string {
	var ps []string
	for _, rt := range d.routes() {
		ps = append(ps, rt.pattern)
	}
	return ps
}

// Register adds the dashboard's pages to mux: "/" and the pages below it,
// none under /v1.
func (d *Dashboard) Register(mux *http.ServeMux) {
	for _, rt := range d.routes() {
		mux.Handle(rt.pattern, rt.h)
	}
}

type pageRoute struct {
	pattern string
	h       http.Handler
}

func (d *Dashboard) routes() []pageRoute {
	page := func(scope string, h pageHandler) http.Handler { return d.page(scope, h) }
	return []pageRoute{
		{"GET /static/", http.HandlerFunc(d.serveStatic)},
		{"GET /sign-in", http.HandlerFunc(d.signInPage)},
		{"POST /sign-in", http.HandlerFunc(d.signIn)},
		{"POST /sign-out", page("", d.signOut)},
		{"GET /{$}", page("", d.overview)},
		{"GET /keys", page(access.KeysRead, d.keysPage)},
		{"GET /keys/new", page(access.KeysCreate, d.newKeyPage)},
		{"POST /keys", page(access.KeysCreate, d.createKey)},
		{"GET /keys/{id}", page(access.KeysRead, d.keyPage)},
		{"GET /keys/{id}/{action}", page("", d.confirmKeyAction)},
		{"POST /keys/{id}/{action}", page("", d.keyAction)},
		{"GET /access-keys", page(access.AccessManage, d.accessKeysPage)},
		{"POST /access-keys", page(access.AccessManage, d.createAccessKey)},
		{"GET /access-keys/{id}/revoke", page(access.AccessManage, d.confirmRevokeAccessKey)},
		{"POST /access-keys/{id}/revoke", page(access.AccessManage, d.revokeAccessKey)},
		{"GET /audit", page(access.AuditRead, d.auditPage)},
		{"GET /tokens", page("", d.tokensPage)},
		{"POST /tokens/revoke", page(access.TokensRevoke, d.revokeTokens)},
	}
}

func (d *Dashboard) serveStatic(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	if strings.HasSuffix(r.URL.Path, "/") {
		http.NotFound(w, r) // no listing of the assets
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	d.static.ServeHTTP(w, r)
}

// csp allows the page's own stylesheet, script and images, and nothing
// inline or from elsewhere.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// securityHeaders are sent with every answer of the dashboard.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// render writes the page name with data, as status. Pages show secrets
// (a new key, once) and what only the signed-in key may see: no page is
// kept by the browser or a proxy.
func (d *Dashboard) render(w http.ResponseWriter, status int, name string, data *view) {
	t, ok := d.pages[name]
	if !ok {
		panic("dashboard: no page " + name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		d.log.Error("page not rendered", "page", name, "err", err)
		status, buf = http.StatusInternalServerError, *bytes.NewBufferString("the page could not be shown\n")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	securityHeaders(w)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
