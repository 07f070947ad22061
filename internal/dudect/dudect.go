// Package dudect tests whether a function's running time depends on its
// input, with the method of Reparaz, Balasch and Verbauwhede, "Dude, is my
// code constant time?" (DATE 2017): time many calls on inputs from two
// classes, the class chosen at random for each measurement, and compare the
// two timing distributions with Welch's t-test, both whole and cropped at
// several upper percentiles (which removes the long tail that interrupts and
// cache misses add, and so exposes small differences).
//
// A |t| above 4.5 is strong evidence of a timing difference (dudect's
// threshold); a constant-time function stays below it however many
// measurements are taken, while a leaky one grows roughly with the square
// root of the number of measurements.
package dudect

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/unguessable/secrets"
)

// Threshold is the |t| above which a timing difference is reported.
const Threshold = 4.5

// Welch accumulates two classes of samples online (Welford's algorithm) and
// computes Welch's t statistic between them.
type Welch struct {
	n    [2]float64
	mean [2]float64
	m2   [2]float64
}

// Add adds sample x to class c (0 or 1).
func (w *Welch) Add(c int, x float64) {
	w.n[c]++
	d := x - w.mean[c]
	w.mean[c] += d / w.n[c]
	w.m2[c] += d * (x - w.mean[c])
}

// N returns the number of samples in each class.
func (w *Welch) N() (int64, int64) { return int64(w.n[0]), int64(w.n[1]) }

// T returns Welch's t statistic, (mean0 - mean1) / sqrt(var0/n0 + var1/n1),
// or 0 while either class has fewer than two samples.
func (w *Welch) T() float64 {
	if w.n[0] < 2 || w.n[1] < 2 {
		return 0
	}
	v0 := w.m2[0] / (w.n[0] - 1)
	v1 := w.m2[1] / (w.n[1] - 1)
	se := math.Sqrt(v0/w.n[0] + v1/w.n[1])
	if se == 0 {
		if w.mean[0] == w.mean[1] {
			return 0
		}
		return math.Inf(1)
	}
	return (w.mean[0] - w.mean[1]) / se
}

// Target is a function under test: Prepare makes the input for one
// measurement of class c (outside the timed region), and Run is what is timed.
type Target struct {
	Name    string
	Prepare func(c int) any
	Run     func(input any)
}

// Options control a run.
type Options struct {
	Measurements int64         // stop after this many measurements (0: no limit)
	Duration     time.Duration // stop after this long (0: no limit)
	Batch        int           // calls timed together in one measurement (default 1)
	Percentiles  []float64     // crop points, in (0, 1]; 1 means no cropping
	Warmup       int           // measurements used only to find the crop points (default 10,000)
	Progress     func(Report)  // called about once a second
}

// DefaultPercentiles are the crop points used when Options.Percentiles is empty.
var DefaultPercentiles = []float64{1, 0.99, 0.95, 0.90, 0.75, 0.50}

// Report is the state of a run.
type Report struct {
	Target       string
	Measurements int64
	Elapsed      time.Duration
	Crops        []Crop
}

// Crop is Welch's t for the measurements at or below one percentile of the
// warm-up timings.
type Crop struct {
	Percentile float64
	Cutoff     float64 // nanoseconds per measurement
	N          int64
	T          float64
}

// MaxT returns the largest |t| over the crops.
func (r Report) MaxT() float64 {
	var m float64
	for _, c := range r.Crops {
		m = max(m, math.Abs(c.T))
	}
	return m
}

// Leaks reports whether any crop's |t| exceeds [Threshold].
func (r Report) Leaks() bool { return r.MaxT() > Threshold }

func (r Report) String() string {
	s := fmt.Sprintf("%s: %d measurements in %v, max |t| = %.2f", r.Target, r.Measurements, r.Elapsed.Round(time.Millisecond), r.MaxT())
	for _, c := range r.Crops {
		s += fmt.Sprintf("\n  crop at %5.1f%% (<= %.0f ns): n = %d, t = %.2f", 100*c.Percentile, c.Cutoff, c.N, c.T)
	}
	return s
}

// Run measures target until opts.Measurements or opts.Duration is reached or
// ctx is done, and returns the report.
func Run(ctx context.Context, target Target, opts Options) Report {
	if opts.Batch <= 0 {
		opts.Batch = 1
	}
	if opts.Warmup <= 0 {
		opts.Warmup = 10000
	}
	pcts := opts.Percentiles
	if len(pcts) == 0 {
		pcts = DefaultPercentiles
	}
	start := time.Now()

	// A block of inputs is prepared ahead so that preparation stays outside
	// the timed region; classes are drawn from the CSPRNG so that no pattern
	// in their order can line up with anything periodic in the machine.
	const block = 4096
	classes := make([]int, block)
	inputs := make([]any, block)
	times := make([]float64, block)
	measureBlock := func() {
		cls := secrets.TokenBytes(block / 8)
		for i := range classes {
			classes[i] = int(cls[i/8]>>(i%8)) & 1
			inputs[i] = target.Prepare(classes[i])
		}
		for i := range classes {
			in := inputs[i]
			t0 := time.Now()
			for range opts.Batch {
				target.Run(in)
			}
			times[i] = float64(time.Since(t0).Nanoseconds())
		}
	}

	// Warm-up: find the cutoffs.
	var warm []float64
	for len(warm) < opts.Warmup {
		measureBlock()
		warm = append(warm, times...)
	}
	slices.Sort(warm)
	crops := make([]Crop, len(pcts))
	tests := make([]Welch, len(pcts))
	for i, p := range pcts {
		crops[i] = Crop{Percentile: p, Cutoff: math.Inf(1)}
		if p < 1 {
			crops[i].Cutoff = warm[int(p*float64(len(warm)-1))]
		}
	}

	report := func(n int64) Report {
		r := Report{Target: target.Name, Measurements: n, Elapsed: time.Since(start)}
		for i := range crops {
			c := crops[i]
			a, b := tests[i].N()
			c.N, c.T = a+b, tests[i].T()
			r.Crops = append(r.Crops, c)
		}
		return r
	}
	var n int64
	lastProgress := time.Now()
	for {
		if ctx.Err() != nil || (opts.Measurements > 0 && n >= opts.Measurements) || (opts.Duration > 0 && time.Since(start) >= opts.Duration) {
			return report(n)
		}
		measureBlock()
		for j, x := range times {
			for i := range crops {
				if x <= crops[i].Cutoff {
					tests[i].Add(classes[j], x)
				}
			}
		}
		n += block
		if opts.Progress != nil && time.Since(lastProgress) >= time.Second {
			lastProgress = time.Now()
			opts.Progress(report(n))
		}
	}
}
