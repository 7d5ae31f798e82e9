#!/bin/sh
# power.sh [BASE] — how many seeds and evaluation prompts the world's
# experiments need to detect a 2-point difference in the average.
#
# Runs a pilot of the data axis (fine-grained vs overall pairs, DPO) over
# SEEDS seeds (default 3) with pipelines/ablate.sh, then reads the paired
# comparison's power analysis (eval-compare(1)): the seed-to-seed and
# prompt-to-prompt parts of the difference's variance, and the seeds
# needed at the pilot's prompts per seed, the prompts per seed needed at
# its seeds.  DELTA (default 0.02) and POWER (default 0.8) set what
# "detect" means.  Every recipe knob (SCALE, N_EVAL, ...) applies.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
PATH=${PREFPIPE_BIN:-$here/../bin}:$PATH   # PREFPIPE_BIN: another build (make asan)
base=${1:-$here/../runs/power}
: "${SEEDS:=3}" "${DELTA:=0.02}" "${POWER:=0.8}"
SEEDS=$SEEDS "$here/ablate.sh" power "$base" dpo "pairs dpo eval" \
  "fine:PAIRS_SCORE=mean-aspects" "overall:PAIRS_SCORE=overall" > /dev/null
first=$(echo $SEEDS | wc -w)
[ "$first" -eq 1 ] && first=1 || first=$(echo $SEEDS | cut -d' ' -f1)
ops=$(ls -d "$base"-seed*-power-fine "$base"-seed*-power-overall |
      sed -E 's|^(.*-seed([0-9]+)-power-([a-z]+))$|\3:\2=\1/eval-dpo-gold.mp|')
# shellcheck disable=SC2086  # one operand per line, from the ls above
IFS='
'
set -- $ops
unset IFS
eval-compare --delta "$DELTA" --power "$POWER" "$@" | rec to-json |
  jq -r --arg d "$DELTA" --arg p "$POWER" 'select(.power) |
    "pilot: \(.seeds) seeds; difference \(.diff * 1000 | round / 10) points [\(.lo * 1000 | round / 10), \(.hi * 1000 | round / 10)]",
    "sd between seeds \(.power.sigma_seed // "unknown" | if type == "number" then . * 1000 | round / 10 else . end) points; per prompt \(.power.sigma_item * 1000 | round / 10) points",
    "to detect \(($d | tonumber) * 100) points with power \($p) at 95%: \(.power.seeds_needed // "?") seeds at the pilot'"'"'s prompts per seed, or \(if .power.items_needed == -1 then "no number of prompts" else "\(.power.items_needed // "?") prompts per seed" end) at \(.seeds) seeds"'
