package shorttoken_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/unguessable/secrets/analysis/shorttoken"
)

// TestShorttoken checks reports (want comments) and silence (lines ending
// in "// ok") in testdata/src/short.
func TestShorttoken(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), shorttoken.Analyzer, "short")
}
