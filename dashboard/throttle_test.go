package dashboard

import (
	"net/http/httptest"
	"testing"
	"time"
)

// The sign-in throttle counts an IPv6 client by its /64, so that moving
// within the network it holds does not reset its failures; IPv4 clients,
// and IPv6 networks apart, are counted each on their own.
func TestThrottleCountsIPv6ByNetwork(t *testing.T) {
	from := func(remote string) string {
		r := httptest.NewRequest("POST", "/sign-in", nil)
		r.RemoteAddr = remote
		return clientAddr(r)
	}
	th := newThrottle(true)
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range SignInFailures {
		a := from("[2001:db8:1:2::" + string(rune('a'+i)) + "]:40000")
		if w := th.wait(a, now); w != 0 {
			t.Fatalf("failure %d from the network: already waits %v", i, w)
		}
		th.fail(a, now)
	}
	if w := th.wait(from("[2001:db8:1:2:ffff:ffff:ffff:ffff]:1"), now); w <= 0 {
		t.Error("another address of the same /64 may try again at once")
	}
	if w := th.wait(from("[2001:db8:1:3::a]:40000"), now); w != 0 {
		t.Errorf("another /64 waits %v", w)
	}
	if a, b := from("192.0.2.1:1"), from("192.0.2.2:1"); a == b {
		t.Errorf("two IPv4 addresses share the key %q", a)
	}
	if a, b := from("192.0.2.1:1"), from("[::ffff:192.0.2.1]:2"); a != b {
		t.Errorf("an IPv4 address and its IPv4-mapped form differ: %q, %q", a, b)
	}
	if got := from("in-process"); got != "in-process" {
		t.Errorf("a remote address that is no IP:port: %q", got)
	}
}
