package client_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/unguessable/secrets/client"
	"github.com/unguessable/secrets/internal/backendtest"
)

func TestAnalytics(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		svc := startService(t, b, nil, nil)
		c := newClient(t, svc.url, adminKey, nil)
		ctx := context.Background()
		now := svc.clock.Now()

		k, err := c.CreateKey(ctx, client.CreateKeyRequest{Prefix: "sk_test_", Owner: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		if !k.LastUsedAt.IsZero() {
			t.Fatalf("a new key's LastUsedAt is %v", k.LastUsedAt)
		}
		for range 3 {
			if _, err := c.VerifyKey(ctx, client.VerifyKeyRequest{Key: k.Key, Tags: []string{"plan=pro"}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.VerifyKey(ctx, client.VerifyKeyRequest{Key: k.Key, Tags: []string{"plan"}}); err == nil {
			t.Fatal("a tag without = was accepted")
		} else {
			wantAPIError(t, err, http.StatusBadRequest, "invalid_request", "tags")
		}
		code, err := c.IssueCode(ctx, client.IssueCodeRequest{Purpose: "login", Subject: "u"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.VerifyCode(ctx, client.VerifyCodeRequest{Purpose: "login", Subject: "u", Code: code.Code}); err != nil {
			t.Fatal(err)
		}
		tok, err := c.IssueToken(ctx, client.IssueTokenRequest{Purpose: "reset", Subject: "u"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.RedeemToken(ctx, client.CheckTokenRequest{Purpose: "reset", Token: tok.Token}); err != nil {
			t.Fatal(err)
		}
		if err := svc.srv.FlushAnalytics(ctx); err != nil {
			t.Fatal(err)
		}

		q := client.AnalyticsQuery{From: now.Add(-time.Hour), To: now.Add(time.Hour)}
		byKey := q
		byKey.GroupBy, byKey.Granularity = "key", "minute"
		tagged := q
		tagged.Tag = "plan=pro"
		for _, c := range []struct {
			name string
			call func() (client.Analytics, error)
			want string
		}{
			{"verifications", func() (client.Analytics, error) { return c.VerificationAnalytics(ctx, q) }, "map[VALID:3]"},
			{"verifications by key", func() (client.Analytics, error) { return c.VerificationAnalytics(ctx, byKey) }, fmt.Sprintf("map[%s:3]", k.ID)},
			{"verifications with a tag", func() (client.Analytics, error) { return c.VerificationAnalytics(ctx, tagged) }, "map[VALID:3]"},
			{"codes", func() (client.Analytics, error) { return c.CodeAnalytics(ctx, q) }, "map[APPROVED:1]"},
			{"tokens", func() (client.Analytics, error) { return c.TokenAnalytics(ctx, q) }, "map[VALID:1]"},
			{"deliveries", func() (client.Analytics, error) { return c.DeliveryAnalytics(ctx, q) }, "map[]"},
		} {
			a, err := c.call()
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if got := fmt.Sprint(a.Totals()); got != c.want || len(a.Buckets) == 0 || !a.From.Equal(a.Buckets[0].Start) {
				t.Errorf("%s: totals %s over %d buckets from %v, want %s", c.name, got, len(a.Buckets), a.From, c.want)
			}
		}
		if _, err := c.VerificationAnalytics(ctx, client.AnalyticsQuery{Granularity: "week"}); err == nil {
			t.Error("granularity week was accepted")
		} else {
			wantAPIError(t, err, http.StatusBadRequest, "invalid_request", "granularity")
		}
		got, err := c.GetKey(ctx, k.ID)
		if err != nil || !got.LastUsedAt.Equal(now) {
			t.Errorf("GetKey: LastUsedAt %v (%v), want %v", got.LastUsedAt, err, now)
		}
	})
}
