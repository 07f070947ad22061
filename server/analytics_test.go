package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/unguessable/secrets/access"
	"github.com/unguessable/secrets/server"
)

// flush writes s's counts now, as Serve does every second.
func (s *instance) flush(t testing.TB) {
	t.Helper()
	if err := s.srv.FlushAnalytics(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// totals sums the counts of every bucket of an analytics answer.
func totals(t testing.TB, r response) map[string]float64 {
	t.Helper()
	want(t, r, http.StatusOK)
	out := map[string]float64{}
	buckets, _ := r.get("buckets").([]any)
	for _, b := range buckets {
		for k, v := range b.(map[string]any)["counts"].(map[string]any) {
			out[k] += v.(float64)
		}
	}
	return out
}

func equalCounts(a map[string]float64, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestAnalyticsCountWhatTheServiceDecided(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := start(t, b.open(t))
		now := s.clock.Now()
		k := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_t_", "owner": "acme", "ratelimit": map[string]any{"limit": 3, "window": 60}})
		want(t, k, http.StatusCreated)
		if k.get("last_used_at") != nil {
			t.Fatalf("a new key has last_used_at %v", k.get("last_used_at"))
		}
		for range 5 { // 3 VALID, then 2 RATE_LIMITED
			want(t, s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": k.str("key"), "tags": []string{"plan=pro", "region=eu"}}), http.StatusOK)
		}
		want(t, s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": "sk_t_notakey"}), http.StatusOK) // MALFORMED
		c := s.do(t, "POST", "/v1/codes", map[string]any{"purpose": "login", "subject": "u1"})
		want(t, c, http.StatusCreated)
		wrong := "000000"
		if c.str("code") == wrong {
			wrong = "111111"
		}
		want(t, s.do(t, "POST", "/v1/codes/verify", map[string]any{"purpose": "login", "subject": "u1", "code": wrong}), http.StatusOK)
		want(t, s.do(t, "POST", "/v1/codes/verify", map[string]any{"purpose": "login", "subject": "u1", "code": c.str("code")}), http.StatusOK)
		tk := s.do(t, "POST", "/v1/tokens", map[string]any{"purpose": "reset", "subject": "u1"})
		want(t, tk, http.StatusCreated)
		for range 2 { // REDEEMED, then USED
			want(t, s.do(t, "POST", "/v1/tokens/redeem", map[string]any{"purpose": "reset", "token": tk.str("token")}), http.StatusOK)
		}
		// A verification that is not a redemption is not counted.
		want(t, s.do(t, "POST", "/v1/tokens/verify", map[string]any{"purpose": "reset", "token": tk.str("token")}), http.StatusOK)

		// Nothing is in the store before a flush.
		rng := "from=" + url.QueryEscape(now.Add(-time.Hour).Format(time.RFC3339)) + "&to=" + url.QueryEscape(now.Add(time.Hour).Format(time.RFC3339))
		if got := totals(t, s.do(t, "GET", "/v1/analytics/verifications?"+rng, nil)); len(got) != 0 {
			t.Fatalf("counts before a flush: %v", got)
		}
		s.flush(t)

		for _, c := range []struct {
			path string
			want map[string]float64
		}{
			{"/v1/analytics/verifications?" + rng, map[string]float64{"VALID": 3, "RATE_LIMITED": 2, "MALFORMED": 1}},
			{"/v1/analytics/verifications?granularity=minute&" + rng, map[string]float64{"VALID": 3, "RATE_LIMITED": 2, "MALFORMED": 1}},
			{"/v1/analytics/verifications?granularity=day&group_by=key&" + rng, map[string]float64{k.str("id"): 5, "": 1}},
			{"/v1/analytics/verifications?group_by=owner&namespace=default&" + rng, map[string]float64{"acme": 5, "": 1}},
			{"/v1/analytics/verifications?group_by=tag&" + rng, map[string]float64{"plan=pro": 5, "region=eu": 5}},
			{"/v1/analytics/verifications?tag=plan%3Dpro&key_id=" + k.str("id") + "&" + rng, map[string]float64{"VALID": 3, "RATE_LIMITED": 2}},
			{"/v1/analytics/verifications?owner=nobody&" + rng, map[string]float64{}},
			{"/v1/analytics/codes?" + rng, map[string]float64{"INVALID": 1, "APPROVED": 1}},
			{"/v1/analytics/codes?group_by=purpose&purpose=login&" + rng, map[string]float64{"login": 2}},
			{"/v1/analytics/tokens?" + rng, map[string]float64{"VALID": 1, "USED": 1}},
			{"/v1/analytics/tokens?group_by=purpose&" + rng, map[string]float64{"reset": 2}},
			{"/v1/analytics/deliveries?group_by=channel&" + rng, map[string]float64{}},
			{"/v1/analytics/deliveries?channel=email&" + rng, map[string]float64{}},
		} {
			if got := totals(t, s.do(t, "GET", c.path, nil)); !equalCounts(got, c.want) {
				t.Errorf("GET %s: %v, want %v", c.path, got, c.want)
			}
		}

		// The answer's shape: the buckets of the range, defaults stated.
		r := s.do(t, "GET", "/v1/analytics/verifications?"+rng, nil)
		if r.str("granularity") != "hour" || r.str("group_by") != "outcome" || len(r.get("buckets").([]any)) != 3 ||
			r.str("from") != now.Add(-time.Hour).Truncate(time.Hour).Format("2006-01-02T15:04:05.000Z") {
			t.Errorf("answer %s", r.raw)
		}
		r = s.do(t, "GET", "/v1/analytics/codes", nil) // default: the last day in hours
		if len(r.get("buckets").([]any)) != 25 && len(r.get("buckets").([]any)) != 24 {
			t.Errorf("default range: %d buckets, want a day of hours", len(r.get("buckets").([]any)))
		}

		// last_used_at: the time of the last verification, up to the flush.
		g := s.do(t, "GET", "/v1/keys/"+k.str("id"), nil)
		want(t, g, http.StatusOK)
		if g.str("last_used_at") != now.Format("2006-01-02T15:04:05.000Z") {
			t.Errorf("last_used_at %v, want %v", g.get("last_used_at"), now)
		}
		s.clock.Advance(time.Minute)
		want(t, s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": k.str("key")}), http.StatusOK)
		s.flush(t)
		l := s.do(t, "GET", "/v1/keys?owner=acme", nil)
		want(t, l, http.StatusOK)
		if got := l.get("keys").([]any)[0].(map[string]any)["last_used_at"]; got != now.Add(time.Minute).Format("2006-01-02T15:04:05.000Z") {
			t.Errorf("listed last_used_at %v, want %v", got, now.Add(time.Minute))
		}
	})
}

func TestAnalyticsRefuseBadQueries(t *testing.T) {
	s := start(t, newSQLite(t).open(t))
	for _, c := range []struct {
		path, code, field string
	}{
		{"/v1/analytics/verifications?granularity=week", "invalid_request", "granularity"},
		{"/v1/analytics/verifications?group_by=purpose", "invalid_request", "group_by"},
		{"/v1/analytics/codes?group_by=key", "invalid_request", "group_by"},
		{"/v1/analytics/deliveries?group_by=purpose", "invalid_request", "group_by"},
		{"/v1/analytics/verifications?from=yesterday", "invalid_request", "from"},
		{"/v1/analytics/verifications?to=2030-13-01T00:00:00Z", "invalid_request", "to"},
		{"/v1/analytics/verifications?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z", "invalid_request", "from"},
		{"/v1/analytics/verifications?granularity=minute&from=2030-01-01T00:00:00Z&to=2030-01-04T00:00:00Z", "invalid_request", "from"},
		{"/v1/analytics/verifications?granularity=day&from=2020-01-01T00:00:00Z&to=2030-01-04T00:00:00Z", "invalid_request", "from"},
		{"/v1/analytics/verifications?tag=novalue", "invalid_request", "tag"},
		{"/v1/analytics/codes?key_id=k", "invalid_request", "key_id"},
		{"/v1/analytics/tokens?channel=email", "invalid_request", "channel"},
	} {
		t.Run(c.path, func(t *testing.T) {
			want(t, s.do(t, "GET", c.path, nil), http.StatusBadRequest, c.code, c.field)
		})
	}
	for _, tags := range []any{[]string{"novalue"}, []string{"a=1", "a=1"}, []string{"1=", "2=", "3=", "4=", "5=", "6=", "7=", "8=", "9=", "10=", "11="}, "plan=pro"} {
		r := s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": "sk_x", "tags": tags})
		if r.status != http.StatusBadRequest || r.str("error.field") != "tags" {
			t.Errorf("verify with tags %v: %d %s, want 400 naming tags", tags, r.status, r.raw)
		}
	}
}

func TestAnalyticsScopesAndNamespaces(t *testing.T) {
	s := start(t, newSQLite(t).open(t))
	s.flush(t)
	none := s.as(s.accessKey(t, without(access.AllScopes, access.AnalyticsRead), []string{"*"}))
	want(t, none.do(t, "GET", "/v1/analytics/codes", nil), http.StatusForbidden, "forbidden")
	only := s.as(s.accessKey(t, []string{access.AnalyticsRead}, []string{"*"}))
	for _, kind := range []string{"verifications", "codes", "tokens", "deliveries"} {
		want(t, only.do(t, "GET", "/v1/analytics/"+kind, nil), http.StatusOK)
	}
	ns := s.as(s.accessKey(t, []string{access.AnalyticsRead}, []string{"team-a"}))
	want(t, ns.do(t, "GET", "/v1/analytics/verifications", nil), http.StatusForbidden, "forbidden", "namespace")
	want(t, ns.do(t, "GET", "/v1/analytics/verifications?namespace=team-b", nil), http.StatusForbidden, "forbidden", "namespace")
	want(t, ns.do(t, "GET", "/v1/analytics/verifications?namespace=team-a", nil), http.StatusOK)
}

// An access key limited to the default namespace that sends an empty
// namespace= reads the default namespace's counts, not every namespace's.
func TestAnalyticsEmptyNamespaceIsTheDefault(t *testing.T) {
	s := start(t, newSQLite(t).open(t))
	for _, ns := range []string{"default", "team-b"} {
		k := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_t_", "namespace": ns, "owner": "owner-" + ns})
		want(t, k, http.StatusCreated)
		for range 2 {
			want(t, s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": k.str("key"), "namespace": ns, "tags": []string{"ns=" + ns}}), http.StatusOK)
		}
	}
	s.flush(t)
	limited := s.as(s.accessKey(t, []string{access.AnalyticsRead}, []string{"default"}))
	for _, c := range []struct{ query, want string }{
		{"namespace=", "VALID"}, {"namespace=&group_by=owner", "owner-default"}, {"namespace=&group_by=tag", "ns=default"},
	} {
		got := totals(t, limited.do(t, "GET", "/v1/analytics/verifications?"+c.query, nil))
		if !equalCounts(got, map[string]float64{c.want: 2}) {
			t.Errorf("?%s as a key of the default namespace: %v, want only {%s: 2}", c.query, got, c.want)
		}
	}
	// The root key still reads every namespace with no namespace filter.
	if got := totals(t, s.do(t, "GET", "/v1/analytics/verifications?group_by=owner", nil)); !equalCounts(got, map[string]float64{"owner-default": 2, "owner-team-b": 2}) {
		t.Errorf("every namespace as root: %v", got)
	}
}

func TestAnalyticsOff(t *testing.T) {
	s := start(t, newSQLite(t).open(t), func(o *server.Options) { o.NoAnalytics = true })
	k := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_t_"})
	want(t, s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": k.str("key"), "tags": []string{"a=b"}}), http.StatusOK)
	s.flush(t)
	want(t, s.do(t, "GET", "/v1/analytics/verifications", nil), http.StatusNotFound, "not_found")
	if g := s.do(t, "GET", "/v1/keys/"+k.str("id"), nil); g.get("last_used_at") != nil {
		t.Errorf("last_used_at %v with analytics off", g.get("last_used_at"))
	}
}

// deliveriesCounted checks the delivery counts of in by channel and by
// outcome. A delivery's status is stored before its outcome is counted, so
// it flushes until they appear (a bound, not a measurement).
func deliveriesCounted(t *testing.T, in *instance, byChannel, byOutcome map[string]float64) {
	t.Helper()
	rng := "from=" + url.QueryEscape(in.clock.Now().Add(-time.Hour).Format(time.RFC3339)) + "&to=" + url.QueryEscape(in.clock.Now().Add(time.Hour).Format(time.RFC3339))
	var ch, out map[string]float64
	for range 500 {
		in.flush(t)
		ch = totals(t, in.do(t, "GET", "/v1/analytics/deliveries?group_by=channel&"+rng, nil))
		out = totals(t, in.do(t, "GET", "/v1/analytics/deliveries?"+rng, nil))
		if equalCounts(ch, byChannel) && equalCounts(out, byOutcome) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("deliveries by channel %v, want %v; by outcome %v, want %v", ch, byChannel, out, byOutcome)
}

// TestMetricsHoldNoKeyIDs verifies keys of several owners, with tags, and
// scrapes /metrics: no label value names a key id, an owner or a tag, as
// the analytics do.
func TestMetricsHoldNoKeyIDs(t *testing.T) {
	s := start(t, newSQLite(t).open(t))
	var secretsOf []string
	for i := range 3 {
		k := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_m_", "owner": fmt.Sprintf("owner-%d", i)})
		want(t, k, http.StatusCreated)
		secretsOf = append(secretsOf, k.str("id"), k.str("key"), fmt.Sprintf("owner-%d", i), fmt.Sprintf("tenant=t%d", i))
		for range 2 {
			want(t, s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": k.str("key"), "tags": []string{fmt.Sprintf("tenant=t%d", i)}}), http.StatusOK)
		}
		want(t, s.do(t, "GET", "/v1/keys/"+k.str("id"), nil), http.StatusOK)
	}
	s.flush(t)
	r := s.do(t, "GET", "/metrics", nil)
	if r.status != http.StatusOK || !strings.Contains(string(r.raw), `secrets_verify_outcomes_total{operation="keys.verify",status="VALID"} 6`) {
		t.Fatalf("metrics: %d, no count of the 6 verifications:\n%s", r.status, r.raw)
	}
	labels := regexp.MustCompile(`[a-z_]+="([^"]*)"`)
	n := 0
	for _, m := range labels.FindAllStringSubmatch(string(r.raw), -1) {
		n++
		for _, v := range secretsOf {
			if strings.Contains(m[1], v) {
				t.Errorf("a metric label holds %q: %s", v, m[0])
			}
		}
		if strings.HasPrefix(m[1], "key_") || strings.HasPrefix(m[1], "sk_m_") {
			t.Errorf("a metric label looks like a key id or key: %s", m[0])
		}
	}
	if n < 10 {
		t.Fatalf("only %d labels in the metrics", n)
	}
}

// A tag that carries the key being verified is refused, so that the key's
// plaintext is never counted, stored or answered to analytics readers.
func TestAnalyticsTagsNeverHoldTheKey(t *testing.T) {
	s := start(t, newSQLite(t).open(t))
	k := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_live_"})
	want(t, k, http.StatusCreated)
	key := k.str("key")
	random := key[strings.LastIndexByte(key, '_')+1:]
	for _, tags := range [][]string{{"leak=" + key}, {"plan=pro", key + "=x"}, {"body=" + random}} {
		r := s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": key, "tags": tags})
		want(t, r, http.StatusBadRequest, "invalid_request", "tags")
		if strings.Contains(fmt.Sprint(r.raw), random) {
			t.Errorf("the 400 for tags %v repeats the key: %s", tags, r.raw)
		}
	}
	// Ordinary tags, and short values that happen to occur in the key, count.
	want(t, s.do(t, "POST", "/v1/keys/verify", map[string]any{"key": key, "tags": []string{"plan=pro", "x=" + random[:4]}}), http.StatusOK)
	s.flush(t)
	got := totals(t, s.do(t, "GET", "/v1/analytics/verifications?group_by=tag", nil))
	if !equalCounts(got, map[string]float64{"plan=pro": 1, "x=" + random[:4]: 1}) {
		t.Errorf("tag counts %v", got)
	}
	for tag := range got {
		if strings.Contains(tag, random) {
			t.Errorf("a counted tag holds the key: %q", tag)
		}
	}
}

// from= or to= at the zero time is refused, not read as absent and
// answered for the default range.
func TestAnalyticsZeroTimeIsRefused(t *testing.T) {
	s := start(t, newSQLite(t).open(t))
	for _, c := range []struct{ query, field string }{
		{"from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z", "from"},
		{"from=0001-01-01T00:00:00Z&granularity=day", "from"},
		{"to=0001-01-01T00:00:00Z&granularity=minute", "to"},
	} {
		want(t, s.do(t, "GET", "/v1/analytics/verifications?"+c.query, nil), http.StatusBadRequest, "invalid_request", c.field)
	}
	// A range far apart but not at the zero time is refused for its span.
	want(t, s.do(t, "GET", "/v1/analytics/verifications?from=0001-01-01T00:00:01Z&to=9999-12-31T23:59:59Z", nil), http.StatusBadRequest, "invalid_request", "from")
}

// What a verification counts is in a namespace its caller sees, under
// names the store can keep: a namespace or purpose that is not a name (a
// NUL, too long) or that holds an API key is a 400, and a verifier of one
// namespace cannot count into another's analytics. One unstorable name
// once stopped every later flush on PostgreSQL.
func TestAnalyticsCountOnlyStorableNamesOfTheCallersNamespaces(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := start(t, b.open(t))
		k := s.do(t, "POST", "/v1/keys", map[string]any{"prefix": "sk_live_", "namespace": "team-a"})
		want(t, k, http.StatusCreated)
		key := k.str("key")
		verifier := s.as(s.accessKey(t, []string{access.KeysVerify}, []string{"team-a"}))
		for _, ns := range []any{"default", nil, "team-b"} {
			body := map[string]any{"key": key, "tags": []string{"injected=yes"}}
			if ns != nil {
				body["namespace"] = ns
			}
			r := verifier.do(t, "POST", "/v1/keys/verify", body)
			want(t, r, http.StatusOK)
			if r.str("status") != "NOT_FOUND" {
				t.Errorf("a team-a verifier verifying in namespace %v: %s, want NOT_FOUND", ns, r.raw)
			}
		}
		for _, c := range []struct {
			name, path string
			body       map[string]any
			field      string
		}{
			{"a NUL in the namespace", "/v1/keys/verify", map[string]any{"key": key, "namespace": "team-a\x00"}, "namespace"},
			{"a namespace too long", "/v1/keys/verify", map[string]any{"key": key, "namespace": strings.Repeat("n", 300)}, "namespace"},
			{"the key as the namespace", "/v1/keys/verify", map[string]any{"key": key, "namespace": key}, "namespace"},
			{"a NUL in a redemption's purpose", "/v1/tokens/redeem", map[string]any{"purpose": "reset\x00", "token": "x"}, "purpose"},
			{"a purpose too long", "/v1/tokens/redeem", map[string]any{"purpose": strings.Repeat("p", 300), "token": "x"}, "purpose"},
			{"a NUL in a code check's purpose", "/v1/codes/verify", map[string]any{"purpose": "login\x00", "subject": "u1", "code": "123456"}, "purpose"},
		} {
			r := s.do(t, "POST", c.path, c.body)
			want(t, r, http.StatusBadRequest, "invalid_request", c.field)
			if strings.Contains(fmt.Sprint(r.raw), key[strings.LastIndexByte(key, '_')+1:]) {
				t.Errorf("%s: the 400 repeats the key: %s", c.name, r.raw)
			}
		}
		r := verifier.do(t, "POST", "/v1/keys/verify", map[string]any{"key": key, "namespace": "team-a", "tags": []string{"good=1"}})
		want(t, r, http.StatusOK)
		if r.str("status") != "VALID" {
			t.Fatalf("verify in its own namespace: %s", r.raw)
		}
		s.flush(t) // fails if anything unstorable was counted
		if got := totals(t, s.do(t, "GET", "/v1/analytics/verifications?group_by=tag", nil)); !equalCounts(got, map[string]float64{"good=1": 1}) {
			t.Errorf("tags counted in every namespace: %v, want only good=1", got)
		}
		if got := totals(t, s.do(t, "GET", "/v1/analytics/verifications?group_by=key", nil)); !equalCounts(got, map[string]float64{k.str("id"): 1}) {
			t.Errorf("verifications counted by key: %v, want only the one in team-a", got)
		}
	})
}
