package storetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/unguessable/secrets/store"
)

func dashboardOf(t *testing.T, st store.Store) store.Dashboard {
	d, ok := st.(store.Dashboard)
	if !ok {
		t.Fatalf("%T is no store.Dashboard", st)
	}
	return d
}

func keyIDs(ks []store.Key) []string {
	var ids []string
	for _, k := range ks {
		ids = append(ids, k.ID)
	}
	return ids
}

func testDashboard(t *testing.T, fresh func(*testing.T) store.Store) {
	ctx := context.Background()
	t.Run("a session reads back, is touched forward only, and is deleted by hash, by key and by time", func(t *testing.T) {
		st := fresh(t)
		d := dashboardOf(t, st)
		s := store.Session{Hash: hash("s1"), AccessKeyID: "ak_1", KeyCheck: hash("check"), CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)}
		noErr(t, d.InsertSession(ctx, s))
		if err := d.InsertSession(ctx, s); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("a duplicate session: %v", err)
		}
		got := must[store.Session](t)(d.SessionByHash(ctx, s.Hash))
		if !bytes.Equal(got.Hash, s.Hash) || got.AccessKeyID != "ak_1" || !bytes.Equal(got.KeyCheck, s.KeyCheck) ||
			!got.CreatedAt.Equal(t0) || !got.LastSeenAt.Equal(t0) || !got.ExpiresAt.Equal(s.ExpiresAt) {
			t.Fatalf("read back %+v, stored %+v", got, s)
		}
		noErr(t, d.TouchSession(ctx, s.Hash, t0.Add(time.Minute)))
		noErr(t, d.TouchSession(ctx, s.Hash, t0.Add(time.Second)))
		if got := must[store.Session](t)(d.SessionByHash(ctx, s.Hash)); !got.LastSeenAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("last seen %v after touches at +1m and +1s", got.LastSeenAt)
		}
		s2 := s
		s2.Hash, s2.AccessKeyID = hash("s2"), "ak_2"
		s3 := s
		s3.Hash, s3.AccessKeyID = hash("s3"), "ak_3"
		noErr(t, d.InsertSession(ctx, s2))
		noErr(t, d.InsertSession(ctx, s3))
		if n := must[int64](t)(d.DeleteSessions(ctx, "ak_2", t0, t0.Add(-time.Hour))); n != 1 {
			t.Fatalf("deleted %d sessions of ak_2, want 1", n)
		}
		if _, err := d.SessionByHash(ctx, s2.Hash); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a deleted session: %v", err)
		}
		// s3 was never touched: idle since t0; s1 was seen at t0+1m.
		if n := must[int64](t)(d.DeleteSessions(ctx, "", t0, t0.Add(30*time.Second))); n != 1 {
			t.Fatalf("deleted %d idle sessions, want 1", n)
		}
		if n := must[int64](t)(d.DeleteSessions(ctx, "", t0.Add(time.Hour), t0)); n != 1 {
			t.Fatalf("deleted %d expired sessions, want 1", n)
		}
		noErr(t, d.InsertSession(ctx, s))
		noErr(t, d.DeleteSession(ctx, s.Hash))
		if _, err := d.SessionByHash(ctx, s.Hash); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a signed-out session: %v", err)
		}
	})
	t.Run("keys are searched by id prefix, name and owner, filtered by namespace and status, and counted", func(t *testing.T) {
		st := fresh(t)
		d := dashboardOf(t, st)
		mk := func(id, ns, owner, name string, edit func(*store.Key)) {
			k := key(id, nil, nil)
			k.Namespace, k.Owner, k.Name = ns, owner, name
			if edit != nil {
				edit(&k)
			}
			noErr(t, st.InsertKey(ctx, k))
		}
		mk("key_a1", "ns", "alice", "Billing Worker", nil)
		mk("key_a2", "ns", "bob", "billing_cron", func(k *store.Key) { k.Enabled = false })
		mk("key_b1", "other", "alice", "web 100%", func(k *store.Key) { k.RevokedAt = t0 })
		mk("key_b2", "other", "carol", "mobile", func(k *store.Key) { k.ExpiresAt = t0.Add(-time.Second) })
		now := t0.Add(time.Minute)
		for _, c := range []struct {
			s    store.KeySearch
			want []string
		}{
			{store.KeySearch{}, []string{"key_a1", "key_a2", "key_b1", "key_b2"}},
			{store.KeySearch{Text: "KEY_A"}, []string{"key_a1", "key_a2"}},
			{store.KeySearch{Text: "billing"}, []string{"key_a1", "key_a2"}},
			{store.KeySearch{Text: "alice"}, []string{"key_a1", "key_b1"}},
			{store.KeySearch{Text: "ali"}, nil},
			{store.KeySearch{Text: "100%"}, []string{"key_b1"}},
			{store.KeySearch{Text: "_"}, []string{"key_a2"}},
			{store.KeySearch{Namespace: "other"}, []string{"key_b1", "key_b2"}},
			{store.KeySearch{Namespaces: []string{"ns"}}, []string{"key_a1", "key_a2"}},
			{store.KeySearch{Namespaces: []string{}}, nil},
			{store.KeySearch{Status: store.KeyActive}, []string{"key_a1"}},
			{store.KeySearch{Status: store.KeyDisabled}, []string{"key_a2"}},
			{store.KeySearch{Status: store.KeyRevoked}, []string{"key_b1"}},
			{store.KeySearch{Status: store.KeyExpired}, []string{"key_b2"}},
			{store.KeySearch{After: "key_a1", Limit: 2}, []string{"key_a2", "key_b1"}},
		} {
			s := c.s
			s.Now = now
			if s.Limit == 0 {
				s.Limit = 100
			}
			got := keyIDs(must[[]store.Key](t)(d.SearchKeys(ctx, s)))
			if !slices.Equal(got, c.want) {
				t.Errorf("search %+v: %v, want %v", c.s, got, c.want)
			}
		}
		if _, err := d.SearchKeys(ctx, store.KeySearch{Status: "gone", Limit: 1}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("an unknown status: %v", err)
		}
		counts := must[map[string]int64](t)(d.CountKeys(ctx, nil, now))
		want := map[string]int64{string(store.KeyActive): 1, string(store.KeyDisabled): 1, string(store.KeyRevoked): 1, string(store.KeyExpired): 1}
		for st, n := range want {
			if counts[st] != n {
				t.Errorf("counts %v, want %v", counts, want)
			}
		}
		if counts := must[map[string]int64](t)(d.CountKeys(ctx, []string{"other"}, now)); counts[string(store.KeyActive)] != 0 || counts[string(store.KeyRevoked)] != 1 {
			t.Errorf("counts of namespace other: %v", counts)
		}
	})
}
