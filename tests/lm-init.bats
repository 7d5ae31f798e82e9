#!/usr/bin/env bats
# lm-init: random checkpoints from presets or explicit dimensions.
load helper

small_args="--dim 16 --layers 1 --heads 2 --ffn 32"

@test "lm-init --help and --version exit 0" {
  run lm-init --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--preset"* ]]
  run lm-init --version
  [ "$status" -eq 0 ]
}

@test "lm-init writes config.json, model.safetensors and tokenizer.json" {
  run lm-init -o ck --preset tiny
  [ "$status" -eq 0 ]
  [ -f ck/config.json ] && [ -f ck/model.safetensors ] && [ -f ck/tokenizer.json ]
  jq -e '.architectures[0] == "LlamaForCausalLM" and .hidden_size == 64 and .num_key_value_heads == 2 and .tie_word_embeddings == true and .vocab_size == 261' ck/config.json
  [ -z "$(ls -d ck.tmp.* 2>/dev/null)" ]
}

@test "lm-init: same seed gives identical bytes, another seed different weights" {
  lm-init -o a $small_args --seed 5 2>/dev/null
  lm-init -o b $small_args --seed 5 2>/dev/null
  lm-init -o c $small_args --seed 6 2>/dev/null
  cmp a/model.safetensors b/model.safetensors
  cmp a/config.json b/config.json
  ! cmp -s a/model.safetensors c/model.safetensors
}

@test "lm-init replaces an existing checkpoint directory" {
  lm-init -o ck $small_args --seed 1 2>/dev/null
  touch ck/stale-file
  lm-init -o ck $small_args --seed 2 --untied 2>/dev/null
  [ ! -e ck/stale-file ]
  jq -e '.tie_word_embeddings == false' ck/config.json
}

@test "lm-init --reward writes a sequence-classification model with one label" {
  lm-init -o rm $small_args --reward 2>/dev/null
  jq -e '.architectures[0] == "LlamaForSequenceClassification" and .num_labels == 1 and .pad_token_id == 260' rm/config.json
  run lm-info --json rm
  [ "$status" -eq 0 ]
  echo "$output" > info.json
  jq -e '.score_head == true and .lm_head == false' info.json
}

@test "lm-init --tokenizer takes the vocabulary size from tokenizer.json" {
  lm-init -o ck $small_args --tokenizer "$FIX/model/bpe-gpt2.json" 2>/dev/null
  jq -e '.vocab_size == 264 and .eos_token_id == 263' ck/config.json
  cmp ck/tokenizer.json "$FIX/model/bpe-gpt2.json"
}

@test "lm-init: unknown preset is a usage error" {
  run lm-init -o ck --preset huge
  [ "$status" -eq 64 ]
  [[ "$output" == *"unknown preset"* ]]
}

@test "lm-init: heads that do not divide the KV heads are refused" {
  run lm-init -o ck --dim 12 --layers 1 --heads 3 --kv-heads 2 --ffn 8
  [ "$status" -eq 64 ]
  [ ! -e ck ]
}

@test "lm-init: missing tokenizer file exits 66, unsupported one 65" {
  run lm-init -o ck $small_args --tokenizer nope.json
  [ "$status" -eq 66 ]
  jq '.model.type = "WordLevel"' "$FIX/model/bpe-gpt2.json" > wp.json
  run lm-init -o ck $small_args --tokenizer wp.json
  [ "$status" -eq 65 ]
  [[ "$output" == *"wp.json"*"WordLevel"* ]]
}
