// Package chisq holds Pearson's chi-square goodness-of-fit test, for the
// distribution tests of every generator in this module.
//
// The tests use a fixed significance level, [Alpha], chosen so that a correct
// generator fails a whole run of the test suite less often than once in a
// million runs: with fewer than 1000 chi-square tests in the suite, the
// chance that any one of them rejects by accident is below 1000 x Alpha =
// 1e-6 (Bonferroni's bound). There are about 500 today, 472 of them the
// per-bit tests of RandBits (one for each bit of 1, 7, 8, 9, 63, 64, 65 and
// 255-bit numbers).
package chisq

import (
	"fmt"
	"math"
)

// Alpha is the significance level of every distribution test in the module.
const Alpha = 1e-9

// Result is the outcome of a goodness-of-fit test.
type Result struct {
	Stat float64 // Pearson's statistic, sum of (observed-expected)^2/expected
	DF   int     // degrees of freedom
	P    float64 // probability of a statistic at least this large under the null hypothesis
}

// Reject reports whether the null hypothesis (the counts follow the expected
// distribution) is rejected at level [Alpha].
func (r Result) Reject() bool { return r.P < Alpha }

func (r Result) String() string {
	return fmt.Sprintf("chi-square %.2f with %d degrees of freedom, p = %.3g (reject below %g)", r.Stat, r.DF, r.P, Alpha)
}

// Uniform tests counts against the uniform distribution over len(counts) cells.
func Uniform(counts []int64) Result {
	var total int64
	for _, c := range counts {
		total += c
	}
	probs := make([]float64, len(counts))
	for i := range probs {
		probs[i] = 1 / float64(len(counts))
	}
	return Test(counts, probs, total)
}

// UniformOver tests counts of outcomes, keyed by outcome, against the
// uniform distribution over cells possible outcomes; outcomes never seen
// count as zero. It panics if counts has more than cells keys (the caller
// must reject impossible outcomes first) and, like [Test], if an expected
// count is below 5.
func UniformOver[K comparable](counts map[K]int, cells int) Result {
	if len(counts) > cells {
		panic(fmt.Sprintf("chisq: %d distinct outcomes, more than the %d possible", len(counts), cells))
	}
	c := make([]int64, 0, cells)
	for _, n := range counts {
		c = append(c, int64(n))
	}
	for len(c) < cells {
		c = append(c, 0)
	}
	return Uniform(c)
}

// Critical returns the value a chi-square statistic with df degrees of
// freedom exceeds with probability Alpha: the smallest statistic [Result.Reject]
// rejects, for logs and for sizing power checks.
func Critical(df int) float64 {
	lo, hi := 0.0, float64(df)+10
	for Survival(hi, df) >= Alpha {
		hi *= 2
	}
	for range 200 {
		mid := (lo + hi) / 2
		if Survival(mid, df) >= Alpha {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// Test tests counts against cell probabilities probs (summing to 1), for
// total observations. It panics if the lengths differ, there are fewer than
// two cells, or an expected count is below 5, where the chi-square
// approximation is poor.
func Test(counts []int64, probs []float64, total int64) Result {
	if len(counts) != len(probs) || len(counts) < 2 {
		panic(fmt.Sprintf("chisq: %d counts and %d probabilities", len(counts), len(probs)))
	}
	var stat float64
	for i, c := range counts {
		e := probs[i] * float64(total)
		if e < 5 {
			panic(fmt.Sprintf("chisq: expected count %.2f in cell %d is below 5; take more samples", e, i))
		}
		d := float64(c) - e
		stat += d * d / e
	}
	df := len(counts) - 1
	return Result{Stat: stat, DF: df, P: Survival(stat, df)}
}

// Survival returns P(X >= x) for X chi-square distributed with df degrees of
// freedom: the regularized upper incomplete gamma function Q(df/2, x/2).
func Survival(x float64, df int) float64 {
	if x <= 0 {
		return 1
	}
	return gammaQ(float64(df)/2, x/2)
}

// gammaQ is the regularized upper incomplete gamma function Q(a, x), by the
// series for P when x < a+1 and by Lentz's continued fraction otherwise
// (Numerical Recipes, 6.2), accurate to about 1e-14 relative.
func gammaQ(a, x float64) float64 {
	lg, _ := math.Lgamma(a)
	if x < a+1 {
		sum, term := 1/a, 1/a
		for n := 1; n < 10000; n++ {
			term *= x / (a + float64(n))
			sum += term
			if math.Abs(term) < math.Abs(sum)*1e-16 {
				break
			}
		}
		return 1 - sum*math.Exp(-x+a*math.Log(x)-lg)
	}
	const tiny = 1e-300
	b := x + 1 - a
	c := 1 / tiny
	d := 1 / b
	h := d
	for i := 1; i < 10000; i++ {
		an := -float64(i) * (float64(i) - a)
		b += 2
		d = an*d + b
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = b + an/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 1e-16 {
			break
		}
	}
	return math.Exp(-x+a*math.Log(x)-lg) * h
}
