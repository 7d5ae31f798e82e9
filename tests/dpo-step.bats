#!/usr/bin/env bats
# dpo-step: DPO and variants on pairs; checkpoints, resume, signals,
# bad input.  Tiny model, one thread, a synthetic set where "yes + ascending
# digits" is always preferred to "no + random digits".
load helper
load fixtures/train/train-helper

train_args="--epochs 2 --batch 8 --lr 1e-3"

setup_data() {
  policy pol
  pairs train.mp 64 1
  pairs eval.mp 32 2
}

@test "dpo-step --help and --version exit 0" {
  run dpo-step --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--loss NAME"* && "$output" == *"--resume DIR"* ]]
  run dpo-step --version
  [ "$status" -eq 0 ]
}

@test "dpo-step: usage errors exit 64" {
  run dpo-step -o out
  [ "$status" -eq 64 ]
  run dpo-step -m pol -o out --loss orpo
  [ "$status" -eq 64 ]
  run dpo-step -m pol -o out --label-smoothing 0.1
  [ "$status" -eq 64 ]
  run dpo-step -m pol -o out --truncation middle
  [ "$status" -eq 64 ]
}

@test "dpo-step raises the held-out margin and reward accuracy" {
  setup_data
  dpo-step -m pol --ref pol -o out $train_args --eval eval.mp train.mp > m.mp 2>/dev/null
  [ "$(eval_first m.mp eval_reward_margin)" = 0 ]
  jq -n --argjson a "$(eval_first m.mp eval_reward_accuracy)" --argjson b "$(eval_last m.mp eval_reward_accuracy)" \
     --argjson m "$(eval_last m.mp eval_reward_margin)" --argjson l0 "$(eval_first m.mp eval_loss)" \
     --argjson l1 "$(eval_last m.mp eval_loss)" -e '$b >= 0.9 and $b > $a and $m > 0.5 and $l1 < $l0'
  [ -f out/model.safetensors ] && [ -f out/optimizer.safetensors ] && [ -f out/trainer_state.json ]
}

@test "dpo-step writes one metrics record per step with the DPO numbers and the schedule" {
  setup_data
  dpo-step -m pol --ref pol -o out $train_args train.mp > m.mp 2>/dev/null
  metrics m.mp > m.json
  [ "$(jq -s 'length' m.json)" = 16 ]
  jq -s -e 'all(.[]; .stage == "dpo-step" and (.loss|type) == "number" and (.lr|type) == "number"
            and (.grad_norm|type) == "number" and .tokens_per_s > 0 and .tokens > 0
            and has("reward_accuracy") and has("reward_chosen") and has("reward_rejected")
            and has("reward_margin") and has("logp_chosen") and has("logp_rejected"))' m.json
  # 10 % warm-up of 16 steps = 2 steps, then linear decay to 0
  jq -s -e '.[0].lr == 0.0005 and .[1].lr == 0.001 and .[-1].lr == 0 and ([.[].step] == [range(1;17)])' m.json
}

@test "dpo-step: every loss variant lowers the held-out loss" {
  setup_data
  for l in ipo cdpo hinge dpo-norm simpo; do
    extra="--ref pol"
    [ $l = simpo ] && extra="--beta 2"
    dpo-step -m pol $extra -o out-$l --loss $l $train_args --eval eval.mp train.mp > m-$l.mp 2>/dev/null
    jq -n --argjson a "$(eval_first m-$l.mp eval_loss)" --argjson b "$(eval_last m-$l.mp eval_loss)" -e '$b < $a' \
      || { echo "loss $l did not fall"; false; }
  done
}

@test "dpo-step is deterministic for a seed and shuffles differently for another" {
  setup_data
  dpo-step -m pol --ref pol -o a $train_args --no-timing train.mp > ma.mp 2>/dev/null
  dpo-step -m pol --ref pol -o b $train_args --no-timing train.mp > mb.mp 2>/dev/null
  dpo-step -m pol --ref pol -o c $train_args --seed 7 train.mp > /dev/null 2>&1
  cmp a/model.safetensors b/model.safetensors
  cmp a/optimizer.safetensors b/optimizer.safetensors
  cmp ma.mp mb.mp
  ! metrics ma.mp | grep -q tokens_per_s
  ! cmp -s a/model.safetensors c/model.safetensors
}

@test "dpo-step --resume continues to the same weights as an uninterrupted run" {
  setup_data
  dpo-step -m pol --ref pol -o full $train_args train.mp > /dev/null 2>&1
  dpo-step -m pol --ref pol -o part $train_args --stop-after 5 train.mp > /dev/null 2>err
  grep -q "step 5 of 16" err
  jq -e '.step == 5 and .total_steps == 16' part/trainer_state.json
  dpo-step --ref pol --resume part -o part $train_args train.mp > m.mp 2>/dev/null
  cmp full/model.safetensors part/model.safetensors
  cmp full/optimizer.safetensors part/optimizer.safetensors
  [ "$(metrics m.mp | jq -s '.[0].step')" = 6 ]
}

@test "dpo-step --resume refuses other data or settings" {
  setup_data
  dpo-step -m pol --ref pol -o part $train_args --stop-after 2 train.mp > /dev/null 2>&1
  run dpo-step --ref pol --resume part -o part $train_args eval.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"cannot resume"* ]]
  # a setting given again with another value: a usage error naming both (resume.bats)
  run dpo-step --ref pol --resume part -o part --epochs 2 --batch 4 --lr 1e-3 train.mp
  [ "$status" -eq 64 ]
}

@test "dpo-step: SIGINT saves a resumable checkpoint and exits 130" {
  setup_data
  dpo-step -m pol --ref pol -o sig --epochs 5000 --batch 8 --lr 1e-4 --save-every 1 train.mp > m.mp 2> err &
  pid=$!
  for i in $(seq 600); do [ -f sig/trainer_state.json ] && break; sleep 0.05; done
  kill -INT $pid
  rc=0; wait $pid || rc=$?
  [ "$rc" -eq 130 ]
  grep -q "interrupted at step" err
  step=$(jq .step sig/trainer_state.json)
  [ "$step" -ge 1 ] && [ "$step" -lt 40000 ]
  [ "$(metrics m.mp | jq -s '.[-1].step')" = "$step" ]
  dpo-step --ref pol --resume sig -o sig --epochs 5000 --batch 8 --lr 1e-4 --stop-after 1 train.mp > /dev/null 2>&1
  [ "$(jq .step sig/trainer_state.json)" = $((step + 1)) ]
}

@test "dpo-step: SIGTERM also checkpoints (exit 143)" {
  setup_data
  dpo-step -m pol --ref pol -o sig --epochs 5000 --batch 8 --save-every 1 train.mp > /dev/null 2>&1 &
  pid=$!
  for i in $(seq 600); do [ -f sig/trainer_state.json ] && break; sleep 0.05; done
  kill -TERM $pid
  rc=0; wait $pid || rc=$?
  [ "$rc" -eq 143 ]
  [ -f sig/model.safetensors ]
}

@test "dpo-step: a non-finite loss stops with exit 70 and keeps the last checkpoint" {
  setup_data
  run dpo-step -m pol --ref pol -o out $train_args --lr 1e30 --save-every 1 --metrics m.mp train.mp
  [ "$status" -eq 70 ]
  # the metrics of the good steps are kept
  [ "$(metrics m.mp | jq -s 'length')" -ge 1 ]
  [[ "$output" == *"the loss is nan"* || "$output" == *"gradient norm is"* ]]
  [[ "$output" == *"last checkpoint in out is kept"* ]]
  jq -e '.step >= 1' out/trainer_state.json
}

@test "dpo-step: records missing fields or with empty responses are skipped and counted" {
  setup_data
  json_records bad.mp '{"id":"x1","prompt":[{"role":"user","content":"q"}],"chosen":"yes"}' \
    '{"id":"x2","prompt":[{"role":"user","content":"q"}],"chosen":"","rejected":"no"}' \
    '{"id":"x3","chosen":"a","rejected":"b"}'
  run dpo-step -m pol --ref pol -o out $train_args bad.mp train.mp
  [ "$status" -eq 0 ]
  [[ "$output" == *"67 records, 64 used"* ]]
  [[ "$output" == *"missing fields 2, empty responses 1"* ]]
  [[ "$output" == *"record 1 skipped: missing field rejected"* ]]
}

@test "dpo-step: no usable record exits 65" {
  policy pol
  json_records bad.mp '{"id":"x1","prompt":[{"role":"user","content":"q"}],"chosen":"yes"}'
  run dpo-step -m pol --ref pol -o out bad.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"no usable training examples"* ]]
  [ ! -e out ]
}

@test "dpo-step: over-long pairs are truncated (keep-start, keep-end) or dropped, and counted" {
  setup_data
  # prompts are 24 tokens, responses 8-9 (with EOS)
  run dpo-step -m pol --ref pol -o out $train_args --max-len 28 train.mp
  [ "$status" -eq 0 ]
  [[ "$output" == *"64 used, 64 truncated"* ]]
  run dpo-step -m pol --ref pol -o out $train_args --max-len 28 --truncation keep-end train.mp
  [ "$status" -eq 0 ]
  [[ "$output" == *"64 used, 64 truncated"* ]]
  run dpo-step -m pol --ref pol -o out $train_args --max-len 28 --truncation drop train.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"too long 64"* ]]
  run dpo-step -m pol --ref pol -o out $train_args --max-len 24 train.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"prompt alone fills the 24-token limit"* ]]
}

@test "dpo-step: pairs without reference log-probs and no --ref exit 65" {
  setup_data
  run dpo-step -m pol -o out $train_args train.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"no reference log-probs"* ]]
}

@test "dpo-step: a reference with another tokenizer is refused" {
  setup_data
  lm-init -o other --dim 16 --layers 1 --heads 2 --ffn 32 --tokenizer "$FIX/model/bpe-gpt2.json" 2>/dev/null
  run dpo-step -m pol --ref other -o out $train_args train.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"reference tokenizer differs"* ]]
}

@test "dpo-step: same vocabulary, different post-processor: the reference is refused" {
  pairs train.mp 16 1
  sp=$PREFPIPE_ROOT/tests/fixtures/tokenizer/llama2-sp.json
  jq 'del(.post_processor)' "$sp" > nobos.json
  # the same tokenizer written as another tokenizers release or a hand
  # would: merges as "a b" strings, default keys left out, added tokens
  # in reverse order, other whitespace
  jq '.model.merges |= map(join(" ")) | del(.model.dropout, .model.ignore_merges)
      | .added_tokens |= reverse' "$sp" > reformatted.json
  for t in sp:$sp nobos:nobos.json same:reformatted.json; do
    lm-init -o "${t%%:*}" --dim 16 --layers 1 --heads 2 --ffn 32 --seed 1 --tokenizer "${t#*:}" 2>/dev/null
  done
  run dpo-step -m sp --ref nobos -o out --epochs 1 --batch 8 train.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"reference tokenizer differs"*"post-processor"* ]]
  run dpo-step -m sp --ref same -o out --epochs 1 --batch 8 train.mp
  [ "$status" -eq 0 ]
}

@test "dpo-step: an unwritable output directory exits 73 before training" {
  setup_data
  touch file
  run dpo-step -m pol --ref pol -o file/out $train_args train.mp
  [ "$status" -eq 73 ]
  [[ "$output" == *"cannot write a checkpoint"* ]]
}

@test "dpo-step: the update does not depend on the micro-batch size" {
  setup_data
  dpo-step -m pol --ref pol -o a $train_args --micro-batch 1 --eval eval.mp train.mp > ma.mp 2>/dev/null
  dpo-step -m pol --ref pol -o b $train_args --micro-batch 8 --eval eval.mp train.mp > mb.mp 2>/dev/null
  jq -n --argjson a "$(eval_last ma.mp eval_loss)" --argjson b "$(eval_last mb.mp eval_loss)" -e '($a - $b) | fabs < 1e-4'
}
