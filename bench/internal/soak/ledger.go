package soak

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Ledger records every write the service acknowledged, and every write
// whose answer was lost (a transport error or a refusal: it may or may not
// have happened), so that the database can be checked against it.
type Ledger struct {
	mu       sync.Mutex
	tokens   map[string]*entry // acknowledged issues by id
	codes    map[string]*entry
	keys     map[string]*keyEntry
	lostTok  int // token issues whose answer was lost
	lostCode int
	outcomes map[string]int // "tokens.redeem VALID" → count
	statuses map[string]int // "POST /v1/tokens 201" → count
	problems []string
	swept    int // acknowledged records the check found swept, as they may be
}

type entry struct {
	acked   int       // acknowledged VALID redemptions or APPROVED verifications
	unknown int       // attempts whose answer was lost
	sent    time.Time // when its issue was sent: the record is no older
}

type keyEntry struct{ limit, acked, unknown int64 }

// NewLedger returns an empty ledger.
func NewLedger() *Ledger {
	return &Ledger{tokens: map[string]*entry{}, codes: map[string]*entry{}, keys: map[string]*keyEntry{},
		outcomes: map[string]int{}, statuses: map[string]int{}}
}

func (l *Ledger) wrong(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.problem(format, args...)
}

// problem is wrong with l.mu held; the first 50 are kept.
func (l *Ledger) problem(format string, args ...any) {
	if len(l.problems) < 50 {
		l.problems = append(l.problems, fmt.Sprintf(format, args...))
	} else if len(l.problems) == 50 {
		l.problems = append(l.problems, "… and more")
	}
}

func (l *Ledger) outcome(o string) {
	l.mu.Lock()
	l.outcomes[o]++
	l.mu.Unlock()
}

// status counts an answer; a 500, a 503 without Retry-After and an error
// answer that is not the service's JSON error are problems.
func (l *Ledger) status(path string, status int, hdr http.Header, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if status == 0 {
		l.statuses[path+" transport error"]++
		return
	}
	l.statuses[fmt.Sprintf("%s %d", path, status)]++
	switch {
	case status == http.StatusInternalServerError:
		l.problem("%s answered 500", path)
	case status == http.StatusServiceUnavailable && hdr.Get("Retry-After") == "":
		l.problem("%s answered 503 without Retry-After", path)
	case err != nil:
		l.problem("%v", err)
	}
}

// tokenIssued records an issue sent at sent.
func (l *Ledger) tokenIssued(id string, ok bool, sent time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !ok {
		l.lostTok++
		return
	}
	l.tokens[id] = &entry{sent: sent}
}

func (l *Ledger) tokenRedeemed(id string, ok bool, status string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.tokens[id]
	if !ok {
		e.unknown++
		return
	}
	l.outcomes["tokens.redeem "+status]++
	switch status {
	case "VALID":
		e.acked++
		if e.acked > 1 {
			l.problem("token %s was redeemed twice", id)
		}
	case "USED":
		if e.acked == 0 && e.unknown == 0 {
			l.problem("token %s was USED at its first redemption", id)
		}
	default:
		l.problem("token %s redeemed as %s", id, status)
	}
}

// codeIssued records an issue sent at sent.
func (l *Ledger) codeIssued(id string, ok bool, sent time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !ok {
		l.lostCode++
		return
	}
	l.codes[id] = &entry{sent: sent}
}

func (l *Ledger) codeVerified(id string, ok bool, status string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.codes[id]
	if !ok {
		e.unknown++
		return
	}
	l.outcomes["codes.verify "+status]++
	if status == "APPROVED" {
		e.acked++
	} else {
		l.problem("the right code %s verified as %s", id, status)
	}
}

func (l *Ledger) keyCreated(id string, limit int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys[id] = &keyEntry{limit: limit}
}

func (l *Ledger) keyUse(id string, ok bool, status string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.keys[id]
	if !ok {
		k.unknown++
		return
	}
	l.outcomes["keys.verify(limited) "+status]++
	switch status {
	case "VALID":
		k.acked++
		if k.acked > k.limit {
			l.problem("key %s was spent %d times, beyond its limit of %d", id, k.acked, k.limit)
		}
	case "USAGE_EXCEEDED":
		if k.acked < k.limit && k.unknown == 0 {
			l.problem("key %s answered USAGE_EXCEEDED after %d of %d uses", id, k.acked, k.limit)
		}
	default:
		l.problem("limited key %s verified as %s", id, status)
	}
}

// Check compares the database with the ledger: every acknowledged issue
// is there, every acknowledged redemption and approval is recorded, no
// token was redeemed twice, no key was spent beyond its limit, and the
// counts of spent records lie between what was acknowledged and what was
// acknowledged or lost. What it finds wrong is in Problems.
//
// sweptBefore is for a service that sweeps during the run (its --retention
// shorter than the run): a token or code whose issue was sent before it
// may have been swept and is not looked for, but if it is still there it
// is checked like any other. The sweeper deletes a record only once its
// use or expiry, both no earlier than its issue, is --retention old, so
// the time the check began less the retention is a safe sweptBefore; the
// zero time expects every record.
func (l *Ledger) Check(ctx context.Context, db Database, sweptBefore time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	tokens, err := db.Tokens(ctx, "soak")
	if err != nil {
		return fmt.Errorf("reading the tokens: %w", err)
	}
	codes, err := db.Codes(ctx, "soak")
	if err != nil {
		return fmt.Errorf("reading the codes: %w", err)
	}
	remaining, err := db.Remaining(ctx)
	if err != nil {
		return fmt.Errorf("reading the keys: %w", err)
	}
	check := func(what string, ledger map[string]*entry, rows map[string]bool, lost int) {
		extra := 0
		for id := range rows {
			if ledger[id] == nil {
				extra++
			}
		}
		if extra > lost {
			l.problem("%d %s in the database that were never issued (%d issues lost their answer)", extra, what, lost)
		}
		for id, e := range ledger {
			spent, ok := rows[id]
			switch {
			case !ok && e.sent.Before(sweptBefore):
				l.swept++
			case !ok:
				l.problem("acknowledged %s %s is not in the database", what, id)
			case e.acked > 0 && !spent:
				l.problem("the acknowledged use of %s %s is not in the database", what, id)
			case spent && e.acked == 0 && e.unknown == 0:
				l.problem("%s %s is spent in the database, but nobody spent it", what, id)
			}
		}
	}
	check("token", l.tokens, tokens, l.lostTok)
	check("code", l.codes, codes, l.lostCode)
	for id, k := range l.keys {
		rem, ok := remaining[id]
		if !ok {
			l.problem("acknowledged key %s is not in the database", id)
			continue
		}
		spent := k.limit - rem
		if spent < k.acked || spent > k.acked+k.unknown || spent > k.limit {
			l.problem("key %s: %d uses spent in the database, %d acknowledged, %d unanswered, limit %d", id, spent, k.acked, k.unknown, k.limit)
		}
	}
	return nil
}

// Problems returns what the run and the check found wrong.
func (l *Ledger) Problems() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.problems...)
}

// Statuses returns the count of each path and answer.
func (l *Ledger) Statuses() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := map[string]int{}
	for k, v := range l.statuses {
		m[k] = v
	}
	return m
}

// Summary is the counts of the ledger, one per line.
func (l *Ledger) Summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var redeemed, approved, keyUses, lostUse int
	for _, e := range l.tokens {
		redeemed += e.acked
		lostUse += e.unknown
	}
	for _, e := range l.codes {
		approved += e.acked
		lostUse += e.unknown
	}
	for _, k := range l.keys {
		keyUses += int(k.acked)
		lostUse += int(k.unknown)
	}
	var lines []string
	lines = append(lines, fmt.Sprintf("acknowledged: %d token issues, %d redemptions; %d code issues, %d approvals; %d uses of %d limited keys; lost answers: %d issues, %d uses",
		len(l.tokens), redeemed, len(l.codes), approved, keyUses, len(l.keys), l.lostTok+l.lostCode, lostUse))
	if l.swept > 0 {
		lines = append(lines, fmt.Sprintf("swept by the service, as its retention allows: %d of the acknowledged tokens and codes", l.swept))
	}
	var ks []string
	for k := range l.statuses {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		lines = append(lines, fmt.Sprintf("%-40s %d", k, l.statuses[k]))
	}
	ks = ks[:0]
	for k := range l.outcomes {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		lines = append(lines, fmt.Sprintf("%-40s %d", k, l.outcomes[k]))
	}
	return strings.Join(lines, "\n")
}
