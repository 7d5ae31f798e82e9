#!/usr/bin/env bats
# best-of-n: keep the top-scoring rollout per prompt.
load helper

E=$BATS_TEST_DIRNAME/fixtures/eval

@test "best-of-n: the highest reward per prompt, ties to the smallest id, in first-seen order" {
  rec from-json "$E/rollouts-scored.jsonl" > r.mp
  best-of-n r.mp 2>/dev/null | rec to-json > out.json
  [ "$(jq -r .id out.json | tr '\n' ' ')" = "p1#1 p2#1 p3#0 " ]
  [ "$(jq -r .best_of out.json | tr '\n' ' ')" = "3 3 1 " ]
}

@test "best-of-n: the choice does not depend on the input order" {
  rec from-json "$E/rollouts-scored.jsonl" > r.mp
  tac "$E/rollouts-scored.jsonl" | rec from-json > rev.mp
  best-of-n r.mp 2>/dev/null | rec to-json | jq -r .id | sort > a
  best-of-n rev.mp 2>/dev/null | rec to-json | jq -r .id | sort > b
  cmp a b
}

@test "best-of-n --key and --lowest" {
  printf '%s\n' '{"id":"q#0","rewards":{"h":1}}' '{"id":"q#1","rewards":{"h":5}}' | rec from-json > r.mp
  [ "$(best-of-n --key rewards.h r.mp 2>/dev/null | rec to-json | jq -r .id)" = "q#1" ]
  [ "$(best-of-n --key rewards.h --lowest r.mp 2>/dev/null | rec to-json | jq -r .id)" = "q#0" ]
}

@test "best-of-n: a rollout without a reward is an error naming it; --expect checks group sizes" {
  printf '%s\n' '{"id":"q#0","reward":1}' '{"id":"q#1"}' | rec from-json > r.mp
  run best-of-n r.mp -o out.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"record 2 (id q#1)"*"reward"* ]]
  [ ! -e out.mp ]
  rec from-json "$E/rollouts-scored.jsonl" > s.mp
  run best-of-n --expect 3 s.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"expected 3"* ]]
}

@test "best-of-n | eval-score: best-of-N evaluation of GSM8K" {
  printf '%s\n' '{"id":"g#0","prompt_id":"g","response":"So the answer is 4.","reward":0.1,"gold":{"answer":"5"}}' \
    '{"id":"g#1","prompt_id":"g","response":"So the answer is 5.","reward":0.9,"gold":{"answer":"5"}}' | rec from-json > r.mp
  best-of-n r.mp 2>/dev/null | eval-score --task gsm8k --summary-only 2>/dev/null | rec to-json > s.json
  jq -e '.n == 1 and .accuracy == 1' s.json
}

@test "best-of-n: --help and --version" {
  run best-of-n --help
  [ "$status" -eq 0 ]
  run best-of-n --version
  [ "$status" -eq 0 ]
}
