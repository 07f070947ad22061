#!/usr/bin/env bash
# vet-compare.sh: secretsvet against gosec's G404 on the labelled corpus in
# analysis/testdata/corpus, then the time each takes to vet this repository.
#
# A case is one function, labelled by a "// label: X" line just above it
# (weak, ok, timing, timing-ok; see the corpus README). A tool flags a case
# when it reports any line of the function. Precision = flagged cases that are
# weak / all flagged cases; recall = flagged weak cases / all weak cases.
# gosec has no rule for timing-unsafe comparison, so its timing recall is 0.
#
# gosec is installed into a temporary GOBIN (not go.mod):
#   go install github.com/securego/gosec/v2/cmd/gosec@v2.30.0
# or taken from $GOSEC when set (bench/vet-realworld.sh leaves one in
# /tmp/vet-realworld/bin/gosec). Times are CPU seconds (user and system,
# the tool's and go list's), which a machine's other jobs disturb less than
# the wall clock.
# Usage: bench/vet-compare.sh [runs]   (runs of the speed test, default 5)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
corpus=$root/analysis/testdata/corpus
runs=${1:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "building secretsvet; gosec v2.30.0 from \$GOSEC or installed into $tmp/bin" >&2
(cd "$root" && go build -o "$tmp/bin/secretsvet" ./cmd/secretsvet)
if [ -z "${GOSEC:-}" ]; then
	(cd "$tmp" && GOBIN=$tmp/bin GOFLAGS= go install github.com/securego/gosec/v2/cmd/gosec@v2.30.0)
fi
secretsvet=$tmp/bin/secretsvet
gosec=${GOSEC:-$tmp/bin/gosec}

# cases: file start end label, one line per labelled function (a function
# written on one line is a case too; it used to swallow the cases after it).
for f in "$corpus"/*.go; do
	awk -v file="$(basename "$f")" '
		/^\/\/ label: / { label = $3; next }
		/^func .*}$/ && label != "" { print file, NR, NR, label; label = ""; next }
		/^func / && label != "" { start = NR; inside = 1; next }
		inside && /^}/ { print file, start, NR, label; inside = 0; label = "" }
	' "$f"
done > "$tmp/cases"

# findings: analyzer file line.
(cd "$corpus" && "$secretsvet" ./... 2>&1 || true) |
	sed -n 's|^.*/\([^/]*\.go\):\([0-9]*\):[0-9]*: \(.*\)$|\1 \2 \3|p' |
	awk '{ a = ($0 ~ /weak random value/) ? "weakrand" : ($0 ~ /in variable time/) ? "timingcompare" : "other"; print a, $1, $2 }' > "$tmp/secretsvet.findings"
(cd "$corpus" && "$gosec" -include=G404 -fmt=json -quiet ./... 2>/dev/null || true) |
	grep -E '^\s*"(file|line)": ' | sed 's/.*: "\(.*\)",*$/\1/' | paste - - |
	awk '{ n = split($1, p, "/"); print "G404", p[n], $2 }' > "$tmp/gosec.findings"

# score TOOL ANALYZER POSITIVE NEGATIVE
score() {
	awk -v want="$2" -v pos="$3" -v neg="$4" -v tool="$1" '
		FNR == NR { if ($1 == want) { f[NR] = $2; l[NR] = $3; n = NR } ; next }
		$4 == pos || $4 == neg {
			hit = 0
			for (i in f) if (f[i] == $1 && l[i] >= $2 && l[i] <= $3) hit = 1
			if ($4 == pos) { P++; if (hit) TP++ } else { N++; if (hit) FP++ }
		}
		END {
			prec = (TP + FP) ? TP / (TP + FP) : 0
			rec = P ? TP / P : 0
			printf "%-22s %-7s cases %2d %-9s %2d %-9s  flagged %2d of %2d, %2d of %2d  precision %.2f  recall %.2f\n",
				tool, pos, P, pos, N, neg, TP, P, FP, N, prec, rec
		}' "$tmp/$1.findings" "$tmp/cases"
}

echo "== labelled corpus: $(wc -l < "$tmp/cases") cases in $corpus"
score secretsvet weakrand weak ok
score gosec G404 weak ok
score secretsvet timingcompare timing timing-ok
score gosec G404 timing timing-ok

# Speed: wall time to vet the whole main module (each tool's own loading
# included), median of $runs runs after one warm-up.
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# timeit CMD...: the CPU seconds (user and system, children included) CMD takes.
timeit() {
	local TIMEFORMAT='%U %S'
	{ time ("$@" > /dev/null 2>&1 || true); } 2>&1 | awk 'END { printf "%.3f\n", $1 + $2 }'
}
cd "$root"
pkgs=$(go list ./... | wc -l)
timeit "$secretsvet" ./... > /dev/null
timeit "$gosec" -include=G404 -quiet ./... > /dev/null
sv=$(for _ in $(seq "$runs"); do timeit "$secretsvet" ./...; done | median)
gs=$(for _ in $(seq "$runs"); do timeit "$gosec" -include=G404 -quiet ./...; done | median)
echo "== speed: vetting $root ($pkgs packages), CPU time, median of $runs runs"
printf "secretsvet ./...             %6.2f s\n" "$sv"
printf "gosec -include=G404 ./...    %6.2f s\n" "$gs"
printf "gosec / secretsvet           %6.2f\n" "$(echo "$gs / $sv" | bc -l)"

# The standard library's net/... : a large real module, vetted as a whole.
goroot=$(go env GOROOT)
netpkgs=$(go list net/... | wc -l)
sv=$(for _ in $(seq "$runs"); do (cd "$tmp" && timeit "$secretsvet" net/...); done | median)
gs=$(for _ in $(seq "$runs"); do (cd "$goroot/src" && timeit "$gosec" -include=G404 -quiet ./net/...); done | median)
echo "== speed: vetting the standard library's net/... ($netpkgs packages), CPU time, median of $runs runs"
printf "secretsvet net/...           %6.2f s\n" "$sv"
printf "gosec -include=G404 ./net/...%6.2f s\n" "$gs"
printf "gosec / secretsvet           %6.2f\n" "$(echo "$gs / $sv" | bc -l)"
