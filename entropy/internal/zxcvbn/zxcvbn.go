// Package zxcvbn estimates the strength of a password as Dropbox's zxcvbn
// 4.4.2 does (the JavaScript reference implementation, npm package zxcvbn):
// the same matches, the same guesses, the same score.
//
// It is a port of the reference's matching and scoring (see NOTICE), not a
// wrapper of github.com/trustelem/zxcvbn, whose port indexes Go strings by
// byte and so disagrees with the reference on any non-ASCII password. The
// reference works on UTF-16 code units, and so does this package: an emoji
// is two characters long, brute force costs 10 guesses a code unit, a
// sequence steps through code units, and a match's I and J count code
// units. Only the word lists and keyboard graphs come from
// github.com/trustelem/zxcvbn, which copied them from the reference; one
// word that its copy spells differently is corrected here.
//
// What the reference does through JavaScript's semantics is done here on
// purpose: it lower-cases with String.prototype.toLowerCase (İ becomes two
// code units, Σ becomes ς at the end of a word), its regular expressions'
// \d is ASCII and \s is Unicode white space, its . stops at line
// terminators, and its dictionaries are plain objects, so "constructor"
// and "__proto__" are in every one of them with a rank that is not a
// number. Case mapping follows Go's Unicode tables, which may trail the
// reference's ICU by a version.
package zxcvbn

import "unicode/utf16"

// Result is the reference's estimate of a password.
type Result struct {
	// Guesses is the estimated number of guesses, at least 1.
	Guesses float64
	// Score is 0 to 4, from Guesses: under 10^3+5, 10^6+5, 10^8+5,
	// 10^10+5, or more.
	Score int
	// Sequence is the cheapest way to cover the password with matches,
	// in order; empty for the empty password.
	Sequence []*Match
}

// Match is one pattern found in the password. I and J are the first and
// last UTF-16 code units it covers.
type Match struct {
	Pattern string // dictionary, spatial, repeat, sequence, regex, date or bruteforce
	I, J    int
	Token   []uint16

	// dictionary
	DictionaryName      string
	Rank                float64 // NaN for a word the reference finds on Object.prototype
	Reversed            bool
	L33t                bool
	UppercaseVariations float64
	L33tVariations      float64
	matchedWord         string
	sub                 []l33tSub

	// spatial
	Graph        string
	Turns        int
	ShiftedCount int

	// repeat
	BaseToken   []uint16
	BaseGuesses float64
	BaseMatches []*Match
	RepeatCount int

	// sequence
	SequenceName  string
	SequenceSpace int
	Ascending     bool

	// regex
	RegexName string

	// date
	Year, Month, Day int
	Separator        []uint16

	// Guesses is this match's own estimate, once the scoring has made it.
	Guesses    float64
	hasGuesses bool
}

// Estimate returns the reference's estimate of password, with userInputs
// as its user_inputs dictionary. referenceYear stands for the reference's
// new Date().getFullYear(), from which it measures the distance of dates
// and recent years. A password that is not valid UTF-8 is read with
// U+FFFD for each bad byte.
func Estimate(password string, userInputs []string, referenceYear int) Result {
	pw := utf16.Encode([]rune(password))
	e := newEstimator(userInputs, referenceYear)
	seq := e.mostGuessableMatchSequence(pw, e.omnimatch(pw))
	return Result{Guesses: seq.guesses, Score: Score(seq.guesses), Sequence: seq.sequence}
}

// Score is the reference's guesses_to_score.
func Score(guesses float64) int {
	const delta = 5
	switch {
	case guesses < 1e3+delta:
		return 0
	case guesses < 1e6+delta:
		return 1
	case guesses < 1e8+delta:
		return 2
	case guesses < 1e10+delta:
		return 3
	}
	return 4
}

// estimator holds what one call of the reference sees: the dictionaries,
// with the user inputs, and the reference year.
type estimator struct {
	dicts []*rankedDict
	year  int
}

func newEstimator(userInputs []string, year int) *estimator {
	d := defaultData()
	dicts := make([]*rankedDict, 0, len(d.dicts)+1)
	dicts = append(dicts, d.dicts...)
	keys := make([]string, len(userInputs))
	for i, s := range userInputs {
		keys[i] = string(appendKey(nil, toLower(utf16.Encode([]rune(s)))...))
	}
	dicts = append(dicts, newRankedDict("user_inputs", keys))
	return &estimator{dicts: dicts, year: year}
}
