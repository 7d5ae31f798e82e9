#!/usr/bin/env bats
# Progress and live metrics on the long stages (lib/base/cli.h,
# rs_open_live): a bar with step/total, rate, ETA and the current loss on a
# terminal; a line every PREFPIPE_PROGRESS_EVERY seconds into a log;
# metrics files readable while the stage runs.
load helper
load fixtures/train/train-helper

@test "sft-step --progress into a log: step/total, rate and the current loss" {
  policy pol
  pairs train.mp 16 3 sft
  PREFPIPE_PROGRESS_EVERY=0 sft-step -m pol -o out --batch 4 --lr 3e-3 --progress train.mp > m.mp 2> err
  grep -Eq '^sft-step: 1/8 steps 12%, [0-9.e+]+ steps/s, [0-9]+s, ETA [0-9]+s, loss [0-9.]+$' err
  grep -Eq '^sft-step: 8/8 steps 100%, .*, loss [0-9.]+$' err
  [ "$(grep -c '^sft-step: 8/8 steps' err)" = 1 ]
}

@test "--progress into a log is a line every N seconds, not four a second" {
  policy pol
  pairs train.mp 16 3 sft
  sft-step -m pol -o out --batch 2 --lr 3e-3 --progress train.mp > m.mp 2> err   # default: every 10 s
  [ "$(grep -c ' steps ' err)" -eq 1 ]      # the final line only, for a run this short
}

@test "on a terminal: a one-line bar redrawn in place" {
  command -v script > /dev/null || skip "no script(1) to give a terminal"
  policy pol
  pairs train.mp 16 3 sft
  script -qc "sft-step -m pol -o out --batch 4 --lr 3e-3 --metrics m.mp train.mp" /dev/null > tty.txt
  grep -q 'sft-step: \[####################\] 8/8 steps 100%.*loss' tty.txt
}

@test "rm-score, ref-score, rollout and ppo-step report progress with --progress" {
  lm-init -o pol --seed 1 2>/dev/null
  lm-init --reward -o rm --seed 4 2>/dev/null
  rec from-json < "$FIX/ppo/prompts.jsonl" > prompts.mp
  export PREFPIPE_PROGRESS_EVERY=0
  rollout -c pol -B 4 -n 2 --max-new 4 --progress prompts.mp > r.mp 2> err
  grep -q '^rollout: 2/2 batches 100%' err
  rm-score -c rm --progress r.mp > s.mp 2> err
  grep -Eq '^rm-score: 16 records, .*reward -?[0-9.]+' err
  ppo-step -c pol --value-from-policy -o run -b 8 --batches 2 --progress s.mp > m.mp 2> err
  grep -Eq '^ppo-step: 2/2 batches 100%.*reward -?[0-9.]+' err
  pairs p.mp 4 3
  ref-score -c pol --progress p.mp > ref.mp 2> err
  grep -q '^ref-score: 4 records' err
}

@test "ppo-step --metrics FILE: each record is in the file while the stage still runs" {
  lm-init -o pol --seed 1 2>/dev/null
  rec from-json < "$FIX/ppo/prompts.jsonl" > prompts.mp
  rollout -c pol -B 4 -n 2 --max-new 4 prompts.mp 2>/dev/null | toy-reward --token 0-63 > s.mp
  mkfifo in
  ppo-step -c pol --value-from-policy -o run -b 8 --metrics m.mp in 2> err &
  pid=$!
  exec 5> in                       # hold the input open: ppo-step waits for more
  rec head -n 8 s.mp >&5           # one batch (4 prompts x 2)
  for i in $(seq 100); do
    [ -s m.mp ] && [ "$(rec count m.mp 2>/dev/null)" = 1 ] && break
    sleep 0.2
  done
  n=$(rec count m.mp 2>/dev/null || echo none)
  exec 5>&-
  wait "$pid"
  [ "$n" = 1 ]
  [ "$(rec count m.mp)" = 1 ]
}

@test "sft-step --metrics FILE is written in place (the file a reader follows is the one that grows)" {
  policy pol
  pairs train.mp 16 3 sft
  : > m.mp
  ino=$(stat -c %i m.mp)
  sft-step -m pol -o out --batch 4 --lr 3e-3 --metrics m.mp train.mp 2>/dev/null
  [ "$(stat -c %i m.mp)" = "$ino" ]     # an atomic rename would have replaced it
  [ "$(rec count m.mp)" = 8 ]
}
