#!/usr/bin/python3
"""prep.py — helpers for the llama.cpp parity check (run.sh).

    prep.py reweight DIR SEED [EPS]   replace DIR's weights with larger
                                      random ones; set rms_norm_eps = EPS
    prep.py seqs VOCAB SEED LEN...    JSON lines {"id", "tokens"} of random
                                      ids in [0, VOCAB), one per LEN
    prep.py compare OURS THEIRS TOL   max |ours - theirs| over all scored
                                      tokens; exit 1 when above TOL

Why reweight: lm-init draws weights from N(0, 0.02), which makes every
next-token distribution nearly uniform (log-probs all close to -log V) and
attention nearly uniform, so conventions that differ (RoPE pairing, the
attention scale, which side of the norm the weight is on, GQA head
grouping) would change log-probs by far less than the tolerance and a
broken model could pass.  The replacement weights are drawn so activations
are O(1): linear layers N(0, 1/fan_in) (q and k x1.5 for peaked
attention), RMSNorm weights uniform in [0.5, 1.5] (so a missing or
misplaced norm weight shows), embeddings N(0, 0.3^2) and an untied head
N(0, 1.5^2/dim), giving logits with a spread of a few nats.  The tensor
names, shapes, order and the F32 dtype are those lm-init wrote; only values
change, and both sides read the same file.

compare: OURS is lm-logprob's output as JSON lines (field "logprobs", the
first token 0 by definition); THEIRS is llama-logprob.mjs's output (field
"logprobs", null for the first token).  Records are matched by id and the
first token of each is skipped.
"""
import json
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hf2gguf import read_safetensors, write_safetensors  # noqa: E402


def reweight(ckdir, seed, eps=None):
    path = os.path.join(ckdir, "model.safetensors")
    cfg_path = os.path.join(ckdir, "config.json")
    W = read_safetensors(path)
    rng = np.random.default_rng(seed)
    out = {}
    for name, w in W.items():
        if name.endswith("norm.weight"):
            new = rng.uniform(0.5, 1.5, w.shape)
        elif name == "model.embed_tokens.weight":
            new = rng.normal(0.0, 0.3, w.shape)
        elif name == "lm_head.weight":
            new = rng.normal(0.0, 1.5 / np.sqrt(w.shape[1]), w.shape)
        elif w.ndim == 2:
            scale = 1.5 if (".q_proj." in name or ".k_proj." in name) else 1.0
            new = rng.normal(0.0, scale / np.sqrt(w.shape[1]), w.shape)
        else:
            raise SystemExit(f"{ckdir}: unexpected tensor {name} {w.shape}")
        out[name] = new.astype(np.float32)
    write_safetensors(path, out)
    if eps is not None:
        cfg = json.load(open(cfg_path))
        cfg["rms_norm_eps"] = float(eps)
        with open(cfg_path + ".tmp", "w") as f:
            json.dump(cfg, f, indent=2)
        os.replace(cfg_path + ".tmp", cfg_path)


def seqs(vocab, seed, lens):
    rng = np.random.default_rng(seed)
    for k, n in enumerate(lens):
        print(json.dumps({"id": f"s{k}", "tokens": [int(t) for t in rng.integers(0, vocab, n)]}))


def load(path):
    recs = {}
    for line in open(path):
        if line.strip():
            r = json.loads(line)
            recs[r["id"]] = r
    return recs


def compare(ours_path, theirs_path, tol):
    ours, theirs = load(ours_path), load(theirs_path)
    if set(ours) != set(theirs) or not ours:
        print(f"record ids differ: {sorted(ours)} vs {sorted(theirs)}")
        return 1
    worst, n, mean_lp = 0.0, 0, 0.0
    for rid, a in ours.items():
        b = theirs[rid]
        if a["tokens"] != b["tokens"] or len(a["logprobs"]) != len(b["logprobs"]):
            print(f"{rid}: token sequences differ")
            return 1
        x = np.array(a["logprobs"][1:], dtype=np.float64)
        y = np.array(b["logprobs"][1:], dtype=np.float64)
        worst = max(worst, float(np.max(np.abs(x - y))))
        n += len(x)
        mean_lp += float(np.sum(y))
    print(f"max_abs_diff={worst:.3e} tokens={n} mean_logprob={mean_lp / n:.3f} "
          f"{'ok' if worst <= tol else 'MISMATCH'}")
    return 0 if worst <= tol else 1


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[:1] == ["reweight"] and len(a) in (3, 4):
        reweight(a[1], int(a[2]), float(a[3]) if len(a) == 4 else None)
    elif a[:1] == ["seqs"] and len(a) >= 4:
        seqs(int(a[1]), int(a[2]), [int(x) for x in a[3:]])
    elif a[:1] == ["compare"] and len(a) == 4:
        sys.exit(compare(a[1], a[2], float(a[3])))
    else:
        raise SystemExit(__doc__)
