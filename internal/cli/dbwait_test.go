package cli

import (
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unguessable/secrets/internal/backendtest"
)

// freePort returns a loopback address on which nothing listens now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// proxy forwards every connection to addr on listen to target, until the
// test ends.
func proxy(t *testing.T, listen, target string) {
	t.Helper()
	l, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				d, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer d.Close()
				go func() { io.Copy(d, c); d.Close() }()
				io.Copy(c, d)
			})
		}
	})
}

func TestServeWaitsForADatabaseThatAnswersLate(t *testing.T) {
	t.Setenv("SECRETS_ADMIN_KEY", "")
	t.Setenv("SECRETS_PEPPER", "")
	db := backendtest.Postgres(nil).NewDB(t).DSN
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	late := freePort(t)
	u.Host = late
	t.Chdir(t.TempDir())
	// The database comes up a second after the server starts.
	time.AfterFunc(time.Second, func() { proxy(t, late, target) })
	_, stderr, stop := serving(t, "--db", u.String(), "--db-wait", "30s")
	if code := stop(); code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	log := stderr.String()
	if !strings.Contains(log, "the database does not answer; retrying") || !strings.Contains(log, "the database answers") {
		t.Fatalf("the log does not say it waited: %s", log)
	}
}

func TestServeGivesUpOnADatabaseThatNeverAnswers(t *testing.T) {
	t.Setenv("SECRETS_ADMIN_KEY", "")
	t.Setenv("SECRETS_PEPPER", "")
	t.Chdir(t.TempDir())
	db := "postgres://secrets:hunter2-not-in-logs@" + freePort(t) + "/secrets?sslmode=disable"
	r := run(t, "", "serve", "--addr", "127.0.0.1:0", "--db", db, "--db-wait", "1s")
	if r.code == 0 || !strings.Contains(r.err, "did not answer within --db-wait 1s") || !strings.Contains(r.err, "retrying") {
		t.Fatalf("exit %d, stderr %s", r.code, r.err)
	}
	if strings.Contains(r.err, "hunter2") {
		t.Fatalf("the password is in the output: %s", r.err)
	}
	r = run(t, "", "serve", "--addr", "127.0.0.1:0", "--db", db, "--db-wait", "0")
	if r.code == 0 || strings.Contains(r.err, "retrying") {
		t.Fatalf("--db-wait 0: exit %d, stderr %s", r.code, r.err)
	}
	wantUsageError(t, run(t, "", "serve", "--db-wait", "-1s"), "--db-wait")
}
