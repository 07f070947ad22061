package apikey

import (
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"strings"
	"testing"

	"github.com/unguessable/secrets/internal/chisq"
)

func TestNewMakesKeysThatParse(t *testing.T) {
	for _, prefix := range []string{"sk_live_", "pk_test_", "a_", "X9_", strings.Repeat("a", MaxPrefixLen-1) + "_"} {
		t.Run("a key with prefix "+prefix+" parses back into its parts", func(t *testing.T) {
			key := New(prefix)
			if want := len(prefix) + BodyLen + ChecksumLen; len(key) != want {
				t.Fatalf("key has %d characters, want %d", len(key), want)
			}
			p, err := Parse(key)
			if err != nil {
				t.Fatalf("Parse(New(%q)): %v", prefix, err)
			}
			if p.Prefix != prefix || p.Prefix+p.Body+p.Checksum != key || len(p.Body) != BodyLen {
				t.Fatalf("parts %q %d %q do not reassemble the key", p.Prefix, len(p.Body), p.Checksum)
			}
		})
	}
}

func TestChecksumIsCRC32InBase62(t *testing.T) {
	// A fixed vector worked by hand: CRC32("sk_test_" + 43 zeros) written in
	// base62, most significant digit first.
	body := "sk_test_" + strings.Repeat("0", BodyLen)
	sum := crc32.ChecksumIEEE([]byte(body))
	var digits []byte
	for v, i := sum, 0; i < ChecksumLen; i++ {
		digits = append([]byte{alphabet[v%62]}, digits...)
		v /= 62
	}
	key := body + string(digits)
	if _, err := Parse(key); err != nil {
		t.Fatalf("hand-made key with checksum %s (crc %d) does not parse: %v", digits, sum, err)
	}
	if got := string(appendChecksum(nil, 0)); got != "000000" {
		t.Errorf("checksum of 0 = %q, want 000000", got)
	}
	if got := string(appendChecksum(nil, math.MaxUint32)); got != "4gfFC3" {
		// 4294967295 = 4*62^5 + 42*62^4 + 41*62^3 + 15*62^2 + 12*62 + 3,
		// digits 4 g f F C 3 in 0-9A-Za-z.
		t.Errorf("checksum of 2^32-1 = %q, want 4gfFC3", got)
	}
}

func TestParseRejectsMalformedKeys(t *testing.T) {
	good := New("sk_live_")
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	tests := []struct {
		name string
		key  string
		want error
	}{
		{"an empty string has no prefix", "", ErrPrefix},
		{"a key without an underscore has no prefix", strings.Repeat("a", 60), ErrPrefix},
		{"a prefix that starts with an underscore is refused", "_" + good[len("sk_live_")-1:], ErrPrefix},
		{"a prefix longer than 32 characters is refused", strings.Repeat("a", 40) + "_" + good[len("sk_live_"):], ErrPrefix},
		{"a prefix with a dash is refused", "sk-live_" + good[len("sk_live_"):], ErrPrefix},
		{"a truncated key has the wrong length", good[:len(good)-1], ErrLength},
		{"a key with a character added has the wrong length", good + "a", ErrLength},
		{"a key with a dash in the body has a bad character", good[:20] + "-" + good[21:], ErrCharacter},
		{"a key with an underscore in the body has the wrong length after its prefix", good[:20] + "_" + good[21:], ErrLength},
		{"a key with a plus in the body has a bad character", good[:20] + "+" + good[21:], ErrCharacter},
		{"a key with a space at the end has a bad character", good[:len(good)-1] + " ", ErrCharacter},
		{"a key with one body character changed fails the checksum", flip(good, 20), ErrChecksum},
		{"a key with one checksum character changed fails the checksum", flip(good, len(good)-1), ErrChecksum},
		{"a key with the prefix changed fails the checksum", "sk_test_" + good[len("sk_live_"):], ErrChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.key)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse = %v, want %v", err, tt.want)
			}
			if len(tt.key) > 20 && strings.Contains(err.Error(), tt.key[len(tt.key)-20:]) {
				t.Errorf("error %q echoes the key", err)
			}
		})
	}
}

func TestEverySingleCharacterChangeIsCaught(t *testing.T) {
	// CRC32 detects every error confined to 32 consecutive bits, so any one
	// character changed anywhere after the prefix must fail the checksum.
	key := New("sk_")
	for i := len("sk_"); i < len(key); i++ {
		for j := 0; j < len(alphabet); j++ {
			if alphabet[j] == key[i] {
				continue
			}
			typo := key[:i] + string(alphabet[j]) + key[i+1:]
			if _, err := Parse(typo); !errors.Is(err, ErrChecksum) {
				t.Fatalf("a typo at position %d parsed with error %v", i, err)
			}
		}
	}
}

func TestNewPanicsOnABadPrefix(t *testing.T) {
	for _, prefix := range []string{"", "sk", "sk live_", "_", strings.Repeat("a", 33) + "_"} {
		t.Run(fmt.Sprintf("prefix %q panics", prefix), func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.HasPrefix(s, "apikey: ") {
					t.Fatalf("recovered %v, want a panic with the apikey: prefix", r)
				}
			}()
			New(prefix)
		})
	}
}

func TestHashIsSHA256Hex(t *testing.T) {
	// SHA-256("abc") from FIPS 180-2 appendix B.1.
	if got := Hash("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("Hash(abc) = %s", got)
	}
}

func TestRedactShowsOnlyPrefixAndLastFour(t *testing.T) {
	key := New("sk_live_")
	if got, want := Redact(key), "sk_live_…"+key[len(key)-4:]; got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
	tests := []struct{ name, in, want string }{
		{"an empty string redacts to an ellipsis", "", "…"},
		{"a short string shows nothing of itself", "sk_abc", "…"},
		{"a long string without a prefix shows nothing of itself", "abcdefghijklmnopqrstuvwxyz", "…"},
		{"a string with punctuation after the prefix shows nothing of itself", "sk_abcdefghijklmnopq!!!!", "…"},
		{"a password with an underscore shows nothing of itself", "hunter2_hunter2hunter2!", "…"},
		{"a truncated key still shows its prefix and last four", "sk_live_abcdefghijklmnopqrstuvwxyz", "sk_live_…wxyz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPartsNeverPrintTheBody(t *testing.T) {
	key := New("sk_")
	p, err := Parse(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%s", "%+v", "%#v"} {
		if out := fmt.Sprintf(verb, p); strings.Contains(out, p.Body[:8]) {
			t.Errorf("Sprintf(%s, parts) = %q shows the body", verb, out)
		}
	}
}

func TestBodyCharactersAreUniform(t *testing.T) {
	// 2000 keys give 86,000 body characters, about 1387 per symbol: far above
	// the 5 per cell the chi-square approximation needs. A false failure
	// happens with probability chisq.Alpha (see package chisq).
	const keys = 2000
	counts := make(map[byte]int, len(alphabet))
	for range keys {
		p, err := Parse(New("sk_"))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(p.Body); i++ {
			counts[p.Body[i]]++
		}
	}
	for c := range counts {
		if !isBase62(c) {
			t.Fatalf("body character %q is not base62", c)
		}
	}
	if r := chisq.UniformOver(counts, len(alphabet)); r.Reject() {
		t.Fatalf("body characters are not uniform: %v", r)
	}
}

func TestBitsMatchesTheBodyLength(t *testing.T) {
	bits := BodyLen * math.Log2(62)
	if bits < 8*32 || math.Floor(bits) != Bits {
		t.Fatalf("%d base62 characters carry %.2f bits; Bits = %d, need at least 256", BodyLen, bits, Bits)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(New("sk_live_"))
	f.Add("sk_live_")
	f.Add("")
	f.Add("___")
	f.Add("sk_test_" + strings.Repeat("0", BodyLen) + "000000")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			if p != (Parts{}) {
				t.Fatalf("Parse returned parts with error %v", err)
			}
			for _, e := range []error{ErrPrefix, ErrLength, ErrCharacter, ErrChecksum} {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("Parse error %v wraps no sentinel", err)
		}
		if p.Prefix+p.Body+p.Checksum != s || CheckPrefix(p.Prefix) != nil || len(p.Body) != BodyLen {
			t.Fatalf("Parse accepted %q with inconsistent parts", s)
		}
		r := Redact(s)
		if strings.Contains(r, p.Body) {
			t.Fatalf("Redact shows the body")
		}
	})
}

func TestParseErrorsNeverQuoteAMalformedPrefix(t *testing.T) {
	// Whatever precedes the last '_' of the input is the prefix only if it
	// is a valid one; otherwise it may be part of some other secret pasted
	// by mistake (a base64url token holds '_' and '-'), and Parse's errors
	// must not repeat it.
	body := New("sk_")[len("sk_"):]
	for _, tt := range []struct{ name, prefix string }{
		{"a prefix with a dash", "Xy-9abcdefSECRETSECRET_"},
		{"a prefix that starts with an underscore", "_SECRETSECRETSECRET_"},
		{"a prefix with a non-ASCII letter", "SECRETSECRETé_"},
	} {
		t.Run(tt.name+" is not quoted", func(t *testing.T) {
			_, err := Parse(tt.prefix + body)
			if !errors.Is(err, ErrPrefix) {
				t.Fatalf("Parse = %v, want %v", err, ErrPrefix)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error %q quotes the malformed prefix", err)
			}
		})
	}
}

func TestRedactInHidesEveryKeyInText(t *testing.T) {
	a, b := New("sk_live_"), New("sak_")
	other := byte('Q')
	if a[len(a)-1] == other {
		other = 'R'
	}
	bad := a[:len(a)-1] + string(other)
	for _, c := range []struct{ in, want string }{
		{"no key here", "no key here"},
		{`unknown field "bogus` + a + `"`, `unknown field "bogus` + Redact(a) + `"`},
		{a + " and " + b, Redact(a) + " and " + Redact(b)},
		{"x_" + bad, "x_" + bad}, // a wrong checksum is no key
		{"", ""},
	} {
		if got := RedactIn(c.in); got != c.want {
			t.Errorf("RedactIn(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if i, j := Find("name " + a + "!"); i != 5 || j != 5+len(a) {
		t.Errorf("Find: %d, %d, want 5, %d", i, j, 5+len(a))
	}
}
