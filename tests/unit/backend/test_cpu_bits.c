/*
 * test_cpu_bits.c — the CPU backend's row-wise operations give the bits of
 * their plain definitions, whatever path or thread count runs them (the
 * recipe's byte-identical table rests on it):
 *  - rope: a training batch (positions repeat across rows: the angles come
 *    from a table built once per position) equals the same rows rotated
 *    one at a time (angles per token), bit for bit, both directions;
 *  - rmsnorm and rmsnorm_bwd (rows interleaved in groups, dw summed row by
 *    row over column blocks) equal the one-row-at-a-time loops written
 *    here, which add in the same order, bit for bit;
 *  - each result is the same with 1 and 2 OpenMP threads.
 * The sizes are above the backend's PAR_MIN so the team really splits.
 */
#include "backend/backend.h"
#include "base/util.h"
#include "check.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

static rng_t rng;

static float *rnd(size_t n)
{
    float *x = xmalloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) x[i] = (float)(rng_uniform(&rng) * 2 - 1);
    return x;
}

static float *dup(const float *x, size_t n)
{
    float *y = xmalloc(sizeof(float) * n);
    memcpy(y, x, sizeof(float) * n);
    return y;
}

static int same(const float *a, const float *b, size_t n) { return memcmp(a, b, sizeof(float) * n) == 0; }

/* B rows of T tokens, positions 0..len-1 then padding at position 0 */
static void test_rope(const backend *be, int B, int T, int heads, int hd, int inverse)
{
    int n = B * T;
    size_t d = (size_t)heads * hd;
    int32_t *pos = xmalloc(sizeof(int32_t) * n);
    for (int b = 0; b < B; b++) {
        int len = T - (b * 7) % (T / 2);
        for (int t = 0; t < T; t++) pos[b * T + t] = t < len ? t : 0;
    }
    float *x = rnd((size_t)n * d), *one = dup(x, (size_t)n * d), *two = dup(x, (size_t)n * d);
    omp_set_num_threads(2);
    be->rope(be, x, pos, n, heads, hd, 10000.0f, inverse);          /* the table */
    for (int i = 0; i < n; i++)                                      /* per token */
        be->rope(be, one + (size_t)i * d, pos + i, 1, heads, hd, 10000.0f, inverse);
    omp_set_num_threads(1);
    be->rope(be, two, pos, n, heads, hd, 10000.0f, inverse);
    omp_set_num_threads(2);
    CHECK(same(x, one, (size_t)n * d));
    CHECK(same(x, two, (size_t)n * d));
    free(x); free(one); free(two); free(pos);
}

static void test_rmsnorm(const backend *be, int n, int d)
{
    float *x = rnd((size_t)n * d), *w = rnd(d), *dy = rnd((size_t)n * d), *dx0 = rnd((size_t)n * d);
    float *y = xmalloc(sizeof(float) * n * d), *r = xmalloc(sizeof(float) * n);
    float *y1 = xmalloc(sizeof(float) * n * d), *r1 = xmalloc(sizeof(float) * n);
    float *yw = xmalloc(sizeof(float) * n * d), *rw = xmalloc(sizeof(float) * n);
    const float eps = 1e-5f;
    for (int i = 0; i < n; i++) {   /* the definition, one row at a time */
        const float *xi = x + (size_t)i * d;
        double ss = 0;
        for (int j = 0; j < d; j++) ss += (double)xi[j] * xi[j];
        rw[i] = (float)(1.0 / sqrt(ss / d + eps));
        for (int j = 0; j < d; j++) yw[(size_t)i * d + j] = w[j] * (xi[j] * rw[i]);
    }
    omp_set_num_threads(2);
    be->rmsnorm(be, y, r, x, w, n, d, eps);
    omp_set_num_threads(1);
    be->rmsnorm(be, y1, r1, x, w, n, d, eps);
    omp_set_num_threads(2);
    CHECK(same(y, yw, (size_t)n * d) && same(r, rw, n));
    CHECK(same(y1, yw, (size_t)n * d) && same(r1, rw, n));

    for (int acc = 0; acc <= 1; acc++) {
        float *dxw = dup(dx0, (size_t)n * d), *dww = rnd(d);
        float *dx = dup(dx0, (size_t)n * d), *dw = dup(dww, d);
        float *dx1 = dup(dx0, (size_t)n * d), *dw1 = dup(dww, d);
        for (int i = 0; i < n; i++) {
            const float *xi = x + (size_t)i * d, *gi = dy + (size_t)i * d;
            float ri = rw[i];
            double dot = 0;
            for (int j = 0; j < d; j++) dot += (double)w[j] * gi[j] * xi[j];
            float c = (float)(dot * ri * ri * ri / d);
            for (int j = 0; j < d; j++) {
                float v = ri * w[j] * gi[j] - xi[j] * c;
                dxw[(size_t)i * d + j] = acc ? dxw[(size_t)i * d + j] + v : v;
            }
        }
        for (int j = 0; j < d; j++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += (double)dy[(size_t)i * d + j] * x[(size_t)i * d + j] * rw[i];
            dww[j] += (float)s;
        }
        be->rmsnorm_bwd(be, dx, dw, dy, x, w, rw, n, d, acc);
        omp_set_num_threads(1);
        be->rmsnorm_bwd(be, dx1, dw1, dy, x, w, rw, n, d, acc);
        omp_set_num_threads(2);
        CHECK(same(dx, dxw, (size_t)n * d));
        CHECK(same(dw, dww, d));
        CHECK(same(dx1, dxw, (size_t)n * d) && same(dw1, dww, d));
        free(dxw); free(dww); free(dx); free(dw); free(dx1); free(dw1);
    }
    free(x); free(w); free(dy); free(dx0); free(y); free(r); free(y1); free(r1); free(yw); free(rw);
}

int main(void)
{
    rng_seed(&rng, 5);
    const backend *be = backend_cpu();
    test_rope(be, 16, 120, 4, 16, 0);    /* the recipe's tiny preset */
    test_rope(be, 16, 120, 2, 16, 1);
    test_rope(be, 3, 64, 9, 64, 0);      /* 135M heads */
    test_rope(be, 1, 7, 4, 16, 0);       /* too few rows for a table */
    test_rmsnorm(be, 16 * 120 + 3, 64);  /* a ragged last group */
    test_rmsnorm(be, 101, 576);          /* several column blocks, one partial */
    test_rmsnorm(be, 1, 40);
    return check_done("test_cpu_bits");
}
