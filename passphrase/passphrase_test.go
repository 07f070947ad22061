package passphrase_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"unicode"

	"github.com/unguessable/secrets/internal/chisq"
	"github.com/unguessable/secrets/passphrase"
)

func TestEFFListIsTheFullLargeList(t *testing.T) {
	l := passphrase.EFF()
	if l.Len() != 7776 {
		t.Fatalf("EFF list has %d words, want 7776", l.Len())
	}
	w := l.Words()
	if w[0] != "abacus" || w[len(w)-1] != "zoom" {
		t.Errorf("EFF list runs %q to %q, want abacus to zoom", w[0], w[len(w)-1])
	}
	if got := l.BitsPerWord(); math.Abs(got-12.925) > 0.0005 {
		t.Errorf("BitsPerWord = %.4f, want 12.925", got)
	}
	w[0] = "changed"
	if l.Words()[0] != "abacus" {
		t.Error("Words returned the list's own slice, not a copy")
	}
}

func TestParseWordList(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []string
		err      error
	}{
		{"one word a line is read as is", "alpha\nbeta\ngamma\n", []string{"alpha", "beta", "gamma"}, nil},
		{"dice-numbered lines drop the number", "11111\talpha\n11112 beta\n", []string{"alpha", "beta"}, nil},
		{"the two formats may be mixed", "11111\talpha\nbeta\n", []string{"alpha", "beta"}, nil},
		{"duplicates are removed keeping the first", "alpha\nbeta\nalpha\n11111 beta\n", []string{"alpha", "beta"}, nil},
		{"blank lines and CRLF endings are ignored", "alpha\r\n\r\n  \nbeta\r\n", []string{"alpha", "beta"}, nil},
		{"a missing final newline is fine", "alpha\nbeta", []string{"alpha", "beta"}, nil},
		{"words differing only in case are distinct", "Alpha\nalpha\n", []string{"Alpha", "alpha"}, nil},
		{"a digit word alone is a word", "12345\n67890\n", []string{"12345", "67890"}, nil},
		{"a number with a 7 is not a dice number", "17111 alpha\nbeta\n", nil, passphrase.ErrMalformedLine},
		{"three fields are malformed", "alpha beta gamma\n", nil, passphrase.ErrMalformedLine},
		{"invalid UTF-8 is malformed", "alpha\n\xff\xfe\n", nil, passphrase.ErrMalformedLine},
		{"one distinct word is too few", "alpha\nalpha\n", nil, passphrase.ErrTooFewWords},
		{"an empty file is too few", "", nil, passphrase.ErrTooFewWords},
		{"an over-long line is too large", "alpha\n" + strings.Repeat("x", passphrase.MaxWordBytes+1) + "\n", nil, passphrase.ErrWordListTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, err := passphrase.ParseWordList(strings.NewReader(c.in))
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("error %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(l.Words(), ","); got != strings.Join(c.want, ",") {
				t.Errorf("words %s, want %s", got, strings.Join(c.want, ","))
			}
		})
	}
}

func TestParseWordListRejectsOversizedInput(t *testing.T) {
	big := strings.Repeat("abcdefg\n", passphrase.MaxWordListBytes/8+1)
	if _, err := passphrase.ParseWordList(strings.NewReader(big)); !errors.Is(err, passphrase.ErrWordListTooLarge) {
		t.Fatalf("error %v, want ErrWordListTooLarge", err)
	}
}

func TestNewWordListRejectsWordsWithSpaces(t *testing.T) {
	if _, err := passphrase.NewWordList([]string{"a b", "c"}); !errors.Is(err, passphrase.ErrMalformedLine) {
		t.Fatalf("error %v, want ErrMalformedLine", err)
	}
}

func mustList(t testing.TB, words ...string) *passphrase.WordList {
	t.Helper()
	l, err := passphrase.NewWordList(words)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestBits(t *testing.T) {
	log2 := math.Log2
	for _, c := range []struct {
		name string
		opts func(*passphrase.Options)
		want float64
	}{
		{"six EFF words are 77.5 bits", func(o *passphrase.Options) {}, 6 * log2(7776)},
		{"four EFF words are about 51.7 bits", func(o *passphrase.Options) { o.Words = 4 }, 4 * log2(7776)},
		{"title case adds nothing", func(o *passphrase.Options) { o.Case = passphrase.Title }, 6 * log2(7776)},
		{"random case triples each word's choices", func(o *passphrase.Options) { o.Case = passphrase.Random }, 6 * log2(3*7776)},
		{"a number adds log2(10 x words)", func(o *passphrase.Options) { o.Number = true }, 6*log2(7776) + log2(60)},
		{"a small list gives its own bits", func(o *passphrase.Options) { o.List = mustList(t, "a", "b", "c", "d"); o.Words = 3 }, 6},
		{"words equal after lower-casing count once", func(o *passphrase.Options) { o.List = mustList(t, "Pear", "pear", "fig", "kiwi"); o.Words = 1 }, log2(3)},
		{"random case counts only distinct forms", func(o *passphrase.Options) {
			o.List = mustList(t, "a", "bc")
			o.Words = 1
			o.Case = passphrase.Random
		}, log2(5)}, // a, A, bc, Bc, BC
	} {
		t.Run(c.name, func(t *testing.T) {
			o := passphrase.DefaultOptions()
			c.opts(&o)
			if got := passphrase.NewGenerator(o).Bits(); math.Abs(got-c.want) > 1e-9 {
				t.Errorf("Bits = %.4f, want %.4f", got, c.want)
			}
		})
	}
}

func TestExact(t *testing.T) {
	for _, c := range []struct {
		name string
		opts func(*passphrase.Options)
		want bool
	}{
		{"spaces between EFF words are exact", func(o *passphrase.Options) {}, true},
		{"an empty separator is not exact", func(o *passphrase.Options) { o.Separator = "" }, false},
		{"a hyphen occurs in EFF words such as t-shirt", func(o *passphrase.Options) { o.Separator = "-" }, false},
		{"a dot is exact", func(o *passphrase.Options) { o.Separator = "." }, true},
		{"a digit separator with a number is not exact", func(o *passphrase.Options) { o.Separator = "1"; o.Number = true }, false},
		{"digits in words with a number are not exact", func(o *passphrase.Options) { o.List = mustList(t, "a1", "b"); o.Number = true }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := passphrase.DefaultOptions()
			c.opts(&o)
			if got := passphrase.NewGenerator(o).Exact(); got != c.want {
				t.Errorf("Exact = %v, want %v", got, c.want)
			}
		})
	}
}

func TestGenerateShape(t *testing.T) {
	words := map[string]bool{}
	for _, w := range passphrase.EFF().Words() {
		words[w] = true
	}
	for _, c := range []struct {
		name  string
		opts  func(*passphrase.Options)
		check func(string) bool
	}{
		{"the default is six lower-case EFF words", func(o *passphrase.Options) {}, func(w string) bool { return words[w] }},
		{"upper case upper-cases every word", func(o *passphrase.Options) { o.Case = passphrase.Upper }, func(w string) bool { return words[strings.ToLower(w)] && w == strings.ToUpper(w) }},
		{"title case capitalises the first letter", func(o *passphrase.Options) { o.Case = passphrase.Title }, func(w string) bool { return words[strings.ToLower(w)] && unicode.IsUpper(rune(w[0])) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := passphrase.DefaultOptions()
			c.opts(&o)
			g := passphrase.NewGenerator(o)
			for range 100 {
				p := strings.Split(g.Generate(), " ")
				if len(p) != 6 {
					t.Fatalf("%d words, want 6", len(p))
				}
				for _, w := range p {
					if !c.check(w) {
						t.Fatalf("word %q is not as expected", w)
					}
				}
			}
		})
	}
}

func TestGenerateNumberAppendsOneDigitToOneWord(t *testing.T) {
	o := passphrase.DefaultOptions()
	o.Number = true
	g := passphrase.NewGenerator(o)
	for range 200 {
		p := g.Generate()
		if n := strings.Count(strings.Map(keepDigits, p), ""); n-1 != 1 {
			t.Fatalf("passphrase has %d digits, want exactly 1", n-1)
		}
		for _, w := range strings.Split(p, " ") {
			if d := strings.IndexFunc(w, unicode.IsDigit); d >= 0 && d != len(w)-1 {
				t.Fatalf("digit not at the end of its word")
			}
		}
	}
}

func keepDigits(r rune) rune {
	if unicode.IsDigit(r) {
		return r
	}
	return -1
}

func TestGenerateIsUniformOverAllOutcomes(t *testing.T) {
	// Two words from {ab, cd, ef, gh, ij} with a number: 5 x 5 word pairs,
	// 2 positions, 10 digits = 500 equally likely passphrases; 100 draws each
	// expected.
	o := passphrase.Options{Words: 2, Separator: "-", Number: true, List: mustList(t, "ab", "cd", "ef", "gh", "ij")}
	g := passphrase.NewGenerator(o)
	if !g.Exact() || math.Abs(g.Bits()-math.Log2(500)) > 1e-9 {
		t.Fatalf("Bits %.3f exact %v, want log2(500) exact", g.Bits(), g.Exact())
	}
	counts := map[string]int{}
	for range 50000 {
		counts[g.Generate()]++
	}
	chisq.RequireUniform(t, counts, 500)
}

func TestRandomCaseIsUniformOverForms(t *testing.T) {
	// One word from {ab, cd} in random case: ab Ab AB cd Cd CD.
	g := passphrase.NewGenerator(passphrase.Options{Words: 1, Separator: " ", Case: passphrase.Random, List: mustList(t, "ab", "cd")})
	counts := map[string]int{}
	for range 30000 {
		counts[g.Generate()]++
	}
	for k := range counts {
		if strings.ToLower(k) != "ab" && strings.ToLower(k) != "cd" {
			t.Fatalf("unexpected outcome %q", k)
		}
	}
	chisq.RequireUniform(t, counts, 6)
}

func TestEFFWordsAreUniform(t *testing.T) {
	if testing.Short() {
		t.Skip("draws 156k words")
	}
	counts := map[string]int{}
	for range 20 * 7776 / 6 {
		for _, w := range strings.Split(passphrase.Generate(6), " ") {
			counts[w]++
		}
	}
	chisq.RequireUniform(t, counts, 7776)
}

func TestMisusePanics(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"zero words", func() { passphrase.NewGenerator(passphrase.Options{Words: 0}) }},
		{"too many words", func() { passphrase.Generate(passphrase.MaxWords + 1) }},
		{"an unknown case", func() { passphrase.NewGenerator(passphrase.Options{Words: 1, Case: 9}) }},
	} {
		t.Run(c.name+" panics", func(t *testing.T) {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.HasPrefix(s, "passphrase: ") {
					t.Errorf("recovered %v, want a panic starting passphrase: ", r)
				}
			}()
			c.f()
		})
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		opts passphrase.Options
		err  error
	}{
		{"the defaults are valid", passphrase.DefaultOptions(), nil},
		{"words that collapse to one in lower case are too few", passphrase.Options{Words: 4, List: mustList(t, "Apple", "apple")}, passphrase.ErrTooFewWords},
		{"the same words in random case are enough", passphrase.Options{Words: 4, Case: passphrase.Random, List: mustList(t, "Apple", "apple")}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.opts.Validate(); !errors.Is(err, c.err) {
				t.Errorf("Validate = %v, want %v", err, c.err)
			}
		})
	}
	if err := (passphrase.Options{Words: 0}).Validate(); err == nil {
		t.Error("Validate accepted 0 words")
	}
}

func TestParseCase(t *testing.T) {
	for _, name := range []string{"lower", "title", "upper", "random"} {
		c, err := passphrase.ParseCase(name)
		if err != nil || c.String() != name {
			t.Errorf("ParseCase(%q) = %v, %v", name, c, err)
		}
	}
	if _, err := passphrase.ParseCase("Title"); err == nil {
		t.Error("ParseCase accepted Title")
	}
}

func FuzzParseWordList(f *testing.F) {
	f.Add("alpha\nbeta\n")
	f.Add("11111\talpha\n11112\tbeta\r\n")
	f.Add("a\na\n")
	f.Add("1 2 3\n")
	f.Add("\xff\n")
	f.Add(strings.SplitN(strings.Join(passphrase.EFF().Words()[:20], "\n"), "\n", -1)[0] + "\nzeta")
	f.Fuzz(func(t *testing.T, in string) {
		l, err := passphrase.ParseWordList(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, passphrase.ErrMalformedLine) && !errors.Is(err, passphrase.ErrTooFewWords) && !errors.Is(err, passphrase.ErrWordListTooLarge) {
				t.Fatalf("error %v is not one of the sentinels", err)
			}
			return
		}
		words := l.Words()
		seen := map[string]bool{}
		for _, w := range words {
			if w == "" || strings.ContainsFunc(w, unicode.IsSpace) || seen[w] {
				t.Fatalf("word %q is empty, has space or repeats", w)
			}
			seen[w] = true
		}
		if len(words) < 2 {
			t.Fatalf("%d words accepted", len(words))
		}
		// Round trip: the words one a line parse to the same list.
		l2, err := passphrase.ParseWordList(strings.NewReader(strings.Join(words, "\n")))
		if err != nil || strings.Join(l2.Words(), "\n") != strings.Join(words, "\n") {
			t.Fatalf("round trip changed the list: %v", err)
		}
	})
}
