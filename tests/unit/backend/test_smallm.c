/*
 * test_smallm.c — the one-to-three-row kernels of the CPU backend
 * (backend/cpu/cpu_smallm_int.h) give OpenBLAS's bits exactly:
 *  - smallm_nt / smallm_nn against cblas_sgemm, bit for bit, on shapes the
 *    start-up check does not use (strides wider than the row, an output
 *    range [j0, j1) inside the matrix, 4-7 rows done three at a time
 *    against one-row sgemm calls);
 *  - be->matmul with 1-3 rows against cblas_sgemm, bit for bit;
 *  - decode attention with grouped query heads equals the same heads with
 *    their K/V head repeated (no grouping), bit for bit.
 * When the start-up check turned the kernels off (no AVX2/FMA, or an
 * OpenBLAS core with another order) there is nothing to compare: the
 * backend uses sgemm; the test says so and checks only that.
 */
#include "backend/backend.h"
#include "backend/cpu/cpu_smallm_int.h"
#include "base/util.h"
#include "check.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

static rng_t rng;

static float *rnd(size_t n)
{
    float *x = xmalloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) x[i] = (float)(rng_uniform(&rng) - 0.5);
    return x;
}

/* x . w^T, rows 4-7, ld > width, outputs [j0, j1) only */
static void test_nt(int m, int n, int k, int j0, int j1, float alpha, int acc)
{
    int ldx = k + 3, ldw = k + 5, ldy = n + 7;
    float *x = rnd((size_t)m * ldx), *w = rnd((size_t)n * ldw), *y1 = rnd((size_t)m * ldy);
    float *y2 = xmalloc(sizeof(float) * m * ldy);
    memcpy(y2, y1, sizeof(float) * m * ldy);
    for (int i = 0; i < m; i++)   /* one row at a time: the chain order */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 1, j1 - j0, k, alpha, x + (size_t)i * ldx, ldx,
                    w + (size_t)j0 * ldw, ldw, acc ? 1.0f : 0.0f, y1 + (size_t)i * ldy + j0, ldy);
    smallm_nt(y2, ldy, x, ldx, w, ldw, m, j0, j1, k, alpha, acc);
    int same = !memcmp(y1, y2, sizeof(float) * m * ldy);
    if (!same) fprintf(stderr, "smallm_nt m %d n %d k %d [%d,%d) alpha %g acc %d differs\n", m, n, k, j0, j1, alpha, acc);
    CHECK(same);
    free(x); free(w); free(y1); free(y2);
}

static void test_nn(int m, int n, int k, float alpha, int acc)
{
    int ldx = k + 2, ldv = n + 9, ldy = n + 4;
    float *x = rnd((size_t)m * ldx), *v = rnd((size_t)k * ldv), *y1 = rnd((size_t)m * ldy);
    float *y2 = xmalloc(sizeof(float) * m * ldy);
    memcpy(y2, y1, sizeof(float) * m * ldy);
    for (int i = 0; i < m; i++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, n, k, alpha, x + (size_t)i * ldx, ldx,
                    v, ldv, acc ? 1.0f : 0.0f, y1 + (size_t)i * ldy, ldy);
    smallm_nn(y2, ldy, x, ldx, v, ldv, m, n, k, alpha, acc);
    int same = !memcmp(y1, y2, sizeof(float) * m * ldy);
    if (!same) fprintf(stderr, "smallm_nn m %d n %d k %d alpha %g acc %d differs\n", m, n, k, alpha, acc);
    CHECK(same);
    free(x); free(v); free(y1); free(y2);
}

static void test_matmul(const backend *be, int n, int in, int out, int acc)
{
    float *x = rnd((size_t)n * in), *w = rnd((size_t)out * in), *y1 = rnd((size_t)n * out);
    float *y2 = xmalloc(sizeof(float) * n * out);
    memcpy(y2, y1, sizeof(float) * n * out);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, in, w, in, acc ? 1.0f : 0.0f, y1, out);
    be->matmul(be, y2, x, w, n, in, out, acc);
    int same = !memcmp(y1, y2, sizeof(float) * n * out);
    if (!same) fprintf(stderr, "matmul n %d in %d out %d acc %d differs from sgemm\n", n, in, out, acc);
    CHECK(same);
    free(x); free(w); free(y1); free(y2);
}

/* H query heads over KV heads, against the same with each K/V head copied
 * for every query head of its group (KV = H: one head per call) */
static void test_grouped_attention(const backend *be, int B, int H, int KV, int hd, int q0)
{
    int grp = H / KV, ks = q0 + 5, qd = H * hd;
    float *q = rnd((size_t)B * qd), *k = rnd((size_t)B * ks * KV * hd), *v = rnd((size_t)B * ks * KV * hd);
    float *k2 = xmalloc(sizeof(float) * B * ks * qd), *v2 = xmalloc(sizeof(float) * B * ks * qd);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < ks; t++)
            for (int h = 0; h < H; h++) {
                size_t src = ((size_t)b * ks + t) * KV * hd + (size_t)(h / grp) * hd;
                size_t dst = ((size_t)b * ks + t) * qd + (size_t)h * hd;
                memcpy(k2 + dst, k + src, sizeof(float) * hd);
                memcpy(v2 + dst, v + src, sizeof(float) * hd);
            }
    uint8_t *valid = xmalloc((size_t)B * ks);
    for (int i = 0; i < B * ks; i++) valid[i] = rng_uniform(&rng) < 0.8;
    float *o1 = xmalloc(sizeof(float) * B * qd), *o2 = xmalloc(sizeof(float) * B * qd);
    float *l1 = xmalloc(sizeof(float) * B * H), *l2 = xmalloc(sizeof(float) * B * H);
    be->attention(be, o1, l1, q, k, v, valid, B, 1, q0, ks, H, KV, hd);
    be->attention(be, o2, l2, q, k2, v2, valid, B, 1, q0, ks, H, H, hd);
    CHECK(!memcmp(o1, o2, sizeof(float) * B * qd));
    CHECK(!memcmp(l1, l2, sizeof(float) * B * H));
    free(q); free(k); free(v); free(k2); free(v2); free(valid); free(o1); free(o2); free(l1); free(l2);
}

int main(void)
{
    rng_seed(&rng, 21);
    const backend *be = backend_cpu();
    if (!smallm_ready()) {
        printf("test_smallm: the small-M kernels are off here (no AVX2/FMA, PREFPIPE_CPU_SMALLM=0, or an "
               "OpenBLAS core with another order): sgemm serves every product\n");
        test_matmul(be, 1, 64, 48, 0);   /* still a correct product */
        return check_done("test_smallm");
    }
    static const int ks[] = {1, 9, 64, 333, 576, 700, 1300};
    for (size_t i = 0; i < sizeof ks / sizeof *ks; i++)
        for (int m = 1; m <= 7; m += 3) {
            test_nt(m, 70, ks[i], 5, 61, 1.0f, i & 1);
            test_nt(m, 33, ks[i], 0, 33, 0.125f, 0);
            test_nn(m, 45, ks[i], 0.0883883f, 0);
            test_nn(m, 64, ks[i], 1.0f, 1);
        }
    for (int n = 1; n <= 3; n++) {
        test_matmul(be, n, 576, 1536, n == 2);   /* 135M shapes: two k-blocks, a team */
        test_matmul(be, n, 1536, 576, 1);
        test_matmul(be, n, 64, 261, 0);
    }
    test_grouped_attention(be, 3, 9, 3, 64, 40);
    test_grouped_attention(be, 2, 8, 1, 16, 700);   /* grp 8: three calls of <= 3 rows; k past a block */
    test_grouped_attention(be, 4, 4, 4, 32, 0);     /* no grouping; the first slot */
    return check_done("test_smallm");
}
