package client_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/unguessable/secrets/client"
	"github.com/unguessable/secrets/internal/backendtest"
)

func TestRefillsAndNamedRateLimits(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		svc := startService(t, b, nil, nil)
		c := newClient(t, svc.url, adminKey, nil)
		ctx := context.Background()

		o, err := c.SetOwnerRateLimits(ctx, "shop", "acme", []client.NamedRateLimit{{Name: "shared", Limit: 2, Window: 60}})
		if err != nil || o.Namespace != "shop" || len(o.RateLimits) != 1 || o.RateLimits[0].Remaining != 2 || o.RateLimits[0].Window != 60 {
			t.Fatalf("SetOwnerRateLimits: %+v, %v", o, err)
		}
		k, err := c.CreateKey(ctx, client.CreateKeyRequest{Prefix: "sk_test_", Namespace: "shop", Owner: "acme",
			Refill:     &client.Refill{Interval: "monthly", Amount: 10, Day: 15},
			RateLimits: []client.NamedRateLimit{{Name: "requests", Limit: 5, Window: 60}}})
		if err != nil || k.Refill == nil || *k.Refill != (client.Refill{Interval: "monthly", Amount: 10, Day: 15}) || len(k.RateLimits) != 1 || *k.Remaining != 10 {
			t.Fatalf("CreateKey: %+v, %v", k, err)
		}
		v, err := c.VerifyKey(ctx, client.VerifyKeyRequest{Key: k.Key, Namespace: "shop"})
		if err != nil || !v.Valid || len(v.RateLimits) != 2 || v.Refill == nil || v.Refill.Remaining != 9 || v.Refill.NextRefillAt.Day() != 15 {
			t.Fatalf("VerifyKey: %+v, %v", v, err)
		}
		for _, l := range v.RateLimits {
			if (l.Scope == "key") != (l.Name == "requests") || (l.Name == "shared" && l.Remaining != 1) || (l.Name == "requests" && l.Remaining != 4) {
				t.Fatalf("limit %+v", l)
			}
		}
		v, err = c.VerifyKey(ctx, client.VerifyKeyRequest{Key: k.Key, Namespace: "shop", RateLimits: []client.LimitCost{{Name: "shared", Cost: ptr(int64(2))}}})
		if err != nil || v.Valid || v.Status != "RATE_LIMITED" {
			t.Fatalf("VerifyKey over the owner's limit: %+v, %v", v, err)
		}
		_, err = c.VerifyKey(ctx, client.VerifyKeyRequest{Key: k.Key, Namespace: "shop", RateLimits: []client.LimitCost{{Name: "nope"}}})
		wantAPIError(t, err, http.StatusBadRequest, client.CodeInvalidRequest, "ratelimits[0].name")

		got, err := c.OwnerRateLimits(ctx, "shop", "acme")
		if err != nil || len(got.RateLimits) != 1 || got.RateLimits[0].Remaining != 1 {
			t.Fatalf("OwnerRateLimits: %+v, %v", got, err)
		}
		u, err := c.UpdateKey(ctx, k.ID, client.UpdateKeyRequest{Refill: client.Null, RateLimits: client.RateLimitsJSON(nil)})
		if err != nil || u.Refill != nil || len(u.RateLimits) != 0 {
			t.Fatalf("UpdateKey: %+v, %v", u, err)
		}
		u, err = c.UpdateKey(ctx, k.ID, client.UpdateKeyRequest{Refill: client.RefillJSON(client.Refill{Interval: "daily", Amount: 3})})
		if err != nil || u.Refill == nil || u.Refill.Interval != "daily" {
			t.Fatalf("UpdateKey: %+v, %v", u, err)
		}
		_, err = c.SetOwnerRateLimits(ctx, "shop", "acme", []client.NamedRateLimit{{Name: "x", Limit: 0, Window: 1}})
		wantAPIError(t, err, http.StatusBadRequest, client.CodeInvalidRequest, "ratelimits[0].limit")
		if _, err := c.OwnerRateLimits(ctx, "", ""); err == nil {
			t.Fatal("OwnerRateLimits without an owner: no error")
		}
	})
}
