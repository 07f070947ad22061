package cli

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/unguessable/secrets/server"
	"github.com/unguessable/secrets/store"
)

// analyticsConfig is the usage analytics of `secrets serve`.
type analyticsConfig struct {
	on                   bool
	minutes, hours, days time.Duration
}

func (a *analyticsConfig) flags(f *pflag.FlagSet) {
	f.BoolVar(&a.on, "analytics", true, "count verifications, code checks, token redemptions and deliveries, and record keys' last_used_at (GET /v1/analytics/…)")
	f.DurationVar(&a.minutes, "analytics-minute-retention", store.DefaultAnalyticsRetention[store.Minute], "how long the per-minute analytics counts are kept, before they are rolled up into hours")
	f.DurationVar(&a.hours, "analytics-hour-retention", store.DefaultAnalyticsRetention[store.Hour], "how long the per-hour analytics counts are kept, before they are rolled up into days (at least the minutes' retention)")
	f.DurationVar(&a.days, "analytics-day-retention", store.DefaultAnalyticsRetention[store.Day], "how long the per-day analytics counts are kept (at least the hours' retention)")
}

// check refuses a retention shorter than its buckets.
func (a *analyticsConfig) check() error {
	for _, r := range []struct {
		flag      string
		v, bucket time.Duration
	}{
		{"--analytics-minute-retention", a.minutes, time.Minute},
		{"--analytics-hour-retention", a.hours, time.Hour},
		{"--analytics-day-retention", a.days, 24 * time.Hour},
	} {
		if r.v < r.bucket {
			return withHint(usagef("%s %v is shorter than one bucket (%v)", r.flag, r.v, r.bucket), "such as 48h for minutes, 2160h for hours, 17520h for days (the defaults)")
		}
	}
	// Minutes are rolled up into hours, and hours into days, when their
	// retention ends: a coarser granularity keeps at least as long.
	if a.hours < a.minutes {
		return withHint(usagef("--analytics-hour-retention %v is shorter than --analytics-minute-retention %v", a.hours, a.minutes), "minutes are rolled up into hours when they leave; keep hours at least as long")
	}
	if a.days < a.hours {
		return withHint(usagef("--analytics-day-retention %v is shorter than --analytics-hour-retention %v", a.days, a.hours), "hours are rolled up into days when they leave; keep days at least as long")
	}
	return nil
}

// apply sets the analytics of opts.
func (a *analyticsConfig) apply(opts *server.Options) {
	opts.NoAnalytics = !a.on
	opts.AnalyticsRetention = map[string]time.Duration{store.Minute: a.minutes, store.Hour: a.hours, store.Day: a.days}
}
