/*
 * backend.h — the operation table every model computation goes through.
 *
 * The model (model.c), the optimizer (optim.c) and the sampler never do
 * tensor arithmetic themselves: they call these operations on buffers
 * obtained from the backend's allocator.  backend_cpu.c implements them
 * with OpenBLAS cblas_sgemm + OpenMP in fp32; a CUDA backend provides the
 * same table over device memory (each CUDA op is checked against its CPU
 * twin).
 *
 * Conventions shared by all operations:
 * - Tensors are dense, row-major fp32.  A "token-major" activation has one
 *   row per token: [N, D] with N = batch * length.
 * - Weights use the Hugging Face nn.Linear layout [out, in]: y = x W^T.
 * - Backward operations ACCUMULATE into weight gradients (dw += ...), so
 *   gradient accumulation over micro-batches is free; gradients with respect
 *   to activations are OVERWRITTEN unless the name says `acc`.
 * - Integer inputs (token ids, positions, masks) are host arrays; on a
 *   device backend the op uploads them.
 * - Results must not depend on the thread count except through the
 *   order of floating-point sums inside BLAS.
 */
#ifndef PREFPIPE_BACKEND_H
#define PREFPIPE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

typedef struct backend {
    const char *name;

    /* memory (host memory on the CPU backend) */
    float *(*alloc)(size_t nfloats);              /* zeroed */
    void (*free)(float *p);
    void (*upload)(float *dst, const float *host, size_t n);
    void (*download)(float *host, const float *src, size_t n);
    void (*zero)(float *p, size_t n);
    void (*copy)(float *dst, const float *src, size_t n);

    /* y[n,out] (+)= x[n,in] W[out,in]^T; accumulate: y += instead of = */
    void (*matmul)(float *y, const float *x, const float *w,
                   int n, int in, int out, int accumulate);
    /* dx[n,in] (+)= dy W (acc_dx), dw[out,in] += dy^T x.  dx or dw may be
     * NULL to skip that half. */
    void (*matmul_bwd)(float *dx, float *dw, const float *dy, const float *x,
                       const float *w, int n, int in, int out, int acc_dx);

    /* rows of the embedding table: out[i] = table[ids[i]] */
    void (*embed)(float *out, const float *table, const int32_t *ids, int n, int d);
    void (*embed_bwd)(float *dtable, const float *dout, const int32_t *ids, int n, int d);

    /* y = w * x / sqrt(mean(x^2) + eps), per row; rstd[n] saved */
    void (*rmsnorm)(float *y, float *rstd, const float *x, const float *w,
                    int n, int d, float eps);
    /* dx (+)= ..., dw += ... */
    void (*rmsnorm_bwd)(float *dx, float *dw, const float *dy, const float *x,
                        const float *w, const float *rstd, int n, int d, int acc_dx);

    /* Rotary embedding in place, Hugging Face "rotate_half" pairing
     * (i, i + hd/2), angle pos * theta^(-2i/hd).  x is [n, heads*hd].
     * inverse = 1 rotates by the negative angle (the backward pass). */
    void (*rope)(float *x, const int32_t *pos, int n, int heads, int hd,
                 float theta, int inverse);

    /* Causal grouped-query attention with a key mask.
     * q:   [B, Tq, H*hd]          queries for slots q0 .. q0+Tq-1
     * k,v: [B, kstride, KV*hd]    keys/values for slots 0 .. q0+Tq-1
     * valid: [B, kstride]         1 = real token, 0 = padding
     * Query at slot s attends keys j <= s with valid[j]; a query with no
     * such key outputs zeros.  out: [B, Tq, H*hd]; lse: [B, H, Tq]
     * (log-sum-exp of the scaled scores, saved for the backward pass). */
    void (*attention)(float *out, float *lse, const float *q, const float *k,
                      const float *v, const uint8_t *valid, int B, int Tq,
                      int q0, int kstride, int H, int KV, int hd);
    /* Backward of attention with q0 = 0 and kstride = Tq (training):
     * recomputes the probabilities from lse; dq, dk, dv overwritten. */
    void (*attention_bwd)(float *dq, float *dk, float *dv, const float *dout,
                          const float *q, const float *k, const float *v,
                          const float *out, const float *lse,
                          const uint8_t *valid, int B, int T, int H, int KV, int hd);

    /* h = silu(g) * u, elementwise over n */
    void (*swiglu)(float *h, const float *g, const float *u, size_t n);
    void (*swiglu_bwd)(float *dg, float *du, const float *dh, const float *g,
                       const float *u, size_t n);

    /* y += x (residual) */
    void (*add)(float *y, const float *x, size_t n);

    /* Log-softmax gather: for each row i of logits[n, V] with target
     * t = targets[i] >= 0, logp[i] = log softmax(logits[i])[t] and
     * lse[i] = logsumexp(logits[i]); rows with t < 0 give logp 0. */
    void (*logprob)(float *logp, float *lse, const float *logits,
                    const int32_t *targets, int n, int V);
    /* In place: logits[i] becomes d loss / d logits[i] given dlogp[i]:
     * dlogp * (onehot(t) - softmax).  Rows with t < 0 or dlogp 0 become 0. */
    void (*logprob_bwd)(float *logits, const float *lse, const float *dlogp,
                        const int32_t *targets, int n, int V);

    /* sum of squares of x (double accumulation) */
    double (*sumsq)(const float *x, size_t n);
    /* x *= s */
    void (*scale)(float *x, float s, size_t n);
    /* One AdamW update with bias correction at step t (1-based):
     * g' = g * gscale; m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2;
     * p -= lr * (mhat / (sqrt(vhat) + eps) + wd * p). */
    void (*adamw)(float *p, const float *g, float *m, float *v, size_t n,
                  float lr, float b1, float b2, float eps, float wd,
                  float gscale, long t);
} backend;

/* The CPU backend (always available). */
const backend *backend_cpu(void);
/* Look a backend up by name ("cpu", "cuda"); NULL when not built in. */
const backend *backend_by_name(const char *name);

#endif
