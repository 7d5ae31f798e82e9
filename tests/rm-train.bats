#!/usr/bin/env bats
# rm-train: Bradley–Terry reward model from a policy checkpoint.
load helper
load fixtures/train/train-helper

rm_args="--batch 8 --lr 1e-3 --lr-floor 1e-4"

setup_data() {
  policy pol
  pairs train.mp 64 1
  pairs eval.mp 40 2
}

@test "rm-train --help and --version exit 0" {
  run rm-train --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--margin-scale"* && "$output" == *"--center"* ]]
  run rm-train --version
  [ "$status" -eq 0 ]
}

@test "rm-train: usage errors exit 64" {
  run rm-train -m pol
  [ "$status" -eq 64 ]
  run rm-train -m pol -o out --center -1
  [ "$status" -eq 64 ]
  run rm-train -m pol -o out --lr-floor 1
  [ "$status" -eq 64 ]
}

@test "rm-train reaches at least 90 % held-out accuracy" {
  setup_data
  rm-train -m pol -o rm $rm_args --eval eval.mp train.mp > m.mp 2>/dev/null
  jq -n --argjson a "$(eval_last m.mp eval_accuracy)" --argjson l0 "$(eval_first m.mp eval_loss)" \
     --argjson l1 "$(eval_last m.mp eval_loss)" -e '$a >= 0.9 and $l1 < $l0'
}

@test "rm-train writes a sequence-classification checkpoint with reward mean and std" {
  setup_data
  rm-train -m pol -o rm $rm_args train.mp > /dev/null 2>&1
  jq -e '.architectures == ["LlamaForSequenceClassification"]' rm/config.json
  jq -e '(.reward_mean | type) == "number" and .reward_std > 0 and .reward_count == 128' rm/trainer_state.json
  run lm-info rm
  [ "$status" -eq 0 ]
}

@test "rm-train defaults are the paper's: one step of batch 512 at lr 1e-5 on a small set" {
  setup_data
  rm-train -m pol -o rm train.mp > m.mp 2>/dev/null
  metrics m.mp | jq -s -e 'length == 1 and .[0].lr == 1e-5 and .[0].examples == 64'
}

@test "rm-train: the margin term and reward centring enter the loss" {
  setup_data
  sed 's/"chosen"/"margin":1,"chosen"/' <("$GEN" 16 1) | rec from-json > margin.mp
  rm-train -m pol -o a $rm_args margin.mp > a.mp 2>/dev/null
  rm-train -m pol -o b $rm_args --margin-scale 1 margin.mp > b.mp 2>/dev/null
  rm-train -m pol -o c $rm_args --center 10 margin.mp > c.mp 2>/dev/null
  la=$(metrics a.mp | jq -s '.[0].loss'); lb=$(metrics b.mp | jq -s '.[0].loss'); lc=$(metrics c.mp | jq -s '.[0].loss')
  # -log s(z - 1) > -log s(z); eta (rc + rr)^2 >= 0 (and > 0 for random rewards)
  jq -n --argjson a "$la" --argjson b "$lb" --argjson c "$lc" -e '$b > $a + 0.1 and $c > $a'
}

@test "rm-train --resume continues to the same weights" {
  setup_data
  rm-train -m pol -o full $rm_args train.mp > /dev/null 2>&1
  rm-train -m pol -o part $rm_args --stop-after 3 train.mp > /dev/null 2>&1
  rm-train --resume part -o part $rm_args train.mp > /dev/null 2>&1
  cmp full/model.safetensors part/model.safetensors
  cmp <(jq -S 'del(.lr)' full/trainer_state.json) <(jq -S 'del(.lr)' part/trainer_state.json)
}

@test "rm-train: bad records are counted; none usable exits 65; unwritable output exits 73" {
  setup_data
  json_records bad.mp '{"id":"x1","prompt":[{"role":"user","content":"q"}],"rejected":"no"}'
  run rm-train -m pol -o out $rm_args bad.mp train.mp
  [ "$status" -eq 0 ]
  [[ "$output" == *"65 records, 64 used"* ]]
  run rm-train -m pol -o out2 $rm_args bad.mp
  [ "$status" -eq 65 ]
  touch f
  run rm-train -m pol -o f/out $rm_args train.mp
  [ "$status" -eq 73 ]
}
