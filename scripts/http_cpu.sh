#!/usr/bin/env bash
# CPU per request of spike's HTTP driver next to oha and wrk (issue 11):
# on a shared machine req/s swing with the neighbours' load, the CPU a
# generator spends per request much less. The server of `http_peers` runs
# pinned to core 0, each generator pinned to core 1 for SECS seconds, and
# the generator's user+sys CPU time (from /usr/bin/time) is divided by the
# requests it completed. Prints one line per run; docs/performance.md
# takes the medians.
#
#   scripts/http_cpu.sh [RUNS=5] [SECS=5] [GENERATOR...]
#
# A GENERATOR is `oha`, `wrk`, or `BINARY:templated` / `BINARY:plain` for
# an `http_peers` binary (default: this tree's release build, both
# drivers), so that two builds can be compared in one session.
set -euo pipefail
RUNS=${1:-5}
SECS=${2:-5}
shift $(( $# < 2 ? $# : 2 ))
PORT=${PORT:-8099}
URL="http://127.0.0.1:${PORT}/"
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release --example http_peers >&2
BIN="$CARGO_TARGET_DIR/release/examples/http_peers"
[ $# -gt 0 ] || set -- "$BIN:templated" "$BIN:plain" oha wrk
taskset -c 0 "$BIN" server "127.0.0.1:${PORT}" 2>/dev/null &
SERVER=$!
trap 'kill $SERVER' EXIT
sleep 0.5
out=$(mktemp)
for _ in $(seq "$RUNS"); do
  for g in "$@"; do
    case $g in
      oha) /usr/bin/time -f "TIME %U %S" taskset -c 1 oha --no-tui -c 50 -z "${SECS}s" "$URL" >"$out" 2>&1
           req=$(awk '/\[200\] [0-9]+ responses/ {print $2}' "$out") ;;
      wrk) /usr/bin/time -f "TIME %U %S" taskset -c 1 wrk -t1 -c50 -d"${SECS}s" "$URL" >"$out" 2>&1
           req=$(awk '/requests in/ {print $1}' "$out") ;;
      *)   /usr/bin/time -f "TIME %U %S" taskset -c 1 "${g%:*}" closed "$URL" 50 "$SECS" "${g##*:}" >"$out" 2>&1
           # completed successes/s over the hold, times its length
           req=$(awk -v s="$SECS" '/req\/s/ {print $4 * s}' "$out") ;;
    esac
    awk -v g="$(basename "$g")" -v r="$req" '/^TIME/ {
      printf "%-24s %6.2f us/req (user %5.2f, sys %5.2f)  %7.0f req/s\n",
        g, ($2 + $3) * 1e6 / r, $2 * 1e6 / r, $3 * 1e6 / r, r / '"$SECS"' }' "$out"
  done
done
rm -f "$out"
