/*
 * backend.h — the operation table every model computation goes through.
 *
 * The model (model.c), the optimizer (optim.c) and the sampler never do
 * tensor arithmetic themselves: they call these operations on buffers
 * obtained from the backend's allocator.  cpu/backend_cpu.c implements
 * them with OpenBLAS cblas_sgemm + OpenMP in fp32; ref/backend_ref.c is a
 * plain-C reference (no BLAS, no threads) that test_backend_parity checks
 * every other backend against; a CUDA backend provides the same table over
 * device memory.
 *
 * Getting a backend: backend_by_name("cpu" | "ref" | "cuda" | "cuda:N")
 * (backend.c, the registry) returns an instance with its setup applied
 * once (OpenBLAS pinned to one thread for "cpu"; a device, cuBLAS handle
 * and stream for "cuda"), or NULL and a message plus exit code when the
 * name is unknown (EX_USAGE) or the backend cannot run here (not compiled
 * in, no device: EX_UNAVAILABLE).  Instances live until the process ends.
 *
 * The context: `ctx` holds an instance's private state (handles, streams,
 * the device); NULL for cpu and ref.  Every operation takes the instance
 * as its first argument (`be->matmul(be, ...)`), so two instances of one
 * implementation (two devices) can coexist in one process.
 *
 * Sync semantics: operations on one instance run in the order they are
 * issued, and a device backend may return before the work is done (one
 * stream).  What the host can observe is always ordered:
 * - download, download_bytes and sumsq return only when their result is
 *   in host memory, after every operation issued before them;
 * - upload and upload_bytes return when the host source may be reused;
 * - free waits for any queued operation still using the buffer;
 * - sync(be) waits for everything issued so far (benchmarks time between
 *   syncs; nothing else needs it).  On cpu and ref it does nothing.
 *
 * Memory and ownership: alloc gives zeroed float buffers, alloc_bytes
 * zeroed raw buffers for integer data (token ids, positions and targets
 * as int32_t, masks as uint8_t); both are backend memory (host memory on
 * cpu/ref, device memory on a GPU), released with free by the same
 * instance.  The host never dereferences backend memory: it moves data
 * with upload/download.  The caller owns every buffer; operations never
 * keep a pointer after they return (device backends: after the queued
 * work ends).  Integer inputs are uploaded ONCE per batch (model.c keeps
 * host staging arrays and one backend copy of ids/positions/targets/mask)
 * — every `const int32_t *` and `const uint8_t *` argument below is
 * backend memory, never a host array.
 *
 * Conventions shared by all operations:
 * - Tensors are dense, row-major fp32.  A "token-major" activation has one
 *   row per token: [N, D] with N = batch * length.
 * - Weights use the Hugging Face nn.Linear layout [out, in]: y = x W^T.
 * - Backward operations ACCUMULATE into weight gradients (dw += ...), so
 *   gradient accumulation over micro-batches is free; gradients with respect
 *   to activations are OVERWRITTEN unless the name says `acc`.
 * - No host loop launches one operation per row: row-wise work is one
 *   operation (copy_rows, zero_rows).
 * - Results must not depend on the thread count except through the
 *   order of floating-point sums inside BLAS.
 *
 * Adding an operation: declare it here, implement it in every backend
 * (cpu, ref, cuda) and add it to tests/unit/backend/test_backend_parity.c,
 * which fails when the table has an entry it does not test.
 */
#ifndef PREFPIPE_BACKEND_H
#define PREFPIPE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct backend backend;

/* one product of matmul_rows_n: y[n, out] (+)= x W^T with W [out, in] */
typedef struct {
    float *y;
    const float *w;
    int out;
} rows_prod;

struct backend {
    const char *name;       /* "cpu", "ref", "cuda:0" */
    void *ctx;              /* the implementation's state; NULL on cpu/ref */
    /* ---- ordering ---- (first function pointer: the parity test counts
     * the entries from here to the end of the struct) */
    void (*sync)(const backend *be);

    /* ---- memory ---- */
    float *(*alloc)(const backend *be, size_t nfloats);          /* zeroed */
    void *(*alloc_bytes)(const backend *be, size_t nbytes);      /* zeroed */
    void (*free)(const backend *be, void *p);                    /* either kind; NULL ok */
    void (*upload)(const backend *be, float *dst, const float *host, size_t n);
    void (*download)(const backend *be, float *host, const float *src, size_t n);
    void (*upload_bytes)(const backend *be, void *dst, const void *host, size_t nbytes);
    void (*download_bytes)(const backend *be, void *host, const void *src, size_t nbytes);
    void (*zero)(const backend *be, float *p, size_t n);
    void (*copy)(const backend *be, float *dst, const float *src, size_t n);
    /* rows x cols block: dst[r * dst_ld + c] = src[r * src_ld + c]; the
     * two blocks must not overlap (KV-cache appends, last-slot gathers) */
    void (*copy_rows)(const backend *be, float *dst, size_t dst_ld,
                      const float *src, size_t src_ld, size_t rows, size_t cols);
    /* x[i, :] = 0 for every row i of x[n, d] with mask[i] == 0 */
    void (*zero_rows)(const backend *be, float *x, const uint8_t *mask, int n, int d);

    /* y[n,out] (+)= x[n,in] W[out,in]^T; accumulate: y += instead of = */
    void (*matmul)(const backend *be, float *y, const float *x, const float *w,
                   int n, int in, int out, int accumulate);
    /* dx[n,in] (+)= dy W (acc_dx), dw[out,in] += dy^T x.  dx or dw may be
     * NULL to skip that half. */
    void (*matmul_bwd)(const backend *be, float *dx, float *dw, const float *dy,
                       const float *x, const float *w, int n, int in, int out, int acc_dx);

    /* matmul (accumulate: y +=) in one fixed order, so a row's bits depend
     * on nothing but its own inputs — not on n, its place among the rows,
     * the thread count or the device (sampling: a row gives the same
     * tokens alone or in any batch, and finished rows may leave it).  Each
     * element: 16 chains s[l] = fma(x[k], w[k], s[l]) over k = l (mod 16)
     * in increasing k from s[l] = 0, then s[l] += s[l + h] for l < h, h =
     * 8, 4, 2, 1 (float adds), then y = s[0] (or y + s[0]). */
    void (*matmul_rows)(const backend *be, float *y, const float *x, const float *w,
                        int n, int in, int out, int accumulate);
    /* count products of the same x as one operation: p[j].y (+)= x
     * p[j].w^T, each exactly matmul_rows (the same bits as count calls).
     * Decoding's q/k/v and gate/up products: at one row they are small,
     * and one pass lets a backend split all their outputs over its
     * threads (or one launch) instead of waking the team per product. */
    void (*matmul_rows_n)(const backend *be, const rows_prod *p, int count, const float *x,
                          int n, int in, int accumulate);
    /* matmul (accumulate: y +=) for packed forwards (model_forward:
     * training and scoring), in the backend's own order.  cpu and ref: a
     * row's bits depend on its own inputs and the shape (in, out) alone,
     * not on n or the other rows, so a sequence scores the same bits in
     * any batch (dpo-step's policy equals its reference at step 0 however
     * the reference was grouped); cpu: the fixed-chain kernels of
     * cpu_train_int.h for thin products, matmul_rows's order otherwise;
     * ref: matmul_rows.  cuda: cuBLAS (matmul), far faster than a fixed
     * order there, whose rounding of a row may depend on the batch. */
    void (*matmul_seqs)(const backend *be, float *y, const float *x, const float *w,
                        int n, int in, int out, int accumulate);

    /* rows of the embedding table: out[i] = table[ids[i]] */
    void (*embed)(const backend *be, float *out, const float *table,
                  const int32_t *ids, int n, int d);
    /* dtable[ids[i]] += dout[i] (rows may repeat) */
    void (*embed_bwd)(const backend *be, float *dtable, const float *dout,
                      const int32_t *ids, int n, int d);

    /* y = w * x / sqrt(mean(x^2) + eps), per row; rstd[n] saved */
    void (*rmsnorm)(const backend *be, float *y, float *rstd, const float *x,
                    const float *w, int n, int d, float eps);
    /* dx (+)= ..., dw += ... (dw may be NULL) */
    void (*rmsnorm_bwd)(const backend *be, float *dx, float *dw, const float *dy,
                        const float *x, const float *w, const float *rstd,
                        int n, int d, int acc_dx);

    /* Rotary embedding in place, Hugging Face "rotate_half" pairing
     * (i, i + hd/2), angle pos * theta^(-2i/hd).  x is [n, heads*hd].
     * inverse = 1 rotates by the negative angle (the backward pass). */
    void (*rope)(const backend *be, float *x, const int32_t *pos, int n, int heads,
                 int hd, float theta, int inverse);

    /* Causal grouped-query attention with a key mask.
     * q:   [B, Tq, H*hd]          queries for slots q0 .. q0+Tq-1
     * k,v: [B, kstride, KV*hd]    keys/values for slots 0 .. q0+Tq-1
     * valid: [B, kstride]         1 = real token, 0 = padding
     * Query at slot s attends keys j <= s with valid[j]; a query with no
     * such key outputs zeros.  out: [B, Tq, H*hd]; lse: [B, H, Tq]
     * (log-sum-exp of the scaled scores, saved for the backward pass). */
    void (*attention)(const backend *be, float *out, float *lse, const float *q,
                      const float *k, const float *v, const uint8_t *valid,
                      int B, int Tq, int q0, int kstride, int H, int KV, int hd);
    /* Backward of attention with q0 = 0 and kstride = Tq (training):
     * recomputes the probabilities from lse; dq, dk, dv overwritten. */
    void (*attention_bwd)(const backend *be, float *dq, float *dk, float *dv,
                          const float *dout, const float *q, const float *k,
                          const float *v, const float *out, const float *lse,
                          const uint8_t *valid, int B, int T, int H, int KV, int hd);

    /* Causal attention inside each of nseq sequences packed back to back
     * with no padding (training and scoring): sequence s holds rows off_s
     * .. off_s + len[s] - 1 of q [N, H*hd], k, v [N, KV*hd] and out [N,
     * H*hd], off_s = len[0] + ... + len[s-1]; every key is real; lse [N*H]
     * holds sequence s's [H, len[s]] block at off_s * H.  A sequence's
     * bits depend on nothing but its own rows — not on the others, where
     * it sits or nseq (for a given thread count) — so the same sequence
     * scored in any batch gives the same log-probs (dpo-step's policy at
     * step 0 equals its reference bit for bit).  len is a HOST array of
     * nseq lengths >= 0: it decides the shapes, as B and T do. */
    void (*attention_seqs)(const backend *be, float *out, float *lse, const float *q,
                           const float *k, const float *v, const int *len, int nseq,
                           int H, int KV, int hd);
    /* Backward of attention_seqs: dq, dk, dv overwritten. */
    void (*attention_seqs_bwd)(const backend *be, float *dq, float *dk, float *dv,
                               const float *dout, const float *q, const float *k,
                               const float *v, const float *out, const float *lse,
                               const int *len, int nseq, int H, int KV, int hd);

    /* attention (same arguments and result) computed per query from the
     * visible keys alone, so padding, holes and the slot a row starts at
     * never change its bits (see matmul_rows for why): score_j = dot(q,
     * k_j) * (1 / sqrt(hd)), dot in matmul_rows's order, for each visible
     * key j in increasing slot order; m = their maximum; e_j = exp(score_j
     * - m); sum = the e_j added in that order (float); p_j = e_j * (1 /
     * sum); out[d] = fma chain of p_j v_j[d] over the same keys from 0;
     * lse = m + log(sum).  exp may differ between backends by an ulp. */
    void (*attention_rows)(const backend *be, float *out, float *lse, const float *q,
                           const float *k, const float *v, const uint8_t *valid,
                           int B, int Tq, int q0, int kstride, int H, int KV, int hd);

    /* h = silu(g) * u, elementwise over n */
    void (*swiglu)(const backend *be, float *h, const float *g, const float *u, size_t n);
    void (*swiglu_bwd)(const backend *be, float *dg, float *du, const float *dh,
                       const float *g, const float *u, size_t n);
    /* h = gelu_tanh(g) * u (Gemma's GeGLU), gelu_tanh(x) = x/2 (1 + tanh(
     * sqrt(2/pi) (x + 0.044715 x^3))); the backward as swiglu_bwd's */
    void (*geglu)(const backend *be, float *h, const float *g, const float *u, size_t n);
    void (*geglu_bwd)(const backend *be, float *dg, float *du, const float *dh,
                      const float *g, const float *u, size_t n);

    /* y += x (residual) */
    void (*add)(const backend *be, float *y, const float *x, size_t n);

    /* Log-softmax gather: for each row i of logits[n, V] with target
     * t = targets[i] >= 0, logp[i] = log softmax(logits[i])[t] and
     * lse[i] = logsumexp(logits[i]); rows with t < 0 give logp 0. */
    void (*logprob)(const backend *be, float *logp, float *lse, const float *logits,
                    const int32_t *targets, int n, int V);
    /* In place: logits[i] becomes d loss / d logits[i] given dlogp[i]:
     * dlogp * (onehot(t) - softmax).  Rows with t < 0 or dlogp 0 become 0. */
    void (*logprob_bwd)(const backend *be, float *logits, const float *lse,
                        const float *dlogp, const int32_t *targets, int n, int V);

    /* sum of squares of x (double accumulation), returned to the host */
    double (*sumsq)(const backend *be, const float *x, size_t n);
    /* x *= s */
    void (*scale)(const backend *be, float *x, float s, size_t n);
    /* One AdamW update with bias correction at step t (1-based):
     * g' = g * gscale; m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2;
     * p -= lr * (mhat / (sqrt(vhat) + eps) + wd * p). */
    void (*adamw)(const backend *be, float *p, const float *g, float *m, float *v,
                  size_t n, float lr, float b1, float b2, float eps, float wd,
                  float gscale, long t);
};

/* Why backend_by_name returned NULL: code is EX_USAGE (64) for a name
 * this build does not know or a malformed one, EX_UNAVAILABLE (69) for a
 * backend that cannot run here (not compiled in, no device); msg is one
 * sentence naming the backend, for the user.  Callers exit with code. */
typedef struct {
    int code;
    char msg[256];
} backend_error;

/* Look a backend up by name ("cpu", "ref", "cuda", "cuda:N") and apply its
 * setup (once per instance).  NULL on failure, with *err filled when err
 * is not NULL. */
const backend *backend_by_name(const char *name, backend_error *err);
/* backend_by_name for a stage's --device value: the backend, or exit 64
 * (unknown or malformed name, cli_usage_error) or 69 (EX_UNAVAILABLE: not
 * compiled in, no driver or device) with the reason (backend_device.c). */
const backend *backend_for_device(const char *name);
/* backend_by_name("cpu") (always available). */
const backend *backend_cpu(void);
/* The names backend_by_name knows in this build, comma-separated (for
 * --help and error messages). */
const char *backend_names(void);

#ifdef __cplusplus
}
#endif

#endif
