#!/usr/bin/env python3
"""check.py — parity of prefpipe's Llama model core with Hugging Face
transformers itself (the acceptance points of the "Model core" issue that
need transformers).

    python3 tests/parity/transformers/check.py BIN            # the real check
    python3 tests/parity/transformers/check.py --self-test BIN  # plumbing only

BIN is a directory with the built executables (lm-init, lm-logprob,
lm-tokenize, rm-score, rec), e.g. `bin` after `make`, or a private build:
`make BUILD=/tmp/b BIN=/tmp/bin` then `check.py /tmp/bin`.  The Python that
runs it needs torch and transformers (4.x or 5.x); no GPU is used (CPU,
fp32, eager attention), so on a GPU machine simply run
`make && python3 tests/parity/transformers/check.py bin`.  Options:
--keep (keep and print the work directory), --tol X (default 1e-4),
--verbose (also print each prefpipe command).

Output: one line per check, "PASS", "FAIL", "SKIP" or "INFO" first, then a
summary.  Exit status: 0 when no check failed, 1 when one did, 2 on a usage
or setup error, 77 with "skipped: transformers not importable" when
`import transformers` (or torch) fails.  SKIP lines (a configuration this
transformers version cannot express, e.g. an explicit head_dim before
~4.44) and INFO lines do not fail the run.

What is checked, and why each piece is independent evidence
-----------------------------------------------------------
1. transformers -> prefpipe, causal LM.  transformers builds small random
   LlamaForCausalLM models from LlamaConfig (fp32) covering tied and untied
   embeddings, multi-head, grouped-query and multi-query attention, an
   explicit head_dim with heads * head_dim != hidden_size, rope_theta 1e4
   and 5e5, rms_norm_eps 1e-5 and 1e-6.  The parameters are redrawn so that
   activations are O(1) (linear N(0, 1/fan_in) with q/k x1.5, norm weights
   U(0.5, 1.5), embeddings N(0, 0.3^2), untied head N(0, 1.5^2/dim)):
   transformers' default init (std 0.02) makes every next-token
   distribution nearly uniform, so a wrong RoPE pairing, attention scale,
   norm placement or GQA grouping would move log-probs by less than the
   tolerance.  save_pretrained() writes config.json + model.safetensors
   (transformers' own serialisation, not ours) and lm-init's byte-level
   tokenizer.json is added.  Per-token log-probs of random id sequences
   (lengths 2, 7, 33, 64; one contains </s> and <pad> mid-sequence) from
   transformers (log_softmax of the logits, unpadded, one sequence at a
   time) must match lm-logprob's within TOL, both with every record in its
   own forward pass (-b 1) and with all of them right-padded into one batch
   (-b 8).  Evidence: the model, its config and its file are produced by
   transformers' code, the numbers by its forward pass; prefpipe only reads
   the directory.
2. transformers -> prefpipe, reward model.  LlamaForSequenceClassification
   (num_labels 1, pad_token_id 260 = <pad>) built, redrawn (score head
   N(0, 1/dim)) and saved the same way.  rm-score scores pair records
   (system / multi-turn / non-ASCII prompts); transformers scores the same
   conversations (ids from `lm-tokenize --chat`: prompt_tokens + tokens,
   the Tülu template "<|user|>\\n...\\n<|assistant|>\\n" + response +
   "</s>"), batch of one, no padding, its own last-token pooling.
   reward_chosen / reward_rejected must match within TOL (rm-score -b 1 and
   -b 8).  The chat ids themselves are checked in part 3 against the
   transformers tokenizer's encoding of the templated text.
3. prefpipe -> transformers.  Checkpoints written by lm-init (the tiny
   preset, tied GQA; an untied one with head_dim 24 != 64/4 and
   rope_theta 5e5; a --reward one) must load with
   AutoModelForCausalLM / AutoModelForSequenceClassification unchanged,
   with no missing, unexpected or mismatched keys, as the right class, with
   the rotary inv_freq of the config's rope_theta; their log-probs
   (rewards) must match lm-logprob's (rm-score's) within TOL.  lm-init's
   N(0, 0.02) weights give nearly uniform log-probs, so each checkpoint is
   also compared after its values are redrawn as in part 1 (same names,
   shapes, order and F32 dtype, rewritten by this script), which is the
   discriminating comparison.  Tokenizer: PreTrainedTokenizerFast
   (tokenizer_file=ck/tokenizer.json) and the tokenizers library must
   encode ASCII, multi-byte UTF-8 and special-token strings to the ids
   `lm-tokenize -c ck` gives (add_special_tokens True = default,
   False = --no-add-special), the Tülu-templated text of each part-2
   conversation to the ids of `lm-tokenize --chat`, and decode the ids back
   to the same text as `lm-tokenize -d` (and -d --skip-special =
   skip_special_tokens=True).  INFO lines (not judged): ids that end inside
   a UTF-8 character decode to U+FFFD in the library but to the exact bytes
   in lm-tokenize when the tokenizer.json is the byte tokenizer (a choice
   documented in filters/lm-tokenize.c); both are printed.
Negative controls (must MISMATCH; they show that the comparison resolves
the conventions it claims to): our side run on a copy of a part-1
checkpoint with (a) rope_theta changed in config.json, (b) the q/k rows of
every head permuted from the half-split RoPE pairing to adjacent pairs,
(c) two query heads in different GQA groups swapped (q_proj rows and
o_proj columns together; only the query-head -> kv-head grouping changes).

--self-test (runs where transformers is absent, e.g. /usr/bin/python3 with
Debian's torch): every prefpipe-side step above (lm-init, lm-tokenize in
all its modes, lm-logprob, rm-score, rec from-json / to-json, the record
parsing, the safetensors rewrite, the controls) runs for real, and the
transformers side is replaced by the repository's own PyTorch reference
tests/bench/llama_ref.py (checkpoints written by this script with the same
tensor names; tokenizer: a small byte-level reference here).  It proves
the plumbing, not parity with transformers: llama_ref.py is prefpipe's own
reading of the architecture.

All code here is written for this project.
"""
import argparse
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree clean

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
VOCAB = 261          # lm-init's byte tokenizer: 256 bytes + 5 specials
EOS, PAD = 259, 260
TOOLS = ("lm-init", "lm-logprob", "lm-tokenize", "rm-score", "rec")

torch = None         # imported in main()


class SetupError(Exception):
    pass


# ---------------------------------------------------------------- reporting

class Report:
    def __init__(self):
        self.counts = {"PASS": 0, "FAIL": 0, "SKIP": 0, "INFO": 0}

    def line(self, kind, name, detail=""):
        self.counts[kind] += 1
        print(f"{kind:4}  {name:44} {detail}".rstrip(), flush=True)

    def check(self, name, ok, detail=""):
        self.line("PASS" if ok else "FAIL", name, detail)
        return ok

    def guard(self, name, fn, *a):
        """Run one check; an exception is that check's FAIL, not the run's end."""
        try:
            return fn(*a)
        except Exception as e:  # noqa: BLE001 - reported, then the next check runs
            msg = str(e).strip().replace("\n", " | ")
            self.line("FAIL", name, f"{type(e).__name__}: {msg[:600]}")
            return None


# ------------------------------------------------------------ prefpipe side

class Prefpipe:
    def __init__(self, bindir, verbose=False):
        self.bin = bindir
        self.verbose = verbose

    def run(self, tool, args, data=b""):
        cmd = [os.path.join(self.bin, tool)] + [str(a) for a in args]
        if self.verbose:
            print("  $ " + " ".join(cmd), file=sys.stderr)
        p = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: "
                               f"{p.stderr.decode('utf-8', 'replace').strip()[:400]}")
        return p.stdout

    def records(self, tool, args, recs):
        """JSON records -> rec from-json -> TOOL ARGS -> rec to-json -> records."""
        js = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs).encode()
        mp = self.run("rec", ["from-json"], js)
        out = self.run(tool, args, mp)
        back = self.run("rec", ["to-json"], out).decode("utf-8")
        res = [json.loads(l) for l in back.splitlines() if l.strip()]
        if [r.get("id") for r in res] != [r["id"] for r in recs]:
            raise RuntimeError(f"{tool}: record ids/order changed")
        return res

    def init(self, outdir, args):
        self.run("lm-init", ["-o", outdir] + list(args))

    def logprobs(self, ck, seqs, batch):
        """seqs: {id: ids}; returns {id: per-token log-probs, first 0}."""
        recs = [{"id": k, "tokens": v} for k, v in seqs.items()]
        out = {}
        for r in self.records("lm-logprob", ["-c", ck, "-b", batch], recs):
            lp = r.get("logprobs")
            if r["tokens"] != seqs[r["id"]] or lp is None or len(lp) != len(r["tokens"]):
                raise RuntimeError(f"lm-logprob: record {r['id']} tokens/logprobs malformed")
            if lp[0] != 0:
                raise RuntimeError(f"lm-logprob: record {r['id']} first log-prob {lp[0]} != 0")
            out[r["id"]] = [float(x) for x in lp]
        return out

    def rewards(self, rm, pairs, batch):
        out = {}
        for r in self.records("rm-score", ["-c", rm, "-b", batch], pairs):
            for f in ("reward_chosen", "reward_rejected"):
                if not isinstance(r.get(f), (int, float)):
                    raise RuntimeError(f"rm-score: record {r['id']} lacks {f}")
            out[r["id"]] = (float(r["reward_chosen"]), float(r["reward_rejected"]))
        return out

    def chat_ids(self, ck, prompt, response):
        r = self.records("lm-tokenize", ["--chat", "-c", ck],
                         [{"id": "c", "prompt": prompt, "response": response}])[0]
        return [int(x) for x in r["prompt_tokens"]] + [int(x) for x in r["tokens"]]

    def encode(self, ck, strings, add_special=True):
        for s in strings:
            if "\n" in s or "\r" in s:
                raise SetupError("lm-tokenize encodes lines: no newlines in test strings")
        data = "".join(s + "\n" for s in strings).encode("utf-8")
        args = ["-c", ck] + ([] if add_special else ["--no-add-special"])
        lines = self.run("lm-tokenize", args, data).decode("ascii").split("\n")
        if lines[-1] != "" or len(lines) != len(strings) + 1:
            raise RuntimeError(f"lm-tokenize: {len(lines) - 1} lines for {len(strings)} strings")
        return [[int(x) for x in l.split()] for l in lines[:-1]]

    def decode(self, ck, idlists, skip_special=False):
        """Returns raw bytes per line (lm-tokenize may print non-UTF-8)."""
        data = "".join(" ".join(map(str, ids)) + "\n" for ids in idlists).encode()
        args = ["-c", ck, "-d"] + (["--skip-special"] if skip_special else [])
        lines = self.run("lm-tokenize", args, data).split(b"\n")
        if lines[-1] != b"" or len(lines) != len(idlists) + 1:
            raise RuntimeError(f"lm-tokenize -d: {len(lines) - 1} lines for {len(idlists)} inputs")
        return lines[:-1]


# ------------------------------------------------- safetensors (own code)

def st_read(path):
    """{name: fp32 tensor} in file order, plus {name: dtype}."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    tensors, dtypes = {}, {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        raw = bytearray(data[8 + n + b:8 + n + end])
        if e["dtype"] == "F32":
            t = torch.frombuffer(raw, dtype=torch.float32) if raw else torch.zeros(0)
        elif e["dtype"] in ("F16", "BF16"):
            t = torch.frombuffer(raw, dtype=torch.int16).view(
                torch.float16 if e["dtype"] == "F16" else torch.bfloat16).float()
        else:
            raise SetupError(f"{path}: {name}: dtype {e['dtype']} not handled")
        tensors[name] = t.reshape(e["shape"]).clone()
        dtypes[name] = e["dtype"]
    return tensors, dtypes


def st_write(path, tensors):
    """tensors: {name: tensor} written as F32 in this order."""
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        raw = t.detach().float().contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    os.replace(tmp, path)


# ----------------------------------------------------------- shared pieces

def new_weight(name, shape, gen):
    """O(1)-activation replacement values (see the header, part 1)."""
    shape = tuple(shape)
    if name.endswith("norm.weight"):
        return 0.5 + torch.rand(shape, generator=gen)
    if name == "model.embed_tokens.weight":
        return 0.3 * torch.randn(shape, generator=gen)
    if name == "lm_head.weight":
        return (1.5 / math.sqrt(shape[1])) * torch.randn(shape, generator=gen)
    if name == "score.weight":
        return (1.0 / math.sqrt(shape[1])) * torch.randn(shape, generator=gen)
    if len(shape) == 2 and name.endswith("_proj.weight"):
        scale = 1.5 if (".q_proj." in name or ".k_proj." in name) else 1.0
        return (scale / math.sqrt(shape[1])) * torch.randn(shape, generator=gen)
    raise SetupError(f"no reweighting rule for {name} {list(shape)}")


def reweight_file(ckdir, seed):
    """Redraw every tensor of DIR/model.safetensors; names, order, shapes kept."""
    path = os.path.join(ckdir, "model.safetensors")
    W, dtypes = st_read(path)
    if set(dtypes.values()) != {"F32"}:
        raise SetupError(f"{path}: expected F32 tensors, got {sorted(set(dtypes.values()))}")
    gen = torch.Generator().manual_seed(seed)
    st_write(path, {k: new_weight(k, v.shape, gen) for k, v in W.items()})


def rand_seqs(seed, lens):
    gen = torch.Generator().manual_seed(seed)
    seqs = {}
    for k, n in enumerate(lens):
        ids = torch.randint(0, VOCAB, (n,), generator=gen).tolist()
        if n >= 33 and k == 1:     # specials mid-sequence: </s> and <pad> are ordinary here
            ids[10], ids[20] = EOS, PAD
        seqs[f"s{k}"] = ids
    return seqs


SEQ_LENS = (2, 7, 33, 64)

PAIRS = [
    {"id": "p0", "prompt": [{"role": "system", "content": "You are terse."},
                            {"role": "user", "content": "Name a prime number."}],
     "chosen": "7", "rejected": "Eight, I think, or maybe nine."},
    {"id": "p1", "prompt": [{"role": "user", "content": "Hi!"},
                            {"role": "assistant", "content": "Hello. How can I help?"},
                            {"role": "user", "content": "Say it in French."}],
     "chosen": "Bonjour. Comment puis-je vous aider ?", "rejected": "no"},
    {"id": "p2", "prompt": [{"role": "user", "content": "Translate: 日本語 → English, with ✓ or ✗"}],
     "chosen": "Japanese ✓", "rejected": "Chinese ✗ — naïve café 🙂"},
]

TOK_STRINGS = [
    "Hello, world!",
    "  two  spaces\tand a tab ",
    "héllo wörld — ✓ 日本語 🙂",
    "<|user|>hi<|assistant|>ok</s>",
    "x<pad>y<|system|>z",
    "<|user",
    "",
]
DECODE_ONLY = [[104, 105, 257, 33, 259], [PAD, 72, 258]]
DECODE_INVALID = [[104, 195], [226, 156, 257, 120]]   # partial UTF-8


def tulu_text(prompt, response):
    """The Tülu 2 chat template, written out (EOS = "</s>")."""
    s = ""
    for m in prompt:
        if m["role"] == "system":
            s += "<|system|>\n" + m["content"] + "\n"
        elif m["role"] == "user":
            s += "<|user|>\n" + m["content"] + "\n"
        elif m["role"] == "assistant":
            s += "<|assistant|>\n" + m["content"] + "</s>\n"
        else:
            raise SetupError(f"role {m['role']}")
    return s + "<|assistant|>\n" + response + "</s>"


def maxdiff(ours, theirs):
    """ours, theirs: {id: list}; max |diff| over scored tokens (first skipped)."""
    if set(ours) != set(theirs):
        raise RuntimeError(f"record ids differ: {sorted(ours)} vs {sorted(theirs)}")
    worst, n = 0.0, 0
    for k in ours:
        a, b = ours[k], theirs[k]
        if len(a) != len(b):
            raise RuntimeError(f"{k}: {len(a)} vs {len(b)} values")
        for x, y in zip(a[1:], b[1:]):
            worst = max(worst, abs(x - y))
            n += 1
    return worst, n


def spread(lps):
    vals = [x for v in lps.values() for x in v[1:]]
    m = sum(vals) / len(vals)
    sd = math.sqrt(sum((x - m) ** 2 for x in vals) / len(vals))
    return m, sd


def expected_inv_freq(theta, hd):
    return 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))


def lm_init_tokenizer(pp, work):
    d = os.path.join(work, "tokenizer-src")
    if not os.path.exists(os.path.join(d, "tokenizer.json")):
        pp.init(d, ["--preset", "tiny", "--seed", "1"])
    return os.path.join(d, "tokenizer.json")


# ------------------------------------------------ the transformers backend

class HFBackend:
    def __init__(self, transformers):
        self.tf = transformers
        v = transformers.__version__.split(".")
        self.major, self.minor = int(v[0]), int("".join(c for c in v[1] if c.isdigit()) or 0)
        self.name = f"transformers {transformers.__version__}, torch {torch.__version__}"
        new_dtype_kw = (self.major, self.minor) >= (4, 56)
        self.dtype_kw = "dtype" if new_dtype_kw else "torch_dtype"

    def _config(self, spec, reward):
        kw = dict(vocab_size=VOCAB, hidden_size=spec["hidden"], intermediate_size=spec["ffn"],
                  num_hidden_layers=spec["layers"], num_attention_heads=spec["heads"],
                  num_key_value_heads=spec["kv"], max_position_embeddings=2048,
                  rms_norm_eps=spec["eps"], tie_word_embeddings=bool(spec.get("tied")) and not reward,
                  hidden_act="silu", attention_bias=False, mlp_bias=False, attention_dropout=0.0,
                  bos_token_id=None, eos_token_id=EOS, pad_token_id=PAD,
                  attn_implementation="eager")
        if spec.get("head_dim"):
            kw["head_dim"] = spec["head_dim"]
        # 5.x reads rope_parameters, 4.x rope_theta; each keeps the other as an
        # unused attribute.  _check_rope verifies the frequencies the model built.
        kw["rope_parameters"] = {"rope_type": "default", "rope_theta": float(spec["theta"])}
        kw["rope_theta"] = float(spec["theta"])
        if reward:
            kw["num_labels"] = 1
        return self.tf.LlamaConfig(**kw)

    def _eager(self, model):
        impl = getattr(model.config, "_attn_implementation", None)
        if impl != "eager" and hasattr(model, "set_attn_implementation"):
            model.set_attn_implementation("eager")
            impl = getattr(model.config, "_attn_implementation", None)
        return impl

    def _check_rope(self, model, theta, hd):
        bufs = [(n, b) for n, b in model.named_buffers() if n.endswith("inv_freq")]
        if not bufs:
            raise RuntimeError("no rotary inv_freq buffer found in the model")
        want = expected_inv_freq(theta, hd)
        for n, b in bufs:
            if b.shape != want.shape or not torch.allclose(b.float(), want, rtol=1e-5, atol=0):
                raise RuntimeError(f"{n} is not theta={theta} head_dim={hd}'s inv_freq")

    def _hd(self, spec):
        return spec.get("head_dim") or spec["hidden"] // spec["heads"]

    def build(self, spec, seed, outdir, tokfile, reward=False):
        """Returns (scorer, note) or (None, why-skipped)."""
        cls = self.tf.LlamaForSequenceClassification if reward else self.tf.LlamaForCausalLM
        torch.manual_seed(seed)
        hd = self._hd(spec)
        try:
            model = cls(self._config(spec, reward)).float().eval()
        except ValueError as e:    # 4.x before explicit head_dim: "hidden_size must be divisible ..."
            if spec.get("head_dim"):
                return None, f"this transformers refuses head_dim={hd}: {e}"
            raise
        q = model.model.layers[0].self_attn.q_proj.weight
        if q.shape[0] != spec["heads"] * hd:
            return None, f"this transformers ignores head_dim={hd} (q_proj {list(q.shape)})"
        impl = self._eager(model)
        if hasattr(model, "tie_weights"):
            model.tie_weights()    # a no-op when untied; ties now if a version defers it
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for name, p in model.named_parameters():
                p.copy_(new_weight(name, p.shape, gen))
        if not reward:
            same = torch.equal(model.lm_head.weight, model.model.embed_tokens.weight)
            if same != bool(spec.get("tied")):
                raise RuntimeError(f"lm_head tied={same}, wanted {bool(spec.get('tied'))}")
        self._check_rope(model, spec["theta"], hd)
        try:
            model.save_pretrained(outdir, safe_serialization=True)
        except TypeError:           # a version without the keyword: safetensors is its default
            model.save_pretrained(outdir)
        if not os.path.exists(os.path.join(outdir, "model.safetensors")):
            raise RuntimeError(f"save_pretrained wrote no single model.safetensors: {os.listdir(outdir)}")
        shutil.copy(tokfile, os.path.join(outdir, "tokenizer.json"))
        names = set(st_read(os.path.join(outdir, "model.safetensors"))[0])
        note = f"attn={impl} lm_head_in_file={'lm_head.weight' in names}"
        return self._scorer(model, reward), note

    def _scorer(self, model, reward):
        def logprobs(ids):
            with torch.no_grad():
                logits = model(input_ids=torch.tensor([ids]), use_cache=False).logits[0].float()
            lp = torch.log_softmax(logits, dim=-1)
            return [0.0] + [lp[t - 1, ids[t]].item() for t in range(1, len(ids))]

        def score(ids):
            with torch.no_grad():
                out = model(input_ids=torch.tensor([ids]), use_cache=False).logits
            if tuple(out.shape) != (1, 1):
                raise RuntimeError(f"score logits shape {tuple(out.shape)}")
            return out[0, 0].item()
        return score if reward else logprobs

    def load(self, ckdir, reward=False):
        """from_pretrained unchanged; returns (scorer, problems, note)."""
        auto = self.tf.AutoModelForSequenceClassification if reward else self.tf.AutoModelForCausalLM
        cfg = json.load(open(os.path.join(ckdir, "config.json")))
        hd = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
        if hd * cfg["num_attention_heads"] != cfg["hidden_size"] and not self.head_dim_ok():
            return None, None, f"this transformers cannot express head_dim={hd}"
        kw = {self.dtype_kw: torch.float32, "output_loading_info": True, "attn_implementation": "eager"}
        model, info = auto.from_pretrained(ckdir, **kw)
        model = model.float().eval()
        problems = []
        for k, v in sorted(info.items()):   # missing_keys, unexpected_keys, mismatched_keys, error_msgs...
            v = list(v or [])
            if v:
                problems.append(f"{k}={v}")
        want = "LlamaForSequenceClassification" if reward else "LlamaForCausalLM"
        if type(model).__name__ != want:
            problems.append(f"class {type(model).__name__} != {want}")
        theta = cfg.get("rope_theta") or (cfg.get("rope_parameters") or {}).get("rope_theta", 10000.0)
        try:
            self._check_rope(model, float(theta), hd)
        except RuntimeError as e:
            problems.append(str(e))
        return self._scorer(model, reward), problems, f"attn={self._eager(model)}"

    def head_dim_ok(self):
        """Whether this version builds attention with an explicit head_dim
        (heads * head_dim != hidden_size): ~4.44 and later."""
        if not hasattr(self, "_hd_ok"):
            try:
                spec = dict(hidden=32, layers=1, heads=2, kv=1, head_dim=24, ffn=32, theta=1e4, eps=1e-5)
                m = self.tf.LlamaForCausalLM(self._config(spec, False))
                self._hd_ok = m.model.layers[0].self_attn.q_proj.weight.shape[0] == 48
            except Exception:  # noqa: BLE001
                self._hd_ok = False
        return self._hd_ok

    def tokenizers(self, tokfile):
        out = []
        cls = getattr(self.tf, "PreTrainedTokenizerFast", None) or getattr(self.tf, "TokenizersBackend")
        tok = cls(tokenizer_file=tokfile)
        out.append(("transformers." + cls.__name__,
                    lambda s, add: list(tok.encode(s, add_special_tokens=add)),
                    lambda ids, skip: tok.decode(ids, skip_special_tokens=skip,
                                                 clean_up_tokenization_spaces=False)))
        try:
            import tokenizers
            lib = tokenizers.Tokenizer.from_file(tokfile)
            out.append((f"tokenizers {tokenizers.__version__}",
                        lambda s, add: list(lib.encode(s, add_special_tokens=add).ids),
                        lambda ids, skip: lib.decode(ids, skip_special_tokens=skip)))
        except ImportError:
            pass
        return out


# ---------------------------------------- the self-test (reference) backend

class RefBackend:
    """Stands in for transformers with tests/bench/llama_ref.py."""

    def __init__(self):
        sys.path.insert(0, os.path.join(REPO, "tests", "bench"))
        import llama_ref
        self.ref = llama_ref
        self.name = f"SELF-TEST: llama_ref.py stands in for transformers (torch {torch.__version__})"

    def _scorer(self, ckdir, reward):
        cfg = self.ref.load_config(ckdir)
        W = self.ref.st_read(os.path.join(ckdir, "model.safetensors"))
        if reward:
            return lambda ids: self.ref.reward(cfg, W, ids)
        return lambda ids: self.ref.logprobs(cfg, W, ids)

    @staticmethod
    def _names(spec, reward):
        H, KV, D, F = spec["heads"], spec["kv"], spec["hidden"], spec["ffn"]
        hd = spec.get("head_dim") or D // H
        shapes = {"model.embed_tokens.weight": (VOCAB, D)}
        for l in range(spec["layers"]):
            p = f"model.layers.{l}."
            shapes.update({p + "input_layernorm.weight": (D,), p + "self_attn.q_proj.weight": (H * hd, D),
                           p + "self_attn.k_proj.weight": (KV * hd, D),
                           p + "self_attn.v_proj.weight": (KV * hd, D),
                           p + "self_attn.o_proj.weight": (D, H * hd),
                           p + "post_attention_layernorm.weight": (D,),
                           p + "mlp.gate_proj.weight": (F, D), p + "mlp.up_proj.weight": (F, D),
                           p + "mlp.down_proj.weight": (D, F)})
        shapes["model.norm.weight"] = (D,)
        if reward:
            shapes["score.weight"] = (1, D)
        elif not spec.get("tied"):
            shapes["lm_head.weight"] = (VOCAB, D)
        return shapes

    def build(self, spec, seed, outdir, tokfile, reward=False):
        os.makedirs(outdir, exist_ok=True)
        cfg = {"architectures": ["LlamaForSequenceClassification" if reward else "LlamaForCausalLM"],
               "model_type": "llama", "hidden_size": spec["hidden"], "intermediate_size": spec["ffn"],
               "num_hidden_layers": spec["layers"], "num_attention_heads": spec["heads"],
               "num_key_value_heads": spec["kv"], "vocab_size": VOCAB, "max_position_embeddings": 2048,
               "rms_norm_eps": spec["eps"],
               "rope_parameters": {"rope_type": "default", "rope_theta": float(spec["theta"])},
               "tie_word_embeddings": bool(spec.get("tied")) and not reward, "hidden_act": "silu",
               "attention_bias": False, "mlp_bias": False, "dtype": "float32",
               "eos_token_id": EOS, "pad_token_id": PAD}
        if spec.get("head_dim"):
            cfg["head_dim"] = spec["head_dim"]
        if reward:
            cfg.update(num_labels=1, id2label={"0": "LABEL_0"}, label2id={"LABEL_0": 0})
        with open(os.path.join(outdir, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        gen = torch.Generator().manual_seed(seed)
        st_write(os.path.join(outdir, "model.safetensors"),
                 {k: new_weight(k, s, gen) for k, s in self._names(spec, reward).items()})
        shutil.copy(tokfile, os.path.join(outdir, "tokenizer.json"))
        return self._scorer(outdir, reward), "reference checkpoint written by check.py"

    def load(self, ckdir, reward=False):
        """Stand-in for the from_pretrained key check: the file's tensor names
        and shapes must be exactly those the config implies."""
        c = json.load(open(os.path.join(ckdir, "config.json")))
        spec = {"hidden": c["hidden_size"], "ffn": c["intermediate_size"],
                "layers": c["num_hidden_layers"], "heads": c["num_attention_heads"],
                "kv": c.get("num_key_value_heads") or c["num_attention_heads"],
                "head_dim": c.get("head_dim"), "tied": c.get("tie_word_embeddings", False)}
        want = self._names(spec, reward)
        W, _ = st_read(os.path.join(ckdir, "model.safetensors"))
        problems = []
        missing = sorted(set(want) - set(W))
        unexpected = sorted(set(W) - set(want))
        mism = sorted(k for k in set(W) & set(want) if tuple(W[k].shape) != tuple(want[k]))
        if missing:
            problems.append(f"missing_keys={missing}")
        if unexpected:
            problems.append(f"unexpected_keys={unexpected}")
        if mism:
            problems.append(f"mismatched_keys={mism}")
        return self._scorer(ckdir, reward), problems, "names/shapes vs config"

    def tokenizers(self, tokfile):
        tj = json.load(open(tokfile, encoding="utf-8"))
        if tj["model"].get("merges"):
            raise SetupError("the self-test tokenizer reference handles merge-free byte vocabularies only")
        b2u = bytes_to_unicode()
        vocab = tj["model"]["vocab"]
        byte_id = [vocab[b2u[b]] for b in range(256)]
        added = {t["content"]: t["id"] for t in tj["added_tokens"]}
        special = {t["id"] for t in tj["added_tokens"] if t.get("special")}
        inv = {i: s for s, i in vocab.items()}
        u2b = {u: b for b, u in b2u.items()}

        def encode(s, add):
            ids, i = [], 0
            while i < len(s):
                hit = max((a for a in added if s.startswith(a, i)), key=len, default=None)
                if hit:
                    ids.append(added[hit])
                    i += len(hit)
                else:
                    ids += [byte_id[b] for b in s[i].encode("utf-8")]
                    i += 1
            return ids        # no post_processor in this tokenizer.json: add changes nothing

        def decode(ids, skip):
            out, buf = [], bytearray()
            rev = {v: k for k, v in added.items()}
            for i in ids:
                if i in rev:
                    if buf:
                        out.append(buf.decode("utf-8", "replace"))
                        buf = bytearray()
                    if not (skip and i in special):
                        out.append(rev[i])
                else:
                    buf += bytes(u2b[c] for c in inv[i])
            if buf:
                out.append(buf.decode("utf-8", "replace"))
            return "".join(out)
        return [("self-test byte-level reference", encode, decode)]


def bytes_to_unicode():
    """GPT-2's byte -> printable character table (ByteLevel pre-tokenizer)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


# ------------------------------------------------------------------ checks

CAUSAL_SPECS = [
    dict(name="mha-tied-theta1e4-eps1e-5", hidden=64, layers=2, heads=4, kv=4, ffn=160,
         theta=1e4, eps=1e-5, tied=True),
    dict(name="gqa-untied-theta5e5-eps1e-6", hidden=64, layers=3, heads=4, kv=2, ffn=128,
         theta=5e5, eps=1e-6, tied=False),
    dict(name="gqa-hd24-untied-theta5e5-eps1e-5", hidden=64, layers=2, heads=4, kv=2, head_dim=24,
         ffn=160, theta=5e5, eps=1e-5, tied=False),
    dict(name="mqa-hd32-tied-theta1e4-eps1e-6", hidden=48, layers=2, heads=2, kv=1, head_dim=32,
         ffn=96, theta=1e4, eps=1e-6, tied=True),
]
REWARD_SPECS = [
    dict(name="rm-gqa-theta1e4-eps1e-5", hidden=64, layers=2, heads=4, kv=2, ffn=128,
         theta=1e4, eps=1e-5),
    dict(name="rm-mqa-hd24-theta5e5-eps1e-6", hidden=64, layers=2, heads=4, kv=1, head_dim=24,
         ffn=160, theta=5e5, eps=1e-6),
]
CONTROL_SPECS = ("gqa-hd24-untied-theta5e5-eps1e-5", "gqa-untied-theta5e5-eps1e-6")  # first one built


def compare_lp(R, label, pp, ck, seqs, ref, tol, batches=(1, 8), extra="", want_spread=True):
    m, sd = spread(ref)
    ok_all = True
    for b in batches:
        ours = pp.logprobs(ck, seqs, b)
        d, n = maxdiff(ours, ref)
        ok = d <= tol
        sp = ""
        if want_spread:
            ok = ok and sd > 0.5
            sp = " (near-uniform: weak)" if sd <= 0.5 else ""
        ok_all &= R.check(f"{label} -b {b}", ok,
                          f"max_abs_diff={d:.2e} tokens={n} mean_lp={m:.2f} sd={sd:.2f}{sp} {extra}".rstrip())
    return ok_all


def part1(R, pp, be, work, tok, tol):
    seqs = rand_seqs(7, SEQ_LENS)
    built = {}
    for i, spec in enumerate(CAUSAL_SPECS):
        label = f"1 causal {spec['name']}"

        def one(spec=spec, i=i, label=label):
            d = os.path.join(work, "p1-" + spec["name"])
            scorer, note = be.build(spec, 100 + i, d, tok)
            if scorer is None:
                R.line("SKIP", label, note)
                return
            ref = {k: scorer(v) for k, v in seqs.items()}
            built[spec["name"]] = (d, ref)
            compare_lp(R, label, pp, d, seqs, ref, tol, extra=note)
        R.guard(label, one)
    return seqs, built


def part2(R, pp, be, work, tok, tol):
    for i, spec in enumerate(REWARD_SPECS):
        label = f"2 reward {spec['name']}"

        def one(spec=spec, i=i, label=label):
            d = os.path.join(work, "p2-" + spec["name"])
            scorer, note = be.build(spec, 200 + i, d, tok, reward=True)
            if scorer is None:
                R.line("SKIP", label, note)
                return
            compare_rewards(R, label, pp, d, scorer, tol, note)
        R.guard(label, one)


def compare_rewards(R, label, pp, d, scorer, tol, note=""):
    ref = {}
    for p in PAIRS:
        ref[p["id"]] = (scorer(pp.chat_ids(d, p["prompt"], p["chosen"])),
                        scorer(pp.chat_ids(d, p["prompt"], p["rejected"])))
    vals = [x for v in ref.values() for x in v]
    for b in (1, 8):
        ours = pp.rewards(d, PAIRS, b)
        worst = max(abs(a - c) for k in ref for a, c in zip(ours[k], ref[k]))
        R.check(f"{label} -b {b}", worst <= tol,
                f"max_abs_diff={worst:.2e} rewards={len(vals)} range=[{min(vals):.2f},{max(vals):.2f}] {note}".rstrip())


def part3(R, pp, be, work, tol):
    seqs = rand_seqs(11, SEQ_LENS)
    cks = [("lm-init tiny (tied GQA)", "p3-tiny", ["--preset", "tiny", "--seed", "3"], False),
           ("lm-init untied hd24 theta5e5", "p3-untied",
            ["--dim", "64", "--layers", "3", "--heads", "4", "--kv-heads", "2", "--head-dim", "24",
             "--ffn", "160", "--untied", "--rope-theta", "500000", "--seed", "5"], False),
           ("lm-init tiny --reward", "p3-reward", ["--preset", "tiny", "--reward", "--seed", "6"], True)]
    for i, (what, sub, args, reward) in enumerate(cks):
        for reweighted in (False, True):
            label = f"3 {what}{' redrawn' if reweighted else ''}"

            def one(sub=sub, args=args, reward=reward, reweighted=reweighted, label=label, i=i):
                d = os.path.join(work, sub + ("-redrawn" if reweighted else ""))
                pp.init(d, args)
                if reweighted:
                    reweight_file(d, 300 + i)
                scorer, problems, note = be.load(d, reward)
                if scorer is None:
                    R.line("SKIP", label, note)
                    return
                R.check(f"{label} loads", not problems, "; ".join(problems) or f"clean ({note})")
                if reward:
                    compare_rewards(R, label, pp, d, scorer, tol)
                else:
                    ref = {k: scorer(v) for k, v in seqs.items()}
                    compare_lp(R, label, pp, d, seqs, ref, tol, want_spread=reweighted)
            R.guard(label, one)
    R.guard("3 tokenizer", tokenizer_checks, R, pp, be, os.path.join(work, "p3-tiny"))


def tokenizer_checks(R, pp, be, ck):
    tokfile = os.path.join(ck, "tokenizer.json")
    for tname, enc, dec in be.tokenizers(tokfile):
        for add in (True, False):
            ours = pp.encode(ck, TOK_STRINGS, add)
            bad = [s for s, o in zip(TOK_STRINGS, ours) if enc(s, add) != o]
            R.check(f"3 tokenizer encode add_special={add}", not bad,
                    f"{tname}: {len(TOK_STRINGS)} strings" + (f"; differ: {bad!r}" if bad else ""))
        bad = []
        for p in PAIRS:
            for resp in (p["chosen"], p["rejected"]):
                if enc(tulu_text(p["prompt"], resp), True) != pp.chat_ids(ck, p["prompt"], resp):
                    bad.append(p["id"])
        R.check("3 tokenizer chat template ids", not bad,
                f"{tname}: {2 * len(PAIRS)} conversations" + (f"; differ: {bad}" if bad else ""))
        idlists = [i for i in pp.encode(ck, TOK_STRINGS) if i] + DECODE_ONLY
        for skip in (False, True):
            ours = pp.decode(ck, idlists, skip)
            bad = [(ids, dec(ids, skip), o) for ids, o in zip(idlists, ours)
                   if dec(ids, skip).encode("utf-8") != o]
            R.check(f"3 tokenizer decode skip_special={skip}", not bad,
                    f"{tname}: {len(idlists)} id lists" + (f"; differ: {bad!r}" if bad else ""))
        rt = [s for s in TOK_STRINGS if s and dec(enc(s, True), False) != s]
        R.check("3 tokenizer round trip", not rt, f"{tname}" + (f"; differ: {rt!r}" if rt else ""))
        # ids that end inside a UTF-8 character: the library gives U+FFFD; lm-tokenize
        # gives the exact bytes for a byte tokenizer (documented in lm-tokenize.c) - shown, not judged
        ours = pp.decode(ck, DECODE_INVALID)
        for ids, o in zip(DECODE_INVALID, ours):
            theirs = dec(ids, False).encode("utf-8")
            R.line("INFO", "3 tokenizer decode partial UTF-8",
                   f"{tname}: {ids} -> {'same' if theirs == o else 'differs'}: theirs={theirs!r} ours={o!r}")


def controls(R, pp, work, built, seqs, tol):
    name = next((n for n in CONTROL_SPECS if n in built), None)
    if name is None:
        R.line("SKIP", "controls", f"none of {', '.join(CONTROL_SPECS)} was built")
        return
    src, ref = built[name]
    print(f"# controls on {name}", flush=True)
    cfg = json.load(open(os.path.join(src, "config.json")))
    H = cfg["num_attention_heads"]
    KV = cfg["num_key_value_heads"]
    hd = cfg.get("head_dim") or cfg["hidden_size"] // H

    def variant(tag, edit_cfg=None, edit_w=None):
        d = os.path.join(work, "control-" + tag)
        shutil.copytree(src, d)
        if edit_cfg:
            c = json.load(open(os.path.join(d, "config.json")))
            edit_cfg(c)
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump(c, f, indent=2)
        if edit_w:
            path = os.path.join(d, "model.safetensors")
            W, _ = st_read(path)
            edit_w(W)
            st_write(path, W)
        ours = pp.logprobs(d, seqs, 8)
        dmax, _ = maxdiff(ours, ref)
        R.check(f"control {tag} must mismatch", dmax > tol,
                f"max_abs_diff={dmax:.2e} ({'detected' if dmax > tol else 'NOT detected'})")

    def theta(c):
        c["rope_theta"] = 1e4
        if isinstance(c.get("rope_parameters"), dict):
            c["rope_parameters"]["rope_theta"] = 1e4

    def interleave(W):
        half = torch.arange(hd // 2)
        order = torch.stack([half, half + hd // 2], 1).reshape(-1)   # row j of a head <- order[j]
        for k in list(W):
            if k.endswith("q_proj.weight") or k.endswith("k_proj.weight"):
                n = W[k].shape[0] // hd
                W[k] = W[k].reshape(n, hd, -1)[:, order].reshape(n * hd, -1).contiguous()

    def swap_groups(W):
        g = H // KV
        perm = list(range(H))
        perm[g - 1], perm[g] = perm[g], perm[g - 1]   # last head of group 0 <-> first of group 1
        for k in list(W):
            if k.endswith("q_proj.weight"):
                W[k] = W[k].reshape(H, hd, -1)[perm].reshape(H * hd, -1).contiguous()
            elif k.endswith("o_proj.weight"):
                W[k] = W[k].reshape(W[k].shape[0], H, hd)[:, perm].reshape(W[k].shape[0], -1).contiguous()

    R.guard("control rope-theta", variant, "rope-theta-1e4", theta)
    R.guard("control rope-pairing", variant, "rope-adjacent-pairs", None, interleave)
    if KV < H:
        R.guard("control gqa-grouping", variant, "gqa-grouping-swapped", None, swap_groups)


# -------------------------------------------------------------------- main

def main():
    global torch
    ap = argparse.ArgumentParser(description="prefpipe <-> Hugging Face transformers parity "
                                 "(see the header of this file)")
    ap.add_argument("bin", metavar="BIN", help="directory with lm-init, lm-logprob, lm-tokenize, rm-score, rec")
    ap.add_argument("--self-test", action="store_true",
                    help="no transformers: check the prefpipe-side plumbing against tests/bench/llama_ref.py")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--verbose", action="store_true", help="print each prefpipe command on stderr")
    a = ap.parse_args()
    bindir = os.path.abspath(a.bin)
    missing = [t for t in TOOLS if not os.access(os.path.join(bindir, t), os.X_OK)]
    if missing:
        print(f"check.py: {bindir} lacks {', '.join(missing)} (build with make, pass its BIN)", file=sys.stderr)
        return 2
    try:
        import torch as _torch
        torch = _torch
    except Exception as e:  # noqa: BLE001
        print(f"skipped: torch not importable ({type(e).__name__}: {e})")
        return 77
    torch.set_grad_enabled(False)
    if a.self_test:
        be = RefBackend()
    else:
        try:
            import transformers
        except Exception as e:  # noqa: BLE001
            print(f"skipped: transformers not importable ({type(e).__name__}: {e})")
            return 77
        if hasattr(transformers, "logging"):
            transformers.logging.set_verbosity_error()
        be = HFBackend(transformers)
    torch.manual_seed(0)
    print(f"# {be.name}; prefpipe from {bindir}; tol {a.tol:g}", flush=True)

    R = Report()
    pp = Prefpipe(bindir, a.verbose)
    work = tempfile.mkdtemp(prefix="hf-parity.")
    try:
        tok = lm_init_tokenizer(pp, work)
        seqs, built = part1(R, pp, be, work, tok, a.tol)
        part2(R, pp, be, work, tok, a.tol)
        part3(R, pp, be, work, a.tol)
        controls(R, pp, work, built, seqs, a.tol)
    except SetupError as e:
        print(f"check.py: setup error: {e}", file=sys.stderr)
        return 2
    finally:
        if a.keep:
            print(f"# work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    c = R.counts
    print(f"# {c['PASS']} passed, {c['FAIL']} failed, {c['SKIP']} skipped, {c['INFO']} info"
          f"{' (SELF-TEST: plumbing only, not transformers parity)' if a.self_test else ''}")
    return 1 if c["FAIL"] or not c["PASS"] else 0


if __name__ == "__main__":
    sys.exit(main())
