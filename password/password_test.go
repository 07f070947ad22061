package password_test

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/internal/chisq"
	"github.com/unguessable/secrets/password"
)

func TestDefaultIsTwentyOfNinetyFourCharacters(t *testing.T) {
	g, err := password.NewGenerator(password.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(g.Alphabet()); n != 94 {
		t.Errorf("alphabet has %d characters, want 94", n)
	}
	if want := 20 * math.Log2(94); math.Abs(g.Bits()-want) > 1e-9 {
		t.Errorf("Bits = %.4f, want %.4f", g.Bits(), want)
	}
	p := g.Generate()
	if len(p) != 20 || strings.Trim(p, g.Alphabet()) != "" {
		t.Errorf("password of %d bytes outside the alphabet", len(p))
	}
}

// bruteCount counts the strings of length over alphabet that contain a
// character of every class, by enumerating them all.
func bruteCount(alphabet string, length int, classes []string) int {
	n := len(alphabet)
	total := 1
	for range length {
		total *= n
	}
	count := 0
	buf := make([]byte, length)
	for x := range total {
		for i := range buf {
			buf[i] = alphabet[x%n]
			x /= n
		}
		ok := true
		for _, c := range classes {
			if !strings.ContainsAny(string(buf), c) {
				ok = false
			}
		}
		if ok {
			count++
		}
	}
	return count
}

func TestCountMatchesEnumeration(t *testing.T) {
	for _, c := range []struct {
		name    string
		classes []string
		other   string // characters in no required class
	}{
		{"one class of one with two others", []string{"a"}, "bc"},
		{"two classes of two and one", []string{"ab", "1"}, ""},
		{"three unequal classes with spare characters", []string{"abc", "D", "12"}, "!?"},
		{"four classes of one", []string{"a", "B", "1", "!"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			alphabet := strings.Join(c.classes, "") + c.other
			var sizes []int
			for _, cl := range c.classes {
				sizes = append(sizes, len(cl))
			}
			for length := 0; length <= 6; length++ {
				want := bruteCount(alphabet, length, c.classes)
				if got := password.Count(length, len(alphabet), sizes); got.Cmp(big.NewInt(int64(want))) != 0 {
					t.Errorf("length %d: Count = %v, enumeration = %d", length, got, want)
				}
			}
		})
	}
}

func TestBits(t *testing.T) {
	// 20 characters from 94 with every class required: 94^20 minus the
	// strings missing a class, by inclusion-exclusion over 26, 26, 10, 32.
	req := password.Count(20, 94, []int{26, 26, 10, 32})
	reqBits, _ := new(big.Float).SetInt(req).Float64()
	for _, c := range []struct {
		name string
		opts func(*password.Options)
		want float64
	}{
		{"the default is 20 x log2(94)", func(o *password.Options) {}, 20 * math.Log2(94)},
		{"require-each costs the excluded strings", func(o *password.Options) { o.RequireEach = true }, math.Log2(reqBits)},
		{"no symbols leaves 62 characters", func(o *password.Options) { o.Symbols = false }, 20 * math.Log2(62)},
		{"no ambiguous leaves 85 characters", func(o *password.Options) { o.NoAmbiguous = true }, 20 * math.Log2(85)},
		{"exclusions shrink the alphabet", func(o *password.Options) { o.Exclude = "abc" }, 20 * math.Log2(91)},
		{"a charset is exactly those characters", func(o *password.Options) { o.Charset = "0123456789abcdef"; o.Length = 32 }, 128},
		{"repeats in a charset count once", func(o *password.Options) { o.Charset = "aabb"; o.Length = 10 }, 10},
		{"require-each over a charset uses its classes", func(o *password.Options) { o.Charset = "ab1"; o.Length = 3; o.RequireEach = true }, math.Log2(18)},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := password.DefaultOptions()
			c.opts(&o)
			g, err := password.NewGenerator(o)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(g.Bits()-c.want) > 1e-9 {
				t.Errorf("Bits = %.6f, want %.6f", g.Bits(), c.want)
			}
		})
	}
	g, _ := password.NewGenerator(password.Options{Length: 20, Lower: true, Upper: true, Digits: true, Symbols: true, RequireEach: true})
	if naive := 20 * math.Log2(94); g.Bits() >= naive {
		t.Errorf("require-each Bits %.3f is not below the naive %.3f", g.Bits(), naive)
	}
}

func TestImpossibleRequestsSayWhy(t *testing.T) {
	for _, c := range []struct {
		name string
		opts func(*password.Options)
		err  error
		says string
	}{
		{"a zero length is out of range", func(o *password.Options) { o.Length = 0 }, password.ErrLength, "0 is not between 1 and 4096"},
		{"a huge length is out of range", func(o *password.Options) { o.Length = password.MaxLength + 1 }, password.ErrLength, "4097"},
		{"all classes off leaves nothing", func(o *password.Options) { *o = password.Options{Length: 8} }, password.ErrEmptyCharset, "every character class is turned off"},
		{"excluding a whole class is refused", func(o *password.Options) { o.Exclude = password.Digits }, password.ErrEmptyClass, "digits"},
		{"excluding all of a charset leaves nothing", func(o *password.Options) { o.Charset = "ab"; o.Exclude = "ba" }, password.ErrEmptyCharset, "character set"},
		{"a one-character charset would give 0 bits", func(o *password.Options) { o.Charset = "x" }, password.ErrEmptyCharset, "at least 2"},
		{"exclusions leaving one character would give 0 bits", func(o *password.Options) { o.Charset = "ab"; o.Exclude = "a" }, password.ErrEmptyCharset, "only 'b' is left"},
		{"three characters cannot hold four classes", func(o *password.Options) { o.Length = 3; o.RequireEach = true }, password.ErrTooShort, "3 characters cannot hold one each of 4 classes"},
		{"a newline in a charset is refused", func(o *password.Options) { o.Charset = "ab\n" }, password.ErrInvalidCharset, "U+000A"},
		{"invalid UTF-8 in a charset is refused", func(o *password.Options) { o.Charset = "ab\xff" }, password.ErrInvalidCharset, "UTF-8"},
		{"a requirement met too rarely is refused", func(o *password.Options) {
			o.Charset = "1" + ideographs()
			o.Length = 2
			o.RequireEach = true
		}, password.ErrTooRestrictive, "candidates"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := password.DefaultOptions()
			c.opts(&o)
			_, err := password.NewGenerator(o)
			if !errors.Is(err, c.err) {
				t.Fatalf("error %v, want %v", err, c.err)
			}
			if !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %q does not say %q", err, c.says)
			}
		})
	}
}

// ideographs returns the 32164 CJK unified ideographs and Hangul
// syllables, characters of no case that fall in the "symbols" class. With
// "1" and length 2, a candidate qualifies with probability about 2/32165,
// 6.2e-5, below 1/MaxExpectedTries.
func ideographs() string {
	var b strings.Builder
	for r := rune(0x4E00); r <= 0x9FFF; r++ {
		b.WriteRune(r)
	}
	for r := rune(0xAC00); r <= 0xD7A3; r++ {
		b.WriteRune(r)
	}
	return b.String()
}

func TestRequireEachIsUniformOverQualifyingStrings(t *testing.T) {
	// "ab1" of length 4 needing a letter and a digit: 3^4 - 2^4 - 1 = 64 of
	// the 81 strings qualify, each to come up 1/64 of the time (500 times
	// in 32000 draws). TestChiSquareRejectsPlacedRequirements shows this
	// test rejects the usual shortcut on the same space.
	g, err := password.NewGenerator(password.Options{Length: 4, Charset: "ab1", RequireEach: true})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(g.AcceptRate()-64.0/81) > 1e-12 || math.Abs(g.Bits()-6) > 1e-12 {
		t.Errorf("AcceptRate = %v, Bits = %v, want 64/81 and 6", g.AcceptRate(), g.Bits())
	}
	counts := map[string]int{}
	for range 64 * 500 {
		p := g.Generate()
		if !strings.Contains(p, "1") || !strings.ContainsAny(p, "ab") {
			t.Fatalf("password %q lacks a required class", p)
		}
		counts[p]++
	}
	chisq.RequireUniform(t, counts, 64)
}

func TestDefaultCharactersAreUniform(t *testing.T) {
	g, _ := password.NewGenerator(password.DefaultOptions())
	counts := map[string]int{}
	for range 94 * 100 / 20 {
		for _, r := range g.Generate() {
			counts[string(r)]++
		}
	}
	chisq.RequireUniform(t, counts, 94)
}

func TestRequireEachAlwaysHoldsWithDefaults(t *testing.T) {
	o := password.DefaultOptions()
	o.Length = 4
	o.RequireEach = true
	o.NoAmbiguous = true
	g, err := password.NewGenerator(o)
	if err != nil {
		t.Fatal(err)
	}
	for range 2000 {
		p := g.Generate()
		for _, cl := range []string{password.Lowercase, password.Uppercase, password.Digits, password.Symbols} {
			if !strings.ContainsAny(p, cl) {
				t.Fatalf("a password lacks one of %q", cl)
			}
		}
		if strings.ContainsAny(p, password.Ambiguous) {
			t.Fatal("a password holds an ambiguous character")
		}
	}
}

func TestGeneratePanicsOnBadLength(t *testing.T) {
	defer func() {
		if s, ok := recover().(string); !ok || !strings.HasPrefix(s, "password: ") {
			t.Errorf("recovered %v, want a password: panic", s)
		}
	}()
	password.Generate(0)
}

func FuzzNewGenerator(f *testing.F) {
	f.Add("abc", "", 5, true)
	f.Add("aB1!", "!", 3, true)
	f.Add("", "0123456789", 8, false)
	f.Add("\xff", "", 1, false)
	f.Add("é∂Ω", "∂", 2, true)
	f.Fuzz(func(t *testing.T, charset, exclude string, length int, require bool) {
		length %= 64
		o := password.DefaultOptions()
		o.Charset, o.Exclude, o.Length, o.RequireEach = charset, exclude, length, require
		g, err := password.NewGenerator(o)
		if err != nil {
			for _, e := range []error{password.ErrLength, password.ErrEmptyCharset, password.ErrEmptyClass, password.ErrTooShort, password.ErrInvalidCharset, password.ErrTooRestrictive} {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("error %v is not a sentinel", err)
		}
		p := g.Generate()
		if n := utf8.RuneCountInString(p); n != length {
			t.Fatalf("password of %d runes, want %d", n, length)
		}
		for _, r := range p {
			if !strings.ContainsRune(g.Alphabet(), r) || strings.ContainsRune(exclude, r) {
				t.Fatalf("rune %U not allowed", r)
			}
		}
		if g.Bits() < 0 || g.Bits() > float64(length)*math.Log2(float64(utf8.RuneCountInString(g.Alphabet())))+1e-9 {
			t.Fatalf("Bits %v out of range", g.Bits())
		}
	})
}

func TestChiSquareRejectsPlacedRequirements(t *testing.T) {
	// Power check: the usual shortcut for "at least one of each class"
	// places one letter and one digit, fills the rest from the whole set
	// and shuffles. A string then has weight (letters in it) x (digits in
	// it): over "ab1" of length 4, 3 for 3+1 or 1+3 and 4 for 2+2, so the
	// 24 strings with two of each are 4/3 as likely as the others. With
	// 32000 draws the statistic is noncentral chi-square with 63 degrees of
	// freedom and lambda = 32000 x 0.0206 = 658: mean 721, standard
	// deviation sqrt(2 (63 + 2 x 658)) = 52, so falling under the critical
	// value of 155.1 (chisq.Critical(63)) is 11 standard deviations away.
	// The uniformity test above must reject the shortcut.
	counts := map[string]int{}
	for range 64 * 500 {
		s := []byte{"ab"[secrets.RandBelow(2)], '1', "ab1"[secrets.RandBelow(3)], "ab1"[secrets.RandBelow(3)]}
		secrets.Shuffle(s)
		counts[string(s)]++
	}
	r := chisq.UniformOver(counts, 64)
	t.Logf("biased generator: %v", r)
	if !r.Reject() {
		t.Errorf("a biased generator was accepted: %v", r)
	}
}
