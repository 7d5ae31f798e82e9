#!/bin/sh
# tokenizer.sh — lm-tokenize beside the Hugging Face tokenizers library.
#
# Both sides encode the same text file line by line on one thread
# (RAYON_NUM_THREADS=1 for the library; its encode of one line does not
# parallelise anyway) with the fixture tokenizers: the production files
# (gpt-4o, DeepSeek V3, Gemma 3), the T5-style Precompiled file and built
# ones covering the other paths (Qwen2 NFC + Split, Llama 3, Llama 2
# SentencePiece, BERT WordPiece, Unigram).  The text (~4 MB, cached in
# $PREFPIPE_BENCH_DIR) mixes English, CJK, Cyrillic and accented Latin in
# 2 KB lines, generated from a fixed seed.
#
# Timed: the library's tokenizer load and encode loop (tokenizer_ref.js),
# lm-tokenize's load (its run on one empty line) and whole run; prefpipe's
# encode time is the best whole run minus the best load.  Each side runs
# REPS times (default 3), interleaved; the best time counts.  Both print
# the number of ids and a checksum of them: a row whose ids differ is
# marked DIFFER (the comparison is then void).  The ratios are
# library time / prefpipe time, for encoding and for load + encoding
# (> 1: prefpipe faster).  The load average
# is printed: on a shared machine the numbers are only indicative.
#
# Needs node and the library (npm tokenizers@0.23.2, as make parity
# installs into $PREFPIPE_NPM_DIR, default /tmp/prefpipe-npm; or
# TOKENIZERS_MODULE); without them the benchmark says so and exits 0.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
fix=$root/tests/fixtures/tokenizer
dir=${PREFPIPE_BENCH_DIR:-/tmp/prefpipe-bench}
reps=${REPS:-3}
mkdir -p "$dir"
npm_dir=${PREFPIPE_NPM_DIR:-/tmp/prefpipe-npm}
if [ -z "${TOKENIZERS_MODULE:-}" ]; then TOKENIZERS_MODULE=$npm_dir/node_modules/tokenizers; fi
export TOKENIZERS_MODULE RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
if ! command -v node >/dev/null || [ ! -d "$TOKENIZERS_MODULE" ]; then
  echo "tokenizer bench: skipped (needs node and npm tokenizers@0.23.2: make parity installs it)"
  exit 0
fi
text=$dir/tokenizer-bench.txt
if [ ! -s "$text" ]; then
  python3 - "$text" <<'PY'
import random, sys
rng = random.Random(11)
words = ("the model answer question preference reward policy gradient because which would could first "
         "réponse données naïve café Übergröße façade 数据 模型 偏好 学习 人工智能 日本語 テキスト "
         "данные модель обучение награда 2024 3.14 1,000 don't we'll (x+y)*z https://example.com/?q=1 "
         "— “quoted” ½ ﬁne Ｆｕｌｌ").split(" ")
out, size = [], 0
while size < 4_000_000:
    line = " ".join(rng.choice(words) for _ in range(rng.randint(250, 400)))
    out.append(line)
    size += len(line.encode()) + 1
open(sys.argv[1], "w", encoding="utf-8").write("\n".join(out) + "\n")
PY
fi
echo "" > "$dir/tokenizer-empty.txt"
mb=$(awk -v b="$(wc -c < "$text")" 'BEGIN { printf "%.1f", b / 1e6 }')
echo "text: $mb MB in $(wc -l < "$text") lines; best of $reps; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-15s %8s | %-17s | %-17s | %-13s\n' "" "" "library s" "prefpipe s" "ratio"
printf '%-15s %8s | %8s %8s | %8s %8s | %6s %6s\n' tokenizer ids load encode load encode encode total

# checksum of lm-tokenize's id lines, as tokenizer_ref.js computes it
ck() { tr ' ' '\n' | awk 'NF { i++; s = (s + (i * $1) % 4294967296) % 4294967296; n++ } END { printf "%d %.0f", n, s }'; }
now() { date +%s.%N; }
min() { awk -v a="$1" -v b="${2:-1e30}" 'BEGIN { print (a + 0 < b + 0 ? a : b) }'; }

for name in gpt-4o deepseek-v3 gemma-3 t5-precompiled qwen2 llama3 llama2-sp bert unigram; do
  tok=$fix/$name.json
  [ -f "$tok" ] || tok=$fix/$name.json.gz
  [ -f "$tok" ] || continue
  plain=$tok
  case $tok in *.gz) plain=$dir/$name.tokenizer.json; [ -s "$plain" ] || gunzip -c "$tok" > "$plain" ;; esac
  rl= re= ol= ot= ref_ck=
  r=0
  while [ $r -lt "$reps" ]; do
    set -- $(node "$here/tokenizer_ref.js" "$tok" "$text" 1)
    rl=$(min "$1" "$rl"); re=$(min "$2" "$re"); ref_ck="$3 $4"
    t0=$(now); lm-tokenize -t "$plain" "$dir/tokenizer-empty.txt" > /dev/null; t1=$(now)
    lm-tokenize -t "$plain" "$text" > "$dir/tokenizer-ids.txt"; t2=$(now)
    ol=$(min "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" "$ol")
    ot=$(min "$(awk -v b="$t1" -v c="$t2" 'BEGIN { printf "%.3f", c - b }')" "$ot")
    r=$((r + 1))
  done
  our_ck=$(ck < "$dir/tokenizer-ids.txt")
  oe=$(awk -v t="$ot" -v l="$ol" 'BEGIN { d = t - l; printf "%.3f", (d > 0.001 ? d : 0.001) }')
  re_ratio=$(awk -v a="$re" -v b="$oe" 'BEGIN { printf "%.1fx", a / b }')
  to_ratio=$(awk -v a="$re" -v b="$rl" -v c="$ot" 'BEGIN { printf "%.1fx", (a + b) / c }')
  [ "$our_ck" = "$ref_ck" ] || { re_ratio=DIFFER; to_ratio=DIFFER; }
  printf '%-15s %8s | %8s %8s | %8s %8s | %6s %6s\n' "$name" "${our_ck%% *}" "$rl" "$re" "$ol" "$oe" "$re_ratio" "$to_ratio"
done
rm -f "$dir/tokenizer-ids.txt" "$dir/tokenizer-empty.txt"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
