package store

import (
	"regexp"
	"testing"
	"time"
)

func TestNewIDSortsByTimeAndIsUnique(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	shape := regexp.MustCompile(`^key_[0-9a-f]{28}$`)
	seen := map[string]bool{}
	prev := ""
	for i := range 1000 {
		id := NewID("key", t0.Add(time.Duration(i)*time.Millisecond))
		if !shape.MatchString(id) {
			t.Fatalf("id %q has the wrong shape", id)
		}
		if seen[id] || id <= prev {
			t.Fatalf("id %d %q repeats or sorts before %q", i, id, prev)
		}
		seen[id] = true
		prev = id
	}
}
