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

func TestMillisRoundTrip(t *testing.T) {
	if Millis(time.Time{}) != 0 || !FromMillis(0).IsZero() {
		t.Fatal("the zero time does not map to 0 and back")
	}
	tm := time.Date(2030, 5, 6, 7, 8, 9, 123_000_000, time.UTC)
	if got := FromMillis(Millis(tm)); !got.Equal(tm) {
		t.Fatalf("round trip gave %v", got)
	}
}

func TestSooner(t *testing.T) {
	a := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	b := a.Add(time.Hour)
	var never time.Time
	for _, tt := range []struct {
		name       string
		x, y, want time.Time
	}{
		{"never and a time give the time", never, b, b},
		{"a time and never give the time", a, never, a},
		{"never and never give never", never, never, never},
		{"two times give the earlier", b, a, a},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sooner(tt.x, tt.y); !got.Equal(tt.want) {
				t.Fatalf("Sooner = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestInheritCopiesTheLimitsNotTheWindow(t *testing.T) {
	r := int64(7)
	old := Key{Namespace: "n", Owner: "o", Name: "x", Meta: []byte(`{}`), Enabled: true, Remaining: &r,
		RateLimit: &RateLimit{Limit: 3, Window: time.Minute}, RateCount: 2, RateStart: time.Unix(60, 0),
		ExpiresAt: time.Unix(1e9, 0)}
	nk := Inherit(Key{ID: "new"}, old)
	if nk.ID != "new" || nk.Owner != "o" || *nk.Remaining != 7 || nk.RateLimit.Limit != 3 || nk.RateCount != 0 || !nk.ExpiresAt.Equal(old.ExpiresAt) {
		t.Fatalf("inherited %+v", nk)
	}
	*nk.Remaining = 1
	nk.RateLimit.Limit = 9
	if *old.Remaining != 7 || old.RateLimit.Limit != 3 {
		t.Fatal("the new key shares the old key's limits")
	}
}
