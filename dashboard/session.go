package dashboard

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/access"
	"github.com/unguessable/secrets/store"
)

// The cookies. The session's is the session id; the sign-in cookie is the
// token the sign-in form must repeat (there is no session yet to derive
// one from).
const (
	sessionCookie = "secrets_session"
	signInCookie  = "secrets_signin"
)

// touchEvery is how often a session's last use is written at most.
const touchEvery = time.Minute

// maxKeyInput caps the access key a sign-in form may send.
const maxKeyInput = 200

// keyCheck ties a session to the access key that opened it: a digest of
// the key's SHA-256, never the key or its digest itself.
func keyCheck(digest [32]byte) []byte {
	sum := sha256.Sum256(append([]byte("secrets dashboard session key\x00"), digest[:]...))
	return sum[:]
}

// sessionHash is what the store keeps of a session id.
func sessionHash(id string) []byte {
	sum := sha256.Sum256([]byte(id))
	return sum[:]
}

// csrfToken is the token every form of the session id carries: an HMAC
// keyed by the session id, which only the session's own pages know.
func csrfToken(sessionID string) string {
	m := hmac.New(sha256.New, []byte(sessionID))
	m.Write([]byte("secrets dashboard csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// session is a signed-in request's session.
type session struct {
	id   string // the cookie's value
	key  access.Key
	csrf string
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// errNoSession is returned by d.session for a request without a live
// session.
var errNoSession = errors.New("dashboard: not signed in")

// session returns r's live session: its cookie names a stored session
// within its timeouts, whose access key is still live (and, for the root
// key, still the same). An ended session is deleted.
func (d *Dashboard) session(w http.ResponseWriter, r *http.Request) (*session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return nil, errNoSession
	}
	ctx := r.Context()
	h := sessionHash(c.Value)
	s, err := d.st.SessionByHash(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		setCookie(w, r, sessionCookie, "", -1)
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	now := d.clock.Now()
	end := func() (*session, error) {
		if err := d.st.DeleteSession(context.WithoutCancel(ctx), h); err != nil {
			return nil, err
		}
		setCookie(w, r, sessionCookie, "", -1)
		return nil, errNoSession
	}
	if !now.Before(s.ExpiresAt) || now.Sub(s.LastSeenAt) >= d.opts.IdleTimeout {
		return end()
	}
	k, digest, err := d.opts.AccessKey(ctx, s.AccessKeyID)
	if errors.Is(err, access.ErrUnauthenticated) {
		return end()
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(keyCheck(digest), s.KeyCheck) != 1 {
		return end()
	}
	if now.Sub(s.LastSeenAt) >= touchEvery {
		if err := d.st.TouchSession(ctx, h, now); err != nil {
			return nil, err
		}
	}
	return &session{id: c.Value, key: k, csrf: csrfToken(c.Value)}, nil
}

// checkCSRF reports whether r's form carries the session's token.
func checkCSRF(r *http.Request, s *session) bool {
	return secrets.CompareDigestString(r.PostFormValue("csrf"), s.csrf)
}

func (d *Dashboard) signInPage(w http.ResponseWriter, r *http.Request) {
	if s, err := d.session(w, r); err == nil && s != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	d.renderSignIn(w, r, http.StatusOK, "")
}

func (d *Dashboard) renderSignIn(w http.ResponseWriter, r *http.Request, status int, problem string) {
	token := secrets.TokenURLSafe(32)
	setCookie(w, r, signInCookie, token, 3600)
	d.render(w, status, "signin", &view{Title: "Sign in", CSRF: token, Error: problem})
}

// signIn exchanges an access key for a session.
func (d *Dashboard) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	c, err := r.Cookie(signInCookie)
	// As every other form: the token of the sign-in cookie, and no other
	// site's Origin or Sec-Fetch-Site, so that a cookie planted from a
	// sibling origin (which SameSite does not stop) cannot sign a browser
	// into the planter's session.
	if err := r.ParseForm(); err != nil || c == nil || !secrets.CompareDigestString(r.PostFormValue("csrf"), c.Value) || crossSite(r) {
		d.renderSignIn(w, r, http.StatusForbidden, "The sign-in form had expired. Please try again.")
		return
	}
	addr := clientAddr(r)
	now := d.clock.Now()
	if wait := d.throttle.wait(addr, now); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Round(time.Second)/time.Second)))
		d.renderSignIn(w, r, http.StatusTooManyRequests, "Too many failed sign-ins from this address. Try again in a minute.")
		return
	}
	presented := r.PostFormValue("key")
	if len(presented) > maxKeyInput {
		presented = ""
	}
	k, digest, err := d.opts.Authenticate(r.Context(), presented)
	if errors.Is(err, access.ErrUnauthenticated) {
		d.throttle.fail(addr, now)
		d.renderSignIn(w, r, http.StatusUnauthorized, "That access key is not valid.")
		return
	}
	if err != nil {
		d.failed(w, r, err)
		return
	}
	// Sessions that ended are deleted as new ones begin.
	if _, err := d.st.DeleteSessions(r.Context(), "", now, now.Add(-d.opts.IdleTimeout)); err != nil {
		d.failed(w, r, err)
		return
	}
	id := secrets.TokenURLSafe(32)
	s := store.Session{Hash: sessionHash(id), AccessKeyID: k.ID, KeyCheck: keyCheck(digest), CreatedAt: now,
		LastSeenAt: now, ExpiresAt: now.Add(d.opts.AbsoluteTimeout)}
	if err := d.st.InsertSession(r.Context(), s); err != nil {
		d.failed(w, r, err)
		return
	}
	setCookie(w, r, signInCookie, "", -1)
	setCookie(w, r, sessionCookie, id, int(d.opts.AbsoluteTimeout/time.Second))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (d *Dashboard) signOut(w http.ResponseWriter, r *http.Request, s *session) {
	if err := d.st.DeleteSession(r.Context(), sessionHash(s.id)); err != nil {
		d.failed(w, r, err)
		return
	}
	setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
}

// clientAddr is the throttle's key of r's remote address: the IP address,
// or its /64 network for IPv6, where one client commonly holds a whole /64
// (and could otherwise try five keys from each of its 2^64 addresses), as
// the API's throttle of wrong keys counts them.
func clientAddr(r *http.Request) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	a := ap.Addr().Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// throttle counts failed sign-ins per client address: SignInFailures in a
// window of SignInWindow, then the address waits for the window's end.
type throttle struct {
	on    bool
	mu    sync.Mutex
	addrs map[string]*window
}

type window struct {
	start    time.Time
	failures int
}

// maxThrottled bounds the addresses remembered: a flood from many
// addresses forgets the oldest windows rather than grow without end.
const maxThrottled = 100000

func newThrottle(on bool) *throttle { return &throttle{on: on, addrs: map[string]*window{}} }

// wait is how long addr must wait before it may try again.
func (t *throttle) wait(addr string, now time.Time) time.Duration {
	if !t.on {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	w, ok := t.addrs[addr]
	if !ok || now.Sub(w.start) >= SignInWindow {
		return 0
	}
	if w.failures >= SignInFailures {
		return w.start.Add(SignInWindow).Sub(now)
	}
	return 0
}

// fail counts a failed sign-in of addr.
func (t *throttle) fail(addr string, now time.Time) {
	if !t.on {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	w, ok := t.addrs[addr]
	if !ok || now.Sub(w.start) >= SignInWindow {
		if len(t.addrs) >= maxThrottled {
			for a, old := range t.addrs {
				if now.Sub(old.start) >= SignInWindow {
					delete(t.addrs, a)
				}
			}
			if len(t.addrs) >= maxThrottled {
				clear(t.addrs)
			}
		}
		w = &window{start: now}
		t.addrs[addr] = w
	}
	w.failures++
}
