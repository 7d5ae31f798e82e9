#!/bin/sh
# train.sh — training throughput (tokens/s) of dpo-step (policy forward +
# backward on chosen and rejected, reference forward, AdamW) and rm-train
# (forward + backward through the score head, AdamW) on the tiny and small
# presets, beside a PyTorch implementation of the same step (same Llama
# shapes, same batch of padded sequences, same thread count) when Debian's
# python3-torch is installed (run with /usr/bin/python3), else "skipped".
#
# Data: 64 synthetic pairs with ~60-token prompts and ~200-token responses
# (byte tokenizer), batch 8 pairs, micro-batch 8, 1 epoch (8 updates).
# prefpipe "e2e" tokens/s = all tokens trained (chosen + rejected, padding
# excluded) / wall time of the whole run (model loading, spooling, for DPO
# the reference pass, for rm-train the reward-statistics pass, and the
# checkpoint write included); "step" = the same tokens / the summed step
# times of the metrics records (forward + backward + AdamW; for DPO the
# reference forward is NOT in it: dpo-step does it once while spooling).
# PyTorch's "step" = the same real tokens / time of 8 steps after one
# warm-up step (for DPO each step includes the reference forward); its
# "job" adds the work rm-train does after training that the steps do not
# contain: the reward-statistics forward over all 64 pairs (8 batches of 16
# rows under no_grad), so both sides do the same work (DPO: job = step).
# ratio = our e2e / PyTorch's job (our e2e also pays loading, spooling and
# the checkpoint write, PyTorch's does not); step_ratio = step / step.
# %peak = step tokens/s x model FLOPs per token / the measured SGEMM peak
# (model_bench peak: the backend's matrix product on 1024^3 with the same
# team, printed first with the OpenBLAS core).  Model FLOPs per real token
# = 6 x the weights of every matrix product (lm head for DPO, score head
# for rm) + 6 x layers x heads x head_dim x the mean sequence length (the
# causal attention products, forward and backward), padding not counted:
# the share of the peak the step turns into useful work.
# %fma = the same FLOPs / the FMA ceiling (model_bench fma: what the
# vector units do with every operand in registers).  OpenBLAS runs its
# Haswell (AVX2) kernel on this project's AVX-512 machines, so the
# backend's own AVX-512 kernels (lib/backend/cpu/cpu_train_int.h) can pass
# 100 % of the SGEMM peak; %fma is the figure with no such ceiling.
# Threads: $BENCH_THREADS (default 2).
# Presets: $BENCH_PRESETS (default "tiny small"; add smollm2-135m on a
# machine with the memory and minutes for it).
set -eu
dir=${PREFPIPE_BENCH_DIR:-/tmp/prefpipe-bench}/train
mkdir -p "$dir"
threads=${BENCH_THREADS:-2}
# prefpipe pins OpenBLAS to one thread and splits the GEMMs over its own
# OpenMP team.  Debian's torch calls the same OpenBLAS, whose threads
# torch.set_num_threads does not reach: PyTorch runs with
# OPENBLAS_NUM_THREADS=1 and =$threads and keeps its better rates.
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=1
now() { date +%s.%N; }

data=$dir/pairs.mp
if [ ! -s "$data" ]; then
  awk 'BEGIN { srand(3); w = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu";
    n = split(w, words, " ");
    for (i = 0; i < 64; i++) {
      p = ""; c = ""; r = "";
      while (length(p) < 50) p = p words[int(rand() * n) + 1] " ";
      while (length(c) < 200) c = c words[int(rand() * n) + 1] " ";
      while (length(r) < 200) r = r words[int(rand() * n) + 1] " ";
      printf "{\"id\":\"b%d\",\"prompt\":[{\"role\":\"user\",\"content\":\"%s\"}],\"chosen\":\"yes %s\",\"rejected\":\"no %s\"}\n", i, p, c, r } }' |
    rec from-json > "$data"
fi

here=$(cd "$(dirname "$0")" && pwd)
sh "$here/model_bench.sh" "$dir/model_bench"
pk=$("$dir/model_bench" peak 1024)
peak=$(echo "$pk" | tr ' ' '\n' | sed -n 's/^gflops=//p')
echo "SGEMM peak (backend matmul 1024^3, $threads threads): $peak GFLOP/s; OpenBLAS core $(echo "$pk" | tr ' ' '\n' | sed -n 's/^core=//p'); load $(cut -d' ' -f1-3 /proc/loadavg)"
fm=$("$dir/model_bench" fma)
ceil=$(echo "$fm" | tr ' ' '\n' | sed -n 's/^gflops=//p')
echo "FMA ceiling (register-resident $(echo "$fm" | tr ' ' '\n' | sed -n 's/^isa=//p') FMA chains, $threads threads): $ceil GFLOP/s"

# flops_per_token PRESET_DIR dpo|rm MEAN_LEN: model FLOPs per real token of a step
flops_per_token() {
  jq -r --arg st "$2" --argjson T "$3" '
    (.head_dim // (.hidden_size / .num_attention_heads)) as $hd
    | (.num_attention_heads * $hd) as $qd | (.num_key_value_heads * $hd) as $kd
    | (.hidden_size * $qd * 2 + .hidden_size * $kd * 2 + .hidden_size * .intermediate_size * 3) as $layer
    | (.num_hidden_layers * $layer + (if $st == "dpo" then .vocab_size * .hidden_size else .hidden_size end)) as $mm
    | 6 * $mm + 6 * .num_hidden_layers * $qd * $T' "$1/config.json"
}

have_torch=0
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then have_torch=1; fi

torch_ref() {   # torch_ref PRESET dpo|rm  -> "step job" tokens/s, best of two BLAS settings
  a=$(OPENBLAS_NUM_THREADS=1 torch_run "$@")
  b=$(OPENBLAS_NUM_THREADS=$threads torch_run "$@")
  echo "$a $b" | awk '{ print ($1 > $3 ? $1 : $3), ($2 > $4 ? $2 : $4) }'
}

torch_run() {
  /usr/bin/python3 - "$1" "$2" "$threads" <<'PY'
import sys, time, math, torch
preset, mode, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.set_num_threads(threads); torch.manual_seed(0)
P = {"tiny": (64, 2, 4, 2, 192, 261), "small": (256, 6, 4, 4, 768, 261),
     "smollm2-135m": (576, 30, 9, 3, 1536, 49152)}[preset]
D, L, H, KV, F, V = P; hd = D // H
class Block(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.n1 = torch.nn.Parameter(torch.ones(D)); s.n2 = torch.nn.Parameter(torch.ones(D))
        s.q = torch.nn.Linear(D, H * hd, bias=False); s.k = torch.nn.Linear(D, KV * hd, bias=False)
        s.v = torch.nn.Linear(D, KV * hd, bias=False); s.o = torch.nn.Linear(H * hd, D, bias=False)
        s.g = torch.nn.Linear(D, F, bias=False); s.u = torch.nn.Linear(D, F, bias=False); s.d = torch.nn.Linear(F, D, bias=False)
def rms(x, w): return w * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5)
def rope(x, cos, sin):
    x1, x2 = x[..., : hd // 2], x[..., hd // 2 :]
    return x * cos + torch.cat((-x2, x1), -1) * sin
class Llama(torch.nn.Module):
    def __init__(s, score):
        super().__init__()
        s.emb = torch.nn.Embedding(V, D); s.blocks = torch.nn.ModuleList([Block() for _ in range(L)])
        s.norm = torch.nn.Parameter(torch.ones(D)); s.score = torch.nn.Linear(D, 1, bias=False) if score else None
    def forward(s, ids, mask):
        B, T = ids.shape
        pos = (mask.cumsum(1) - 1).clamp(min=0)
        inv = 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))
        ang = pos[..., None].float() * inv; ang = torch.cat((ang, ang), -1)
        cos, sin = ang.cos()[:, None], ang.sin()[:, None]
        causal = torch.ones(T, T, dtype=torch.bool).tril()
        am = causal[None, None] & mask[:, None, None, :].bool()
        x = s.emb(ids)
        for b in s.blocks:
            h = rms(x, b.n1)
            q = b.q(h).view(B, T, H, hd).transpose(1, 2); k = b.k(h).view(B, T, KV, hd).transpose(1, 2)
            v = b.v(h).view(B, T, KV, hd).transpose(1, 2)
            q, k = rope(q, cos, sin), rope(k, cos, sin)
            k = k.repeat_interleave(H // KV, 1); v = v.repeat_interleave(H // KV, 1)
            a = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=am) if hasattr(torch.nn.functional, "scaled_dot_product_attention") else \
                torch.softmax((q @ k.transpose(-1, -2) / math.sqrt(hd)).masked_fill(~am, -1e9), -1) @ v
            x = x + b.o(a.transpose(1, 2).reshape(B, T, H * hd))
            h = rms(x, b.n2)
            x = x + b.d(torch.nn.functional.silu(b.g(h)) * b.u(h))
        x = rms(x, s.norm)
        if s.score is not None: return s.score(x).squeeze(-1)
        return x @ s.emb.weight.t()
# batch: 16 rows (8 pairs) x ~270 tokens, right-padded like prefpipe's
B, T = 16, 272
g = torch.Generator().manual_seed(1)
ids = torch.randint(0, 256, (B, T), generator=g)
lens = torch.randint(262, T + 1, (B,), generator=g)
mask = (torch.arange(T)[None] < lens[:, None]).long()
resp = (torch.arange(T)[None] >= 60).float() * mask
pol = Llama(mode == "rm"); opt = torch.optim.AdamW(pol.parameters(), lr=1e-5, weight_decay=0.0)
ref = Llama(False) if mode == "dpo" else None
def step():
    opt.zero_grad()
    if mode == "dpo":
        with torch.no_grad():
            rl = torch.log_softmax(ref(ids, mask)[:, :-1], -1).gather(-1, ids[:, 1:, None]).squeeze(-1)
            rs = (rl * resp[:, 1:]).sum(1)
        lp = torch.log_softmax(pol(ids, mask)[:, :-1], -1).gather(-1, ids[:, 1:, None]).squeeze(-1)
        s = (lp * resp[:, 1:]).sum(1)
        h = (s[0::2] - rs[0::2]) - (s[1::2] - rs[1::2])
        loss = -torch.nn.functional.logsigmoid(0.1 * h).mean()
    else:
        v = pol(ids, mask); last = lens - 1
        r = v[torch.arange(B), last]
        loss = -torch.nn.functional.logsigmoid(r[0::2] - r[1::2]).mean()
    loss.backward(); torch.nn.utils.clip_grad_norm_(pol.parameters(), 1.0); opt.step()
step()
t = time.time()
for _ in range(8): step()
t_step = time.time() - t
t_stats = 0.0
if mode == "rm":
    with torch.no_grad():
        t = time.time()
        for _ in range(8): pol(ids, mask)
        t_stats = time.time() - t
tok = 8 * int(mask.sum())
print("%.0f %.0f" % (tok / t_step, tok / (t_step + t_stats)))
PY
}

printf '%-13s %-6s %10s %10s %6s %5s %10s %10s %6s %6s\n' preset stage e2e_tok/s step_tok/s %peak %fma pt_step pt_job ratio step_r
for preset in ${BENCH_PRESETS:-tiny small}; do
  lm-init --preset "$preset" -o "$dir/$preset" --seed 1 2>/dev/null
  for stage in dpo rm; do
    t0=$(now)
    if [ $stage = dpo ]; then
      dpo-step -m "$dir/$preset" --ref "$dir/$preset" -o "$dir/out" --epochs 1 --batch 8 --micro-batch 8 \
        --lr 1e-5 "$data" > "$dir/m.mp" 2>/dev/null
    else
      rm-train -m "$dir/$preset" -o "$dir/out" --batch 8 --micro-batch 8 "$data" > "$dir/m.mp" 2>/dev/null
    fi
    t1=$(now)
    tok=$(rec to-json < "$dir/m.mp" | jq -s 'map(.tokens // 0) | add')
    step=$(rec to-json < "$dir/m.mp" | jq -s 'map(select(.tokens_per_s > 0)) | (map(.tokens) | add) / (map(.tokens / .tokens_per_s) | add) | floor')
    ours=$(echo "$tok / ($t1 - $t0)" | bc -l | xargs printf '%.0f')
    mlen=$(rec to-json < "$dir/m.mp" | jq -s 'map(select(.examples > 0)) | (map(.tokens) | add) / (map(.examples * 2) | add)')
    fpt=$(flops_per_token "$dir/$preset" $stage "$mlen")
    pct=$(echo "$step * $fpt / ($peak * 1000000000) * 100" | bc -l | xargs printf '%.0f')
    pfma=$(echo "$step * $fpt / ($ceil * 1000000000) * 100" | bc -l | xargs printf '%.0f')
    if [ $have_torch = 1 ]; then
      set -- $(torch_ref $preset $stage); pt_step=$1 pt_job=$2
      ratio=$(echo "$ours / $pt_job" | bc -l | xargs printf '%.2f')
      step_r=$(echo "$step / $pt_step" | bc -l | xargs printf '%.2f')
    else
      pt_step=skipped pt_job=skipped ratio=- step_r=-
    fi
    printf '%-13s %-6s %10s %10s %6s %5s %10s %10s %6s %6s\n' "$preset" "$stage" "$ours" "$step" "$pct" "$pfma" "$pt_step" "$pt_job" "$ratio" "$step_r"
  done
done
[ $have_torch = 1 ] || echo "train: PyTorch reference skipped (Debian's python3-torch is not installed)"
echo "threads: $threads; tokens/s counts real (unpadded) tokens of chosen and rejected"
