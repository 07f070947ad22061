package timingcompare_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/unguessable/secrets/analysis/timingcompare"
)

// TestTimingcompare checks reports (want comments) and silence (lines ending
// in "// ok") in testdata/src/timing.
func TestTimingcompare(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), timingcompare.Analyzer, "timing", "keys", "loops", "loopcmp", "realworld")
}

// TestSuggestedFixes applies the fixes and compares the files with their
// .golden versions: crypto/subtle is imported when missing, arrays are
// sliced, a negated bytes.Equal becomes != 1, and a file that imports
// package secrets gets secrets.CompareDigest.
func TestSuggestedFixes(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, analysistest.TestData(), timingcompare.Analyzer, "fiximport", "fixsecrets")
}
