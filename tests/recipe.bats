#!/usr/bin/env bats
# pipelines/recipe.sh at SCALE=quick: every stage runs end to end on the
# synthetic world, the table has its structure, trained models differ from
# the SFT model, finished stages are skipped, and the seed fixes the table.
load helper

setup_file() {
  export RQ="$BATS_FILE_TMPDIR/run"
  SCALE=quick THREADS=1 "$PREFPIPE_ROOT/pipelines/recipe.sh" "$RQ" > "$BATS_FILE_TMPDIR/out.txt" 2> "$BATS_FILE_TMPDIR/err.txt"
}

@test "the quick recipe prints the table: four models, five categories, intervals, RM accuracy" {
  head -n 1 "$RQ/table.txt" | grep -q "math.*instruction.*safety.*truthfulness.*factuality.*average"
  for m in sft dpo ppo best-of-4; do grep -q "^$m " "$RQ/table.txt"; done
  grep -Eq '^sft .*[0-9.]+ \[[0-9.]+, [0-9.]+\]$' "$RQ/table.txt"
  grep -q "reward model: held-out gold-pair accuracy" "$RQ/table.txt"
  cmp "$RQ/table.txt" "$BATS_FILE_TMPDIR/out.txt"
}

@test "results.json holds every number of the table" {
  jq -e '.models | length == 4' "$RQ/results.json" > /dev/null
  jq -e '[.models[].categories | keys | length] | all(. == 5)' "$RQ/results.json" > /dev/null
  jq -e '.reward_model.accuracy >= 0 and .reward_model.n > 0' "$RQ/results.json" > /dev/null
  # one decimal always, as the table prints it (55 is 55.0)
  sft=$(printf '%.1f' "$(jq '.models[] | select(.model == "sft") | .average.score * 1000 | round / 10' "$RQ/results.json")")
  grep -q "^sft .* $sft \[" "$RQ/table.txt"
}

@test "DPO and PPO trained: their weights differ from the SFT model's" {
  ! cmp -s "$RQ/sft/model.safetensors" "$RQ/dpo/model.safetensors"
  ! cmp -s "$RQ/sft/model.safetensors" "$RQ/ppo-final/model.safetensors"
  ! cmp -s "$RQ/init/model.safetensors" "$RQ/sft/model.safetensors"
  [ "$(rec count "$RQ/ppo-metrics.mp")" -ge 2 ]
}

@test "a re-run skips the finished stages and prints the same table" {
  SCALE=quick THREADS=1 run "$PREFPIPE_ROOT/pipelines/recipe.sh" "$RQ"
  [ "$status" -eq 0 ]
  grep -q "sft: done already" "$RQ/log.txt"
  grep -q "ppo: done already" "$RQ/log.txt"
  diff <(echo "$output" | grep -v '^recipe:') "$BATS_FILE_TMPDIR/out.txt"
}

@test "the same seed reproduces the same table from scratch" {
  SCALE=quick THREADS=1 "$PREFPIPE_ROOT/pipelines/recipe.sh" "$BATS_FILE_TMPDIR/again" > again.txt 2>/dev/null
  diff again.txt "$BATS_FILE_TMPDIR/out.txt"
}

@test "evaluation prompts never appear in the training data" {
  rec to-json "$RQ/eval.mp" | jq -r '.prompt[0].content' | sort -u > eval.txt
  cat "$RQ/sft.mp" "$RQ/rated.mp" "$RQ/pool.mp" | rec to-json | jq -r '.prompt[0].content' | sort -u > train.txt
  [ "$(comm -12 eval.txt train.txt | wc -l)" -eq 0 ]
}

@test "evaluation items (the questions, not only their phrasings) are disjoint from every training item" {
  # SFT demos, preference data and the RM's pairs, PPO prompts vs the held-out prompts and RM pairs
  cat "$RQ/sft.mp" "$RQ/rated.mp" "$RQ/pairs.mp" "$RQ/rm-pairs.mp" "$RQ/pool.mp" "$RQ/ppo-pool.mp" | rec to-json |
    jq -r '(.gold // .meta.gold).item_id' | sort -u > train.ids
  cat "$RQ/eval.mp" "$RQ/rm-eval.mp" | rec to-json | jq -r '(.gold // .meta.gold).item_id' | sort -u > eval.ids
  ! grep -q null train.ids eval.ids
  [ "$(wc -l < eval.ids)" -ge 40 ]
  [ "$(comm -12 eval.ids train.ids | wc -l)" -eq 0 ]
}

@test "results.json: the table's row names, seed, threads, configuration and commit; the RM pairs are not called RewardBench" {
  jq -e '[.models[].model] == ["sft", "dpo", "ppo", "best-of-4"]' "$RQ/results.json" > /dev/null
  jq -e '.seed == 1 and .threads == 1 and .config.SCALE == "quick" and .config.BON == "4"' "$RQ/results.json" > /dev/null
  jq -e '.prefpipe.version | length > 0' "$RQ/results.json" > /dev/null
  jq -e '.prefpipe.commit | length > 0' "$RQ/results.json" > /dev/null
  if c=$(git -C "$PREFPIPE_ROOT" rev-parse --short HEAD 2>/dev/null); then
    jq -e --arg c "$c" '.prefpipe.commit == $c' "$RQ/results.json" > /dev/null
  fi
  # the configuration: every size and hyper-parameter, as config.txt beside it
  jq -e '.config | has("MODEL_ARGS") and has("PPO_BATCHES") and has("DPO_BETA") and has("SFT_LR") and .PPO_BATCHES == "2"' \
    "$RQ/results.json" > /dev/null
  [ "$(jq '.config | length' "$RQ/results.json")" = "$(wc -l < "$RQ/config.txt")" ]
  jq -e '.reward_model.benchmark == "synthetic gold pairs"' "$RQ/results.json" > /dev/null
}

@test "the recipe names its full log" {
  grep -q "recipe: run directory $RQ; the full log (every tool's messages and progress) is $RQ/log.txt" \
    "$BATS_FILE_TMPDIR/err.txt"
}

@test "on a terminal the recipe echoes the running stage's latest progress line under its name" {
  command -v script > /dev/null || skip "no script(1) to give a terminal"
  r5="$BATS_TEST_TMPDIR/r5"
  cp -r "$RQ" "$r5"
  # SFT runs again, five epochs (a few seconds: the echo comes every 0.2 s),
  # with --progress into the log; the later stages are done already
  rm -f "$r5/.done-sft"
  PREFPIPE_PROGRESS_EVERY=0.2 SFT_EPOCHS=5 SCALE=quick THREADS=1 script -qec "$PREFPIPE_ROOT/pipelines/recipe.sh $r5 > /dev/null" /dev/null \
    < /dev/null > tty.txt
  grep -q "^recipe: sft: \.\.\." tty.txt
  grep -q "^recipe:   sft-step: " tty.txt
  grep -q "^recipe: sft: finished in" tty.txt
  # the progress lines themselves are in the log, not on the terminal
  grep -q "^sft-step: .*/50 steps.*loss" "$r5/log.txt"
}

@test "an interrupted training stage (a checkpoint, no completion marker) is resumed, not restarted, to the same table" {
  r2="$BATS_TEST_TMPDIR/r2"
  cp -r "$RQ" "$r2"
  rm -rf "$r2/.done-dpo" "$r2/.done-eval" "$r2/dpo"
  # the interruption: the recipe's own dpo-step command (from the checkpoint's
  # run_config.json, moved to r2) stopped after 3 of its steps
  mapfile -t args < <(jq -r '(.options | to_entries[] | if .value == true then "--\(.key)" else "--\(.key)=\(.value)" end), .inputs[]' \
    "$RQ/dpo/run_config.json" | sed "s|$RQ/|$r2/|")
  dpo-step "${args[@]}" --stop-after 3 2>/dev/null
  [ "$(jq .step "$r2/dpo/trainer_state.json")" = 3 ]
  SCALE=quick THREADS=1 run "$PREFPIPE_ROOT/pipelines/recipe.sh" "$r2"
  [ "$status" -eq 0 ]
  grep -q "dpo-step: resuming the interrupted run in $r2/dpo at step 3" "$r2/log.txt"
  grep -q "resuming $r2/dpo at step 3 of" "$r2/log.txt"
  cmp "$RQ/dpo/model.safetensors" "$r2/dpo/model.safetensors"
  # one record per step, none twice (timings aside, the same numbers)
  diff <(rec to-json "$RQ/dpo-metrics.mp" | jq -c 'del(.time, .tokens_per_s)') \
       <(rec to-json "$r2/dpo-metrics.mp" | jq -c 'del(.time, .tokens_per_s)')
  diff <(echo "$output" | grep -v '^recipe:') "$BATS_FILE_TMPDIR/out.txt"
}

@test "the PPO stage killed mid-run (the whole recipe, as Ctrl-C does) is resumed, not restarted, to the same policy and table" {
  r4="$BATS_TEST_TMPDIR/r4"
  # the kill must land between version 1 and the last version (2 at this
  # scale): the recipe is frozen (SIGSTOP) as soon as version 1's metrics
  # record is out, then killed; a try where version 2 was already saved
  # (a loaded machine) is repeated
  for try in 1 2 3; do
    rm -rf "$r4"
    cp -r "$RQ" "$r4"
    rm -rf "$r4/.done-ppo" "$r4/.done-eval" "$r4/ppo" "$r4/ppo-final" "$r4"/ppo-metrics*.mp
    set -m   # its own process group, as a terminal's job
    SCALE=quick THREADS=1 ONLY_STAGES=ppo "$PREFPIPE_ROOT/pipelines/recipe.sh" "$r4" > /dev/null 2>&1 &
    pid=$!
    set +m
    for i in $(seq 6000); do [ -s "$r4/ppo-metrics.new.mp" ] && break; sleep 0.01; done
    kill -STOP -- -"$pid" || true
    v=$(jq .version "$r4/ppo/state/policy/trainer_state.json" || echo none)
    kill -TERM -- -"$pid" || true
    kill -CONT -- -"$pid" || true
    wait "$pid" || true
    [ "$v" = 1 ] && break
    echo "# try $try: version $v at the kill; again" >&3
  done
  [ "$v" = 1 ]
  [ ! -e "$r4/.done-ppo" ]
  SCALE=quick THREADS=1 run "$PREFPIPE_ROOT/pipelines/recipe.sh" "$r4"
  [ "$status" -eq 0 ]
  grep -q "ppo: resuming the interrupted run in $r4/ppo at version 1" "$r4/log.txt"
  grep -q "resumed $r4/ppo at version 1" "$r4/log.txt"
  cmp "$RQ/ppo-final/model.safetensors" "$r4/ppo-final/model.safetensors"
  # one metrics record per batch, none twice, the same numbers (timings and
  # the count of re-sent duplicates aside)
  diff <(rec to-json "$RQ/ppo-metrics.mp" | jq -c 'del(.time, .tokens_per_s, .rejected)') \
       <(rec to-json "$r4/ppo-metrics.mp" | jq -c 'del(.time, .tokens_per_s, .rejected)')
  diff <(echo "$output" | grep -v '^recipe:') "$BATS_FILE_TMPDIR/out.txt"
}

@test "the table has one number format, and explains a category where every answer scores 50" {
  # one decimal, always (50.0, not 50)
  awk 'NR > 1 && NR <= 5 { for (i = 2; i <= 6; i++) if ($i != "-" && $i !~ /^[0-9]+\.[0-9]$/) { print "bad: " $i; exit 1 } }' "$RQ/table.txt"
  grep -Eq '^sft .* [0-9]+\.[0-9] \[[0-9]+\.[0-9], [0-9]+\.[0-9]\]$' "$RQ/table.txt"
  grep -Eq '^reward model: held-out gold-pair accuracy [0-9]+\.[0-9]% on [0-9]+ pairs$' "$RQ/table.txt"
  # every model's math at exactly 50 with a [50, 50] interval: the footnote says why
  r3="$BATS_TEST_TMPDIR/r3"
  cp -r "$RQ" "$r3"
  rec to-json "$RQ/summaries.mp" | jq -c '.categories.math = {score: 0.5, lo: 0.5, hi: 0.5, n: 40}' | rec from-json -o "$r3/summaries.mp"
  SCALE=quick THREADS=1 "$PREFPIPE_ROOT/pipelines/recipe.sh" "$r3" > t3.txt 2>/dev/null
  grep -q "^(math: every answer of every model scores 50.0, the judge's score of a wrong but concise and harmless$" t3.txt
  grep -q "^sft  *50.0 " t3.txt
  ! grep -q "every answer of every model" "$RQ/table.txt" || [ "$(jq '[.models[].categories.math.hi] | max' "$RQ/results.json")" = 0.5 ]
}

@test "training.png's data: x in epochs, the last partial batch weighted by its share, an evaluation panel per stage" {
  # quick SFT: 300 examples in batches of 32, so the 10th step has 12
  [ "$(wc -l < "$RQ/plots/sft.tsv")" -eq 10 ]
  awk -F'\t' 'NR == 9 && !($1 == 0.96 && $4 == 1) { exit 1 } NR == 10 && !($1 == 1 && $4 == 0.375) { exit 1 }' "$RQ/plots/sft.tsv"
  # the smoothed curve moves by 0.1 x 0.375 of the way to the last raw loss, not by 0.1
  awk -F'\t' 'NR == 9 { p = $3 } NR == 10 { want = p + 0.1 * 0.375 * ($2 - p); d = $3 - want; if (d < -1e-9 || d > 1e-9) exit 1 }' \
    "$RQ/plots/sft.tsv"
  for s in dpo rm ppo; do [ -s "$RQ/plots/$s.tsv" ]; done
  [ "$(cut -f1 "$RQ/plots/eval.tsv" | tr '\n' ' ')" = "sft dpo ppo best-of-4 " ]
  sft=$(jq '.models[] | select(.model == "sft") | .average.score * 100' "$RQ/results.json")
  awk -F'\t' -v s="$sft" '$1 == "sft" && ($2 - s > 1e-9 || s - $2 > 1e-9) { exit 1 }' "$RQ/plots/eval.tsv"
  if command -v gnuplot > /dev/null; then
    [ "$(head -c 8 "$RQ/training.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
  fi
}

@test "one plotting style: the recipe, watch-metrics and eval-report all start from tools/plot-style.gp" {
  grep -q 'style=$tools/plot-style.gp' "$PREFPIPE_ROOT/pipelines/recipe.sh"
  grep -q 'gnuplot ${style:+"$style"} -c "$tools/recipe-plot.gp"' "$PREFPIPE_ROOT/pipelines/recipe.sh"
  grep -q 'gnuplot "$here/tools/plot-style.gp" -c "$here/tools/metrics.gp"' "$PREFPIPE_ROOT/pipelines/watch-metrics.sh"
  # axis labels with units in every panel of the recipe's plot
  [ "$(grep -c '^set ylabel' "$PREFPIPE_ROOT/tools/recipe-plot.gp")" -ge 4 ]
  grep -q 'set xlabel "epoch (passes over the training data)"' "$PREFPIPE_ROOT/tools/recipe-plot.gp"
  grep -q '^set key outside' "$PREFPIPE_ROOT/tools/plot-style.gp"
}

@test "the pretrain stage: world LMs at two sizes on train-split text; RM_INIT starts the reward model from one; RM accuracy per category" {
  r4="$BATS_TEST_TMPDIR/r4"
  cp -r "$RQ" "$r4"
  rm -f "$r4/.done-rm"
  # off by default: the quick recipe never pretrained
  [ ! -e "$RQ/text.mp" ] && [ ! -d "$RQ/pretrain-small" ]
  SCALE=quick THREADS=1 N_TEXT=200 PRETRAIN=both RM_INIT=pretrained-large ONLY_STAGES="pretrain rm" \
    "$PREFPIPE_ROOT/pipelines/recipe.sh" "$r4" > /dev/null 2> err.txt
  grep -q "pretrain: finished" "$r4/log.txt"
  # two sizes: small is the policy's shape, large the bigger one; both trained
  [ "$(jq .hidden_size "$r4/pretrain-small/config.json")" = "$(jq .hidden_size "$RQ/sft/config.json")" ]
  [ "$(jq .hidden_size "$r4/pretrain-large/config.json")" -gt "$(jq .hidden_size "$RQ/sft/config.json")" ]
  ! cmp -s "$r4/pretrain-large-init/model.safetensors" "$r4/pretrain-large/model.safetensors"
  # the reward model has the large LM's shape, and its accuracy is reported per category
  [ "$(jq .hidden_size "$r4/rm/config.json")" = "$(jq .hidden_size "$r4/pretrain-large/config.json")" ]
  rec to-json "$r4/rm-sections.mp" | jq -e 'select(.kind == "summary") | .subsets | keys == ["factuality", "instruction", "math", "safety", "truthfulness"]' > /dev/null
  # the world text holds no held-out item
  rec to-json "$r4/text.mp" | jq -r .meta.gold.item_id | sort -u > text.ids
  cat "$RQ/eval.mp" "$RQ/rm-eval.mp" | rec to-json | jq -r '(.gold // .meta.gold).item_id' | sort -u > eval.ids
  [ "$(comm -12 text.ids eval.ids | wc -l)" -eq 0 ]
  # a bad knob is a usage error, before anything runs
  RM_INIT=pretrained-huge run "$PREFPIPE_ROOT/pipelines/recipe.sh" "$BATS_TEST_TMPDIR/r5"
  [ "$status" -eq 64 ]
  [[ "$output" == *"RM_INIT must be"* ]]
  [ ! -e "$BATS_TEST_TMPDIR/r5" ]
}

@test "a copy of recipe.sh alone finds tools/ beside the programs on PATH (same table, plots); without any, exit 66 before it starts" {
  mkdir -p copy/pipelines && cp "$PREFPIPE_ROOT/pipelines/recipe.sh" copy/pipelines/
  cp -r "$RQ" again
  rm -f again/training.png
  # PREFPIPE_BIN (set by the test helper for make asan) would name the programs' folder itself
  env -u PREFPIPE_BIN SCALE=quick THREADS=1 copy/pipelines/recipe.sh "$PWD/again" > table.txt 2> err.txt
  diff table.txt "$BATS_FILE_TMPDIR/out.txt"
  ! grep -q "plots: skipped" again/log.txt
  if command -v gnuplot > /dev/null; then [ -s again/training.png ]; fi
  # no tools/ anywhere near: refused at once, naming where it looked
  mkdir fakebin && for b in "$PREFPIPE_ROOT"/bin/*; do ln -s "$b" fakebin/; done
  run env -u PREFPIPE_BIN PATH="$PWD/fakebin:/usr/bin:/bin" SCALE=quick copy/pipelines/recipe.sh "$PWD/none"
  [ "$status" -eq 66 ]
  [[ "$output" == *"cannot find prefpipe's tools/ folder"*"$PWD/fakebin/../tools"* ]]
  [ ! -e none ]
}
