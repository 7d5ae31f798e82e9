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

# inputs for every long stage of the issue's list (tiny models)
stage_inputs() {
  policy pol
  lm-init --preset tiny --reward -o rm --seed 4 2>/dev/null
  pairs sft.mp 16 3 sft
  pairs p.mp 16 3
  rec from-json < "$FIX/ppo/prompts.jsonl" > prompts.mp
  rollout -c pol -B 4 -n 2 --max-new 4 prompts.mp 2>/dev/null > r.mp
  toy-reward --token 0-63 r.mp > s.mp
  printf '%s\n' '{"id":"a#0","prompt_id":"a","prompt":[{"role":"user","content":"1+1?"}],"response":"The answer is 2","gold":{"answer":"2"}}' \
    '{"id":"b#0","prompt_id":"b","prompt":[{"role":"user","content":"2+2?"}],"response":"5","gold":{"answer":"4"}}' |
    rec from-json > e.mp
}

# "TOOL ARGS|the last progress line it must print (ERE)" for each stage
stage_lines() {
  cat <<'LIST'
sft-step -m pol -o o1 --batch 4 sft.mp|^sft-step: ([0-9]+)/\1 steps 100%, .*, loss [0-9.]+$
rm-train -m pol -o o2 --batch 4 p.mp|^rm-train: ([0-9]+)/\1 steps 100%, .*, loss [0-9.]+$
dpo-step -m pol --ref pol -o o3 --batch 4 p.mp|^dpo-step: ([0-9]+)/\1 steps 100%, .*, loss [0-9.]+$
ref-score -c pol p.mp|^ref-score: 16 records
rm-score -c rm r.mp|^rm-score: 16 records, .*reward -?[0-9.]+
rollout -c pol -B 4 -n 2 --max-new 4 prompts.mp|^rollout: 2/2 batches 100%
ppo-step -c pol --value-from-policy -o o4 -b 8 --batches 2 s.mp|^ppo-step: 2/2 batches 100%.*reward -?[0-9.]+
eval-score --task gsm8k e.mp|^eval-score: 2 records
LIST
}

@test "every long stage (sft-step rm-train dpo-step ref-score rm-score rollout ppo-step eval-score): progress lines, --progress from a --config file" {
  stage_inputs
  printf 'progress = true\n' > p.conf
  export PREFPIPE_PROGRESS_EVERY=0
  n=0
  mapfile -t list < <(stage_lines)
  for line in "${list[@]}"; do
    cmd=${line%%|*} want=${line#*|}
    $cmd --config p.conf > out.mp 2> err || { echo "$cmd: exit $?"; cat err; false; }
    grep -Eq "$want" err || { echo "$cmd: no line like '$want' in:"; cat err; false; }
    # without --progress, into a file: no progress lines
    rm -rf o1 o2 o3 o4
    $cmd > out.mp 2> quiet || { echo "$cmd: exit $?"; cat quiet; false; }
    ! grep -Eq "$want" quiet || { echo "$cmd: progress without --progress"; false; }
    rm -rf o1 o2 o3 o4
    n=$((n + 1))
  done
  [ "$n" -eq 8 ]
}

@test "every long stage on a terminal: its line redrawn in place (a bar where the total is known)" {
  command -v script > /dev/null || skip "no script(1) to give a terminal"
  stage_inputs
  mapfile -t list < <(stage_lines)
  for line in "${list[@]}"; do
    cmd=${line%%|*} want=${line#*|} tool=${line%% *}
    script -qc "$cmd > out.mp" /dev/null > tty.txt
    rm -rf o1 o2 o3 o4
    tr '\r' '\n' < tty.txt | sed 's/\x1b\[K//g' > lines.txt
    grep -Eq "^$tool: " lines.txt || { echo "$cmd:"; cat -A tty.txt; false; }
    grep -q $'\r' tty.txt || { echo "$cmd: not redrawn in place"; cat -A tty.txt; false; }
    case $want in
      *" steps "*|*" batches "*) grep -Eq "^$tool: \[####################\] [0-9]+/[0-9]+ " lines.txt ||
        { echo "$cmd: no full bar"; cat -A tty.txt; false; } ;;
    esac
  done
}
