package audit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/unguessable/secrets/audit"
	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/store"
)

func TestOnEveryBackend(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		ctx := context.Background()
		clock := backendtest.NewClock()
		l := audit.New(b.NewDB(t).Open(t), clock)
		start := clock.Now()
		for _, r := range []audit.Record{
			{ActorID: "ak_1", ActorName: "ops", Action: audit.KeysCreate, Target: "key_1", Namespace: "billing", RequestID: "r1"},
			{ActorID: "ak_1", ActorName: "ops", Action: audit.KeysRevoke, Target: "key_1", Namespace: "billing", RequestID: "r2"},
			{ActorID: "root", ActorName: "root", Action: audit.AccessCreate, Target: "ak_2", Outcome: "invalid", RequestID: "r3"},
		} {
			if err := l.Append(ctx, r); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Second)
		}
		all := backendtest.Must[[]audit.Record](t)(l.List(ctx, store.AuditFilter{}))
		if len(all) != 3 || all[0].Action != audit.KeysCreate || all[0].Outcome != "ok" || !all[0].At.Equal(start) || all[2].Outcome != "invalid" || all[0].ID >= all[1].ID {
			t.Fatalf("records %+v", all)
		}
		if rs := backendtest.Must[[]audit.Record](t)(l.List(ctx, store.AuditFilter{Target: "key_1", From: start.Add(time.Second)})); len(rs) != 1 || rs[0].RequestID != "r2" {
			t.Fatalf("by target and time: %+v", rs)
		}
		for _, f := range []store.AuditFilter{{Limit: -1}, {Limit: audit.MaxLimit + 1}, {From: start, To: start}} {
			if _, err := l.List(ctx, f); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%+v: %v", f, err)
			}
		}
	})
}
