#!/bin/sh
# pref-load.sh — pref-load throughput on an UltraFeedback-shaped file.
#
# Generates (once, cached in $PREFPIPE_BENCH_DIR) a JSON-lines file of
# >= 200 MB in the shape of openbmb/UltraFeedback (4 completions per
# prompt, per-aspect annotations with rationales, some "N/A" ratings,
# unicode and escapes), then times `pref-load --format ultrafeedback`
# (rated records) and `--pairs` on one core, beside a reference: the same
# conversion in Python (json.loads per line, as the paper's own scripts
# did).  Prints MB/s and the ratio.  Target: >= 100 MB/s.
set -eu
dir=${PREFPIPE_BENCH_DIR:-/tmp/prefpipe-bench}
mkdir -p "$dir"
data=$dir/ultrafeedback-bench.jsonl
mb=${PREFLOAD_BENCH_MB:-200}

if [ ! -s "$data" ] || [ "$(wc -c < "$data")" -lt $((mb * 1000000)) ]; then
  python3 - "$data" "$mb" <<'PY'
import json, random, sys
path, mb = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
models = ["gpt-4", "gpt-3.5-turbo", "wizardlm-70b", "bard", "vicuna-33b", "llama-2-70b-chat",
          "wizardlm-7b", "alpaca-7b", "pythia-12b", "falcon-40b-instruct", "starchat"]
sources = ["evol_instruct", "false_qa", "flan_v2_niv2", "sharegpt", "ultrachat", "truthful_qa"]
words = ("the model answer question data value system because which would could first "
         "réponse données naïve 数据 模型 \"quoted\" line\nbreak tab\there").split(" ")
def text(n):
    return " ".join(rng.choice(words) for _ in range(n))
target = mb * 1000000
size = 0
with open(path, "w") as f:
    i = 0
    while size < target:
        comps = []
        for m in rng.sample(models, 4):
            ann = {}
            for a in ("helpfulness", "honesty", "instruction_following", "truthfulness"):
                r = "N/A" if rng.random() < 0.03 else str(rng.randint(1, 5))
                ann[a] = {"Rating": r, "Rationale": text(40)}
            comps.append({"custom_system_prompt": text(10), "model": m, "principle": "helpfulness",
                          "response": text(rng.randint(80, 250)), "annotations": ann,
                          "critique": text(60), "overall_score": rng.randint(10, 100) / 10,
                          "fine-grained_score": rng.randint(10, 50) / 10})
        row = {"source": rng.choice(sources), "instruction": text(rng.randint(10, 60)),
               "models": [c["model"] for c in comps], "completions": comps,
               "correct_answers": ["None"], "incorrect_answers": ["None"]}
        line = json.dumps(row, ensure_ascii=False) + "\n"
        f.write(line)
        size += len(line.encode())
        i += 1
PY
fi

bytes=$(wc -c < "$data")
mbytes=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
# timed CMD...: run on core 0; sets $wall and $cpu (user + sys seconds).
# The machine may be shared, so both are reported: wall-clock MB/s, and
# MB/s per CPU-second (what one core does when it is not preempted).
timed() {
  /usr/bin/time -f '%e %U %S' -o "$dir/time.txt" taskset -c 0 "$@"
  read -r wall u s < "$dir/time.txt"
  cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')
}
rate() { awk -v b="$bytes" -v t="$1" 'BEGIN { printf "%.1f", b / 1e6 / t }'; }

cat "$data" > /dev/null   # warm the page cache
timed pref-load -f ultrafeedback "$data" > /dev/null 2> "$dir/pref-load.err"
aw=$(rate "$wall"); ac=$(rate "$cpu")
timed pref-load -f ultrafeedback --pairs "$data" > /dev/null 2>> "$dir/pref-load.err"
pw=$(rate "$wall"); pc=$(rate "$cpu")
cat > "$dir/reference.py" <<'PY'
import json, sys
out = sys.stdout
for line in open(sys.argv[1], encoding="utf-8"):
    row = json.loads(line)
    if row.get("source") == "truthful_qa":
        continue
    comps = []
    for c in row["completions"]:
        ratings = {}
        for a, v in c["annotations"].items():
            try:
                ratings[a] = float(v["Rating"])
            except ValueError:
                ratings[a] = None
        comps.append({"text": c["response"].strip(), "ratings": ratings,
                      "overall": c["overall_score"], "model": c["model"]})
    out.write(json.dumps({"prompt": [{"role": "user", "content": row["instruction"].strip()}],
                          "completions": comps, "source": "ultrafeedback"}) + "\n")
PY
timed python3 "$dir/reference.py" "$data" > /dev/null
rw=$(rate "$wall"); rc=$(rate "$cpu")
printf 'pref-load ultrafeedback, %s MB, one core (taskset -c 0)\n' "$mbytes"
printf '  %-30s %12s %14s\n' "" "wall MB/s" "MB/s per CPU-s"
printf '  %-30s %12s %14s\n' "pref-load (rated records)" "$aw" "$ac" "pref-load --pairs" "$pw" "$pc" "python json reference" "$rw" "$rc"
printf '  ratio prefpipe/reference (CPU): %s; target >= 100 MB/s\n' "$(awk -v a="$ac" -v r="$rc" 'BEGIN { printf "%.2fx", a / r }')"
tail -n 1 "$dir/pref-load.err"
