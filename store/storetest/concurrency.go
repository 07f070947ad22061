package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/unguessable/secrets/code"
	"github.com/unguessable/secrets/keys"
	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/token"
)

// parallel runs n calls of f at once, call i on instance i%2, after all are
// ready, and returns how many results had each outcome.
func parallel[S comparable](t *testing.T, n int, a, b *env, f func(e *env) (S, error)) map[S]int {
	t.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
		count = map[S]int{}
		errs  []error
	)
	for i := range n {
		e := a
		if i%2 == 1 {
			e = b
		}
		wg.Go(func() {
			<-start
			s, err := f(e)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			count[s]++
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d calls failed; the first: %v", len(errs), n, errs[0])
	}
	return count
}

func testConcurrency(t *testing.T, pair func(*testing.T) (*env, *env)) {
	ctx := context.Background()
	t.Run("of 200 concurrent redemptions of one token exactly one is VALID", func(t *testing.T) {
		a, b := pair(t)
		iss := must[token.Issued](t)(a.tokens.Issue(ctx, "reset", "u", token.IssueOptions{}))
		got := parallel(t, 200, a, b, func(e *env) (token.Status, error) {
			r, err := e.tokens.Redeem(ctx, "reset", iss.Token)
			return r.Status, err
		})
		if got[token.Valid] != 1 || got[token.Used] != 199 {
			t.Fatalf("outcomes %v, want 1 VALID and 199 USED", got)
		}
	})
	t.Run("500 concurrent wrong guesses spend exactly the attempts and the right code then gets MAX_ATTEMPTS", func(t *testing.T) {
		a, b := pair(t)
		iss := must[code.Issued](t)(a.codes.Issue(ctx, "login", "u", code.IssueOptions{}))
		wrong := []byte(iss.Code)
		wrong[0] = '0' + (wrong[0]-'0'+1)%10
		got := parallel(t, 500, a, b, func(e *env) (code.Status, error) {
			r, err := e.codes.Check(ctx, "login", "u", string(wrong))
			return r.Status, err
		})
		if got[code.Invalid] != code.DefaultMaxAttempts || got[code.MaxAttempts] != 500-code.DefaultMaxAttempts {
			t.Fatalf("outcomes %v, want %d INVALID and the rest MAX_ATTEMPTS", got, code.DefaultMaxAttempts)
		}
		c, counted, _, err := a.st.CheckCode(ctx, "login", "u", nil, a.clock.Now())
		if err != nil || counted || c.Attempts != code.DefaultMaxAttempts {
			t.Fatalf("stored attempts %d (counted %v, %v), want %d", c.Attempts, counted, err, code.DefaultMaxAttempts)
		}
		if r := must[code.Result](t)(b.codes.Check(ctx, "login", "u", iss.Code)); r.Status != code.MaxAttempts {
			t.Fatalf("the right code after the burst: %v", r.Status)
		}
	})
	t.Run("of 40 concurrent sends of a code to one subject exactly 5 are sent and the rest throttled", func(t *testing.T) {
		a, b := pair(t)
		got := parallel(t, 40, a, b, func(e *env) (string, error) {
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
	t.Run("of 20 concurrent token issues for one subject exactly one stays live", func(t *testing.T) {
		a, b := pair(t)
		var mu sync.Mutex
		var issued []string
		parallel(t, 20, a, b, func(e *env) (bool, error) {
			iss, err := e.tokens.Issue(ctx, "reset", "u", token.IssueOptions{})
			mu.Lock()
			issued = append(issued, iss.Token)
			mu.Unlock()
			return true, err
		})
		got := map[token.Status]int{}
		for _, tok := range issued {
			got[must[token.Result](t)(a.tokens.Verify(ctx, "reset", tok)).Status]++
		}
		if got[token.Valid] != 1 || got[token.Revoked] != 19 {
			t.Fatalf("outcomes %v, want 1 VALID and 19 REVOKED", got)
		}
	})
	t.Run("a key with 100 remaining uses verified 1000 times at once is VALID exactly 100 times", func(t *testing.T) {
		a, b := pair(t)
		n := int64(100)
		c := must[keys.Created](t)(a.keys.Create(ctx, keys.CreateOptions{Remaining: &n}))
		got := parallel(t, 1000, a, b, func(e *env) (keys.Status, error) {
			r, err := e.keys.Verify(ctx, c.Key, "", 1)
			return r.Status, err
		})
		if got[keys.Valid] != 100 || got[keys.UsageExceeded] != 900 {
			t.Fatalf("outcomes %v, want 100 VALID and 900 USAGE_EXCEEDED", got)
		}
	})
	t.Run("a rate limit of 50 per window admits 50 of 300 concurrent verifications, then 50 more in the next window", func(t *testing.T) {
		a, b := pair(t)
		c := must[keys.Created](t)(a.keys.Create(ctx, keys.CreateOptions{RateLimit: &store.RateLimit{Limit: 50, Window: time.Minute}}))
		for range 2 {
			got := parallel(t, 300, a, b, func(e *env) (keys.Status, error) {
				r, err := e.keys.Verify(ctx, c.Key, "", 1)
				return r.Status, err
			})
			if got[keys.Valid] != 50 || got[keys.RateLimited] != 250 {
				t.Fatalf("outcomes %v, want 50 VALID and 250 RATE_LIMITED", got)
			}
			a.clock.Advance(time.Minute)
		}
	})
}
