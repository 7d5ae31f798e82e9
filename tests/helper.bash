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
