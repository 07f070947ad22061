//go:build unix

package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/unguessable/secrets/deliver"
	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/store"
)

// switchSender sends through the webhook, or accepts every message at once
// without sending it (nop), as the benchmark says.
type switchSender struct {
	hook deliver.Sender
	nop  atomic.Bool
}

func (s *switchSender) Send(ctx context.Context, m *deliver.Message) error {
	if s.nop.Load() {
		return nil
	}
	return s.hook.Send(ctx, m)
}

// BenchmarkIssueWhileDelivering measures the latency of POST /v1/codes with
// deliver (a webhook), over HTTP on loopback from 4 clients at once, in
// three phases of each round, one after the other in the same process:
//
//   - off: no dispatcher runs; the jobs wait in the outbox
//   - nop: the service's dispatcher runs as Serve runs it, and its sender
//     accepts each message without sending it: the database's share
//   - webhook: the dispatcher posts each message, signed, to a receiver in
//     the same process: the whole cost
//
// Between phases the outbox is drained, untimed, so that each phase starts
// with nothing due. It reports the p50 and p99 of each phase, their ratios
// to off, and the CPU time per issued code (user and system): of the whole
// process (server, clients, dispatcher and receiver; with SQLite, the
// database too), and on PostgreSQL also of the server's backends that serve
// the benchmark's connections (found by their application_name).
func BenchmarkIssueWhileDelivering(b *testing.B) {
	const (
		clients  = 4
		perPhase = 1000
	)
	ctx := context.Background()
	app := fmt.Sprintf("secrets-bench-%d", os.Getpid())
	for _, be := range []backendtest.Backend{backendtest.SQLite(), backendtest.Postgres(map[string]string{"application_name": app})} {
		b.Run(be.Name, func(b *testing.B) { benchIssueWhileDelivering(b, ctx, be, app, clients, perPhase) })
	}
}

func benchIssueWhileDelivering(b *testing.B, ctx context.Context, be backendtest.Backend, app string, clients, perPhase int) {
	{
		st := be.NewDB(b).Open(b)
		dbCPU := func() time.Duration { return 0 }
		if be.Name == "PostgreSQL" {
			conn, err := pgx.Connect(ctx, backendtest.URL(b))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { conn.Close(ctx) })
			dbCPU = func() time.Duration { return backendsCPU(b, conn, app) }
		}
		var received atomic.Int64
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			received.Add(1)
		}))
		b.Cleanup(recv.Close)
		secret := deliver.SecretPrefix + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x77}, 32))
		wh, err := deliver.NewWebhook(recv.URL+"/hook", secret, 0, nil)
		if err != nil {
			b.Fatal(err)
		}
		sender := &switchSender{hook: wh}
		d, err := deliver.New(deliver.Options{Key: bytes.Repeat([]byte{0xd1}, deliver.KeyBytes), Webhook: sender})
		if err != nil {
			b.Fatal(err)
		}
		srv, err := New(Options{Store: st, AdminKeyDigest: sha256.Sum256([]byte(adminKey)), Pepper: backendtest.Pepper, Deliverer: d})
		if err != nil {
			b.Fatal(err)
		}
		api := httptest.NewServer(srv.Handler())
		b.Cleanup(api.Close)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
		ob := st.(store.Outbox)

		var subject atomic.Int64
		issue := func() (time.Duration, error) {
			body := fmt.Sprintf(`{"purpose":"login","subject":"u-%d","deliver":{"channel":"webhook","to":"+15550100"}}`, subject.Add(1))
			req, _ := http.NewRequest("POST", api.URL+"/v1/codes", bytes.NewReader([]byte(body)))
			req.Header.Set("Authorization", "Bearer "+adminKey)
			req.Header.Set("Content-Type", "application/json")
			start := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				return 0, err
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			took := time.Since(start)
			if resp.StatusCode != http.StatusCreated {
				return 0, fmt.Errorf("POST /v1/codes: %d", resp.StatusCode)
			}
			return took, nil
		}
		// drain sends every due job, untimed, with a dispatcher of its own.
		drain := func() {
			sender.nop.Store(true)
			disp := d.Dispatcher(ob, deliver.DispatchOptions{})
			for {
				n, err := disp.RunOnce(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if n == 0 {
					return
				}
			}
		}
		// phase issues perPhase codes from the clients and returns their
		// latencies and the process's CPU time.
		phase := func() ([]time.Duration, time.Duration) {
			lat := make([]time.Duration, 0, perPhase)
			var mu sync.Mutex
			var next atomic.Int64
			cpu0 := cpuTime() + dbCPU()
			var wg sync.WaitGroup
			for range clients {
				wg.Go(func() {
					for next.Add(1) <= int64(perPhase) {
						took, err := issue()
						if err != nil {
							b.Error(err)
							return
						}
						mu.Lock()
						lat = append(lat, took)
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			return lat, cpuTime() + dbCPU() - cpu0
		}
		type result struct {
			lat []time.Duration
			cpu time.Duration
		}
		var off, nop, hook result
		// measure runs a phase into r.
		measure := func(r *result) {
			lat, cpu := phase()
			r.lat = append(r.lat, lat...)
			r.cpu += cpu
		}
		// running runs the service's own dispatcher, woken by each issue
		// as in Serve, during f.
		running := func(f func()) {
			rctx, cancel := context.WithCancel(ctx)
			wait := srv.runDispatcher(rctx)
			f()
			cancel()
			wait()
		}
		drain()
		for b.Loop() {
			measure(&off)
			drain()
			sender.nop.Store(true)
			running(func() { measure(&nop) })
			drain()
			before := received.Load()
			sender.nop.Store(false)
			running(func() { measure(&hook) })
			drain()
			if received.Load() == before {
				b.Fatal("the receiver got no webhook: the dispatcher did not run")
			}
		}
		pct := func(lat []time.Duration, p float64) float64 {
			s := slices.Clone(lat)
			slices.Sort(s)
			return float64(s[int(float64(len(s)-1)*p)]) / float64(time.Millisecond)
		}
		for _, r := range []struct {
			name string
			r    result
		}{{"off", off}, {"nop", nop}, {"webhook", hook}} {
			b.ReportMetric(pct(r.r.lat, 0.50), r.name+"-p50-ms")
			b.ReportMetric(pct(r.r.lat, 0.99), r.name+"-p99-ms")
			b.ReportMetric(float64(r.r.cpu.Microseconds())/float64(len(r.r.lat)), r.name+"-cpu-µs/op")
			if r.name != "off" {
				b.ReportMetric(pct(r.r.lat, 0.50)/pct(off.lat, 0.50), r.name+"/off-p50")
				b.ReportMetric(pct(r.r.lat, 0.99)/pct(off.lat, 0.99), r.name+"/off-p99")
			}
		}
	}
}

// backendsCPU is the CPU time so far of the PostgreSQL backends whose
// application_name is app (the server runs on this machine).
func backendsCPU(b *testing.B, conn *pgx.Conn, app string) time.Duration {
	rows, err := conn.Query(context.Background(), `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, app)
	if err != nil {
		b.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		b.Fatal(err)
	}
	var ticks int64
	for _, pid := range pids {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // it ended
		}
		// After the command's closing parenthesis: state is field 3,
		// utime and stime fields 14 and 15.
		f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
		if len(f) < 13 {
			b.Fatalf("/proc/%d/stat: %q", pid, raw)
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + s
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

// cpuTime is the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
