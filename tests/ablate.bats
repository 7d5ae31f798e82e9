#!/usr/bin/env bats
# pipelines/ablate.sh and the experiment scripts, at SCALE=quick: variants
# share the base run's SFT model, redo only their stages, and print a row
# each; a finished variant is not run again.
load helper

setup_file() {
  export BASE="$BATS_FILE_TMPDIR/base"
  export SCALE=quick THREADS=1
  "$PREFPIPE_ROOT/pipelines/ablate.sh" data "$BASE" dpo "pairs dpo eval" \
    "fine:PAIRS_SCORE=mean-aspects" "overall:PAIRS_SCORE=overall" > "$BATS_FILE_TMPDIR/data.txt" 2>/dev/null
}

@test "the base run stops after SFT and the variants reuse its SFT model" {
  [ -e "$BASE/.done-sft" ]
  [ ! -e "$BASE/.done-dpo" ]
  cmp "$BASE/sft/model.safetensors" "$BASE-data-overall/sft/model.safetensors"
}

@test "one row per variant, with categories and an interval" {
  [ "$(wc -l < "$BATS_FILE_TMPDIR/data.txt")" -eq 3 ]
  grep -Eq '^fine .*[0-9.]+ \[[0-9.]+, [0-9.]+\]' "$BATS_FILE_TMPDIR/data.txt"
  grep -q '^overall ' "$BATS_FILE_TMPDIR/data.txt"
  cmp "$BATS_FILE_TMPDIR/data.txt" "$BASE/ablation-data.txt"
}

@test "the variants really differ: overall and mean-aspects pairs are not the same data" {
  ! cmp -s "$BASE-data-fine/pairs.mp" "$BASE-data-overall/pairs.mp"
  ! cmp -s "$BASE-data-fine/dpo/model.safetensors" "$BASE-data-overall/dpo/model.safetensors"
}

@test "a finished variant is not run again" {
  touch -d '2000-01-01' "$BASE-data-overall/dpo/model.safetensors"
  "$PREFPIPE_ROOT/pipelines/ablate.sh" data "$BASE" dpo "pairs dpo eval" "overall:PAIRS_SCORE=overall" > again.txt 2>/dev/null
  [ "$(stat -c %Y "$BASE-data-overall/dpo/model.safetensors")" -lt 1000000000 ]
}

@test "the KL sweep runs PPO per beta" {
  "$PREFPIPE_ROOT/pipelines/ablate.sh" kl "$BASE" ppo-final "pairs rm ppo eval" \
    "b0.01:PPO_BETA=0.01" "b1:PPO_BETA=1" > kl.txt 2>/dev/null
  grep -q '^b0.01 ' kl.txt
  grep -Eq '^b1 .*%$' kl.txt   # the reward model was trained: its accuracy is shown
  [ "$(rec to-json "$BASE-kl-b1/ppo-metrics.mp" | jq -s 'map(.kl_coef) | max')" = "1" ]
}

@test "usage errors" {
  run env SEEDS=x "$PREFPIPE_ROOT/pipelines/ablate.sh" t b dpo "dpo" v:
  [ "$status" -eq 64 ]
  run "$PREFPIPE_ROOT/pipelines/ablate.sh" x
  [ "$status" -eq 64 ]
}

@test "SEEDS=2: each seed its own world and SFT, then a paired comparison over seeds" {
  export N_SFT=100 N_PREF=100 N_EVAL=20
  SEEDS=2 "$PREFPIPE_ROOT/pipelines/ablate.sh" data "$BATS_TEST_TMPDIR/m" dpo "pairs dpo eval" \
    "fine:PAIRS_SCORE=mean-aspects" "overall:PAIRS_SCORE=overall" > seeds.txt 2>/dev/null
  m=$BATS_TEST_TMPDIR/m
  ! cmp -s "$m-seed1/eval.mp" "$m-seed2/eval.mp"           # two worlds
  cmp "$m-seed2/sft/model.safetensors" "$m-seed2-data-overall/sft/model.safetensors"
  grep -q '^fine .* baseline' seeds.txt
  grep -Eq '^overall +2 ' seeds.txt
  rec to-json "$m-seed1/comparison-data.mp" > c.json
  jq -e -s 'length == 2 and .[1].arm == "overall" and .[1].seeds == 2 and .[1].lo <= .[1].diff and .[1].diff <= .[1].hi' c.json
  jq -e -s '.[1].power.seeds_needed >= 2' c.json
  if command -v gnuplot > /dev/null; then   # drawn beside the table
    [ "$(head -c 4 "$m-seed1/comparison-data.png" | od -An -c | tr -d ' ')" = "211PNG" ]
  fi
}

@test "NOTE: an axis that re-measures a built-in bias says so under its table" {
  NOTE="(note: built in)" "$PREFPIPE_ROOT/pipelines/ablate.sh" data "$BASE" dpo "pairs dpo eval" \
    "fine:PAIRS_SCORE=mean-aspects" "overall:PAIRS_SCORE=overall" > noted.txt 2>/dev/null
  [ "$(tail -n 1 noted.txt)" = "(note: built in)" ]
  [ "$(tail -n 1 "$BASE/ablation-data.txt")" = "(note: built in)" ]
}
