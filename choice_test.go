package secrets

import (
	"fmt"
	"slices"
	"testing"

	"github.com/unguessable/secrets/internal/chisq"
)

func TestChoiceIsUniform(t *testing.T) {
	items := []string{"a", "b", "c", "d", "e", "f", "g"}
	counts := make([]int64, len(items))
	for range 70000 {
		counts[slices.Index(items, Choice(items))]++
	}
	if r := chisq.Uniform(counts); r.Reject() {
		t.Errorf("Choice is not uniform: %v", r)
	}
}

// permutationIndex numbers the 24 orders of {0, 1, 2, 3} 0..23 (Lehmer code).
func permutationIndex(p []int) int {
	idx := 0
	for i := range p {
		smaller := 0
		for _, q := range p[i+1:] {
			if q < p[i] {
				smaller++
			}
		}
		idx = idx*(len(p)-i) + smaller
	}
	return idx
}

func TestShuffleProducesAllOrdersOfFourEquallyOften(t *testing.T) {
	counts := make([]int64, 24)
	for range 48000 {
		p := []int{0, 1, 2, 3}
		Shuffle(p)
		counts[permutationIndex(p)]++
	}
	for i, c := range counts {
		if c == 0 {
			t.Fatalf("order %d never appeared", i)
		}
	}
	if r := chisq.Uniform(counts); r.Reject() {
		t.Errorf("Shuffle orders are not uniform: %v", r)
	}
}

// The test above must catch the classic mistake: swapping with any position
// (j from [0, n)) instead of [0, i].
func TestShuffleTestDetectsTheNaiveShuffle(t *testing.T) {
	counts := make([]int64, 24)
	for range 48000 {
		p := []int{0, 1, 2, 3}
		for i := range p {
			j := RandBelow(len(p))
			p[i], p[j] = p[j], p[i]
		}
		counts[permutationIndex(p)]++
	}
	if r := chisq.Uniform(counts); !r.Reject() {
		t.Errorf("the naive shuffle was not detected: %v", r)
	}
}

func TestShuffleKeepsTheElements(t *testing.T) {
	s := []int{5, 3, 3, 9, 1}
	Shuffle(s)
	slices.Sort(s)
	if !slices.Equal(s, []int{1, 3, 3, 5, 9}) {
		t.Fatalf("Shuffle changed the multiset: %v", s)
	}
	Shuffle([]int{}) // no panic on empty or single-element slices
	Shuffle([]int{1})
}

func TestSampleTakesDistinctPositionsUniformly(t *testing.T) {
	for _, tt := range []struct{ n, k int }{{10, 2}, {5, 4}, {4, 4}} {
		t.Run(fmt.Sprintf("%d of %d", tt.k, tt.n), func(t *testing.T) {
			s := make([]int, tt.n)
			for i := range s {
				s[i] = i
			}
			// Count ordered pairs (first, second) drawn: all n(n-1) are equally likely.
			counts := make([]int64, tt.n*tt.n)
			const draws = 60000
			for range draws {
				got := Sample(s, tt.k)
				if len(got) != tt.k {
					t.Fatalf("Sample returned %d elements", len(got))
				}
				seen := map[int]bool{}
				for _, v := range got {
					if seen[v] {
						t.Fatalf("Sample repeated position %d: %v", v, got)
					}
					seen[v] = true
				}
				counts[got[0]*tt.n+got[1]]++
			}
			var cells []int64
			for a := range tt.n {
				for b := range tt.n {
					if a != b {
						cells = append(cells, counts[a*tt.n+b])
					} else if counts[a*tt.n+b] != 0 {
						t.Fatalf("pair (%d, %d) drawn", a, b)
					}
				}
			}
			if r := chisq.Uniform(cells); r.Reject() {
				t.Errorf("ordered pairs are not uniform: %v", r)
			}
			if !slices.Equal(s, func() []int {
				c := make([]int, tt.n)
				for i := range c {
					c[i] = i
				}
				return c
			}()) {
				t.Fatal("Sample modified its input")
			}
		})
	}
	if got := Sample([]int{1, 2}, 0); len(got) != 0 {
		t.Fatalf("Sample(s, 0) = %v", got)
	}
}
