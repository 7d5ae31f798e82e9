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
#
# Arms are computed once per BASE: BASE-TITLE-LABEL is a link to
# BASE/arms/KEY, KEY the hash of the stages the arm redoes and of every
# recipe knob as resolved, so another design's arm with the same knobs is
# the same directory; reward models are shared by their inputs
# (BASE/rms).  ABLATE_NO_REUSE=1 computes each arm afresh in
# BASE-TITLE-LABEL; ABLATE_LIST=1 prints each arm's key instead of running
# it; ABLATE_ARMS="LABEL ..." runs only those variants.  Each arm's
# stage-times.txt holds each stage's CPU (user, system) and wall seconds.
set -eu
[ $# -ge 5 ] || { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 64; }
title=$1 base=$2 model=$3 stages=$4
shift 4
# ABLATE_ARMS="LABEL ...": only these variants (the first one kept is the
# comparison's baseline); pipelines/experiments.sh ARMS=verdicts sets it
if [ -n "${ABLATE_ARMS:-}" ]; then
  n=$#
  while [ "$n" -gt 0 ]; do
    v=$1; shift; n=$((n - 1))
    case " $ABLATE_ARMS " in *" ${v%%:*} "*) set -- "$@" "$v" ;; esac
  done
  [ $# -gt 0 ] || { echo "ablate: ABLATE_ARMS ($ABLATE_ARMS) names none of $title's variants" >&2; exit 64; }
fi
root=$(cd "$(dirname "$0")/.." && pwd)
PATH=${PREFPIPE_BIN:-$root/bin}:$PATH   # PREFPIPE_BIN: another build (make asan)
# vget KEY VARIANT [DEFAULT]: the last KEY=value of VARIANT's spec
vget() { _v=$(printf '%s\n' "${2#*:}" | tr ';' '\n' | sed -n "s/^$1=//p" | tail -n 1); echo "${_v:-${3:-}}"; }

if [ -n "${SEEDS:-}" ]; then
  case $SEEDS in *[!0-9\ ]*) echo "ablate: SEEDS must be a count or a list of seeds" >&2; exit 64 ;; esac
  seeds=$SEEDS
  [ "$(echo $SEEDS | wc -w)" -eq 1 ] && seeds=$(seq 1 "$SEEDS")
  first=$(echo $seeds | cut -d' ' -f1)
  if [ -n "${ABLATE_LIST:-}" ]; then
    for s in $seeds; do SEED=$s SEEDS= "$0" "$title" "$base-seed$s" "$model" "$stages" "$@"; done
    exit 0
  fi
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

# ---- arms, content-addressed: each computed once per base ----
# An arm's result is a function of BASE (one seed's world, initial policy
# and SFT model), the stages it redoes and the recipe knobs they read.  Its
# key is the hash of those stages and of every knob as recipe.sh resolves
# it (RECIPE_KNOBS=1: defaults filled in, so "PPO_BETA=0.05" and no
# PPO_BETA are one knob set); "pairs" counts only when the arm's pairs
# knobs differ from BASE's (redoing it with BASE's knobs rebuilds BASE's
# files).  The arm is computed once, in BASE/arms/KEY, and every design's
# BASE-TITLE-LABEL with that key is a symbolic link to it (BASE/arms/KEY.uses
# lists them; KEY.knobs holds what was hashed), so a design's baseline that
# is another design's arm is not trained twice.  Within an arm, the reward
# model is content-addressed by its inputs (the hashes of rm-pairs.mp,
# rm-eval.mp and the model it starts from, and its knobs): BASE/rms/KEY
# holds the rm stage's outputs, and an arm with the same RM inputs copies
# them instead of training (the weak and the strong RM of exp-rms.sh train
# once per seed).  Every step is deterministic (same inputs, seed and
# THREADS => same bytes), so a reused arm or RM is the one a recomputation
# gives: the same model files byte for byte, the same records but for the
# directory a rollout names as its policy's path (policy.path).
# tests/experiments.bats checks it against ABLATE_NO_REUSE=1, which
# computes every arm afresh in its own BASE-TITLE-LABEL directory.
# ABLATE_LIST=1 prints, instead of running, one line per arm: title,
# label, key, the stages that count, the spec (experiments.sh --list).
order="world pairs init sft pretrain dpo rm ppo eval"   # the recipe's stages, in its order
in_list() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }
with_spec() { # with_spec SPEC CMD...: CMD with SPEC's knobs exported
  (
    IFS=';'
    for kv in $1; do case $kv in ''|ABLATE_*) ;; *) export "$kv" ;; esac; done
    unset IFS
    shift
    "$@"
  )
}
knobs() { with_spec "$1" env RECIPE_KNOBS=1 "$root/pipelines/recipe.sh"; }
pairs_re='^(SEED|N_PREF|N_POOL|RATER|PAIRS_SCORE|PAIRS_MODELS|RM_PAIRS|PPO_PROMPTS|PPO_CATEGORIES)='
canon_stages() { # canon_stages SPEC STAGES: the stages that count, in the recipe's order
  _k=$(knobs "$1" | grep -E "$pairs_re") _b=$(knobs "" | grep -E "$pairs_re") _o=
  for _s in $order; do
    in_list "$_s" "$2" || continue
    [ "$_s" = pairs ] && [ "$_k" = "$_b" ] && continue
    _o="$_o${_o:+ }$_s"
  done
  echo "$_o"
}
arm_material() { echo "stages=$(canon_stages "$1" "$2")"; knobs "$1"; }
arm_key() { arm_material "$1" "$2" | sha256sum | cut -c1-16; }
# rm_key DIR (in the arm's environment): the hash of the rm stage's inputs
rm_key() {
  {
    RECIPE_KNOBS=1 "$root/pipelines/recipe.sh" | grep -E '^(SEED|THREADS|SAVE_EVERY|RM_EPOCHS|RM_LR|RM_INIT|RM_MODEL_ARGS)='
    case ${RM_INIT:-sft} in pretrained-*) init=pretrain-${RM_INIT#pretrained-} ;; *) init=sft ;; esac
    (cd "$1" && sha256sum rm-pairs.mp rm-eval.mp "$init/model.safetensors" "$init/config.json") ||
      echo "ablate: the reward model's inputs are missing in $1" >&2
  } | sha256sum | cut -c1-16
}
rm_outputs="rm rm-init rm-metrics.mp rm-eval-scored.mp rm-accuracy.mp rm-sections.mp"
# copy_base DIR: BASE's files into DIR, less the arms, the RMs, the designs' tables, BASE's own logs
# and BASE's PPO run state (ppo/; its result is ppo-final): recipe.sh resumes a PPO state that
# holds fewer batches than PPO_BATCHES, so an arm with more batches would continue BASE's run
copy_base() {
  mkdir -p "$1"
  (cd "$base" && find . -mindepth 1 -maxdepth 1 ! -name arms ! -name rms ! -name 'ablation-*' ! -name ablate.log ! -name stage-times.txt ! -name ppo \
     ! -name 'comparison-*' -exec cp -r {} "$1/" \;)
}
# run_arm SPEC STAGES DIR NAME: compute the arm in DIR
run_arm() {
  copy_base "$3"
  for s in $2; do rm -f "$3/.done-$s"; done
  echo "ablate: $4 ($1)" >&2
  with_spec "$1" run_stages "$2" "$3" || { cat "$3/ablate.log" >&2; echo "ablate: $4 failed (log: $3/ablate.log)" >&2; return 1; }
}
# recipe STAGES DIR: one recipe call per stage (the same bytes as one call for all: each
# stage reads only files), so DIR/stage-times.txt gets each stage's
# CPU seconds (user, system) and wall seconds from GNU time when there is one
recipe() {
  for _st in $order; do
    in_list "$_st" "$1" || continue
    if [ -x /usr/bin/time ]; then
      /usr/bin/time -a -o "$2/stage-times.txt" -f "$_st %U %S %e" env ONLY_STAGES="$_st" \
        "$root/pipelines/recipe.sh" "$2" > /dev/null 2>> "$2/ablate.log" || return
    else
      ONLY_STAGES="$_st" "$root/pipelines/recipe.sh" "$2" > /dev/null 2>> "$2/ablate.log" || return
    fi
  done
}
run_stages() { # run_stages STAGES DIR (SPEC exported): the recipe, the RM from BASE/rms when it can
  in_list rm "$1" && [ -z "${ABLATE_NO_REUSE:-}" ] || { recipe "$1" "$2"; return; }
  _pre= _post= _seen=
  for _s in $order; do
    in_list "$_s" "$1" || continue
    if [ "$_s" = rm ]; then _seen=1; elif [ -z "$_seen" ]; then _pre="$_pre $_s"; else _post="$_post $_s"; fi
  done
  [ -z "$_pre" ] || recipe "$_pre" "$2" || return
  _rk=$(rm_key "$2") || return
  _rd=$base/rms/$_rk
  if [ -e "$_rd/.done-rm" ]; then
    echo "ablate: reward model $_rk, trained already" >> "$2/ablate.log"
    (cd "$_rd" && cp -r $(ls -A) "$2/") || return
  else
    recipe rm "$2" || return
    rm -rf "$_rd.tmp" && mkdir -p "$_rd.tmp" || return
    for f in $rm_outputs .done-rm; do [ ! -e "$2/$f" ] || cp -r "$2/$f" "$_rd.tmp/" || return; done
    mv "$_rd.tmp" "$_rd" || return
  fi
  [ -z "$_post" ] || recipe "$_post" "$2"
}

if [ -n "${ABLATE_LIST:-}" ]; then
  for v in "$@"; do
    label=${v%%:*} spec=${v#*:}
    [ "$spec" = "$v" ] && spec=
    st=$(vget ABLATE_STAGES "$v" "$stages")
    printf '%s\t%s\t%s\t%s\t%s\n' "$title" "$label" "$(arm_key "$spec" "$st")" "$(canon_stages "$spec" "$st")" "$spec"
  done
  exit 0
fi

# BASE_STAGES: what the variants share (default: the world, the initial
# policy and its SFT; pipelines/exp-rm.sh adds the pretrain stage)
base_stages=${BASE_STAGES:-world pairs init sft}
for s in $base_stages; do
  [ -e "$base/.done-$s" ] || { mkdir -p "$base"; recipe "$base_stages" "$base" || { cat "$base/ablate.log" >&2; exit 1; }; break; }
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
  if [ -n "${ABLATE_NO_REUSE:-}" ]; then
    # every arm afresh in its own directory (the reference for the reuse)
    if [ ! -e "$dir/.done-eval" ] || [ -L "$dir" ]; then
      rm -rf "$dir"
      run_arm "$spec" "$st" "$dir" "$title/$label" || exit 1
    fi
  else
  key=$(arm_key "$spec" "$st")
  adir=$base/arms/$key
  if [ ! -e "$adir/.done-eval" ]; then
    mkdir -p "$base/arms"
    rm -rf "$adir"
    if [ -d "$dir" ] && [ ! -L "$dir" ] && [ -e "$dir/.done-eval" ]; then
      mv "$dir" "$adir"    # a finished arm of an earlier ablate.sh: the same spec, adopted
    else
      run_arm "$spec" "$st" "$adir" "$title/$label" || exit 1
    fi
    arm_material "$spec" "$st" > "$adir.knobs"
  elif [ ! -L "$dir" ] || [ "$(readlink "$dir")" != "$(basename "$base")/arms/$key" ]; then
    echo "ablate: $title/$label ($spec) = arm $key, computed already for $(head -n 1 "$adir.uses")" >&2
  fi
  grep -qx "$title/$label" "$adir.uses" 2>/dev/null || echo "$title/$label" >> "$adir.uses"
  rm -rf "$dir"
  ln -s "$(basename "$base")/arms/$key" "$dir"
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
