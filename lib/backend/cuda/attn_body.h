/*
 * attn_body.h — the pieces of causal grouped-query attention that run per
 * element or per row around the cuBLAS batched products (cuda_attn.cu).
 *
 * Layout.  The batch of products is z = 0 .. nb*H-1 over a chunk of rows
 * b0 .. b0+nb-1 of the batch (z = (b - b0) * H + h, head h fastest); head
 * h reads key/value head h / (H/KV).  Each z owns a dense score block
 * S[z] of Tq x Tk floats (Tk = q0 + Tq keys) in a scratch buffer; the
 * queries, keys, values and outputs stay in the model's token-major
 * layout and are addressed with leading dimensions qd = H*hd, kd = KV*hd.
 * The log-sum-exp array [B, H, Tq] is then indexed lse[(b0*H + z)*Tq + i].
 *
 * Masking: query row i sees key j when j <= q0 + i and valid[b][j]; a row
 * that sees nothing gets probability 0 everywhere and lse 0 (output 0),
 * as the CPU backend.
 *
 * Backward (q0 = 0, Tk = Tq = T): P is recomputed from S and lse,
 * D_i = dO_i . O_i, dS = P (dP - D_i); dK and dV are produced per query
 * head and then summed over each key head's group in head order
 * (att_group_sum_body), which keeps them deterministic without atomics.
 */
#ifndef PREFPIPE_CUDA_ATTN_BODY_H
#define PREFPIPE_CUDA_ATTN_BODY_H

#include "backend/cuda/cu_hd.h"

/* The operands of the batched products.  Each has a base pointer (the
 * whole tensor) and, for product z, an offset from att_offset. */
enum { ATT_Q, ATT_K, ATT_V, ATT_S, ATT_O, ATT_DO, ATT_DP, ATT_DQ, ATT_DKH, ATT_DVH, ATT_NOPS };

/* Offset (in floats) of product z's block of operand op:
 * Q, O, dO, dQ (token-major, row stride qd): row b, column h*hd;
 * K, V (row stride kd, kstride slots a row): row b, column kh*hd;
 * S, dP (scratch, Tq x Tk each); dKh, dVh (scratch, Tq x hd each). */
CU_HD size_t att_offset(int op, int z, int b0, int H, int KV, int Tq, int kstride, int Tk, int hd)
{
    size_t b = (size_t)b0 + z / H, h = z % H, kh = h / (H / KV);
    size_t qd = (size_t)H * hd, kd = (size_t)KV * hd;
    switch (op) {
    case ATT_K: case ATT_V: return b * kstride * kd + kh * hd;
    case ATT_S: case ATT_DP: return (size_t)z * Tq * Tk;
    case ATT_DKH: case ATT_DVH: return (size_t)z * Tq * hd;
    default: return b * Tq * qd + h * hd;      /* Q, O, dO, dQ */
    }
}

/* One batched product C = alpha op(A) op(B) (+ beta C), row-major in
 * cblas terms, operands named by ATT_* (cuda_int.h's cu_gemm_batched). */
typedef struct { int ta, tb, M, N, K; float alpha, beta; int a, lda, b, ldb, c, ldc; } att_gemm;

CU_HD att_gemm att_mk(int ta, int tb, int M, int N, int K, float alpha, int a, int lda,
                      int b, int ldb, int c, int ldc)
{
    att_gemm g = {ta, tb, M, N, K, alpha, 0.0f, a, lda, b, ldb, c, ldc};
    return g;
}

/* The products of the forward: step 0 S = scale Q K^T (before the
 * softmax), step 1 O = P V (after it). */
CU_HD att_gemm att_fwd_gemm(int step, int Tq, int Tk, int H, int KV, int hd)
{
    int qd = H * hd, kd = KV * hd;
    float scale = 1.0f / sqrtf((float)hd);
    if (step == 0) return att_mk(0, 1, Tq, Tk, hd, scale, ATT_Q, qd, ATT_K, kd, ATT_S, Tk);
    return att_mk(0, 0, Tq, hd, Tk, 1.0f, ATT_S, Tk, ATT_V, kd, ATT_O, qd);
}

/* The products of the backward (Tq = Tk = T), in order:
 * 0 S = scale Q K^T          (then P from S and lse)
 * 1 dVh = P^T dO
 * 2 dP = dO V^T              (then D, then dS = P (dP - D) in dP)
 * 3 dQ = scale dS K
 * 4 dKh = scale dS^T Q       (then dK, dV = sums of dKh, dVh per group) */
#define ATT_BWD_STEPS 5
CU_HD att_gemm att_bwd_gemm(int step, int T, int H, int KV, int hd)
{
    int qd = H * hd, kd = KV * hd;
    float scale = 1.0f / sqrtf((float)hd);
    switch (step) {
    case 0: return att_mk(0, 1, T, T, hd, scale, ATT_Q, qd, ATT_K, kd, ATT_S, T);
    case 1: return att_mk(1, 0, T, hd, T, 1.0f, ATT_S, T, ATT_DO, qd, ATT_DVH, hd);
    case 2: return att_mk(0, 1, T, T, hd, 1.0f, ATT_DO, qd, ATT_V, kd, ATT_DP, T);
    case 3: return att_mk(0, 0, T, hd, T, scale, ATT_DP, T, ATT_K, kd, ATT_DQ, qd);
    default: return att_mk(1, 0, T, hd, T, scale, ATT_DP, T, ATT_Q, qd, ATT_DKH, hd);
    }
}

CU_HD int att_vis(int j, int lim, const uint8_t *vm) { return j <= lim && vm[j]; }

/* strided partials of one score row (thread tid of nt) */
CU_HD float att_max_partial(int tid, int nt, const float *row, const uint8_t *vm, int lim, int Tk)
{
    float mx = -INFINITY;
    for (int j = tid; j < Tk; j += nt)
        if (att_vis(j, lim, vm) && row[j] > mx) mx = row[j];
    return mx;
}
CU_HD float att_sum_partial(int tid, int nt, const float *row, const uint8_t *vm, int lim, int Tk, float mx)
{
    float s = 0;
    for (int j = tid; j < Tk; j += nt)
        if (att_vis(j, lim, vm)) s += expf(row[j] - mx);
    return s;
}
/* row j := probability (0 where masked; all 0 when mx is -inf) */
CU_HD void att_finish(int tid, int nt, float *row, const uint8_t *vm, int lim, int Tk, float mx, float sum)
{
    float inv = 1.0f / sum;
    for (int j = tid; j < Tk; j += nt)
        row[j] = (mx != -INFINITY && att_vis(j, lim, vm)) ? expf(row[j] - mx) * inv : 0.0f;
}
CU_HD float att_lse(float mx, float sum) { return mx == -INFINITY ? 0.0f : mx + logf(sum); }

/* Backward: idx over nb*H*T*T; S (scaled scores) becomes P in place.
 * lse and valid point at row b0 of their arrays. */
CU_HD void att_prob_body(size_t idx, float *S, const float *lse, const uint8_t *valid, int H, int T)
{
    size_t TT = (size_t)T * T, z = idx / TT;
    int i = (int)((idx / T) % T), j = (int)(idx % T);
    const uint8_t *vm = valid + (z / H) * (size_t)T;
    S[idx] = att_vis(j, i, vm) ? expf(S[idx] - lse[z * T + i]) : 0.0f;
}

/* D[z*T + i] = dO . O for query row i of product z (zi = z*T + i) */
CU_HD void att_D_body(size_t zi, float *D, const float *dout, const float *out,
                      int b0, int H, int T, int hd)
{
    size_t z = zi / T;
    int i = (int)(zi % T);
    size_t b = b0 + z / H, h = z % H, qd = (size_t)H * hd;
    const float *g = dout + (b * T + i) * qd + h * hd, *o = out + (b * T + i) * qd + h * hd;
    float d = 0;
    for (int c = 0; c < hd; c++) d += g[c] * o[c];
    D[zi] = d;
}

/* dS = P (dP - D_i), in place over dP; idx over nb*H*T*T */
CU_HD void att_dS_body(size_t idx, float *dP, const float *P, const float *D, int T)
{
    dP[idx] = P[idx] * (dP[idx] - D[idx / T]);
}

/* dk[b, j, kh, c] = sum over the group's heads h of dKh[z(b,h)][j][c];
 * idx over nb*T*KV*hd (c fastest), dKh is [nb*H, T, hd]. */
CU_HD void att_group_sum_body(size_t idx, float *dk, const float *dKh,
                              int b0, int H, int KV, int T, int hd)
{
    int c = (int)(idx % hd);
    size_t t = idx / hd;
    int kh = (int)(t % KV);
    t /= KV;
    int j = (int)(t % T);
    size_t bl = t / T;
    int grp = H / KV;
    float s = 0;
    for (int h = kh * grp; h < (kh + 1) * grp; h++)
        s += dKh[((bl * H + h) * T + j) * hd + c];
    dk[((b0 + bl) * T + j) * (size_t)KV * hd + (size_t)kh * hd + c] = s;
}

#endif
