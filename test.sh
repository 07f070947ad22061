#!/usr/bin/env bash
# test.sh: the project's whole check, as CI runs it.
#   gofmt (no file may need formatting), go vet, secretsvet, and every test with the race
#   detector. PostgreSQL tests run when SECRETS_TEST_POSTGRES_URL is set
#   (.ci/run sets it to the local server) and skip, saying so, otherwise.
# Extra arguments go to go test, e.g. ./test.sh -run TestRandBelow ./...
#
# While the tests run it prints a line per package as it finishes and a line
# per failing test as it fails; then the failures in full, the reason of each
# skip, and "tests: N passed, N failed, N skipped". The whole test output goes
# to a log, kept (and its path printed) when anything failed.
set -uo pipefail
cd "$(dirname "$0")"

fail=0
unformatted=$(gofmt -l . | grep -v '/testdata/' || true)
if [ -n "$unformatted" ]; then
	echo "gofmt: these files need formatting (run gofmt -w):"
	echo "$unformatted"
	fail=1
fi

echo "== go vet ./..."
go vet ./... || fail=1

# The project's own analyzers on the project: no weak randomness, no
# variable-time comparison of secrets, no short tokens.
echo "== secretsvet ./..."
go run ./cmd/secretsvet ./... || fail=1

# The filter that reads go test -json: a program of its own, built outside
# the module so that it is no part of it.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/main.go" <<'GO'
// testfilter LOG COUNTS reads go test -json on stdin. It prints a line per
// package as it finishes and each failing test as it fails, writes the
// plain test output to LOG, and ends with the failures in full and the
// reason of every skip; it writes the counts line to COUNTS. It exits 1 if
// anything failed.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
)

type event struct {
	Action, Package, ImportPath, Test, Output, FailedBuild string
	Elapsed                                                float64
}

type test struct {
	pkg, name string
	out       strings.Builder
	done      bool
}

func main() {
	logf, err := os.Create(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "testfilter:", err)
		os.Exit(2)
	}
	defer logf.Close()
	log := bufio.NewWriter(logf)
	defer log.Flush()

	tests := map[string]*test{} // by package and name
	var order []*test
	pkgOut := map[string]*strings.Builder{} // the package's own lines (not a test's)
	// The log holds each package's whole output in one piece, written when
	// the package ends: packages run at once, and their events interleave.
	pkgLog := map[string]*strings.Builder{}
	var pkgOrder []string
	toLog := func(pkg, text string) {
		b := pkgLog[pkg]
		if b == nil {
			b = &strings.Builder{}
			pkgLog[pkg] = b
			pkgOrder = append(pkgOrder, pkg)
		}
		b.WriteString(text)
	}
	flushLog := func(pkg, result string) {
		fmt.Fprintf(log, "==== %s: %s\n", pkg, result)
		if b := pkgLog[pkg]; b != nil {
			log.WriteString(b.String())
			delete(pkgLog, pkg)
		}
	}
	var passed, failed, skipped []*test
	var failedPkgs []string

	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	for in.Scan() {
		var e event
		if json.Unmarshal(in.Bytes(), &e) != nil {
			// Not an event (go itself failing before it could test): pass it on.
			fmt.Println(in.Text())
			fmt.Fprintln(log, in.Text())
			continue
		}
		if e.Action == "build-output" {
			fmt.Print(e.Output)
			log.WriteString(e.Output)
			continue
		}
		if e.Test == "" {
			switch e.Action {
			case "output":
				toLog(e.Package, e.Output)
				if pkgOut[e.Package] == nil {
					pkgOut[e.Package] = &strings.Builder{}
				}
				pkgOut[e.Package].WriteString(e.Output)
			case "pass":
				fmt.Printf("ok  \t%s\t%.1fs\n", e.Package, e.Elapsed)
				flushLog(e.Package, "ok")
			case "skip":
				fmt.Printf("?   \t%s\t[no test files]\n", e.Package)
				flushLog(e.Package, "no test files")
			case "fail":
				why := ""
				if e.FailedBuild != "" {
					why = " [build failed]"
					toLog(e.Package, "(did not build: the compiler's messages are above)\n")
				}
				fmt.Printf("FAIL\t%s\t%.1fs%s\n", e.Package, e.Elapsed, why)
				failedPkgs = append(failedPkgs, e.Package)
				flushLog(e.Package, "FAIL"+why)
			}
			continue
		}
		key := e.Package + " " + e.Test
		t := tests[key]
		if t == nil {
			t = &test{pkg: e.Package, name: e.Test}
			tests[key] = t
			order = append(order, t)
		}
		switch e.Action {
		case "output":
			t.out.WriteString(e.Output)
			toLog(e.Package, e.Output)
		case "pass":
			t.done = true
			passed = append(passed, t)
		case "skip":
			t.done = true
			skipped = append(skipped, t)
		case "fail":
			t.done = true
			failed = append(failed, t)
			fmt.Printf("--- FAIL: %s (%s)\n", t.name, t.pkg)
		}
	}

	for _, p := range pkgOrder {
		if pkgLog[p] != nil {
			flushLog(p, "did not finish")
		}
	}

	// A test that started but never ended was running when its package
	// died (a panic, a timeout): it failed.
	for _, t := range order {
		if !t.done {
			failed = append(failed, t)
		}
	}

	const most = 400 // lines of failure output shown here; the log has all
	shown := 0
	show := func(text string) {
		for _, l := range strings.SplitAfter(text, "\n") {
			if shown < most && l != "" {
				fmt.Print(l)
				if !strings.HasSuffix(l, "\n") {
					fmt.Println()
				}
			}
			shown++
		}
	}
	if len(failed) > 0 || len(failedPkgs) > 0 {
		fmt.Println("\n== failures")
		for _, t := range failed {
			if t.out.Len() == 0 || hasFailedChild(t, failed) {
				continue // its subtests say why
			}
			fmt.Printf("-- %s %s\n", t.pkg, t.name)
			show(t.out.String())
		}
		for _, p := range failedPkgs {
			// The package's own lines, less go test's verdict lines.
			var out strings.Builder
			if b := pkgOut[p]; b != nil {
				for _, l := range strings.SplitAfter(b.String(), "\n") {
					if l != "FAIL\n" && l != "PASS\n" && !strings.HasPrefix(l, "FAIL\t"+p) && !strings.HasPrefix(l, "ok  \t"+p) {
						out.WriteString(l)
					}
				}
			}
			if strings.TrimSpace(out.String()) != "" {
				fmt.Printf("-- %s\n", p)
				show(out.String())
			} else if !slices.ContainsFunc(failed, func(t *test) bool { return t.pkg == p }) {
				fmt.Printf("-- %s did not build, or failed outside its tests (see above)\n", p)
			}
		}
		if shown > most {
			fmt.Printf("… %d more lines in the log\n", shown-most)
		}
	}

	if len(skipped) > 0 {
		fmt.Println("\n== skipped, by reason")
		byReason := map[string][]string{}
		for _, t := range skipped {
			r := skipReason(t.out.String())
			byReason[r] = append(byReason[r], strings.TrimPrefix(t.pkg, modulePrefix(t.pkg))+" "+t.name)
		}
		reasons := make([]string, 0, len(byReason))
		for r := range byReason {
			reasons = append(reasons, r)
		}
		sort.Slice(reasons, func(i, j int) bool {
			a, b := byReason[reasons[i]], byReason[reasons[j]]
			return len(a) > len(b) || len(a) == len(b) && reasons[i] < reasons[j]
		})
		for _, r := range reasons {
			names := byReason[r]
			list := strings.Join(names[:min(len(names), 3)], ", ")
			if len(names) > 3 {
				list += fmt.Sprintf(" and %d more", len(names)-3)
			}
			fmt.Printf("%4d  %s  (%s)\n", len(names), r, list)
		}
	}

	// A package that failed with no failing test (it did not build, or
	// TestMain failed) counts as one failure.
	nfailed := len(failed)
	for _, p := range failedPkgs {
		if !slices.ContainsFunc(failed, func(t *test) bool { return t.pkg == p }) {
			nfailed++
		}
	}
	// The closing line is test.sh's to print, after the log's path.
	counts := fmt.Sprintf("tests: %d passed, %d failed, %d skipped\n", len(passed), nfailed, len(skipped))
	if err := os.WriteFile(os.Args[2], []byte(counts), 0o644); err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	if len(failed) > 0 || len(failedPkgs) > 0 {
		log.Flush()
		os.Exit(1)
	}
}

func hasFailedChild(t *test, failed []*test) bool {
	for _, f := range failed {
		if f.pkg == t.pkg && strings.HasPrefix(f.name, t.name+"/") && f.out.Len() > 0 {
			return true
		}
	}
	return false
}

var logLine = regexp.MustCompile(`^\s+\S+\.go:\d+: `)

// skipReason is the message of t.Skip: the last line the test logged
// before "--- SKIP", without its file:line, so that tests skipped for one
// reason are counted together.
func skipReason(out string) string {
	reason := ""
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "=== "), strings.Contains(l, "--- SKIP"), strings.TrimSpace(l) == "":
		case logLine.MatchString(l):
			reason = strings.TrimSpace(l[len(logLine.FindString(l)):])
		case reason == "":
			reason = strings.TrimSpace(l)
		}
	}
	if reason == "" {
		return "(no reason given)"
	}
	return reason
}

// modulePrefix is the part of an import path before the package's own
// directory in this module, dropped to keep the summary short.
func modulePrefix(pkg string) string {
	const mod = "github.com/unguessable/secrets/"
	if strings.HasPrefix(pkg, mod) {
		return mod
	}
	return ""
}
GO
printf 'module testfilter\n\ngo 1.26\n' > "$tmp/go.mod"
if ! (cd "$tmp" && go build -o testfilter .); then
	echo "test.sh: cannot build the go test -json filter, so no test ran"
	echo "tests: 0 passed, 1 failed, 0 skipped"
	exit 1
fi

args=("$@")
[ ${#args[@]} -eq 0 ] && args=(./...)
log=$(mktemp -t secrets-test.XXXXXX.log)
echo "== go test -race -count=1 ${args[*]}"
go test -race -count=1 -json "${args[@]}" 2>&1 | "$tmp/testfilter" "$log" "$tmp/counts"
statuses=("${PIPESTATUS[@]}")
echo
if [ "${statuses[0]}" -ne 0 ] || [ "${statuses[1]}" -ne 0 ]; then
	echo "the whole test output is kept in $log"
	fail=1
else
	rm -f "$log"
fi
if [ -s "$tmp/counts" ]; then
	cat "$tmp/counts"
else
	echo "test.sh: the go test -json filter failed"
	echo "tests: 0 passed, 1 failed, 0 skipped"
	fail=1
fi
exit $fail
