package code

import (
	"bytes"
	"encoding/json"
	"testing"
)

// The manager's behaviour on real databases is tested in store_test.go, on
// every backend.

func TestStatusNames(t *testing.T) {
	for s, want := range map[Status]string{Approved: "APPROVED", Invalid: "INVALID", Expired: "EXPIRED", MaxAttempts: "MAX_ATTEMPTS", NotFound: "NOT_FOUND", 0: "Status(0)"} {
		t.Run("status "+want+" prints and marshals as such", func(t *testing.T) {
			b, _ := json.Marshal(s)
			if s.String() != want || string(b) != `"`+want+`"` {
				t.Fatalf("String %q, JSON %s; want %q", s.String(), b, want)
			}
		})
	}
}

func TestMACSeparatesItsInputs(t *testing.T) {
	pepper := bytes.Repeat([]byte{7}, 32)
	base := mac(pepper, "login", "alice", "123456")
	for name, other := range map[string][]byte{
		"a moved boundary between purpose and subject": mac(pepper, "logina", "lice", "123456"),
		"a moved boundary between subject and code":    mac(pepper, "login", "alice1", "23456"),
		"another code": mac(pepper, "login", "alice", "123457"),
	} {
		t.Run(name+" gives another MAC", func(t *testing.T) {
			if bytes.Equal(base, other) {
				t.Fatal("same MAC")
			}
		})
	}
	if len(base) != 32 {
		t.Fatalf("MAC of %d bytes", len(base))
	}
	if bytes.Equal(base, mac(bytes.Repeat([]byte{8}, 32), "login", "alice", "123456")) {
		t.Fatal("the pepper does not change the MAC")
	}
}
