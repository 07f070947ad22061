package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unguessable/secrets/access"
	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/store/sqlite"
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
		{"an audit retention shorter than the retention is a usage error", []string{"serve", "--retention", "48h", "--audit-retention", "24h"}, "--audit-retention"},
		{"a certificate without its key is a usage error", []string{"serve", "--tls-cert", "cert.pem"}, "--tls-cert and --tls-key"},
		{"a key without its certificate is a usage error", []string{"serve", "--tls-key", "key.pem"}, "--tls-cert and --tls-key"},
		{"a certificate that is not there is a usage error", []string{"serve", "--tls-cert", "cert.pem", "--tls-key", "key.pem"}, "--tls-cert"},
		{"a metrics address without a port is a usage error", []string{"serve", "--metrics-addr", "localhost"}, "--metrics-addr"},
		{"a connection bound of zero is a usage error", []string{"serve", "--max-conns", "0"}, "--max-conns"},
		{"a minute retention shorter than a minute is a usage error", []string{"serve", "--analytics-minute-retention", "30s"}, "--analytics-minute-retention"},
		{"an hour retention shorter than an hour is a usage error", []string{"serve", "--analytics-hour-retention", "0s"}, "--analytics-hour-retention"},
		{"a day retention shorter than a day is a usage error", []string{"serve", "--analytics-day-retention", "23h"}, "--analytics-day-retention"},
		{"hours kept shorter than minutes is a usage error", []string{"serve", "--analytics-minute-retention", "100h", "--analytics-hour-retention", "50h"}, "--analytics-hour-retention 50h0m0s is shorter than --analytics-minute-retention"},
		{"days kept shorter than hours is a usage error", []string{"serve", "--analytics-hour-retention", "2000h", "--analytics-day-retention", "1000h"}, "--analytics-day-retention 1000h0m0s is shorter than --analytics-hour-retention"},
		{"analytics that are not a boolean are a usage error", []string{"serve", "--analytics=maybe"}, "--analytics"},
		{"a dashboard idle timeout under a minute is a usage error", []string{"serve", "--dashboard-idle-timeout", "30s"}, "--dashboard-idle-timeout"},
		{"a dashboard session shorter than its idle timeout is a usage error", []string{"serve", "--dashboard-session-timeout", "10m"}, "--dashboard-session-timeout"},
		{"a dashboard session over 30 days is a usage error", []string{"serve", "--dashboard-session-timeout", "721h"}, "--dashboard-session-timeout"},
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

var rootKeyFileRE = regexp.MustCompile(`msg="created the root access key[^"]*" file=(\S+)\n`)

// rootKeyIn returns the root access key in the file, after checking that
// it is private and that stderr holds its path but not the key.
func rootKeyIn(t *testing.T, path, stderr string) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("no root key file: %v (stderr %s)", err, stderr)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %04o, want 0600", path, fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	key := strings.TrimSuffix(string(b), "\n")
	if !strings.HasPrefix(key, access.Prefix) || strings.ContainsAny(key, "\n ") {
		t.Fatalf("%s does not hold one access key", path)
	}
	if strings.Contains(stderr, key) || strings.Contains(stderr, access.Prefix) {
		t.Errorf("the root key is on stderr: %s", stderr)
	}
	return key
}

// authenticates reports whether key is a live access key of the SQLite
// database db.
func authenticates(t *testing.T, db, key string) bool {
	t.Helper()
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = access.New(st, access.Options{}).Authenticate(context.Background(), key)
	return err == nil
}

func TestServeWritesTheRootKeyToAFileAndNeverLogsIt(t *testing.T) {
	t.Setenv("SECRETS_ADMIN_KEY", "")
	t.Setenv("SECRETS_PEPPER", "")
	t.Setenv("SECRETS_DB", "")
	t.Chdir(t.TempDir())

	_, stderr, stop := serving(t)
	m := rootKeyFileRE.FindStringSubmatch(stderr.String())
	if m == nil || m[1] != "secrets.db.admin-key" {
		t.Fatalf("no line with the root key file secrets.db.admin-key on stderr: %s", stderr.String())
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit status %d after the context ended: %s", code, stderr.String())
	}
	key := rootKeyIn(t, "secrets.db.admin-key", stderr.String())
	if !authenticates(t, "secrets.db", key) {
		t.Error("the key in the file is not a live access key of the database")
	}
	for _, f := range []string{"secrets.db", "secrets.db.pepper"} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, want mode 0600", f, err)
		}
	}
	pepper, _ := os.ReadFile("secrets.db.pepper")
	if strings.Contains(stderr.String(), strings.TrimSpace(strings.SplitAfter(string(pepper), "\n")[1])) {
		t.Error("the pepper is on stderr")
	}

	_, stderr, stop = serving(t)
	if strings.Contains(stderr.String(), "root access key") || strings.Contains(stderr.String(), "pepper") {
		t.Errorf("the second start made a key or a pepper: %s", stderr.String())
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	if b, _ := os.ReadFile("secrets.db.admin-key"); strings.TrimSpace(string(b)) != key {
		t.Error("the second start changed the key file")
	}
	if b, _ := os.ReadFile("secrets.db.pepper"); string(b) != string(pepper) {
		t.Error("the second start changed the pepper file")
	}

	t.Run("--admin-key-file and --pepper-file name the files", func(t *testing.T) {
		dir := t.TempDir()
		keyFile, pepperFile := filepath.Join(dir, "root.key"), filepath.Join(dir, "codes.pepper")
		_, stderr, stop := serving(t, "--db", filepath.Join(dir, "x.db"), "--admin-key-file", keyFile, "--pepper-file", pepperFile)
		if code := stop(); code != 0 {
			t.Fatalf("exit status %d", code)
		}
		rootKeyIn(t, keyFile, stderr.String())
		if _, err := os.Stat(pepperFile); err != nil {
			t.Error(err)
		}
	})
	t.Run("a new database whose key file exists is refused, and the file kept", func(t *testing.T) {
		dir := t.TempDir()
		keyFile := filepath.Join(dir, "x.db.admin-key")
		writeFile(t, keyFile, "the key of another database\n")
		r := run(t, "", "serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "x.db"))
		wantUsageError(t, r, keyFile, "refusing to overwrite")
		if b, _ := os.ReadFile(keyFile); string(b) != "the key of another database\n" {
			t.Error("the file was overwritten")
		}
	})
}

func TestServeKeepsTheAdminKeyOfAnOlderDatabase(t *testing.T) {
	t.Setenv("SECRETS_ADMIN_KEY", "")
	t.Setenv("SECRETS_PEPPER", "")
	dir := t.TempDir()
	db := filepath.Join(dir, "old.db")
	const legacy = "secrets_admin_an-admin-key-of-before-access-keys-0123"
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(legacy))
	oldPepper := bytes.Repeat([]byte{7}, 32)
	for name, v := range map[string][]byte{"server.admin_key_sha256": sum[:], "server.code_pepper": oldPepper} {
		if _, err := st.LoadOrStoreSetting(context.Background(), name, v); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	if err := os.Chmod(db, 0o600); err != nil {
		t.Fatal(err)
	}

	addr, stderr, stop := serving(t, "--db", db)
	if got := get(t, "http://"+addr+"/v1/keys", legacy); got != http.StatusOK {
		t.Errorf("the admin key of the older database got %d", got)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	if strings.Contains(stderr.String(), "root access key") {
		t.Errorf("a root key was made beside the older admin key: %s", stderr.String())
	}
	if _, err := os.Stat(db + ".admin-key"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a key file was written: %v", err)
	}
	if !strings.Contains(stderr.String(), "moved the pepper out of the database") {
		t.Errorf("no line says the pepper was moved: %s", stderr.String())
	}
	if b, _ := os.ReadFile(db + ".pepper"); !strings.Contains(string(b), hex.EncodeToString(oldPepper)) {
		t.Error("the pepper file does not hold the database's pepper")
	}
	st, err = sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Setting(context.Background(), "server.code_pepper"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the database still holds the pepper: %v", err)
	}
}

func TestServeRefusesFilesOthersCanRead(t *testing.T) {
	t.Setenv("SECRETS_ADMIN_KEY", "")
	t.Setenv("SECRETS_PEPPER", "")
	t.Setenv("SECRETS_DB", "")
	t.Chdir(t.TempDir())
	_, stderr, stop := serving(t)
	if code := stop(); code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	for _, tc := range []struct {
		file string
		mode os.FileMode
		want string
	}{
		{"secrets.db", 0o644, "secrets.db has mode 0644: group and others may read it; chmod 600 secrets.db, or --insecure-permissions"},
		{"secrets.db.pepper", 0o640, "secrets.db.pepper has mode 0640: group may read it"},
		{"secrets.db.admin-key", 0o604, "secrets.db.admin-key has mode 0604: others may read it"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			if err := os.Chmod(tc.file, tc.mode); err != nil {
				t.Fatal(err)
			}
			defer os.Chmod(tc.file, 0o600)
			wantUsageError(t, run(t, "", "serve", "--addr", "127.0.0.1:0"), tc.want)
			_, stderr, stop := serving(t, "--insecure-permissions")
			if code := stop(); code != 0 {
				t.Fatalf("--insecure-permissions: exit status %d", code)
			}
			if !strings.Contains(stderr.String(), "--insecure-permissions") || !strings.Contains(stderr.String(), tc.file) {
				t.Errorf("no warning about %s: %s", tc.file, stderr.String())
			}
		})
	}
}

func TestServeRefusesAPepperFileOfAnotherInstance(t *testing.T) {
	t.Setenv("SECRETS_ADMIN_KEY", "")
	t.Setenv("SECRETS_PEPPER", "")
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	_, _, stop := serving(t, "--db", db)
	stop()
	other := filepath.Join(dir, "other.pepper")
	writeFile(t, other, strings.Repeat("ab", 32)+"\n")
	wantUsageError(t, run(t, "", "serve", "--addr", "127.0.0.1:0", "--db", db, "--pepper-file", other),
		"differs from the one the database's codes use", "copy the pepper file")
}

// selfSigned writes a certificate for 127.0.0.1 and its key to dir and
// returns their paths and a pool that trusts it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeFile(t, certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeFile(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})))
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestServeTransport(t *testing.T) {
	t.Setenv("SECRETS_ADMIN_KEY", "")
	t.Setenv("SECRETS_PEPPER", "")
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	certFile, keyFile, pool := selfSigned(t, dir)

	t.Run("with --tls-cert and --tls-key it serves HTTPS only", func(t *testing.T) {
		addr, stderr, stop := serving(t, "--db", db, "--tls-cert", certFile, "--tls-key", keyFile)
		defer stop()
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
		resp, err := c.Get("https://" + addr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.TLS == nil {
			t.Errorf("GET /healthz over TLS: %d", resp.StatusCode)
		}
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Error("plain HTTP is answered too")
			}
		}
		if !strings.Contains(stderr.String(), "tls=true") || strings.Contains(stderr.String(), "plain HTTP") {
			t.Errorf("log: %s", stderr.String())
		}
	})
	t.Run("plain HTTP on an address other hosts can reach logs one warning", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		stderr := &lockedBuffer{}
		exit := make(chan int, 1)
		go func() {
			exit <- Main(ctx, []string{"serve", "--db", db, "--addr", "0.0.0.0:0"}, Streams{In: strings.NewReader(""), Out: io.Discard, Err: stderr})
		}()
		for deadline := time.Now().Add(30 * time.Second); !strings.Contains(stderr.String(), "msg=listening") && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		if code := <-exit; code != 0 {
			t.Fatalf("exit status %d: %s", code, stderr.String())
		}
		if n := strings.Count(stderr.String(), "level=WARN msg=\"serving plain HTTP"); n != 1 {
			t.Errorf("%d warnings, want 1: %s", n, stderr.String())
		}
	})
	t.Run("loopback without TLS logs no warning", func(t *testing.T) {
		_, stderr, stop := serving(t, "--db", db)
		stop()
		if strings.Contains(stderr.String(), "WARN") {
			t.Errorf("a warning: %s", stderr.String())
		}
	})
	t.Run("--metrics-addr serves /metrics without a key, and nothing else", func(t *testing.T) {
		_, stderr, stop := serving(t, "--db", db, "--metrics-addr", "127.0.0.1:0")
		defer stop()
		m := regexp.MustCompile(`msg="serving /metrics without a key" addr=(\S+)`).FindStringSubmatch(stderr.String())
		if m == nil {
			t.Fatalf("no metrics address in the log: %s", stderr.String())
		}
		resp, err := http.Get("http://" + m[1] + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "go_goroutines") {
			t.Errorf("GET /metrics: %d %.200s", resp.StatusCode, body)
		}
		if got := get(t, "http://"+m[1]+"/v1/keys", ""); got != http.StatusNotFound {
			t.Errorf("GET /v1/keys on the metrics address: %d, want 404", got)
		}
	})
}

func TestServeDashboard(t *testing.T) {
	t.Setenv("SECRETS_ADMIN_KEY", "")
	t.Setenv("SECRETS_PEPPER", "")
	db := filepath.Join(t.TempDir(), "x.db")
	t.Run("the dashboard's sign-in page is at /sign-in, and / leads there", func(t *testing.T) {
		addr, _, stop := serving(t, "--db", db)
		defer stop()
		if got := get(t, "http://"+addr+"/sign-in", ""); got != http.StatusOK {
			t.Errorf("GET /sign-in: %d", got)
		}
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/sign-in" {
			t.Errorf("GET /: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("--dashboard=false serves none of it", func(t *testing.T) {
		addr, _, stop := serving(t, "--db", db, "--dashboard=false")
		defer stop()
		for _, path := range []string{"/", "/sign-in", "/static/app.css"} {
			if got := get(t, "http://"+addr+path, ""); got != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", path, got)
			}
		}
	})
}

func TestServeTakesSettingsFromTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "env.db")
	const key = "an-admin-key-from-the-environment-0123456789"
	t.Setenv("SECRETS_DB", db)
	t.Setenv("SECRETS_ADMIN_KEY", key)
	t.Setenv("SECRETS_PEPPER", strings.Repeat("p", 32))
	addr, stderr, stop := serving(t, "--log-format", "json")
	if strings.Contains(stderr.String(), "root access key") || strings.Contains(stderr.String(), "pepper") {
		t.Errorf("a root key or a pepper was made although SECRETS_ADMIN_KEY and SECRETS_PEPPER are set: %s", stderr.String())
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
	for _, f := range []string{db + ".admin-key", db + ".pepper"} {
		if _, err := os.Stat(f); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s was written although the environment gives the key and the pepper: %v", f, err)
		}
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

func TestServeOnPostgresKeepsItsFilesInTheWorkingDirectory(t *testing.T) {
	t.Setenv("SECRETS_ADMIN_KEY", "")
	t.Setenv("SECRETS_PEPPER", "")
	db := backendtest.Postgres(nil).NewDB(t).DSN
	t.Chdir(t.TempDir())
	_, stderr, stop := serving(t, "--db", db)
	if code := stop(); code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	rootKeyIn(t, "secrets-admin.key", stderr.String())
	if fi, err := os.Stat("secrets.pepper"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("secrets.pepper: %v", err)
	}
	// A second instance on the same database without a copy of the pepper
	// file is refused; with the copy, it starts and makes no root key.
	t.Chdir(t.TempDir())
	wantUsageError(t, run(t, "", "serve", "--addr", "127.0.0.1:0", "--db", db), "copy the pepper file of the instance that started first")
	if files, _ := os.ReadDir("."); len(files) != 0 {
		t.Errorf("the refused instance left %s", files[0].Name())
	}
}
