package zxcvbn

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

// reference is testdata/zxcvbn/reference.json, written by generate.js
// with Dropbox's zxcvbn 4.4.2 (see the README there).
type reference struct {
	Generator struct {
		Zxcvbn                string `json:"zxcvbn"`
		ReferenceYear         int    `json:"reference_year"`
		FrequencyListsSHA256  string `json:"frequency_lists_sha256"`
		AdjacencyGraphsSHA256 string `json:"adjacency_graphs_sha256"`
	} `json:"generator"`
	Rows []struct {
		Note       string   `json:"note"`
		Password   string   `json:"password"`
		UserInputs []string `json:"user_inputs"`
		Score      int      `json:"score"`
		Guesses    float64  `json:"guesses"`
		Sequence   []struct {
			Pattern        string  `json:"pattern"`
			I              int     `json:"i"`
			J              int     `json:"j"`
			Guesses        float64 `json:"guesses"`
			DictionaryName string  `json:"dictionary_name"`
		} `json:"sequence"`
	} `json:"rows"`
}

func loadReference(t *testing.T) reference {
	t.Helper()
	b, err := os.ReadFile("../../../testdata/zxcvbn/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if ref.Generator.Zxcvbn != "4.4.2" || ref.Generator.ReferenceYear == 0 || len(ref.Rows) < 40 {
		t.Fatalf("reference.json is from zxcvbn %q, year %d, with %d rows", ref.Generator.Zxcvbn, ref.Generator.ReferenceYear, len(ref.Rows))
	}
	return ref
}

// sameFloat reports whether a and b agree to a relative 1e-12: V8's
// Math.pow and Go's math.Pow round some powers (10^26, 10^33, ...) to
// neighbouring floats.
func sameFloat(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-12*math.Max(math.Abs(a), math.Abs(b))
}

func TestMatchesTheReference(t *testing.T) {
	ref := loadReference(t)
	for _, row := range ref.Rows {
		t.Run(row.Note, func(t *testing.T) {
			r := Estimate(row.Password, row.UserInputs, ref.Generator.ReferenceYear)
			if r.Score != row.Score || !sameFloat(r.Guesses, row.Guesses) {
				t.Errorf("score %d, %v guesses; the reference: score %d, %v guesses", r.Score, r.Guesses, row.Score, row.Guesses)
			}
			var got, want []string
			for _, m := range r.Sequence {
				got = append(got, describe(m.Pattern, m.I, m.J, m.DictionaryName, m.Guesses))
			}
			for _, m := range row.Sequence {
				want = append(want, describe(m.Pattern, m.I, m.J, m.DictionaryName, m.Guesses))
			}
			if !slices.EqualFunc(r.Sequence, row.Sequence, func(m *Match, w struct {
				Pattern        string  `json:"pattern"`
				I              int     `json:"i"`
				J              int     `json:"j"`
				Guesses        float64 `json:"guesses"`
				DictionaryName string  `json:"dictionary_name"`
			}) bool {
				return m.Pattern == w.Pattern && m.I == w.I && m.J == w.J && m.DictionaryName == w.DictionaryName && sameFloat(m.Guesses, w.Guesses)
			}) {
				t.Errorf("sequence\n  %s\nthe reference's\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

func describe(pattern string, i, j int, dict string, guesses float64) string {
	s, _ := json.Marshal([]any{pattern, i, j, dict, guesses})
	return string(s)
}

func TestWordListsAndGraphsAreTheReferences(t *testing.T) {
	ref := loadReference(t)
	d := defaultData()
	t.Run("the frequency lists, pic's corrected, are the reference's", func(t *testing.T) {
		var b strings.Builder
		for _, dict := range d.dicts {
			words := make([]string, len(dict.words))
			for k, w := range dict.words {
				if rank := dict.ranks[k]; !math.IsNaN(rank) {
					words[int(rank)-1] = w // ASCII words are their own keys
				}
			}
			words = slices.DeleteFunc(words, func(w string) bool { return w == "" })
			b.WriteString(dict.name + "\n")
			for _, w := range words {
				b.WriteString(w + "\n")
			}
		}
		if got := digest(b.String()); got != ref.Generator.FrequencyListsSHA256 {
			t.Errorf("SHA-256 %s, the reference's %s", got, ref.Generator.FrequencyListsSHA256)
		}
	})
	t.Run("the keyboard graphs are the reference's", func(t *testing.T) {
		var b strings.Builder
		for _, g := range d.graphs {
			b.WriteString(g.name + "\n")
			keys := make([]uint16, 0, len(g.adjacents))
			for k := range g.adjacents {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				b.WriteString(string(utf16.Decode([]uint16{k})) + "\t" + strings.Join(g.adjacents[k], "\t") + "\n")
			}
		}
		if got := digest(b.String()); got != ref.Generator.AdjacencyGraphsSHA256 {
			t.Errorf("SHA-256 %s, the reference's %s", got, ref.Generator.AdjacencyGraphsSHA256)
		}
	})
}

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
