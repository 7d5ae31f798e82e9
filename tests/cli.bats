#!/usr/bin/env bats
# Command-line conventions shared by every executable (lib/base/cli.c):
# a mistyped option is one message with a did-you-mean suggestion (exit
# 64), and the subcommands of rec name themselves in their messages.
load helper

@test "a typo is one message with a suggestion, on every kind of tool" {
  for t in "sft-step --lrr 3:--lr" "dpo-step --bta 0.1:--beta" "rollout --temprature 1:--temperature" \
           "bench-load --formt gsm8k:--format" "eval-report --plto x:--plot" "rec head --lins 3:--lines"; do
    cmd=${t%:*} want=${t##*:}
    run $cmd
    [ "$status" -eq 64 ] || { echo "$cmd: exit $status"; false; }
    [[ "${lines[0]}" == *"unrecognized option"* ]]
    [[ "${lines[0]}" == *"did you mean '$want'?"* ]] || { echo "$cmd: ${lines[0]}"; false; }
    [ "${#lines[@]}" -eq 2 ]          # the message and "Try ... --help", nothing from getopt
  done
}

@test "every executable: a typo is one message with a did-you-mean; every rec subcommand names itself" {
  n=0
  for t in "$PREFPIPE_BIN"/*; do
    [ -x "$t" ] && [ -f "$t" ] || continue
    name=$(basename "$t")
    run "$t" --helpp
    [ "$status" -eq 64 ] || { echo "$name: exit $status: $output"; false; }
    [ "${lines[0]}" = "$name: unrecognized option '--helpp'; did you mean '--help'?" ] || { echo "$name: ${lines[0]}"; false; }
    [ "${#lines[@]}" -eq 2 ] || { echo "$name: ${#lines[@]} lines: $output"; false; }
    n=$((n + 1))
  done
  [ "$n" -ge 25 ]
  for s in from-json to-json cat head count validate sample shuffle split schema keygen; do
    run rec "$s" --helpp
    [ "$status" -eq 64 ] || { echo "rec $s: exit $status"; false; }
    [ "${lines[0]}" = "rec $s: unrecognized option '--helpp'; did you mean '--help'?" ] || { echo "rec $s: ${lines[0]}"; false; }
    [ "${#lines[@]}" -eq 2 ] || { echo "rec $s: ${#lines[@]} lines: $output"; false; }
  done
}

@test "an ambiguous prefix lists the candidates; a missing value names the option" {
  run sft-step --max 3
  [ "$status" -eq 64 ]
  [[ "${lines[0]}" == "sft-step: option '--max' is ambiguous; possibilities: --max-steps --max-len" ]]
  run sft-step --lr
  [ "$status" -eq 64 ]
  [[ "${lines[0]}" == "sft-step: option '--lr' needs a value" ]]
  run rollout -c
  [[ "${lines[0]}" == "rollout: option '-c' needs a value" ]]
  run rollout -Z
  [[ "${lines[0]}" == "rollout: invalid option '-Z'" ]]
}

@test "nothing near: no suggestion" {
  run sft-step --completely-different
  [ "$status" -eq 64 ]
  [[ "${lines[0]}" == "sft-step: unrecognized option '--completely-different'" ]]
}

@test "rec: subcommand messages name the subcommand; an unknown command gets a suggestion" {
  run rec hed
  [ "$status" -eq 64 ]
  [[ "${lines[0]}" == "rec: unknown command 'hed'; did you mean 'head'?" ]]
  run rec head -n x
  [ "$status" -eq 64 ]
  [[ "${lines[0]}" == "rec head: -n: 'x' is not an integer" ]]
  echo '{}' | rec from-json > e.mp
  run rec validate pair e.mp
  [ "$status" -eq 65 ]
  [[ "$output" == "rec validate: "* ]]
  run rec head --help
  [[ "${lines[0]}" == "usage: rec head"* ]]
}

@test "one spelling with ppo-step: --adam-betas, --clip-norm, --warmup-frac train exactly as the old spellings" {
  lm-init --preset tiny -o pol --seed 1 2>/dev/null
  "$FIX/train/gen-pairs.sh" 16 3 sft | rec from-json > t.mp
  sft-step -m pol -o a --batch 4 --lr 3e-3 --no-timing --adam-betas 0.8,0.99 --clip-norm 0.5 --warmup-frac 0.25 \
    t.mp > ma.mp 2>/dev/null
  sft-step -m pol -o b --batch 4 --lr 3e-3 --no-timing --adam-beta1 0.8 --adam-beta2 0.99 --clip 0.5 --warmup 0.25 \
    t.mp > mb.mp 2>/dev/null
  sft-step -m pol -o c --batch 4 --lr 3e-3 --no-timing t.mp > mc.mp 2>/dev/null
  cmp a/model.safetensors b/model.safetensors
  cmp ma.mp mb.mp
  ! cmp -s a/model.safetensors c/model.safetensors
  run sft-step -m pol -o d --adam-betas 0.9 t.mp
  [ "$status" -eq 64 ]
  [[ "${lines[0]}" == *"--adam-betas takes B1,B2"* ]]
}
