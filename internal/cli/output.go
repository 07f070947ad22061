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
	start := time.Now()
	// The bar is made now so that its rate and estimate count from the start,
	// but it is drawn only once the run has lasted progressAfter.
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(s.Err),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("results"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	shown := false
	update := func(done int64) {
		if !shown && time.Since(start) < progressAfter {
			return
		}
		shown = true
		_ = bar.Set64(done)
	}
	finish := func() {
		if shown {
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
