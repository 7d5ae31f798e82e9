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
#
# SEEDS=K (or SEEDS="1 5 9", a list) repeats the whole design over seeds:
# seed S has its own base BASE-seedS (its own world, initial policy and
# SFT model, shared by that seed's variants) and variant directories
# BASE-seedS-TITLE-LABEL.  After the per-seed rows, eval-compare(1) prints
# the paired comparison of every variant with the first one: mean and sd
# over seeds, the difference with a bootstrap 95% interval over seeds x
# prompts, whether it is distinguishable from 0, and the seeds / prompts
# needed to detect 2 points (records in BASE-seedS1/comparison-TITLE.mp,
# drawn by eval-report(1) as BASE-seedS1/comparison-TITLE.png when gnuplot
# is installed).
#
# Two keys of a VARIANT's spec are the design's, not recipe knobs:
# ABLATE_MODEL=M reports and compares model M for that variant, and
# ABLATE_STAGES=... redoes those stages instead of STAGES (e.g. a "dpo"
# arm beside "ppo" arms: dpo:ABLATE_MODEL=dpo;ABLATE_STAGES=dpo eval).
# BASE_STAGES: the recipe stages BASE runs before the variants copy it
# (default "world pairs init sft").
#
# NOTE: a line printed after the table (and kept in its file): what the
# design cannot show, e.g. that an axis re-measures a bias built into the
# world (pipelines/exp-data.sh sets it).
set -eu
[ $# -ge 5 ] || { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 64; }
title=$1 base=$2 model=$3 stages=$4
shift 4
root=$(cd "$(dirname "$0")/.." && pwd)
PATH=${PREFPIPE_BIN:-$root/bin}:$PATH   # PREFPIPE_BIN: another build (make asan)
# vget KEY VARIANT [DEFAULT]: the last KEY=value of VARIANT's spec
vget() { _v=$(printf '%s\n' "${2#*:}" | tr ';' '\n' | sed -n "s/^$1=//p" | tail -n 1); echo "${_v:-${3:-}}"; }

if [ -n "${SEEDS:-}" ]; then
  case $SEEDS in *[!0-9\ ]*) echo "ablate: SEEDS must be a count or a list of seeds" >&2; exit 64 ;; esac
  seeds=$SEEDS
  [ "$(echo $SEEDS | wc -w)" -eq 1 ] && seeds=$(seq 1 "$SEEDS")
  first=$(echo $seeds | cut -d' ' -f1)
  ops=   # eval-compare's operands, one per line (paths may hold spaces)
  for s in $seeds; do
    SEED=$s SEEDS= "$0" "$title" "$base-seed$s" "$model" "$stages" "$@"
    for v in "$@"; do
      label=${v%%:*} m=$(vget ABLATE_MODEL "$v" "$model")
      dir="$base-seed$s-$title-$label"
      [ -s "$dir/eval-$m-gold.mp" ] ||
        gold-judge --no-summary "$dir/eval-$m.mp" -o "$dir/eval-$m-gold.mp" 2>/dev/null
      ops="$ops$label:$s=$dir/eval-$m-gold.mp
"
    done
  done
  echo
  IFS='
'
  # shellcheck disable=SC2086  # split on newlines only
  set -- $ops
  unset IFS
  eval-compare -o "$base-seed$first/comparison-$title.mp" "$@"
  eval-compare --text "$@" | tee "$base-seed$first/comparison-$title.txt"
  eval-report --plot "$base-seed$first/comparison-$title.png" "$base-seed$first/comparison-$title.mp" \
    > /dev/null 2> "$base-seed$first/comparison-$title.plot.log" ||
    echo "ablate: the comparison's plot failed (see $base-seed$first/comparison-$title.plot.log)" >&2
  [ -z "${NOTE:-}" ] || echo "$NOTE" | tee -a "$base-seed$first/comparison-$title.txt"
  exit 0
fi

# BASE_STAGES: what the variants share (default: the world, the initial
# policy and its SFT; pipelines/exp-rm.sh adds the pretrain stage)
base_stages=${BASE_STAGES:-world pairs init sft}
for s in $base_stages; do
  [ -e "$base/.done-$s" ] || { ONLY_STAGES="$base_stages" "$root/pipelines/recipe.sh" "$base" > /dev/null; break; }
done

out="$base/ablation-$title.txt"
{
  printf '%-16s' "$title"
  for c in math instruction safety truthfulness factuality; do printf '%13s' "$c"; done
  printf '   %-20s %s\n' "average [95% CI]" "RM accuracy"
} > "$out"
for v in "$@"; do
  label=${v%%:*} spec=${v#*:}
  [ "$spec" = "$v" ] && spec=
  m=$(vget ABLATE_MODEL "$v" "$model") st=$(vget ABLATE_STAGES "$v" "$stages")
  dir="$base-$title-$label"
  if [ ! -e "$dir/.done-eval" ]; then
    rm -rf "$dir"
    cp -r "$base" "$dir"
    for s in $st; do rm -f "$dir/.done-$s"; done
    echo "ablate: $title/$label ($spec)" >&2
    (
      IFS=';'
      for kv in $spec; do case $kv in ''|ABLATE_*) ;; *) export "$kv" ;; esac; done
      unset IFS
      ONLY_STAGES="$st" "$root/pipelines/recipe.sh" "$dir" > /dev/null 2> "$dir/ablate.log" ||
        { cat "$dir/ablate.log" >&2; echo "ablate: $title/$label failed (log: $dir/ablate.log)" >&2; exit 1; }
    )
  fi
  # the recipe's number format (tools/prefpipe.jq)
  rec to-json "$dir/summaries.mp" | jq -L "$root/tools" -r --arg m "$m" --arg l "$label" 'include "prefpipe";
    select(.model == $m) |
    [$l] + ([.categories.math, .categories.instruction, .categories.safety, .categories.truthfulness,
             .categories.factuality] | map(if . then (.score | pct1) else "-" end))
    + [.average | ci1] | @tsv' 2>/dev/null |
    awk -F'\t' -v acc="$(case " $st " in *" rm "*) rec to-json "$dir/rm-accuracy.mp" |
        jq -L "$root/tools" -r 'include "prefpipe"; select(.kind == "summary") | .accuracy | pct1' ;; esac)" \
      '{ printf "%-16s", $1; for (i = 2; i <= 6; i++) printf "%13s", $i; printf "   %-20s %s\n", $7, (acc == "" ? "-" : acc "%") }' >> "$out"
done
[ -z "${NOTE:-}" ] || echo "$NOTE" >> "$out"
cat "$out"
