package entropy

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/match"
)

// MaxPasswordLength is the longest password [Password] analyses, in bytes;
// zxcvbn's matching grows quickly with length, and a longer input is not a
// password a person types.
const MaxPasswordLength = 256

// PasswordStrength is zxcvbn's verdict on a password a person chose.
type PasswordStrength struct {
	// Score is 0 (too guessable: under 10^3 guesses) to 4 (very
	// unguessable: 10^10 or more), zxcvbn's scale.
	Score int
	// Guesses is zxcvbn's estimate of the guesses an attacker who tries
	// common passwords, words, names, dates, keyboard patterns and their
	// variations first would need.
	Guesses float64
	// Why describes the patterns zxcvbn found, by position, never quoting
	// the password: "characters 1-8: a common password (in the top 100)".
	Why []string
}

// Password estimates the strength of password with zxcvbn
// (github.com/trustelem/zxcvbn). userInputs are words an attacker would
// try first, such as the user's name and the site's name. A password that is
// not valid UTF-8 gets zxcvbn's verdict for one: score 0, 1 guess. Password
// panics if password is longer than MaxPasswordLength bytes; callers should
// reject such input first.
func Password(password string, userInputs []string) PasswordStrength {
	if len(password) > MaxPasswordLength {
		panic(fmt.Sprintf("entropy: Password of %d bytes is longer than %d", len(password), MaxPasswordLength))
	}
	r := zxcvbn.PasswordStrength(password, userInputs)
	s := PasswordStrength{Score: r.Score, Guesses: math.Max(r.Guesses, 1)}
	if password == "" {
		s.Why = []string{"the password is empty"}
		return s
	}
	if !utf8.ValidString(password) {
		s.Why = []string{"the password is not valid UTF-8"}
		return s
	}
	// zxcvbn's positions are byte offsets; report characters.
	runeAt := func(byteOffset int) int { return utf8.RuneCountInString(password[:byteOffset]) + 1 }
	for _, m := range r.Sequence {
		s.Why = append(s.Why, fmt.Sprintf("%s: %s", span(runeAt(m.I), runeAt(m.J)), describe(m)))
	}
	return s
}

func span(i, j int) string {
	if i == j {
		return fmt.Sprintf("character %d", i)
	}
	return fmt.Sprintf("characters %d-%d", i, j)
}

// describe says what kind of pattern m is, without its text.
func describe(m *match.Match) string {
	switch m.Pattern {
	case "dictionary":
		var what string
		switch m.DictionaryName {
		case "passwords":
			what = "a common password " + band(m.Rank)
		case "user_inputs":
			what = "one of the given user inputs"
		case "surnames", "male_names", "female_names":
			what = "a common name " + band(m.Rank)
		default:
			what = "a common word " + band(m.Rank)
		}
		var how []string
		if m.Reversed {
			how = append(how, "reversed")
		}
		if m.L33t {
			how = append(how, "with predictable substitutions like @ for a")
		}
		if m.UppercaseVariations > 1 {
			how = append(how, "with predictable capitals")
		}
		if len(how) > 0 {
			what += ", " + strings.Join(how, ", ")
		}
		return what
	case "spatial":
		return fmt.Sprintf("a keyboard pattern with %d turn%s", m.Turns, plural(m.Turns))
	case "repeat":
		return fmt.Sprintf("a repeat (%d times)", m.RepeatCount)
	case "sequence":
		return "a sequence like abc or 9876"
	case "regex":
		if m.RegexName == "recent_year" {
			return "a recent year"
		}
		return "a predictable pattern"
	case "date":
		return "a date"
	case "bruteforce":
		return "no pattern found (guessed by brute force)"
	}
	return "a pattern of kind " + m.Pattern
}

// band places a dictionary rank in a power-of-ten band: "(in the top
// 1000)". The exact rank is not shown: with the span, it would name the
// word to anyone holding zxcvbn's lists.
func band(rank int) string {
	top := 10
	for top < rank && top < 1e9 {
		top *= 10
	}
	return fmt.Sprintf("(in the top %d)", top)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Estimate returns the time to guess the password at rate guesses a second.
func (s PasswordStrength) Estimate(rate float64) Estimate { return FromGuesses(s.Guesses, rate) }
