package zxcvbn

import (
	"slices"
	"strings"
)

// sortMatches is the reference's sorted: by I, then J, keeping the order of
// equal matches (V8's sort is stable).
func sortMatches(ms []*Match) {
	slices.SortStableFunc(ms, func(a, b *Match) int {
		if a.I != b.I {
			return a.I - b.I
		}
		return a.J - b.J
	})
}

// omnimatch is the reference's omnimatch: every matcher, in its order.
func (e *estimator) omnimatch(pw []uint16) []*Match {
	var ms []*Match
	ms = append(ms, e.dictionaryMatch(pw)...)
	ms = append(ms, e.reverseDictionaryMatch(pw)...)
	ms = append(ms, e.l33tMatch(pw)...)
	ms = append(ms, spatialMatch(pw)...)
	ms = append(ms, e.repeatMatch(pw)...)
	ms = append(ms, sequenceMatch(pw)...)
	ms = append(ms, regexMatch(pw)...)
	ms = append(ms, e.dateMatch(pw)...)
	sortMatches(ms)
	return ms
}

func (e *estimator) dictionaryMatch(pw []uint16) []*Match {
	var ms []*Match
	lower := toLower(pw) // never shorter than pw
	for _, d := range e.dicts {
		for i := range pw {
			d.eachWord(lower, i, len(pw), func(j int, word string, rank float64) {
				ms = append(ms, &Match{
					Pattern:        "dictionary",
					I:              i,
					J:              j,
					Token:          pw[i : j+1],
					matchedWord:    word,
					Rank:           rank,
					DictionaryName: d.name,
				})
			})
		}
	}
	sortMatches(ms)
	return ms
}

func (e *estimator) reverseDictionaryMatch(pw []uint16) []*Match {
	reversed := slices.Clone(pw)
	slices.Reverse(reversed)
	ms := e.dictionaryMatch(reversed)
	for _, m := range ms {
		m.Token = slices.Clone(m.Token)
		slices.Reverse(m.Token)
		m.Reversed = true
		m.I, m.J = len(pw)-1-m.J, len(pw)-1-m.I
	}
	sortMatches(ms)
	return ms
}

// l33tTable is the reference's L33T_TABLE, in its order.
var l33tTable = []struct {
	letter uint16
	subs   string
}{
	{'a', "4@"}, {'b', "8"}, {'c', "({[<"}, {'e', "3"}, {'g', "69"}, {'i', "1!|"},
	{'l', "1|7"}, {'o', "0"}, {'s', "$5"}, {'t', "+7"}, {'x', "%"}, {'z', "2"},
}

// l33tSub is one substitution: the l33t character stands for the letter.
type l33tSub struct{ l33t, letter uint16 }

// l33tRow is a letter and the l33t characters that may stand for it.
type l33tRow struct {
	letter uint16
	subs   []uint16
}

// relevantL33tSubtable is the reference's relevant_l33t_subtable: the table
// pruned to the substitutions whose characters are in the password.
func relevantL33tSubtable(pw []uint16) []l33tRow {
	var table []l33tRow
	for _, row := range l33tTable {
		var subs []uint16
		for _, c := range row.subs {
			if slices.Contains(pw, uint16(c)) {
				subs = append(subs, uint16(c))
			}
		}
		if len(subs) > 0 {
			table = append(table, l33tRow{row.letter, subs})
		}
	}
	return table
}

// enumerateL33tSubs is the reference's enumerate_l33t_subs: every way to
// read the l33t characters as letters, each character standing for one
// letter at most. Its dedup labels a list with each pair's position in it,
// so it drops only lists equal in order too.
func enumerateL33tSubs(table []l33tRow) [][]l33tSub {
	subs := [][]l33tSub{{}}
	for _, row := range table {
		var next [][]l33tSub
		for _, c := range row.subs {
			for _, sub := range subs {
				dup := slices.IndexFunc(sub, func(s l33tSub) bool { return s.l33t == c })
				if dup == -1 {
					next = append(next, append(slices.Clip(sub), l33tSub{c, row.letter}))
				} else {
					alt := slices.Delete(slices.Clone(sub), dup, dup+1)
					alt = append(alt, l33tSub{c, row.letter})
					next = append(next, sub, alt)
				}
			}
		}
		subs = subs[:0:0]
		for _, s := range next {
			if !slices.ContainsFunc(subs, func(t []l33tSub) bool { return slices.Equal(s, t) }) {
				subs = append(subs, s)
			}
		}
	}
	return subs
}

func (e *estimator) l33tMatch(pw []uint16) []*Match {
	var ms []*Match
	for _, sub := range enumerateL33tSubs(relevantL33tSubtable(pw)) {
		if len(sub) == 0 {
			break
		}
		subbed := slices.Clone(pw)
		for k, c := range subbed {
			for _, s := range sub {
				if s.l33t == c {
					subbed[k] = s.letter
					break
				}
			}
		}
		for _, m := range e.dictionaryMatch(subbed) {
			token := pw[m.I : m.J+1]
			//secretsvet:ignore the estimate runs on the user's own machine over their own input; nobody can time it
			if string(appendKey(nil, toLower(token)...)) == m.matchedWord {
				continue
			}
			var used []l33tSub
			for _, s := range sub {
				if slices.Contains(token, s.l33t) {
					used = append(used, s)
				}
			}
			m.L33t = true
			m.Token = token
			m.sub = used
			ms = append(ms, m)
		}
	}
	ms = slices.DeleteFunc(ms, func(m *Match) bool { return len(m.Token) <= 1 })
	sortMatches(ms)
	return ms
}

// shifted is the reference's SHIFTED_RX.
const shifted = `~!@#$%^&*()_+QWERTYUIOP{}|ASDFGHJKL:"ZXCVBNM<>?`

func spatialMatch(pw []uint16) []*Match {
	var ms []*Match
	for _, g := range defaultData().graphs {
		ms = append(ms, spatialMatchHelper(pw, g)...)
	}
	sortMatches(ms)
	return ms
}

// indexUnit is JavaScript's adj.indexOf(c) for a one-unit c in an ASCII adj.
func indexUnit(adj string, c uint16) int {
	if c >= 0x80 {
		return -1
	}
	return strings.IndexByte(adj, byte(c))
}

func spatialMatchHelper(pw []uint16, g *graph) []*Match {
	var ms []*Match
	keyboard := g.name == "qwerty" || g.name == "dvorak"
	for i := 0; i < len(pw)-1; {
		j := i + 1
		lastDirection := -1 // null: directions are 0 and up
		turns := 0
		shiftedCount := 0
		if keyboard && indexUnit(shifted, pw[i]) != -1 {
			shiftedCount = 1
		}
		for {
			found := false
			foundDirection := -1
			curDirection := -1
			adjacents := g.adjacents[pw[j-1]]
			if j < len(pw) {
				cur := pw[j]
				for _, adj := range adjacents {
					curDirection++
					if adj == "" {
						continue
					}
					if idx := indexUnit(adj, cur); idx != -1 {
						found = true
						foundDirection = curDirection
						if idx == 1 {
							shiftedCount++
						}
						if lastDirection != foundDirection {
							turns++
							lastDirection = foundDirection
						}
						break
					}
				}
			}
			if found {
				j++
				continue
			}
			if j-i > 2 {
				ms = append(ms, &Match{
					Pattern:      "spatial",
					I:            i,
					J:            j - 1,
					Token:        pw[i:j],
					Graph:        g.name,
					Turns:        turns,
					ShiftedCount: shiftedCount,
				})
			}
			i = j
			break
		}
	}
	return ms
}

// isLineTerminator reports whether JavaScript's . (without the s flag)
// refuses c.
func isLineTerminator(c uint16) bool {
	return c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029
}

// repeatsAt returns how many times the block pw[s:s+n] follows itself
// directly.
func repeatsAt(pw []uint16, s, n int) int {
	k := 0
	for p := s + n; p+n <= len(pw) && slices.Equal(pw[p:p+n], pw[s:s+n]); p += n {
		k++
	}
	return k
}

// execRepeat is /(.+)\1+/g (greedy) or /(.+?)\1+/g (lazy) run from
// lastIndex: the leftmost start, then the longest (or shortest) block of
// non-line-terminators that follows itself at least once, repeated as
// often as it does. ok is false when there is no match.
func execRepeat(pw []uint16, lastIndex int, greedy bool) (start, block, count int, ok bool) {
	for s := lastIndex; s < len(pw); s++ {
		run := 0
		for s+run < len(pw) && !isLineTerminator(pw[s+run]) {
			run++
		}
		// A block of n needs 2n code units from s.
		longest := min(run, (len(pw)-s)/2)
		for k := 1; k <= longest; k++ {
			n := k
			if greedy {
				n = longest + 1 - k
			}
			if r := repeatsAt(pw, s, n); r > 0 {
				return s, n, r + 1, true
			}
		}
	}
	return 0, 0, 0, false
}

func (e *estimator) repeatMatch(pw []uint16) []*Match {
	var ms []*Match
	for lastIndex := 0; lastIndex < len(pw); {
		gStart, gBlock, gCount, ok := execRepeat(pw, lastIndex, true)
		if !ok {
			break
		}
		lStart, lBlock, lCount, _ := execRepeat(pw, lastIndex, false)
		var start, length, block int
		if gBlock*gCount > lBlock*lCount {
			// The greedy match's block may itself repeat (aabaab in
			// aabaabaabaab): /^(.+?)\1+$/ on it finds the shortest block.
			start, length = gStart, gBlock*gCount
			token := pw[start : start+length]
			for n := 1; n <= length/2; n++ {
				if length%n == 0 && repeatsAt(token, 0, n) == length/n-1 {
					block = n
					break
				}
			}
		} else {
			start, length, block = lStart, lBlock*lCount, lBlock
		}
		i, j := start, start+length-1
		base := pw[start : start+block]
		analysis := e.mostGuessableMatchSequence(base, e.omnimatch(base))
		ms = append(ms, &Match{
			Pattern:     "repeat",
			I:           i,
			J:           j,
			Token:       pw[i : j+1],
			BaseToken:   base,
			BaseGuesses: analysis.guesses,
			BaseMatches: analysis.sequence,
			RepeatCount: length / block,
		})
		lastIndex = j + 1
	}
	return ms
}

// maxDelta is the reference's MAX_DELTA.
const maxDelta = 5

func allUnits(t []uint16, lo, hi uint16) bool {
	for _, c := range t {
		if c < lo || c > hi {
			return false
		}
	}
	return len(t) > 0
}

func sequenceMatch(pw []uint16) []*Match {
	if len(pw) <= 1 { // the reference returns early for one; for none it finds nothing
		return nil
	}
	var ms []*Match
	update := func(i, j, delta int) {
		abs := max(delta, -delta)
		if (j-i > 1 || abs == 1) && abs > 0 && abs <= maxDelta {
			token := pw[i : j+1]
			name, space := "unicode", 26
			switch {
			case allUnits(token, 'a', 'z'):
				name = "lower"
			case allUnits(token, 'A', 'Z'):
				name = "upper"
			case allUnits(token, '0', '9'):
				name, space = "digits", 10
			}
			ms = append(ms, &Match{
				Pattern:       "sequence",
				I:             i,
				J:             j,
				Token:         token,
				SequenceName:  name,
				SequenceSpace: space,
				Ascending:     delta > 0,
			})
		}
	}
	i := 0
	lastDelta := 0
	for k := 1; k < len(pw); k++ {
		delta := int(pw[k]) - int(pw[k-1])
		if k == 1 {
			lastDelta = delta
		}
		if delta == lastDelta {
			continue
		}
		j := k - 1
		update(i, j, lastDelta)
		i = j
		lastDelta = delta
	}
	update(i, len(pw)-1, lastDelta)
	return ms
}

func isDigit(c uint16) bool { return c >= '0' && c <= '9' }

// regexMatch is the reference's REGEXEN, which has one: recent_year,
// /19\d\d|200\d|201\d/g.
func regexMatch(pw []uint16) []*Match {
	var ms []*Match
	for p := 0; p+4 <= len(pw); {
		t := pw[p : p+4]
		if isDigit(t[3]) && (t[0] == '1' && t[1] == '9' && isDigit(t[2]) ||
			t[0] == '2' && t[1] == '0' && (t[2] == '0' || t[2] == '1')) {
			ms = append(ms, &Match{Pattern: "regex", I: p, J: p + 3, Token: t, RegexName: "recent_year"})
			p += 4
			continue
		}
		p++
	}
	sortMatches(ms)
	return ms
}

const (
	dateMaxYear = 2050
	dateMinYear = 1000
)

// dateSplits is the reference's DATE_SPLITS.
var dateSplits = map[int][][2]int{
	4: {{1, 2}, {2, 3}},
	5: {{1, 3}, {2, 3}},
	6: {{1, 2}, {2, 4}, {4, 5}},
	7: {{1, 3}, {2, 3}, {4, 5}, {4, 6}},
	8: {{2, 4}, {4, 6}},
}

// atoi is parseInt of a run of ASCII digits, at most eight.
func atoi(t []uint16) int {
	n := 0
	for _, c := range t {
		n = n*10 + int(c-'0')
	}
	return n
}

// digitRun returns the length of the run of ASCII digits at t[p:].
func digitRun(t []uint16, p int) int {
	n := 0
	for p+n < len(t) && isDigit(t[p+n]) {
		n++
	}
	return n
}

// isJSSpace is JavaScript's \s: white space and line terminators.
func isJSSpace(c uint16) bool {
	switch c {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return c >= 0x2000 && c <= 0x200a
}

func isDateSeparator(c uint16) bool {
	return isJSSpace(c) || c == '/' || c == '\\' || c == '_' || c == '.' || c == '-'
}

// matchDateWithSeparator is
// /^(\d{1,4})([\s/\\_.-])(\d{1,2})\2(\d{1,4})$/ on t. Separators are not
// digits, so each group is a whole run of digits.
func matchDateWithSeparator(t []uint16) (a, b, c []uint16, sep uint16, ok bool) {
	n1 := digitRun(t, 0)
	if n1 < 1 || n1 > 4 || n1 >= len(t) || !isDateSeparator(t[n1]) {
		return
	}
	sep = t[n1]
	p := n1 + 1
	n2 := digitRun(t, p)
	if n2 < 1 || n2 > 2 || p+n2 >= len(t) || t[p+n2] != sep {
		return
	}
	q := p + n2 + 1
	n3 := digitRun(t, q)
	if n3 < 1 || n3 > 4 || q+n3 != len(t) {
		return
	}
	return t[:n1], t[p : p+n2], t[q:], sep, true
}

type dmy struct{ day, month, year int }

func (e *estimator) dateMatch(pw []uint16) []*Match {
	var ms []*Match
	for i := 0; i <= len(pw)-4; i++ {
		for j := i + 3; j <= i+7 && j < len(pw); j++ {
			token := pw[i : j+1]
			if digitRun(token, 0) != len(token) {
				continue
			}
			var candidates []dmy
			for _, s := range dateSplits[len(token)] {
				if d, ok := mapIntsToDMY(atoi(token[:s[0]]), atoi(token[s[0]:s[1]]), atoi(token[s[1]:])); ok {
					candidates = append(candidates, d)
				}
			}
			if len(candidates) == 0 {
				continue
			}
			best := candidates[0]
			metric := func(d dmy) int { return max(d.year-e.year, e.year-d.year) }
			minDistance := metric(best)
			for _, c := range candidates[1:] {
				if d := metric(c); d < minDistance {
					best, minDistance = c, d
				}
			}
			ms = append(ms, &Match{
				Pattern: "date", I: i, J: j, Token: token,
				Year: best.year, Month: best.month, Day: best.day,
			})
		}
	}
	for i := 0; i <= len(pw)-6; i++ {
		for j := i + 5; j <= i+9 && j < len(pw); j++ {
			token := pw[i : j+1]
			a, b, c, sep, ok := matchDateWithSeparator(token)
			if !ok {
				continue
			}
			d, ok := mapIntsToDMY(atoi(a), atoi(b), atoi(c))
			if !ok {
				continue
			}
			ms = append(ms, &Match{
				Pattern: "date", I: i, J: j, Token: token, Separator: []uint16{sep},
				Year: d.year, Month: d.month, Day: d.day,
			})
		}
	}
	// Drop dates inside other dates.
	var kept []*Match
	for _, m := range ms {
		inside := false
		for _, o := range ms {
			if o != m && o.I <= m.I && o.J >= m.J {
				inside = true
				break
			}
		}
		if !inside {
			kept = append(kept, m)
		}
	}
	sortMatches(kept)
	return kept
}

// mapIntsToDMY is the reference's map_ints_to_dmy.
func mapIntsToDMY(i0, i1, i2 int) (dmy, bool) {
	if i1 > 31 || i1 <= 0 {
		return dmy{}, false
	}
	over12, over31, under1 := 0, 0, 0
	for _, n := range [3]int{i0, i1, i2} {
		if 99 < n && n < dateMinYear || n > dateMaxYear {
			return dmy{}, false
		}
		if n > 31 {
			over31++
		}
		if n > 12 {
			over12++
		}
		if n <= 0 {
			under1++
		}
	}
	if over31 >= 2 || over12 == 3 || under1 >= 2 {
		return dmy{}, false
	}
	splits := [2][3]int{{i2, i0, i1}, {i0, i1, i2}} // year last, year first
	for _, s := range splits {
		if dateMinYear <= s[0] && s[0] <= dateMaxYear {
			d, m, ok := mapIntsToDM(s[1], s[2])
			return dmy{d, m, s[0]}, ok
		}
	}
	for _, s := range splits {
		if d, m, ok := mapIntsToDM(s[1], s[2]); ok {
			return dmy{d, m, twoToFourDigitYear(s[0])}, true
		}
	}
	return dmy{}, false
}

func mapIntsToDM(a, b int) (day, month int, ok bool) {
	for _, p := range [2][2]int{{a, b}, {b, a}} {
		if 1 <= p[0] && p[0] <= 31 && 1 <= p[1] && p[1] <= 12 {
			return p[0], p[1], true
		}
	}
	return 0, 0, false
}

func twoToFourDigitYear(y int) int {
	switch {
	case y > 99:
		return y
	case y > 50:
		return y + 1900
	}
	return y + 2000
}
