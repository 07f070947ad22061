package keys

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/unguessable/secrets/apikey"
	"github.com/unguessable/secrets/store"
)

// The manager's behaviour on real databases is tested in store_test.go, on
// every backend.

func TestStatusNames(t *testing.T) {
	for s, want := range map[Status]string{Valid: "VALID", Malformed: "MALFORMED", NotFound: "NOT_FOUND", Expired: "EXPIRED",
		Revoked: "REVOKED", Disabled: "DISABLED", UsageExceeded: "USAGE_EXCEEDED", RateLimited: "RATE_LIMITED", 0: "Status(0)"} {
		t.Run("status "+want+" prints and marshals as such", func(t *testing.T) {
			b, _ := json.Marshal(s)
			if s.String() != want || string(b) != `"`+want+`"` {
				t.Fatalf("String %q, JSON %s; want %q", s.String(), b, want)
			}
		})
	}
}

// noDatabase is a store whose every method panics (its embedded interface is
// nil): a Manager on it proves that a code path makes no database call.
type noDatabase struct{ store.Store }

func TestMalformedKeysCostNoDatabaseWork(t *testing.T) {
	m := New(noDatabase{}, Options{})
	good := apikey.New("sk_")
	for _, k := range []string{"", "sk_", good[:len(good)-1], good + "0", "Bearer " + good, strings.ToUpper(good)} {
		t.Run(fmt.Sprintf("a malformed key of %d characters is MALFORMED without a lookup", len(k)), func(t *testing.T) {
			r, err := m.Verify(context.Background(), k, "", 1)
			if err != nil || r.Status != Malformed {
				t.Fatalf("Verify: %v, %v", r.Status, err)
			}
		})
	}
}

func FuzzVerifyMalformed(f *testing.F) {
	f.Add(apikey.New("sk_live_"))
	f.Add("sk_live_")
	f.Add("")
	m := New(noDatabase{}, Options{})
	f.Fuzz(func(t *testing.T, key string) {
		if _, err := apikey.Parse(key); err == nil {
			return // well formed: Verify would look it up
		}
		r, err := m.Verify(context.Background(), key, "", 1)
		if err != nil || r.Status != Malformed {
			t.Fatalf("Verify of a malformed key: %v, %v", r.Status, err)
		}
	})
}
