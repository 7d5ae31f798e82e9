#!/bin/sh
# eval-suite.sh MODEL_DIR OUT — the paper's evaluation suite (App. D) for
# one model checkpoint, in one command:
#
#   1. bench-load loads every benchmark that is implemented, subsampled as
#      the paper did (GSM8K 200 with seed 42, BBH 40 per task) or at a
#      reduced size (N items per benchmark, per task or subject: the CI
#      setting);
#   2. rollout samples with each benchmark's settings: greedy for GSM8K
#      and BBH (512 new tokens), IFEval, XSTest and AlpacaEval (2048);
#      HumanEval+ and MBPP+ SAMPLES (10) samples at temperature 0.8;
#      TruthfulQA greedy, 50 new tokens (the official setting); ToxiGen
#      500 hateful prompts per group (open-instruct's draw), greedy, 512;
#      MMLU 0-shot is not sampled: lm-logprob scores " A".." D" after the
#      open "Answer:" turn (MMLU=0 skips it: 14,042 x 4 forward passes),
#      and TruthfulQA MC1/MC2 the same way, every mc2 answer after "A:"
#      (TQA_MC=0 skips it);
#      AlpacaEval twice, as the paper: "AlpacaEval" is AlpacaEval 2 (the
#      GPT-4-1106 reference outputs; raw win rate and the length-controlled
#      one) and "AlpacaEval 1" is AlpacaEval 1 (the text-davinci-003
#      reference outputs, raw win rate), each judged by its own judge
#      (ALPACA_JUDGE; ALPACA1_JUDGE, default ALPACA_JUDGE);
#   3. scoring: eval-score for the text benchmarks, code-exec (the
#      sandbox) then pass@1/pass@10 for the code ones; AlpacaEval needs a
#      judge (ALPACA_JUDGE, a command over records writing scores.win),
#      TruthfulQA's generation one writing scores.truth and scores.info
#      (TRUTHFULQA_JUDGE; it reads `answer`, judge_truth_prompt,
#      judge_info_prompt), ToxiGen a classifier writing scores.toxic
#      (TOXIGEN_CLASSIFIER; it reads `answer`); XSTest uses the string
#      match unless XSTEST_JUDGE names a judge for the GPT-4 prompt.
#      Every judge is a command over records (stdin to stdout, msgpack);
#   4. eval-report prints the paper's table (six categories, their
#      average, the per-benchmark numbers) to OUT/table.txt and stdout,
#      OUT/results.json, OUT/results.png (a bar chart) where gnuplot
#      exists, and a bootstrap 95% interval of every benchmark's score
#      (eval-score --bootstrap: 1,000 resamples of its items, seed SEED;
#      AlpacaEval's is of the raw win rate, and its length-controlled
#      rate has a second one, refitted per resample): in the table and in
#      OUT/intervals.txt.
#
# Whatever cannot run is skipped and said so: AlpacaEval without
# ALPACA_JUDGE, TruthfulQA (generation) without TRUTHFULQA_JUDGE, ToxiGen
# without TOXIGEN_CLASSIFIER, MMLU with MMLU=0, TruthfulQA MC with
# TQA_MC=0.  TruthfulQA MC is reported beside the table's truthfulness
# column, not in it (the paper's number is the judged generation).
#
# A prompt may use the positions the model's config.json leaves after its
# new tokens (rollout --max-prompt); a longer one is skipped by rollout and
# the suite says how many.  PREFPIPE_DATA=tests/fixtures/eval-mini runs
# every stage on a few made-up items per benchmark (tests/eval-suite.bats).
#
# Environment: PREFPIPE_DATA (default ../shared/data), N (items per
# benchmark; default: the paper's sizes), SAMPLES (10), MAX_NEW (cap on
# new tokens, for CI), SEED (42), DEVICE (cpu), MMLU / TQA_MC (0 skips),
# and the judges ALPACA_JUDGE, ALPACA1_JUDGE, TRUTHFULQA_JUDGE, TOXIGEN_CLASSIFIER,
# XSTEST_JUDGE: shell commands reading records on stdin and writing them,
# with their verdicts under `scores`, on stdout.
set -eu
[ $# -eq 2 ] || { echo "usage: eval-suite.sh MODEL_DIR OUT" >&2; exit 64; }
model=$1 out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
PATH=${PREFPIPE_BIN:-$root/bin}:$PATH   # PREFPIPE_BIN: another build (make asan)
data=${PREFPIPE_DATA:-$root/../shared/data}
seed=${SEED:-42} samples=${SAMPLES:-10} device=${DEVICE:-cpu}
[ -d "$data/gsm8k" ] || { echo "eval-suite: no benchmark data at $data (set PREFPIPE_DATA)" >&2; exit 66; }
[ -d "$model" ] || { echo "eval-suite: no model directory $model" >&2; exit 66; }
mkdir -p "$out"
say() { echo "eval-suite: $*" >&2; }
lim() { [ -n "${N:-}" ] && echo "-n $N" || echo "${1:-}"; }
newtok() { [ -n "${MAX_NEW:-}" ] && [ "$MAX_NEW" -lt "$1" ] && echo "$MAX_NEW" || echo "$1"; }
sum=$out/summaries.mp
: > "$sum"

say "1/4 loading benchmarks"
bench-load -f gsm8k $(lim "-n 200 --python-sample") --seed "$seed" "$data/gsm8k/test.jsonl" -o "$out/gsm8k.mp"
bench-load -f bbh $(lim "-n 40 --python-sample") --seed "$seed" "$data/bbh" -o "$out/bbh.mp"
bench-load -f ifeval $(lim) --seed "$seed" "$data/ifeval/input_data.jsonl" -o "$out/ifeval.mp"
bench-load -f xstest $(lim) --seed "$seed" "$data/xstest/xstest_v2_prompts.csv" -o "$out/xstest.mp"
bench-load -f humaneval-plus $(lim) --seed "$seed" "$data/humaneval/HumanEvalPlus-v0.1.9.jsonl.gz" -o "$out/humaneval.mp"
bench-load -f mbpp-plus $(lim) --seed "$seed" "$data/mbpp/MbppPlus-v0.1.0.jsonl.gz" -o "$out/mbpp.mp"
bench-load -f alpaca-eval $(lim) --seed "$seed" "$data/alpaca_eval/gpt4_1106_preview_model_outputs.json" -o "$out/alpaca.mp"
bench-load -f truthfulqa $(lim) --seed "$seed" "$data/truthfulqa/TruthfulQA.csv" -o "$out/truthfulqa.mp"
bench-load -f toxigen $(lim "-n 500") --python-sample --seed "$seed" "$data/toxigen/prompts" -o "$out/toxigen.mp"
benches="gsm8k bbh ifeval xstest humaneval mbpp alpaca truthfulqa toxigen"
ae1=$data/alpaca_eval/text_davinci_003_model_outputs.json
if [ -f "$ae1" ]; then
  bench-load -f alpaca-eval $(lim) --seed "$seed" "$ae1" -o "$out/alpaca1.mp"
  benches="$benches alpaca1"
fi
if [ "${MMLU:-1}" != 0 ]; then
  bench-load -f mmlu $(lim) --seed "$seed" "$data/mmlu" -o "$out/mmlu.mp"
  benches="$benches mmlu"
fi
if [ "${TQA_MC:-1}" != 0 ]; then
  bench-load -f truthfulqa-mc $(lim) --seed "$seed" "$data/truthfulqa/mc_task.json" -o "$out/tqa-mc.mp"
  benches="$benches tqa-mc"
fi
for b in $benches; do
  printf 'eval-suite:   %-10s %5d records\n' "$b" "$(rec count "$out/$b.mp")" >&2
done
[ "${MMLU:-1}" != 0 ] || say "   skipped: MMLU (MMLU=0)"
[ "${TQA_MC:-1}" != 0 ] || say "   skipped: TruthfulQA MC (TQA_MC=0)"

say "2/4 sampling ($model)"
# the prompt may fill what the model's positions leave after the new
# tokens (rollout's default, 1024, would skip long few-shot prompts); what
# is still too long is skipped by rollout and said here
maxpos=$(jq -r '.max_position_embeddings // empty' "$model/config.json" 2> /dev/null || true)
gen() { # BENCH MAX_NEW [rollout options]
  b=$1 m=$(newtok "$2"); shift 2
  mp=; [ -z "$maxpos" ] || [ "$maxpos" -le "$m" ] || mp="--max-prompt $((maxpos - m))"
  rollout -c "$model" --device "$device" --seed "$seed" --max-new "$m" $mp "$@" "$out/$b.mp" -o "$out/$b.rollouts.mp" 2> "$out/$b.rollout.log"
  cat "$out/$b.rollout.log" >> "$out/rollout.log"
  sed -n 's/^rollout: \(skipped .*\)/eval-suite:   '"$b"': \1/p' "$out/$b.rollout.log" >&2
}
gen gsm8k 512 -t 0
gen bbh 512 -t 0
gen ifeval 2048 -t 0
gen xstest 2048 -t 0
gen humaneval 512 -t 0.8 -n "$samples"
gen mbpp 512 -t 0.8 -n "$samples"
[ -z "${ALPACA_JUDGE:-}" ] || gen alpaca 2048 -t 0
[ -z "${ALPACA1_JUDGE:-${ALPACA_JUDGE:-}}" ] || [ ! -f "$ae1" ] || gen alpaca1 2048 -t 0
[ -z "${TRUTHFULQA_JUDGE:-}" ] || gen truthfulqa 50 -t 0
[ -z "${TOXIGEN_CLASSIFIER:-}" ] || gen toxigen 512 -t 0

say "3/4 scoring"
score() { # TASK BENCH NAME [eval-score options]
  t=$1 b=$2 name=$3; shift 3
  eval-score --task "$t" --benchmark "$name" --model "$(basename "$model")" --summary "$out/$b.summary.mp" \
    --bootstrap 1000 --seed "$seed" "$@" \
    "$out/$b.in.mp" -o "$out/$b.scored.mp" 2>> "$out/score.log"
  cat "$out/$b.summary.mp" >> "$sum"
}
for b in gsm8k bbh ifeval xstest; do cp "$out/$b.rollouts.mp" "$out/$b.in.mp"; done
score gsm8k gsm8k GSM8K
score bbh bbh BBH
score ifeval ifeval IFEval
if [ -n "${XSTEST_JUDGE:-}" ]; then
  score xstest xstest XSTest --judge "$XSTEST_JUDGE" --judge-prompt "$data/xstest/gpt4_refusal_prompt_open_instruct.txt"
else
  score xstest xstest XSTest
  say "   XSTest by string match (XSTEST_JUDGE unset: no GPT-4 judge)"
fi
for b in humaneval mbpp; do
  code-exec "$out/$b.rollouts.mp" -o "$out/$b.in.mp" 2>> "$out/score.log"
done
k=$([ "$samples" -ge 10 ] && echo 1,10 || echo 1)
score pass-at-k humaneval HumanEval+ -k "$k"
score pass-at-k mbpp MBPP+ -k "$k"
if [ -n "${ALPACA_JUDGE:-}" ]; then
  cp "$out/alpaca.rollouts.mp" "$out/alpaca.in.mp"
  score alpaca-eval alpaca AlpacaEval --judge "$ALPACA_JUDGE"
else
  say "   skipped: AlpacaEval (no judge: set ALPACA_JUDGE to a command writing scores.win)"
fi
if [ ! -f "$ae1" ]; then
  say "   skipped: AlpacaEval 1 (no $ae1)"
elif [ -n "${ALPACA1_JUDGE:-${ALPACA_JUDGE:-}}" ]; then
  cp "$out/alpaca1.rollouts.mp" "$out/alpaca1.in.mp"
  score alpaca-eval alpaca1 "AlpacaEval 1" --judge "${ALPACA1_JUDGE:-$ALPACA_JUDGE}"
else
  say "   skipped: AlpacaEval 1 (no judge: set ALPACA1_JUDGE or ALPACA_JUDGE)"
fi
if [ -n "${TRUTHFULQA_JUDGE:-}" ]; then
  cp "$out/truthfulqa.rollouts.mp" "$out/truthfulqa.in.mp"
  score truthfulqa truthfulqa TruthfulQA --judge "$TRUTHFULQA_JUDGE"
else
  say "   skipped: TruthfulQA generation (no judge: set TRUTHFULQA_JUDGE to a command writing scores.truth and scores.info)"
fi
if [ -n "${TOXIGEN_CLASSIFIER:-}" ]; then
  cp "$out/toxigen.rollouts.mp" "$out/toxigen.in.mp"
  score toxigen toxigen ToxiGen --judge "$TOXIGEN_CLASSIFIER"
else
  say "   skipped: ToxiGen (no classifier: set TOXIGEN_CLASSIFIER to a command writing scores.toxic)"
fi

if [ "${MMLU:-1}" != 0 ]; then
  lm-logprob -c "$model" --device "$device" "$out/mmlu.mp" -o "$out/mmlu.in.mp" 2>> "$out/score.log"
  score mmlu mmlu MMLU
fi
if [ "${TQA_MC:-1}" != 0 ]; then
  lm-logprob -c "$model" --device "$device" "$out/tqa-mc.mp" -o "$out/tqa-mc.in.mp" 2>> "$out/score.log"
  score truthfulqa-mc tqa-mc "TruthfulQA MC"
fi

say "4/4 the table"
eval-report --json "$out/results.json" "$sum" > "$out/table.txt"
if command -v gnuplot > /dev/null; then eval-report --plot "$out/results.png" "$sum" > /dev/null 2>&1 || true; fi
cat "$out/table.txt"
{
  echo "bootstrap 95% intervals (1000 resamples of the items, seed $seed), x100"
  rec to-json "$sum" | jq -r '(if .ci_low then "\(.benchmark)\t\(.ci_units)\t\(.score * 100)\t\(.ci_low * 100)\t\(.ci_high * 100)"
                               else "\(.benchmark)\t\(.n)\t\(.score * 100)\t-\t-" end),
                              (if .lc_ci_low and .benchmark != "AlpacaEval 1" then "\(.benchmark) LC\t\(.ci_units)\t\(.lc_win_rate)\t\(.lc_ci_low)\t\(.lc_ci_high)"
                               else empty end)' |
    awk -F '\t' '$4 == "-" { printf "%-14s %d records %6.1f  (fewer than 2 items: no interval)\n", $1, $2, $3; next }
                 { printf "%-14s n=%-5d %6.1f  [%5.1f, %5.1f]\n", $1, $2, $3, $4, $5 }'
} > "$out/intervals.txt"
cat "$out/intervals.txt"
say "results: $out/results.json, $out/table.txt, $out/intervals.txt"
