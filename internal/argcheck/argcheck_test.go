package argcheck

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/unguessable/secrets/store"
)

func TestName(t *testing.T) {
	tests := []struct {
		name     string
		v        string
		required bool
		want     string // a part of the problem, or "" for none
	}{
		{"a plain name is fine", "reset", true, ""},
		{"a name of exactly the most bytes is fine", strings.Repeat("a", store.MaxNameBytes), true, ""},
		{"an empty optional name is fine", "", false, ""},
		{"an empty required name is refused", "", true, "1 to 256 bytes"},
		{"a name one byte too long is refused", strings.Repeat("a", store.MaxNameBytes+1), false, "0 to 256 bytes"},
		{"invalid UTF-8 is refused", "a\xffb", true, "UTF-8"},
		{"a NUL character is refused", "a\x00b", true, "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Name("token", "subject", tt.v, tt.required)
			if tt.want == "" {
				if err != nil || NameOK(tt.v) != (tt.v != "") {
					t.Fatalf("Name(%q, %v) = %v", tt.v, tt.required, err)
				}
				return
			}
			var ie *store.InvalidError
			if !errors.As(err, &ie) || ie.Package != "token" || ie.Field != "subject" || !strings.Contains(ie.Reason, tt.want) ||
				!errors.Is(err, store.ErrInvalid) || !strings.HasPrefix(err.Error(), "token: subject ") {
				t.Fatalf("Name(%q, %v) = %v, want a problem with %q", tt.v, tt.required, err, tt.want)
			}
		})
	}
}

func TestMeta(t *testing.T) {
	for _, tt := range []struct {
		meta string
		want string
	}{
		{"", ""}, {`{}`, ""}, {`{"ip":"10.0.0.1"}`, ""},
		{`[]`, "JSON object"}, {`null`, "JSON object"}, {`{"a":`, "JSON object"}, {`"x"`, "JSON object"},
		{`{"a":"` + strings.Repeat("x", 100) + `"}`, "the most is 64"},
	} {
		err := Meta("keys", json.RawMessage(tt.meta), 64)
		if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Meta(%.20q) = %v, want %q", tt.meta, err, tt.want)
		}
	}
}

func TestFirstNamesTheFirstProblem(t *testing.T) {
	a, b := errors.New("a"), errors.New("b")
	if First(nil, a, b) != a || First() != nil || First(nil, nil) != nil {
		t.Fatal("First does not return the first error")
	}
}
