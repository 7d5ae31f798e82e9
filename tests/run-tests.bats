#!/usr/bin/env bats
# tests/run-tests.sh itself: its closing line counts passes, failures and
# skips separately (a skipped test, e.g. benchmark data absent, is never a
# pass), and it names the skip's reason.  Runs a copy of the script beside
# a small suite of its own, with an empty unit-test build directory.
load helper

# the copy of run-tests.sh, without the outer run's BATS_* variables and
# with bats's libexec off PATH (there `bats` is the inner script, not the
# /usr/bin wrapper)
inner_run() {
  local path
  path=$(printf '%s\n' "$PATH" | tr : '\n' | grep -v bats-core | paste -sd:)
  env $(env | sed -n 's/^\(BATS_[A-Za-z0-9_]*\)=.*/-u \1/p') PATH="$path" PREFPIPE_BUILD="$T/build" \
    sh suite/run-tests.sh
}

@test "run-tests.sh: the closing line counts skips as skips, not passes" {
  mkdir -p suite build
  cp "$BATS_TEST_DIRNAME/run-tests.sh" suite/
  # (printf, not a here-document: bats would read @test lines of this file)
  printf '@test "passes" { true; }\n@test "skips" { skip "no data here"; }\n@test "fails" { false; }\n' \
    > suite/mixed.bats
  printf '@test "passes too" { true; }\n@test "skips too" { skip "nor here"; }\n' > suite/clean.bats
  run inner_run
  [ "$status" -eq 1 ]
  [ "${lines[${#lines[@]}-1]}" = "2 passed, 1 failed, 2 skipped" ]
  [[ "$output" == *"ok   clean (1 tests, 1 skipped)"* ]]
  [[ "$output" == *"skip: skips too # skip nor here"* ]]
}

@test "run-tests.sh: with nothing failed it exits 0 even when tests were skipped" {
  mkdir -p suite build
  cp "$BATS_TEST_DIRNAME/run-tests.sh" suite/
  printf '@test "a" { true; }\n@test "b" { skip "absent"; }\n' > suite/only.bats
  run inner_run
  [ "$status" -eq 0 ]
  [ "${lines[${#lines[@]}-1]}" = "1 passed, 0 failed, 1 skipped" ]
}
