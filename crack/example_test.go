package crack_test

import (
	"fmt"
	"math/rand"

	"github.com/unguessable/secrets/crack"
)

// Go's math/rand generator, whatever its seed, is predicted exactly after
// 607 of its outputs.
func ExampleCloneGoRand() {
	r := rand.New(rand.NewSource(2026))
	seen := make([]int64, 607)
	for i := range seen {
		seen[i] = r.Int63()
	}
	g, err := crack.CloneGoRand(seen)
	if err != nil {
		panic(err)
	}
	hits := 0
	for range 100 {
		if g.Int63() == r.Int63() {
			hits++
		}
	}
	fmt.Println("predicted", hits, "of the next 100 outputs")
	// Output: predicted 100 of the next 100 outputs
}
