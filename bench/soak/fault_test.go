package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/unguessable/secrets/bench/internal/soak"
	"github.com/unguessable/secrets/internal/backendtest"
)

// privatePG is a PostgreSQL cluster of the test's own, in a temporary
// directory, on a free port, with its socket in that directory: a server
// the test may stop and start without touching anyone else's.
type privatePG struct {
	t               *testing.T
	bin, dir, data  string
	port            string
	uid, gid        uint32
	mu              sync.Mutex
	stopped, backUp time.Time
}

func newPrivatePG(t *testing.T) *privatePG {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		skipOrFail(t, "no PostgreSQL server binaries under /usr/lib/postgresql to make a private cluster")
	}
	u, err := user.Lookup("postgres")
	if err != nil || os.Geteuid() != 0 {
		skipOrFail(t, "a private PostgreSQL cluster needs root and the user postgres (euid %d, %v)", os.Geteuid(), err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	dir, err := os.MkdirTemp("", "soak-pg-")
	if err != nil {
		t.Fatal(err)
	}
	p := &privatePG{t: t, bin: filepath.Dir(bins[len(bins)-1]), dir: dir, data: filepath.Join(dir, "data"), uid: uint32(uid), gid: uint32(gid)}
	t.Cleanup(func() {
		p.pgctl("stop", "-m", "immediate")
		os.RemoveAll(dir)
	})
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	if out, err := p.run("initdb", "-D", p.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	addr, err := soak.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	p.port = addr[strings.LastIndex(addr, ":")+1:]
	p.start()
	if out, err := p.run("psql", "-h", p.dir, "-p", p.port, "-U", "postgres", "-c", "CREATE SCHEMA soak"); err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	return p
}

// run runs a server binary as the user postgres.
func (p *privatePG) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(p.bin, name), args...)
	cmd.Dir = p.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: p.uid, Gid: p.gid}}
	return cmd.CombinedOutput()
}

func (p *privatePG) pgctl(args ...string) ([]byte, error) {
	return p.run("pg_ctl", append([]string{"-D", p.data, "-w"}, args...)...)
}

func (p *privatePG) start() {
	out, err := p.pgctl("-l", filepath.Join(p.dir, "log"), "-o", "-p "+p.port+" -k "+p.dir+" -c listen_addresses=127.0.0.1", "start")
	if err != nil {
		p.t.Errorf("pg_ctl start: %v\n%s", err, out)
		return
	}
	p.mu.Lock()
	p.backUp = time.Now()
	p.mu.Unlock()
}

// stop shuts the server down (fast: clients are disconnected); stopped is
// when the shutdown began.
func (p *privatePG) stop() {
	began := time.Now()
	if out, err := p.pgctl("-m", "fast", "stop"); err != nil {
		p.t.Errorf("pg_ctl stop: %v\n%s", err, out)
		return
	}
	p.mu.Lock()
	p.stopped = began
	p.mu.Unlock()
}

func (p *privatePG) url() string {
	return "postgres://postgres@127.0.0.1:" + p.port + "/postgres?sslmode=disable&search_path=soak"
}

// healthy checks that every instance answers /healthz with 200.
func healthy(t *testing.T, cl *soak.Cluster) {
	t.Helper()
	for i, in := range cl.Instances {
		resp, err := http.Get("http://" + in.Addr + "/healthz")
		if err != nil {
			t.Errorf("instance %d: %v", i+1, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("instance %d: /healthz answered %d", i+1, resp.StatusCode)
		}
	}
}

// TestPostgresRestartedMidSoak runs the soak on two instances over a
// private PostgreSQL cluster and restarts the cluster (a fast shutdown, 3 s
// down) 10 s in: during the outage the instances answer 503 with
// Retry-After and never 500 or a dropped connection, they answer again
// without help within 15 s of the database's return, and the ledger check
// passes.
func TestPostgresRestartedMidSoak(t *testing.T) {
	t.Parallel()
	pg := newPrivatePG(t)
	cl := startCluster(t, pg.url(), 2)
	var restarted sync.WaitGroup
	var once sync.Once
	res, err := soak.Run(context.Background(), soak.Config{Instances: cl.Instances, DB: openDB(t, pg.url()), AdminKey: cl.AdminKey,
		RunID: "restart", PeakFor: 3 * time.Second, Duration: 35 * time.Second, Interval: 5 * time.Second, Workers: 16, Logf: t.Logf,
		OnSample: func(s soak.Sample) {
			if s.T < 9 {
				return
			}
			once.Do(func() {
				restarted.Add(1)
				go func() {
					defer restarted.Done()
					pg.stop()
					time.Sleep(3 * time.Second)
					pg.start()
				}()
			})
		}})
	restarted.Wait()
	if err != nil {
		t.Fatalf("%v\n%s", err, cl.Logs())
	}
	checkLedger(t, res, cl)
	st := res.Ledger.Statuses()
	refused := 0
	for k, v := range st {
		switch {
		case strings.HasSuffix(k, " 503"):
			refused += v
		case strings.HasSuffix(k, " 200"), strings.HasSuffix(k, " 201"):
		default:
			t.Errorf("%d answers %q while the database restarted; want 200, 201 or 503", v, k)
		}
	}
	pg.mu.Lock()
	stopped, backUp := pg.stopped, pg.backUp
	pg.mu.Unlock()
	if stopped.IsZero() {
		t.Fatal("the database was never stopped")
	}
	if refused == 0 {
		t.Errorf("no 503 while the database was down from %v to %v", stopped.Format(time.StampMilli), backUp.Format(time.StampMilli))
	}
	if res.LastRefused.After(backUp.Add(15 * time.Second)) {
		t.Errorf("the last 503 came %v after the database was back: it did not recover by itself", res.LastRefused.Sub(backUp))
	}
	t.Logf("database down %v; 503s from %v after it stopped until %v after it was back",
		backUp.Sub(stopped).Round(time.Millisecond), res.FirstRefused.Sub(stopped).Round(time.Millisecond), res.LastRefused.Sub(backUp).Round(time.Millisecond))
	healthy(t, cl)
}

// TestOneOfTwoInstancesKilled runs the soak on two instances over one
// PostgreSQL database, kills the second with SIGKILL 10 s in and starts it
// again 2 s later: the ledger check passes (nothing acknowledged is lost,
// no token is redeemed twice, no key spent beyond its limit), and no
// answer is a 5xx; only calls to the dead instance fail.
func TestOneOfTwoInstancesKilled(t *testing.T) {
	t.Parallel()
	db := backendtest.Postgres(nil).NewDB(t)
	cl := startCluster(t, db.DSN, 2)
	var restarted sync.WaitGroup
	var once sync.Once
	var restartErr error
	res, err := soak.Run(context.Background(), soak.Config{Instances: cl.Instances, DB: openDB(t, db.DSN), AdminKey: cl.AdminKey,
		RunID: "kill", PeakFor: 3 * time.Second, Duration: 30 * time.Second, Interval: 5 * time.Second, Workers: 16, Logf: t.Logf,
		OnSample: func(s soak.Sample) {
			if s.T < 9 {
				return
			}
			once.Do(func() {
				restarted.Add(1)
				go func() {
					defer restarted.Done()
					cl.Instances[1].Kill()
					time.Sleep(2 * time.Second)
					restartErr = cl.Instances[1].Start(time.Minute)
				}()
			})
		}})
	restarted.Wait()
	if err != nil {
		t.Fatalf("%v\n%s", err, cl.Logs())
	}
	if restartErr != nil {
		t.Fatalf("restarting the killed instance: %v\n%s", restartErr, cl.Logs())
	}
	checkLedger(t, res, cl)
	lost := 0
	for k, v := range res.Ledger.Statuses() {
		switch {
		case strings.HasSuffix(k, " transport error"):
			lost += v
		case strings.HasSuffix(k, " 200"), strings.HasSuffix(k, " 201"):
		default:
			t.Errorf("%d answers %q; want 200 or 201 (or no answer from the dead instance)", v, k)
		}
	}
	if lost == 0 {
		t.Error("no call failed: the instance was not killed while the soak ran")
	}
	healthy(t, cl)
}
