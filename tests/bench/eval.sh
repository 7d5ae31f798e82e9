#!/bin/sh
# eval.sh — eval-score throughput on the paper's sizes: GSM8K 1,319 x 16
# responses (the gold solutions, as a best-of-16 run would score) and
# IFEval 541 x 16 responses (AlpacaEval reference outputs, realistic prose
# of a few hundred words, cycled over the prompts).  Prints records/s.
#
# Reference for GSM8K: the same rule in Python (re.sub + re.findall + the
# exact-match normaliser, as the paper's evaluation code does it) on the
# same records as JSON lines.  IFEval has no runnable reference here (the
# original needs langdetect, nltk and absl, which are not installed), so
# only prefpipe's number is printed.  Target: well under a second each.
set -eu
dir=${PREFPIPE_BENCH_DIR:-/tmp/prefpipe-bench}
data=${PREFPIPE_SHARED_DATA:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/data}
mkdir -p "$dir"
now() { date +%s.%N; }

gsm=$dir/eval-gsm8k-x16.mp
gsmj=$dir/eval-gsm8k-x16.jsonl
if [ ! -s "$gsm" ]; then
  bench-load --format gsm8k "$data/gsm8k/test.jsonl" | rec to-json |
    jq -c '. as $p | range(16) | {id: ($p.id + "#" + tostring), prompt_id: $p.id,
           response: ($p.gold.solution + " So the answer is " + $p.gold.answer + "."), gold: $p.gold}' > "$gsmj"
  rec from-json "$gsmj" > "$gsm"
fi
ife=$dir/eval-ifeval-x16.mp
if [ ! -s "$ife" ]; then
  jq -c '.[].output' "$data/alpaca_eval/text_davinci_003_model_outputs.json" > "$dir/eval-outputs.jsonl"
  bench-load --format ifeval "$data/ifeval/input_data.jsonl" | rec to-json > "$dir/eval-ifeval.jsonl"
  jq -c -n --slurpfile outs "$dir/eval-outputs.jsonl" '
    [inputs] | to_entries[] | .key as $k | .value as $p | range(16) as $s |
    {id: ($p.id + "#" + ($s | tostring)), prompt_id: $p.id,
     response: $outs[($k * 16 + $s) % ($outs | length)], gold: $p.gold}' "$dir/eval-ifeval.jsonl" |
    rec from-json > "$ife"
fi

n_gsm=$(rec count "$gsm")
n_ife=$(rec count "$ife")
cat "$gsm" "$ife" > /dev/null

t0=$(now); eval-score --task gsm8k "$gsm" > /dev/null 2>&1; t1=$(now)
t2=$(now)
python3 - "$gsmj" <<'PY'
import json, re, string, sys
table = str.maketrans("", "", string.punctuation)
def em(a, b): return a.lower().translate(table) == b.lower().translate(table)
n = c = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    out = re.sub(r"(\d),(\d)", r"\1\2", r["response"])
    nums = re.findall(r"[-+]?\d*\.\d+|\d+", out)
    pred = nums[-1] if nums else out
    c += em(pred, r["gold"]["answer"])
    n += 1
assert c == n, (c, n)
PY
t3=$(now)
t4=$(now); eval-score --task ifeval "$ife" > /dev/null 2>&1; t5=$(now)

awk -v n="$n_gsm" -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN {
  p = n / (b - a); r = n / (d - c);
  printf "gsm8k  %6d records  prefpipe %8.0f rec/s (%.3f s)   python re %8.0f rec/s (%.3f s)   ratio %.1fx\n", n, p, b - a, r, d - c, p / r }'
awk -v n="$n_ife" -v a="$t4" -v b="$t5" 'BEGIN {
  printf "ifeval %6d records  prefpipe %8.0f rec/s (%.3f s)   reference: n/a (needs langdetect, nltk)\n", n, n / (b - a), b - a }'
