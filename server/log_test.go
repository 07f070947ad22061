package server

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unguessable/secrets/access"
	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/store/sqlite"
)

// lockedBuffer is a log sink safe for the goroutines of Serve.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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

// sweepFailingStore fails every sweep.
type sweepFailingStore struct{ store.Store }

func (sweepFailingStore) Sweep(context.Context, store.Cutoffs, int) (int64, error) {
	return 0, errors.New("sweep: disk I/O error")
}

// TestLogLinesNameTheirSubsystem runs a server through a request, a
// panic, a failed sweep and a shutdown, and checks that every line comes
// from a subsystem's child logger and uses only the service's constant
// keys.
func TestLogLinesNameTheirSubsystem(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var logs lockedBuffer
	srv, err := New(Options{Store: sweepFailingStore{st}, AdminKeyDigest: sha256.Sum256([]byte(adminKey)), Pepper: backendtest.Pepper,
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	srv.handle("GET /v1/boom", route{scope: access.KeysRead}, func(w http.ResponseWriter, r *http.Request) error { panic("boom") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	for _, path := range []string{"/healthz", "/v1/boom", "/v1/keys/verify"} {
		method := "GET"
		if path == "/v1/keys/verify" {
			method = "POST"
		}
		req, _ := http.NewRequest(method, "http://"+ln.Addr().String()+path, strings.NewReader(`{"key": "sk_not_a_real_key"}`))
		req.Header.Set("Authorization", "Bearer "+adminKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), "sweep failed"); {
		if time.Now().After(deadline) {
			t.Fatal("no failed sweep logged")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-served; err != nil {
		t.Fatal(err)
	}

	keys := map[string]bool{slog.TimeKey: true, slog.LevelKey: true, slog.MessageKey: true, logKeySubsystem: true,
		logKeyMethod: true, logKeyRoute: true, logKeyStatus: true, logKeyDuration: true, logKeyBytes: true,
		logKeyRemote: true, logKeyErr: true, logKeyStack: true, logKeyMaxConns: true, logKeyConns: true, logKeyFiles: true}
	wantSubsystem := map[string]string{"request": subsystemHTTP, "panic serving request": subsystemHTTP,
		"sweep failed": subsystemSweep, "shutting down: finishing in-flight requests": subsystemServer}
	seen := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("%s: %v", sc.Bytes(), err)
		}
		for k := range line {
			if !keys[k] {
				t.Errorf("a line has the key %q, not one of the service's constants: %s", k, sc.Bytes())
			}
		}
		msg, _ := line[slog.MessageKey].(string)
		if want, ok := wantSubsystem[msg]; ok && line[logKeySubsystem] != want {
			t.Errorf("%q is logged by subsystem %v, want %q", msg, line[logKeySubsystem], want)
		}
		if line[logKeySubsystem] == nil {
			t.Errorf("a line names no subsystem: %s", sc.Bytes())
		}
		seen[msg]++
	}
	for msg := range wantSubsystem {
		if seen[msg] == 0 {
			t.Errorf("no %q line logged", msg)
		}
	}
	if seen["request"] != 3 {
		t.Errorf("%d request lines, want 3", seen["request"])
	}
	if strings.Contains(logs.String(), "sk_not_a_real_key") {
		t.Error("the key sent to verify reached the log")
	}
}
