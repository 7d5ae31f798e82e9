#!/usr/bin/env bats
# Crafted config.json files (issue 20, points 10 and 13): sizes are
# computed in 64 bits with bounds, so a hostile config exits 65 naming the
# field instead of overflowing int or attempting a huge allocation (70/71).
load helper

crafted() { # crafted JQ-EXPR: a checkpoint dir c whose config.json is edited
  lm-init -o ck --dim 16 --layers 1 --heads 2 --ffn 32 2>/dev/null
  cp -r ck c
  jq "$1" ck/config.json > c/config.json
}

@test "config.json: num_attention_heads x head_dim overflowing int exits 65 naming the fields" {
  crafted '.num_attention_heads=2097152 | .num_key_value_heads=2097152 | .head_dim=1024'
  run lm-info c
  [ "$status" -eq 65 ]
  [[ "$output" == *"c/config.json: num_attention_heads x head_dim is over"* ]]
}

@test "config.json: layers x layer size beyond any machine exits 65, no huge allocation" {
  crafted '.num_hidden_layers=60000 | .hidden_size=4096 | .intermediate_size=16384 | .vocab_size=32000 | .num_attention_heads=32 | .num_key_value_heads=32 | .head_dim=128'
  run lm-info c
  [ "$status" -eq 65 ]
  [[ "$output" == *"c/config.json: model too large (num_hidden_layers x the layer size"* ]]
  crafted '.num_hidden_layers=100000'
  run lm-info c
  [ "$status" -eq 65 ]
  [[ "$output" == *"num_hidden_layers is over"* ]]
}

@test "config.json: max_position_embeddings 0 is refused" {
  crafted '.max_position_embeddings=0'
  run lm-info c
  [ "$status" -eq 65 ]
  [[ "$output" == *"max_position_embeddings must be positive"* ]]
  run lm-init -o z --max-pos 0
  [ "$status" -eq 64 ]
}
