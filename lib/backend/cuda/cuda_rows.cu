/*
 * cuda_rows.cu — matmul_rows, matmul_rows_n (a launch per product) and
 * attention_rows (backend.h): the products whose order is fixed so that a
 * sampled row's bits do not depend on its batch.
 *
 * matmul_rows: sixteen threads per output element, thread l running the
 * chain of the k = l (mod 16) terms (adjacent threads read adjacent
 * floats), then the halving tree as shuffles down by 8, 4, 2, 1 — the
 * order of backend.h exactly.  Every step is an explicit _rn intrinsic so
 * nvcc cannot contract or reorder it; the result is meant to equal the CPU
 * and reference backends bit for bit.
 *
 * attention_rows: one warp per (row, head, query), each half-warp running
 * the same 16-chain dot product for a key.  Correct first: the scores are
 * recomputed in each of the three passes (maximum, sum, weighted values)
 * instead of being kept, which costs three QK products per query and no
 * scratch memory.  expf is the CUDA library's, so the probabilities may
 * differ from the CPU's by an ulp (the parity test's reduce tier).
 */
#include "backend/cuda/cuda_int.h"

/* the fixed-order dot product over a half-warp: lane l % 16's chain, then
 * the tree; every lane of the half gets the result */
__device__ static float rows_dot(const float *a, const float *b, int K, int l)
{
    float s = 0.0f;
    for (int k = l; k < K; k += 16) s = __fmaf_rn(a[k], b[k], s);
    for (int h = 8; h >= 1; h /= 2) {
        float t = __shfl_down_sync(0xffffffffu, s, h, 16);
        s = __fadd_rn(s, t);   /* lanes l < h hold the tree's values */
    }
    return __shfl_sync(0xffffffffu, s, 0, 16);
}

__global__ static void rows_matmul_kernel(float *y, const float *x, const float *w, int n, int in, int out,
                                          int acc)
{
    size_t e = ((size_t)blockIdx.x * blockDim.x + threadIdx.x) / 16;
    int l = threadIdx.x % 16;
    size_t total = (size_t)n * out;
    int live = e < total;
    size_t i = live ? e / out : 0, o = live ? e % out : 0;
    /* every lane takes part in the shuffles; lanes past the end read row 0 */
    float s = rows_dot(x + i * in, w + o * in, live ? in : 0, l);
    if (live && l == 0) y[e] = acc ? __fadd_rn(y[e], s) : s;
}

void cu_matmul_rows(const backend *be, float *y, const float *x, const float *w, int n, int in, int out, int acc)
{
    size_t threads = (size_t)n * out * 16;
    if (threads == 0) return;
    size_t blocks = (threads + 255) / 256;
    rows_matmul_kernel<<<(unsigned)blocks, 256, 0, CU.st>>>(y, x, w, n, in, out, acc);
    CU_LAUNCH_CHECK();
}

/* one launch per product, in order on the stream: the same kernel, so the
 * same bits as matmul_rows */
void cu_matmul_rows_n(const backend *be, const rows_prod *p, int count, const float *x, int n, int in, int acc)
{
    for (int j = 0; j < count; j++) cu_matmul_rows(be, p[j].y, x, p[j].w, n, in, p[j].out, acc);
}

#define ROWS_MAX_HD 1024   /* model_config_check's head_dim limit */

__global__ static void rows_attention_kernel(float *out, float *lse, const float *q, const float *k,
                                             const float *v, const uint8_t *valid, int B, int Tq, int q0,
                                             int kstride, int H, int KV, int hd, float scale)
{
    size_t z = blockIdx.x;   /* (b, h, i) */
    int i = (int)(z % Tq), h = (int)(z / Tq % H), b = (int)(z / Tq / H);
    int grp = H / KV, qd = H * hd, kd = KV * hd, lane = threadIdx.x, l = lane % 16;
    const uint8_t *vm = valid + (size_t)b * kstride;
    const float *K = k + (size_t)b * kstride * kd + (size_t)(h / grp) * hd;
    const float *V = v + (size_t)b * kstride * kd + (size_t)(h / grp) * hd;
    const float *qi = q + ((size_t)b * Tq + i) * qd + (size_t)h * hd;
    float *o = out + ((size_t)b * Tq + i) * qd + (size_t)h * hd;
    int lim = q0 + i, any = 0;
    float m = 0.0f;
    for (int j = 0; j <= lim; j++)
        if (vm[j]) {
            float s = __fmul_rn(rows_dot(qi, K + (size_t)j * kd, hd, l), scale);
            m = any && m > s ? m : s;
            any = 1;
        }
    float acc[ROWS_MAX_HD / 32];
    for (int t = 0; t < ROWS_MAX_HD / 32; t++) acc[t] = 0.0f;
    if (!any) {
        for (int d = lane; d < hd; d += 32) o[d] = 0.0f;
        if (lane == 0) lse[((size_t)b * H + h) * Tq + i] = 0.0f;
        return;
    }
    float sum = 0.0f;
    for (int j = 0; j <= lim; j++)
        if (vm[j]) sum = __fadd_rn(sum, expf(__fmul_rn(rows_dot(qi, K + (size_t)j * kd, hd, l), scale) - m));
    float inv = __fdiv_rn(1.0f, sum);
    for (int j = 0; j <= lim; j++)
        if (vm[j]) {
            float p = __fmul_rn(expf(__fmul_rn(rows_dot(qi, K + (size_t)j * kd, hd, l), scale) - m), inv);
            for (int d = lane, t = 0; d < hd; d += 32, t++) acc[t] = __fmaf_rn(p, V[(size_t)j * kd + d], acc[t]);
        }
    for (int d = lane, t = 0; d < hd; d += 32, t++) o[d] = acc[t];
    if (lane == 0) lse[((size_t)b * H + h) * Tq + i] = __fadd_rn(m, logf(sum));
}

void cu_attention_rows(const backend *be, float *out, float *lse, const float *q, const float *k,
                       const float *v, const uint8_t *valid, int B, int Tq, int q0, int kstride,
                       int H, int KV, int hd)
{
    size_t blocks = (size_t)B * H * Tq;
    if (blocks == 0) return;
    rows_attention_kernel<<<(unsigned)blocks, 32, 0, CU.st>>>(out, lse, q, k, v, valid, B, Tq, q0, kstride,
                                                               H, KV, hd, 1.0f / sqrtf((float)hd));
    CU_LAUNCH_CHECK();
}
