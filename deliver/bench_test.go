package deliver_test

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/code"
	"github.com/unguessable/secrets/deliver"
	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/store"
)

// BenchmarkDeliver measures, on every backend, the dispatcher's throughput
// of webhooks to a local receiver that answers at once (webhooks/s). What a
// running dispatcher costs the issuing endpoints is measured by
// BenchmarkIssueWhileDelivering in package server.
func BenchmarkDeliver(b *testing.B) {
	const jobs = 2000
	ctx := context.Background()
	backendtest.RunB(b, func(b *testing.B, be backendtest.Backend) {
		st := be.NewDB(b).Open(b)
		var got atomic.Int64
		url := newServer(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) }))
		wh, err := deliver.NewWebhook(url+"/hook", testSecret, 0, nil)
		if err != nil {
			b.Fatal(err)
		}
		d, err := deliver.New(deliver.Options{Key: testKey, Webhook: wh})
		if err != nil {
			b.Fatal(err)
		}
		codes, err := code.New(st, backendtest.Pepper, code.Options{})
		if err != nil {
			b.Fatal(err)
		}
		issue := func(tb testing.TB) {
			enq, err := d.Enqueue(deliver.KindCode, "bench", deliver.Request{Channel: deliver.ChannelWebhook, To: "x"})
			if err != nil {
				tb.Fatal(err)
			}
			if _, err := codes.Issue(ctx, "bench", secrets.TokenHex(8), code.IssueOptions{Deliver: enq}); err != nil {
				tb.Fatal(err)
			}
		}
		disp := d.Dispatcher(st.(store.Outbox), deliver.DispatchOptions{Poll: 5 * time.Millisecond})

		b.Run("dispatch "+strconv.Itoa(jobs)+" webhooks", func(b *testing.B) {
			var sent int64
			var elapsed time.Duration
			for b.Loop() {
				b.StopTimer()
				got.Store(0)
				var wg sync.WaitGroup
				sem := make(chan struct{}, 8)
				for range jobs {
					sem <- struct{}{}
					wg.Go(func() { defer func() { <-sem }(); issue(b) })
				}
				wg.Wait()
				b.StartTimer()
				start := time.Now()
				for got.Load() < jobs {
					if _, err := disp.RunOnce(ctx); err != nil {
						b.Fatal(err)
					}
				}
				elapsed += time.Since(start)
				sent += jobs
			}
			b.ReportMetric(float64(sent)/elapsed.Seconds(), "webhooks/s")
		})
	})
}
