package server_test

import (
	"bufio"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/unguessable/secrets/internal/buildtest"
)

// These tests run the real secrets binary, built once per test run: a
// process that is killed, restarted, or one of two sharing a database.

func TestMain(m *testing.M) {
	code := m.Run()
	// A whole run (no -run, -skip or -short) must have exercised every
	// route, each answer checked against openapi.json (contract_test.go).
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && flag.Lookup("test.skip").Value.String() == "" && !testing.Short() {
		if missing := uncoveredOperations(allRoutes()); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "contract: no test got a 2xx answer, checked against openapi.json, from: %s\n", strings.Join(missing, ", "))
			code = 1
		}
	}
	buildtest.Cleanup()
	os.Exit(code)
}

// secretsBinary returns cmd/secrets built from this tree, once per run.
func secretsBinary(t *testing.T) string {
	t.Helper()
	return buildtest.Command(t, "cmd/secrets")
}

// proc is a running "secrets serve".
type proc struct {
	*client
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
}

var addrRE = regexp.MustCompile(`msg=listening addr=(127\.0\.0\.1:\d+)`)

// startProc starts "secrets serve" on dsn, on a free loopback port, with
// the test admin key, and waits until it listens.
// testPepper is the pepper of the processes the tests start.
const testPepper = "a-pepper-shared-by-the-test-processes-0123456789"

func startProc(t *testing.T, dsn string, extraArgs ...string) *proc {
	t.Helper()
	bin := secretsBinary(t)
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", dsn}, extraArgs...)...)
	cmd.Dir = t.TempDir()
	// Every process gets the same pepper, as instances of one database
	// must: each runs in a directory of its own, where a pepper file of
	// its own would be refused.
	cmd.Env = append(os.Environ(), "SECRETS_ADMIN_KEY="+testAdminKey, "SECRETS_PEPPER="+testPepper)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.stderr.Write([]byte(line + "\n"))
			if m := addrRE.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	select {
	case a := <-addr:
		p.client = newClient("http://" + a)
	case <-p.done:
		t.Fatalf("secrets serve exited before listening: %s", p.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("secrets serve did not listen within 30s: %s", p.stderr.String())
	}
	return p
}

// kill sends SIGKILL and waits for the process to go.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

func TestKill9KeepsWhatWasReturned(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		p := startProc(t, b.dsn)
		tok := p.do(t, "POST", "/v1/tokens", map[string]any{"purpose": "reset", "subject": "u1"})
		want(t, tok, http.StatusCreated)
		code := p.do(t, "POST", "/v1/codes", map[string]any{"purpose": "login", "subject": "u1"})
		want(t, code, http.StatusCreated)
		key := p.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_live_"})
		want(t, key, http.StatusCreated)
		p.kill(t) // at once, after the third answer

		q := startProc(t, b.dsn)
		if v := q.do(t, "POST", "/v1/tokens/verify", map[string]any{"purpose": "reset", "token": tok.str("token")}); v.str("status") != "VALID" {
			t.Errorf("the token after kill -9: %s", v.raw)
		}
		if v := q.do(t, "POST", "/v1/codes/verify", map[string]any{"purpose": "login", "subject": "u1", "code": code.str("code")}); v.str("status") != "APPROVED" {
			t.Errorf("the code after kill -9 (the pepper must have been kept too): %s", v.raw)
		}
		if v := q.do(t, "POST", "/v1/keys/verify", map[string]any{"key": key.str("key")}); v.str("status") != "VALID" {
			t.Errorf("the key after kill -9: %s", v.raw)
		}

		t.Run("SIGTERM stops the server cleanly with exit status 0", func(t *testing.T) {
			if err := q.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case <-q.done:
			case <-time.After(30 * time.Second):
				t.Fatal("no exit within 30s of SIGTERM")
			}
			if code := q.cmd.ProcessState.ExitCode(); code != 0 || !strings.Contains(q.stderr.String(), "msg=stopped") {
				t.Fatalf("exit status %d after SIGTERM; stderr:\n%s", code, q.stderr.String())
			}
		})
	})
}

// hammer sends n requests at once, request i to procs[i%len(procs)], and
// returns the answers.
func hammer(t *testing.T, n int, procs []*proc, method, path string, body func(i int) any) []response {
	t.Helper()
	out := make([]response, n)
	errs := make([]error, n)
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	for i := range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-gate
			out[i], errs[i] = procs[i%len(procs)].try(method, path, body(i))
		}()
	}
	ready.Wait()
	close(gate)
	done.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if out[i].status != http.StatusOK {
			t.Fatalf("request %d: %d %s", i, out[i].status, out[i].raw)
		}
	}
	return out
}

func statuses(rs []response) map[string]int {
	m := map[string]int{}
	for _, r := range rs {
		m[r.str("status")]++
	}
	return m
}

func TestTwoProcessesOneDatabase(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		a := startProc(t, b.dsn, "--quiet-requests")
		c := startProc(t, b.dsn, "--quiet-requests")
		both := []*proc{a, c}

		t.Run("of 200 concurrent redemptions of one token, exactly one is VALID", func(t *testing.T) {
			tok := a.do(t, "POST", "/v1/tokens", map[string]any{"purpose": "reset", "subject": "race"})
			want(t, tok, http.StatusCreated)
			got := statuses(hammer(t, 200, both, "POST", "/v1/tokens/redeem", func(int) any {
				return map[string]any{"purpose": "reset", "token": tok.str("token")}
			}))
			if got["VALID"] != 1 || got["USED"] != 199 {
				t.Fatalf("outcomes %v, want 1 VALID and 199 USED", got)
			}
		})
		t.Run("500 concurrent wrong guesses count exactly 5 attempts; then the right code is MAX_ATTEMPTS", func(t *testing.T) {
			code := c.do(t, "POST", "/v1/codes", map[string]any{"purpose": "login", "subject": "race"})
			want(t, code, http.StatusCreated)
			right := code.str("code")
			wrong := fmt.Sprintf("%06d", (int(right[0]-'0')+1)%10*100000)
			got := statuses(hammer(t, 500, both, "POST", "/v1/codes/verify", func(int) any {
				return map[string]any{"purpose": "login", "subject": "race", "code": wrong}
			}))
			if got["INVALID"] != 5 || got["MAX_ATTEMPTS"] != 495 {
				t.Fatalf("outcomes %v, want 5 INVALID and 495 MAX_ATTEMPTS", got)
			}
			v := a.do(t, "POST", "/v1/codes/verify", map[string]any{"purpose": "login", "subject": "race", "code": right})
			if v.str("status") != "MAX_ATTEMPTS" {
				t.Fatalf("the right code after the burst: %s", v.raw)
			}
		})
		t.Run("a key with 100 remaining uses verified 1000 times at once is VALID exactly 100 times", func(t *testing.T) {
			key := a.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_", "remaining": 100})
			want(t, key, http.StatusCreated)
			got := statuses(hammer(t, 1000, both, "POST", "/v1/keys/verify", func(int) any {
				return map[string]any{"key": key.str("key")}
			}))
			if got["VALID"] != 100 || got["USAGE_EXCEEDED"] != 900 {
				t.Fatalf("outcomes %v, want 100 VALID and 900 USAGE_EXCEEDED", got)
			}
		})
		t.Run("a rate limit of 50 per window admits at most 50 per window", func(t *testing.T) {
			key := c.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_", "ratelimit": map[string]any{"limit": 50, "window": 3600}})
			want(t, key, http.StatusCreated)
			rs := hammer(t, 300, both, "POST", "/v1/keys/verify", func(int) any {
				return map[string]any{"key": key.str("key")}
			})
			perWindow := map[string]int{}
			for _, r := range rs {
				if r.str("status") == "VALID" {
					perWindow[r.str("ratelimit.reset")]++
				} else if r.str("status") != "RATE_LIMITED" {
					t.Fatalf("unexpected outcome %s", r.raw)
				}
			}
			total := 0
			for reset, n := range perWindow {
				total += n
				if n > 50 {
					t.Errorf("%d VALID in the window ending %s, the limit is 50", n, reset)
				}
			}
			// 300 requests in well under an hour: unless a window boundary
			// fell inside the burst, the one window is full.
			if len(perWindow) == 1 && total != 50 {
				t.Errorf("%d VALID in one window, want 50", total)
			}
		})
	})
}
