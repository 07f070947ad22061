package secrets

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"testing"
)

// Each benchmark group has three members where they make sense:
//   - floor: a bare crypto/rand.Read of the same number of bytes, the least
//     any token function can cost;
//   - naive: the code a Go programmer writes by hand (rand.Read, then
//     hex.EncodeToString or base64.RawURLEncoding.EncodeToString);
//   - secrets: this package.
// bench/compare.sh turns them into ratios.

var benchSizes = []int{16, 32, 64}

var sinkBytes []byte
var sinkString string
var sinkInt int

func BenchmarkTokenBytes(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d/floor", n), func(b *testing.B) {
			buf := make([]byte, n)
			for b.Loop() {
				rand.Read(buf)
			}
		})
		b.Run(fmt.Sprintf("n=%d/naive", n), func(b *testing.B) {
			for b.Loop() {
				buf := make([]byte, n)
				rand.Read(buf)
				sinkBytes = buf
			}
		})
		b.Run(fmt.Sprintf("n=%d/secrets", n), func(b *testing.B) {
			for b.Loop() {
				sinkBytes = TokenBytes(n)
			}
		})
	}
}

func BenchmarkTokenHex(b *testing.B) {
	benchEncodedToken(b, hex.EncodeToString, TokenHex)
}

func BenchmarkTokenURLSafe(b *testing.B) {
	benchEncodedToken(b, base64.RawURLEncoding.EncodeToString, TokenURLSafe)
}

// benchEncodedToken runs floor, naive (rand.Read, then encode) and secrets
// for each size.
func benchEncodedToken(b *testing.B, encode func([]byte) string, token func(int) string) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d/floor", n), func(b *testing.B) {
			buf := make([]byte, n)
			for b.Loop() {
				rand.Read(buf)
			}
		})
		b.Run(fmt.Sprintf("n=%d/naive", n), func(b *testing.B) {
			for b.Loop() {
				buf := make([]byte, n)
				rand.Read(buf)
				sinkString = encode(buf)
			}
		})
		b.Run(fmt.Sprintf("n=%d/secrets", n), func(b *testing.B) {
			for b.Loop() {
				sinkString = token(n)
			}
		})
	}
}

func BenchmarkTokenString(b *testing.B) {
	// 43 base62 characters carry 256 bits, like TokenURLSafe(32).
	b.Run("base62 n=43/floor", func(b *testing.B) {
		buf := make([]byte, 32)
		for b.Loop() {
			rand.Read(buf)
		}
	})
	b.Run("base62 n=43/naive", func(b *testing.B) {
		// The common hand-written version: one crypto/rand.Int per character.
		max := big.NewInt(int64(len(base62)))
		for b.Loop() {
			out := make([]byte, 43)
			for i := range out {
				v, _ := rand.Int(rand.Reader, max)
				out[i] = base62[v.Int64()]
			}
			sinkString = string(out)
		}
	})
	b.Run("base62 n=43/secrets", func(b *testing.B) {
		for b.Loop() {
			sinkString = TokenString(43, base62)
		}
	})
}

func BenchmarkRandBelow(b *testing.B) {
	for _, n := range []int{6, 1000, 1<<62 + 1} {
		b.Run(fmt.Sprintf("n=%d/naive", n), func(b *testing.B) {
			max := big.NewInt(int64(n))
			for b.Loop() {
				v, _ := rand.Int(rand.Reader, max)
				sinkInt = int(v.Int64())
			}
		})
		b.Run(fmt.Sprintf("n=%d/secrets", n), func(b *testing.B) {
			for b.Loop() {
				sinkInt = RandBelow(n)
			}
		})
	}
}

func BenchmarkChoice(b *testing.B) {
	items := []string{"a", "b", "c", "d", "e", "f", "g"}
	for b.Loop() {
		sinkString = Choice(items)
	}
}
