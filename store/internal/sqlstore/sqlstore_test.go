package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/unguessable/secrets/store"
)

func TestMillisRoundTrip(t *testing.T) {
	if millis(time.Time{}) != nil || !fromMillis(nil).IsZero() || !fromMillis(new(int64)).IsZero() {
		t.Fatal("the zero time does not map to NULL and back")
	}
	tm := time.Date(2030, 5, 6, 7, 8, 9, 123_000_000, time.UTC)
	ms := millis(tm).(int64)
	if got := fromMillis(&ms); !got.Equal(tm) {
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
			if got := sooner(tt.x, tt.y); !got.Equal(tt.want) {
				t.Fatalf("sooner = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestInheritCopiesTheLimitsAndTheWindow(t *testing.T) {
	r := int64(7)
	old := store.Key{Namespace: "n", Owner: "o", Name: "x", Meta: []byte(`{}`), Enabled: true, Remaining: &r,
		RateLimit: &store.RateLimit{Limit: 3, Window: time.Minute}, RateCount: 2, RateStart: time.Unix(60, 0),
		ExpiresAt: time.Unix(1e9, 0)}
	nk := inherit(store.Key{ID: "new"}, old)
	if nk.ID != "new" || nk.Owner != "o" || *nk.Remaining != 7 || nk.RateLimit.Limit != 3 || nk.RateCount != 2 || !nk.RateStart.Equal(old.RateStart) || !nk.ExpiresAt.Equal(old.ExpiresAt) {
		t.Fatalf("inherited %+v", nk)
	}
	*nk.Remaining = 1
	nk.RateLimit.Limit = 9
	if *old.Remaining != 7 || old.RateLimit.Limit != 3 {
		t.Fatal("the new key shares the old key's limits")
	}
}

// TestRestBetweenBatches: the sweeper's rest between two batches lasts
// sweepRest times as long as the batch took, and a cancelled context ends it at once.
func TestRestBetweenBatches(t *testing.T) {
	start := time.Now()
	if err := rest(t.Context(), 30*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < sweepRest*30*time.Millisecond {
		t.Fatalf("rested %v after a batch of 30ms, want at least %v", el, sweepRest*30*time.Millisecond)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	start = time.Now()
	if err := rest(ctx, time.Hour); err != context.Canceled {
		t.Fatalf("rest with a cancelled context: %v", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("rest with a cancelled context took %v", el)
	}
}
