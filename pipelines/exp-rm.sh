#!/bin/sh
# exp-rm.sh [BASE] — the reward-model axis (the paper's Table 3): reward
# models initialised from a pretrained world LM at two sizes (the recipe's
# pretrain stage: the policy's size, "small", and a larger one, "large";
# both trained on the same world text, train-split items only) x two kinds
# of preference data of the same amount: single-source (the world's rated
# data, the standard rater) or a mix of four sources with different noise
# (pref-synth --rater careful,crowd,lengthy,judge, one drawn per prompt).
# Judged directly (held-out gold-pair accuracy, the table's last column,
# then per category: RewardBench-style sections) and downstream (the PPO
# policy's gold scores; best-of-N from the SFT policy under each RM).
#
# BASE runs the pretrain stage once (PRETRAIN=both); the variants share it.
# SEEDS=K repeats the design over seeds (pipelines/ablate.sh).
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PATH=$root/bin:$PATH
base=${1:-$here/../runs/recipe}
mix=careful,crowd,lengthy,judge
export PRETRAIN=both BASE_STAGES="world pairs init sft pretrain"
: "${NOTE:=(note: small and large differ in size only: the same world text, epochs and learning rate. The mix pools four raters, pref-synth --list-raters; its share of pairs ordered right by the gold judge is its sources' average, so mix beating single re-measures how the raters were built.)}"
export NOTE
"$here/ablate.sh" rm "$base" ppo-final "pairs rm ppo eval" \
  "small-single:RM_INIT=pretrained-small" \
  "small-mix:RM_INIT=pretrained-small;RATER=$mix" \
  "large-single:RM_INIT=pretrained-large" \
  "large-mix:RM_INIT=pretrained-large;RATER=$mix" || exit
[ -z "${ABLATE_LIST:-}" ] || exit 0   # the arms only (experiments.sh --list)

# direct, per category (rm-eval's sections), and best-of-N from the SFT
# policy under each reward model; one row per variant directory, kept in
# BASE (with SEEDS, in the first seed's base, beside ablate.sh's
# comparison: BASE itself is never made then)
keep=$base
if [ -n "${SEEDS:-}" ]; then
  first=$(echo $SEEDS | cut -d' ' -f1)
  [ "$(echo $SEEDS | wc -w)" -gt 1 ] || first=1
  keep=$base-seed$first
fi
echo
printf '%-22s' "RM accuracy by section"
for c in math instruction safety truthfulness factuality; do printf '%13s' "$c"; done
printf '   %s\n' "best-of-N average"
for d in "$base"-rm-* "$base"-seed*-rm-*; do
  [ -s "$d/rm-sections.mp" ] || continue
  label=${d#"$base"-}
  bon=$(rec to-json "$d/summaries.mp" | jq -L "$root/tools" -r 'include "prefpipe"; select(.model == "bon") | .average | ci1')
  rec to-json "$d/rm-sections.mp" | jq -L "$root/tools" -r --arg l "$label" --arg bon "${bon:--}" 'include "prefpipe";
    select(.kind == "summary") | [$l] + ([.subsets.math, .subsets.instruction, .subsets.safety, .subsets.truthfulness,
      .subsets.factuality] | map(if . then (.accuracy | pct1) else "-" end)) + [$bon] | @tsv' |
    awk -F'\t' '{ printf "%-22s", $1; for (i = 2; i <= 6; i++) printf "%13s", $i; printf "   %s\n", $7 }'
done | tee "$keep/ablation-rm-sections.txt"
