package backendtest

import (
	"bytes"
	"testing"

	"github.com/unguessable/secrets/store"
)

// Suite is the tests of a manager on a store, over E, the manager and what
// its tests need beside it.
type Suite[E any] struct {
	// Tests get a fresh E on a fresh database for each call of fresh.
	Tests func(t *testing.T, fresh func(t *testing.T) E)
	// Concurrency gets two Es on one database that share a clock: once on
	// one store handle, once on two (two instances of the service).
	Concurrency func(t *testing.T, pair func(t *testing.T) (E, E))
	// Plaintext gets an E and the bytes its database holds, to scan for
	// the secrets it issued.
	Plaintext func(t *testing.T, e E, contents func() []byte)
}

// RunSuite runs s on every backend, with newEnv making an E on a store
// and a clock.
func RunSuite[E any](t *testing.T, newEnv func(t testing.TB, st store.Store, clock *Clock) E, s Suite[E]) {
	Run(t, func(t *testing.T, b Backend) {
		if s.Tests != nil {
			s.Tests(t, func(t *testing.T) E { return newEnv(t, b.NewDB(t).Open(t), NewClock()) })
		}
		if s.Concurrency != nil {
			t.Run("concurrency with one handle", func(t *testing.T) {
				s.Concurrency(t, func(t *testing.T) (E, E) {
					e := newEnv(t, b.NewDB(t).Open(t), NewClock())
					return e, e
				})
			})
			t.Run("concurrency with two handles", func(t *testing.T) {
				s.Concurrency(t, func(t *testing.T) (E, E) {
					db, clock := b.NewDB(t), NewClock()
					return newEnv(t, db.Open(t), clock), newEnv(t, db.Open(t), clock)
				})
			})
		}
		if s.Plaintext != nil {
			t.Run("no plaintext reaches the database", func(t *testing.T) {
				db := b.NewDB(t)
				s.Plaintext(t, newEnv(t, db.Open(t), NewClock()), func() []byte { return db.Contents(t) })
			})
		}
	})
}

// NoPlaintext fails the test if contents, the bytes a database holds, hold
// any of the secrets in plain, whole or (for secrets over 16 characters)
// their second half, which a store that split the value would otherwise
// slip past. marker is a value the contents must hold, so that a scan of
// the wrong thing cannot pass. Codes are searched whole: give them 10
// digits, so that a chance match in the other bytes stays below 1e-6 per
// run (half of one, 5 digits, would not).
func NoPlaintext(t testing.TB, contents []byte, marker string, plain []string) {
	t.Helper()
	if len(contents) == 0 {
		t.Fatal("the backend returned no contents to scan")
	}
	if !bytes.Contains(contents, []byte(marker)) {
		t.Fatalf("the contents lack even %q: the scan reads the wrong thing", marker)
	}
	for _, p := range plain {
		needles := []string{p}
		if len(p) > 16 {
			needles = append(needles, p[len(p)/2:])
		}
		for _, needle := range needles {
			if bytes.Contains(contents, []byte(needle)) {
				t.Errorf("the database holds a plaintext secret of %d characters", len(p))
			}
		}
	}
}
