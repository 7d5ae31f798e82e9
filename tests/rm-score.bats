#!/usr/bin/env bats
# rm-score: reward-model scores for pairs and rollouts.
load helper
load fixtures/train/train-helper

setup_rm() {
  policy pol
  pairs train.mp 64 1
  pairs eval.mp 24 2
  rm-train -m pol -o rm --batch 8 --lr 1e-3 --lr-floor 1e-4 train.mp > /dev/null 2>&1
}

@test "rm-score --help and --version exit 0" {
  run rm-score --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--normalize"* ]]
  run rm-score --version
  [ "$status" -eq 0 ]
}

@test "rm-score adds reward_chosen and reward_rejected to pairs (trained RM prefers chosen)" {
  setup_rm
  rm-score -c rm eval.mp > s.mp 2>/dev/null
  rec to-json < s.mp > s.json
  jq -s -e 'length == 24 and all(.[]; has("id") and (.reward_chosen|type) == "number")
            and (map(select(.reward_chosen > .reward_rejected)) | length) >= 22' s.json
}

@test "rm-score adds reward to rollouts; --name writes rewards.NAME keeping other entries" {
  setup_rm
  json_records r.mp '{"id":"r#0","prompt":[{"role":"user","content":"question 5: agree?"}],"response":"yes 1234","rewards":{"gold":1}}' \
    '{"id":"r#1","prompt":[{"role":"user","content":"question 5: agree?"}],"response":""}'
  rm-score -c rm r.mp | rec to-json > a.json
  jq -s -e '(.[0].reward|type) == "number" and (.[1].reward|type) == "number" and .[0].rewards == {"gold":1}' a.json
  rm-score -c rm --name rm1 r.mp | rec to-json > b.json
  jq -s -e --slurpfile a a.json '(.[0] | has("reward") | not) and .[0].rewards.gold == 1
         and .[0].rewards.rm1 == $a[0].reward and .[1].rewards.rm1 == $a[1].reward' b.json
}

@test "rm-score --normalize standardises with the training statistics" {
  setup_rm
  rm-score -c rm --normalize train.mp | rec to-json > n.json
  jq -s -e '[.[].reward_chosen, .[].reward_rejected] as $r | ($r | add / length) as $m
     | ($m | fabs) < 1e-3 and ((($r | map((. - $m) * (. - $m)) | add) / ($r | length)) - 1 | fabs) < 1e-3' n.json
}

@test "rm-score results do not depend on the batch size" {
  setup_rm
  rm-score -c rm -b 1 eval.mp | rec to-json > a.json
  rm-score -c rm -b 7 eval.mp | rec to-json > b.json
  jq -n -e --slurpfile a a.json --slurpfile b b.json '[range($a | length)]
     | all(. as $i | (($a[$i].reward_chosen - $b[$i].reward_chosen) | fabs) < 1e-5)'
}

@test "rm-score: an unscoreable record exits 65; --skip-bad passes it through counted" {
  setup_rm
  json_records in.mp '{"id":"x1","response":"no prompt"}' \
    '{"id":"x2","prompt":[{"role":"user","content":"q"}],"response":"yes"}'
  run rm-score -c rm in.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"record 1: missing field prompt"* ]]
  run rm-score -c rm --skip-bad -o out.mp in.mp
  [ "$status" -eq 0 ]
  [[ "$output" == *"2 records, 1 used"* ]]
  rec to-json < out.mp | jq -s -e '(.[0] | has("reward") | not) and (.[1].reward | type) == "number"'
}

@test "rm-score: a causal LM without score head, or --normalize without statistics, exits 65" {
  policy pol
  pairs p.mp 2 1
  run rm-score -c pol p.mp
  [ "$status" -eq 65 ]
  lm-init -o rmk --preset tiny --reward 2>/dev/null
  run rm-score -c rmk --normalize p.mp
  [ "$status" -eq 65 ]
}
