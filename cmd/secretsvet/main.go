// Command secretsvet reports math/rand values that become secrets, secrets
// compared in variable time, and tokens with less than 128 bits.
//
// Run it on its own:
//
//	secretsvet [-json | -sarif] [-test] ./...
//
// or as go vet's tool, which then runs it package by package:
//
//	go vet -vettool=$(which secretsvet) ./...
//
// -sarif writes a SARIF 2.1.0 log, as GitHub code scanning takes it, with
// locations relative to the current directory.
//
// A package that does not parse or type-check is named on stderr with its
// first error and skipped; the others are analysed. It exits 3 when it
// reports findings (with -json or -sarif too), otherwise 1 when it skipped a package
// or failed, 0 when it finds nothing, and 2 on a bad command line or a
// pattern that names no package. A "//secretsvet:ignore reason" comment on
// a line silences that line.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"golang.org/x/tools/go/analysis/unitchecker"

	"github.com/unguessable/secrets/analysis/secretsvet"
)

func main() {
	if invokedByGoVet(os.Args[1:]) {
		unitchecker.Main(secretsvet.Analyzers...) // exits
	}
	if os.Getenv("GOGC") == "" {
		// Type-checked syntax trees are most of the heap and live until
		// the end: collecting less often saves about a quarter of the CPU
		// time on a large package for about twice the memory (190 MB to
		// 350 MB on nats-server's server package).
		debug.SetGCPercent(400)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// invokedByGoVet reports whether go vet runs us: it asks for -V=full and
// -flags, then passes one .cfg file per package.
func invokedByGoVet(args []string) bool {
	if len(args) == 0 {
		return false
	}
	a := args[len(args)-1]
	return strings.HasSuffix(a, ".cfg") || strings.HasPrefix(args[0], "-V") || args[0] == "-flags"
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("secretsvet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonOut := fs.Bool("json", false, "write findings as JSON on stdout")
	sarif := fs.Bool("sarif", false, "write findings as a SARIF 2.1.0 log on stdout (for GitHub code scanning)")
	tests := fs.Bool("test", false, "also check test files")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: secretsvet [-json | -sarif] [-test] [packages]\n       go vet -vettool=$(which secretsvet) [packages]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *jsonOut && *sarif {
		fmt.Fprintln(stderr, "secretsvet: -json and -sarif exclude each other")
		return 2
	}
	out := stderr // findings go to stderr like go vet's, JSON and SARIF to stdout
	if *jsonOut || *sarif {
		out = stdout
	}
	n, err := secretsvet.Run(fs.Args(), secretsvet.Options{JSON: *jsonOut, SARIF: *sarif, Tests: *tests}, out)
	if errors.Is(err, secretsvet.ErrPattern) || errors.Is(err, secretsvet.ErrNoPackages) {
		fmt.Fprintf(stderr, "secretsvet: %v\n", err)
		return 2
	}
	var broken *secretsvet.LoadError
	switch {
	case errors.As(err, &broken):
		for _, p := range broken.Packages {
			fmt.Fprintf(stderr, "secretsvet: %s: not analysed: %s\n", p.Path, p.Err)
		}
	case err != nil:
		fmt.Fprintf(stderr, "secretsvet: %v\n", err)
		return 1
	}
	switch {
	case n > 0:
		return 3
	case broken != nil:
		return 1
	}
	return 0
}
