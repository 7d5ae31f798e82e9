#!/usr/bin/env bats
# Files a user owns (issue 20, points 5-7): -o never destroys what is not
# ours, writes through devices and FIFOs, follows symlinks deliberately, and
# a checkpoint switch never leaves a run without a complete checkpoint.
load helper
load fixtures/train/train-helper

small="--dim 16 --layers 1 --heads 2 --ffn 32"

@test "-o DIR refuses a directory that is not a checkpoint; --force replaces it" {
  mkdir v
  echo x > v/notes.txt
  run lm-init -o v $small
  [ "$status" -eq 73 ]
  [[ "$output" == *"v: not a prefpipe checkpoint"*"--force"* ]]
  [ "$(cat v/notes.txt)" = x ]
  [ -z "$(ls -d v.tmp.* v.old.* 2>/dev/null)" ]
  run lm-init -o v $small --force
  [ "$status" -eq 0 ]
  [ ! -e v/notes.txt ] && [ -f v/model.safetensors ]
}

@test "-o DIR: an empty directory, a checkpoint and a checkpoint from before the marker are replaced" {
  mkdir e
  lm-init -o e $small 2>/dev/null
  [ -f e/prefpipe-checkpoint.json ]
  lm-init -o e $small --seed 9 2>/dev/null
  cp -r e legacy && rm legacy/prefpipe-checkpoint.json
  run lm-init -o legacy $small
  [ "$status" -eq 0 ]
  [ -f legacy/prefpipe-checkpoint.json ]
}

@test "-o DIR: a trainer refuses a foreign directory before it trains, keeping its files" {
  policy pol
  pairs train.mp 8 3 sft
  mkdir home && echo keep > home/notes.txt && mkdir home/sub
  run sft-step -m pol -o home --batch 8 train.mp
  [ "$status" -eq 73 ]
  [[ "$output" == *"not a prefpipe checkpoint"* ]]
  [[ "$output" != *"steps"* ]]
  [ "$(cat home/notes.txt)" = keep ] && [ -d home/sub ]
  run sft-step -m pol -o home --batch 8 --force train.mp
  [ "$status" -eq 0 ]
  [ -f home/model.safetensors ] && [ ! -e home/notes.txt ]
}

@test "-o DIR: a regular file is not replaced by a checkpoint" {
  echo x > f
  run lm-init -o f $small
  [ "$status" -eq 73 ]
  [ "$(cat f)" = x ]
}

@test "-o onto a FIFO writes through it and leaves the FIFO" {
  mkfifo fifo
  timeout 10 cat fifo > got.mp &
  printf '%s\n' '{"id":"a"}' '{"id":"b"}' | rec from-json -o fifo
  wait
  [ -p fifo ]
  [ "$(rec count got.mp)" = 2 ]
}

@test "-o onto a character device writes through it and leaves the device" {
  [ "$(id -u)" = 0 ] || skip "mknod needs root"
  mknod nul c 1 3 || skip "cannot make device nodes here"
  printf '%s\n' '{"id":"a"}' | rec from-json -o nul
  [ -c nul ]
  printf '%s\n' '{"id":"t"}' | rec from-json | eval-report -o nul 2>/dev/null || true
  [ -c nul ]
}

@test "-o onto a symlink writes the file it points to and keeps the link" {
  mkdir real
  printf '%s\n' '{"id":"old"}' | rec from-json -o real/out.mp
  ln -s real/out.mp link.mp
  printf '%s\n' '{"id":"a"}' '{"id":"b"}' | rec from-json -o link.mp
  [ -L link.mp ]
  [ "$(rec count real/out.mp)" = 2 ]
  ln -s nowhere/x.mp dangling.mp
  run rec from-json -o dangling.mp <<< '{"id":"a"}'
  [ "$status" -eq 73 ]
  [ -L dangling.mp ]
}

@test "-o DIR through a symlink to a checkpoint updates the target and keeps the link" {
  lm-init -o real $small --seed 1 2>/dev/null
  ln -s real ck
  lm-init -o ck $small --seed 2 2>/dev/null
  [ -L ck ]
  lm-init -o want $small --seed 2 2>/dev/null
  cmp want/model.safetensors real/model.safetensors
}

@test "a kill between the checkpoint renames: resume finds the newest complete checkpoint" {
  policy pol
  pairs train.mp 16 3 sft
  args="--batch 8 --lr 3e-3 --epochs 3"
  sft-step -m pol -o full $args train.mp > /dev/null 2>&1
  sft-step -m pol -o s1 $args --stop-after 1 train.mp > /dev/null 2>&1
  sft-step -m pol -o s2 $args --stop-after 2 train.mp > /dev/null 2>&1
  # the state the old two-rename switch left when killed between renames:
  # the previous checkpoint moved aside, the new one not yet in place
  mv s1 part.old.AbC123
  mv s2 part.tmp.XyZ789
  run sft-step --resume part -o part $args train.mp
  [ "$status" -eq 0 ]
  [[ "$output" == *"resuming part at step 2 "* ]]
  cmp full/model.safetensors part/model.safetensors
  [ -z "$(ls -d part.tmp.* part.old.* 2>/dev/null)" ]
}

@test "stale temporary and old checkpoint copies of killed runs are removed by the next save" {
  lm-init -o ck $small 2>/dev/null
  mkdir ck.tmp.AbC123 ck.old.DeF456 ck.tmp.999999999.GhI789
  cp ck/config.json ck.tmp.AbC123/
  lm-init -o ck $small --seed 3 2>/dev/null
  [ -z "$(ls -d ck.tmp.* ck.old.* 2>/dev/null)" ]
}

@test "kill -9 after a checkpoint: every saved step has its metrics; resume continues them without duplicates" {
  policy pol
  pairs train.mp 48 3 sft
  args="--batch 2 --lr 3e-3 --epochs 2 --save-every 2 --no-timing"
  sft-step -m pol -o full $args --metrics full.mp train.mp 2>/dev/null
  sft-step -m pol -o part $args --metrics m.mp train.mp 2>/dev/null &
  pid=$!
  for i in $(seq 1 400); do
    [ -f part/trainer_state.json ] && [ "$(jq .step part/trainer_state.json)" -ge 4 ] && break
    sleep 0.05
  done
  kill -9 $pid
  wait $pid || true
  s=$(jq .step part/trainer_state.json)
  [ "$s" -lt 48 ] || skip "the run finished before the kill"
  [ -f m.mp ]
  [ "$(rec to-json < m.mp 2>/dev/null | jq -s --argjson s "$s" '[.[] | select(has("loss") and .step <= $s)] | length')" = "$s" ]
  run sft-step --resume part -o part $args --metrics m.mp train.mp
  [ "$status" -eq 0 ]
  [[ "$output" == *"continuing the metrics"* ]]
  cmp full.mp m.mp
}
