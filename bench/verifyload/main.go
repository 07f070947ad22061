// Command verifyload measures plain-key verification against a running
// "secrets serve": it makes fresh keys through the API, then verifies them
// from many goroutines, each calling as soon as it is answered, and prints
// per round the verifications per second and the CPU time the service's
// process spent on each (read from /proc, so Linux only). The CPU time is
// the steadier figure on a machine that other work loads.
//
// It is how docs/CAPACITY.md compares a database of ten million keys with
// one of a thousand: fill one with bench/capacity -keep, start the service
// on it, and run this against it, then the same on a new database:
//
//	SECRETS_ADMIN_KEY=… secrets serve --db big.db --addr 127.0.0.1:8427 --no-auth-throttle &
//	SECRETS_ADMIN_KEY=… go run ./bench/verifyload -url http://127.0.0.1:8427 -pid $!
//
// The root key comes from SECRETS_ADMIN_KEY (never a flag: ps would show
// it). Each key has an owner, as bench/serveprep's do, unless -owners=false.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/unguessable/secrets/bench/internal/soak"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8427", "the service's `URL`")
	pid := flag.Int("pid", 0, "the service's process id, for its CPU time (0: not measured)")
	nkeys := flag.Int("keys", 1000, "keys to make and verify in turn")
	workers := flag.Int("workers", 32, "concurrent requests")
	d := flag.Duration("duration", 8*time.Second, "each round")
	rounds := flag.Int("rounds", 3, "rounds")
	owners := flag.Bool("owners", true, "give each key an owner (a key with an owner is looked up with a probe of its owner's named limits)")
	flag.Parse()
	admin := os.Getenv("SECRETS_ADMIN_KEY")
	if admin == "" {
		fmt.Fprintln(os.Stderr, "verifyload: set SECRETS_ADMIN_KEY to a root key of the service")
		os.Exit(2)
	}
	if err := run(*base, admin, *pid, *nkeys, *workers, *d, *rounds, *owners); err != nil {
		fmt.Fprintln(os.Stderr, "verifyload:", err)
		os.Exit(1)
	}
}

func run(base, admin string, pid, nkeys, workers int, d time.Duration, rounds int, owners bool) error {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}, Timeout: time.Minute}
	post := func(path string, body any, out any) error {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", base+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("%s: status %d: %s", path, resp.StatusCode, data)
		}
		return json.Unmarshal(data, out)
	}
	keys := make([]string, nkeys)
	for i := range keys {
		var k struct{ Key string }
		req := map[string]any{"prefix": "sk_load_"}
		if owners {
			req["owner"] = fmt.Sprint("load", i)
		}
		if err := post("/v1/keys", req, &k); err != nil {
			return err
		}
		keys[i] = k.Key
	}
	cpu := func() float64 {
		if pid == 0 {
			return 0
		}
		s, err := soak.CPUSeconds(pid)
		if err != nil {
			return 0
		}
		return s
	}
	for round := 1; round <= rounds; round++ {
		var n atomic.Int64
		var failed atomic.Value
		c0, t0 := cpu(), time.Now()
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; time.Since(t0) < d && failed.Load() == nil; i += workers {
					var a struct{ Status string }
					if err := post("/v1/keys/verify", map[string]any{"key": keys[i%len(keys)]}, &a); err != nil || a.Status != "VALID" {
						failed.CompareAndSwap(nil, fmt.Errorf("a verification answered %q, %v", a.Status, err))
						return
					}
					n.Add(1)
				}
			}()
		}
		wg.Wait()
		if err, _ := failed.Load().(error); err != nil {
			return err
		}
		el := time.Since(t0).Seconds()
		line := fmt.Sprintf("round %d: %.0f verifications/s", round, float64(n.Load())/el)
		if pid != 0 {
			line += fmt.Sprintf(", %.1f µs of the service's CPU each", (cpu()-c0)/float64(n.Load())*1e6)
		}
		fmt.Println(line)
	}
	return nil
}
