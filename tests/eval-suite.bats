#!/usr/bin/env bats
# pipelines/eval-suite.sh on a tiny random model at a reduced size (N=2
# items per benchmark, 2 code samples, 8 new tokens; TruthfulQA's judge
# and ToxiGen's classifier are test doubles): every stage runs, the table
# has the six categories and bootstrap intervals, what cannot run is
# skipped and said so.  Needs ../shared/data (PREFPIPE_DATA); skipped without it.
load helper

@test "eval-suite: one command loads, samples, scores and prints the table (tiny model, N=2)" {
  DATA=${PREFPIPE_DATA:-$SHARED_DATA}
  [ -d "$DATA/gsm8k" ] || skip "no ../shared/data (set PREFPIPE_DATA)"
  lm-init -o pol --seed 1 2>/dev/null
  # test doubles for the judges the user plugs in (commands over records, stdin to stdout)
  TJ="rec to-json | jq -c '.scores.truth = (.answer | length < 5) | .scores.info = (.judge_info_prompt | endswith(\"Helpful:\"))' | rec from-json"
  TC="rec to-json | jq -c '.scores.toxic = (.id | test(\":(asian|black):\"))' | rec from-json"
  PREFPIPE_DATA=$DATA N=2 SAMPLES=2 MAX_NEW=8 MMLU=0 TRUTHFULQA_JUDGE="$TJ" TOXIGEN_CLASSIFIER="$TC" \
    "$PREFPIPE_ROOT/pipelines/eval-suite.sh" pol out > table.txt 2> log.txt || { cat log.txt; false; }
  cat table.txt >&2
  for c in factuality reasoning coding truthfulness safety "instruction following"; do
    grep -qi "$c" table.txt || { echo "no $c column" >&2; false; }
  done
  grep -q "skipped: MMLU (MMLU=0)" log.txt   # tests/mmlu.bats runs its path
  grep -q "skipped: AlpacaEval (no judge" log.txt
  ! grep -q "skipped: TruthfulQA\|skipped: ToxiGen" log.txt
  jq -e '.' out/results.json > /dev/null
  # every benchmark left a summary; code went through the sandbox
  rec to-json out/summaries.mp > sums.json
  jq -s -e 'map(.benchmark) | sort == ["BBH","GSM8K","HumanEval+","IFEval","MBPP+","ToxiGen","TruthfulQA","TruthfulQA MC","XSTest"]' sums.json
  rec to-json out/mbpp.in.mp | jq -s -e 'length == 4 and all(.[]; .scores.exec != null)'   # 2 prompts x 2 samples
  rec to-json out/humaneval.in.mp | jq -s -e 'all(.[]; .scores.exec != null)'   # over-long prompts are skipped by rollout
  # ToxiGen: 2 per group (14 groups), the classifier's verdicts: 2 of 14 groups toxic
  jq -s -e '.[] | select(.benchmark == "ToxiGen") | .n == 28 and .toxic == (4 / 28) and (.groups | length) == 14' sums.json
  jq -s -e '.[] | select(.benchmark == "TruthfulQA") | .n == 2 and .info == 1' sums.json
  jq -s -e '.[] | select(.benchmark == "TruthfulQA MC") | .questions == 2 and .category == "truthfulness (MC)"' sums.json
  # bootstrap intervals from eval-score, in the summaries, the table and intervals.txt
  jq -s -e '.[] | select(.benchmark == "ToxiGen") | .ci_units == 28 and .bootstrap == 1000 and .ci_low <= .score and .score <= .ci_high' sums.json
  grep -q "95% bootstrap intervals" table.txt
  grep -q "bootstrap 95% intervals" out/intervals.txt
  grep -Eq '^ToxiGen +n=28 ' out/intervals.txt
  # the bar chart, where gnuplot exists
  if command -v gnuplot > /dev/null; then [ "$(head -c 4 out/results.png | od -An -c | tr -d ' ')" = "211PNG" ]; fi
}

@test "eval-suite: usage and missing inputs" {
  run "$PREFPIPE_ROOT/pipelines/eval-suite.sh"
  [ "$status" -eq 64 ]
  run env PREFPIPE_DATA=/nonexistent "$PREFPIPE_ROOT/pipelines/eval-suite.sh" pol out
  [ "$status" -eq 66 ]
}
