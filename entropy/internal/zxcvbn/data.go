package zxcvbn

import (
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf16"

	"github.com/trustelem/zxcvbn/adjacency"
	"github.com/trustelem/zxcvbn/frequency"
)

// listOrder is the order of the reference's frequency_lists, which is the
// order it tries dictionaries in and so which of two equal matches wins.
var listOrder = []string{"passwords", "english_wikipedia", "female_names", "surnames", "us_tv_and_film", "male_names"}

// graphOrder is the reference's GRAPHS, in order.
var graphOrder = []string{"qwerty", "dvorak", "keypad", "mac_keypad"}

// listFixes maps words that github.com/trustelem/zxcvbn's copy of the lists
// spells differently from the reference to the reference's spelling.
var listFixes = map[string]string{`pic\'s`: `pic's`}

// rankedDict is the reference's build_ranked_dict, word to rank from 1,
// as words sorted by [appendKey] so that a search can stop at the first
// code unit no word continues with.
type rankedDict struct {
	name  string
	words []string
	ranks []float64
}

func newRankedDict(name string, keys []string) *rankedDict {
	type entry struct {
		key  string
		rank float64
	}
	entries := make([]entry, 0, len(keys)+2)
	for i, k := range keys {
		entries = append(entries, entry{k, float64(i + 1)})
	}
	// The reference looks words up with `word of dict` (JavaScript's in),
	// which also finds the properties every object inherits; of those,
	// only these are lower case. Their values are a function and an
	// object, so their guesses are NaN. Assigning __proto__ sets the
	// prototype, so it is never a word of its own; constructor can be.
	entries = append(entries, entry{"__proto__", math.NaN()})
	if !slices.Contains(keys, "constructor") {
		entries = append(entries, entry{"constructor", math.NaN()})
	}
	slices.SortStableFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	d := &rankedDict{name: name, words: make([]string, 0, len(entries)), ranks: make([]float64, 0, len(entries))}
	for i, e := range entries {
		//secretsvet:ignore dictionary words, public data: no secret is compared here
		if i+1 < len(entries) && entries[i+1].key == e.key {
			continue // a later duplicate wins, as in the reference; __proto__ never is a word
		}
		d.words = append(d.words, e.key)
		d.ranks = append(d.ranks, e.rank)
	}
	return d
}

// eachWord calls f for every j from i up to n-1 for which s[i..j] is a
// word, in increasing j, with the word's key and rank.
func (d *rankedDict) eachWord(s []uint16, i, n int, f func(j int, word string, rank float64)) {
	lo, hi := 0, len(d.words)
	p := 0 // bytes of key matched; the words in [lo, hi) share them
	var buf [3]byte
	for j := i; j < n; j++ {
		for _, b := range appendKey(buf[:0], s[j]) {
			// In [lo, hi), a word that ends at p sorts first, and the rest
			// by their byte p.
			first := func(after func(w string) bool) int {
				return lo + sort.Search(hi-lo, func(x int) bool { return after(d.words[lo+x]) })
			}
			lo, hi = first(func(w string) bool { return len(w) > p && w[p] >= b }),
				first(func(w string) bool { return len(w) > p && w[p] > b })
			p++
			if lo == hi {
				return
			}
		}
		if len(d.words[lo]) == p {
			f(j, d.words[lo], d.ranks[lo])
		}
	}
}

// key returns the key of a word given as a Go string.
func key(word string) string {
	for i := 0; i < len(word); i++ {
		if word[i] >= 0x80 {
			return string(appendKey(nil, utf16.Encode([]rune(word))...))
		}
	}
	return word
}

// appendKey appends an injective byte encoding of the code units u to b:
// ASCII as itself, any other code unit, lone surrogates included, as 0xff
// and its two bytes.
func appendKey(b []byte, u ...uint16) []byte {
	for _, c := range u {
		if c < 0x80 {
			b = append(b, byte(c))
		} else {
			b = append(b, 0xff, byte(c>>8), byte(c))
		}
	}
	return b
}

type graph struct {
	name      string
	adjacents map[uint16][]string // "" where the reference has null
}

type data struct {
	dicts  []*rankedDict
	graphs []*graph
	// The reference's KEYBOARD_/KEYPAD_STARTING_POSITIONS and _AVERAGE_DEGREE,
	// from the qwerty and keypad graphs.
	keyboardStarts, keypadStarts float64
	keyboardDegree, keypadDegree float64
}

var defaultData = sync.OnceValue(func() *data {
	d := &data{}
	for _, name := range listOrder {
		list := frequency.FrequencyLists[name]
		keys := make([]string, len(list))
		for i, w := range list {
			if fixed, ok := listFixes[w]; ok {
				w = fixed
			}
			keys[i] = key(w)
		}
		d.dicts = append(d.dicts, newRankedDict(name, keys))
	}
	for _, name := range graphOrder {
		g := &graph{name: name, adjacents: map[uint16][]string{}}
		for k, v := range adjacency.Graphs[name].Graph {
			u := utf16.Encode([]rune(k))
			if len(u) != 1 {
				panic("zxcvbn: adjacency graph " + name + " has a key of other than one code unit")
			}
			g.adjacents[u[0]] = v
		}
		d.graphs = append(d.graphs, g)
	}
	d.keyboardStarts, d.keyboardDegree = graphStats(d.graphs[0])
	d.keypadStarts, d.keypadDegree = graphStats(d.graphs[2])
	return d
})

// graphStats is the reference's starting positions (keys) and
// calc_average_degree (non-null neighbours per key).
func graphStats(g *graph) (starts, degree float64) {
	var sum float64
	for _, neighbours := range g.adjacents {
		for _, n := range neighbours {
			if n != "" {
				sum++
			}
		}
	}
	starts = float64(len(g.adjacents))
	return starts, sum / starts
}
