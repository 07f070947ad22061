package dashboard_test

import (
	"bytes"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "write the screenshots to docs/screenshots")

// seedDay makes a day of traffic, an hour at a time, ending at the
// clock's present: key verifications of several outcomes, code checks and
// token redemptions.
func seedDay(t *testing.T, e *env) (checkoutID string) {
	t.Helper()
	e.clock.add(-23 * time.Hour)
	mk := func(body map[string]any) map[string]any {
		status, k := e.api("POST", "/v1/keys", body)
		if status != 201 {
			t.Fatalf("create key: %d %v", status, k)
		}
		return k
	}
	checkout := mk(map[string]any{"prefix": "sk_live_", "name": "checkout service", "owner": "acme", "namespace": "payments",
		"meta": map[string]any{"plan": "pro", "region": "eu-west"}, "remaining": 100000, "ratelimit": map[string]any{"limit": 60, "window": 60}})
	mobile := mk(map[string]any{"prefix": "sk_live_", "name": "mobile app", "owner": "acme", "ratelimit": map[string]any{"limit": 8, "window": 3600}})
	for i, name := range []string{"nightly export", "partner webhook", "staging", "support tool", "analytics job"} {
		mk(map[string]any{"prefix": "sk_test_", "name": name, "owner": fmt.Sprintf("team-%d", i%3), "namespace": []string{"default", "payments"}[i%2]})
	}
	for h := range 24 {
		if h > 0 {
			e.clock.add(time.Hour)
		}
		n := 6 + (h*7)%11
		for range n {
			e.api("POST", "/v1/keys/verify", map[string]any{"key": checkout["key"], "namespace": "payments"})
		}
		for range 4 + h%7 {
			e.api("POST", "/v1/keys/verify", map[string]any{"key": mobile["key"]})
		}
		if h%3 == 0 {
			e.api("POST", "/v1/keys/verify", map[string]any{"key": "sk_live_notakey"})
		}
		subject := fmt.Sprintf("user-%d", h)
		_, c := e.api("POST", "/v1/codes", map[string]any{"purpose": "login", "subject": subject})
		if h%4 == 0 {
			e.api("POST", "/v1/codes/verify", map[string]any{"purpose": "login", "subject": subject, "code": "000000"})
		}
		e.api("POST", "/v1/codes/verify", map[string]any{"purpose": "login", "subject": subject, "code": c["code"]})
		_, tok := e.api("POST", "/v1/tokens", map[string]any{"purpose": "reset", "subject": subject})
		e.api("POST", "/v1/tokens/redeem", map[string]any{"purpose": "reset", "token": tok["token"]})
		if h%5 == 0 {
			e.api("POST", "/v1/tokens/redeem", map[string]any{"purpose": "reset", "token": tok["token"]})
		}
	}
	return checkout["id"].(string)
}

// TestScreenshots takes the screenshots of docs/ (with
// -update-screenshots): the overview and a key's page, light and dark,
// after a day of traffic. It fails if a page shows an error, is not in
// the theme asked for, or has no chart.
func TestScreenshots(t *testing.T) {
	e := newEnv(t, false)
	b := e.newTab(t)
	id := seedDay(t, e)
	b.signIn(rootKey)
	dir := t.TempDir()
	if *updateScreenshots {
		dir = filepath.Join("..", "docs", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b.do(chromedp.EmulateViewport(1200, 1000))
	for _, theme := range []struct{ name, background string }{{"light", "rgb(255, 255, 255)"}, {"dark", "rgb(18, 20, 22)"}} {
		if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: theme.name}}}); err != nil {
			t.Fatal(err)
		}
		for _, p := range []struct{ name, path string }{{"overview", "/"}, {"key", "/keys/" + id}} {
			// The counts of the last hour reach the store within a second.
			b.waitFor(p.path, `document.querySelectorAll("svg.chart rect.hit").length >= 24`, "true")
			if b.has(`[role="alert"], .alert.error`) {
				t.Fatalf("%s (%s) shows an error: %s", p.name, theme.name, b.text(`[role="alert"], .alert.error`))
			}
			b.check(p.name + " (" + theme.name + ")")
			if bg := eval[string](b, `getComputedStyle(document.documentElement).backgroundColor`); bg != theme.background {
				t.Errorf("%s in the %s theme has the background %s", p.name, theme.name, bg)
			}
			shot, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(shot))
			if err != nil || img.Bounds().Dx() != 1200 {
				t.Fatalf("screenshot of %s: %v, %v", p.name, err, img.Bounds())
			}
			name := filepath.Join(dir, fmt.Sprintf("%s-%s.png", p.name, theme.name))
			if err := os.WriteFile(name, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d KB", strings.TrimPrefix(name, dir+"/"), len(shot)/1024)
		}
	}
}
