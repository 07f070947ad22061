package soak

import (
	"context"
	"strings"
	"testing"
	"time"
)

// fakeDB is a database that holds what a test puts in it.
type fakeDB struct {
	tokens, codes map[string]bool
}

func (f fakeDB) Size(context.Context) (float64, error)                   { return 0, nil }
func (f fakeDB) Tokens(context.Context, string) (map[string]bool, error) { return f.tokens, nil }
func (f fakeDB) Codes(context.Context, string) (map[string]bool, error)  { return f.codes, nil }
func (f fakeDB) Remaining(context.Context) (map[string]int64, error)     { return map[string]int64{}, nil }
func (f fakeDB) Records(context.Context) (float64, error)                { return 0, nil }
func (f fakeDB) CountTokens(context.Context, string) (int64, error)      { return int64(len(f.tokens)), nil }
func (f fakeDB) Close() error                                            { return nil }

// A service that sweeps during the run may have deleted the records older
// than its retention, and only those: a newer acknowledged record that is
// missing is still lost, and an old one still there is still checked.
func TestCheckExpectsTheRecordsNewerThanTheRetention(t *testing.T) {
	cutoff := time.Now().Add(-10 * time.Minute)
	old, recent := cutoff.Add(-time.Second), cutoff.Add(time.Second)
	l := NewLedger()
	l.tokenIssued("tok_old_swept", true, old)
	l.tokenRedeemed("tok_old_swept", true, "VALID")
	l.tokenIssued("tok_old_kept", true, old) // acknowledged as redeemed, but not in the database as used
	l.tokenRedeemed("tok_old_kept", true, "VALID")
	l.tokenIssued("tok_recent_lost", true, recent)
	l.tokenRedeemed("tok_recent_lost", true, "VALID")
	l.codeIssued("code_old_swept", true, old)
	l.codeIssued("code_recent", true, recent)
	l.codeVerified("code_recent", true, "APPROVED")
	db := fakeDB{tokens: map[string]bool{"tok_old_kept": false}, codes: map[string]bool{"code_recent": true}}
	if err := l.Check(context.Background(), db, cutoff); err != nil {
		t.Fatal(err)
	}
	probs := strings.Join(l.Problems(), "\n")
	for _, want := range []string{"acknowledged token tok_recent_lost is not in the database", "the acknowledged use of token tok_old_kept is not in the database"} {
		if !strings.Contains(probs, want) {
			t.Errorf("problems lack %q; they are:\n%s", want, probs)
		}
	}
	if strings.Contains(probs, "swept") || len(l.Problems()) != 2 {
		t.Errorf("want exactly the two problems above, got:\n%s", probs)
	}
	if !strings.Contains(l.Summary(), "swept by the service, as its retention allows: 2 ") {
		t.Errorf("the summary does not count the 2 swept records:\n%s", l.Summary())
	}

	// Without a retention, every acknowledged record is expected.
	l2 := NewLedger()
	l2.tokenIssued("tok_old_swept", true, old)
	if err := l2.Check(context.Background(), fakeDB{tokens: map[string]bool{}, codes: map[string]bool{}}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if p := l2.Problems(); len(p) != 1 || !strings.Contains(p[0], "tok_old_swept is not in the database") {
		t.Errorf("with no retention, a missing old token gave %q", p)
	}
}
