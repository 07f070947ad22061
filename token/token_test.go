package token

import (
	"encoding/json"
	"errors"
	"testing"
)

// The managers' behaviour on real databases is tested by the conformance
// suite in store/storetest, run by store/sqlite and store/postgres.

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

func TestCheckMeta(t *testing.T) {
	for _, tt := range []struct {
		name, meta string
		ok         bool
	}{
		{"no metadata is fine", "", true},
		{"an object is fine", `{"a":[1,2]}`, true},
		{"an array is refused", `[1]`, false},
		{"null is refused", `null`, false},
		{"broken JSON is refused", `{"a":`, false},
		{"an object over 10 KiB is refused", `{"a":"` + string(make([]byte, MaxMetaBytes)) + `"}`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckMeta(json.RawMessage(tt.meta))
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
				t.Fatalf("CheckMeta: %v", err)
			}
		})
	}
}
