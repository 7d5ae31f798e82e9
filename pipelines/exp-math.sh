#!/bin/sh
# exp-math.sh [BASE] — the math axis: SFT, DPO and PPO (on the general
# prompt pool and on math prompts only, PPO_CATEGORIES=math) scored on the
# held-out arithmetic curriculum, level by level.
#
# With the curriculum's column-by-column worked steps the recipe's tiny
# policy learns held-out arithmetic when it sees enough of it (README, "The
# world"); the recipe's own share of math (1 in 5 of its demonstrations) is
# too little.  This runs the recipe in its own directory, BASE-math, with
# more math demonstrations (recipe.sh's knobs; BASE itself is not touched):
#
#   MATH_MODEL_ARGS  the policy (default: the recipe's, --preset tiny)
#   N_SFT_MATH       math demonstrations added to the recipe's (default 8000, the recipe's own full-scale default)
#   MATH_RESPONDER   who answers them (default strong: 95 % right)
#
# Every other recipe knob passes through (SEED, THREADS, SFT_EPOCHS, ...);
# SCALE=quick keeps the recipe's quick policy and adds 100 demonstrations,
# for the test suite.  The math-prompts PPO run is an ablate.sh variant
# (BASE-math-prompts-math) sharing BASE-math's world, SFT model and reward
# model.  Its prompts are pool items: disjoint from the evaluation items.
#
# Output: the table of right answers per level (gold judge: the last
# number of the response equals the answer), each model's math score and
# "copied" (worked two-digit answers whose first step names the prompt's
# units digits: the operand copying that precedes right answers),
# to stdout and BASE-math/math-levels.txt.
set -eu
case ${1:-} in
  -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  -*) echo "exp-math: unknown option '$1' (usage: exp-math.sh [BASE])" >&2; exit 64 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
PATH=${PREFPIPE_BIN:-$root/bin}:$PATH
run=${1:-$root/runs/recipe}-math
if [ "${SCALE:-full}" = quick ]; then
  : "${N_SFT_MATH:=100}" "${MATH_RESPONDER:=strong}"
else
  : "${N_SFT_MATH:=8000}" "${MATH_RESPONDER:=strong}"
  if [ -n "${MATH_MODEL_ARGS:-}" ]; then
    MODEL_ARGS=$MATH_MODEL_ARGS
    export MODEL_ARGS
  fi
fi
export N_SFT_MATH MATH_RESPONDER
"$root/pipelines/recipe.sh" "$run" > /dev/null
"$root/pipelines/ablate.sh" prompts "$run" ppo-final "pairs ppo eval" "math:PPO_CATEGORIES=math" > /dev/null

out=$run/math-levels.txt
{
  printf '%-12s' "math right"
  for l in 1 2 3 4 5 6; do printf '%9s' "level $l"; done
  printf '%12s%12s%10s\n' "all" "math score" "copied"
  for m in sft:$run/eval-sft.mp dpo:$run/eval-dpo.mp ppo:$run/eval-ppo-final.mp \
           ppo-math:$run-prompts-math/eval-ppo-final.mp; do
    name=${m%%:*} f=${m#*:}
    gold-judge --no-summary "$f" 2>/dev/null | rec to-json | jq -L "$root/tools" -rs --arg m "$name" 'include "prefpipe";
      map(select(.gold.category == "math")) as $x
      | def right: map(select(.gold_scores.helpfulness == 1)) | length;
      # copied: worked two-digit answers whose first step names the
      # prompt units digits (the borrowed "1u" for a borrow; b for x)
      def copied: map(select(.gold.level >= 4 and (.prompt[-1].content | test("Show your steps")))
          | (.prompt[-1].content | capture("What is (?<a>[0-9]+) (?<op>[-+]|times) (?<b>[0-9]+)")) as $c
          | ($c.a | tonumber) as $a | ($c.b | tonumber) as $b
          | (if $c.op == "+" then [$a % 10, $b % 10] elif $c.op == "-"
             then [$a % 10 + (if $a % 10 < $b % 10 then 10 else 0 end), $b % 10] else [$a % 10, $b] end) as $e
          | [.response | scan("[0-9]+") | tonumber][0:2] == $e)
          | "\(map(select(.)) | length)/\(length)";
      [$m] + [range(1; 7) as $l | $x | map(select(.gold.level == $l)) | "\(right)/\(length)"]
      + ["\($x | right)/\($x | length)", ($x | map(.gold_scores.total) | add / length | pct1), ($x | copied)]
      | @tsv'
  done | awk -F'\t' '{ printf "%-12s", $1; for (i = 2; i <= 7; i++) printf "%9s", $i; printf "%12s%12s%10s\n", $8, $9, $10 }'
  echo "(levels: 1 one-digit +, 2 one-digit -, 3 one-digit x, 4 two-digit +- one-digit,"
  echo " 5 two-digit +- two-digit, 6 two-digit x one-digit; held-out problems, greedy responses;"
  echo " ppo: the general prompt pool, ppo-math: math prompts only; copied: worked two-digit answers"
  echo " whose first step names the prompt's units digits; policy: $(lm-info "$run/init" | sed -n 's/^parameters *//p'))"
} > "$out"
cat "$out"
