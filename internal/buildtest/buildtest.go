// Package buildtest builds this module's commands for tests that run them
// as processes (to kill one with SIGKILL, restart it, or run several on one
// database): each command is built once per test binary, into a temporary
// directory that [Cleanup] removes.
package buildtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var (
	mu    sync.Mutex
	dir   string
	built = map[string]result{} // by package path relative to the module root
)

type result struct {
	path string
	err  error
}

// Command returns the path of the command in pkg, a directory relative to
// the module's root such as "cmd/secrets", built from this tree on the
// first call. Under -short it skips the test: a build takes seconds.
func Command(t testing.TB, pkg string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not building " + pkg)
	}
	mu.Lock()
	defer mu.Unlock()
	r, ok := built[pkg]
	if !ok {
		r = build(pkg)
		built[pkg] = r
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.path
}

func build(pkg string) result {
	root, err := moduleRoot()
	if err != nil {
		return result{err: err}
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "secrets-buildtest-"); err != nil {
			return result{err: err}
		}
	}
	out := filepath.Join(dir, path.Base(pkg))
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", out, "./"+pkg)
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return result{err: fmt.Errorf("go build ./%s: %v\n%s", pkg, err, msg)}
	}
	return result{path: out}
}

// moduleRoot is the nearest directory at or above the working directory
// (a test's package directory) that holds go.mod.
func moduleRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("buildtest: no go.mod above the working directory")
		}
		d = parent
	}
}

// Cleanup removes what Command built; call it from TestMain after m.Run.
func Cleanup() {
	mu.Lock()
	defer mu.Unlock()
	if dir != "" {
		os.RemoveAll(dir)
		dir = ""
	}
	clear(built)
}
