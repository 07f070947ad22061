package chisq

import (
	"math"
	"testing"
)

// Published chi-square critical values (NIST/SEMATECH e-Handbook, table
// 1.3.6.7.4, and R's qchisq) and the upper-tail probability each leaves.
func TestSurvivalMatchesPublishedCriticalValues(t *testing.T) {
	tests := []struct {
		x    float64
		df   int
		want float64
	}{
		{3.841, 1, 0.05},
		{6.635, 1, 0.01},
		{23.928, 1, 1e-6}, // qchisq(1e-6, 1, lower=FALSE) = 23.92813
		{11.070, 5, 0.05},
		{18.307, 10, 0.05},
		{124.342, 100, 0.05},
		{1.145, 5, 0.95},
		{1073.643, 999, 0.05},
	}
	for _, tt := range tests {
		got := Survival(tt.x, tt.df)
		if math.Abs(got-tt.want)/tt.want > 2e-3 {
			t.Errorf("Survival(%v, %d) = %.6g, want %.6g", tt.x, tt.df, got, tt.want)
		}
	}
}

func TestSurvivalIsOneAtZeroAndFallsMonotonically(t *testing.T) {
	if got := Survival(0, 3); got != 1 {
		t.Fatalf("Survival(0, 3) = %v, want 1", got)
	}
	prev := 1.0
	for x := 0.5; x < 200; x += 0.5 {
		p := Survival(x, 20)
		if p > prev || p < 0 {
			t.Fatalf("Survival(%v, 20) = %v after %v: not monotone in [0, 1]", x, p, prev)
		}
		prev = p
	}
}

func TestUniformAcceptsExactCountsAndRejectsABiasedOne(t *testing.T) {
	even := []int64{1000, 1000, 1000, 1000}
	if r := Uniform(even); r.Stat != 0 || r.Reject() {
		t.Errorf("perfectly even counts: %v", r)
	}
	// A 10% excess in one of four cells over 400,000 samples is overwhelming evidence.
	biased := []int64{110000, 96667, 96667, 96666}
	if r := Uniform(biased); !r.Reject() {
		t.Errorf("biased counts accepted: %v", r)
	}
}

func TestTestPanicsOnTooFewExpected(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for expected counts below 5")
		}
	}()
	Uniform([]int64{1, 2, 3})
}

func TestCriticalIsWhereSurvivalReachesAlpha(t *testing.T) {
	for _, df := range []int{1, 9, 61, 63, 99, 255, 7775, 9999} {
		c := Critical(df)
		if p := Survival(c, df); math.Abs(p-Alpha)/Alpha > 1e-6 {
			t.Errorf("Survival(Critical(%d) = %.3f) = %.4g, want %g", df, c, p, Alpha)
		}
		t.Logf("df %d: critical value %.2f", df, c)
	}
	// With one degree of freedom the statistic is the square of a standard
	// normal: Phi^-1(1 - Alpha/2)^2 = 6.1094^2 = 37.325 for Alpha = 1e-9.
	if c := Critical(1); math.Abs(c-37.325) > 0.01 {
		t.Errorf("Critical(1) = %.3f, want 37.325", c)
	}
}

func TestUniformOverCountsUnseenOutcomesAsZero(t *testing.T) {
	seen := map[string]int{"a": 100, "b": 100}
	got := UniformOver(seen, 3)
	want := Uniform([]int64{100, 100, 0})
	if got != want {
		t.Fatalf("UniformOver(two of three outcomes) = %v, want %v", got, want)
	}
	if !got.Reject() {
		t.Errorf("an outcome never drawn in 200 tries of 3 was accepted: %v", got)
	}
}

func TestUniformOverPanicsOnMoreOutcomesThanCells(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for 3 outcomes over 2 cells")
		}
	}()
	UniformOver(map[int]int{1: 10, 2: 10, 3: 10}, 2)
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errors, fatals int
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.errors++ }
func (r *recorder) Fatalf(string, ...any) { r.fatals++ }

func TestRequireUniformFailsOnBiasAndOnImpossibleOutcomes(t *testing.T) {
	even := map[string]int{"a": 1000, "b": 1000, "c": 1000}
	var r recorder
	RequireUniform(&r, even, 3)
	if r.errors+r.fatals != 0 {
		t.Fatalf("even counts failed: %+v", r)
	}
	r = recorder{}
	RequireUniform(&r, map[string]int{"a": 1300, "b": 850, "c": 850}, 3)
	if r.errors != 1 {
		t.Errorf("biased counts: %d errors, want 1", r.errors)
	}
	r = recorder{}
	RequireUniform(&r, map[string]int{"a": 10, "b": 10, "c": 10, "d": 10}, 3)
	if r.fatals != 1 {
		t.Errorf("an impossible outcome: %d fatal failures, want 1", r.fatals)
	}
}
