#!/usr/bin/env bash
# bench/serve-conns.sh: the memory and open files of "secrets serve" while
# many clients hold connections open, and whether it still answers.
#
#   bench/serve-conns.sh [slow|idle|both]       (default both)
#
# Environment: CONNS (15000 slow, 20000 idle: connections held at all
# times), HOLD (25s), LINE (1024: bytes of each slow header line), EVERY
# (1s between them), MAX_CONNS (--max-conns; default the server's),
# PORT (8433), SECRETS_BIN (a secrets binary to measure instead of building this tree's,
# such as an older version, to compare).
#
# slow: each connection sends a request line, then a header line of $LINE
#       bytes each $EVERY and never ends its headers (slowloris); the
#       server closes it at its header timeout and it is opened again.
# idle: each connection sends GET /healthz, reads the answer and then
#       sends nothing; the server closes it at its idle timeout.
# bench/slowconns opens them (in processes of at most 10000 connections,
# under the open-file limit of one process) and samples the server's
# resident memory (VmRSS, and VmHWM at the end) and its open files from
# /proc. Halfway through, one curl times GET /healthz on a new connection.
# The service uses a SQLite database in a temporary directory, on
# 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

WHICH=${1:-both}
HOLD=${HOLD:-25s}
LINE=${LINE:-1024}
EVERY=${EVERY:-1s}
PORT=${PORT:-8433}

ulimit -n "$(ulimit -Hn)"
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

bin=${SECRETS_BIN:-}
if [ -z "$bin" ]; then
	go build -o "$tmp/secrets" ./cmd/secrets
	bin=$tmp/secrets
fi
go build -o "$tmp/slowconns" ./bench/slowconns
echo "open-file limit of each process: $(ulimit -n); somaxconn $(cat /proc/sys/net/core/somaxconn)"

# run MODE CONNS: one server, one flood; prints the figures.
run() {
	local mode=$1 conns=$2 args=() spid left per
	[ -n "${MAX_CONNS:-}" ] && args+=(--max-conns "$MAX_CONNS")
	rm -f "$tmp"/s.db*
	"$bin" serve --addr "127.0.0.1:$PORT" --db "$tmp/s.db" --quiet-requests "${args[@]}" 2>"$tmp/serve.log" &
	spid=$!
	pids+=("$spid")
	for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.1; done
	echo "== $mode: $conns connections for $HOLD against $("$bin" version 2>/dev/null | head -1 || echo "$bin") ${MAX_CONNS:+--max-conns $MAX_CONNS}"
	echo "server at start: rss $(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' "/proc/$spid/status"), open files $(ls "/proc/$spid/fd" | wc -l)"
	left=$conns
	local cpids=()
	while [ "$left" -gt 0 ]; do
		per=$((left > 10000 ? 10000 : left))
		"$tmp/slowconns" -addr "127.0.0.1:$PORT" -pid "$spid" -conns "$per" -mode "$mode" -hold "$HOLD" -line "$LINE" -every "$EVERY" > "$tmp/flood.$left" &
		cpids+=($!)
		left=$((left - per))
	done
	local half=${HOLD%s}
	sleep $((half / 2))
	curl -s -o /dev/null -m 60 -w "GET /healthz during the flood, on a new connection: %{http_code} in %{time_total} s\n" "http://127.0.0.1:$PORT/healthz" || echo "GET /healthz during the flood: no answer within 60 s"
	wait "${cpids[@]}"
	cat "$tmp"/flood.*
	rm -f "$tmp"/flood.*
	echo "server after: rss $(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' "/proc/$spid/status"), peak (VmHWM) $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$spid/status"), open files $(ls "/proc/$spid/fd" | wc -l)"
	curl -s -o /dev/null -m 60 -w "GET /healthz after: %{http_code}\n" "http://127.0.0.1:$PORT/healthz" || echo "GET /healthz after: no answer"
	grep -i "open files\|too many" "$tmp/serve.log" | head -3 || true
	kill "$spid"
	wait "$spid" 2>/dev/null || true
}

case $WHICH in
slow) run slow "${CONNS:-15000}" ;;
idle) run idle "${CONNS:-20000}" ;;
both)
	run slow "${CONNS:-15000}"
	run idle "${CONNS:-20000}"
	;;
*) echo "usage: bench/serve-conns.sh [slow|idle|both]" >&2; exit 2 ;;
esac
