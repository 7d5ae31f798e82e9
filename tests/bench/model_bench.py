#!/usr/bin/python3
"""model_bench.py — the PyTorch reference for tests/bench/model.sh.

Same workloads as model_bench.c, written the way Hugging Face's eager
Llama computes them (fp32, matmul + softmax attention with a causal mask,
repeat_kv for GQA, tied embeddings):
  model_bench.py THREADS train D L H KV F V B T ITERS   forward + backward
  model_bench.py THREADS gen   D L H KV F V B P NEW     KV-cache sampling, tau 0.7
Prints "tok_s=... peak_mib=..." like the C driver.
"""
import math
import resource
import sys
import time

import torch
import torch.nn.functional as Fn


class Llama(torch.nn.Module):
    def __init__(self, D, L, H, KV, F, V):
        super().__init__()
        self.D, self.L, self.H, self.KV, self.hd = D, L, H, KV, D // H
        self.emb = torch.nn.Embedding(V, D)
        mk = lambda o, i: torch.nn.Linear(i, o, bias=False)
        self.layers = torch.nn.ModuleList()
        for _ in range(L):
            m = torch.nn.Module()
            m.n1, m.n2 = torch.nn.Parameter(torch.ones(D)), torch.nn.Parameter(torch.ones(D))
            m.q, m.k, m.v, m.o = mk(H * self.hd, D), mk(KV * self.hd, D), mk(KV * self.hd, D), mk(D, H * self.hd)
            m.g, m.u, m.d = mk(F, D), mk(F, D), mk(D, F)
            self.layers.append(m)
        self.norm = torch.nn.Parameter(torch.ones(D))
        for p in self.parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, std=0.02)

    @staticmethod
    def rms(x, w):
        return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5))

    def rope(self, pos):
        inv = 1.0 / (10000.0 ** (torch.arange(0, self.hd, 2).float() / self.hd))
        f = pos[:, None].float() * inv[None]
        e = torch.cat((f, f), -1)
        return e.cos(), e.sin()

    @staticmethod
    def rot(x):
        h = x.shape[-1] // 2
        return torch.cat((-x[..., h:], x[..., :h]), -1)

    def forward(self, ids, cache=None, start=0):
        B, T = ids.shape
        x = self.emb(ids)
        cos, sin = self.rope(torch.arange(start, start + T))
        S = start + T
        mask = torch.full((T, S), float("-inf")).triu(start + 1)
        for li, m in enumerate(self.layers):
            h = self.rms(x, m.n1)
            q = m.q(h).view(B, T, self.H, self.hd).transpose(1, 2)
            k = m.k(h).view(B, T, self.KV, self.hd).transpose(1, 2)
            v = m.v(h).view(B, T, self.KV, self.hd).transpose(1, 2)
            q = q * cos + self.rot(q) * sin
            k = k * cos + self.rot(k) * sin
            if cache is not None:
                if li in cache:
                    k = torch.cat((cache[li][0], k), 2)
                    v = torch.cat((cache[li][1], v), 2)
                cache[li] = (k, v)
            k = k.repeat_interleave(self.H // self.KV, 1)
            v = v.repeat_interleave(self.H // self.KV, 1)
            a = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(self.hd) + mask, -1)
            x = x + m.o((a @ v).transpose(1, 2).reshape(B, T, -1))
            h = self.rms(x, m.n2)
            x = x + m.d(Fn.silu(m.g(h)) * m.u(h))
        return self.rms(x, self.norm) @ self.emb.weight.T


def main():
    threads, mode = int(sys.argv[1]), sys.argv[2]
    D, L, H, KV, F, V, B, T, K = map(int, sys.argv[3:12])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = Llama(D, L, H, KV, F, V)
    if mode == "train":
        ids = torch.randint(0, V, (B, T))
        opt = torch.optim.AdamW(model.parameters())   # state allocated like the C side
        for it in range(K + 1):
            if it == 1:
                t0 = time.perf_counter()
            model.zero_grad(set_to_none=False)
            lp = torch.log_softmax(model(ids)[:, :-1], -1).gather(-1, ids[:, 1:, None])
            (-lp.mean()).backward()
        dt = time.perf_counter() - t0
        rate = K * B * T / dt
        del opt
    else:
        with torch.no_grad():
            ids = torch.randint(0, V, (B, T))
            cache = {}
            t0 = time.perf_counter()
            logits = model(ids, cache, 0)[:, -1]
            n = 0
            for s in range(K):
                tok = torch.multinomial(torch.softmax(logits / 0.7, -1), 1)
                n += B
                if s + 1 < K:
                    logits = model(tok, cache, T + s)[:, -1]
            rate = n / (time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print("tok_s=%.1f peak_mib=%.1f" % (rate, peak))


if __name__ == "__main__":
    main()
