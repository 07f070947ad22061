// Package stream writes large numbers of random tokens or generated lines to
// an io.Writer in constant memory, using every core: workers fill and encode
// chunks in parallel while a single writer emits them in order.
package stream

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Format says how random bytes are written.
type Format int

const (
	// Raw writes the bytes themselves, with no separator between tokens.
	Raw Format = iota
	// Hex writes each token as lower-case hexadecimal followed by a newline.
	Hex
	// URLSafe writes each token as unpadded base64url followed by a newline.
	URLSafe
)

// chunkBytes is how many random bytes one job handles at most. It is a
// multiple of 3 so that base64 pieces of one long token concatenate into the
// base64 of the whole token.
const chunkBytes = 3 << 16

// Progress is told how many tokens or lines have been written so far. It is
// called from a single goroutine.
type Progress func(done int64)

// Tokens writes count tokens of nbytes random bytes each to w in format f.
// Tokens longer than one chunk are generated in pieces, so memory stays
// constant whatever nbytes and count are. It stops early, returning ctx.Err(),
// when ctx is cancelled, and returns the first write error.
func Tokens(ctx context.Context, w io.Writer, f Format, nbytes, count int64, progress Progress) error {
	if nbytes < 0 || count < 0 {
		return fmt.Errorf("stream: negative size %d or count %d", nbytes, count)
	}
	if nbytes == 0 && f == Raw || count == 0 {
		return nil
	}
	jobs := func(yield func(job) bool) {
		if nbytes <= chunkBytes {
			per := max(1, chunkBytes/max(nbytes, 1))
			for done := int64(0); done < count; {
				k := min(per, count-done)
				done += k
				if !yield(job{records: k, endsRecord: true}) {
					return
				}
			}
			return
		}
		for range count {
			for left := nbytes; left > 0; {
				piece := min(left, chunkBytes)
				left -= piece
				if !yield(job{records: 1, piece: piece, endsRecord: left == 0}) {
					return
				}
			}
		}
	}
	work := func(dst, scratch []byte, j job) ([]byte, []byte) {
		size := nbytes
		if j.piece > 0 {
			size = j.piece
		}
		need := int(size * j.records)
		if cap(scratch) < need {
			scratch = make([]byte, need)
		}
		raw := scratch[:need]
		rand.Read(raw)
		// Size the output once, then encode each record in place.
		enc := int(size)
		switch f {
		case Hex:
			enc = hex.EncodedLen(int(size))
		case URLSafe:
			enc = base64.RawURLEncoding.EncodedLen(int(size))
		}
		line := enc
		if f != Raw && j.endsRecord {
			line++
		}
		start := len(dst)
		dst = slices.Grow(dst, line*int(j.records))[:start+line*int(j.records)]
		for i := range int(j.records) {
			src := raw[i*int(size) : (i+1)*int(size)]
			out := dst[start+i*line : start+(i+1)*line]
			switch f {
			case Raw:
				copy(out, src)
			case Hex:
				hex.Encode(out, src)
			case URLSafe:
				base64.RawURLEncoding.Encode(out, src)
			}
			if line > enc {
				out[enc] = '\n'
			}
		}
		clear(raw)
		return dst, scratch
	}
	return run(ctx, w, jobs, work, progress)
}

// Lines writes count lines to w. line appends one generated line, without
// its newline, to dst and returns the extended slice; it is called from
// several goroutines at once and must be safe for that.
func Lines(ctx context.Context, w io.Writer, count int64, line func(dst []byte) []byte, progress Progress) error {
	if count < 0 {
		return fmt.Errorf("stream: negative count %d", count)
	}
	// Lines are usually short, and a few thousand a job amortises the
	// hand-off; but a line can be long (a passphrase of thousands of words),
	// so a job holds at most about jobBytes, judged by the longest line seen
	// so far. Until a line has been seen, a job is one line.
	const (
		maxPer   = 4096
		firstPer = 1
		jobBytes = 1 << 20
	)
	var longest atomic.Int64 // longest line seen, newline included
	jobs := func(yield func(job) bool) {
		for done := int64(0); done < count; {
			per := int64(firstPer)
			if l := longest.Load(); l > 0 {
				per = min(max(jobBytes/l, 1), maxPer)
			}
			k := min(per, count-done)
			done += k
			if !yield(job{records: k, endsRecord: true}) {
				return
			}
		}
	}
	work := func(dst, scratch []byte, j job) ([]byte, []byte) {
		var most int64
		for range j.records {
			start := len(dst)
			dst = line(dst)
			dst = append(dst, '\n')
			most = max(most, int64(len(dst)-start))
		}
		for {
			l := longest.Load()
			if most <= l || longest.CompareAndSwap(l, most) {
				break
			}
		}
		return dst, scratch
	}
	return run(ctx, w, jobs, work, progress)
}

// job is one unit of work: records whole records, or (piece > 0) a piece of
// one long record, the last piece of which has endsRecord set.
type job struct {
	records    int64
	piece      int64
	endsRecord bool
}

// result carries one job's output from a worker to the writer.
type result struct {
	out  []byte
	done chan struct{}
	j    job
}

// run hands jobs to one worker per core and writes their output in job order.
// At most 2 x workers results are in flight, which bounds memory.
func run(ctx context.Context, w io.Writer, jobs func(func(job) bool), work func(dst, scratch []byte, j job) ([]byte, []byte), progress Progress) error {
	workers := runtime.GOMAXPROCS(0)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	todo := make(chan *result)
	order := make(chan *result, 2*workers)
	free := make(chan []byte, 3*workers)

	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var scratch []byte
			for r := range todo {
				var dst []byte
				select {
				case dst = <-free:
				default:
				}
				r.out, scratch = work(dst[:0], scratch, r.j)
				close(r.done)
			}
		}()
	}

	// stopped is set by the producer before it closes order, so the writer
	// reads it only after the range over order ends.
	var stopped bool
	go func() {
		defer close(order)
		defer close(todo)
		jobs(func(j job) bool {
			r := &result{j: j, done: make(chan struct{})}
			// order first, so the writer sees jobs in the sequence they were made.
			select {
			case order <- r:
			case <-ctx.Done():
				stopped = true
				return false
			}
			select {
			case todo <- r:
				return true
			case <-ctx.Done():
				stopped = true
				return false
			}
		})
	}()

	var err error
	var written int64
	for r := range order {
		select {
		case <-r.done:
		case <-ctx.Done():
		}
		if err == nil && ctx.Err() != nil {
			err = ctx.Err()
		}
		if err != nil {
			continue // drain so the producer and workers can finish
		}
		if _, werr := w.Write(r.out); werr != nil {
			err = werr
			cancel()
			continue
		}
		if r.j.endsRecord {
			written += r.j.records
			if progress != nil {
				progress(written)
			}
		}
		select {
		case free <- r.out[:0]:
		default:
		}
	}
	// A cancellation can stop the producer before the writer sees another
	// result; the output is then short, and that must be an error.
	if err == nil && stopped {
		err = ctx.Err()
	}
	cancel()
	wg.Wait()
	return err
}
