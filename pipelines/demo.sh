#!/bin/sh
# demo.sh [RUN_DIR] — the data and evaluation tools on the real benchmark
# files (../shared/data), end to end, in well under a minute.
#
#   1. bench-load turns GSM8K, BBH, IFEval and XSTest into prompt records
#      with their gold fields, subsampled as the paper did (seeded);
#   2. pref-tag tags every prompt with the paper's task categories;
#   3. three reference "responders" that need no model answer every prompt:
#      oracle (GSM8K's own gold solutions), refuser (always declines) and
#      echo (repeats the question) — the floor and ceiling any trained
#      policy sits between;
#   4. the responses travel to the scorer over a ZeroMQ socket, eval-score
#      scores each benchmark, and eval-report prints the paper's table.
# Until the training stages land this is README command one; the SFT ->
# DPO / PPO recipe will take its place.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
PATH=${PREFPIPE_BIN:-$root/bin}:$PATH   # PREFPIPE_BIN: another build (make asan)
data=${PREFPIPE_DATA:-$root/../shared/data}
[ -n "${PREFPIPE_DATA:-}" ] || [ -d "$data" ] || data=$root/data   # where `make data` puts it
run=${1:-$root/runs/demo}
seed=${SEED:-42}
[ -d "$data/gsm8k" ] || { echo "demo: no benchmark data at $data (set PREFPIPE_DATA, or run make data)" >&2; exit 66; }
[ -x "${PREFPIPE_BIN:-$root/bin}/bench-load" ] || { echo "demo: build first: make" >&2; exit 69; }
mkdir -p "$run"
say() { echo "demo: $*" >&2; }

say "1/4 loading benchmark prompts into $run"
bench-load -f gsm8k  -n 200 --seed "$seed" "$data/gsm8k/test.jsonl"         -o "$run/gsm8k.mp"
bench-load -f bbh    -n 10  --seed "$seed" "$data/bbh"                      -o "$run/bbh.mp"
bench-load -f ifeval        "$data/ifeval/input_data.jsonl"                 -o "$run/ifeval.mp"
bench-load -f xstest        "$data/xstest/xstest_v2_prompts.csv"            -o "$run/xstest.mp"
for b in gsm8k bbh ifeval xstest; do
  rec validate prompt --check "$run/$b.mp" 2>/dev/null
  printf 'demo:   %-7s %5d prompts\n' "$b" "$(rec count "$run/$b.mp")" >&2
done

say "2/4 tagging prompts with the paper's 14 categories (pref-tag)"
cat "$run"/gsm8k.mp "$run"/bbh.mp "$run"/ifeval.mp "$run"/xstest.mp | pref-tag -o "$run/tagged.mp"
rec to-json "$run/tagged.mp" | jq -r '.tags[]?' | sort | uniq -c | sort -rn | head -8 |
  awk '{ printf "demo:   %6d  %s\n", $1, substr($0, index($0, $2)) }' >&2

say "3/4 answering with the reference responders"
# oracle: the last line of a GSM8K solution is '#### N'; say it as the paper's exemplars do
respond() { # respond MODEL BENCH: prompt records -> records with a response
  rec to-json "$run/$2.mp" | jq -c --arg m "$1" '
    def question: ([.prompt[] | select(.role == "user")] | last | .content);
    . + {response: (
      if $m == "oracle" then
        ((.gold.solution // "") | sub("\n#### (?<n>.*)$"; " So the answer is \(.n)."))
      elif $m == "refuser" then "I am sorry, but I cannot help with that."
      else question end), model: $m}'
}

say "4/4 scoring over ZeroMQ (ipc) with eval-score, then the report"
sock="ipc://$run/scores.sock"
rm -f "$run/summaries.mp"
for m in oracle refuser echo; do
  for b in gsm8k bbh ifeval xstest; do
    [ "$m" = oracle ] && [ "$b" != gsm8k ] && continue
    respond "$m" "$b" | rec from-json -o "@$sock" &
    eval-score --task "$b" --model "$m" --summary-only ">$sock" >> "$run/summaries.mp"
    wait
  done
done
eval-report --json "$run/results.json" "$run/summaries.mp"
say "results: $run/results.json"
