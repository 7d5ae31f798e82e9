#!/usr/bin/python3
"""llama_ref.py — an independent PyTorch implementation of the Llama
forward pass as Hugging Face transformers computes it (RMSNorm in fp32,
rotate_half rotary embeddings with inv_freq = theta^(-2i/d), grouped-query
attention with repeat_kv, SwiGLU, final norm, LM head or score head), plus
a plain safetensors reader/writer (struct + json).  Written from the
architecture description, not copied from transformers.

Uses:
  llama_ref.py fixtures OUTDIR      write the parity fixtures used by
                                    tests/unit/test_checkpoint_parity.c
  llama_ref.py logprobs DIR IDS...  per-token log-probs of one sequence under
                                    the checkpoint DIR (e.g. one written by
                                    lm-init), one per line
Run with Debian's python3-torch: /usr/bin/python3.
"""
import json
import math
import os
import struct
import sys

import torch

DT = {"F32": (torch.float32, 4), "F16": (torch.float16, 2), "BF16": (torch.bfloat16, 2)}


def st_write(path, tensors, dtype="F32"):
    """tensors: list of (name, fp32 tensor); stored as dtype."""
    tdt, size = DT[dtype]
    header, blobs, off = {}, [], 0
    for name, t in tensors:
        t = t.detach().to(tdt).contiguous()
        raw = t.view(torch.int16 if size == 2 else torch.int32).numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def st_read(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        tdt, size = DT[e["dtype"]]
        b, end = e["data_offsets"]
        raw = bytearray(data[8 + n + b: 8 + n + end])
        itype = torch.int16 if size == 2 else torch.int32
        t = torch.frombuffer(raw, dtype=itype).view(tdt) if raw else torch.zeros(0, dtype=tdt)
        out[name] = t.reshape(e["shape"]).float()
    return out


def load_config(d):
    c = json.load(open(os.path.join(d, "config.json")))
    H = c["num_attention_heads"]
    theta = c.get("rope_theta")
    if theta is None:
        theta = c.get("rope_parameters", {}).get("rope_theta", 10000.0)
    return {
        "D": c["hidden_size"], "L": c["num_hidden_layers"], "H": H,
        "KV": c.get("num_key_value_heads") or H, "hd": c.get("head_dim") or c["hidden_size"] // H,
        "F": c["intermediate_size"], "V": c["vocab_size"], "eps": c.get("rms_norm_eps", 1e-6),
        "theta": theta, "tied": c.get("tie_word_embeddings", False),
        "reward": c["architectures"][0] == "LlamaForSequenceClassification",
    }


def rmsnorm(x, w, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def forward(cfg, W, ids):
    """ids: list of ints (one unpadded sequence).  Returns final hidden [T, D]
    after the last norm."""
    T, hd, H, KV = len(ids), cfg["hd"], cfg["H"], cfg["KV"]
    x = W["model.embed_tokens.weight"][torch.tensor(ids)]
    inv = 1.0 / (cfg["theta"] ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    pos = torch.arange(T).float()
    freqs = pos[:, None] * inv[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    mask = torch.full((T, T), float("-inf")).triu(1)
    for l in range(cfg["L"]):
        p = "model.layers.%d." % l
        h = rmsnorm(x, W[p + "input_layernorm.weight"], cfg["eps"])
        q = (h @ W[p + "self_attn.q_proj.weight"].T).view(T, H, hd).transpose(0, 1)
        k = (h @ W[p + "self_attn.k_proj.weight"].T).view(T, KV, hd).transpose(0, 1)
        v = (h @ W[p + "self_attn.v_proj.weight"].T).view(T, KV, hd).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // KV, dim=0)
        v = v.repeat_interleave(H // KV, dim=0)
        att = (q @ k.transpose(1, 2)) / math.sqrt(hd) + mask
        att = torch.softmax(att.float(), dim=-1)
        o = (att @ v).transpose(0, 1).reshape(T, H * hd)
        x = x + o @ W[p + "self_attn.o_proj.weight"].T
        h = rmsnorm(x, W[p + "post_attention_layernorm.weight"], cfg["eps"])
        g = h @ W[p + "mlp.gate_proj.weight"].T
        u = h @ W[p + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(g) * u) @ W[p + "mlp.down_proj.weight"].T
    return rmsnorm(x, W["model.norm.weight"], cfg["eps"])


def logprobs(cfg, W, ids):
    h = forward(cfg, W, ids)
    lm = W["model.embed_tokens.weight"] if cfg["tied"] and "lm_head.weight" not in W else W["lm_head.weight"]
    lp = torch.log_softmax(h @ lm.T, dim=-1)
    return [0.0] + [lp[t - 1, ids[t]].item() for t in range(1, len(ids))]


def reward(cfg, W, ids):
    return (forward(cfg, W, ids)[-1] @ W["score.weight"][0]).item()


def make_weights(cfg, gen, std=0.2, score=False, lm_head=True):
    D, F, V, H, KV, hd = cfg["D"], cfg["F"], cfg["V"], cfg["H"], cfg["KV"], cfg["hd"]
    r = lambda *s: torch.randn(*s, generator=gen) * std
    W = [("model.embed_tokens.weight", r(V, D))]
    for l in range(cfg["L"]):
        p = "model.layers.%d." % l
        W += [(p + "input_layernorm.weight", 1 + r(D)), (p + "self_attn.q_proj.weight", r(H * hd, D)),
              (p + "self_attn.k_proj.weight", r(KV * hd, D)), (p + "self_attn.v_proj.weight", r(KV * hd, D)),
              (p + "self_attn.o_proj.weight", r(D, H * hd)), (p + "post_attention_layernorm.weight", 1 + r(D)),
              (p + "mlp.gate_proj.weight", r(F, D)), (p + "mlp.up_proj.weight", r(F, D)),
              (p + "mlp.down_proj.weight", r(D, F))]
    W.append(("model.norm.weight", 1 + r(D)))
    if lm_head and not cfg["tied"]:
        W.append(("lm_head.weight", r(V, D)))
    if score:
        W.append(("score.weight", r(1, D)))
    return W


def fixtures(out):
    gen = torch.Generator().manual_seed(1234)
    seqs = [[257, 10, 104, 105, 10, 258, 10, 121, 111, 259],
            [72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100, 33, 299, 0, 5]]
    expected = {}
    tok = None
    # (a) transformers 5.x config: GQA, head_dim != hidden/heads, untied, theta 5e5
    a_cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 32,
             "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
             "num_key_value_heads": 2, "head_dim": 12, "vocab_size": 300, "rms_norm_eps": 1e-6,
             "rope_parameters": {"rope_type": "default", "rope_theta": 500000.0},
             "max_position_embeddings": 128, "tie_word_embeddings": False, "hidden_act": "silu",
             "attention_bias": False, "mlp_bias": False, "dtype": "float32",
             "some_new_option": {"x": [1, 2]}}
    # (b) transformers 4.x config: reward model, multi-head, extra inv_freq buffer
    b_cfg = {"architectures": ["LlamaForSequenceClassification"], "model_type": "llama",
             "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 300,
             "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "rope_scaling": None,
             "max_position_embeddings": 128, "tie_word_embeddings": False, "pad_token_id": 260,
             "id2label": {"0": "LABEL_0"}, "label2id": {"LABEL_0": 0}, "torch_dtype": "float32",
             "pretraining_tp": 1}
    # (c) tied causal LM without lm_head.weight, multi-query, stored as fp16 / bf16
    c_cfg = dict(a_cfg, num_key_value_heads=1, head_dim=8, tie_word_embeddings=True)
    c_cfg.pop("rope_parameters")
    c_cfg["rope_theta"] = 10000.0
    for name, cfgj, dtype in [("llama-gqa-f32", a_cfg, "F32"), ("llama-reward-f32", b_cfg, "F32"),
                              ("llama-tied-f16", c_cfg, "F16"), ("llama-tied-bf16", c_cfg, "BF16")]:
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        json.dump(cfgj, open(os.path.join(d, "config.json"), "w"), indent=1)
        cfg = load_config(d)
        W = make_weights(cfg, gen, score=cfg["reward"], lm_head=not cfg["reward"])
        if cfg["reward"]:
            W.append(("model.layers.0.self_attn.rotary_emb.inv_freq", torch.ones(6)))
        st_write(os.path.join(d, "model.safetensors"), W, dtype)
        Wd = st_read(os.path.join(d, "model.safetensors"))   # the rounded weights
        if cfg["reward"]:
            expected[name] = {"rewards": [reward(cfg, Wd, s) for s in seqs]}
        else:
            expected[name] = {"logprobs": [logprobs(cfg, Wd, s) for s in seqs]}
    expected["sequences"] = seqs
    json.dump(expected, open(os.path.join(out, "expected.json"), "w"), indent=1)


def main():
    torch.set_grad_enabled(False)
    if len(sys.argv) >= 3 and sys.argv[1] == "fixtures":
        fixtures(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "logprobs":
        d = sys.argv[2]
        cfg, W = load_config(d), st_read(os.path.join(d, "model.safetensors"))
        for v in logprobs(cfg, W, [int(x) for x in sys.argv[3:]]):
            print("%.7g" % v)
    else:
        sys.stderr.write(__doc__)
        sys.exit(64)


if __name__ == "__main__":
    main()
