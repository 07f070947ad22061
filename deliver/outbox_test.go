package deliver_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/unguessable/secrets/code"
	"github.com/unguessable/secrets/deliver"
	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/token"
)

func TestTheOutbox(t *testing.T) {
	ctx := context.Background()
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		fresh := func(t *testing.T, o envOptions) *env { return newEnv(t, b.NewDB(t).Open(t), backendtest.NewClock(), o) }

		t.Run("a delivered code is sent once by a signed webhook that the reference library verifies, and then checks", func(t *testing.T) {
			e := fresh(t, envOptions{})
			iss := e.issueCode(t, "ana", code.IssueOptions{})
			if d := e.delivery(t, iss.DeliveryID); d.Status != store.DeliveryQueued || d.SecretID != iss.ID || len(d.Sealed) == 0 {
				t.Fatalf("the queued job: status %q, secret %q, %d sealed bytes", d.Status, d.SecretID, len(d.Sealed))
			}
			if n := e.runOnce(t); n != 1 {
				t.Fatalf("claimed %d jobs, want 1", n)
			}
			got := e.hook.received()
			if len(got) != 1 {
				t.Fatalf("the receiver got %d requests, want 1", len(got))
			}
			wh, err := standardwebhooks.NewWebhook(testSecret)
			if err != nil {
				t.Fatal(err)
			}
			if err := wh.Verify(got[0].body, got[0].header); err != nil {
				t.Fatalf("the reference library refuses our signature: %v", err)
			}
			tampered := append([]byte(nil), got[0].body...)
			tampered[len(tampered)-2] ^= 1
			if wh.Verify(tampered, got[0].header) == nil {
				t.Fatal("the reference library accepts a changed body: the test checks nothing")
			}
			if got[0].header.Get("webhook-id") != iss.DeliveryID || got[0].data["delivery_id"] != iss.DeliveryID {
				t.Fatalf("webhook-id %q, want the delivery's id %q", got[0].header.Get("webhook-id"), iss.DeliveryID)
			}
			plain, _ := got[0].data["code"].(string)
			if len(plain) != code.DefaultDigits || !strings.Contains(got[0].data["text"].(string), plain) {
				t.Fatalf("the payload's code has %d digits; its text holds it: %v", len(plain), strings.Contains(got[0].data["text"].(string), plain))
			}
			d := e.delivery(t, iss.DeliveryID)
			if d.Status != store.DeliverySent || d.Sealed != nil || d.Attempts != 1 || !d.SentAt.Equal(e.clock.Now()) || d.Lease != "" {
				t.Fatalf("after sending: status %q, %d sealed bytes, %d attempts, sent at %v", d.Status, len(d.Sealed), d.Attempts, d.SentAt)
			}
			if n := e.runOnce(t); n != 0 {
				t.Fatalf("a sent job was claimed again (%d)", n)
			}
			if r := backendtest.Must[code.Result](t)(e.codes.Check(ctx, "login", "ana", plain)); r.Status != code.Approved {
				t.Fatalf("the delivered code checks %v", r.Status)
			}
		})

		t.Run("a code the send throttle refuses queues nothing", func(t *testing.T) {
			e := fresh(t, envOptions{})
			var ids []string
			for range code.DefaultMaxSends {
				ids = append(ids, e.issueCode(t, "bo", code.IssueOptions{}).DeliveryID)
			}
			enq := backendtest.Must[store.Enqueue](t)(e.d.Enqueue(deliver.KindCode, "login", deliver.Request{Channel: deliver.ChannelWebhook, To: "x"}))
			var made string
			_, err := e.codes.Issue(ctx, "login", "bo", code.IssueOptions{Deliver: func(id, p string, c, x time.Time) (store.Delivery, error) {
				d, err := enq(id, p, c, x)
				made = d.ID
				return d, err
			}})
			if !errors.Is(err, code.ErrThrottled) || made == "" {
				t.Fatalf("the sixth code: %v (job %q)", err, made)
			}
			if _, err := e.ob.DeliveryByID(ctx, made); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("the throttled code's job is in the outbox: %v", err)
			}
			for _, id := range ids {
				e.delivery(t, id)
			}
		})

		t.Run("a receiver that fails twice gets the job on the third attempt, after the backoff", func(t *testing.T) {
			e := fresh(t, envOptions{answer: func(n int, w http.ResponseWriter, r *http.Request) {
				if n <= 2 {
					w.WriteHeader(http.StatusServiceUnavailable)
				}
			}})
			iss := e.issueCode(t, "cy", code.IssueOptions{})
			start := e.clock.Now()
			e.runOnce(t)
			d := e.delivery(t, iss.DeliveryID)
			if d.Status != store.DeliveryQueued || d.Attempts != 1 || !strings.Contains(d.LastError, "503") || len(d.Sealed) == 0 {
				t.Fatalf("after a 503: status %q, %d attempts, last error %q", d.Status, d.Attempts, d.LastError)
			}
			// The first wait is drawn from [1s, 2s]; the second from [2s, 4s].
			if w := d.NextAt.Sub(start); w < time.Second || w > 2*time.Second {
				t.Fatalf("the first retry waits %v, want 1s to 2s", w)
			}
			e.clock.Advance(999 * time.Millisecond)
			if n := e.runOnce(t); n != 0 {
				t.Fatalf("a job was claimed before its backoff ended (%d)", n)
			}
			e.clock.Advance(time.Second + time.Millisecond)
			e.runOnce(t)
			d = e.delivery(t, iss.DeliveryID)
			if d.Status != store.DeliveryQueued || d.Attempts != 2 {
				t.Fatalf("after the second 503: status %q, %d attempts", d.Status, d.Attempts)
			}
			if w := d.NextAt.Sub(e.clock.Now()); w < 2*time.Second || w > 4*time.Second {
				t.Fatalf("the second retry waits %v, want 2s to 4s", w)
			}
			e.clock.Advance(4 * time.Second)
			e.runOnce(t)
			d = e.delivery(t, iss.DeliveryID)
			if d.Status != store.DeliverySent || d.Attempts != 3 || d.Sealed != nil || len(e.hook.received()) != 3 {
				t.Fatalf("after the third attempt: status %q, %d attempts, %d requests", d.Status, d.Attempts, len(e.hook.received()))
			}
			ids := map[string]bool{}
			for _, r := range e.hook.received() {
				ids[r.header.Get("webhook-id")] = true
			}
			if len(ids) != 1 {
				t.Fatalf("the three attempts had %d webhook-ids, want one", len(ids))
			}
		})

		t.Run("a 410 ends the job at once and wipes its plaintext", func(t *testing.T) {
			e := fresh(t, envOptions{answer: func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) }})
			iss := e.issueCode(t, "di", code.IssueOptions{})
			e.runOnce(t)
			d := e.delivery(t, iss.DeliveryID)
			if d.Status != store.DeliveryFailed || d.Attempts != 1 || d.Sealed != nil || !strings.Contains(d.LastError, "410") {
				t.Fatalf("after a 410: status %q, %d attempts, %d sealed bytes, last error %q", d.Status, d.Attempts, len(d.Sealed), d.LastError)
			}
			e.clock.Advance(time.Hour)
			if n := e.runOnce(t); n != 0 {
				t.Fatalf("a failed job was claimed again (%d)", n)
			}
		})

		t.Run("a receiver that does not answer in time is retried", func(t *testing.T) {
			release := make(chan struct{})
			e := fresh(t, envOptions{timeout: 50 * time.Millisecond, answer: func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					select {
					case <-r.Context().Done():
					case <-release:
					}
				}
			}})
			defer close(release)
			iss := e.issueCode(t, "ed", code.IssueOptions{})
			e.runOnce(t)
			d := e.delivery(t, iss.DeliveryID)
			if d.Status != store.DeliveryQueued || !strings.Contains(d.LastError, "in time") {
				t.Fatalf("after a timeout: status %q, last error %q", d.Status, d.LastError)
			}
			e.clock.Advance(2 * time.Second)
			e.runOnce(t)
			if d := e.delivery(t, iss.DeliveryID); d.Status != store.DeliverySent || d.Attempts != 2 {
				t.Fatalf("after the retry: status %q, %d attempts", d.Status, d.Attempts)
			}
		})

		t.Run("a job is given up after its attempts, within the secret's lifetime", func(t *testing.T) {
			e := fresh(t, envOptions{maxAttempts: 3, answer: func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) }})
			iss := e.issueCode(t, "fa", code.IssueOptions{TTL: time.Hour})
			for range 3 {
				e.runOnce(t)
				e.clock.Advance(time.Minute)
			}
			d := e.delivery(t, iss.DeliveryID)
			if d.Status != store.DeliveryFailed || d.Attempts != 3 || d.Sealed != nil || !strings.Contains(d.LastError, "gave up after 3 attempts") {
				t.Fatalf("status %q, %d attempts, %d sealed bytes, last error %q", d.Status, d.Attempts, len(d.Sealed), d.LastError)
			}
			if n := len(e.hook.received()); n != 3 {
				t.Fatalf("the receiver got %d requests, want 3", n)
			}
		})

		t.Run("a job whose secret expired is not sent, and its plaintext is wiped", func(t *testing.T) {
			e := fresh(t, envOptions{})
			iss := e.issueCode(t, "gu", code.IssueOptions{TTL: time.Second})
			e.clock.Advance(time.Second)
			if n := e.runOnce(t); n != 0 {
				t.Fatalf("an expired job was claimed (%d)", n)
			}
			if d := e.delivery(t, iss.DeliveryID); d.Status != store.DeliveryExpired || d.Sealed != nil || d.Attempts != 0 {
				t.Fatalf("status %q, %d sealed bytes, %d attempts", d.Status, len(d.Sealed), d.Attempts)
			}
			if n := len(e.hook.received()); n != 0 {
				t.Fatalf("the receiver got %d requests", n)
			}
		})

		t.Run("a retry that would come after the expiry expires the job instead", func(t *testing.T) {
			e := fresh(t, envOptions{answer: func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) }})
			iss := e.issueCode(t, "ha", code.IssueOptions{TTL: time.Second})
			e.runOnce(t)
			if d := e.delivery(t, iss.DeliveryID); d.Status != store.DeliveryExpired || d.Sealed != nil || !strings.Contains(d.LastError, "500") {
				t.Fatalf("status %q, %d sealed bytes, last error %q", d.Status, len(d.Sealed), d.LastError)
			}
		})

		t.Run("a claimed job is no one else's until its lease ends, and a stale claim cannot finish it", func(t *testing.T) {
			e := fresh(t, envOptions{})
			iss := e.issueCode(t, "io", code.IssueOptions{})
			now := e.clock.Now()
			a := backendtest.Must[[]store.Delivery](t)(e.ob.ClaimDeliveries(ctx, "lease-a", now, now.Add(time.Minute), 10))
			if len(a) != 1 || a[0].ID != iss.DeliveryID || a[0].Attempts != 1 || a[0].Status != store.DeliverySending {
				t.Fatalf("the first claim: %+v", a)
			}
			if b := backendtest.Must[[]store.Delivery](t)(e.ob.ClaimDeliveries(ctx, "lease-b", now.Add(59*time.Second), now.Add(2*time.Minute), 10)); len(b) != 0 {
				t.Fatalf("a leased job was claimed again: %d", len(b))
			}
			b := backendtest.Must[[]store.Delivery](t)(e.ob.ClaimDeliveries(ctx, "lease-b", now.Add(time.Minute), now.Add(2*time.Minute), 10))
			if len(b) != 1 || b[0].Attempts != 2 || b[0].Lease != "lease-b" {
				t.Fatalf("after the lease ended: %+v", b)
			}
			if ok := backendtest.Must[bool](t)(e.ob.FinishDelivery(ctx, iss.DeliveryID, "lease-a", store.DeliveryResult{Status: store.DeliverySent, SentAt: now})); ok {
				t.Fatal("the claim that lost its lease finished the job")
			}
			if ok := backendtest.Must[bool](t)(e.ob.FinishDelivery(ctx, iss.DeliveryID, "lease-b", store.DeliveryResult{Status: store.DeliverySent, SentAt: now})); !ok {
				t.Fatal("the claim that holds the lease could not finish the job")
			}
		})

		t.Run("a token without a link goes to a webhook as the token, which redeems once", func(t *testing.T) {
			e := fresh(t, envOptions{})
			enq := backendtest.Must[store.Enqueue](t)(e.d.Enqueue(deliver.KindLink, "invite", deliver.Request{Channel: deliver.ChannelWebhook, To: "u1", Data: []byte(`{"name":"Ana"}`)}))
			iss := backendtest.Must[token.Issued](t)(e.tokens.Issue(ctx, "invite", "u1", token.IssueOptions{Deliver: enq}))
			if iss.Token != "" || iss.DeliveryID == "" {
				t.Fatalf("a delivered token came back: %d characters, delivery %q", len(iss.Token), iss.DeliveryID)
			}
			e.runOnce(t)
			got := e.hook.received()
			if len(got) != 1 {
				t.Fatalf("%d requests", len(got))
			}
			plain, _ := got[0].data["token"].(string)
			if r := backendtest.Must[token.Result](t)(e.tokens.Redeem(ctx, "invite", plain)); r.Status != token.Valid {
				t.Fatalf("the delivered token redeems %v", r.Status)
			}
			if data, _ := got[0].data["data"].(map[string]any); data["name"] != "Ana" {
				t.Fatalf("the request's data: %v", got[0].data["data"])
			}
		})

		t.Run("no plaintext reaches the database while jobs are queued, nor after they are sent", func(t *testing.T) {
			db := b.NewDB(t)
			links := deliver.Links{}
			if err := links.ParseLink("reset=https://app.example.com/reset?token={{.Token}}"); err != nil {
				t.Fatal(err)
			}
			e := newEnv(t, db.Open(t), backendtest.NewClock(), envOptions{links: links})
			var ids []string
			for _, s := range []string{"a", "b", "c", "d", "e"} {
				ids = append(ids, e.issueCode(t, s, code.IssueOptions{Digits: 10}).DeliveryID)
				enq := backendtest.Must[store.Enqueue](t)(e.d.Enqueue(deliver.KindLink, "reset", deliver.Request{Channel: deliver.ChannelWebhook, To: s}))
				ids = append(ids, backendtest.Must[token.Issued](t)(e.tokens.Issue(ctx, "reset", s, token.IssueOptions{Deliver: enq})).DeliveryID)
			}
			queued := db.Contents(t)
			e.runOnce(t)
			var plain []string
			for _, r := range e.hook.received() {
				for _, k := range []string{"code", "link"} {
					if v, _ := r.data[k].(string); v != "" {
						plain = append(plain, v)
					}
				}
				if v, _ := r.data["link"].(string); v != "" {
					plain = append(plain, strings.TrimPrefix(v, "https://app.example.com/reset?token="))
				}
			}
			if len(plain) != 15 {
				t.Fatalf("the receiver got %d codes, links and tokens, want 15", len(plain))
			}
			backendtest.NoPlaintext(t, queued, "login", plain)
			backendtest.NoPlaintext(t, db.Contents(t), "login", plain)
			for _, id := range ids {
				if d := e.delivery(t, id); d.Status != store.DeliverySent || d.Sealed != nil {
					t.Fatalf("%s: status %q, %d sealed bytes", id, d.Status, len(d.Sealed))
				}
			}
		})
	})
}

func TestAReplacedCodeIsNotSent(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		e := newEnv(t, b.NewDB(t).Open(t), backendtest.NewClock(), envOptions{})
		old := e.issueCode(t, "ana", code.IssueOptions{})
		e.clock.Advance(time.Second)
		fresh := e.issueCode(t, "ana", code.IssueOptions{})
		e.runOnce(t)
		if got := e.hook.received(); len(got) != 1 || got[0].header.Get("webhook-id") != fresh.DeliveryID {
			t.Fatalf("%d requests, want the newer code's only", len(got))
		}
		if d := e.delivery(t, old.DeliveryID); d.Status != store.DeliveryExpired || d.Sealed != nil {
			t.Fatalf("the replaced code's job: %q with %d sealed bytes", d.Status, len(d.Sealed))
		}
	})
}
