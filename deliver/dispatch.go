package deliver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/store"
)

// DispatchOptions tune a Dispatcher; the zero value is the default.
type DispatchOptions struct {
	// Clock tells the time of claims, leases, backoff and expiry; default
	// store.SystemClock.
	Clock store.Clock
	// Lease is how long a claimed job is the claimant's alone; after it,
	// another dispatcher claims it again (its claimant died). Default 1m;
	// it must exceed SendTimeout.
	Lease time.Duration
	// SendTimeout bounds one attempt; default 15s.
	SendTimeout time.Duration
	// Batch is how many jobs one claim takes; default 64.
	Batch int
	// Workers is how many sends run at once; default 32.
	Workers int
	// Poll is how long Run waits when no job is due and no job was
	// queued ([Dispatcher.Notify]); default 200ms.
	Poll time.Duration
	// Gather is how long Run waits, once woken by Notify, before it
	// claims: the jobs queued meanwhile go out in the same claim. Default
	// 10ms; negative claims at once.
	Gather time.Duration
	// EndEvery is how often, at most, a claim is preceded by ending the
	// jobs that can no longer be sent (store.Outbox.EndDeliveries); a claim
	// passes them over meanwhile. Default 1s, on Clock.
	EndEvery time.Duration
	// Backoff is the wait after a first failed attempt, doubled after each
	// (with jitter: a uniform draw from its upper half), up to MaxBackoff.
	// Defaults 2s and 5m.
	Backoff, MaxBackoff time.Duration
	// OnError receives failures of the store (never a secret).
	OnError func(error)
	// OnFinish receives each recorded attempt's outcome: the channel and
	// the job's new status (queued for a retry); not an attempt whose lease
	// ran out before it finished. It also receives the jobs that the
	// dispatcher ends unsent (expired or failed).
	OnFinish func(channel, status string)
}

// Dispatcher claims due jobs from an outbox, sends them and records how
// each attempt ended. Any number of dispatchers, in any number of
// processes, may share one database: a job is claimed by one at a time.
type Dispatcher struct {
	d    *Deliverer
	ob   store.Outbox
	o    DispatchOptions
	wake chan struct{}

	mu    sync.Mutex
	ended time.Time // when EndDeliveries last ran
}

// Dispatcher returns a dispatcher of the jobs in ob.
func (d *Deliverer) Dispatcher(ob store.Outbox, o DispatchOptions) *Dispatcher {
	if o.Clock == nil {
		o.Clock = store.SystemClock{}
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 15 * time.Second
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.Lease <= o.SendTimeout {
		o.Lease = o.SendTimeout + 5*time.Second
	}
	if o.Batch <= 0 {
		o.Batch = 64
	}
	if o.Workers <= 0 {
		o.Workers = 32
	}
	if o.Poll <= 0 {
		o.Poll = 200 * time.Millisecond
	}
	if o.Gather == 0 {
		o.Gather = 10 * time.Millisecond
	}
	if o.EndEvery <= 0 {
		o.EndEvery = time.Second
	}
	if o.Backoff <= 0 {
		o.Backoff = 2 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Minute
	}
	return &Dispatcher{d: d, ob: ob, o: o, wake: make(chan struct{}, 1)}
}

// Notify wakes Run if it is waiting: a job was just queued.
func (p *Dispatcher) Notify() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run dispatches until ctx is done, then returns nil once the attempts
// under way have ended.
func (p *Dispatcher) Run(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		n, err := p.RunOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && p.o.OnError != nil {
			p.o.OnError(err)
		}
		if n == p.o.Batch && err == nil {
			continue // more may be due
		}
		t.Reset(p.o.Poll)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-p.wake:
			// A job was queued: let the jobs of a burst gather, so that
			// they take one claim and one commit, not one each.
			if p.o.Gather > 0 {
				t.Reset(p.o.Gather) // no stale tick survives a Reset (Go 1.23)
				select {
				case <-ctx.Done():
					return nil
				case <-t.C:
				}
			}
		}
	}
}

// RunOnce claims one batch of due jobs, sends them, records the outcomes
// and returns how many it claimed.
func (p *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	now := p.o.Clock.Now()
	if err := p.end(ctx, now); err != nil {
		return 0, err
	}
	lease := store.NewID("lease", now)
	jobs, err := p.ob.ClaimDeliveries(ctx, lease, now, now.Add(p.o.Lease), p.o.Batch)
	if err != nil {
		return 0, fmt.Errorf("deliver: claim: %w", err)
	}
	if len(jobs) == 0 {
		return 0, nil
	}
	// A claimed job is attempted to its end, each send bounded by
	// SendTimeout, even when ctx ends: a send cut short may still have
	// reached the receiver, and would only be sent again.
	sendCtx := context.WithoutCancel(ctx)
	// The outcomes are recorded by one goroutine, in one transaction for
	// all those that are ready: as soon as each is known when sends are
	// slow, a commit for many when they are quick.
	results := make(chan outcome, len(jobs))
	recorded := make(chan error, 1)
	go func() { recorded <- p.record(sendCtx, lease, results) }()
	var wg sync.WaitGroup
	sem := make(chan struct{}, p.o.Workers)
	for _, j := range jobs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			results <- outcome{j.ID, j.Channel, p.send(sendCtx, j)}
		})
	}
	wg.Wait()
	close(results)
	return len(jobs), <-recorded
}

// end runs EndDeliveries if it has not run for EndEvery.
func (p *Dispatcher) end(ctx context.Context, now time.Time) error {
	p.mu.Lock()
	due := p.ended.IsZero() || now.Sub(p.ended) >= p.o.EndEvery || now.Before(p.ended)
	if due {
		p.ended = now
	}
	p.mu.Unlock()
	if !due {
		return nil
	}
	ended, err := p.ob.EndDeliveries(ctx, now)
	if err != nil {
		p.mu.Lock()
		p.ended = time.Time{}
		p.mu.Unlock()
		return fmt.Errorf("deliver: end: %w", err)
	}
	if p.o.OnFinish != nil {
		for _, e := range ended {
			p.o.OnFinish(e.Channel, e.Status)
		}
	}
	return nil
}

// outcome is how the attempt of one claimed job ended.
type outcome struct {
	id, channel string
	r           store.DeliveryResult
}

// record records the outcomes of results until it is closed, each time
// all those that are ready in one transaction.
func (p *Dispatcher) record(ctx context.Context, lease string, results <-chan outcome) error {
	var errs []error
	for first := range results {
		batch := []outcome{first}
	more:
		for {
			select {
			case o, ok := <-results:
				if !ok {
					break more
				}
				batch = append(batch, o)
			default:
				break more
			}
		}
		rs := make(map[string]store.DeliveryResult, len(batch))
		for _, o := range batch {
			rs[o.id] = o.r
		}
		fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		done, err := p.ob.FinishDeliveries(fctx, lease, rs)
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("deliver: finish %d jobs: %w", len(batch), err))
			continue
		}
		// An attempt whose lease ran out changed nothing: the job's next
		// claim reports its outcome.
		if p.o.OnFinish != nil {
			held := make(map[string]bool, len(done))
			for _, id := range done {
				held[id] = true
			}
			for _, o := range batch {
				if held[o.id] {
					p.o.OnFinish(o.channel, o.r.Status)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// send makes one attempt of j and says how it ended.
func (p *Dispatcher) send(ctx context.Context, j store.Delivery) store.DeliveryResult {
	now := p.o.Clock.Now()
	if !now.Before(j.ExpiresAt) {
		return store.DeliveryResult{Status: store.DeliveryExpired, LastError: j.LastError}
	}
	sender := p.d.senders[j.Channel]
	if sender == nil {
		return p.retry(j, now, fmt.Errorf("deliver: %s delivery is not configured on this instance", j.Channel))
	}
	plain, err := p.d.sealer.Open(j.ID, j.Sealed)
	if err != nil {
		return store.DeliveryResult{Status: store.DeliveryFailed, LastError: err.Error()}
	}
	m := &Message{ID: j.ID, Kind: j.Kind, Purpose: j.Purpose, To: j.Recipient, Template: j.Template, Locale: j.Locale,
		Data: j.Data, ExpiresAt: j.ExpiresAt, Attempt: j.Attempts}
	if j.Kind == KindCode {
		m.Code = plain
	} else if lt := p.d.links[j.Purpose]; lt != nil {
		if m.Link, err = link(lt, plain); err != nil {
			return store.DeliveryResult{Status: store.DeliveryFailed, LastError: "deliver: the link of the purpose does not make a URL"}
		}
	} else if j.Channel == ChannelWebhook {
		m.Token = plain
	} else {
		return store.DeliveryResult{Status: store.DeliveryFailed, LastError: "deliver: the purpose has no link on this instance"}
	}
	if err := p.d.tpl.render(m, now); err != nil {
		return store.DeliveryResult{Status: store.DeliveryFailed, LastError: "deliver: the template does not render on this instance"}
	}
	sctx, cancel := context.WithTimeout(ctx, p.o.SendTimeout)
	err = sender.Send(sctx, m)
	cancel()
	now = p.o.Clock.Now()
	var perm *PermanentError
	switch {
	case err == nil:
		return store.DeliveryResult{Status: store.DeliverySent, SentAt: now}
	case errors.As(err, &perm):
		return store.DeliveryResult{Status: store.DeliveryFailed, LastError: err.Error()}
	}
	return p.retry(j, now, err)
}

// retry schedules the next attempt of j after a failure, or ends it.
func (p *Dispatcher) retry(j store.Delivery, now time.Time, err error) store.DeliveryResult {
	if j.Attempts >= j.MaxAttempts {
		return store.DeliveryResult{Status: store.DeliveryFailed, LastError: fmt.Sprintf("gave up after %d attempts: %v", j.Attempts, err)}
	}
	next := now.Add(p.backoff(j.Attempts))
	if !next.Before(j.ExpiresAt) {
		return store.DeliveryResult{Status: store.DeliveryExpired, LastError: err.Error()}
	}
	return store.DeliveryResult{Status: store.DeliveryQueued, NextAt: next, LastError: err.Error()}
}

// backoff is the wait after the attempt-th failed attempt: Backoff x
// 2^(attempt-1), at most MaxBackoff, drawn uniformly from its upper half.
func (p *Dispatcher) backoff(attempt int) time.Duration {
	d := p.o.Backoff
	for i := 1; i < attempt && d < p.o.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, p.o.MaxBackoff)
	half := d / 2
	ms := int(half / time.Millisecond)
	if ms <= 0 {
		return d
	}
	return d - half + time.Duration(secrets.RandBelow(ms+1))*time.Millisecond
}

// Status is the state of a delivery as the service reports it.
type Status struct {
	ID        string
	Channel   string
	Status    string
	Attempts  int
	LastError string
	SentAt    time.Time
	CreatedAt time.Time
}

// Lookup returns the status of delivery id from ob, or store.ErrNotFound.
func Lookup(ctx context.Context, ob store.Outbox, id string) (Status, error) {
	d, err := ob.DeliveryByID(ctx, id)
	if err != nil {
		return Status{}, err
	}
	return Status{ID: d.ID, Channel: d.Channel, Status: d.Status, Attempts: d.Attempts, LastError: d.LastError, SentAt: d.SentAt, CreatedAt: d.CreatedAt}, nil
}
