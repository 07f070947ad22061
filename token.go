package secrets

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"unicode/utf8"
	"unsafe"
)

// DefaultEntropy is the number of random bytes the token functions of this
// module use when the caller does not choose: 32 bytes, 256 bits.
//
// 128 bits (16 bytes) is the floor for a token that must resist both online
// guessing and offline attack on a leaked hash: at 10^12 guesses a second an
// attacker needs on average about 5 x 10^18 years. 256 bits keeps that margin
// even against an attacker who can test many tokens at once (a multi-target
// attack on a table of a billion live tokens still leaves 226 bits) and
// against any plausible advance in hardware. It is also what Python's secrets
// module uses.
const DefaultEntropy = 32

// TokenBytes returns n cryptographically secure random bytes, n x 8 bits of
// entropy. n = 0 returns an empty, non-nil slice. TokenBytes panics if n is
// negative.
func TokenBytes(n int) []byte {
	checkLength("TokenBytes", n)
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// TokenHex returns a random string of 2n lower-case hexadecimal characters
// that encodes n random bytes: n x 8 bits of entropy. n = 0 returns "".
// TokenHex panics if n is negative.
func TokenHex(n int) string {
	checkLength("TokenHex", n)
	if n == 0 {
		return ""
	}
	// One allocation holds the encoding and, after it, the random bytes, which
	// are cleared once encoded so the raw secret does not linger beside it.
	enc := hex.EncodedLen(n)
	buf := make([]byte, enc+n)
	raw := buf[enc:]
	rand.Read(raw)
	hex.Encode(buf[:enc], raw)
	clear(raw)
	return unsafe.String(&buf[0], enc)
}

// TokenURLSafe returns a random URL-safe string that encodes n random bytes
// in base64url without padding (RFC 4648 section 5): ceil(4n/3) characters
// from A-Z, a-z, 0-9, '-' and '_', n x 8 bits of entropy. n = 0 returns "".
// TokenURLSafe panics if n is negative.
func TokenURLSafe(n int) string {
	checkLength("TokenURLSafe", n)
	if n == 0 {
		return ""
	}
	enc := base64.RawURLEncoding.EncodedLen(n)
	buf := make([]byte, enc+n)
	raw := buf[enc:]
	rand.Read(raw)
	base64.RawURLEncoding.Encode(buf[:enc], raw)
	clear(raw)
	return unsafe.String(&buf[0], enc)
}

// TokenString returns a random string of length characters, each drawn
// independently and uniformly from alphabet: length x log2(len(alphabet))
// bits of entropy, where len counts runes.
//
// The alphabet must hold at least 2 runes, all distinct: a repeated rune would
// be drawn more often than the others and bias the output. TokenString panics
// if length is negative, if alphabet holds fewer than 2 runes, repeats a rune,
// or is not valid UTF-8.
func TokenString(length int, alphabet string) string {
	checkLength("TokenString", length)
	a := parseAlphabet(alphabet)
	if length == 0 {
		return ""
	}
	if a.ascii != "" {
		out := make([]byte, length)
		fillIndices(out, len(a.ascii))
		for i, x := range out {
			out[i] = a.ascii[x]
		}
		return unsafe.String(&out[0], length)
	}
	out := make([]byte, 0, length*utf8.UTFMax)
	if len(a.runes) <= 256 {
		idx := make([]byte, length)
		fillIndices(idx, len(a.runes))
		for _, x := range idx {
			out = utf8.AppendRune(out, a.runes[x])
		}
		clear(idx)
	} else {
		for range length {
			out = utf8.AppendRune(out, a.runes[RandBelow(len(a.runes))])
		}
	}
	return string(out)
}

// alphabet is a validated TokenString alphabet: ascii when every rune is a
// single byte, so output can be built byte by byte, runes otherwise.
type alphabet struct {
	ascii string
	runes []rune
}

func parseAlphabet(s string) alphabet {
	if isASCII(s) {
		if len(s) < 2 {
			panic(fmt.Sprintf("secrets: TokenString alphabet has %d runes, need at least 2", len(s)))
		}
		var seen [utf8.RuneSelf]bool
		for i := 0; i < len(s); i++ {
			if seen[s[i]] {
				panic(fmt.Sprintf("secrets: TokenString alphabet repeats %q, which would bias the output", s[i]))
			}
			seen[s[i]] = true
		}
		return alphabet{ascii: s}
	}
	if !utf8.ValidString(s) {
		panic("secrets: TokenString alphabet is not valid UTF-8")
	}
	runes := []rune(s)
	if len(runes) < 2 {
		panic(fmt.Sprintf("secrets: TokenString alphabet has %d runes, need at least 2", len(runes)))
	}
	sorted := slices.Clone(runes)
	slices.Sort(sorted)
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			panic(fmt.Sprintf("secrets: TokenString alphabet repeats %q, which would bias the output", sorted[i]))
		}
	}
	return alphabet{runes: runes}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// fillIndices fills dst with independent uniform values in [0, m), 2 <= m <= 256.
// It maps a random byte b to (b*m)>>8 and rejects the b whose low byte
// (b*m)&0xff is below 256 mod m (Lemire's method, without a division per
// byte): each of the m outcomes is then hit by exactly floor(256/m) bytes, so
// the result is exactly uniform, and at least half of all bytes are accepted.
func fillIndices(dst []byte, m int) {
	reject := uint(256 % m)
	accepted := 256 - int(reject)
	var scratch [256]byte
	filled := 0
	for filled < len(dst) {
		// Ask for the expected number of bytes plus a margin, so a second read is rare.
		need := len(dst) - filled
		want := min(need*256/accepted+need/16+4, len(scratch))
		buf := scratch[:want]
		rand.Read(buf)
		for _, b := range buf {
			x := uint(b) * uint(m)
			if x&0xff >= reject {
				dst[filled] = byte(x >> 8)
				filled++
				if filled == len(dst) {
					break
				}
			}
		}
	}
	clear(scratch[:])
}

func checkLength(fn string, n int) {
	if n < 0 {
		panic(fmt.Sprintf("secrets: %s argument %d is negative", fn, n))
	}
}
