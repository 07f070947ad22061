package store

import (
	"strings"
	"testing"
)

func TestNameProblem(t *testing.T) {
	tests := []struct {
		name     string
		v        string
		required bool
		want     string // a part of the problem, or "" for none
	}{
		{"a plain name is fine", "reset", true, ""},
		{"a name of exactly the most bytes is fine", strings.Repeat("a", MaxNameBytes), true, ""},
		{"an empty optional name is fine", "", false, ""},
		{"an empty required name is refused", "", true, "1 to 256 bytes"},
		{"a name one byte too long is refused", strings.Repeat("a", MaxNameBytes+1), false, "0 to 256 bytes"},
		{"invalid UTF-8 is refused", "a\xffb", true, "UTF-8"},
		{"a NUL character is refused", "a\x00b", true, "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NameProblem(tt.v, tt.required)
			if (got == "") != (tt.want == "") || !strings.Contains(got, tt.want) {
				t.Errorf("NameProblem(%q, %v) = %q, want %q", tt.v, tt.required, got, tt.want)
			}
		})
	}
}
