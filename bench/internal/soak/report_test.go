package soak

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

// The fit and its standard error, against a line worked by hand: through
// (0,1) (1,3) (2,2) (3,4) the least-squares line is 1.3 + 0.8t, the
// residuals -0.3 0.9 -0.9 0.3, so the slope's standard error is
// sqrt(1.8 / 2 / 5).
func TestGrowthAndItsStandardError(t *testing.T) {
	s := Series{T: []float64{0, 1, 2, 3}, V: []float64{1, 3, 2, 4}}
	if g, want := Growth(s, 1), 0.8/1.3; math.Abs(g-want) > 1e-12 {
		t.Errorf("growth %v, want %v", g, want)
	}
	if se, want := GrowthStdErr(s, 1), math.Sqrt(1.8/2/5)/1.3; math.Abs(se-want) > 1e-12 {
		t.Errorf("standard error %v, want %v", se, want)
	}
	exact := Series{T: []float64{0, 10, 20}, V: []float64{5, 6, 7}}
	if se := GrowthStdErr(exact, 600); se > 1e-12 {
		t.Errorf("a series on its line has standard error %v, want 0", se)
	}
}

func TestReadSamplesReadsWhatWriteWrote(t *testing.T) {
	dir := t.TempDir()
	res := &Result{Peak: 10, Rate: 5, Samples: []Sample{
		{T: 10, RSS: []float64{1e6}, Goroutines: []float64{7}, OpenFiles: []float64{9}, DBBytes: 100, Records: 4, P50: 1, P99: 2},
		{T: 20, RSS: []float64{2e6}, Goroutines: []float64{8}, OpenFiles: []float64{9}, DBBytes: 200, Records: 5, P50: 1.5, P99: 3},
	}}
	if err := Write(dir, "x", res, "title"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"x.json", "x.csv"} {
		got, err := ReadSamples(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[1].T != 20 || got[1].RSS[0] != 2e6 || got[1].Goroutines[0] != 8 || got[1].P99 != 3 || got[0].Records != 4 || got[1].DBBytes != 200 {
			t.Errorf("%s read back as %+v", name, got)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "other.csv"), []byte("a,b\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSamples(filepath.Join(dir, "other.csv")); err == nil {
		t.Error("a CSV of other columns was read without an error")
	}
	if err := os.WriteFile(filepath.Join(dir, "empty.json"), []byte(`{"samples":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSamples(filepath.Join(dir, "empty.json")); err == nil {
		t.Error("a file without samples was read without an error")
	}
}
