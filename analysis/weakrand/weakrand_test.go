package weakrand_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/unguessable/secrets/analysis/weakrand"
)

// TestWeakrand runs the analyzer over testdata/src: weakv1 holds math/rand
// values reaching every kind of sink, weakv2 the same for math/rand/v2 and
// its generators, and plain holds uses that must not be reported (jitter,
// shuffles, simulations, gosec's false positives, a ChaCha8 seeded from
// crypto/rand); review holds leaks written as real code writes them (a key
// filled by Read, method values, function values, closures, session maps).
func TestWeakrand(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), weakrand.Analyzer, "weakv1", "weakv2", "plain", "review", "crosspkg/...", "flow", "realworld", "github.com/miekg/dns")
}
