package code_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/unguessable/secrets/code"
	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/store"
)

// The code manager's behaviour on every backend (SQLite, and PostgreSQL
// when SECRETS_TEST_POSTGRES_URL is set).
func TestOnEveryBackend(t *testing.T) {
	backendtest.RunSuite(t, newEnv, backendtest.Suite[*env]{Tests: testCodes, Concurrency: testConcurrency, Plaintext: testPlaintext})
}

// env is one test's database and code manager on it.
type env struct {
	st    store.Store
	clock *backendtest.Clock
	codes *code.Manager
}

func newEnv(t testing.TB, st store.Store, clock *backendtest.Clock) *env {
	codes, err := code.New(st, backendtest.Pepper, code.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, clock: clock, codes: codes}
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
		r := backendtest.Must[code.Result](t)(e.codes.Check(ctx, "login", subject, c))
		if r.Status != want || r.AttemptsLeft != left {
			t.Fatalf("check: %v with %d left, want %v with %d", r.Status, r.AttemptsLeft, want, left)
		}
	}
	t.Run("the right code is APPROVED once, then NOT_FOUND", func(t *testing.T) {
		e := fresh(t)
		iss := backendtest.Must[code.Issued](t)(e.codes.Issue(ctx, "login", "+15550001", code.IssueOptions{}))
		if len(iss.Code) != 6 || iss.AttemptsLeft != 5 {
			t.Fatalf("code of %d digits, %d attempts", len(iss.Code), iss.AttemptsLeft)
		}
		check(t, e, "+15550001", iss.Code, code.Approved, 4)
		check(t, e, "+15550001", iss.Code, code.NotFound, 0)
		check(t, e, "+15550002", iss.Code, code.NotFound, 0)
	})
	t.Run("wrong codes are INVALID with fewer attempts left, then the right one is MAX_ATTEMPTS", func(t *testing.T) {
		e := fresh(t)
		iss := backendtest.Must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{Digits: 8, MaxAttempts: 3}))
		check(t, e, "u", wrong(iss.Code), code.Invalid, 2)
		check(t, e, "u", wrong(iss.Code), code.Invalid, 1)
		check(t, e, "u", wrong(iss.Code), code.Invalid, 0)
		check(t, e, "u", iss.Code, code.MaxAttempts, 0)
	})
	t.Run("a code past its expiry is EXPIRED", func(t *testing.T) {
		e := fresh(t)
		iss := backendtest.Must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{}))
		e.clock.Advance(code.DefaultTTL)
		check(t, e, "u", iss.Code, code.Expired, 5)
	})
	t.Run("a new code cancels the pending one", func(t *testing.T) {
		e := fresh(t)
		old := backendtest.Must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{Digits: 10}))
		nw := backendtest.Must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{Digits: 10}))
		if old.Code == nw.Code {
			t.Skip("two 10-digit codes collided, a 1 in 10^10 event")
		}
		check(t, e, "u", old.Code, code.Invalid, 4)
		check(t, e, "u", nw.Code, code.Approved, 3)
	})
	t.Run("a code issued in the same millisecond as an approved one is the one checked", func(t *testing.T) {
		e := fresh(t)
		for i := range 3 {
			iss := backendtest.Must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{}))
			check(t, e, "u", iss.Code, code.Approved, 4)
			if i == 0 && e.clock.Now() != iss.CreatedAt {
				t.Fatal("the test clock moved")
			}
		}
	})
	t.Run("the send throttle refuses a sixth code in ten minutes and says when to retry", func(t *testing.T) {
		e := fresh(t)
		for i := range code.DefaultMaxSends {
			backendtest.Must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{}))
			if i == 0 {
				e.clock.Advance(3 * time.Minute)
			}
		}
		_, err := e.codes.Issue(ctx, "login", "u", code.IssueOptions{})
		var te *code.ThrottledError
		if !errors.As(err, &te) || !errors.Is(err, code.ErrThrottled) || te.RetryAfter != 7*time.Minute {
			t.Fatalf("sixth send: %v, want retry after 7m", err)
		}
		backendtest.Must[code.Issued](t)(e.codes.Issue(ctx, "login", "someone else", code.IssueOptions{}))
		e.clock.Advance(7 * time.Minute)
		iss := backendtest.Must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{}))
		check(t, e, "u", iss.Code, code.Approved, 4)
	})
	t.Run("a code is bound to its subject and purpose: elsewhere it is INVALID", func(t *testing.T) {
		e := fresh(t)
		mine := backendtest.Must[code.Issued](t)(e.codes.Issue(ctx, "login", "alice", code.IssueOptions{Digits: 10}))
		backendtest.Must[code.Issued](t)(e.codes.Issue(ctx, "login", "bob", code.IssueOptions{Digits: 10}))
		backendtest.Must[code.Issued](t)(e.codes.Issue(ctx, "reset", "alice", code.IssueOptions{Digits: 10}))
		check(t, e, "bob", mine.Code, code.Invalid, 4)
		if r := backendtest.Must[code.Result](t)(e.codes.Check(ctx, "reset", "alice", mine.Code)); r.Status != code.Invalid {
			t.Fatalf("alice's login code for her reset: %v", r.Status)
		}
		check(t, e, "alice", mine.Code, code.Approved, 4)
	})
	t.Run("a code checked under another pepper is INVALID", func(t *testing.T) {
		e := fresh(t)
		iss := backendtest.Must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{}))
		other, err := code.New(e.st, bytes.Repeat([]byte{1}, 32), code.Options{Clock: e.clock})
		if err != nil {
			t.Fatal(err)
		}
		if r := backendtest.Must[code.Result](t)(other.Check(ctx, "login", "u", iss.Code)); r.Status != code.Invalid {
			t.Fatalf("other pepper: %v", r.Status)
		}
		if _, err := code.New(e.st, make([]byte, 31), code.Options{}); !errors.Is(err, code.ErrPepper) {
			t.Fatalf("a 31-byte pepper: %v", err)
		}
	})
	t.Run("after a pepper rotation the old pepper checks the codes it keyed and new codes use the new one", func(t *testing.T) {
		e := fresh(t)
		old := e.codes
		pending := backendtest.Must[code.Issued](t)(old.Issue(ctx, "login", "u", code.IssueOptions{}))
		newPepper := bytes.Repeat([]byte{2}, 32)
		rotated, err := code.New(e.st, newPepper, code.Options{Clock: e.clock, OldPeppers: [][]byte{backendtest.Pepper}})
		if err != nil {
			t.Fatal(err)
		}
		if r := backendtest.Must[code.Result](t)(rotated.Check(ctx, "login", "u", pending.Code)); r.Status != code.Approved {
			t.Fatalf("a code keyed by the old pepper, after rotation: %v", r.Status)
		}
		fresh := backendtest.Must[code.Issued](t)(rotated.Issue(ctx, "login", "v", code.IssueOptions{}))
		if r := backendtest.Must[code.Result](t)(old.Check(ctx, "login", "v", fresh.Code)); r.Status != code.Invalid {
			t.Fatalf("a code keyed by the new pepper, checked with the old alone: %v", r.Status)
		}
		if code.PepperID(newPepper) == code.PepperID(backendtest.Pepper) || len(code.PepperID(newPepper)) != 20 {
			t.Fatalf("pepper ids %q, %q", code.PepperID(newPepper), code.PepperID(backendtest.Pepper))
		}
		if _, err := code.New(e.st, newPepper, code.Options{OldPeppers: [][]byte{make([]byte, 31)}}); !errors.Is(err, code.ErrPepper) {
			t.Fatalf("a short old pepper: %v", err)
		}
	})
	t.Run("spaces and hyphens in a submitted code are ignored", func(t *testing.T) {
		e := fresh(t)
		for _, format := range []func(string) string{
			func(c string) string { return c[:3] + " " + c[3:] },
			func(c string) string { return c[:3] + "-" + c[3:] },
			func(c string) string { return " " + c[:2] + "-" + c[2:4] + "\t" + c[4:] + "\n" },
		} {
			iss := backendtest.Must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{}))
			check(t, e, "u", format(iss.Code), code.Approved, 4)
		}
	})
	t.Run("a submission of another length or with letters is INVALID and spends neither an attempt nor the budget", func(t *testing.T) {
		e := fresh(t)
		iss := backendtest.Must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{MaxAttempts: 3, MaxFailures: 3}))
		for _, bad := range []string{"not a code", iss.Code[:5], iss.Code + "0", iss.Code[:5] + "a", "１２３４５６", "", "0x1234", strings.Repeat("1", 1000)} {
			check(t, e, "u", bad, code.Invalid, 3)
		}
		check(t, e, "u", wrong(iss.Code), code.Invalid, 2)
		check(t, e, "u", iss.Code, code.Approved, 1)
	})
	t.Run("new codes do not refill the failure budget: after 10 wrong attempts in an hour, even the right code is MAX_ATTEMPTS until the hour ends", func(t *testing.T) {
		e := fresh(t)
		for i := range 2 {
			iss := backendtest.Must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{}))
			for j := range code.DefaultMaxAttempts {
				check(t, e, "u", wrong(iss.Code), code.Invalid, min(code.DefaultMaxAttempts, code.DefaultMaxFailures-5*i)-j-1)
			}
			e.clock.Advance(10 * time.Minute)
		}
		iss := backendtest.Must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{}))
		check(t, e, "u", iss.Code, code.MaxAttempts, 0)
		check(t, e, "someone else", iss.Code, code.NotFound, 0)
		e.clock.Advance(40*time.Minute - time.Millisecond)
		check(t, e, "u", iss.Code, code.MaxAttempts, 0)
		e.clock.Advance(time.Millisecond)
		iss = backendtest.Must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{}))
		check(t, e, "u", iss.Code, code.Approved, 4)
	})
	t.Run("a code's failure budget is set when it is issued", func(t *testing.T) {
		e := fresh(t)
		iss := backendtest.Must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{MaxFailures: 2, FailureWindow: 15 * time.Minute}))
		check(t, e, "u", wrong(iss.Code), code.Invalid, 1)
		check(t, e, "u", wrong(iss.Code), code.Invalid, 0)
		check(t, e, "u", iss.Code, code.MaxAttempts, 0)
		e.clock.Advance(15 * time.Minute)
		iss = backendtest.Must[code.Issued](t)(e.codes.Issue(ctx, "login", "u", code.IssueOptions{MaxFailures: 2, FailureWindow: 15 * time.Minute}))
		check(t, e, "u", iss.Code, code.Approved, 4)
	})
	t.Run("bad options are an InvalidError naming the field", func(t *testing.T) {
		e := fresh(t)
		for field, opts := range map[string]code.IssueOptions{
			"digits": {Digits: 3}, "ttl": {TTL: 25 * time.Hour}, "max_attempts": {MaxAttempts: -1},
			"max_failures": {MaxFailures: code.MaxMaxFailures + 1}, "failure_window": {FailureWindow: code.MinFailureWindow - time.Second},
		} {
			_, err := e.codes.Issue(ctx, "p", "s", opts)
			var ie *store.InvalidError
			if !errors.As(err, &ie) || ie.Field != field {
				t.Errorf("%s: %v", field, err)
			}
		}
	})
}

func testConcurrency(t *testing.T, pair func(*testing.T) (*env, *env)) {
	ctx := context.Background()
	t.Run("500 concurrent wrong guesses spend exactly the attempts and the right code then gets MAX_ATTEMPTS", func(t *testing.T) {
		a, b := pair(t)
		iss := backendtest.Must[code.Issued](t)(a.codes.Issue(ctx, "login", "u", code.IssueOptions{}))
		wrong := []byte(iss.Code)
		wrong[0] = '0' + (wrong[0]-'0'+1)%10
		got := backendtest.Parallel(t, 500, []*env{a, b}, func(e *env) (code.Status, error) {
			r, err := e.codes.Check(ctx, "login", "u", string(wrong))
			return r.Status, err
		})
		if got[code.Invalid] != code.DefaultMaxAttempts || got[code.MaxAttempts] != 500-code.DefaultMaxAttempts {
			t.Fatalf("outcomes %v, want %d INVALID and the rest MAX_ATTEMPTS", got, code.DefaultMaxAttempts)
		}
		c, res, err := a.st.CheckCode(ctx, "login", "u", store.CodeAttempt{}, a.clock.Now())
		if err != nil || res.Counted || c.Attempts != code.DefaultMaxAttempts {
			t.Fatalf("stored attempts %d (counted %v, %v), want %d", c.Attempts, res.Counted, err, code.DefaultMaxAttempts)
		}
		if r := backendtest.Must[code.Result](t)(b.codes.Check(ctx, "login", "u", iss.Code)); r.Status != code.MaxAttempts {
			t.Fatalf("the right code after the burst: %v", r.Status)
		}
	})
	t.Run("100 concurrent wrong guesses on two instances spend exactly the failure budget of 10, and the right code then gets MAX_ATTEMPTS", func(t *testing.T) {
		a, b := pair(t)
		iss := backendtest.Must[code.Issued](t)(a.codes.Issue(ctx, "login", "u", code.IssueOptions{MaxAttempts: 100}))
		wrong := []byte(iss.Code)
		wrong[0] = '0' + (wrong[0]-'0'+1)%10
		got := backendtest.Parallel(t, 100, []*env{a, b}, func(e *env) (code.Status, error) {
			r, err := e.codes.Check(ctx, "login", "u", string(wrong))
			return r.Status, err
		})
		if got[code.Invalid] != code.DefaultMaxFailures || got[code.MaxAttempts] != 100-code.DefaultMaxFailures {
			t.Fatalf("outcomes %v, want %d INVALID and the rest MAX_ATTEMPTS", got, code.DefaultMaxFailures)
		}
		nw := backendtest.Must[code.Issued](t)(b.codes.Issue(ctx, "login", "u", code.IssueOptions{MaxAttempts: 100}))
		if r := backendtest.Must[code.Result](t)(a.codes.Check(ctx, "login", "u", nw.Code)); r.Status != code.MaxAttempts {
			t.Fatalf("the right new code after the burst: %v", r.Status)
		}
	})
	t.Run("of 40 concurrent sends of a code to one subject exactly 5 are sent and the rest throttled", func(t *testing.T) {
		a, b := pair(t)
		got := backendtest.Parallel(t, 40, []*env{a, b}, func(e *env) (string, error) {
			_, err := e.codes.Issue(ctx, "login", "u", code.IssueOptions{})
			if errors.Is(err, code.ErrThrottled) {
				return "throttled", nil
			}
			return "sent", err
		})
		if got["sent"] != code.DefaultMaxSends || got["throttled"] != 40-code.DefaultMaxSends {
			t.Fatalf("outcomes %v, want %d sent and the rest throttled", got, code.DefaultMaxSends)
		}
	})
}

func testPlaintext(t *testing.T, e *env, contents func() []byte) {
	ctx := context.Background()
	var plain []string
	for i := range 5 {
		subject := string(rune('a' + i))
		plain = append(plain, backendtest.Must[code.Issued](t)(e.codes.Issue(ctx, "login", subject, code.IssueOptions{Digits: 10})).Code)
	}
	backendtest.NoPlaintext(t, contents(), "login", plain)
}
