package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/unguessable/secrets/internal/chisq"
)

// tokenSizes are every n from 0 to 70, which covers each base64 remainder
// many times over, and 1 MiB.
func tokenSizes() []int {
	var ns []int
	for n := 0; n <= 70; n++ {
		ns = append(ns, n)
	}
	return append(ns, 1<<20)
}

var (
	hexRE     = regexp.MustCompile(`^[0-9a-f]*$`)
	urlsafeRE = regexp.MustCompile(`^[A-Za-z0-9_-]*$`)
)

func TestTokenBytesHasTheRequestedLength(t *testing.T) {
	for _, n := range tokenSizes() {
		b := TokenBytes(n)
		if len(b) != n || b == nil {
			t.Fatalf("TokenBytes(%d) has length %d (nil %v)", n, len(b), b == nil)
		}
	}
}

func TestTokenHexIsTwoLowerCaseHexDigitsPerByte(t *testing.T) {
	for _, n := range tokenSizes() {
		s := TokenHex(n)
		if len(s) != 2*n || !hexRE.MatchString(s) {
			t.Fatalf("TokenHex(%d) = %d characters, alphabet ok %v", n, len(s), hexRE.MatchString(s))
		}
		if raw, err := hex.DecodeString(s); err != nil || len(raw) != n {
			t.Fatalf("TokenHex(%d) does not decode to %d bytes: %v", n, n, err)
		}
	}
}

func TestTokenURLSafeIsUnpaddedBase64URL(t *testing.T) {
	for _, n := range tokenSizes() {
		s := TokenURLSafe(n)
		want := (4*n + 2) / 3 // ceil(4n/3)
		if len(s) != want || !urlsafeRE.MatchString(s) {
			t.Fatalf("TokenURLSafe(%d) = %d characters, want %d; alphabet ok %v", n, len(s), want, urlsafeRE.MatchString(s))
		}
		if raw, err := base64.RawURLEncoding.DecodeString(s); err != nil || len(raw) != n {
			t.Fatalf("TokenURLSafe(%d) does not decode to %d bytes: %v", n, n, err)
		}
	}
}

// The three base64 cases: n mod 3 = 0 needs no padding, 1 would need "==",
// 2 would need "=". None may appear.
func TestTokenURLSafeOmitsPaddingInEveryRemainderCase(t *testing.T) {
	for _, tt := range []struct{ n, want int }{{30, 40}, {31, 42}, {32, 43}} {
		t.Run(fmt.Sprintf("%d bytes (remainder %d) give %d characters", tt.n, tt.n%3, tt.want), func(t *testing.T) {
			s := TokenURLSafe(tt.n)
			if len(s) != tt.want || strings.Contains(s, "=") {
				t.Errorf("TokenURLSafe(%d) = %q", tt.n, s)
			}
		})
	}
}

func TestTokensDiffer(t *testing.T) {
	// Two equal 16-byte tokens would mean a broken generator (chance 2^-128).
	if a, b := TokenBytes(16), TokenBytes(16); bytes.Equal(a, b) {
		t.Fatal("two TokenBytes(16) calls returned the same bytes")
	}
	if TokenHex(16) == TokenHex(16) || TokenURLSafe(16) == TokenURLSafe(16) {
		t.Fatal("two 16-byte tokens were equal")
	}
}

func TestNegativeLengthsPanicNamingTheValue(t *testing.T) {
	tests := []struct {
		name string
		call func()
		want string
	}{
		{"TokenBytes", func() { TokenBytes(-1) }, "secrets: TokenBytes argument -1 is negative"},
		{"TokenHex", func() { TokenHex(-2) }, "secrets: TokenHex argument -2 is negative"},
		{"TokenURLSafe", func() { TokenURLSafe(-3) }, "secrets: TokenURLSafe argument -3 is negative"},
		{"TokenString", func() { TokenString(-4, "ab") }, "secrets: TokenString argument -4 is negative"},
		{"TokenString with one rune", func() { TokenString(4, "a") }, "has 1 runes, need at least 2"},
		{"TokenString with a repeated rune", func() { TokenString(4, "abca") }, `repeats 'a'`},
		{"TokenString with invalid UTF-8", func() { TokenString(4, "ab\xff") }, "not valid UTF-8"},
		{"RandBelow of zero", func() { RandBelow(0) }, "secrets: RandBelow argument 0 is not positive"},
		{"RandBelow of a negative", func() { RandBelow(-7) }, "secrets: RandBelow argument -7 is not positive"},
		{"RandBelowBig of nil", func() { RandBelowBig(nil) }, "secrets: RandBelowBig argument <nil> is not positive"},
		{"RandBits of a negative", func() { RandBits(-1) }, "secrets: RandBits argument -1 is negative"},
		{"Choice of an empty slice", func() { Choice([]int{}) }, "secrets: Choice argument is an empty slice"},
		{"Sample of too many", func() { Sample([]int{1, 2}, 3) }, "secrets: Sample size 3 is outside [0, 2]"},
		{"Sample of a negative count", func() { Sample([]int{1, 2}, -1) }, "secrets: Sample size -1 is outside [0, 2]"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" panics", func(t *testing.T) {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if !strings.Contains(msg, tt.want) {
					t.Errorf("panic %v, want a message containing %q", r, tt.want)
				}
			}()
			tt.call()
		})
	}
}

func TestZeroLengthsGiveEmptyResults(t *testing.T) {
	if TokenHex(0) != "" || TokenURLSafe(0) != "" || TokenString(0, "01") != "" {
		t.Fatal("zero-length token is not empty")
	}
}

func TestTokenStringUsesOnlyTheAlphabet(t *testing.T) {
	alphabets := map[string]string{
		"two runes":            "01",
		"base62":               "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
		"non-ASCII runes":      "αβγδεζηθ€😀",
		"more than 256 runes":  runeRange(0x4e00, 300),
		"all 256 bytes' worth": runeRange(0x100, 256),
	}
	for name, alpha := range alphabets {
		t.Run(name, func(t *testing.T) {
			allowed := map[rune]bool{}
			for _, r := range alpha {
				allowed[r] = true
			}
			for _, n := range []int{1, 2, 17, 1000} {
				s := TokenString(n, alpha)
				if utf8.RuneCountInString(s) != n {
					t.Fatalf("TokenString(%d) has %d runes", n, utf8.RuneCountInString(s))
				}
				for _, r := range s {
					if !allowed[r] {
						t.Fatalf("TokenString produced %q, not in the alphabet", r)
					}
				}
			}
		})
	}
}

// runeRange returns n consecutive runes from first.
func runeRange(first rune, n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteRune(first + rune(i))
	}
	return b.String()
}

// Each position of each string is counted; 62 and 3 cells exercise the byte
// rejection path (limits 248 and 255), 300 the RandBelow path.
func TestTokenStringIsUniformOverTheAlphabet(t *testing.T) {
	for _, alpha := range []string{
		"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
		"abc",
		"αβγδε",
		runeRange(0x4e00, 300),
	} {
		runes := []rune(alpha)
		index := map[rune]int{}
		for i, r := range runes {
			index[r] = i
		}
		t.Run(fmt.Sprintf("%d runes", len(runes)), func(t *testing.T) {
			counts := make([]int64, len(runes))
			for range 200 * len(runes) / 10 {
				for _, r := range TokenString(10, alpha) {
					counts[index[r]]++
				}
			}
			if r := chisq.Uniform(counts); r.Reject() {
				t.Errorf("characters are not uniform: %v", r)
			}
		})
	}
}

func FuzzTokenString(f *testing.F) {
	f.Add(5, "abc")
	f.Add(0, "01")
	f.Add(3, "aa")
	f.Add(2, "\xff\xfe")
	f.Fuzz(func(t *testing.T, n int, alpha string) {
		n %= 200
		if n < 0 {
			n = -n
		}
		runes := []rune(alpha)
		distinct := map[rune]bool{}
		for _, r := range runes {
			distinct[r] = true
		}
		valid := utf8.ValidString(alpha) && len(runes) >= 2 && len(distinct) == len(runes)
		defer func() {
			if r := recover(); (r != nil) == valid {
				t.Fatalf("TokenString(%d, %q): panic %v, valid alphabet %v", n, alpha, r, valid)
			}
		}()
		s := TokenString(n, alpha)
		if utf8.RuneCountInString(s) != n {
			t.Fatalf("TokenString(%d, %q) has %d runes", n, alpha, utf8.RuneCountInString(s))
		}
		for _, r := range s {
			if !distinct[r] {
				t.Fatalf("TokenString(%d, %q) produced %q", n, alpha, r)
			}
		}
	})
}
