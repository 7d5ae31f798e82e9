/*
 * cuda_attn.cu — causal grouped-query attention, forward (also the
 * KV-cache decode path: q0 > 0, kstride > Tk) and backward, as cuBLAS
 * batched products around masked-softmax kernels.  What the products are
 * (operands, transposes, leading dimensions), where each product's blocks
 * start and the per-element steps between them live in attn_body.h, so
 * that tests/unit/backend/test_cuda_bodies.c runs the same plan on the
 * host against the CPU backend; this file only launches it.
 *
 * Correct first: each (row, head) gets a dense Tq x Tk score block in a
 * scratch buffer, so memory is O(B H T^2); rows of the batch are taken
 * in chunks so that one score buffer stays under ATT_MAX_FLOATS (1 GiB).
 * The masked upper triangle is computed and thrown away.  A fused
 * flash-style kernel (no score matrix in memory) is the planned
 * replacement; this version is the reference it will be checked against.
 *
 * Pointer arrays for cublasGemmBatchedEx are built on the device from
 * att_offset (GQA maps query head h to key head h / (H/KV), which no
 * constant batch stride can express).  valid is device memory.
 */
#include "backend/cuda/cuda_int.h"
#include "backend/cuda/attn_body.h"

#define ATT_MAX_FLOATS ((size_t)1 << 28)

static int att_chunk(int B, size_t per_row)
{
    size_t nb = per_row ? ATT_MAX_FLOATS / per_row : (size_t)B;
    if (nb < 1) nb = 1;
    if (nb > (size_t)B) nb = B;
    return (int)nb;
}

struct att_bases { const float *p[ATT_NOPS]; };

/* P[op * cnt + z] = base[op] + att_offset(op, z, ...) for every operand */
static const float **att_pointers(att_bases bases, int cnt, int b0, int H, int KV, int Tq,
                                  int kstride, int Tk, int hd)
{
    const float **P = (const float **)cu_scratch(CU_S_PTRS, sizeof(float *) * ATT_NOPS * cnt);
    cu_each((size_t)cnt * ATT_NOPS, [=] __device__(size_t idx) {
        int op = (int)(idx / cnt), z = (int)(idx % cnt);
        P[idx] = bases.p[op] ? bases.p[op] + att_offset(op, z, b0, H, KV, Tq, kstride, Tk, hd) : 0;
    });
    return P;
}

static void att_run(att_gemm g, const float **P, int cnt)
{
    cu_gemm_batched(g.ta, g.tb, g.M, g.N, g.K, g.alpha, P + (size_t)g.a * cnt, g.lda,
                    P + (size_t)g.b * cnt, g.ldb, g.beta, (float *const *)(P + (size_t)g.c * cnt),
                    g.ldc, cnt);
}

/* one block per score row: z = blockIdx.x / Tq, query i = blockIdx.x % Tq */
__global__ void att_softmax_rows(float *S, float *lse, const uint8_t *valid, int b0, int H,
                                 int Tq, int q0, int kstride, int Tk)
{
    __shared__ float sh[CU_THREADS];
    size_t blk = blockIdx.x;
    int z = (int)(blk / Tq), i = (int)(blk % Tq), lim = q0 + i;
    float *row = S + blk * Tk;
    const uint8_t *vm = valid + (size_t)(b0 + z / H) * kstride;
    float mx = cu_block_max(att_max_partial(threadIdx.x, blockDim.x, row, vm, lim, Tk), sh);
    float s = mx == -INFINITY ? 0.0f   /* uniform over the block: no divergent barrier */
            : cu_block_sum(att_sum_partial(threadIdx.x, blockDim.x, row, vm, lim, Tk, mx), sh);
    att_finish(threadIdx.x, blockDim.x, row, vm, lim, Tk, mx, s);
    if (threadIdx.x == 0) lse[((size_t)b0 * H + z) * Tq + i] = att_lse(mx, s);
}

void cu_attention(const backend *be, float *out, float *lse, const float *q, const float *k, const float *v,
                  const uint8_t *valid, int B, int Tq, int q0, int kstride, int H, int KV, int hd)
{
    if (B <= 0 || Tq <= 0) return;
    int Tk = q0 + Tq;
    int nb = att_chunk(B, (size_t)H * Tq * Tk);
    for (int b0 = 0; b0 < B; b0 += nb) {
        int cnt = (B - b0 < nb ? B - b0 : nb) * H;
        float *S = (float *)cu_scratch(CU_S_ATT_S, sizeof(float) * cnt * Tq * Tk);
        att_bases bs = {};
        bs.p[ATT_Q] = q; bs.p[ATT_K] = k; bs.p[ATT_V] = v; bs.p[ATT_S] = S; bs.p[ATT_O] = out;
        const float **P = att_pointers(bs, cnt, b0, H, KV, Tq, kstride, Tk, hd);
        att_run(att_fwd_gemm(0, Tq, Tk, H, KV, hd), P, cnt);
        att_softmax_rows<<<(unsigned)cnt * Tq, CU_THREADS, 0, CU.st>>>(S, lse, valid, b0, H, Tq, q0, kstride, Tk);
        CU_LAUNCH_CHECK();
        att_run(att_fwd_gemm(1, Tq, Tk, H, KV, hd), P, cnt);
    }
}

void cu_attention_bwd(const backend *be, float *dq, float *dk, float *dv, const float *dout, const float *q,
                      const float *k, const float *v, const float *out, const float *lse,
                      const uint8_t *valid, int B, int T, int H, int KV, int hd)
{
    if (B <= 0 || T <= 0) return;
    int nb = att_chunk(B, (size_t)H * T * T);
    for (int b0 = 0; b0 < B; b0 += nb) {
        int nbl = B - b0 < nb ? B - b0 : nb, cnt = nbl * H;
        size_t TT = (size_t)T * T;
        float *S = (float *)cu_scratch(CU_S_ATT_S, sizeof(float) * cnt * TT);
        float *dP = (float *)cu_scratch(CU_S_ATT_P, sizeof(float) * cnt * TT);
        float *D = (float *)cu_scratch(CU_S_ATT_D, sizeof(float) * cnt * T);
        float *dKh = (float *)cu_scratch(CU_S_ATT_DK, sizeof(float) * cnt * T * hd);
        float *dVh = (float *)cu_scratch(CU_S_ATT_DV, sizeof(float) * cnt * T * hd);
        att_bases bs = {};
        bs.p[ATT_Q] = q; bs.p[ATT_K] = k; bs.p[ATT_V] = v; bs.p[ATT_S] = S; bs.p[ATT_DO] = dout;
        bs.p[ATT_DP] = dP; bs.p[ATT_DQ] = dq; bs.p[ATT_DKH] = dKh; bs.p[ATT_DVH] = dVh;
        const float **P = att_pointers(bs, cnt, b0, H, KV, T, T, T, hd);
        const float *L = lse + (size_t)b0 * H * T;
        const uint8_t *vb = valid + (size_t)b0 * T;

        att_run(att_bwd_gemm(0, T, H, KV, hd), P, cnt);                      /* S */
        cu_each((size_t)cnt * TT, [=] __device__(size_t idx) { att_prob_body(idx, S, L, vb, H, T); });
        att_run(att_bwd_gemm(1, T, H, KV, hd), P, cnt);                      /* dVh */
        att_run(att_bwd_gemm(2, T, H, KV, hd), P, cnt);                      /* dP */
        cu_each((size_t)cnt * T, [=] __device__(size_t zi) { att_D_body(zi, D, dout, out, b0, H, T, hd); });
        cu_each((size_t)cnt * TT, [=] __device__(size_t idx) { att_dS_body(idx, dP, S, D, T); });
        att_run(att_bwd_gemm(3, T, H, KV, hd), P, cnt);                      /* dQ */
        att_run(att_bwd_gemm(4, T, H, KV, hd), P, cnt);                      /* dKh */
        size_t ng = (size_t)nbl * T * KV * hd;
        cu_each(ng, [=] __device__(size_t idx) { att_group_sum_body(idx, dk, dKh, b0, H, KV, T, hd); });
        cu_each(ng, [=] __device__(size_t idx) { att_group_sum_body(idx, dv, dVh, b0, H, KV, T, hd); });
    }
}

/* attention_seqs: correct first, like the rest of this file — each packed
 * sequence is a batch of one row through the kernels above (one set of
 * launches per sequence; len is host memory), every key real: a mask of
 * ones in a scratch slot of its own.  A sequence's launches have its own
 * shapes only, so its bits do not depend on the other sequences. */
static const uint8_t *seq_ones(const int *len, int nseq)
{
    int tmax = 1;
    for (int s = 0; s < nseq; s++)
        if (len[s] > tmax) tmax = len[s];
    uint8_t *ones = (uint8_t *)cu_scratch(CU_S_ONES, (size_t)tmax);
    CU_CHECK(cudaMemsetAsync(ones, 1, (size_t)tmax, CU.st));
    return ones;
}

void cu_attention_seqs(const backend *be, float *out, float *lse, const float *q, const float *k,
                       const float *v, const int *len, int nseq, int H, int KV, int hd)
{
    const uint8_t *ones = seq_ones(len, nseq);
    size_t o = 0, qd = (size_t)H * hd, kd = (size_t)KV * hd;
    for (int s = 0; s < nseq; o += (size_t)len[s++])
        if (len[s] > 0)
            cu_attention(be, out + o * qd, lse + o * H, q + o * qd, k + o * kd, v + o * kd, ones,
                         1, len[s], 0, len[s], H, KV, hd);
}

void cu_attention_seqs_bwd(const backend *be, float *dq, float *dk, float *dv, const float *dout,
                           const float *q, const float *k, const float *v, const float *out,
                           const float *lse, const int *len, int nseq, int H, int KV, int hd)
{
    const uint8_t *ones = seq_ones(len, nseq);
    size_t o = 0, qd = (size_t)H * hd, kd = (size_t)KV * hd;
    for (int s = 0; s < nseq; o += (size_t)len[s++])
        if (len[s] > 0)
            cu_attention_bwd(be, dq + o * qd, dk + o * kd, dv + o * kd, dout + o * qd, q + o * qd,
                             k + o * kd, v + o * kd, out + o * qd, lse + o * H, ones, 1, len[s],
                             H, KV, hd);
}
