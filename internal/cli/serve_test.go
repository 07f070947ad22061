package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestServeRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"an address without a port is a usage error", []string{"serve", "--addr", "localhost"}, "--addr"},
		{"an unknown log format is a usage error", []string{"serve", "--log-format", "xml"}, "--log-format"},
		{"an empty database is a usage error", []string{"serve", "--db", ""}, "--db"},
		{"a retention of zero is a usage error", []string{"serve", "--retention", "0s"}, "--retention"},
		{"a retention shorter than the code send window is a usage error", []string{"serve", "--retention", "9m"}, "shorter than the code send window"},
		{"an argument is a usage error", []string{"serve", "extra"}, "extra"},
		{"a mysql:// URL is refused, not taken for a file name", []string{"serve", "--db", "mysql://u:hunter2@db/x"}, "mysql:// databases are not supported"},
		{"a sqlite:// URL is refused", []string{"serve", "--db", "sqlite:///tmp/x.db"}, "sqlite:// databases are not supported"},
		{"an in-memory database is refused", []string{"serve", "--db", ":memory:"}, "--db :memory: is not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			r := run(t, "", tc.args...)
			wantUsageError(t, r, tc.want)
			if strings.Contains(r.err, "hunter2") {
				t.Errorf("the error quotes the password: %q", r.err)
			}
			if files, _ := os.ReadDir(dir); len(files) != 0 {
				t.Errorf("a refused start left %d files, the first %s", len(files), files[0].Name())
			}
		})
	}
	t.Run("a postgres URL that does not parse is a usage error that does not quote it", func(t *testing.T) {
		r := run(t, "", "serve", "--db", "postgres://user:hunter2@host:notaport/db")
		wantUsageError(t, r, "--db")
		if strings.Contains(r.err, "hunter2") {
			t.Errorf("the error quotes the password: %q", r.err)
		}
	})
}

// lockedBuffer collects the output of a command that runs in another
// goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var listeningRE = regexp.MustCompile(`msg"?[=:]"?listening"?[ ,]"?addr"?[=:]"?(127\.0\.0\.1:\d+)`)

// serving runs "secrets serve args…" in-process until the test calls stop,
// which returns the exit status; addr is where it listens.
func serving(t *testing.T, args ...string) (addr string, stderr *lockedBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr = &lockedBuffer{}
	var out bytes.Buffer
	exit := make(chan int, 1)
	go func() {
		exit <- Main(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), Streams{In: strings.NewReader(""), Out: &out, Err: stderr})
	}()
	stop = func() int {
		cancel()
		select {
		case code := <-exit:
			if out.Len() != 0 {
				t.Errorf("serve wrote to stdout: %q", out.String())
			}
			return code
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop within 30s")
			return -1
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := listeningRE.FindStringSubmatch(stderr.String()); m != nil {
			return m[1], stderr, stop
		}
		select {
		case code := <-exit:
			t.Fatalf("serve exited with %d before listening: %s", code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("serve did not listen: %s", stderr.String())
	return "", nil, nil
}

func get(t *testing.T, url, key string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

var adminKeyRE = regexp.MustCompile(`admin key \(shown once, only its hash is kept\): (secrets_admin_[A-Za-z0-9_-]{43})\n`)

func TestServePrintsTheGeneratedAdminKeyOnce(t *testing.T) {
	t.Setenv("SECRETS_ADMIN_KEY", "")
	t.Setenv("SECRETS_DB", "")
	t.Chdir(t.TempDir())

	addr, stderr, stop := serving(t)
	m := adminKeyRE.FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no admin key on stderr: %s", stderr.String())
	}
	key := m[1]
	if got := get(t, "http://"+addr+"/v1/keys", key); got != http.StatusOK {
		t.Errorf("the printed admin key got %d", got)
	}
	if got := get(t, "http://"+addr+"/v1/keys", key+"x"); got != http.StatusUnauthorized {
		t.Errorf("a wrong admin key got %d", got)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit status %d after the context ended: %s", code, stderr.String())
	}
	if _, err := os.Stat("secrets.db"); err != nil {
		t.Fatalf("the default database secrets.db is not in the working directory: %v", err)
	}
	if n := strings.Count(stderr.String(), key); n != 1 {
		t.Errorf("the admin key appears %d times on stderr, want once", n)
	}

	addr, stderr, stop = serving(t)
	if strings.Contains(stderr.String(), "admin key") {
		t.Errorf("the second start printed an admin key: %s", stderr.String())
	}
	if got := get(t, "http://"+addr+"/v1/keys", key); got != http.StatusOK {
		t.Errorf("after a restart the admin key got %d", got)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit status %d", code)
	}
}

func TestServeTakesSettingsFromTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "env.db")
	const key = "an-admin-key-from-the-environment-0123456789"
	t.Setenv("SECRETS_DB", db)
	t.Setenv("SECRETS_ADMIN_KEY", key)
	t.Setenv("SECRETS_PEPPER", strings.Repeat("p", 32))
	addr, stderr, stop := serving(t, "--log-format", "json")
	if strings.Contains(stderr.String(), "admin key") {
		t.Errorf("an admin key was printed although SECRETS_ADMIN_KEY is set")
	}
	if !strings.Contains(stderr.String(), `"msg":"listening"`) {
		t.Errorf("--log-format json: %s", stderr.String())
	}
	if got := get(t, "http://"+addr+"/v1/keys", key); got != http.StatusOK {
		t.Errorf("SECRETS_ADMIN_KEY got %d", got)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("SECRETS_DB was not used: %v", err)
	}

	t.Run("a short SECRETS_ADMIN_KEY is refused", func(t *testing.T) {
		t.Setenv("SECRETS_ADMIN_KEY", "tiny-secret")
		r := run(t, "", "serve", "--addr", "127.0.0.1:0")
		wantUsageError(t, r, "SECRETS_ADMIN_KEY")
		if strings.Contains(r.err, "tiny-secret") {
			t.Fatalf("the error quotes the key: %q", r.err)
		}
	})
	t.Run("a short SECRETS_PEPPER is refused", func(t *testing.T) {
		t.Setenv("SECRETS_PEPPER", "tiny-secret")
		r := run(t, "", "serve", "--addr", "127.0.0.1:0")
		wantUsageError(t, r, "SECRETS_PEPPER")
		if strings.Contains(r.err, "tiny-secret") {
			t.Fatalf("the error quotes the pepper: %q", r.err)
		}
	})
	t.Run("an address in use fails with exit status 1", func(t *testing.T) {
		r := run(t, "", "serve", "--addr", addrInUse(t))
		if r.code != exitFailure || !strings.Contains(r.err, "listen") {
			t.Fatalf("exit %d, stderr %q", r.code, r.err)
		}
	})
}

// addrInUse returns the address of a listener kept open by the test.
func addrInUse(t *testing.T) string {
	t.Helper()
	addr, _, stop := serving(t)
	t.Cleanup(func() { stop() })
	return addr
}
