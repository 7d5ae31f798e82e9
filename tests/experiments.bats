#!/usr/bin/env bats
# pipelines/experiments.sh and verdict.sh: the verdict logic on
# eval-compare's real output for records built by hand (a known answer),
# and the driver end to end on one small design at SCALE=quick (two seeds,
# tiny sizes): verdict lines of a fixed shape, the JSON beside them, and
# the design's arms (DPO reported for the dpo arm, PPO prompts from the
# preference data for ppo-pref).  Plus the recipe's new design knobs.
load helper

setup_file() {
  export SCALE=quick THREADS=1 N_SFT=100 N_PREF=100 N_EVAL=20 N_POOL=32 N_RMEVAL=40
  export E="$BATS_FILE_TMPDIR/e"
  SEEDS=2 JOBS=1 DESIGNS=algorithm "$PREFPIPE_ROOT/pipelines/experiments.sh" "$E" \
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

@test "experiments.sh: one verdict line per finding of the design, the wall time, and the JSON" {
  cat "$BATS_FILE_TMPDIR/err.txt" >&2
  out=$BATS_FILE_TMPDIR/out.txt
  cmp "$out" "$E-verdicts.txt"
  [ "$(grep -c '^\(reproduced\|reversed\|not distinguishable\) ' "$out")" -eq 2 ]
  grep -Eq '^[a-z ]+ +PPO >= DPO, same data and prompts \(Table 2\): ppo-pref - dpo [-+]?[0-9.]+ \[[-+]?[0-9.]+, [-+]?[0-9.]+\] points \(paper: \+\); ppo-pref [0-9.]+, dpo [0-9.]+; 2 seeds$' "$out"
  grep -Eq '^\(SCALE=quick, 2 seeds: 1 2; designs: algorithm; wall time [0-9]+ s; load average at the start [0-9.]+ [0-9.]+ [0-9.]+\)$' "$out"
  jq -e '.scale == "quick" and .seeds == [1, 2] and .designs == ["algorithm"] and (.wall_s | type) == "number"
         and (.verdicts | length) == 2 and (.verdicts | map(.id)) == ["ppo-vs-dpo", "ppo-pool-vs-dpo"]
         and all(.verdicts[]; .lo <= .diff and .diff <= .hi and .seeds == 2)' "$E-verdicts.json"
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
    # 7 arms, 6 distinct; reward models: the strong one (ppo-pref's pairs are
    # the same pairs) and the weak one
    [ "$(ls -d "$E-seed$s"/arms/*/ | wc -l)" -eq 6 ]
    [ "$(ls -d "$E-seed$s"/rms/*/ | wc -l)" -eq 2 ]
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
  # ARMS=verdicts: the arms the verdicts read, no rm design; --list runs nothing
  ARMS=verdicts DESIGNS="data rm kl" "$PREFPIPE_ROOT/pipelines/experiments.sh" --list "$BATS_TEST_TMPDIR/u" > l.txt
  [ "$(sed '1d; $d' l.txt | cut -f1,2 | tr '\t\n' ': ')" = \
    "data:mean-aspects data:overall kl:strong-beta-0.01 kl:strong-beta-0.05 kl:weak-beta-0.01 kl:weak-beta-0.05 " ]
  [ ! -e "$BATS_TEST_TMPDIR/u-seed1" ]
  run env ABLATE_ARMS=nothing "$PREFPIPE_ROOT/pipelines/ablate.sh" t "$BATS_TEST_TMPDIR/u" dpo "dpo eval" a: b:
  [ "$status" -eq 64 ] && [[ "$output" == *"ABLATE_ARMS (nothing) names none of t's variants"* ]]
  run "$PREFPIPE_ROOT/pipelines/experiments.sh" --help
  [ "$status" -eq 0 ] && [[ "$output" == *"reproduced"* ]]
}
