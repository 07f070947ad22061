// Package storetest is the conformance suite for store.Store backends: every
// backend runs [Run], which drives it through the token, code and key
// managers, checks the concurrency guarantees with one and with two handles
// on the same database, and scans the database for plaintext.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/unguessable/secrets/code"
	"github.com/unguessable/secrets/keys"
	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/token"
)

// Backend is a store.Store implementation under test.
type Backend struct {
	// NewDB creates a fresh, empty database for one test and returns a
	// function that opens a handle on it; the test may open several (two
	// "instances") and each is closed when the test ends.
	NewDB func(t testing.TB) func(t testing.TB) store.Store
	// Contents returns all the bytes the database holds: the files on disk,
	// or every row as text. The plaintext scan searches them.
	Contents func(t testing.TB, st store.Store) []byte
}

// Clock is a store.Clock that moves only when told, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock set to a fixed time with whole milliseconds.
func NewClock() *Clock {
	return &Clock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Pepper is a fixed pepper for tests.
var Pepper = bytes.Repeat([]byte{0x5e}, code.MinPepperBytes)

// env is one test's database and managers on it.
type env struct {
	st     store.Store
	clock  *Clock
	tokens *token.Manager
	codes  *code.Manager
	keys   *keys.Manager
}

func newEnv(t testing.TB, st store.Store, clock *Clock) *env {
	codes, err := code.New(st, Pepper, code.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, clock: clock,
		tokens: token.New(st, token.Options{Clock: clock}),
		codes:  codes,
		keys:   keys.New(st, keys.Options{Clock: clock}),
	}
}

// Run runs the conformance suite against b.
func Run(t *testing.T, b Backend) {
	fresh := func(t *testing.T) *env {
		open := b.NewDB(t)
		return newEnv(t, open(t), NewClock())
	}
	t.Run("tokens", func(t *testing.T) { testTokens(t, fresh) })
	t.Run("codes", func(t *testing.T) { testCodes(t, fresh) })
	t.Run("keys", func(t *testing.T) { testKeys(t, fresh) })
	t.Run("settings", func(t *testing.T) { testSettings(t, fresh(t)) })
	t.Run("sweeping", func(t *testing.T) { testSweep(t, fresh(t)) })
	t.Run("no plaintext reaches the database", func(t *testing.T) {
		open := b.NewDB(t)
		st := open(t)
		testPlaintext(t, newEnv(t, st, NewClock()), func() []byte { return b.Contents(t, st) })
	})
	t.Run("a second handle sees the same database and migrating again changes nothing", func(t *testing.T) {
		open := b.NewDB(t)
		clock := NewClock()
		a, c := newEnv(t, open(t), clock), newEnv(t, open(t), clock)
		iss, err := a.tokens.Issue(context.Background(), "reset", "u1", token.IssueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r, err := c.tokens.Redeem(context.Background(), "reset", iss.Token); err != nil || r.Status != token.Valid {
			t.Fatalf("redeem through the second handle: %v, %v", r.Status, err)
		}
	})
	t.Run("concurrency with one handle", func(t *testing.T) {
		testConcurrency(t, func(t *testing.T) (*env, *env) {
			e := fresh(t)
			return e, e
		})
	})
	t.Run("concurrency with two handles", func(t *testing.T) { RunConcurrency(t, b) })
}

// RunConcurrency runs the concurrency part of the suite alone, with two
// handles on each database: for a backend opened in an unusual
// configuration, such as another default isolation level.
func RunConcurrency(t *testing.T, b Backend) {
	testConcurrency(t, func(t *testing.T) (*env, *env) {
		open := b.NewDB(t)
		clock := NewClock()
		return newEnv(t, open(t), clock), newEnv(t, open(t), clock)
	})
}

func must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func testTokens(t *testing.T, fresh func(*testing.T) *env) {
	ctx := context.Background()
	t.Run("an issued token verifies, redeems once, then reads USED", func(t *testing.T) {
		e := fresh(t)
		iss := must[token.Issued](t)(e.tokens.Issue(ctx, "reset", "alice", token.IssueOptions{Meta: json.RawMessage(`{"ip":"10.0.0.1"}`)}))
		if len(iss.Token) != 43 || iss.Bits != 256 || !iss.ExpiresAt.Equal(e.clock.Now().Add(time.Hour)) {
			t.Fatalf("issued %d characters, %d bits, expiry %v", len(iss.Token), iss.Bits, iss.ExpiresAt)
		}
		for i := range 2 {
			r := must[token.Result](t)(e.tokens.Verify(ctx, "reset", iss.Token))
			if r.Status != token.Valid || r.Subject != "alice" || string(r.Meta) != `{"ip":"10.0.0.1"}` || r.ID != iss.ID {
				t.Fatalf("verify %d: %+v", i, r)
			}
		}
		if r := must[token.Result](t)(e.tokens.Redeem(ctx, "reset", iss.Token)); r.Status != token.Valid || r.Subject != "alice" {
			t.Fatalf("first redeem: %v", r.Status)
		}
		for _, f := range []func(context.Context, string, string) (token.Result, error){e.tokens.Redeem, e.tokens.Verify} {
			if r := must[token.Result](t)(f(ctx, "reset", iss.Token)); r.Status != token.Used || r.Subject != "alice" {
				t.Fatalf("after redeeming: %v", r.Status)
			}
		}
	})
	t.Run("a token is NOT_FOUND for another purpose, and garbage is NOT_FOUND", func(t *testing.T) {
		e := fresh(t)
		iss := must[token.Issued](t)(e.tokens.Issue(ctx, "reset", "bob", token.IssueOptions{Bytes: 16}))
		if len(iss.Token) != 22 {
			t.Fatalf("16 bytes gave %d characters", len(iss.Token))
		}
		for _, tc := range [][2]string{{"verify-email", iss.Token}, {"reset", iss.Token + "x"}, {"reset", ""}, {"", iss.Token}, {"reset", string(make([]byte, 5000))}} {
			if r := must[token.Result](t)(e.tokens.Redeem(ctx, tc[0], tc[1])); r.Status != token.NotFound {
				t.Fatalf("redeem with purpose %q: %v", tc[0], r.Status)
			}
		}
		if r := must[token.Result](t)(e.tokens.Redeem(ctx, "reset", iss.Token)); r.Status != token.Valid {
			t.Fatalf("the failed attempts consumed the token: %v", r.Status)
		}
	})
	t.Run("a token past its expiry is EXPIRED and cannot be redeemed", func(t *testing.T) {
		e := fresh(t)
		iss := must[token.Issued](t)(e.tokens.Issue(ctx, "magic", "carol", token.IssueOptions{TTL: time.Minute}))
		e.clock.Advance(time.Minute - time.Millisecond)
		if r := must[token.Result](t)(e.tokens.Verify(ctx, "magic", iss.Token)); r.Status != token.Valid {
			t.Fatalf("a millisecond before expiry: %v", r.Status)
		}
		e.clock.Advance(time.Millisecond)
		for _, f := range []func(context.Context, string, string) (token.Result, error){e.tokens.Redeem, e.tokens.Verify, e.tokens.Redeem} {
			if r := must[token.Result](t)(f(ctx, "magic", iss.Token)); r.Status != token.Expired {
				t.Fatalf("at expiry: %v", r.Status)
			}
		}
	})
	t.Run("issuing again revokes the earlier unused token unless asked to keep it", func(t *testing.T) {
		e := fresh(t)
		a := must[token.Issued](t)(e.tokens.Issue(ctx, "reset", "dave", token.IssueOptions{}))
		other := must[token.Issued](t)(e.tokens.Issue(ctx, "invite", "dave", token.IssueOptions{}))
		b := must[token.Issued](t)(e.tokens.Issue(ctx, "reset", "dave", token.IssueOptions{}))
		c := must[token.Issued](t)(e.tokens.Issue(ctx, "reset", "dave", token.IssueOptions{KeepExisting: true}))
		want := map[string]token.Status{a.Token: token.Revoked, other.Token: token.Valid, b.Token: token.Valid, c.Token: token.Valid}
		for tok, s := range want {
			purpose := "reset"
			if tok == other.Token { //secretsvet:ignore a test telling apart tokens it made itself
				purpose = "invite"
			}
			if r := must[token.Result](t)(e.tokens.Verify(ctx, purpose, tok)); r.Status != s {
				t.Errorf("token %s: %v, want %v", r.ID, r.Status, s)
			}
		}
		n := must[int64](t)(e.tokens.RevokeSubject(ctx, "reset", "dave"))
		if n != 2 {
			t.Errorf("RevokeSubject revoked %d, want 2", n)
		}
		for _, tok := range []string{b.Token, c.Token} {
			if r := must[token.Result](t)(e.tokens.Redeem(ctx, "reset", tok)); r.Status != token.Revoked {
				t.Errorf("after RevokeSubject: %v", r.Status)
			}
		}
		if r := must[token.Result](t)(e.tokens.Redeem(ctx, "invite", other.Token)); r.Status != token.Valid {
			t.Errorf("the other purpose's token: %v", r.Status)
		}
	})
	t.Run("bad options are an InvalidError naming the field", func(t *testing.T) {
		e := fresh(t)
		for field, opts := range map[string]token.IssueOptions{
			"ttl":   {TTL: -time.Second},
			"bytes": {Bytes: 15},
			"meta":  {Meta: json.RawMessage(`[1]`)},
		} {
			_, err := e.tokens.Issue(ctx, "p", "s", opts)
			var ie *store.InvalidError
			if !errors.As(err, &ie) || ie.Field != field || !errors.Is(err, token.ErrInvalid) {
				t.Errorf("%s: %v", field, err)
			}
		}
		if _, err := e.tokens.Issue(ctx, "", "s", token.IssueOptions{}); !errors.Is(err, token.ErrInvalid) {
			t.Errorf("empty purpose: %v", err)
		}
	})
}

func testCodes(t *testing.T, fresh func(*testing.T) *env) {
	ctx := context.Background()
	wrong := func(c string) string {
		b := []byte(c)
		b[0] = '0' + (b[0]-'0'+1)%10
		return string(b)
	}
	check := func(t *testing.T, e *env, subject, c string, want code.Status, left int) {
		t.Helper()
		r := must[code.Result](t)(e.codes.Check(ctx, "login", subject, c))
		if r.Status != want || r.AttemptsLeft != left {
			t.Fatalf("check: %v with %d left, want %v with %d", r.Status, r.AttemptsLeft, want, left)
		}
	}
	t.Run("the right code is APPROVED once, then NOT_FOUND", func(t *testing.T) {
		e := fresh(t)
		iss := must[code.Issued](t)(e.codes.Issue(ctx, "login", "+15550001", code.IssueOptions{}))
		if len(iss.Code) != 6 || iss.AttemptsLeft != 5 {
			t.Fatalf("code of %d digits, %d attempts", len(iss.Code), iss.AttemptsLeft)
		}
		check(t, e, "+15550001", iss.Code, code.Approved, 4)
		check(t, e, "+15550001", iss.Code, code.NotFound, 0)
		check(t, e, "+15550002", iss.Code, code.NotFound, 0)
	})
	t.Run("wrong codes are INVALID with fewer attempts left, then the right one is MAX_ATTEMPTS", func(t *testing.T) {
		e := fresh(t)
		iss := must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{Digits: 8, MaxAttempts: 3}))
		check(t, e, "u", wrong(iss.Code), code.Invalid, 2)
		check(t, e, "u", "not a code", code.Invalid, 1)
		check(t, e, "u", wrong(iss.Code), code.Invalid, 0)
		check(t, e, "u", iss.Code, code.MaxAttempts, 0)
	})
	t.Run("a code past its expiry is EXPIRED", func(t *testing.T) {
		e := fresh(t)
		iss := must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{}))
		e.clock.Advance(code.DefaultTTL)
		check(t, e, "u", iss.Code, code.Expired, 5)
	})
	t.Run("a new code cancels the pending one", func(t *testing.T) {
		e := fresh(t)
		old := must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{Digits: 10}))
		nw := must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{Digits: 10}))
		if old.Code == nw.Code {
			t.Skip("two 10-digit codes collided, a 1 in 10^10 event")
		}
		check(t, e, "u", old.Code, code.Invalid, 4)
		check(t, e, "u", nw.Code, code.Approved, 3)
	})
	t.Run("a code issued in the same millisecond as an approved one is the one checked", func(t *testing.T) {
		e := fresh(t)
		for i := range 3 {
			iss := must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{}))
			check(t, e, "u", iss.Code, code.Approved, 4)
			if i == 0 && e.clock.Now() != iss.CreatedAt {
				t.Fatal("the test clock moved")
			}
		}
	})
	t.Run("the send throttle refuses a sixth code in ten minutes and says when to retry", func(t *testing.T) {
		e := fresh(t)
		for i := range code.DefaultMaxSends {
			must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{}))
			if i == 0 {
				e.clock.Advance(3 * time.Minute)
			}
		}
		_, err := e.codes.Issue(ctx, "login", "u", code.IssueOptions{})
		var te *code.ThrottledError
		if !errors.As(err, &te) || !errors.Is(err, code.ErrThrottled) || te.RetryAfter != 7*time.Minute {
			t.Fatalf("sixth send: %v, want retry after 7m", err)
		}
		must[code.Issued](t)(e.codes.Issue(ctx, "login", "someone else", code.IssueOptions{}))
		e.clock.Advance(7 * time.Minute)
		iss := must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{}))
		check(t, e, "u", iss.Code, code.Approved, 4)
	})
	t.Run("a code is bound to its subject and purpose: elsewhere it is INVALID", func(t *testing.T) {
		e := fresh(t)
		mine := must[code.Issued](t)(e.codes.Issue(ctx, "login", "alice", code.IssueOptions{Digits: 10}))
		must[code.Issued](t)(e.codes.Issue(ctx, "login", "bob", code.IssueOptions{Digits: 10}))
		must[code.Issued](t)(e.codes.Issue(ctx, "reset", "alice", code.IssueOptions{Digits: 10}))
		check(t, e, "bob", mine.Code, code.Invalid, 4)
		if r := must[code.Result](t)(e.codes.Check(ctx, "reset", "alice", mine.Code)); r.Status != code.Invalid {
			t.Fatalf("alice's login code for her reset: %v", r.Status)
		}
		check(t, e, "alice", mine.Code, code.Approved, 4)
	})
	t.Run("a code checked under another pepper is INVALID", func(t *testing.T) {
		e := fresh(t)
		iss := must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{}))
		other, err := code.New(e.st, bytes.Repeat([]byte{1}, 32), code.Options{Clock: e.clock})
		if err != nil {
			t.Fatal(err)
		}
		if r := must[code.Result](t)(other.Check(ctx, "login", "u", iss.Code)); r.Status != code.Invalid {
			t.Fatalf("other pepper: %v", r.Status)
		}
		if _, err := code.New(e.st, make([]byte, 31), code.Options{}); !errors.Is(err, code.ErrPepper) {
			t.Fatalf("a 31-byte pepper: %v", err)
		}
	})
	t.Run("bad options are an InvalidError naming the field", func(t *testing.T) {
		e := fresh(t)
		for field, opts := range map[string]code.IssueOptions{
			"digits": {Digits: 3}, "ttl": {TTL: 25 * time.Hour}, "max_attempts": {MaxAttempts: -1},
		} {
			_, err := e.codes.Issue(ctx, "p", "s", opts)
			var ie *store.InvalidError
			if !errors.As(err, &ie) || ie.Field != field {
				t.Errorf("%s: %v", field, err)
			}
		}
	})
}

func testSettings(t *testing.T, e *env) {
	ctx := context.Background()
	v := must[[]byte](t)(e.st.LoadOrStoreSetting(ctx, "pepper", []byte("first")))
	w := must[[]byte](t)(e.st.LoadOrStoreSetting(ctx, "pepper", []byte("second")))
	if string(v) != "first" || string(w) != "first" {
		t.Fatalf("settings %q, %q; want the first value both times", v, w)
	}
	if err := e.st.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func testSweep(t *testing.T, e *env) {
	ctx := context.Background()
	used := must[token.Issued](t)(e.tokens.Issue(ctx, "reset", "a", token.IssueOptions{TTL: time.Hour}))
	must[token.Result](t)(e.tokens.Redeem(ctx, "reset", used.Token))
	must[code.Issued](t)(e.codes.Issue(ctx, "login", "a", code.IssueOptions{}))
	expiring := must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{ExpiresAt: e.clock.Now().Add(time.Hour)}))
	e.clock.Advance(2 * time.Hour)
	live := must[token.Issued](t)(e.tokens.Issue(ctx, "reset", "b", token.IssueOptions{TTL: 100 * time.Hour}))
	forever := must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{}))
	sw := &store.Sweeper{Store: e.st, Retention: 24 * time.Hour, Batch: 1, Clock: e.clock}
	if n := must[int64](t)(sw.Once(ctx)); n != 0 {
		t.Fatalf("swept %d records inside the retention", n)
	}
	e.clock.Advance(24 * time.Hour)
	if n := must[int64](t)(sw.Once(ctx)); n != 3 {
		t.Fatalf("swept %d records, want the used token, the code and the expired key", n)
	}
	if r := must[token.Result](t)(e.tokens.Verify(ctx, "reset", used.Token)); r.Status != token.NotFound {
		t.Errorf("swept token: %v", r.Status)
	}
	if r := must[keys.Result](t)(e.keys.Verify(ctx, expiring.Key, "", 1)); r.Status != keys.NotFound {
		t.Errorf("swept key: %v", r.Status)
	}
	if r := must[token.Result](t)(e.tokens.Verify(ctx, "reset", live.Token)); r.Status != token.Valid {
		t.Errorf("live token after sweep: %v", r.Status)
	}
	if r := must[keys.Result](t)(e.keys.Verify(ctx, forever.Key, "", 1)); r.Status != keys.Valid {
		t.Errorf("live key after sweep: %v", r.Status)
	}
	// A retention shorter than a code's life does not sweep the live code.
	long := must[code.Issued](t)(e.codes.Issue(ctx, "login", "long", code.IssueOptions{TTL: 2 * time.Hour}))
	e.clock.Advance(90 * time.Minute)
	must[int64](t)((&store.Sweeper{Store: e.st, Retention: time.Hour, Clock: e.clock}).Once(ctx))
	if r := must[code.Result](t)(e.codes.Check(ctx, "login", "long", long.Code)); r.Status != code.Approved {
		t.Errorf("a live code after a sweep with a shorter retention: %v", r.Status)
	}
	// Verification goes on while a sweep of many records runs in batches.
	for i := range 300 {
		must[token.Issued](t)(e.tokens.Issue(ctx, "bulk", "s"+strconv.Itoa(i), token.IssueOptions{TTL: time.Second}))
	}
	e.clock.Advance(25 * time.Hour)
	swept := make(chan int64, 1)
	go func() {
		n, err := (&store.Sweeper{Store: e.st, Retention: 24 * time.Hour, Batch: 5, Clock: e.clock}).Once(ctx)
		if err != nil {
			t.Error(err)
		}
		swept <- n
	}()
	verified := 0
	for done := false; !done; {
		select {
		case n := <-swept:
			if n != 301 {
				t.Errorf("swept %d records, want the 300 expired tokens and the long code", n)
			}
			done = true
		default:
			if r := must[keys.Result](t)(e.keys.Verify(ctx, forever.Key, "", 1)); r.Status != keys.Valid {
				t.Fatalf("verify during the sweep: %v", r.Status)
			}
			verified++
		}
	}
	t.Logf("%d verifications completed during a sweep of 300 records in batches of 5", verified)
	// Run stops with its context.
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- (&store.Sweeper{Store: e.st, Interval: time.Millisecond, Clock: e.clock}).Run(rctx) }()
	time.Sleep(5 * time.Millisecond)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
}

func testPlaintext(t *testing.T, e *env, contents func() []byte) {
	ctx := context.Background()
	var plain []string
	for i := range 5 {
		subject := string(rune('a' + i))
		plain = append(plain, must[token.Issued](t)(e.tokens.Issue(ctx, "reset", subject, token.IssueOptions{})).Token)
		plain = append(plain, must[code.Issued](t)(e.codes.Issue(ctx, "login", subject, code.IssueOptions{Digits: 10})).Code)
		k := must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{Prefix: "sk_scan_", Owner: subject}))
		plain = append(plain, k.Key)
		r := must[keys.Created](t)(e.keys.Reroll(ctx, k.ID, time.Hour))
		plain = append(plain, r.Key)
	}
	data := contents()
	if len(data) == 0 {
		t.Fatal("the backend returned no contents to scan")
	}
	if !bytes.Contains(data, []byte("sk_scan_")) {
		t.Fatal("the contents lack even the key prefixes: the scan reads the wrong thing")
	}
	for _, p := range plain {
		// The second half of a token or key, too: a store that split the
		// value would otherwise slip through. Codes are 10 digits so that a
		// chance match in the other bytes stays below 1e-6 per run; half of
		// one (5 digits) would not, so codes are searched whole.
		needles := []string{p}
		if len(p) > 16 {
			needles = append(needles, p[len(p)/2:])
		}
		for _, needle := range needles {
			if bytes.Contains(data, []byte(needle)) {
				t.Errorf("the database holds a plaintext secret of %d characters", len(p))
			}
		}
	}
}
