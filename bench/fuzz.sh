#!/usr/bin/env bash
# bench/fuzz.sh: run every Fuzz test in the module for a while, one after the
# other, and keep what the fuzzer found.
#
#   bench/fuzz.sh [DURATION] [PATTERN]    default 10m each, every target
#
# For each target it logs go test's last progress line (executions, rate,
# new interesting inputs) to bench/out/fuzz.txt and copies the inputs the
# fuzzer found interesting from the Go build cache into the package's
# testdata/fuzz/<Target>/, so they become part of the seed corpus that every
# plain `go test` runs. A crash fails the run and leaves its input in
# testdata/fuzz as go test does.
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10m}
pattern=${2:-.}
mkdir -p bench/out
log=bench/out/fuzz.txt
cache=$(go env GOCACHE)/fuzz/$(go list -m)
echo "# fuzzing, $(date -u +%Y-%m-%dT%H:%MZ), $dur per target, $(nproc) cores, $(go version | cut -d' ' -f3)" | tee -a "$log"
grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
	dir=$(dirname "$file")
	pkg=$(go list "$dir")
	for target in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
		[[ "$pkg.$target" =~ $pattern ]] || continue
		echo "== $pkg $target" | tee -a "$log"
		last=bench/out/fuzz-$target.txt
		if ! go test -run '^$' -fuzz "^$target\$" -fuzztime "$dur" -parallel 1 "$dir" > "$last" 2>&1; then
			cat "$last"
			echo "FAILED: $pkg $target" | tee -a "$log"
			exit 1
		fi
		# The last progress line, with the rate over the whole run (go test's
		# own figure in that line covers only its last interval).
		grep -E '^fuzz: elapsed' "$last" | tail -1 | sed -E 's/ \([0-9]+\/sec\)//' |
			awk '{ print; e = $3; sub(/,$/, "", e); s = 0
			       if (match(e, /[0-9]+h/)) s += substr(e, RSTART, RLENGTH - 1) * 3600
			       if (match(e, /[0-9]+m/)) s += substr(e, RSTART, RLENGTH - 1) * 60
			       if (match(e, /[0-9.]+s/)) s += substr(e, RSTART, RLENGTH - 1)
			       x = $5; sub(/,$/, "", x); if (s > 0) printf "rate: %.0f execs/sec over %ds\n", x / s, s }' | tee -a "$log"
		rel=${pkg#"$(go list -m)"}
		src=$cache$rel/$target
		if [ -d "$src" ]; then
			mkdir -p "$dir/testdata/fuzz/$target"
			cp -n "$src"/* "$dir/testdata/fuzz/$target/" 2>/dev/null || true
			echo "corpus: $(ls "$dir/testdata/fuzz/$target" | wc -l) inputs in $dir/testdata/fuzz/$target" | tee -a "$log"
		fi
	done
done
