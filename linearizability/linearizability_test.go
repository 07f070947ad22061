package linearizability_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/unguessable/secrets/internal/backendtest"
	lin "github.com/unguessable/secrets/linearizability"
)

// The knobs, from the environment: how long each store's clients record
// (every model at once), how often the nemesis strikes, and whether it
// does at all.
func settings(t *testing.T) (duration, faultEvery time.Duration, faults bool) {
	duration, faultEvery, faults = 15*time.Second, 1500*time.Millisecond, true
	for _, v := range []struct {
		env string
		d   *time.Duration
	}{{"LINEARIZABILITY_DURATION", &duration}, {"LINEARIZABILITY_FAULT_EVERY", &faultEvery}} {
		if s := os.Getenv(v.env); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil || d <= 0 {
				t.Fatalf("%s=%q is not a positive duration such as 30s", v.env, s)
			}
			*v.d = d
		}
	}
	switch os.Getenv("LINEARIZABILITY_FAULTS") {
	case "", "1", "on":
	case "0", "off":
		faults = false
	default:
		t.Fatalf("LINEARIZABILITY_FAULTS=%q: give on or off", os.Getenv("LINEARIZABILITY_FAULTS"))
	}
	return duration, faultEvery, faults
}

func TestLinearizability(t *testing.T) {
	duration, faultEvery, faults := settings(t)
	t.Run("on SQLite, one instance, reached directly and through the proxy", func(t *testing.T) {
		db := backendtest.SQLite().NewDB(t)
		in := newInstance(t, 0, db.DSN)
		px := newProxy(t, in.addr)
		eps := []endpoint{{name: "direct", base: "http://" + in.addr, in: in}, {name: "proxied", base: "http://" + px.addr(), in: in, px: px}}
		record(t, eps, nil, duration, faultEvery, faults)
	})
	t.Run("on PostgreSQL, two instances, one of them through the proxy", func(t *testing.T) {
		backendtest.URL(t) // skips, saying so, without PostgreSQL
		pg := startPostgres(t)
		a := newInstance(t, 0, pg.dsn())
		b := newInstance(t, 1, pg.dsn())
		px := newProxy(t, b.addr)
		eps := []endpoint{{name: "A", base: "http://" + a.addr, in: a}, {name: "B proxied", base: "http://" + px.addr(), in: b, px: px}}
		record(t, eps, pg, duration, faultEvery, faults)
	})
}

// endpoint is a way to an instance: directly, or through a proxy.
type endpoint struct {
	name string
	base string
	in   *instance
	px   *proxy
}

// harness records the calls of one store's clients.
type harness struct {
	t     *testing.T
	eps   []endpoint
	http  *http.Client
	start time.Time // the origin of porcupine's timestamps (monotonic)
	until time.Time // no round starts after it
	objs  atomic.Int64

	mu      sync.Mutex
	history map[string][]porcupine.Operation // by model
	clients map[string]int                   // porcupine client ids given out, by model
	lost    map[clientKey]int                // calls without an answer
}

// clientKey names a client of a model.
type clientKey struct {
	model  string
	client int
}

// answer is what came back from a call that was answered.
type answer struct {
	status int
	body   map[string]any
}

func (a answer) str(k string) string { s, _ := a.body[k].(string); return s }

// num is the number at a dotted path, or lin.Unlimited when there is none.
func (a answer) num(path string) int64 {
	var v any = a.body
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return lin.Unlimited
		}
		v = m[k]
	}
	f, ok := v.(float64)
	if !ok {
		return lin.Unlimited
	}
	return int64(f)
}

func (a answer) millis(k string) int64 {
	t, err := time.Parse(time.RFC3339Nano, a.str(k))
	if err != nil {
		return 0
	}
	return lin.Millis(t)
}

// span is one recorded call's timestamps: porcupine's (monotonic, ns since
// the start) and the models' (wall clock, ms).
type span struct {
	call, ret int64
	wall      lin.Span
}

// do makes one call and times it. ok is false when no answer came: an
// error of the connection, a timeout, or a 5xx (which may come after the
// work was done). Now and then the client gives up sooner than the server
// can answer.
func (h *harness) do(ep endpoint, key, method, path string, body any) (answer, bool, span) {
	var rd *bytes.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			panic(err)
		}
		rd = bytes.NewReader(j)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if rand.IntN(25) == 0 {
		// Shorter than the server's work: the call may or may not happen.
		ctx, cancel = context.WithTimeout(ctx, time.Duration(200+rand.IntN(5000))*time.Microsecond)
		defer cancel()
	}
	var t0 time.Time
	var resp *http.Response
	var err error
	for range 100 {
		var req *http.Request
		if rd != nil {
			rd.Seek(0, io.SeekStart)
			req, err = http.NewRequestWithContext(ctx, method, ep.base+path, rd)
		} else {
			req, err = http.NewRequestWithContext(ctx, method, ep.base+path, nil)
		}
		if err != nil {
			panic(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		t0 = time.Now()
		resp, err = h.http.Do(req)
		// A connection refused (an instance restarting) sent nothing: the
		// call was not made, and is made again.
		var oe *net.OpError
		if err == nil || !errors.As(err, &oe) || oe.Op != "dial" || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	sp := span{call: t0.Sub(h.start).Nanoseconds(), ret: lin.Never, wall: lin.Span{Call: t0.UnixMilli(), Return: lin.Never}}
	var a answer
	if err == nil {
		a.status = resp.StatusCode
		if resp.StatusCode != http.StatusNoContent {
			err = json.NewDecoder(resp.Body).Decode(&a.body)
		}
		resp.Body.Close()
	}
	t1 := time.Now()
	if err != nil || a.status >= 500 {
		return a, false, sp
	}
	sp.ret, sp.wall.Return = t1.Sub(h.start).Nanoseconds(), t1.UnixMilli()
	return a, true, sp
}

// pick is an endpoint at random.
func (h *harness) pick() endpoint { return h.eps[rand.IntN(len(h.eps))] }

// add records a call of a model's history.
func (h *harness) add(model string, client int, in, out any, sp span) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.history[model] = append(h.history[model], porcupine.Operation{ClientId: client, Input: in, Call: sp.call, Output: out, Return: sp.ret})
	if sp.ret == lin.Never {
		h.lost[clientKey{model, client}]++
	}
}

// gaveUp reports whether a client has had two calls without an answer on
// its object, after which it leaves the object alone: every call without
// an answer may be linearized anywhere after it was made, and a history
// with many of them takes the checker exponentially long.
func (h *harness) gaveUp(model string, client int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lost[clientKey{model, client}] >= 2
}

// clientIDs gives out n porcupine client ids of a model.
func (h *harness) clientIDs(model string, n int) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	first := h.clients[model]
	h.clients[model] += n
	return first
}

// unexpected fails the test for an answer that is neither a model's nor a
// fault's: a 4xx that the calls the recorder makes never deserve.
func (h *harness) unexpected(what string, a answer) {
	h.t.Errorf("%s: unexpected answer %d %v", what, a.status, a.body)
}

// rounds runs round, on fresh objects, from groups goroutines at once, until
// the recording time is over.
func (h *harness) rounds(groups int, round func(obj int)) {
	var wg sync.WaitGroup
	for range groups {
		wg.Go(func() {
			for time.Now().Before(h.until) {
				round(int(h.objs.Add(1)))
			}
		})
	}
	wg.Wait()
}

// parallel runs f for clients 0 to n-1 at once.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { f(i) })
	}
	wg.Wait()
}

const (
	groups  = 2 // objects of each model recorded at once
	clients = 4 // clients calling one object at once
)

// record runs every model's clients against eps for d, with the nemesis
// striking every faultEvery, then checks each model's history.
func record(t *testing.T, eps []endpoint, pg *pgCluster, d, faultEvery time.Duration, faults bool) {
	h := &harness{t: t, eps: eps, start: time.Now(), until: time.Now().Add(d),
		http:    &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		history: map[string][]porcupine.Operation{}, clients: map[string]int{}, lost: map[clientKey]int{}}
	stop := make(chan struct{})
	var nemesisDone sync.WaitGroup
	var faultLog []string
	if faults {
		nemesisDone.Go(func() { faultLog = h.nemesis(stop, pg, faultEvery) })
	}
	var wg sync.WaitGroup
	wg.Go(func() { h.rounds(groups, h.tokenRound) })
	wg.Go(func() { h.rounds(groups, h.codeRound) })
	wg.Go(func() { h.rounds(groups, h.keyRound) })
	wg.Go(func() { h.rounds(groups, h.accessRound) })
	wg.Wait()
	close(stop)
	nemesisDone.Wait()
	t.Logf("recorded for %v; faults: %s", time.Since(h.start).Round(time.Millisecond), summarizeFaults(faultLog))

	store := "SQLite"
	if pg != nil {
		store = "PostgreSQL"
	}
	for _, m := range []struct {
		name  string
		model porcupine.Model
	}{{"tokens", lin.TokenModel}, {"codes", lin.CodeModel}, {"keys", lin.KeyModel}, {"access keys", lin.AccessModel}} {
		t.Run(m.name, func(t *testing.T) { check(t, store, m.name, m.model, h.history[m.name]) })
	}
}

func summarizeFaults(log []string) string {
	if len(log) == 0 {
		return "none"
	}
	n := map[string]int{}
	var order []string
	for _, f := range log {
		if n[f] == 0 {
			order = append(order, f)
		}
		n[f]++
	}
	var parts []string
	for _, f := range order {
		parts = append(parts, fmt.Sprintf("%d x %s", n[f], f))
	}
	return strings.Join(parts, ", ") + ", and 1 in 25 calls given up after 0.2-5.2ms"
}

// checkTimeout bounds the checker on one model's history.
const checkTimeout = 10 * time.Minute

// check asks porcupine whether history is linearizable under model; if
// not, it writes the visualization and fails the test.
func check(t *testing.T, store, name string, model porcupine.Model, history []porcupine.Operation) {
	sum := lin.Summarize(history)
	if sum.Operations-sum.Indeterminate < 50 {
		t.Fatalf("only %s: too few answered calls to check anything", sum)
	}
	began := time.Now()
	res := porcupine.CheckOperationsTimeout(model, history, checkTimeout)
	took := time.Since(began)
	// One line per check, for docs/CORRECTNESS.md.
	t.Logf("linearizability: store=%s model=%q operations=%d indeterminate=%d histories=%d check=%v result=%s",
		store, name, sum.Operations, sum.Indeterminate, sum.Histories, took.Round(time.Millisecond), res)
	switch res {
	case porcupine.Ok:
		return
	case porcupine.Unknown:
		t.Fatalf("the checker gave up after %v on %s", checkTimeout, sum)
	}
	// The visualization of the first history that fails: of all of them it
	// could take minutes to compute.
	var failing []porcupine.Operation
	nfail := 0
	first := int64(math.MaxInt64) // when the first history that fails began, ns into the recording
	for _, part := range model.Partition(history) {
		if porcupine.CheckOperations(model, part) {
			continue
		}
		for _, op := range part {
			first = min(first, op.Call)
		}
		if nfail++; nfail == 1 {
			failing = part
			t.Logf("the first history that fails:\n%s", describe(model, part))
		}
	}
	_, info := porcupine.CheckOperationsVerbose(model, failing, time.Minute)
	path := filepath.Join(outDir(t), fmt.Sprintf("%s-%s-%s.html", strings.ToLower(store), strings.ReplaceAll(name, " ", "-"), time.Now().Format("20060102-150405")))
	if err := porcupine.VisualizePath(model, info, path); err != nil {
		t.Errorf("writing the visualization: %v", err)
	}
	if err := os.WriteFile(strings.TrimSuffix(path, ".html")+".txt", []byte(describe(model, failing)), 0o644); err != nil {
		t.Errorf("writing the history: %v", err)
	}
	t.Errorf("the %s history on %s is not linearizable (%s; %d of its histories fail, the first of them began %v into the recording); the visualization of one is %s",
		name, store, sum, nfail, time.Duration(first).Round(time.Millisecond), path)
}

// describe lists a history's calls in the order they were made, with their
// times in ms from the first.
func describe(model porcupine.Model, ops []porcupine.Operation) string {
	ops = slices.Clone(ops)
	slices.SortFunc(ops, func(a, b porcupine.Operation) int { return cmp.Compare(a.Call, b.Call) })
	var b strings.Builder
	for _, op := range ops {
		ret := "never"
		if op.Return != lin.Never {
			ret = fmt.Sprintf("%.1f", float64(op.Return-ops[0].Call)/1e6)
		}
		fmt.Fprintf(&b, "  client %2d  [%.1f, %s]  %s\n", op.ClientId, float64(op.Call-ops[0].Call)/1e6, ret, model.DescribeOperation(op.Input, op.Output))
	}
	return b.String()
}

var (
	outOnce sync.Once
	out     string
)

// outDir is LINEARIZABILITY_OUT, or a new directory that is kept.
func outDir(t *testing.T) string {
	outOnce.Do(func() {
		out = os.Getenv("LINEARIZABILITY_OUT")
		if out == "" {
			var err error
			if out, err = os.MkdirTemp("", "linearizability-"); err != nil {
				t.Fatal(err)
			}
		} else if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
	})
	return out
}

// nemesis injects faults in turn, one every `every`, until stop: kill -9
// of an instance and its restart, the proxy cutting every connection for
// 300ms, and (on PostgreSQL) a restart of the database. It returns what it
// did.
func (h *harness) nemesis(stop <-chan struct{}, pg *pgCluster, every time.Duration) []string {
	var log []string
	faults := []string{"kill -9 and restart of an instance", "connections cut by the proxy for 300ms"}
	if pg != nil {
		faults = append(faults, "PostgreSQL restart (immediate shutdown)")
	}
	var instances []*instance
	var px *proxy
	for _, ep := range h.eps {
		if ep.px != nil {
			px = ep.px
		}
		if !containsInstance(instances, ep.in) {
			instances = append(instances, ep.in)
		}
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return log
		case <-tick.C:
		}
		f := faults[i%len(faults)]
		var err error
		switch i % len(faults) {
		case 0:
			err = instances[(i/len(faults))%len(instances)].kill9()
		case 1:
			px.cut(300 * time.Millisecond)
		case 2:
			err = pg.restart()
		}
		if err != nil {
			h.t.Errorf("nemesis: %s: %v", f, err)
			return log
		}
		log = append(log, f)
	}
}

func containsInstance(s []*instance, in *instance) bool {
	for _, x := range s {
		if x == in {
			return true
		}
	}
	return false
}

// The purpose of every token and code.
const purpose = "linearizability"

// tokenRound issues tokens to a fresh subject and has clients verify,
// redeem and revoke them at once. One subject in three has tokens of one
// second, so that the round crosses their expiry.
func (h *harness) tokenRound(obj int) {
	const model = "tokens"
	subject := fmt.Sprintf("t%d", obj)
	ttl, pause := 3600, 0
	if obj%3 == 0 {
		ttl, pause = 1, 250
	}
	first := h.clientIDs(model, clients)
	var mu sync.Mutex
	var known []string // plaintexts, by the number given when the issue answered
	issues := 0
	issue := func(client int, keep bool) {
		mu.Lock()
		if issues >= 5 {
			mu.Unlock()
			return
		}
		issues++
		mu.Unlock()
		a, ok, sp := h.do(h.pick(), adminKey, "POST", "/v1/tokens", map[string]any{"purpose": purpose, "subject": subject, "expires_in": ttl, "keep_existing": keep})
		in := lin.TokenInput{Object: obj, Op: lin.TokenIssue, KeepExisting: keep, Span: sp.wall}
		out := lin.TokenOutput{Unknown: !ok}
		if ok {
			if a.status != http.StatusCreated {
				h.unexpected("issue a token", a)
				return
			}
			mu.Lock()
			out.Token = len(known)
			known = append(known, a.str("token"))
			mu.Unlock()
			out.ExpiresAt = a.millis("expires_at")
		}
		h.add(model, client, in, out, sp)
	}
	issue(first, false)
	parallel(clients, func(i int) {
		client := first + i
		for range 10 {
			if h.gaveUp(model, client) {
				return
			}
			if pause > 0 {
				time.Sleep(time.Duration(rand.IntN(pause)) * time.Millisecond)
			}
			mu.Lock()
			n := len(known)
			mu.Unlock()
			r := rand.Float64()
			switch {
			case n == 0 || r < 0.08:
				issue(client, rand.IntN(3) == 0)
				continue
			case r < 0.12:
				a, ok, sp := h.do(h.pick(), adminKey, "DELETE", "/v1/tokens?"+url.Values{"purpose": {purpose}, "subject": {subject}}.Encode(), nil)
				if ok && a.status != http.StatusOK {
					h.unexpected("revoke tokens", a)
					continue
				}
				h.add(model, client, lin.TokenInput{Object: obj, Op: lin.TokenRevoke, Span: sp.wall}, lin.TokenOutput{Unknown: !ok, Revoked: a.num("revoked")}, sp)
				continue
			}
			k := n - 1 // the newest, mostly: the one that races
			if rand.IntN(4) == 0 {
				k = rand.IntN(n)
			}
			mu.Lock()
			plain := known[k]
			mu.Unlock()
			op, path := lin.TokenRedeem, "/v1/tokens/redeem"
			if rand.IntN(3) == 0 {
				op, path = lin.TokenVerify, "/v1/tokens/verify"
			}
			a, ok, sp := h.do(h.pick(), adminKey, "POST", path, map[string]any{"purpose": purpose, "token": plain})
			if ok && a.status != http.StatusOK {
				h.unexpected("check a token", a)
				continue
			}
			h.add(model, client, lin.TokenInput{Object: obj, Op: op, Token: k, Span: sp.wall}, lin.TokenOutput{Unknown: !ok, Status: a.str("status")}, sp)
		}
	})
}

// codeRound issues codes to a fresh subject and has clients check the
// right code and wrong ones at once. Codes have 10 digits, so that a wrong
// guess is right with a chance of 1e-10.
func (h *harness) codeRound(obj int) {
	const model = "codes"
	subject := fmt.Sprintf("c%d", obj)
	ttl, pause := 600, 0
	if obj%3 == 0 {
		ttl, pause = 1, 250
	}
	first := h.clientIDs(model, clients)
	var mu sync.Mutex
	var known []string
	issues := 0
	issue := func(client int) {
		mu.Lock()
		if issues >= lin.MaxSends+1 {
			mu.Unlock()
			return
		}
		issues++
		mu.Unlock()
		maxAttempts := 1 + rand.IntN(5)
		a, ok, sp := h.do(h.pick(), adminKey, "POST", "/v1/codes", map[string]any{"purpose": purpose, "subject": subject, "digits": 10, "expires_in": ttl, "max_attempts": maxAttempts})
		in := lin.CodeInput{Object: obj, Op: lin.CodeIssue, MaxAttempts: maxAttempts, TTL: int64(ttl) * 1000, Span: sp.wall}
		out := lin.CodeOutput{Unknown: !ok}
		switch {
		case !ok:
		case a.status == http.StatusTooManyRequests:
			out.Throttled = true
		case a.status == http.StatusCreated:
			mu.Lock()
			out.Code = len(known)
			known = append(known, a.str("code"))
			mu.Unlock()
			out.ExpiresAt = a.millis("expires_at")
		default:
			h.unexpected("issue a code", a)
			return
		}
		h.add(model, client, in, out, sp)
	}
	issue(first)
	parallel(clients, func(i int) {
		client := first + i
		for range 10 {
			if h.gaveUp(model, client) {
				return
			}
			if pause > 0 {
				time.Sleep(time.Duration(rand.IntN(pause)) * time.Millisecond)
			}
			mu.Lock()
			n := len(known)
			mu.Unlock()
			r := rand.Float64()
			if n == 0 || r < 0.1 {
				issue(client)
				continue
			}
			k, presented := lin.WrongCode, ""
			if r < 0.55 {
				k = n - 1
				if rand.IntN(5) == 0 {
					k = rand.IntN(n)
				}
				mu.Lock()
				presented = known[k]
				mu.Unlock()
			} else {
				presented = wrongCode(&mu, &known)
			}
			a, ok, sp := h.do(h.pick(), adminKey, "POST", "/v1/codes/verify", map[string]any{"purpose": purpose, "subject": subject, "code": presented})
			if ok && a.status != http.StatusOK {
				h.unexpected("check a code", a)
				continue
			}
			h.add(model, client, lin.CodeInput{Object: obj, Op: lin.CodeCheck, Code: k, Span: sp.wall},
				lin.CodeOutput{Unknown: !ok, Status: a.str("status"), AttemptsLeft: int(a.num("attempts_left"))}, sp)
		}
	})
}

// wrongCode is 10 digits that are none of the known codes.
func wrongCode(mu *sync.Mutex, known *[]string) string {
	mu.Lock() // known is appended to by other clients: read it under mu too
	defer mu.Unlock()
	for {
		c := fmt.Sprintf("%010d", rand.Int64N(10_000_000_000))
		taken := false
		for _, k := range *known {
			taken = taken || k == c
		}
		if !taken {
			return c
		}
	}
}

// keyRound creates a key with remaining uses, a rate limit, both or
// neither, and has clients verify it at once while one may set its
// remaining uses or revoke it.
func (h *harness) keyRound(obj int) {
	const model = "keys"
	first := h.clientIDs(model, clients)
	remaining, limit := int64(lin.Unlimited), int64(0)
	body := map[string]any{"prefix": "sk_lin_"}
	switch obj % 4 {
	case 0:
		remaining = 3 + rand.Int64N(10)
	case 1:
		limit = 3 + rand.Int64N(10)
	case 2:
		remaining, limit = 3+rand.Int64N(10), 3+rand.Int64N(10)
	}
	if remaining != lin.Unlimited {
		body["remaining"] = remaining
	}
	if limit > 0 {
		body["ratelimit"] = map[string]any{"limit": limit, "window": 24 * 3600}
	}
	a, ok, sp := h.do(h.pick(), adminKey, "POST", "/v1/keys", body)
	if !ok {
		return // a key no one knows: the next round makes another
	}
	if a.status != http.StatusCreated {
		h.unexpected("create a key", a)
		return
	}
	h.add(model, first, lin.KeyInput{Object: obj, Op: lin.KeyCreate, Remaining: remaining, Limit: limit, Span: sp.wall}, lin.KeyOutput{HTTP: a.status}, sp)
	key, id := a.str("key"), a.str("id")
	var revoked atomic.Bool
	parallel(clients, func(i int) {
		client := first + i
		for range 10 {
			if h.gaveUp(model, client) {
				return
			}
			// Key calls are the cheapest: without a pause they would take
			// most of the machine from the other models.
			time.Sleep(time.Duration(rand.IntN(8)) * time.Millisecond)
			r := rand.Float64()
			switch {
			case r < 0.04:
				n := rand.Int64N(6)
				a, ok, sp := h.do(h.pick(), adminKey, "PATCH", "/v1/keys/"+id, map[string]any{"remaining": n})
				if ok && a.status != http.StatusOK && a.status != http.StatusConflict {
					h.unexpected("set a key's remaining uses", a)
					continue
				}
				h.add(model, client, lin.KeyInput{Object: obj, Op: lin.KeySetRemaining, Remaining: n, Span: sp.wall}, lin.KeyOutput{Unknown: !ok, HTTP: a.status}, sp)
			case r < 0.07 && !revoked.Swap(true):
				a, ok, sp := h.do(h.pick(), adminKey, "DELETE", "/v1/keys/"+id, nil)
				if ok && a.status != http.StatusNoContent {
					h.unexpected("revoke a key", a)
					continue
				}
				h.add(model, client, lin.KeyInput{Object: obj, Op: lin.KeyRevoke, Span: sp.wall}, lin.KeyOutput{Unknown: !ok, HTTP: a.status}, sp)
			default:
				cost := int64(1)
				if c := rand.IntN(20); c == 0 {
					cost = 0
				} else if c < 4 {
					cost = 2
				}
				a, ok, sp := h.do(h.pick(), adminKey, "POST", "/v1/keys/verify", map[string]any{"key": key, "cost": cost})
				if ok && a.status != http.StatusOK {
					h.unexpected("verify a key", a)
					continue
				}
				h.add(model, client, lin.KeyInput{Object: obj, Op: lin.KeyVerify, Cost: cost, Span: sp.wall},
					lin.KeyOutput{Unknown: !ok, Status: a.str("status"), Remaining: a.num("remaining"), RateRemaining: a.num("ratelimit.remaining")}, sp)
			}
		}
	})
}

// accessRound creates an access key and has clients call with it on every
// endpoint while one of them revokes it, and goes on calling until well
// past the other instances' cache time.
func (h *harness) accessRound(obj int) {
	const model = "access keys"
	first := h.clientIDs(model, clients)
	ep := h.pick()
	a, ok, sp := h.do(ep, adminKey, "POST", "/v1/access-keys", map[string]any{"name": fmt.Sprintf("lin-%d", obj), "scopes": []string{"tokens:verify"}, "namespaces": []string{"*"}})
	if !ok {
		return
	}
	if a.status != http.StatusCreated {
		h.unexpected("create an access key", a)
		return
	}
	h.add(model, first, lin.AccessInput{Object: obj, Op: lin.AccessCreate, Proc: ep.in.proc(), Span: sp.wall}, lin.AccessOutput{OK: true}, sp)
	key, id := a.str("key"), a.str("id")
	var revokedAt atomic.Int64 // when the revocation was answered (or given up), Unix ms
	parallel(clients, func(i int) {
		client := first + i
		for n := 0; n < 200 && !h.gaveUp(model, client); n++ {
			if at := revokedAt.Load(); at != 0 && time.Now().UnixMilli() > at+lin.AccessCacheTTL+300 {
				return
			}
			time.Sleep(time.Duration(rand.IntN(40)) * time.Millisecond)
			ep := h.pick()
			proc := ep.in.proc()
			if i == 0 && n == 5 {
				a, ok, sp := h.do(ep, adminKey, "DELETE", "/v1/access-keys/"+id, nil)
				revokedAt.Store(time.Now().UnixMilli())
				if ok && a.status != http.StatusNoContent {
					h.unexpected("revoke an access key", a)
					continue
				}
				h.add(model, client, lin.AccessInput{Object: obj, Op: lin.AccessRevoke, Proc: proc, Span: sp.wall}, lin.AccessOutput{Unknown: !ok, OK: ok}, sp)
				continue
			}
			a, ok, sp := h.do(ep, key, "POST", "/v1/tokens/verify", map[string]any{"purpose": purpose, "token": "not-a-token"})
			if ok && a.status != http.StatusOK && a.status != http.StatusUnauthorized {
				h.unexpected("call with an access key", a)
				continue
			}
			h.add(model, client, lin.AccessInput{Object: obj, Op: lin.AccessUse, Proc: proc, Span: sp.wall}, lin.AccessOutput{Unknown: !ok, OK: a.status == http.StatusOK}, sp)
		}
	})
}
