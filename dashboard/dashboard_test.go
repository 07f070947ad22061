package dashboard_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/server"
	"github.com/unguessable/secrets/store"
)

const rootKey = "secrets_admin_dashboard_test_0123456789abcdefghijklmnop"

// clock is a test's time, moved by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// env is a service with its dashboard on a fresh database.
type env struct {
	t      *testing.T
	url    string
	st     store.Store
	db     backendtest.DB
	clock  *clock
	srv    *server.Server
	ts     *httptest.Server // under TLS
	client *http.Client
}

// newEnv is newEnvOn SQLite.
func newEnv(t *testing.T, tls bool) *env { return newEnvOn(t, backendtest.SQLite(), tls) }

// noThrottle is the service's NoAuthThrottle in the tests' services.
var noThrottle = false

// newEnvOn starts a service on a fresh database of backend b: under TLS on
// an httptest server, otherwise under the real Serve.
func newEnvOn(t *testing.T, b backendtest.Backend, tls bool) *env {
	t.Helper()
	db := b.NewDB(t)
	st := db.Open(t)
	c := &clock{t: time.Now().UTC().Truncate(time.Millisecond)}
	srv, err := server.New(server.Options{Store: st, AdminKeyDigest: sha256.Sum256([]byte(rootKey)), Pepper: bytes.Repeat([]byte("p"), 32),
		Clock: c, NoAuthThrottle: noThrottle})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, db: db, clock: c, srv: srv}
	if tls {
		e.ts = httptest.NewTLSServer(srv.Handler())
		t.Cleanup(e.ts.Close)
		e.url, e.client = e.ts.URL, e.ts.Client()
		return e
	}
	// The real Serve, as secrets serve runs it: its background work (the
	// analytics' flush every second) included.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	e.url, e.client = "http://"+ln.Addr().String(), &http.Client{}
	return e
}

// browser is a client with its own cookies that does not follow
// redirects, so that tests see them.
type browser struct {
	e   *env
	c   *http.Client
	jar *cookiejar.Jar
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: e.client.Transport, Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &browser{e: e, c: c, jar: jar}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) answer {
	b.e.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header, string(body)}
}

func (b *browser) get(path string) answer {
	req, _ := http.NewRequest("GET", b.e.url+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values, header ...string) answer {
	req, _ := http.NewRequest("POST", b.e.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, p answer) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token in the page (status %d)", p.status)
	}
	return m[1]
}

func (b *browser) signIn(key string) answer {
	p := b.get("/sign-in")
	return b.post("/sign-in", url.Values{"csrf": {csrfOf(b.e.t, p)}, "key": {key}})
}

func (b *browser) mustSignIn(key string) {
	b.e.t.Helper()
	if p := b.signIn(key); p.status != http.StatusSeeOther || p.header.Get("Location") != "/" {
		b.e.t.Fatalf("sign-in: %d to %q: %s", p.status, p.header.Get("Location"), p.body)
	}
}

func (b *browser) session() *http.Cookie {
	u, _ := url.Parse(b.e.url)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == "secrets_session" {
			return c
		}
	}
	return nil
}

// api calls the JSON API with the root key.
func (e *env) api(method, path string, body any) (int, map[string]any) {
	e.t.Helper()
	var in io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		in = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.url+path, in)
	req.Header.Set("Authorization", "Bearer "+rootKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func (e *env) accessKey(scopes ...string) (id, key string) {
	e.t.Helper()
	status, out := e.api("POST", "/v1/access-keys", map[string]any{"name": "test " + strings.Join(scopes, " "), "scopes": scopes, "namespaces": []string{"*"}})
	if status != http.StatusCreated {
		e.t.Fatalf("create access key: %d %v", status, out)
	}
	return out["id"].(string), out["key"].(string)
}

func TestSignIn(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, be backendtest.Backend) {
		testSignIn(t, be)
	})
}

func testSignIn(t *testing.T, be backendtest.Backend) {
	t.Run("an access key is exchanged for an HttpOnly, SameSite=Strict session cookie, kept only as a hash", func(t *testing.T) {
		e := newEnvOn(t, be, false)
		b := e.browser()
		p := b.signIn(rootKey)
		if p.status != http.StatusSeeOther {
			t.Fatalf("sign-in: %d", p.status)
		}
		var set string
		for _, c := range p.header.Values("Set-Cookie") {
			if strings.HasPrefix(c, "secrets_session=") {
				set = c
			}
		}
		for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/"} {
			if !strings.Contains(set, want) {
				t.Errorf("session cookie %q lacks %s", set, want)
			}
		}
		if strings.Contains(set, "Secure") {
			t.Errorf("session cookie %q is Secure on plain HTTP, where the browser would drop it", set)
		}
		c := b.session()
		sum := sha256.Sum256([]byte(c.Value))
		if _, err := e.st.(store.Dashboard).SessionByHash(context.Background(), sum[:]); err != nil {
			t.Fatalf("the session's hash is not stored: %v", err)
		}
		raw := e.db.Contents(t)
		if bytes.Contains(raw, []byte(c.Value)) {
			t.Fatal("the session id is in the database in plaintext")
		}
	})
	t.Run("under TLS the session cookie is Secure", func(t *testing.T) {
		e := newEnv(t, true)
		p := e.browser().signIn(rootKey)
		found := false
		for _, c := range p.header.Values("Set-Cookie") {
			if strings.HasPrefix(c, "secrets_session=") {
				found = true
				if !strings.Contains(c, "Secure") {
					t.Errorf("session cookie under TLS: %q", c)
				}
			}
		}
		if !found {
			t.Fatalf("no session cookie: %d", p.status)
		}
	})
	t.Run("a wrong key is refused, and after five a right one waits too", func(t *testing.T) {
		e := newEnv(t, false)
		b := e.browser()
		for i := range 5 {
			if p := b.signIn("sak_not_a_key"); p.status != http.StatusUnauthorized || !strings.Contains(p.body, "not valid") {
				t.Fatalf("wrong key %d: %d", i, p.status)
			}
		}
		p := b.signIn(rootKey)
		if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
			t.Fatalf("the sixth attempt: %d, Retry-After %q", p.status, p.header.Get("Retry-After"))
		}
		e.clock.add(time.Minute)
		b.mustSignIn(rootKey)
	})
	t.Run("behind a proxy (NoAuthThrottle), wrong keys are not throttled by address", func(t *testing.T) {
		noThrottle = true
		defer func() { noThrottle = false }()
		e := newEnvOn(t, be, false)
		b := e.browser()
		for range 6 {
			b.signIn("sak_not_a_key")
		}
		b.mustSignIn(rootKey)
	})
	t.Run("a sign-in form from another site is refused, even with its token", func(t *testing.T) {
		e := newEnv(t, false)
		b := e.browser()
		for _, h := range [][]string{{"Origin", "http://evil.example"}, {"Sec-Fetch-Site", "cross-site"}, {"Sec-Fetch-Site", "same-site"}} {
			p := b.get("/sign-in")
			if p := b.post("/sign-in", url.Values{"csrf": {csrfOf(t, p)}, "key": {rootKey}}, h...); p.status != http.StatusForbidden || b.session() != nil {
				t.Fatalf("sign-in with %s: %s: %d", h[0], h[1], p.status)
			}
		}
		b.mustSignIn(rootKey) // the same form from this origin
	})
	t.Run("a sign-in form without its token is refused", func(t *testing.T) {
		e := newEnv(t, false)
		b := e.browser()
		if p := b.post("/sign-in", url.Values{"key": {rootKey}}); p.status != http.StatusForbidden || b.session() != nil {
			t.Fatalf("sign-in without a token: %d", p.status)
		}
	})
}

func TestPagesAreClosedWithoutASession(t *testing.T) {
	e := newEnv(t, false)
	b := e.browser()
	for _, path := range []string{"/", "/keys", "/keys/new", "/access-keys", "/audit", "/tokens", "/keys/key_x"} {
		if p := b.get(path); p.status != http.StatusSeeOther || p.header.Get("Location") != "/sign-in" {
			t.Errorf("GET %s: %d to %q", path, p.status, p.header.Get("Location"))
		}
	}
	if p := b.post("/keys", url.Values{"prefix": {"sk_"}}); p.status != http.StatusUnauthorized {
		t.Errorf("POST /keys: %d", p.status)
	}
	if p := b.get("/static/app.css"); p.status != 200 || !strings.Contains(p.header.Get("Content-Type"), "text/css") {
		t.Errorf("the stylesheet without a session: %d %s", p.status, p.header.Get("Content-Type"))
	}
	if p := b.get("/static/"); p.status != http.StatusNotFound {
		t.Errorf("the assets' folder is listed: %d", p.status)
	}
	if p := b.get("/v1/keys"); p.status != http.StatusUnauthorized {
		t.Errorf("the API is still at /v1: GET /v1/keys without a key is %d", p.status)
	}
}

var inlineScript = regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|<script(?:[^>]*[^>]*)>[^<]|\son[a-z]+=|style=`)

func TestPagesHeaders(t *testing.T) {
	e := newEnv(t, false)
	b := e.browser()
	b.mustSignIn(rootKey)
	_, k := e.api("POST", "/v1/keys", map[string]any{"prefix": "sk_", "name": "headers"})
	for _, path := range []string{"/", "/?range=7d", "/?range=30d", "/keys", "/keys/new", "/keys/" + k["id"].(string), "/keys/" + k["id"].(string) + "?range=30d",
		"/keys/" + k["id"].(string) + "/revoke", "/access-keys", "/audit", "/tokens", "/tokens?range=30d"} {
		p := b.get(path)
		if p.status != http.StatusOK {
			t.Errorf("GET %s: %d", path, p.status)
			continue
		}
		if strings.Contains(path, "range=") && !strings.Contains(p.body, `aria-current="true">`+path[strings.Index(path, "=")+1:]+"<") {
			t.Errorf("GET %s: the period is not marked current", path)
		}
		if (path == "/" || strings.HasPrefix(path, "/?")) && !strings.Contains(p.body, `<svg class="chart"`) {
			t.Errorf("GET %s: no chart", path)
		}
		csp := p.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("GET %s: Content-Security-Policy %q", path, csp)
		}
		if p.header.Get("Cache-Control") != "no-store" || p.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: Cache-Control %q, X-Content-Type-Options %q", path, p.header.Get("Cache-Control"), p.header.Get("X-Content-Type-Options"))
		}
		if m := inlineScript.FindString(p.body); m != "" {
			t.Errorf("GET %s: inline script or style: %q", path, m)
		}
		for _, form := range regexp.MustCompile(`(?s)<form[^>]*method="post".*?</form>`).FindAllString(p.body, -1) {
			if !strings.Contains(form, `name="csrf"`) {
				t.Errorf("GET %s: a form without a CSRF token: %.80s", path, form)
			}
		}
	}
}

func TestForms(t *testing.T) {
	backendtest.Run(t, testForms)
}

func testForms(t *testing.T, be backendtest.Backend) {
	e := newEnvOn(t, be, false)
	b := e.browser()
	b.mustSignIn(rootKey)
	token := csrfOf(t, b.get("/keys/new"))
	t.Run("a form without the session's token, or from another site, is refused", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			form   url.Values
			header []string
		}{
			{"no token", url.Values{"prefix": {"sk_"}}, nil},
			{"a wrong token", url.Values{"prefix": {"sk_"}, "csrf": {"x" + token}}, nil},
			{"another origin", url.Values{"prefix": {"sk_"}, "csrf": {token}}, []string{"Origin", "https://evil.example"}},
			{"a cross-site fetch", url.Values{"prefix": {"sk_"}, "csrf": {token}}, []string{"Sec-Fetch-Site", "cross-site"}},
		} {
			if p := b.post("/keys", c.form, c.header...); p.status != http.StatusForbidden {
				t.Errorf("%s: %d", c.name, p.status)
			}
		}
		if _, out := e.api("GET", "/v1/keys", nil); len(out["keys"].([]any)) != 0 {
			t.Fatalf("a refused form created a key: %v", out)
		}
	})
	t.Run("behind a proxy that passes another Host, the browser's same-origin forms go through", func(t *testing.T) {
		// nginx's default: the service sees Host 127.0.0.1:port, the
		// browser sends the public origin and Sec-Fetch-Site: same-origin.
		proxied := []string{"Origin", "https://secrets.example.com", "Sec-Fetch-Site", "same-origin"}
		if p := b.post("/keys", url.Values{"prefix": {"sk_"}, "name": {"proxied"}, "csrf": {token}}, proxied...); p.status != http.StatusCreated {
			t.Fatalf("a same-origin form through a proxy: %d", p.status)
		}
		other := e.browser()
		if p := other.post("/sign-in", url.Values{"csrf": {csrfOf(t, other.get("/sign-in"))}, "key": {rootKey}}, proxied...); p.status != http.StatusSeeOther {
			t.Fatalf("a same-origin sign-in through a proxy: %d", p.status)
		}
		// Without Sec-Fetch-Site, the Origin decides.
		if p := b.post("/keys", url.Values{"prefix": {"sk_"}, "csrf": {token}}, "Origin", "https://secrets.example.com"); p.status != http.StatusForbidden {
			t.Fatalf("another Origin and no Sec-Fetch-Site: %d", p.status)
		}
		_, out := e.api("GET", "/v1/keys", nil)
		for _, k := range out["keys"].([]any) {
			e.api("DELETE", "/v1/keys/"+k.(map[string]any)["id"].(string), nil)
		}
	})
	t.Run("a key created through the form is shown once and verifies", func(t *testing.T) {
		p := b.post("/keys", url.Values{"csrf": {token}, "prefix": {"sk_test_"}, "name": {"form key"}, "owner": {"alice"}, "remaining": {"5"}})
		if p.status != http.StatusCreated || p.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("create: %d, Cache-Control %q", p.status, p.header.Get("Cache-Control"))
		}
		m := regexp.MustCompile(`id="secret" readonly value="(sk_test_[^"]+)"`).FindStringSubmatch(p.body)
		if m == nil || !strings.Contains(p.body, "will not be shown again") {
			t.Fatalf("the created page shows no key and warning: %s", p.body)
		}
		status, v := e.api("POST", "/v1/keys/verify", map[string]any{"key": m[1]})
		if status != 200 || v["valid"] != true || v["owner"] != "alice" {
			t.Fatalf("verify the shown key: %d %v", status, v)
		}
		id := v["id"].(string)
		kp := b.get("/keys/" + id)
		if kp.status != 200 || strings.Contains(kp.body, m[1]) || !strings.Contains(kp.body, "form key") {
			t.Fatalf("the key's page: %d, shows the plaintext: %v", kp.status, strings.Contains(kp.body, m[1]))
		}
		if list := b.get("/keys?q=alice"); !strings.Contains(list.body, id) {
			t.Fatalf("the list searched by owner lacks the key")
		}
		if list := b.get("/keys?q=alice&status=revoked"); strings.Contains(list.body, id) {
			t.Fatalf("the list of revoked keys has a live one")
		}
		// Revoke behind its confirmation page.
		conf := b.get("/keys/" + id + "/revoke")
		if conf.status != 200 || !strings.Contains(conf.body, "cannot be undone") {
			t.Fatalf("confirmation: %d", conf.status)
		}
		if p := b.post("/keys/"+id+"/revoke", url.Values{"csrf": {csrfOf(t, conf)}}); p.status != http.StatusSeeOther {
			t.Fatalf("revoke: %d %s", p.status, p.body)
		}
		if status, v := e.api("POST", "/v1/keys/verify", map[string]any{"key": m[1]}); status != 200 || v["status"] != "REVOKED" {
			t.Fatalf("verify after revoking: %d %v", status, v)
		}
		if kp := b.get("/keys/" + id); !strings.Contains(kp.body, "keys.revoke") || !strings.Contains(kp.body, `id="key-status">revoked`) {
			t.Fatalf("the key's page after revoking lacks the audit record or status")
		}
	})
}

func TestScopes(t *testing.T) {
	backendtest.Run(t, testScopes)
}

func testScopes(t *testing.T, be backendtest.Backend) {
	e := newEnvOn(t, be, false)
	_, verifyOnly := e.accessKey("keys:verify")
	b := e.browser()
	b.mustSignIn(verifyOnly)
	home := b.get("/")
	if home.status != 200 {
		t.Fatalf("overview: %d", home.status)
	}
	for _, hidden := range []string{`href="/keys"`, `href="/keys/new"`, `href="/access-keys"`, `href="/audit"`, "Active keys"} {
		if strings.Contains(home.body, hidden) {
			t.Errorf("a verify-only key sees %s", hidden)
		}
	}
	for _, path := range []string{"/keys", "/keys/new", "/access-keys", "/audit"} {
		if p := b.get(path); p.status != http.StatusForbidden {
			t.Errorf("GET %s: %d", path, p.status)
		}
	}
	token := csrfOf(t, home)
	for _, path := range []string{"/keys", "/access-keys", "/tokens/revoke", "/keys/key_x/revoke"} {
		if p := b.post(path, url.Values{"csrf": {token}, "prefix": {"sk_"}, "name": {"x"}, "purpose": {"p"}, "subject": {"s"}}); p.status != http.StatusForbidden {
			t.Errorf("POST %s: %d", path, p.status)
		}
	}
	_, reader := e.accessKey("keys:read")
	r := e.browser()
	r.mustSignIn(reader)
	if p := r.get("/keys"); p.status != 200 || strings.Contains(p.body, `id="create-key"`) {
		t.Errorf("a read-only key: %d, sees the create button: %v", p.status, strings.Contains(p.body, `id="create-key"`))
	}
}

func TestSessionsEnd(t *testing.T) {
	backendtest.Run(t, testSessionsEnd)
}

func testSessionsEnd(t *testing.T, be backendtest.Backend) {
	closed := func(t *testing.T, b *browser, why string) {
		t.Helper()
		if p := b.get("/"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/sign-in" {
			t.Fatalf("%s: GET / is %d", why, p.status)
		}
	}
	t.Run("on sign-out, for the old cookie too", func(t *testing.T) {
		e := newEnvOn(t, be, false)
		b := e.browser()
		b.mustSignIn(rootKey)
		old := *b.session()
		if p := b.post("/sign-out", url.Values{"csrf": {csrfOf(t, b.get("/"))}}); p.status != http.StatusSeeOther {
			t.Fatalf("sign-out: %d", p.status)
		}
		closed(t, b, "after sign-out")
		u, _ := url.Parse(e.url)
		b.jar.SetCookies(u, []*http.Cookie{&old})
		closed(t, b, "the old cookie replayed")
	})
	t.Run("after the idle timeout", func(t *testing.T) {
		e := newEnvOn(t, be, false)
		b := e.browser()
		b.mustSignIn(rootKey)
		e.clock.add(29 * time.Minute)
		if p := b.get("/"); p.status != 200 {
			t.Fatalf("after 29 idle minutes: %d", p.status)
		}
		e.clock.add(30 * time.Minute)
		closed(t, b, "after 30 idle minutes")
	})
	t.Run("after the absolute timeout, however active", func(t *testing.T) {
		e := newEnvOn(t, be, false)
		b := e.browser()
		b.mustSignIn(rootKey)
		for range 12 * 4 {
			e.clock.add(15 * time.Minute)
			if b.get("/").status != 200 {
				break
			}
		}
		if !e.clock.Now().After(time.Now().Add(11 * time.Hour)) {
			t.Fatalf("the session ended before 11 hours")
		}
		closed(t, b, "after 12 hours")
	})
	t.Run("when its access key is revoked through the API", func(t *testing.T) {
		e := newEnvOn(t, be, false)
		id, key := e.accessKey("keys:read")
		b := e.browser()
		b.mustSignIn(key)
		if p := b.get("/keys"); p.status != 200 {
			t.Fatalf("before: %d", p.status)
		}
		if status, _ := e.api("DELETE", "/v1/access-keys/"+id, nil); status != http.StatusOK && status != http.StatusNoContent {
			t.Fatalf("revoke: %d", status)
		}
		closed(t, b, "after the revocation")
	})
}

func TestKeyActions(t *testing.T) {
	e := newEnv(t, false)
	b := e.browser()
	b.mustSignIn(rootKey)
	_, k := e.api("POST", "/v1/keys", map[string]any{"prefix": "sk_", "name": "acted on"})
	id, plain := k["id"].(string), k["key"].(string)
	verify := func(key string) string {
		_, v := e.api("POST", "/v1/keys/verify", map[string]any{"key": key})
		return v["status"].(string)
	}
	act := func(action string, want int) answer {
		t.Helper()
		conf := b.get("/keys/" + id + "/" + action)
		if conf.status != 200 {
			t.Fatalf("the confirmation of %s: %d", action, conf.status)
		}
		p := b.post("/keys/"+id+"/"+action, url.Values{"csrf": {csrfOf(t, conf)}})
		if p.status != want {
			t.Fatalf("%s: %d, want %d: %s", action, p.status, want, p.body)
		}
		return p
	}
	act("disable", http.StatusSeeOther)
	if got := verify(plain); got != "DISABLED" {
		t.Fatalf("after disabling: %s", got)
	}
	if p := b.get("/keys/" + id); strings.Contains(p.body, `id="action-disable"`) || !strings.Contains(p.body, `id="action-enable"`) {
		t.Fatal("a disabled key's page offers disable, or not enable")
	}
	act("enable", http.StatusSeeOther)
	if got := verify(plain); got != "VALID" {
		t.Fatalf("after enabling: %s", got)
	}
	p := act("reroll", http.StatusCreated)
	m := regexp.MustCompile(`id="secret" readonly value="(sk_[^"]+)"`).FindStringSubmatch(p.body)
	if m == nil || m[1] == plain || p.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("the reroll shows no new key")
	}
	if got := verify(m[1]); got != "VALID" {
		t.Fatalf("the rerolled key: %s", got)
	}
	if got := verify(plain); got == "VALID" {
		t.Fatalf("the old key after a reroll without overlap: %s", got)
	}
	// A key past its expiry, on the service's clock, is listed as expired.
	_, short := e.api("POST", "/v1/keys", map[string]any{"prefix": "sk_", "name": "short-lived", "expires_in": 60})
	e.clock.add(2 * time.Minute)
	if p := b.get("/keys?status=expired"); !strings.Contains(p.body, short["id"].(string)) || !strings.Contains(p.body, `<span class="badge expired">expired</span>`) {
		t.Fatal("the expired key is not listed as expired")
	}
	if p := b.get("/keys/" + short["id"].(string)); !strings.Contains(p.body, `id="key-status">expired<`) {
		t.Fatal("the expired key's page does not say so")
	}
	// Revoked, the key's page offers nothing; a stale form is refused.
	act("revoke", http.StatusSeeOther)
	if p := b.get("/keys/" + id); strings.Contains(p.body, `id="action-`) {
		t.Fatal("a revoked key's page offers an action")
	}
	conf := b.get("/keys/" + id + "/revoke")
	if p := b.post("/keys/"+id+"/disable", url.Values{"csrf": {csrfOf(t, conf)}}); p.status != http.StatusConflict || !strings.Contains(p.body, "revoked") {
		t.Fatalf("disabling a revoked key: %d", p.status)
	}
	if p := b.post("/keys/key_missing/revoke", url.Values{"csrf": {csrfOf(t, conf)}}); p.status != http.StatusNotFound {
		t.Fatalf("revoking a missing key: %d", p.status)
	}
	for _, c := range []struct{ path string }{{"/keys/" + id + "/explode"}, {"/keys/key_missing"}, {"/keys/key_missing/revoke"}} {
		if p := b.get(c.path); p.status != http.StatusNotFound {
			t.Errorf("GET %s: %d", c.path, p.status)
		}
	}
}

func TestKeysPagination(t *testing.T) {
	e := newEnv(t, false)
	b := e.browser()
	b.mustSignIn(rootKey)
	for i := range 120 {
		if status, _ := e.api("POST", "/v1/keys", map[string]any{"prefix": "sk_", "name": fmt.Sprintf("k%03d", i), "namespace": []string{"a", "b"}[i%2]}); status != 201 {
			t.Fatal(status)
		}
	}
	rows := regexp.MustCompile(`<tr><td><a href="/keys/(key_[^"]+)">`)
	next := regexp.MustCompile(`href="(/keys\?[^"]+)" rel="next"`)
	seen := map[string]bool{}
	path, pages := "/keys", 0
	for path != "" {
		p := b.get(path)
		if p.status != 200 {
			t.Fatalf("GET %s: %d", path, p.status)
		}
		pages++
		for _, m := range rows.FindAllStringSubmatch(p.body, -1) {
			if seen[m[1]] {
				t.Fatalf("%s listed twice", m[1])
			}
			seen[m[1]] = true
		}
		path = ""
		if m := next.FindStringSubmatch(p.body); m != nil {
			path = html.UnescapeString(m[1])
		}
	}
	if pages != 3 || len(seen) != 120 {
		t.Fatalf("%d pages listing %d keys, want 3 and 120", pages, len(seen))
	}
	p := b.get("/keys?namespace=b&status=bogus")
	if n := len(rows.FindAllStringSubmatch(p.body, -1)); p.status != 200 || n != 50 || !strings.Contains(p.body, "namespace=b") {
		t.Fatalf("namespace b with an unknown status: %d, %d rows", p.status, n)
	}
	// The next page keeps the filter: the other 10 keys of namespace b.
	m := next.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatal("no next page of namespace b")
	}
	p2 := b.get(html.UnescapeString(m[1]))
	if n := len(rows.FindAllStringSubmatch(p2.body, -1)); n != 10 || next.MatchString(p2.body) || !strings.Contains(p2.body, "First page") {
		t.Fatalf("the second page of namespace b: %d rows, a next link: %v", n, next.MatchString(p2.body))
	}
}

func TestAccessKeysAuditAndTokensPages(t *testing.T) {
	e := newEnv(t, false)
	b := e.browser()
	b.mustSignIn(rootKey)
	page := b.get("/access-keys")
	p := b.post("/access-keys", url.Values{"csrf": {csrfOf(t, page)}, "name": {"ci deploy"}, "namespaces": {"shop, *"}, "scopes": {"keys:read", "audit:read"}})
	m := regexp.MustCompile(`id="secret" readonly value="(sak_[^"]+)"`).FindStringSubmatch(p.body)
	if p.status != http.StatusCreated || m == nil {
		t.Fatalf("create an access key: %d", p.status)
	}
	if again := b.get("/access-keys"); strings.Contains(again.body, m[1]) {
		t.Fatal("the access key is shown a second time")
	}
	if p := b.post("/access-keys", url.Values{"csrf": {csrfOf(t, page)}, "name": {"no scopes"}, "namespaces": {"*"}}); p.status != http.StatusBadRequest || !strings.Contains(p.body, "scope") {
		t.Fatalf("an access key without scopes: %d", p.status)
	}
	// The new key signs in, sees the audit log, and is signed out when
	// the root revokes it here.
	other := e.browser()
	other.mustSignIn(m[1])
	audit := other.get("/audit?action=access.create")
	if audit.status != 200 || !strings.Contains(audit.body, "ci deploy") && !strings.Contains(audit.body, "access.create") {
		t.Fatalf("the audit log for the new key: %d", audit.status)
	}
	_, list := e.api("GET", "/v1/access-keys", nil)
	var id string
	for _, k := range list["access_keys"].([]any) {
		if k.(map[string]any)["name"] == "ci deploy" {
			id = k.(map[string]any)["id"].(string)
		}
	}
	conf := b.get("/access-keys/" + id + "/revoke")
	if p := b.post("/access-keys/"+id+"/revoke", url.Values{"csrf": {csrfOf(t, conf)}}); p.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", p.status)
	}
	if p := other.get("/audit"); p.status != http.StatusSeeOther {
		t.Fatalf("the revoked key's session: %d", p.status)
	}
	for _, c := range []struct {
		query  string
		status int
		has    string
	}{
		{"?action=access.revoke", 200, id},
		{"?actor=root&action=access.revoke", 200, id},
		{"?actor=ak_nobody", 200, "No record matches"},
		{"?from=2000-01-01T00:00&to=2000-01-02T00:00", 200, "No record matches"},
		{"?from=yesterday", 400, "from must be a date and time"},
	} {
		p := b.get("/audit" + c.query)
		if p.status != c.status || !strings.Contains(p.body, c.has) {
			t.Errorf("GET /audit%s: %d, has %q: %v", c.query, p.status, c.has, strings.Contains(p.body, c.has))
		}
	}
	// Revoke a subject's tokens.
	_, tok := e.api("POST", "/v1/tokens", map[string]any{"purpose": "reset", "subject": "u1"})
	tp := b.get("/tokens")
	if p := b.post("/tokens/revoke", url.Values{"csrf": {csrfOf(t, tp)}, "purpose": {"reset"}, "subject": {"u1"}}); p.status != 200 || !strings.Contains(p.body, "Revoked 1 token") {
		t.Fatalf("revoke tokens: %d", p.status)
	}
	if _, v := e.api("POST", "/v1/tokens/redeem", map[string]any{"purpose": "reset", "token": tok["token"]}); v["status"] != "REVOKED" {
		t.Fatalf("the token after the revocation: %v", v)
	}
	if p := b.post("/tokens/revoke", url.Values{"csrf": {csrfOf(t, tp)}, "purpose": {"reset"}}); p.status != http.StatusBadRequest || !strings.Contains(p.body, "subject is required") {
		t.Fatalf("revoke tokens without a subject: %d", p.status)
	}
}

func TestNamespacedKey(t *testing.T) {
	e := newEnv(t, false)
	_, shop := e.api("POST", "/v1/keys", map[string]any{"prefix": "sk_", "name": "shop key", "namespace": "shop"})
	_, other := e.api("POST", "/v1/keys", map[string]any{"prefix": "sk_", "name": "other key", "namespace": "other"})
	for range 3 {
		e.api("POST", "/v1/keys/verify", map[string]any{"key": shop["key"], "namespace": "shop"})
	}
	for range 5 {
		e.api("POST", "/v1/keys/verify", map[string]any{"key": other["key"], "namespace": "other"})
	}
	if err := e.srv.FlushAnalytics(context.Background()); err != nil {
		t.Fatal(err)
	}
	status, out := e.api("POST", "/v1/access-keys", map[string]any{"name": "shop team", "scopes": []string{"keys:read", "analytics:read"}, "namespaces": []string{"shop"}})
	if status != http.StatusCreated {
		t.Fatalf("create access key: %d %v", status, out)
	}
	b := e.browser()
	b.mustSignIn(out["key"].(string))
	home := b.get("/")
	if m := regexp.MustCompile(`id="stat-verifications">(\d+)<`).FindStringSubmatch(home.body); m == nil || m[1] != "3" {
		t.Fatalf("the shop key's overview counts %v verifications, want 3", m)
	}
	if m := regexp.MustCompile(`id="stat-active">(\d+)<`).FindStringSubmatch(home.body); m == nil || m[1] != "1" {
		t.Fatalf("the shop key's overview counts %v active keys, want 1", m)
	}
	list := b.get("/keys")
	if !strings.Contains(list.body, shop["id"].(string)) || strings.Contains(list.body, other["id"].(string)) {
		t.Fatal("the shop key's list is not the shop's keys")
	}
	if p := b.get("/keys/" + other["id"].(string)); p.status != http.StatusNotFound {
		t.Fatalf("another namespace's key: %d", p.status)
	}
	if p := b.get("/keys/" + shop["id"].(string)); p.status != 200 || !strings.Contains(p.body, "Verifications of this key") {
		t.Fatalf("the shop key's page: %d, chart: %v", p.status, strings.Contains(p.body, "Verifications of this key"))
	}
}

// A key of many namespaces sees the verifications of each of them in the
// overview, not of the first few only.
func TestManyNamespacesKey(t *testing.T) {
	e := newEnv(t, false)
	var namespaces []string
	for i := range 12 {
		namespaces = append(namespaces, fmt.Sprintf("ns%02d", i))
	}
	want := 0
	for i, ns := range namespaces {
		_, k := e.api("POST", "/v1/keys", map[string]any{"prefix": "sk_", "namespace": ns})
		for range i + 1 {
			if status, v := e.api("POST", "/v1/keys/verify", map[string]any{"key": k["key"], "namespace": ns}); status != 200 || v["valid"] != true {
				t.Fatalf("verify in %s: %d %v", ns, status, v)
			}
			want++
		}
	}
	if err := e.srv.FlushAnalytics(context.Background()); err != nil {
		t.Fatal(err)
	}
	status, out := e.api("POST", "/v1/access-keys", map[string]any{"name": "many", "scopes": []string{"analytics:read"}, "namespaces": namespaces})
	if status != http.StatusCreated {
		t.Fatalf("create access key: %d %v", status, out)
	}
	b := e.browser()
	b.mustSignIn(out["key"].(string))
	home := b.get("/")
	if m := regexp.MustCompile(`id="stat-verifications">(\d+)<`).FindStringSubmatch(home.body); m == nil || m[1] != fmt.Sprint(want) {
		t.Fatalf("the overview of a key of %d namespaces counts %v verifications, want %d", len(namespaces), m, want)
	}
}
