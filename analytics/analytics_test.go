package analytics_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/unguessable/secrets/analytics"
	"github.com/unguessable/secrets/apikey"
	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/store"
)

// t0 is a whole minute, 10:00 on a day, so buckets are easy to name.
var t0 = time.Date(2030, 1, 2, 10, 0, 0, 0, time.UTC)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

func open(t *testing.T, b backendtest.Backend) (store.Store, func() store.Store) {
	t.Helper()
	db := b.NewDB(t)
	return db.Open(t), func() store.Store { return db.Open(t) }
}

func newAgg(st store.Store) *analytics.Aggregator {
	return analytics.New(st.(store.Analytics), analytics.Options{Clock: fixedClock{t0.Add(3 * 24 * time.Hour)}})
}

func TestCountsAreExactAcrossInstancesAndFlushes(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		st, another := open(t, b)
		aggs := []*analytics.Aggregator{newAgg(st), newAgg(another())}
		ctx := context.Background()
		outcomes := []string{"VALID", "NOT_FOUND", "RATE_LIMITED", "VALID"}
		const perWorker = 500
		want := map[string]int64{}
		for _, o := range outcomes {
			want[o] += 2 * 4 * perWorker / int64(len(outcomes))
		}
		var wg sync.WaitGroup
		for i, a := range aggs {
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for n := range perWorker {
						at := t0.Add(time.Duration(n%120) * time.Minute) // two hours of minutes
						a.RecordKey("default", fmt.Sprintf("key_%d", w%2), "acme", outcomes[n%len(outcomes)], []string{"plan=pro", "plan=pro"}, at)
						if n%50 == 0 {
							// Flushes run while others record, on both instances.
							if err := a.Flush(ctx); err != nil {
								t.Errorf("instance %d: flush: %v", i, err)
							}
						}
					}
				}()
			}
		}
		wg.Wait()
		for i, a := range aggs {
			if err := a.Flush(ctx); err != nil {
				t.Fatalf("instance %d: flush: %v", i, err)
			}
			if n := a.Pending(); n != 0 {
				t.Fatalf("instance %d: %d counters pending after a flush", i, n)
			}
		}
		for _, g := range []string{analytics.Minute, analytics.Hour, analytics.Day} {
			buckets, err := aggs[0].Query(ctx, analytics.Query{Kind: analytics.KindVerifications, Granularity: g,
				From: t0.Add(-time.Hour), To: t0.Add(3 * time.Hour)})
			if err != nil {
				t.Fatalf("%s: %v", g, err)
			}
			got := map[string]int64{}
			for _, bk := range buckets {
				for o, n := range bk.Counts {
					got[o] += n
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s buckets: totals %v, want %v", g, got, want)
			}
		}
		// The hour buckets hold what their minutes hold.
		hours, err := aggs[1].Query(ctx, analytics.Query{Kind: analytics.KindVerifications, Granularity: analytics.Hour,
			From: t0, To: t0.Add(2 * time.Hour), GroupBy: analytics.GroupKey})
		if err != nil {
			t.Fatal(err)
		}
		var wantHour [2]int64 // per key: 2 instances x 2 workers
		for n := range perWorker {
			wantHour[(n%120)/60] += 4
		}
		if len(hours) != 2 || !hours[0].Start.Equal(t0) {
			t.Fatalf("hours by key: %+v, want 2 buckets from %v", hours, t0)
		}
		for h := range 2 {
			if hours[h].Counts["key_0"] != wantHour[h] || hours[h].Counts["key_1"] != wantHour[h] || len(hours[h].Counts) != 2 {
				t.Errorf("hour %d by key: %v, want %d for each key", h, hours[h].Counts, wantHour[h])
			}
		}
		// A repeated tag counts once; a tag filter counts the tagged ones.
		tags, err := aggs[0].Query(ctx, analytics.Query{Kind: analytics.KindVerifications, Granularity: analytics.Day,
			From: t0, To: t0.Add(time.Hour), GroupBy: analytics.GroupTag})
		if err != nil {
			t.Fatal(err)
		}
		if len(tags) != 1 || len(tags[0].Counts) != 1 || tags[0].Counts["plan=pro"] != 4000 {
			t.Errorf("day by tag: %+v, want plan=pro: 4000", tags)
		}
	})
}

func TestOtherKindsAndFilters(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		st, _ := open(t, b)
		a := newAgg(st)
		ctx := context.Background()
		a.RecordCode("login", "APPROVED", t0)
		a.RecordCode("login", "INCORRECT", t0)
		a.RecordCode("reset", "INCORRECT", t0.Add(time.Minute))
		a.RecordToken("reset", "REDEEMED", t0)
		a.RecordDelivery("email", analytics.DeliverySent, t0)
		a.RecordDelivery("webhook", analytics.DeliveryFailed, t0)
		a.RecordDelivery("webhook", analytics.DeliverySent, t0.Add(25*time.Hour))
		if err := a.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			q    analytics.Query
			want string
		}{
			{"codes by outcome", analytics.Query{Kind: analytics.KindCodes}, "map[APPROVED:1 INCORRECT:2]"},
			{"codes of one purpose", analytics.Query{Kind: analytics.KindCodes, Purpose: "reset"}, "map[INCORRECT:1]"},
			{"codes by purpose", analytics.Query{Kind: analytics.KindCodes, GroupBy: analytics.GroupPurpose}, "map[login:2 reset:1]"},
			{"tokens", analytics.Query{Kind: analytics.KindTokens}, "map[REDEEMED:1]"},
			{"deliveries by channel", analytics.Query{Kind: analytics.KindDeliveries, GroupBy: analytics.GroupChannel}, "map[email:1 webhook:2]"},
			{"deliveries of one channel", analytics.Query{Kind: analytics.KindDeliveries, Channel: "webhook"}, "map[failed:1 sent:1]"},
		} {
			c.q.Granularity, c.q.From, c.q.To = analytics.Day, t0.Add(-24*time.Hour), t0.Add(48*time.Hour)
			buckets, err := a.Query(ctx, c.q)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			got := map[string]int64{}
			for _, bk := range buckets {
				for g, n := range bk.Counts {
					got[g] += n
				}
			}
			if fmt.Sprint(got) != c.want {
				t.Errorf("%s: %v, want %s", c.name, got, c.want)
			}
		}
	})
}

func TestBadQueriesNameTheField(t *testing.T) {
	a := analytics.New(nil, analytics.Options{Clock: fixedClock{t0}})
	for _, c := range []struct {
		q     analytics.Query
		field string
	}{
		{analytics.Query{Kind: "keys"}, "kind"},
		{analytics.Query{Kind: analytics.KindVerifications, Granularity: "week"}, "granularity"},
		{analytics.Query{Kind: analytics.KindVerifications, GroupBy: "purpose"}, "group_by"},
		{analytics.Query{Kind: analytics.KindCodes, GroupBy: "key"}, "group_by"},
		{analytics.Query{Kind: analytics.KindCodes, Channel: "email"}, "channel"},
		{analytics.Query{Kind: analytics.KindVerifications, Tag: "novalue"}, "tag"},
		{analytics.Query{Kind: analytics.KindVerifications, From: t0, To: t0.Add(-time.Minute)}, "from"},
		{analytics.Query{Kind: analytics.KindVerifications, Granularity: analytics.Minute, From: t0.Add(-49 * time.Hour), To: t0}, "from"},
	} {
		_, err := a.Query(context.Background(), c.q)
		var ie *store.InvalidError
		if !errors.As(err, &ie) || ie.Field != c.field || !errors.Is(err, analytics.ErrInvalid) {
			t.Errorf("%+v: error %v, want one naming %s", c.q, err, c.field)
		}
	}
}

func TestCheckTags(t *testing.T) {
	for _, c := range []struct {
		tags []string
		ok   bool
	}{
		{nil, true},
		{[]string{"plan=pro", "region=eu", "empty="}, true},
		{[]string{"plan"}, false},
		{[]string{"=pro"}, false},
		{[]string{"a=1", "a=1"}, false},
		{[]string{"a=\x01"}, false},
		{[]string{"a=" + string(make([]byte, 200))}, false},
		{[]string{"1=", "2=", "3=", "4=", "5=", "6=", "7=", "8=", "9=", "10=", "11="}, false},
	} {
		if err := analytics.CheckTags(c.tags); (err == nil) != c.ok {
			t.Errorf("CheckTags(%q) = %v, want ok %v", c.tags, err, c.ok)
		}
	}
}

func TestSweepKeepsEachGranularityForItsRetention(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		st, _ := open(t, b)
		a := newAgg(st)
		ctx := context.Background()
		a.RecordCode("login", "APPROVED", t0)
		if err := a.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		count := func(g string) int64 {
			bs, err := a.Query(ctx, analytics.Query{Kind: analytics.KindCodes, Granularity: g, From: t0.Add(-time.Hour), To: t0.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			var n int64
			for _, bk := range bs {
				n += bk.Counts["APPROVED"]
			}
			return n
		}
		sw := &store.Sweeper{Store: st, Batch: 1, AnalyticsRetention: map[string]time.Duration{store.Minute: time.Hour, store.Hour: 2 * time.Hour}}
		for _, c := range []struct {
			at                time.Duration
			minute, hour, day int64
		}{
			{59 * time.Minute, 1, 1, 1},
			{61 * time.Minute, 0, 1, 1},
			{3 * time.Hour, 0, 0, 1},
		} {
			sw.Clock = fixedClock{t0.Add(c.at)}
			if _, err := sw.Once(ctx); err != nil {
				t.Fatal(err)
			}
			if m, h, d := count(store.Minute), count(store.Hour), count(store.Day); m != c.minute || h != c.hour || d != c.day {
				t.Errorf("after a sweep at +%v: minute %d, hour %d, day %d; want %d %d %d", c.at, m, h, d, c.minute, c.hour, c.day)
			}
		}
	})
}

// insertKey stores a plain key made at t0.
func insertKey(t *testing.T, st store.Store) store.Key {
	t.Helper()
	k := store.Key{ID: store.NewID("key", t0), Hash: make([]byte, 32), Prefix: "sk_", Start: "sk_…", Namespace: "default",
		Enabled: true, CreatedAt: t0, UpdatedAt: t0}
	if err := st.InsertKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	return k
}

// clockAt is a clock that a test moves, set to at.
func clockAt(at time.Time) *backendtest.Clock {
	c := backendtest.NewClock()
	c.Advance(at.Sub(c.Now()))
	return c
}

func TestLastUseOnlyMovesForward(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		st, _ := open(t, b)
		ctx := context.Background()
		k := insertKey(t, st)
		clock := clockAt(t0)
		a := analytics.New(st.(store.Analytics), analytics.Options{Clock: clock})
		for _, c := range []struct {
			at, want time.Time
		}{
			{t0.Add(2 * time.Minute), t0.Add(2 * time.Minute)},
			{t0.Add(time.Minute), t0.Add(2 * time.Minute)}, // an instance whose flush comes late
			{t0.Add(3 * time.Minute), t0.Add(3 * time.Minute)},
		} {
			clock.Advance(analytics.LastUsedEvery) // each flush a minute after the last
			a.RecordKey("default", k.ID, "", "VALID", nil, c.at)
			a.RecordKey("default", "key_gone", "", "VALID", nil, c.at) // a key deleted since: skipped
			if err := a.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			got, err := st.KeyByID(ctx, k.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.LastUsedAt.Equal(c.want) {
				t.Errorf("after a use at %v: last used %v, want %v", c.at, got.LastUsedAt, c.want)
			}
		}
	})
}

// TestLastUseIsWrittenOnceAMinute: a key verified again within
// LastUsedEvery of the write of its last use waits for the first flush a
// minute after that write, and the last flush of Run writes it at once.
func TestLastUseIsWrittenOnceAMinute(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		st, _ := open(t, b)
		ctx := context.Background()
		k := insertKey(t, st)
		lastUsed := func() time.Time {
			t.Helper()
			got, err := st.KeyByID(ctx, k.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got.LastUsedAt
		}
		clock := clockAt(t0)
		a := analytics.New(st.(store.Analytics), analytics.Options{Clock: clock})
		use := func(at time.Time) {
			t.Helper()
			a.RecordKey("default", k.ID, "", "VALID", nil, at)
			if err := a.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
		use(t0)
		if got := lastUsed(); !got.Equal(t0) {
			t.Fatalf("after the first use and flush: last used %v, want %v", got, t0)
		}
		clock.Advance(30 * time.Second)
		use(t0.Add(30 * time.Second))
		if got := lastUsed(); !got.Equal(t0) {
			t.Fatalf("a use 30s after the last write was written at once: last used %v, want %v until a minute has passed", got, t0)
		}
		clock.Advance(30 * time.Second)
		if err := a.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got, want := lastUsed(), t0.Add(30*time.Second); !got.Equal(want) {
			t.Fatalf("a minute after the last write: last used %v, want %v", got, want)
		}
		// Within the minute again; then Run stops, and its last flush
		// writes the use that waits.
		clock.Advance(10 * time.Second)
		a.RecordKey("default", k.ID, "", "VALID", nil, t0.Add(70*time.Second))
		rctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := a.Run(rctx); err != nil {
			t.Fatal(err)
		}
		if got, want := lastUsed(), t0.Add(70*time.Second); !got.Equal(want) {
			t.Fatalf("after Run's last flush: last used %v, want %v", got, want)
		}
	})
}

// failing fails its first AddCounts, as a database that is down would.
type failing struct {
	store.Analytics
	failed bool
}

func (f *failing) AddCounts(ctx context.Context, counts []store.Count, used map[string]time.Time) error {
	if !f.failed {
		f.failed = true
		return errors.New("the database is down")
	}
	return f.Analytics.AddCounts(ctx, counts, used)
}

func TestAFailedFlushKeepsItsCountsForTheNext(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		st, _ := open(t, b)
		a := analytics.New(&failing{Analytics: st.(store.Analytics)}, analytics.Options{Clock: fixedClock{t0}})
		ctx := context.Background()
		a.RecordToken("reset", "VALID", t0)
		if err := a.Flush(ctx); err == nil {
			t.Fatal("a flush to a failing store succeeded")
		}
		a.RecordToken("reset", "VALID", t0)
		a.RecordToken("reset", "USED", t0)
		if err := a.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		bs, err := a.Query(ctx, analytics.Query{Kind: analytics.KindTokens, From: t0, To: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if len(bs) != 1 || fmt.Sprint(bs[0].Counts) != "map[USED:1 VALID:2]" || a.Dropped() != 0 {
			t.Errorf("after a failed and a good flush: %+v (dropped %d), want VALID 2, USED 1", bs, a.Dropped())
		}
	})
}

// A tag that holds a well-formed key of any prefix (an API key of this
// service or another, an access key) is refused, wherever it sits in the
// tag; text that merely looks alike is not.
func TestCheckTagsRefusesKeys(t *testing.T) {
	sk, sak := apikey.New("sk_live_"), apikey.New("sak_")
	body := sk[len("sk_live_"):]
	for i, c := range []struct {
		tag string
		ok  bool
	}{
		{"key=" + sk, false},
		{sk + "=1", false},
		{"auth=Bearer " + sak, false},
		{"x=my_" + sk + "-suffix", false}, // the prefix "sk_live_" after "my_"
		{`{"key":"` + sak + `"}`, false},
		{"x=" + body, true}, // the body alone carries no prefix to check it against
		{"x=sk_live_" + body[:len(body)-1] + flip(body[len(body)-1]), true}, // a wrong checksum
		{"x=sk_" + strings.Repeat("A", 49), true},
		{"route=/v1/keys_verify", true},
	} {
		if err := analytics.CheckTags([]string{c.tag}); (err == nil) != c.ok {
			t.Errorf("case %d (%s): CheckTags = %v, want ok %v", i, apikey.Redact(c.tag), err, c.ok)
		} else if err != nil && strings.Contains(err.Error(), body[:20]) {
			t.Errorf("the error repeats the key: %v", err)
		}
	}
}

// flip returns a base62 digit other than c.
func flip(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

// BenchmarkCheckTags checks ten tags on the verification's path: ordinary
// ones, ones full of '_' (each a place a key's body could start), and ones
// with a key-like run that is no key.
func BenchmarkCheckTags(b *testing.B) {
	for _, c := range []struct{ name, tag string }{
		{"plain", "route=/v1/search"},
		{"underscores", "x=" + strings.Repeat("_a", 55)},
		{"keylike", "x=" + strings.Repeat("a", 30) + "_" + strings.Repeat("b", 49) + "_" + strings.Repeat("c", 30)},
	} {
		var tags []string
		for i := range analytics.MaxTags {
			tags = append(tags, c.tag+strings.Repeat("z", i))
		}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if err := analytics.CheckTags(tags); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestTheRollupMigrationLeavesEachCountInOneCounter: a database whose
// flushes wrote every count to its minute, hour and day counter (before
// migration 009), some of whose minutes and hours were already swept,
// answers the same sums at every granularity after the migration as it
// did before it.
func TestTheRollupMigrationLeavesEachCountInOneCounter(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		db := b.NewDB(t)
		st := db.Open(t)
		ctx := context.Background()
		driver := "sqlite"
		if strings.HasPrefix(db.DSN, "postgres") {
			driver = "pgx"
		}
		raw, err := sql.Open(driver, db.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		ph := func(q string) string {
			if driver == "sqlite" {
				return q
			}
			for i := 1; strings.Contains(q, "?"); i++ {
				q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
			}
			return q
		}
		// The old flush's rows: VALID verifications of one key at three
		// minutes of hour h1 (one of them swept since), at one minute of
		// hour h2, and in an hour h0 of the day before whose minutes and
		// hour were swept (only its day counter is left), plus one in
		// another key, tagged, to show dimensions are kept apart.
		day := t0.Truncate(24 * time.Hour)
		h1, h2 := day.Add(5*time.Hour), day.Add(6*time.Hour)
		type row struct {
			g      string
			bucket time.Time
			key    string
			tag    string
			n      int64
		}
		rows := []row{
			{"minute", h1.Add(10 * time.Minute), "key_a", "", 2},
			{"minute", h1.Add(20 * time.Minute), "key_a", "", 3},
			// h1+0m, 4 counts, was swept: only in its hour and day.
			{"hour", h1, "key_a", "", 9},
			{"minute", h2.Add(time.Minute), "key_a", "", 1},
			{"hour", h2, "key_a", "", 1},
			{"day", day, "key_a", "", 10},
			{"day", day.Add(-24 * time.Hour), "key_a", "", 7},
			{"minute", h2.Add(time.Minute), "key_b", "plan=pro", 5},
			{"hour", h2, "key_b", "plan=pro", 5},
			{"day", day, "key_b", "plan=pro", 5},
		}
		for _, r := range rows {
			if _, err := raw.ExecContext(ctx, ph(`INSERT INTO analytics_counts (granularity, kind, bucket, namespace, key_id, owner, category, outcome, tag, n)
				VALUES (?, 'verifications', ?, 'default', ?, '', '', 'VALID', ?, ?)`), r.g, r.bucket.UnixMilli(), r.key, r.tag, r.n); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := raw.ExecContext(ctx, "DELETE FROM schema_migrations WHERE version = 9"); err != nil {
			t.Fatal(err)
		}
		if s, ok := st.(interface{ Close() error }); ok {
			s.Close()
		}
		raw.Close()
		st = db.Open(t) // migrates to 009 again
		a := newAgg(st)
		sum := func(g, key, tag string, from, to time.Time) map[time.Time]int64 {
			t.Helper()
			bs, err := a.Query(ctx, analytics.Query{Kind: analytics.KindVerifications, Granularity: g, KeyID: key, Tag: tag, From: from, To: to})
			if err != nil {
				t.Fatal(err)
			}
			m := map[time.Time]int64{}
			for _, bk := range bs {
				if n := bk.Counts["VALID"]; n != 0 {
					m[bk.Start] = n
				}
			}
			return m
		}
		for _, c := range []struct {
			g, key, tag string
			from, to    time.Time
			want        map[time.Time]int64
		}{
			{"day", "key_a", "", day.Add(-24 * time.Hour), day.Add(24 * time.Hour), map[time.Time]int64{day.Add(-24 * time.Hour): 7, day: 10}},
			{"hour", "key_a", "", day, day.Add(24 * time.Hour), map[time.Time]int64{h1: 9, h2: 1}},
			{"minute", "key_a", "", h1, h1.Add(2 * time.Hour), map[time.Time]int64{h1.Add(10 * time.Minute): 2, h1.Add(20 * time.Minute): 3, h2.Add(time.Minute): 1}},
			{"day", "key_b", "plan=pro", day, day.Add(24 * time.Hour), map[time.Time]int64{day: 5}},
			{"hour", "key_b", "plan=pro", day, day.Add(24 * time.Hour), map[time.Time]int64{h2: 5}},
		} {
			if got := sum(c.g, c.key, c.tag, c.from, c.to); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%s sums of %s %s after the migration: %v, want %v", c.g, c.key, c.tag, got, c.want)
			}
		}
	})
}

// TestRollupsDuringFlushesLoseNoCount: two instances flush counts into
// minutes that the sweeper is rolling up into hours, and hours into days,
// at the same time; the day total is every count, once.
func TestRollupsDuringFlushesLoseNoCount(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		st, _ := open(t, b)
		ctx := context.Background()
		aggs := []*analytics.Aggregator{newAgg(st), newAgg(st)}
		// Minutes before t0+1h roll up into hours; hours before t0+30m
		// (the hour of t0) into days.
		sw := &store.Sweeper{Store: st, Batch: 3, Clock: fixedClock{t0.Add(2 * time.Hour)},
			AnalyticsRetention: map[string]time.Duration{store.Minute: time.Hour, store.Hour: 90 * time.Minute}}
		const perWorker, workers = 300, 4
		var wg sync.WaitGroup
		done := make(chan struct{})
		errs := make(chan error, workers+1)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := aggs[w%len(aggs)]
				for i := range perWorker {
					a.RecordCode("login", "APPROVED", t0.Add(time.Duration((i*7+w)%120)*time.Minute))
					if i%10 == 9 {
						if err := a.Flush(ctx); err != nil {
							errs <- err
							return
						}
					}
				}
			}()
		}
		var sweeps sync.WaitGroup
		sweeps.Add(1)
		go func() {
			defer sweeps.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := sw.Once(ctx); err != nil {
					errs <- err
					return
				}
			}
		}()
		wg.Wait()
		close(done)
		sweeps.Wait()
		for _, a := range aggs {
			if err := a.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := sw.Once(ctx); err != nil {
			t.Fatal(err)
		}
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		bs, err := aggs[0].Query(ctx, analytics.Query{Kind: analytics.KindCodes, Granularity: store.Day, From: t0.Truncate(24 * time.Hour), To: t0.Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, bk := range bs {
			n += bk.Counts["APPROVED"]
		}
		if n != perWorker*workers {
			t.Fatalf("the day counts %d after rollups during flushes, want %d", n, perWorker*workers)
		}
		// The minutes of the first hour are rolled up, and that hour (before
		// its cutoff) into its day: neither answers for it any more.
		for _, g := range []string{store.Minute, store.Hour} {
			bs, err := aggs[0].Query(ctx, analytics.Query{Kind: analytics.KindCodes, Granularity: g, From: t0, To: t0.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			for _, bk := range bs {
				if bk.Counts["APPROVED"] != 0 {
					t.Fatalf("after the last sweep, the %s at %v still counts %d", g, bk.Start, bk.Counts["APPROVED"])
				}
			}
		}
	})
}

// An event whose names the store cannot keep (a NUL, invalid UTF-8, too
// long) is dropped when it is recorded. Once counted, it failed every
// later flush on PostgreSQL, which keeps a failed flush's counts for the
// next, and so stopped every count after it.
func TestUnstorableNamesAreDroppedNotFlushed(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		st, _ := open(t, b)
		a := newAgg(st)
		ctx := context.Background()
		long := strings.Repeat("n", store.MaxNameBytes+1)
		a.RecordKey("evil\x00", "", "", "NOT_FOUND", nil, t0)
		a.RecordKey(long, "", "", "NOT_FOUND", nil, t0)
		a.RecordKey("default", "key_1", "own\xff", "VALID", nil, t0)
		a.RecordKey("default", "key_1", "acme", "VALID", []string{"ok=1", "bad=\x00"}, t0)
		a.RecordToken("reset\x00", "NOT_FOUND", t0)
		a.RecordCode(long, "NOT_FOUND", t0)
		a.RecordKey("default", "key_1", "acme", "VALID", []string{"ok=1"}, t0)
		a.RecordToken("reset", "VALID", t0)
		if err := a.Flush(ctx); err != nil {
			t.Fatalf("flush: %v", err)
		}
		if a.Dropped() != 6 {
			t.Errorf("dropped %d events, want the 6 with unstorable names", a.Dropped())
		}
		for _, c := range []struct {
			q    analytics.Query
			want string
		}{
			{analytics.Query{Kind: analytics.KindVerifications, GroupBy: analytics.GroupTag}, "map[ok=1:1]"},
			{analytics.Query{Kind: analytics.KindVerifications}, "map[VALID:1]"},
			{analytics.Query{Kind: analytics.KindTokens}, "map[VALID:1]"},
			{analytics.Query{Kind: analytics.KindCodes}, "map[]"},
		} {
			c.q.Granularity, c.q.From, c.q.To = analytics.Day, t0.Add(-24*time.Hour), t0.Add(48*time.Hour)
			buckets, err := a.Query(ctx, c.q)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for _, bk := range buckets {
				for g, n := range bk.Counts {
					got[g] += n
				}
			}
			if fmt.Sprint(got) != c.want {
				t.Errorf("%s by %s: %v, want %s", c.q.Kind, c.q.GroupBy, got, c.want)
			}
		}
	})
}
