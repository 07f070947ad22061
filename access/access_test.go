package access_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/unguessable/secrets/access"
	"github.com/unguessable/secrets/apikey"
	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/store"
)

type env struct {
	st    store.Store
	clock *backendtest.Clock
	m     *access.Manager
}

func newEnv(_ testing.TB, st store.Store, clock *backendtest.Clock) *env {
	return &env{st: st, clock: clock, m: access.New(st, access.Options{Clock: clock})}
}

func TestOnEveryBackend(t *testing.T) {
	backendtest.RunSuite(t, newEnv, backendtest.Suite[*env]{Tests: testAccess, Concurrency: testConcurrency, Plaintext: testPlaintext})
}

func testAccess(t *testing.T, fresh func(*testing.T) *env) {
	ctx := context.Background()
	t.Run("a created key authenticates with its scopes and namespaces until it is revoked", func(t *testing.T) {
		e := fresh(t)
		c := backendtest.Must[access.Created](t)(e.m.Create(ctx, "billing verifier", []string{access.KeysVerify, access.KeysVerify}, []string{"billing"}))
		if _, err := apikey.Parse(c.Plaintext); err != nil || !strings.HasPrefix(c.Plaintext, access.Prefix) || c.Start != apikey.Redact(c.Plaintext) {
			t.Fatalf("created %q (%v), start %q", apikey.Redact(c.Plaintext), err, c.Start)
		}
		k := backendtest.Must[access.Key](t)(e.m.Authenticate(ctx, c.Plaintext))
		if k.ID != c.ID || k.Name != "billing verifier" || len(k.Scopes) != 1 || !k.Allows(access.KeysVerify) || k.Allows(access.KeysCreate) ||
			!k.SeesNamespace("billing") || k.SeesNamespace("default") {
			t.Fatalf("authenticated %+v", k)
		}
		if g := backendtest.Must[access.Key](t)(e.m.Get(ctx, c.ID)); !g.LastUsedAt.Equal(e.clock.Now()) {
			t.Fatalf("last used at %v, want %v", g.LastUsedAt, e.clock.Now())
		}
		backendtest.Must[access.Key](t)(e.m.Revoke(ctx, c.ID))
		if _, err := e.m.Authenticate(ctx, c.Plaintext); !errors.Is(err, access.ErrUnauthenticated) {
			t.Fatalf("a revoked key on the instance that revoked it: %v", err)
		}
		if _, err := e.m.Revoke(ctx, "ak_nope"); !errors.Is(err, access.ErrNotFound) {
			t.Fatalf("revoke of no key: %v", err)
		}
		if _, err := e.m.Get(ctx, "ak_nope"); !errors.Is(err, access.ErrNotFound) {
			t.Fatalf("get of no key: %v", err)
		}
	})
	t.Run("a key of every namespace sees them all; the root key holds every scope", func(t *testing.T) {
		e := fresh(t)
		c := backendtest.Must[access.Created](t)(e.m.Create(ctx, "all", []string{access.KeysRead}, []string{access.AllNamespaces}))
		if !c.SeesNamespace("anything") || !access.Root("r").Allows(access.AccessManage) || !access.Root("r").SeesNamespace("x") {
			t.Fatal("wildcards do not hold")
		}
	})
	t.Run("malformed, made-up and mistyped keys do not authenticate", func(t *testing.T) {
		e := fresh(t)
		c := backendtest.Must[access.Created](t)(e.m.Create(ctx, "k", []string{access.KeysRead}, []string{"*"}))
		typo := []byte(c.Plaintext)
		typo[10] ^= 1
		for _, bad := range []string{"", "sak_", "sk_live_" + c.Plaintext[4:], string(typo), apikey.New(access.Prefix), c.Plaintext + "x", strings.Repeat("a", 5000)} {
			if _, err := e.m.Authenticate(ctx, bad); !errors.Is(err, access.ErrUnauthenticated) {
				t.Errorf("%.12q…: %v", bad, err)
			}
		}
	})
	t.Run("bad descriptions are an InvalidError naming the field", func(t *testing.T) {
		e := fresh(t)
		for field, args := range map[string]struct {
			name       string
			scopes, ns []string
		}{
			"name":       {"", []string{access.KeysRead}, []string{"*"}},
			"scopes":     {"n", []string{"keys:everything"}, []string{"*"}},
			"namespaces": {"n", []string{access.KeysRead}, nil},
		} {
			_, err := e.m.Create(ctx, args.name, args.scopes, args.ns)
			var ie *store.InvalidError
			if !errors.As(err, &ie) || ie.Field != field || !errors.Is(err, access.ErrInvalid) {
				t.Errorf("%s: %v", field, err)
			}
		}
		if _, err := e.m.Create(ctx, "n", nil, []string{"*"}); err == nil {
			t.Error("no scopes: no error")
		}
	})
	t.Run("list pages in creation order", func(t *testing.T) {
		e := fresh(t)
		var ids []string
		for _, n := range []string{"a", "b", "c"} {
			ids = append(ids, backendtest.Must[access.Created](t)(e.m.Create(ctx, n, []string{access.KeysRead}, []string{"*"})).ID)
			e.clock.Advance(time.Millisecond)
		}
		first := backendtest.Must[[]access.Key](t)(e.m.List(ctx, "", 2))
		rest := backendtest.Must[[]access.Key](t)(e.m.List(ctx, first[1].ID, 2))
		if len(first) != 2 || first[0].ID != ids[0] || len(rest) != 1 || rest[0].ID != ids[2] {
			t.Fatalf("pages %v, %v", first, rest)
		}
		if _, err := e.m.List(ctx, "", 0); !errors.Is(err, access.ErrInvalid) {
			t.Fatalf("limit 0: %v", err)
		}
	})
}

func testConcurrency(t *testing.T, pair func(*testing.T) (*env, *env)) {
	ctx := context.Background()
	t.Run("a read that began before this instance's revocation is not cached after it", func(t *testing.T) {
		e, _ := pair(t)
		c := backendtest.Must[access.Created](t)(e.m.Create(ctx, "k", []string{access.KeysRead}, []string{"*"}))
		var m *access.Manager
		st := &revokeDuringRead{Store: e.st, revoke: func() { backendtest.Must[access.Key](t)(m.Revoke(ctx, c.ID)) }}
		m = access.New(st, access.Options{Clock: e.clock})
		// Concurrent with the revocation, this call may go either way.
		m.Authenticate(ctx, c.Plaintext)
		if _, err := m.Authenticate(ctx, c.Plaintext); !errors.Is(err, access.ErrUnauthenticated) {
			t.Fatalf("a call after the revocation returned, on the instance that made it: %v", err)
		}
	})
	t.Run("another instance's revocation holds within the cache's lifetime", func(t *testing.T) {
		a, b := pair(t)
		c := backendtest.Must[access.Created](t)(a.m.Create(ctx, "k", []string{access.KeysRead}, []string{"*"}))
		backendtest.Must[access.Key](t)(b.m.Authenticate(ctx, c.Plaintext)) // b caches it
		backendtest.Must[access.Key](t)(a.m.Revoke(ctx, c.ID))
		b.clock.Advance(access.DefaultTTL)
		if _, err := b.m.Authenticate(ctx, c.Plaintext); !errors.Is(err, access.ErrUnauthenticated) {
			t.Fatalf("a revoked key, a cache lifetime later on another instance: %v", err)
		}
	})
	t.Run("on the system clock, no instance trusts a key once its revocation has returned", func(t *testing.T) {
		pa, pb := pair(t)
		const ttl = 300 * time.Millisecond
		a := access.New(pa.st, access.Options{CacheTTL: ttl})
		b := access.New(pb.st, access.Options{CacheTTL: ttl})
		c := backendtest.Must[access.Created](t)(a.Create(ctx, "k", []string{access.KeysRead}, []string{"*"}))
		backendtest.Must[access.Key](t)(b.Authenticate(ctx, c.Plaintext)) // b caches it
		backendtest.Must[access.Key](t)(a.Revoke(ctx, c.ID))
		if _, err := b.Authenticate(ctx, c.Plaintext); !errors.Is(err, access.ErrUnauthenticated) {
			t.Fatalf("another instance, right after the revocation returned: %v", err)
		}
	})
	t.Run("a revocation whose wait is cut short is written, and says so", func(t *testing.T) {
		pa, _ := pair(t)
		a := access.New(pa.st, access.Options{CacheTTL: time.Hour})
		c := backendtest.Must[access.Created](t)(a.Create(ctx, "k", []string{access.KeysRead}, []string{"*"}))
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, err := a.Revoke(short, c.ID); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("revoke with a context that ends during the wait: %v", err)
		}
		if k := backendtest.Must[access.Key](t)(a.Get(ctx, c.ID)); k.RevokedAt.IsZero() {
			t.Fatal("the key is not revoked")
		}
	})
}

func testPlaintext(t *testing.T, e *env, contents func() []byte) {
	ctx := context.Background()
	var plain []string
	for range 3 {
		c := backendtest.Must[access.Created](t)(e.m.Create(ctx, "scan", []string{access.KeysRead}, []string{"*"}))
		backendtest.Must[access.Key](t)(e.m.Authenticate(ctx, c.Plaintext))
		plain = append(plain, c.Plaintext)
	}
	backendtest.NoPlaintext(t, contents(), "keys:read", plain)
}

// revokeDuringRead is a store whose first read of an access key by hash
// has the key revoked (by revoke) between the read and its answer.
type revokeDuringRead struct {
	store.Store
	revoke func()
	done   bool
}

func (s *revokeDuringRead) AccessKeyByHash(ctx context.Context, hash []byte) (store.AccessKey, error) {
	k, err := s.Store.AccessKeyByHash(ctx, hash)
	if !s.done {
		s.done = true
		s.revoke()
	}
	return k, err
}
