// Package storetest is the conformance suite of the [store.Store]
// interface: every backend runs [Run], which calls each method directly
// (no manager above it), checks the outcomes that must be atomic with one
// and with two handles on one database, and the sweeper.
//
// The behaviour of the managers built on a Store (token, code, keys) is
// tested beside each manager, on every backend.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/unguessable/secrets/store"
)

// Backend is a store.Store implementation under test.
type Backend struct {
	Name string
	// NewDB creates a fresh, empty database for one test.
	NewDB func(tb testing.TB) DB
}

// DB is one test's database.
type DB struct {
	// Open returns a new handle on the database (another "instance"),
	// closed when the test ends.
	Open func(tb testing.TB) store.Store
	// Contents returns all the bytes the database holds: the files on
	// disk, or every row as text. Tests of the managers scan them for
	// plaintext.
	Contents func(tb testing.TB) []byte
}

// t0 is the time the tests start at: whole milliseconds, as stored.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// Run runs the conformance suite against b.
func Run(t *testing.T, b Backend) {
	fresh := func(t *testing.T) store.Store { return b.NewDB(t).Open(t) }
	t.Run("tokens", func(t *testing.T) { testTokens(t, fresh) })
	t.Run("codes", func(t *testing.T) { testCodes(t, fresh) })
	t.Run("keys", func(t *testing.T) { testKeys(t, fresh) })
	t.Run("settings", func(t *testing.T) { testSettings(t, b) })
	t.Run("sweeping", func(t *testing.T) { testSweep(t, fresh(t)) })
	t.Run("access keys", func(t *testing.T) { testAccessKeys(t, fresh(t)) })
	t.Run("the audit trail", func(t *testing.T) { testAudit(t, fresh(t)) })
	t.Run("the outbox", func(t *testing.T) { testOutbox(t, fresh) })
	t.Run("the dashboard's sessions and key search", func(t *testing.T) { testDashboard(t, fresh) })
	t.Run("roles and permissions", func(t *testing.T) { testRoles(t, fresh) })
	t.Run("a second handle sees the same database", func(t *testing.T) {
		db := b.NewDB(t)
		a, c := db.Open(t), db.Open(t)
		tok := token("t1", "reset", "u", t0.Add(time.Hour))
		if err := a.InsertToken(context.Background(), tok, false); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := c.RedeemToken(context.Background(), "reset", tok.Hash, t0); err != nil || !ok {
			t.Fatalf("redeem through the second handle: %v, %v", ok, err)
		}
	})
	t.Run("atomic with one handle", func(t *testing.T) {
		testAtomic(t, func(t *testing.T) (store.Store, store.Store) {
			st := fresh(t)
			return st, st
		})
	})
	t.Run("atomic with two handles", func(t *testing.T) { RunAtomic(t, b) })
}

// RunAtomic runs the part of the suite whose outcomes must be atomic, with
// two handles on each database: for a backend opened in an unusual
// configuration, such as another default isolation level.
func RunAtomic(t *testing.T, b Backend) {
	testAtomic(t, func(t *testing.T) (store.Store, store.Store) {
		db := b.NewDB(t)
		return db.Open(t), db.Open(t)
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

// hash is a digest-sized value unique to s.
func hash(s string) []byte {
	h := bytes.Repeat([]byte{0}, 32)
	copy(h, s)
	return h
}

func token(id, purpose, subject string, expires time.Time) store.Token {
	return store.Token{ID: id, Hash: hash("tok:" + id), Purpose: purpose, Subject: subject, CreatedAt: t0, ExpiresAt: expires}
}

func testTokens(t *testing.T, fresh func(*testing.T) store.Store) {
	ctx := context.Background()
	t.Run("a token reads back field for field", func(t *testing.T) {
		st := fresh(t)
		want := token("t1", "reset", "alice", t0.Add(time.Hour))
		want.Meta = []byte(`{"ip":"10.0.0.1"}`)
		if err := st.InsertToken(ctx, want, false); err != nil {
			t.Fatal(err)
		}
		got := must[store.Token](t)(st.GetToken(ctx, "reset", want.Hash))
		if got.ID != want.ID || !bytes.Equal(got.Hash, want.Hash) || got.Subject != "alice" || string(got.Meta) != string(want.Meta) ||
			!got.CreatedAt.Equal(t0) || !got.ExpiresAt.Equal(want.ExpiresAt) || !got.UsedAt.IsZero() || !got.RevokedAt.IsZero() {
			t.Fatalf("got %+v", got)
		}
		if _, err := st.GetToken(ctx, "verify", want.Hash); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another purpose: %v", err)
		}
		if _, err := st.GetToken(ctx, "reset", hash("nope")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another hash: %v", err)
		}
		if got := must[store.Token](t)(st.GetToken(ctx, "reset", want.Hash)); got.Meta == nil {
			t.Fatal("metadata lost")
		}
		dup := token("t2", "reset", "bob", t0.Add(time.Hour))
		dup.Hash = want.Hash
		if err := st.InsertToken(ctx, dup, false); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("a second token with the same hash: %v", err)
		}
	})
	t.Run("a token redeems once, before its expiry, unless revoked", func(t *testing.T) {
		st := fresh(t)
		a, b, c := token("a", "reset", "u", t0.Add(time.Hour)), token("b", "reset", "u", t0.Add(time.Hour)), token("c", "reset", "v", t0.Add(time.Hour))
		for _, tok := range []store.Token{a, b, c} {
			if err := st.InsertToken(ctx, tok, false); err != nil {
				t.Fatal(err)
			}
		}
		got, ok := redeem(t, st, "reset", a.Hash, t0.Add(time.Minute))
		if !ok || !got.UsedAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("first redeem: %v, %+v", ok, got)
		}
		if got, ok = redeem(t, st, "reset", a.Hash, t0.Add(2*time.Minute)); ok || !got.UsedAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("second redeem: %v, used at %v", ok, got.UsedAt)
		}
		if _, ok = redeem(t, st, "reset", b.Hash, b.ExpiresAt); ok {
			t.Fatal("redeemed at its expiry")
		}
		if n := must[int64](t)(st.RevokeTokens(ctx, "reset", "u", t0.Add(3*time.Minute))); n != 1 {
			t.Fatalf("revoked %d tokens, want the one unused token of u", n)
		}
		if got, ok = redeem(t, st, "reset", b.Hash, t0.Add(4*time.Minute)); ok || !got.RevokedAt.Equal(t0.Add(3*time.Minute)) {
			t.Fatalf("redeem of a revoked token: %v, %+v", ok, got)
		}
		if _, _, err := st.RedeemToken(ctx, "reset", hash("nope"), t0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("redeem of no token: %v", err)
		}
		if _, ok = redeem(t, st, "reset", c.Hash, t0); !ok {
			t.Fatal("another subject's token was revoked")
		}
	})
	t.Run("inserting with revokeOthers revokes the subject's unused tokens of that purpose only", func(t *testing.T) {
		st := fresh(t)
		old, used, other, elsewhere := token("old", "reset", "u", t0.Add(time.Hour)), token("used", "reset", "u", t0.Add(time.Hour)),
			token("other", "invite", "u", t0.Add(time.Hour)), token("elsewhere", "reset", "w", t0.Add(time.Hour))
		for _, tok := range []store.Token{old, used, other, elsewhere} {
			if err := st.InsertToken(ctx, tok, false); err != nil {
				t.Fatal(err)
			}
		}
		redeem(t, st, "reset", used.Hash, t0)
		nw := token("new", "reset", "u", t0.Add(time.Hour))
		nw.CreatedAt = t0.Add(time.Second)
		if err := st.InsertToken(ctx, nw, true); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			tok     store.Token
			revoked bool
		}{{old, true}, {used, false}, {other, false}, {elsewhere, false}, {nw, false}} {
			got := must[store.Token](t)(st.GetToken(ctx, c.tok.Purpose, c.tok.Hash))
			if got.RevokedAt.IsZero() == c.revoked {
				t.Errorf("token %s: revoked at %v", c.tok.ID, got.RevokedAt)
			}
		}
	})
}

func code(id, subject string, mac string, created time.Time) store.Code {
	return store.Code{ID: id, Purpose: "login", Subject: subject, MAC: hash("mac:" + mac), CreatedAt: created, ExpiresAt: created.Add(10 * time.Minute), MaxAttempts: 3, PepperID: "p1",
		Digits: 6, BudgetLimit: 100, BudgetWindow: time.Hour}
}

// checkCode is st.CheckCode of a 6-digit attempt with these MACs.
func checkCode(ctx context.Context, st store.Store, purpose, subject string, macs []store.PepperMAC, now time.Time) (store.Code, bool, bool, error) {
	c, res, err := st.CheckCode(ctx, purpose, subject, store.CodeAttempt{MACs: macs, Digits: 6}, now)
	return c, res.Counted, res.Approved, err
}

// pepper1 is mac under the pepper "p1" of the codes of these tests.
func pepper1(mac []byte) []store.PepperMAC { return []store.PepperMAC{{PepperID: "p1", MAC: mac}} }

func testCodes(t *testing.T, fresh func(*testing.T) store.Store) {
	ctx := context.Background()
	t.Run("a check counts one attempt and approves the right MAC once", func(t *testing.T) {
		st := fresh(t)
		c := code("c1", "u", "right", t0)
		if _, err := st.InsertCode(ctx, c, 10*time.Minute, 5); err != nil {
			t.Fatal(err)
		}
		got, counted, approved, err := checkCode(ctx, st, "login", "u", pepper1(hash("mac:wrong")), t0.Add(time.Second))
		if err != nil || !counted || approved || got.Attempts != 1 || got.MaxAttempts != 3 || got.ID != "c1" {
			t.Fatalf("wrong MAC: %+v, counted %v, approved %v, %v", got, counted, approved, err)
		}
		got, counted, approved, err = checkCode(ctx, st, "login", "u", pepper1(c.MAC), t0.Add(2*time.Second))
		if err != nil || !counted || !approved || got.Attempts != 2 || !got.ApprovedAt.Equal(t0.Add(2*time.Second)) {
			t.Fatalf("right MAC: %+v, counted %v, approved %v, %v", got, counted, approved, err)
		}
		if _, counted, approved, err = checkCode(ctx, st, "login", "u", pepper1(c.MAC), t0.Add(3*time.Second)); err != nil || counted || approved {
			t.Fatalf("after approval: counted %v, approved %v, %v", counted, approved, err)
		}
		if _, _, _, err := checkCode(ctx, st, "login", "nobody", pepper1(c.MAC), t0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a subject without codes: %v", err)
		}
	})
	t.Run("no attempt is counted past the limit or the expiry", func(t *testing.T) {
		st := fresh(t)
		c := code("c1", "u", "right", t0)
		must[time.Time](t)(st.InsertCode(ctx, c, 10*time.Minute, 5))
		if _, counted, _, _ := checkCode(ctx, st, "login", "u", pepper1(c.MAC), c.ExpiresAt); counted {
			t.Fatal("counted at the expiry")
		}
		for i := range 4 {
			got, counted, _, err := checkCode(ctx, st, "login", "u", pepper1(hash("mac:wrong")), t0)
			if err != nil || counted != (i < 3) || got.Attempts != min(i+1, 3) {
				t.Fatalf("attempt %d: counted %v, %d attempts, %v", i+1, counted, got.Attempts, err)
			}
		}
		if _, counted, approved, _ := checkCode(ctx, st, "login", "u", pepper1(c.MAC), t0); counted || approved {
			t.Fatal("the right MAC was approved after the attempts ran out")
		}
	})
	t.Run("a code is approved only by the MAC under its own pepper; a code without a pepper id by any", func(t *testing.T) {
		st := fresh(t)
		c := code("c1", "u", "right", t0)
		c.PepperID = "p2"
		must[time.Time](t)(st.InsertCode(ctx, c, 10*time.Minute, 5))
		both := []store.PepperMAC{{PepperID: "p1", MAC: c.MAC}, {PepperID: "p3", MAC: hash("mac:other")}}
		if _, counted, approved, err := checkCode(ctx, st, "login", "u", both, t0); err != nil || !counted || approved {
			t.Fatalf("the right MAC under another pepper: counted %v, approved %v, %v", counted, approved, err)
		}
		both = append(both, store.PepperMAC{PepperID: "p2", MAC: c.MAC})
		if got, _, approved, err := checkCode(ctx, st, "login", "u", both, t0); err != nil || !approved || got.PepperID != "p2" {
			t.Fatalf("the right MAC under its pepper: approved %v, %+v, %v", approved, got, err)
		}
		legacy := code("c2", "v", "right", t0)
		legacy.PepperID = ""
		must[time.Time](t)(st.InsertCode(ctx, legacy, 10*time.Minute, 5))
		if _, _, approved, err := checkCode(ctx, st, "login", "v", pepper1(legacy.MAC), t0); err != nil || !approved {
			t.Fatalf("a code from before pepper ids: approved %v, %v", approved, err)
		}
		if _, counted, approved, err := checkCode(ctx, st, "login", "u", nil, t0); err != nil || counted || approved {
			t.Fatalf("no MACs at all: counted %v, approved %v, %v", counted, approved, err)
		}
	})
	t.Run("a new code cancels the pending one, and the throttle counts the window", func(t *testing.T) {
		st := fresh(t)
		for i := range 3 {
			c := code(fmt.Sprint("c", i), "u", fmt.Sprint("m", i), t0.Add(time.Duration(i)*time.Minute))
			if _, err := st.InsertCode(ctx, c, 10*time.Minute, 3); err != nil {
				t.Fatal(err)
			}
		}
		retry, err := st.InsertCode(ctx, code("c3", "u", "m3", t0.Add(3*time.Minute)), 10*time.Minute, 3)
		if !errors.Is(err, store.ErrThrottled) || !retry.Equal(t0.Add(10*time.Minute)) {
			t.Fatalf("the fourth code in the window: %v, retry at %v", err, retry)
		}
		got, counted, approved, err := checkCode(ctx, st, "login", "u", pepper1(hash("mac:m1")), t0.Add(3*time.Minute))
		if err != nil || got.ID != "c2" || !counted || approved {
			t.Fatalf("an earlier code's MAC checked against %s: counted %v, approved %v, %v", got.ID, counted, approved, err)
		}
		if _, err := st.InsertCode(ctx, code("c4", "u", "m4", t0.Add(10*time.Minute)), 10*time.Minute, 3); err != nil {
			t.Fatalf("once the first left the window: %v", err)
		}
		if _, err := st.InsertCode(ctx, code("c4", "v", "m5", t0), 10*time.Minute, 3); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("a second code with the same id: %v", err)
		}
	})
	t.Run("a code reads back its length and failure budget", func(t *testing.T) {
		st := fresh(t)
		c := code("c1", "u", "right", t0)
		c.Digits, c.BudgetLimit, c.BudgetWindow = 8, 7, 90*time.Minute
		must[time.Time](t)(st.InsertCode(ctx, c, 10*time.Minute, 5))
		got, res, err := st.CheckCode(ctx, "login", "u", store.CodeAttempt{MACs: pepper1(hash("mac:wrong")), Digits: 8}, t0)
		if err != nil || got.Digits != 8 || got.BudgetLimit != 7 || got.BudgetWindow != 90*time.Minute || !res.Counted {
			t.Fatalf("%+v, %+v, %v", got, res, err)
		}
		if res.Failures != 1 || !res.BudgetEnd.Equal(t0.Add(90*time.Minute)) {
			t.Fatalf("the budget after one failure: %+v", res)
		}
	})
	t.Run("an attempt of another length than the code's counts nothing; a code of unknown length takes any", func(t *testing.T) {
		st := fresh(t)
		must[time.Time](t)(st.InsertCode(ctx, code("c1", "u", "right", t0), 10*time.Minute, 5))
		for _, digits := range []int{0, 5, 7} {
			got, res, err := st.CheckCode(ctx, "login", "u", store.CodeAttempt{MACs: pepper1(hash("mac:right")), Digits: digits}, t0)
			if err != nil || res.Counted || res.Approved || got.Attempts != 0 || res.Failures != 0 {
				t.Fatalf("%d digits against a 6-digit code: %+v, %+v, %v", digits, got, res, err)
			}
		}
		legacy := code("c2", "v", "right", t0)
		legacy.Digits = 0
		must[time.Time](t)(st.InsertCode(ctx, legacy, 10*time.Minute, 5))
		if _, res, err := st.CheckCode(ctx, "login", "v", store.CodeAttempt{MACs: pepper1(legacy.MAC), Digits: 7}, t0); err != nil || !res.Approved {
			t.Fatalf("a code of unknown length: %+v, %v", res, err)
		}
	})
	t.Run("the failure budget counts wrong attempts across codes, not right ones, and refuses until its window ends", func(t *testing.T) {
		st := fresh(t)
		wrong := store.CodeAttempt{MACs: pepper1(hash("mac:wrong")), Digits: 6}
		newCode := func(id string, at time.Time) store.Code {
			c := code(id, "u", id, at)
			c.BudgetLimit, c.BudgetWindow = 4, time.Hour
			must[time.Time](t)(st.InsertCode(ctx, c, time.Minute, 5))
			return c
		}
		c1 := newCode("c1", t0)
		for i := range 3 {
			if _, res, err := st.CheckCode(ctx, "login", "u", wrong, t0.Add(time.Duration(i)*time.Second)); err != nil || !res.Counted || res.Failures != i+1 || !res.BudgetEnd.Equal(t0.Add(time.Hour)) {
				t.Fatalf("failure %d: %+v, %v", i+1, res, err)
			}
		}
		if _, res, _ := st.CheckCode(ctx, "login", "u", store.CodeAttempt{MACs: pepper1(c1.MAC), Digits: 6}, t0); res.Counted {
			t.Fatal("a fourth attempt at a code of 3")
		}
		c2 := newCode("c2", t0.Add(5*time.Minute))
		if _, res, err := st.CheckCode(ctx, "login", "u", wrong, t0.Add(6*time.Minute)); err != nil || !res.Counted || res.Failures != 4 {
			t.Fatalf("the fourth failure, on a new code: %+v, %v", res, err)
		}
		got, res, err := st.CheckCode(ctx, "login", "u", store.CodeAttempt{MACs: pepper1(c2.MAC), Digits: 6}, t0.Add(7*time.Minute))
		if err != nil || res.Counted || res.Approved || got.Attempts != 1 || !got.BudgetSpent(res, t0.Add(7*time.Minute)) {
			t.Fatalf("the right code with the budget spent: %+v, %+v, %v", got, res, err)
		}
		c3 := newCode("c3", t0.Add(59*time.Minute))
		if _, res, _ := st.CheckCode(ctx, "login", "u", wrong, t0.Add(time.Hour-time.Millisecond)); res.Counted {
			t.Fatal("a new code refilled the budget")
		}
		if _, res, err := st.CheckCode(ctx, "login", "u", wrong, t0.Add(time.Hour)); err != nil || !res.Counted || res.Failures != 1 || !res.BudgetEnd.Equal(t0.Add(2*time.Hour)) {
			t.Fatalf("a failure once the window ended: %+v, %v", res, err)
		}
		if _, res, err := st.CheckCode(ctx, "login", "u", store.CodeAttempt{MACs: pepper1(c3.MAC), Digits: 6}, t0.Add(time.Hour)); err != nil || !res.Approved || res.Failures != 1 {
			t.Fatalf("the right code is not a failure: %+v, %v", res, err)
		}
		other := code("o", "someone else", "o", t0)
		must[time.Time](t)(st.InsertCode(ctx, other, time.Minute, 5))
		if _, res, err := st.CheckCode(ctx, "login", "someone else", wrong, t0.Add(7*time.Minute)); err != nil || !res.Counted || res.Failures != 1 {
			t.Fatalf("another subject's budget: %+v, %v", res, err)
		}
	})
}

func key(id string, remaining *int64, rl *store.RateLimit) store.Key {
	return store.Key{ID: id, Hash: hash("key:" + id), Prefix: "sk_", Start: "sk_" + id, Namespace: "ns", Owner: "o", Name: "n",
		Enabled: true, CreatedAt: t0, UpdatedAt: t0, Remaining: remaining, RateLimit: rl}
}

func i64(v int64) *int64 { return &v }

func sameKey(a, b store.Key) bool {
	return a.ID == b.ID && bytes.Equal(a.Hash, b.Hash) && a.Prefix == b.Prefix && a.Start == b.Start && a.Namespace == b.Namespace &&
		a.Owner == b.Owner && a.Name == b.Name && string(a.Meta) == string(b.Meta) && (a.Meta == nil) == (b.Meta == nil) &&
		a.Enabled == b.Enabled && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) &&
		a.ExpiresAt.Equal(b.ExpiresAt) && a.RevokedAt.Equal(b.RevokedAt) &&
		(a.Remaining == nil) == (b.Remaining == nil) && (a.Remaining == nil || *a.Remaining == *b.Remaining) &&
		(a.RateLimit == nil) == (b.RateLimit == nil) && (a.RateLimit == nil || *a.RateLimit == *b.RateLimit) &&
		a.RateStart.Equal(b.RateStart) && a.RateCount == b.RateCount && a.Successor == b.Successor &&
		slices.Equal(a.Roles, b.Roles) && slices.Equal(a.Permissions, b.Permissions)
}

func testKeys(t *testing.T, fresh func(*testing.T) store.Store) {
	ctx := context.Background()
	t.Run("a key reads back field for field by hash and by id", func(t *testing.T) {
		st := fresh(t)
		full := key("k1", i64(5), &store.RateLimit{Limit: 7, Window: 1500 * time.Millisecond})
		full.Meta, full.ExpiresAt = []byte(`{"plan":"pro"}`), t0.Add(time.Hour)
		plain := key("k2", nil, nil)
		plain.Enabled = false
		for _, k := range []store.Key{full, plain} {
			if err := st.InsertKey(ctx, k); err != nil {
				t.Fatal(err)
			}
			for _, got := range []store.Key{must[store.Key](t)(st.KeyByHash(ctx, k.Hash)), must[store.Key](t)(st.KeyByID(ctx, k.ID))} {
				if !sameKey(got, k) {
					t.Fatalf("read back\n%+v\nwant\n%+v", got, k)
				}
			}
		}
		if _, err := st.KeyByHash(ctx, hash("nope")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown hash: %v", err)
		}
		if _, err := st.KeyByHash(ctx, nil); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("empty hash: %v", err)
		}
		if _, err := st.KeyByID(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown id: %v", err)
		}
		dup := key("k3", nil, nil)
		dup.Hash = full.Hash
		if err := st.InsertKey(ctx, dup); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("a second key with the same hash: %v", err)
		}
	})
	t.Run("use spends remaining uses and the rate-limit window, or changes nothing", func(t *testing.T) {
		st := fresh(t)
		k := key("k", i64(5), &store.RateLimit{Limit: 3, Window: time.Minute})
		if err := st.InsertKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		for i, c := range []struct {
			cost      int64
			at        time.Duration
			ok        bool
			remaining int64
			count     int64
		}{
			{2, 0, true, 3, 2},
			{2, time.Second, false, 3, 2},                // the window holds 1 more
			{1, 2 * time.Second, true, 2, 3},             // full
			{1, time.Minute, true, 1, 1},                 // the next window
			{2, time.Minute + time.Second, false, 1, 1},  // one use left
			{1, time.Minute + 2*time.Second, true, 0, 2}, // the last
			{0, time.Minute + 3*time.Second, true, 0, 2}, // a cost of 0 checks
			{1, 2 * time.Minute, false, 0, 2},
		} {
			got, ok, err := st.UseKey(ctx, "k", c.cost, t0.Add(c.at))
			if err != nil || ok != c.ok || *got.Remaining != c.remaining || got.RateCount != c.count {
				t.Fatalf("use %d: ok %v, %d remaining, %d in the window (%v); want %v, %d, %d", i, ok, *got.Remaining, got.RateCount, err, c.ok, c.remaining, c.count)
			}
		}
		if _, _, err := st.UseKey(ctx, "nope", 1, t0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("use of no key: %v", err)
		}
	})
	t.Run("a revoked, disabled or expired key cannot be used", func(t *testing.T) {
		st := fresh(t)
		for _, k := range []store.Key{key("revoked", nil, nil), key("disabled", nil, nil), key("expired", nil, nil)} {
			if k.ID == "expired" {
				k.ExpiresAt = t0.Add(time.Minute)
			}
			noErr(t, st.InsertKey(ctx, k))
		}
		must[store.Key](t)(st.RevokeKey(ctx, "revoked", t0))
		again := must[store.Key](t)(st.RevokeKey(ctx, "revoked", t0.Add(time.Hour)))
		if !again.RevokedAt.Equal(t0) {
			t.Fatalf("revoking again moved the revocation to %v", again.RevokedAt)
		}
		off := false
		must[store.Key](t)(st.UpdateKey(ctx, "disabled", store.KeyUpdate{Enabled: &off}, t0))
		for _, id := range []string{"revoked", "disabled", "expired"} {
			if _, ok, err := st.UseKey(ctx, id, 0, t0.Add(time.Minute)); ok || err != nil {
				t.Errorf("%s: used (%v)", id, err)
			}
		}
		if _, err := st.UpdateKey(ctx, "revoked", store.KeyUpdate{Enabled: &off}, t0); !errors.Is(err, store.ErrRevoked) {
			t.Fatalf("update of a revoked key: %v", err)
		}
		if _, err := st.UpdateKey(ctx, "nope", store.KeyUpdate{}, t0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update of no key: %v", err)
		}
		if _, err := st.RevokeKey(ctx, "nope", t0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoke of no key: %v", err)
		}
	})
	t.Run("an update changes what it sets and nothing else", func(t *testing.T) {
		st := fresh(t)
		k := key("k", i64(5), nil)
		noErr(t, st.InsertKey(ctx, k))
		got := must[store.Key](t)(st.UpdateKey(ctx, "k", store.KeyUpdate{Meta: []byte(`{"a":1}`), SetExpiry: true, ExpiresAt: t0.Add(time.Hour)}, t0.Add(time.Second)))
		if string(got.Meta) != `{"a":1}` || !got.ExpiresAt.Equal(t0.Add(time.Hour)) || *got.Remaining != 5 || !got.Enabled || !got.UpdatedAt.Equal(t0.Add(time.Second)) {
			t.Fatalf("after the first update: %+v", got)
		}
		got = must[store.Key](t)(st.UpdateKey(ctx, "k", store.KeyUpdate{SetRemaining: true, SetExpiry: true}, t0.Add(2*time.Second)))
		if got.Remaining != nil || !got.ExpiresAt.IsZero() || string(got.Meta) != `{"a":1}` {
			t.Fatalf("after the second update: %+v", got)
		}
		if !sameKey(got, must[store.Key](t)(st.KeyByID(ctx, "k"))) {
			t.Fatal("the update returned another key than it stored")
		}
	})
	t.Run("list filters by owner and namespace and pages by id", func(t *testing.T) {
		st := fresh(t)
		for i := range 6 {
			k := key(fmt.Sprint("k", i), nil, nil)
			k.Owner, k.Namespace = fmt.Sprint("o", i%2), fmt.Sprint("n", i%3)
			noErr(t, st.InsertKey(ctx, k))
		}
		ids := func(ks []store.Key) string {
			var s []string
			for _, k := range ks {
				s = append(s, k.ID)
			}
			return fmt.Sprint(s)
		}
		for _, c := range []struct {
			f    store.KeyFilter
			want string
		}{
			{store.KeyFilter{Limit: 10}, "[k0 k1 k2 k3 k4 k5]"},
			{store.KeyFilter{Owner: "o1", Limit: 10}, "[k1 k3 k5]"},
			{store.KeyFilter{Namespace: "n0", Limit: 10}, "[k0 k3]"},
			{store.KeyFilter{Owner: "o0", Namespace: "n1", Limit: 10}, "[k4]"},
			{store.KeyFilter{After: "k1", Limit: 2}, "[k2 k3]"},
			{store.KeyFilter{Owner: "nobody", Limit: 10}, "[]"},
		} {
			if got := ids(must[[]store.Key](t)(st.ListKeys(ctx, c.f))); got != c.want {
				t.Errorf("%+v: %s, want %s", c.f, got, c.want)
			}
		}
	})
	t.Run("a reroll inherits the old key's settings and ends its life at the sooner expiry", func(t *testing.T) {
		st := fresh(t)
		old := key("old", i64(9), &store.RateLimit{Limit: 3, Window: time.Minute})
		old.Meta, old.ExpiresAt = []byte(`{}`), t0.Add(2*time.Hour)
		noErr(t, st.InsertKey(ctx, old))
		use(t, st, "old", 1, t0)
		nk := store.Key{ID: "new", Hash: hash("key:new"), Prefix: "sk_", Start: "sk_new", CreatedAt: t0.Add(time.Minute), UpdatedAt: t0.Add(time.Minute)}
		got := must[store.Key](t)(st.RerollKey(ctx, "old", nk, t0.Add(time.Hour)))
		want := old
		want.ID, want.Hash, want.Start, want.CreatedAt, want.UpdatedAt, want.Remaining = "new", nk.Hash, "sk_new", nk.CreatedAt, nk.UpdatedAt, i64(8)
		want.RateStart, want.RateCount = t0, 1 // the window goes on
		if !sameKey(got, want) || !sameKey(must[store.Key](t)(st.KeyByHash(ctx, nk.Hash)), want) {
			t.Fatalf("rerolled\n%+v\nwant\n%+v", got, want)
		}
		if o := must[store.Key](t)(st.KeyByID(ctx, "old")); !o.ExpiresAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("the old key expires at %v", o.ExpiresAt)
		}
		if o := must[store.Key](t)(st.RerollKey(ctx, "new", store.Key{ID: "newer", Hash: hash("key:newer"), CreatedAt: t0, UpdatedAt: t0}, t0.Add(5*time.Hour))); !o.ExpiresAt.Equal(want.ExpiresAt) {
			t.Fatalf("a reroll with a later overlap moved the expiry to %v", o.ExpiresAt)
		}
		if o := must[store.Key](t)(st.KeyByID(ctx, "new")); !o.ExpiresAt.Equal(want.ExpiresAt) {
			t.Fatalf("a reroll with a later overlap than the key's own expiry moved it to %v", o.ExpiresAt)
		}
		must[store.Key](t)(st.RevokeKey(ctx, "newer", t0))
		if _, err := st.RerollKey(ctx, "newer", store.Key{ID: "x", Hash: hash("x"), CreatedAt: t0, UpdatedAt: t0}, t0); !errors.Is(err, store.ErrRevoked) {
			t.Fatalf("reroll of a revoked key: %v", err)
		}
		if _, err := st.RerollKey(ctx, "nope", store.Key{ID: "y", Hash: hash("y"), CreatedAt: t0, UpdatedAt: t0}, t0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("reroll of no key: %v", err)
		}
		if _, err := st.KeyByID(ctx, "x"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a refused reroll stored its key: %v", err)
		}
	})
	t.Run("a key is rerolled once, and an expired key not at all", func(t *testing.T) {
		st := fresh(t)
		noErr(t, st.InsertKey(ctx, key("k1", nil, nil)))
		nk := func(id string) store.Key {
			return store.Key{ID: id, Hash: hash("key:" + id), Prefix: "sk_", Start: "sk_" + id, CreatedAt: t0, UpdatedAt: t0}
		}
		if got := must[store.Key](t)(st.RerollKey(ctx, "k1", nk("k2"), t0.Add(time.Hour))); got.Successor != "" {
			t.Fatalf("the new key has a successor: %q", got.Successor)
		}
		if o := must[store.Key](t)(st.KeyByID(ctx, "k1")); o.Successor != "k2" {
			t.Fatalf("the old key's successor: %q", o.Successor)
		}
		if _, err := st.RerollKey(ctx, "k1", nk("k2b"), t0.Add(time.Hour)); !errors.Is(err, store.ErrRerolled) {
			t.Fatalf("a second reroll of one key: %v", err)
		}
		must[store.Key](t)(st.RerollKey(ctx, "k2", nk("k3"), t0.Add(time.Hour)))
		for _, id := range []string{"k1", "k2"} {
			if o := must[store.Key](t)(st.KeyByHash(ctx, hash("key:"+id))); o.Successor != "k3" {
				t.Fatalf("%s's successor after two rerolls: %q", id, o.Successor)
			}
		}
		short := key("short", nil, nil)
		short.ExpiresAt = t0.Add(time.Minute)
		noErr(t, st.InsertKey(ctx, short))
		late := nk("late")
		late.CreatedAt, late.UpdatedAt = t0.Add(time.Minute), t0.Add(time.Minute)
		if _, err := st.RerollKey(ctx, "short", late, t0.Add(time.Hour)); !errors.Is(err, store.ErrExpired) {
			t.Fatalf("a reroll of an expired key: %v", err)
		}
		for _, id := range []string{"k2b", "late"} {
			if _, err := st.KeyByID(ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("a refused reroll stored %s: %v", id, err)
			}
		}
	})
	t.Run("rerolled keys spend one count of uses and one rate limit, the newest key's", func(t *testing.T) {
		st := fresh(t)
		noErr(t, st.InsertKey(ctx, key("k1", i64(10), &store.RateLimit{Limit: 4, Window: time.Minute})))
		use(t, st, "k1", 1, t0)
		nk := func(id string) store.Key {
			return store.Key{ID: id, Hash: hash("key:" + id), Prefix: "sk_", Start: "sk_" + id, CreatedAt: t0, UpdatedAt: t0}
		}
		must[store.Key](t)(st.RerollKey(ctx, "k1", nk("k2"), t0.Add(time.Hour)))
		must[store.Key](t)(st.RerollKey(ctx, "k2", nk("k3"), t0.Add(time.Hour)))
		for i, id := range []string{"k1", "k2", "k3"} {
			k, ok, err := st.UseKey(ctx, id, 1, t0.Add(time.Second))
			if err != nil || !ok || k.ID != id || *k.Remaining != int64(8-i) || k.RateCount != int64(2+i) || !k.RateStart.Equal(t0) {
				t.Fatalf("use through %s: ok %v, %+v, %v", id, ok, k, err)
			}
		}
		for _, id := range []string{"k1", "k2", "k3"} {
			if k, ok, err := st.UseKey(ctx, id, 1, t0.Add(2*time.Second)); err != nil || ok || k.RateCount != 4 || *k.Remaining != 6 {
				t.Fatalf("a use through %s past the shared rate limit: ok %v, %+v, %v", id, ok, k, err)
			}
		}
		if k := must[store.Key](t)(st.KeyByID(ctx, "k3")); *k.Remaining != 6 || k.RateCount != 4 {
			t.Fatalf("the newest key's counts: %d remaining, %d in the window", *k.Remaining, k.RateCount)
		}
		for i, id := range []string{"k1", "k3"} {
			k, ok, err := st.UseKey(ctx, id, 3, t0.Add(time.Duration(i+1)*time.Minute))
			if err != nil || !ok || *k.Remaining != int64(3-3*i) {
				t.Fatalf("%s spends 3 of the last 6 uses in a new window: ok %v, %+v, %v", id, ok, k, err)
			}
		}
		if _, ok, _ := st.UseKey(ctx, "k1", 1, t0.Add(3*time.Minute)); ok {
			t.Fatal("the old key spent a use the new one had spent")
		}
		if _, ok, _ := st.UseKey(ctx, "k1", 0, t0.Add(time.Hour)); ok {
			t.Fatal("the old key was used after its overlap")
		}
	})
}

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// redeem is RedeemToken, failing the test on an error.
func redeem(t testing.TB, st store.Store, purpose string, hash []byte, now time.Time) (store.Token, bool) {
	t.Helper()
	tok, ok, err := st.RedeemToken(context.Background(), purpose, hash, now)
	noErr(t, err)
	return tok, ok
}

// use is UseKey, failing the test on an error.
func use(t testing.TB, st store.Store, id string, cost int64, now time.Time) (store.Key, bool) {
	t.Helper()
	k, ok, err := st.UseKey(context.Background(), id, cost, now)
	noErr(t, err)
	return k, ok
}

func testSettings(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.NewDB(t)
	one, two := db.Open(t), db.Open(t)
	var wg sync.WaitGroup
	got := make([][]byte, 20)
	for i := range got {
		st := one
		if i%2 == 1 {
			st = two
		}
		wg.Go(func() {
			v, err := st.LoadOrStoreSetting(ctx, "pepper", fmt.Appendf(nil, "value %d", i))
			if err != nil {
				t.Error(err)
			}
			got[i] = v
		})
	}
	wg.Wait()
	for _, v := range got {
		if !bytes.Equal(v, got[0]) || len(v) == 0 {
			t.Fatalf("concurrent callers saw %q and %q: want the first value for all", got[0], v)
		}
	}
	if v, err := two.Setting(ctx, "pepper"); err != nil || !bytes.Equal(v, got[0]) {
		t.Fatalf("Setting: %q, %v", v, err)
	}
	noErr(t, one.DeleteSetting(ctx, "pepper"))
	noErr(t, one.DeleteSetting(ctx, "pepper")) // none: no error
	if _, err := two.Setting(ctx, "pepper"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a deleted setting: %v", err)
	}
	if err := one.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func testSweep(t *testing.T, st store.Store) {
	ctx := context.Background()
	day := 24 * time.Hour
	for _, tok := range []store.Token{token("expired", "p", "a", t0.Add(time.Hour)), token("used", "p", "b", t0.Add(10*day)), token("live", "p", "c", t0.Add(10*day))} {
		noErr(t, st.InsertToken(ctx, tok, false))
	}
	redeem(t, st, "p", hash("tok:used"), t0)
	must[time.Time](t)(st.InsertCode(ctx, code("old", "a", "m", t0), time.Minute, 5))
	long := code("long", "b", "m", t0)
	long.ExpiresAt = t0.Add(3 * day)
	must[time.Time](t)(st.InsertCode(ctx, long, time.Minute, 5))
	expiring, forever := key("expiring", nil, nil), key("forever", nil, nil)
	expiring.ExpiresAt = t0.Add(time.Hour)
	for _, k := range []store.Key{expiring, forever, key("revoked", nil, nil)} {
		noErr(t, st.InsertKey(ctx, k))
	}
	must[store.Key](t)(st.RevokeKey(ctx, "revoked", t0))
	noErr(t, st.AppendAudit(ctx, store.AuditRecord{ID: "aud_1", At: t0, ActorID: "ak", Action: "keys.revoke", Target: "revoked", Outcome: "ok"}))
	sw := &store.Sweeper{Store: st, Retention: day, AuditRetention: 2 * day, Batch: 1, Clock: clockAt(t0.Add(day - time.Minute))}
	if n := must[int64](t)(sw.Once(ctx)); n != 0 {
		t.Fatalf("swept %d records inside the retention", n)
	}
	sw.Clock = clockAt(t0.Add(day + 2*time.Hour))
	if n := must[int64](t)(sw.Once(ctx)); n != 3 {
		t.Fatalf("swept %d records, want the expired and the used token and the old code", n)
	}
	for _, id := range []string{"expiring", "revoked"} {
		if _, err := st.KeyByID(ctx, id); err != nil {
			t.Errorf("key %s, a tombstone for the audit retention: %v", id, err)
		}
	}
	sw.Clock = clockAt(t0.Add(2*day + 2*time.Hour))
	if n := must[int64](t)(sw.Once(ctx)); n != 3 {
		t.Fatalf("swept %d records after the audit retention, want the expired and the revoked key and the audit record", n)
	}
	if recs := must[[]store.AuditRecord](t)(st.ListAudit(ctx, store.AuditFilter{Limit: 10})); len(recs) != 0 {
		t.Fatalf("%d audit records after their retention", len(recs))
	}
	for _, h := range [][]byte{hash("tok:expired"), hash("tok:used")} {
		if _, err := st.GetToken(ctx, "p", h); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a swept token: %v", err)
		}
	}
	if _, err := st.GetToken(ctx, "p", hash("tok:live")); err != nil {
		t.Errorf("the live token: %v", err)
	}
	if _, err := st.KeyByID(ctx, "forever"); err != nil {
		t.Errorf("the live key: %v", err)
	}
	if c, _, _, err := checkCode(ctx, st, "login", "b", pepper1(long.MAC), t0.Add(day+2*time.Hour)); err != nil || c.ID != "long" {
		t.Errorf("the live code: %v", err)
	}
	// Reads go on while a sweep of many records runs in batches.
	for i := range 300 {
		noErr(t, st.InsertToken(ctx, token(fmt.Sprint("bulk", i), "bulk", fmt.Sprint(i), t0.Add(time.Second)), false))
	}
	swept := make(chan int64, 1)
	go func() {
		n, err := (&store.Sweeper{Store: st, Retention: day, Batch: 5, Clock: clockAt(t0.Add(5 * day))}).Once(ctx)
		if err != nil {
			t.Error(err)
		}
		swept <- n
	}()
	for done := false; !done; {
		select {
		case n := <-swept:
			if n != 302 {
				t.Errorf("swept %d records, want the 300 expired tokens, the long code and the failure budget of its subject", n)
			}
			done = true
		default:
			if _, err := st.KeyByHash(ctx, forever.Hash); err != nil {
				t.Fatalf("a read during the sweep: %v", err)
			}
		}
	}
	// Run stops with its context.
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- (&store.Sweeper{Store: st, Interval: time.Millisecond}).Run(rctx) }()
	time.Sleep(5 * time.Millisecond)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
}

type clockAt time.Time

func (c clockAt) Now() time.Time { return time.Time(c) }

// parallel runs n calls of f at once, call i on a or b by turns, after all
// are ready, and returns how many returned true.
func parallel(t *testing.T, n int, a, b store.Store, f func(st store.Store) (bool, error)) int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	start, yes := make(chan struct{}), 0
	var firstErr error
	for i := range n {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			<-start
			ok, err := f(st)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			if ok {
				yes++
			}
		})
	}
	close(start)
	wg.Wait()
	if firstErr != nil {
		t.Fatalf("a concurrent call failed: %v", firstErr)
	}
	return yes
}

func testAtomic(t *testing.T, pair func(*testing.T) (store.Store, store.Store)) {
	ctx := context.Background()
	t.Run("of 200 concurrent redemptions of one token exactly one succeeds", func(t *testing.T) {
		a, b := pair(t)
		tok := token("t", "p", "u", t0.Add(time.Hour))
		noErr(t, a.InsertToken(ctx, tok, false))
		if n := parallel(t, 200, a, b, func(st store.Store) (bool, error) {
			_, ok, err := st.RedeemToken(ctx, "p", tok.Hash, t0)
			return ok, err
		}); n != 1 {
			t.Fatalf("%d redemptions succeeded", n)
		}
	})
	t.Run("of 300 concurrent checks of a code with 3 attempts exactly 3 are counted", func(t *testing.T) {
		a, b := pair(t)
		must[time.Time](t)(a.InsertCode(ctx, code("c", "u", "right", t0), time.Minute, 5))
		if n := parallel(t, 300, a, b, func(st store.Store) (bool, error) {
			_, counted, _, err := checkCode(ctx, st, "login", "u", pepper1(hash("mac:wrong")), t0)
			return counted, err
		}); n != 3 {
			t.Fatalf("%d attempts counted", n)
		}
	})
	t.Run("of 40 concurrent inserts of a code for one subject exactly the throttle's 5 succeed and one stays uncancelled", func(t *testing.T) {
		a, b := pair(t)
		var mu sync.Mutex
		i := 0
		if n := parallel(t, 40, a, b, func(st store.Store) (bool, error) {
			mu.Lock()
			i++
			c := code(fmt.Sprint("c", i), "u", fmt.Sprint("m", i), t0)
			mu.Unlock()
			_, err := st.InsertCode(ctx, c, time.Minute, 5)
			if errors.Is(err, store.ErrThrottled) {
				return false, nil
			}
			return err == nil, err
		}); n != 5 {
			t.Fatalf("%d codes stored", n)
		}
	})
	t.Run("of 100 concurrent wrong checks of codes with 100 attempts, a failure budget of 10 counts exactly 10", func(t *testing.T) {
		a, b := pair(t)
		c := code("c", "u", "right", t0)
		c.MaxAttempts, c.BudgetLimit = 100, 10
		must[time.Time](t)(a.InsertCode(ctx, c, time.Minute, 5))
		if n := parallel(t, 100, a, b, func(st store.Store) (bool, error) {
			_, counted, _, err := checkCode(ctx, st, "login", "u", pepper1(hash("mac:wrong")), t0)
			return counted, err
		}); n != 10 {
			t.Fatalf("%d attempts counted", n)
		}
		c2 := code("c2", "u", "right2", t0)
		c2.MaxAttempts, c2.BudgetLimit = 100, 10
		must[time.Time](t)(b.InsertCode(ctx, c2, time.Minute, 5))
		if _, counted, _, err := checkCode(ctx, a, "login", "u", pepper1(c2.MAC), t0); err != nil || counted {
			t.Fatalf("the right code after the budget was spent: counted %v, %v", counted, err)
		}
	})
	t.Run("of 20 concurrent rerolls of one key exactly one succeeds", func(t *testing.T) {
		a, b := pair(t)
		noErr(t, a.InsertKey(ctx, key("k", i64(3), nil)))
		var mu sync.Mutex
		i := 0
		if n := parallel(t, 20, a, b, func(st store.Store) (bool, error) {
			mu.Lock()
			i++
			id := fmt.Sprint("new", i)
			mu.Unlock()
			_, err := st.RerollKey(ctx, "k", store.Key{ID: id, Hash: hash("key:" + id), Prefix: "sk_", Start: "sk_", CreatedAt: t0, UpdatedAt: t0}, t0.Add(time.Hour))
			if errors.Is(err, store.ErrRerolled) {
				return false, nil
			}
			return err == nil, err
		}); n != 1 {
			t.Fatalf("%d rerolls succeeded", n)
		}
	})
	t.Run("a key with 100 uses, rerolled, spent 1000 times at once through both keys is spent exactly 100 times", func(t *testing.T) {
		a, b := pair(t)
		noErr(t, a.InsertKey(ctx, key("k", i64(100), nil)))
		must[store.Key](t)(a.RerollKey(ctx, "k", store.Key{ID: "k2", Hash: hash("key:k2"), Prefix: "sk_", Start: "sk_", CreatedAt: t0, UpdatedAt: t0}, t0.Add(time.Hour)))
		var mu sync.Mutex
		i := 0
		if n := parallel(t, 1000, a, b, func(st store.Store) (bool, error) {
			mu.Lock()
			i++
			id := []string{"k", "k2"}[i%2]
			mu.Unlock()
			_, ok, err := st.UseKey(ctx, id, 1, t0)
			return ok, err
		}); n != 100 {
			t.Fatalf("%d uses admitted", n)
		}
	})
	t.Run("a key with 100 uses spent 300 times at once through its old keys while it is rerolled twice is spent exactly 100 times", func(t *testing.T) {
		a, b := pair(t)
		noErr(t, a.InsertKey(ctx, key("k", i64(100), nil)))
		nk := func(id string) store.Key {
			return store.Key{ID: id, Hash: hash("key:" + id), Prefix: "sk_", Start: "sk_", CreatedAt: t0, UpdatedAt: t0}
		}
		must[store.Key](t)(a.RerollKey(ctx, "k", nk("k2"), t0.Add(time.Hour)))
		var mu sync.Mutex
		i := 0
		if n := parallel(t, 301, a, b, func(st store.Store) (bool, error) {
			mu.Lock()
			i++
			call := i
			mu.Unlock()
			if call == 150 {
				if _, err := st.RerollKey(ctx, "k2", nk("k3"), t0.Add(time.Hour)); err != nil {
					return false, err
				}
				_, err := st.RerollKey(ctx, "k3", nk("k4"), t0.Add(time.Hour))
				return false, err
			}
			_, ok, err := st.UseKey(ctx, []string{"k", "k2"}[call%2], 1, t0)
			return ok, err
		}); n != 100 {
			t.Fatalf("%d uses admitted", n)
		}
		if k := must[store.Key](t)(a.KeyByID(ctx, "k4")); *k.Remaining != 0 {
			t.Fatalf("the newest key has %d uses left", *k.Remaining)
		}
	})
	t.Run("a key with 100 uses spent 1000 times at once is spent exactly 100 times", func(t *testing.T) {
		a, b := pair(t)
		noErr(t, a.InsertKey(ctx, key("k", i64(100), nil)))
		if n := parallel(t, 1000, a, b, func(st store.Store) (bool, error) {
			_, ok, err := st.UseKey(ctx, "k", 1, t0)
			return ok, err
		}); n != 100 {
			t.Fatalf("%d uses admitted", n)
		}
	})
	t.Run("a rate limit of 50 admits 50 of 300 concurrent uses in a window", func(t *testing.T) {
		a, b := pair(t)
		noErr(t, a.InsertKey(ctx, key("k", nil, &store.RateLimit{Limit: 50, Window: time.Minute})))
		for w := range 2 {
			if n := parallel(t, 300, a, b, func(st store.Store) (bool, error) {
				_, ok, err := st.UseKey(ctx, "k", 1, t0.Add(time.Duration(w)*time.Minute))
				return ok, err
			}); n != 50 {
				t.Fatalf("window %d: %d uses admitted", w, n)
			}
		}
	})
}

func testAccessKeys(t *testing.T, st store.Store) {
	ctx := context.Background()
	k := store.AccessKey{ID: "ak_1", Hash: hash("ak:1"), Start: "sak_ab…", Name: "verifier", Scopes: []string{"keys:verify"},
		Namespaces: []string{"billing", "a,b"}, CreatedAt: t0}
	root := store.AccessKey{ID: "ak_2", Hash: hash("ak:2"), Start: "sak_cd…", Name: "root", Scopes: []string{"access:manage", "keys:create"},
		Namespaces: []string{"*"}, CreatedAt: t0}
	for _, a := range []store.AccessKey{k, root} {
		noErr(t, st.InsertAccessKey(ctx, a))
	}
	same := func(a, b store.AccessKey) bool {
		return a.ID == b.ID && bytes.Equal(a.Hash, b.Hash) && a.Start == b.Start && a.Name == b.Name &&
			fmt.Sprint(a.Scopes) == fmt.Sprint(b.Scopes) && fmt.Sprint(a.Namespaces) == fmt.Sprint(b.Namespaces) &&
			a.CreatedAt.Equal(b.CreatedAt) && a.LastUsedAt.Equal(b.LastUsedAt) && a.RevokedAt.Equal(b.RevokedAt)
	}
	if got := must[store.AccessKey](t)(st.AccessKeyByHash(ctx, k.Hash)); !same(got, k) {
		t.Fatalf("by hash: %+v", got)
	}
	if got := must[store.AccessKey](t)(st.AccessKeyByID(ctx, "ak_2")); !same(got, root) {
		t.Fatalf("by id: %+v", got)
	}
	if _, err := st.AccessKeyByHash(ctx, hash("nope")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown hash: %v", err)
	}
	dup := root
	dup.ID = "ak_3"
	if err := st.InsertAccessKey(ctx, dup); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("a second access key with the same hash: %v", err)
	}
	noErr(t, st.TouchAccessKey(ctx, "ak_1", t0.Add(time.Minute)))
	noErr(t, st.TouchAccessKey(ctx, "ak_1", t0.Add(time.Second))) // earlier: ignored
	if got := must[store.AccessKey](t)(st.AccessKeyByID(ctx, "ak_1")); !got.LastUsedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("last used at %v", got.LastUsedAt)
	}
	r := must[store.AccessKey](t)(st.RevokeAccessKey(ctx, "ak_1", t0.Add(time.Hour)))
	if again := must[store.AccessKey](t)(st.RevokeAccessKey(ctx, "ak_1", t0.Add(2*time.Hour))); !r.RevokedAt.Equal(t0.Add(time.Hour)) || !again.RevokedAt.Equal(r.RevokedAt) {
		t.Fatalf("revoked at %v, then %v", r.RevokedAt, again.RevokedAt)
	}
	if got := must[store.AccessKey](t)(st.AccessKeyByHash(ctx, k.Hash)); got.RevokedAt.IsZero() {
		t.Fatal("a revoked access key reads as live")
	}
	if _, err := st.RevokeAccessKey(ctx, "nope", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke of no access key: %v", err)
	}
	page := must[[]store.AccessKey](t)(st.ListAccessKeys(ctx, "", 1))
	rest := must[[]store.AccessKey](t)(st.ListAccessKeys(ctx, page[0].ID, 10))
	if len(page) != 1 || page[0].ID != "ak_1" || len(rest) != 1 || rest[0].ID != "ak_2" {
		t.Fatalf("pages %v and %v", page, rest)
	}
}

func testAudit(t *testing.T, st store.Store) {
	ctx := context.Background()
	for i, r := range []store.AuditRecord{
		{Action: "keys.create", ActorID: "ak_1", Target: "key_1", Namespace: "ns"},
		{Action: "keys.revoke", ActorID: "ak_1", Target: "key_1", Namespace: "ns"},
		{Action: "tokens.issue", ActorID: "ak_2", Target: "tok_1"},
		{Action: "keys.create", ActorID: "ak_2", Target: "key_2", Outcome: "invalid"},
	} {
		r.ID, r.At, r.ActorName, r.RequestID = fmt.Sprintf("aud_%d", i), t0.Add(time.Duration(i)*time.Minute), "name "+r.ActorID, fmt.Sprint("req", i)
		if r.Outcome == "" {
			r.Outcome = "ok"
		}
		noErr(t, st.AppendAudit(ctx, r))
	}
	ids := func(f store.AuditFilter) string {
		if f.Limit == 0 {
			f.Limit = 10
		}
		var s []string
		for _, r := range must[[]store.AuditRecord](t)(st.ListAudit(ctx, f)) {
			s = append(s, r.ID)
		}
		return fmt.Sprint(s)
	}
	for _, c := range []struct {
		f    store.AuditFilter
		want string
	}{
		{store.AuditFilter{}, "[aud_0 aud_1 aud_2 aud_3]"},
		{store.AuditFilter{Actor: "ak_1"}, "[aud_0 aud_1]"},
		{store.AuditFilter{Action: "keys.create"}, "[aud_0 aud_3]"},
		{store.AuditFilter{Target: "key_1", Action: "keys.revoke"}, "[aud_1]"},
		{store.AuditFilter{From: t0.Add(time.Minute), To: t0.Add(3 * time.Minute)}, "[aud_1 aud_2]"},
		{store.AuditFilter{After: "aud_1", Limit: 1}, "[aud_2]"},
	} {
		if got := ids(c.f); got != c.want {
			t.Errorf("%+v: %s, want %s", c.f, got, c.want)
		}
	}
	got := must[[]store.AuditRecord](t)(st.ListAudit(ctx, store.AuditFilter{Target: "key_2", Limit: 1}))
	if len(got) != 1 || got[0].ActorName != "name ak_2" || got[0].Outcome != "invalid" || got[0].RequestID != "req3" || !got[0].At.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("record %+v", got)
	}
}
