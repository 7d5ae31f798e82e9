/*
 * test_cuda_bodies.c — the CUDA backend's kernel bodies, run on the host
 * against the CPU backend.  Needs no GPU and no CUDA toolkit: the bodies
 * (the *_body.h files of lib/backend/cuda) are plain C under a C compiler (cu_hd.h).
 *
 * Each check loops a body over the same index space its kernel's grid
 * covers, reproducing the kernel's structure where it matters for the
 * result: CU_THREADS strided partials per row combined by the same tree
 * (cu_tree_*), the fixed sum-of-squares grid, the row-major to
 * column-major mapping of every product (gemm_body.h, run through a plain
 * column-major GEMM as the BLAS defines it), attention's chunks of rows
 * and its batched-product plan (att_fwd_gemm/att_bwd_gemm with
 * att_offset, computed here by a plain triple loop).  So an index,
 * stride, transpose or mask bug in what the GPU runs shows up here;
 * the launch geometry and cuBLAS itself are only checked on a GPU
 * (make test-cuda).
 *
 * Tolerances: the bodies use expf where the CPU backend uses its own
 * polynomial exp (~1e-7 relative) and sum in another order, so values
 * are compared with |a - b| <= rtol |b| + atol: 1e-5 relative for
 * elementwise and row ops, 1e-4 for attention (products of sums).  The
 * embedding backward and RMSNorm's weight gradient add in the same order
 * as the CPU and are compared bitwise.
 */
#include "backend/backend.h"
#include "backend/cuda/attn_body.h"
#include "backend/cuda/elem_body.h"
#include "backend/cuda/embed_body.h"
#include "backend/cuda/gemm_body.h"
#include "backend/cuda/logprob_body.h"
#include "backend/cuda/rmsnorm_body.h"
#include "backend/cuda/rope_body.h"
#include "base/util.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

/* the CPU backend's op table; one place to adapt to its signatures */
static const backend *be;
#define OP(name, ...) be->name(be, __VA_ARGS__)

static rng_t rng;

static float *randv(size_t n, float s)
{
    float *x = xmalloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) x[i] = (float)((rng_uniform(&rng) * 2 - 1) * s);
    return x;
}

static float *dup(const float *x, size_t n)
{
    float *y = xmalloc(sizeof(float) * (n ? n : 1));
    memcpy(y, x, sizeof(float) * n);
    return y;
}

/* max over i of |a - b| / (rtol |b| + atol); <= 1 passes */
static void near(const char *what, const float *a, const float *b, size_t n, double rtol, double atol)
{
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]) / (rtol * fabs((double)b[i]) + atol);
        if (!(e <= worst)) { worst = e; at = i; }
    }
    if (worst > 1)
        fprintf(stderr, "%s[%zu]: %.9g, CPU %.9g\n", what, at, a[at], b[at]);
    printf("%-26s n=%-6zu worst %.3f of tolerance\n", what, n, worst);
    CHECK(worst <= 1);
}

static void same(const char *what, const float *a, const float *b, size_t n)
{
    int ok = memcmp(a, b, sizeof(float) * n) == 0;
    printf("%-26s n=%-6zu %s\n", what, n, ok ? "bitwise equal" : "DIFFERENT");
    CHECK(ok);
}

/* ---- matrix products: the cuBLAS call each op makes ---- */

/* column-major C = alpha op(A) op(B) + beta C, the BLAS definition */
static void cm_ref(cm_gemm c)
{
    for (int j = 0; j < c.n; j++)
        for (int i = 0; i < c.m; i++) {
            double s = 0;
            for (int p = 0; p < c.k; p++)
                s += (double)(c.transa ? c.A[p + (size_t)i * c.lda] : c.A[i + (size_t)p * c.lda]) *
                     (c.transb ? c.B[j + (size_t)p * c.ldb] : c.B[p + (size_t)j * c.ldb]);
            float *o = c.C + i + (size_t)j * c.ldc;
            *o = (float)(c.alpha * s + (c.beta != 0 ? c.beta * *o : 0));
        }
}

static void run_rm(rm_gemm g)
{
    if (g.M > 0 && g.N > 0) cm_ref(cm_from_rm(g));
}

static void t_matmul(void)
{
    int shapes[][3] = {{5, 7, 3}, {1, 64, 49}, {17, 33, 1}, {9, 16, 40}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int n = shapes[s][0], in = shapes[s][1], out = shapes[s][2];
        float *x = randv((size_t)n * in, 1), *w = randv((size_t)out * in, 1), *dy = randv((size_t)n * out, 1);
        for (int acc = 0; acc <= 1; acc++) {
            float *y1 = randv((size_t)n * out, 1), *y2 = dup(y1, (size_t)n * out);
            run_rm(mm_fwd(y1, x, w, n, in, out, acc));
            OP(matmul, y2, x, w, n, in, out, acc);
            char what[64];
            snprintf(what, sizeof what, "matmul %dx%dx%d acc %d", n, in, out, acc);
            near(what, y1, y2, (size_t)n * out, 1e-5, 1e-5);
            float *dx1 = randv((size_t)n * in, 1), *dx2 = dup(dx1, (size_t)n * in);
            float *dw1 = randv((size_t)out * in, 1), *dw2 = dup(dw1, (size_t)out * in);
            run_rm(mm_bwd_dx(dx1, dy, w, n, in, out, acc));
            run_rm(mm_bwd_dw(dw1, dy, x, n, in, out));
            OP(matmul_bwd, dx2, dw2, dy, x, w, n, in, out, acc);
            snprintf(what, sizeof what, "matmul_bwd dx %dx%dx%d", n, in, out);
            near(what, dx1, dx2, (size_t)n * in, 1e-5, 1e-5);
            snprintf(what, sizeof what, "matmul_bwd dw %dx%dx%d", n, in, out);
            near(what, dw1, dw2, (size_t)out * in, 1e-5, 1e-5);
            free(y1); free(y2); free(dx1); free(dx2); free(dw1); free(dw2);
        }
        free(x); free(w); free(dy);
    }
}

/* ---- elementwise ---- */

static void t_elem(void)
{
    size_t n = 1037;
    float *g = randv(n, 6), *u = randv(n, 2), *dh = randv(n, 1);
    float *h1 = randv(n, 1), *h2 = randv(n, 1);
    for (size_t i = 0; i < n; i++) swiglu_body(i, h1, g, u);
    OP(swiglu, h2, g, u, n);
    near("swiglu", h1, h2, n, 1e-5, 1e-7);

    float *dg1 = randv(n, 1), *du1 = randv(n, 1), *dg2 = randv(n, 1), *du2 = randv(n, 1);
    for (size_t i = 0; i < n; i++) swiglu_bwd_body(i, dg1, du1, dh, g, u);
    OP(swiglu_bwd, dg2, du2, dh, g, u, n);
    near("swiglu_bwd dg", dg1, dg2, n, 1e-5, 1e-7);
    near("swiglu_bwd du", du1, du2, n, 1e-5, 1e-7);

    for (size_t i = 0; i < n; i++) geglu_body(i, h1, g, u);
    OP(geglu, h2, g, u, n);
    near("geglu", h1, h2, n, 1e-5, 1e-7);
    for (size_t i = 0; i < n; i++) geglu_bwd_body(i, dg1, du1, dh, g, u);
    OP(geglu_bwd, dg2, du2, dh, g, u, n);
    near("geglu_bwd dg", dg1, dg2, n, 1e-5, 1e-7);
    near("geglu_bwd du", du1, du2, n, 1e-5, 1e-7);

    float *y1 = dup(u, n), *y2 = dup(u, n);
    for (size_t i = 0; i < n; i++) add_body(i, y1, g);
    OP(add, y2, g, n);
    same("add", y1, y2, n);
    for (size_t i = 0; i < n; i++) scale_body(i, y1, 0.37f);
    OP(scale, y2, 0.37f, n);
    same("scale", y1, y2, n);

    int rows = 7, d = 13;
    uint8_t mask[7] = {1, 0, 1, 1, 0, 0, 1};
    float *z1 = randv((size_t)rows * d, 1), *z2 = dup(z1, (size_t)rows * d);
    for (size_t idx = 0; idx < (size_t)rows * d; idx++) zero_rows_body(idx, z1, mask, d);
    OP(zero_rows, z2, mask, rows, d);
    same("zero_rows", z1, z2, (size_t)rows * d);
    free(z1); free(z2);

    /* AdamW, three steps with weight decay and a gradient scale */
    float *p1 = randv(n, 1), *p2 = dup(p1, n), *m1 = randv(n, 0.1f), *m2 = dup(m1, n);
    float *v1 = randv(n, 0.1f), *v2;
    for (size_t i = 0; i < n; i++) v1[i] = fabsf(v1[i]);
    v2 = dup(v1, n);
    for (long t = 1; t <= 3; t++) {
        float b1 = 0.9f, b2 = 0.95f, c1 = 1.0f - powf(b1, (float)t), c2 = 1.0f - powf(b2, (float)t);
        for (size_t i = 0; i < n; i++) adamw_body(i, p1, g, m1, v1, 1e-3f, b1, b2, 1e-8f, 0.1f, 0.5f, c1, c2);
        OP(adamw, p2, g, m2, v2, n, 1e-3f, b1, b2, 1e-8f, 0.1f, 0.5f, t);
    }
    same("adamw p", p1, p2, n);
    same("adamw m", m1, m2, n);
    same("adamw v", v1, v2, n);

    /* sum of squares over the fixed grid: per-thread partials, a tree per
     * block, a tree over the blocks */
    size_t big = 300007, nt = (size_t)CU_SQ_BLOCKS * CU_THREADS;
    float *x = randv(big, 3);
    double *part = xmalloc(sizeof(double) * nt), blocks[CU_SQ_BLOCKS];
    for (size_t t = 0; t < nt; t++) part[t] = sumsq_partial(t, nt, x, big);
    for (int b = 0; b < CU_SQ_BLOCKS; b++) blocks[b] = cu_tree_sum_d(part + (size_t)b * CU_THREADS, CU_THREADS);
    double s1 = cu_tree_sum_d(blocks, CU_SQ_BLOCKS), s2 = OP(sumsq, x, big);
    printf("%-26s n=%-6zu %.17g vs CPU %.17g\n", "sumsq", big, s1, s2);
    CHECK(fabs(s1 - s2) <= 1e-12 * s2);
    free(part); free(x);
    free(g); free(u); free(dh); free(h1); free(h2); free(dg1); free(du1); free(dg2); free(du2);
    free(y1); free(y2); free(p1); free(p2); free(m1); free(m2); free(v1); free(v2);
}

/* ---- embedding ---- */

static void t_embed(void)
{
    int n = 19, d = 37, V = 11;
    int32_t ids[19];
    for (int i = 0; i < n; i++) ids[i] = (int32_t)rng_below(&rng, V);
    ids[3] = ids[4] = ids[17] = 5;   /* repeats add up */
    float *table = randv((size_t)V * d, 1), *o1 = randv((size_t)n * d, 1), *o2 = randv((size_t)n * d, 1);
    for (size_t idx = 0; idx < (size_t)n * d; idx++) embed_body(idx, o1, table, ids, d);
    OP(embed, o2, table, ids, n, d);
    same("embed", o1, o2, (size_t)n * d);

    float *dout = randv((size_t)n * d, 1), *dt1 = randv((size_t)V * d, 1), *dt2 = dup(dt1, (size_t)V * d);
    for (int j = 0; j < d; j++) embed_bwd_col(j, dt1, dout, ids, n, d);
    OP(embed_bwd, dt2, dout, ids, n, d);
    same("embed_bwd", dt1, dt2, (size_t)V * d);
    free(table); free(o1); free(o2); free(dout); free(dt1); free(dt2);
}

/* ---- RMSNorm: one block per row ---- */

static void t_rmsnorm(void)
{
    int n = 6, d = 333;   /* d not a multiple of the block: ragged strides */
    float eps = 1e-5f;
    float *x = randv((size_t)n * d, 2), *w = randv(d, 1), *dy = randv((size_t)n * d, 1);
    float *y1 = randv((size_t)n * d, 1), *y2 = randv((size_t)n * d, 1), r1[6], r2[6];
    double part[CU_THREADS];
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * d;
        for (int t = 0; t < CU_THREADS; t++) part[t] = rms_partial(t, CU_THREADS, xi, d);
        float r = rms_rstd(cu_tree_sum_d(part, CU_THREADS), d, eps);
        r1[i] = r;
        for (int j = 0; j < d; j++) y1[(size_t)i * d + j] = rms_y(w[j], xi[j], r);
    }
    OP(rmsnorm, y2, r2, x, w, n, d, eps);
    near("rmsnorm y", y1, y2, (size_t)n * d, 1e-5, 1e-7);
    near("rmsnorm rstd", r1, r2, n, 1e-6, 0);

    for (int acc = 0; acc <= 1; acc++) {
        float *dx1 = randv((size_t)n * d, 1), *dx2 = dup(dx1, (size_t)n * d);
        float *dw1 = randv(d, 1), *dw2 = dup(dw1, d);
        for (int i = 0; i < n; i++) {
            const float *xi = x + (size_t)i * d, *gi = dy + (size_t)i * d;
            for (int t = 0; t < CU_THREADS; t++) part[t] = rms_bwd_partial(t, CU_THREADS, w, gi, xi, d);
            float c = rms_bwd_c(cu_tree_sum_d(part, CU_THREADS), r2[i], d);
            for (int j = 0; j < d; j++) {
                float v = rms_dx(r2[i], w[j], gi[j], xi[j], c);
                float *o = dx1 + (size_t)i * d + j;
                *o = acc ? *o + v : v;
            }
        }
        for (int j = 0; j < d; j++) rms_dw_col(j, dw1, dy, x, r2, n, d);
        OP(rmsnorm_bwd, dx2, dw2, dy, x, w, r2, n, d, acc);
        near(acc ? "rmsnorm_bwd dx (acc)" : "rmsnorm_bwd dx", dx1, dx2, (size_t)n * d, 1e-5, 1e-6);
        same("rmsnorm_bwd dw", dw1, dw2, d);
        free(dx1); free(dx2); free(dw1); free(dw2);
    }
    free(x); free(w); free(dy); free(y1); free(y2);
}

/* ---- rotary embedding ---- */

static void t_rope(void)
{
    int n = 7, heads = 3, hd = 10;
    int32_t pos[7] = {0, 1, 2, 9, 100, 4095, 3};
    size_t len = (size_t)n * heads * hd;
    for (int inverse = 0; inverse <= 1; inverse++) {
        float *x1 = randv(len, 1), *x2 = dup(x1, len);
        for (size_t idx = 0; idx < (size_t)n * heads * (hd / 2); idx++)
            rope_body(idx, x1, pos, heads, hd, 10000.0f, inverse);
        OP(rope, x2, pos, n, heads, hd, 10000.0f, inverse);
        near(inverse ? "rope inverse" : "rope", x1, x2, len, 1e-6, 1e-7);
        free(x1); free(x2);
    }
}

/* ---- log-softmax gather ---- */

static void t_logprob(void)
{
    int n = 5, V = 1000;   /* V not a multiple of the block */
    int32_t tg[5] = {3, -1, 999, 0, 500};
    float *lg = randv((size_t)n * V, 8), lp1[5], ls1[5], lp2[5], ls2[5], part[CU_THREADS];
    for (int i = 0; i < n; i++) {
        const float *row = lg + (size_t)i * V;
        for (int t = 0; t < CU_THREADS; t++) part[t] = lp_max_partial(t, CU_THREADS, row, V);
        float mx = cu_tree_max_f(part, CU_THREADS);
        for (int t = 0; t < CU_THREADS; t++) part[t] = lp_sum_partial(t, CU_THREADS, row, V, mx);
        lp_finish(i, lp1, ls1, row, tg, mx, cu_tree_sum_f(part, CU_THREADS));
    }
    OP(logprob, lp2, ls2, lg, tg, n, V);
    near("logprob logp", lp1, lp2, n, 1e-5, 1e-6);
    near("logprob lse", ls1, ls2, n, 1e-6, 1e-6);

    float dl[5] = {0.5f, 1.0f, -2.0f, 0.0f, 1.5f};   /* row 1 no target, row 3 zero gradient */
    float *g1 = dup(lg, (size_t)n * V), *g2 = dup(lg, (size_t)n * V);
    for (size_t idx = 0; idx < (size_t)n * V; idx++) lp_bwd_body(idx, g1, ls2, dl, tg, V);
    OP(logprob_bwd, g2, ls2, dl, tg, n, V);
    near("logprob_bwd", g1, g2, (size_t)n * V, 1e-5, 1e-8);
    free(lg); free(g1); free(g2);
}

/* ---- attention: the batched-product plan on the host ---- */

/* one product of the plan, as cu_gemm_batched hands it to cuBLAS */
static void host_gemm(att_gemm g, const float *A, const float *B, float *C)
{
    run_rm(rm_mk(g.ta, g.tb, g.M, g.N, g.K, g.alpha, A, g.lda, B, g.ldb, g.beta, C, g.ldc));
}

typedef struct { int B, Tq, q0, kstride, H, KV, hd, nb; } att_shape;

static void run_plan(att_gemm g, float *const base[ATT_NOPS], int cnt, int b0, const att_shape *s, int Tk)
{
    for (int z = 0; z < cnt; z++) {
#define AT(op) (base[op] + att_offset(op, z, b0, s->H, s->KV, s->Tq, s->kstride, Tk, s->hd))
        host_gemm(g, AT(g.a), AT(g.b), AT(g.c));
#undef AT
    }
}

static void emu_attention(float *out, float *lse, const float *q, const float *k, const float *v,
                          const uint8_t *valid, const att_shape *s)
{
    int Tq = s->Tq, Tk = s->q0 + Tq, H = s->H;
    for (int b0 = 0; b0 < s->B; b0 += s->nb) {
        int cnt = (s->B - b0 < s->nb ? s->B - b0 : s->nb) * H;
        float *S = xcalloc((size_t)cnt * Tq * Tk, sizeof(float));
        float *base[ATT_NOPS] = {0};
        base[ATT_Q] = (float *)q; base[ATT_K] = (float *)k; base[ATT_V] = (float *)v;
        base[ATT_S] = S; base[ATT_O] = out;
        run_plan(att_fwd_gemm(0, Tq, Tk, H, s->KV, s->hd), base, cnt, b0, s, Tk);
        for (size_t blk = 0; blk < (size_t)cnt * Tq; blk++) {   /* att_softmax_rows */
            int z = (int)(blk / Tq), i = (int)(blk % Tq), lim = s->q0 + i;
            float *row = S + blk * Tk, part[CU_THREADS];
            const uint8_t *vm = valid + (size_t)(b0 + z / H) * s->kstride;
            for (int t = 0; t < CU_THREADS; t++) part[t] = att_max_partial(t, CU_THREADS, row, vm, lim, Tk);
            float mx = cu_tree_max_f(part, CU_THREADS), sum = 0;
            if (mx != -INFINITY) {
                for (int t = 0; t < CU_THREADS; t++) part[t] = att_sum_partial(t, CU_THREADS, row, vm, lim, Tk, mx);
                sum = cu_tree_sum_f(part, CU_THREADS);
            }
            for (int t = 0; t < CU_THREADS; t++) att_finish(t, CU_THREADS, row, vm, lim, Tk, mx, sum);
            lse[((size_t)b0 * H + z) * Tq + i] = att_lse(mx, sum);
        }
        run_plan(att_fwd_gemm(1, Tq, Tk, H, s->KV, s->hd), base, cnt, b0, s, Tk);
        free(S);
    }
}

static void emu_attention_bwd(float *dq, float *dk, float *dv, const float *dout, const float *q,
                              const float *k, const float *v, const float *out, const float *lse,
                              const uint8_t *valid, const att_shape *s)
{
    int T = s->Tq, H = s->H, KV = s->KV, hd = s->hd;
    size_t TT = (size_t)T * T;
    for (int b0 = 0; b0 < s->B; b0 += s->nb) {
        int nbl = s->B - b0 < s->nb ? s->B - b0 : s->nb, cnt = nbl * H;
        float *S = xcalloc((size_t)cnt * TT, sizeof(float)), *dP = xcalloc((size_t)cnt * TT, sizeof(float));
        float *D = xcalloc((size_t)cnt * T, sizeof(float));
        float *dKh = xcalloc((size_t)cnt * T * hd, sizeof(float)), *dVh = xcalloc((size_t)cnt * T * hd, sizeof(float));
        float *base[ATT_NOPS] = {0};
        base[ATT_Q] = (float *)q; base[ATT_K] = (float *)k; base[ATT_V] = (float *)v; base[ATT_S] = S;
        base[ATT_DO] = (float *)dout; base[ATT_DP] = dP; base[ATT_DQ] = dq; base[ATT_DKH] = dKh; base[ATT_DVH] = dVh;
        const float *L = lse + (size_t)b0 * H * T;
        const uint8_t *vb = valid + (size_t)b0 * T;
        run_plan(att_bwd_gemm(0, T, H, KV, hd), base, cnt, b0, s, T);
        for (size_t idx = 0; idx < (size_t)cnt * TT; idx++) att_prob_body(idx, S, L, vb, H, T);
        run_plan(att_bwd_gemm(1, T, H, KV, hd), base, cnt, b0, s, T);
        run_plan(att_bwd_gemm(2, T, H, KV, hd), base, cnt, b0, s, T);
        for (size_t zi = 0; zi < (size_t)cnt * T; zi++) att_D_body(zi, D, dout, out, b0, H, T, hd);
        for (size_t idx = 0; idx < (size_t)cnt * TT; idx++) att_dS_body(idx, dP, S, D, T);
        run_plan(att_bwd_gemm(3, T, H, KV, hd), base, cnt, b0, s, T);
        run_plan(att_bwd_gemm(4, T, H, KV, hd), base, cnt, b0, s, T);
        for (size_t idx = 0; idx < (size_t)nbl * T * KV * hd; idx++) {
            att_group_sum_body(idx, dk, dKh, b0, H, KV, T, hd);
            att_group_sum_body(idx, dv, dVh, b0, H, KV, T, hd);
        }
        free(S); free(dP); free(D); free(dKh); free(dVh);
    }
}

static void t_attention_case(const char *name, att_shape s, int bwd)
{
    int Tk = s.q0 + s.Tq, qd = s.H * s.hd, kd = s.KV * s.hd;
    size_t nq = (size_t)s.B * s.Tq * qd, nk = (size_t)s.B * s.kstride * kd, nl = (size_t)s.B * s.H * s.Tq;
    float *q = randv(nq, 1), *k = randv(nk, 1), *v = randv(nk, 1);
    uint8_t *valid = xcalloc((size_t)s.B * s.kstride, 1);
    for (int b = 0; b < s.B; b++)
        for (int j = 0; j < Tk; j++) {
            int ok = 1;
            if (b == 1) ok = j >= 3;                    /* left padding: early queries see nothing */
            if (b == 2) ok = j < Tk - 2 && j != 4;      /* a hole and right padding */
            if (b == 3) ok = 0;                         /* a row with no real token */
            valid[(size_t)b * s.kstride + j] = (uint8_t)ok;
        }
    float *o1 = randv(nq, 1), *o2 = randv(nq, 1), *l1 = randv(nl, 1), *l2 = randv(nl, 1);
    char what[64];
    for (int pass = 0; pass < 2; pass++) {   /* all rows in one chunk, then one row per chunk */
        s.nb = pass ? 1 : s.B;
        emu_attention(o1, l1, q, k, v, valid, &s);
        OP(attention, o2, l2, q, k, v, valid, s.B, s.Tq, s.q0, s.kstride, s.H, s.KV, s.hd);
        snprintf(what, sizeof what, "%s out nb=%d", name, s.nb);
        near(what, o1, o2, nq, 1e-4, 1e-6);
        snprintf(what, sizeof what, "%s lse nb=%d", name, s.nb);
        near(what, l1, l2, nl, 1e-5, 1e-6);
        if (!bwd) continue;
        float *dout = randv(nq, 1), *dq1 = randv(nq, 1), *dq2 = randv(nq, 1);
        float *dk1 = randv(nk, 1), *dk2 = randv(nk, 1), *dv1 = randv(nk, 1), *dv2 = randv(nk, 1);
        emu_attention_bwd(dq1, dk1, dv1, dout, q, k, v, o2, l2, valid, &s);
        OP(attention_bwd, dq2, dk2, dv2, dout, q, k, v, o2, l2, valid, s.B, s.Tq, s.H, s.KV, s.hd);
        snprintf(what, sizeof what, "%s dq nb=%d", name, s.nb);
        near(what, dq1, dq2, nq, 1e-4, 1e-5);
        snprintf(what, sizeof what, "%s dk nb=%d", name, s.nb);
        near(what, dk1, dk2, nk, 1e-4, 1e-5);
        snprintf(what, sizeof what, "%s dv nb=%d", name, s.nb);
        near(what, dv1, dv2, nk, 1e-4, 1e-5);
        free(dout); free(dq1); free(dq2); free(dk1); free(dk2); free(dv1); free(dv2);
    }
    free(q); free(k); free(v); free(valid); free(o1); free(o2); free(l1); free(l2);
}

static void t_attention(void)
{
    /* training shapes (q0 0, kstride T): GQA 6/2, MHA, MQA, head_dim 8 and 12 */
    t_attention_case("att gqa", (att_shape){4, 13, 0, 13, 6, 2, 8, 0}, 1);
    t_attention_case("att mha", (att_shape){4, 9, 0, 9, 3, 3, 12, 0}, 1);
    t_attention_case("att mqa", (att_shape){4, 11, 0, 11, 4, 1, 6, 0}, 1);
    /* KV-cache: prefill into a longer cache, then one-token decode steps */
    t_attention_case("att prefill", (att_shape){4, 5, 0, 16, 6, 2, 8, 0}, 0);
    t_attention_case("att decode", (att_shape){4, 1, 9, 16, 6, 2, 8, 0}, 0);
    t_attention_case("att decode2", (att_shape){4, 2, 13, 16, 4, 1, 6, 0}, 0);
}

int main(void)
{
    be = backend_cpu();
    rng_seed(&rng, 13);
    t_matmul();
    t_elem();
    t_embed();
    t_rmsnorm();
    t_rope();
    t_logprob();
    t_attention();
    return check_done("test_cuda_bodies");
}
