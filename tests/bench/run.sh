#!/bin/sh
# run.sh [NAME...] — run the benchmarks in tests/bench (all, or those named).
# Each benchmark prints its own table, prefpipe beside its reference.
# Scratch data goes to ${PREFPIPE_BENCH_DIR:-/tmp/prefpipe-bench}.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
export PREFPIPE_BIN=${PREFPIPE_BIN:-$here/../../bin}
export PATH="$PREFPIPE_BIN:$PATH"
export PREFPIPE_BENCH_DIR=${PREFPIPE_BENCH_DIR:-/tmp/prefpipe-bench}
mkdir -p "$PREFPIPE_BENCH_DIR"
# "load" is another name of busy.sh (idle vs. loaded machine)
set -- $(echo " $* " | sed 's/ load / busy /g')
for b in "$here"/*.sh; do
  name=$(basename "$b" .sh)
  case $name in run|model_bench) continue ;; esac   # helpers, not benchmarks
  if [ $# -gt 0 ] && ! echo "$*" | grep -qw "$name"; then continue; fi
  echo "== bench: $name"
  sh "$b"
done
