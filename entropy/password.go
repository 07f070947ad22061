package entropy

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unguessable/secrets/entropy/internal/zxcvbn"
)

// MaxPasswordLength is the longest password [Password] analyses, in bytes;
// zxcvbn's matching grows quickly with length, and a longer input is not a
// password a person types.
const MaxPasswordLength = 256

// PasswordStrength is zxcvbn's verdict on a password a person chose.
// Score and Guesses are those of Dropbox's zxcvbn 4.4.2, the reference
// implementation.
type PasswordStrength struct {
	// Score is 0 (too guessable: under 10^3 guesses) to 4 (very
	// unguessable: 10^10 or more), zxcvbn's scale.
	Score int
	// Guesses is zxcvbn's estimate of the guesses an attacker who tries
	// common passwords, words, names, dates, keyboard patterns and their
	// variations first would need.
	Guesses float64
	// Why describes the patterns zxcvbn found, by position in characters
	// (Unicode code points, counted from 1), never quoting the password:
	// "characters 1-8: a common password (in the top 100)".
	Why []string
}

// Password estimates the strength of password as Dropbox's zxcvbn 4.4.2
// does, score for score and guess for guess: the reference implementation,
// in JavaScript, which counts length in UTF-16 code units, so that an
// emoji costs a brute-force attacker as much as two letters. userInputs are
// words an attacker would try first, such as the user's name and the
// site's name. Dates and recent years are measured from the current year,
// as the reference does. A password that is not valid UTF-8, which has no
// UTF-16 form to give the reference, scores 0 with 1 guess. Password panics if password is longer than MaxPasswordLength bytes;
// callers should reject such input first.
func Password(password string, userInputs []string) PasswordStrength {
	if len(password) > MaxPasswordLength {
		panic(fmt.Sprintf("entropy: Password of %d bytes is longer than %d", len(password), MaxPasswordLength))
	}
	if password == "" {
		return PasswordStrength{Score: 0, Guesses: 1, Why: []string{"the password is empty"}}
	}
	if !utf8.ValidString(password) {
		return PasswordStrength{Score: 0, Guesses: 1, Why: []string{"the password is not valid UTF-8"}}
	}
	r := zxcvbn.Estimate(password, userInputs, referenceYear())
	s := PasswordStrength{Score: r.Score, Guesses: r.Guesses}
	// zxcvbn's positions are UTF-16 code units; report characters.
	char := make([]int, 0, len(password)) // code unit to character, from 1
	for n, c := range []rune(password) {
		char = append(char, n+1)
		if c > 0xffff {
			char = append(char, n+1)
		}
	}
	for _, m := range r.Sequence {
		s.Why = append(s.Why, fmt.Sprintf("%s: %s", span(char[m.I], char[m.J]), describe(m)))
	}
	return s
}

// referenceYear is the year zxcvbn measures dates and recent years from;
// tests pin it to the year the reference data was made in.
var referenceYear = func() int { return time.Now().Year() }

func span(i, j int) string {
	if i == j {
		return fmt.Sprintf("character %d", i)
	}
	return fmt.Sprintf("characters %d-%d", i, j)
}

// describe says what kind of pattern m is, without its text.
func describe(m *zxcvbn.Match) string {
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
func band(rank float64) string {
	top := 10.0
	for top < rank && top < 1e9 {
		top *= 10
	}
	return fmt.Sprintf("(in the top %.0f)", top)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Estimate returns the time to guess the password at rate guesses a second.
func (s PasswordStrength) Estimate(rate float64) Estimate { return FromGuesses(s.Guesses, rate) }
