package secrets

import "fmt"

// Choice returns a uniformly chosen element of s: log2(len(s)) bits of
// entropy. It panics if s is empty.
func Choice[T any](s []T) T {
	if len(s) == 0 {
		panic("secrets: Choice argument is an empty slice")
	}
	return s[RandBelow(len(s))]
}

// Shuffle puts the elements of s in a uniformly random order, each of the
// len(s)! orders equally likely, with the Fisher-Yates shuffle and unbiased
// indices from [RandBelow].
func Shuffle[T any](s []T) {
	for i := len(s) - 1; i > 0; i-- {
		j := RandBelow(i + 1)
		s[i], s[j] = s[j], s[i]
	}
}

// Sample returns k elements of s from k distinct, uniformly chosen positions,
// in random order, leaving s unchanged, like Python's random.sample. Every
// ordered selection of k positions is equally likely. Equal elements at
// different positions may both be chosen. Sample panics if k is negative or
// greater than len(s).
func Sample[T any](s []T, k int) []T {
	if k < 0 || k > len(s) {
		panic(fmt.Sprintf("secrets: Sample size %d is outside [0, %d]", k, len(s)))
	}
	out := make([]T, k)
	if k == 0 {
		return out
	}
	if 4*k <= len(s) {
		// Few positions out of many: draw positions, rejecting repeats; each
		// accepted draw is uniform over the positions not yet taken.
		taken := make(map[int]struct{}, k)
		for i := range out {
			for {
				j := RandBelow(len(s))
				if _, dup := taken[j]; !dup {
					taken[j] = struct{}{}
					out[i] = s[j]
					break
				}
			}
		}
		return out
	}
	// Otherwise a partial Fisher-Yates shuffle of the positions.
	pos := make([]int, len(s))
	for i := range pos {
		pos[i] = i
	}
	for i := range k {
		j := i + RandBelow(len(pos)-i)
		pos[i], pos[j] = pos[j], pos[i]
		out[i] = s[pos[i]]
	}
	return out
}
