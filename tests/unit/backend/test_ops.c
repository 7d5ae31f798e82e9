/*
 * test_ops.c — every backward operation of the CPU backend against central
 * finite differences of its forward.
 *
 * Each check defines a scalar loss L = sum_i R_i * out_i (R fixed random
 * weights, summed in double) and compares the analytic gradient with
 * (L(x + h) - L(x - h)) / 2h, h = 1e-2, in fp32 parameters.  Tolerance:
 * |analytic - numeric| <= 2e-2 * max(|analytic|, |numeric|) + 5e-4, which
 * catches any wrong term (those are off by O(1)) while allowing fp32
 * rounding of the differences.
 */
#include "backend/backend.h"
#include "base/util.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static const backend *be;
static rng_t rng;

static void fill(float *x, size_t n, float s)
{
    for (size_t i = 0; i < n; i++) x[i] = (float)((rng_uniform(&rng) * 2 - 1) * s);
}

typedef double (*loss_fn)(void *ctx);

static double dot(const float *r, const float *o, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)r[i] * o[i];
    return s;
}

static void check_grad(const char *what, float *x, size_t n, const float *grad,
                       loss_fn f, void *ctx)
{
    const float h = 1e-2f;
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        float old = x[i];
        x[i] = old + h; double lp = f(ctx);
        x[i] = old - h; double lm = f(ctx);
        x[i] = old;
        double num = (lp - lm) / (2 * h), an = grad[i];
        double err = fabs(num - an), tol = 2e-2 * fmax(fabs(num), fabs(an)) + 5e-4;
        if (err > tol) {
            if (failures < 30)
                printf("FAIL %s[%zu]: analytic %.6g numeric %.6g\n", what, i, an, num);
            failures++;
        }
        if (err > worst) worst = err;
    }
    printf("%-22s n=%-5zu max abs err %.2e\n", what, n, worst);
}

/* ---- matmul ---- */
enum { MN = 3, MI = 5, MO = 4 };
static float mx[MN * MI], mw[MO * MI], my[MN * MO], mr[MN * MO];
static double mm_loss(void *c) { (void)c; be->matmul(be, my, mx, mw, MN, MI, MO, 0); return dot(mr, my, MN * MO); }
static void test_matmul(void)
{
    fill(mx, MN * MI, 1); fill(mw, MO * MI, 1); fill(mr, MN * MO, 1);
    float dx[MN * MI], dw[MO * MI] = {0};
    be->matmul_bwd(be, dx, dw, mr, mx, mw, MN, MI, MO, 0);
    check_grad("matmul dx", mx, MN * MI, dx, mm_loss, NULL);
    check_grad("matmul dw", mw, MO * MI, dw, mm_loss, NULL);
}

/* ---- rmsnorm ---- */
enum { RN = 3, RD = 6 };
static float rx[RN * RD], rw[RD], ry[RN * RD], rr[RN * RD], rs[RN];
static double rms_loss(void *c) { (void)c; be->rmsnorm(be, ry, rs, rx, rw, RN, RD, 1e-5f); return dot(rr, ry, RN * RD); }
static void test_rmsnorm(void)
{
    fill(rx, RN * RD, 1); fill(rw, RD, 1); fill(rr, RN * RD, 1);
    rms_loss(NULL);
    float dx[RN * RD], dw[RD] = {0};
    be->rmsnorm_bwd(be, dx, dw, rr, rx, rw, rs, RN, RD, 0);
    check_grad("rmsnorm dx", rx, RN * RD, dx, rms_loss, NULL);
    check_grad("rmsnorm dw", rw, RD, dw, rms_loss, NULL);
}

/* ---- rope: backward = rotation by the negative angle ---- */
enum { PN = 3, PH = 2, PD = 8 };
static float px[PN * PH * PD], pr[PN * PH * PD];
static int32_t ppos[PN] = {0, 3, 17};
static double rope_loss(void *c)
{
    (void)c;
    float t[PN * PH * PD];
    memcpy(t, px, sizeof t);
    be->rope(be, t, ppos, PN, PH, PD, 10000.0f, 0);
    return dot(pr, t, PN * PH * PD);
}
static void test_rope(void)
{
    fill(px, PN * PH * PD, 1); fill(pr, PN * PH * PD, 1);
    float g[PN * PH * PD];
    memcpy(g, pr, sizeof g);
    be->rope(be, g, ppos, PN, PH, PD, 10000.0f, 1);
    check_grad("rope dx", px, PN * PH * PD, g, rope_loss, NULL);
}

/* ---- attention (GQA, padding on both sides) ---- */
enum { AB = 2, AT = 5, AH = 4, AKV = 2, AD = 4 };
static float aq[AB * AT * AH * AD], ak[AB * AT * AKV * AD], av[AB * AT * AKV * AD];
static float ao[AB * AT * AH * AD], ar[AB * AT * AH * AD], alse[AB * AH * AT];
static const uint8_t avalid[AB * AT] = {0, 1, 1, 1, 1, /* left pad */ 1, 1, 1, 0, 0};
static double att_loss(void *c)
{
    (void)c;
    be->attention(be, ao, alse, aq, ak, av, avalid, AB, AT, 0, AT, AH, AKV, AD);
    return dot(ar, ao, AB * AT * AH * AD);
}
static void test_attention(void)
{
    fill(aq, sizeof aq / 4, 1); fill(ak, sizeof ak / 4, 1); fill(av, sizeof av / 4, 1);
    fill(ar, sizeof ar / 4, 1);
    att_loss(NULL);
    float dq[sizeof aq / 4], dk[sizeof ak / 4], dv[sizeof av / 4];
    be->attention_bwd(be, dq, dk, dv, ar, aq, ak, av, ao, alse, avalid, AB, AT, AH, AKV, AD);
    check_grad("attention dq", aq, sizeof aq / 4, dq, att_loss, NULL);
    check_grad("attention dk", ak, sizeof ak / 4, dk, att_loss, NULL);
    check_grad("attention dv", av, sizeof av / 4, dv, att_loss, NULL);
    /* a query with no real key before it outputs zeros */
    for (int c = 0; c < AH * AD; c++)
        if (ao[c] != 0) { printf("FAIL attention: padded first query not zero\n"); failures++; break; }
    /* the cached form (q0 > 0, a wider key stride) agrees with the full pass */
    enum { KS = 7 };
    float kk[AB * KS * AKV * AD] = {0}, vv[AB * KS * AKV * AD] = {0};
    uint8_t val2[AB * KS] = {0};
    for (int b = 0; b < AB; b++)
        for (int t = 0; t < AT; t++) {
            memcpy(kk + (b * KS + t) * AKV * AD, ak + (b * AT + t) * AKV * AD, sizeof(float) * AKV * AD);
            memcpy(vv + (b * KS + t) * AKV * AD, av + (b * AT + t) * AKV * AD, sizeof(float) * AKV * AD);
            val2[b * KS + t] = avalid[b * AT + t];
        }
    float q1[AB * AH * AD], o1[AB * AH * AD], l1[AB * AH];
    for (int b = 0; b < AB; b++)
        memcpy(q1 + b * AH * AD, aq + (b * AT + AT - 1) * AH * AD, sizeof(float) * AH * AD);
    be->attention(be, o1, l1, q1, kk, vv, val2, AB, 1, AT - 1, KS, AH, AKV, AD);
    for (int b = 0; b < AB; b++)
        for (int c = 0; c < AH * AD; c++)
            if (fabsf(o1[b * AH * AD + c] - ao[(b * AT + AT - 1) * AH * AD + c]) > 1e-6f) {
                printf("FAIL attention: cached query differs at b=%d c=%d\n", b, c);
                failures++;
                return;
            }
}

/* ---- attention over several query blocks against a double reference ---- */
static void test_attention_long(void)
{
    enum { B = 2, T = 150, H = 4, KV = 2, D = 8 };
    size_t nq = (size_t)B * T * H * D, nk = (size_t)B * T * KV * D;
    float *q = malloc(4 * nq), *k = malloc(4 * nk), *v = malloc(4 * nk), *o = malloc(4 * nq);
    float *g = malloc(4 * nq), *dq = malloc(4 * nq), *dk = malloc(4 * nk), *dv = malloc(4 * nk);
    float *lse = malloc(4 * (size_t)B * H * T);
    double *rdq = calloc(nq, 8), *rdk = calloc(nk, 8), *rdv = calloc(nk, 8), *p = malloc(8 * T);
    uint8_t val[B * T];
    for (int i = 0; i < B * T; i++) val[i] = !(i % 17 == 3 || (i >= T + 140));   /* holes + right pad */
    fill(q, nq, 1.5f); fill(k, nk, 1.5f); fill(v, nk, 1); fill(g, nq, 1);
    be->attention(be, o, lse, q, k, v, val, B, T, 0, T, H, KV, D);
    be->attention_bwd(be, dq, dk, dv, g, q, k, v, o, lse, val, B, T, H, KV, D);
    double eo = 0, eg = 0, sc = 1 / sqrt((double)D);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < T; i++) {
                const float *qi = q + ((size_t)(b * T + i) * H + h) * D, *gi = g + ((size_t)(b * T + i) * H + h) * D;
                int kh = h / (H / KV);
                double mx = -1e300, sum = 0, out[D] = {0}, dp[T], Di = 0;
                for (int j = 0; j <= i; j++) {
                    if (!val[b * T + j]) continue;
                    const float *kj = k + ((size_t)(b * T + j) * KV + kh) * D;
                    double d = 0;
                    for (int c = 0; c < D; c++) d += (double)qi[c] * kj[c];
                    p[j] = d * sc;
                    if (p[j] > mx) mx = p[j];
                }
                if (mx == -1e300) continue;
                for (int j = 0; j <= i; j++) if (val[b * T + j]) { p[j] = exp(p[j] - mx); sum += p[j]; }
                for (int j = 0; j <= i; j++) {
                    if (!val[b * T + j]) continue;
                    p[j] /= sum;
                    const float *vj = v + ((size_t)(b * T + j) * KV + kh) * D;
                    for (int c = 0; c < D; c++) out[c] += p[j] * vj[c];
                }
                for (int c = 0; c < D; c++) {
                    eo = fmax(eo, fabs(out[c] - o[((size_t)(b * T + i) * H + h) * D + c]));
                    Di += gi[c] * out[c];
                }
                for (int j = 0; j <= i; j++) {
                    if (!val[b * T + j]) continue;
                    const float *kj = k + ((size_t)(b * T + j) * KV + kh) * D, *vj = v + ((size_t)(b * T + j) * KV + kh) * D;
                    dp[j] = 0;
                    for (int c = 0; c < D; c++) dp[j] += (double)gi[c] * vj[c];
                    double ds = p[j] * (dp[j] - Di) * sc;
                    for (int c = 0; c < D; c++) {
                        rdq[((size_t)(b * T + i) * H + h) * D + c] += ds * kj[c];
                        rdk[((size_t)(b * T + j) * KV + kh) * D + c] += ds * qi[c];
                        rdv[((size_t)(b * T + j) * KV + kh) * D + c] += p[j] * gi[c];
                    }
                }
            }
    for (size_t i = 0; i < nq; i++) eg = fmax(eg, fabs(rdq[i] - dq[i]));
    for (size_t i = 0; i < nk; i++) eg = fmax(eg, fmax(fabs(rdk[i] - dk[i]), fabs(rdv[i] - dv[i])));
    printf("attention T=%d        max |out err| %.2e, max |grad err| %.2e\n", T, eo, eg);
    if (eo > 1e-5 || eg > 1e-4) { printf("FAIL long attention differs from the double reference\n"); failures++; }
    free(q); free(k); free(v); free(o); free(g); free(dq); free(dk); free(dv); free(lse);
    free(rdq); free(rdk); free(rdv); free(p);
}

/* ---- swiglu ---- */
enum { SN = 12 };
static float sg[SN], su[SN], sh[SN], sr[SN];
static double sw_loss(void *c) { (void)c; be->swiglu(be, sh, sg, su, SN); return dot(sr, sh, SN); }
static void test_swiglu(void)
{
    fill(sg, SN, 3); fill(su, SN, 2); fill(sr, SN, 1);
    float dg[SN], du[SN];
    be->swiglu_bwd(be, dg, du, sr, sg, su, SN);
    check_grad("swiglu dg", sg, SN, dg, sw_loss, NULL);
    check_grad("swiglu du", su, SN, du, sw_loss, NULL);
}

/* ---- log-softmax gather ---- */
enum { LN = 3, LV = 7 };
static float ll[LN * LV], lp[LN], lse_[LN], lr[LN];
static int32_t lt[LN] = {2, -1, 6};
static double lp_loss(void *c) { (void)c; be->logprob(be, lp, lse_, ll, lt, LN, LV); return dot(lr, lp, LN); }
static void test_logprob(void)
{
    fill(ll, LN * LV, 3); fill(lr, LN, 1);
    lp_loss(NULL);
    /* reference value in double */
    double mx = -1e30, s = 0;
    for (int j = 0; j < LV; j++) mx = fmax(mx, ll[j]);
    for (int j = 0; j < LV; j++) s += exp(ll[j] - mx);
    double ref = ll[2] - mx - log(s);
    if (fabs(ref - lp[0]) > 1e-5) { printf("FAIL logprob value %g vs %g\n", lp[0], ref); failures++; }
    if (lp[1] != 0) { printf("FAIL logprob: masked row not 0\n"); failures++; }
    float g[LN * LV];
    memcpy(g, ll, sizeof g);
    be->logprob_bwd(be, g, lse_, lr, lt, LN, LV);
    check_grad("logprob dlogits", ll, LN * LV, g, lp_loss, NULL);
}

/* ---- embedding ---- */
static void test_embed(void)
{
    float table[4 * 3], out[3 * 3], dt[4 * 3] = {0}, dout[3 * 3];
    int32_t ids[3] = {2, 0, 2};
    fill(table, 12, 1); fill(dout, 9, 1);
    be->embed(be, out, table, ids, 3, 3);
    be->embed_bwd(be, dt, dout, ids, 3, 3);
    for (int j = 0; j < 3; j++) {
        if (out[3 + j] != table[j] || out[6 + j] != table[6 + j]) { printf("FAIL embed\n"); failures++; }
        if (fabsf(dt[6 + j] - (dout[j] + dout[6 + j])) > 1e-7f || dt[3 + j] != 0) {
            printf("FAIL embed_bwd\n"); failures++;
        }
    }
}

/* ---- AdamW against a double-precision reference ---- */
static void test_adamw(void)
{
    enum { N = 5 };
    float p[N], g[N], m[N] = {0}, v[N] = {0};
    double P[N], M[N] = {0}, V[N] = {0};
    fill(p, N, 1);
    for (int i = 0; i < N; i++) P[i] = p[i];
    for (long t = 1; t <= 4; t++) {
        fill(g, N, 1);
        be->adamw(be, p, g, m, v, N, 1e-2f, 0.9f, 0.95f, 1e-5f, 0.1f, 0.5f, t);
        for (int i = 0; i < N; i++) {
            double gi = g[i] * 0.5;
            M[i] = 0.9 * M[i] + 0.1 * gi;
            V[i] = 0.95 * V[i] + 0.05 * gi * gi;
            double mh = M[i] / (1 - pow(0.9, t)), vh = V[i] / (1 - pow(0.95, t));
            P[i] -= 1e-2 * (mh / (sqrt(vh) + 1e-5) + 0.1 * P[i]);
        }
    }
    for (int i = 0; i < N; i++)
        if (fabs(p[i] - P[i]) > 1e-5) { printf("FAIL adamw[%d] %g vs %g\n", i, p[i], P[i]); failures++; }
    printf("adamw                  matches double reference\n");
}

/* sumsq: fixed chunk order, so 1 and 4 threads give the same bits */
static void test_sumsq(void)
{
    size_t n = 300000;
    float *x = malloc(sizeof(float) * n);
    fill(x, n, 1);
    double ref = 0;
    for (size_t i = 0; i < n; i++) ref += (double)x[i] * x[i];
    omp_set_num_threads(1);
    double a = be->sumsq(be, x, n);
    omp_set_num_threads(4);
    double b = be->sumsq(be, x, n);
    if (a != b || fabs(a - ref) > 1e-9 * ref) { printf("FAIL sumsq %.17g %.17g ref %.17g\n", a, b, ref); failures++; }
    free(x);
}

int main(void)
{
    be = backend_cpu();
    rng_seed(&rng, 42);
    test_matmul();
    test_rmsnorm();
    test_rope();
    test_attention();
    test_attention_long();
    test_swiglu();
    test_logprob();
    test_embed();
    test_adamw();
    test_sumsq();
    if (failures) { printf("%d failures\n", failures); return 1; }
    printf("all ops ok\n");
    return 0;
}
