package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/unguessable/secrets/store"
)

func delivery(id, secretID string, expires time.Time) *store.Delivery {
	return &store.Delivery{ID: id, SecretID: secretID, Kind: "code", Channel: "webhook", Recipient: "+15550100", Purpose: "login",
		Template: "default", Locale: "en", Data: []byte(`{"app":"x"}`), Sealed: []byte("sealed:" + id), Status: store.DeliveryQueued,
		MaxAttempts: 3, CreatedAt: t0, NextAt: t0, ExpiresAt: expires}
}

func outboxOf(t *testing.T, st store.Store) store.Outbox {
	ob, ok := st.(store.Outbox)
	if !ok {
		t.Fatalf("%T is no store.Outbox", st)
	}
	return ob
}

func testOutbox(t *testing.T, fresh func(*testing.T) store.Store) {
	ctx := context.Background()
	t.Run("a delivery is stored with its code or token and reads back field for field", func(t *testing.T) {
		st := fresh(t)
		ob := outboxOf(t, st)
		c := code("c1", "a", "m", t0)
		c.Delivery = delivery("dlv_c", "c1", c.ExpiresAt)
		must[time.Time](t)(st.InsertCode(ctx, c, time.Minute, 5))
		tok := token("t1", "reset", "u", t0.Add(time.Hour))
		tok.Delivery = delivery("dlv_t", "t1", tok.ExpiresAt)
		tok.Delivery.Kind = "link"
		noErr(t, st.InsertToken(ctx, tok, true))
		for _, want := range []*store.Delivery{c.Delivery, tok.Delivery} {
			got := must[store.Delivery](t)(ob.DeliveryByID(ctx, want.ID))
			if got.SecretID != want.SecretID || got.Kind != want.Kind || got.Channel != want.Channel || got.Recipient != want.Recipient ||
				got.Purpose != want.Purpose || got.Template != want.Template || got.Locale != want.Locale || string(got.Data) != string(want.Data) ||
				!bytes.Equal(got.Sealed, want.Sealed) || got.Status != store.DeliveryQueued || got.Attempts != 0 || got.MaxAttempts != 3 ||
				!got.CreatedAt.Equal(t0) || !got.NextAt.Equal(t0) || !got.ExpiresAt.Equal(want.ExpiresAt) || !got.SentAt.IsZero() || got.Lease != "" {
				t.Fatalf("read back %+v, stored %+v", got, *want)
			}
		}
		if _, err := ob.DeliveryByID(ctx, "dlv_none"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("an unknown delivery: %v", err)
		}
	})
	t.Run("a secret that is not stored stores no delivery", func(t *testing.T) {
		st := fresh(t)
		ob := outboxOf(t, st)
		noErr(t, st.InsertToken(ctx, token("t1", "reset", "u", t0.Add(time.Hour)), false))
		dup := token("t1", "reset", "v", t0.Add(time.Hour))
		dup.Delivery = delivery("dlv_dup", "t1", dup.ExpiresAt)
		if err := st.InsertToken(ctx, dup, false); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("a duplicate token: %v", err)
		}
		if _, err := ob.DeliveryByID(ctx, "dlv_dup"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the refused token's delivery: %v", err)
		}
	})
	t.Run("claims take due jobs up to the limit and pass over expired ones, which EndDeliveries ends; a lease keeps a job its claimant's", func(t *testing.T) {
		st := fresh(t)
		ob := outboxOf(t, st)
		for i, id := range []string{"a", "b", "c", "old"} {
			tok := token(id, "reset", id, t0.Add(time.Hour))
			tok.Delivery = delivery("dlv_"+id, id, tok.ExpiresAt)
			tok.Delivery.NextAt = t0.Add(time.Duration(i) * time.Second)
			if id == "old" {
				tok.Delivery.ExpiresAt = t0.Add(time.Second)
			}
			noErr(t, st.InsertToken(ctx, tok, false))
		}
		now := t0.Add(2 * time.Second)
		got := must[[]store.Delivery](t)(ob.ClaimDeliveries(ctx, "L1", now, now.Add(time.Minute), 2))
		if len(got) != 2 || got[0].ID != "dlv_a" || got[1].ID != "dlv_b" || got[0].Lease != "L1" || got[0].Attempts != 1 || got[0].Status != store.DeliverySending {
			t.Fatalf("the first claim: %+v", got)
		}
		got = must[[]store.Delivery](t)(ob.ClaimDeliveries(ctx, "L2", now, now.Add(time.Minute), 10))
		if len(got) != 1 || got[0].ID != "dlv_c" {
			t.Fatalf("the second claim: %+v", got)
		}
		if d := must[store.Delivery](t)(ob.DeliveryByID(ctx, "dlv_old")); d.Status != store.DeliveryQueued || d.Sealed == nil {
			t.Fatalf("the expired job before EndDeliveries: %q with %d sealed bytes", d.Status, len(d.Sealed))
		}
		if ended := must[[]store.EndedDelivery](t)(ob.EndDeliveries(ctx, now)); len(ended) != 1 || ended[0].Status != store.DeliveryExpired || ended[0].Channel == "" {
			t.Fatalf("EndDeliveries reported %+v, want the one expired job", ended)
		}
		if d := must[store.Delivery](t)(ob.DeliveryByID(ctx, "dlv_old")); d.Status != store.DeliveryExpired || d.Sealed != nil {
			t.Fatalf("the expired job: %q with %d sealed bytes", d.Status, len(d.Sealed))
		}
		for _, id := range []string{"dlv_a", "dlv_b", "dlv_c"} {
			if d := must[store.Delivery](t)(ob.DeliveryByID(ctx, id)); d.Status != store.DeliverySending {
				t.Fatalf("EndDeliveries changed the leased job %s to %q", id, d.Status)
			}
		}
		if !must[bool](t)(ob.FinishDelivery(ctx, "dlv_a", "L1", store.DeliveryResult{Status: store.DeliveryQueued, NextAt: now.Add(time.Hour), LastError: "503"})) {
			t.Fatal("the claimant could not requeue its job")
		}
		if d := must[store.Delivery](t)(ob.DeliveryByID(ctx, "dlv_a")); d.Status != store.DeliveryQueued || d.Sealed == nil || d.LastError != "503" || !d.NextAt.Equal(now.Add(time.Hour)) || d.Lease != "" {
			t.Fatalf("the requeued job: %+v", d)
		}
		if must[bool](t)(ob.FinishDelivery(ctx, "dlv_b", "L2", store.DeliveryResult{Status: store.DeliverySent, SentAt: now})) {
			t.Fatal("another lease finished the job")
		}
		if !must[bool](t)(ob.FinishDelivery(ctx, "dlv_b", "L1", store.DeliveryResult{Status: store.DeliverySent, SentAt: now})) {
			t.Fatal("the claimant could not finish its job")
		}
		if d := must[store.Delivery](t)(ob.DeliveryByID(ctx, "dlv_b")); d.Status != store.DeliverySent || d.Sealed != nil || !d.SentAt.Equal(now) {
			t.Fatalf("the sent job: %+v", d)
		}
		// dlv_c's claimant dies: after its lease, the job is claimed again;
		// after its last attempt, it fails.
		later := now.Add(time.Minute)
		for attempt := 2; attempt <= 3; attempt++ {
			got = must[[]store.Delivery](t)(ob.ClaimDeliveries(ctx, "L3", later, later.Add(time.Minute), 10))
			if len(got) != 1 || got[0].ID != "dlv_c" || got[0].Attempts != attempt {
				t.Fatalf("claim after lease %d: %+v", attempt, got)
			}
			later = later.Add(time.Minute)
		}
		if got = must[[]store.Delivery](t)(ob.ClaimDeliveries(ctx, "L4", later, later.Add(time.Minute), 10)); len(got) != 0 {
			t.Fatalf("a job past its attempts was claimed: %+v", got)
		}
		if ended := must[[]store.EndedDelivery](t)(ob.EndDeliveries(ctx, later)); len(ended) != 1 || ended[0].Status != store.DeliveryFailed {
			t.Fatalf("EndDeliveries reported %+v, want the one failed job", ended)
		}
		if d := must[store.Delivery](t)(ob.DeliveryByID(ctx, "dlv_c")); d.Status != store.DeliveryFailed || d.Sealed != nil {
			t.Fatalf("the job whose claimants died: %q with %d sealed bytes", d.Status, len(d.Sealed))
		}
	})
	t.Run("a replaced code's job and a used token's job are not sent", func(t *testing.T) { testOutboxStale(t, fresh) })
	t.Run("FinishDeliveries records, in one call, the jobs its lease holds", func(t *testing.T) {
		st := fresh(t)
		ob := outboxOf(t, st)
		for _, id := range []string{"a", "b", "c"} {
			tok := token(id, "reset", id, t0.Add(time.Hour))
			tok.Delivery = delivery("dlv_"+id, id, tok.ExpiresAt)
			noErr(t, st.InsertToken(ctx, tok, false))
		}
		now := t0.Add(time.Second)
		if got := must[[]store.Delivery](t)(ob.ClaimDeliveries(ctx, "L1", now, now.Add(time.Minute), 2)); len(got) != 2 {
			t.Fatalf("claimed %d, want 2", len(got))
		}
		if got := must[[]store.Delivery](t)(ob.ClaimDeliveries(ctx, "L2", now, now.Add(time.Minute), 2)); len(got) != 1 || got[0].ID != "dlv_c" {
			t.Fatalf("the second claim: %+v", got)
		}
		done := must[[]string](t)(ob.FinishDeliveries(ctx, "L1", map[string]store.DeliveryResult{
			"dlv_a": {Status: store.DeliverySent, SentAt: now},
			"dlv_b": {Status: store.DeliveryQueued, NextAt: now.Add(time.Hour), LastError: "503"},
			"dlv_c": {Status: store.DeliverySent, SentAt: now}, // L2's
			"dlv_x": {Status: store.DeliverySent, SentAt: now}, // no such job
		}))
		if slices.Sort(done); !slices.Equal(done, []string{"dlv_a", "dlv_b"}) {
			t.Fatalf("recorded %q, want dlv_a and dlv_b", done)
		}
		if d := must[store.Delivery](t)(ob.DeliveryByID(ctx, "dlv_a")); d.Status != store.DeliverySent || d.Sealed != nil || !d.SentAt.Equal(now) || d.Lease != "" {
			t.Fatalf("the sent job: %+v", d)
		}
		if d := must[store.Delivery](t)(ob.DeliveryByID(ctx, "dlv_b")); d.Status != store.DeliveryQueued || d.Sealed == nil || d.LastError != "503" || !d.NextAt.Equal(now.Add(time.Hour)) {
			t.Fatalf("the requeued job: %+v", d)
		}
		if d := must[store.Delivery](t)(ob.DeliveryByID(ctx, "dlv_c")); d.Status != store.DeliverySending || d.Lease != "L2" {
			t.Fatalf("another lease's job: %+v", d)
		}
	})
	t.Run("the sweep deletes deliveries with their secrets' records", func(t *testing.T) {
		st := fresh(t)
		ob := outboxOf(t, st)
		tok := token("t1", "reset", "u", t0.Add(time.Hour))
		tok.Delivery = delivery("dlv_t", "t1", tok.ExpiresAt)
		noErr(t, st.InsertToken(ctx, tok, false))
		must[int64](t)(st.Sweep(ctx, store.Cutoffs{Records: t0.Add(time.Hour)}, 10))
		must[store.Delivery](t)(ob.DeliveryByID(ctx, "dlv_t"))
		must[int64](t)(st.Sweep(ctx, store.Cutoffs{Records: t0.Add(time.Hour + time.Millisecond)}, 10))
		if _, err := ob.DeliveryByID(ctx, "dlv_t"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("after the sweep: %v", err)
		}
	})
}

func testOutboxStale(t *testing.T, fresh func(*testing.T) store.Store) {
	ctx := context.Background()
	st := fresh(t)
	ob := outboxOf(t, st)
	first := code("c1", "a", "m1", t0)
	first.Delivery = delivery("dlv_c1", "c1", first.ExpiresAt)
	must[time.Time](t)(st.InsertCode(ctx, first, time.Minute, 5))
	second := code("c2", "a", "m2", t0.Add(time.Millisecond))
	second.Delivery = delivery("dlv_c2", "c2", second.ExpiresAt)
	must[time.Time](t)(st.InsertCode(ctx, second, time.Minute, 5))
	used := token("t1", "reset", "u", t0.Add(time.Hour))
	used.Delivery = delivery("dlv_t1", "t1", used.ExpiresAt)
	used.Delivery.Kind = "link"
	noErr(t, st.InsertToken(ctx, used, false))
	redeem(t, st, "reset", used.Hash, t0)
	got := must[[]store.Delivery](t)(ob.ClaimDeliveries(ctx, "L", t0.Add(time.Second), t0.Add(time.Minute), 10))
	if len(got) != 1 || got[0].ID != "dlv_c2" {
		t.Fatalf("claimed %+v, want the newer code's job only", got)
	}
	noErr(t, endDeliveries(ctx, ob, t0.Add(time.Second)))
	for _, id := range []string{"dlv_c1", "dlv_t1"} {
		if d := must[store.Delivery](t)(ob.DeliveryByID(ctx, id)); d.Status != store.DeliveryExpired || d.Sealed != nil || d.LastError == "" {
			t.Errorf("%s: %q with %d sealed bytes, last error %q", id, d.Status, len(d.Sealed), d.LastError)
		}
	}
}

// endDeliveries runs EndDeliveries and checks that what it reports ended
// is in the state it reports.
func endDeliveries(ctx context.Context, ob store.Outbox, now time.Time) error {
	ended, err := ob.EndDeliveries(ctx, now)
	for _, e := range ended {
		if e.Channel == "" || (e.Status != store.DeliveryExpired && e.Status != store.DeliveryFailed) {
			return fmt.Errorf("EndDeliveries reported %+v", e)
		}
	}
	return err
}
