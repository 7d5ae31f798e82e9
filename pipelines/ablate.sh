#!/bin/sh
# ablate.sh TITLE BASE MODEL STAGES VARIANT... — run variants of the recipe
# that share BASE's world, initial policy and SFT model, and print one
# table row per variant.
#
#   BASE     a recipe run directory (pipelines/recipe.sh BASE runs first
#            if BASE has no SFT model yet)
#   MODEL    whose score to report: dpo, ppo-final or bon
#   STAGES   the stages each variant redoes, e.g. "pairs dpo eval"
#   VARIANT  LABEL:VAR=value;VAR=value  (recipe.sh knobs, e.g.
#            overall:PAIRS_SCORE=overall  or  big:RM_MODEL_ARGS=-p small)
#
# Each variant runs in BASE-TITLE-LABEL (kept, so it can be inspected and
# re-run; delete it to start over).  The table goes to stdout and to
# BASE/ablation-TITLE.txt.
set -eu
[ $# -ge 5 ] || { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 64; }
title=$1 base=$2 model=$3 stages=$4
shift 4
root=$(cd "$(dirname "$0")/.." && pwd)
PATH=$root/bin:$PATH
[ -e "$base/.done-sft" ] || ONLY_STAGES="world pairs init sft" "$root/pipelines/recipe.sh" "$base" > /dev/null

out="$base/ablation-$title.txt"
{
  printf '%-16s' "$title"
  for c in math instruction safety truthfulness factuality; do printf '%13s' "$c"; done
  printf '   %-20s %s\n' "average [95% CI]" "RM accuracy"
} > "$out"
for v in "$@"; do
  label=${v%%:*} spec=${v#*:}
  [ "$spec" = "$v" ] && spec=
  dir="$base-$title-$label"
  if [ ! -e "$dir/.done-eval" ]; then
    rm -rf "$dir"
    cp -r "$base" "$dir"
    for s in $stages; do rm -f "$dir/.done-$s"; done
    echo "ablate: $title/$label ($spec)" >&2
    (
      IFS=';'
      for kv in $spec; do [ -n "$kv" ] && export "$kv"; done
      unset IFS
      ONLY_STAGES="$stages" "$root/pipelines/recipe.sh" "$dir" > /dev/null 2> "$dir/ablate.log" ||
        { cat "$dir/ablate.log" >&2; echo "ablate: $title/$label failed (log: $dir/ablate.log)" >&2; exit 1; }
    )
  fi
  rec to-json "$dir/summaries.mp" | jq -r --arg m "$model" --arg l "$label" '
    select(.model == $m) |
    [$l] + ([.categories.math, .categories.instruction, .categories.safety, .categories.truthfulness,
             .categories.factuality] | map(if . then (.score * 1000 | round / 10 | tostring) else "-" end))
    + [(.average.score * 1000 | round / 10 | tostring) + " [" + (.average.lo * 1000 | round / 10 | tostring)
       + ", " + (.average.hi * 1000 | round / 10 | tostring) + "]"] | @tsv' 2>/dev/null |
    awk -F'\t' -v acc="$(case " $stages " in *" rm "*) rec to-json "$dir/rm-accuracy.mp" |
        jq -r 'select(.kind == "summary") | .accuracy * 1000 | round / 10' ;; esac)" \
      '{ printf "%-16s", $1; for (i = 2; i <= 6; i++) printf "%13s", $i; printf "   %-20s %s\n", $7, (acc == "" ? "-" : acc "%") }' >> "$out"
done
cat "$out"
