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
