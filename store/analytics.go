package store

import (
	"context"
	"time"
)

// The granularities of analytics counters: the length of their buckets.
// Minute buckets start on the minute, hour buckets on the hour and day
// buckets at midnight UTC.
const (
	Minute = "minute"
	Hour   = "hour"
	Day    = "day"
)

// Granularities lists the granularities, finest first.
var Granularities = []string{Minute, Hour, Day}

// GranularityMillis is the length of each granularity's buckets in
// milliseconds; buckets start at multiples of it since the Unix epoch (UTC).
var GranularityMillis = map[string]int64{Minute: 60_000, Hour: 3_600_000, Day: 86_400_000}

// The kinds of events that analytics counts.
const (
	KindVerifications = "verifications" // API key verifications
	KindCodes         = "codes"         // code verifications
	KindTokens        = "tokens"        // token redemptions
	KindDeliveries    = "deliveries"    // delivery outcomes
)

// Count is one analytics counter: how many events of Kind, with these
// dimensions, fell in the bucket that starts at Bucket and lasts one
// Granularity. Dimensions that do not apply to a kind are "".
type Count struct {
	Kind        string
	Granularity string
	Bucket      time.Time
	Namespace   string // verifications
	KeyID       string // verifications; "" for a key that was not found
	Owner       string // verifications
	Category    string // the purpose (codes, tokens) or the channel (deliveries)
	Outcome     string
	// Tag is "" for the counter of all the events; a tag ("k=v") for the
	// counter of those among them that carried the tag.
	Tag string
	N   int64
}

// The dimensions a CountFilter can group by.
const (
	GroupOutcome  = "outcome"
	GroupKey      = "key"
	GroupOwner    = "owner"
	GroupTag      = "tag"
	GroupCategory = "category"
)

// CountFilter selects counters for SumCounts: those of Kind and
// Granularity whose bucket starts in [From, To), with the dimensions given
// (a dimension left "" matches any). Without Tag, and unless GroupBy is
// GroupTag, only the counters of all events (Tag "") count; with Tag, only
// those of the events that carried it; grouped by tag, those of every tag.
type CountFilter struct {
	Kind, Granularity                 string
	From, To                          time.Time
	Namespace, KeyID, Owner, Category string
	Tag                               string
	GroupBy                           string // one of the Group constants
}

// CountSum is the sum of the counters of one bucket and one group.
type CountSum struct {
	Bucket time.Time
	Group  string
	N      int64
}

// Analytics keeps the counters of package analytics. Both store backends
// implement it.
type Analytics interface {
	// AddCounts adds each count's N to its stored counter (a counter not
	// yet stored starts at 0), in one transaction: any number of processes
	// may add to one counter at once, and none of their additions is lost.
	// It then moves the last use of each key in used to the later of the
	// stored time and the given one; a key that no longer exists is
	// skipped.
	AddCounts(ctx context.Context, counts []Count, used map[string]time.Time) error
	// SumCounts sums the counters f selects by bucket and group, in order
	// of bucket and group. A sum at a granularity counts the counters of
	// that granularity and of every finer one, each in the bucket of f's
	// granularity that holds its own: the counts are written as minute
	// counters, and SweepCounts rolls them up.
	SumCounts(ctx context.Context, f CountFilter) ([]CountSum, error)
	// SweepCounts rolls up, in batches of at most batch rows, each minute
	// counter whose bucket started before cutoffs[Minute] into its hour
	// counter, and each hour counter before cutoffs[Hour] into its day
	// counter, and deletes the day counters before cutoffs[Day]; a
	// granularity missing from cutoffs is left alone. Each batch moves its
	// counts in one transaction, so every count is in exactly one counter
	// at any time. It returns how many counters it rolled up or deleted.
	SweepCounts(ctx context.Context, cutoffs map[string]time.Time, batch int) (int64, error)
}
