#!/usr/bin/env bats
# Model families beyond Llama through the executables: lm-init --arch,
# lm-info, the trainers (their checkpoints stay the family), lm-logprob,
# rollout, and Mistral's sliding window refused when a sequence reaches it.
# The math itself is checked against PyTorch in test_family_parity.
load helper
load fixtures/train/train-helper

families="mistral qwen2 qwen3 olmo2 gemma"

@test "lm-init --arch writes each family; lm-info names its class; unknown --arch exits 64" {
  for a in $families; do
    lm-init --arch "$a" -o "$a" --seed 1 2>/dev/null
    jq -e --arg a "$a" '.model_type == $a' "$a/config.json"
    lm-info "$a" > info.txt
    cls=$(jq -r '.architectures[0]' "$a/config.json")
    grep -q "architecture  $cls" info.txt
  done
  jq -e '.architectures == ["Qwen2ForCausalLM"]' qwen2/config.json
  jq -e '.architectures == ["Olmo2ForCausalLM"] and .attention_bias == false' olmo2/config.json
  jq -e '.architectures == ["GemmaForCausalLM"] and .hidden_activation == "gelu_pytorch_tanh"' gemma/config.json
  run lm-init --arch gemma2 -o x
  [ "$status" -eq 64 ]
  [[ "$output" == *"qwen3"* ]]
}

@test "every family trains (sft, dpo, rm), keeps its class, and runs lm-logprob and rollout" {
  pairs sft.mp 16 3 sft
  pairs pairs.mp 16 1
  rec from-json < "$FIX/ppo/prompts.jsonl" > prompts.mp
  for a in $families; do
    lm-init --arch "$a" -o "$a" --seed 1 2>/dev/null
    sft-step -m "$a" -o "$a-sft" --batch 8 --lr 3e-3 --max-steps 2 sft.mp > m.mp 2>/dev/null
    jq -e --arg a "$a" '.model_type == $a' "$a-sft/config.json"
    ! cmp -s "$a/model.safetensors" "$a-sft/model.safetensors"
    dpo-step -m "$a-sft" --ref "$a-sft" -o "$a-dpo" --batch 8 --lr 1e-3 --max-steps 2 pairs.mp > d.mp 2>/dev/null
    metrics d.mp | jq -s -e 'length == 2 and all(.loss | type == "number")'
    lm-logprob -c "$a-dpo" sft.mp | rec to-json | jq -s -e 'length == 16 and all(.logprobs | length > 0)'
    rollout -c "$a-dpo" -n 1 --max-new 4 prompts.mp 2>/dev/null | rec to-json | jq -s -e 'length > 0'
  done
  rm-train -m qwen2-sft -o rm --batch 8 --lr 1e-3 --max-steps 2 pairs.mp > /dev/null 2>&1
  jq -e '.architectures == ["Qwen2ForSequenceClassification"]' rm/config.json
  lm-info rm | grep -q 'Qwen2ForSequenceClassification'
}

@test "a Mistral sliding_window shorter than a sequence is refused (exit 65), never silently ignored" {
  lm-init --arch mistral -o m --seed 1 2>/dev/null
  pairs sft.mp 4 3 sft
  lm-logprob -c m sft.mp > /dev/null   # no window: runs
  jq '.sliding_window = 4' m/config.json > c.json && mv c.json m/config.json
  run lm-logprob -c m sft.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"sliding_window of 4"* ]]
}
