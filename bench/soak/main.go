// Command soak runs "secrets serve" under a mixed workload for a set time
// and checks that nothing acknowledged was lost and nothing grows.
//
//	go run ./bench/soak -store sqlite -duration 10m -out docs/soak
//	SECRETS_TEST_POSTGRES_URL=postgres://… go run ./bench/soak -store postgres -duration 10m -out docs/soak
//
// It builds cmd/secrets, starts one instance on a new SQLite file, or two
// instances on a new schema of the PostgreSQL server (dropped at the end),
// measures the peak of the mix (of each ten operations, eight key
// verifications, one token issue and redeem, one code issue and verify)
// with every worker calling as fast as it is answered, and then runs the
// mix at half that peak (or at -rate) for -duration, sampling RSS, goroutines and open
// files of each instance, the database's size and the p50 and p99 latency
// every -interval. At the end it checks the database against its ledger of
// acknowledged writes, fits a line through each series after -warmup, and
// writes STORE.csv, STORE.json and STORE.svg into -out. It exits 1 if the
// ledger check finds a problem or a series grows by more than -bound over
// ten minutes.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/bench/internal/soak"
)

func main() {
	which := flag.String("store", "sqlite", "sqlite or postgres")
	duration := flag.Duration("duration", 10*time.Minute, "the fixed-rate phase")
	peak := flag.Duration("peak", 20*time.Second, "the closed-loop phase that measures the peak")
	interval := flag.Duration("interval", 10*time.Second, "between samples")
	warmup := flag.Duration("warmup", time.Minute, "samples before this are left out of the trend")
	bound := flag.Float64("bound", 0.05, "the most a series may grow by trend over ten minutes (0.05: 5%)")
	instances := flag.Int("instances", 0, "instances (default 1 on SQLite, 2 on PostgreSQL)")
	workers := flag.Int("workers", 64, "concurrent requests")
	out := flag.String("out", "", "directory for STORE.csv, STORE.json and STORE.svg (none if empty)")
	rate := flag.Float64("rate", 0, "operations/s of the fixed-rate phase, to compare runs at one rate (default half the peak measured)")
	refit := flag.String("refit", "", "STORE.json of a finished run: fit its trends again with this -warmup and -bound, and run nothing")
	retention := flag.Duration("retention", 0, "the service's --retention (at least 10m; default the service's own, a day): shorter than the run, the sweeper deletes used records during it and the tables level off")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "soak: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	if *retention != 0 && *retention < 10*time.Minute {
		fmt.Fprintf(os.Stderr, "soak: -retention %v: the service takes no less than 10m (its code send window)\n", *retention)
		os.Exit(2)
	}
	if *rate < 0 {
		fmt.Fprintf(os.Stderr, "soak: -rate %v is negative\n", *rate)
		os.Exit(2)
	}
	if *refit != "" {
		samples, err := soak.ReadSamples(*refit)
		if err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
			os.Exit(2)
		}
		if last := samples[len(samples)-1].T; warmup.Seconds() >= last {
			fmt.Fprintf(os.Stderr, "soak: -warmup %v leaves no sample of %s to fit (the last is at %.0f s)\n", *warmup, *refit, last)
			os.Exit(2)
		}
		if grows := printVerdicts(samples, *warmup, *bound); grows > 0 {
			fmt.Fprintf(os.Stderr, "soak: %d series grow\n", grows)
			os.Exit(1)
		}
		return
	}
	if *warmup >= *duration {
		fmt.Fprintf(os.Stderr, "soak: -warmup %v leaves nothing of -duration %v to fit a trend to\n", *warmup, *duration)
		os.Exit(2)
	}
	if err := run(*which, *duration, *peak, *interval, *warmup, *bound, *instances, *workers, *rate, *retention, *out); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(which string, duration, peak, interval, warmup time.Duration, bound float64, instances, workers int, rate float64, retention time.Duration, out string) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	wd, _ := os.Getwd()
	root, err := soak.ModuleRoot(wd)
	if err != nil {
		return err
	}
	bin, err := soak.Build(root, tmp)
	if err != nil {
		return err
	}
	var dsn string
	switch which {
	case "sqlite":
		dsn = tmp + "/secrets.db"
		if instances == 0 {
			instances = 1
		}
	case "postgres":
		base := os.Getenv("SECRETS_TEST_POSTGRES_URL")
		if base == "" {
			return fmt.Errorf("-store postgres needs SECRETS_TEST_POSTGRES_URL")
		}
		schema := "soak_" + secrets.TokenHex(16)
		if err := pgExec(ctx, base, "CREATE SCHEMA "+schema); err != nil {
			return err
		}
		defer pgExec(context.Background(), base, "DROP SCHEMA "+schema+" CASCADE")
		u, err := url.Parse(base)
		if err != nil {
			return err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		dsn = u.String()
		if instances == 0 {
			instances = 2
		}
	default:
		return fmt.Errorf("-store %q: want sqlite or postgres", which)
	}
	var extra []string
	if retention > 0 {
		extra = append(extra, "--retention", retention.String())
	}
	cl, err := soak.StartCluster(bin, dsn, tmp, instances, extra...)
	if err != nil {
		return err
	}
	defer cl.Stop()
	db, err := soak.OpenDatabase(dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	logf := func(format string, args ...any) {
		fmt.Printf("%s %s\n", time.Now().UTC().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
	res, err := soak.Run(ctx, soak.Config{Instances: cl.Instances, DB: db, AdminKey: cl.AdminKey, RunID: time.Now().UTC().Format("150405"),
		PeakFor: peak, Duration: duration, Interval: interval, Workers: workers, Rate: rate, Retention: retention, Logf: logf})
	if err != nil {
		fmt.Print(cl.Logs())
		return err
	}
	fmt.Println(res.Ledger.Summary())
	fmt.Printf("peak %.0f ops/s, rate %.0f ops/s, %d operations the scheduler could not hand out at once\n", res.Peak, res.Rate, res.Behind)
	grows := printVerdicts(res.Samples, warmup, bound)
	if out != "" {
		title := fmt.Sprintf("secrets serve on %s, %d instance(s), %.0f ops/s (half the peak of %.0f) for %v", which, instances, res.Rate, res.Peak, duration)
		if rate > 0 {
			title = fmt.Sprintf("secrets serve on %s, %d instance(s), %.0f ops/s (the peak: %.0f) for %v", which, instances, res.Rate, res.Peak, duration)
		}
		if retention > 0 {
			title += fmt.Sprintf(", retention %v", retention)
		}
		if err := soak.Write(out, which, res, title); err != nil {
			return err
		}
	}
	probs := res.Ledger.Problems()
	for _, p := range probs {
		fmt.Println("ledger:", p)
	}
	if len(probs) > 0 || grows > 0 {
		return fmt.Errorf("%d ledger problems, %d series grow", len(probs), grows)
	}
	fmt.Println("ledger check: ok")
	return nil
}

// printVerdicts prints the table of trends after warmup and returns how
// many series grow beyond bound.
func printVerdicts(samples []soak.Sample, warmup time.Duration, bound float64) int {
	fmt.Printf("\ntrend after %v, fitted, per 10 minutes, ± its standard error (bound %.0f%%):\n\n| series | mean | growth per 10 min | |\n| --- | --- | --- | --- |\n", warmup, 100*bound)
	grows := 0
	for _, v := range soak.Verdicts(samples, warmup.Seconds(), 600, bound) {
		fmt.Println(v)
		if !v.OK() {
			grows++
		}
	}
	return grows
}

func pgExec(ctx context.Context, u, stmt string) error {
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, stmt)
	if err != nil && strings.Contains(stmt, "DROP") {
		fmt.Fprintln(os.Stderr, "soak:", err)
	}
	return err
}
