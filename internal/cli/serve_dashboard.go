package cli

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/unguessable/secrets/dashboard"
	"github.com/unguessable/secrets/server"
)

// dashboardConfig is the web dashboard of `secrets serve`.
type dashboardConfig struct {
	on            bool
	idle, session time.Duration
}

func (d *dashboardConfig) flags(f *pflag.FlagSet) {
	f.BoolVar(&d.on, "dashboard", true, "serve the web dashboard at / (sign in with an access key)")
	f.DurationVar(&d.idle, "dashboard-idle-timeout", dashboard.DefaultIdleTimeout, "end a dashboard session after this long without a request")
	f.DurationVar(&d.session, "dashboard-session-timeout", dashboard.DefaultAbsoluteTimeout, "end a dashboard session this long after sign-in, however active")
}

// check refuses timeouts that would end sessions at once or never.
func (d *dashboardConfig) check() error {
	switch {
	case d.idle < time.Minute:
		return withHint(usagef("--dashboard-idle-timeout %v is under a minute", d.idle), "such as 30m (the default)")
	case d.session < d.idle:
		return withHint(usagef("--dashboard-session-timeout %v is shorter than --dashboard-idle-timeout %v", d.session, d.idle), "such as 12h (the default)")
	case d.session > 30*24*time.Hour:
		return withHint(usagef("--dashboard-session-timeout %v is over 30 days", d.session), "such as 12h (the default)")
	}
	return nil
}

func (d *dashboardConfig) apply(opts *server.Options) {
	opts.NoDashboard = !d.on
	opts.DashboardIdleTimeout, opts.DashboardAbsoluteTimeout = d.idle, d.session
}
