package password_test

import (
	"math"
	"testing"
)

// zAlpha is the standard normal quantile for an upper tail of 1e-7
// (Phi^-1(1 - 1e-7) = 5.1993). Tests use this alpha, ten times below the
// 1e-6 the project requires, so that the error of the Wilson-Hilferty
// approximation below cannot push the real false-failure rate above 1e-6.
const zAlpha = 5.1993

// chiSquareCritical returns the value a chi-square statistic with df degrees
// of freedom exceeds with probability about 1e-7, by the Wilson-Hilferty
// approximation: df x (1 - 2/(9df) + z sqrt(2/(9df)))^3. For df = 99 it gives
// 190.6 against the exact 190.2; for df = 1 it gives 33.7 against 28.4, so
// small df err on the side of fewer false failures (tail 6.6e-9).
func chiSquareCritical(df int) float64 {
	k := float64(df)
	v := 2 / (9 * k)
	return k * math.Pow(1-v+zAlpha*math.Sqrt(v), 3)
}

// chiSquare returns the chi-square statistic of counts against want equally
// likely outcomes (outcomes never seen count as zero), and its critical
// value at alpha = 1e-7.
func chiSquare(counts map[string]int, want int) (stat, crit float64) {
	n := 0
	for _, c := range counts {
		n += c
	}
	e := float64(n) / float64(want)
	for _, c := range counts {
		d := float64(c) - e
		stat += d * d / e
	}
	stat += float64(want-len(counts)) * e
	return stat, chiSquareCritical(want - 1)
}

// checkUniform fails t unless counts, over want equally likely outcomes, pass
// a chi-square goodness-of-fit test at alpha = 1e-7. An outcome outside the
// expected set must be caught by the caller.
func checkUniform(t *testing.T, counts map[string]int, want int) {
	t.Helper()
	if len(counts) > want {
		t.Fatalf("%d distinct outcomes, want at most %d", len(counts), want)
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	if e := float64(n) / float64(want); e < 5 {
		t.Fatalf("expected count %.1f per outcome is too small for a chi-square test", e)
	}
	if stat, crit := chiSquare(counts, want); stat > crit {
		t.Errorf("chi-square %.1f over %d outcomes exceeds the critical value %.1f (alpha 1e-7)", stat, want, crit)
	}
}

func TestChiSquareCriticalMatchesTables(t *testing.T) {
	// Exact upper 1e-7 quantiles, from inverting the regularized upper
	// incomplete gamma function Q(df/2, x/2) = 1e-7 numerically (the same
	// as R's qchisq(1e-7, df, lower.tail = FALSE)). The approximation must
	// never fall below them (that would raise the false-failure rate) and
	// stay within 20% (so the tests keep their power).
	for _, c := range []struct {
		df    int
		exact float64
	}{{1, 28.37}, {9, 50.17}, {99, 190.23}, {999, 1249.01}, {7775, 8440.80}} {
		got := chiSquareCritical(c.df)
		if got < c.exact || got > 1.2*c.exact {
			t.Errorf("chiSquareCritical(%d) = %.2f, want at least %.2f and within 20%%", c.df, got, c.exact)
		}
	}
}
