package keys_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/unguessable/secrets/apikey"
	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/keys"
	"github.com/unguessable/secrets/store"
)

// The keys manager's behaviour on every backend (SQLite, and PostgreSQL
// when SECRETS_TEST_POSTGRES_URL is set).
func TestOnEveryBackend(t *testing.T) {
	backendtest.RunSuite(t, newEnv, backendtest.Suite[*env]{Tests: testKeys, Concurrency: testConcurrency, Plaintext: testPlaintext})
}

// env is one test's database and key manager on it.
type env struct {
	st    store.Store
	clock *backendtest.Clock
	keys  *keys.Manager
}

func newEnv(_ testing.TB, st store.Store, clock *backendtest.Clock) *env {
	return &env{st: st, clock: clock, keys: keys.New(st, keys.Options{Clock: clock})}
}

func testKeys(t *testing.T, fresh func(*testing.T) *env) {
	ctx := context.Background()
	verify := func(t *testing.T, e *env, key, ns string, cost int64, want keys.Status) keys.Result {
		t.Helper()
		r := backendtest.Must[keys.Result](t)(e.keys.Verify(ctx, key, ns, cost))
		if r.Status != want {
			t.Fatalf("verify: %v, want %v", r.Status, want)
		}
		return r
	}
	i64 := func(v int64) *int64 { return &v }
	t.Run("a created key verifies with its owner and metadata and is stored redacted", func(t *testing.T) {
		e := fresh(t)
		c := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{Prefix: "sk_live_", Namespace: "billing", Owner: "acct_1", Name: "ci", Meta: json.RawMessage(`{"plan":"pro"}`)}))
		if _, err := apikey.Parse(c.Key); err != nil || c.Start != apikey.Redact(c.Key) || c.Prefix != "sk_live_" || !c.Enabled {
			t.Fatalf("created %+v: %v", c.Info, err)
		}
		r := verify(t, e, c.Key, "billing", 1, keys.Valid)
		if r.ID != c.ID || r.Owner != "acct_1" || r.Name != "ci" || string(r.Meta) != `{"plan":"pro"}` || r.Remaining != nil || r.RateLimit != nil {
			t.Fatalf("result %+v", r)
		}
		verify(t, e, c.Key, "", 1, keys.NotFound)
		verify(t, e, c.Key, "other", 1, keys.NotFound)
		g := backendtest.Must[keys.Info](t)(e.keys.Get(ctx, c.ID))
		if g.Owner != "acct_1" || g.Namespace != "billing" || !g.CreatedAt.Equal(e.clock.Now()) {
			t.Fatalf("get %+v", g)
		}
		if _, err := e.keys.Get(ctx, "key_nope"); !errors.Is(err, keys.ErrNotFound) {
			t.Fatalf("get unknown: %v", err)
		}
	})
	t.Run("concurrent lookups by hash each get their own key, field for field, and unknown hashes are not found", func(t *testing.T) {
		// The stores serve concurrent lookups together (one statement for
		// many hashes); every caller must still get exactly its own row.
		e := fresh(t)
		const n = 200
		type want struct {
			hash []byte
			key  store.Key
		}
		wants := make([]want, n)
		for i := range wants {
			opts := keys.CreateOptions{Owner: fmt.Sprint("owner-", i), Name: fmt.Sprint("name-", i)}
			// Every optional column, set on some keys and NULL on others.
			if i%2 == 0 {
				opts.Meta = json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))
			}
			if i%3 == 0 {
				opts.Remaining = i64(int64(1000 + i))
			}
			if i%5 == 0 {
				opts.ExpiresAt = e.clock.Now().Add(time.Duration(i+1) * time.Hour)
			}
			if i%7 == 0 {
				opts.RateLimit = &store.RateLimit{Limit: int64(i + 1), Window: time.Duration(i+1) * time.Second}
			}
			c := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, opts))
			sum := sha256.Sum256([]byte(c.Key))
			wants[i] = want{sum[:], backendtest.Must[store.Key](t)(e.st.KeyByID(ctx, c.ID))}
		}
		if _, err := e.keys.Revoke(ctx, wants[0].key.ID); err != nil {
			t.Fatal(err)
		}
		wants[0].key = backendtest.Must[store.Key](t)(e.st.KeyByID(ctx, wants[0].key.ID))
		var wg sync.WaitGroup
		for g := range 8 * n {
			wg.Go(func() {
				if g%8 == 7 { // an unknown hash among the known
					unknown := sha256.Sum256([]byte(fmt.Sprint("unknown-", g)))
					if k, err := e.st.KeyByHash(ctx, unknown[:]); !errors.Is(err, store.ErrNotFound) {
						t.Errorf("unknown hash: got key %q, err %v; want ErrNotFound", k.ID, err)
					}
					return
				}
				w := wants[g%n]
				k, err := e.st.KeyByHash(ctx, w.hash)
				if err != nil {
					t.Errorf("key %d: %v", g%n, err)
					return
				}
				if !reflect.DeepEqual(k, w.key) {
					t.Errorf("key %d by hash:\n got %+v\nwant %+v", g%n, k, w.key)
				}
				// What a caller does with its key never shows in another's.
				k.Hash[0] ^= 0xff
				if k.Meta != nil {
					k.Meta[0] = 'X'
				}
				if k.Remaining != nil {
					*k.Remaining = -1
				}
			})
		}
		wg.Wait()
		if _, err := e.st.KeyByHash(ctx, nil); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("empty hash: %v, want ErrNotFound", err)
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := e.st.KeyByHash(cancelled, wants[1].hash); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled context: %v, want context.Canceled", err)
		}
	})
	t.Run("malformed keys are MALFORMED and well-formed unknown keys NOT_FOUND", func(t *testing.T) {
		e := fresh(t)
		c := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{}))
		typo := []byte(c.Key)
		typo[10] ^= 1
		for _, k := range []string{string(typo), "", "sk_", c.Key + "0", "Bearer " + c.Key} {
			verify(t, e, k, "", 1, keys.Malformed)
		}
		verify(t, e, apikey.New("sk_"), "", 1, keys.NotFound)
		verify(t, e, c.Key, "", 1, keys.Valid)
	})
	t.Run("expired, revoked and disabled keys say so", func(t *testing.T) {
		e := fresh(t)
		exp := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{ExpiresAt: e.clock.Now().Add(time.Minute)}))
		rev := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{}))
		dis := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{Remaining: i64(5)}))
		verify(t, e, exp.Key, "", 1, keys.Valid)
		backendtest.Must[keys.Info](t)(e.keys.Revoke(ctx, rev.ID))
		if i := backendtest.Must[keys.Info](t)(e.keys.Revoke(ctx, rev.ID)); i.RevokedAt.IsZero() {
			t.Fatal("revoking twice lost the revocation")
		}
		off := false
		backendtest.Must[keys.Info](t)(e.keys.Update(ctx, dis.ID, keys.Update{Enabled: &off}))
		e.clock.Advance(time.Minute)
		verify(t, e, exp.Key, "", 1, keys.Expired)
		verify(t, e, rev.Key, "", 1, keys.Revoked)
		r := verify(t, e, dis.Key, "", 1, keys.Disabled)
		if *r.Remaining != 5 {
			t.Fatalf("a disabled key spent a use: %d left", *r.Remaining)
		}
		on := true
		backendtest.Must[keys.Info](t)(e.keys.Update(ctx, dis.ID, keys.Update{Enabled: &on}))
		verify(t, e, dis.Key, "", 1, keys.Valid)
	})
	t.Run("remaining uses count down by the cost and then USAGE_EXCEEDED", func(t *testing.T) {
		e := fresh(t)
		c := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{Remaining: i64(3)}))
		if r := verify(t, e, c.Key, "", 2, keys.Valid); *r.Remaining != 1 {
			t.Fatalf("remaining %d, want 1", *r.Remaining)
		}
		if r := verify(t, e, c.Key, "", 2, keys.UsageExceeded); *r.Remaining != 1 {
			t.Fatalf("a refused verification spent: %d left", *r.Remaining)
		}
		verify(t, e, c.Key, "", 0, keys.Valid)
		verify(t, e, c.Key, "", 1, keys.Valid)
		verify(t, e, c.Key, "", 1, keys.UsageExceeded)
		backendtest.Must[keys.Info](t)(e.keys.Update(ctx, c.ID, keys.Update{SetRemaining: true, Remaining: i64(1)}))
		verify(t, e, c.Key, "", 1, keys.Valid)
		backendtest.Must[keys.Info](t)(e.keys.Update(ctx, c.ID, keys.Update{SetRemaining: true}))
		if r := verify(t, e, c.Key, "", 1000, keys.Valid); r.Remaining != nil {
			t.Fatal("unlimited after the update, but a count came back")
		}
		if _, err := e.keys.Verify(ctx, c.Key, "", -1); !errors.Is(err, keys.ErrInvalid) {
			t.Fatalf("negative cost: %v", err)
		}
	})
	t.Run("a rate limit admits the limit per window and says when it resets", func(t *testing.T) {
		e := fresh(t)
		c := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{RateLimit: &store.RateLimit{Limit: 2, Window: time.Minute}}))
		windowEnd := e.clock.Now().Add(time.Minute) // a minute after the first use
		if r := verify(t, e, c.Key, "", 1, keys.Valid); r.RateLimit.Remaining != 1 || !r.RateLimit.Reset.Equal(windowEnd) || r.RateLimit.Limit != 2 {
			t.Fatalf("rate limit state %+v, want 1 left until %v", r.RateLimit, windowEnd)
		}
		verify(t, e, c.Key, "", 1, keys.Valid)
		if r := verify(t, e, c.Key, "", 1, keys.RateLimited); r.RateLimit.Remaining != 0 {
			t.Fatalf("state %+v", r.RateLimit)
		}
		e.clock.Advance(windowEnd.Sub(e.clock.Now()))
		if r := verify(t, e, c.Key, "", 2, keys.Valid); r.RateLimit.Remaining != 0 {
			t.Fatalf("new window state %+v", r.RateLimit)
		}
	})
	t.Run("a rate limit holds when two instances' clocks straddle the end of a window", func(t *testing.T) {
		e := fresh(t)
		c := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{RateLimit: &store.RateLimit{Limit: 2, Window: time.Minute}}))
		// A first window, which ends at boundary.
		verify(t, e, c.Key, "", 1, keys.Valid)
		boundary := e.clock.Now().Add(time.Minute)
		e.clock.Advance(boundary.Sub(e.clock.Now()))
		// The second instance's clock is a millisecond behind: still in the
		// first window. It must count in the window the first instance
		// starts, not go back to the first.
		behind := backendtest.NewClock()
		behind.Advance(boundary.Add(-time.Millisecond).Sub(behind.Now()))
		lagging := keys.New(e.st, keys.Options{Clock: behind})
		valid := 0
		for i := range 10 {
			m := e.keys
			if i%2 == 1 {
				m = lagging
			}
			r := backendtest.Must[keys.Result](t)(m.Verify(ctx, c.Key, "", 1))
			if r.Status == keys.Valid {
				valid++
			} else if r.Status != keys.RateLimited || r.RateLimit.Remaining != 0 {
				t.Fatalf("verification %d: %v with %d left in the window", i, r.Status, r.RateLimit.Remaining)
			}
		}
		if valid != 2 {
			t.Fatalf("%d of 10 verifications VALID around the boundary, want the limit of 2", valid)
		}
	})
	t.Run("a rate-limit window starts at the key's first use, not at a boundary of the clock", func(t *testing.T) {
		e := fresh(t)
		c := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{RateLimit: &store.RateLimit{Limit: 2, Window: time.Minute}}))
		// First used 0.7 s before a minute boundary of the clock: a window
		// aligned to the clock would reset 0.7 s later.
		boundary := e.clock.Now().Truncate(time.Minute).Add(time.Minute)
		e.clock.Advance(boundary.Add(-700 * time.Millisecond).Sub(e.clock.Now()))
		first := e.clock.Now()
		if r := verify(t, e, c.Key, "", 1, keys.Valid); !r.RateLimit.Reset.Equal(first.Add(time.Minute)) || r.RateLimit.Remaining != 1 {
			t.Fatalf("first use: %+v", *r.RateLimit)
		}
		e.clock.Advance(time.Second) // past the boundary
		verify(t, e, c.Key, "", 1, keys.Valid)
		if r := verify(t, e, c.Key, "", 1, keys.RateLimited); !r.RateLimit.Reset.Equal(first.Add(time.Minute)) {
			t.Fatalf("after the boundary: the window resets at %v, want a minute after the first use", r.RateLimit.Reset)
		}
		e.clock.Advance(first.Add(time.Minute - time.Millisecond).Sub(e.clock.Now()))
		verify(t, e, c.Key, "", 1, keys.RateLimited)
		e.clock.Advance(time.Millisecond)
		if r := verify(t, e, c.Key, "", 1, keys.Valid); !r.RateLimit.Reset.Equal(e.clock.Now().Add(time.Minute)) || r.RateLimit.Remaining != 1 {
			t.Fatalf("a minute after the first use, a new window: %+v", *r.RateLimit)
		}
		// A check of cost 0 after the window ended starts none.
		e.clock.Advance(2 * time.Minute)
		if r := verify(t, e, c.Key, "", 0, keys.Valid); r.RateLimit.Remaining != 2 {
			t.Fatalf("a cost-0 check: %+v", *r.RateLimit)
		}
		e.clock.Advance(30 * time.Second)
		if r := verify(t, e, c.Key, "", 1, keys.Valid); !r.RateLimit.Reset.Equal(e.clock.Now().Add(time.Minute)) {
			t.Fatalf("the window after a cost-0 check starts at %v, want at this use", r.RateLimit.Reset.Add(-time.Minute))
		}
	})
	t.Run("updates change metadata and expiry", func(t *testing.T) {
		e := fresh(t)
		c := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{Meta: json.RawMessage(`{"a":1}`)}))
		e.clock.Advance(time.Second)
		i := backendtest.Must[keys.Info](t)(e.keys.Update(ctx, c.ID, keys.Update{Meta: json.RawMessage(`{"b":2}`), SetExpiry: true, ExpiresAt: e.clock.Now().Add(time.Hour)}))
		if string(i.Meta) != `{"b":2}` || !i.ExpiresAt.Equal(e.clock.Now().Add(time.Hour)) || !i.UpdatedAt.Equal(e.clock.Now()) {
			t.Fatalf("updated %+v", i)
		}
		e.clock.Advance(time.Hour)
		verify(t, e, c.Key, "", 1, keys.Expired)
		if _, err := e.keys.Update(ctx, "key_nope", keys.Update{}); !errors.Is(err, keys.ErrNotFound) {
			t.Fatalf("update unknown: %v", err)
		}
		if _, err := e.keys.Update(ctx, c.ID, keys.Update{Meta: json.RawMessage(`"x"`)}); !errors.Is(err, keys.ErrInvalid) {
			t.Fatalf("update with bad meta: %v", err)
		}
	})
	t.Run("list pages through keys by owner and namespace", func(t *testing.T) {
		e := fresh(t)
		var mine []string
		for i := range 7 {
			owner, ns := "alice", "a"
			if i%3 == 2 {
				owner, ns = "bob", "b"
			}
			c := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{Owner: owner, Namespace: ns}))
			if owner == "alice" {
				mine = append(mine, c.ID)
			}
			e.clock.Advance(time.Millisecond)
		}
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			p := backendtest.Must[keys.Page](t)(e.keys.List(ctx, keys.ListOptions{Owner: "alice", Limit: 2, Cursor: cursor}))
			for _, k := range p.Keys {
				got = append(got, k.ID)
			}
			if p.Cursor == "" {
				break
			}
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
			cursor = p.Cursor
		}
		if len(got) != len(mine) {
			t.Fatalf("listed %d keys, want %d", len(got), len(mine))
		}
		for i := range got {
			if got[i] != mine[i] {
				t.Fatalf("page order %v, want %v", got, mine)
			}
		}
		if p := backendtest.Must[keys.Page](t)(e.keys.List(ctx, keys.ListOptions{Namespace: "b"})); len(p.Keys) != 2 || p.Cursor != "" {
			t.Fatalf("namespace b: %d keys, cursor %q", len(p.Keys), p.Cursor)
		}
		if _, err := e.keys.List(ctx, keys.ListOptions{Limit: keys.MaxListLimit + 1}); !errors.Is(err, keys.ErrInvalid) {
			t.Fatalf("limit too large: %v", err)
		}
	})
	t.Run("reroll makes a new key, keeps the old one for the overlap and carries the limits over", func(t *testing.T) {
		e := fresh(t)
		exp := e.clock.Now().Add(48 * time.Hour)
		old := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{Prefix: "pk_", Namespace: "n", Owner: "o", Meta: json.RawMessage(`{"x":1}`),
			ExpiresAt: exp, Remaining: i64(10), RateLimit: &store.RateLimit{Limit: 5, Window: time.Hour}}))
		nw := backendtest.Must[keys.Created](t)(e.keys.Reroll(ctx, old.ID, time.Hour))
		//secretsvet:ignore a test comparing two keys it made itself; no attacker times it
		if nw.ID == old.ID || nw.Key == old.Key || nw.Prefix != "pk_" || nw.Owner != "o" || nw.Namespace != "n" || string(nw.Meta) != `{"x":1}` ||
			!nw.ExpiresAt.Equal(exp) || nw.Remaining == nil || *nw.Remaining != 10 || nw.RateLimit == nil || nw.RateLimit.Limit != 5 {
			t.Fatalf("rerolled %+v", nw.Info)
		}
		verify(t, e, nw.Key, "n", 1, keys.Valid)
		verify(t, e, old.Key, "n", 1, keys.Valid)
		e.clock.Advance(time.Hour)
		verify(t, e, old.Key, "n", 1, keys.Expired)
		verify(t, e, nw.Key, "n", 1, keys.Valid)
		// An overlap longer than the old key's own life does not extend it.
		short := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{ExpiresAt: e.clock.Now().Add(time.Minute)}))
		backendtest.Must[keys.Created](t)(e.keys.Reroll(ctx, short.ID, 24*time.Hour))
		if i := backendtest.Must[keys.Info](t)(e.keys.Get(ctx, short.ID)); !i.ExpiresAt.Equal(e.clock.Now().Add(time.Minute)) {
			t.Fatalf("the old key's expiry moved to %v", i.ExpiresAt)
		}
		backendtest.Must[keys.Info](t)(e.keys.Revoke(ctx, short.ID))
		if _, err := e.keys.Reroll(ctx, short.ID, 0); !errors.Is(err, keys.ErrRevoked) {
			t.Fatalf("reroll revoked: %v", err)
		}
		// Nor is a revoked key updated: it stays as it was revoked.
		before := backendtest.Must[keys.Info](t)(e.keys.Get(ctx, short.ID))
		e.clock.Advance(time.Second)
		if _, err := e.keys.Update(ctx, short.ID, keys.Update{Enabled: new(bool), Meta: json.RawMessage(`{"a":1}`)}); !errors.Is(err, keys.ErrRevoked) {
			t.Fatalf("update revoked: %v", err)
		}
		if after := backendtest.Must[keys.Info](t)(e.keys.Get(ctx, short.ID)); !after.Enabled || after.Meta != nil || !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Fatalf("a revoked key was updated: %+v, before %+v", after, before)
		}
		if _, err := e.keys.Update(ctx, "key_nope", keys.Update{Enabled: new(bool)}); !errors.Is(err, keys.ErrNotFound) {
			t.Fatalf("update unknown: %v", err)
		}
		if _, err := e.keys.Reroll(ctx, "key_nope", 0); !errors.Is(err, keys.ErrNotFound) {
			t.Fatalf("reroll unknown: %v", err)
		}
	})
	t.Run("a key is rerolled once; a rerolled, revoked or expired key is not rerolled", func(t *testing.T) {
		e := fresh(t)
		k := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{ExpiresAt: e.clock.Now().Add(time.Hour)}))
		nw := backendtest.Must[keys.Created](t)(e.keys.Reroll(ctx, k.ID, time.Minute))
		if _, err := e.keys.Reroll(ctx, k.ID, time.Minute); !errors.Is(err, keys.ErrRerolled) {
			t.Fatalf("a second reroll of the old key, during the overlap: %v", err)
		}
		e.clock.Advance(time.Minute)
		if _, err := e.keys.Reroll(ctx, k.ID, 0); !errors.Is(err, keys.ErrRerolled) {
			t.Fatalf("a second reroll of the old key, after the overlap: %v", err)
		}
		backendtest.Must[keys.Created](t)(e.keys.Reroll(ctx, nw.ID, 0))
		short := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{ExpiresAt: e.clock.Now().Add(time.Minute)}))
		e.clock.Advance(time.Minute)
		if _, err := e.keys.Reroll(ctx, short.ID, 0); !errors.Is(err, keys.ErrExpired) {
			t.Fatalf("a reroll of an expired key: %v", err)
		}
	})
	t.Run("an old key in its overlap works only while the key that replaced it does", func(t *testing.T) {
		for _, c := range []struct {
			name string
			opts keys.CreateOptions
		}{
			{"unlimited", keys.CreateOptions{Namespace: "n"}},
			{"with remaining uses", keys.CreateOptions{Namespace: "n", Remaining: i64(10)}},
			{"with a named limit", keys.CreateOptions{Namespace: "n", RateLimits: []keys.NamedRateLimit{{Name: "req", Limit: 10, Window: time.Hour}}}},
		} {
			t.Run(c.name, func(t *testing.T) {
				e := fresh(t)
				old := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, c.opts))
				nw := backendtest.Must[keys.Created](t)(e.keys.Reroll(ctx, old.ID, 24*time.Hour))
				verify(t, e, old.Key, "n", 1, keys.Valid)
				off, on := false, true
				backendtest.Must[keys.Info](t)(e.keys.Update(ctx, nw.ID, keys.Update{Enabled: &off}))
				verify(t, e, old.Key, "n", 1, keys.Disabled)
				backendtest.Must[keys.Info](t)(e.keys.Update(ctx, nw.ID, keys.Update{Enabled: &on}))
				verify(t, e, old.Key, "n", 1, keys.Valid)
				if c.opts.Remaining != nil {
					if i := backendtest.Must[keys.Info](t)(e.keys.Get(ctx, nw.ID)); *i.Remaining != 8 {
						t.Fatalf("remaining %d after two uses, want 8: the disabled verification spent", *i.Remaining)
					}
					// The old key's counts are the new key's: an update of
					// them on the old key would change nothing.
					if _, err := e.keys.Update(ctx, old.ID, keys.Update{SetRemaining: true, Remaining: i64(0)}); !errors.Is(err, keys.ErrRerolled) {
						t.Fatalf("setting the remaining uses of the old key: %v, want ErrRerolled", err)
					}
				}
				backendtest.Must[keys.Info](t)(e.keys.Update(ctx, nw.ID, keys.Update{SetExpiry: true, ExpiresAt: e.clock.Now().Add(time.Minute)}))
				e.clock.Advance(time.Minute)
				verify(t, e, old.Key, "n", 1, keys.Expired)
				backendtest.Must[keys.Info](t)(e.keys.Update(ctx, nw.ID, keys.Update{SetExpiry: true}))
				verify(t, e, old.Key, "n", 1, keys.Valid)
				backendtest.Must[keys.Info](t)(e.keys.Revoke(ctx, nw.ID))
				verify(t, e, old.Key, "n", 1, keys.Revoked)
				verify(t, e, nw.Key, "n", 1, keys.Revoked)
			})
		}
	})
	t.Run("four rerolls of a key with 3 uses give 3 uses in all, through the old keys and the new", func(t *testing.T) {
		e := fresh(t)
		k := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{Remaining: i64(3)}))
		all := []keys.Created{k}
		for range 4 {
			all = append(all, backendtest.Must[keys.Created](t)(e.keys.Reroll(ctx, all[len(all)-1].ID, time.Hour)))
		}
		valid := 0
		for range 3 {
			for _, c := range all {
				r := backendtest.Must[keys.Result](t)(e.keys.Verify(ctx, c.Key, "", 1))
				switch r.Status {
				case keys.Valid:
					valid++
				case keys.UsageExceeded:
				default:
					t.Fatalf("verify through %s: %v", c.ID, r.Status)
				}
				if r.ID != c.ID || r.Remaining == nil || *r.Remaining != int64(3-valid) {
					t.Fatalf("verify through %s after %d uses: %+v", c.ID, valid, r)
				}
			}
		}
		if valid != 3 {
			t.Fatalf("%d uses through five keys of one line, want 3", valid)
		}
	})
	t.Run("an old key and its reroll share one rate limit", func(t *testing.T) {
		e := fresh(t)
		k := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{RateLimit: &store.RateLimit{Limit: 2, Window: time.Minute}}))
		verify(t, e, k.Key, "", 1, keys.Valid)
		nw := backendtest.Must[keys.Created](t)(e.keys.Reroll(ctx, k.ID, time.Hour))
		verify(t, e, nw.Key, "", 1, keys.Valid)
		verify(t, e, k.Key, "", 1, keys.RateLimited)
		r := verify(t, e, nw.Key, "", 1, keys.RateLimited)
		if r.RateLimit == nil || r.RateLimit.Remaining != 0 {
			t.Fatalf("the new key's window: %+v", r.RateLimit)
		}
		e.clock.Advance(time.Minute)
		verify(t, e, k.Key, "", 2, keys.Valid)
		verify(t, e, nw.Key, "", 1, keys.RateLimited)
	})
	t.Run("bad options are an InvalidError naming the field", func(t *testing.T) {
		e := fresh(t)
		for field, opts := range map[string]keys.CreateOptions{
			"prefix":     {Prefix: "sk-"},
			"meta":       {Meta: json.RawMessage(`{"a":"` + string(make([]byte, keys.MaxMetaBytes)) + `"}`)},
			"expires_at": {ExpiresAt: e.clock.Now().Add(-time.Second)},
			"remaining":  {Remaining: i64(-1)},
			"ratelimit":  {RateLimit: &store.RateLimit{Limit: 0, Window: time.Second}},
			"owner":      {Owner: string(make([]byte, keys.MaxNameBytes+1))},
		} {
			_, err := e.keys.Create(ctx, opts)
			var ie *store.InvalidError
			if !errors.As(err, &ie) || ie.Field != field {
				t.Errorf("%s: %v", field, err)
			}
		}
		// The largest rate limit works at the largest cost; one more is
		// refused, so that a window's count plus a cost fits in an int64.
		_, err := e.keys.Create(ctx, keys.CreateOptions{RateLimit: &store.RateLimit{Limit: keys.MaxRateLimit + 1, Window: time.Second}})
		if ie := (*store.InvalidError)(nil); !errors.As(err, &ie) || ie.Field != "ratelimit" {
			t.Errorf("a rate limit over MaxRateLimit: %v", err)
		}
		big := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{RateLimit: &store.RateLimit{Limit: keys.MaxRateLimit, Window: time.Second}}))
		for range 2 {
			verify(t, e, big.Key, "", keys.MaxCost, keys.Valid)
		}
	})
	t.Run("a refusal made stale by an update that raised the remaining uses is tried again, never answered RATE_LIMITED", func(t *testing.T) {
		e := fresh(t)
		c := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{Remaining: i64(0)}))
		// The update lands between the refusal and the read that explains it.
		st := &raceUpdate{Store: e.st, now: e.clock.Now}
		m := keys.New(st, keys.Options{Clock: e.clock})
		r := backendtest.Must[keys.Result](t)(m.Verify(ctx, c.Key, "", 1))
		if r.Status != keys.Valid || r.Remaining == nil || *r.Remaining != 0 || st.uses != 2 {
			t.Fatalf("verify after a racing update: %v remaining %v after %d uses, want VALID with 0 left after 2", r.Status, r.Remaining, st.uses)
		}
	})
}

func testConcurrency(t *testing.T, pair func(*testing.T) (*env, *env)) {
	ctx := context.Background()
	t.Run("a key with 100 remaining uses verified 1000 times at once is VALID exactly 100 times", func(t *testing.T) {
		a, b := pair(t)
		n := int64(100)
		c := backendtest.Must[keys.Created](t)(a.keys.Create(ctx, keys.CreateOptions{Remaining: &n}))
		got := backendtest.Parallel(t, 1000, []*env{a, b}, func(e *env) (keys.Status, error) {
			r, err := e.keys.Verify(ctx, c.Key, "", 1)
			return r.Status, err
		})
		if got[keys.Valid] != 100 || got[keys.UsageExceeded] != 900 {
			t.Fatalf("outcomes %v, want 100 VALID and 900 USAGE_EXCEEDED", got)
		}
	})
	t.Run("of 20 concurrent rerolls of one key on two instances exactly one succeeds, and the rest are ErrRerolled", func(t *testing.T) {
		a, b := pair(t)
		three := int64(3)
		c := backendtest.Must[keys.Created](t)(a.keys.Create(ctx, keys.CreateOptions{Remaining: &three}))
		var mu sync.Mutex
		var made []keys.Created
		got := backendtest.Parallel(t, 20, []*env{a, b}, func(e *env) (string, error) {
			nw, err := e.keys.Reroll(ctx, c.ID, time.Hour)
			if errors.Is(err, keys.ErrRerolled) {
				return "rerolled already", nil
			}
			mu.Lock()
			made = append(made, nw)
			mu.Unlock()
			return "rerolled", err
		})
		if got["rerolled"] != 1 || got["rerolled already"] != 19 {
			t.Fatalf("outcomes %v, want 1 rerolled and 19 refused", got)
		}
		i := 0
		uses := backendtest.Parallel(t, 40, []*env{a, b}, func(e *env) (keys.Status, error) {
			mu.Lock()
			i++
			key := []string{c.Key, made[0].Key}[i%2]
			mu.Unlock()
			r, err := e.keys.Verify(ctx, key, "", 1)
			return r.Status, err
		})
		if uses[keys.Valid] != 3 {
			t.Fatalf("outcomes %v through the old and the new key, want 3 VALID", uses)
		}
	})
	t.Run("a rate limit of 50 per window admits 50 of 300 concurrent verifications, then 50 more in the next window", func(t *testing.T) {
		a, b := pair(t)
		c := backendtest.Must[keys.Created](t)(a.keys.Create(ctx, keys.CreateOptions{RateLimit: &store.RateLimit{Limit: 50, Window: time.Minute}}))
		for range 2 {
			got := backendtest.Parallel(t, 300, []*env{a, b}, func(e *env) (keys.Status, error) {
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

func testPlaintext(t *testing.T, e *env, contents func() []byte) {
	ctx := context.Background()
	var plain []string
	for i := range 5 {
		subject := string(rune('a' + i))
		k := backendtest.Must[keys.Created](t)(e.keys.Create(ctx, keys.CreateOptions{Prefix: "sk_scan_", Owner: subject}))
		plain = append(plain, k.Key)
		r := backendtest.Must[keys.Created](t)(e.keys.Reroll(ctx, k.ID, time.Hour))
		plain = append(plain, r.Key)
	}
	backendtest.NoPlaintext(t, contents(), "sk_scan_", plain)
}

// raceUpdate is a store whose first UseKey is refused, and then raises the
// key's remaining uses to 1 before the read that explains the refusal.
type raceUpdate struct {
	store.Store
	now  func() time.Time
	uses int
}

func (s *raceUpdate) UseKey(ctx context.Context, id string, cost int64, now time.Time) (store.Key, bool, error) {
	s.uses++
	k, ok, err := s.Store.UseKey(ctx, id, cost, now)
	if s.uses > 1 || ok || err != nil {
		return k, ok, err
	}
	one := int64(1)
	k, err = s.Store.UpdateKey(ctx, id, store.KeyUpdate{SetRemaining: true, Remaining: &one}, s.now())
	return k, false, err
}
