#!/bin/sh
# rollout.sh — sampling speed at small and mid batch on the SmolLM2-135M
# shape (d 576, 30 layers, 9/3 heads, FFN 1536, vocab 49152, fp32):
# prefpipe's sample_batch (tests/bench/model_bench.c gen: the loop rollout,
# best-of-n and the evaluations run) beside llama.cpp through
# node-llama-cpp (tests/bench/llama_gen.mjs: fp32 GGUF of the same shape,
# F32 KV cache, one context decoding B sequences together), on the same
# thread count, temperature 0.7, P-token prompts and NEW new tokens.
#
# The machine may be shared, so: each rep runs prefpipe, prefpipe with its
# decode products served by OpenBLAS and the small-M kernels
# (PREFPIPE_CPU_ROWS=blas: how decoding ran before the row-independent
# kernels; an A/B switch, its bytes depend on the batch) and llama.cpp
# back to back, reps alternate, and every figure is
# given per wall second and per CPU-second (tokens / (user + system time)
# of that process — steadier than wall time when other work competes for
# the cores); the best rep of each is kept.  Ratios are prefpipe / other,
# per CPU-second.  The OpenBLAS core in use is printed first.
#
# llama.cpp: node-llama-cpp@3.22.1 in ${NODE_LLAMA_CPP_DIR:-/tmp/prefpipe-node-llama-cpp}
# (npm install there, as tests/parity/llamacpp does); without it, or
# without numpy for the GGUF conversion, the column says "-".
# Env: BENCH_THREADS (default 2), BENCH_REPS (3), ROLLOUT_BENCH_B ("1 16"),
# ROLLOUT_BENCH_NEW (32), ROLLOUT_BENCH_P (16).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=${PREFPIPE_BENCH_DIR:-/tmp/prefpipe-bench}/rollout
mkdir -p "$dir"
threads=${BENCH_THREADS:-2}
reps=${BENCH_REPS:-3}
new=${ROLLOUT_BENCH_NEW:-32}
plen=${ROLLOUT_BENCH_P:-16}
nlc=${NODE_LLAMA_CPP_DIR:-/tmp/prefpipe-node-llama-cpp}
exe=$dir/model_bench
sh "$here/model_bench.sh" "$exe"
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }

shape="576 30 9 3 1536 49152"
llama=0
if [ -d "$nlc/node_modules/node-llama-cpp" ] && command -v node >/dev/null &&
   /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  if [ ! -s "$dir/smol.gguf" ]; then
    rm -rf "$dir/smol"
    lm-init -p smollm2-135m -o "$dir/smol" --seed 1 2>/dev/null
    /usr/bin/python3 "$here/../parity/llamacpp/hf2gguf.py" "$dir/smol" "$dir/smol.gguf" >/dev/null
  fi
  llama=1
else
  echo "rollout: node-llama-cpp not in $nlc (or no node / numpy): prefpipe only"
fi

echo "OpenBLAS core: $(field "$("$exe" gen 64 1 4 4 64 64 1 2 1)" core)"
# the physical bound at B 1: every weight is read once per token (the tied
# embedding as the LM head), so tokens/s <= read bandwidth / weight bytes;
# the read probe streams with the same threads and many independent sums
# (model_bench.c membw), so it measures memory, not one chain of adds
bw=$(OMP_NUM_THREADS=$threads "$exe" membw 256)
params=$(field "$(OMP_NUM_THREADS=$threads "$exe" gen $shape 1 1 1)" params)
echo "memory bandwidth ($threads thr): triad $(field "$bw" triad_gbs) GB/s, read $(field "$bw" read_gbs) GB/s;" \
  "B 1 bound $(awk -v r="$(field "$bw" read_gbs)" -v p="$params" 'BEGIN { printf "%.1f", r * 1e9 / (p * 4) }') tok/s" \
  "($params fp32 weights, $(awk -v p="$params" 'BEGIN { printf "%.0f", p * 4 / 1e6 }') MB per token)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-22s %22s %22s %22s %8s %8s\n' "135M fp32 ($threads thr)" "prefpipe tok/s (/cpu)" \
  "blas tok/s (/cpu)" "llama.cpp tok/s (/cpu)" "/blas" "/llama"
for B in ${ROLLOUT_BENCH_B:-1 16}; do
  pw=0; pc=0; ow=0; oc=0; lw=0; lc=0
  i=0
  while [ $i -lt "$reps" ]; do
    out=$(OMP_NUM_THREADS=$threads "$exe" gen $shape "$B" "$plen" "$new")
    pw=$(best "$pw" "$(field "$out" tok_s)"); pc=$(best "$pc" "$(field "$out" tok_cpu_s)")
    out=$(PREFPIPE_CPU_ROWS=blas OMP_NUM_THREADS=$threads "$exe" gen $shape "$B" "$plen" "$new")
    ow=$(best "$ow" "$(field "$out" tok_s)"); oc=$(best "$oc" "$(field "$out" tok_cpu_s)")
    if [ $llama = 1 ]; then
      out=$(NODE_LLAMA_CPP_DIR=$nlc node "$here/llama_gen.mjs" "$dir/smol.gguf" "$threads" "$B" "$plen" "$new")
      lw=$(best "$lw" "$(field "$out" tok_s)"); lc=$(best "$lc" "$(field "$out" tok_cpu_s)")
    fi
    i=$((i + 1))
  done
  lcol="-"; [ $llama = 1 ] && lcol="$lw ($lc)"
  printf '%-22s %22s %22s %22s %8s %8s\n' "B $B, $plen+$new" "$pw ($pc)" "$ow ($oc)" "$lcol" \
    "$(ratio "$pc" "$oc")" "$(ratio "$pc" "$lc")"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
