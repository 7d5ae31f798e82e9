#!/usr/bin/python3
"""families_ref.py — independent PyTorch references for the model families
prefpipe runs besides Llama, and the parity fixtures made from them.

Each family is written here from its published architecture description
(the Hugging Face transformers model documentation and configuration
classes), not from prefpipe's C code and not copied from transformers:

  mistral  Llama's block; attention limited to keys less than
           `sliding_window` positions back (query i sees key j when
           0 <= i - j < window)
  qwen2    Llama's block with biases on the q, k and v projections
  qwen3    Llama's block; q and k pass a per-head RMSNorm (weight
           [head_dim]) before the rotary embedding
  olmo2    no norm before attention or MLP; their outputs pass an RMSNorm
           (post_attention_layernorm, post_feedforward_layernorm) before
           the residual add; q and k pass an RMSNorm over the whole
           projection before the rotary embedding
  gemma    embeddings times sqrt(hidden_size) (a float32 constant); every
           RMSNorm multiplies by (1 + weight); the MLP is
           gelu_tanh(gate) * up; head_dim from the config; tied embeddings

Everything is computed in float64 from the stored (float32) weights, so
the reference is the exact function, not one rounding of it.

Fixtures (tests/fixtures/model/families, checked by
tests/unit/train/test_family_parity.c without torch):
  NAME/config.json, NAME/model.safetensors   a tiny random model
  expected.json   {"sequences": [...], NAME: {"logprobs": [[...]...] or
                  "rewards": [...], "grad": {tensor: [norm, dot]}}}
where grad is the gradient of  sum over sequences of (sum_t logp_t) for a
causal LM, or of the sum of rewards for a reward model, per tensor: its
L2 norm and its dot product with c_i = (i mod 13) - 6 over the flat
(row-major) index i.

Use: /usr/bin/python3 tests/parity/families_ref.py fixtures OUTDIR
(Debian's python3-torch).
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from llama_ref import st_read, st_write  # noqa: E402  (the project's plain safetensors io)

DT = torch.float64


def read_config(d):
    c = json.load(open(os.path.join(d, "config.json")))
    fam = c["model_type"]
    H = c["num_attention_heads"]
    default_hd = {"qwen3": 128, "gemma": 256}.get(fam, c["hidden_size"] // H)
    tied_default = fam == "gemma"
    return {
        "fam": fam, "D": c["hidden_size"], "L": c["num_hidden_layers"], "H": H,
        "KV": c.get("num_key_value_heads") or H, "hd": c.get("head_dim") or default_hd,
        "F": c["intermediate_size"], "V": c["vocab_size"],
        "eps": c.get("rms_norm_eps", 1e-5 if fam == "olmo2" else 1e-6),
        "theta": c.get("rope_theta", 10000.0),
        "window": c.get("sliding_window") if fam == "mistral" else None,
        "tied": c.get("tie_word_embeddings", tied_default),
        "reward": c["architectures"][0].endswith("ForSequenceClassification"),
    }


def norm(x, w, eps, offset):
    y = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    return y * (1.0 + w) if offset else y * w


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def rope(x, T, hd, theta):
    """x [heads, T, hd]; pairs (i, i + hd/2) rotated by pos * theta^(-2i/hd)."""
    inv = theta ** (-torch.arange(0, hd // 2, dtype=DT) * 2.0 / hd)
    ang = torch.arange(T, dtype=DT)[:, None] * inv[None, :]
    cos, sin = torch.cos(ang), torch.sin(ang)
    a, b = x[..., : hd // 2], x[..., hd // 2:]
    return torch.cat((a * cos - b * sin, b * cos + a * sin), dim=-1)


def hidden(cfg, W, ids):
    fam, T, H, KV, hd, D = cfg["fam"], len(ids), cfg["H"], cfg["KV"], cfg["hd"], cfg["D"]
    eps, gem = cfg["eps"], fam == "gemma"
    x = W["model.embed_tokens.weight"][torch.tensor(ids)]
    if gem:
        x = x * float(torch.tensor(D ** 0.5, dtype=torch.float32))
    i = torch.arange(T)[:, None]
    j = torch.arange(T)[None, :]
    allowed = j <= i
    if cfg["window"]:
        allowed = allowed & (i - j < cfg["window"])
    for layer in range(cfg["L"]):
        p = "model.layers.%d." % layer

        def lin(h, name, bias=False):
            y = h @ W[p + name + ".weight"].T
            return y + W[p + name + ".bias"] if bias else y

        h = x if fam == "olmo2" else norm(x, W[p + "input_layernorm.weight"], eps, gem)
        q = lin(h, "self_attn.q_proj", fam == "qwen2")
        k = lin(h, "self_attn.k_proj", fam == "qwen2")
        v = lin(h, "self_attn.v_proj", fam == "qwen2")
        if fam == "olmo2":
            q = norm(q, W[p + "self_attn.q_norm.weight"], eps, False)
            k = norm(k, W[p + "self_attn.k_norm.weight"], eps, False)
        q = q.view(T, H, hd).transpose(0, 1)
        k = k.view(T, KV, hd).transpose(0, 1)
        v = v.view(T, KV, hd).transpose(0, 1)
        if fam == "qwen3":
            q = norm(q, W[p + "self_attn.q_norm.weight"], eps, False)
            k = norm(k, W[p + "self_attn.k_norm.weight"], eps, False)
        q, k = rope(q, T, hd, cfg["theta"]), rope(k, T, hd, cfg["theta"])
        k = k.repeat_interleave(H // KV, dim=0)
        v = v.repeat_interleave(H // KV, dim=0)
        s = (q @ k.transpose(1, 2)) / math.sqrt(hd)
        s = s.masked_fill(~allowed, float("-inf"))
        o = (torch.softmax(s, dim=-1) @ v).transpose(0, 1).reshape(T, H * hd)
        o = lin(o, "self_attn.o_proj")
        if fam == "olmo2":
            x = x + norm(o, W[p + "post_attention_layernorm.weight"], eps, False)
            m = x
        else:
            x = x + o
            m = norm(x, W[p + "post_attention_layernorm.weight"], eps, gem)
        act = gelu_tanh if gem else torch.nn.functional.silu
        y = lin(act(lin(m, "mlp.gate_proj")) * lin(m, "mlp.up_proj"), "mlp.down_proj")
        if fam == "olmo2":
            x = x + norm(y, W[p + "post_feedforward_layernorm.weight"], eps, False)
        else:
            x = x + y
    return norm(x, W["model.norm.weight"], eps, gem)


def logprobs(cfg, W, ids):
    h = hidden(cfg, W, ids)
    lm = W["model.embed_tokens.weight"] if cfg["tied"] else W["lm_head.weight"]
    lp = torch.log_softmax(h @ lm.T, dim=-1)
    return torch.stack([torch.zeros((), dtype=DT)] + [lp[t - 1, ids[t]] for t in range(1, len(ids))])


def reward(cfg, W, ids):
    return hidden(cfg, W, ids)[-1] @ W["score.weight"][0]


def make_weights(cfg, gen, std=0.2):
    fam, D, F, V, H, KV, hd = cfg["fam"], cfg["D"], cfg["F"], cfg["V"], cfg["H"], cfg["KV"], cfg["hd"]
    r = lambda *s: torch.randn(*s, generator=gen) * std   # noqa: E731
    nw = (lambda n: r(n)) if fam == "gemma" else (lambda n: 1 + r(n))   # gemma stores w of (1 + w)
    W = [("model.embed_tokens.weight", r(V, D))]
    for layer in range(cfg["L"]):
        p = "model.layers.%d." % layer
        if fam != "olmo2":
            W.append((p + "input_layernorm.weight", nw(D)))
        for name, rows in (("q", H * hd), ("k", KV * hd), ("v", KV * hd)):
            W.append((p + "self_attn.%s_proj.weight" % name, r(rows, D)))
            if fam == "qwen2":
                W.append((p + "self_attn.%s_proj.bias" % name, r(rows)))
        W.append((p + "self_attn.o_proj.weight", r(D, H * hd)))
        if fam == "qwen3":
            W += [(p + "self_attn.q_norm.weight", nw(hd)), (p + "self_attn.k_norm.weight", nw(hd))]
        if fam == "olmo2":
            W += [(p + "self_attn.q_norm.weight", nw(H * hd)), (p + "self_attn.k_norm.weight", nw(KV * hd))]
        W.append((p + "post_attention_layernorm.weight", nw(D)))
        if fam == "olmo2":
            W.append((p + "post_feedforward_layernorm.weight", nw(D)))
        W += [(p + "mlp.gate_proj.weight", r(F, D)), (p + "mlp.up_proj.weight", r(F, D)),
              (p + "mlp.down_proj.weight", r(D, F))]
    W.append(("model.norm.weight", nw(D)))
    if cfg["reward"]:
        W.append(("score.weight", r(1, D)))
    elif not cfg["tied"]:
        W.append(("lm_head.weight", r(V, D)))
    return W


BASE = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "vocab_size": 300, "max_position_embeddings": 128,
        "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "torch_dtype": "float32"}


def configs():
    """(name, config.json) for each fixture: what the real families' files carry."""
    return [
        ("mistral", dict(BASE, architectures=["MistralForCausalLM"], model_type="mistral", head_dim=12,
                         sliding_window=4096, hidden_act="silu", tie_word_embeddings=False)),
        ("qwen2", dict(BASE, architectures=["Qwen2ForCausalLM"], model_type="qwen2", hidden_act="silu",
                       tie_word_embeddings=True, use_sliding_window=False, sliding_window=32768,
                       max_window_layers=21, rope_theta=1000000.0)),
        ("qwen2-reward", dict(BASE, architectures=["Qwen2ForSequenceClassification"], model_type="qwen2",
                              hidden_act="silu", tie_word_embeddings=False, use_sliding_window=False,
                              num_labels=1, pad_token_id=299)),
        ("qwen3", dict(BASE, architectures=["Qwen3ForCausalLM"], model_type="qwen3", head_dim=12,
                       attention_bias=False, hidden_act="silu", tie_word_embeddings=False,
                       use_sliding_window=False, rope_theta=1000000.0)),
        ("olmo2", dict(BASE, architectures=["Olmo2ForCausalLM"], model_type="olmo2", attention_bias=False,
                       hidden_act="silu", tie_word_embeddings=False, rms_norm_eps=1e-5, rope_theta=500000.0)),
        ("gemma", dict(BASE, architectures=["GemmaForCausalLM"], model_type="gemma", head_dim=16,
                       num_key_value_heads=1, hidden_act="gelu", hidden_activation="gelu_pytorch_tanh",
                       attention_bias=False)),
    ]


def grad_checksum(g):
    g = g.reshape(-1)
    c = (torch.arange(g.numel()) % 13 - 6).to(DT)
    return [float(g.norm()), float((g * c).sum())]


def fixtures(out):
    gen = torch.Generator().manual_seed(1818)
    seqs = [[257, 10, 104, 105, 10, 258, 10, 121, 111, 259],
            [72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100, 33, 299, 0, 5]]
    expected = {}
    for name, cj in configs():
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cj, f, indent=1)
        cfg = read_config(d)
        st_write(os.path.join(d, "model.safetensors"), make_weights(cfg, gen))
        W = {k: v.to(DT).requires_grad_(True) for k, v in st_read(os.path.join(d, "model.safetensors")).items()}
        e = {}
        if cfg["reward"]:
            rs = [reward(cfg, W, s) for s in seqs]
            e["rewards"] = [float(x) for x in rs]
            total = sum(rs)
        else:
            lps = [logprobs(cfg, W, s) for s in seqs]
            e["logprobs"] = [[float(x) for x in lp] for lp in lps]
            total = sum(lp.sum() for lp in lps)
        total.backward()
        e["grad"] = {k: grad_checksum(v.grad) for k, v in W.items()}
        expected[name] = e
    expected["sequences"] = seqs
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "fixtures":
        fixtures(sys.argv[2])
    else:
        sys.stderr.write(__doc__)
        sys.exit(64)


if __name__ == "__main__":
    main()
