# helper.bash — loaded by every bats file.
# Puts the built executables first on PATH and gives each test a scratch
# directory.  Assert on files, not on $output, when bytes may contain NULs.
PREFPIPE_ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
PREFPIPE_BIN=${PREFPIPE_BIN:-$PREFPIPE_ROOT/bin}
PATH=$PREFPIPE_BIN:$PATH
FIX=$BATS_TEST_DIRNAME/fixtures
# Benchmark data (gsm8k, bbh, ...): $PREFPIPE_DATA, else ../shared/data beside
# the clone when present, else data/ in the clone (where `make data` puts it;
# PREFPIPE_SHARED_DATA is the old name).  A clone without any skips the
# tests that need it, naming what is missing.
if [ -n "${PREFPIPE_DATA:-${PREFPIPE_SHARED_DATA:-}}" ]; then
  SHARED_DATA=${PREFPIPE_DATA:-$PREFPIPE_SHARED_DATA}
elif [ -d "$PREFPIPE_ROOT/../shared/data" ]; then
  SHARED_DATA=$PREFPIPE_ROOT/../shared/data
else
  SHARED_DATA=$PREFPIPE_ROOT/data
fi
export PATH FIX SHARED_DATA
# One thread for OpenMP and OpenBLAS: the tests' models are tiny, results are
# then identical on every machine, and parallel test runs do not oversubscribe.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}

setup() {
  T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/prefpipe.XXXXXX")
  cd "$T" || return 1
}

teardown() {
  cd / && rm -rf "$T"
}

# json LINE...: write JSON lines to a records file: json_records OUT 'line' ...
json_records() {
  local out=$1; shift
  printf '%s\n' "$@" | rec from-json > "$out"
}

# a TCP port on loopback that nothing listens on now
free_port() {
  local p
  while :; do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    ss -ltn 2>/dev/null | grep -q ":$p " || { echo "$p"; return; }
  done
}

# need_data PATH...: skip the test unless every PATH exists under the
# benchmark data directory (run-tests.sh counts it as skipped, not passed).
need_data() {
  local f
  for f in "$@"; do
    [ -e "$SHARED_DATA/$f" ] ||
      skip "benchmark data $f not found in $SHARED_DATA (set PREFPIPE_DATA or run make data)"
  done
}

# A writer that keeps its end open after sending a few records, as rollout
# does while it waits for ppo-step's next policy (rm-score and ref-score
# must send what they hold instead of waiting for a full batch).  The
# writer's end is fd 7 of the test; background jobs close bats's fd 3.

# wait_records FILE N: poll (5 s at most) until FILE holds N records.
wait_records() {
  local i n=0
  for i in $(seq 50); do
    n=$(rec count "$1" 2>/dev/null || echo 0)
    [ "$n" -ge "$2" ] && return 0
    sleep 0.1
  done
  echo "only $n of $2 records in $1" >&2
  return 1
}

# paused_feed FIFO: 2 records of all.mp, then (after the 2 scored ones are
# in $OUT, or 5 s) the other records, then the writer closes.  Sets $early
# to the number of records that were out before the writer went on.
paused_feed() {
  exec 7> "$1"
  rec head -n 2 all.mp >&7
  wait_records "$OUT" 2 || true
  early=$(rec count "$OUT")
  rec to-json < all.mp | tail -n +3 | rec from-json >&7
  exec 7>&-
}

# pause_check SCORER ARGS...: for -b 8 and -b 1, SCORER ARGS -b N reads
# all.mp through a fifo whose writer pauses after 2 records (paused_feed);
# both must have sent those 2 before the writer went on, and every record
# by the end.  The outputs are left in out8.mp and out1.mp.
pause_check() {
  local b pid n
  n=$(rec count all.mp)
  for b in 8 1; do
    mkfifo in$b
    timeout 30 "$@" -b $b in$b > out$b.mp 2>/dev/null 3>&- & pid=$!
    OUT=out$b.mp paused_feed in$b
    wait "$pid"
    [ "$early" -eq 2 ] || { echo "-b $b: $early records out before the writer went on" >&2; return 1; }
    [ "$(rec count out$b.mp)" -eq "$n" ] || { echo "-b $b: $(rec count out$b.mp) of $n records" >&2; return 1; }
  done
}
