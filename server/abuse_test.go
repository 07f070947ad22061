package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/server"
	"github.com/unguessable/secrets/store"
)

// served is a Server behind its own Serve, on a loopback listener: the
// connection handling of "secrets serve", which httptest does not have.
type served struct {
	srv  *server.Server
	addr string
	logs *syncBuffer
}

// smallBuffers is a listener whose connections have receive buffers of
// 32 KiB, as over a network where the kernel cannot take a whole large
// body in for the server (on loopback, Linux grows them to megabytes).
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetReadBuffer(32 << 10)
	}
	return c, err
}

// serveReal runs Serve for a new Server on st, with opts changed by edit,
// until the test ends.
func serveReal(t *testing.T, st store.Store, edit func(*server.Options)) *served {
	t.Helper()
	logs := &syncBuffer{}
	opts := server.Options{Store: st, AdminKeyDigest: sha256.Sum256([]byte(testAdminKey)), Pepper: backendtest.Pepper,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if edit != nil {
		edit(&opts)
	}
	srv, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := smallBuffers{tcp}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return &served{srv: srv, addr: ln.Addr().String(), logs: logs}
}

// rawRequest writes head and then body on a new connection, the whole body
// before reading anything, as simple clients do, and then reads the answer.
func rawRequest(t *testing.T, addr, head string, body []byte) (*http.Response, []byte, error) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Small buffers on both sides, as over a network: on loopback, Linux
	// takes megabytes in without the server reading them.
	c.(*net.TCPConn).SetWriteBuffer(32 << 10)
	// Only against a hang: a server that neither reads nor closes.
	c.SetDeadline(time.Now().Add(time.Minute))
	if _, err := io.WriteString(c, head); err != nil {
		return nil, nil, fmt.Errorf("writing the head: %w", err)
	}
	if _, err := c.Write(body); err != nil {
		return nil, nil, fmt.Errorf("writing the body: %w", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the answer: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp, raw, err
}

func TestABodyOverTheLimitIsAnsweredToAClientThatWritesItAll(t *testing.T) {
	s := serveReal(t, newSQLite(t).open(t), nil)
	body := bytes.Repeat([]byte("x"), 2<<20)
	t.Run("a Go client that writes 2 MiB before reading reads the 413", func(t *testing.T) {
		for _, route := range []string{"/v1/tokens", "/v1/keys/verify"} {
			head := "POST " + route + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + testAdminKey +
				"\r\nContent-Type: application/json\r\nContent-Length: " + fmt.Sprint(len(body)) + "\r\n\r\n"
			resp, raw, err := rawRequest(t, s.addr, head, body)
			if err != nil {
				t.Fatalf("%s: %v", route, err)
			}
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(raw), `"request_too_large"`) {
				t.Fatalf("%s: %d %s", route, resp.StatusCode, raw)
			}
		}
	})
	t.Run("so does one that sends it chunked", func(t *testing.T) {
		head := "POST /v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + testAdminKey +
			"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
		chunked := fmt.Appendf(nil, "%x\r\n%s\r\n0\r\n\r\n", len(body), body)
		resp, raw, err := rawRequest(t, s.addr, head, chunked)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(raw), `"request_too_large"`) {
			t.Fatalf("%d %s", resp.StatusCode, raw)
		}
	})
	t.Run("python3's urllib reads the 413", func(t *testing.T) {
		py, err := exec.LookPath("python3")
		if err != nil {
			t.Skip("python3 is not installed: the urllib check is skipped (the Go client above covers the same case)")
		}
		// A send buffer of 32 KiB, as over a network (see rawRequest).
		const script = `
import http.client, socket, sys, urllib.request, urllib.error
class Small(http.client.HTTPConnection):
    def connect(self):
        super().connect()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32 << 10)
class Handler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(Small, req)
req = urllib.request.Request(sys.argv[1], data=b"x" * (2 << 20), method="POST",
    headers={"Content-Type": "application/json", "Authorization": "Bearer " + sys.argv[2]})
try:
    urllib.request.build_opener(Handler).open(req, timeout=60)
    print("no error")
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
`
		out, err := exec.Command(py, "-c", script, "http://"+s.addr+"/v1/tokens", testAdminKey).CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "413 ") || !strings.Contains(string(out), `"request_too_large"`) {
			t.Fatalf("python3: %v\n%s", err, out)
		}
	})
}

// closedStore opens b a second time and closes it: every call fails as a
// database that went away does.
func closedStore(t *testing.T, b backend) store.Store {
	t.Helper()
	st := b.open(t)
	st.Close()
	return st
}

func TestDatabaseTroubleIs503WithRetryAfter(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		b.open(t) // migrate
		s := start(t, closedStore(t, b))
		for _, c := range []struct{ method, path string }{{"GET", "/healthz"}, {"POST", "/v1/tokens"}, {"POST", "/v1/codes"}, {"GET", "/v1/keys"}} {
			var body any
			if c.method == "POST" {
				body = map[string]any{"purpose": "p", "subject": "s"}
			}
			r := s.do(t, c.method, c.path, body)
			want(t, r, http.StatusServiceUnavailable, "unavailable")
			if r.header.Get("Retry-After") == "" {
				t.Errorf("%s %s: 503 without Retry-After", c.method, c.path)
			}
		}
	})
}

// TestAClientThatLeavesIsNotADatabaseFailure calls routes with a request
// context that is already cancelled, as net/http cancels it when the client
// disconnects: no error is logged and nothing counts as a 5xx.
func TestAClientThatLeavesIsNotADatabaseFailure(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := start(t, b.open(t))
		h := s.srv.Handler()
		for i := range 20 {
			for _, c := range []struct{ method, path, body string }{
				{"GET", "/healthz", ""},
				{"POST", "/v1/tokens", `{"purpose": "p", "subject": "s"}`},
				{"POST", "/v1/codes", fmt.Sprintf(`{"purpose": "p", "subject": "s%d"}`, i)},
			} {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				req := httptest.NewRequestWithContext(ctx, c.method, c.path, strings.NewReader(c.body))
				req.Header.Set("Authorization", "Bearer "+testAdminKey)
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code >= 500 {
					t.Fatalf("%s %s of a client that left: %d %s", c.method, c.path, rec.Code, rec.Body)
				}
			}
		}
		for line := range strings.Lines(s.logs.String()) {
			if strings.Contains(line, `"level":"ERROR"`) {
				t.Fatalf("a client that left was logged as an error: %s", line)
			}
		}
		metrics := s.do(t, "GET", "/metrics", nil)
		if strings.Contains(string(metrics.raw), `status="5`) {
			t.Errorf("clients that left were counted as 5xx:\n%s", grepLines(string(metrics.raw), "secrets_http_requests_total"))
		}
	})
}

func grepLines(s, sub string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			b.WriteString(line)
		}
	}
	return b.String()
}

func TestADeletedOrReplacedSQLiteFileRefusesWrites(t *testing.T) {
	for _, how := range []string{"deleted", "replaced"} {
		t.Run("the file "+how, func(t *testing.T) {
			b := newSQLite(t)
			s := start(t, b.open(t))
			want(t, s.do(t, "POST", "/v1/tokens", map[string]any{"purpose": "p", "subject": "s"}), http.StatusCreated)
			want(t, s.do(t, "GET", "/healthz", nil), http.StatusOK)
			switch how {
			case "deleted":
				for _, suffix := range []string{"", "-wal", "-shm"} {
					if err := os.Remove(b.dsn + suffix); err != nil && !os.IsNotExist(err) {
						t.Fatal(err)
					}
				}
			case "replaced":
				other := newSQLite(t)
				other.open(t)
				if err := os.Rename(other.dsn, b.dsn); err != nil {
					t.Fatal(err)
				}
			}
			r := s.do(t, "GET", "/healthz", nil)
			want(t, r, http.StatusServiceUnavailable, "unavailable")
			r = s.do(t, "POST", "/v1/tokens", map[string]any{"purpose": "p", "subject": "s"})
			want(t, r, http.StatusServiceUnavailable, "unavailable")
			if r.str("token") != "" {
				t.Fatal("a token was handed out that no database holds")
			}
		})
	}
}

// throttled sends a request from addr with key to h.
func fromAddr(h http.Handler, addr, key string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/v1/keys", nil)
	req.RemoteAddr = addr
	req.Header.Set("Authorization", "Bearer "+key)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestWrongAccessKeysAreThrottledPerAddress(t *testing.T) {
	s := start(t, newSQLite(t).open(t))
	h := s.srv.Handler()
	const attacker, other = "192.0.2.7:40000", "198.51.100.1:40000"
	got := map[int]int{}
	for i := range 100 {
		rec := fromAddr(h, attacker, fmt.Sprintf("sak_guess%d", i))
		got[rec.Code]++
		if rec.Code == http.StatusTooManyRequests {
			if ra := rec.Header().Get("Retry-After"); ra == "" || ra == "0" {
				t.Fatalf("429 with Retry-After %q", ra)
			}
			var e struct{ Error struct{ Code string } }
			if json.Unmarshal(rec.Body.Bytes(), &e); e.Error.Code != "too_many_requests" {
				t.Fatalf("429 body %s", rec.Body)
			}
		}
	}
	if got[http.StatusUnauthorized] == 0 || got[http.StatusUnauthorized] > server.AuthFailureBurst || got[http.StatusTooManyRequests] == 0 {
		t.Fatalf("100 wrong keys from one address got %v; want at most %d 401s, then 429", got, server.AuthFailureBurst)
	}
	t.Run("while throttled, the address is refused even with a right key", func(t *testing.T) {
		if rec := fromAddr(h, attacker, testAdminKey); rec.Code != http.StatusTooManyRequests {
			t.Fatalf("%d", rec.Code)
		}
	})
	t.Run("another address is not", func(t *testing.T) {
		if rec := fromAddr(h, other, testAdminKey); rec.Code != http.StatusOK {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		if rec := fromAddr(h, other, "sak_wrong"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	})
	t.Run("after Retry-After the address may try again", func(t *testing.T) {
		rec := fromAddr(h, attacker, testAdminKey)
		var secs int
		fmt.Sscan(rec.Header().Get("Retry-After"), &secs)
		s.clock.Advance(time.Duration(secs) * time.Second)
		if rec := fromAddr(h, attacker, testAdminKey); rec.Code != http.StatusOK {
			t.Fatalf("after %ds: %d %s", secs, rec.Code, rec.Body)
		}
	})
}

// TestLogLinesAreBounded sends a 60 KB method and path: the request's log
// line stays short.
func TestLogLinesAreBounded(t *testing.T) {
	s := start(t, newSQLite(t).open(t))
	h := s.srv.Handler()
	long := strings.Repeat("A", 60<<10)
	for _, c := range []struct{ method, path string }{{long, "/v1/keys"}, {"GET", "/" + long}, {long, "/" + long}} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Method, req.URL.Path, req.RequestURI = c.method, c.path, c.path
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code < 400 || rec.Code >= 500 {
			t.Fatalf("%d", rec.Code)
		}
		if rec.Body.Len() > 1024 {
			t.Errorf("the answer is %d bytes long", rec.Body.Len())
		}
	}
	for line := range strings.Lines(s.logs.String()) {
		if len(line) > 1024 {
			t.Errorf("a log line of %d bytes: %.200s…", len(line), line)
		}
	}
}

// TestConnectionsAreBounded holds MaxConns kept-alive connections open: a
// further one is not served until one of them closes.
func TestConnectionsAreBounded(t *testing.T) {
	const maxConns = 3
	s := serveReal(t, newSQLite(t).open(t), func(o *server.Options) { o.MaxConns = maxConns })
	const get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
	ask := func(c net.Conn, rd *bufio.Reader) (int, error) {
		if _, err := io.WriteString(c, get); err != nil {
			return 0, err
		}
		resp, err := http.ReadResponse(rd, nil)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	var held []net.Conn
	for range maxConns {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Minute))
		if code, err := ask(c, bufio.NewReader(c)); err != nil || code != http.StatusOK {
			t.Fatalf("connection %d: %d %v", len(held)+1, code, err)
		}
		held = append(held, c)
	}
	extra, err := net.Dial("tcp", s.addr) // the kernel's listen queue takes it
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	if _, err := io.WriteString(extra, get); err != nil {
		t.Fatal(err)
	}
	// A bound that does not hold answers within this wait, unless the
	// machine is slower than it; a bound that holds passes however slow.
	extra.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	rd := bufio.NewReader(extra)
	if _, err := rd.Peek(1); err == nil {
		t.Fatalf("connection %d was served while %d were open", maxConns+1, maxConns)
	} else if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatalf("connection %d: %v", maxConns+1, err)
	}
	held[0].Close()
	extra.SetReadDeadline(time.Now().Add(time.Minute))
	resp, err := http.ReadResponse(rd, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("after one closed, connection %d: %v %v", maxConns+1, resp, err)
	}
	resp.Body.Close()
}
