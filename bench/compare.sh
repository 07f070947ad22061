#!/usr/bin/env bash
# bench/compare.sh: how fast secrets makes tokens, beside what people use today.
#
#   bench/compare.sh [N]     N tokens for the bulk runs (default 1000000)
#
# Per call: the Go benchmarks of package secrets (floor = bare crypto/rand.Read,
# naive = rand.Read + encoder by hand) beside Python's secrets module timed
# with timeit. Bulk: N urlsafe(32) tokens from the secrets CLI, from Python's
# secrets.token_urlsafe(32) in a loop, openssl rand -base64 and head -c from
# /dev/urandom of the same number of random bytes (N x 32). Every figure is
# measured in this run; each bulk time is the best of 3 runs, written to a file
# under a temporary directory, as `secrets urlsafe 32 --count N > f` would be.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-1000000}
BYTES=$((N * 32))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go build -o "$tmp/secrets" ./cmd/secrets

echo "# secrets benchmarks, $(date -u +%Y-%m-%d)"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(uname -sr)"
echo "go: $(go version | cut -d' ' -f3), python: $(python3 -c 'import platform; print(platform.python_version())'), $(openssl version | cut -d' ' -f1-2)"
echo

# ---- per call ---------------------------------------------------------------
echo "## Per call (ns/op; lower is better)"
go test -run '^$' -bench 'Benchmark(TokenBytes|TokenHex|TokenURLSafe)/n=32' -benchtime 1000000x -count 3 . \
	| awk '/^Benchmark/ { split($1, p, "/"); name = p[1] "/" p[3]; sub(/-[0-9]+$/, "", name);
	       v = $3 + 0; if (!(name in best) || v < best[name]) best[name] = v }
	     END { for (k in best) printf "%s %.1f\n", k, best[k] }' | sort > "$tmp/go.txt"

py() { python3 -m timeit -n 1000000 -r 3 -s 'import secrets' "$1" | sed -E 's/.*: ([0-9.]+) (nsec|usec|msec) per loop/\1 \2/' \
	| awk '{ v = $1; if ($2 == "usec") v *= 1000; if ($2 == "msec") v *= 1e6; printf "%.1f\n", v }'; }

printf "%-14s %10s %10s %10s %10s %14s %14s\n" function floor naive secrets python "secrets/naive" "python/secrets"
for f in TokenBytes:token_bytes TokenHex:token_hex TokenURLSafe:token_urlsafe; do
	gofn=${f%%:*}; pyfn=${f##*:}
	floor=$(awk -v k="Benchmark$gofn/floor" '$1 == k { print $2 }' "$tmp/go.txt")
	naive=$(awk -v k="Benchmark$gofn/naive" '$1 == k { print $2 }' "$tmp/go.txt")
	ours=$(awk -v k="Benchmark$gofn/secrets" '$1 == k { print $2 }' "$tmp/go.txt")
	pyt=$(py "secrets.$pyfn(32)")
	printf "%-14s %10s %10s %10s %10s %14s %14s\n" "$gofn(32)" "$floor" "$naive" "$ours" "$pyt" \
		"$(awk -v a="$ours" -v b="$naive" 'BEGIN { printf "%.2fx", a / b }')" \
		"$(awk -v a="$pyt" -v b="$ours" 'BEGIN { printf "%.1fx", a / b }')"
done
echo "(secrets/naive: time ratio, at most 1.00x means no slower; python/secrets: how many times faster than Python)"
echo

# ---- bulk -------------------------------------------------------------------
best3() { # best wall time in seconds of three runs of "$@", stdout to $tmp/f
	local best=""
	for _ in 1 2 3; do
		local s e t
		s=$(date +%s.%N)
		"$@" > "$tmp/f"
		e=$(date +%s.%N)
		t=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.4f", e - s }')
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; fi
	done
	echo "$best"
}

echo "## Bulk: $N urlsafe(32) tokens, $BYTES random bytes (best of 3, seconds)"
t_cli=$(best3 "$tmp/secrets" urlsafe 32 --count "$N")
lines=$(wc -l < "$tmp/f")
[ "$lines" -eq "$N" ] || { echo "secrets wrote $lines lines, want $N" >&2; exit 1; }
t_py=$(best3 python3 -c "
import secrets, sys
w = sys.stdout.write
for _ in range($N):
    w(secrets.token_urlsafe(32) + '\n')
")
t_ossl=$(best3 openssl rand -base64 "$BYTES")
t_head=$(best3 head -c "$BYTES" /dev/urandom)

printf "%-34s %9s %12s %14s\n" command seconds "MB random/s" "vs secrets"
row() { printf "%-34s %9s %12s %14s\n" "$1" "$2" "$(awk -v t="$2" -v b="$BYTES" 'BEGIN { printf "%.0f", b / t / 1e6 }')" "$3"; }
row "secrets urlsafe 32 --count $N" "$t_cli" "1.00x"
row "python3 secrets.token_urlsafe(32)" "$t_py" "$(awk -v a="$t_py" -v b="$t_cli" 'BEGIN { printf "%.1fx slower", a / b }')"
row "openssl rand -base64 $BYTES" "$t_ossl" "$(awk -v a="$t_ossl" -v b="$t_cli" 'BEGIN { printf "%.2fx time", a / b }')"
row "head -c $BYTES /dev/urandom" "$t_head" "$(awk -v a="$t_head" -v b="$t_cli" 'BEGIN { printf "%.2fx time", a / b }')"
echo
echo "secrets vs Python: $(awk -v a="$t_py" -v b="$t_cli" 'BEGIN { printf "%.1f", a / b }')x faster (target: at least 20x)"
echo "secrets vs raw /dev/urandom byte rate: $(awk -v a="$t_head" -v b="$t_cli" 'BEGIN { printf "%.2f", a / b }')x (target: at least 0.8x)"
