package token

import (
	"encoding/json"
	"testing"
)

// The manager's behaviour on real databases is tested in store_test.go, on
// every backend.

func TestStatusNames(t *testing.T) {
	for s, want := range map[Status]string{Valid: "VALID", NotFound: "NOT_FOUND", Expired: "EXPIRED", Used: "USED", Revoked: "REVOKED", 0: "Status(0)", 99: "Status(99)"} {
		t.Run("status "+want+" prints and marshals as such", func(t *testing.T) {
			b, _ := json.Marshal(s)
			if s.String() != want || string(b) != `"`+want+`"` {
				t.Fatalf("String %q, JSON %s; want %q", s.String(), b, want)
			}
		})
	}
}
