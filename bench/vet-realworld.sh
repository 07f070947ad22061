#!/usr/bin/env bash
# vet-realworld.sh: secretsvet and gosec's G404 on public modules at pinned
# versions, scored against hand-made labels, and the time each takes.
#
# The modules are listed in bench/vet-realworld/modules.txt: vulnerable
# versions of publicly reported weak-randomness and timing bugs, and popular
# modules that use math/rand or compare keys and MACs harmlessly. Each is
# fetched through the Go toolchain (go mod download, from the module proxy),
# copied into a writable work tree ($VET_REALWORLD_DIR, default
# /tmp/vet-realworld) and given a go.mod if it has none, so that both tools
# vet the same packages as a user would in a checkout of the module.
#
# Every finding is looked up in bench/vet-realworld/labels.txt (rule,
# location, verdict true/false/debatable, reason); a finding without a label
# is printed as UNLABELLED and counts as not true until someone labels it.
# bench/vet-realworld/flows.txt lists the security-relevant flows that the
# labels and the reports establish, with the lines where a report counts as
# catching each (the source, the sink or the comparison); recall is the share
# of those that a tool reports on one of their lines.
#
# gosec is installed into the work tree's bin (not go.mod):
#   go install github.com/securego/gosec/v2/cmd/gosec@v2.30.0
# Usage: bench/vet-realworld.sh [runs]   (timed runs after one warm-up, default 3)
# VET_REALWORLD_SKIP_GOSEC_WARMUP=1 skips gosec's warm-up run (when its
# cache is already warm from an earlier run).
# The first run downloads about 300 MB of modules; later runs reuse them.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data=$root/bench/vet-realworld
runs=${1:-3}
work=${VET_REALWORLD_DIR:-/tmp/vet-realworld}
mkdir -p "$work/bin" "$work/src" "$work/out"

echo "building secretsvet; gosec v2.30.0 in $work/bin" >&2
(cd "$root" && go build -o "$work/bin/secretsvet" ./cmd/secretsvet)
if [ ! -x "$work/bin/gosec" ]; then
	(cd "$work" && GOBIN=$work/bin GOFLAGS= go install github.com/securego/gosec/v2/cmd/gosec@v2.30.0)
fi
secretsvet=$work/bin/secretsvet
gosec=$work/bin/gosec
export GOFLAGS=-mod=mod GOWORK=off

# modules: name modver pkgs kind (comments and blank lines dropped)
grep -v -e '^#' -e '^[[:space:]]*$' "$data/modules.txt" | awk '{ print $1, $2, $3, $4 }' > "$work/modules"

# Fetch and lay out each module once.
while read -r name modver pkgs kind; do
	dst=$work/src/$name
	[ -e "$dst/.ready" ] && continue
	rm -rf "$dst"
	dir=$(go mod download -json "$modver" | jq -r .Dir)
	cp -r "$dir" "$dst"
	chmod -R u+w "$dst"
	(
		cd "$dst"
		[ -f go.mod ] || go mod init "${modver%@*}" 2> /dev/null
		# Resolve and build what the packages import (fills go.sum and the
		# build cache, so the timed runs are warm).
		go build ${pkgs//,/ } > /dev/null
	)
	touch "$dst/.ready"
done < "$work/modules"

# run TOOL NAME PKGS: the tool's findings in one module as "rule name/file:line".
run() {
	local tool=$1 name=$2 pkgs=${3//,/ }
	cd "$work/src/$name"
	case $tool in
	secretsvet)
		"$secretsvet" -json $pkgs 2> "$work/out/$name.secretsvet.stderr" |
			jq -r 'to_entries[] | .value | to_entries[] | .key as $a | .value | arrays | .[] | "\($a) \(.posn)"'
		;;
	gosec)
		"$gosec" -include=G404 -fmt=json -quiet -no-fail $pkgs 2> "$work/out/$name.gosec.stderr" |
			jq -r '.Issues[]? | "\(.rule_id) \(.file):\(.line | split("-")[0])"'
		;;
	golist)
		# The go list that go/packages runs to load the packages with their
		# dependencies' export data: both tools pay it (gosec once a
		# package), so it bounds how much faster either can be.
		go list -e -json -compiled=true -test=false -export=true -deps=true -find=false -pgo=off -- $pkgs > /dev/null 2>&1
		;;
	esac | sed -e "s|$work/src/||" -e 's|:\([0-9]*\):[0-9]*$|:\1|' | sort -u
}

# runall TOOL: every module, findings to out/TOOL.findings; prints the wall
# time and the CPU time (user and system, the tool's and go list's) in
# seconds. The CPU time is the fairer figure on a machine with other jobs.
runall() {
	local tool=$1 TIMEFORMAT='%R %U %S'
	{ time (
		while read -r name modver pkgs kind; do
			(run "$tool" "$name" "$pkgs") || true
		done < "$work/modules" > "$work/out/$tool.findings"
	); } 2>&1 | awk 'END { printf "%.3f %.3f\n", $1, $2 + $3 }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

runall secretsvet > /dev/null
[ -n "${VET_REALWORLD_SKIP_GOSEC_WARMUP:-}" ] || runall gosec > /dev/null
# Interleaved, so that a change in the machine's other load falls on all three.
: > "$work/out/secretsvet.times"
: > "$work/out/gosec.times"
: > "$work/out/golist.times"
for _ in $(seq "$runs"); do
	runall secretsvet >> "$work/out/secretsvet.times"
	runall gosec >> "$work/out/gosec.times"
	runall golist >> "$work/out/golist.times"
done
sv=$(cut -d' ' -f1 "$work/out/secretsvet.times" | median)
gs=$(cut -d' ' -f1 "$work/out/gosec.times" | median)
svc=$(cut -d' ' -f2 "$work/out/secretsvet.times" | median)
gsc=$(cut -d' ' -f2 "$work/out/gosec.times" | median)
glc=$(cut -d' ' -f2 "$work/out/golist.times" | median)

# Score: labels are "rule location verdict reason...", findings "rule location".
labels=$(grep -v -e '^#' -e '^[[:space:]]*$' "$data/labels.txt" || true)
flows=$(grep -v -e '^#' -e '^[[:space:]]*$' "$data/flows.txt" || true)
cat "$work/out/secretsvet.findings" "$work/out/gosec.findings" > "$work/out/all.findings"

# score TITLE NAMES: precision of each rule on the findings in the modules
# whose names match the regular expression NAMES, and recall of their flows.
score() {
	echo "== $1, findings by rule"
	printf "%-14s %8s %5s %6s %9s %11s %10s %s\n" rule findings true false debatable unlabelled precision "(debatable left out)"
	for rule in weakrand G404 timingcompare shorttoken; do
		awk -v rule="$rule" -v names="^($2)/" '
			FNR == NR { v[$1 " " $2] = $3; next }
			$1 == rule && $2 ~ names {
				n++
				x = v[$1 " " $2]
				if (x == "true") t++; else if (x == "false") f++; else if (x == "debatable") d++; else u++
			}
			END {
				# no findings: no precision (printed as -)
				p = n ? sprintf("%.2f", t / n) : "-"
				q = (n - d) ? sprintf("%.2f", t / (n - d)) : "-"
				printf "%-14s %8d %5d %6d %9d %11d %10s %s\n", rule, n, t, f, d, u, p, q
			}' <(echo "$labels") "$work/out/all.findings"
	done
	echo "== $1, recall of the security-relevant flows in flows.txt (a flow is caught by a report on one of its lines)"
	# flows: id rule locations(comma-separated) kind description...
	for tool in weakrand G404 timingcompare; do
		want=$tool
		[ "$tool" = G404 ] && want=weakrand
		awk -v tool="$tool" -v want="$want" -v names="^($2)/" '
			FNR == NR { if ($1 == tool) hit[$2] = 1; next }
			$2 == want && $3 ~ names {
				n++; split($3, locs, ",")
				c = 0
				for (i in locs) if (hit[locs[i]]) c = 1
				if ($4 == "bug") { b++; if (c) bc++ }
				if (c) k++; else missed = missed " " $1
			}
			END { printf "%-14s %2d of %2d flows (%s), %d of %d known bugs; missed:%s\n", tool, k, n, n ? sprintf("%.2f", k / n) : "-", bc, b, missed == "" ? " none" : missed }
		' "$work/out/all.findings" <(echo "$flows")
	done
}

all=$(awk '{ print $1 }' "$work/modules" | paste -sd'|')
dev=$(awk '$4 != "held" { print $1 }' "$work/modules" | paste -sd'|')
held=$(awk '$4 == "held" { print $1 }' "$work/modules" | paste -sd'|')
nbug=$(awk '$4 == "bug"' "$work/modules" | wc -l)
score "all $(wc -l < "$work/modules") modules ($nbug vulnerable versions)" "$all"
[ -n "$held" ] && [ "$held" != "$all" ] && score "the $(echo "$dev" | tr '|' '\n' | wc -l) modules the analyzers were changed for" "$dev"
[ -n "$held" ] && score "the $(echo "$held" | tr '|' '\n' | wc -l) held-out modules" "$held"

echo "== unlabelled findings (label them in bench/vet-realworld/labels.txt)"
awk 'FNR == NR { v[$1 " " $2] = 1; next } !v[$1 " " $2]' <(echo "$labels") "$work/out/all.findings"
echo "== packages secretsvet did not analyse"
cat "$work"/out/*.secretsvet.stderr | grep 'not analysed' || echo none

echo "== speed: both tools on the same packages of all $(wc -l < "$work/modules") modules, warm cache, median of $runs runs"
printf "                      %8s %8s\n" wall CPU
printf "secretsvet            %6.2f s %6.2f s\n" "$sv" "$svc"
printf "gosec -include=G404   %6.2f s %6.2f s\n" "$gs" "$gsc"
printf "gosec / secretsvet    %8.2f %8.2f\n" "$(echo "$gs / $sv" | bc -l)" "$(echo "$gsc / $svc" | bc -l)"
printf "go list alone                  %6.2f s  (the go list -export -deps that go/packages runs, once per module: both tools pay it)\n" "$glc"
printf "gosec / go list alone          %6.2f    (the most any tool that loads packages this way could be faster than gosec)\n" "$(echo "$gsc / $glc" | bc -l)"
echo "per run (wall s, CPU s):"
paste -d' ' "$work/out/secretsvet.times" "$work/out/gosec.times" "$work/out/golist.times" | awk '{ printf "  secretsvet %s %s  gosec %s %s  go list %s %s  CPU ratio %.2f\n", $1, $2, $3, $4, $5, $6, $4 / $2 }'
