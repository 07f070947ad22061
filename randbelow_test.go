package secrets

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math/big"
	"testing"

	"github.com/unguessable/secrets/internal/chisq"
)

// binCounts draws samples values in [0, n) from draw and counts them in at
// most 1000 contiguous bins, returning the counts and each bin's exact
// probability.
func binCounts(n uint64, samples int, draw func() uint64) ([]int64, []float64) {
	bins := uint64(1000)
	if n < bins {
		bins = n
	}
	width := (n + bins - 1) / bins
	bins = (n + width - 1) / width
	counts := make([]int64, bins)
	probs := make([]float64, bins)
	for i := range probs {
		lo := uint64(i) * width
		hi := min(lo+width, n)
		probs[i] = float64(hi-lo) / float64(n)
	}
	for range samples {
		v := draw()
		if v >= n {
			panic(fmt.Sprintf("draw returned %d, not below %d", v, n))
		}
		counts[v/width]++
	}
	return counts, probs
}

// The bounds: small ones binned exactly, 2^31+1 and 2^62+1 (where a masked
// draw is rejected almost half the time) and 3 x 2^61 (where a bare modulo of
// a 64-bit value favours the lowest third of the range 3:2).
var randBelowBounds = []uint64{2, 3, 7, 1000, 1<<31 + 1, 1<<62 + 1, 3 << 61}

func TestRandBelowIsUniform(t *testing.T) {
	const samples = 200000
	for _, n := range randBelowBounds {
		t.Run(fmt.Sprintf("below %d", n), func(t *testing.T) {
			counts, probs := binCounts(n, samples, func() uint64 { return uint64(RandBelow(int(n))) })
			if r := chisq.Test(counts, probs, samples); r.Reject() {
				t.Errorf("RandBelow(%d) is not uniform: %v", n, r)
			}
		})
	}
}

// The same test must catch the bias it exists for: a bare modulo of a random
// 64-bit value by 3 x 2^61 gives the lowest third of values 3 chances in 8
// instead of 2 in 8.
func TestRandBelowTestDetectsModuloBias(t *testing.T) {
	const samples = 200000
	n := uint64(3 << 61)
	var b [8]byte
	counts, probs := binCounts(n, samples, func() uint64 {
		rand.Read(b[:])
		return binary.LittleEndian.Uint64(b[:]) % n
	})
	if r := chisq.Test(counts, probs, samples); !r.Reject() {
		t.Errorf("a bare modulo was not detected: %v", r)
	}
}

func TestRandBelowOfOneIsZero(t *testing.T) {
	for range 100 {
		if v := RandBelow(1); v != 0 {
			t.Fatalf("RandBelow(1) = %d", v)
		}
	}
}

func TestRandBelowBigStaysInRangeAndIsUniform(t *testing.T) {
	const samples = 100000
	n, _ := new(big.Int).SetString("1000000000000000000000000000000", 10) // 10^30, about 2^99.7
	orig := new(big.Int).Set(n)
	// Bin by the leading part: v * 1000 / n.
	counts := make([]int64, 1000)
	k := big.NewInt(1000)
	var q big.Int
	for range samples {
		v := RandBelowBig(n)
		if v.Sign() < 0 || v.Cmp(n) >= 0 {
			t.Fatalf("RandBelowBig(10^30) = %v, out of range", v)
		}
		q.Mul(v, k)
		q.Quo(&q, n)
		counts[q.Int64()]++
	}
	if n.Cmp(orig) != 0 {
		t.Fatal("RandBelowBig modified its argument")
	}
	if r := chisq.Uniform(counts); r.Reject() {
		t.Errorf("RandBelowBig(10^30) is not uniform: %v", r)
	}
}

func TestRandBelowBigPanicsOnNonPositive(t *testing.T) {
	for _, n := range []*big.Int{big.NewInt(0), big.NewInt(-5)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RandBelowBig(%v) did not panic", n)
				}
			}()
			RandBelowBig(n)
		}()
	}
}

func TestRandBitsHasKBitsEachFair(t *testing.T) {
	if v := RandBits(0); v.Sign() != 0 {
		t.Fatalf("RandBits(0) = %v", v)
	}
	for _, k := range []int{1, 7, 8, 9, 63, 64, 65, 255} {
		t.Run(fmt.Sprintf("%d bits", k), func(t *testing.T) {
			const samples = 4000
			ones := make([]int64, k)
			for range samples {
				v := RandBits(k)
				if v.BitLen() > k {
					t.Fatalf("RandBits(%d) = %v has %d bits", k, v, v.BitLen())
				}
				for i := range k {
					ones[i] += int64(v.Bit(i))
				}
			}
			// Each bit is a fair coin: test it with 2 cells (ones, zeros).
			for i, c := range ones {
				if r := chisq.Uniform([]int64{c, samples - c}); r.Reject() {
					t.Errorf("bit %d of RandBits(%d) is not fair: %v", i, k, r)
				}
			}
		})
	}
}
