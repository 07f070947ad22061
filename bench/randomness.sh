#!/usr/bin/env bash
# bench/randomness.sh: the full randomness evidence for docs/RANDOMNESS.md.
#
#   bench/randomness.sh            everything (dieharder -a takes about an hour on 2 cores)
#   bench/randomness.sh --quick    ent, rngtest and derived outputs only (minutes)
#
# 1. dieharder -a -g 200 on `secrets bytes` streamed through stdin; every test
#    that comes out WEAK or FAILED is run again alone with ten times its
#    p-samples, as dieharder's manual advises for resolving one.
# 2. ent and rngtest on 1 GB of `secrets bytes`, beside /dev/urandom.
# 3. bench/derived: chi-square on derived outputs, sized for a 0.1% bias.
# Needs Debian's dieharder, ent and rng-tools5 (installed if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out
mkdir -p "$out"

for tool in dieharder ent rngtest; do
	if ! command -v "$tool" >/dev/null; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dieharder ent rng-tools5 >/dev/null
		break
	fi
done
go build -o "$out/secrets" ./cmd/secrets
# An endless stream of random bytes; dieharder reads what it needs.
stream() { "$out/secrets" bytes 1048576 --count 1000000000; }

if [ "${1:-}" != "--quick" ]; then
	echo "== dieharder -a -g 200 (log: $out/dieharder.txt)"
	stream 2>/dev/null | dieharder -a -g 200 | tee "$out/dieharder.txt"
	echo "== re-running WEAK and FAILED tests with ten times the p-samples (log: $out/dieharder-rerun.txt)"
	: > "$out/dieharder-rerun.txt"
	# test name, ntup and psamples of each doubtful line
	grep -E 'WEAK|FAILED' "$out/dieharder.txt" | awk -F'|' '{ gsub(/ /, "", $1); gsub(/ /, "", $2); gsub(/ /, "", $4); print $1, $2, $4 }' | sort -u |
	while read -r name ntup psamples; do
		args=(-d "$name" -p "$((psamples * 10))" -g 200)
		[ "$ntup" != 0 ] && args+=(-n "$ntup")
		stream 2>/dev/null | dieharder "${args[@]}" | grep -E "^ *$name" | tee -a "$out/dieharder-rerun.txt"
	done
	echo "dieharder summary: $(grep -c PASSED "$out/dieharder.txt") PASSED, $(grep -c WEAK "$out/dieharder.txt") WEAK, $(grep -c FAILED "$out/dieharder.txt") FAILED"
	echo "re-runs: $(grep -c PASSED "$out/dieharder-rerun.txt" || true) PASSED, $(grep -c WEAK "$out/dieharder-rerun.txt" || true) WEAK, $(grep -c FAILED "$out/dieharder-rerun.txt" || true) FAILED"
fi

echo "== ent and rngtest, 1 GB each"
go run ./bench/battery -bytes 1000000000 | tee "$out/battery.txt"

echo "== derived outputs"
go run ./bench/derived | tee "$out/derived.txt"
