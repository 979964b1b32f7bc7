#!/bin/sh
# Run one spike test as N shards on Kubernetes, then merge and gate.
#
#   IMAGE=registry.example/team/spike-tests:1 TEST=flash_sale_spike \
#     SHARDS=4 LEAD_SECONDS=120 ALLOW_HOSTS=shop.staging.svc deploy/run.sh
#
# IMAGE         the image holding the test binary (see deploy/Dockerfile)
# TEST          the test's exact libtest name, e.g. `burst` or `api::burst`
# SHARDS        N, the number of shards (default 4)
# LEAD_SECONDS  how far ahead the agreed start is set (default 120): long
#               enough for every shard pod to be scheduled and pull the image
# ALLOW_HOSTS   hosts the shards may load besides loopback (SPIKE_ALLOW_HOSTS)
# BASELINE      a saved baseline the merged report is gated against
# NAMESPACE     the namespace (default: kubectl's current one)
# TIMEOUT_SECONDS  how long to wait for each Job (default 3600)
# DRY_RUN=1     print the manifests with everything filled in, apply nothing
#
# Exits with the merge step's status: 0 when the merged report passed its
# checks and the gate.
set -eu

dir=$(cd "$(dirname "$0")" && pwd)

die() {
  printf 'run.sh: %s\n' "$1" >&2
  exit 2
}

# $1 names the setting, $2 is its value, $3 the characters it may hold
# (a bracket expression's inside).
# Values go into sed replacements and double-quoted YAML strings, so `|`,
# `&`, `\`, `"` and newlines must never reach them.
check_chars() {
  case $2 in
    *[!$3]*) die "$1=$2: only these characters are allowed: $3" ;;
  esac
}

check_count() {
  case $2 in
    '' | *[!0-9]* | 0*) die "$1=$2: expected a whole number above 0" ;;
  esac
}

IMAGE=${IMAGE:-}
TEST=${TEST:-}
SHARDS=${SHARDS:-4}
LEAD_SECONDS=${LEAD_SECONDS:-120}
ALLOW_HOSTS=${ALLOW_HOSTS:-}
BASELINE=${BASELINE:-}
TIMEOUT_SECONDS=${TIMEOUT_SECONDS:-3600}
DRY_RUN=${DRY_RUN:-}

[ -n "$IMAGE" ] || die "IMAGE is not set (the image holding the test binary)"
[ -n "$TEST" ] || die "TEST is not set (the test's exact name, e.g. api::burst)"
check_chars IMAGE "$IMAGE" 'A-Za-z0-9._:/@-'
check_chars TEST "$TEST" 'A-Za-z0-9_:'
check_chars ALLOW_HOSTS "$ALLOW_HOSTS" 'A-Za-z0-9._:,-'
check_chars BASELINE "$BASELINE" 'A-Za-z0-9._-'
check_count SHARDS "$SHARDS"
check_count LEAD_SECONDS "$LEAD_SECONDS"
check_count TIMEOUT_SECONDS "$TIMEOUT_SECONDS"
[ "$SHARDS" -le 1000 ] || die "SHARDS=$SHARDS: at most 1000"

# spike_core::folder_name: every character but A-Z a-z 0-9 - _ . becomes _.
TEST_FOLDER=$(printf '%s' "$TEST" | sed 's/[^A-Za-z0-9._-]/_/g')

# The agreed start, in seconds since the Unix epoch (SPIKE_START_AT takes
# that or RFC 3339).
START_AT=$(($(date -u +%s) + LEAD_SECONDS))

# Print manifest $1 with every placeholder filled in. N replaces the 4 of
# `completions`, `parallelism` and SPIKE_SHARD_COUNT.
render() {
  sed -e "s|\${IMAGE}|$IMAGE|g" \
    -e "s|\${TEST}|$TEST|g" \
    -e "s|\${TEST_FOLDER}|$TEST_FOLDER|g" \
    -e "s|\${START_AT}|$START_AT|g" \
    -e "s|\${ALLOW_HOSTS}|$ALLOW_HOSTS|g" \
    -e "s|\${BASELINE}|$BASELINE|g" \
    -e "s|^\(  *completions:\) 4\$|\1 $SHARDS|" \
    -e "s|^\(  *parallelism:\) 4\$|\1 $SHARDS|" \
    -e "s|\(name: SPIKE_SHARD_COUNT, value: \"\)4\"|\1$SHARDS\"|" \
    "$dir/$1"
}

if [ -n "$DRY_RUN" ]; then
  for manifest in spike-pvc.yaml spike-clean.yaml spike-shards.yaml spike-merge.yaml; do
    printf -- '---\n'
    render "$manifest"
  done
  exit 0
fi

kc() {
  if [ -n "${NAMESPACE:-}" ]; then
    kubectl --namespace "$NAMESPACE" "$@"
  else
    kubectl "$@"
  fi
}

# Wait until Job $1 has finished, passed or failed; prints Complete or Failed.
wait_job() {
  waited=0
  while [ "$waited" -lt "$TIMEOUT_SECONDS" ]; do
    # A failed look (the API server busy) is retried like an unfinished Job.
    state=$(kc get job "$1" -o 'jsonpath={.status.conditions[?(@.status=="True")].type}') || state=
    case $state in
      *Failed*) echo Failed; return 0 ;;
      *Complete*) echo Complete; return 0 ;;
    esac
    sleep 5
    waited=$((waited + 5))
  done
  die "job $1 did not finish within $TIMEOUT_SECONDS s"
}

kc apply -f "$dir/spike-pvc.yaml"
# Jobs are immutable: the last run's go first.
# Foreground: their pods are gone too, so the shards' anti-affinity does not
# see the last run's pods.
kc delete job spike-clean spike-shards spike-merge --ignore-not-found --cascade=foreground

render spike-clean.yaml | kc apply -f -
[ "$(wait_job spike-clean)" = Complete ] || die "could not clear the last run's shard folders (kubectl logs job/spike-clean)"

# The lead time counts from here, once the volume is ready.
START_AT=$(($(date -u +%s) + LEAD_SECONDS))
echo "run.sh: $SHARDS shards of $TEST start at $START_AT (Unix seconds, in ${LEAD_SECONDS} s)"
render spike-shards.yaml | kc apply -f -
# Shards record their checks and do not fail on them; a shard that failed
# crashed, and shows up as a missing shard in the merge.
shards_state=$(wait_job spike-shards)
echo "run.sh: shard job $shards_state"
# Which node each shard ran on, and how it ended.
kc get pods -l job-name=spike-shards -o wide || true

render spike-merge.yaml | kc apply -f -
verdict=$(wait_job spike-merge)
# With the init container's: it says why when no test of that name runs.
kc logs job/spike-merge --all-containers=true || true
echo "run.sh: merge job $verdict; merged report in <volume spike-home>/$TEST_FOLDER/"
[ "$verdict" = Complete ]
