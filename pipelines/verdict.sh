#!/bin/sh
# verdict.sh ID EXPECT ARM BASELINE TEXT — one finding's verdict from
# eval-compare(1)'s records (JSON lines, `rec to-json`) on stdin.
#
# EXPECT is the sign the paper reports for ARM - BASELINE: + or -.  The
# record of ARM against BASELINE gives diff and its paired bootstrap 95%
# interval [lo, hi] over seeds x prompts:
#   reproduced            the interval excludes 0 on EXPECT's side
#   reversed              it excludes 0 on the other side
#   not distinguishable   it holds 0 (an interval of exactly [0, 0] too:
#                         identical answers are no evidence either way)
# Prints one text line (scores x 100, one decimal) and, when VERDICT_JSON
# names a file, appends the same as one JSON object to it, with the
# design (VERDICT_DESIGN, default "") and what was compared
# (VERDICT_MEASURE, default "gold score": the policy's gold-judge score;
# pipelines/experiments.sh sets "RM accuracy" for the reward models'
# held-out gold pairs, "best-of-N gold score" for best-of-N from the SFT
# policy and "contrast" for an interaction) and how to name
# the difference (VERDICT_LABEL, default "ARM - BASELINE"; an interaction's
# "(a - b) - (c - d)"), so a report can label the numbers without knowing
# the ids.  Exit 65 when stdin has no
# comparison of ARM with BASELINE (the message names both).
set -eu
[ $# -eq 5 ] || { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 64; }
id=$1 expect=$2 arm=$3 baseline=$4 text=$5
case $expect in +|-) ;; *) echo "verdict.sh: EXPECT must be + or -, not '$expect'" >&2; exit 64 ;; esac
rec=$(jq -c --arg a "$arm" --arg b "$baseline" 'select(.kind == "comparison" and .arm == $a and .baseline == $b)' | tail -n 1)
[ -n "$rec" ] || { echo "verdict.sh: $id: no comparison of '$arm' with '$baseline' in the input" >&2; exit 65; }
json=$(printf '%s\n' "$rec" | jq -c --arg id "$id" --arg e "$expect" --arg text "$text" \
  --arg design "${VERDICT_DESIGN:-}" --arg measure "${VERDICT_MEASURE:-gold score}" --arg lab "${VERDICT_LABEL:-$arm - $baseline}" '
  def p1: . * 1000 | round / 10;
  (if .lo > 0 then "+" elif .hi < 0 then "-" else "0" end) as $s
  | {id: $id, design: $design, measure: $measure, finding: $text, arm, baseline, "label": $lab, expect: $e, seeds,
     verdict: (if $s == "0" then "not distinguishable" elif $s == $e then "reproduced" else "reversed" end),
     diff: (.diff | p1), lo: (.lo | p1), hi: (.hi | p1), arm_mean: (.mean | p1),
     baseline_mean: ((.mean - .diff) | p1)}')
[ -z "${VERDICT_JSON:-}" ] || printf '%s\n' "$json" >> "$VERDICT_JSON"
printf '%s\n' "$json" | jq -r '
  def d1: (. * 10 | round) as $n | ($n | fabs) as $a | "\($a / 10 | floor).\($a % 10)" | if $n < 0 then "-" + . else . end;
  def s: if . >= 0 then "+" + (. | d1) else (. | d1) end;
  "\(.verdict | . + " " * (20 - length))  \(.finding): \(.arm) - \(.baseline) \(.diff | s) [\(.lo | s), \(.hi | s)] points (paper: \(.expect)); \(.arm) \(.arm_mean | d1), \(.baseline) \(.baseline_mean | d1); \(.seeds) seeds"'
