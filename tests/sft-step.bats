#!/usr/bin/env bats
# sft-step: supervised fine-tuning on assistant tokens only.
load helper
load fixtures/train/train-helper

sft_args="--batch 8 --lr 3e-3"

@test "sft-step --help and --version exit 0" {
  run sft-step --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--max-len"* ]]
  run sft-step --version
  [ "$status" -eq 0 ]
}

@test "sft-step lowers the held-out NLL" {
  policy pol
  pairs train.mp 64 3 sft
  pairs eval.mp 16 4 sft
  sft-step -m pol -o out $sft_args --eval eval.mp train.mp > m.mp 2>/dev/null
  jq -n --argjson a "$(eval_first m.mp eval_nll)" --argjson b "$(eval_last m.mp eval_nll)" -e '$b < $a - 1'
  [ "$(metrics m.mp | jq -s 'map(select(has("loss"))) | length')" = 16 ]
}

@test "sft-step's loss covers the assistant tokens only (equals lm-logprob's response NLL)" {
  policy pol
  pairs e.mp 6 4 sft
  sft-step -m pol -o out $sft_args --max-steps 1 --eval e.mp e.mp > m.mp 2>/dev/null
  lm-logprob -c pol e.mp | rec to-json > lp.json
  want=$(jq -s '[.[].logprobs[]] | (add / length) * -1' lp.json)
  ntok=$(jq -s '[.[].logprobs[]] | length' lp.json)
  jq -n --argjson a "$(eval_first m.mp eval_loss)" --argjson w "$want" -e '($a - $w | fabs) < 1e-4'
  [ "$(eval_first m.mp eval_response_tokens)" = "$ntok" ]
}

@test "sft-step trains on the chosen side of pairs exactly as on sft records" {
  policy pol
  pairs p.mp 16 5 pair
  pairs s.mp 16 5 sft
  sft-step -m pol -o a $sft_args p.mp > /dev/null 2>&1
  sft-step -m pol -o b $sft_args s.mp > /dev/null 2>&1
  cmp a/model.safetensors b/model.safetensors
}

@test "sft-step: truncation is counted, empty responses skipped, resume is exact" {
  policy pol
  pairs train.mp 16 3 sft
  json_records e.mp '{"id":"e","prompt":[{"role":"user","content":"q"}],"response":""}'
  run sft-step -m pol -o out $sft_args --max-len 28 e.mp train.mp
  [ "$status" -eq 0 ]
  [[ "$output" == *"17 records, 16 used, 16 truncated; skipped 1"* ]]
  sft-step -m pol -o full $sft_args --epochs 3 train.mp > /dev/null 2>&1
  sft-step -m pol -o part $sft_args --epochs 3 --stop-after 2 train.mp > /dev/null 2>&1
  sft-step --resume part -o part $sft_args --epochs 3 train.mp > /dev/null 2>&1
  cmp full/model.safetensors part/model.safetensors
}

@test "sft-step: a reward model is refused (65); a missing model directory exits 66" {
  lm-init -o rmk --preset tiny --reward 2>/dev/null
  pairs s.mp 2 1 sft
  run sft-step -m rmk -o out s.mp
  [ "$status" -eq 65 ]
  run sft-step -m nowhere -o out s.mp
  [ "$status" -eq 66 ]
}
