// Package coalesce turns many concurrent lookups by key into few batched
// fetches, without a cache.
//
// A store answers one query for 32 keys at little more than the cost of a
// query for one: the round trip, the database's wake-up, parsing and
// planning are paid once. Under load, callers that arrive while a fetch is
// in flight queue up, and the next fetch takes all of them (up to a limit)
// at once. A caller who finds nothing in flight fetches on its own
// goroutine, with no hand-off to a worker, so a lone lookup costs what a
// direct query does; nothing ever waits on a timer.
//
// Nothing is remembered between fetches: every fetch starts after each of
// its callers called [Coalescer.Get], so a caller sees every write that was
// committed before it called, exactly as with a query of its own. This is
// what makes the package fit for reads that decide access (the revocation
// of an API key takes effect for every lookup that starts after it), where
// a cache would not be.
package coalesce

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
)

// ErrClosed is returned by [Coalescer.Get] once [Coalescer.Close] has been
// called.
var ErrClosed = errors.New("coalesce: closed")

// Fetch looks up distinct keys in one batch and returns the values found;
// a key missing from the map was not found. It must honour ctx, which is
// cancelled when no caller waits for the batch any more or the coalescer
// closes.
type Fetch[V any] func(ctx context.Context, keys []string) (map[string]V, error)

// Options configure a [Coalescer].
type Options[V any] struct {
	// Workers is the most fetches in flight at once (at least 1).
	Workers int
	// MaxBatch is the most callers one fetch serves (at least 1).
	MaxBatch int
	// One, when set, fetches a lone key for a caller who found nothing in
	// flight, in place of Fetch with one key: a store may have a cheaper
	// statement for one key than for a batch.
	One func(ctx context.Context, key string) (V, bool, error)
	// Copy, when set, gives each further caller of the same key in a batch
	// its own copy of the value (values holding slices or pointers would
	// otherwise be shared between callers).
	Copy func(V) V
}

// Coalescer batches concurrent [Coalescer.Get] calls into fetches. It is
// safe for concurrent use.
type Coalescer[V any] struct {
	fetch Fetch[V]
	opts  Options[V]
	queue chan *call[V]

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	closed atomic.Bool
	wg     sync.WaitGroup

	// inflight counts the fetches running, the workers' and the direct
	// ones; direct holds a read lock through each direct fetch, so that
	// Close can wait for them.
	inflight atomic.Int32
	direct   sync.RWMutex
}

type call[V any] struct {
	ctx   context.Context
	key   string
	reply chan result[V] // buffered: a worker never blocks on a caller
}

type result[V any] struct {
	v   V
	ok  bool
	err error
}

// New starts a coalescer's workers. It panics if opts.Workers or
// opts.MaxBatch is below 1.
func New[V any](fetch Fetch[V], opts Options[V]) *Coalescer[V] {
	if opts.Workers < 1 || opts.MaxBatch < 1 {
		panic("coalesce: Workers and MaxBatch must be at least 1")
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Coalescer[V]{fetch: fetch, opts: opts, queue: make(chan *call[V], 2*opts.Workers*opts.MaxBatch), ctx: ctx, cancel: cancel}
	for range opts.Workers {
		c.wg.Go(c.work)
	}
	return c
}

// Get returns the value for key: ok is false if it was not found. It
// returns ctx's error as soon as ctx is done, [ErrClosed] after Close, and
// otherwise the error of the fetch that served it.
func (c *Coalescer[V]) Get(ctx context.Context, key string) (v V, ok bool, err error) {
	if c.closed.Load() {
		return v, false, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return v, false, err
	}
	// Nothing in flight and nobody queued: fetch here, at once.
	if len(c.queue) == 0 && c.inflight.CompareAndSwap(0, 1) {
		return c.getDirect(ctx, key)
	}
	cl := &call[V]{ctx: ctx, key: key, reply: make(chan result[V], 1)}
	select {
	case c.queue <- cl:
	case <-ctx.Done():
		return v, false, ctx.Err()
	case <-c.ctx.Done():
		return v, false, ErrClosed
	}
	select {
	case r := <-cl.reply:
		return r.v, r.ok, r.err
	case <-ctx.Done():
		return v, false, ctx.Err()
	case <-c.ctx.Done():
		return v, false, ErrClosed
	}
}

func (c *Coalescer[V]) getDirect(ctx context.Context, key string) (v V, ok bool, err error) {
	defer c.inflight.Add(-1)
	c.direct.RLock()
	defer c.direct.RUnlock()
	if c.closed.Load() {
		return v, false, ErrClosed
	}
	// The fetch stops for the caller's ctx, as it would for a query of
	// its own, and for Close.
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(c.ctx, cancel)()
	if c.opts.One != nil {
		v, ok, err = c.opts.One(fctx, key)
	} else {
		var found map[string]V
		if found, err = c.fetch(fctx, []string{key}); err == nil {
			v, ok = found[key]
		}
	}
	switch {
	case err == nil:
		return v, ok, nil
	case ctx.Err() != nil:
		return v, false, ctx.Err()
	case c.ctx.Err() != nil:
		return v, false, ErrClosed
	}
	return v, false, err
}

// Queued is the number of callers waiting for a worker to take them.
func (c *Coalescer[V]) Queued() int { return len(c.queue) }

// InFlight is the number of fetches running.
func (c *Coalescer[V]) InFlight() int { return int(c.inflight.Load()) }

// Close stops the workers, cancelling the fetches in flight, and returns
// once they have stopped. Callers still waiting get [ErrClosed].
func (c *Coalescer[V]) Close() {
	c.closed.Store(true)
	c.cancel()
	c.wg.Wait()
	c.direct.Lock() // and the direct fetches, cancelled too
	c.direct.Unlock()
}

func (c *Coalescer[V]) work() {
	batch := make([]*call[V], 0, c.opts.MaxBatch)
	for {
		batch = batch[:0]
		select {
		case cl := <-c.queue:
			batch = append(batch, cl)
		case <-c.ctx.Done():
			return
		}
	drain:
		for len(batch) < c.opts.MaxBatch {
			select {
			case cl := <-c.queue:
				batch = append(batch, cl)
			default:
				break drain
			}
		}
		c.serve(batch)
		clear(batch) // drop references to finished callers
		// The callers just answered wait in this worker's run queue. A
		// fetch that runs in-process and never blocks (SQLite's) would
		// otherwise keep the worker on its processor, batch after batch,
		// until the scheduler preempted it 10 ms later, which under load
		// became the service's p99 latency. The yield comes after
		// serve's own clean-up, so that the callers find the fetch
		// finished.
		runtime.Gosched()
	}
}

// serve runs one fetch for the callers of batch that still wait.
func (c *Coalescer[V]) serve(batch []*call[V]) {
	live := batch[:0]
	for _, cl := range batch {
		if cl.ctx.Err() == nil {
			live = append(live, cl)
		}
	}
	if len(live) == 0 {
		return
	}
	c.inflight.Add(1)
	defer c.inflight.Add(-1)
	// The fetch runs until its last caller stops waiting, or Close.
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	var waiting atomic.Int32
	waiting.Store(int32(len(live)))
	for _, cl := range live {
		stop := context.AfterFunc(cl.ctx, func() {
			if waiting.Add(-1) == 0 {
				cancel()
			}
		})
		defer stop()
	}

	keys := make([]string, 0, len(live))
	first := make(map[string]bool, len(live))
	for _, cl := range live {
		if _, dup := first[cl.key]; !dup {
			first[cl.key] = true
			keys = append(keys, cl.key)
		}
	}
	found, err := c.fetch(ctx, keys)
	if err != nil && c.ctx.Err() != nil {
		err = ErrClosed
	}
	// Every copy is made before the first reply goes out: a caller may
	// change the value it was given as soon as it has it.
	results := make([]result[V], len(live))
	for i, cl := range live {
		if err != nil {
			results[i].err = err
			continue
		}
		v, ok := found[cl.key]
		if ok && !first[cl.key] && c.opts.Copy != nil {
			v = c.opts.Copy(v)
		}
		first[cl.key] = false
		results[i] = result[V]{v: v, ok: ok}
	}
	for i, cl := range live {
		cl.reply <- results[i]
	}
}
