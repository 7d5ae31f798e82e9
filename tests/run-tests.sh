#!/bin/sh
# run-tests.sh [PATTERN...] — run the C unit tests, then the bats suites.
# Called by `make test` with PREFPIPE_BIN and PREFPIPE_BUILD set.  Prints a
# closing "N passed, N failed" line and exits non-zero on any failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${PREFPIPE_BUILD:-$here/../build}
pass=0 fail=0 failed=""

for t in "$build"/tests/*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  if [ $# -gt 0 ] && ! echo "$*" | grep -qw "$name"; then continue; fi
  if out=$("$t" 2>&1); then
    pass=$((pass + 1)); echo "ok   unit/$name"
  else
    fail=$((fail + 1)); failed="$failed unit/$name"
    echo "FAIL unit/$name"; echo "$out" | tail -n 20 | sed 's/^/     /'
  fi
done

for f in "$here"/*.bats; do
  [ -e "$f" ] || continue
  name=$(basename "$f" .bats)
  if [ $# -gt 0 ] && ! echo "$*" | grep -qw "$name"; then continue; fi
  out=$(bats --tap "$f" 2>&1); rc=$?
  p=$(echo "$out" | grep -c '^ok ')
  q=$(echo "$out" | grep -c '^not ok ')
  k=$(echo "$out" | grep -c '^ok .* # skip')
  pass=$((pass + p)); fail=$((fail + q))
  if [ $rc -ne 0 ] || [ "$q" -gt 0 ]; then
    [ "$q" -eq 0 ] && fail=$((fail + 1))
    failed="$failed $name"
    echo "FAIL $name ($p passed, $q failed)"
    echo "$out" | grep -v '^ok ' | sed 's/^/     /' | tail -n 40
  else
    if [ "$k" -gt 0 ]; then
      echo "ok   $name ($p tests, $k skipped)"
      echo "$out" | grep '^ok .* # skip' | sed 's/^ok [0-9]* /     skipped: /'
    else
      echo "ok   $name ($p tests)"
    fi
  fi
done

echo
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
