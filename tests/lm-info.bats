#!/usr/bin/env bats
# lm-info: describing checkpoints, and every kind of bad checkpoint refused
# with a message naming the file and tensor (exit 65).
load helper

setup_ck() {
  lm-init -o ck --dim 16 --layers 1 --heads 2 --kv-heads 1 --ffn 32 2>/dev/null
}

@test "lm-info prints dimensions, parameter count and tokenizer" {
  setup_ck
  run lm-info ck
  [ "$status" -eq 0 ]
  [[ "$output" == *"LlamaForCausalLM"* ]]
  [[ "$output" == *"heads 2 / 1 KV"* ]]
  [[ "$output" == *"261 tokens"* ]]
}

@test "lm-info --json gives the parameter count of the view table" {
  setup_ck
  lm-info --json ck > info.json
  # embed 261*16 + norms 2*16 + q 16*16 + k,v 2*8*16 + o 16*16 + mlp 3*16*32 + final norm 16
  jq -e '.parameters == (261*16 + 32 + 256 + 256 + 256 + 1536 + 16) and .dtypes == "F32 x11"' info.json
}

@test "lm-info: missing directory exits 66" {
  run lm-info nothing-here
  [ "$status" -eq 66 ]
}

@test "lm-info: truncated model.safetensors exits 65 naming the file" {
  setup_ck
  head -c 3000 ck/model.safetensors > t && mv t ck/model.safetensors
  run lm-info ck
  [ "$status" -eq 65 ]
  [[ "$output" == *"model.safetensors"*"truncated"* ]]
}

@test "lm-info: a header length larger than the file exits 65" {
  setup_ck
  printf '\377\377\377\000\000\000\000\000' | dd of=ck/model.safetensors conv=notrunc 2>/dev/null
  run lm-info ck
  [ "$status" -eq 65 ]
  [[ "$output" == *"model.safetensors"* ]]
}

@test "lm-info: NaN in a weight exits 65 naming the tensor" {
  setup_ck
  # the last tensor in the file is model.norm.weight; make its last value NaN
  size=$(stat -c %s ck/model.safetensors)
  printf '\000\000\300\177' | dd of=ck/model.safetensors bs=1 seek=$((size - 4)) conv=notrunc 2>/dev/null
  run lm-info ck
  [ "$status" -eq 65 ]
  [[ "$output" == *"model.norm.weight"*"NaN"* ]]
}

@test "lm-info: shapes that disagree with config.json exit 65 naming the tensor" {
  setup_ck
  jq '.intermediate_size = 48' ck/config.json > c && mv c ck/config.json
  run lm-info ck
  [ "$status" -eq 65 ]
  [[ "$output" == *"mlp.gate_proj.weight has shape [32, 16] but config.json implies [48, 16]"* ]]
}

@test "lm-info: a missing tensor exits 65 naming it" {
  setup_ck
  jq '.tie_word_embeddings = false' ck/config.json > c && mv c ck/config.json
  run lm-info ck
  [ "$status" -eq 65 ]
  [[ "$output" == *"missing tensor lm_head.weight"* ]]
}

@test "lm-info: unknown architecture and rope scaling are refused" {
  setup_ck
  jq '.architectures = ["GPT2LMHeadModel"]' ck/config.json > c && cp ck/config.json orig && mv c ck/config.json
  run lm-info ck
  [ "$status" -eq 65 ]
  [[ "$output" == *"config.json"*"unknown architecture"* ]]
  jq '.rope_scaling = {"rope_type": "linear", "factor": 2}' orig > ck/config.json
  run lm-info ck
  [ "$status" -eq 65 ]
  [[ "$output" == *"rope_scaling"* ]]
}

@test "lm-info: a tokenizer.json of an unsupported model type exits 65" {
  setup_ck
  jq '.model.type = "Unigram"' ck/tokenizer.json > t && mv t ck/tokenizer.json
  run lm-info ck
  [ "$status" -eq 65 ]
  [[ "$output" == *"tokenizer.json"*"Unigram"* ]]
}

@test "lm-info: a sharded checkpoint (model.safetensors.index.json) loads" {
  setup_ck
  mv ck/model.safetensors ck/model-00001-of-00001.safetensors
  echo '{"weight_map": {"model.norm.weight": "model-00001-of-00001.safetensors"}}' > ck/model.safetensors.index.json
  run lm-info ck
  [ "$status" -eq 0 ]
  [[ "$output" == *"F32 x11"* ]]
}

@test "lm-info: a shard name outside the directory is refused" {
  setup_ck
  mv ck/model.safetensors x.safetensors
  echo '{"weight_map": {"model.norm.weight": "../x.safetensors"}}' > ck/model.safetensors.index.json
  run lm-info ck
  [ "$status" -eq 65 ]
  [[ "$output" == *"bad shard file name"* ]]
}
