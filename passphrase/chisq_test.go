package passphrase_test

import (
	"testing"

	"github.com/unguessable/secrets/internal/chisq"
)

// checkUniform fails t unless counts, over want equally likely outcomes, pass
// a chi-square goodness-of-fit test at level chisq.Alpha (see package chisq
// for why the whole suite then fails by accident less than once in a million
// runs). Outcomes never seen count as zero; an outcome outside the expected
// set must be caught by the caller.
func checkUniform(t *testing.T, counts map[string]int, want int) {
	t.Helper()
	if len(counts) > want {
		t.Fatalf("%d distinct outcomes, want at most %d", len(counts), want)
	}
	if r := chisq.UniformOver(counts, want); r.Reject() {
		t.Errorf("%d outcomes are not uniform: %v", want, r)
	}
}
