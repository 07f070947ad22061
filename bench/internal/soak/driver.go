package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one soak run.
type Config struct {
	Instances []*Instance
	DB        Database
	AdminKey  string
	RunID     string        // a prefix that makes this run's subjects unique
	PeakFor   time.Duration // the closed-loop phase that measures the peak
	Duration  time.Duration // the fixed-rate phase, at half the peak or Rate
	Interval  time.Duration // between samples (10 s)
	Workers   int           // concurrent requests (64)
	Rate      float64       // operations/s of the fixed-rate phase; 0: half the peak
	// Retention is the instances' --retention if it is shorter than the
	// run, so that the sweeper deletes records during it: the ledger check
	// then does not look for records older than it. Zero: nothing is swept.
	Retention time.Duration
	PlainKeys int // keys the verifications cycle through (200)
	// LimitedKeys are keys with a limit of uses, a twentieth of the
	// verifications, limited so that they run out about half-way.
	LimitedKeys int
	// AfterPeak, if set, is called when the peak has been measured, with
	// the driver's connections closed and nothing in flight: the instances
	// are at rest, their connection pools filled by the peak's load.
	AfterPeak func()
	// OnSample, if set, is called after each sample (a fault test acts here).
	OnSample func(s Sample)
	Logf     func(format string, args ...any)
}

// Result is what a run measured and found.
type Result struct {
	Peak    float64 // operations per second, closed loop
	Rate    float64 // the fixed rate, half the peak or Config.Rate
	Samples []Sample
	Ledger  *Ledger
	Behind  int64 // operations the scheduler could not hand to a worker at once
	// FirstRefused and LastRefused are the times of the first and the last
	// 503 or 507 answer of the fixed-rate phase (zero if none).
	FirstRefused, LastRefused time.Time
}

// Sample is one look at the processes and the database.
type Sample struct {
	T          float64   `json:"t"` // seconds since the fixed-rate phase began
	RSS        []float64 `json:"rss_bytes"`
	Goroutines []float64 `json:"goroutines"`
	OpenFiles  []float64 `json:"open_files"`
	DBBytes    float64   `json:"db_bytes"`
	Records    float64   `json:"records"` // rows of tokens, codes, keys and the audit trail
	P50        float64   `json:"p50_ms"`
	P99        float64   `json:"p99_ms"`
	Requests   int       `json:"requests"`
	Refused    int       `json:"refused"` // 503 and 507 answers in the interval
	Failed     int       `json:"failed"`  // transport errors and unexpected answers in the interval
}

type client struct {
	hc    *http.Client
	admin string
}

// call posts body to path on in and decodes a JSON answer into out (when
// the status is want). It returns the status, or 0 with a transport error.
func (c *client) call(ctx context.Context, in *Instance, path string, body any, want int, out any) (int, http.Header, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, "POST", "http://"+in.Addr+path, bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.admin)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	if resp.StatusCode == want && out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, resp.Header, fmt.Errorf("%s: undecodable answer: %v", path, err)
		}
	}
	if resp.StatusCode != want {
		var e struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal(data, &e) != nil || e.Error.Code == "" {
			return resp.StatusCode, resp.Header, fmt.Errorf("%s: status %d without a JSON error", path, resp.StatusCode)
		}
	}
	return resp.StatusCode, resp.Header, nil
}

// run is the state of one run.
type run struct {
	cfg    Config
	c      *client
	ledger *Ledger
	plain  []string
	limit  []limitedKey
	n      atomic.Int64 // operations started
	rr     atomic.Int64 // round robin over instances

	mu      sync.Mutex
	lat     []float64 // ms, this interval
	refused int
	failed  int
	reqs    int

	firstRefused, lastRefused time.Time
}

type limitedKey struct{ id, key string }

func (r *run) inst() *Instance {
	ins := r.cfg.Instances
	return ins[int(r.rr.Add(1))%len(ins)]
}

// observe records one request: its latency and how it went.
func (r *run) observe(start time.Time, status int, hdr http.Header, err error, path string) {
	ms := float64(time.Since(start).Microseconds()) / 1000
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs++
	r.lat = append(r.lat, ms)
	r.ledger.status(path, status, hdr, err)
	switch {
	case status == http.StatusServiceUnavailable || status == http.StatusInsufficientStorage:
		r.refused++
		if r.firstRefused.IsZero() {
			r.firstRefused = time.Now()
		}
		r.lastRefused = time.Now()
	case status == 0 || status >= 500 || err != nil:
		r.failed++
	}
}

func (r *run) post(ctx context.Context, in *Instance, path string, body any, want int, out any) bool {
	start := time.Now()
	st, hdr, err := r.c.call(ctx, in, path, body, want, out)
	if ctx.Err() != nil && st == 0 {
		return false // the run ended under this request: not a failure
	}
	r.observe(start, st, hdr, err, path)
	return st == want && err == nil
}

// op runs operation number n of the mix: of each ten, eight key
// verifications, one token issue and redeem, one code issue and verify.
func (r *run) op(ctx context.Context, n int64) {
	switch n % 10 {
	case 8:
		r.tokenOp(ctx, n)
	case 9:
		r.codeOp(ctx, n)
	default:
		r.verifyOp(ctx, n)
	}
}

type verifyAnswer struct {
	Valid  bool   `json:"valid"`
	Status string `json:"status"`
}

func (r *run) verifyOp(ctx context.Context, n int64) {
	if len(r.limit) > 0 && n%20 == 0 {
		k := r.limit[(n/20)%int64(len(r.limit))]
		var a verifyAnswer
		ok := r.post(ctx, r.inst(), "/v1/keys/verify", map[string]any{"key": k.key}, 200, &a)
		r.ledger.keyUse(k.id, ok, a.Status)
		return
	}
	var a verifyAnswer
	if r.post(ctx, r.inst(), "/v1/keys/verify", map[string]any{"key": r.plain[(n/10*8+n%10)%int64(len(r.plain))]}, 200, &a) {
		r.ledger.outcome("keys.verify " + a.Status)
		if a.Status != "VALID" {
			r.ledger.wrong("a plain key verified as %s", a.Status)
		}
	}
}

func (r *run) tokenOp(ctx context.Context, n int64) {
	var issued struct{ ID, Token string }
	subject := r.cfg.RunID + "-t" + strconv.FormatInt(n, 10)
	sent := time.Now()
	ok := r.post(ctx, r.inst(), "/v1/tokens", map[string]any{"purpose": "soak", "subject": subject}, 201, &issued)
	r.ledger.tokenIssued(issued.ID, ok, sent)
	if !ok {
		return
	}
	// Redeemed through the next instance, and once in ten a second time.
	var a verifyAnswer
	ok = r.post(ctx, r.inst(), "/v1/tokens/redeem", map[string]any{"purpose": "soak", "token": issued.Token}, 200, &a)
	r.ledger.tokenRedeemed(issued.ID, ok, a.Status)
	if ok && n%100 == 8 {
		var again verifyAnswer
		if r.post(ctx, r.inst(), "/v1/tokens/redeem", map[string]any{"purpose": "soak", "token": issued.Token}, 200, &again) {
			r.ledger.tokenRedeemed(issued.ID, true, again.Status)
		}
	}
}

func (r *run) codeOp(ctx context.Context, n int64) {
	var issued struct{ ID, Code string }
	subject := r.cfg.RunID + "-c" + strconv.FormatInt(n, 10)
	sent := time.Now()
	ok := r.post(ctx, r.inst(), "/v1/codes", map[string]any{"purpose": "soak", "subject": subject}, 201, &issued)
	r.ledger.codeIssued(issued.ID, ok, sent)
	if !ok {
		return
	}
	var a verifyAnswer
	ok = r.post(ctx, r.inst(), "/v1/codes/verify", map[string]any{"purpose": "soak", "subject": subject, "code": issued.Code}, 200, &a)
	r.ledger.codeVerified(issued.ID, ok, a.Status)
}

// createKeys makes n keys, with remaining uses if remaining > 0.
func (r *run) createKeys(ctx context.Context, n int, remaining int64) ([]limitedKey, error) {
	out := make([]limitedKey, 0, n)
	for i := range n {
		body := map[string]any{"prefix": "sk_soak_", "owner": fmt.Sprintf("%s-o%d", r.cfg.RunID, i)}
		if remaining > 0 {
			body["remaining"] = remaining
		}
		var k struct{ ID, Key string }
		st, _, err := r.c.call(ctx, r.cfg.Instances[0], "/v1/keys", body, 201, &k)
		if err != nil || st != 201 {
			return nil, fmt.Errorf("creating a key: status %d: %v", st, err)
		}
		out = append(out, limitedKey{k.ID, k.Key})
		if remaining > 0 {
			r.ledger.keyCreated(k.ID, remaining)
		}
	}
	return out, nil
}

// Run runs the soak: keys, the closed-loop peak, then the fixed rate at
// half the peak for cfg.Duration with a sample each cfg.Interval; then it
// checks the database against the ledger (Result.Ledger.Problems).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Workers == 0 {
		cfg.Workers = 64
	}
	if cfg.PlainKeys == 0 {
		cfg.PlainKeys = 200
	}
	if cfg.LimitedKeys == 0 {
		cfg.LimitedKeys = 20
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	tr := &http.Transport{MaxIdleConnsPerHost: cfg.Workers, MaxConnsPerHost: cfg.Workers}
	defer tr.CloseIdleConnections()
	r := &run{cfg: cfg, c: &client{hc: &http.Client{Transport: tr, Timeout: 15 * time.Second}, admin: cfg.AdminKey}, ledger: NewLedger()}
	plain, err := r.createKeys(ctx, cfg.PlainKeys, 0)
	if err != nil {
		return nil, err
	}
	for _, k := range plain {
		r.plain = append(r.plain, k.key)
	}

	// The peak: every worker calls as fast as it is answered.
	pctx, cancel := context.WithTimeout(ctx, cfg.PeakFor)
	var wg sync.WaitGroup
	var peakOps atomic.Int64
	start := time.Now()
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pctx.Err() == nil {
				r.op(pctx, r.n.Add(1))
				peakOps.Add(1)
			}
		}()
	}
	wg.Wait()
	cancel()
	res := &Result{Peak: float64(peakOps.Load()) / time.Since(start).Seconds()}
	res.Rate = res.Peak / 2
	if cfg.Rate > 0 {
		res.Rate = cfg.Rate
	}
	cfg.Logf("peak %.0f operations/s over %v; the soak runs at %.0f/s for %v", res.Peak, cfg.PeakFor, res.Rate, cfg.Duration)

	if cfg.AfterPeak != nil {
		tr.CloseIdleConnections()
		cfg.AfterPeak()
	}

	// Limited keys run out about half-way through the fixed-rate phase.
	perKey := int64(res.Rate*cfg.Duration.Seconds()*0.8/20/float64(cfg.LimitedKeys)/2) + 1
	if r.limit, err = r.createKeys(ctx, cfg.LimitedKeys, perKey); err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.lat, r.refused, r.failed, r.reqs = nil, 0, 0, 0
	r.firstRefused, r.lastRefused = time.Time{}, time.Time{}
	r.mu.Unlock()

	// The fixed rate: a scheduler hands operation numbers to the workers.
	fctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	jobs := make(chan int64, cfg.Workers*4)
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range jobs {
				r.op(fctx, n)
			}
		}()
	}
	begin := time.Now()
	sampleDone := make(chan struct{})
	go func() {
		defer close(sampleDone)
		t := time.NewTicker(cfg.Interval)
		defer t.Stop()
		for {
			select {
			case <-fctx.Done():
				return
			case now := <-t.C:
				s := r.sample(context.Background(), now.Sub(begin))
				res.Samples = append(res.Samples, s)
				cfg.Logf("t=%3.0fs rss=%v goroutines=%v fds=%v db=%.1fMB/%.0f records p50=%.2fms p99=%.2fms req=%d refused=%d failed=%d",
					s.T, mb(s.RSS), s.Goroutines, s.OpenFiles, s.DBBytes/1e6, s.Records, s.P50, s.P99, s.Requests, s.Refused, s.Failed)
				if cfg.OnSample != nil {
					cfg.OnSample(s)
				}
			}
		}
	}()
	var sent int64
	tick := time.NewTicker(2 * time.Millisecond)
loop:
	for {
		select {
		case <-fctx.Done():
			break loop
		case <-tick.C:
			due := int64(time.Since(begin).Seconds() * res.Rate)
			for ; sent < due; sent++ {
				select {
				case jobs <- r.n.Add(1):
				default:
					res.Behind++
				}
			}
		}
	}
	tick.Stop()
	close(jobs)
	wg.Wait()
	<-sampleDone
	res.Ledger = r.ledger
	r.mu.Lock()
	res.FirstRefused, res.LastRefused = r.firstRefused, r.lastRefused
	r.mu.Unlock()
	cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer ccancel()
	var sweptBefore time.Time
	if cfg.Retention > 0 {
		sweptBefore = time.Now().Add(-cfg.Retention)
	}
	if err := r.ledger.Check(cctx, cfg.DB, sweptBefore); err != nil {
		return res, err
	}
	return res, nil
}

func mb(v []float64) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = fmt.Sprintf("%.0fMB", x/1e6)
	}
	return out
}

func (r *run) sample(ctx context.Context, at time.Duration) Sample {
	s := Sample{T: at.Seconds()}
	for _, in := range r.cfg.Instances {
		var rss, fds, g float64
		if pid := in.PID(); pid != 0 {
			rss, _ = RSS(pid)
			fds, _ = OpenFiles(pid)
			c, cancel := context.WithTimeout(ctx, 5*time.Second)
			g, _ = in.Goroutines(c)
			cancel()
		}
		s.RSS = append(s.RSS, rss)
		s.OpenFiles = append(s.OpenFiles, fds)
		s.Goroutines = append(s.Goroutines, g)
	}
	if r.cfg.DB != nil {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		s.DBBytes, _ = r.cfg.DB.Size(c)
		s.Records, _ = r.cfg.DB.Records(c)
		cancel()
	}
	r.mu.Lock()
	lat := r.lat
	s.Requests, s.Refused, s.Failed = r.reqs, r.refused, r.failed
	r.lat, r.reqs, r.refused, r.failed = nil, 0, 0, 0
	r.mu.Unlock()
	sort.Float64s(lat)
	s.P50, s.P99 = quantile(lat, 0.50), quantile(lat, 0.99)
	return s
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}
