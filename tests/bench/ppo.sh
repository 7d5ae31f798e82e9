#!/bin/sh
# ppo.sh — wall time of one PPO iteration as the paper runs it (App. F.2):
# B = 64 prompts, r = 1, responses of up to 256 tokens at temperature 0.7
# (random checkpoints rarely stop early, so nearly all are 256 tokens),
# one minibatch of 64, one inner epoch; split into generation (rollout),
# scoring (rm-score) and training (ppo-step: reference, policy and value
# forward/backward, two AdamW updates, state save and version publish).
# Presets: ${PPO_BENCH_PRESETS-tiny small} (empty: none).
#
# Reference: the same iteration in PyTorch (eager, fp32, the same shapes:
# KV-cache sampling, a reward forward, then reference forward, policy and
# value forward + backward with the clipped PPO losses, two AdamW steps)
# on the same thread count, when Debian's python3-torch is installed
# (/usr/bin/python3); otherwise it says "skipped".  Prints seconds per
# phase, the share of generation, and the ratio PyTorch / prefpipe.
# The two sides alternate, one iteration each, $BENCH_REPS times (default
# 2), and each phase keeps its best time: on a shared machine a load that
# comes and goes then falls on both sides alike, not on one of them.  The
# first line names the OpenBLAS core both sides call and the load average.
set -eu
dir=${PREFPIPE_BENCH_DIR:-/tmp/prefpipe-bench}/ppo
fix=$(cd "$(dirname "$0")/.." && pwd)/fixtures/ppo/prompts.jsonl
mkdir -p "$dir"
threads=${OMP_NUM_THREADS:-$(nproc)}
now() { date +%s.%N; }
since() { echo "$(now) $1" | awk '{printf "%.2f", $1 - $2}'; }
reps=${BENCH_REPS:-2}
havetorch=0
/usr/bin/python3 -c 'import torch' 2>/dev/null && havetorch=1
here=$(cd "$(dirname "$0")" && pwd)
sh "$here/model_bench.sh" "$dir/model_bench"
echo "OpenBLAS core $("$dir/model_bench" peak 64 | tr ' ' '\n' | sed -n 's/^core=//p'); load $(cut -d' ' -f1-3 /proc/loadavg); best of $reps alternating runs"
# minimum of two lists of numbers, element by element ("" = none yet)
best3() { if [ -z "$1" ]; then echo "$2"; else echo "$1 $2" | awk '{ for (i = 1; i <= 3; i++) printf "%s%s", (i > 1 ? " " : ""), ($i < $(i + 3) ? $i : $(i + 3)); print "" }'; fi; }

# 64 prompts: the 8 fixture prompts x 8
jq -c '. as $p | range(8) | $p + {id: ($p.id + "-" + tostring)}' "$fix" | rec from-json > "$dir/prompts.mp"

# torch_ppo THREADS CONFIG: seconds of the PyTorch iteration per phase (gen score train)
torch_ppo() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import json, math, sys, time
import torch
import torch.nn.functional as Fn

threads, cfgpath = int(sys.argv[1]), sys.argv[2]
torch.set_num_threads(threads)
torch.manual_seed(1)
c = json.load(open(cfgpath))
D, L, H = c["hidden_size"], c["num_hidden_layers"], c["num_attention_heads"]
KV, F, V = c.get("num_key_value_heads", H), c["intermediate_size"], c["vocab_size"]
hd = c.get("head_dim", D // H)


class Net(torch.nn.Module):
    def __init__(self, head):
        super().__init__()
        self.emb = torch.nn.Embedding(V, D)
        lin = lambda o, i: torch.nn.Linear(i, o, bias=False)
        self.blocks = torch.nn.ModuleList()
        for _ in range(L):
            b = torch.nn.Module()
            b.n1, b.n2 = torch.nn.Parameter(torch.ones(D)), torch.nn.Parameter(torch.ones(D))
            b.q, b.k, b.v, b.o = lin(H * hd, D), lin(KV * hd, D), lin(KV * hd, D), lin(D, H * hd)
            b.g, b.u, b.d = lin(F, D), lin(F, D), lin(D, F)
            self.blocks.append(b)
        self.norm = torch.nn.Parameter(torch.ones(D))
        self.score = lin(1, D) if head == "score" else None
        for p in self.parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, std=0.02)

    @staticmethod
    def rms(x, w):
        return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5))

    @staticmethod
    def half(x):
        h = x.shape[-1] // 2
        return torch.cat((-x[..., h:], x[..., :h]), -1)

    def forward(self, ids, cache=None, start=0):
        B, T = ids.shape
        x = self.emb(ids)
        inv = 1.0 / (10000.0 ** (torch.arange(0, hd, 2).float() / hd))
        f = torch.arange(start, start + T).float()[:, None] * inv[None]
        cos, sin = torch.cat((f, f), -1).cos(), torch.cat((f, f), -1).sin()
        mask = torch.full((T, start + T), float("-inf")).triu(start + 1)
        for i, b in enumerate(self.blocks):
            h = self.rms(x, b.n1)
            q = b.q(h).view(B, T, H, hd).transpose(1, 2)
            k = b.k(h).view(B, T, KV, hd).transpose(1, 2)
            v = b.v(h).view(B, T, KV, hd).transpose(1, 2)
            q, k = q * cos + self.half(q) * sin, k * cos + self.half(k) * sin
            if cache is not None:
                if i in cache:
                    k, v = torch.cat((cache[i][0], k), 2), torch.cat((cache[i][1], v), 2)
                cache[i] = (k, v)
            k, v = k.repeat_interleave(H // KV, 1), v.repeat_interleave(H // KV, 1)
            a = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(hd) + mask, -1)
            x = x + b.o((a @ v).transpose(1, 2).reshape(B, T, -1))
            h = self.rms(x, b.n2)
            x = x + b.d(Fn.silu(b.g(h)) * b.u(h))
        x = self.rms(x, self.norm)
        return self.score(x)[..., 0] if self.score is not None else x @ self.emb.weight.T


B, P, NEW = 64, 12, 256
pol, ref, rm, val = Net("lm"), Net("lm"), Net("score"), Net("score")
prompt = torch.randint(0, V, (B, P))
t0 = time.perf_counter()
with torch.no_grad():   # generation: KV cache, temperature 0.7, log-probs at tau 1
    cache, toks, lps = {}, [], []
    logits = pol(prompt, cache, 0)[:, -1]
    for s in range(NEW):
        tok = torch.multinomial(torch.softmax(logits / 0.7, -1), 1)
        lps.append(torch.log_softmax(logits, -1).gather(-1, tok))
        toks.append(tok)
        if s + 1 < NEW:
            logits = pol(tok, cache, P + s)[:, -1]
seq = torch.cat([prompt] + toks, 1)
t1 = time.perf_counter()
with torch.no_grad():   # scoring
    r = rm(seq)[:, -1]
t2 = time.perf_counter()


def tok_logp(m, ids):
    return torch.log_softmax(m(ids)[:, P - 1:-1], -1).gather(-1, ids[:, P:, None])[..., 0]


popt = torch.optim.AdamW(pol.parameters(), lr=1e-6, betas=(0.9, 0.95), eps=1e-5, weight_decay=0)
vopt = torch.optim.AdamW(val.parameters(), lr=1e-6, betas=(0.9, 0.95), eps=1e-5, weight_decay=0)
with torch.no_grad():
    reflp = tok_logp(ref, seq)
lp = tok_logp(pol, seq)
v = val(seq)[:, P - 1:-1]
old, vold = lp.detach(), v.detach()
rew = -0.05 * (old - reflp)
rew[:, -1] += r
adv, last = torch.zeros_like(rew), torch.zeros(B)
for t in reversed(range(NEW)):
    nxt = vold[:, t + 1] if t + 1 < NEW else torch.zeros(B)
    last = rew[:, t] + nxt - vold[:, t] + 0.95 * last
    adv[:, t] = last
ret = adv + vold
adv = (adv - adv.mean()) / (adv.std() + 1e-8)
ratio = torch.exp(lp - old)
pl = torch.max(-adv * ratio, -adv * ratio.clamp(0.8, 1.2)).mean()
vc = vold + (v - vold).clamp(-0.2, 0.2)
vl = 0.5 * torch.max((v - ret) ** 2, (vc - ret) ** 2).mean()
(pl + 0.1 * vl).backward()
for m, o in ((pol, popt), (val, vopt)):
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    o.step()
t3 = time.perf_counter()
print("%.2f %.2f %.2f" % (t1 - t0, t2 - t1, t3 - t2))
PY
}

printf '%-6s %8s %8s %8s %8s %7s | %8s %8s %8s %8s %7s\n' preset gen score train total gen% \
  torch:gen score train total ratio
for preset in ${PPO_BENCH_PRESETS-tiny small}; do
  rm -rf "$dir/pol" "$dir/rm" "$dir/run"
  lm-init -p "$preset" -o "$dir/pol" --seed 1 2>/dev/null
  lm-init -p "$preset" --reward -o "$dir/rm" --seed 2 2>/dev/null
  ours="" ref=""
  i=0
  while [ $i -lt "$reps" ]; do
    rm -rf "$dir/run"
    t=$(now); rollout -c "$dir/pol" -B 64 --max-new 256 --gen-batch 64 "$dir/prompts.mp" > "$dir/r.mp" 2>/dev/null; g=$(since "$t")
    t=$(now); rm-score -c "$dir/rm" -b 64 "$dir/r.mp" > "$dir/s.mp" 2>/dev/null; s=$(since "$t")
    t=$(now); ppo-step -c "$dir/pol" --value "$dir/rm" -o "$dir/run" -b 64 "$dir/s.mp" > /dev/null 2>&1; tr=$(since "$t")
    ours=$(best3 "$ours" "$g $s $tr")
    [ $havetorch = 1 ] && ref=$(best3 "$ref" "$(torch_ppo "$threads" "$dir/pol/config.json")")
    i=$((i + 1))
  done
  set -- $ours; g=$1 s=$2 tr=$3
  tot=$(echo "$g $s $tr" | awk '{printf "%.2f", $1 + $2 + $3}')
  share=$(echo "$g $tot" | awk '{printf "%.0f%%", 100 * $1 / $2}')
  if [ $havetorch = 1 ]; then
    set -- $ref
    rtot=$(echo "$1 $2 $3" | awk '{printf "%.2f", $1 + $2 + $3}')
    ratio=$(echo "$rtot $tot" | awk '{printf "%.2fx", $1 / $2}')
    printf '%-6s %8s %8s %8s %8s %7s | %8s %8s %8s %8s %7s\n' "$preset" "$g" "$s" "$tr" "$tot" "$share" "$1" "$2" "$3" "$rtot" "$ratio"
  else
    printf '%-6s %8s %8s %8s %8s %7s | PyTorch reference skipped (no python3-torch)\n' "$preset" "$g" "$s" "$tr" "$tot" "$share"
  fi
done
echo "seconds per phase, $threads threads; ratio = PyTorch total / prefpipe total (> 1: prefpipe faster)"

# The heavier toy run (the test's task at a larger budget): reward = the
# fraction of response tokens with ids 0-63; 16 prompts x 4 samples per
# batch, 16-token responses, 20 batches, beta 0.05 and beta 1.
# PPO_BENCH_TOY=0 skips it.
if [ "${PPO_BENCH_TOY:-1}" = 1 ]; then
  rm -rf "$dir/pol" "$dir/toy"*
  lm-init -o "$dir/pol" --seed 1 2>/dev/null
  jq -c '. as $p | range(2) | $p + {id: ($p.id + "-" + tostring)}' "$fix" | rec from-json > "$dir/toy-prompts.mp"
  for beta in 0.05 1; do
    t=$(now)
    rollout -f "$dir/toy$beta" -B 16 -n 4 --epochs 20 --max-new 16 --temperature 1 --seed 3 "$dir/toy-prompts.mp" 2>/dev/null |
      toy-reward --token 0-63 |
      ppo-step -c "$dir/pol" --value-from-policy -o "$dir/toy$beta" -b 64 --lr 1e-2 --warmup-steps 0 --no-eos-trick \
        --beta "$beta" 2>/dev/null | rec to-json > "$dir/toy$beta.jsonl"
    el=$(since "$t")
    jq -s -r --arg beta "$beta" --arg el "$el" '"toy beta " + $beta + ": reward " +
      (((.[0].reward_mean + .[1].reward_mean) / 2 * 1000 | round / 1000) | tostring) + " -> " +
      (((.[-1].reward_mean + .[-2].reward_mean) / 2 * 1000 | round / 1000) | tostring) + ", final KL " +
      ((.[-1].kl * 1000 | round / 1000) | tostring) + " (" + (length | tostring) + " batches, " + $el + " s)"' "$dir/toy$beta.jsonl"
  done
fi
