#!/usr/bin/env python3
"""alpaca-difficulty.py — a stand-in for AlpacaEval's instruction_difficulty.csv
(only on the Hugging Face hub) for the length-controlled fit of
`eval-score --task alpaca-eval --difficulty FILE`: from annotation files of
other models against the same baseline, difficulty_i = -mean over models of
logit(clip(p_i - 1, 0.01, 0.99)).  alpaca_eval's own difficulties come from a
fit over many more models, so these are noisier (the LC gap in the report).

usage: alpaca-difficulty.py ANNOTATIONS.json[.gz]... > difficulty.jsonl
"""
import gzip, json, math, sys

sums, counts, order = {}, {}, []
for path in sys.argv[1:]:
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rt", encoding="utf-8") as f:
        for a in json.load(f):
            p = float(a["preference"])
            p = 0.5 if p == 0 else p - 1
            p = min(max(p, 0.01), 0.99)
            k = a["instruction"]
            if k not in sums:
                sums[k], counts[k] = 0.0, 0
                order.append(k)
            sums[k] += -math.log(p / (1 - p))
            counts[k] += 1
for k in order:
    print(json.dumps({"instruction": k, "difficulty": sums[k] / counts[k]}))
