package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"golang.org/x/sync/errgroup"

	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/keys"
)

// The browser tests drive Debian's chromium (packages chromium and
// chromium-driver, which .ci/run installs) and check each page with
// axe-core, which .ci/run installs with npm ci in testdata/axe. Without
// them the tests skip, except under CI=true, where they fail.

func needOrSkip(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing, and CI=true: .ci/run installs it", what)
	}
	t.Skipf("%s is missing: skipping the browser test (apt-get install chromium chromium-driver; npm ci in dashboard/testdata/axe)", what)
}

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("SECRETS_CHROMIUM"), "chromium", "chromium-browser"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	needOrSkip(t, "chromium")
	return ""
}

func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		needOrSkip(t, "axe-core (npm ci in dashboard/testdata/axe)")
	}
	return string(b)
}

// cspWatch records, in every page the tab opens, what the
// Content-Security-Policy blocked.
const cspWatch = `window.__csp = []; document.addEventListener("securitypolicyviolation",
	e => window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile + ":" + e.lineNumber));`

// newTab starts a headless Chromium with a profile of its own and returns
// a tab in it.
func newTab(t *testing.T) context.Context {
	t.Helper()
	exe := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	if _, err := chromedp.Call(tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspWatch}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return tab
}

// tab is a browser tab on a test service.
type tab struct {
	t   *testing.T
	ctx context.Context
	e   *env
	axe string
}

// open navigates to path and returns the status of the page it ends on.
func (b *tab) open(path string) int64 {
	b.t.Helper()
	res, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.e.url+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	return res.Status
}

// click clicks sel and waits for the page it leads to; it returns its
// status.
func (b *tab) click(sel string) int64 {
	b.t.Helper()
	res, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
	return res.Status
}

func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func eval[T any](b *tab, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %.60s: %v", js, err)
	}
	return v
}

func (b *tab) location() string {
	b.t.Helper()
	u, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return strings.TrimPrefix(u, b.e.url)
}

// waitFor opens path until js evaluates to want, for at most ten seconds.
func (b *tab) waitFor(path, js, want string) {
	b.t.Helper()
	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if st := b.open(path); st != 200 {
			b.t.Fatalf("%s: %d", path, st)
		}
		if got = eval[string](b, "String("+js+")"); got == want {
			return
		}
	}
	b.t.Fatalf("%s: %s is %q after ten seconds, want %q", path, js, got, want)
}

func (b *tab) has(sel string) bool {
	return eval[bool](b, fmt.Sprintf(`document.querySelector(%q) !== null`, sel))
}

// check runs axe-core on the page and fails the test for a serious or
// critical violation, and for anything the Content-Security-Policy
// blocked.
func (b *tab) check(name string) {
	b.t.Helper()
	for _, v := range b.violations() {
		b.t.Errorf("%s: %s", name, v)
	}
}

// violations are the serious and critical findings of axe-core on the
// page, and what its Content-Security-Policy blocked.
func (b *tab) violations() []string {
	b.t.Helper()
	if !eval[bool](b, `typeof axe !== "undefined"`) {
		if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[chromedp.Void](b.axe)); err != nil {
			b.t.Fatalf("load axe-core: %v", err)
		}
	}
	found := eval[[]string](b, `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
		.filter(v => v.impact === "serious" || v.impact === "critical")
		.map(v => v.impact + " " + v.id + ": " + v.help + " at " + v.nodes.map(n => n.target.join(" ")).join(", ")))`)
	for _, v := range eval[[]string](b, `window.__csp || []`) {
		found = append(found, "the Content-Security-Policy blocked "+v)
	}
	return found
}

// TestBrowserChecksCatchFaults shows that the checks of every page can
// fail: a page with an unlabelled field, an image without text and an
// inline script under the dashboard's policy.
func TestBrowserChecksCatchFaults(t *testing.T) {
	e := newEnv(t, false)
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'")
		fmt.Fprint(w, `<!doctype html><html><head><title>bad</title></head><body><main><input type="text"><img src="data:,">`+
			`<script>document.title = "inline"</script></main></body></html>`)
	}))
	defer bad.Close()
	b := e.newTab(t)
	if _, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(bad.URL)); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(b.violations(), "\n")
	for _, want := range []string{"critical label", "critical image-alt", "serious html-has-lang", "Content-Security-Policy blocked script-src"} {
		if !strings.Contains(got, want) {
			t.Errorf("the checks missed %q; they found:\n%s", want, got)
		}
	}
}

func (b *tab) signIn(key string) {
	b.t.Helper()
	if st := b.open("/sign-in"); st != 200 {
		b.t.Fatalf("sign-in page: %d", st)
	}
	b.do(chromedp.SendKeys(chromedp.ID("key"), key))
	if st := b.click(`form button[type="submit"]`); st != 200 || b.location() != "/" {
		b.t.Fatalf("sign-in: %d at %s", st, b.location())
	}
}

func (e *env) newTab(t *testing.T) *tab {
	return &tab{t: t, ctx: newTab(t), e: e, axe: axeSource(t)}
}

func TestBrowser(t *testing.T) {
	backendtest.Run(t, testBrowser)
}

func testBrowser(t *testing.T, be backendtest.Backend) {
	e := newEnvOn(t, be, false)
	b := e.newTab(t)

	// Sign in.
	b.open("/sign-in")
	b.check("the sign-in page")
	b.signIn(rootKey)
	b.check("the overview")

	// Create a key and read it once.
	b.open("/keys")
	b.check("the keys")
	if st := b.click("#create-key"); st != 200 {
		t.Fatalf("the create page: %d", st)
	}
	b.check("the create page")
	b.do(chromedp.SendKeys(chromedp.ID("name"), "browser key"), chromedp.SendKeys(chromedp.ID("owner"), "ada"))
	if st := b.click(`form.card button[type="submit"]`); st != http.StatusCreated {
		t.Fatalf("create: %d", st)
	}
	b.check("the created key")
	plain, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("secret")))
	if err != nil || !strings.HasPrefix(plain, "sk_") {
		t.Fatalf("the shown key %q: %v", plain, err)
	}
	if !strings.Contains(b.text(".secret"), "will not be shown again") {
		t.Fatal("no warning that the key is shown once")
	}
	b.do(chromedp.Click(chromedp.CSS("button.copy")))
	if got := eval[string](b, `new Promise(r => setTimeout(() => r(document.querySelector(".copied").textContent), 300))`); got == "" {
		t.Error("the copy button said nothing")
	}
	if st := b.click("#to-key"); st != 200 {
		t.Fatalf("the key's page: %d", st)
	}
	keyPath := b.location()
	if body := eval[string](b, `document.body.innerHTML`); strings.Contains(body, plain) {
		t.Fatal("the key's page shows the plaintext key")
	}

	// Verify it through the API ten times.
	for i := range 10 {
		if status, v := e.api("POST", "/v1/keys/verify", map[string]any{"key": plain}); status != 200 || v["valid"] != true {
			t.Fatalf("verification %d: %d %v", i, status, v)
		}
	}
	// See the ten in the charts, once the service has flushed its counts
	// (every second).
	b.waitFor("/", `document.querySelector("#stat-verifications")?.textContent`, "10")
	b.check("the overview with its chart")
	if got := eval[string](b, `[...document.querySelectorAll("svg.chart title")].map(t => t.textContent).join("; ")`); !strings.HasSuffix(got, ": VALID 10") {
		t.Errorf("the overview's chart: bars %q, want one of VALID 10", got)
	}
	if got := b.text("#stat-success"); got != "100.0%" {
		t.Errorf("success rate %q", got)
	}
	b.waitFor(keyPath, `[...(document.querySelector("table.totals tbody tr")?.cells || [])].map(c => c.textContent.trim()).join(" ")`, "VALID 10 100.0%")
	b.check("the key's page")
	if got := eval[string](b, `[...document.querySelectorAll("svg.chart title")].map(t => t.textContent).join("; ")`); !strings.HasSuffix(got, ": VALID 10") {
		t.Errorf("the key's chart: bars %q, want one of VALID 10", got)
	}
	if got := b.text("#key-status"); got != "active" {
		t.Fatalf("status on the key's page: %q", got)
	}

	// Revoke it behind its confirmation, and see the audit record.
	if st := b.click("#action-revoke"); st != 200 {
		t.Fatalf("the confirmation: %d", st)
	}
	b.check("the confirmation")
	if st := b.click("#confirm"); st != 200 || b.location() != keyPath {
		t.Fatalf("revoke: %d at %s", st, b.location())
	}
	if got := b.text("#key-status"); got != "revoked" {
		t.Fatalf("status after revoking: %q", got)
	}
	if !strings.Contains(b.text("#key-audit"), "keys.revoke") {
		t.Fatal("the key's audit history lacks keys.revoke")
	}
	id := strings.TrimPrefix(keyPath, "/keys/")
	b.open("/audit?action=keys.revoke")
	b.check("the audit log")
	if !strings.Contains(b.text("#audit"), id) {
		t.Fatalf("the audit log filtered by keys.revoke lacks %s", id)
	}
	b.open("/access-keys")
	b.check("the access keys")
	b.open("/tokens")
	b.check("tokens and codes")

	// Sign out, and find the pages closed.
	if st := b.click(`form.signout button`); st != 200 || b.location() != "/sign-in" {
		t.Fatalf("sign-out: %d at %s", st, b.location())
	}
	for _, path := range []string{"/", "/keys", keyPath, "/audit", "/access-keys"} {
		b.open(path)
		if got := b.location(); got != "/sign-in" {
			t.Errorf("after signing out, %s ends at %s", path, got)
		}
	}

	// A verify-only access key sees no create button, and its POST is 403.
	_, verifyOnly := e.accessKey("keys:verify")
	b.signIn(verifyOnly)
	if b.has("#create-key") || b.has(`a[href="/keys"]`) {
		t.Error("a verify-only key sees the keys or the create button")
	}
	if st := b.open("/keys/new"); st != http.StatusForbidden {
		t.Errorf("a verify-only key opens the create page: %d", st)
	}
	b.check("the forbidden page")
	status := eval[int](b, `fetch("/keys", {method: "POST", body: new URLSearchParams({
		csrf: document.querySelector("input[name=csrf]").value, prefix: "sk_", name: "forged"})}).then(r => r.status)`)
	if status != http.StatusForbidden {
		t.Errorf("a verify-only key's POST of the create form: %d", status)
	}
	if _, out := e.api("GET", "/v1/keys", nil); len(out["keys"].([]any)) != 1 {
		t.Errorf("keys after the forbidden POST: %v", out["keys"])
	}
}

// TestBrowserAt375px checks that no page is wider than a 375-pixel screen.
func TestBrowserAt375px(t *testing.T) {
	e := newEnv(t, false)
	b := e.newTab(t)
	_, k := e.api("POST", "/v1/keys", map[string]any{"prefix": "sk_", "name": "narrow", "meta": map[string]any{"plan": "pro"}})
	b.signIn(rootKey)
	b.do(chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
	for _, path := range []string{"/", "/keys", "/keys/new", "/keys/" + k["id"].(string), "/access-keys", "/audit", "/tokens"} {
		b.open(path)
		if w := eval[int](b, `document.documentElement.scrollWidth`); w > 375 {
			t.Errorf("%s is %d px wide at 375 px", path, w)
		}
	}
}

// pageStats are what the browser measured of one page load.
type pageStats struct {
	Transfer float64 `json:"transfer"` // bytes over the wire, the page and its assets
	Decoded  float64 `json:"decoded"`
	Response float64 `json:"response"` // ms from the request to the last byte of the page
	Loaded   float64 `json:"loaded"`   // ms from the request to the load event
}

const statsJS = `new Promise(r => setTimeout(() => {
	const nav = performance.getEntriesByType("navigation")[0];
	const res = performance.getEntriesByType("resource");
	r({transfer: nav.transferSize + res.reduce((s, e) => s + e.transferSize, 0),
	   decoded: nav.decodedBodySize + res.reduce((s, e) => s + e.decodedBodySize, 0),
	   response: nav.responseEnd - nav.startTime, loaded: nav.loadEventEnd - nav.startTime});
}, 50))`

// TestBrowserWith10000Keys measures each page's weight and load time with
// 10,000 keys in the database (docs/DASHBOARD.md quotes the figures). It
// asserts the weight, which does not depend on the machine, not the time.
func TestBrowserWith10000Keys(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 10,000 keys")
	}
	e := newEnv(t, false)
	b := e.newTab(t)
	seedKeys(t, e, 10000)
	// A week of traffic, every hour of it with four outcomes: the fullest
	// chart of the overview (168 hours of stacked bars).
	_, k := e.api("POST", "/v1/keys", map[string]any{"prefix": "sk_", "name": "measured", "owner": "owner-42", "ratelimit": map[string]any{"limit": 1, "window": 60}})
	e.clock.add(-7 * 24 * time.Hour)
	for h := range 7 * 24 {
		if h > 0 {
			e.clock.add(time.Hour)
		}
		for _, key := range []any{k["key"], k["key"], "sk_notakey", "sk_live_0000000000000000000000000000000000000000000"} {
			e.api("POST", "/v1/keys/verify", map[string]any{"key": key})
		}
	}
	b.signIn(rootKey)
	for _, path := range []string{"/", "/?range=7d", "/?range=30d", "/keys", "/keys?q=owner-42", "/keys?status=active&namespace=ns3", "/keys/" + k["id"].(string), "/audit", "/access-keys"} {
		// Cold: nothing cached, the page with its stylesheet and script.
		if _, err := chromedp.Call(b.ctx, network.ClearBrowserCache, cdp.Empty{}); err != nil {
			t.Fatal(err)
		}
		b.open(path)
		cold := eval[pageStats](b, statsJS)
		// Warm: the assets from the cache, as on every page after the first.
		b.open(path)
		warm := eval[pageStats](b, statsJS)
		t.Logf("%-36s cold %5.1f KB (%5.1f KB decoded), load %5.1f ms; warm %5.1f KB, response %5.1f ms, load %5.1f ms",
			path, cold.Transfer/1024, cold.Decoded/1024, cold.Loaded, warm.Transfer/1024, warm.Response, warm.Loaded)
		if cold.Transfer > 150*1024 {
			t.Errorf("%s: %.0f bytes transferred, over 150 KB", path, cold.Transfer)
		}
		if cold.Transfer < warm.Transfer {
			t.Errorf("%s: the cold load (%.0f bytes) moved less than the warm one (%.0f): the measure is wrong", path, cold.Transfer, warm.Transfer)
		}
	}
	b.open("/keys")
	if n := eval[int](b, `document.querySelectorAll("#keys tbody tr").length`); n != 50 {
		t.Errorf("the first page of 10,001 keys lists %d", n)
	}
}

// seedKeys stores n keys through the store, as the service would.
func seedKeys(t *testing.T, e *env, n int) {
	t.Helper()
	start := time.Now()
	m := keys.New(e.st, keys.Options{Clock: e.clock})
	var g errgroup.Group
	g.SetLimit(4)
	for i := range n {
		g.Go(func() error {
			_, err := m.Create(context.Background(), keys.CreateOptions{Prefix: "sk_", Namespace: fmt.Sprintf("ns%d", i%10),
				Owner: fmt.Sprintf("owner-%d", i%1000), Name: fmt.Sprintf("seeded key %d", i)})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d keys in %v", n, time.Since(start).Round(time.Millisecond))
}

// TestBrowserKeyboard reaches the create button from the top of the keys
// page with the Tab key alone, sees the focus drawn, and follows it with
// Enter.
func TestBrowserKeyboard(t *testing.T) {
	e := newEnv(t, false)
	b := e.newTab(t)
	b.signIn(rootKey)
	b.open("/keys")
	b.do(chromedp.KeyEvent(kb.Tab))
	if got := eval[string](b, `document.activeElement.className`); got != "skip" {
		t.Fatalf("the first Tab focuses %q, not the skip link", got)
	}
	for i := 0; ; i++ {
		if i == 40 {
			t.Fatal("40 Tabs did not reach the create button")
		}
		b.do(chromedp.KeyEvent(kb.Tab))
		if eval[string](b, `document.activeElement.id`) == "create-key" {
			break
		}
	}
	if got := eval[string](b, `getComputedStyle(document.activeElement).outlineStyle + " " + getComputedStyle(document.activeElement).outlineWidth`); got != "solid 3px" {
		t.Errorf("the focused button's outline: %q", got)
	}
	if _, err := chromedp.RunResponse(b.ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	if got := b.location(); got != "/keys/new" {
		t.Fatalf("Enter on the create button leads to %s", got)
	}
}
