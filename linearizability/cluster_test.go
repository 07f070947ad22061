package linearizability_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/unguessable/secrets/internal/buildtest"
)

// This file runs the parts the recorder talks to: the secrets binary as
// processes that can be killed, a TCP proxy that can cut connections, and
// a private PostgreSQL cluster that can be restarted.

func TestMain(m *testing.M) {
	code := m.Run()
	buildtest.Cleanup()
	os.Exit(code)
}

// secretsBinary returns cmd/secrets built from this tree, once per run.
func secretsBinary(t *testing.T) string {
	t.Helper()
	return buildtest.Command(t, "cmd/secrets")
}

// The root key and pepper of every process the tests start.
const (
	adminKey = "secrets_admin_linearizability_0123456789abcdefghijklmnop"
	pepper   = "a-pepper-shared-by-the-linearizability-processes-0123456789"
)

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// instance is one "secrets serve" on a fixed address: a slot that a
// process fills, and that a restart fills with a new process.
type instance struct {
	t    *testing.T
	slot int
	addr string
	dsn  string
	dir  string

	mu   sync.Mutex
	gen  int // restarts so far
	cmd  *exec.Cmd
	done chan struct{}
	logs *bytes.Buffer
	// logMu guards the log buffers of the slot's processes.
	logMu sync.Mutex
}

// logTail is the end of the log of the process now in the slot.
func (in *instance) logTail() string {
	in.mu.Lock()
	logs := in.logs
	in.mu.Unlock()
	in.logMu.Lock()
	defer in.logMu.Unlock()
	b := logs.Bytes()
	return string(b[max(len(b)-4000, 0):])
}

func newInstance(t *testing.T, slot int, dsn string) *instance {
	in := &instance{t: t, slot: slot, addr: fmt.Sprintf("127.0.0.1:%d", freePort(t)), dsn: dsn, dir: t.TempDir()}
	if err := in.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.mu.Lock()
		cmd, done := in.cmd, in.done
		in.mu.Unlock()
		cmd.Process.Kill()
		<-done
	})
	return in
}

// proc names the process now in the slot, for the access-key model.
func (in *instance) proc() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.slot*1000 + in.gen
}

// start starts a process in the slot and waits until it listens.
func (in *instance) start() error {
	// Every client of the harness calls from 127.0.0.1, and the access-key
	// model presents revoked keys on purpose: the throttle of wrong keys
	// per client address would refuse every client after 20 of them.
	cmd := exec.Command(secretsBinary(in.t), "serve", "--addr", in.addr, "--db", in.dsn, "--quiet-requests", "--no-auth-throttle")
	cmd.Dir = in.dir
	cmd.Env = append(os.Environ(), "SECRETS_ADMIN_KEY="+adminKey, "SECRETS_PEPPER="+pepper)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	listening := make(chan struct{}, 1)
	logs := &bytes.Buffer{}
	logMu := &in.logMu
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			logMu.Lock()
			if logs.Len() < 1<<20 {
				logs.WriteString(line + "\n")
			}
			logMu.Unlock()
			if strings.Contains(line, "msg=listening") {
				select {
				case listening <- struct{}{}:
				default:
				}
			}
		}
		cmd.Wait()
		close(done)
	}()
	in.mu.Lock()
	in.cmd, in.done, in.logs = cmd, done, logs
	in.mu.Unlock()
	select {
	case <-listening:
		return nil
	case <-done:
		logMu.Lock()
		defer logMu.Unlock()
		return fmt.Errorf("secrets serve (slot %d) exited before listening: %s", in.slot, logs.String())
	case <-time.After(60 * time.Second):
		return fmt.Errorf("secrets serve (slot %d) did not listen within 60s", in.slot)
	}
}

// kill9 kills the process with SIGKILL, waits for it to go, and starts a
// new one on the same address and database.
func (in *instance) kill9() error {
	in.mu.Lock()
	cmd, done := in.cmd, in.done
	in.mu.Unlock()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		if errors.Is(err, os.ErrProcessDone) {
			<-done
			return fmt.Errorf("secrets serve (slot %d) had exited by itself (%v); the end of its log:\n%s", in.slot, cmd.ProcessState, in.logTail())
		}
		return err
	}
	<-done
	in.mu.Lock()
	in.gen++
	in.mu.Unlock()
	var err error
	for range 20 { // the port may be taken for a moment by a client's connection
		if err = in.start(); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// proxy forwards TCP connections to an address, and can cut them: close
// every open connection and refuse new ones for a while.
type proxy struct {
	ln     net.Listener
	target string

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	cutUntil time.Time
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.cut(0)
	})
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

func (p *proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Now().Before(p.cutUntil) {
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *proxy) forward(c net.Conn) {
	if !p.track(c) {
		c.Close()
		return
	}
	s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil || !p.track(s) {
		c.Close()
		if s != nil {
			s.Close()
		}
		return
	}
	var wg sync.WaitGroup
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		io.Copy(dst, src)
		dst.Close()
		src.Close()
	}
	wg.Add(2)
	go pipe(s, c)
	go pipe(c, s)
	wg.Wait()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, s)
	p.mu.Unlock()
}

// cut closes every connection through the proxy and refuses new ones for d.
func (p *proxy) cut(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutUntil = time.Now().Add(d)
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// pgCluster is a PostgreSQL cluster of the test's own, made with initdb on
// a free port, so that the test may restart it without touching the shared
// server.
type pgCluster struct {
	t    *testing.T
	bin  string // the directory of initdb and pg_ctl
	dir  string
	port int
	asPG bool // run its programs as the user postgres (the test runs as root)
}

func (c *pgCluster) dsn() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&pool_max_conns=8", c.port)
}

// pgBin finds the directory of initdb and pg_ctl.
func pgBin() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		return "", fmt.Errorf("no initdb: neither pg_config --bindir nor /usr/lib/postgresql/*/bin has it")
	}
	return filepath.Dir(matches[len(matches)-1]), nil
}

func (c *pgCluster) run(name string, args ...string) error {
	argv := append([]string{filepath.Join(c.bin, name)}, args...)
	if c.asPG {
		argv = append([]string{"runuser", "-u", "postgres", "--"}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return nil
}

// startPostgres makes and starts a private cluster, stopped and removed
// when the test ends.
func startPostgres(t *testing.T) *pgCluster {
	t.Helper()
	bin, err := pgBin()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "secrets-linearizability-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &pgCluster{t: t, bin: bin, dir: dir, port: freePort(t), asPG: os.Geteuid() == 0}
	t.Cleanup(func() {
		c.run("pg_ctl", "-D", filepath.Join(dir, "data"), "-m", "immediate", "-w", "stop")
		os.RemoveAll(dir)
	})
	if c.asPG {
		if out, err := exec.Command("chown", "postgres:", dir).CombinedOutput(); err != nil {
			t.Fatalf("chown %s: %v %s", dir, err, out)
		}
	}
	if err := c.run("initdb", "-D", filepath.Join(dir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		t.Fatal(err)
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100", c.port, dir)
	if err := c.run("pg_ctl", "-D", filepath.Join(dir, "data"), "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "start"); err != nil {
		t.Fatal(err)
	}
	return c
}

// restart stops the cluster as a crash would (immediate shutdown: no
// checkpoint, the connections cut) and starts it again.
func (c *pgCluster) restart() error {
	return c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-l", filepath.Join(c.dir, "log"), "-m", "immediate", "-w", "-t", "60", "restart")
}
