#!/usr/bin/env bats
# toy-reward: the known reward of the PPO toy task.
load helper

@test "reward is the fraction of response tokens in the target set" {
  echo '{"id":"r","response":"abcd","tokens":[1,5,6,9]}' | rec from-json | toy-reward --token 5-6,9 | rec to-json > out.jsonl
  [ "$(jq .reward out.jsonl)" = "0.75" ]
}

@test "--char counts bytes of the response text" {
  echo '{"id":"r","response":"aaab","tokens":[1]}' | rec from-json | toy-reward --char a | rec to-json > out.jsonl
  [ "$(jq .reward out.jsonl)" = "0.75" ]
}

@test "a record without tokens is an error naming it; no target is a usage error" {
  echo '{"id":"r","response":"x"}' | rec from-json > bad.mp
  run toy-reward --token 1 bad.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"record 1"* ]]
  run toy-reward bad.mp
  [ "$status" -eq 64 ]
}
