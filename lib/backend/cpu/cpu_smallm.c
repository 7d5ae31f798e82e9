/*
 * cpu_smallm.c — one-to-three-row products in OpenBLAS's own order (see
 * cpu_smallm_int.h for the contract).
 *
 * Why the order matters: a decode step must give the bits it gave before
 * (sampled tokens, log-probs and every test's bytes depend on them), so
 * the kernels do not choose a faster summation: each output element is a
 * single FMA chain over k, cut into the same k-blocks as OpenBLAS, and the
 * blocks are added with fma(alpha, block, c).  What they save is the
 * packing: OpenBLAS copies the whole weight matrix into its panel layout
 * for a one-row product (42 % of batch-1 decode time in a profile), and
 * the whole K/V cache for each head of each decode step in attention.
 *
 * Vectorisation keeps the order: lanes are different output elements.
 * In x . w^T (smallm_nt) eight rows of w are loaded eight k at a time and
 * transposed in registers, so lane r of column c holds w[j+r][k+c], and
 * the chains advance k by k.  In x . v (smallm_nn) v's rows are already
 * contiguous over outputs.  Rows of x beyond three are done three at a
 * time: a row's chain never depends on which rows share the call.
 *
 * The check (smallm_init) compares the kernels with cblas_sgemm on random
 * data over 1-3 rows, both layouts, alpha 1 and not, beta 0 and 1, and k
 * on every side of each blocking boundary; any differing bit, or a CPU
 * without AVX2/FMA, leaves smallm_ready() 0 and sgemm in charge.
 */
#include "backend/cpu/cpu_smallm_int.h"

#include <cblas.h>
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

/* OpenBLAS (Haswell) GEMM_Q and the unroll its k split rounds to */
#define KQ 320
#define KU 8

static int ready;

int smallm_ready(void) { return ready; }

/* the k-block starting with rem values left (driver/level3's rule) */
static inline int kblock(int rem)
{
    if (rem >= 2 * KQ) return KQ;
    if (rem > KQ) return ((rem / 2 + KU - 1) / KU) * KU;
    return rem;
}

#define TGT __attribute__((target("avx2,fma")))

/* t[c] lane r = r_r[c]: the 8x8 transpose */
TGT static inline void transpose8(__m256 *r)
{
    __m256 a0 = _mm256_unpacklo_ps(r[0], r[1]), a1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 a2 = _mm256_unpacklo_ps(r[2], r[3]), a3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 a4 = _mm256_unpacklo_ps(r[4], r[5]), a5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 a6 = _mm256_unpacklo_ps(r[6], r[7]), a7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 b0 = _mm256_shuffle_ps(a0, a2, 0x44), b1 = _mm256_shuffle_ps(a0, a2, 0xEE);
    __m256 b2 = _mm256_shuffle_ps(a1, a3, 0x44), b3 = _mm256_shuffle_ps(a1, a3, 0xEE);
    __m256 b4 = _mm256_shuffle_ps(a4, a6, 0x44), b5 = _mm256_shuffle_ps(a4, a6, 0xEE);
    __m256 b6 = _mm256_shuffle_ps(a5, a7, 0x44), b7 = _mm256_shuffle_ps(a5, a7, 0xEE);
    r[0] = _mm256_permute2f128_ps(b0, b4, 0x20);
    r[1] = _mm256_permute2f128_ps(b1, b5, 0x20);
    r[2] = _mm256_permute2f128_ps(b2, b6, 0x20);
    r[3] = _mm256_permute2f128_ps(b3, b7, 0x20);
    r[4] = _mm256_permute2f128_ps(b0, b4, 0x31);
    r[5] = _mm256_permute2f128_ps(b1, b5, 0x31);
    r[6] = _mm256_permute2f128_ps(b2, b6, 0x31);
    r[7] = _mm256_permute2f128_ps(b3, b7, 0x31);
}

/* M (1..3) rows, NB blocks of 8 outputs from j: the vector path of
 * smallm_nt.  Each chain adds one product per k and FMA latency is ~4
 * cycles, so NB * M chains run side by side to keep the FMA units busy. */
TGT static inline __attribute__((always_inline)) void
nt8(float *y, int ldy, const float *x, int ldx, const float *w, int ldw, int M, int NB, int j, int K,
    __m256 va, int acc)
{
    __m256 c[4][SMALLM_MAX];
    for (int b = 0; b < NB; b++)
        for (int i = 0; i < M; i++)
            c[b][i] = acc ? _mm256_loadu_ps(y + (size_t)i * ldy + j + 8 * b) : _mm256_setzero_ps();
    for (int ls = 0; ls < K;) {
        int le = ls + kblock(K - ls), k = ls;
        __m256 a[4][SMALLM_MAX];
        for (int b = 0; b < NB; b++)
            for (int i = 0; i < M; i++) a[b][i] = _mm256_setzero_ps();
        for (; k + 8 <= le; k += 8)
            for (int b = 0; b < NB; b++) {
                const float *wj = w + (size_t)(j + 8 * b) * ldw + k;
                __m256 t[8];
                for (int r = 0; r < 8; r++) t[r] = _mm256_loadu_ps(wj + (size_t)r * ldw);
                transpose8(t);
                for (int cc = 0; cc < 8; cc++)
                    for (int i = 0; i < M; i++)
                        a[b][i] = _mm256_fmadd_ps(_mm256_broadcast_ss(x + (size_t)i * ldx + k + cc), t[cc], a[b][i]);
            }
        for (; k < le; k++)
            for (int b = 0; b < NB; b++) {
                const float *wj = w + (size_t)(j + 8 * b) * ldw + k;
                __m256 t = _mm256_set_ps(wj[7 * (size_t)ldw], wj[6 * (size_t)ldw], wj[5 * (size_t)ldw],
                                         wj[4 * (size_t)ldw], wj[3 * (size_t)ldw], wj[2 * (size_t)ldw],
                                         wj[(size_t)ldw], wj[0]);
                for (int i = 0; i < M; i++)
                    a[b][i] = _mm256_fmadd_ps(_mm256_broadcast_ss(x + (size_t)i * ldx + k), t, a[b][i]);
            }
        for (int b = 0; b < NB; b++)
            for (int i = 0; i < M; i++) c[b][i] = _mm256_fmadd_ps(va, a[b][i], c[b][i]);
        ls = le;
    }
    for (int b = 0; b < NB; b++)
        for (int i = 0; i < M; i++) _mm256_storeu_ps(y + (size_t)i * ldy + j + 8 * b, c[b][i]);
}

/* one output element, the same chain in scalar FMAs (ragged ends) */
TGT static float chain_nt(float y0, const float *x, const float *wj, int K, float alpha)
{
    float c = y0;
    for (int ls = 0; ls < K;) {
        int le = ls + kblock(K - ls);
        float a = 0;
        for (int k = ls; k < le; k++) a = __builtin_fmaf(x[k], wj[k], a);
        c = __builtin_fmaf(alpha, a, c);
        ls = le;
    }
    return c;
}

TGT static void nt_rows(float *y, int ldy, const float *x, int ldx, const float *w, int ldw,
                        int M, int j0, int j1, int K, float alpha, int acc)
{
    __m256 va = _mm256_set1_ps(alpha);
    int j = j0;
    /* constant M and NB: the accumulators stay in registers */
    for (; j + 32 <= j1; j += 32) {
        if (M == 1) nt8(y, ldy, x, ldx, w, ldw, 1, 4, j, K, va, acc);
        else if (M == 2) nt8(y, ldy, x, ldx, w, ldw, 2, 4, j, K, va, acc);
        else nt8(y, ldy, x, ldx, w, ldw, 3, 4, j, K, va, acc);
    }
    for (; j + 8 <= j1; j += 8) {
        if (M == 1) nt8(y, ldy, x, ldx, w, ldw, 1, 1, j, K, va, acc);
        else if (M == 2) nt8(y, ldy, x, ldx, w, ldw, 2, 1, j, K, va, acc);
        else nt8(y, ldy, x, ldx, w, ldw, 3, 1, j, K, va, acc);
    }
    for (; j < j1; j++)
        for (int i = 0; i < M; i++) {
            float *yi = y + (size_t)i * ldy + j;
            *yi = chain_nt(acc ? *yi : 0.0f, x + (size_t)i * ldx, w + (size_t)j * ldw, K, alpha);
        }
}

void smallm_nt(float *y, int ldy, const float *x, int ldx, const float *w, int ldw,
               int m, int j0, int j1, int k, float alpha, int acc)
{
    for (int i = 0; i < m; i += SMALLM_MAX) {
        int M = m - i < SMALLM_MAX ? m - i : SMALLM_MAX;
        nt_rows(y + (size_t)i * ldy, ldy, x + (size_t)i * ldx, ldx, w, ldw, M, j0, j1, k, alpha, acc);
    }
}

/* one row, NV vectors of 8 outputs from j: the vector path of smallm_nn */
TGT static inline __attribute__((always_inline)) void
nn_vecs(float *y, const float *x, const float *v, int ldv, int NV, int j, int K, __m256 va, int acc)
{
    __m256 c[4];
    for (int q = 0; q < NV; q++) c[q] = acc ? _mm256_loadu_ps(y + j + 8 * q) : _mm256_setzero_ps();
    for (int ls = 0; ls < K;) {
        int le = ls + kblock(K - ls);
        __m256 a[4];
        for (int q = 0; q < NV; q++) a[q] = _mm256_setzero_ps();
        for (int k = ls; k < le; k++) {
            __m256 xb = _mm256_broadcast_ss(x + k);
            const float *vk = v + (size_t)k * ldv + j;
            for (int q = 0; q < NV; q++) a[q] = _mm256_fmadd_ps(xb, _mm256_loadu_ps(vk + 8 * q), a[q]);
        }
        for (int q = 0; q < NV; q++) c[q] = _mm256_fmadd_ps(va, a[q], c[q]);
        ls = le;
    }
    for (int q = 0; q < NV; q++) _mm256_storeu_ps(y + j + 8 * q, c[q]);
}

TGT static void nn_row(float *y, const float *x, const float *v, int ldv, int n, int K, float alpha, int acc)
{
    __m256 va = _mm256_set1_ps(alpha);
    int j = 0;
    for (; j + 32 <= n; j += 32) nn_vecs(y, x, v, ldv, 4, j, K, va, acc);
    for (; j + 8 <= n; j += 8) nn_vecs(y, x, v, ldv, 1, j, K, va, acc);
    for (; j < n; j++) {
        float c = acc ? y[j] : 0.0f;
        for (int ls = 0; ls < K;) {
            int le = ls + kblock(K - ls);
            float a = 0;
            for (int k = ls; k < le; k++) a = __builtin_fmaf(x[k], v[(size_t)k * ldv + j], a);
            c = __builtin_fmaf(alpha, a, c);
            ls = le;
        }
        y[j] = c;
    }
}

void smallm_nn(float *y, int ldy, const float *x, int ldx, const float *v, int ldv,
               int m, int n, int k, float alpha, int acc)
{
    for (int i = 0; i < m; i++)
        nn_row(y + (size_t)i * ldy, x + (size_t)i * ldx, v, ldv, n, k, alpha, acc);
}

/* ---- the start-up check ---- */

static float lcg(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / (float)(1u << 24) - 0.5f;
}

static int same_as_sgemm(int nn, int M, int N, int K, float alpha, int acc, unsigned *seed)
{
    size_t nx = (size_t)M * K, nw = (size_t)N * K, ny = (size_t)M * N;
    float *x = malloc(sizeof(float) * (nx + nw + 2 * ny));
    if (!x) return 0;
    float *w = x + nx, *y1 = w + nw, *y2 = y1 + ny;
    for (size_t i = 0; i < nx; i++) x[i] = lcg(seed);
    for (size_t i = 0; i < nw; i++) w[i] = lcg(seed);
    for (size_t i = 0; i < ny; i++) y1[i] = y2[i] = lcg(seed);
    if (nn) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, alpha, x, K, w, N,
                    acc ? 1.0f : 0.0f, y1, N);
        smallm_nn(y2, N, x, K, w, N, M, N, K, alpha, acc);
    } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, alpha, x, K, w, K,
                    acc ? 1.0f : 0.0f, y1, N);
        smallm_nt(y2, N, x, K, w, K, M, 0, N, K, alpha, acc);
    }
    int ok = memcmp(y1, y2, sizeof(float) * ny) == 0;
    free(x);
    return ok;
}

void smallm_init(void)
{
    static int done;
    if (done) return;
    done = 1;
    const char *env = getenv("PREFPIPE_CPU_SMALLM");
    if (env && !strcmp(env, "0")) return;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return;
    /* k around every boundary of the split rule, and an 8-multiple or not */
    static const int ks[] = {1, 7, 8, 64, 100, 319, 320, 321, 576, 639, 640, 641, 650, 700, 1000, 1536, 2000};
    unsigned seed = 12345;
    for (int nn = 0; nn < 2; nn++)
        for (int M = 1; M <= SMALLM_MAX; M++)
            for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++)
                for (int v = 0; v < 4; v++)
                    if (!same_as_sgemm(nn, M, 45, ks[ki], v & 1 ? 0.0883883f : 1.0f, v >> 1, &seed))
                        return;
    ready = 1;
}
