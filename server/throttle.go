package server

import (
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/unguessable/secrets/store"
)

// The throttle of wrong access keys: each 401 puts its client address
// AuthFailureInterval further into debt; an address more than
// AuthFailureBurst-1 intervals in debt gets 429 with Retry-After, without
// its key being checked, until it is back under. So an address may present
// AuthFailureBurst wrong keys in a row, then one each AuthFailureInterval
// (20 a minute), instead of as many as the service can check.
const (
	// AuthFailureBurst is how many wrong access keys a client address may
	// present in a row before it gets 429.
	AuthFailureBurst = 20
	// AuthFailureInterval is how long it takes the throttle to forget one
	// wrong key of an address.
	AuthFailureInterval = 3 * time.Second
	// MaxThrottledAddresses bounds the addresses the throttle remembers
	// (about 100 bytes each). When the table is full, the addresses whose
	// debt is paid are forgotten, then, if it is still full, one at random.
	MaxThrottledAddresses = 1 << 16
)

// throttle is the table of client addresses that presented wrong access
// keys, safe for concurrent use. The check on every authenticated call is
// an atomic load while no address is in debt, which is the normal case.
type throttle struct {
	clock    store.Clock
	burst    time.Duration // the most debt an address may have and still try
	interval time.Duration
	max      int

	n    atomic.Int64 // len(debt), read without the lock
	mu   sync.Mutex
	debt map[netip.Addr]time.Time // when each address's debt is paid
}

func newThrottle(clock store.Clock) *throttle {
	return &throttle{clock: clock, burst: (AuthFailureBurst - 1) * AuthFailureInterval, interval: AuthFailureInterval,
		max: MaxThrottledAddresses, debt: map[netip.Addr]time.Time{}}
}

// clientAddr is the throttle's key of a request's RemoteAddr: the IP
// address, or its /64 network for IPv6, where one client commonly holds a
// whole /64. It is false for an address that is not IP:port.
func clientAddr(remote string) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return netip.Addr{}, false
	}
	a := ap.Addr().Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		a = p.Addr()
	}
	return a, true
}

// wait returns how long the client at remote must wait before it may
// present a key again; 0 if it may now.
func (t *throttle) wait(remote string) time.Duration {
	if t.n.Load() == 0 {
		return 0
	}
	a, ok := clientAddr(remote)
	if !ok {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	paid, ok := t.debt[a]
	if !ok {
		return 0
	}
	now := t.clock.Now()
	if !paid.After(now) {
		delete(t.debt, a)
		t.n.Store(int64(len(t.debt)))
		return 0
	}
	return paid.Sub(now) - t.burst
}

// fail notes a wrong key presented from remote.
func (t *throttle) fail(remote string) {
	a, ok := clientAddr(remote)
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock.Now()
	paid, known := t.debt[a]
	if !known && len(t.debt) >= t.max {
		t.forget(now)
	}
	if paid.Before(now) {
		paid = now
	}
	t.debt[a] = paid.Add(t.interval)
	t.n.Store(int64(len(t.debt)))
}

// forget makes room in the full table: it drops the addresses whose debt
// is paid, or one at random if none is.
func (t *throttle) forget(now time.Time) {
	for a, paid := range t.debt {
		if !paid.After(now) {
			delete(t.debt, a)
		}
	}
	if len(t.debt) < t.max {
		return
	}
	for a := range t.debt {
		delete(t.debt, a)
		return
	}
}

// throttled is the answer to a client address that must wait d.
func throttled(d time.Duration) *apiError {
	return &apiError{Status: http.StatusTooManyRequests, Code: codeTooManyRequests,
		RetryAfter: max(int64((d+time.Second-1)/time.Second), 1),
		Message:    "too many wrong access keys from this address; retry after the time in Retry-After"}
}
