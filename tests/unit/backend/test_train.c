/*
 * test_train.c — the CPU backend's training kernels (backend/cpu/
 * cpu_train_int.h): attention over packed sequences and the projections'
 * backward, on every instruction set this CPU has.
 *  - train_matmul (packed forwards' thin products) and train_matmul_bwd's
 *    dx and dw (= and +=) equal a double-precision sum
 *    to fp32 rounding over shapes off every tile: 1-17 rows, widths with
 *    and without a 16-lane tail, sums past the 256-term chunk, no rows,
 *    an empty sum, one input or output column; dx or dw alone (the other
 *    NULL) the same bits as both;
 *  - attention forward (out, lse) and backward (dq, dk, dv) equal a
 *    double-precision definition over lengths 0-600 (on and off the
 *    64-query block and the 16-key group, keys past two 256-term chunks)
 *    and head_dim 1, 4, 8, 16, 20, 64, 80, 96, 128 with grouped key/value
 *    heads (up to 4 query heads per key/value head);
 *  - every result is the same bits on AVX-512 and AVX2, with one and two
 *    threads, and (matmul, attention) for a row or sequence alone and
 *    inside a batch; attention with a NaN in a key too (the two
 *    row-maximum trees agree);
 *  - the vector exponential equals the scalar fexp bit for bit (NaN, +inf
 *    and denormals included).
 * With no AVX2 on the CPU the kernels are off (train_ready 0) and the
 * test says so.
 */
#include "backend/cpu/cpu_train_int.h"
#include "backend/cpu/cpu_fexp_int.h"
#include "backend/cpu/cpu_vec16_int.h"
#include "base/util.h"
#include "check.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

static rng_t rng;
static const char *const isas[] = {"avx512", "avx2"};
#define NISA 2

static float *rnd(size_t n)
{
    float *x = xmalloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) x[i] = (float)(rng_uniform(&rng) * 2 - 1);
    return x;
}

static float *dup(const float *x, size_t n)
{
    float *y = xmalloc(sizeof(float) * (n ? n : 1));
    memcpy(y, x, sizeof(float) * n);
    return y;
}

/* worst |got - want| / (1 + |want|) */
static double worst(const float *got, const double *want, size_t n)
{
    double w = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(got[i] - want[i]) / (1 + fabs(want[i]));
        if (!(d <= w)) w = d;   /* NaN counts as worst */
    }
    return w;
}

/* ---- the projections' backward ---- */

static void test_matmul_bwd(void)
{
    /* {n, in, out} */
    static const int shapes[][3] = {{1, 1, 1}, {3, 5, 7}, {9, 16, 16}, {17, 17, 33}, {8, 64, 32},
                                    {13, 70, 261}, {300, 64, 192}, {600, 33, 5}, {4, 20, 600},
                                    /* no rows; an empty sum (dx = 0 or kept); one column or output */
                                    {0, 5, 7}, {5, 7, 0}, {40, 1, 1}, {7, 1, 33}, {7, 33, 1}, {520, 1, 3}};
    double worst_all = 0;
    int bits_isa = 0, bits_thr = 0, bits_null = 0, runs = 0;
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++) {
        int n = shapes[si][0], in = shapes[si][1], out = shapes[si][2];
        float *dy = rnd((size_t)n * out), *x = rnd((size_t)n * in), *w = rnd((size_t)out * in);
        float *dx0 = rnd((size_t)n * in), *dw0 = rnd((size_t)out * in);
        double *wdx = xmalloc(sizeof(double) * n * in), *wdw = xmalloc(sizeof(double) * out * in);
        for (int acc = 0; acc < 2; acc++) {
            for (int r = 0; r < n; r++)
                for (int i = 0; i < in; i++) {
                    double s = acc ? dx0[(size_t)r * in + i] : 0;
                    for (int o = 0; o < out; o++) s += (double)dy[(size_t)r * out + o] * w[(size_t)o * in + i];
                    wdx[(size_t)r * in + i] = s;
                }
            for (int o = 0; o < out; o++)
                for (int i = 0; i < in; i++) {
                    double s = dw0[(size_t)o * in + i];
                    for (int r = 0; r < n; r++) s += (double)dy[(size_t)r * out + o] * x[(size_t)r * in + i];
                    wdw[(size_t)o * in + i] = s;
                }
            float *first_dx = NULL, *first_dw = NULL;
            for (int a = 0; a < NISA; a++) {
                if (!train_use(isas[a])) continue;
                for (int thr = 1; thr <= 2; thr++) {
                    float *dx = dup(dx0, (size_t)n * in), *dw = dup(dw0, (size_t)out * in);
                    omp_set_num_threads(thr);
                    train_matmul_bwd(dx, dw, dy, x, w, n, in, out, acc);
                    /* either output alone (the other NULL): the same bits */
                    float *dx1 = dup(dx0, (size_t)n * in), *dw1 = dup(dw0, (size_t)out * in);
                    train_matmul_bwd(dx1, NULL, dy, x, w, n, in, out, acc);
                    train_matmul_bwd(NULL, dw1, dy, x, w, n, in, out, acc);
                    if (memcmp(dx1, dx, sizeof(float) * n * in) || memcmp(dw1, dw, sizeof(float) * out * in)) {
                        bits_null++;
                        printf("test_train: matmul_bwd %dx%dx%d acc %d: %s, %d threads: dx or dw alone differs\n",
                               n, in, out, acc, isas[a], thr);
                    }
                    free(dx1); free(dw1);
                    double e = worst(dx, wdx, (size_t)n * in), f = worst(dw, wdw, (size_t)out * in);
                    if (e > worst_all) worst_all = e;
                    if (f > worst_all) worst_all = f;
                    if (!first_dx) {
                        first_dx = dx, first_dw = dw;
                        continue;
                    }
                    int same = !memcmp(dx, first_dx, sizeof(float) * n * in) &&
                               !memcmp(dw, first_dw, sizeof(float) * out * in);
                    if (!same) {
                        if (thr == 1) bits_isa++;
                        else bits_thr++;
                        printf("test_train: matmul_bwd %dx%dx%d acc %d: %s, %d threads differs\n", n, in, out, acc,
                               isas[a], thr);
                    }
                    runs++;
                    free(dx); free(dw);
                }
            }
            free(first_dx); free(first_dw);
        }
        free(dy); free(x); free(w); free(dx0); free(dw0); free(wdx); free(wdw);
    }
    printf("test_train: matmul_bwd: worst relative error %.2e, %d comparisons, %d differ across ISA, %d across threads, "
           "%d with dx or dw alone\n", worst_all, runs, bits_isa, bits_thr, bits_null);
    CHECK(worst_all < 2e-5);   /* fp32 sums of up to 600 terms */
    CHECK(runs > 0);
    CHECK(bits_isa == 0);
    CHECK(bits_thr == 0);
    CHECK(bits_null == 0);
}

/* ---- the packed forward's thin products ---- */

static void test_matmul(void)
{
    /* {n, in, out} */
    static const int shapes[][3] = {{1, 1, 1}, {5, 64, 32}, {17, 64, 261}, {300, 192, 64}, {9, 256, 600}, {70, 20, 17},
                                    /* no rows; an empty sum (y = 0 or kept); one output or input */
                                    {0, 8, 8}, {6, 0, 9}, {40, 3, 1}, {7, 1, 40}};
    double worst_all = 0;
    int differ = 0, differ_row = 0, runs = 0;
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++) {
        int n = shapes[si][0], in = shapes[si][1], out = shapes[si][2];
        float *x = rnd((size_t)n * in), *w = rnd((size_t)out * in), *y0 = rnd((size_t)n * out);
        double *want = xmalloc(sizeof(double) * n * out);
        for (int acc = 0; acc < 2; acc++) {
            for (int r = 0; r < n; r++)
                for (int o = 0; o < out; o++) {
                    double s = acc ? y0[(size_t)r * out + o] : 0;
                    for (int i = 0; i < in; i++) s += (double)x[(size_t)r * in + i] * w[(size_t)o * in + i];
                    want[(size_t)r * out + o] = s;
                }
            float *first = NULL;
            for (int a = 0; a < NISA; a++) {
                if (!train_use(isas[a])) continue;
                for (int thr = 1; thr <= 2; thr++) {
                    float *y = dup(y0, (size_t)n * out);
                    omp_set_num_threads(thr);
                    train_matmul(y, x, w, n, in, out, acc);
                    double e = worst(y, want, (size_t)n * out);
                    worst_all = e > worst_all ? e : worst_all;
                    if (!first) {
                        first = y;
                        for (int r = 0; r < n; r += 3) {   /* a row alone: its bits in the batch */
                            float *one = dup(y0 + (size_t)r * out, out);
                            train_matmul(one, x + (size_t)r * in, w, 1, in, out, acc);
                            differ_row += memcmp(one, y + (size_t)r * out, sizeof(float) * out) != 0;
                            free(one);
                        }
                        continue;
                    }
                    differ += memcmp(y, first, sizeof(float) * n * out) != 0;
                    runs++;
                    free(y);
                }
            }
            free(first);
        }
        free(x); free(w); free(y0); free(want);
    }
    printf("test_train: matmul: worst relative error %.2e, %d comparisons, %d differ across ISA or threads, "
           "%d rows differ alone\n", worst_all, runs, differ, differ_row);
    CHECK(worst_all < 2e-5);
    CHECK(runs > 0);
    CHECK(differ == 0);
    CHECK(differ_row == 0);
}

/* ---- attention over packed sequences ---- */

/* the definition in double for one packed batch: out, lse, dq, dk, dv */
static void att_want(double *out, double *lse, double *dq, double *dk, double *dv, const float *q, const float *k,
                     const float *v, const float *dout, const int *len, int nseq, int H, int KV, int hd)
{
    int grp = H / KV, qd = H * hd, kd = KV * hd;
    double scale = 1.0 / sqrt((double)(float)hd), sc = (float)(1.0f / sqrtf((float)hd));
    (void)scale;
    size_t o = 0;
    int tmax = 1;
    for (int s = 0; s < nseq; s++) tmax = len[s] > tmax ? len[s] : tmax;
    double *p = xmalloc(sizeof(double) * tmax), *dp = xmalloc(sizeof(double) * tmax);
    for (int s = 0; s < nseq; s++) {
        int T = len[s];
        for (size_t i = 0; i < (size_t)T * kd; i++) dk[o * kd + i] = dv[o * kd + i] = 0;
        for (int h = 0; h < H; h++) {
            int kh = h / grp;
            for (int i = 0; i < T; i++) {
                const float *qi = q + (o + i) * qd + (size_t)h * hd, *gi = dout + (o + i) * qd + (size_t)h * hd;
                double mx = -INFINITY;
                for (int j = 0; j <= i; j++) {
                    const float *kj = k + (o + j) * kd + (size_t)kh * hd;
                    double d = 0;
                    for (int c = 0; c < hd; c++) d += (double)qi[c] * kj[c];
                    p[j] = d * sc;
                    mx = p[j] > mx ? p[j] : mx;
                }
                double sum = 0;
                for (int j = 0; j <= i; j++) sum += p[j] = exp(p[j] - mx);
                for (int j = 0; j <= i; j++) p[j] /= sum;
                lse[o * H + (size_t)h * T + i] = mx + log(sum);
                double *oi = out + (o + i) * qd + (size_t)h * hd, D = 0;
                for (int c = 0; c < hd; c++) {
                    double a = 0;
                    for (int j = 0; j <= i; j++) a += p[j] * v[(o + j) * kd + (size_t)kh * hd + c];
                    oi[c] = a;
                    D += a * gi[c];
                }
                for (int j = 0; j <= i; j++) {
                    double d = 0;
                    for (int c = 0; c < hd; c++) d += (double)gi[c] * v[(o + j) * kd + (size_t)kh * hd + c];
                    dp[j] = p[j] * (d - D);
                }
                double *dqi = dq + (o + i) * qd + (size_t)h * hd;
                for (int c = 0; c < hd; c++) {
                    double a = 0;
                    for (int j = 0; j <= i; j++) a += dp[j] * k[(o + j) * kd + (size_t)kh * hd + c];
                    dqi[c] = a * sc;
                }
                for (int j = 0; j <= i; j++)
                    for (int c = 0; c < hd; c++) {
                        dk[(o + j) * kd + (size_t)kh * hd + c] += dp[j] * sc * qi[c];
                        dv[(o + j) * kd + (size_t)kh * hd + c] += p[j] * gi[c];
                    }
            }
        }
        o += T;
    }
    free(p); free(dp);
}

typedef struct { float *out, *lse, *dq, *dk, *dv; } att_res;

static att_res att_run(const float *q, const float *k, const float *v, const float *dout, const int *len, int nseq,
                       int H, int KV, int hd)
{
    size_t N = 0;
    for (int s = 0; s < nseq; s++) N += len[s];
    att_res r = {rnd(N * H * hd), rnd(N * H), rnd(N * H * hd), rnd(N * KV * hd), rnd(N * KV * hd)};
    train_attention_seqs(r.out, r.lse, q, k, v, len, nseq, H, KV, hd);
    train_attention_seqs_bwd(r.dq, r.dk, r.dv, dout, q, k, v, r.out, r.lse, len, nseq, H, KV, hd);
    return r;
}

static void att_free(att_res *r) { free(r->out); free(r->lse); free(r->dq); free(r->dk); free(r->dv); }

static int att_same(const att_res *a, const att_res *b, size_t N, int H, int KV, int hd)
{
    return !memcmp(a->out, b->out, sizeof(float) * N * H * hd) && !memcmp(a->lse, b->lse, sizeof(float) * N * H) &&
           !memcmp(a->dq, b->dq, sizeof(float) * N * H * hd) && !memcmp(a->dk, b->dk, sizeof(float) * N * KV * hd) &&
           !memcmp(a->dv, b->dv, sizeof(float) * N * KV * hd);
}

/* one packed batch (lens) at each shape {H, KV, hd} */
static void test_attention(const char *what, const int *lens, int nseq, const int (*shapes)[3], int nshapes)
{
    double worst_all = 0;
    int differ_isa = 0, differ_thr = 0, differ_alone = 0, runs = 0;
    size_t N = 0;
    for (int s = 0; s < nseq; s++) N += lens[s];
    for (int si = 0; si < nshapes; si++) {
        int H = shapes[si][0], KV = shapes[si][1], hd = shapes[si][2];
        float *q = rnd(N * H * hd), *k = rnd(N * KV * hd), *v = rnd(N * KV * hd), *dout = rnd(N * H * hd);
        for (size_t i = 0; i < N * H * hd; i++) q[i] *= 2.5f;   /* peaked softmaxes too */
        double *out = xmalloc(sizeof(double) * N * H * hd), *lse = xmalloc(sizeof(double) * N * H);
        double *dq = xmalloc(sizeof(double) * N * H * hd), *dk = xmalloc(sizeof(double) * N * KV * hd);
        double *dv = xmalloc(sizeof(double) * N * KV * hd);
        att_want(out, lse, dq, dk, dv, q, k, v, dout, lens, nseq, H, KV, hd);
        att_res first = {0};
        for (int a = 0; a < NISA; a++) {
            if (!train_use(isas[a])) continue;
            for (int thr = 1; thr <= 2; thr++) {
                omp_set_num_threads(thr);
                att_res r = att_run(q, k, v, dout, lens, nseq, H, KV, hd);
                double e[5] = {worst(r.out, out, N * H * hd), worst(r.lse, lse, N * H), worst(r.dq, dq, N * H * hd),
                               worst(r.dk, dk, N * KV * hd), worst(r.dv, dv, N * KV * hd)};
                for (int i = 0; i < 5; i++) worst_all = e[i] > worst_all ? e[i] : worst_all;
                if (!first.out) {
                    first = r;
                    continue;
                }
                if (!att_same(&r, &first, N, H, KV, hd)) {
                    if (thr == 1) differ_isa++;
                    else differ_thr++;
                    printf("test_train: attention H%d KV%d hd%d: %s, %d threads differs\n", H, KV, hd, isas[a], thr);
                }
                runs++;
                att_free(&r);
            }
        }
        if (first.out) {   /* each sequence alone: the bits it had in the batch */
            size_t o = 0;
            for (int s = 0; s < nseq; s++) {
                int T = lens[s];
                if (T) {
                    att_res r = att_run(q + o * H * hd, k + o * KV * hd, v + o * KV * hd, dout + o * H * hd, &lens[s],
                                        1, H, KV, hd);
                    att_res in = {first.out + o * H * hd, first.lse + o * H, first.dq + o * H * hd,
                                  first.dk + o * KV * hd, first.dv + o * KV * hd};
                    differ_alone += !att_same(&r, &in, T, H, KV, hd);
                    att_free(&r);
                }
                o += T;
            }
            att_free(&first);
        }
        free(q); free(k); free(v); free(dout); free(out); free(lse); free(dq); free(dk); free(dv);
    }
    printf("test_train: attention (%s): worst relative error %.2e, %d comparisons, %d differ across ISA, "
           "%d across threads, %d sequences differ alone\n", what, worst_all, runs, differ_isa, differ_thr,
           differ_alone);
    CHECK(worst_all < 2e-5);
    CHECK(runs > 0);
    CHECK(differ_isa == 0);
    CHECK(differ_thr == 0);
    CHECK(differ_alone == 0);
}

/* A NaN key score (a NaN in K): the same bits on both instruction sets.
 * Before the two max trees agreed, the AVX-512 row maximum dropped the
 * NaN lane at another step than the AVX2 one and row 15's lse and out
 * differed.  (The NaN key itself gets probability 0, as in the OpenBLAS
 * path: fexp(NaN) = 0.) */
static void test_attention_nan(void)
{
    enum { T = 40, HD = 16 };
    static const int len[] = {T};
    float *q = rnd(T * HD), *k = rnd(T * HD), *v = rnd(T * HD), *dout = rnd(T * HD);
    int differ = 0, runs = 0;
    for (int key = 0; key < 20; key++) {   /* each lane of the first vector, some of the second */
        float *kn = dup(k, T * HD);
        kn[(size_t)key * HD + 3] = NAN;
        att_res first = {0};
        for (int a = 0; a < NISA; a++) {
            if (!train_use(isas[a])) continue;
            att_res r = att_run(q, kn, v, dout, len, 1, 1, 1, HD);
            if (!first.out) {
                first = r;
                continue;
            }
            runs++;
            if (!att_same(&r, &first, T, 1, 1, HD)) {
                differ++;
                printf("test_train: attention with a NaN in key %d: %s differs\n", key, isas[a]);
            }
            att_free(&r);
        }
        if (first.out) att_free(&first);
        free(kn);
    }
    printf("test_train: attention with a NaN key: %d comparisons, %d differ across ISA\n", runs, differ);
    CHECK(differ == 0);
    free(q); free(k); free(v); free(dout);
}

/* ---- the vector exponential ---- */

TGT512 static void exp512(float *y, const float *x) { _mm512_storeu_ps(y, vexp_512(_mm512_loadu_ps(x))); }
TGT256 static void exp256(float *y, const float *x)
{
    v2x8 r = vexp_256(vload_256(x));
    vstore_256(y, r);
}

TGT512 static float redmax512(const float *x) { return vredmax_512(_mm512_loadu_ps(x)); }
TGT256 static float redmax256(const float *x) { return vredmax_256(vload_256(x)); }

/* the row maximum's two trees: the same bits, NaN and signed zeros included */
static void test_vredmax(void)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx2")) return;
    int differ = 0;
    for (int it = 0; it < 2000; it++) {
        float x[16];
        for (int l = 0; l < 16; l++) {
            double u = rng_uniform(&rng);
            x[l] = u < 0.15 ? NAN : u < 0.3 ? 0.0f : u < 0.45 ? -0.0f : (float)(u * 2 - 1);
        }
        float a = redmax512(x), b = redmax256(x);
        differ += memcmp(&a, &b, sizeof a) != 0;
    }
    CHECK(differ == 0);
}

static void test_vexp(void)
{
    enum { N = 4096 };
    static float x[N], y[N], want[N];
    for (int i = 0; i < N; i++) x[i] = (float)(rng_uniform(&rng) * 200 - 100);
    /* NaN and +inf too: both clamp (fexp(NaN) is 0, fexp(+inf) exp(88.3)) */
    float edges[] = {-87.3f, -87.29f, -87.31f, 88.3f, 88.31f, 0.0f,      -0.0f,    1e-8f,
                     -1e-8f, 0.5f,    -0.5f,    -INFINITY, INFINITY, NAN, -NAN, 1e-45f, -3e38f};
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) x[i] = edges[i];
    for (int i = 0; i < N; i++) want[i] = fexp(x[i]);
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (avx2 && __builtin_cpu_supports("avx512f")) {
        for (int i = 0; i < N; i += 16) exp512(y + i, x + i);
        CHECK(!memcmp(y, want, sizeof y));
    }
    if (avx2) {
        for (int i = 0; i < N; i += 16) exp256(y + i, x + i);
        CHECK(!memcmp(y, want, sizeof y));
    }
}

int main(void)
{
    rng_seed(&rng, 11);
    if (!train_ready()) {
        printf("test_train: no AVX2 on this CPU, the kernels are off (OpenBLAS paths run)\n");
        return check_done("test_train");
    }
    test_vexp();
    test_vredmax();
    test_attention_nan();
    test_matmul_bwd();
    test_matmul();
    /* lengths on and off the 64-query block and the 16-key group, 0 and 1 */
    static const int lens[] = {70, 1, 0, 300, 16, 17, 64, 65, 15};
    static const int shapes[][3] = {{4, 2, 16}, {2, 2, 64}, {3, 1, 20}, {2, 1, 8}};
    test_attention("short", lens, 9, shapes, 4);
    /* head_dim past 64 (5, 6 and 8 vectors: the product's widest tile and
     * its remainder) and below 16 (one masked vector) */
    static const int lens_hd[] = {1, 70, 0, 33};
    static const int shapes_hd[][3] = {{2, 1, 80}, {2, 2, 96}, {1, 1, 128}, {2, 1, 1}, {3, 3, 4}};
    test_attention("head_dim", lens_hd, 4, shapes_hd, 5);
    /* a long sequence (10 query blocks, keys past two 256-term chunks) with
     * 4 query heads per key/value head */
    static const int lens_long[] = {3, 600, 2};
    static const int shapes_long[][3] = {{4, 1, 16}, {8, 2, 24}};
    test_attention("long", lens_long, 3, shapes_long, 2);
    return check_done("test_train");
}
