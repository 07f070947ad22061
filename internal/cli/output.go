package cli

import (
	"bufio"
	"context"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/unguessable/secrets/internal/stream"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressAfter is how long a bulk run goes before it shows a progress bar.
const progressAfter = time.Second

// newProgress returns a stream.Progress that draws a bar on stderr once a run
// of total results has taken longer than progressAfter, and only when stderr
// is a terminal; and a function to finish the bar. Both are no-ops otherwise.
func newProgress(s Streams, total int64) (stream.Progress, func()) {
	if total < 2 || !isTerminal(s.Err) {
		return nil, func() {}
	}
	// The bar follows the run from its start, so that its rate and estimate
	// are right, but writes nothing until the run has lasted progressAfter.
	gate := &gatedWriter{w: s.Err, opensAt: time.Now().Add(progressAfter)}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(gate),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("results"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	update := func(done int64) { _ = bar.Set64(done) }
	finish := func() {
		if gate.open() {
			_ = bar.Finish()
		}
	}
	return update, finish
}

// writeLines streams count lines made by line to s.Out, buffered, in parallel
// and with a progress bar where one helps.
func writeLines(ctx context.Context, s Streams, count int64, line func(dst []byte) []byte) error {
	bw := bufio.NewWriterSize(s.Out, 64<<10)
	progress, finish := newProgress(s, count)
	err := stream.Lines(ctx, bw, count, line, progress)
	finish()
	if err != nil {
		return err
	}
	return bw.Flush()
}

// gatedWriter discards writes until opensAt, then passes them to w.
type gatedWriter struct {
	w       io.Writer
	opensAt time.Time
}

func (g *gatedWriter) open() bool { return !time.Now().Before(g.opensAt) }

func (g *gatedWriter) Write(p []byte) (int, error) {
	if !g.open() {
		return len(p), nil
	}
	return g.w.Write(p)
}
