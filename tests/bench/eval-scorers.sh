#!/bin/sh
# eval-scorers.sh — records/s of the scorers added for the paper's suite,
# on the shipped data (../shared/data, or PREFPIPE_DATA):
#   alpaca-eval  the 10 annotation files (805 each), raw + LC fit
#   xstest       string match on the 5 labelled completion files (450 each)
#   rm-eval      synthetic pairs over RewardBench's subset names
#   bbh          all 6,511 examples, the target as the answer
#   mmlu         all 14,042 questions x 4 letters, synthetic log-probs
#   truthfulqa-mc  all 817 questions (6,204 answers), synthetic log-probs
#   truthfulqa   817 x 8 responses through --judge cat (verdicts already in
#                the records: the scorer, the post-processing and the judge
#                pipe, not a model judge)
#   toxigen      the 7,000 prompts of the paper's draw, --judge cat likewise
#   pass-at-k    563 problems x 10 samples
#   bootstrap    eval-score --bootstrap 1000 on the pass@k case
#   judge        the generic judge task (mean of scores.score): 200,000
#                records through --judge cat (the judge pipe and the mean)
#   alpaca-lc-boot  alpaca-eval --bootstrap 1000 on one annotation file
#                (805): the LC fit redone on every resample
# (CODE_EXEC=0 skips the slow canonical-solution run below.)
#   code-exec    every canonical solution of HumanEval+ (164) and MBPP+
#                (399): all must pass; samples/s, and the failures if any
#                (tools/code-canonical.sh does the same per dataset, MBPP+
#                v0.2.0 included)
# No reference implementation runs here (alpaca_eval, EvalPlus and
# RewardBench need packages that are not installed); prefpipe's numbers only.
set -eu
dir=${PREFPIPE_BENCH_DIR:-/tmp/prefpipe-bench}
data=${PREFPIPE_DATA:-${PREFPIPE_SHARED_DATA:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/data}}
mkdir -p "$dir"
now() { date +%s.%N; }
rate() { awk -v n="$2" -v a="$3" -v b="$4" -v x="$5" 'BEGIN { printf "%-12s %7d records  %10.0f rec/s (%.3f s)  %s\n", ARGV[1], n, n / (b - a), b - a, x }' "$1"; }

al=$dir/alpaca-annotations.mp
[ -s "$al" ] || for f in "$data"/alpaca_eval/annotations/*/*.json.gz; do zcat "$f" | jq -c '.[]'; done | rec from-json > "$al"
n=$(rec count "$al")
t0=$(now); eval-score -t alpaca-eval --summary-only "$al" > /dev/null 2>&1; t1=$(now)
rate alpaca-eval "$n" "$t0" "$t1" "(one fit over all files)"

xs=$dir/xstest-labelled.mp
[ -s "$xs" ] || for f in "$data"/xstest/labelled_completions/*_streval.csv.gz; do
  python3 -c 'import csv,gzip,json,sys
for r in csv.DictReader(gzip.open(sys.argv[1], "rt", encoding="utf-8", newline="")):
    print(json.dumps({"id": r["id"], "response": r["completion"], "gold": {"type": r["type"]}}))' "$f"; done | rec from-json > "$xs"
n=$(rec count "$xs")
t0=$(now); eval-score -t xstest --summary-only "$xs" > /dev/null 2>&1; t1=$(now)
rate xstest "$n" "$t0" "$t1" ""

rb=$dir/rm-pairs.mp
[ -s "$rb" ] || jq -cn '["alpacaeval-easy","mt-bench-hard","donotanswer","math-prm","hep-go","shp","summarize"] as $s |
  range(200000) | {id: tostring, source: $s[. % 7], reward_chosen: ((. * 7919) % 13), reward_rejected: ((. * 104729) % 11)}' |
  rec from-json > "$rb"
n=$(rec count "$rb")
t0=$(now); rm-eval "$rb" > /dev/null 2>&1; t1=$(now)
rate rm-eval "$n" "$t0" "$t1" ""

bb=$dir/bbh-all.mp
[ -s "$bb" ] || bench-load -f bbh "$data/bbh" | rec to-json |
  jq -c '.response = "So the answer is " + .gold.target + "."' | rec from-json > "$bb"
n=$(rec count "$bb")
t0=$(now); eval-score -t bbh --summary-only "$bb" > /dev/null 2>&1; t1=$(now)
rate bbh "$n" "$t0" "$t1" ""

mm=$dir/mmlu-lp.mp
[ -s "$mm" ] || bench-load -f mmlu "$data/mmlu" | rec to-json |
  jq -c '.logprobs = [-(((.id | explode | add) % 97) / 10), -0.5]' | rec from-json > "$mm"
n=$(rec count "$mm")
t0=$(now); eval-score -t mmlu --summary-only "$mm" > /dev/null 2>&1; t1=$(now)
rate mmlu "$n" "$t0" "$t1" ""

tm=$dir/tqa-mc-lp.mp
[ -s "$tm" ] || bench-load -f truthfulqa-mc "$data/truthfulqa/mc_task.json" | rec to-json |
  jq -c '.logprobs = [-(((.id | explode | add) % 89) / 10), -0.5]' | rec from-json > "$tm"
n=$(rec count "$tm")
t0=$(now); eval-score -t truthfulqa-mc --summary-only "$tm" > /dev/null 2>&1; t1=$(now)
rate truthfulqa-mc "$n" "$t0" "$t1" ""

tq=$dir/tqa-gen.mp
[ -s "$tq" ] || bench-load -f truthfulqa "$data/truthfulqa/TruthfulQA.csv" | rec to-json |
  jq -c '. as $p | range(8) | $p + {id: ($p.id + "#" + tostring), response: ("A: " + $p.gold.best_answer + "\n\nQ: next"),
         scores: {truth: (. % 2 == 0), info: 0.7}}' | rec from-json > "$tq"
n=$(rec count "$tq")
t0=$(now); eval-score -t truthfulqa --judge cat --summary-only "$tq" > /dev/null 2>&1; t1=$(now)
rate truthfulqa "$n" "$t0" "$t1" "(judge: cat)"

tx=$dir/toxigen.mp
[ -s "$tx" ] || bench-load -f toxigen -n 500 --python-sample "$data/toxigen/prompts" | rec to-json |
  jq -c '.response = .prompt[0].content | .scores = {toxic: (.id | length % 3 == 0)}' | rec from-json > "$tx"
n=$(rec count "$tx")
t0=$(now); eval-score -t toxigen --judge cat --summary-only "$tx" > /dev/null 2>&1; t1=$(now)
rate toxigen "$n" "$t0" "$t1" "(judge: cat)"

pk=$dir/passk.mp
[ -s "$pk" ] || jq -cn 'range(563) as $p | range(10) | {id: ("p\($p)#\(.)"), prompt_id: "p\($p)", scores: {pass: ((($p * 7 + .) % 3) == 0)}}' |
  rec from-json > "$pk"
n=$(rec count "$pk")
t0=$(now); eval-score -t pass-at-k --summary-only "$pk" > /dev/null 2>&1; t1=$(now)
rate pass-at-k "$n" "$t0" "$t1" ""
t0=$(now); eval-score -t pass-at-k --summary-only --bootstrap 1000 "$pk" > /dev/null 2>&1; t1=$(now)
rate bootstrap "$n" "$t0" "$t1" "(pass-at-k with --bootstrap 1000)"

jd=$dir/judge.mp
[ -s "$jd" ] || jq -cn 'range(200000) | {id: tostring, response: "r", scores: {score: ((. * 7919) % 11 / 10)}}' |
  rec from-json > "$jd"
n=$(rec count "$jd")
t0=$(now); eval-score -t judge --judge cat --summary-only "$jd" > /dev/null 2>&1; t1=$(now)
rate judge "$n" "$t0" "$t1" "(judge: cat)"

ab=$dir/alpaca-one.mp
[ -s "$ab" ] || zcat "$data/alpaca_eval/annotations/weighted_alpaca_eval_gpt4_turbo/gpt-3.5-turbo-0301.json.gz" |
  jq -c '.[]' | rec from-json > "$ab"
n=$(rec count "$ab")
t0=$(now); eval-score -t alpaca-eval --summary-only --bootstrap 1000 "$ab" > /dev/null 2>&1; t1=$(now)
rate alpaca-lc-boot "$n" "$t0" "$t1" "(raw + LC, --bootstrap 1000)"

[ "${CODE_EXEC:-1}" != 0 ] || exit 0
ce=$dir/code-canonical.mp
if [ ! -s "$ce" ]; then
  { bench-load -f humaneval-plus "$data/humaneval/HumanEvalPlus-v0.1.9.jsonl.gz"
    bench-load -f mbpp-plus "$data/mbpp/MbppPlus-v0.1.0.jsonl.gz"; } | rec to-json |
    jq -c '.response = ((.gold.reference[(.gold.program_prefix | length):]) + "\n```\n")' | rec from-json > "$ce"
fi
n=$(rec count "$ce")
t0=$(now); code-exec --timeout 86400 --cpu 600 "$ce" 2> "$dir/code-exec.err" | rec to-json > "$dir/code-exec.json"; t1=$(now)
pass=$(jq -s 'map(select(.scores.pass)) | length' "$dir/code-exec.json")
rate code-exec "$n" "$t0" "$t1" "canonical solutions passing: $pass / $n"
jq -c 'select(.scores.pass | not) | {id, scores}' "$dir/code-exec.json"
[ "$pass" -eq "$n" ]
