#!/bin/sh
# recipe.sh [RUN_DIR] — the paper's comparison on the built-in synthetic
# world, from nothing to a results table, on the CPU:
#
#   world    pref-synth: SFT demos (a middling responder), rated data, a PPO
#            prompt pool and held-out evaluation prompts; gold-labelled pairs
#   pairs    pref-binarize (mean of aspects by default); the RM's pairs and
#            the PPO prompts (the whole pool, or one category)
#   init     lm-init: a small byte-level Llama policy
#   sft      sft-step on the demonstrations
#   dpo      dpo-step on the pairs, reference = SFT
#   pretrain (optional, PRETRAIN=small|large|both, off by default) a world
#            language model: sft-step from lm-init on world text (pref-synth
#            -e text: train-split items answered by the whole zoo), at the
#            policy's size (small) and a larger one (large)
#   rm       rm-train (Bradley-Terry) from the SFT model (or RM_INIT's
#            pretrained LM); accuracy on the held-out gold-labelled pairs
#            (rm-score | rm-eval), overall and per category
#   ppo      rollout -f | rm-score | ppo-step (pipelines/ppo.sh), from SFT
#   bon      best-of-N from the SFT policy, chosen by the reward model
#   eval     greedy responses of SFT, DPO, PPO (and best-of-N) to the held-out
#            prompts, scored by the gold judge (never used for training)
#   report   the table (per category, average, bootstrap 95% intervals),
#            results.json, and PNG plots of the training curves
#
# Every stage writes into RUN_DIR and is skipped when it has finished
# (delete RUN_DIR/.done-STAGE to redo one).  A training stage that was
# interrupted (Ctrl-C, kill: its checkpoint, saved every SAVE_EVERY steps
# and on SIGINT/SIGTERM, is short of its last step) is resumed with
# --resume and the same arguments (changed ones are refused, naming both
# values) instead of restarted; so is PPO (RUN/ppo/state).  Progress goes to
# stderr; the table to stdout.  Same SEED and THREADS => the same table.
#
# Sizes: SCALE=full (default) or SCALE=quick (a couple of minutes, for the
# test suite); every number below can be overridden from the environment.
# LAUNCH: a launcher prefix for the data-parallel stages (sft, dpo, rm
# and the RM's scoring of held-out pairs and of best-of-N samples), e.g.
# "mpirun --hostfile H -np 4"; empty (default) runs them as one process.
# PPO_LOOP: the PPO loop's script (default pipelines/ppo.sh; its options).
# pipelines/multi-host.sh sets both.
# The ablation knobs (pipelines/ablate.sh sets them): PAIRS_SCORE,
# PAIRS_MODELS, RM_PAIRS, RM_MODEL_ARGS, PPO_CATEGORIES, PPO_BETA, DPO_BETA;
# for the reward model's strength: RATER (the rated data's source,
# pref-synth --rater: one rater or a comma-separated mix; default the
# world's rated data), RM_INIT (sft, pretrained-small or pretrained-large:
# which model the reward model starts from; a pretrained one needs the
# pretrain stage), PRETRAIN (small, large or both: the pretrain stage's
# sizes, PRETRAIN_SMALL_ARGS / PRETRAIN_LARGE_ARGS, on N_TEXT records of
# world text for PRETRAIN_EPOCHS);
# PPO_PROMPTS: pool (default, the separate PPO pool), pref (the preference
# data's own prompts, N_POOL of them: Table 2) or mined (prompts pref-tag
# tags Math, mined from a 6x larger pool split: Fig. 3 / App. J); the PPO
# batch of App. G / Table 11: PPO_B prompts x PPO_ROLLOUTS (r, default 1)
# per batch, PPO_MINIBATCH (b, default 16) rollouts per forward-backward
# pass, PPO_ACCUM (g, default PPO_B / b: one update per batch) and
# PPO_INNER_EPOCHS (e, default 1); passes over the pool follow PPO_BATCHES.
# The math knobs: N_SFT_MATH extra math demonstrations (train items),
# answered by MATH_RESPONDER; at full scale 8000 answered by strong (95 %
# right), since with fewer the tiny policy learns no held-out arithmetic
# (README, "The world"; they triple SFT's updates, about 60 s of the idle
# recipe); SCALE=quick adds none (middle, if N_SFT_MATH is set).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
PATH=${PREFPIPE_BIN:-$root/bin}:$PATH   # PREFPIPE_BIN: another build (make asan)
# tools/ (the jq helpers of the table, the plotting style) and ppo.sh:
# beside this script (a checkout, or PREFIX/share/prefpipe when
# installed), else beside the programs on PATH (a checkout's bin/, an
# installed PREFIX/bin), else PREFPIPE_TOOLS; so a copy of this script
# alone works too.  Refused at the start, not after hours of training.
bindir=$(dirname "$(command -v rec || echo "$root/bin/rec")")
tools= ppo_sh=
for d in ${PREFPIPE_TOOLS:+"$PREFPIPE_TOOLS/.."} "$root" "$bindir/.." "$bindir/../share/prefpipe"; do
  [ -z "$tools" ] && [ -f "$d/tools/prefpipe.jq" ] && tools=$(cd "$d/tools" && pwd)
  [ -z "$ppo_sh" ] && [ -f "$d/pipelines/ppo.sh" ] && ppo_sh=$d/pipelines/ppo.sh
done
if [ -z "$tools" ]; then
  echo "recipe: cannot find prefpipe's tools/ folder (prefpipe.jq, plot-style.gp): looked in $root/tools," \
       "$bindir/../tools and $bindir/../share/prefpipe/tools; set PREFPIPE_TOOLS=DIR" >&2
  exit 66
fi
RUN=${1:-$root/runs/recipe}
SEED=${SEED:-1}
THREADS=${THREADS:-2}
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=1

if [ "${SCALE:-full}" = quick ]; then
  : "${N_SFT:=300}" "${N_PREF:=300}" "${N_POOL:=64}" "${N_EVAL:=40}" "${N_RMEVAL:=100}"
  : "${MODEL_ARGS:=--dim 32 --layers 1 --heads 2 --kv-heads 1 --ffn 64}"
  : "${SFT_EPOCHS:=1}" "${DPO_EPOCHS:=1}" "${RM_EPOCHS:=1}" "${PPO_BATCHES:=2}" "${PPO_B:=16}" "${BON:=4}"
  : "${N_TEXT:=6000}" "${PRETRAIN_EPOCHS:=2}" "${PRETRAIN_LARGE_ARGS:=--dim 64 --layers 2 --heads 4 --kv-heads 2 --ffn 128}"
else
  : "${N_SFT:=4000}" "${N_PREF:=3000}" "${N_POOL:=640}" "${N_EVAL:=200}" "${N_RMEVAL:=500}"
  : "${MODEL_ARGS:=--preset tiny}"
  : "${SFT_EPOCHS:=8}" "${DPO_EPOCHS:=2}" "${RM_EPOCHS:=2}" "${PPO_BATCHES:=40}" "${PPO_B:=64}" "${BON:=16}"
  : "${N_TEXT:=12000}" "${PRETRAIN_EPOCHS:=2}" "${PRETRAIN_LARGE_ARGS:=--dim 96 --layers 3 --heads 4 --kv-heads 2 --ffn 288}"
  : "${N_SFT_MATH:=8000}" "${MATH_RESPONDER:=strong}"
fi
: "${SFT_LR:=5e-3}" "${DPO_LR:=3e-5}" "${DPO_BETA:=0.5}" "${DPO_LOSS:=dpo}" "${RM_LR:=1e-3}" "${PPO_LR:=1e-4}" "${PPO_BETA:=0.05}"
: "${LAUNCH:=}"
: "${PRETRAIN_SMALL_ARGS:=$MODEL_ARGS}" "${PRETRAIN_LR:=$SFT_LR}" "${RM_INIT:=sft}" "${PRETRAIN:=}"
case $RM_INIT in sft|pretrained-small|pretrained-large) ;;
  *) echo "recipe: RM_INIT must be sft, pretrained-small or pretrained-large, not '$RM_INIT'" >&2; exit 64 ;; esac
case $PRETRAIN in ''|small|large|both) ;;
  *) echo "recipe: PRETRAIN must be small, large or both, not '$PRETRAIN'" >&2; exit 64 ;; esac
: "${MAX_NEW:=64}" "${TEMP:=0.7}" "${PAIRS_SCORE:=mean-aspects}" "${SAVE_EVERY:=100}"
# RECIPE_KNOBS=1: print every knob that can change the run's bytes, as
# resolved from the environment and the defaults above (KEY=value, one a
# line, sorted), and stop.  pipelines/ablate.sh content-addresses an arm
# by it, so two arms whose knobs resolve alike are computed once.  A knob
# passed on only when set (PPO_ROLLOUTS, PPO_INNER_EPOCHS) is printed as
# set, empty otherwise: "unset" and "set to the tool's default" count as
# different, which can only miss a reuse, never make a wrong one.
if [ -n "${RECIPE_KNOBS:-}" ]; then
  for k in SCALE SEED THREADS MODEL_ARGS N_SFT N_PREF N_POOL N_EVAL N_RMEVAL SFT_EPOCHS SFT_LR DPO_EPOCHS DPO_LR \
           DPO_BETA DPO_LOSS RM_EPOCHS RM_LR PPO_BATCHES PPO_B PPO_LR PPO_BETA BON MAX_NEW TEMP PAIRS_SCORE SAVE_EVERY \
           N_TEXT PRETRAIN PRETRAIN_EPOCHS PRETRAIN_SMALL_ARGS PRETRAIN_LARGE_ARGS PRETRAIN_LR RM_INIT N_SFT_MATH \
           MATH_RESPONDER RATER PAIRS_MODELS RM_PAIRS RM_MODEL_ARGS PPO_CATEGORIES PPO_ROLLOUTS PPO_INNER_EPOCHS PPO_LOOP; do
    eval "echo \"$k=\${$k:-}\""
  done
  echo "PPO_PROMPTS=${PPO_PROMPTS:-pool}"
  echo "PPO_MINIBATCH=${PPO_MINIBATCH:-16}"
  echo "PPO_ACCUM=${PPO_ACCUM:-$((PPO_B / ${PPO_MINIBATCH:-16} > 0 ? PPO_B / ${PPO_MINIBATCH:-16} : 1))}"
  exit 0
fi | LC_ALL=C sort
[ -z "${RECIPE_KNOBS:-}" ] || exit 0

mkdir -p "$RUN"
# Stage progress goes to the caller's stderr (fd 3); the tools' own
# messages and progress lines go to RUN/log.txt.
exec 3>&2
log() { echo "recipe: $*" >&3; echo "recipe: $*" >> "$RUN/log.txt"; }
# On a terminal, the running tool's latest progress line (from the log,
# where --progress writes one every PREFPIPE_PROGRESS_EVERY s) is echoed
# under the stage's name, so a long stage is never silent.
TICK=
tick_start() {
  [ -t 3 ] || return 0
  ( while sleep "${PREFPIPE_PROGRESS_EVERY:-10}"; do
      line=$(tail -n 1 "$RUN/log.txt" 2>/dev/null) && [ -n "$line" ] && echo "recipe:   $line" >&3
    done ) &
  TICK=$!
}
tick_stop() { [ -z "$TICK" ] || kill "$TICK" 2>/dev/null || true; TICK=; }
trap tick_stop EXIT
stage() { # stage NAME: true when NAME must run
  if [ -e "$RUN/.done-$1" ]; then log "$1: done already (rm $RUN/.done-$1 to redo)"; return 1; fi
  case " ${ONLY_STAGES:-$1} " in *" $1 "*) ;; *) log "$1: not in ONLY_STAGES, skipped"; return 1 ;; esac
  log "$1: ..."; STAGE_T0=$(date +%s); tick_start; return 0
}
done_() { tick_stop; touch "$RUN/.done-$1"; log "$1: finished in $(( $(date +%s) - STAGE_T0 )) s"; }
# train TOOL DIR ARGS...: a fresh run into DIR, or, when DIR holds an
# interrupted run's checkpoint, the same command with --resume DIR (the
# metrics file continues from the checkpoint's step)
train() {
  tool=$1 dir=$2; shift 2
  if [ -e "$dir/trainer_state.json" ] && jq -e '.step < .total_steps' "$dir/trainer_state.json" > /dev/null 2>&1; then
    log "$tool: resuming the interrupted run in $dir at step $(jq .step "$dir/trainer_state.json")"
    $LAUNCH "$tool" --resume "$dir" -o "$dir" --save-every "$SAVE_EVERY" "$@"
  else
    $LAUNCH "$tool" -o "$dir" --save-every "$SAVE_EVERY" "$@"
  fi
}
T0=$(date +%s)
log "run directory $RUN; the full log (every tool's messages and progress) is $RUN/log.txt"

if stage world; then
  pref-synth -e sft    --split train -n "$N_SFT"  --seed "$SEED" -o "$RUN/sft.mp"
  # N_SFT_MATH: more math demonstrations (train items, answered by
  # MATH_RESPONDER), appended to the SFT data (pipelines/exp-math.sh).  The
  # same seed keeps the splits; the math-only stream's first N_SFT records
  # are dropped and the rest are items that stream has not asked yet
  # (pref-synth reuses an item only when its split has no unused one).
  if [ "${N_SFT_MATH:-0}" -gt 0 ]; then
    pref-synth -e sft --split train -n "$((N_SFT + N_SFT_MATH))" --seed "$SEED" --categories math \
      --responder "${MATH_RESPONDER:-middle}" | rec to-json | tail -n "+$((N_SFT + 1))" | rec from-json >> "$RUN/sft.mp"
  fi
  pref-synth -e rated  --split train -n "$N_PREF" --seed "$SEED" -o "$RUN/rated.mp"
  pref-synth -e prompt --split pool  -n "$N_POOL" --seed "$SEED" -o "$RUN/pool.mp"
  pref-synth -e prompt --split eval  -n "$N_EVAL" --seed "$SEED" -o "$RUN/eval.mp"
  # gold-labelled held-out pairs for the reward model's accuracy: eval-split
  # rated data, chosen by gold rank, gold ties removed
  pref-synth -e rated --split eval -n "$N_RMEVAL" --seed "$SEED" | pref-binarize --score rank --seed "$SEED" |
    gold-judge --pairs --no-summary | rec to-json |
    jq -c 'select(.gold_chosen.total > .gold_rejected.total) | del(.gold_chosen, .gold_rejected) | .source = "synth-gold"' |
    rec from-json -o "$RUN/rm-eval.mp"
  done_ world
fi 2>>"$RUN/log.txt"

if stage pairs; then
  # PAIRS_SCORE: mean-aspects (fine-grained) or overall; PAIRS_MODELS: only
  # completions of these responders (the App. E quality subsets)
  # RATER: the same prompts rated by another source (or a mix of sources)
  rated=$RUN/rated.mp
  if [ -n "${RATER:-}" ]; then
    pref-synth -e rated --split train -n "$N_PREF" --seed "$SEED" --rater "$RATER" -o "$RUN/rated-rater.mp"
    rated=$RUN/rated-rater.mp
  fi
  pref-binarize --score "$PAIRS_SCORE" ${PAIRS_MODELS:+--models "$PAIRS_MODELS"} --seed "$SEED" \
    "$rated" -o "$RUN/pairs.mp"
  if [ -n "${RM_PAIRS:-}" ]; then rec sample -n "$RM_PAIRS" --seed "$SEED" "$RUN/pairs.mp" -o "$RUN/rm-pairs.mp"
  else cp "$RUN/pairs.mp" "$RUN/rm-pairs.mp"; fi
  case ${PPO_PROMPTS:-pool} in
    pool) ;;
    pref) # the pairs' own prompts (train split), a sample of N_POOL, as prompt records
      rec to-json "$RUN/pairs.mp" | jq -c '{id, prompt, source, tags, gold: .meta.gold}' | rec from-json |
        rec sample -n "$N_POOL" --seed "$SEED" -o "$RUN/ppo-pool.mp" ;;
    mined) # App. J on the world's unlabelled pool split: pref-tag's rules keep Math prompts,
      # decontaminated against the evaluation prompts (mine-prompts.sh's filter)
      pref-synth -e prompt --split pool -n $((N_POOL * 6)) --seed "$SEED" | rec to-json | jq -c 'del(.tags)' |
        rec from-json | pref-tag --unique --exclude "$RUN/eval.mp" --drop Unclear,Multilingual --select Math \
        --max-other-tags 1 | rec head -n "$N_POOL" -o "$RUN/ppo-pool.mp" ;;
    *) log "PPO_PROMPTS must be pool, pref or mined, not '$PPO_PROMPTS'"; exit 64 ;;
  esac
  if [ -n "${PPO_CATEGORIES:-}" ]; then
    pref-synth -e prompt --split pool -n "$N_POOL" --seed "$SEED" --categories "$PPO_CATEGORIES" -o "$RUN/ppo-pool.mp"
  elif [ "${PPO_PROMPTS:-pool}" = pool ]; then cp "$RUN/pool.mp" "$RUN/ppo-pool.mp"; fi
  done_ pairs
fi 2>>"$RUN/log.txt"

if stage init; then
  lm-init $MODEL_ARGS --seed "$SEED" -o "$RUN/init"
  done_ init
fi 2>>"$RUN/log.txt"

if stage sft; then
  train sft-step "$RUN/sft" -m "$RUN/init" --epochs "$SFT_EPOCHS" --lr "$SFT_LR" --lr-floor 1e-4 \
    --batch 32 --micro-batch 16 --seed "$SEED" --progress --metrics "$RUN/sft-metrics.mp" "$RUN/sft.mp"
  done_ sft
fi 2>>"$RUN/log.txt"

# the world LM at one or two sizes, for reward models that start from it
# (RM_INIT); the text is train-split items only, so nothing held out leaks
case $PRETRAIN in both) pretrain_sizes="small large" ;; *) pretrain_sizes=$PRETRAIN ;; esac
case $RM_INIT in pretrained-*) case " $pretrain_sizes " in *" ${RM_INIT#pretrained-} "*) ;;
  *) pretrain_sizes="$pretrain_sizes ${RM_INIT#pretrained-}" ;; esac ;; esac
if [ -n "$pretrain_sizes" ] && stage pretrain; then
  [ -s "$RUN/text.mp" ] || pref-synth -e text --split train -n "$N_TEXT" --seed "$SEED" -o "$RUN/text.mp"
  for size in $pretrain_sizes; do
    [ -e "$RUN/pretrain-$size/.done" ] && continue
    if [ "$size" = small ]; then args=$PRETRAIN_SMALL_ARGS; else args=$PRETRAIN_LARGE_ARGS; fi
    [ -d "$RUN/pretrain-$size-init" ] || lm-init $args --seed "$SEED" -o "$RUN/pretrain-$size-init"
    train sft-step "$RUN/pretrain-$size" -m "$RUN/pretrain-$size-init" --epochs "$PRETRAIN_EPOCHS" --lr "$PRETRAIN_LR" \
      --lr-floor 1e-4 --batch 32 --micro-batch 16 --seed "$SEED" --progress \
      --metrics "$RUN/pretrain-$size-metrics.mp" "$RUN/text.mp"
    touch "$RUN/pretrain-$size/.done"
  done
  done_ pretrain
fi 2>>"$RUN/log.txt"

if stage dpo; then
  train dpo-step "$RUN/dpo" -m "$RUN/sft" --ref "$RUN/sft" --epochs "$DPO_EPOCHS" --lr "$DPO_LR" \
    --loss "$DPO_LOSS" --beta "$DPO_BETA" --batch 32 --micro-batch 16 --seed "$SEED" --progress \
    --metrics "$RUN/dpo-metrics.mp" "$RUN/pairs.mp"
  done_ dpo
fi 2>>"$RUN/log.txt"

if stage rm; then
  # RM_MODEL_ARGS: a reward model of another size, from a fresh
  # initialisation instead of the SFT policy (the paper's RM-size axis)
  rm_init="$RUN/sft"
  case $RM_INIT in pretrained-*)
    rm_init="$RUN/pretrain-${RM_INIT#pretrained-}"
    [ -e "$rm_init/.done" ] || { log "rm: RM_INIT=$RM_INIT but $rm_init is not trained (the pretrain stage)"; exit 1; } ;;
  esac
  if [ -n "${RM_MODEL_ARGS:-}" ]; then
    lm-init $RM_MODEL_ARGS --seed "$SEED" -o "$RUN/rm-init"
    rm_init="$RUN/rm-init"
  fi
  train rm-train "$RUN/rm" -m "$rm_init" --epochs "$RM_EPOCHS" --lr "$RM_LR" --lr-floor 1e-5 \
    --batch 32 --micro-batch 16 --seed "$SEED" --progress --metrics "$RUN/rm-metrics.mp" "$RUN/rm-pairs.mp"
  $LAUNCH rm-score -c "$RUN/rm" "$RUN/rm-eval.mp" | tee "$RUN/rm-eval-scored.mp" |
    rm-eval --benchmark "synthetic gold pairs" -o "$RUN/rm-accuracy.mp"
  # RewardBench-style sections: the same pairs' accuracy per category
  rec to-json "$RUN/rm-eval-scored.mp" | jq -c '.section = .meta.gold.category' | rec from-json |
    rm-eval --benchmark "synthetic gold pairs by category" --subset-key section -o "$RUN/rm-sections.mp"
  done_ rm
fi 2>>"$RUN/log.txt"

if stage ppo; then
  # an interrupted PPO run (its state saved after every batch) continues,
  # after the metrics of the batches its state holds
  ppo_resume= ppo_done=0
  ppo_state=$RUN/ppo/state/policy/trainer_state.json
  [ -e "$ppo_state" ] && ppo_done=$(jq .version "$ppo_state")
  if [ "$ppo_done" -gt 0 ] && [ "$ppo_done" -lt "$PPO_BATCHES" ]; then
    ppo_resume=--resume
    log "ppo: resuming the interrupted run in $RUN/ppo at version $ppo_done"
    touch "$RUN/ppo-metrics.kept.mp" "$RUN/ppo-metrics.new.mp"
    cat "$RUN/ppo-metrics.kept.mp" "$RUN/ppo-metrics.new.mp" | rec head -n "$ppo_done" -o "$RUN/ppo-metrics.k.mp"
    mv "$RUN/ppo-metrics.k.mp" "$RUN/ppo-metrics.kept.mp"
  else
    rm -rf "$RUN/ppo"
    : > "$RUN/ppo-metrics.kept.mp"
  fi
  # enough passes over the prompt pool for PPO_BATCHES batches of PPO_B
  # (of the prompts there are: a mined pool may be smaller than N_POOL)
  n_pool=$(rec count "$RUN/ppo-pool.mp" 2>/dev/null || echo "$N_POOL")
  [ "$n_pool" -gt 0 ] || { log "no PPO prompts in $RUN/ppo-pool.mp"; exit 65; }
  ppo_epochs=$(( (PPO_BATCHES * PPO_B + n_pool - 1) / n_pool ))
  b=${PPO_MINIBATCH:-16}
  "${PPO_LOOP:-${ppo_sh:?recipe: cannot find pipelines/ppo.sh (set PPO_LOOP)}}" -p "$RUN/sft" -i "$RUN/ppo-pool.mp" -o "$RUN/ppo" -r "$RUN/rm" -B "$PPO_B" -e "$ppo_epochs" \
    ${PPO_ROLLOUTS:+-n "$PPO_ROLLOUTS"} --max-new "$MAX_NEW" --seed "$SEED" -- --batches "$PPO_BATCHES" --lr "$PPO_LR" --beta "$PPO_BETA" \
    --minibatch "$b" --accum "${PPO_ACCUM:-$((PPO_B / b > 0 ? PPO_B / b : 1))}" \
    ${PPO_INNER_EPOCHS:+--inner-epochs "$PPO_INNER_EPOCHS"} $ppo_resume > "$RUN/ppo-metrics.new.mp"
  cat "$RUN/ppo-metrics.kept.mp" "$RUN/ppo-metrics.new.mp" > "$RUN/ppo-metrics.mp"
  rm -f "$RUN/ppo-metrics.kept.mp" "$RUN/ppo-metrics.new.mp"
  latest=$(ls -d "$RUN"/ppo/policy-v* | sort -t v -k2 -n | tail -n 1)
  rm -rf "$RUN/ppo-final" && cp -r "$latest" "$RUN/ppo-final"
  done_ ppo
fi 2>>"$RUN/log.txt"

if stage eval; then
  for m in sft dpo ppo-final; do
    [ -d "$RUN/$m" ] || continue
    rollout -c "$RUN/$m" -t 0 --max-new "$MAX_NEW" --seed "$SEED" "$RUN/eval.mp" -o "$RUN/eval-$m.mp"
  done
  if [ -d "$RUN/rm" ] && [ -n "$LAUNCH" ]; then
    # several ranks read files, not a pipe: the samples go through one
    # (rm-score's batches follow the rollout batches: the same bytes)
    rollout -c "$RUN/sft" -n "$BON" -t "$TEMP" --max-new "$MAX_NEW" --seed "$SEED" "$RUN/eval.mp" -o "$RUN/bon-samples.mp"
    $LAUNCH rm-score -c "$RUN/rm" "$RUN/bon-samples.mp" | best-of-n -n "$BON" -o "$RUN/eval-bon.mp"
  elif [ -d "$RUN/rm" ]; then
    rollout -c "$RUN/sft" -n "$BON" -t "$TEMP" --max-new "$MAX_NEW" --seed "$SEED" "$RUN/eval.mp" |
      rm-score -c "$RUN/rm" | best-of-n -n "$BON" -o "$RUN/eval-bon.mp"
  fi
  : > "$RUN/summaries.mp"
  for m in sft dpo ppo-final bon; do
    [ -e "$RUN/eval-$m.mp" ] || continue
    gold-judge --summary-only --model "$m" --seed "$SEED" "$RUN/eval-$m.mp" >> "$RUN/summaries.mp"
  done
  done_ eval
fi 2>>"$RUN/log.txt"

# ---- report ----
[ -s "$RUN/summaries.mp" ] || { log "no evaluation yet (ONLY_STAGES?)"; exit 0; }
[ -e "$RUN/rm-accuracy.mp" ] || : > "$RUN/rm-accuracy.mp"
rec to-json "$RUN/summaries.mp" > "$RUN/summaries.jsonl"
rec to-json "$RUN/rm-accuracy.mp" > "$RUN/rm-accuracy.jsonl"
# results.json: the table's rows under the table's names, and what made
# them (seed, threads, sizes, prefpipe version and commit)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
version=$(rec --version | sed 's/.* //')
cfg=
for k in SCALE MODEL_ARGS N_SFT N_PREF N_POOL N_EVAL N_RMEVAL SFT_EPOCHS SFT_LR DPO_EPOCHS DPO_LR DPO_BETA \
         DPO_LOSS RM_EPOCHS RM_LR PPO_BATCHES PPO_B PPO_LR PPO_BETA BON MAX_NEW TEMP PAIRS_SCORE N_SFT_MATH MATH_RESPONDER \
         ${RATER:+RATER} ${PRETRAIN:+PRETRAIN N_TEXT PRETRAIN_EPOCHS} $([ "$RM_INIT" = sft ] || echo RM_INIT); do
  eval "v=\${$k:-}"
  cfg="$cfg$k=$v
"
done
# the design knobs only when set (the default run's results.json unchanged)
for k in PAIRS_MODELS RM_PAIRS RM_MODEL_ARGS PPO_PROMPTS PPO_CATEGORIES PPO_ROLLOUTS PPO_MINIBATCH PPO_ACCUM PPO_INNER_EPOCHS; do
  eval "v=\${$k:-}"
  [ -z "$v" ] || cfg="$cfg$k=$v
"
done
printf '%s' "$cfg" > "$RUN/config.txt"
jq -s --slurpfile rm "$RUN/rm-accuracy.jsonl" --arg bon "best-of-$BON" --arg commit "$commit" \
   --arg version "$version" --argjson seed "$SEED" --argjson threads "$THREADS" --rawfile cfg "$RUN/config.txt" '{
    seed: $seed, threads: $threads, prefpipe: {version: $version, commit: $commit},
    config: ($cfg | split("\n") | map(select(length > 0) | capture("^(?<k>[^=]*)=(?<v>.*)$") | {(.k): .v}) | add),
    models: map({model: (if .model == "ppo-final" then "ppo" elif .model == "bon" then $bon else .model end),
                 n, average: .average, categories: .categories}),
    reward_model: ($rm | map(select(.kind == "summary")) | .[0])
  }' "$RUN/summaries.jsonl" > "$RUN/results.json"
{
  printf '%-10s' model
  for c in math instruction safety truthfulness factuality; do printf '%14s' "$c"; done
  printf '   %s\n' "average [95% CI]"
  # one number format (tools/prefpipe.jq pct1: one decimal, always)
  jq -L "$tools" -r 'include "prefpipe"; [.model] + ([.categories.math, .categories.instruction, .categories.safety,
          .categories.truthfulness, .categories.factuality] | map(if . then (.score | pct1) else "-" end))
        + [.average | ci1] | @tsv' "$RUN/summaries.jsonl" |
    sed 's/^ppo-final/ppo/; s/^bon\t/best-of-'"$BON"'\t/' |
    awk -F'\t' '{ printf "%-10s", $1; for (i = 2; i <= 6; i++) printf "%14s", $i; printf "   %s\n", $7 }'
  jq -L "$tools" -r 'include "prefpipe";
    select(.kind == "summary") | "reward model: held-out gold-pair accuracy \(.accuracy | pct1)% on \(.n) pairs"' \
    "$RUN/rm-accuracy.jsonl"
  echo "(gold-judge scores x 100 on $N_EVAL held-out prompts, greedy responses; seed $SEED)"
  # a category where every answer of every model scores exactly 50 (the
  # bootstrap interval is [50, 50]) is the judge's score of a wrong answer,
  # not a result: say so (synth_judge.c: the total is the mean of 4 aspects)
  jq -rs '[.[].categories | to_entries[] | select(.value != null)] | group_by(.key)
          | map(select(all(.[]; .value.score == 0.5 and .value.lo == 0.5 and .value.hi == 0.5)) | .[0].key)
          | .[]' "$RUN/summaries.jsonl" | while read -r c; do
    echo "($c: every answer of every model scores 50.0, the judge's score of a wrong but concise and harmless"
    echo " answer: helpfulness 0, honesty 0, instruction following 1, harmlessness 1; no model learns $c)"
  done
  # math by difficulty: right answers to the curriculum's one-digit (levels
  # 1-3) and two-digit (4-6) problems, so a score near 50 is read for what
  # it is (a wrong concise answer scores 50)
  for m in sft dpo ppo-final bon; do
    [ -e "$RUN/eval-$m.mp" ] || continue
    gold-judge --no-summary "$RUN/eval-$m.mp" 2>/dev/null | rec to-json | jq -rs --arg m "$m" '
      [.[] | select(.gold.category == "math")] as $x | def right: map(select(.gold_scores.helpfulness == 1)) | length;
      ($x | map(select(.gold.level <= 3))) as $one | ($x | map(select(.gold.level > 3))) as $two
      | "\($m) \($one | right)/\($one | length) \($two | right)/\($two | length)"'
  done | sed "s/^ppo-final /ppo /; s/^bon /best-of-$BON /" | paste -sd';' - | sed 's/;/; /g' |
    awk 'NF { print "(math right, one-digit / two-digit problems: " $0 ")" }'
} | tee "$RUN/table.txt"
log "this run took $(( $(date +%s) - T0 )) s"

# ---- plots: training.png (tools/recipe-plot.gp in the shared style,
# tools/plot-style.gp; gnuplot's own style when that file is missing),
# from data files in RUN/plots that tests can read ----
mkdir -p "$RUN/plots"
for s in sft dpo rm; do
  # x = epoch; a batch's weight is its share of a full batch (the largest)
  [ -s "$RUN/$s-metrics.mp" ] && rec to-json "$RUN/$s-metrics.mp" | jq -L "$tools" -rs 'include "prefpipe";
    def n: if . == null then "NaN" else tostring end;
    map(select(.step != null and .loss != null)) as $m | ($m | map(.examples) | max) as $b
    | ($m | ema(.loss; .examples / $b)) as $e
    | range(0; $m | length) as $i | $m[$i] | [.epoch, .loss, $e[$i], .examples / $b] | map(n) | @tsv' \
    > "$RUN/plots/$s.tsv" || : > "$RUN/plots/$s.tsv"
done
[ -s "$RUN/ppo-metrics.mp" ] && rec to-json "$RUN/ppo-metrics.mp" | jq -L "$tools" -rs 'include "prefpipe";
  def n: if . == null then "NaN" else tostring end;
  map(select(.step != null)) as $m | ($m | ema(.reward_mean)) as $r | ($m | ema(.kl)) as $k
  | range(0; $m | length) as $i | $m[$i] | [.step, .reward_mean, $r[$i], .kl, $k[$i]] | map(n) | @tsv' \
  > "$RUN/plots/ppo.tsv" || : > "$RUN/plots/ppo.tsv"
jq -r --arg bon "best-of-$BON" '[(if .model == "ppo-final" then "ppo" elif .model == "bon" then $bon else .model end),
  (.average.score * 100), (.average.lo * 100), (.average.hi * 100)] | @tsv' "$RUN/summaries.jsonl" > "$RUN/plots/eval.tsv"
has=
for f in sft dpo rm ppo ppo eval; do if [ -s "$RUN/plots/$f.tsv" ]; then has=${has}1; else has=${has}0; fi; done
style=$tools/plot-style.gp
[ -f "$style" ] || { log "plots: $style is missing: gnuplot's default style"; style=; }
if [ ! -f "$tools/recipe-plot.gp" ]; then
  log "plots: skipped ($tools/recipe-plot.gp is missing)"
elif command -v gnuplot > /dev/null; then
  gnuplot ${style:+"$style"} -c "$tools/recipe-plot.gp" "$RUN/training.png" "$RUN/plots" "$has" \
    2>>"$RUN/log.txt" && log "plots: $RUN/training.png" || log "plots: gnuplot failed (see $RUN/log.txt)"
else
  log "plots: skipped (gnuplot not installed)"
fi
log "results: $RUN/results.json, $RUN/table.txt"
