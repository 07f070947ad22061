// Package passphrase generates Diceware-style passphrases: words drawn
// independently and uniformly, with crypto/rand through package secrets,
// from a word list.
//
// The default list is the EFF large word list, embedded: 7776 words, so
// log2(7776) = 12.925 bits a word; six words (the default) are 77.5 bits,
// four words about 51.7 bits, the least that is reasonable for a secret
// behind a rate-limited login and too little for one an attacker can guess
// offline.
//
// # Attribution
//
// The EFF large word list (eff_large_wordlist.txt) is copyright 2016
// Electronic Frontier Foundation, https://www.eff.org/dice, and is used
// under the Creative Commons Attribution 3.0 United States license
// (CC BY 3.0 US, https://creativecommons.org/licenses/by/3.0/us/). See the
// NOTICE file at the root of this module.
package passphrase

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/unguessable/secrets"
)

// Limits on [Options].
const (
	DefaultWords = 6
	MaxWords     = 4096
)

// Case is how the words of a passphrase are capitalised.
type Case int

const (
	Lower  Case = iota // every word in lower case: "correct horse"
	Title              // first letter upper case: "Correct Horse"
	Upper              // every word in upper case: "CORRECT HORSE"
	Random             // each word drawn from all distinct lower, title and upper forms: log2(3) more bits a word for the EFF list
)

var caseNames = [...]string{Lower: "lower", Title: "title", Upper: "upper", Random: "random"}

// String returns the case's name as ParseCase accepts it.
func (c Case) String() string {
	if c < 0 || int(c) >= len(caseNames) {
		return fmt.Sprintf("Case(%d)", int(c))
	}
	return caseNames[c]
}

// ParseCase returns the Case named s: lower, title, upper or random.
func ParseCase(s string) (Case, error) {
	for c, name := range caseNames {
		if s == name {
			return Case(c), nil
		}
	}
	return 0, fmt.Errorf("passphrase: unknown case %q: want lower, title, upper or random", s)
}

// Options say how to build a passphrase. The zero value is not useful; start
// from [DefaultOptions].
type Options struct {
	Words     int       // number of words, 1 to MaxWords
	Separator string    // between words; may be empty
	Case      Case      // capitalisation
	Number    bool      // append one random digit to one randomly chosen word
	List      *WordList // nil means the EFF large word list
}

// DefaultOptions returns six lower-case words of the EFF list separated by
// spaces: 77.5 bits.
func DefaultOptions() Options {
	return Options{Words: DefaultWords, Separator: " ", Case: Lower}
}

// Generator makes passphrases for one set of Options. It is safe for
// concurrent use.
type Generator struct {
	opts  Options
	forms []string // the distinct word forms each word is drawn from
	exact bool
}

// Validate reports whether NewGenerator accepts opts: it returns an error
// if opts.Words is outside [1, MaxWords] or opts.Case is not one of the
// constants, and one wrapping ErrTooFewWords if the case mapping leaves
// fewer than 2 distinct word forms (a list of only "Apple" and "apple" in
// lower case). Programs that take options from users call it first.
func (o Options) Validate() error {
	_, err := o.forms()
	return err
}

// forms returns the distinct forms of the list's words under o.Case.
func (o Options) forms() ([]string, error) {
	if o.Words < 1 || o.Words > MaxWords {
		return nil, fmt.Errorf("passphrase: Options.Words %d is outside [1, %d]", o.Words, MaxWords)
	}
	if o.Case < Lower || o.Case > Random {
		return nil, fmt.Errorf("passphrase: Options.Case %d is not a Case constant", int(o.Case))
	}
	list := o.List
	if list == nil {
		list = EFF()
	}
	var maps []func(string) string
	switch o.Case {
	case Lower:
		maps = []func(string) string{strings.ToLower}
	case Title:
		maps = []func(string) string{title}
	case Upper:
		maps = []func(string) string{strings.ToUpper}
	case Random:
		maps = []func(string) string{strings.ToLower, title, strings.ToUpper}
	}
	seen := make(map[string]struct{}, len(list.words)*len(maps))
	forms := make([]string, 0, len(list.words)*len(maps))
	for _, w := range list.words {
		for _, m := range maps {
			f := m(w)
			if _, dup := seen[f]; !dup {
				seen[f] = struct{}{}
				forms = append(forms, f)
			}
		}
	}
	if len(forms) < 2 {
		return nil, fmt.Errorf("%w in %s case (it has %d)", ErrTooFewWords, o.Case, len(forms))
	}
	return forms, nil
}

// NewGenerator returns a Generator for opts. The words drawn from are the
// distinct forms of the list's words under opts.Case (for Random, every
// distinct lower, title and upper form), so that each form is equally
// likely whatever collisions the case mapping makes. NewGenerator panics
// with the error of [Options.Validate] if that is not nil.
func NewGenerator(opts Options) *Generator {
	forms, err := opts.forms()
	if err != nil {
		panic(err.Error())
	}
	if opts.List == nil {
		opts.List = EFF()
	}
	return &Generator{opts: opts, forms: forms, exact: isExact(forms, opts.Separator, opts.Number)}
}

// isExact reports whether distinct choices of words (and digit) always
// spell distinct passphrases, so that Bits is the exact entropy of the
// string and not only of the choices. That holds when the separator is not
// empty and none of its runes occurs in a word (the separators then mark
// the word boundaries unambiguously) and, with a number, when no digit
// occurs in the words or the separator.
func isExact(forms []string, sep string, number bool) bool {
	if sep == "" {
		return false
	}
	if number && strings.IndexFunc(sep, isDigit) >= 0 {
		return false
	}
	for _, f := range forms {
		if strings.ContainsAny(f, sep) || (number && strings.IndexFunc(f, isDigit) >= 0) {
			return false
		}
	}
	return true
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// title upper-cases the first letter of w and lower-cases the rest.
func title(w string) string {
	r, n := utf8.DecodeRuneInString(w)
	return string(unicode.ToUpper(r)) + strings.ToLower(w[n:])
}

// Options returns the options the Generator was made with (List filled in).
func (g *Generator) Options() Options { return g.opts }

// Forms returns the number of distinct word forms each word is drawn from:
// 7776 for the EFF list in one case, 23328 with Random.
func (g *Generator) Forms() int { return len(g.forms) }

// Bits returns the entropy of one passphrase in bits:
// Words x log2(Forms()), plus log2(10 x Words) with Number (a digit 0-9
// after one of the Words words). Every outcome is equally likely, so this is
// both the Shannon entropy and the min-entropy of the choices; it is the
// entropy of the passphrase string too whenever [Generator.Exact] is true,
// and an upper bound otherwise.
func (g *Generator) Bits() float64 {
	bits := float64(g.opts.Words) * math.Log2(float64(len(g.forms)))
	if g.opts.Number {
		bits += math.Log2(10 * float64(g.opts.Words))
	}
	return bits
}

// Exact reports whether distinct choices always give distinct passphrases,
// so that [Generator.Bits] is exact for the string: true when the separator
// is not empty, none of its characters occurs in a word, and, with Number,
// neither the words nor the separator contain a digit. With an empty
// separator two word sequences can run together into the same string.
func (g *Generator) Exact() bool { return g.exact }

// Generate returns a new passphrase of [Generator.Bits] bits.
func (g *Generator) Generate() string {
	return string(g.Append(nil))
}

// Append appends a new passphrase to dst and returns the extended slice.
func (g *Generator) Append(dst []byte) []byte {
	numberAt, digit := -1, byte(0)
	if g.opts.Number {
		numberAt = secrets.RandBelow(g.opts.Words)
		digit = byte('0' + secrets.RandBelow(10))
	}
	for i := range g.opts.Words {
		if i > 0 {
			dst = append(dst, g.opts.Separator...)
		}
		dst = append(dst, secrets.Choice(g.forms)...)
		if i == numberAt {
			dst = append(dst, digit)
		}
	}
	return dst
}

// Generate returns a passphrase of words lower-case words from the EFF large
// word list, separated by spaces: words x 12.925 bits (77.5 bits for 6). It
// panics if words is outside [1, MaxWords].
func Generate(words int) string {
	if words < 1 || words > MaxWords {
		panic(fmt.Sprintf("passphrase: Generate words %d is outside [1, %d]", words, MaxWords))
	}
	g := *defaultGenerator()
	g.opts.Words = words
	return g.Generate()
}

var defaultGenerator = sync.OnceValue(func() *Generator { return NewGenerator(DefaultOptions()) })
