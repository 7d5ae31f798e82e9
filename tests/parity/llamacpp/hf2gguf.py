#!/usr/bin/python3
"""hf2gguf.py — convert a prefpipe / Hugging Face Llama checkpoint directory
(config.json + model.safetensors + tokenizer.json, F32 tensors) into a GGUF
v3 file with F32 tensors that llama.cpp loads as architecture "llama".

    hf2gguf.py [--control-no-rope-permute] [--control-eps X] CHECKPOINT_DIR OUT.gguf

The --control-* options deliberately break the conversion; run.sh uses them
as negative controls to show that the comparison detects a RoPE pairing
mismatch and a wrong RMSNorm epsilon (i.e. that the test can fail).

Purpose: tests/parity/llamacpp/run.sh feeds the same token ids to prefpipe's
lm-logprob and to llama.cpp (through node-llama-cpp) and compares per-token
log-probs.  llama.cpp shares no code with prefpipe; the only shared
artefacts are the weights and this file's mapping of names and layouts, so
the check is independent of prefpipe's own maths as long as this converter
does nothing but (1) rename tensors, (2) reorder rows of q_proj/k_proj for
llama.cpp's RoPE pairing (below) and (3) restate config.json as GGUF
metadata.  No arithmetic is done on any weight value.

Written from the GGUF format description (no code copied):
  header   : magic "GGUF" (4 bytes), u32 version (3), u64 tensor count,
             u64 metadata kv count
  kv pair  : string key, u32 value type, value
             (string = u64 byte length + UTF-8 bytes, no NUL;
              array  = u32 element type + u64 count + elements)
  tensor   : string name, u32 n_dims, u64 dims[n_dims] in ggml order
             (ne[0] is the fastest-varying, i.e. a row-major numpy array of
             shape (a, b) is ne = [b, a]), u32 ggml type (0 = F32),
             u64 offset of the data relative to the start of the data
             section, a multiple of general.alignment
  then zero padding up to general.alignment (32) and the data section.
All integers little-endian.

Invariants checked here: every tensor in the safetensors file is used
exactly once; shapes match config.json; the dtype is F32.

RoPE row permutation (the one layout change).  Hugging Face Llama applies
rotary embeddings with rotate_half: within one head of size hd, element i
(i < hd/2) is rotated together with element i + hd/2 by the angle
pos * theta^(-2i/hd).  llama.cpp's "llama" architecture uses ggml's normal
RoPE mode, which rotates ADJACENT elements (2i, 2i+1) by
pos * theta^(-2i/hd) — the same frequency for pair index i, but a
different placement of the pair.  Because q_proj/k_proj rows produce the
head elements one row each, we can move HF's pair (i, i + hd/2) to the
adjacent slots (2i, 2i+1) by permuting rows within every head:
    gguf_row[h*hd + 2i + j] = hf_row[h*hd + j*(hd/2) + i],  j in {0, 1}
i.e. reshape (heads, 2, hd/2, in) -> swap axes 1,2 -> (heads, hd/2, 2, in).
The rotation of each pair is then identical (x_i cos - x_{i+hd/2} sin
becomes x_{2i} cos - x_{2i+1} sin, and likewise for the second member).
q and k are permuted identically per head, so q.k (a sum over the head
elements) is unchanged; v_proj and o_proj are untouched, so the attention
output is exactly the HF one.  k_proj uses its own head count (kv heads).
"""
import json
import os
import struct
import sys

import numpy as np

GGUF_MAGIC = b"GGUF"
GGUF_VERSION = 3
ALIGN = 32

# GGUF metadata value types
T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY = 4, 5, 6, 7, 8, 9
GGML_F32 = 0

# llama.cpp token types (tokenizer.ggml.token_type)
TOK_NORMAL, TOK_CONTROL, TOK_UNUSED = 1, 3, 5


def read_safetensors(path):
    """name -> float32 numpy array (row-major, safetensors shape)."""
    with open(path, "rb") as f:
        blob = f.read()
    (hlen,) = struct.unpack_from("<Q", blob, 0)
    header = json.loads(blob[8:8 + hlen])
    base = 8 + hlen
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise SystemExit(f"{path}: {name}: dtype {info['dtype']}, only F32 is supported")
        a, b = info["data_offsets"]
        arr = np.frombuffer(blob, dtype="<f4", count=(b - a) // 4, offset=base + a)
        out[name] = arr.reshape(info["shape"]).copy()
    return out


def write_safetensors(path, tensors):
    """Write name -> float32 array in the given order (used by prep.py)."""
    header, off = {"__metadata__": {"format": "pt"}}, 0
    for name, arr in tensors.items():
        n = arr.size * 4
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [off, off + n]}
        off += n
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for arr in tensors.values():
            f.write(np.ascontiguousarray(arr, dtype="<f4").tobytes())
    os.replace(tmp, path)


def rope_rows_hf_to_adjacent(w, n_heads, hd, permute=True):
    """Row permutation described in the module docstring."""
    if not permute:
        return w
    rows, cols = w.shape
    assert rows == n_heads * hd and hd % 2 == 0, (w.shape, n_heads, hd)
    return (w.reshape(n_heads, 2, hd // 2, cols)
             .transpose(0, 2, 1, 3)
             .reshape(rows, cols))


class GGUFWriter:
    def __init__(self):
        self.kv = []       # (key, encoded type+value)
        self.tensors = []  # (name, array)

    @staticmethod
    def _str(s):
        b = s.encode("utf-8")
        return struct.pack("<Q", len(b)) + b

    def u32(self, key, v):
        self.kv.append((key, struct.pack("<I", T_UINT32) + struct.pack("<I", v)))

    def i32(self, key, v):
        self.kv.append((key, struct.pack("<I", T_INT32) + struct.pack("<i", v)))

    def f32(self, key, v):
        self.kv.append((key, struct.pack("<I", T_FLOAT32) + struct.pack("<f", v)))

    def boolean(self, key, v):
        self.kv.append((key, struct.pack("<I", T_BOOL) + struct.pack("<B", 1 if v else 0)))

    def string(self, key, v):
        self.kv.append((key, struct.pack("<I", T_STRING) + self._str(v)))

    def str_array(self, key, items):
        body = struct.pack("<IQ", T_STRING, len(items)) + b"".join(self._str(s) for s in items)
        self.kv.append((key, struct.pack("<I", T_ARRAY) + body))

    def i32_array(self, key, items):
        body = struct.pack("<IQ", T_INT32, len(items)) + struct.pack(f"<{len(items)}i", *items)
        self.kv.append((key, struct.pack("<I", T_ARRAY) + body))

    def f32_array(self, key, items):
        body = struct.pack("<IQ", T_FLOAT32, len(items)) + struct.pack(f"<{len(items)}f", *items)
        self.kv.append((key, struct.pack("<I", T_ARRAY) + body))

    def tensor(self, name, arr):
        self.tensors.append((name, np.ascontiguousarray(arr, dtype="<f4")))

    def write(self, path):
        out = bytearray()
        out += GGUF_MAGIC + struct.pack("<IQQ", GGUF_VERSION, len(self.tensors), len(self.kv))
        for key, val in self.kv:
            out += self._str(key) + val
        off = 0
        for name, arr in self.tensors:
            ne = list(reversed(arr.shape))  # ggml order: fastest-varying first
            out += self._str(name) + struct.pack("<I", len(ne))
            out += struct.pack(f"<{len(ne)}Q", *ne)
            out += struct.pack("<IQ", GGML_F32, off)
            off += arr.nbytes + (-arr.nbytes % ALIGN)
        out += b"\0" * (-len(out) % ALIGN)
        for name, arr in self.tensors:
            out += arr.tobytes()
            out += b"\0" * (-arr.nbytes % ALIGN)
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(out)
        os.replace(tmp, path)


def vocab_tokens(ckdir, n_vocab):
    """Token strings and types for the GGUF vocabulary.

    prefpipe's byte tokenizer is a GPT-2 style byte-level BPE (256 byte
    symbols, no merges) plus added special tokens, so it maps directly onto
    llama.cpp's "gpt2" vocabulary type with an empty merge list.  Ids beyond
    the tokenizer (config vocab_size may be larger) become unused
    placeholders.  Only token ids are ever fed to llama.cpp; the strings
    matter only for llama.cpp to accept the model."""
    tok = json.load(open(os.path.join(ckdir, "tokenizer.json")))
    model = tok["model"]
    if model.get("type") != "BPE":
        raise SystemExit(f"{ckdir}: tokenizer model {model.get('type')}: only byte-level BPE is supported")
    strings = [None] * n_vocab
    types = [TOK_UNUSED] * n_vocab
    for s, i in model["vocab"].items():
        if i < n_vocab:
            strings[i], types[i] = s, TOK_NORMAL
    for a in tok.get("added_tokens", []):
        if a["id"] < n_vocab:
            strings[a["id"]] = a["content"]
            types[a["id"]] = TOK_CONTROL if a.get("special") else TOK_NORMAL
    for i in range(n_vocab):
        if strings[i] is None:
            strings[i] = f"<unused_{i}>"
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]
    return strings, types, merges


def convert(ckdir, out_path, permute=True, eps_override=None):
    cfg = json.load(open(os.path.join(ckdir, "config.json")))
    W = read_safetensors(os.path.join(ckdir, "model.safetensors"))
    used = set()

    def take(name, shape):
        if name not in W:
            raise SystemExit(f"{ckdir}: missing tensor {name}")
        if list(W[name].shape) != list(shape):
            raise SystemExit(f"{ckdir}: {name}: shape {list(W[name].shape)}, expected {list(shape)}")
        used.add(name)
        return W[name]

    D = cfg["hidden_size"]
    L = cfg["num_hidden_layers"]
    H = cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads") or H
    hd = cfg.get("head_dim") or D // H
    F = cfg["intermediate_size"]
    V = cfg["vocab_size"]
    theta = cfg.get("rope_theta")
    if theta is None:
        theta = (cfg.get("rope_parameters") or {}).get("rope_theta", 10000.0)
    rs = cfg.get("rope_scaling")
    if rs and rs.get("rope_type", rs.get("type", "default")) != "default":
        raise SystemExit(f"{ckdir}: rope_scaling {rs} is not supported")
    eps = cfg["rms_norm_eps"] if eps_override is None else eps_override
    tied = bool(cfg.get("tie_word_embeddings", False))
    if cfg.get("attention_bias") or cfg.get("mlp_bias"):
        raise SystemExit(f"{ckdir}: biases are not supported")
    if cfg.get("hidden_act", "silu") != "silu":
        raise SystemExit(f"{ckdir}: hidden_act {cfg.get('hidden_act')} is not supported")

    g = GGUFWriter()
    g.string("general.architecture", "llama")
    g.string("general.name", os.path.basename(os.path.normpath(ckdir)))
    g.u32("general.alignment", ALIGN)
    g.u32("general.file_type", 0)  # all F32
    g.u32("llama.context_length", cfg.get("max_position_embeddings", 2048))
    g.u32("llama.embedding_length", D)
    g.u32("llama.block_count", L)
    g.u32("llama.feed_forward_length", F)
    g.u32("llama.attention.head_count", H)
    g.u32("llama.attention.head_count_kv", KV)
    g.u32("llama.attention.key_length", hd)
    g.u32("llama.attention.value_length", hd)
    g.f32("llama.rope.freq_base", float(theta))
    g.u32("llama.rope.dimension_count", hd)
    g.f32("llama.attention.layer_norm_rms_epsilon", float(eps))
    g.u32("llama.vocab_size", V)

    strings, types, merges = vocab_tokens(ckdir, V)
    g.string("tokenizer.ggml.model", "gpt2")
    g.string("tokenizer.ggml.pre", "default")
    g.str_array("tokenizer.ggml.tokens", strings)
    g.i32_array("tokenizer.ggml.token_type", types)
    g.str_array("tokenizer.ggml.merges", merges)
    for key, cname in (("bos", "bos_token_id"), ("eos", "eos_token_id"), ("padding", "pad_token_id")):
        v = cfg.get(cname)
        if isinstance(v, list):
            v = v[0] if v else None
        if v is not None:
            g.u32(f"tokenizer.ggml.{key}_token_id", v)
    g.boolean("tokenizer.ggml.add_bos_token", False)
    g.boolean("tokenizer.ggml.add_eos_token", False)

    g.tensor("token_embd.weight", take("model.embed_tokens.weight", [V, D]))
    for i in range(L):
        p = f"model.layers.{i}."
        b = f"blk.{i}."
        g.tensor(b + "attn_norm.weight", take(p + "input_layernorm.weight", [D]))
        g.tensor(b + "attn_q.weight",
                 rope_rows_hf_to_adjacent(take(p + "self_attn.q_proj.weight", [H * hd, D]), H, hd, permute))
        g.tensor(b + "attn_k.weight",
                 rope_rows_hf_to_adjacent(take(p + "self_attn.k_proj.weight", [KV * hd, D]), KV, hd, permute))
        g.tensor(b + "attn_v.weight", take(p + "self_attn.v_proj.weight", [KV * hd, D]))
        g.tensor(b + "attn_output.weight", take(p + "self_attn.o_proj.weight", [D, H * hd]))
        g.tensor(b + "ffn_norm.weight", take(p + "post_attention_layernorm.weight", [D]))
        g.tensor(b + "ffn_gate.weight", take(p + "mlp.gate_proj.weight", [F, D]))
        g.tensor(b + "ffn_up.weight", take(p + "mlp.up_proj.weight", [F, D]))
        g.tensor(b + "ffn_down.weight", take(p + "mlp.down_proj.weight", [D, F]))
    g.tensor("output_norm.weight", take("model.norm.weight", [D]))
    if not tied:
        g.tensor("output.weight", take("lm_head.weight", [V, D]))
    elif "lm_head.weight" in W:
        # a tied checkpoint may still store the shared matrix; it must equal the embeddings
        if not np.array_equal(W["lm_head.weight"], W["model.embed_tokens.weight"]):
            raise SystemExit(f"{ckdir}: tie_word_embeddings but lm_head.weight differs")
        used.add("lm_head.weight")
    unused = sorted(set(W) - used)
    if unused:
        raise SystemExit(f"{ckdir}: tensors not converted: {unused}")
    g.write(out_path)


if __name__ == "__main__":
    args, permute, eps_override = sys.argv[1:], True, None
    while args and args[0].startswith("--control-"):
        if args[0] == "--control-no-rope-permute":
            permute, args = False, args[1:]
        elif args[0] == "--control-eps" and len(args) > 1:
            eps_override, args = float(args[1]), args[2:]
        else:
            raise SystemExit(f"hf2gguf.py: unknown option {args[0]}")
    if len(args) != 2:
        raise SystemExit("usage: hf2gguf.py [--control-no-rope-permute] [--control-eps X] CHECKPOINT_DIR OUT.gguf")
    convert(args[0], args[1], permute, eps_override)
