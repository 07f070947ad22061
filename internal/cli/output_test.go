package cli

import (
	"bytes"
	"testing"
	"time"
)

func TestGatedWriterDiscardsUntilItOpens(t *testing.T) {
	var buf bytes.Buffer
	g := &gatedWriter{w: &buf, opensAt: time.Now().Add(time.Hour)}
	if n, err := g.Write([]byte("early")); n != 5 || err != nil || buf.Len() != 0 || g.open() {
		t.Fatalf("write before opening: n %d, err %v, passed %q", n, err, buf.String())
	}
	g.opensAt = time.Now().Add(-time.Second)
	if _, err := g.Write([]byte("late")); err != nil || buf.String() != "late" || !g.open() {
		t.Fatalf("write after opening passed %q (%v)", buf.String(), err)
	}
}

func TestNoProgressBarWhenStderrIsNotATerminal(t *testing.T) {
	var errb bytes.Buffer
	progress, finish := newProgress(Streams{Err: &errb}, 1_000_000)
	if progress != nil {
		t.Fatal("a progress callback for a non-terminal stderr")
	}
	finish()
	if errb.Len() != 0 {
		t.Fatalf("wrote %q to a non-terminal stderr", errb.String())
	}
}
