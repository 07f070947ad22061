package keys_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/keys"
	"github.com/unguessable/secrets/store"
)

// Refills, named rate limits and owners' limits on every backend.
func TestLimitsOnEveryBackend(t *testing.T) {
	backendtest.RunSuite(t, newEnv, backendtest.Suite[*env]{Tests: testLimits, Concurrency: testLimitsConcurrency})
}

// stateOf returns the named limit state called name (of the owner if
// owner), failing the test if r has none.
func stateOf(t *testing.T, r keys.Result, name string, owner bool) keys.LimitState {
	t.Helper()
	for _, l := range r.RateLimits {
		if l.Name == name && l.Owner == owner {
			return l
		}
	}
	t.Fatalf("no limit %q (owner %v) in %+v", name, owner, r.RateLimits)
	return keys.LimitState{}
}

func testLimits(t *testing.T, fresh func(*testing.T) *env) {
	ctx := context.Background()
	verify := func(t *testing.T, e *env, key string, opts keys.VerifyOptions, want keys.Status) keys.Result {
		t.Helper()
		r := backendtest.Must[keys.Result](t)(e.keys.VerifyWith(ctx, key, opts))
		if r.Status != want {
			t.Fatalf("verify: %v, want %v (%+v)", r.Status, want, r)
		}
		return r
	}
	one := keys.VerifyOptions{Cost: 1}
	t.Run("a daily refill sets the remaining uses to its amount at the next midnight UTC, once however many were missed", func(t *testing.T) {
		e := fresh(t) // the clock starts at 2030-01-02 03:04:05 UTC
		c := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{Refill: &keys.Refill{Interval: keys.RefillDaily, Amount: 3}}))
		if c.Remaining == nil || *c.Remaining != 3 {
			t.Fatalf("a key with a refill and no remaining uses starts with %v, want the amount", c.Remaining)
		}
		for range 3 {
			verify(t, e, c.Key, one, keys.Valid)
		}
		r := verify(t, e, c.Key, one, keys.UsageExceeded)
		midnight := time.Date(2030, 1, 3, 0, 0, 0, 0, time.UTC)
		if r.Refill == nil || !r.Refill.Next.Equal(midnight) || r.Refill.Amount != 3 || *r.Remaining != 0 {
			t.Fatalf("refill %+v, remaining %v; want the next at %v", r.Refill, *r.Remaining, midnight)
		}
		e.clock.Advance(midnight.Sub(e.clock.Now()) - time.Millisecond)
		verify(t, e, c.Key, one, keys.UsageExceeded)
		e.clock.Advance(time.Millisecond)
		if r := verify(t, e, c.Key, one, keys.Valid); *r.Remaining != 2 {
			t.Fatalf("remaining %d after the refill and one use, want 2", *r.Remaining)
		}
		e.clock.Advance(5 * 24 * time.Hour) // five refills missed: one applies
		if r := verify(t, e, c.Key, keys.VerifyOptions{Cost: 2}, keys.Valid); *r.Remaining != 1 {
			t.Fatalf("remaining %d after days without a verification, want 3 - 2", *r.Remaining)
		}
	})
	t.Run("a monthly refill on day 31 refills on the last day of shorter months", func(t *testing.T) {
		e := fresh(t)
		c := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{Remaining: new(int64),
			Refill: &keys.Refill{Interval: keys.RefillMonthly, Amount: 10, Day: 31}}))
		r := verify(t, e, c.Key, one, keys.UsageExceeded)
		if want := time.Date(2030, 1, 31, 0, 0, 0, 0, time.UTC); !r.Refill.Next.Equal(want) {
			t.Fatalf("next refill %v, want %v", r.Refill.Next, want)
		}
		e.clock.Advance(time.Date(2030, 1, 31, 0, 0, 0, 0, time.UTC).Sub(e.clock.Now()))
		r = verify(t, e, c.Key, keys.VerifyOptions{Cost: 10}, keys.Valid)
		if want := time.Date(2030, 2, 28, 0, 0, 0, 0, time.UTC); !r.Refill.Next.Equal(want) || *r.Remaining != 0 {
			t.Fatalf("next refill %v, remaining %d; want %v and 0", r.Refill.Next, *r.Remaining, want)
		}
		e.clock.Advance(28 * 24 * time.Hour) // 2030-02-28
		verify(t, e, c.Key, keys.VerifyOptions{Cost: 10}, keys.Valid)
	})
	t.Run("every named limit of the key is spent when a verification names none, and none is spent when one refuses", func(t *testing.T) {
		e := fresh(t)
		n := int64(100)
		c := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{Remaining: &n, RateLimits: []keys.NamedRateLimit{
			{Name: "requests", Limit: 3, Window: time.Minute}, {Name: "tokens", Limit: 1, Window: time.Hour}}}))
		r := verify(t, e, c.Key, one, keys.Valid)
		if s := stateOf(t, r, "requests", false); s.Remaining != 2 || s.Limit != 3 || !s.Reset.Equal(e.clock.Now().Add(time.Minute)) {
			t.Fatalf("requests %+v", s)
		}
		if s := stateOf(t, r, "tokens", false); s.Remaining != 0 {
			t.Fatalf("tokens %+v", s)
		}
		r = verify(t, e, c.Key, one, keys.RateLimited)
		if s := stateOf(t, r, "requests", false); s.Remaining != 2 || *r.Remaining != 99 {
			t.Fatalf("a refused verification spent something: requests %+v, remaining %d", s, *r.Remaining)
		}
		// Naming one limit spends only that one.
		r = verify(t, e, c.Key, keys.VerifyOptions{Cost: 1, RateLimits: []keys.LimitCost{{Name: "requests", Cost: 2}}}, keys.Valid)
		if s := stateOf(t, r, "requests", false); s.Remaining != 0 || *r.Remaining != 98 {
			t.Fatalf("requests %+v, remaining %d", s, *r.Remaining)
		}
		_, err := e.keys.VerifyWith(ctx, c.Key, keys.VerifyOptions{Cost: 1, RateLimits: []keys.LimitCost{{Name: "nope", Cost: 1}}})
		var ie *store.InvalidError
		if !errors.Is(err, keys.ErrUnknownRateLimit) || !errors.As(err, &ie) || ie.Field != "ratelimits[0].name" {
			t.Fatalf("an unknown limit: %v", err)
		}
		e.clock.Advance(time.Minute)
		verify(t, e, c.Key, keys.VerifyOptions{Cost: 1, RateLimits: []keys.LimitCost{{Name: "requests", Cost: 3}}}, keys.Valid)
	})
	t.Run("an owner's limits are shared by its keys in its namespace, set after the keys or not, and removed", func(t *testing.T) {
		e := fresh(t)
		k1 := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{Owner: "acme"}))
		k2 := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{Owner: "acme", RateLimits: []keys.NamedRateLimit{{Name: "own", Limit: 10, Window: time.Hour}}}))
		other := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{Owner: "acme", Namespace: "elsewhere"}))
		o := backendtest.Must[keys.OwnerLimits](t)(e.keys.SetOwnerRateLimits(ctx, "", "acme", []keys.NamedRateLimit{{Name: "shared", Limit: 3, Window: time.Hour}}))
		if len(o.RateLimits) != 1 || o.RateLimits[0].Remaining != 3 || o.Namespace != keys.DefaultNamespace {
			t.Fatalf("owner limits %+v", o)
		}
		verify(t, e, k1.Key, one, keys.Valid)
		r := verify(t, e, k2.Key, keys.VerifyOptions{Cost: 2}, keys.Valid)
		if s := stateOf(t, r, "shared", true); s.Remaining != 0 {
			t.Fatalf("shared %+v", s)
		}
		if s := stateOf(t, r, "own", false); s.Remaining != 8 {
			t.Fatalf("own %+v", s)
		}
		verify(t, e, k1.Key, one, keys.RateLimited)
		r = verify(t, e, k2.Key, one, keys.RateLimited)
		if s := stateOf(t, r, "own", false); s.Remaining != 8 {
			t.Fatalf("a refusal by the owner's limit spent the key's: %+v", s)
		}
		verify(t, e, other.Key, keys.VerifyOptions{Namespace: "elsewhere", Cost: 1}, keys.Valid)
		// Naming the key's own limit only leaves the owner's alone.
		verify(t, e, k2.Key, keys.VerifyOptions{Cost: 1, RateLimits: []keys.LimitCost{{Name: "own", Cost: 1}}}, keys.Valid)
		o = backendtest.Must[keys.OwnerLimits](t)(e.keys.OwnerRateLimits(ctx, "", "acme"))
		if len(o.RateLimits) != 1 || o.RateLimits[0].Remaining != 0 {
			t.Fatalf("owner limits %+v", o)
		}
		// Raising the limit keeps the window: one more fits.
		backendtest.Must[keys.OwnerLimits](t)(e.keys.SetOwnerRateLimits(ctx, "", "acme", []keys.NamedRateLimit{{Name: "shared", Limit: 4, Window: time.Hour}}))
		verify(t, e, k1.Key, one, keys.Valid)
		verify(t, e, k1.Key, one, keys.RateLimited)
		backendtest.Must[keys.OwnerLimits](t)(e.keys.SetOwnerRateLimits(ctx, "", "acme", nil))
		if r := verify(t, e, k1.Key, one, keys.Valid); len(r.RateLimits) != 0 {
			t.Fatalf("limits %+v after the owner's were removed", r.RateLimits)
		}
	})
	t.Run("an update replaces the named limits keeping the windows of names that stay, and sets or removes a refill", func(t *testing.T) {
		e := fresh(t)
		c := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{RateLimits: []keys.NamedRateLimit{{Name: "a", Limit: 2, Window: time.Hour}}}))
		verify(t, e, c.Key, keys.VerifyOptions{Cost: 2}, keys.Valid)
		i := backendtest.Must[keys.Info](t)(e.keys.Update(ctx, c.ID, keys.Update{SetRateLimits: true, RateLimits: []keys.NamedRateLimit{
			{Name: "a", Limit: 3, Window: time.Hour}, {Name: "b", Limit: 5, Window: time.Minute}}}))
		if len(i.RateLimits) != 2 || i.RateLimits[1].Name != "b" {
			t.Fatalf("limits %+v", i.RateLimits)
		}
		r := verify(t, e, c.Key, one, keys.Valid)
		if stateOf(t, r, "a", false).Remaining != 0 || stateOf(t, r, "b", false).Remaining != 4 {
			t.Fatalf("limits %+v", r.RateLimits)
		}
		i = backendtest.Must[keys.Info](t)(e.keys.Update(ctx, c.ID, keys.Update{SetRefill: true, Refill: &keys.Refill{Interval: keys.RefillMonthly, Amount: 7}}))
		if i.Refill == nil || i.Refill.Day != 1 || i.Remaining == nil || *i.Remaining != 7 {
			t.Fatalf("refill %+v, remaining %v", i.Refill, i.Remaining)
		}
		i = backendtest.Must[keys.Info](t)(e.keys.Update(ctx, c.ID, keys.Update{SetRemaining: true}))
		if i.Refill != nil || i.Remaining != nil {
			t.Fatalf("unlimited uses kept refill %+v", i.Refill)
		}
		i = backendtest.Must[keys.Info](t)(e.keys.Update(ctx, c.ID, keys.Update{SetRateLimits: true}))
		if i.RateLimits != nil {
			t.Fatalf("limits %+v, want none", i.RateLimits)
		}
		if r := verify(t, e, c.Key, one, keys.Valid); r.RateLimits != nil || r.Refill != nil {
			t.Fatalf("result %+v", r)
		}
	})
	t.Run("a rerolled key spends the named limits and credits of its successor", func(t *testing.T) {
		e := fresh(t)
		c := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{Refill: &keys.Refill{Interval: keys.RefillDaily, Amount: 10},
			RateLimits: []keys.NamedRateLimit{{Name: "a", Limit: 3, Window: time.Hour}}}))
		verify(t, e, c.Key, one, keys.Valid)
		nw := backendtest.Must[keys.Created](t)(e.keys.Reroll(ctx, c.ID, time.Hour))
		verify(t, e, c.Key, one, keys.Valid)
		r := verify(t, e, nw.Key, one, keys.Valid)
		if stateOf(t, r, "a", false).Remaining != 0 || *r.Remaining != 7 {
			t.Fatalf("result %+v", r)
		}
		verify(t, e, c.Key, one, keys.RateLimited)
	})
	t.Run("bad refills, limits and costs are ErrInvalid naming the field", func(t *testing.T) {
		e := fresh(t)
		for field, opts := range map[string]keys.CreateOptions{
			"refill.interval":     {Refill: &keys.Refill{Interval: "weekly", Amount: 1}},
			"refill.amount":       {Refill: &keys.Refill{Interval: "daily"}},
			"refill.day":          {Refill: &keys.Refill{Interval: "monthly", Amount: 1, Day: 32}},
			"ratelimits[0].name":  {RateLimits: []keys.NamedRateLimit{{Name: "a b", Limit: 1, Window: time.Second}}},
			"ratelimits[1].name":  {RateLimits: []keys.NamedRateLimit{{Name: "a", Limit: 1, Window: time.Second}, {Name: "a", Limit: 1, Window: time.Second}}},
			"ratelimits[0].limit": {RateLimits: []keys.NamedRateLimit{{Name: "a", Window: time.Second}}},
		} {
			var ie *store.InvalidError
			if _, err := e.keys.Create(ctx, opts); !errors.As(err, &ie) || ie.Field != field {
				t.Errorf("%s: %v", field, err)
			}
		}
		c := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{}))
		_, err := e.keys.VerifyWith(ctx, c.Key, keys.VerifyOptions{RateLimits: []keys.LimitCost{{Name: "x", Cost: 1}}})
		if !errors.Is(err, keys.ErrUnknownRateLimit) {
			t.Fatalf("a limit named for a key with none: %v", err)
		}
		_, err = e.keys.VerifyWith(ctx, c.Key, keys.VerifyOptions{RateLimits: []keys.LimitCost{{Name: "x", Cost: -1}}})
		var ie *store.InvalidError
		if !errors.As(err, &ie) || ie.Field != "ratelimits[0].cost" {
			t.Fatalf("a negative cost: %v", err)
		}
	})
}

func testLimitsConcurrency(t *testing.T, pair func(*testing.T) (*env, *env)) {
	ctx := context.Background()
	t.Run("1,000 verifications on two instances over a refill time admit the credits before it and the refill after it, exactly", func(t *testing.T) {
		a, b := pair(t)
		c := backendtest.Must[keys.Created](t)(a.keys.Create(ctx, keys.CreateOptions{Refill: &keys.Refill{Interval: keys.RefillDaily, Amount: 300}}))
		run := func() map[keys.Status]int {
			return backendtest.Parallel(t, 500, []*env{a, b}, func(e *env) (keys.Status, error) {
				r, err := e.keys.Verify(ctx, c.Key, "", 1)
				return r.Status, err
			})
		}
		before := run()
		a.clock.Advance(24 * time.Hour) // the clock is shared: past the next midnight
		after := run()
		if before[keys.Valid] != 300 || before[keys.UsageExceeded] != 200 || after[keys.Valid] != 300 || after[keys.UsageExceeded] != 200 {
			t.Fatalf("outcomes %v before the refill and %v after, want 300 VALID of 500 in each", before, after)
		}
	})
	t.Run("a named limit of 100 admits exactly 100 of 400 concurrent verifications", func(t *testing.T) {
		a, b := pair(t)
		c := backendtest.Must[keys.Created](t)(a.keys.Create(ctx, keys.CreateOptions{RateLimits: []keys.NamedRateLimit{
			{Name: "requests", Limit: 100, Window: time.Hour}, {Name: "burst", Limit: 1000, Window: time.Minute}}}))
		got := backendtest.Parallel(t, 400, []*env{a, b}, func(e *env) (keys.Status, error) {
			r, err := e.keys.Verify(ctx, c.Key, "", 1)
			return r.Status, err
		})
		if got[keys.Valid] != 100 || got[keys.RateLimited] != 300 {
			t.Fatalf("outcomes %v, want 100 VALID", got)
		}
		r := backendtest.Must[keys.Result](t)(a.keys.Verify(ctx, c.Key, "", 0))
		if stateOf(t, r, "burst", false).Remaining != 900 {
			t.Fatalf("burst %+v: refused verifications spent it", r.RateLimits)
		}
	})
	t.Run("an owner's limit of 100 over two keys, one with a limit of its own of 40, admits exactly 100 and spends nothing refused", func(t *testing.T) {
		a, b := pair(t)
		backendtest.Must[keys.OwnerLimits](t)(a.keys.SetOwnerRateLimits(ctx, "", "acme", []keys.NamedRateLimit{{Name: "shared", Limit: 100, Window: time.Hour}}))
		k1 := backendtest.Must[keys.Created](t)(a.keys.Create(ctx, keys.CreateOptions{Owner: "acme", RateLimits: []keys.NamedRateLimit{{Name: "own", Limit: 40, Window: time.Hour}}}))
		k2 := backendtest.Must[keys.Created](t)(a.keys.Create(ctx, keys.CreateOptions{Owner: "acme"}))
		type outcome struct {
			key    int
			status keys.Status
		}
		i := 0
		var next = make(chan int, 400)
		for ; i < 400; i++ {
			next <- i % 2
		}
		got := backendtest.Parallel(t, 400, []*env{a, b}, func(e *env) (outcome, error) {
			k := <-next
			r, err := e.keys.Verify(ctx, []string{k1.Key, k2.Key}[k], "", 1)
			return outcome{k, r.Status}, err
		})
		admitted1, admitted2 := got[outcome{0, keys.Valid}], got[outcome{1, keys.Valid}]
		if admitted1+admitted2 != 100 || admitted1 > 40 {
			t.Fatalf("outcomes %v, want 100 VALID in all, at most 40 of the first key", got)
		}
		r := backendtest.Must[keys.Result](t)(a.keys.Verify(ctx, k1.Key, "", 0))
		if own, shared := stateOf(t, r, "own", false), stateOf(t, r, "shared", true); own.Remaining != int64(40-admitted1) || shared.Remaining != 0 {
			t.Fatalf("own %+v, shared %+v after %d admitted through the first key", own, shared, admitted1)
		}
	})
}
