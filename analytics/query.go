package analytics

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/unguessable/secrets/store"
)

// The kinds of Query.
const (
	KindVerifications = store.KindVerifications
	KindCodes         = store.KindCodes
	KindTokens        = store.KindTokens
	KindDeliveries    = store.KindDeliveries
)

// The granularities of Query.
const (
	Minute = store.Minute
	Hour   = store.Hour
	Day    = store.Day
)

// The groupings of Query.
const (
	GroupOutcome = "outcome"
	GroupKey     = "key"
	GroupOwner   = "owner"
	GroupTag     = "tag"
	GroupPurpose = "purpose"
	GroupChannel = "channel"
)

// groupings lists each kind's groupings, the default first.
var groupings = map[string][]string{
	KindVerifications: {GroupOutcome, GroupKey, GroupOwner, GroupTag},
	KindCodes:         {GroupOutcome, GroupPurpose},
	KindTokens:        {GroupOutcome, GroupPurpose},
	KindDeliveries:    {GroupOutcome, GroupChannel},
}

// Query asks for the counts of one kind of event in time buckets.
type Query struct {
	Kind string // "verifications", "codes", "tokens" or "deliveries"
	// Filters: a field left "" matches any. Namespace, KeyID, Owner and Tag
	// apply to verifications, Purpose to codes and tokens, Channel to
	// deliveries.
	Namespace, KeyID, Owner, Purpose, Channel, Tag string
	// From and To bound the buckets' starts: From is rounded down to the
	// granularity, and the buckets are those that start before To. To
	// defaults to now, From to one hour before To for minutes, a day for
	// hours, 30 days for days.
	From, To time.Time
	// Granularity is "minute", "hour" (the default) or "day".
	Granularity string
	// GroupBy is "outcome" (the default), "key", "owner" or "tag" for
	// verifications, "purpose" for codes and tokens, "channel" for
	// deliveries.
	GroupBy string
}

// Bucket is the counts of one time bucket, keyed by the group value (an
// outcome, key id, owner, tag, purpose or channel). Counts is empty, not
// nil, for a bucket with nothing counted.
type Bucket struct {
	Start  time.Time
	Counts map[string]int64
}

// step is the length of each granularity's buckets.
var step = map[string]time.Duration{Minute: time.Minute, Hour: time.Hour, Day: 24 * time.Hour}

// defaultSpan is the span of a query without From.
var defaultSpan = map[string]time.Duration{Minute: time.Hour, Hour: 24 * time.Hour, Day: 30 * 24 * time.Hour}

// Normalize fills in q's defaults and checks it, returning an error naming
// the field for a query that cannot be answered: an unknown kind,
// granularity or grouping, a filter that does not apply to the kind, From
// after To, or more than MaxBuckets buckets.
func (a *Aggregator) Normalize(q Query) (Query, error) {
	gs, ok := groupings[q.Kind]
	if !ok {
		return q, invalid("kind", "must be one of verifications, codes, tokens, deliveries, not %q", q.Kind)
	}
	if q.Granularity == "" {
		q.Granularity = Hour
	}
	d, ok := step[q.Granularity]
	if !ok {
		return q, invalid("granularity", "must be minute, hour or day, not %q", q.Granularity)
	}
	if q.GroupBy == "" {
		q.GroupBy = GroupOutcome
	}
	if !slices.Contains(gs, q.GroupBy) {
		return q, invalid("group_by", "for %s must be one of %v, not %q", q.Kind, gs, q.GroupBy)
	}
	for _, f := range []struct {
		name, v string
		kinds   []string
	}{
		{"namespace", q.Namespace, []string{KindVerifications}},
		{"key_id", q.KeyID, []string{KindVerifications}},
		{"owner", q.Owner, []string{KindVerifications}},
		{"tag", q.Tag, []string{KindVerifications}},
		{"purpose", q.Purpose, []string{KindCodes, KindTokens}},
		{"channel", q.Channel, []string{KindDeliveries}},
	} {
		if f.v != "" && !slices.Contains(f.kinds, q.Kind) {
			return q, invalid(f.name, "does not apply to %s", q.Kind)
		}
		if len(f.v) > store.MaxNameBytes && f.name != "tag" {
			return q, invalid(f.name, "is longer than %d bytes", store.MaxNameBytes)
		}
	}
	if q.Tag != "" {
		if err := CheckTags([]string{q.Tag}); err != nil {
			return q, invalid("tag", "must be of the form k=v, at most %d bytes", MaxTagBytes)
		}
	}
	if q.To.IsZero() {
		q.To = a.clock.Now()
	}
	if q.From.IsZero() {
		q.From = q.To.Add(-defaultSpan[q.Granularity])
	}
	q.From, q.To = q.From.UTC().Truncate(d), q.To.UTC()
	if q.From.After(q.To) {
		return q, invalid("from", "is after to")
	}
	if n := q.To.Sub(q.From) / d; n > MaxBuckets {
		return q, invalid("from", "spans more than %d %s buckets before to; narrow the range or choose a coarser granularity", MaxBuckets, q.Granularity)
	}
	return q, nil
}

// Query returns the counts q asks for, one Bucket for every bucket from
// q.From up to q.To, as the store holds them after the last flush. A bad
// query is an error naming the field (see Normalize).
func (a *Aggregator) Query(ctx context.Context, q Query) ([]Bucket, error) {
	q, err := a.Normalize(q)
	if err != nil {
		return nil, err
	}
	f := store.CountFilter{Kind: q.Kind, Granularity: q.Granularity, From: q.From, To: q.To,
		Namespace: q.Namespace, KeyID: q.KeyID, Owner: q.Owner, Tag: q.Tag, GroupBy: q.GroupBy}
	switch q.GroupBy {
	case GroupPurpose, GroupChannel:
		f.GroupBy = store.GroupCategory
	}
	switch q.Kind {
	case KindCodes, KindTokens:
		f.Category = q.Purpose
	case KindDeliveries:
		f.Category = q.Channel
	}
	sums, err := a.st.SumCounts(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("analytics: query: %w", err)
	}
	d := step[q.Granularity]
	var out []Bucket
	for t := q.From; t.Before(q.To); t = t.Add(d) {
		out = append(out, Bucket{Start: t, Counts: map[string]int64{}})
	}
	for _, s := range sums {
		i := int(s.Bucket.Sub(q.From) / d)
		if i < 0 || i >= len(out) {
			continue
		}
		out[i].Counts[s.Group] += s.N
	}
	return out, nil
}
