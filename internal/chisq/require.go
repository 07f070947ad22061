package chisq

import "testing"

// RequireUniform fails t unless counts, over cells equally likely outcomes,
// pass the test of [UniformOver] at level [Alpha]. Outcomes never seen count
// as zero; more distinct outcomes than cells is a fatal failure, since an
// outcome outside the expected set must not be averaged away.
func RequireUniform[K comparable](t testing.TB, counts map[K]int, cells int) {
	t.Helper()
	if len(counts) > cells {
		t.Fatalf("%d distinct outcomes, want at most %d", len(counts), cells)
		return // for a TB whose Fatalf does not stop the goroutine
	}
	if r := UniformOver(counts, cells); r.Reject() {
		t.Errorf("%d outcomes are not uniform: %v", cells, r)
	}
}
