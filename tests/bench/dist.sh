#!/bin/sh
# dist.sh — data-parallel dpo-step on this machine: wall time of a few
# steps with 1 rank x 1 thread, 2 ranks x 1 thread (mpirun) and 1 rank x 2
# threads, for the tiny, small and smollm2-135m shapes, and the share of
# the 2-rank step spent in all-reduce (PREFPIPE_DIST_STATS: rank 0's time
# inside MPI_Allreduce, which includes waiting for the slower rank).
# Same global batch in every row.  Prints the load average before each
# shape: the machine may be shared, read the rows against it.
# `make bench BENCH=dist` (needs mpirun and an MPI build); DIST_SHAPES
# picks shapes (default "tiny small smollm2-135m").
set -eu
command -v mpirun > /dev/null || { echo "dist: mpirun not installed: skipped"; exit 0; }
ldd "$(command -v dpo-step)" | grep -q libmpi || { echo "dist: built without MPI: skipped"; exit 0; }
here=$(cd "$(dirname "$0")" && pwd)
dir=${PREFPIPE_BENCH_DIR:-/tmp/prefpipe-bench}/dist
mkdir -p "$dir"
cd "$dir"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
[ -s pairs.mp ] || sh "$here/../fixtures/train/gen-pairs.sh" 32 1 pair | rec from-json > pairs.mp

wall() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# shape STEPS BATCH MICRO MAXLEN
bench_shape() {
  shape=$1 steps=$2 batch=$3 micro=$4 maxlen=$5
  [ -d "init-$shape" ] || lm-init --preset "$shape" --seed 1 -o "init-$shape" 2>/dev/null
  [ -s "ref-$shape.mp" ] || ref-score -c "init-$shape" -b "$micro" --max-len "$maxlen" pairs.mp > "ref-$shape.mp" 2>/dev/null
  args="-m init-$shape --max-steps $steps --batch $batch --micro-batch $micro --max-len $maxlen --lr 1e-5 --no-timing"
  echo "$shape: $steps steps, batch $batch, micro $micro, max-len $maxlen; load avg $(cut -d' ' -f1-3 /proc/loadavg)"
  t0=$(date +%s.%N)
  OMP_NUM_THREADS=1 dpo-step $args -o o1 "ref-$shape.mp" > /dev/null 2>&1
  t1=$(date +%s.%N)
  OMP_NUM_THREADS=1 PREFPIPE_DIST_STATS=1 mpirun --oversubscribe -np 2 dpo-step $args -o o2 "ref-$shape.mp" \
    > /dev/null 2> stats.txt
  t2=$(date +%s.%N)
  OMP_NUM_THREADS=2 dpo-step $args -j 2 -o o3 "ref-$shape.mp" > /dev/null 2>&1
  t3=$(date +%s.%N)
  ar=$(sed -n 's/.*rank 0 of 2: \([0-9]*\) all-reduces, \([0-9.]*\) MB, \([0-9.]*\) s in all-reduce/\1 \2 \3/p' stats.txt)
  printf '  %-24s %8s s\n' "1 rank x 1 thread" "$(wall "$t0" "$t1")"
  printf '  %-24s %8s s   (mpirun start-up included)\n' "2 ranks x 1 thread" "$(wall "$t1" "$t2")"
  printf '  %-24s %8s s\n' "1 rank x 2 threads" "$(wall "$t2" "$t3")"
  echo "$ar" | awk -v w="$(wall "$t1" "$t2")" '{ printf "  all-reduce (rank 0): %d calls, %.1f MB, %.3f s = %.0f %% of the 2-rank wall time\n", $1, $2, $3, 100 * $3 / w }'
}

for s in ${DIST_SHAPES:-tiny small smollm2-135m}; do
  case $s in
    tiny) bench_shape tiny 8 16 8 128 ;;
    small) bench_shape small 4 8 4 128 ;;
    smollm2-135m) bench_shape smollm2-135m 2 4 2 64 ;;
    *) echo "dist: unknown shape $s (tiny, small, smollm2-135m)" >&2; exit 64 ;;
  esac
done
