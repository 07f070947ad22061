// Package soak runs "secrets serve" as processes under a mixed workload at a
// fixed rate for a set time, keeps a ledger of every write the service
// acknowledged, samples the processes and the database as it goes, and at
// the end checks the database against the ledger. The command bench/soak
// and the tests beside it share it.
package soak

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// An Instance is one "secrets serve" process.
type Instance struct {
	Bin, DB, Dir string
	Env          []string
	Addr         string // the service, 127.0.0.1:PORT
	MetricsAddr  string // /metrics without a key
	Extra        []string

	mu   sync.Mutex // guards cmd and done, which a restart replaces
	cmd  *exec.Cmd
	done chan struct{}
}

// FreePort returns a loopback port that nothing listened on a moment ago.
func FreePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// NewInstance prepares an instance of bin on db; logs go to dir.
func NewInstance(bin, db, dir string, env []string, extra ...string) (*Instance, error) {
	a, err := FreePort()
	if err != nil {
		return nil, err
	}
	m, err := FreePort()
	if err != nil {
		return nil, err
	}
	return &Instance{Bin: bin, DB: db, Dir: dir, Env: env, Addr: a, MetricsAddr: m, Extra: extra}, nil
}

// Start starts the process and waits until /healthz answers 200, for at
// most wait.
func (in *Instance) Start(wait time.Duration) error {
	args := append([]string{"serve", "--addr", in.Addr, "--db", in.DB, "--metrics-addr", in.MetricsAddr,
		"--quiet-requests", "--admin-key-file", filepath.Join(in.Dir, "admin-key-"+strings.ReplaceAll(in.Addr, ":", "_"))}, in.Extra...)
	cmd := exec.Command(in.Bin, args...)
	cmd.Env = append(os.Environ(), in.Env...)
	lf, err := os.OpenFile(filepath.Join(in.Dir, "serve-"+strings.ReplaceAll(in.Addr, ":", "_")+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		lf.Close()
		return err
	}
	done := make(chan struct{})
	in.mu.Lock()
	in.cmd, in.done = cmd, done
	in.mu.Unlock()
	go func() { cmd.Wait(); lf.Close(); close(done) }()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("secrets serve on %s exited at start (%s); its log is in %s", in.Addr, cmd.ProcessState, in.Dir)
		default:
		}
		resp, err := http.Get("http://" + in.Addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("secrets serve on %s did not answer /healthz within %v", in.Addr, wait)
}

// PID is the process's id, or 0 when it does not run.
func (in *Instance) PID() int {
	cmd, done := in.current()
	if cmd == nil || cmd.Process == nil || exited(done) {
		return 0
	}
	return cmd.Process.Pid
}

func (in *Instance) current() (*exec.Cmd, chan struct{}) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.cmd, in.done
}

func exited(done chan struct{}) bool {
	if done == nil {
		return true
	}
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// Exited reports whether the process has ended.
func (in *Instance) Exited() bool {
	_, done := in.current()
	return exited(done)
}

// Kill sends SIGKILL and waits for the process to end.
func (in *Instance) Kill() {
	cmd, done := in.current()
	if exited(done) {
		return
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// Stop sends SIGTERM and waits up to 10 s, then kills.
func (in *Instance) Stop() {
	cmd, done := in.current()
	if exited(done) {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		in.Kill()
	}
}

// Goroutines reads go_goroutines from the instance's /metrics.
func (in *Instance) Goroutines(ctx context.Context) (float64, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+in.MetricsAddr+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	for _, l := range strings.Split(b.String(), "\n") {
		if v, ok := strings.CutPrefix(l, "go_goroutines "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, errors.New("no go_goroutines in /metrics")
}

// RSS is the process's resident set in bytes, from /proc.
func RSS(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			f := strings.Fields(v)
			kb, err := strconv.ParseFloat(f[0], 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS")
}

// CPUSeconds is the CPU time (user and system) that process pid has used.
func CPUSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: count the fields
	// after its closing parenthesis (utime and stime are fields 14 and 15).
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, errors.New("cannot read /proc/pid/stat")
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("cannot read utime and stime in /proc/pid/stat")
	}
	return (ut + st) / clockTicks, nil
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/pid/stat's times:
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// OpenFiles counts the process's file descriptors.
func OpenFiles(pid int) (float64, error) {
	es, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return float64(len(es)), err
}
