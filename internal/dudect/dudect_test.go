package dudect

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/unguessable/secrets"
)

func TestWelchMatchesTheFormula(t *testing.T) {
	var w Welch
	a := []float64{1, 2, 3, 4, 5}
	b := []float64{2, 4, 6, 8, 10, 12}
	for _, x := range a {
		w.Add(0, x)
	}
	for _, x := range b {
		w.Add(1, x)
	}
	// means 3 and 7, sample variances 2.5 and 14: t = -4 / sqrt(2.5/5 + 14/6).
	want := -4 / math.Sqrt(2.5/5+14.0/6)
	if got := w.T(); math.Abs(got-want) > 1e-12 {
		t.Fatalf("T = %v, want %v", got, want)
	}
	if n0, n1 := w.N(); n0 != 5 || n1 != 6 {
		t.Fatalf("N = %d, %d", n0, n1)
	}
}

func TestWelchIsZeroUntilBothClassesHaveTwoSamples(t *testing.T) {
	var w Welch
	w.Add(0, 1)
	w.Add(0, 5)
	w.Add(1, 3)
	if w.T() != 0 {
		t.Fatal("t computed from one sample")
	}
}

// The method must find a leak that is there: a byte-at-a-time comparison of
// 4 KiB that stops at the first difference, on inputs differing in the first
// byte (class 0) or the last (class 1), is thousands of times slower in one
// class. Even on a loaded machine |t| passes the threshold after a few
// thousand measurements.
func TestRunFindsAnEarlyExitComparison(t *testing.T) {
	secret := secrets.TokenBytes(4096)
	first := append([]byte(nil), secret...)
	first[0] ^= 1
	last := append([]byte(nil), secret...)
	last[len(last)-1] ^= 1
	leaky := func(a, b []byte) bool {
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	r := Run(context.Background(), Target{
		Name: "byte loop",
		Prepare: func(c int) any {
			if c == 0 {
				return first
			}
			return last
		},
		Run: func(in any) { leaky(secret, in.([]byte)) },
	}, Options{Measurements: 20000, Warmup: 4096, Duration: 30 * time.Second})
	if !r.Leaks() || r.MaxT() < 10*Threshold {
		t.Errorf("the leak was not found:\n%v", r)
	}
}
