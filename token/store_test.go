package token_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/token"
)

// The token manager's behaviour on every backend (SQLite, and PostgreSQL
// when SECRETS_TEST_POSTGRES_URL is set).
func TestOnEveryBackend(t *testing.T) {
	backendtest.RunSuite(t, newEnv, backendtest.Suite[*env]{Tests: testTokens, Concurrency: testConcurrency, Plaintext: testPlaintext})
}

// env is one test's database and token manager on it.
type env struct {
	st     store.Store
	clock  *backendtest.Clock
	tokens *token.Manager
}

func newEnv(_ testing.TB, st store.Store, clock *backendtest.Clock) *env {
	return &env{st: st, clock: clock, tokens: token.New(st, token.Options{Clock: clock})}
}

func testTokens(t *testing.T, fresh func(*testing.T) *env) {
	ctx := context.Background()
	t.Run("an issued token verifies, redeems once, then reads USED", func(t *testing.T) {
		e := fresh(t)
		iss := backendtest.Must[token.Issued](t)(e.tokens.Issue(ctx, "reset", "alice", token.IssueOptions{Meta: json.RawMessage(`{"ip":"10.0.0.1"}`)}))
		if len(iss.Token) != 43 || iss.Bits != 256 || !iss.ExpiresAt.Equal(e.clock.Now().Add(time.Hour)) {
			t.Fatalf("issued %d characters, %d bits, expiry %v", len(iss.Token), iss.Bits, iss.ExpiresAt)
		}
		for i := range 2 {
			r := backendtest.Must[token.Result](t)(e.tokens.Verify(ctx, "reset", iss.Token))
			if r.Status != token.Valid || r.Subject != "alice" || string(r.Meta) != `{"ip":"10.0.0.1"}` || r.ID != iss.ID {
				t.Fatalf("verify %d: %+v", i, r)
			}
		}
		if r := backendtest.Must[token.Result](t)(e.tokens.Redeem(ctx, "reset", iss.Token)); r.Status != token.Valid || r.Subject != "alice" {
			t.Fatalf("first redeem: %v", r.Status)
		}
		for _, f := range []func(context.Context, string, string) (token.Result, error){e.tokens.Redeem, e.tokens.Verify} {
			if r := backendtest.Must[token.Result](t)(f(ctx, "reset", iss.Token)); r.Status != token.Used || r.Subject != "alice" {
				t.Fatalf("after redeeming: %v", r.Status)
			}
		}
	})
	t.Run("a token is NOT_FOUND for another purpose, and garbage is NOT_FOUND", func(t *testing.T) {
		e := fresh(t)
		iss := backendtest.Must[token.Issued](t)(e.tokens.Issue(ctx, "reset", "bob", token.IssueOptions{Bytes: 16}))
		if len(iss.Token) != 22 {
			t.Fatalf("16 bytes gave %d characters", len(iss.Token))
		}
		for _, tc := range [][2]string{{"verify-email", iss.Token}, {"reset", iss.Token + "x"}, {"reset", ""}, {"", iss.Token}, {"reset", string(make([]byte, 5000))}} {
			if r := backendtest.Must[token.Result](t)(e.tokens.Redeem(ctx, tc[0], tc[1])); r.Status != token.NotFound {
				t.Fatalf("redeem with purpose %q: %v", tc[0], r.Status)
			}
		}
		if r := backendtest.Must[token.Result](t)(e.tokens.Redeem(ctx, "reset", iss.Token)); r.Status != token.Valid {
			t.Fatalf("the failed attempts consumed the token: %v", r.Status)
		}
	})
	t.Run("a token past its expiry is EXPIRED and cannot be redeemed", func(t *testing.T) {
		e := fresh(t)
		iss := backendtest.Must[token.Issued](t)(e.tokens.Issue(ctx, "magic", "carol", token.IssueOptions{TTL: time.Minute}))
		e.clock.Advance(time.Minute - time.Millisecond)
		if r := backendtest.Must[token.Result](t)(e.tokens.Verify(ctx, "magic", iss.Token)); r.Status != token.Valid {
			t.Fatalf("a millisecond before expiry: %v", r.Status)
		}
		e.clock.Advance(time.Millisecond)
		for _, f := range []func(context.Context, string, string) (token.Result, error){e.tokens.Redeem, e.tokens.Verify, e.tokens.Redeem} {
			if r := backendtest.Must[token.Result](t)(f(ctx, "magic", iss.Token)); r.Status != token.Expired {
				t.Fatalf("at expiry: %v", r.Status)
			}
		}
	})
	t.Run("issuing again revokes the earlier unused token unless asked to keep it", func(t *testing.T) {
		e := fresh(t)
		a := backendtest.Must[token.Issued](t)(e.tokens.Issue(ctx, "reset", "dave", token.IssueOptions{}))
		other := backendtest.Must[token.Issued](t)(e.tokens.Issue(ctx, "invite", "dave", token.IssueOptions{}))
		b := backendtest.Must[token.Issued](t)(e.tokens.Issue(ctx, "reset", "dave", token.IssueOptions{}))
		c := backendtest.Must[token.Issued](t)(e.tokens.Issue(ctx, "reset", "dave", token.IssueOptions{KeepExisting: true}))
		want := map[string]token.Status{a.Token: token.Revoked, other.Token: token.Valid, b.Token: token.Valid, c.Token: token.Valid}
		for tok, s := range want {
			purpose := "reset"
			if tok == other.Token { //secretsvet:ignore a test telling apart tokens it made itself
				purpose = "invite"
			}
			if r := backendtest.Must[token.Result](t)(e.tokens.Verify(ctx, purpose, tok)); r.Status != s {
				t.Errorf("token %s: %v, want %v", r.ID, r.Status, s)
			}
		}
		n := backendtest.Must[int64](t)(e.tokens.RevokeSubject(ctx, "reset", "dave"))
		if n != 2 {
			t.Errorf("RevokeSubject revoked %d, want 2", n)
		}
		for _, tok := range []string{b.Token, c.Token} {
			if r := backendtest.Must[token.Result](t)(e.tokens.Redeem(ctx, "reset", tok)); r.Status != token.Revoked {
				t.Errorf("after RevokeSubject: %v", r.Status)
			}
		}
		if r := backendtest.Must[token.Result](t)(e.tokens.Redeem(ctx, "invite", other.Token)); r.Status != token.Valid {
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

func testConcurrency(t *testing.T, pair func(*testing.T) (*env, *env)) {
	ctx := context.Background()
	t.Run("of 200 concurrent redemptions of one token exactly one is VALID", func(t *testing.T) {
		a, b := pair(t)
		iss := backendtest.Must[token.Issued](t)(a.tokens.Issue(ctx, "reset", "u", token.IssueOptions{}))
		got := backendtest.Parallel(t, 200, []*env{a, b}, func(e *env) (token.Status, error) {
			r, err := e.tokens.Redeem(ctx, "reset", iss.Token)
			return r.Status, err
		})
		if got[token.Valid] != 1 || got[token.Used] != 199 {
			t.Fatalf("outcomes %v, want 1 VALID and 199 USED", got)
		}
	})
	t.Run("of 20 concurrent token issues for one subject exactly one stays live", func(t *testing.T) {
		a, b := pair(t)
		var mu sync.Mutex
		var issued []string
		backendtest.Parallel(t, 20, []*env{a, b}, func(e *env) (bool, error) {
			iss, err := e.tokens.Issue(ctx, "reset", "u", token.IssueOptions{})
			mu.Lock()
			issued = append(issued, iss.Token)
			mu.Unlock()
			return true, err
		})
		got := map[token.Status]int{}
		for _, tok := range issued {
			got[backendtest.Must[token.Result](t)(a.tokens.Verify(ctx, "reset", tok)).Status]++
		}
		if got[token.Valid] != 1 || got[token.Revoked] != 19 {
			t.Fatalf("outcomes %v, want 1 VALID and 19 REVOKED", got)
		}
	})
}

func testPlaintext(t *testing.T, e *env, contents func() []byte) {
	ctx := context.Background()
	var plain []string
	for i := range 5 {
		subject := string(rune('a' + i))
		plain = append(plain, backendtest.Must[token.Issued](t)(e.tokens.Issue(ctx, "reset", subject, token.IssueOptions{})).Token)
	}
	backendtest.NoPlaintext(t, contents(), "reset", plain)
}
