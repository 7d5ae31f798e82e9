#!/bin/sh
# model_bench.sh OUT — build the timing driver tests/bench/model_bench.c
# against build/libprefpipe.a with the library's own link flags (the CUDA
# runtime where the library was built with it: make print-ldlibs).
# Shared by model.sh and rollout.sh.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$here/../..
cc -O2 -std=c11 -fopenmp -I"$root/lib" -D_GNU_SOURCE -o "$1" "$here/model_bench.c" \
  "$root/build/libprefpipe.a" $(make -s --no-print-directory -C "$root" print-ldlibs)
