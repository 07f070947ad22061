// Command capacity fills a database with many API keys and tokens and
// measures "secrets serve" on it: how fast plain keys verify, tokens redeem
// and codes verify, how many bytes a key and a token take on disk, how long
// the service takes to start on the full database, and, with -expired, how
// verification fares while the sweeper deletes the expired tokens.
//
//	go run ./bench/capacity -store sqlite -records 1000000
//	SECRETS_TEST_POSTGRES_URL=postgres://… go run ./bench/capacity -store postgres -records 1000000
//
// The filler rows go straight into the tables that the store core's
// migrations make (the store opens the database first, so the schema is
// the service's own), made inside the database a million rows a statement
// (a recursive query on SQLite, generate_series on PostgreSQL), with hashes
// of 32 random bytes (randomblob, gen_random_uuid), so no key or token
// the benchmark presents is one of them; the keys, tokens and codes it
// presents are made through the API afterwards, among the filler rows. The
// filler tokens expire in a month, or, with -expired, expired two days ago
// (past the default retention of a day), so that the sweeper of the
// service deletes them from its first sweep, at start-up.
//
// It prints one line of results and appends it, as JSON, to -out. The
// SQLite file is made in -dir and the PostgreSQL schema in the database of
// SECRETS_TEST_POSTGRES_URL; both are deleted at the end unless -keep.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/bench/internal/soak"
	"github.com/unguessable/secrets/store/postgres"
	"github.com/unguessable/secrets/store/sqlite"
)

// Result is one run.
type Result struct {
	Store         string   `json:"store"`
	Records       int      `json:"records"` // filler tokens
	Keys          int      `json:"keys"`    // filler keys
	Expired       bool     `json:"expired"`
	FillSeconds   float64  `json:"fill_s"`
	KeyBytes      float64  `json:"bytes_per_key"`
	TokenBytes    float64  `json:"bytes_per_token"`
	DBBytes       float64  `json:"db_bytes"`
	StartSeconds  float64  `json:"start_s"` // process start to /healthz 200
	VerifyPerSec  float64  `json:"verify_per_s"`
	VerifyP99ms   float64  `json:"verify_p99_ms"`
	VerifyCPUus   float64  `json:"verify_cpu_us"` // CPU of secrets serve per verification
	RedeemCPUus   float64  `json:"redeem_cpu_us"`
	CodeCPUus     float64  `json:"code_verify_cpu_us"`
	RedeemPerSec  float64  `json:"redeem_per_s"`
	CodePerSec    float64  `json:"code_verify_per_s"`
	SweepVerifyPS float64  `json:"sweep_verify_per_s,omitempty"`  // while the sweeper ran, the mean of the windows
	SweepP99ms    float64  `json:"sweep_verify_p99_ms,omitempty"` // the highest p99 of the windows
	Sweep         []Window `json:"sweep,omitempty"`
	SweepSeconds  float64  `json:"sweep_s,omitempty"`
	SweptRows     int64    `json:"swept_rows,omitempty"`
}

func main() {
	which := flag.String("store", "sqlite", "sqlite or postgres")
	records := flag.Int("records", 1000, "filler tokens, and as many filler keys unless -keys")
	nkeys := flag.Int("keys", -1, "filler keys (-1: as many as -records)")
	gap := flag.Duration("sweep-gap", 30*time.Second, "with -expired, the pause between measurements during the sweep")
	expired := flag.Bool("expired", false, "the filler tokens expired two days ago: measure verification during the sweep")
	measure := flag.Duration("measure", 10*time.Second, "each measurement")
	workers := flag.Int("workers", 32, "concurrent requests")
	dir := flag.String("dir", os.TempDir(), "where the SQLite file is made")
	keep := flag.Bool("keep", false, "keep the SQLite file or the PostgreSQL schema")
	fillOnly := flag.Bool("fill-only", false, "fill the database, keep it, print where, and stop (for bench/sweep-load.sh with -expired)")
	out := flag.String("out", "", "append the result as a JSON line to this file")
	flag.Parse()
	res, err := run(*which, *records, *nkeys, *expired, *measure, *gap, *workers, *dir, *keep || *fillOnly, *fillOnly)
	if err != nil {
		fmt.Fprintln(os.Stderr, "capacity:", err)
		os.Exit(1)
	}
	js, _ := json.Marshal(res)
	fmt.Println(string(js))
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err == nil {
			f.Write(append(js, '\n'))
			f.Close()
		}
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().UTC().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func run(which string, n, nk int, expired bool, measure, gap time.Duration, workers int, dir string, keep, fillOnly bool) (*Result, error) {
	ctx := context.Background()
	if nk < 0 {
		nk = n
	}
	res := &Result{Store: which, Records: n, Keys: nk, Expired: expired}
	tmp, err := os.MkdirTemp(dir, "capacity-")
	if err != nil {
		return nil, err
	}
	if !keep {
		defer os.RemoveAll(tmp)
	}
	wd, _ := os.Getwd()
	root, err := soak.ModuleRoot(wd)
	if err != nil {
		return nil, err
	}
	bin, err := soak.Build(root, tmp)
	if err != nil {
		return nil, err
	}

	var dsn string
	var f filler
	switch which {
	case "sqlite":
		dsn = filepath.Join(tmp, "secrets.db")
		st, err := sqlite.Open(ctx, dsn)
		if err != nil {
			return nil, err
		}
		st.Close()
		db, err := sql.Open("sqlite", "file:"+dsn+"?_pragma=synchronous(OFF)&_pragma=cache_size(-262144)")
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		defer db.Close()
		f = &sqliteFiller{db: db, path: dsn}
	case "postgres":
		base := os.Getenv("SECRETS_TEST_POSTGRES_URL")
		if base == "" {
			return nil, fmt.Errorf("-store postgres needs SECRETS_TEST_POSTGRES_URL")
		}
		schema := "capacity_" + secrets.TokenHex(16)
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return nil, err
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
			return nil, err
		}
		if keep {
			logf("the PostgreSQL schema %s is kept", schema)
		} else {
			defer conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		}
		u, _ := url.Parse(base)
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		dsn = u.String()
		st, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, err
		}
		st.Close()
		if _, err := conn.Exec(ctx, "SET search_path = "+schema); err != nil {
			return nil, err
		}
		f = &pgFiller{conn: conn}
	default:
		return nil, fmt.Errorf("-store %q: want sqlite or postgres", which)
	}

	size0, err := f.size(ctx)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	now := time.Now()
	if err := f.fill(ctx, "api_keys", nk, keyCols, now, now); err != nil {
		return nil, err
	}
	keyFill := time.Since(start)
	size1, err := f.size(ctx)
	if err != nil {
		return nil, err
	}
	// The keys the benchmark presents, made through the API of a first
	// instance before the tokens are filled in (with -expired, the sweep
	// of the second instance must find them all there at its start).
	env := []string{"SECRETS_ADMIN_KEY=capacity-admin-" + secrets.TokenHex(24), "SECRETS_PEPPER=" + secrets.TokenHex(32)}
	admin := strings.TrimPrefix(env[0], "SECRETS_ADMIN_KEY=")
	first, err := soak.NewInstance(bin, dsn, tmp, env, "--insecure-permissions")
	if err != nil {
		return nil, err
	}
	if err := first.Start(10 * time.Minute); err != nil {
		return nil, err
	}
	c := &client{hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}, Timeout: time.Minute}, base: "http://" + first.Addr, admin: admin}
	keys := make([]string, 1000)
	if _, _, err := closedLoopN(len(keys), workers, func(i int64) error {
		var k struct{ Key string }
		err := c.post("/v1/keys", map[string]any{"prefix": "sk_cap_", "owner": fmt.Sprintf("cap%d", i)}, 201, &k)
		keys[i] = k.Key
		return err
	}); err != nil {
		return nil, err
	}
	first.Stop()

	start = time.Now()
	expires := now.Add(30 * 24 * time.Hour)
	if expired {
		now = now.Add(-72 * time.Hour)
		expires = now.Add(24 * time.Hour) // two days ago
	}
	if err := f.fill(ctx, "tokens", n, tokenCols, now, expires); err != nil {
		return nil, err
	}
	res.FillSeconds = (keyFill + time.Since(start)).Seconds()
	size2, err := f.size(ctx)
	if err != nil {
		return nil, err
	}
	res.DBBytes = size2
	if nk > 0 {
		res.KeyBytes = (size1 - size0) / float64(nk)
	}
	res.TokenBytes = (size2 - size1) / float64(n)
	logf("filled %d keys and %d tokens in %.0fs: %.0f bytes per key, %.0f per token, %.0f MB in all", nk, n, res.FillSeconds, res.KeyBytes, res.TokenBytes, size2/1e6)
	f.close()
	if fillOnly {
		logf("filled, and kept: %s", dsn)
		return res, nil
	}

	in, err := soak.NewInstance(bin, dsn, tmp, env, "--insecure-permissions")
	if err != nil {
		return nil, err
	}
	start = time.Now()
	if err := in.Start(10 * time.Minute); err != nil {
		return nil, err
	}
	defer in.Stop()
	res.StartSeconds = time.Since(start).Seconds()
	logf("secrets serve answered /healthz %.2fs after it started", res.StartSeconds)
	c.base = "http://" + in.Addr

	verify := func(i int64) error {
		var a struct{ Status string }
		if err := c.post("/v1/keys/verify", map[string]any{"key": keys[i%int64(len(keys))]}, 200, &a); err != nil {
			return err
		}
		if a.Status != "VALID" {
			return fmt.Errorf("a key verified as %s", a.Status)
		}
		return nil
	}
	db, err := soak.OpenDatabase(dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if expired {
		// The sweeper began at start-up. Measure while it runs, a window
		// every gap until no filler token is left, then once after (below):
		// the p99 of each window against the p99 after.
		for {
			if in.Exited() {
				return nil, fmt.Errorf("secrets serve exited during the sweep")
			}
			left0, err := countTokens(ctx, db)
			if err != nil {
				return nil, err
			}
			if left0 == 0 {
				break
			}
			ops, p99, err := closedLoop(measure, workers, verify)
			if err != nil {
				return nil, err
			}
			left1, err := countTokens(ctx, db)
			if err != nil {
				return nil, err
			}
			if left1 == 0 {
				logf("the sweep ended during this window; it is not counted: %.0f verifications/s, p99 %.2f ms", ops, p99)
				break
			}
			res.Sweep = append(res.Sweep, Window{At: time.Since(start).Seconds(), LeftBefore: left0, LeftAfter: left1, VerifyPerSec: ops, P99ms: p99})
			logf("during the sweep, %.0fs after start-up (%d filler tokens left before, %d after): %.0f verifications/s, p99 %.2f ms", time.Since(start).Seconds(), left0, left1, ops, p99)
			time.Sleep(gap)
		}
		res.SweepSeconds = time.Since(start).Seconds()
		res.SweptRows = int64(n)
		logf("the sweep deleted %d tokens within %.0fs of start-up", n, res.SweepSeconds)
		for _, w := range res.Sweep {
			res.SweepVerifyPS += w.VerifyPerSec / float64(len(res.Sweep))
			res.SweepP99ms = max(res.SweepP99ms, w.P99ms)
		}
	}
	// The CPU time of the service per call is measured beside the rate:
	// on a machine that other work loads, it is the steadier figure, and
	// on SQLite it is the whole cost of a call.
	c0, err := soak.CPUSeconds(in.PID())
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	if res.VerifyPerSec, res.VerifyP99ms, err = closedLoop(measure, workers, verify); err != nil {
		return nil, err
	}
	if c1, err := soak.CPUSeconds(in.PID()); err == nil && res.VerifyPerSec > 0 {
		res.VerifyCPUus = (c1 - c0) / (res.VerifyPerSec * time.Since(t0).Seconds()) * 1e6
	}
	logf("%.0f verifications/s, p99 %.2f ms, %.1f µs of CPU each", res.VerifyPerSec, res.VerifyP99ms, res.VerifyCPUus)

	// Tokens to redeem, issued first; more than a measurement can redeem
	// at the verification rate.
	nTok := 20000
	tokens := make([]string, nTok)
	if _, _, err := closedLoopN(nTok, workers, func(i int64) error {
		var t struct{ Token string }
		err := c.post("/v1/tokens", map[string]any{"purpose": "cap", "subject": fmt.Sprintf("s%d", i)}, 201, &t)
		tokens[i] = t.Token
		return err
	}); err != nil {
		return nil, err
	}
	var next atomic.Int64
	if c0, err = soak.CPUSeconds(in.PID()); err != nil {
		return nil, err
	}
	t0 = time.Now()
	redeemed, _, err := closedLoop(measure, workers, func(int64) error {
		i := next.Add(1) - 1
		if i >= int64(len(tokens)) {
			return errDone
		}
		var a struct{ Status string }
		if err := c.post("/v1/tokens/redeem", map[string]any{"purpose": "cap", "token": tokens[i]}, 200, &a); err != nil {
			return err
		}
		if a.Status != "VALID" {
			return fmt.Errorf("a fresh token redeemed as %s", a.Status)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.RedeemPerSec = redeemed
	if c1, err := soak.CPUSeconds(in.PID()); err == nil && redeemed > 0 {
		res.RedeemCPUus = (c1 - c0) / (redeemed * time.Since(t0).Seconds()) * 1e6
	}
	logf("%.0f redemptions/s (of %d tokens), %.1f µs of CPU each", redeemed, nTok, res.RedeemCPUus)

	// Codes: wrong guesses at a live code, 100 allowed per subject.
	subjects := 2000
	if _, _, err := closedLoopN(subjects, workers, func(i int64) error {
		return c.post("/v1/codes", map[string]any{"purpose": "cap", "subject": fmt.Sprintf("c%d", i), "max_attempts": 100, "max_failures": 100}, 201, nil)
	}); err != nil {
		return nil, err
	}
	if c0, err = soak.CPUSeconds(in.PID()); err != nil {
		return nil, err
	}
	t0 = time.Now()
	res.CodePerSec, _, err = closedLoop(measure, workers, func(i int64) error {
		var a struct{ Status string }
		return c.post("/v1/codes/verify", map[string]any{"purpose": "cap", "subject": fmt.Sprintf("c%d", i%int64(subjects)), "code": "000000"}, 200, &a)
	})
	if err != nil {
		return nil, err
	}
	if c1, err := soak.CPUSeconds(in.PID()); err == nil && res.CodePerSec > 0 {
		res.CodeCPUus = (c1 - c0) / (res.CodePerSec * time.Since(t0).Seconds()) * 1e6
	}
	logf("%.0f code verifications/s, %.1f µs of CPU each", res.CodePerSec, res.CodeCPUus)
	return res, nil
}

// countTokens counts the filler tokens left in the database (a count, not
// a read of every row: at ten million rows a read would be the load).
// Window is one measurement of verification while the sweeper runs.
type Window struct {
	At           float64 `json:"at_s"` // since the service started
	LeftBefore   int64   `json:"left_before"`
	LeftAfter    int64   `json:"left_after"`
	VerifyPerSec float64 `json:"verify_per_s"`
	P99ms        float64 `json:"p99_ms"`
}

func countTokens(ctx context.Context, db soak.Database) (int64, error) {
	return db.CountTokens(ctx, "fill")
}

var errDone = fmt.Errorf("done")

// closedLoop calls f from workers goroutines for d, each as soon as its
// last call returned, and returns the calls per second and their p99 in ms.
// f returning errDone ends the loop early.
func closedLoop(d time.Duration, workers int, f func(i int64) error) (float64, float64, error) {
	deadline := time.Now().Add(d)
	return loop(workers, func() bool { return time.Now().Before(deadline) }, f)
}

// closedLoopN calls f n times.
func closedLoopN(n, workers int, f func(i int64) error) (float64, float64, error) {
	var left atomic.Int64
	left.Store(int64(n))
	return loop(workers, func() bool { return left.Add(-1) >= 0 }, f)
}

func loop(workers int, more func() bool, f func(i int64) error) (float64, float64, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		lat   []float64
		first error
		seq   atomic.Int64
		done  atomic.Bool
	)
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []float64
			for !done.Load() && more() {
				t := time.Now()
				err := f(seq.Add(1) - 1)
				if err == errDone {
					done.Store(true)
					break
				}
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					done.Store(true)
					break
				}
				mine = append(mine, float64(time.Since(t).Microseconds())/1000)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	sort.Float64s(lat)
	p99 := 0.0
	if len(lat) > 0 {
		p99 = lat[min(len(lat)-1, int(0.99*float64(len(lat))))]
	}
	return float64(len(lat)) / el, p99, first
}

type client struct {
	hc          *http.Client
	base, admin string
}

func (c *client) post(path string, body any, want int, out any) error {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", c.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.admin)
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s: status %d: %s", path, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// A filler bulk-inserts rows made inside the database, n of them numbered
// from 1: for each column, an SQL expression of the row's number i, the
// time now and the time t (both Unix milliseconds), in the filler's
// dialect.
type filler interface {
	fill(ctx context.Context, table string, n int, cols []column, now, t time.Time) error
	size(ctx context.Context) (float64, error)
	close()
}

// A column is filled with an expression, as SQLite and PostgreSQL write it.
// In both, a hash is 32 random bytes and an id has the service's shape:
// kind, '_', the creation time in 12 hex digits and 16 random hex digits.
type column struct{ name, sqlite, postgres string }

const (
	sqliteRandom32 = `randomblob(32)`
	pgRandom32     = `uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())`
)

func idColumn(kind string) column {
	return column{"id",
		`'` + kind + `_' || printf('%012x', @now) || lower(hex(randomblob(8)))`,
		`'` + kind + `_' || lpad(to_hex(@now::bigint), 12, '0') || encode(substr(uuid_send(gen_random_uuid()), 1, 8), 'hex')`}
}

var keyCols = []column{
	idColumn("key"),
	{"hash", sqliteRandom32, pgRandom32},
	{"prefix", `'sk_fill_'`, `'sk_fill_'`},
	{"start", `'sk_fill_' || printf('%04x', i % 65536)`, `'sk_fill_' || lpad(to_hex(i % 65536), 4, '0')`},
	{"namespace", `'default'`, `'default'`},
	{"owner", `'owner' || i`, `'owner' || i`},
	{"name", `''`, `''`},
	{"enabled", `1`, `true`},
	{"created_at", `@now`, `@now`},
	{"updated_at", `@now`, `@now`},
}

var tokenCols = []column{
	idColumn("tok"),
	{"hash", sqliteRandom32, pgRandom32},
	{"purpose", `'fill'`, `'fill'`},
	{"subject", `'user' || i`, `'user' || i`},
	{"created_at", `@now`, `@now`},
	{"expires_at", `@t`, `@t`},
}

// perBatch rows are made in one statement and transaction.
const perBatch = 1000000

func names(cols []column) string {
	var n []string
	for _, c := range cols {
		n = append(n, c.name)
	}
	return strings.Join(n, ", ")
}

func exprs(cols []column, of func(column) string, now, t time.Time) string {
	var e []string
	for _, c := range cols {
		x := strings.ReplaceAll(of(c), "@now", fmt.Sprint(now.UnixMilli()))
		e = append(e, strings.ReplaceAll(x, "@t", fmt.Sprint(t.UnixMilli())))
	}
	return strings.Join(e, ", ")
}

type sqliteFiller struct {
	db   *sql.DB
	path string
}

func (s *sqliteFiller) fill(ctx context.Context, table string, n int, cols []column, now, t time.Time) error {
	stmt := `WITH RECURSIVE s(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM s WHERE i < ?)
		INSERT INTO ` + table + ` (` + names(cols) + `) SELECT ` + exprs(cols, func(c column) string { return c.sqlite }, now, t) + ` FROM s`
	start := time.Now()
	for i := 1; i <= n; i += perBatch {
		last := min(i+perBatch-1, n)
		if _, err := s.db.ExecContext(ctx, stmt, i, last); err != nil {
			return err
		}
		logf("%s: %d rows, %.0f/s", table, last, float64(last)/time.Since(start).Seconds())
	}
	_, err := s.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

func (s *sqliteFiller) size(ctx context.Context) (float64, error) {
	if _, err := s.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return 0, err
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		return 0, err
	}
	return float64(fi.Size()), nil
}

func (s *sqliteFiller) close() { s.db.Close() }

type pgFiller struct{ conn *pgx.Conn }

func (p *pgFiller) fill(ctx context.Context, table string, n int, cols []column, now, t time.Time) error {
	stmt := `INSERT INTO ` + table + ` (` + names(cols) + `) SELECT ` + exprs(cols, func(c column) string { return c.postgres }, now, t) +
		` FROM generate_series($1::bigint, $2::bigint) AS s(i)`
	start := time.Now()
	for i := 1; i <= n; i += perBatch {
		last := min(i+perBatch-1, n)
		if _, err := p.conn.Exec(ctx, stmt, i, last); err != nil {
			return err
		}
		logf("%s: %d rows, %.0f/s", table, last, float64(last)/time.Since(start).Seconds())
	}
	_, err := p.conn.Exec(ctx, "VACUUM ANALYZE "+table)
	return err
}

func (p *pgFiller) size(ctx context.Context) (float64, error) {
	var n int64
	err := p.conn.QueryRow(ctx, `SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
		JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = current_schema() AND c.relkind = 'r'`).Scan(&n)
	return float64(n), err
}

func (p *pgFiller) close() {}
