package store

import (
	"context"
	"time"
)

// DefaultAuditRetention is how long the audit trail, and the keys it names,
// are kept unless a Sweeper says otherwise: 400 days.
const DefaultAuditRetention = 400 * 24 * time.Hour

// DefaultAnalyticsRetention is how long analytics counters are kept by
// granularity unless a Sweeper says otherwise: minutes 48 hours, hours 90
// days, days 2 years.
var DefaultAnalyticsRetention = map[string]time.Duration{
	Minute: 48 * time.Hour,
	Hour:   90 * 24 * time.Hour,
	Day:    2 * 365 * 24 * time.Hour,
}

// Sweeper deletes expired, used and revoked records once they are older than
// Retention. It deletes in small batches, each its own statement, so it
// never holds a lock long enough to stall a verification; on both backends
// reads of live records do not wait for it at all. Between two full batches
// it rests twice as long as the last one took, so that a sweep of millions
// of rows takes at most a third of one core, and of SQLite's one writer.
type Sweeper struct {
	Store Store
	// Retention is how long finished records are kept; default 24h. Keep
	// it at least as long as the code send window (10 minutes by default):
	// the send throttle counts the codes created within its window, and
	// cannot count those already swept.
	Retention time.Duration
	// AuditRetention is how long audit records are kept, and revoked and
	// expired keys with them, so that a leaked key still answers REVOKED
	// while the trail can say who revoked it; default 400 days, and never
	// less than Retention.
	AuditRetention time.Duration
	Interval       time.Duration // time between sweeps; default 1 minute
	Batch          int           // rows per delete statement; default 500
	Clock          Clock         // default SystemClock
	// AnalyticsRetention is how long the analytics counters of each
	// granularity (Minute, Hour, Day) are kept, if Store is an Analytics;
	// a granularity it leaves out keeps DefaultAnalyticsRetention's. When
	// it ends, minute counters are rolled up into hours and hour counters
	// into days (day counters are deleted), so a granularity is kept at
	// least as long as the finer one.
	AnalyticsRetention map[string]time.Duration
	// OnError, if set, is called with each failed sweep's error; Run goes
	// on and tries again after Interval.
	OnError func(error)
}

// Once runs one sweep now and returns how many records it deleted.
func (s *Sweeper) Once(ctx context.Context) (int64, error) {
	retention, batch, clock := s.Retention, s.Batch, s.Clock
	if retention <= 0 {
		retention = 24 * time.Hour
	}
	if batch <= 0 {
		batch = 500
	}
	if clock == nil {
		clock = SystemClock{}
	}
	audit := s.AuditRetention
	if audit <= 0 {
		audit = DefaultAuditRetention
	}
	audit = max(audit, retention)
	now := clock.Now()
	n, err := s.Store.Sweep(ctx, Cutoffs{Records: now.Add(-retention), Tombstones: now.Add(-audit), Audit: now.Add(-audit)}, batch)
	if err != nil {
		return n, err
	}
	if a, ok := s.Store.(Analytics); ok {
		cutoffs := make(map[string]time.Time, len(Granularities))
		var finer time.Duration
		for _, g := range Granularities {
			keep, ok := s.AnalyticsRetention[g]
			if !ok || keep <= 0 {
				keep = DefaultAnalyticsRetention[g]
			}
			// A granularity keeps its counters at least as long as the
			// finer one that rolls up into it.
			keep = max(keep, finer)
			finer = keep
			cutoffs[g] = now.Add(-keep)
		}
		m, err := a.SweepCounts(ctx, cutoffs, batch)
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Run sweeps every Interval until ctx is done, then returns ctx.Err(). Start
// it in its own goroutine.
func (s *Sweeper) Run(ctx context.Context) error {
	interval := s.Interval
	if interval <= 0 {
		interval = time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Once(ctx); err != nil && ctx.Err() == nil && s.OnError != nil {
			s.OnError(err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
