#!/usr/bin/env bash
# How much load a generator drives in each build profile (docs/performance.md,
# "Build profile of the generator"; the guide's CI section).
#
#   scripts/build_profiles.sh [RUNS=3] [SECS=5] [CONNS=50] [RATE=5000]
#
# The generator of examples/http_peers.rs is copied into a throw-away *user*
# crate that depends on spike by path, so that the three set-ups are the
# ones a user gets (generic engine code is compiled in the user's crate, at
# the user's opt-level):
#   debug      `cargo test` defaults: everything at opt-level 0
#   deps-opt3  `[profile.dev.package."*"] opt-level = 3` in the user's
#              Cargo.toml: spike, tokio, hyper optimised, the
#              user's own crate (and the generics it instantiates) not
#   all-opt3   `[profile.test] opt-level = 3` (for `cargo test`; here
#              `profile.dev`, which `test` inherits): everything optimised,
#              debug assertions still on
#   release    `--release`
# Server: the release build, pinned to core 0; generator pinned to core 1;
# closed model, CONNS users, HTTP driver (spike::http::Http, plain GET), SECS s.
# Prints requests/s of every run and the median per set-up, then one
# open-model run per set-up at RATE arrivals/s for SECS s (schedule lag p99
# and achieved/target show whether the generator kept up).
set -euo pipefail
RUNS=${1:-3}
SECS=${2:-5}
CONNS=${3:-50}
RATE=${4:-5000}
PORT=${PORT:-8097}
URL="http://127.0.0.1:${PORT}/"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK=${BUILD_PROFILES_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/build-profiles}
CRATE="$WORK/crate"
mkdir -p "$CRATE/src"
cat >"$CRATE/Cargo.toml" <<EOF
[package]
name = "spike-build-profiles"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
spike-test = { path = "$ROOT", features = ["http"] }
tokio = { version = "1.47", features = ["rt-multi-thread", "net", "time", "macros"] }
hyper = { version = "1.7", features = ["server", "http1"] }
hyper-util = { version = "0.1.17", features = ["tokio"] }
http-body-util = "0.1"
bytes = "1"
EOF
cp "$ROOT/Cargo.lock" "$CRATE/Cargo.lock"
# Inner doc comments cannot start a binary's main.rs body here: drop them.
sed '/^\/\/!/d' "$ROOT/examples/http_peers.rs" >"$CRATE/src/main.rs"
export CARGO_TARGET_DIR="$WORK/target"
cd "$CRATE"
build() { cargo build --quiet "$@" >&2; }
build --release
cp "$CARGO_TARGET_DIR/release/spike-build-profiles" "$WORK/release"
build
cp "$CARGO_TARGET_DIR/debug/spike-build-profiles" "$WORK/debug"
build --config 'profile.dev.package."*".opt-level=3'
cp "$CARGO_TARGET_DIR/debug/spike-build-profiles" "$WORK/deps-opt3"
build --config 'profile.dev.opt-level=3'
cp "$CARGO_TARGET_DIR/debug/spike-build-profiles" "$WORK/all-opt3"

taskset -c 0 "$WORK/release" server "127.0.0.1:${PORT}" &
SERVER=$!
trap 'kill $SERVER' EXIT
sleep 0.5
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
SETUPS="debug deps-opt3 all-opt3 release"
# Round robin, so that a burst of other work on the machine hits every
# set-up alike rather than all the runs of one.
declare -A RES
for _ in $(seq "$RUNS"); do
  for setup in $SETUPS; do
    line=$(taskset -c 1 "$WORK/$setup" closed "$URL" "$CONNS" "$SECS" plain)
    echo "$setup: $line (load $(cut -d' ' -f1 /proc/loadavg))" >&2
    RES[$setup]+="$(echo "$line" | awk '{print $4}') "
  done
done
for setup in $SETUPS; do
  printf '%-10s median %8.0f req/s   runs: %s\n' "$setup" "$(echo "${RES[$setup]}" | tr ' ' '\n' | grep -v '^$' | median)" "${RES[$setup]}"
done
for setup in $SETUPS; do
  echo "$setup open: $(taskset -c 1 "$WORK/$setup" open "$URL" "$RATE" "$SECS" plain) (load $(cut -d' ' -f1 /proc/loadavg))"
done
