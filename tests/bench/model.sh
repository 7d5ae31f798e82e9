#!/bin/sh
# model.sh — transformer speed and memory: prefpipe's CPU backend beside a
# PyTorch eager implementation of the same Llama (tests/bench/model_bench.py,
# Debian python3-torch, run with /usr/bin/python3) on the same thread count.
#
# Rows: forward+backward tokens/s on the tiny and small presets and on the
# SmolLM2-135M shape (d 576, 30 layers, 9/3 heads, FFN 1536, vocab 49152),
# and generation (new tokens/s, batch 64, temperature 0.7).  Each side runs
# BENCH_REPS times (default 2), alternating, and the best rate is kept,
# since the machine may be shared.  Peak RSS is shown with the theoretical
# size of parameters + gradients + AdamW moments + reserved activations.
#
# Both sides get OMP_NUM_THREADS.  prefpipe pins OpenBLAS to one thread and
# splits its GEMMs over the OpenMP team; Debian's torch calls the same
# OpenBLAS, whose threads torch.set_num_threads does not reach, so PyTorch
# runs with OPENBLAS_NUM_THREADS=1 and =threads and keeps its best rate.
#
# Env: BENCH_THREADS (default 2), BENCH_REPS (2), BENCH_QUICK=1 skips the
# 135M rows.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$here/../..
dir=${PREFPIPE_BENCH_DIR:-/tmp/prefpipe-bench}
mkdir -p "$dir"
threads=${BENCH_THREADS:-2}
reps=${BENCH_REPS:-2}
py=/usr/bin/python3
exe=$dir/model_bench
sh "$here/model_bench.sh" "$exe"
if ! $py -c 'import torch' 2>/dev/null; then
  echo "model: PyTorch missing (apt-get install python3-torch); prefpipe only"
  py=""
fi

field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }

echo "OpenBLAS core: $(field "$("$exe" gen 64 1 4 4 64 64 1 2 1)" core)"
printf '%-34s %12s %12s %7s %18s %12s\n' "workload ($threads threads)" "prefpipe/s" "pytorch/s" "ratio" "prefpipe MiB (th.)" "pytorch MiB"
row() {
  name=$1; shift
  c_best=0; p_best=0; c_out=""; p_out=""
  i=0
  while [ $i -lt "$reps" ]; do
    c_out=$(OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads "$exe" "$@")
    c_best=$(best "$c_best" "$(field "$c_out" tok_s)")
    if [ -n "$py" ]; then
      for ob in 1 $threads; do
        p_out=$(OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$ob MKL_NUM_THREADS=$threads \
          $py "$here/model_bench.py" "$threads" "$@")
        p_best=$(best "$p_best" "$(field "$p_out" tok_s)")
      done
    fi
    i=$((i + 1))
  done
  th=$(field "$c_out" theory_mib); mem="$(field "$c_out" peak_mib)"
  [ -n "$th" ] && mem="$mem ($th)"
  if [ -n "$py" ]; then
    ratio=$(awk -v a="$c_best" -v b="$p_best" 'BEGIN { printf "%.2f", a / b }')
    printf '%-34s %12s %12s %7s %18s %12s\n' "$name" "$c_best" "$p_best" "$ratio" "$mem" "$(field "$p_out" peak_mib)"
  else
    printf '%-34s %12s %12s %7s %18s %12s\n' "$name" "$c_best" "-" "-" "$mem" "-"
  fi
}

#               mode  D   L  H KV  F    V     B  T/P  iters/new
row "fwd+bwd tiny (8x256)"        train 64  2  4 2  192  261   8  256 4
row "fwd+bwd small (8x256)"       train 256 6  4 4  768  261   8  256 2
row "generate small (64, 32+64)"  gen   256 6  4 4  768  261   64 32  64
if [ "${BENCH_QUICK:-0}" != 1 ]; then
  row "fwd+bwd 135M (2x256)"        train 576 30 9 3  1536 49152 2  256 1
  row "generate 135M (64, 32+16)"   gen   576 30 9 3  1536 49152 64 32  16
fi
