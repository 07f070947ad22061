package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/unguessable/secrets/client"
	"github.com/unguessable/secrets/internal/backendtest"
)

func TestKeysLimitFlags(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		srv := "--server=" + startKeysService(t, b)
		out := mustRun(t, "keys", "owner-ratelimits", "set", "acme", srv, "--namespace", "shop", "--named-ratelimit", "shared=2/1m")
		if !strings.Contains(out, "shared") || !strings.Contains(out, "2/60s") {
			t.Errorf("owner-ratelimits set:\n%s", out)
		}
		r := run(t, "", "keys", "create", srv, "--prefix", "sk_live_", "--namespace", "shop", "--owner", "acme",
			"--refill", "monthly:100:31", "--named-ratelimit", "requests=5/1m", "--named-ratelimit", "tokens=1000/24h", "--json")
		var k client.Key
		if err := json.Unmarshal([]byte(r.out), &k); r.code != 0 || err != nil || k.Refill == nil || k.Refill.Day != 31 || len(k.RateLimits) != 2 {
			t.Fatalf("keys create: exit %d, %+v, %v, stderr %q", r.code, k, err, r.err)
		}
		r = run(t, k.Key+"\n", "keys", "verify", srv, "--namespace", "shop", "--spend", "tokens=250", "--spend", "shared")
		if r.code != 0 || !strings.Contains(r.out, "tokens") || !strings.Contains(r.out, "750 of 1000") || !strings.Contains(r.out, "1 of 2") || !strings.Contains(r.out, "refill") {
			t.Fatalf("keys verify --spend: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
		}
		r = run(t, k.Key+"\n", "keys", "verify", srv, "--namespace", "shop", "--spend", "nope")
		if r.code != exitUsage || !strings.Contains(r.err, "ratelimits[0].name") {
			t.Fatalf("keys verify --spend nope: exit %d, stderr %q", r.code, r.err)
		}
		out = mustRun(t, "keys", "update", k.ID, srv, "--refill", "none", "--no-named-ratelimits", "--json")
		var u client.Key
		if err := json.Unmarshal([]byte(out), &u); err != nil || u.Refill != nil || len(u.RateLimits) != 0 {
			t.Fatalf("keys update: %+v, %v", u, err)
		}
		if out := mustRun(t, "keys", "owner-ratelimits", "get", "acme", srv, "--namespace", "shop", "--json"); !strings.Contains(out, `"remaining": 1`) {
			t.Errorf("owner-ratelimits get:\n%s", out)
		}
		for _, args := range [][]string{
			{"keys", "create", srv, "--prefix", "sk_live_", "--refill", "weekly:5"},
			{"keys", "create", srv, "--prefix", "sk_live_", "--refill", "daily:5:3"},
			{"keys", "create", srv, "--prefix", "sk_live_", "--named-ratelimit", "requests"},
			{"keys", "update", k.ID, srv, "--named-ratelimit", "a=1/1s", "--no-named-ratelimits"},
			{"keys", "owner-ratelimits", "set", "acme", srv},
		} {
			if r := run(t, "", args...); r.code != 2 || r.err == "" {
				t.Errorf("%v: exit %d, stderr %q, want 2", args, r.code, r.err)
			}
		}
	})
}
