#!/usr/bin/env bats
# Corrupted checkpoints: every kind of damage to a saved trainer checkpoint
# is bad input (exit 65, naming the file) for --resume and for lm-info,
# never an internal error (70) or an allocation failure (71); a missing
# file is exit 66.  The damage is done by fixtures/train/corrupt-ckpt.py.
load helper
load fixtures/train/train-helper

CORRUPT=$BATS_TEST_DIRNAME/fixtures/train/corrupt-ckpt.py

ckpt() {
  policy pol
  pairs train.mp 16 3 sft
  sft-step -m pol -o part --batch 8 --lr 3e-3 --epochs 3 --stop-after 1 train.mp > /dev/null 2>&1
  [ -f part/optimizer.safetensors ] && [ -f part/trainer_state.json ]
}

# expect CODE FILE-SUBSTRING CASE...: resume (and lm-info when asked) exit CODE naming FILE
expect() {
  local code=$1 file=$2 info=$3; shift 3
  for c in "$@"; do
    python3 "$CORRUPT" part bad "$c"
    run sft-step --resume bad -o out --batch 8 --lr 3e-3 --epochs 3 train.mp
    echo "case $c: status $status: $output"
    [ "$status" -eq "$code" ]
    [[ "$output" == *"$file"* ]]
    [ ! -e out ]
    if [ "$info" = info ]; then
      run lm-info bad
      echo "case $c (lm-info): status $status: $output"
      [ "$status" -eq "$code" ]
    fi
  done
}

@test "bad checkpoint: a truncated or malformed safetensors header exits 65" {
  ckpt
  expect 65 model.safetensors info trunc-model trunc-header empty-model huge-header-len bad-header-json header-not-object
}

@test "bad checkpoint: wrong dtype, shape or offsets and a missing tensor exit 65" {
  ckpt
  expect 65 model.safetensors info dtype dtype-unknown shape shape-huge offsets-out offsets-neg offsets-str missing-tensor
}

@test "bad checkpoint: a non-finite weight exits 65" {
  ckpt
  expect 65 model.safetensors info nan-weights
}

@test "bad checkpoint: a damaged optimizer state exits 65" {
  ckpt
  expect 65 optimizer.safetensors noinfo opt-trunc opt-shape opt-missing opt-meta-notstr
  expect 65 "optimizer step" noinfo opt-step-str
}

@test "bad checkpoint: a damaged trainer_state.json exits 65" {
  ckpt
  expect 65 trainer_state.json noinfo state-trunc state-empty state-huge-step
  expect 65 "cannot resume" noinfo state-types state-array
}

@test "bad checkpoint: truncated config or tokenizer JSON exit 65; a missing file 66; a directory for a file 65" {
  ckpt
  expect 65 config.json info config-trunc
  expect 65 tokenizer.json info tok-trunc
  expect 66 tokenizer.json info tok-missing
  expect 66 model.safetensors info model-missing
  expect 65 model.safetensors info model-dir
}
