// Command battery runs ent and rngtest (internal/randtest) on a large stream
// of `secrets bytes` output and, as the reference a true random source is
// judged by, on /dev/urandom; it prints every figure and the verdicts.
//
//	go run ./bench/battery -bytes 1000000000
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/unguessable/secrets/internal/randtest"
	"github.com/unguessable/secrets/internal/stream"
)

func secretsStream(n int64) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		err := stream.Tokens(context.Background(), pw, stream.Raw, 1<<20, n>>20, nil)
		if err == nil && n%(1<<20) != 0 {
			err = stream.Tokens(context.Background(), pw, stream.Raw, n%(1<<20), 1, nil)
		}
		pw.CloseWithError(err)
	}()
	return pr
}

func urandom(n int64) io.Reader {
	f, err := os.Open("/dev/urandom")
	if err != nil {
		fail(err)
	}
	return io.LimitReader(f, n)
}

func main() {
	n := flag.Int64("bytes", 1_000_000_000, "bytes to test from each source")
	flag.Parse()
	blocks := *n*8/20000 - 1 // rngtest keeps the first 32 bits for its continuous test
	fmt.Printf("# ent and rngtest, %s, %d bytes per source\n", time.Now().UTC().Format(time.DateOnly), *n)
	ok := true
	for _, src := range []struct {
		name string
		r    func(int64) io.Reader
	}{{"secrets bytes", secretsStream}, {"/dev/urandom (reference)", urandom}} {
		e, err := randtest.RunEnt(src.r(*n))
		if err != nil {
			fail(err)
		}
		verdict := "pass"
		if err := e.Check(); err != nil {
			verdict, ok = "FAIL: "+err.Error(), false
		}
		fmt.Printf("%s\n  %v\n  verdict: %s\n", src.name, e, verdict)
		rt, err := randtest.RunRngtest(src.r(*n), blocks)
		if err != nil {
			fail(err)
		}
		verdict = "pass"
		if err := rt.Check(1e-6); err != nil {
			verdict, ok = "FAIL: "+err.Error(), false
		}
		fmt.Printf("  %v\n  most failures a true random source exceeds with probability 1e-6: %d\n  verdict: %s\n",
			rt, randtest.MaxFailures(rt.Successes+rt.Failures, randtest.FIPSFailureRate, 1e-6), verdict)
	}
	if !ok {
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "battery:", err)
	os.Exit(2)
}
