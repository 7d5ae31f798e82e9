#!/usr/bin/env bats
# pipelines/exp-math.sh at SCALE=quick (and small sizes): the recipe runs in
# BASE-math with extra math demonstrations (recipe.sh's N_SFT_MATH), PPO
# reruns on math prompts only as an ablate.sh variant, and the per-level
# table counts exactly the held-out math prompts each model answered.
load helper

setup_file() {
  export B="$BATS_FILE_TMPDIR/base"
  export SCALE=quick THREADS=1 N_SFT=100 N_PREF=100 N_RMEVAL=50 N_EVAL=60 BON=2
  "$PREFPIPE_ROOT/pipelines/exp-math.sh" "$B" > "$BATS_FILE_TMPDIR/out.txt" 2> "$BATS_FILE_TMPDIR/err.txt"
}

@test "the table: a row per model, six levels, counts that add up to the held-out math prompts" {
  t=$BATS_FILE_TMPDIR/out.txt
  cmp "$t" "$B-math/math-levels.txt"
  head -n 1 "$t" | grep -q '^math right .*level 1 .*level 6 .*all .*math score .*copied$'
  n=$(rec to-json "$B-math/eval.mp" | jq -s 'map(select(.gold.category == "math")) | length')
  [ "$n" -gt 0 ]
  w=$(rec to-json "$B-math/eval.mp" | jq -s 'map(select(.gold.category == "math" and .gold.level >= 4
    and (.prompt[-1].content | test("Show your steps")))) | length')
  head -n 1 "$t" | grep -q 'copied$'
  for m in sft dpo ppo ppo-math; do
    row=$(grep "^$m " "$t")
    # right/asked per level, then all: the levels' counts sum to all's, all asked = n
    echo "$row" | awk -v n="$n" '{ r = 0; a = 0
      for (i = 2; i <= 7; i++) { split($i, x, "/"); r += x[1]; a += x[2] }
      split($8, y, "/"); exit !(r == y[1] && a == y[2] && a == n && $9 ~ /^[0-9]+\.[0-9]$/) }'
    # copied: out of the worked two-digit prompts
    echo "$row" | awk -v w="$w" '{ split($10, c, "/"); exit !($10 ~ /^[0-9]+\/[0-9]+$/ && c[1] <= c[2] && c[2] == w) }'
  done
  # the per-level counts are the gold judge's: recount SFT's level 1
  want=$(gold-judge --no-summary "$B-math/eval-sft.mp" 2>/dev/null | rec to-json |
    jq -s 'map(select(.gold.level == 1)) | "\(map(select(.gold_scores.helpfulness == 1)) | length)/\(length)"' -r)
  [ "$(grep '^sft ' "$t" | awk '{ print $2 }')" = "$want" ]
}

@test "N_SFT_MATH: extra math demonstrations of train items, new draws, none held out" {
  rec to-json "$B-math/sft.mp" > sft.jsonl
  [ "$(wc -l < sft.jsonl)" -eq 200 ]                       # N_SFT + N_SFT_MATH (quick: 100)
  tail -n 100 sft.jsonl | jq -e -s 'all(.meta.gold.category == "math")' > /dev/null
  # records 100..199 of the math draw: other records than the first 100's
  [ "$(tail -n 100 sft.jsonl | jq -r .id | sort -u | wc -l)" -eq 100 ]
  ! jq -r .id sft.jsonl | sort | uniq -d | grep -q .
  # items: train split only, none of the evaluation's
  tail -n 100 sft.jsonl | jq -r .meta.gold.item_id | sort -u > extra.ids
  rec to-json "$B-math/eval.mp" | jq -r .gold.item_id | sort -u > eval.ids
  [ -z "$(comm -12 extra.ids eval.ids)" ]
  # the strong responder answers them: mostly right
  tail -n 100 sft.jsonl | jq -c '{id, prompt, response, gold: .meta.gold}' | rec from-json |
    gold-judge --summary-only | rec to-json | jq -e '.categories.math.score > 0.9' > /dev/null
  # and the recipe records the knobs
  jq -e '.config.N_SFT_MATH == "100" and .config.MATH_RESPONDER == "strong"' "$B-math/results.json" > /dev/null
}

@test "ppo-math: PPO from the same SFT model and reward model on math pool prompts only" {
  v=$B-math-prompts-math
  cmp "$B-math/sft/model.safetensors" "$v/sft/model.safetensors"
  cmp "$B-math/rm/model.safetensors" "$v/rm/model.safetensors"
  rec to-json "$v/ppo-pool.mp" | jq -e -s 'length > 0 and all(.gold.category == "math")' > /dev/null
  rec to-json "$B-math/ppo-pool.mp" | jq -e -s 'any(.gold.category != "math")' > /dev/null
  ! cmp -s "$B-math/ppo-final/model.safetensors" "$v/ppo-final/model.safetensors"
  # pool items are not evaluation items
  rec to-json "$v/ppo-pool.mp" | jq -r .gold.item_id | sort -u > pool.ids
  rec to-json "$B-math/eval.mp" | jq -r .gold.item_id | sort -u > eval.ids
  [ -z "$(comm -12 pool.ids eval.ids)" ]
}

@test "a second run reuses every stage and prints the same table" {
  "$PREFPIPE_ROOT/pipelines/exp-math.sh" "$B" > again.txt 2>/dev/null
  cmp again.txt "$BATS_FILE_TMPDIR/out.txt"
}

@test "--help prints the usage; an unknown option is refused" {
  run "$PREFPIPE_ROOT/pipelines/exp-math.sh" --help
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "exp-math.sh [BASE]"* ]]
  run "$PREFPIPE_ROOT/pipelines/exp-math.sh" --bogus
  [ "$status" -eq 64 ]
  [[ "$output" == *"unknown option '--bogus'"* ]]
}

@test "an arm with more PPO batches than the full base run starts its own PPO run" {
  # the base (a whole recipe run) holds a finished PPO state of 2 batches;
  # an arm of 3 once "resumed" it and ppo-step refused another --policy
  "$PREFPIPE_ROOT/pipelines/ablate.sh" more "$B-math" ppo-final "pairs ppo eval" "b3:PPO_CATEGORIES=math;PPO_BATCHES=3" > more.txt 2> more.err
  v=$B-math-more-b3
  [ "$(rec count "$v/ppo-metrics.mp")" -eq 3 ]
  jq -e '.options.policy | test("/arms/[0-9a-f]+/sft$")' "$v/ppo/run_config.json" > /dev/null
  ! grep -q resuming "$v/log.txt"
}
