#!/usr/bin/env bats
# pipelines/eval-suite.sh on a tiny random model, in two settings:
# - on tests/fixtures/eval-mini (made-up items in every benchmark's file
#   format, a few per benchmark; runs everywhere, ../shared/data or not):
#   every loader, every scorer and every judge path, MMLU 0-shot and
#   AlpacaEval's length-controlled rate included, through test-double
#   judges; the table's six categories, the intervals, results.json;
# - on ../shared/data (PREFPIPE_DATA; skipped without it) at a reduced
#   size (N=2 items per benchmark, 2 code samples, 8 new tokens; TruthfulQA's
#   judge and ToxiGen's classifier test doubles): what cannot run is
#   skipped and said so.
load helper

# ToxiGen's classifier, a test double: the asian and black groups' continuations are toxic
TC="rec to-json | jq -c '.scores.toxic = (.id | test(\":(asian|black):\"))' | rec from-json"

@test "eval-suite: every benchmark and judge path on the made-up fixtures (tiny model; no ../shared/data needed)" {
  # 8192 positions: GSM8K's 8-shot prompt is ~3,700 byte tokens
  lm-init -o pol --seed 1 --max-pos 8192 2>/dev/null
  # test doubles for the judges the user plugs in (commands over records, stdin to stdout):
  # AlpacaEval wins on items 0, 1, 4 and 6 (short and long references: the LC fit stays finite);
  # the XSTest judge sees the rendered template and says refusal on the unsafe prompts
  AJ="rec to-json | jq -c '.scores.win = (.id | test(\"^alpaca-eval:[0146]#\"))' | rec from-json"
  XJ="rec to-json | jq -c '.scores.refusal = ((.judge_prompt | startswith(\"(prefpipe test fixture\") and contains(\"QUESTION: \\\"How\")) and .gold.label == \"unsafe\")' | rec from-json"
  TJ="rec to-json | jq -c '.scores.truth = (.id != \"truthfulqa:1#0\") | .scores.info = (.judge_info_prompt | endswith(\"Helpful:\"))' | rec from-json"
  PREFPIPE_DATA=$FIX/eval-mini SAMPLES=10 MAX_NEW=8 ALPACA_JUDGE="$AJ" XSTEST_JUDGE="$XJ" TRUTHFULQA_JUDGE="$TJ" \
    TOXIGEN_CLASSIFIER="$TC" "$PREFPIPE_ROOT/pipelines/eval-suite.sh" pol out > table.txt 2> log.txt || { cat log.txt; false; }
  cat table.txt >&2
  # nothing skipped: every judge given, MMLU and TruthfulQA MC on, no prompt too long
  ! grep -q "skipped" log.txt
  ! grep -q "string match" log.txt
  rec to-json out/summaries.mp > sums.json
  jq -s -e 'map(.benchmark) | sort == ["AlpacaEval","AlpacaEval 1","BBH","GSM8K","HumanEval+","IFEval","MBPP+","MMLU","ToxiGen","TruthfulQA","TruthfulQA MC","XSTest"]' sums.json
  s() { jq -s -e --arg b "$1" ".[] | select(.benchmark == \$b) | $2" sums.json || { jq -s -c --arg b "$1" '.[] | select(.benchmark == $b)' sums.json >&2; false; }; }
  # every item of every benchmark was loaded, sampled and scored
  s GSM8K '.n == 3 and .skipped == 0'
  s BBH '.n == 6 and .ntasks == 2'
  s IFEval '.n == 4 and .instructions == 6'
  s XSTest '.n == 4 and .f1 == 1 and .refused_unsafe == 2 and .refused_safe == 0'   # the judge, through the template
  s HumanEval+ '.n == 30 and .problems == 3 and has("pass@1") and has("pass@10") and .score == ."pass@10"'
  s MBPP+ '.n == 30 and .problems == 3 and has("pass@10")'
  rec to-json out/humaneval.in.mp | jq -s -e 'length == 30 and all(.[]; .scores.exec != null)'   # through the sandbox
  # sampling as the paper: code 10 samples at temperature 0.8; GSM8K and BBH greedy, the prompt's
  # last tokens the open assistant prefix (no </s>, no second turn; byte tokenizer)
  rec to-json out/humaneval.rollouts.mp | jq -s -e 'all(.[]; .sampler.temperature == 0.8) and (group_by(.prompt_id) | all(.[]; length == 10))'
  rec to-json out/gsm8k.rollouts.mp | jq -s -e 'length == 3 and all(.[]; .sampler.temperature == 0 and (.prompt_tokens[-7:] | implode) == "Answer:")'
  rec to-json out/bbh.rollouts.mp | jq -s -e 'length == 6 and all(.[]; .sampler.temperature == 0 and (.prompt_tokens[-2:] | implode) == "A:")'
  rec to-json out/mbpp.in.mp | jq -s -e 'length == 30 and all(.[]; .scores.exec != null)'
  s AlpacaEval '.n == 8 and .win_rate == 50 and .lc_difficulty == false and (.lc_win_rate | type) == "number"'
  s AlpacaEval '.lc_ci_low <= .lc_win_rate and .lc_win_rate <= .lc_ci_high'
  s "AlpacaEval 1" '.n == 6 and .win_rate == 50'   # the same judge double: items 0, 1, 4 of 6
  s TruthfulQA '.n == 3 and .info == 1 and .truth == 2 / 3'
  s "TruthfulQA MC" '.questions == 3 and .incomplete == 0 and .category == "truthfulness (MC)"'
  s ToxiGen '.n == 28 and .toxic == 4 / 28 and (.groups | length) == 14'
  s MMLU '.questions == 6 and .incomplete == 0 and (.subjects | keys) == ["astronomy", "high_school_geography"]'
  # bootstrap intervals on every benchmark (each has 2 or more items)
  jq -s -e 'all(.[]; .bootstrap == 1000 and .ci_low <= .score and .score <= .ci_high)' sums.json
  # the table: six categories, every benchmark, AlpacaEval's LC beside its raw rate
  for c in factuality reasoning coding truthfulness safety "instruction following"; do
    grep -q "$c" table.txt || { echo "no $c column" >&2; false; }
  done
  for b in MMLU GSM8K BBH HumanEval+ MBPP+ TruthfulQA ToxiGen XSTest AlpacaEval "AlpacaEval 1" IFEval "AlpacaEval LC" "TruthfulQA MC"; do
    head -1 table.txt | grep -qF "  $b " || { echo "no $b column" >&2; false; }
  done
  grep -q "95% bootstrap intervals" table.txt
  grep -Eq '^pol +AlpacaEval LC +[0-9.]+ +\[' table.txt
  ! grep -q "AlpacaEval 1 LC" table.txt   # AlpacaEval 1 has no length-controlled rate
  # results.json: the same numbers, the six categories and the average
  jq -e '(.rows | length) == 1 and (.rows[0].categories | keys | length) == 6 and (.rows[0].average | type) == "number"' out/results.json
  jq -e --slurpfile s sums.json '.rows[0].benchmarks["AlpacaEval LC"] == ($s[] | select(.benchmark == "AlpacaEval") | .lc_win_rate)' out/results.json
  jq -e '.rows[0].intervals | keys | length == 13' out/results.json
  # intervals.txt: a line per benchmark, LC's own
  [ "$(grep -c ' n=' out/intervals.txt)" -eq 13 ]
  grep -Eq '^AlpacaEval LC +n=8 ' out/intervals.txt
  grep -Eq '^ToxiGen +n=28 ' out/intervals.txt
  if command -v gnuplot > /dev/null; then [ "$(head -c 4 out/results.png | od -An -c | tr -d ' ')" = "211PNG" ]; fi
}

@test "eval-suite: one command loads, samples, scores and prints the table (tiny model, N=2)" {
  DATA=${PREFPIPE_DATA:-$SHARED_DATA}
  [ -d "$DATA/gsm8k" ] || skip "no ../shared/data (set PREFPIPE_DATA)"
  lm-init -o pol --seed 1 2>/dev/null
  # test doubles for the judges the user plugs in (commands over records, stdin to stdout)
  TJ="rec to-json | jq -c '.scores.truth = (.answer | length < 5) | .scores.info = (.judge_info_prompt | endswith(\"Helpful:\"))' | rec from-json"
  PREFPIPE_DATA=$DATA N=2 SAMPLES=2 MAX_NEW=8 MMLU=0 TRUTHFULQA_JUDGE="$TJ" TOXIGEN_CLASSIFIER="$TC" \
    "$PREFPIPE_ROOT/pipelines/eval-suite.sh" pol out > table.txt 2> log.txt || { cat log.txt; false; }
  cat table.txt >&2
  for c in factuality reasoning coding truthfulness safety "instruction following"; do
    grep -qi "$c" table.txt || { echo "no $c column" >&2; false; }
  done
  grep -q "skipped: MMLU (MMLU=0)" log.txt   # tests/mmlu.bats runs its path
  grep -q "skipped: AlpacaEval (no judge" log.txt
  grep -q "skipped: AlpacaEval 1 (no judge" log.txt
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
