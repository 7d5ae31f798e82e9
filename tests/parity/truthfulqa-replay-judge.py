#!/usr/bin/env python3
"""truthfulqa-replay-judge.py — a judge for `eval-score --task truthfulqa
--judge` that replays the labels of the official GPT-judge training files
instead of calling the fine-tuned GPT-3 judges: JSON lines in (rec
to-json), the same lines out with scores.truth = (finetune_truth's
completion for judge_truth_prompt == " yes") and scores.info = 0.9 or 0.1
(a probability, as a model judge would give) from finetune_info.

A prompt missing from its file means eval-score built it differently from
the format the judges were trained on: exit 2 naming the record.

usage: truthfulqa-replay-judge.py finetune_truth.jsonl[.gz] finetune_info.jsonl[.gz]
"""
import gzip, json, sys


def labels(path):
    f = gzip.open(path, "rt", encoding="utf-8") if path.endswith(".gz") else open(path, encoding="utf-8")
    return {e["prompt"]: e["completion"] == " yes" for e in map(json.loads, f)}


truth, info = labels(sys.argv[1]), labels(sys.argv[2])
for line in sys.stdin:
    r = json.loads(line)
    t, i = r.get("judge_truth_prompt"), r.get("judge_info_prompt")
    if t not in truth or i not in info:
        sys.exit("replay judge: record %s: judge prompt not in the training files: %r" % (r.get("id"), t))
    s = r.setdefault("scores", {})
    s["truth"] = truth[t]
    s["info"] = 0.9 if info[i] else 0.1
    print(json.dumps(r, ensure_ascii=False))
