package deliver_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/unguessable/secrets/code"
	"github.com/unguessable/secrets/deliver"
	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/store/postgres"
)

// offsetClock is the system clock moved forward by an offset that a test
// sets: time jumps for a dispatcher that shares leases with a process on
// the real clock.
type offsetClock struct{ off atomic.Int64 }

func (c *offsetClock) Now() time.Time { return time.Now().Add(time.Duration(c.off.Load())) }

// queue issues n codes, one per subject, each with a job for the webhook.
func queue(t testing.TB, st store.Store, d *deliver.Deliverer, clock store.Clock, n int) map[string]bool {
	t.Helper()
	codes, err := code.New(st, backendtest.Pepper, code.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			enq, err := d.Enqueue(deliver.KindCode, "login", deliver.Request{Channel: deliver.ChannelWebhook, To: fmt.Sprint(i)})
			if err != nil {
				t.Error(err)
				return
			}
			iss, err := codes.Issue(context.Background(), "login", fmt.Sprint("user", i), code.IssueOptions{Deliver: enq})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			ids[iss.DeliveryID] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return ids
}

// counter is a webhook receiver that counts requests by webhook-id.
type counter struct {
	mu   sync.Mutex
	seen map[string]int
	all  chan struct{} // closed once every id in want was seen
	want map[string]bool
	hold func(n int) // called with the count of requests, before answering
	n    int
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("webhook-id")
	c.mu.Lock()
	c.seen[id]++
	c.n++
	n := c.n
	if c.want != nil && len(c.seen) == len(c.want) {
		select {
		case <-c.all:
		default:
			close(c.all)
		}
	}
	c.mu.Unlock()
	if c.hold != nil {
		c.hold(n)
	}
}

func (c *counter) wait(t testing.TB) {
	t.Helper()
	select {
	case <-c.all:
	case <-time.After(2 * time.Minute):
		c.mu.Lock()
		defer c.mu.Unlock()
		t.Fatalf("only %d of %d jobs arrived", len(c.seen), len(c.want))
	}
}

func TestTwoInstancesDeliverEachJobExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 jobs: not in -short")
	}
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		db := b.NewDB(t)
		stA, stB := db.Open(t), db.Open(t)
		rec := &counter{seen: map[string]int{}, all: make(chan struct{})}
		srv := newServer(t, rec)
		mk := func() *deliver.Deliverer {
			wh, err := deliver.NewWebhook(srv+"/hook", testSecret, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			d, err := deliver.New(deliver.Options{Key: testKey, Webhook: wh})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		dA, dB := mk(), mk()
		clock := store.SystemClock{}
		ids := queue(t, stA, dA, clock, 1000)
		rec.mu.Lock()
		rec.want = ids
		rec.mu.Unlock()
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, p := range []*deliver.Dispatcher{
			dA.Dispatcher(stA.(store.Outbox), deliver.DispatchOptions{Batch: 16, Poll: 10 * time.Millisecond}),
			dB.Dispatcher(stB.(store.Outbox), deliver.DispatchOptions{Batch: 16, Poll: 10 * time.Millisecond}),
		} {
			wg.Go(func() { p.Run(ctx) })
		}
		rec.wait(t)
		cancel()
		wg.Wait()
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for id := range ids {
			if rec.seen[id] != 1 {
				t.Errorf("job %s arrived %d times", id, rec.seen[id])
			}
		}
		if len(rec.seen) != len(ids) {
			t.Errorf("%d ids arrived, %d were queued", len(rec.seen), len(ids))
		}
		for id := range ids {
			if d, err := stA.(store.Outbox).DeliveryByID(context.Background(), id); err != nil || d.Status != store.DeliverySent || d.Sealed != nil {
				t.Fatalf("%s: %q, %d sealed bytes, %v", id, d.Status, len(d.Sealed), err)
			}
		}
	})
}

// childEnv names the variables of the dispatcher in a child process.
const (
	childDSN  = "DELIVER_TEST_CHILD_DSN"
	childHook = "DELIVER_TEST_CHILD_HOOK"
)

// TestMain runs the dispatcher that TestKillNineAtLeastOnce starts, and
// kills, in a process of its own (the test binary again, with childDSN
// set) instead of the tests.
func TestMain(m *testing.M) {
	if dsn := os.Getenv(childDSN); dsn != "" {
		if err := childDispatcher(dsn); err != nil {
			fmt.Fprintln(os.Stderr, "child dispatcher:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childDispatcher runs a dispatcher on the database at dsn until killed.
func childDispatcher(dsn string) error {
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		return err
	}
	wh, err := deliver.NewWebhook(os.Getenv(childHook), testSecret, 0, nil)
	if err != nil {
		return err
	}
	d, err := deliver.New(deliver.Options{Key: testKey, Webhook: wh})
	if err != nil {
		return err
	}
	d.Dispatcher(st, deliver.DispatchOptions{Batch: 16, Workers: 1, Poll: 10 * time.Millisecond, Lease: time.Minute}).Run(context.Background())
	return nil
}

func TestKillNineAtLeastOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 jobs: not in -short")
	}
	db := backendtest.Postgres(nil).NewDB(t)
	st := db.Open(t)
	killAt := 300
	killed := make(chan struct{})
	rec := &counter{seen: map[string]int{}, all: make(chan struct{})}
	var child *exec.Cmd
	var once sync.Once
	rec.hold = func(n int) {
		if n >= killAt {
			// The child has sent this job and waits for the answer:
			// kill it between send and mark, with other jobs of its
			// batch claimed and not sent.
			once.Do(func() {
				child.Process.Signal(syscall.SIGKILL)
				close(killed)
			})
		}
	}
	srv := newServer(t, rec)
	wh, err := deliver.NewWebhook(srv+"/hook", testSecret, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := deliver.New(deliver.Options{Key: testKey, Webhook: wh})
	if err != nil {
		t.Fatal(err)
	}
	clock := &offsetClock{}
	ids := queue(t, st, d, clock, 1000)
	rec.mu.Lock()
	rec.want = ids
	rec.mu.Unlock()

	child = exec.Command(os.Args[0])
	child.Env = append(os.Environ(), childDSN+"="+db.DSN, childHook+"="+srv+"/hook")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-killed:
	case <-time.After(2 * time.Minute):
		child.Process.Kill()
		t.Fatal("the child never reached the kill")
	}
	child.Wait()
	ob := st.(store.Outbox)
	// The child sends one job at a time from batches of 16, and the kill
	// comes at the 300th send, the 12th of a batch: that job was sent and
	// not marked, and the 4 after it were claimed and not sent.
	rec.mu.Lock()
	var sentUnmarked, claimedUnsent int
	for id := range ids {
		d, err := ob.DeliveryByID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case d.Status == store.DeliverySending && rec.seen[id] > 0:
			sentUnmarked++
		case d.Status == store.DeliverySending:
			claimedUnsent++
		}
	}
	rec.mu.Unlock()
	if sentUnmarked == 0 || claimedUnsent == 0 {
		t.Fatalf("after the kill: %d jobs sent and not marked, %d claimed and not sent; want some of each", sentUnmarked, claimedUnsent)
	}
	// What the dead child held stays claimed until its lease ends: move
	// this instance's clock past it rather than wait.
	clock.off.Store(int64(time.Minute + time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Dispatcher(ob, deliver.DispatchOptions{Clock: clock, Batch: 64, Poll: 10 * time.Millisecond}).Run(ctx)
	}()
	rec.wait(t)
	cancel()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	twice := 0
	for id := range ids {
		if rec.seen[id] == 0 {
			t.Errorf("job %s never arrived", id)
		}
		if rec.seen[id] > 1 {
			twice++
		}
	}
	if twice != sentUnmarked {
		t.Errorf("%d jobs arrived twice, want the %d sent and not marked", twice, sentUnmarked)
	}
	t.Logf("1000 jobs, %d requests; after the kill %d were sent and not marked, %d claimed and not sent; %d ids arrived twice (receivers deduplicate by webhook-id)",
		rec.n, sentUnmarked, claimedUnsent, twice)
	for id := range ids {
		if d, err := ob.DeliveryByID(context.Background(), id); err != nil || d.Status != store.DeliverySent || d.Sealed != nil {
			t.Fatalf("%s: %q, %d sealed bytes, %v", id, d.Status, len(d.Sealed), err)
		}
	}
}
