package zxcvbn

import (
	"math"
	"slices"
)

// The reference's constants.
const (
	bruteforceCardinality           = 10
	minGuessesBeforeGrowingSequence = 10000
	minSubmatchGuessesSingleChar    = 10
	minSubmatchGuessesMultiChar     = 50
	minYearSpace                    = 20
)

// slot is one entry of the reference's optimal.m, .pi and .g: the best
// sequence of l matches covering the password up to some k.
type slot struct {
	l     int
	m     *Match
	pi, g float64
}

// slots holds the slots of one k in increasing l, the order in which
// JavaScript walks an object's integer keys.
type slots []slot

func (s slots) get(l int) (slot, bool) {
	i, ok := slices.BinarySearchFunc(s, l, func(e slot, l int) int { return e.l - l })
	if !ok {
		return slot{}, false
	}
	return s[i], true
}

func (s *slots) set(e slot) {
	i, ok := slices.BinarySearchFunc(*s, e.l, func(e slot, l int) int { return e.l - l })
	if ok {
		(*s)[i] = e
		return
	}
	*s = slices.Insert(*s, i, e)
}

type sequenceResult struct {
	guesses  float64
	sequence []*Match
}

// mostGuessableMatchSequence is the reference's
// most_guessable_match_sequence: the dynamic program that picks the
// non-overlapping matches, bridged by brute force, that minimise
// l! * (product of the matches' guesses) + 10000^(l-1).
func (e *estimator) mostGuessableMatchSequence(pw []uint16, matches []*Match) sequenceResult {
	n := len(pw)
	if n == 0 {
		return sequenceResult{guesses: 1}
	}
	byJ := make([][]*Match, n)
	for _, m := range matches {
		byJ[m.J] = append(byJ[m.J], m)
	}
	for _, l := range byJ {
		slices.SortStableFunc(l, func(a, b *Match) int { return a.I - b.I })
	}
	optimal := make([]slots, n)

	update := func(m *Match, l int) {
		k := m.J
		pi := e.estimateGuesses(m, n)
		if l > 1 {
			prev, _ := optimal[m.I-1].get(l - 1)
			pi *= prev.pi
		}
		g := factorial(l)*pi + math.Pow(minGuessesBeforeGrowingSequence, float64(l-1))
		for _, c := range optimal[k] {
			if c.l > l {
				continue
			}
			if c.g <= g {
				return
			}
		}
		optimal[k].set(slot{l: l, m: m, pi: pi, g: g})
	}

	bruteforce := func(i, j int) *Match {
		return &Match{Pattern: "bruteforce", I: i, J: j, Token: pw[i : j+1]}
	}

	// The reference's bruteforce_update. For k = 0 its loop
	// `for i in [1..k]` also runs i = 1 (CoffeeScript counts down), which
	// tries an empty brute force after position 0; that can never beat the
	// single match at 0, so it is left out.
	bruteforceUpdate := func(k int) {
		update(bruteforce(0, k), 1)
		for i := 1; i <= k; i++ {
			m := bruteforce(i, k)
			for _, last := range optimal[i-1] {
				if last.m.Pattern == "bruteforce" {
					continue
				}
				update(m, last.l+1)
			}
		}
	}

	for k := range n {
		for _, m := range byJ[k] {
			if m.I > 0 {
				for _, s := range optimal[m.I-1] {
					update(m, s.l+1)
				}
			} else {
				update(m, 1)
			}
		}
		bruteforceUpdate(k)
	}

	// unwind: the l with the fewest guesses at n-1, the smallest of equals.
	l, g := 0, math.Inf(1)
	for _, c := range optimal[n-1] {
		if c.g < g {
			l, g = c.l, c.g
		}
	}
	if l == 0 {
		// Every sequence overflowed to +Inf, which the reference's
		// unwind cannot handle either; passwords are far too short for it.
		return sequenceResult{guesses: math.Inf(1), sequence: []*Match{bruteforce(0, n-1)}}
	}
	var seq []*Match
	for k := n - 1; k >= 0; l-- {
		s, _ := optimal[k].get(l)
		seq = append(seq, s.m)
		k = s.m.I - 1
	}
	slices.Reverse(seq)
	last, _ := optimal[n-1].get(len(seq))
	return sequenceResult{guesses: last.g, sequence: seq}
}

func factorial(n int) float64 {
	f := 1.0
	for i := 2; i <= n; i++ {
		f *= float64(i)
	}
	return f
}

func nCk(n, k int) float64 {
	if k > n {
		return 0
	}
	if k == 0 {
		return 1
	}
	r := 1.0
	for d := 1; d <= k; d++ {
		r *= float64(n)
		r /= float64(d)
		n--
	}
	return r
}

// estimateGuesses is the reference's estimate_guesses, for a match in a
// password of n code units.
func (e *estimator) estimateGuesses(m *Match, n int) float64 {
	if m.hasGuesses {
		return m.Guesses
	}
	minGuesses := 1.0
	if len(m.Token) < n {
		if len(m.Token) == 1 {
			minGuesses = minSubmatchGuessesSingleChar
		} else {
			minGuesses = minSubmatchGuessesMultiChar
		}
	}
	var guesses float64
	switch m.Pattern {
	case "bruteforce":
		guesses = bruteforceGuesses(m)
	case "dictionary":
		guesses = dictionaryGuesses(m)
	case "spatial":
		guesses = spatialGuesses(m)
	case "repeat":
		guesses = m.BaseGuesses * float64(m.RepeatCount)
	case "sequence":
		guesses = sequenceGuesses(m)
	case "regex":
		guesses = e.regexGuesses(m)
	case "date":
		guesses = e.dateGuesses(m)
	}
	m.Guesses = jsMax(guesses, minGuesses)
	m.hasGuesses = true
	return m.Guesses
}

// jsMax is JavaScript's Math.max of two: NaN if either is.
func jsMax(a, b float64) float64 {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return math.Max(a, b)
}

func bruteforceGuesses(m *Match) float64 {
	guesses := math.Pow(bruteforceCardinality, float64(len(m.Token)))
	if math.IsInf(guesses, 1) {
		guesses = math.MaxFloat64
	}
	minGuesses := float64(minSubmatchGuessesMultiChar + 1)
	if len(m.Token) == 1 {
		minGuesses = minSubmatchGuessesSingleChar + 1
	}
	return math.Max(guesses, minGuesses)
}

func dictionaryGuesses(m *Match) float64 {
	m.UppercaseVariations = uppercaseVariations(m.Token)
	m.L33tVariations = l33tVariations(m)
	reversed := 1.0
	if m.Reversed {
		reversed = 2
	}
	return m.Rank * m.UppercaseVariations * m.L33tVariations * reversed
}

func isUpper(c uint16) bool { return c >= 'A' && c <= 'Z' }
func isLower(c uint16) bool { return c >= 'a' && c <= 'z' }

// uppercaseVariations is the reference's uppercase_variations, with its
// regular expressions (ALL_LOWER, START_UPPER, END_UPPER, ALL_UPPER) spelt
// out: they look only at ASCII letters.
func uppercaseVariations(w []uint16) float64 {
	none := func(t []uint16, f func(uint16) bool) bool { return !slices.ContainsFunc(t, f) }
	if len(w) > 0 && none(w, isUpper) || slices.Equal(toLower(w), w) {
		return 1
	}
	n := len(w)
	if n >= 2 && isUpper(w[0]) && none(w[1:], isUpper) || // START_UPPER
		n >= 2 && isUpper(w[n-1]) && none(w[:n-1], isUpper) || // END_UPPER
		n >= 1 && none(w, isLower) { // ALL_UPPER
		return 2
	}
	u, l := 0, 0
	for _, c := range w {
		switch {
		case isUpper(c):
			u++
		case isLower(c):
			l++
		}
	}
	var v float64
	for i := 1; i <= min(u, l); i++ {
		v += nCk(u+l, i)
	}
	return v
}

func l33tVariations(m *Match) float64 {
	if !m.L33t {
		return 1
	}
	v := 1.0
	for _, sub := range m.sub {
		s, u := 0, 0
		for _, c := range toLower(m.Token) {
			switch c {
			case sub.l33t:
				s++
			case sub.letter:
				u++
			}
		}
		if s == 0 || u == 0 {
			v *= 2
			continue
		}
		var p float64
		for i := 1; i <= min(u, s); i++ {
			p += nCk(u+s, i)
		}
		v *= p
	}
	return v
}

func spatialGuesses(m *Match) float64 {
	d := defaultData()
	s, deg := d.keypadStarts, d.keypadDegree
	if m.Graph == "qwerty" || m.Graph == "dvorak" {
		s, deg = d.keyboardStarts, d.keyboardDegree
	}
	var guesses float64
	L := len(m.Token)
	for i := 2; i <= L; i++ {
		for j := 1; j <= min(m.Turns, i-1); j++ {
			guesses += nCk(i-1, j-1) * s * math.Pow(deg, float64(j))
		}
	}
	if m.ShiftedCount > 0 {
		S, U := m.ShiftedCount, L-m.ShiftedCount
		if U == 0 {
			guesses *= 2
		} else {
			var v float64
			for i := 1; i <= min(S, U); i++ {
				v += nCk(S+U, i)
			}
			guesses *= v
		}
	}
	return guesses
}

func sequenceGuesses(m *Match) float64 {
	var base float64
	switch first := m.Token[0]; {
	case first == 'a' || first == 'A' || first == 'z' || first == 'Z' || first == '0' || first == '1' || first == '9':
		base = 4
	case isDigit(first):
		base = 10
	default:
		base = 26
	}
	if !m.Ascending {
		base *= 2
	}
	return base * float64(len(m.Token))
}

func (e *estimator) regexGuesses(m *Match) float64 {
	// recent_year, the only regex the reference matches.
	year := atoi(m.Token)
	return float64(max(year-e.year, e.year-year, minYearSpace))
}

func (e *estimator) dateGuesses(m *Match) float64 {
	guesses := float64(max(m.Year-e.year, e.year-m.Year, minYearSpace)) * 365
	if len(m.Separator) > 0 {
		guesses *= 4
	}
	return guesses
}
