#!/usr/bin/env bats
# --config FILE on the model stages (lib/base/config.h): "key = value"
# lines stand for long options, flags on the command line override them,
# and a bad line is a usage error naming FILE:LINE.
load helper
load fixtures/train/train-helper

@test "sft-step --config: the same run as the same flags on the command line (same bytes)" {
  policy pol
  pairs train.mp 16 3 sft
  printf '# a comment\n\nlr = 3e-3\nbatch=4\nno-timing = true\nprogress = false\n' > run.conf
  sft-step -m pol -o a --config run.conf train.mp > ma.mp 2>/dev/null
  sft-step -m pol -o b --lr 3e-3 --batch 4 --no-timing train.mp > mb.mp 2>/dev/null
  cmp a/model.safetensors b/model.safetensors
  cmp ma.mp mb.mp
}

@test "flags on the command line override the file, wherever they stand" {
  policy pol
  pairs train.mp 16 3 sft
  printf 'lr = 3e-3\nbatch = 4\n' > run.conf
  sft-step -m pol -o a --batch 8 --config run.conf --no-timing train.mp > m.mp 2>/dev/null
  [ "$(rec count m.mp)" = 4 ]           # 16 records x 2 epochs / batch 8
}

@test "a bad config line names the file and line (exit 64)" {
  printf 'lr = 1\nlrr = 1\n' > typo.conf
  run sft-step -m pol -o x --config typo.conf
  [ "$status" -eq 64 ]
  [[ "${lines[0]}" == "sft-step: typo.conf:2: unknown key 'lrr'; did you mean 'lr'?" ]]
  printf 'no-timing = maybe\n' > flag.conf
  run sft-step -m pol -o x --config flag.conf
  [ "$status" -eq 64 ]
  [[ "${lines[0]}" == "sft-step: flag.conf:1: 'no-timing' is a flag: true or false, not 'maybe'" ]]
  printf 'just words\n' > junk.conf
  run rollout --config junk.conf
  [ "$status" -eq 64 ]
  [[ "${lines[0]}" == "rollout: junk.conf:1: expected \"key = value\""* ]]
  run rm-score --config no-such.conf
  [ "$status" -eq 64 ]
}

@test "--config on every model stage: in --help, and the file is read (a typo in it is named)" {
  printf 'progres = true\n' > typo.conf
  for t in sft-step rm-train dpo-step ref-score rm-score rollout ppo-step lm-logprob eval-score; do
    run "$t" --help
    [[ "$output" == *"--config FILE"* ]] || { echo "$t: no --config in --help"; false; }
    run "$t" --config typo.conf
    [ "$status" -eq 64 ] || { echo "$t: exit $status"; false; }
    [ "${lines[0]}" = "$t: typo.conf:1: unknown key 'progres'; did you mean 'progress'?" ] || { echo "$t: ${lines[0]}"; false; }
  done
  # that the file's settings apply, stage by stage: progress.bats ("--progress from a --config file")
}
