package server

import (
	"net"
	"net/http"
	"sync"
)

// limitListener accepts at most cap(slots) connections at once: Accept
// waits for one of them to close before it accepts another, so the
// connections past the bound wait in the operating system's listen queue,
// where they hold neither a file descriptor nor memory of the process.
//
// The connections are not wrapped (net/http must see a *tls.Conn as it
// is): the http.Server's ConnState hook gives a slot back when one closes.
type limitListener struct {
	net.Listener
	slots chan struct{}
	done  chan struct{} // closed by Close: a waiting Accept returns
	once  sync.Once
}

func newLimitListener(ln net.Listener, n int) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, n), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return c, nil
}

func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.once.Do(func() { close(l.done) })
	return err
}

// connState is the http.Server's ConnState hook: net/http reports every
// connection it accepted as new, and each once as closed or hijacked.
func (l *limitListener) connState(open func(delta float64)) func(net.Conn, http.ConnState) {
	return func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			open(1)
		case http.StateClosed, http.StateHijacked:
			open(-1)
			<-l.slots
		}
	}
}
