package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/server"
)

// BenchmarkVerifyAnalytics is verification throughput in-process with the
// analytics on (counting every verification, with two tags, and flushing
// every second as Serve does) and off (--analytics=false), on one database
// and the same keys, in the same run. Run it with -count to alternate:
//
//	go test ./server -run '^$' -bench BenchmarkVerifyAnalytics -count 3
func BenchmarkVerifyAnalytics(b *testing.B) {
	backendtest.RunB(b, func(b *testing.B, be backendtest.Backend) {
		st := be.NewDB(b).Open(b)
		newServer := func(off bool) http.Handler {
			srv, err := server.New(server.Options{Store: st, AdminKeyDigest: sha256.Sum256([]byte(testAdminKey)), Pepper: backendtest.Pepper, NoAnalytics: off})
			if err != nil {
				b.Fatal(err)
			}
			if !off {
				ctx, cancel := context.WithCancel(context.Background())
				b.Cleanup(cancel)
				go func() {
					t := time.NewTicker(time.Second)
					defer t.Stop()
					for {
						select {
						case <-ctx.Done():
							return
						case <-t.C:
							srv.FlushAnalytics(ctx)
						}
					}
				}()
			}
			return srv.Handler()
		}
		handlers := map[string]http.Handler{"analytics on": newServer(false), "analytics off": newServer(true)}
		var bodies [][]byte
		for i := range 200 {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("POST", "/v1/keys", bytes.NewReader(fmt.Appendf(nil, `{"prefix":"sk_","owner":"o%d"}`, i%20)))
			req.Header.Set("Authorization", "Bearer "+testAdminKey)
			req.Header.Set("Content-Type", "application/json")
			handlers["analytics off"].ServeHTTP(rec, req)
			var created struct{ Key string }
			if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil || created.Key == "" {
				b.Fatalf("create: %d %s", rec.Code, rec.Body.Bytes())
			}
			bodies = append(bodies, fmt.Appendf(nil, `{"key":%q,"tags":["plan=p%d","region=eu"]}`, created.Key, i%3))
		}
		for _, name := range []string{"analytics off", "analytics on"} {
			h := handlers[name]
			b.Run(name, func(b *testing.B) {
				var next atomic.Uint64
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						req := httptest.NewRequest("POST", "/v1/keys/verify", bytes.NewReader(bodies[next.Add(1)%uint64(len(bodies))]))
						req.Header.Set("Authorization", "Bearer "+testAdminKey)
						req.Header.Set("Content-Type", "application/json")
						rec := httptest.NewRecorder()
						h.ServeHTTP(rec, req)
						if rec.Code != http.StatusOK {
							b.Fatal(rec.Code, rec.Body.String())
						}
					}
				})
			})
		}
	})
}
