#!/usr/bin/env bash
# The HTTP benchmark of docs/performance.md ("HTTP"): spike's closed-model
# maximum throughput and open-model accuracy against a minimal hyper server
# on loopback, side by side with wrk, oha and hey at the same connection
# count. Server pinned to core 0, generators to core 1.
#
#   scripts/http_peers.sh [CONNS=50] [SECS=10] [RUNS=3]
#
# Then: open-model accuracy at 10k and 50k rps, a 7/2/1 mix of named
# requests at 20k rps, and latency p50 at 200 rps next to oha's.
#
# Needs wrk, hey (apt-get install -y wrk hey) and oha (cargo install oha);
# a missing tool is skipped with a note.
set -euo pipefail
CONNS=${1:-50}
SECS=${2:-10}
RUNS=${3:-3}
PORT=${PORT:-8099}
URL="http://127.0.0.1:${PORT}/"
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release --example http_peers >&2
BIN="$CARGO_TARGET_DIR/release/examples/http_peers"
taskset -c 0 "$BIN" server "127.0.0.1:${PORT}" &
SERVER=$!
trap 'kill $SERVER' EXIT
sleep 0.5
gen() { taskset -c 1 "$@"; }
median() { grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
result() { printf '%-16s c=%-4s median %8.0f req/s   runs: %s\n' "$1" "$CONNS" "$(echo "$2" | tr ' ' '\n' | median)" "$2"; }

declare -A RES
for run in $(seq "$RUNS"); do
  if command -v wrk >/dev/null; then
    r=$(gen wrk -t1 -c"$CONNS" -d"${SECS}s" "$URL" | awk '/Requests\/sec/ {print $2}')
    RES[wrk]+="$r "
  fi
  if command -v oha >/dev/null; then
    r=$(gen oha --no-tui -c "$CONNS" -z "${SECS}s" "$URL" | awk '/Requests\/sec/ {print $2}')
    RES[oha]+="$r "
  fi
  if command -v hey >/dev/null; then
    r=$(GOMAXPROCS=1 gen hey -c "$CONNS" -z "${SECS}s" "$URL" | awk '/Requests\/sec/ {print $2}')
    RES[hey]+="$r "
  fi
  for d in templated plain; do
    r=$(gen "$BIN" closed "$URL" "$CONNS" "$SECS" "$d" | awk '{print $4}')
    RES[spike-$d]+="$r "
  done
done
echo "== closed model / max throughput, ${RUNS} runs of ${SECS}s, server on core 0, generator on core 1"
for k in wrk oha hey spike-templated spike-plain; do
  [ -n "${RES[$k]:-}" ] && result "$k" "${RES[$k]}"
done
echo "== open model accuracy (spike, Http, templated path + status check)"
for rate in 10000 50000; do
  gen "$BIN" open "$URL" "$rate" "$SECS" templated
done
echo "== a 7/2/1 mix of three named requests at 20,000 rps (spike)"
gen "$BIN" mix "$URL" 20000 "$SECS"
echo "== low rate: latency p50 at 200 rps against the ~0.1 ms server, oha (latency-corrected) vs spike (default pacing)"
if command -v oha >/dev/null; then
  gen oha --no-tui -q 200 --latency-correction -z "${SECS}s" "$URL" \
    | awk '/Response time distribution/ {d=1} d && /50.00%/ && !p {printf "oha -q 200 --latency-correction: latency p50 %s %s\n", $3, $4; p=1}'
fi
gen "$BIN" open "$URL" 200 "$SECS" plain
