// Package analytics counts what the service decides: API key verifications
// by (namespace, key, owner, outcome, minute) and the tags sent with them,
// code verifications and token redemptions by (purpose, outcome, minute),
// and delivery outcomes by (channel, outcome, minute); and it answers
// queries over those counts in minute, hour and day buckets.
//
// Counting never touches the database on the verification's path: an
// [Aggregator] adds to counters in memory and [Aggregator.Flush] writes
// them in one batch, adding to the stored counters (an upsert with an
// increment), so that any number of instances count into the same rows
// and the totals after a flush are exact. [Aggregator.Run] flushes every
// second and once more when it stops, so a clean shutdown loses nothing
// and a crash loses at most the last second of counts. A flush writes
// minute counters only; a query by hour or day sums the minute counters
// into its buckets, and the store's sweeper rolls minutes up into hours
// and hours into days once they are past their retention
// ([store.DefaultAnalyticsRetention]), so that each count is written once
// a flush, not three times.
//
// The flush also records when each key was last verified (the key's
// last_used_at), later only, one batched statement per flush, and each key
// at most once a minute ([LastUsedEvery]): a key verified a thousand times
// a second costs one row write a minute, not sixty, and its last_used_at
// is at most a minute and a flush behind.
//
// Counts hold ids, owners, purposes, channels and tags, never a secret.
package analytics

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/unguessable/secrets/apikey"
	"github.com/unguessable/secrets/internal/argcheck"
	"github.com/unguessable/secrets/store"
)

// Limits of what is counted and queried.
const (
	// MaxTags is the most tags one verification may carry.
	MaxTags = 10
	// MaxTagBytes is the longest tag, "k=v" in all.
	MaxTagBytes = 128
	// MaxBuckets is the most buckets one query may span: 48 hours of
	// minutes, the default retention of minute buckets.
	MaxBuckets = 2880
	// DefaultFlushInterval is how often Run flushes.
	DefaultFlushInterval = time.Second
	// LastUsedEvery is how often one Aggregator writes a key's last use at
	// most; a later use waits, for at most this long, for the next flush
	// after it.
	LastUsedEvery = time.Minute
	// MaxPending is the most counters an Aggregator holds between flushes
	// (about 200 MB at most): while the database is down for long, the
	// events that would need a new counter beyond it are dropped, and
	// counted in Dropped, rather than let memory grow without bound.
	MaxPending = 1 << 20
)

// Outcomes of deliveries, as RecordDelivery counts them.
const (
	DeliverySent    = store.DeliverySent
	DeliveryFailed  = store.DeliveryFailed
	DeliveryExpired = store.DeliveryExpired
)

// ErrInvalid is returned, as a [*store.InvalidError] naming the field, by
// Query for a query that cannot be answered, and by CheckTags for bad tags.
var ErrInvalid = store.ErrInvalid

func invalid(field, format string, args ...any) error {
	return &store.InvalidError{Package: "analytics", Field: field, Reason: fmt.Sprintf(format, args...)}
}

// CheckTags returns an error naming the field "tags" unless tags are at
// most MaxTags distinct strings of the form "k=v" with a non-empty k, each
// at most MaxTagBytes bytes of printable text.
func CheckTags(tags []string) error {
	if len(tags) > MaxTags {
		return invalid("tags", "has %d tags; at most %d", len(tags), MaxTags)
	}
	for i, t := range tags {
		k, _, ok := strings.Cut(t, "=")
		switch {
		case !ok || k == "":
			return invalid("tags", "[%d] is not of the form k=v", i)
		case len(t) > MaxTagBytes:
			return invalid("tags", "[%d] is longer than %d bytes", i, MaxTagBytes)
		case strings.ContainsFunc(t, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\uFFFD' }):
			return invalid("tags", "[%d] holds a control character or invalid UTF-8", i)
		case slices.Contains(tags[:i], t):
			return invalid("tags", "[%d] repeats %q", i, t)
		case holdsAPIKey(t):
			return invalid("tags", "[%d] holds a well-formed API or access key; tags are stored and answered as they are, so they must not carry one", i)
		}
	}
	return nil
}

// holdsAPIKey reports whether t contains a key of package apikey's format,
// such as an API key or an access key (see apikey.Find).
func holdsAPIKey(t string) bool {
	i, _ := apikey.Find(t)
	return i >= 0
}

// Options configure an Aggregator.
type Options struct {
	// Clock tells Query the time when a query leaves To unset; default
	// store.SystemClock.
	Clock store.Clock
	// FlushInterval is how often Run flushes; default DefaultFlushInterval.
	FlushInterval time.Duration
	// OnError, if set, is called with each failed flush's error; the
	// counts are kept and written by the next flush.
	OnError func(error)
}

// counter is the identity of one in-memory minute counter.
type counter struct {
	kind                              string
	minute                            int64 // Unix minutes
	namespace, keyID, owner, category string
	outcome, tag                      string
}

// Aggregator counts events in memory and flushes them to a store. Its
// methods are safe for concurrent use; the Record methods of a nil
// *Aggregator do nothing, so a service without analytics passes nil.
type Aggregator struct {
	st    store.Analytics
	clock store.Clock
	every time.Duration
	onErr func(error)

	mu       sync.Mutex
	counts   map[counter]int64
	lastUsed map[string]time.Time
	dropped  int64 // events not counted for want of room (MaxPending)

	flushMu sync.Mutex // one flush at a time, so retries keep their order
	// written holds, under flushMu, when (by the clock) each key's last
	// use was last written, for keys written within LastUsedEvery; pruned
	// of older entries once every LastUsedEvery, at prunedAt.
	written  map[string]time.Time
	prunedAt time.Time
}

// New returns an Aggregator that flushes to st.
func New(st store.Analytics, opts Options) *Aggregator {
	if opts.Clock == nil {
		opts.Clock = store.SystemClock{}
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	return &Aggregator{st: st, clock: opts.Clock, every: opts.FlushInterval, onErr: opts.OnError,
		counts: map[counter]int64{}, lastUsed: map[string]time.Time{}, written: map[string]time.Time{}}
}

func minuteOf(t time.Time) int64 { return t.Unix() / 60 }

// RecordKey counts one verification of an API key: keyID and owner are ""
// for a key that was not found, outcome is the verification's status
// (VALID, NOT_FOUND, RATE_LIMITED, …). Each of tags (checked by CheckTags;
// a repeated one counts once) counts the verification under that tag too.
// A verification that found its key moves the key's last use to at.
func (a *Aggregator) RecordKey(namespace, keyID, owner, outcome string, tags []string, at time.Time) {
	if a == nil {
		return
	}
	c := counter{kind: store.KindVerifications, minute: minuteOf(at), namespace: namespace, keyID: keyID, owner: owner, outcome: outcome}
	a.mu.Lock()
	if !storable(namespace, keyID, owner, outcome) || !storableTags(tags) {
		a.dropped++
		a.mu.Unlock()
		return
	}
	a.add(c)
	for i, t := range tags {
		if slices.Contains(tags[:i], t) {
			continue
		}
		c.tag = t
		a.add(c)
	}
	if keyID != "" {
		if prev, ok := a.lastUsed[keyID]; !ok || at.After(prev) {
			a.lastUsed[keyID] = at
		}
	}
	a.mu.Unlock()
}

// RecordCode counts one verification of a code of purpose.
func (a *Aggregator) RecordCode(purpose, outcome string, at time.Time) {
	a.record(store.KindCodes, purpose, outcome, at)
}

// RecordToken counts one redemption of a token of purpose.
func (a *Aggregator) RecordToken(purpose, outcome string, at time.Time) {
	a.record(store.KindTokens, purpose, outcome, at)
}

// RecordDelivery counts one delivery that ended as outcome (sent, failed,
// expired) on channel (email, webhook).
func (a *Aggregator) RecordDelivery(channel, outcome string, at time.Time) {
	a.record(store.KindDeliveries, channel, outcome, at)
}

func (a *Aggregator) record(kind, category, outcome string, at time.Time) {
	if a == nil {
		return
	}
	c := counter{kind: kind, minute: minuteOf(at), category: category, outcome: outcome}
	a.mu.Lock()
	if storable(category, outcome) {
		a.add(c)
	} else {
		a.dropped++
	}
	a.mu.Unlock()
}

// storable reports whether every name can be written as it is, by the
// rule for names (argcheck.Name; empty allowed). The callers check their
// input first; this keeps one event that slipped past them from failing
// every later flush, since a failed flush keeps its counts for the next.
func storable(names ...string) bool {
	for _, v := range names {
		if argcheck.Name("analytics", "name", v, false) != nil {
			return false
		}
	}
	return true
}

func storableTags(tags []string) bool {
	for _, t := range tags {
		if len(t) > MaxTagBytes || !storable(t) {
			return false
		}
	}
	return true
}

// add counts one event of c; a.mu is held.
func (a *Aggregator) add(c counter) {
	if n, ok := a.counts[c]; ok || len(a.counts) < MaxPending {
		a.counts[c] = n + 1
		return
	}
	a.dropped++
}

// Dropped returns how many events were not counted: because MaxPending
// counters were waiting for a flush, or because a name or tag could not
// be stored (not UTF-8, a NUL, too long).
func (a *Aggregator) Dropped() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.dropped
}

// Pending returns how many counters wait for the next flush.
func (a *Aggregator) Pending() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.counts)
}

// Flush writes the counts recorded since the last flush to the store,
// adding each to its minute counter, and the keys' last
// uses, but for keys whose last use this Aggregator wrote within
// LastUsedEvery: theirs wait for a later flush. If the store fails, what it did not take is kept for the next
// flush, and the error returned.
func (a *Aggregator) Flush(ctx context.Context) error {
	return a.flush(ctx, false)
}

// flush is Flush; with all, it writes every key's last use, including
// those written within LastUsedEvery (the last flush, at shutdown).
func (a *Aggregator) flush(ctx context.Context, all bool) error {
	a.flushMu.Lock()
	defer a.flushMu.Unlock()
	a.mu.Lock()
	counts, used := a.counts, a.lastUsed
	if len(counts) == 0 && len(used) == 0 {
		a.mu.Unlock()
		return nil
	}
	a.counts, a.lastUsed = make(map[counter]int64, len(counts)), make(map[string]time.Time, len(used))
	a.mu.Unlock()

	rows := minuteCounts(counts)
	if len(rows) > 0 {
		if err := a.st.AddCounts(ctx, rows, nil); err != nil {
			a.restore(counts, used)
			return fmt.Errorf("analytics: flush: %w", err)
		}
	}
	// The last uses of keys written within LastUsedEvery wait for a later
	// flush.
	now := a.clock.Now()
	due := make(map[string]time.Time, len(used))
	var wait map[string]time.Time
	for id, t := range used {
		if w, ok := a.written[id]; ok && !all && now.Sub(w) < LastUsedEvery && !now.Before(w) {
			if wait == nil {
				wait = map[string]time.Time{}
			}
			wait[id] = t
			continue
		}
		due[id] = t
	}
	if len(due) > 0 {
		if err := a.st.AddCounts(ctx, nil, due); err != nil {
			a.restore(nil, used)
			return fmt.Errorf("analytics: flush: %w", err)
		}
		for id := range due {
			a.written[id] = now
		}
	}
	if len(wait) > 0 {
		a.restore(nil, wait)
	}
	if now.Sub(a.prunedAt) >= LastUsedEvery || now.Before(a.prunedAt) {
		for id, w := range a.written {
			if now.Sub(w) >= LastUsedEvery || now.Before(w) {
				delete(a.written, id)
			}
		}
		a.prunedAt = now
	}
	return nil
}

// restore puts back counts and last uses that a flush could not write.
func (a *Aggregator) restore(counts map[counter]int64, used map[string]time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for c, n := range counts {
		a.counts[c] += n
	}
	for id, t := range used {
		if prev, ok := a.lastUsed[id]; !ok || t.After(prev) {
			a.lastUsed[id] = t
		}
	}
}

// minuteCounts turns the in-memory counters into the store's minute
// counters; the store's sweeper rolls them up into hours and days.
func minuteCounts(counts map[counter]int64) []store.Count {
	out := make([]store.Count, 0, len(counts))
	for c, n := range counts {
		out = append(out, store.Count{Kind: c.kind, Granularity: store.Minute, Bucket: time.Unix(c.minute*60, 0).UTC(),
			Namespace: c.namespace, KeyID: c.keyID, Owner: c.owner, Category: c.category,
			Outcome: c.outcome, Tag: c.tag, N: n})
	}
	return out
}

// Run flushes every FlushInterval until ctx is done, then flushes once
// more, every key's last use included (with a context of its own, for at
// most 10 seconds), and returns
// the last flush's error. Start it in its own goroutine.
func (a *Aggregator) Run(ctx context.Context) error {
	t := time.NewTicker(a.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			err := a.flush(fctx, true)
			if err != nil && a.onErr != nil {
				a.onErr(err)
			}
			return err
		case <-t.C:
			if err := a.Flush(ctx); err != nil && a.onErr != nil && !errors.Is(err, context.Canceled) {
				a.onErr(err)
			}
		}
	}
}
