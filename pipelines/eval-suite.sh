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
#      MMLU 0-shot is not sampled: lm-logprob scores " A".." D" after the
#      open "Answer:" turn (MMLU=0 skips it: 14,042 x 4 forward passes);
#   3. scoring: eval-score for the text benchmarks, code-exec (the
#      sandbox) then pass@1/pass@10 for the code ones; AlpacaEval needs a
#      judge (ALPACA_JUDGE, a command over records writing scores.win) and
#      XSTest uses the string match unless XSTEST_JUDGE names a judge for
#      the GPT-4 prompt;
#   4. eval-report prints the paper's table (six categories, their
#      average, the per-benchmark numbers) to OUT/table.txt and stdout,
#      OUT/results.json, OUT/results.png where gnuplot exists, and a
#      bootstrap 95% interval (1,000 resamples, seed 42) for the
#      benchmarks scored per item: OUT/intervals.txt.
#
# Whatever cannot run is skipped and said so: TruthfulQA and ToxiGen
# (scorers not implemented yet), AlpacaEval without ALPACA_JUDGE, MMLU
# with MMLU=0.
#
# Environment: PREFPIPE_DATA (default ../shared/data), N (items per
# benchmark; default: the paper's sizes), SAMPLES (10), MAX_NEW (cap on
# new tokens, for CI), SEED (42), DEVICE (cpu).
set -eu
[ $# -eq 2 ] || { echo "usage: eval-suite.sh MODEL_DIR OUT" >&2; exit 64; }
model=$1 out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
PATH=$root/bin:$PATH
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
benches="gsm8k bbh ifeval xstest humaneval mbpp alpaca"
if [ "${MMLU:-1}" != 0 ]; then
  bench-load -f mmlu $(lim) --seed "$seed" "$data/mmlu" -o "$out/mmlu.mp"
  benches="$benches mmlu"
fi
for b in $benches; do
  printf 'eval-suite:   %-9s %5d prompts\n' "$b" "$(rec count "$out/$b.mp")" >&2
done
say "   skipped: TruthfulQA, ToxiGen (their scorers are not implemented yet)"
[ "${MMLU:-1}" != 0 ] || say "   skipped: MMLU (MMLU=0)"

say "2/4 sampling ($model)"
gen() { # BENCH MAX_NEW [rollout options]
  b=$1 m=$(newtok "$2"); shift 2
  rollout -c "$model" --device "$device" --seed "$seed" --max-new "$m" "$@" "$out/$b.mp" -o "$out/$b.rollouts.mp" 2>> "$out/rollout.log"
}
gen gsm8k 512 -t 0
gen bbh 512 -t 0
gen ifeval 2048 -t 0
gen xstest 2048 -t 0
gen humaneval 512 -t 0.8 -n "$samples"
gen mbpp 512 -t 0.8 -n "$samples"
[ -n "${ALPACA_JUDGE:-}" ] && gen alpaca 2048 -t 0

say "3/4 scoring"
score() { # TASK BENCH NAME [eval-score options]
  t=$1 b=$2 name=$3; shift 3
  eval-score --task "$t" --benchmark "$name" --model "$(basename "$model")" --summary "$out/$b.summary.mp" "$@" \
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

if [ "${MMLU:-1}" != 0 ]; then
  lm-logprob -c "$model" --device "$device" "$out/mmlu.mp" -o "$out/mmlu.in.mp" 2>> "$out/score.log"
  score mmlu mmlu MMLU
fi

say "4/4 the table"
eval-report --json "$out/results.json" "$sum" > "$out/table.txt"
if command -v gnuplot > /dev/null; then eval-report --plot "$out/results.png" "$sum" > /dev/null 2>&1 || true; fi
cat "$out/table.txt"
{
  echo "bootstrap 95% intervals (1000 resamples of the items, seed 42), x100"
  for pair in gsm8k:GSM8K:correct bbh:BBH:correct ifeval:IFEval:prompt_loose; do
    b=${pair%%:*} rest=${pair#*:} name=${rest%%:*} key=${rest#*:}
    rec to-json "$out/$b.scored.mp" | jq -r --arg k "$key" 'select(.scores) | if .scores[$k] then 1 else 0 end' |
      awk -v name="$name" 'BEGIN { srand(42) } { x[n++] = $1 }
        END { if (n < 2) { printf "%-10s n=%d: too few items\n", name, n; exit }
              for (b = 0; b < 1000; b++) { s = 0; for (i = 0; i < n; i++) s += x[int(rand() * n)]; m[b] = s / n }
              for (i = 1; i < 1000; i++) { v = m[i]; for (j = i - 1; j >= 0 && m[j] > v; j--) m[j + 1] = m[j]; m[j + 1] = v }
              t = 0; for (i = 0; i < n; i++) t += x[i]
              printf "%-10s n=%-5d %6.1f  [%5.1f, %5.1f]\n", name, n, 100 * t / n, 100 * m[25], 100 * m[975] }'
  done
} > "$out/intervals.txt"
cat "$out/intervals.txt"
say "results: $out/results.json, $out/table.txt, $out/intervals.txt"
