package coalesce_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unguessable/secrets/internal/coalesce"
)

// table is a fetch over a fixed map that records every batch it is given.
type table struct {
	mu      sync.Mutex
	data    map[string]int
	batches [][]string
	gate    chan struct{} // when set, each fetch waits for a receive on it
	err     error
}

func (t *table) fetch(ctx context.Context, keys []string) (map[string]int, error) {
	t.mu.Lock()
	t.batches = append(t.batches, append([]string(nil), keys...))
	gate, err := t.gate, t.err
	t.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, k := range keys {
		if v, ok := t.data[k]; ok {
			out[k] = v
		}
	}
	return out, nil
}

func newTable(n int) *table {
	t := &table{data: map[string]int{}}
	for i := range n {
		t.data[fmt.Sprint("k", i)] = i
	}
	return t
}

func TestEveryCallerGetsItsOwnValue(t *testing.T) {
	tab := newTable(500)
	c := coalesce.New(tab.fetch, coalesce.Options[int]{Workers: 2, MaxBatch: 16})
	defer c.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 2000)
	for g := range 2000 {
		wg.Go(func() {
			i := g % 600 // keys 500..599 do not exist
			v, ok, err := c.Get(context.Background(), fmt.Sprint("k", i))
			switch {
			case err != nil:
				errs <- err
			case i < 500 && (!ok || v != i):
				errs <- fmt.Errorf("k%d: got %d, %v; want %d, true", i, v, ok, i)
			case i >= 500 && ok:
				errs <- fmt.Errorf("k%d does not exist but got %d", i, v)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	tab.mu.Lock()
	defer tab.mu.Unlock()
	for _, b := range tab.batches {
		if len(b) > 16 {
			t.Fatalf("a batch of %d keys, over MaxBatch 16", len(b))
		}
		seen := map[string]bool{}
		for _, k := range b {
			if seen[k] {
				t.Fatalf("key %s twice in one batch %v", k, b)
			}
			seen[k] = true
		}
	}
}

// While fetches are in flight, callers queue; the next fetch takes them all
// (up to MaxBatch) in one batch, the same key once.
func TestCallersWaitingDuringAFetchShareTheNext(t *testing.T) {
	tab := newTable(100)
	tab.gate = make(chan struct{})
	c := coalesce.New(tab.fetch, coalesce.Options[int]{Workers: 1, MaxBatch: 64})
	defer c.Close()

	// The first caller fetches on its own goroutine, the second is the
	// only worker's first batch; both wait at the gate.
	early := make(chan error, 2)
	for i := range 2 {
		go func() { _, _, err := c.Get(context.Background(), fmt.Sprint("k", 90+i)); early <- err }()
		waitBatches(t, tab, i+1)
	}

	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			key := fmt.Sprint("k", 1+i%20) // 20 distinct keys, each asked twice
			if v, ok, err := c.Get(context.Background(), key); err != nil || !ok || fmt.Sprint("k", v) != key {
				t.Errorf("%s: got %d, %v, %v", key, v, ok, err)
			}
		})
	}
	waitQueued(t, c, 40)
	for range 2 {
		tab.gate <- struct{}{} // the two early fetches return
		if err := <-early; err != nil {
			t.Fatal(err)
		}
	}
	tab.gate <- struct{}{} // the worker's next, with everyone else
	wg.Wait()
	tab.mu.Lock()
	defer tab.mu.Unlock()
	if len(tab.batches) != 3 || len(tab.batches[2]) != 20 {
		t.Fatalf("batches %v: want k90, k91, then the 20 distinct keys in one", tab.batches)
	}
}

// A queue longer than MaxBatch is served in batches of at most MaxBatch.
func TestBatchesHoldAtMostMaxBatch(t *testing.T) {
	tab := newTable(100)
	tab.gate = make(chan struct{})
	c := coalesce.New(tab.fetch, coalesce.Options[int]{Workers: 1, MaxBatch: 8})
	defer c.Close()
	var wg sync.WaitGroup
	for i := range 2 { // the direct fetch and the worker's first, held at the gate
		wg.Go(func() { c.Get(context.Background(), fmt.Sprint("k", 90+i)) })
		waitBatches(t, tab, i+1)
	}
	for i := range 16 { // the queue holds 2 x Workers x MaxBatch
		wg.Go(func() {
			if v, ok, err := c.Get(context.Background(), fmt.Sprint("k", i)); err != nil || !ok || v != i {
				t.Errorf("k%d: got %d, %v, %v", i, v, ok, err)
			}
		})
	}
	waitQueued(t, c, 16)
	close(tab.gate)
	wg.Wait()
	tab.mu.Lock()
	defer tab.mu.Unlock()
	n := 0
	for _, b := range tab.batches[2:] {
		if len(b) > 8 {
			t.Fatalf("a batch of %d keys, over MaxBatch 8: %v", len(b), tab.batches)
		}
		n += len(b)
	}
	if n != 16 {
		t.Fatalf("the queued callers' keys came in %d times in all, want 16: %v", n, tab.batches)
	}
}

type ctxKey struct{}

// A caller who finds nothing in flight fetches on its own goroutine, with
// its own context: no hand-off to a worker.
func TestALoneCallerFetchesItself(t *testing.T) {
	var direct, total atomic.Int32
	fetch := func(ctx context.Context, keys []string) (map[string]int, error) {
		total.Add(1)
		if ctx.Value(ctxKey{}) == "caller" {
			direct.Add(1)
		}
		return map[string]int{keys[0]: 1}, nil
	}
	c := coalesce.New(fetch, coalesce.Options[int]{Workers: 2, MaxBatch: 8})
	defer c.Close()
	ctx := context.WithValue(context.Background(), ctxKey{}, "caller")
	for range 100 {
		if v, ok, err := c.Get(ctx, "a"); v != 1 || !ok || err != nil {
			t.Fatalf("got %d, %v, %v", v, ok, err)
		}
	}
	if direct.Load() != 100 || total.Load() != 100 {
		t.Fatalf("%d of %d sequential fetches ran on the caller's goroutine, want all 100", direct.Load(), total.Load())
	}

	// With One set, the lone caller's fetch is One's.
	var ones atomic.Int32
	one := func(ctx context.Context, key string) (int, bool, error) {
		ones.Add(1)
		return len(key), key != "missing", nil
	}
	c1 := coalesce.New(fetch, coalesce.Options[int]{Workers: 1, MaxBatch: 8, One: one})
	defer c1.Close()
	if v, ok, err := c1.Get(ctx, "abcd"); v != 4 || !ok || err != nil {
		t.Fatalf("One: got %d, %v, %v", v, ok, err)
	}
	if _, ok, err := c1.Get(ctx, "missing"); ok || err != nil {
		t.Fatalf("One, missing key: got %v, %v", ok, err)
	}
	if ones.Load() != 2 || total.Load() != 100 {
		t.Fatalf("One called %d times and Fetch %d more: want 2 and 0", ones.Load(), total.Load()-100)
	}
}

// Callers who share a key get values that do not alias one another.
func TestSharedKeysGetCopies(t *testing.T) {
	type val struct{ b []byte }
	gate := make(chan struct{})
	var calls atomic.Int32
	fetch := func(ctx context.Context, keys []string) (map[string]val, error) {
		if calls.Add(1) <= 2 {
			<-gate
		}
		out := map[string]val{}
		for _, k := range keys {
			out[k] = val{[]byte(k)}
		}
		return out, nil
	}
	c := coalesce.New(fetch, coalesce.Options[val]{Workers: 1, MaxBatch: 8,
		Copy: func(v val) val { return val{append([]byte(nil), v.b...)} }})
	defer c.Close()
	// The first fetch runs on its caller's goroutine, the second is the
	// only worker's; both wait at the gate while the four queue.
	go c.Get(context.Background(), "first")
	for calls.Load() < 1 {
		runtime.Gosched()
	}
	go c.Get(context.Background(), "second")
	for calls.Load() < 2 {
		runtime.Gosched()
	}
	got := make([]val, 4)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			v, _, err := c.Get(context.Background(), "same")
			if err != nil {
				t.Error(err)
				return
			}
			// A caller may write to its value at once: under -race, this
			// shows a copy made after an earlier caller's reply.
			v.b[0] |= 0
			got[i] = v
		})
	}
	waitQueued(t, c, 4)
	close(gate)
	wg.Wait()
	for i := range got {
		if string(got[i].b) != "same" {
			t.Fatalf("caller %d got %q", i, got[i].b)
		}
		for j := range i {
			if &got[i].b[0] == &got[j].b[0] {
				t.Fatalf("callers %d and %d share one slice", i, j)
			}
		}
	}
}

func TestFetchErrorReachesEveryCallerOfTheBatch(t *testing.T) {
	tab := newTable(10)
	boom := errors.New("database down")
	tab.err = boom
	c := coalesce.New(tab.fetch, coalesce.Options[int]{Workers: 2, MaxBatch: 4})
	defer c.Close()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if _, _, err := c.Get(context.Background(), fmt.Sprint("k", i%10)); !errors.Is(err, boom) {
				t.Errorf("k%d: err %v, want %v", i%10, err, boom)
			}
		})
	}
	wg.Wait()
}

func TestCancelledCallerReturnsAtOnceAndOthersGoOn(t *testing.T) {
	tab := newTable(10)
	tab.gate = make(chan struct{})
	c := coalesce.New(tab.fetch, coalesce.Options[int]{Workers: 1, MaxBatch: 8})
	defer c.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, _, err := c.Get(ctx, "k1"); done <- err }()
	other := make(chan error, 1)
	go func() {
		v, ok, err := c.Get(context.Background(), "k2")
		if err == nil && (!ok || v != 2) {
			err = fmt.Errorf("got %d, %v", v, ok)
		}
		other <- err
	}()
	waitBatches(t, tab, 1)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled caller: err %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled caller still waits for its fetch")
	}
	// The fetch goes on for the caller still waiting (unless k2 came in a
	// batch of its own, in which case the gate releases that one).
	close(tab.gate)
	if err := <-other; err != nil {
		t.Fatal(err)
	}
}

// When every caller of a batch has gone, its fetch is cancelled: a hung
// database does not hold a worker for a caller nobody waits for. The same
// holds for a fetch on the caller's own goroutine.
func TestFetchIsCancelledWhenAllItsCallersHaveGone(t *testing.T) {
	hold := make(chan struct{})
	fetch := func(ctx context.Context, keys []string) (map[string]int, error) {
		switch keys[0] {
		case "hold": // keeps the direct path busy, so the rest queue
			<-hold
		case "hang": // a database that never answers
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return map[string]int{keys[0]: len(keys[0])}, nil
	}
	c := coalesce.New(fetch, coalesce.Options[int]{Workers: 1, MaxBatch: 8})
	defer c.Close()

	// Alone: the caller's own fetch ends with its deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, _, err := c.Get(ctx, "hang"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("alone: err %v", err)
	}

	held := make(chan error, 1)
	go func() { _, _, err := c.Get(context.Background(), "hold"); held <- err }()
	for c.InFlight() == 0 {
		runtime.Gosched()
	}
	// Queued: the only worker's fetch ends with its only caller's deadline.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, _, err := c.Get(ctx2, "hang"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("queued: err %v", err)
	}
	// The worker is free again, so a new caller is served.
	ctx3, cancel3 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel3()
	if v, ok, err := c.Get(ctx3, "abc"); err != nil || !ok || v != 3 {
		t.Fatalf("after the cancelled fetch: got %d, %v, %v", v, ok, err)
	}
	close(hold)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
}

func TestClose(t *testing.T) {
	tab := newTable(10)
	tab.gate = make(chan struct{}) // never opened
	c := coalesce.New(tab.fetch, coalesce.Options[int]{Workers: 2, MaxBatch: 8})
	errs := make(chan error, 3)
	for i := range 3 {
		go func() { _, _, err := c.Get(context.Background(), fmt.Sprint("k", i)); errs <- err }()
	}
	waitBatches(t, tab, 1)
	c.Close() // returns once the workers have stopped
	for range 3 {
		if err := <-errs; !errors.Is(err, coalesce.ErrClosed) && !errors.Is(err, context.Canceled) {
			t.Fatalf("waiting caller after Close: err %v", err)
		}
	}
	if _, _, err := c.Get(context.Background(), "k1"); !errors.Is(err, coalesce.ErrClosed) {
		t.Fatalf("Get after Close: err %v, want ErrClosed", err)
	}
	c.Close() // a second Close is harmless
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []coalesce.Options[int]{{Workers: 0, MaxBatch: 1}, {Workers: 1, MaxBatch: 0}, {Workers: -1, MaxBatch: 8}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New with %+v did not panic", o)
				}
			}()
			coalesce.New(newTable(1).fetch, o)
		}()
	}
}

func waitBatches(t *testing.T, tab *table, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		tab.mu.Lock()
		got := len(tab.batches)
		tab.mu.Unlock()
		if got >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("fewer than %d fetches started", n)
}

func waitQueued[V any](t *testing.T, c *coalesce.Coalescer[V], n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c.Queued() >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("fewer than %d callers queued (%d)", n, c.Queued())
}

// TestCallersRunBeforeTheNextBatch checks that a worker lets the callers
// it has just answered run before it serves the next batch, even when its
// fetch never blocks: on one processor, with hundreds of callers queued, a
// worker that kept running would start nearly every batch before the
// callers of the one before had returned. The scheduler takes a yielded
// worker back early now and then (7 to 13 batches of 101 in 300 runs), so
// the test allows a quarter of the batches to start early; a worker that
// does not yield started 99 of 101 early.
func TestCallersRunBeforeTheNextBatch(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var returned, served, fetches, early atomic.Int64
	gate := make(chan struct{}) // holds the first fetches until every caller waits
	fetch := func(_ context.Context, keys []string) (map[string]int, error) {
		<-gate
		fetches.Add(1)
		if returned.Load() < served.Load() {
			early.Add(1)
		}
		served.Add(int64(len(keys)))
		out := map[string]int{}
		for _, k := range keys {
			out[k] = len(k)
		}
		return out, nil
	}
	const maxBatch = 4
	c := coalesce.New(fetch, coalesce.Options[int]{Workers: 1, MaxBatch: maxBatch})
	defer c.Close()
	var wg sync.WaitGroup
	for i := range 400 {
		wg.Go(func() {
			if _, _, err := c.Get(context.Background(), fmt.Sprint("k", i)); err != nil {
				t.Error(err)
			}
			returned.Add(1)
		})
	}
	for c.Queued() < 2*maxBatch { // the queue's capacity: the rest wait to join it
		runtime.Gosched()
	}
	close(gate)
	wg.Wait()
	if fetches.Load() < 50 || early.Load()*4 > fetches.Load() {
		t.Errorf("%d of %d fetches started before the callers of the ones before had returned", early.Load(), fetches.Load())
	}
}
