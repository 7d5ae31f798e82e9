#!/usr/bin/env bats
# pipelines/experiments.sh and verdict.sh: the verdict logic on
# eval-compare's real output for records built by hand (a known answer),
# and the driver end to end on two small designs at SCALE=quick (two
# seeds, tiny sizes; the algorithm design and the rm design's verdict arms,
# ARMS=verdicts, with a short pretrain stage): verdict lines of a fixed
# shape, the JSON and the markdown report beside them, and the designs'
# arms (DPO reported for the dpo arm, PPO prompts from the preference data
# for ppo-pref).  Plus the recipe's new design knobs.
load helper

setup_file() {
  export SCALE=quick THREADS=1 N_SFT=100 N_PREF=100 N_EVAL=20 N_POOL=32 N_RMEVAL=40 N_TEXT=600 PRETRAIN_EPOCHS=1
  export E="$BATS_FILE_TMPDIR/e"
  SEEDS=2 JOBS=1 DESIGNS="algorithm rm" ARMS=verdicts "$PREFPIPE_ROOT/pipelines/experiments.sh" "$E" \
    > "$BATS_FILE_TMPDIR/out.txt" 2> "$BATS_FILE_TMPDIR/err.txt"
}

# gold ARM SEED SCORE...: scored records, one per score, alternating two categories
gold() {
  arm=$1 seed=$2; shift 2
  i=0
  for v in "$@"; do
    c=math; [ $((i % 2)) -eq 1 ] && c=safety
    echo "{\"id\":\"p$i\",\"gold\":{\"category\":\"$c\"},\"gold_scores\":{\"total\":$v}}"
    i=$((i + 1))
  done | rec from-json -o "$arm.$seed.mp"
}

@test "verdict.sh: reproduced, reversed, not distinguishable, from eval-compare's interval" {
  for s in 1 2; do
    gold base $s 0.5 0.5 0.5 0.5 0.5 0.5 0.4 0.6
    gold up $s 0.8 0.9 0.7 0.8 0.9 0.8 0.7 0.9
    gold same $s 0.5 0.5 0.5 0.5 0.5 0.5 0.4 0.6
  done
  eval-compare -b base base:1=base.1.mp base:2=base.2.mp up:1=up.1.mp up:2=up.2.mp \
    same:1=same.1.mp same:2=same.2.mp | rec to-json > c.json
  export VERDICT_JSON=$PWD/v.jsonl
  out=$("$PREFPIPE_ROOT/pipelines/verdict.sh" f1 + up base "up is better" < c.json)
  echo "$out" | grep -Eq '^reproduced +up is better: up - base \+[0-9.]+ \[\+[0-9.]+, \+[0-9.]+\] points \(paper: \+\); up [0-9.]+, base 50\.0; 2 seeds$'
  out=$("$PREFPIPE_ROOT/pipelines/verdict.sh" f2 - up base "up is worse" < c.json)
  echo "$out" | grep -q '^reversed '
  out=$("$PREFPIPE_ROOT/pipelines/verdict.sh" f3 + same base "same is better" < c.json)
  echo "$out" | grep -q '^not distinguishable  .* same - base +0.0 \[+0.0, +0.0\] points'
  # the JSON has the same verdicts and numbers
  jq -e -s 'length == 3 and .[0].verdict == "reproduced" and .[1].verdict == "reversed"
            and .[2].verdict == "not distinguishable" and .[0].diff > 0 and .[0].lo <= .[0].diff
            and .[0].baseline_mean == 50' v.jsonl
  run "$PREFPIPE_ROOT/pipelines/verdict.sh" f4 + nothing base "x" < c.json
  [ "$status" -eq 65 ]
  [[ "$output" == *"no comparison of 'nothing' with 'base'"* ]]
  run "$PREFPIPE_ROOT/pipelines/verdict.sh" f4 '>' up base "x" < c.json
  [ "$status" -eq 64 ]
}

@test "experiments.sh: one verdict line per finding of the designs, Table 3's among them, the cost, and the JSON" {
  cat "$BATS_FILE_TMPDIR/err.txt" >&2
  out=$BATS_FILE_TMPDIR/out.txt
  cmp "$out" "$E-verdicts.txt"
  [ "$(grep -c '^\(reproduced\|reversed\|not distinguishable\) ' "$out")" -eq 7 ]
  n='[-+]?[0-9.]+'
  grep -Eq "^[a-z ]+ +PPO >= DPO, same data and prompts \(Table 2\): ppo-pref - dpo $n \[$n, $n\] points \(paper: \+\); ppo-pref [0-9.]+, dpo [0-9.]+; 2 seeds\$" "$out"
  # Table 3: the larger RM directly (held-out accuracy, best-of-16) and
  # downstream, the mix directly and downstream, each large/mix vs small-single
  for f in "larger RM: higher held-out gold-pair accuracy (direct; paper: RewardBench +12.6): large-single" \
           "larger RM: better best-of-16 from the SFT policy (direct; paper: +4.2): large-single" \
           "larger RM: better PPO policy (downstream; paper: only +0.6): large-single" \
           "mixed-source pairs: higher held-out gold-pair accuracy (direct; paper: RewardBench +18.8; built in by the raters): small-mix" \
           "mixed-source RM: no better PPO policy (downstream; paper: -0.6): small-mix"; do
    grep -F "$f - small-single " "$out" | grep -Eq "^(reproduced|reversed|not distinguishable) +.* $n \[$n, $n\] points \(paper: [-+]\); [a-z-]+ [0-9.]+, small-single [0-9.]+; 2 seeds\$" ||
      { echo "no verdict line: $f" >&2; false; }
  done
  grep -Eq '^\(SCALE=quick, 2 seeds: 1 2; designs: algorithm rm; JOBS=1 THREADS=1; wall time [0-9]+ s, [0-9.]+ CPU-seconds; load average [0-9.]+ [0-9.]+ [0-9.]+ at the start, [0-9.]+ [0-9.]+ [0-9.]+ at the end; commit .+\)$' "$out"
  jq -e '.scale == "quick" and .seeds == [1, 2] and .designs == ["algorithm", "rm"] and .arms == "verdicts"
         and .jobs == 1 and .threads == 1 and (.commit | length) > 0 and (.started | test("^[0-9-]+T[0-9:]+Z$"))
         and (.wall_s | type) == "number" and .cpu_s > 0 and (.load_at_end | length) > 0
         and (.verdicts | length) == 7
         and (.verdicts | map(.id)) == ["ppo-vs-dpo", "ppo-pool-vs-dpo", "rm-size-direct", "rm-size-bon",
                                         "rm-size-downstream", "rm-mix-direct", "rm-mix-downstream"]
         and (.verdicts | map(.measure)) == ["gold score", "gold score", "RM accuracy", "best-of-N gold score", "gold score", "RM accuracy", "gold score"]
         and (.verdicts | map(.design) | unique) == ["algorithm", "rm"]
         and all(.verdicts[]; .lo <= .diff and .diff <= .hi and .seeds == 2)
         and (.design_costs | map(.design)) == ["algorithm", "rm", "verdicts"]
         and all(.design_costs[]; .wall_s >= 0 and .cpu_s > 0 and (.runs | length) >= 1)' "$E-verdicts.json"
  # the direct verdicts compare each seed's RM accuracy on the same held-out pairs:
  # their means are the arms' accuracies (averaged over categories, in %)
  jq -e '.verdicts[] | select(.id == "rm-size-direct") | .arm_mean > 0 and .arm_mean <= 100' "$E-verdicts.json"
  # the rm design's sections table over both seeds, kept in the first seed's base
  grep -q '^seed2-rm-large-single ' "$E-seed1/ablation-rm-sections.txt"
}

@test "experiments.sh: BASE-verdicts.md, the verdict table and each design's arms, ready for README" {
  md=$E-verdicts.md
  [ -s "$md" ]
  grep -Eq '^Run of `pipelines/experiments.sh` started [0-9-]+T[0-9:]+Z, commit .+: SCALE=quick, 2 seeds \(1 2\), designs algorithm rm, ARMS=verdicts, JOBS=1, THREADS=1\. Wall time [0-9]+ s \([0-9.]+ min\), [0-9.]+ CPU-seconds' "$md"
  grep -qx '| design | finding (paper) | verdict | arm - baseline \[95% CI\] | means |' "$md"
  # one row per verdict, in the JSON's order, with its numbers
  grep -E '^\| (algorithm|rm) \| ' "$md" | cut -d'|' -f2,4 | sed 's/^ //; s/ | /:/; s/ $//; s/\*\*//g' > rows.txt
  jq -r '.verdicts[] | "\(.design):\(.verdict)"' "$E-verdicts.json" > want.txt
  cmp rows.txt want.txt
  grep -Fq "| rm | larger RM: higher held-out gold-pair accuracy (direct; paper: RewardBench +12.6) | $(jq -r '.verdicts[2].verdict' "$E-verdicts.json") | large-single - small-single " "$md"
  grep -Eq '^\| rm \| mixed-source pairs: .* \| [0-9.]+% vs [0-9.]+% \|$' "$md"
  # per design: its cost, then one row per arm with mean (sd) over seeds
  grep -Eq '^\*\*rm\*\* \(`pipelines/exp-rm.sh`\): [0-9]+ s wall, [0-9.]+ CPU-seconds' "$md"
  grep -qx '| arm | mean (sd) | arm - small-single \[95% CI\] | RM accuracy % | best-of-N |' "$md"
  for a in small-single small-mix large-single; do
    grep -Eq "^\| $a \| [0-9.]+ \([0-9.]+\) \| (baseline|[-+][0-9.]+ \[[-+][0-9.]+, [-+][0-9.]+\]) \| [0-9.]+ \([0-9.]+\) \| [0-9.]+ \([0-9.]+\) \|\$" "$md" ||
      { echo "no row for rm/$a" >&2; false; }
  done
  grep -Eq '^\| dpo \| [0-9.]+ \([0-9.]+\) \| baseline \| - \|$' "$md"
  # the report is a function of BASE's files: re-made, the same bytes
  "$PREFPIPE_ROOT/pipelines/verdicts-md.sh" "$E" > again.md
  cmp "$md" again.md
  run "$PREFPIPE_ROOT/pipelines/verdicts-md.sh" "$BATS_TEST_TMPDIR/none"
  [ "$status" -eq 66 ] && [[ "$output" == *"no $BATS_TEST_TMPDIR/none-verdicts.json"* ]]
}

@test "the algorithm design: DPO's arm trains only DPO, PPO's prompts come from the preference data" {
  for s in 1 2; do
    [ -d "$E-seed$s-algorithm-dpo/dpo" ] && [ ! -d "$E-seed$s-algorithm-dpo/ppo-final" ]
    [ -d "$E-seed$s-algorithm-ppo-pref/ppo-final" ] && [ ! -d "$E-seed$s-algorithm-ppo-pref/dpo" ]
    # every ppo-pref prompt is a preference pair's prompt; ppo-pool's are the separate pool
    rec to-json "$E-seed$s-algorithm-ppo-pref/ppo-pool.mp" | jq -r .id | sort > pref.ids
    rec to-json "$E-seed$s-algorithm-ppo-pref/pairs.mp" | jq -r .id | sort > pairs.ids
    [ -s pref.ids ] && [ -z "$(comm -23 pref.ids pairs.ids)" ]
    cmp "$E-seed$s-algorithm-ppo-pool/ppo-pool.mp" "$E-seed$s/pool.mp"
  done
  # the comparison over both seeds is kept beside the first seed's base
  grep -q '^ppo-pref ' "$E-seed1/comparison-algorithm.txt"
}

@test "experiments.sh: an arm two designs share is computed once, an RM once per inputs; the same models, records and verdicts as computing each afresh" {
  export BETAS="0.01 0.05"
  # the kl design beside the algorithm design of setup_file: kl's strong beta
  # 0.05 arm is algorithm's ppo-pool (the defaults), its strong RM is
  # ppo-pool's, and its two weak arms share one weak RM
  SEEDS=2 JOBS=1 DESIGNS="algorithm kl" "$PREFPIPE_ROOT/pipelines/experiments.sh" "$E" > reuse.txt 2> reuse.err ||
    { cat reuse.err >&2; false; }
  for s in 1 2; do
    [ -L "$E-seed$s-kl-strong-beta-0.05" ]
    [ "$(readlink -f "$E-seed$s-kl-strong-beta-0.05")" = "$(readlink -f "$E-seed$s-algorithm-ppo-pool")" ]
    [ "$(readlink -f "$E-seed$s-kl-weak-beta-0.01")" != "$(readlink -f "$E-seed$s-kl-weak-beta-0.05")" ]
    grep -qx 'kl/strong-beta-0.05' "$(readlink -f "$E-seed$s-algorithm-ppo-pool").uses"
    # 7 arms, 6 distinct, beside setup_file's 3 rm arms; reward models: the
    # strong one (ppo-pref's pairs are the same pairs) and the weak one,
    # beside the rm arms' 3 (from the pretrained LMs)
    [ "$(ls -d "$E-seed$s"/arms/*/ | wc -l)" -eq 9 ]
    [ "$(ls -d "$E-seed$s"/rms/*/ | wc -l)" -eq 5 ]
    grep -q 'trained already' "$E-seed$s-kl-weak-beta-0.05/ablate.log" "$E-seed$s-kl-weak-beta-0.01/ablate.log"
  done
  grep -q "kl/strong-beta-0.05 (;PPO_BETA=0.05) = arm [0-9a-f]*, computed already for algorithm/ppo-pool" "$E-log/kl.err"
  # --list says the same before anything runs
  SEEDS=2 DESIGNS="algorithm kl" "$PREFPIPE_ROOT/pipelines/experiments.sh" --list "$E" > list.txt
  grep -q "^kl	strong-beta-0.05	.*	= algorithm/ppo-pool$" list.txt
  grep -q '^(7 arms, 6 computed per seed; .* 2 reward models trained per seed)$' list.txt
  # the reference: kl's arms computed afresh, each in its own directory, from
  # the same bases (copies without the arms and RMs)
  F=$BATS_TEST_TMPDIR/f
  for s in 1 2; do
    cp -r "$E-seed$s" "$F-seed$s" && rm -rf "$F-seed$s"/arms "$F-seed$s"/rms "$F-seed$s"/ablation-* "$F-seed$s"/comparison-*
  done
  ABLATE_NO_REUSE=1 SEEDS=2 JOBS=1 DESIGNS=kl "$PREFPIPE_ROOT/pipelines/experiments.sh" "$F" > fresh.txt 2> fresh.err ||
    { cat fresh.err >&2; false; }
  n=0
  for s in 1 2; do
    for a in kl-strong-beta-0.01 kl-strong-beta-0.05 kl-weak-beta-0.01 kl-weak-beta-0.05; do
      [ -d "$F-seed$s-$a" ] && [ ! -L "$F-seed$s-$a" ]
      # models byte for byte; records byte for byte but for the answering
      # model's path (a rollout names the directory it loaded)
      for f in "$F-seed$s-$a"/rm/model.safetensors "$F-seed$s-$a"/ppo-final/model.safetensors; do
        cmp "$f" "$E-seed$s-$a/${f#"$F-seed$s-$a/"}"
        n=$((n + 1))
      done
      for f in "$F-seed$s-$a"/eval-*.mp "$F-seed$s-$a"/summaries.mp "$F-seed$s-$a"/rm-accuracy.mp; do
        rec to-json "$f" | jq -c 'del(.policy.path)' > fresh.json
        rec to-json "$E-seed$s-$a/${f#"$F-seed$s-$a/"}" | jq -c 'del(.policy.path)' > reused.json
        [ -s fresh.json ] && cmp fresh.json reused.json
        n=$((n + 1))
      done
    done
  done
  [ "$n" -ge 60 ]
  # kl's verdicts, the same numbers
  grep '^\(reproduced\|reversed\|not distinguishable\) .*KL:' reuse.txt > v-reuse.txt
  grep '^\(reproduced\|reversed\|not distinguishable\) ' fresh.txt > v-fresh.txt
  [ "$(wc -l < v-fresh.txt)" -eq 2 ] && cmp v-reuse.txt v-fresh.txt
}

@test "PPO_PROMPTS=mined: math prompts tagged by pref-tag, none from the evaluation prompts" {
  d=$BATS_TEST_TMPDIR/mined
  cp -r "$E-seed1" "$d" && rm -f "$d/.done-pairs"
  PPO_PROMPTS=mined ONLY_STAGES=pairs "$PREFPIPE_ROOT/pipelines/recipe.sh" "$d" > /dev/null 2>&1
  rec to-json "$d/ppo-pool.mp" > m.json
  [ "$(wc -l < m.json)" -gt 5 ]
  jq -e -s 'all(.[]; .gold.category == "math" and (.tags | index("Math")))' m.json
  rec to-json "$d/eval.mp" | jq -r '.prompt[0].content' | sort > eval.txt
  jq -r '.prompt[0].content' m.json | sort > mined.txt
  [ -z "$(comm -12 eval.txt mined.txt)" ]
  rm -f "$d/.done-pairs"
  run env PPO_PROMPTS=nonsense ONLY_STAGES=pairs "$PREFPIPE_ROOT/pipelines/recipe.sh" "$d"
  [ "$status" -eq 64 ] && [[ "$output" == *"PPO_PROMPTS must be pool, pref or mined, not 'nonsense'"* ]]
}

@test "the PPO batch knobs reach ppo-step and the run: r, b, g, e" {
  d=$BATS_TEST_TMPDIR/b
  cp -rL "$E-seed1-algorithm-ppo-pool" "$d" && rm -f "$d/.done-ppo" "$d/.done-eval"
  PPO_ROLLOUTS=2 PPO_MINIBATCH=8 PPO_ACCUM=1 PPO_INNER_EPOCHS=2 PPO_BATCHES=1 ONLY_STAGES=ppo \
    "$PREFPIPE_ROOT/pipelines/recipe.sh" "$d" > /dev/null 2>&1
  cfg=$d/ppo/run_config.json
  jq -e '.effective.minibatch == 8 and .effective.accum == 1 and .effective.inner_epochs == 2' "$cfg" || { cat "$cfg" >&2; false; }
  # 16 prompts x 2 rollouts in the batch, 2 passes of 4 minibatches: 8 updates
  rec to-json "$d/ppo-metrics.mp" | jq -e -s 'length == 1 and .[0].rollouts == 32 and .[0].updates == 8' ||
    { rec to-json "$d/ppo-metrics.mp" >&2; false; }
}

@test "experiments.sh: usage errors name the problem, --help prints the header" {
  run env SEEDS=x "$PREFPIPE_ROOT/pipelines/experiments.sh" "$BATS_TEST_TMPDIR/u"
  [ "$status" -eq 64 ] && [[ "$output" == *"SEEDS must be"* ]]
  run env DESIGNS="data nope" "$PREFPIPE_ROOT/pipelines/experiments.sh" "$BATS_TEST_TMPDIR/u"
  [ "$status" -eq 64 ] && [[ "$output" == *"no design 'nope'"* ]]
  run env JOBS=0 "$PREFPIPE_ROOT/pipelines/experiments.sh" "$BATS_TEST_TMPDIR/u"
  [ "$status" -eq 64 ]
  [ ! -e "$BATS_TEST_TMPDIR/u-seed1" ]
  run env ARMS=some "$PREFPIPE_ROOT/pipelines/experiments.sh" "$BATS_TEST_TMPDIR/u"
  [ "$status" -eq 64 ] && [[ "$output" == *"ARMS must be all or verdicts, not 'some'"* ]]
  # ARMS=verdicts: the arms the verdicts read (rm's large-mix is no
  # verdict's); --list runs nothing
  ARMS=verdicts DESIGNS="data rm kl" "$PREFPIPE_ROOT/pipelines/experiments.sh" --list "$BATS_TEST_TMPDIR/u" > l.txt
  [ "$(sed '1d; $d' l.txt | cut -f1,2 | tr '\t\n' ': ')" = \
    "data:mean-aspects data:overall rm:small-single rm:small-mix rm:large-single kl:strong-beta-0.01 kl:strong-beta-0.05 kl:weak-beta-0.01 kl:weak-beta-0.05 " ]
  [ ! -e "$BATS_TEST_TMPDIR/u-seed1" ]
  run env ABLATE_ARMS=nothing "$PREFPIPE_ROOT/pipelines/ablate.sh" t "$BATS_TEST_TMPDIR/u" dpo "dpo eval" a: b:
  [ "$status" -eq 64 ] && [[ "$output" == *"ABLATE_ARMS (nothing) names none of t's variants"* ]]
  run "$PREFPIPE_ROOT/pipelines/experiments.sh" --help
  [ "$status" -eq 0 ] && [[ "$output" == *"reproduced"* ]]
}
