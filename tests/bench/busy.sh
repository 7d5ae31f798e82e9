#!/bin/sh
# busy.sh — a model stage on a machine other programs are using: the wall
# time of 10 SFT steps of the recipe (its model, data and batch sizes,
# seed 1) with $BENCH_THREADS threads (default 2), on the machine as it is
# and with $BENCH_BUSY busy loops (default 2) competing for the cores,
# under OpenMP's spinning wait policy (OMP_WAIT_POLICY=active: the old
# default) and under prefpipe's default (passive, lib/base/threads.h).
# Prints the load average before each run (the machine may be shared: read
# the rows against it) and checks that both policies give byte-identical
# checkpoints.  `make bench BENCH=busy`.
#
# BUSY_RECIPE=1 adds the whole recipe (pipelines/recipe.sh, its defaults,
# $BENCH_THREADS threads) on the machine as it is and with the busy loops,
# under the default policy (BUSY_RECIPE_ACTIVE=1: also under the spinning
# one — slow under load), and checks the tables are byte-identical.  This
# is README's timing; expect minutes per run.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${PREFPIPE_BENCH_DIR:-/tmp/prefpipe-bench}/busy
mkdir -p "$dir"
threads=${BENCH_THREADS:-2}
nbusy=${BENCH_BUSY:-2}
cd "$dir"
unset OMP_WAIT_POLICY GOMP_SPINCOUNT
export OPENBLAS_NUM_THREADS=1
[ -d init ] || lm-init --preset tiny --seed 1 -o init 2>/dev/null
[ -f sft.mp ] || pref-synth -e sft --split train -n 320 --seed 1 -o sft.mp 2>/dev/null

busy_pids=
busy_start() { i=0; while [ $i -lt "$1" ]; do sh -c 'while :; do :; done' & busy_pids="$busy_pids $!"; i=$((i + 1)); done; }
busy_stop() { for p in $busy_pids; do kill "$p" 2>/dev/null || true; done; busy_pids=; }
trap busy_stop EXIT INT TERM

# run NAME POLICY: 10 steps (320 examples, batch 32), wall seconds
run() {
  start=$(date +%s.%N)
  if [ "$2" = default ]; then
    sft-step -m init -o "$1" -j "$threads" --max-steps 10 --lr 5e-3 --lr-floor 1e-4 --batch 32 \
      --micro-batch 16 --seed 1 --no-timing sft.mp > "$1.mp" 2>/dev/null
  else
    OMP_WAIT_POLICY=$2 sft-step -m init -o "$1" -j "$threads" --max-steps 10 --lr 5e-3 --lr-floor 1e-4 \
      --batch 32 --micro-batch 16 --seed 1 --no-timing sft.mp > "$1.mp" 2>/dev/null
  fi
  end=$(date +%s.%N)
  echo "$start $end" | awk '{printf "%.1f", $2 - $1}'
}

printf '%-22s %-21s %6s   %s\n' "10 SFT steps, $threads thr" "wait policy" "wall s" "load avg (1 min) before"
for load in 0 "$nbusy"; do
  for pol in active default; do
    [ "$load" -gt 0 ] && busy_start "$load"
    sleep 1
    la=$(cut -d' ' -f1 /proc/loadavg)
    t=$(run "ck-$load-$pol" "$pol")
    busy_stop
    what="machine as it is"
    [ "$load" -gt 0 ] && what="+ $load busy loops"
    name=$pol; [ "$pol" = default ] && name="passive (default)"
    [ "$pol" = active ] && name="active (old default)"
    printf '%-22s %-21s %6s   %s\n' "$what" "$name" "$t" "$la"
  done
done
for f in ck-*/; do cmp ck-0-active/model.safetensors "${f}model.safetensors" || { echo "busy: $f differs" >&2; exit 1; }; done
echo "checkpoints byte-identical across policies and loads"

[ "${BUSY_RECIPE:-0}" = 1 ] || exit 0
recipe=$root/pipelines/recipe.sh
pols=default; [ "${BUSY_RECIPE_ACTIVE:-0}" = 1 ] && pols="default active"
printf '\n%-22s %-21s %6s   %s\n' "recipe, $threads thr" "wait policy" "wall s" "load avg (1 min) before"
for load in 0 "$nbusy"; do
  for pol in $pols; do
    rm -rf "recipe-$load-$pol"
    [ "$load" -gt 0 ] && busy_start "$load"
    sleep 1
    la=$(cut -d' ' -f1 /proc/loadavg)
    start=$(date +%s.%N)
    if [ "$pol" = active ]; then
      OMP_WAIT_POLICY=active THREADS=$threads sh "$recipe" "recipe-$load-$pol" > "recipe-$load-$pol.out" 2>/dev/null
    else
      THREADS=$threads sh "$recipe" "recipe-$load-$pol" > "recipe-$load-$pol.out" 2>/dev/null
    fi
    t=$(echo "$start $(date +%s.%N)" | awk '{printf "%.1f", $2 - $1}')
    busy_stop
    what="machine as it is"
    [ "$load" -gt 0 ] && what="+ $load busy loops"
    name="passive (default)"; [ "$pol" = active ] && name="active (old default)"
    printf '%-22s %-21s %6s   %s\n' "$what" "$name" "$t" "$la"
  done
done
for f in recipe-*.out; do cmp recipe-0-default.out "$f" || { echo "busy: $f's table differs" >&2; exit 1; }; done
echo "recipe tables byte-identical across loads"
