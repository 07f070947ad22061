// Command consttime runs the dudect test (internal/dudect) on
// secrets.CompareDigest and, as controls that prove the test has power, on
// bytes.Equal and string ==, for 32-, 64- and 128-byte secrets.
//
// Classes: "fixed" compares the secret with (a fresh copy of) one fixed input
// that differs from it only in the last byte; "random" compares it with a fresh random input,
// which differs in the first byte (almost always). An early-exit comparison
// takes longer on the fixed class; a constant-time one cannot tell them apart.
//
//	go run ./bench/consttime -target all -n 10000000
//	go run ./bench/consttime -target bytes.Equal/32 -duration 1m
//
// It is kept out of CI: a convincing run takes minutes. Results are recorded
// in docs/CONSTANT_TIME.md.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/internal/dudect"
)

var sink bool

func targets() map[string]dudect.Target {
	m := map[string]dudect.Target{}
	for _, size := range []int{32, 64, 128} {
		secret := secrets.TokenBytes(size)
		fixed := bytes.Clone(secret)
		fixed[size-1] ^= 1
		// Each measurement gets its own copy, in both classes, so the classes
		// differ only in content, never in where the input sits in memory
		// (a single reused fixed input would be hot in cache and fake a leak).
		prepare := func(c int) any {
			if c == 0 {
				return bytes.Clone(fixed)
			}
			return secrets.TokenBytes(size)
		}
		secretStr := string(secret)
		prepareStr := func(c int) any {
			if c == 0 {
				return string(bytes.Clone(fixed)) // two allocations, as below
			}
			return string(secrets.TokenBytes(size))
		}
		add := func(name string, prep func(int) any, run func(any)) {
			name = fmt.Sprintf("%s/%d", name, size)
			m[name] = dudect.Target{Name: name, Prepare: prep, Run: run}
		}
		add("CompareDigest", prepare, func(in any) { sink = secrets.CompareDigest(secret, in.([]byte)) })
		add("CompareDigestString", prepareStr, func(in any) { sink = secrets.CompareDigestString(secretStr, in.(string)) })
		// The controls are variable-time on purpose: they prove the test can see a leak.
		//secretsvet:ignore deliberate variable-time control for the dudect test
		add("bytes.Equal", prepare, func(in any) { sink = bytes.Equal(secret, in.([]byte)) })
		//secretsvet:ignore deliberate variable-time control for the dudect test
		add("==", prepareStr, func(in any) { sink = secretStr == in.(string) })
	}
	return m
}

func main() {
	target := flag.String("target", "all", "what to test: all, or one of "+strings.Join(names(), ", "))
	n := flag.Int64("n", 10_000_000, "measurements per target")
	duration := flag.Duration("duration", 0, "stop each target after this long (0: only -n)")
	batch := flag.Int("batch", 1, "calls timed together in one measurement")
	quiet := flag.Bool("q", false, "no progress lines on stderr")
	flag.Parse()

	all := targets()
	var run []string
	if *target == "all" {
		run = names()
	} else if _, ok := all[*target]; ok {
		run = []string{*target}
	} else {
		fmt.Fprintf(os.Stderr, "consttime: error: unknown target %q; choose all or one of %s\n", *target, strings.Join(names(), ", "))
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fmt.Printf("# dudect, %s, batch %d, threshold |t| > %.1f\n", time.Now().UTC().Format(time.DateOnly), *batch, dudect.Threshold)
	for _, name := range run {
		opts := dudect.Options{Measurements: *n, Duration: *duration, Batch: *batch}
		if !*quiet {
			opts.Progress = func(r dudect.Report) {
				fmt.Fprintf(os.Stderr, "%s: %d measurements, max |t| = %.2f\n", r.Target, r.Measurements, r.MaxT())
			}
		}
		r := dudect.Run(ctx, all[name], opts)
		verdict := "no leak found"
		if r.Leaks() {
			verdict = "LEAKS"
		}
		fmt.Printf("%v\n  verdict: %s\n", r, verdict)
	}
}

func names() []string {
	return []string{
		"CompareDigest/32", "CompareDigest/64", "CompareDigestString/32", "CompareDigestString/64",
		"CompareDigest/128", "bytes.Equal/32", "bytes.Equal/64", "bytes.Equal/128", "==/32", "==/64", "==/128",
	}
}
