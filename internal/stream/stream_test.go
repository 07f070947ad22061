package stream

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

func TestTokensWritesCountRecordsOfTheRightShape(t *testing.T) {
	sizes := []int64{0, 1, 2, 3, 31, 32, 33, chunkBytes - 1, chunkBytes, chunkBytes + 1, 2*chunkBytes + 5}
	for _, f := range []Format{Raw, Hex, URLSafe} {
		for _, n := range sizes {
			for _, count := range []int64{0, 1, 3} {
				if n > chunkBytes && count > 1 {
					count = 2
				}
				t.Run(fmt.Sprintf("format %d, %d tokens of %d bytes", f, count, n), func(t *testing.T) {
					var out bytes.Buffer
					var last int64
					err := Tokens(context.Background(), &out, f, n, count, func(done int64) { last = done })
					if err != nil {
						t.Fatal(err)
					}
					checkTokens(t, out.Bytes(), f, n, count)
					if count > 0 && (f != Raw || n > 0) && last != count {
						t.Errorf("progress ended at %d, want %d", last, count)
					}
				})
			}
		}
	}
}

func checkTokens(t *testing.T, out []byte, f Format, n, count int64) {
	t.Helper()
	if f == Raw {
		if int64(len(out)) != n*count {
			t.Fatalf("wrote %d raw bytes, want %d", len(out), n*count)
		}
		return
	}
	if count == 0 {
		if len(out) != 0 {
			t.Fatalf("wrote %d bytes for no tokens", len(out))
		}
		return
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if int64(len(lines)) != count || out[len(out)-1] != '\n' {
		t.Fatalf("wrote %d lines, want %d newline-terminated", len(lines), count)
	}
	for i, l := range lines {
		var raw []byte
		var err error
		if f == Hex {
			raw, err = hex.DecodeString(l)
		} else {
			raw, err = base64.RawURLEncoding.DecodeString(l)
		}
		if err != nil || int64(len(raw)) != n {
			t.Fatalf("line %d decodes to %d bytes (%v), want %d", i, len(raw), err, n)
		}
	}
}

// A long token made of pieces must still be one random value: no piece may
// repeat another (which a buffer reused without refilling would cause).
func TestLongTokensAreNotMadeOfRepeatedPieces(t *testing.T) {
	var out bytes.Buffer
	if err := Tokens(context.Background(), &out, Raw, 4*chunkBytes, 1, nil); err != nil {
		t.Fatal(err)
	}
	b := out.Bytes()
	seen := map[string]bool{}
	for i := 0; i < len(b); i += chunkBytes {
		k := string(b[i : i+64])
		if seen[k] {
			t.Fatalf("piece at %d repeats an earlier piece", i)
		}
		seen[k] = true
	}
}

func TestLinesWritesEveryLineOnce(t *testing.T) {
	var n atomic.Int64
	var out bytes.Buffer
	const count = 10000
	err := Lines(context.Background(), &out, count, func(dst []byte) []byte {
		return fmt.Appendf(dst, "line-%d", n.Add(1))
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != count {
		t.Fatalf("%d lines, want %d", len(lines), count)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[l] || !strings.HasPrefix(l, "line-") {
			t.Fatalf("line %q repeated or malformed", l)
		}
		seen[l] = true
	}
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, errors.New("disk full")
	}
	w.after--
	return len(p), nil
}

func TestTokensStopsAtTheFirstWriteError(t *testing.T) {
	err := Tokens(context.Background(), &failingWriter{after: 2}, Hex, 32, 1_000_000, nil)
	if err == nil || err.Error() != "disk full" {
		t.Fatalf("err = %v, want disk full", err)
	}
}

func TestTokensStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out countingWriter
	err := Tokens(ctx, &out, Raw, 1024, 1<<40, func(done int64) {
		if done > 1000 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func TestNegativeArgumentsAreErrors(t *testing.T) {
	if err := Tokens(context.Background(), &countingWriter{}, Hex, -1, 1, nil); err == nil {
		t.Error("negative size accepted")
	}
	if err := Lines(context.Background(), &countingWriter{}, -1, nil, nil); err == nil {
		t.Error("negative count accepted")
	}
}

func BenchmarkTokens(b *testing.B) {
	// 10,000 urlsafe(32) tokens a round; bench/compare.sh measures the CLI end to end.
	for _, f := range []struct {
		name string
		f    Format
	}{{"raw", Raw}, {"hex", Hex}, {"urlsafe", URLSafe}} {
		b.Run(f.name, func(b *testing.B) {
			b.SetBytes(32 * 10000)
			for b.Loop() {
				if err := Tokens(context.Background(), &countingWriter{}, f.f, 32, 10000, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// largestWrite records the largest single Write, which for run is one job's
// output: the unit of memory held per job in flight.
type largestWrite struct {
	max, total, lines int
}

func (w *largestWrite) Write(p []byte) (int, error) {
	w.max = max(w.max, len(p))
	w.total += len(p)
	w.lines += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

func TestLinesKeepsJobsSmallWhenLinesAreLong(t *testing.T) {
	// 4 KiB lines (a passphrase of 4096 words is 30 KiB; one from a list of
	// long words can be megabytes). With a fixed 4096 lines a job, each job
	// would hold 16 MiB here and 16 GiB for 4 MiB lines; jobs must instead
	// stay near a fixed byte budget, so memory is constant whatever the
	// line length.
	const lineLen, count = 4 << 10, 8192
	w := &largestWrite{}
	err := Lines(context.Background(), w, count, func(dst []byte) []byte {
		return append(dst, strings.Repeat("x", lineLen-1)...)
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w.lines != count || w.total != count*lineLen {
		t.Fatalf("wrote %d lines, %d bytes; want %d, %d", w.lines, w.total, count, count*lineLen)
	}
	if w.max > 2<<20 {
		t.Errorf("a job wrote %d KiB at once, want at most 2048 KiB", w.max>>10)
	}
}
