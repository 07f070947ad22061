package deliver_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/unguessable/secrets/code"
	"github.com/unguessable/secrets/deliver"
	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/token"
)

// testKey is the delivery key of the tests; testSecret the webhook's
// signing secret.
var (
	testKey    = bytes.Repeat([]byte{0xd1}, deliver.KeyBytes)
	testSecret = deliver.SecretPrefix + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x77}, 32))
)

// hook is a webhook receiver that records what it gets and answers what
// answer says for the n-th request (from 1).
type hook struct {
	srv *httptest.Server

	mu     sync.Mutex
	n      int
	got    []received
	answer func(n int, w http.ResponseWriter, r *http.Request)
}

type received struct {
	header http.Header
	body   []byte
	data   map[string]any
}

func newHook(t testing.TB, answer func(n int, w http.ResponseWriter, r *http.Request)) *hook {
	h := &hook{answer: answer}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var p struct {
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("the webhook's body is not JSON: %v", err)
		}
		h.mu.Lock()
		h.n++
		n := h.n
		h.got = append(h.got, received{header: r.Header.Clone(), body: body, data: p.Data})
		h.mu.Unlock()
		if h.answer != nil {
			h.answer(n, w, r)
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) received() []received {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]received(nil), h.got...)
}

// env is a store with its managers, a deliverer whose webhook posts to a
// hook, and its dispatcher.
type env struct {
	st     store.Store
	ob     store.Outbox
	clock  *backendtest.Clock
	codes  *code.Manager
	tokens *token.Manager
	d      *deliver.Deliverer
	disp   *deliver.Dispatcher
	hook   *hook
}

type envOptions struct {
	answer      func(n int, w http.ResponseWriter, r *http.Request)
	maxAttempts int
	email       deliver.Sender
	links       deliver.Links
	timeout     time.Duration
}

func newEnv(t testing.TB, st store.Store, clock *backendtest.Clock, o envOptions) *env {
	t.Helper()
	ob, ok := st.(store.Outbox)
	if !ok {
		t.Fatalf("%T is no store.Outbox", st)
	}
	h := newHook(t, o.answer)
	wh, err := deliver.NewWebhook(h.srv.URL+"/hook", testSecret, o.timeout, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := deliver.New(deliver.Options{Key: testKey, Webhook: wh, Email: o.email, Links: o.links, MaxAttempts: o.maxAttempts})
	if err != nil {
		t.Fatal(err)
	}
	codes, err := code.New(st, backendtest.Pepper, code.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, ob: ob, clock: clock, codes: codes, tokens: token.New(st, token.Options{Clock: clock}), d: d, hook: h,
		disp: d.Dispatcher(ob, deliver.DispatchOptions{Clock: clock, Backoff: 2 * time.Second, MaxBackoff: time.Minute, SendTimeout: 2 * time.Second})}
}

// issueCode issues a code of purpose login for subject, delivered by
// webhook to to.
func (e *env) issueCode(t testing.TB, subject string, opts code.IssueOptions) code.Issued {
	t.Helper()
	enq, err := e.d.Enqueue(deliver.KindCode, "login", deliver.Request{Channel: deliver.ChannelWebhook, To: "+15550100"})
	if err != nil {
		t.Fatal(err)
	}
	opts.Deliver = enq
	iss, err := e.codes.Issue(context.Background(), "login", subject, opts)
	if err != nil {
		t.Fatal(err)
	}
	if iss.Code != "" || iss.DeliveryID == "" {
		t.Fatalf("a delivered code came back with %d digits and delivery id %q", len(iss.Code), iss.DeliveryID)
	}
	return iss
}

func (e *env) delivery(t testing.TB, id string) store.Delivery {
	t.Helper()
	d, err := e.ob.DeliveryByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (e *env) runOnce(t testing.TB) int {
	t.Helper()
	n, err := e.disp.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// nopSender accepts every message.
type nopSender struct{}

func (nopSender) Send(context.Context, *deliver.Message) error { return nil }

// newServer serves h on loopback until the test ends and returns its URL.
func newServer(t testing.TB, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
