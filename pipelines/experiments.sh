#!/bin/sh
# experiments.sh [BASE] — the paper's experiment designs on the synthetic
# world, over seeds, and one verdict per finding.
#
# Runs, with SEEDS seeds each (ablate.sh: seed S's arms share BASE-seedS,
# its world, initial policy and SFT model, across every design):
#   data       exp-data.sh       Table 1 / App. E (DPO)
#   algorithm  exp-algorithm.sh  Table 2: DPO vs PPO on the same data
#   rm         exp-rm.sh         Table 3: reward models, direct and downstream
#   prompts    exp-prompts.sh    Fig. 3 / Table 4: prompts x RM strength
#   kl         exp-kl.sh         App. I: beta per reward model
#   batch      exp-batch.sh      App. G / Table 11: batch, minibatch, epochs
# DESIGNS (default all six, in that order) picks some.  Then, for each of
# the paper's findings whose design ran, verdict.sh prints "reproduced",
# "reversed" or "not distinguishable" from eval-compare's paired bootstrap
# interval over seeds x prompts, with the numbers; the lines and the
# suite's cost go to BASE-verdicts.txt, the same as JSON to
# BASE-verdicts.json (one object: scale, seeds, designs, ARMS, JOBS,
# THREADS, commit, start time, wall time, CPU-seconds of every process,
# load average at the start and the end, design_costs: per design its
# wall and CPU-seconds and its runs', and verdicts: each with its design,
# what it measured, the numbers), and as markdown ready for README to
# BASE-verdicts.md (pipelines/verdicts-md.sh: the verdict table, the cost,
# each design's arms with mean (sd) over seeds).  Every recipe knob
# applies (SCALE=quick, THREADS, ...).
# The weak and strong reward models are pipelines/exp-rms.sh's.  THREADS
# (default 1) threads per process and JOBS (default: the number of seeds,
# at most twice the cores) seeds at a time: the same bytes for any JOBS at
# the same THREADS; on a shared machine use JOBS=1.
#
# --list prints every arm of DESIGNS with its knobs and its key, and which
# arms are links to an identical one (below), without running anything.
# ARMS=verdicts runs only the arms the verdicts read (the tables lose their
# other rows; 23 of the 35 arms, 18 distinct).
#
# Each arm is computed once per seed: ablate.sh keys it by the stages it
# redoes and every recipe knob as resolved (defaults filled in) and keeps
# it in BASE-seedS/arms/KEY; a design's BASE-seedS-DESIGN-ARM is a link to
# it.  Of the 35 arms 30 are distinct (algorithm's dpo = data's
# mean-aspects; algorithm's ppo-pool = prompts' strong-general = kl's
# strong-beta-0.05 = batch's base; prompts' weak-general = kl's
# weak-beta-0.05), and a reward model is keyed by its inputs (BASE-seedS/rms):
# 6 are trained per seed (the strong one, the weak one, exp-rm.sh's four)
# instead of 24.  A reused arm is the one computed afresh gives
# (ABLATE_NO_REUSE=1): the same models byte for byte, the same records but
# for the policy's path a rollout names, the same verdicts
# (tests/experiments.bats compares them).
#
# Cost at the default scale, measured whole (2026-12-02, commit 6b2a626,
# the recipe's 8000 math demonstrations included, idle 2-core machine,
# fresh clone): 1755 s wall, 3420 CPU-s for 3 seeds (per design over the
# seeds: data 1060, rm 1118, prompts 370, batch 330, kl 282, algorithm
# 216).  The estimate that set the defaults, from CPU-seconds per stage measured with one
# thread (each arm's stage-times.txt).  The rm design, measured
# 2026-12-02 on commit b4bed66's programs (1 seed, load average 4-7, so a
# little high): the pretrain stage (both sizes) 131, SFT 44, and per arm
# RM + PPO + evaluation 39 (small-single), 44 (small-mix), 84
# (large-single), 93 (large-mix): 390 per seed besides SFT, 446 in all
# with the world and SFT (1025 s wall).  The other designs, measured on
# commit d538c59's programs (load 11-15; SFT was 77 then, so they are
# likely high now): DPO 39, RM 36, PPO 20-22, evaluation 1.7 (SFT + DPO)
# or 7 (SFT + PPO + best-of-16).  Per seed the six designs come to ~1330
# CPU-s (data 410, rm 390, batch ~140, prompts ~140, kl ~110, algorithm
# ~90, SFT 44).  Three seeds are ~4000 CPU-s: ~33 minutes on 2 idle cores
# when the three run at once (JOBS=3, the default; with JOBS=2 the third
# seed runs alone after the first two, ~45).  So the default runs every
# seed at once; nothing was cut from the designs.  SEEDS=K costs K x 1330
# CPU-s; ARMS=verdicts ~830 per seed (estimated: it skips 12 arms, ~500).
# SCALE=quick, 3 seeds, all designs: 540 CPU-s measured (commit 842318b,
# load 6-12; rm 140, its pretrain 60; the comparisons after the workers,
# serial, 94), an estimated 5-5.5 minutes on 2 idle cores; measured idle on d41e6a0: 291 s wall.
#
# Which finding reads which arms (model: dpo for data, ppo otherwise):
#   fine-grained > overall      data mean-aspects vs overall
#   PPO >= DPO                  algorithm ppo-pref vs dpo (and ppo-pool)
#   larger RM, directly         rm large-single vs small-single: held-out
#                               gold-pair accuracy; best-of-16 from SFT
#   ... only slightly downstream  the same arms' PPO policies
#   mixed-source pairs, directly  rm small-mix vs small-single: accuracy
#   ... not downstream          the same arms' PPO policies
#   stronger RM, directly       held-out gold-pair accuracy, prompts
#                               strong-general vs weak-general
#   ... only slightly downstream  the same arms' PPO policies
#   targeted prompts + strong RM  prompts strong-math vs strong-general, math
#   ... not with a weak RM      weak-math vs weak-general, math; and the
#                               interaction (strong gain - weak gain), math
#   KL trade-off                kl weak beta 0.01 vs 0.05; the interaction
#                               (strong's change - weak's change)
#   bigger batches cost a little  batch big-batch vs base; big-r2 vs big-batch
#   1 inner epoch, 1 epoch      batch inner-2 vs base; epochs-M vs epochs-1
# An interaction is one paired comparison: each prompt's contrast
# (a - b) - (c - d) against 0, so its interval is bootstrapped like the rest.
#
# SEEDS, the default (3): the power analysis (power.sh; eval-compare
# --delta 0.02 --power 0.8) needs, on the pilots we ran, more seeds than
# any 45-minute budget allows to detect 2 points in the average: the
# seed-to-seed sd of a paired difference is several points (the previous
# world's three seeds: PPO moved 1.0 to 3.5 points over SFT), so K seeds
# detect about 2.8 x sd / sqrt(K).  Three seeds is the fewest that
# estimates that sd at all with one left over for the bootstrap over
# seeds; at SCALE=quick (a pilot there: every policy gives the same
# answers, so every difference is exactly 0 and power.sh asks for 1 seed)
# it is a test of the machinery, not a measurement.  Raise SEEDS for
# smaller differences; the verdict lines say how many seeds they used.
set -eu
list=
case ${1:-} in -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  --list) list=1; shift ;; -*)
  echo "experiments: unknown option $1 (--help)" >&2; exit 64 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
PATH=${PREFPIPE_BIN:-$here/../bin}:$PATH
base=${1:-$here/../runs/experiments}
: "${SEEDS:=3}" "${DESIGNS:=data algorithm rm prompts kl batch}" "${THREADS:=1}" "${ARMS:=all}"
export THREADS
# ARMS=verdicts: only the arms the verdicts below read (ablate.sh
# ABLATE_ARMS, per design; the tables then lack the other rows)
case $ARMS in
  all) export ARMS_data= ARMS_rm= ARMS_prompts= ARMS_kl= ;;
  verdicts)
    export ARMS_data="mean-aspects overall" ARMS_rm="small-single small-mix large-single" \
      ARMS_kl="strong-beta-0.01 strong-beta-0.05 weak-beta-0.01 weak-beta-0.05" \
      ARMS_prompts="strong-general strong-math strong-mined weak-general weak-math" ;;
  *) echo "experiments: ARMS must be all or verdicts, not '$ARMS'" >&2; exit 64 ;;
esac
case ${JOBS:-auto} in auto) ;; *[!0-9]*|0) echo "experiments: JOBS must be a positive count" >&2; exit 64 ;; esac
case $SEEDS in *[!0-9\ ]*|'') echo "experiments: SEEDS must be a count or a list of seeds" >&2; exit 64 ;; esac
for d in $DESIGNS; do
  [ -x "$here/exp-$d.sh" ] || { echo "experiments: no design '$d' (pipelines/exp-$d.sh)" >&2; exit 64; }
done
seeds=$SEEDS
[ "$(echo $SEEDS | wc -w)" -eq 1 ] && seeds=$(seq 1 "$SEEDS" | paste -sd' ' -)
# every seed at once (one thread each), at most twice the cores
if [ -z "${JOBS:-}" ]; then
  JOBS=$(echo $seeds | wc -w) cores=$(nproc 2>/dev/null || echo 2)
  [ "$JOBS" -le $((2 * cores)) ] || JOBS=$((2 * cores))
fi
export SEEDS="$seeds"
if [ -n "$list" ]; then
  # every arm of every design, as the first seed's ablate.sh would key it;
  # an arm whose key an earlier one has is computed once and linked
  first=$(echo $seeds | cut -d' ' -f1)
  printf 'design\tarm\tkey\tstages\tknobs\tcomputed as\n'
  for d in $DESIGNS; do
    eval "arms=\${ARMS_$d:-}"
    ABLATE_ARMS=$arms ABLATE_LIST=1 SEED=$first SEEDS= "$here/exp-$d.sh" "$base"
  done |
    awk -F'\t' -v OFS='\t' '{ k = $3; print $1, $2, $3, $4, ($5 == "" ? "(defaults)" : $5), (k in seen ? "= " seen[k] : "computed");
      if (!(k in seen)) { seen[k] = $1 "/" $2; n++ } all++
      # the reward model: its knobs in the spec (its inputs decide; the same knobs, the same inputs)
      if (!(k in done) && $4 ~ /(^| )rm( |$)/) { r = ""; m = split($5, kv, ";"); for (i = 1; i <= m; i++)
        if (kv[i] ~ /^(RM_[A-Z_]*|RATER|PAIRS_SCORE|PAIRS_MODELS|N_PREF)=/) r = r kv[i] ";"
        if (!(r in rms)) { rms[r] = 1; nr++ } }
      done[k] = 1 }
      END { printf "(%d arms, %d computed per seed; the others are links to an identical arm; %d reward models trained per seed)\n", all, n, nr }'
  exit 0
fi
t0=$(date +%s) started=$(date -u +%Y-%m-%dT%H:%M:%SZ) load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
mkdir -p "$(dirname "$base")"
log=$base-log
mkdir -p "$log"
# Each run of a design (one seed in a worker below, or the loop's run over
# every seed) appends "design seed start end cpu" to $log/times.tsv: epoch
# seconds and its processes' user + system CPU-seconds, from the shell's
# `times` (the children it waited for; written to a file, since `times`
# in a subshell would count the subshell's children only).
: > "$log/times.tsv"

# JOBS > 1: the seeds' arms run in JOBS parallel workers first (a seed's
# designs in order, as ablate.sh would run them), then the loop below finds
# every arm finished and only compares.  Each process keeps THREADS threads,
# so the bytes are the same as with JOBS=1.
if [ "$JOBS" -gt 1 ]; then
  echo "experiments: $(echo $seeds | wc -w) seeds, $JOBS at a time ..." >&2
  printf '%s\n' $seeds | xargs -P "$JOBS" -I{} sh -c '
    cpu() { times > "$5/seed$1.times"; awk "END { t = 0; for (i = 1; i <= 2; i++) { split(\$i, a, \"m\"); t += a[1] * 60 + a[2] } print t }" "$5/seed$1.times"; }
    for d in $2; do
      eval "ABLATE_ARMS=\${ARMS_$d:-}"
      cpu > "$5/seed$1.c0"; t=$(date +%s)
      SEED=$1 SEEDS= ABLATE_ARMS=$ABLATE_ARMS "$3/exp-$d.sh" "$4-seed$1" > /dev/null 2> "$5/seed$1-$d.err" ||
        { tail -n 20 "$5/seed$1-$d.err" >&2; echo "experiments: seed $1, design $d failed (log: $5/seed$1-$d.err)" >&2; exit 255; }
      cpu > "$5/seed$1.c1"
      printf "%s\t%s\t%s\t%s\t%s\n" "$d" "$1" "$t" "$(date +%s)" "$(cat "$5/seed$1.c0" "$5/seed$1.c1" | paste -sd" " - | awk "{ print \$2 - \$1 }")" >> "$5/times.tsv"
    done
    rm -f "$5/seed$1".c0 "$5/seed$1".c1 "$5/seed$1".times' sh {} "$DESIGNS" "$here" "$base" "$log" ||
    { echo "experiments: a seed failed" >&2; exit 1; }
fi
# cpu: the user + system CPU-seconds of the children this shell waited for
cpu() { times > "$log/.times"; awk 'END { t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); t += a[1] * 60 + a[2] } print t }' "$log/.times"; }
for d in $DESIGNS; do
  echo "experiments: $d ($(echo $seeds | wc -w) seeds) ..." >&2
  s0=$(date +%s)
  cpu > "$log/.c0"
  eval "arms=\${ARMS_$d:-}"
  ABLATE_ARMS=$arms "$here/exp-$d.sh" "$base" > "$log/$d.txt" 2> "$log/$d.err" ||
    { tail -n 20 "$log/$d.err" >&2; echo "experiments: design $d failed (log: $log/$d.err)" >&2; exit 1; }
  cpu > "$log/.c1"
  printf '%s\tall\t%s\t%s\t%s\n' "$d" "$s0" "$(date +%s)" "$(awk '{ print $1 - c; c = $1 }' "$log/.c0" "$log/.c1" | tail -n 1)" >> "$log/times.tsv"
  echo "experiments: $d finished in $(( $(date +%s) - s0 )) s (table: $log/$d.txt)" >&2
done
rm -f "$log/.c0" "$log/.c1"

# ---- verdicts ----
v0=$(date +%s)
cpu > "$log/.c0"
tmp=$log/verdicts.tmp
rm -rf "$tmp" && mkdir -p "$tmp"
: > "$tmp/verdicts.jsonl"
export VERDICT_JSON="$tmp/verdicts.jsonl"
ran() { case " $DESIGNS " in *" $1 "*) return 0 ;; esac; return 1; }
gold() { # gold DESIGN ARM MODEL SEED: the arm's scored evaluation records (JSON lines)
  f="$base-seed$4-$1-$2/eval-$3-gold.mp"
  [ -s "$f" ] || gold-judge --no-summary "$base-seed$4-$1-$2/eval-$3.mp" -o "$f" 2>/dev/null
  rec to-json "$f"
}
# cmp_arms DESIGN MODEL CATEGORY ARM BASELINE [ID]: eval-compare of two arms
# over the seeds (CATEGORY: one category's records only; "all": every one),
# paired by the field ID (default id; best-of-N's record is the chosen
# sample, "PROMPT#k", so it pairs by prompt_id)
cmp_arms() {
  ops=
  for s in $seeds; do
    for a in "$4" "$5"; do
      gold "$1" "$a" "$2" "$s" | jq -c --arg c "$3" 'select($c == "all" or .gold.category == $c)' |
        rec from-json -o "$tmp/$a.$s.mp"
      ops="$ops $a:$s=$tmp/$a.$s.mp"
    done
  done
  # shellcheck disable=SC2086  # arm names and tmp paths hold no spaces
  eval-compare -b "$5" --id "${6:-id}" $ops | rec to-json
}
# contrast NAME DESIGN MODEL CATEGORY A B C D: (A - B) - (C - D) per prompt,
# compared with 0 on the same prompts ("zero")
contrast() {
  ops=
  for s in $seeds; do
    for a in "$5" "$6" "$7" "$8"; do gold "$2" "$a" "$3" "$s" > "$tmp/$a.$s.json"; done
    jq -c -n --arg cat "$4" --slurpfile a "$tmp/$5.$s.json" --slurpfile b "$tmp/$6.$s.json" \
      --slurpfile c "$tmp/$7.$s.json" --slurpfile d "$tmp/$8.$s.json" '
      def by: map(select(.gold_scores.total != null and ($cat == "all" or .gold.category == $cat))
                  | {(.id): .gold_scores.total}) | add // {};
      ($a | by) as $A | ($b | by) as $B | ($c | by) as $C | ($d | by) as $D
      | ($a | map(select($A[.id] != null)) | unique_by(.id))[]
      | {id, gold: {category: .gold.category},
         gold_scores: {total: (($A[.id] - $B[.id]) - ($C[.id] - $D[.id]))}}' > "$tmp/c.$s.json"
    rec from-json -o "$tmp/$1.$s.mp" < "$tmp/c.$s.json"
    jq -c '.gold_scores.total = 0' "$tmp/c.$s.json" | rec from-json -o "$tmp/zero.$s.mp"
    ops="$ops zero:$s=$tmp/zero.$s.mp $1:$s=$tmp/$1.$s.mp"
  done
  # shellcheck disable=SC2086
  eval-compare -b zero $ops | rec to-json
}
# rm_pairs DESIGN ARM SEED: the arm's RM on the held-out gold pairs, one
# record per pair scored 1 (chosen above rejected), 0.5 (tie) or 0
rm_pairs() {
  d="$base-seed$3-$1-$2"
  rm-score -c "$d/rm" "$d/rm-eval.mp" 2>/dev/null | rec to-json | jq -c '{id, gold: {category: .meta.gold.category},
    gold_scores: {total: (if .reward_chosen > .reward_rejected then 1 elif .reward_chosen == .reward_rejected then 0.5 else 0 end)}}'
}
# rm_acc DESIGN BASELINE ARM: eval-compare of two arms' reward models on
# the held-out gold pairs (each seed's pairs are one world's, the same for
# every arm: the world stage draws them), paired over seeds x pairs
rm_acc() {
  ops=
  for s in $seeds; do
    for a in "$2" "$3"; do rm_pairs "$1" "$a" "$s" | rec from-json -o "$tmp/rm-$a.$s.mp"; done
    ops="$ops $2:$s=$tmp/rm-$2.$s.mp $3:$s=$tmp/rm-$3.$s.mp"
  done
  # shellcheck disable=SC2086
  eval-compare -b "$2" $ops | rec to-json
}
out=$base-verdicts.txt
{
  export VERDICT_MEASURE="gold score"
  if ran data; then
    export VERDICT_DESIGN=data
    cmp_arms data dpo all mean-aspects overall |
      "$here/verdict.sh" fine-vs-overall + mean-aspects overall "fine-grained > overall pairs (DPO)"
  fi
  if ran algorithm; then
    export VERDICT_DESIGN=algorithm
    # DPO's arm has model dpo: compare the files by hand
    ops=
    for s in $seeds; do
      gold algorithm dpo dpo "$s" | rec from-json -o "$tmp/dpo.$s.mp"
      for a in ppo-pref ppo-pool; do gold algorithm "$a" ppo-final "$s" | rec from-json -o "$tmp/$a.$s.mp"; done
      ops="$ops dpo:$s=$tmp/dpo.$s.mp ppo-pref:$s=$tmp/ppo-pref.$s.mp ppo-pool:$s=$tmp/ppo-pool.$s.mp"
    done
    # shellcheck disable=SC2086
    eval-compare -b dpo $ops | rec to-json > "$tmp/a.json"
    "$here/verdict.sh" ppo-vs-dpo + ppo-pref dpo "PPO >= DPO, same data and prompts (Table 2)" < "$tmp/a.json"
    "$here/verdict.sh" ppo-pool-vs-dpo + ppo-pool dpo "PPO >= DPO, PPO on the separate prompt pool" < "$tmp/a.json"
  fi
  if ran rm; then
    # Table 3.  The paper (13B vs 70B RMs from Tulu 2; UltraFeedback vs a
    # mix of six sources): RewardBench 61.0 / 79.8 / 73.6 / 73.9 (13B UF,
    # 13B mix, 70B UF, 70B mix), best-of-16 over the SFT policy +5.8 /
    # +7.3 / +10.3 / +9.5, PPO's average 62.2 / 61.6 / 62.8 / 61.8.  Size
    # is compared on the single source (the paper's "70B UF RM is only
    # slightly better downstream"), the mix at the small size.  Size is
    # not built in (small and large see the same world text, epochs and
    # learning rate); the mix is: its pairs' agreement with the gold judge
    # is its raters' average (pref-synth --list-raters), exp-rm.sh's note.
    export VERDICT_DESIGN=rm VERDICT_MEASURE="RM accuracy"
    rm_acc rm small-single large-single |
      "$here/verdict.sh" rm-size-direct + large-single small-single "larger RM: higher held-out gold-pair accuracy (direct; paper: RewardBench +12.6)"
    export VERDICT_MEASURE="best-of-N gold score"
    cmp_arms rm bon all large-single small-single prompt_id |
      "$here/verdict.sh" rm-size-bon + large-single small-single "larger RM: better best-of-16 from the SFT policy (direct; paper: +4.2)"
    export VERDICT_MEASURE="gold score"
    cmp_arms rm ppo-final all large-single small-single |
      "$here/verdict.sh" rm-size-downstream + large-single small-single "larger RM: better PPO policy (downstream; paper: only +0.6)"
    export VERDICT_MEASURE="RM accuracy"
    rm_acc rm small-single small-mix |
      "$here/verdict.sh" rm-mix-direct + small-mix small-single "mixed-source pairs: higher held-out gold-pair accuracy (direct; paper: RewardBench +18.8; built in by the raters)"
    export VERDICT_MEASURE="gold score"
    cmp_arms rm ppo-final all small-mix small-single |
      "$here/verdict.sh" rm-mix-downstream - small-mix small-single "mixed-source RM: no better PPO policy (downstream; paper: -0.6)"
  fi
  if ran prompts; then
    export VERDICT_DESIGN=prompts VERDICT_MEASURE="RM accuracy"
    rm_acc prompts weak-general strong-general |
      "$here/verdict.sh" rm-direct + strong-general weak-general "stronger RM: higher held-out gold-pair accuracy (direct)"
    export VERDICT_MEASURE="gold score"
    cmp_arms prompts ppo-final all strong-general weak-general |
      "$here/verdict.sh" rm-downstream + strong-general weak-general "stronger RM: better PPO policy (paper: only slightly)"
    cmp_arms prompts ppo-final math strong-math strong-general |
      "$here/verdict.sh" prompts-strong + strong-math strong-general "targeted math prompts help with the strong RM (math)"
    cmp_arms prompts ppo-final math strong-mined strong-general |
      "$here/verdict.sh" prompts-mined + strong-mined strong-general "mined math prompts help with the strong RM (math)"
    cmp_arms prompts ppo-final math weak-math weak-general |
      "$here/verdict.sh" prompts-weak - weak-math weak-general "targeted math prompts do not help the weak RM (math)"
    contrast targeted-x-rm prompts ppo-final math strong-math strong-general weak-math weak-general |
      VERDICT_MEASURE=contrast VERDICT_LABEL="(strong-math - strong-general) - (weak-math - weak-general)" "$here/verdict.sh" prompts-interaction + targeted-x-rm zero "targeted prompts help the strong RM more than the weak (math)"
  fi
  if ran kl; then
    export VERDICT_DESIGN=kl
    cmp_arms kl ppo-final all weak-beta-0.01 weak-beta-0.05 |
      "$here/verdict.sh" kl-weak - weak-beta-0.01 weak-beta-0.05 "KL: a smaller beta hurts with the weak RM"
    contrast beta-x-rm kl ppo-final all strong-beta-0.01 strong-beta-0.05 weak-beta-0.01 weak-beta-0.05 |
      VERDICT_MEASURE=contrast VERDICT_LABEL="(strong 0.01 - 0.05) - (weak 0.01 - 0.05)" "$here/verdict.sh" kl-robust + beta-x-rm zero "KL: the strong RM is more robust to a small beta"
  fi
  if ran batch; then
    export VERDICT_DESIGN=batch
    cmp_arms batch ppo-final all big-batch base |
      "$here/verdict.sh" batch-big - big-batch base "a bigger prompt batch (more updates per batch) costs a little"
    cmp_arms batch ppo-final all big-r2 big-batch |
      "$here/verdict.sh" batch-r2 + big-r2 big-batch "more rollouts per prompt and accumulation recover it"
    cmp_arms batch ppo-final all inner-2 base |
      "$here/verdict.sh" inner-epochs - inner-2 base "2 inner epochs per batch are worse than 1"
    more=$(ls -d "$base-seed$(echo $seeds | cut -d' ' -f1)-batch-epochs-"* | sed 's/.*-batch-//' | grep -v '^epochs-1$' | head -n 1)
    cmp_arms batch ppo-final all "$more" epochs-1 |
      "$here/verdict.sh" epochs - "$more" epochs-1 "more than 1 epoch over the prompts does not help"
  fi
} > "$out.tmp"
cpu > "$log/.c1"
printf 'verdicts\tall\t%s\t%s\t%s\n' "$v0" "$(date +%s)" "$(awk '{ print $1 - c; c = $1 }' "$log/.c0" "$log/.c1" | tail -n 1)" >> "$log/times.tsv"
rm -f "$log/.c0" "$log/.c1"
# the suite's cost and where it ran: wall time, every child's CPU-seconds,
# the load before and after (other jobs inflate the wall time, not the
# CPU-seconds much), the programs' commit
cpu > "$log/.c1"   # (not $(cpu): a subshell's `times` counts its own children only)
wall=$(( $(date +%s) - t0 )) cpu_s=$(cat "$log/.c1") load_end=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
commit=$(git -C "$here/.." describe --always --dirty 2>/dev/null || echo "not a git checkout")
rm -f "$log/.c1" "$log/.times"
{
  # every trained policy's comparison exactly [0, 0] (RM accuracy and
  # best-of-N aside): the arms answered alike, nothing was measured
  jq -e -s 'map(select(.measure == "gold score" or .measure == "contrast")) | length > 0 and all(.[]; .lo == 0 and .hi == 0)' "$tmp/verdicts.jsonl" > /dev/null &&
    echo "(every comparison of trained policies is exactly 0: the arms gave the same answers, as at SCALE=quick, where the policy is too small to learn; this checks the machinery, it measures nothing)"
  echo "(SCALE=${SCALE:-full}, $(echo $seeds | wc -w) seeds: $(echo $seeds); designs: $DESIGNS; JOBS=$JOBS THREADS=$THREADS; wall time $wall s, $cpu_s CPU-seconds; load average $load at the start, $load_end at the end; commit $commit)"
} >> "$out.tmp"
# per design: its runs' CPU-seconds, and the seconds in which some run of
# it was going (the union of its runs' intervals: seeds in parallel count once)
jq -R -s 'split("\n") | map(select(length > 0) | split("\t") | {design: .[0], seed: .[1], start: (.[2] | tonumber),
    end: (.[3] | tonumber), cpu_s: (.[4] | tonumber)})
  | group_by(.design) | map({design: .[0].design, cpu_s: (map(.cpu_s) | add * 10 | round / 10),
      wall_s: (sort_by(.start) | reduce .[] as $r ({t: 0, e: null};
        if .e == null or $r.start >= .e then {t: (.t + $r.end - $r.start), e: $r.end}
        elif $r.end > .e then {t: (.t + $r.end - .e), e: $r.end} else . end) | .t),
      runs: map({seed, wall_s: (.end - .start), cpu_s})})' "$log/times.tsv" > "$tmp/designs.json"
jq -s --arg scale "${SCALE:-full}" --arg seeds "$seeds" --arg designs "$DESIGNS" --arg load "$load" \
  --arg load_end "$load_end" --arg commit "$commit" --arg started "$started" --argjson wall "$wall" --argjson cpu "$cpu_s" \
  --arg jobs "$JOBS" --arg threads "$THREADS" --arg arms "$ARMS" --slurpfile d "$tmp/designs.json" \
  '{scale: $scale, seeds: ($seeds | split(" ") | map(tonumber)), designs: ($designs | split(" ")), arms: $arms,
    jobs: ($jobs | tonumber), threads: ($threads | tonumber? // $threads), commit: $commit, started: $started, wall_s: $wall, cpu_s: ($cpu * 10 | round / 10),
    load_at_start: $load, load_at_end: $load_end,
    design_costs: ($d[0] as $c | ($designs | split(" ")) + ["verdicts"] | map(. as $n | $c[] | select(.design == $n))),
    verdicts: .}' "$tmp/verdicts.jsonl" > "$base-verdicts.json.tmp"
mv "$base-verdicts.json.tmp" "$base-verdicts.json"
"$here/verdicts-md.sh" "$base" > "$base-verdicts.md.tmp"
mv "$base-verdicts.md.tmp" "$base-verdicts.md"
mv "$out.tmp" "$out"
cat "$out"
