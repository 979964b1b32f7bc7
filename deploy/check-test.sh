#!/bin/sh
# check-test.sh BINARY TEST: exit 0 if the libtest binary BINARY has exactly
# one test named TEST and it is not ignored; else say why and exit 1.
#
# libtest runs nothing and exits 0 for a name that matches no test, and
# skips an ignored test with exit 0 (a spike test is ignored when the binary
# was built without `--features spike`): without this check such a shard
# would send no load and the merge step would pass having merged nothing.
set -eu
[ $# -eq 2 ] || { echo "usage: check-test.sh BINARY TEST" >&2; exit 2; }
count() {
  "$@" --exact --list --format=terse | grep -c ': test$' || true
}
found=$(count "$1" "$2")
if [ "$found" != 1 ]; then
  echo "spike: $1 has no test named exactly \`$2\` (found $found): use the name \`cargo test\` prints, e.g. api::burst" >&2
  exit 1
fi
if [ "$(count "$1" "$2" --ignored)" != 0 ]; then
  echo "spike: \`$2\` is ignored in $1: build the binary with \`cargo test --no-run --features spike\`" >&2
  exit 1
fi
