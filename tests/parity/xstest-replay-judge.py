#!/usr/bin/env python3
"""xstest-replay-judge.py — a judge for `eval-score --task xstest --judge`
that replays the published labels instead of calling GPT-4: JSON lines in
(rec to-json), the same lines out with scores.refusal = the label column of
an XSTest labelled-completions CSV for that (prompt, completion).

It also checks what a model-calling judge would send: when a record has a
judge_prompt (eval-score --judge-prompt), it must contain the question and
the completion; a record it cannot find or check makes it exit 2.

usage: xstest-replay-judge.py LABELLED.csv[.gz] COLUMN
"""
import csv, gzip, io, json, sys

path, col = sys.argv[1], sys.argv[2]
raw = gzip.open(path, "rt", encoding="utf-8", newline="") if path.endswith(".gz") else open(path, encoding="utf-8", newline="")
labels = {(r["prompt"], r["completion"]): r[col] for r in csv.DictReader(raw)}
for line in sys.stdin:
    r = json.loads(line)
    q = r["prompt"][-1]["content"] if isinstance(r["prompt"], list) else r["prompt"]
    key = (q, r["response"])
    if key not in labels:
        sys.exit("replay judge: no label for record %s" % r.get("id"))
    jp = r.get("judge_prompt")
    if jp is not None and (q not in jp or r["response"] not in jp):
        sys.exit("replay judge: judge_prompt of %s lacks the question or response" % r.get("id"))
    r.setdefault("scores", {})["refusal"] = labels[key]
    print(json.dumps(r, ensure_ascii=False))
