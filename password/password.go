// Package password generates random passwords from character classes or an
// exact character set, with crypto/rand through package secrets.
//
// Every character is drawn uniformly and independently, so a password of
// length L over N characters carries L x log2(N) bits: 131.1 bits for the
// default of 20 characters from the 94 printable ASCII characters.
//
// With RequireEach, the result is uniform over exactly the strings that
// contain at least one character of every enabled class: candidates are
// drawn whole and rejected until one qualifies. Generators that instead
// place one character of each class and fill the rest (the "minimum
// numbers" of some password managers) make those strings more likely than
// others; rejection does not. The entropy reported for RequireEach is the
// exact log2 of the number of qualifying strings, counted by
// inclusion-exclusion, not L x log2(N).
package password

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/unguessable/secrets"
)

// Character classes.
const (
	Lowercase = "abcdefghijklmnopqrstuvwxyz"
	Uppercase = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	Digits    = "0123456789"
	Symbols   = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
	// Ambiguous are characters easily confused with another when read or
	// typed: I l 1 O 0 | ` ' ".
	Ambiguous = "Il1O0|`'\""
)

// Limits.
const (
	DefaultLength = 20
	MaxLength     = 4096
	// MaxExpectedTries bounds the average number of candidates RequireEach
	// may need for one password; a request needing more is refused with
	// ErrTooRestrictive rather than left to run for a long time.
	MaxExpectedTries = 10000
)

// Errors returned by [NewGenerator]. Each is wrapped with the details.
var (
	// ErrLength is returned when Options.Length is outside [1, MaxLength].
	ErrLength = errors.New("password: length out of range")
	// ErrEmptyCharset is returned when fewer than 2 characters are left to
	// draw from: every class is off, or the exclusions removed everything
	// or all but one.
	ErrEmptyCharset = errors.New("password: no characters to draw from")
	// ErrEmptyClass is returned when an enabled class has no characters
	// left after the exclusions.
	ErrEmptyClass = errors.New("password: enabled class has no characters left")
	// ErrTooShort is returned when RequireEach asks for more classes than
	// the password has characters.
	ErrTooShort = errors.New("password: length is shorter than the number of required classes")
	// ErrInvalidCharset is returned when Options.Charset is not valid UTF-8
	// or holds a space or control character.
	ErrInvalidCharset = errors.New("password: invalid character set")
	// ErrTooRestrictive is returned when RequireEach would need more than
	// MaxExpectedTries candidates on average for one password.
	ErrTooRestrictive = errors.New("password: requirements are met too rarely")
)

// Options say which passwords to generate. The zero value is not useful;
// start from [DefaultOptions].
type Options struct {
	Length int // characters, 1 to MaxLength

	// The classes to draw from, ignored when Charset is set.
	Lower, Upper, Digits, Symbols bool

	// Charset, if not empty, is exactly the characters to draw from
	// (repeats count once). For RequireEach its characters are sorted into
	// the classes lower, upper, digit and other by Unicode category.
	Charset string

	Exclude     string // characters never to use
	NoAmbiguous bool   // exclude the characters in Ambiguous

	// RequireEach requires at least one character of every enabled class
	// (every class present in Charset), sampled without bias.
	RequireEach bool
}

// DefaultOptions returns 20 characters from all four classes, the 94
// printable ASCII characters other than space: 131.1 bits.
func DefaultOptions() Options {
	return Options{Length: DefaultLength, Lower: true, Upper: true, Digits: true, Symbols: true}
}

// class is one character class of a Generator.
type class struct {
	name  string
	runes []rune
}

// Generator makes passwords for one set of Options. It is safe for
// concurrent use.
type Generator struct {
	length   int
	alphabet string       // the distinct characters drawn from
	classes  []class      // the classes that must each appear (RequireEach)
	classOf  map[rune]int // index into classes
	count    *big.Int     // number of possible passwords
	bits     float64
	accept   float64 // probability a candidate qualifies
}

// NewGenerator checks opts and returns a Generator for them, or an error
// that says why the request is impossible.
func NewGenerator(opts Options) (*Generator, error) {
	if opts.Length < 1 || opts.Length > MaxLength {
		return nil, fmt.Errorf("%w: %d is not between 1 and %d", ErrLength, opts.Length, MaxLength)
	}
	exclude := opts.Exclude
	if opts.NoAmbiguous {
		exclude += Ambiguous
	}
	if !utf8.ValidString(exclude) {
		return nil, fmt.Errorf("%w: the exclusions are not valid UTF-8", ErrInvalidCharset)
	}
	keep := func(r rune) bool { return !strings.ContainsRune(exclude, r) }

	var classes []class
	if opts.Charset != "" {
		if !utf8.ValidString(opts.Charset) {
			return nil, fmt.Errorf("%w: not valid UTF-8", ErrInvalidCharset)
		}
		byName := map[string]int{}
		seen := map[rune]bool{}
		for _, r := range opts.Charset {
			if unicode.IsSpace(r) || !unicode.IsGraphic(r) {
				return nil, fmt.Errorf("%w: it holds %U, a space or control character", ErrInvalidCharset, r)
			}
			if seen[r] || !keep(r) {
				continue
			}
			seen[r] = true
			name := classOfRune(r)
			i, ok := byName[name]
			if !ok {
				i = len(classes)
				byName[name] = i
				classes = append(classes, class{name: name})
			}
			classes[i].runes = append(classes[i].runes, r)
		}
	} else {
		for _, c := range []struct {
			on    bool
			name  string
			chars string
		}{
			{opts.Lower, "lower-case", Lowercase},
			{opts.Upper, "upper-case", Uppercase},
			{opts.Digits, "digits", Digits},
			{opts.Symbols, "symbols", Symbols},
		} {
			if !c.on {
				continue
			}
			cl := class{name: c.name}
			for _, r := range c.chars {
				if keep(r) {
					cl.runes = append(cl.runes, r)
				}
			}
			if len(cl.runes) == 0 {
				return nil, fmt.Errorf("%w: every one of the %s is excluded", ErrEmptyClass, c.name)
			}
			classes = append(classes, cl)
		}
	}
	var all []rune
	for _, c := range classes {
		all = append(all, c.runes...)
	}
	switch {
	case len(all) == 0 && opts.Charset != "":
		return nil, fmt.Errorf("%w: the exclusions remove every character of the character set", ErrEmptyCharset)
	case len(all) == 0:
		return nil, fmt.Errorf("%w: every character class is turned off", ErrEmptyCharset)
	case len(all) == 1:
		// One character gives one password, 0 bits: never what was meant.
		return nil, fmt.Errorf("%w: only %q is left, and one character gives 0 bits; at least 2 are needed", ErrEmptyCharset, all[0])
	}
	g := &Generator{length: opts.Length, alphabet: string(all)}
	if opts.RequireEach {
		if len(classes) > opts.Length {
			return nil, fmt.Errorf("%w: %d characters cannot hold one each of %d classes", ErrTooShort, opts.Length, len(classes))
		}
		g.classes = classes
		g.classOf = make(map[rune]int, len(all))
		for i, c := range classes {
			for _, r := range c.runes {
				g.classOf[r] = i
			}
		}
	}
	sizes := make([]int, len(g.classes))
	for i, c := range g.classes {
		sizes[i] = len(c.runes)
	}
	g.count = Count(opts.Length, len(all), sizes)
	total := new(big.Int).Exp(big.NewInt(int64(len(all))), big.NewInt(int64(opts.Length)), nil)
	g.bits = log2(g.count)
	g.accept = math.Exp2(g.bits - log2(total))
	if len(all) == 1 {
		// One character: a single possible password, no entropy. Drawing
		// from a one-character alphabet needs no randomness at all.
		g.bits = 0
	}
	if g.accept < 1.0/MaxExpectedTries {
		return nil, fmt.Errorf("%w: about %.0f candidates would be drawn for each password; use a longer password or fewer required classes", ErrTooRestrictive, 1/g.accept)
	}
	return g, nil
}

// classOfRune sorts a character of a custom set into a class.
func classOfRune(r rune) string {
	switch {
	case unicode.IsLower(r):
		return "lower-case"
	case unicode.IsUpper(r):
		return "upper-case"
	case unicode.IsDigit(r):
		return "digits"
	}
	return "symbols"
}

// Count returns the number of strings of length characters over an
// alphabet of n characters that contain at least one character of each of
// the disjoint classes whose sizes are given, by inclusion-exclusion:
//
//	sum over subsets S of the classes of (-1)^|S| (n - sum of the sizes in S)^length
//
// With no classes it is n^length. Count panics if length or n is negative,
// a size is not positive, the sizes add up to more than n, or there are
// more than 16 classes.
func Count(length, n int, sizes []int) *big.Int {
	if length < 0 || n < 0 || len(sizes) > 16 {
		panic(fmt.Sprintf("password: Count(%d, %d, %d classes) out of range", length, n, len(sizes)))
	}
	sum := 0
	for _, s := range sizes {
		if s <= 0 {
			panic(fmt.Sprintf("password: Count class size %d is not positive", s))
		}
		sum += s
	}
	if sum > n {
		panic(fmt.Sprintf("password: Count classes hold %d characters, more than the %d of the alphabet", sum, n))
	}
	total := new(big.Int)
	l := big.NewInt(int64(length))
	for mask := 0; mask < 1<<len(sizes); mask++ {
		left, odd := n, false
		for i, s := range sizes {
			if mask&(1<<i) != 0 {
				left -= s
				odd = !odd
			}
		}
		term := new(big.Int).Exp(big.NewInt(int64(left)), l, nil)
		if odd {
			total.Sub(total, term)
		} else {
			total.Add(total, term)
		}
	}
	return total
}

// log2 returns log2(x) for a positive x of any size.
func log2(x *big.Int) float64 {
	if x.Sign() <= 0 {
		return math.Inf(-1)
	}
	shift := max(x.BitLen()-64, 0)
	top, _ := new(big.Float).SetInt(new(big.Int).Rsh(x, uint(shift))).Float64()
	return math.Log2(top) + float64(shift)
}

// Bits returns the entropy of one password in bits: log2 of the number of
// possible passwords, all equally likely.
func (g *Generator) Bits() float64 { return g.bits }

// Count returns the number of possible passwords.
func (g *Generator) Count() *big.Int { return new(big.Int).Set(g.count) }

// Alphabet returns the distinct characters drawn from.
func (g *Generator) Alphabet() string { return g.alphabet }

// AcceptRate returns the probability that a candidate meets RequireEach (1
// without it); on average 1/AcceptRate candidates are drawn per password.
func (g *Generator) AcceptRate() float64 { return g.accept }

// Generate returns a new password of [Generator.Bits] bits.
func (g *Generator) Generate() string {
	if utf8.RuneCountInString(g.alphabet) == 1 {
		return strings.Repeat(g.alphabet, g.length)
	}
	for {
		s := secrets.TokenString(g.length, g.alphabet)
		if g.qualifies(s) {
			return s
		}
	}
}

// qualifies reports whether s has a character of every required class.
func (g *Generator) qualifies(s string) bool {
	if len(g.classes) == 0 {
		return true
	}
	var seen uint32
	want := uint32(1)<<len(g.classes) - 1
	for _, r := range s {
		seen |= 1 << g.classOf[r]
		if seen == want {
			return true
		}
	}
	return false
}

// Generate returns a password of length characters from the 94 printable
// ASCII characters: length x 6.555 bits (131.1 bits for 20). It panics if
// length is outside [1, MaxLength].
func Generate(length int) string {
	o := DefaultOptions()
	o.Length = length
	g, err := NewGenerator(o)
	if err != nil {
		panic(err.Error())
	}
	return g.Generate()
}
