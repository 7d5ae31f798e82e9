/*
 * test_backend_parity.c — every operation of backend.h, run on two
 * backends on the same inputs, compared output by output.
 *
 *   test_backend_parity [REF OTHER...]      (default: ref cpu)
 *   PREFPIPE_PARITY_BACKENDS=cpu,cuda test_backend_parity
 *
 * The first backend is the reference; each other one is compared with it.
 * Inputs are built on the host from a fixed seed, uploaded to each backend,
 * the op runs there, and its outputs are downloaded and compared.  In
 * `make test` this is the CPU backend against the plain-C reference
 * (backend/ref); on a GPU machine, `cpu,cuda` (or `ref,cuda`) checks the
 * CUDA backend op by op.  A backend this build or machine cannot provide
 * (EX_UNAVAILABLE: cuda without nvcc or without a device) is skipped with
 * its reason and the test passes; an unknown name fails.
 *
 * Tolerance tiers (err_i = |a_i - b_i| / (|a_i| + rms(a)), the worst over
 * the output must be <= the tier's limit; rms(a) keeps entries that cancel
 * to near zero from demanding impossible relative accuracy):
 *   BITWISE     0: memory ops, copies, gathers (embed), masked zeroing,
 *                  `add` and `scale` (one correctly rounded IEEE operation
 *                  per element, so every correct backend agrees exactly),
 *                  matmul_rows and matmul_rows_n (its order of operations
 *                  is part of the op);
 *   ELEMENT  1e-5: per-element formulas with a transcendental or a short
 *                  sum (rope, swiglu, geglu, rmsnorm, adamw, embed_bwd whose
 *                  repeated rows may be summed in another order);
 *   REDUCE   1e-4: long sums (matmul, matmul_seqs, attention, their backwards,
 *                  rmsnorm_bwd, logprob, sumsq);
 *   MODEL    1e-3: a whole small transformer's log-probs, values,
 *                  gradients and decode logits (errors compound by layer).
 * PREFPIPE_PARITY_LOOSEN=F multiplies every non-bitwise limit by F, for a
 * backend's reduced-precision modes (tf32, bf16); bitwise stays bitwise.
 * A wrong index or a missing term is off by O(1), far above every tier.
 *
 * Shapes are chosen to break what fast paths assume: sizes that are not
 * multiples of 16 or of the attention block (64), shapes big enough to
 * take the CPU backend's threaded paths, grouped-query and multi-query
 * attention with head_dim != dim / heads, padding on both sides, a row
 * whose first query sees no key, decode-style attention (q0 > 0,
 * kstride > q0 + Tq), negative targets and zero upstream gradients.
 *
 * Coverage is checked: every case names the ops it exercises, and the
 * test fails when the backend table (counted from `sync` to its end) has
 * an entry no case covered — adding an op to backend.h means adding it
 * here.
 */
#include "backend/backend.h"
#include "model/model.h"
#include "base/util.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BITWISE, ELEMENT, REDUCE, MODEL };
static const char *const tier_name[] = {"bitwise", "element", "reduce", "model"};
static double tier_limit[] = {0, 1e-5, 1e-4, 1e-3};

static int failures;
static rng_t rng;

/* ---- coverage ---- */

/* every entry of the table, in backend.h order */
static const char *const all_ops[] = {
    "sync", "alloc", "alloc_bytes", "free", "upload", "download", "upload_bytes",
    "download_bytes", "zero", "copy", "copy_rows", "zero_rows", "matmul", "matmul_bwd",
    "matmul_rows", "matmul_rows_n", "matmul_seqs", "embed", "embed_bwd", "rmsnorm", "rmsnorm_bwd", "rope",
    "attention", "attention_bwd", "attention_seqs", "attention_seqs_bwd", "attention_rows",
    "swiglu", "swiglu_bwd", "geglu", "geglu_bwd", "add", "logprob", "logprob_bwd", "sumsq", "scale", "adamw",
};
#define NOPS ((int)(sizeof all_ops / sizeof *all_ops))
static int covered[NOPS];

static void cover(const char *names)   /* space-separated op names */
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", names);
    for (char *t = strtok(buf, " "); t; t = strtok(NULL, " ")) {
        int found = 0;
        for (int i = 0; i < NOPS; i++)
            if (!strcmp(all_ops[i], t)) { covered[i] = 1; found = 1; }
        if (!found) { printf("FAIL cover: no op named %s\n", t); failures++; }
    }
}

/* ---- results of one case on one backend ---- */

#define MAXOUT 12
typedef struct {
    int n;
    const char *name[MAXOUT];
    double *v[MAXOUT];
    size_t len[MAXOUT];
} result;

static void keep_host(result *r, const char *name, const float *h, size_t n)
{
    if (r->n == MAXOUT) die(EX_SOFTWARE, "too many outputs");
    r->name[r->n] = name;
    r->len[r->n] = n;
    r->v[r->n] = xmalloc(sizeof(double) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) r->v[r->n][i] = h[i];
    r->n++;
}

/* download n floats of backend memory into the result */
static void keep(result *r, const backend *be, const char *name, const float *dev, size_t n)
{
    float *h = xmalloc(sizeof(float) * (n ? n : 1));
    be->download(be, h, dev, n);
    keep_host(r, name, h, n);
    free(h);
}

static void keep_double(result *r, const char *name, double x)
{
    r->name[r->n] = name;
    r->len[r->n] = 1;
    r->v[r->n] = xmalloc(sizeof(double));
    r->v[r->n][0] = x;
    r->n++;
}

static void result_free(result *r)
{
    for (int i = 0; i < r->n; i++) free(r->v[i]);
    memset(r, 0, sizeof *r);
}

/* ---- inputs ---- */

static float *host_rand(size_t n, float s)
{
    float *x = xmalloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) x[i] = (float)((rng_uniform(&rng) * 2 - 1) * s);
    return x;
}

/* n random floats in [-s, s) on the backend (the generator is reseeded per
 * case, so both backends get the same values) */
static float *dev_rand(const backend *be, size_t n, float s)
{
    float *h = host_rand(n, s), *d = be->alloc(be, n);
    be->upload(be, d, h, n);
    free(h);
    return d;
}

static void *dev_bytes(const backend *be, const void *h, size_t nbytes)
{
    void *d = be->alloc_bytes(be, nbytes);
    be->upload_bytes(be, d, h, nbytes);
    return d;
}

/* ---- comparison ---- */

typedef void (*case_fn)(const backend *be, result *r, int variant);

static void compare(const char *what, int tier, const result *a, const result *b,
                    const char *an, const char *bn)
{
    double limit = tier_limit[tier];
    if (a->n != b->n) { printf("FAIL %s: %d outputs vs %d\n", what, a->n, b->n); failures++; return; }
    for (int k = 0; k < a->n; k++) {
        size_t n = a->len[k];
        double ss = 0, worst = 0;
        size_t at = 0;
        for (size_t i = 0; i < n; i++) ss += a->v[k][i] * a->v[k][i];
        double rms = n ? sqrt(ss / n) : 0;
        int nonfinite = 0;
        for (size_t i = 0; i < n; i++) {
            double x = a->v[k][i], y = b->v[k][i];
            if (!isfinite(x) || !isfinite(y)) { nonfinite += !(x == y); continue; }
            double e = tier == BITWISE ? (x != y || signbit(x) != signbit(y))
                                       : fabs(x - y) / (fabs(x) + rms + 1e-30);
            if (e > worst) { worst = e; at = i; }
        }
        int ok = !nonfinite && (tier == BITWISE ? worst == 0 : worst <= limit);
        printf("%-4s %-34s %-10s %-7s worst %.2e (limit %.0e)%s\n", ok ? "ok" : "FAIL",
               what, a->name[k], tier_name[tier], worst, limit,
               nonfinite ? " NON-FINITE" : "");
        if (!ok) {
            printf("     at [%zu]: %s %.9g, %s %.9g\n", at, an, a->v[k][at], bn, b->v[k][at]);
            failures++;
        }
    }
}

static void check(const char *what, const char *ops, int tier, case_fn fn, int variant,
                  const backend *A, const backend *B)
{
    result ra = {0}, rb = {0};
    cover(ops);
    rng_seed(&rng, hash64(what, strlen(what), (uint64_t)variant));
    fn(A, &ra, variant);
    rng_seed(&rng, hash64(what, strlen(what), (uint64_t)variant));
    fn(B, &rb, variant);
    char label[128];
    snprintf(label, sizeof label, "%s#%d", what, variant);
    compare(label, tier, &ra, &rb, A->name, B->name);
    result_free(&ra);
    result_free(&rb);
}

/* ---- the cases ---- */

/* memory: a fresh buffer is zero; upload/download round-trips; zero and
 * copy; byte buffers round-trip; copy_rows with odd strides; zero_rows.
 * Everything here must be bitwise. */
static void c_memory(const backend *be, result *r, int v)
{
    size_t n = 1000 + 37;
    float *z = be->alloc(be, n);
    keep(r, be, "alloc", z, n);
    for (size_t i = 0; i < n; i++)
        if (r->v[r->n - 1][i] != 0) { printf("FAIL alloc on %s: not zeroed\n", be->name); failures++; break; }
    float *h = host_rand(n, 3.0f), *d = be->alloc(be, n);
    be->upload(be, d, h, n);
    keep(r, be, "roundtrip", d, n);
    be->copy(be, z, d, n);
    keep(r, be, "copy", z, n);
    be->zero(be, d + 5, 31);
    keep(r, be, "zero", d, n);

    /* 5 rows of 7 floats from a [5, 11] block into a [5, 13] one at column 2 */
    float *dst = be->alloc(be, 5 * 13);
    be->upload(be, dst, h + 100, 5 * 13);
    be->copy_rows(be, dst + 2, 13, d + 3, 11, 5, 7);
    keep(r, be, "copy_rows", dst, 5 * 13);

    /* rows 0, 3, 4 and 8 of [9, 19] masked out */
    uint8_t mask[9] = {0, 1, 1, 0, 0, 1, 1, 1, 0};
    uint8_t *dm = dev_bytes(be, mask, sizeof mask);
    float *x = dev_rand(be, 9 * 19, 1.0f);
    be->zero_rows(be, x, dm, 9, 19);
    keep(r, be, "zero_rows", x, 9 * 19);

    /* bytes: fresh zeroed, ids round-trip (compared as floats: exact) */
    int32_t ids[17];
    for (int i = 0; i < 17; i++) ids[i] = (int32_t)rng_below(&rng, 1u << 30) - (1 << 29);
    uint8_t *fresh = be->alloc_bytes(be, 23), got0[23];
    be->download_bytes(be, got0, fresh, sizeof got0);
    float f0[23];
    for (int i = 0; i < 23; i++) f0[i] = got0[i];
    keep_host(r, "alloc_bytes", f0, 23);
    int32_t *di = dev_bytes(be, ids, sizeof ids), back[17];
    be->download_bytes(be, back, di, sizeof back);
    float fb[17];
    for (int i = 0; i < 17; i++) fb[i] = (float)(back[i] != ids[i]);
    keep_host(r, "bytes_roundtrip", fb, 17);
    /* absolute checks too (agreeing with the reference is not enough) */
    float *hz = xmalloc(sizeof(float) * n), *hd = xmalloc(sizeof(float) * n);
    be->download(be, hz, z, n);   /* z now holds the copy of d */
    be->download(be, hd, d, n);
    int bad = memcmp(back, ids, sizeof ids) != 0;
    for (int i = 0; i < 23; i++) bad |= got0[i] != 0;
    for (size_t i = 0; i < n; i++) bad |= hz[i] != h[i] || hd[i] != ((i >= 5 && i < 36) ? 0.0f : h[i]);
    if (bad) { printf("FAIL memory on %s: a round trip, copy, zero or fresh buffer is wrong\n", be->name); failures++; }
    free(hz);
    free(hd);
    be->sync(be);
    be->free(be, z); be->free(be, d); be->free(be, dst); be->free(be, dm);
    be->free(be, x); be->free(be, fresh); be->free(be, di);
    be->free(be, NULL);
    free(h);
}

static const int mm_shapes[][3] = {{7, 13, 37}, {65, 129, 257}, {1, 5, 3}, {33, 16, 17}};

typedef void (*product_fn)(const backend *, float *, const float *, const float *, int, int, int, int);

/* one product op, = and += (y starts random) */
static void product_case(const backend *be, result *r, int v, product_fn op)
{
    int n = mm_shapes[v][0], in = mm_shapes[v][1], out = mm_shapes[v][2];
    float *x = dev_rand(be, (size_t)n * in, 1), *w = dev_rand(be, (size_t)out * in, 1);
    float *y = dev_rand(be, (size_t)n * out, 1), *y2 = be->alloc(be, (size_t)n * out);
    be->copy(be, y2, y, (size_t)n * out);
    op(be, y, x, w, n, in, out, 0);
    op(be, y2, x, w, n, in, out, 1);
    keep(r, be, "y", y, (size_t)n * out);
    keep(r, be, "y_acc", y2, (size_t)n * out);
    be->free(be, x); be->free(be, w); be->free(be, y); be->free(be, y2);
}

static void c_matmul(const backend *be, result *r, int v) { product_case(be, r, v, be->matmul); }

/* several row-independent products of one x (decoding's q/k/v): each
 * is matmul_rows, so bitwise; the outputs around the shape's are off the
 * 16-output chunks the CPU splits over its threads */
static void c_matmul_rows_n(const backend *be, result *r, int v)
{
    int n = mm_shapes[v][0], in = mm_shapes[v][1], outs[3] = {mm_shapes[v][2], 7, mm_shapes[v][2] + 21};
    static const char *const names[2][3] = {{"y0", "y1", "y2"}, {"y0_acc", "y1_acc", "y2_acc"}};
    float *x = dev_rand(be, (size_t)n * in, 1);
    for (int acc = 0; acc < 2; acc++) {
        rows_prod p[3];
        for (int j = 0; j < 3; j++) {
            p[j].out = outs[j];
            p[j].w = dev_rand(be, (size_t)outs[j] * in, 1);
            p[j].y = dev_rand(be, (size_t)n * outs[j], 1);
        }
        be->matmul_rows_n(be, p, 3, x, n, in, acc);
        for (int j = 0; j < 3; j++) {
            keep(r, be, names[acc][j], p[j].y, (size_t)n * outs[j]);
            be->free(be, (void *)p[j].w); be->free(be, p[j].y);
        }
    }
    be->free(be, x);
}

/* the row-independent product: its order is fixed, so bitwise */
static void c_matmul_rows(const backend *be, result *r, int v) { product_case(be, r, v, be->matmul_rows); }

/* packed forwards' product (row-independent on cpu/ref, cuBLAS on cuda) */
static void c_matmul_seqs(const backend *be, result *r, int v) { product_case(be, r, v, be->matmul_seqs); }

static void c_matmul_bwd(const backend *be, result *r, int v)
{
    int n = mm_shapes[v][0], in = mm_shapes[v][1], out = mm_shapes[v][2];
    float *x = dev_rand(be, (size_t)n * in, 1), *w = dev_rand(be, (size_t)out * in, 1);
    float *dy = dev_rand(be, (size_t)n * out, 1);
    float *dx = dev_rand(be, (size_t)n * in, 1), *dx2 = be->alloc(be, (size_t)n * in);
    float *dw = dev_rand(be, (size_t)out * in, 1), *dw2 = be->alloc(be, (size_t)out * in);
    be->copy(be, dx2, dx, (size_t)n * in);
    be->matmul_bwd(be, dx, dw, dy, x, w, n, in, out, 0);      /* dx =, dw += */
    be->matmul_bwd(be, dx2, NULL, dy, x, w, n, in, out, 1);   /* dx += only */
    be->matmul_bwd(be, NULL, dw2, dy, x, w, n, in, out, 0);   /* dw only */
    keep(r, be, "dx", dx, (size_t)n * in);
    keep(r, be, "dw_acc", dw, (size_t)out * in);
    keep(r, be, "dx_acc", dx2, (size_t)n * in);
    keep(r, be, "dw", dw2, (size_t)out * in);
    be->free(be, x); be->free(be, w); be->free(be, dy); be->free(be, dx);
    be->free(be, dx2); be->free(be, dw); be->free(be, dw2);
}

/* 40 ids into a [29, 23] table, with repeats */
static void make_ids(int32_t *ids, int n, int V)
{
    for (int i = 0; i < n; i++) ids[i] = (int32_t)rng_below(&rng, (uint64_t)V);
    ids[n - 1] = ids[0];
}

static void c_embed(const backend *be, result *r, int v)
{
    int V = 29, d = 23, n = 40;
    int32_t ids[40];
    make_ids(ids, n, V);
    float *table = dev_rand(be, (size_t)V * d, 1), *out = be->alloc(be, (size_t)n * d);
    int32_t *di = dev_bytes(be, ids, sizeof ids);
    be->embed(be, out, table, di, n, d);
    keep(r, be, "out", out, (size_t)n * d);
    be->free(be, table); be->free(be, out); be->free(be, di);
}

static void c_embed_bwd(const backend *be, result *r, int v)
{
    int V = 29, d = 23, n = 40;
    int32_t ids[40];
    make_ids(ids, n, V);
    float *dt = dev_rand(be, (size_t)V * d, 1), *dout = dev_rand(be, (size_t)n * d, 1);
    int32_t *di = dev_bytes(be, ids, sizeof ids);
    be->embed_bwd(be, dt, dout, di, n, d);
    keep(r, be, "dtable", dt, (size_t)V * d);
    be->free(be, dt); be->free(be, dout); be->free(be, di);
}

static const int rms_shapes[][2] = {{9, 37}, {1200, 40}};

static void c_rmsnorm(const backend *be, result *r, int v)
{
    int n = rms_shapes[v][0], d = rms_shapes[v][1];
    float *x = dev_rand(be, (size_t)n * d, 2), *w = dev_rand(be, d, 1.5f);
    float *y = be->alloc(be, (size_t)n * d), *rs = be->alloc(be, n);
    be->rmsnorm(be, y, rs, x, w, n, d, 1e-5f);
    keep(r, be, "y", y, (size_t)n * d);
    keep(r, be, "rstd", rs, n);
    be->free(be, x); be->free(be, w); be->free(be, y); be->free(be, rs);
}

static void c_rmsnorm_bwd(const backend *be, result *r, int v)
{
    int n = rms_shapes[v][0], d = rms_shapes[v][1];
    float *x = dev_rand(be, (size_t)n * d, 2), *w = dev_rand(be, d, 1.5f);
    float *y = be->alloc(be, (size_t)n * d), *rs = be->alloc(be, n);
    float *dy = dev_rand(be, (size_t)n * d, 1), *dw = dev_rand(be, d, 1);
    float *dx = dev_rand(be, (size_t)n * d, 1), *dx2 = be->alloc(be, (size_t)n * d);
    be->copy(be, dx2, dx, (size_t)n * d);
    be->rmsnorm(be, y, rs, x, w, n, d, 1e-5f);
    be->rmsnorm_bwd(be, dx, dw, dy, x, w, rs, n, d, 0);
    be->rmsnorm_bwd(be, dx2, NULL, dy, x, w, rs, n, d, 1);
    keep(r, be, "dx", dx, (size_t)n * d);
    keep(r, be, "dw", dw, d);
    keep(r, be, "dx_acc", dx2, (size_t)n * d);
    be->free(be, x); be->free(be, w); be->free(be, y); be->free(be, rs);
    be->free(be, dy); be->free(be, dw); be->free(be, dx); be->free(be, dx2);
}

/* positions up to 4000, hd 10 and 128, theta 1e4 and 5e5, both directions */
static void c_rope(const backend *be, result *r, int v)
{
    int n = v ? 300 : 9, heads = v ? 3 : 5, hd = v ? 128 : 10;
    float theta = v ? 500000.0f : 10000.0f;
    int32_t *pos = xmalloc(sizeof(int32_t) * n);
    for (int i = 0; i < n; i++) pos[i] = (int32_t)rng_below(&rng, 4000);
    pos[0] = 0;
    float *x = dev_rand(be, (size_t)n * heads * hd, 1), *x2 = be->alloc(be, (size_t)n * heads * hd);
    be->copy(be, x2, x, (size_t)n * heads * hd);
    int32_t *dp = dev_bytes(be, pos, sizeof(int32_t) * n);
    be->rope(be, x, dp, n, heads, hd, theta, 0);
    be->rope(be, x2, dp, n, heads, hd, theta, 1);
    keep(r, be, "fwd", x, (size_t)n * heads * hd);
    keep(r, be, "inverse", x2, (size_t)n * heads * hd);
    be->free(be, x); be->free(be, x2); be->free(be, dp);
    free(pos);
}

/* attention shapes: B, T, H, KV, hd (training: q0 = 0, kstride = T) */
static const int att_shapes[][5] = {{2, 70, 6, 2, 10}, {3, 9, 4, 1, 6}, {1, 130, 2, 2, 16}};

/* row 0 left-padded, row 1 right-padded and with a hole, row 2 (when
 * present) starting with a padding key so its first query sees nothing */
static uint8_t *att_mask(int B, int T)
{
    uint8_t *m = xmalloc((size_t)B * T);
    memset(m, 1, (size_t)B * T);
    for (int t = 0; t < T / 5; t++) m[t] = 0;
    if (B > 1) {
        for (int t = T - T / 4; t < T; t++) m[T + t] = 0;
        m[T + T / 3] = 0;
    }
    if (B > 2) m[2 * T] = 0;
    return m;
}

/* decode-style: Tq new queries at slots q0.., keys in a longer cache */
static void c_attention_decode(const backend *be, result *r, int v)
{
    int B = 3, H = 6, KV = v ? 1 : 3, hd = 8, q0 = v ? 20 : 5, Tq = v ? 1 : 3, ks = q0 + Tq + 4;
    size_t nq = (size_t)B * Tq * H * hd, nk = (size_t)B * ks * KV * hd;
    float *q = dev_rand(be, nq, 1.5f), *k = dev_rand(be, nk, 1.5f), *vv = dev_rand(be, nk, 1);
    float *out = be->alloc(be, nq), *lse = be->alloc(be, (size_t)B * H * Tq);
    uint8_t *m = xmalloc((size_t)B * ks);
    for (size_t i = 0; i < (size_t)B * ks; i++) m[i] = rng_uniform(&rng) < 0.8;
    for (int j = 0; j < ks; j++) m[2 * ks + j] = 0;      /* row 2: nothing visible */
    uint8_t *dm = dev_bytes(be, m, (size_t)B * ks);
    be->attention(be, out, lse, q, k, vv, dm, B, Tq, q0, ks, H, KV, hd);
    keep(r, be, "out", out, nq);
    keep(r, be, "lse", lse, (size_t)B * H * Tq);
    be->free(be, q); be->free(be, k); be->free(be, vv); be->free(be, out);
    be->free(be, lse); be->free(be, dm);
    free(m);
}

/* attention_rows: decode-style (variants 0, 1, as c_attention_decode)
 * and a whole padded prompt (2, 3: q0 = 0, the training masks) */
static void c_attention_rows(const backend *be, result *r, int v)
{
    int B = 3, H = 6, KV = v & 1 ? 1 : 3, hd = v & 1 ? 8 : 20, q0 = v == 1 ? 20 : v == 0 ? 5 : 0;
    int Tq = v == 1 ? 1 : v == 0 ? 3 : 37, ks = v >= 2 ? Tq : q0 + Tq + 4;
    size_t nq = (size_t)B * Tq * H * hd, nk = (size_t)B * ks * KV * hd;
    float *q = dev_rand(be, nq, 1.5f), *k = dev_rand(be, nk, 1.5f), *vv = dev_rand(be, nk, 1);
    float *out = be->alloc(be, nq), *lse = be->alloc(be, (size_t)B * H * Tq);
    uint8_t *m;
    if (v >= 2) m = att_mask(B, ks);
    else {
        m = xmalloc((size_t)B * ks);
        for (size_t i = 0; i < (size_t)B * ks; i++) m[i] = rng_uniform(&rng) < 0.8;
        for (int j = 0; j < ks; j++) m[2 * ks + j] = 0;      /* row 2: nothing visible */
    }
    uint8_t *dm = dev_bytes(be, m, (size_t)B * ks);
    be->attention_rows(be, out, lse, q, k, vv, dm, B, Tq, q0, ks, H, KV, hd);
    keep(r, be, "out", out, nq);
    keep(r, be, "lse", lse, (size_t)B * H * Tq);
    be->free(be, q); be->free(be, k); be->free(be, vv); be->free(be, out);
    be->free(be, lse); be->free(be, dm);
    free(m);
}

/* a training forward (out, lse) and its backward (dq, dk, dv: they start
 * as garbage, the op must overwrite them) */
static void c_attention_train(const backend *be, result *r, int v)
{
    int B = att_shapes[v][0], T = att_shapes[v][1], H = att_shapes[v][2];
    int KV = att_shapes[v][3], hd = att_shapes[v][4];
    size_t nq = (size_t)B * T * H * hd, nk = (size_t)B * T * KV * hd;
    float *q = dev_rand(be, nq, 1.5f), *k = dev_rand(be, nk, 1.5f), *vv = dev_rand(be, nk, 1);
    float *dout = dev_rand(be, nq, 1);
    float *out = be->alloc(be, nq), *lse = be->alloc(be, (size_t)B * H * T);
    float *dq = dev_rand(be, nq, 9), *dk = dev_rand(be, nk, 9), *dv = dev_rand(be, nk, 9);
    uint8_t *m = att_mask(B, T), *dm = dev_bytes(be, m, (size_t)B * T);
    be->attention(be, out, lse, q, k, vv, dm, B, T, 0, T, H, KV, hd);
    be->attention_bwd(be, dq, dk, dv, dout, q, k, vv, out, lse, dm, B, T, H, KV, hd);
    keep(r, be, "out", out, nq);
    keep(r, be, "lse", lse, (size_t)B * H * T);
    keep(r, be, "dq", dq, nq);
    keep(r, be, "dk", dk, nk);
    keep(r, be, "dv", dv, nk);
    be->free(be, q); be->free(be, k); be->free(be, vv); be->free(be, dout);
    be->free(be, out); be->free(be, lse); be->free(be, dq); be->free(be, dk);
    be->free(be, dv); be->free(be, dm);
    free(m);
}

/* packed sequences (attention_seqs and its backward): lengths across the
 * 64-query block, a sequence of one and an empty one, the shapes of
 * att_shapes; dq, dk, dv start as garbage */
static void c_attention_seqs(const backend *be, result *r, int v)
{
    static const int lens[] = {70, 1, 0, 130, 9, 64};
    int nseq = 6, H = att_shapes[v][2], KV = att_shapes[v][3], hd = att_shapes[v][4], N = 0;
    for (int s = 0; s < nseq; s++) N += lens[s];
    size_t nq = (size_t)N * H * hd, nk = (size_t)N * KV * hd;
    float *q = dev_rand(be, nq, 1.5f), *k = dev_rand(be, nk, 1.5f), *vv = dev_rand(be, nk, 1);
    float *dout = dev_rand(be, nq, 1);
    float *out = be->alloc(be, nq), *lse = be->alloc(be, (size_t)N * H);
    float *dq = dev_rand(be, nq, 9), *dk = dev_rand(be, nk, 9), *dv = dev_rand(be, nk, 9);
    be->attention_seqs(be, out, lse, q, k, vv, lens, nseq, H, KV, hd);
    be->attention_seqs_bwd(be, dq, dk, dv, dout, q, k, vv, out, lse, lens, nseq, H, KV, hd);
    keep(r, be, "out", out, nq);
    keep(r, be, "lse", lse, (size_t)N * H);
    keep(r, be, "dq", dq, nq);
    keep(r, be, "dk", dk, nk);
    keep(r, be, "dv", dv, nk);
    be->free(be, q); be->free(be, k); be->free(be, vv); be->free(be, dout);
    be->free(be, out); be->free(be, lse); be->free(be, dq); be->free(be, dk);
    be->free(be, dv);
}

/* gates over [-30, 30] (saturated sigmoid / tanh both ways) and n past
 * the threaded threshold; the SiLU gate (swiglu) or Gemma's GELU (geglu) */
static void gate_case(const backend *be, result *r, int v, int gelu)
{
    size_t n = v ? 70001 : 1001;
    float *g = dev_rand(be, n, v ? 4.0f : 30.0f), *u = dev_rand(be, n, 2), *h = be->alloc(be, n);
    float *dh = dev_rand(be, n, 1), *dg = be->alloc(be, n), *du = be->alloc(be, n);
    (gelu ? be->geglu : be->swiglu)(be, h, g, u, n);
    (gelu ? be->geglu_bwd : be->swiglu_bwd)(be, dg, du, dh, g, u, n);
    keep(r, be, "h", h, n);
    keep(r, be, "dg", dg, n);
    keep(r, be, "du", du, n);
    be->free(be, g); be->free(be, u); be->free(be, h); be->free(be, dh);
    be->free(be, dg); be->free(be, du);
}

static void c_swiglu(const backend *be, result *r, int v) { gate_case(be, r, v, 0); }
static void c_geglu(const backend *be, result *r, int v) { gate_case(be, r, v, 1); }

static void c_add_scale(const backend *be, result *r, int v)
{
    size_t n = v ? 70001 : 1001;
    float *y = dev_rand(be, n, 3), *x = dev_rand(be, n, 3);
    be->add(be, y, x, n);
    keep(r, be, "add", y, n);
    be->scale(be, x, 0.3f, n);
    keep(r, be, "scale", x, n);
    be->free(be, y); be->free(be, x);
}

static const int lp_shapes[][2] = {{9, 301}, {70, 1031}};

static void c_logprob(const backend *be, result *r, int v)
{
    int n = lp_shapes[v][0], V = lp_shapes[v][1];
    int32_t *t = xmalloc(sizeof(int32_t) * n);
    float *g = host_rand(n, 2);
    for (int i = 0; i < n; i++) t[i] = i % 4 == 3 ? -1 : (int32_t)rng_below(&rng, (uint64_t)V);
    g[1] = 0;   /* zero upstream gradient: row becomes 0 */
    float *lg = dev_rand(be, (size_t)n * V, 8), *lp = be->alloc(be, n), *lse = be->alloc(be, n);
    float *dg = be->alloc(be, n);
    be->upload(be, dg, g, n);
    int32_t *dt = dev_bytes(be, t, sizeof(int32_t) * n);
    be->logprob(be, lp, lse, lg, dt, n, V);
    keep(r, be, "logp", lp, n);
    keep(r, be, "lse", lse, n);
    be->logprob_bwd(be, lg, lse, dg, dt, n, V);
    keep(r, be, "dlogits", lg, (size_t)n * V);
    be->free(be, lg); be->free(be, lp); be->free(be, lse); be->free(be, dg); be->free(be, dt);
    free(t);
    free(g);
}

static void c_sumsq(const backend *be, result *r, int v)
{
    size_t n = v ? 100003 : 7;
    float *x = dev_rand(be, n, 2);
    keep_double(r, "sumsq", be->sumsq(be, x, n));
    be->free(be, x);
}

/* three AdamW steps with weight decay, clip scale and bias correction */
static void c_adamw(const backend *be, result *r, int v)
{
    size_t n = v ? 70001 : 1001;
    float *p = dev_rand(be, n, 1), *m = be->alloc(be, n), *vv = be->alloc(be, n);
    for (long t = 1; t <= 3; t++) {
        float *g = dev_rand(be, n, 1);
        be->adamw(be, p, g, m, vv, n, 1e-2f, 0.9f, 0.95f, 1e-5f, v ? 0.1f : 0.0f, 0.7f, t);
        be->free(be, g);
    }
    keep(r, be, "p", p, n);
    keep(r, be, "m", m, n);
    keep(r, be, "v", vv, n);
    be->free(be, p); be->free(be, m); be->free(be, vv);
}

/* ---- a whole small model: GQA, head_dim != dim / heads, padding,
 * tied/untied LM head and a score head, training forward + backward and
 * KV-cache decoding ---- */

static void run_model(const backend *be, result *r, model_config c, int shift_norms);

static void c_model(const backend *be, result *r, int v)
{
    model_config c = {.vocab = 61, .dim = 24, .n_layers = 2, .n_heads = 4, .n_kv_heads = v ? 1 : 2,
                      .head_dim = 8, .ffn = 40, .max_pos = 64, .norm_eps = 1e-5,
                      .rope_theta = 10000, .tied = !v, .lm_head = 1, .score = 1,
                      .bos_id = -1, .eos_id = -1, .pad_id = -1};
    run_model(be, r, c, 0);
}

/* the other families (model_arch.h): v + 1 is the arch; norm weights and
 * biases moved off their initial 1 / 0 so that every term matters */
static void c_family(const backend *be, result *r, int v)
{
    model_config c = {.vocab = 61, .dim = 24, .n_layers = 2, .n_heads = 4, .n_kv_heads = 2,
                      .head_dim = 10, .ffn = 40, .max_pos = 64, .norm_eps = 1e-5,
                      .rope_theta = 10000, .tied = v % 2, .lm_head = 1, .score = 1,
                      .bos_id = -1, .eos_id = -1, .pad_id = -1, .arch = v + 1,
                      .sliding_window = v == 0 ? 32 : 0};
    run_model(be, r, c, 1);
}

static void run_model(const backend *be, result *r, model_config c, int shift_norms)
{
    model *m = model_new(&c, be);
    model_init_random(m, 7);
    if (shift_norms) {
        float *host = xmalloc(sizeof(float) * m->nparams);
        be->download(be, host, m->params, m->nparams);
        for (int i = 0; i < m->nviews; i++)
            if (m->views[i].ndim == 1)
                for (size_t j = 0; j < m->views[i].n; j++)
                    host[m->views[i].off + j] += (float)(0.3 * (rng_uniform(&rng) - 0.5));
        be->upload(be, m->params, host, m->nparams);
        free(host);
    }
    enum { B = 3, T = 11 };
    int32_t tok[B * T];
    uint8_t val[B * T];
    float dl[B * T], dv[B * T], lp[B * T], vals[B * T];
    for (int i = 0; i < B * T; i++) {
        tok[i] = (int32_t)rng_below(&rng, (uint64_t)c.vocab);
        val[i] = !(i < 3 || (i >= T && i % T >= T - 2));   /* row 0 left-, row 1 right-padded */
        dl[i] = (float)(rng_uniform(&rng) - 0.5);
        dv[i] = (float)(rng_uniform(&rng) - 0.5);
    }
    model_reserve(m, B * T, 1);
    model_zero_grads(m);
    model_forward(m, tok, val, B, T, lp, vals);
    keep_host(r, "logp", lp, B * T);
    keep_host(r, "values", vals, B * T);
    model_backward(m, dl, dv);
    keep(r, be, "grads", m->grads, m->nparams);

    /* decoding: prefill 5 slots, then 3 single steps */
    kv_cache *kc = kv_cache_new(m, B, 8);
    model_reserve(m, B * 5, 0);
    model_forward_cached(m, kc, tok, val, 5);
    float *lg = xmalloc(sizeof(float) * B * c.vocab);
    model_logits(m, lg);
    keep_host(r, "prefill_logits", lg, (size_t)B * c.vocab);
    for (int s = 0; s < 3; s++) {
        int32_t nt[B];
        uint8_t nv[B];
        for (int b = 0; b < B; b++) { nt[b] = tok[b * T + 5 + s]; nv[b] = b != 1 || s != 1; }
        model_forward_cached(m, kc, nt, nv, 1);
    }
    model_logits(m, lg);
    keep_host(r, "decode_logits", lg, (size_t)B * c.vocab);
    free(lg);
    kv_cache_free(m, kc);
    model_free(m);
}

/* ---- main ---- */

static const backend *open_or_skip(const char *name)
{
    backend_error err;
    const backend *be = backend_by_name(name, &err);
    if (be) return be;
    if (err.code == EX_UNAVAILABLE) {
        printf("skip: %s\n", err.msg);
        exit(0);
    }
    printf("FAIL: %s\n", err.msg);
    exit(1);
}

int main(int argc, char **argv)
{
    const char *names[8];
    int nb = 0;
    char envbuf[256];
    const char *env = getenv("PREFPIPE_PARITY_BACKENDS");
    if (argc > 1) {
        for (int i = 1; i < argc && nb < 8; i++) names[nb++] = argv[i];
    } else if (env && *env) {
        snprintf(envbuf, sizeof envbuf, "%s", env);
        for (char *t = strtok(envbuf, ","); t && nb < 8; t = strtok(NULL, ",")) names[nb++] = t;
    } else {
        names[nb++] = "ref";
        names[nb++] = "cpu";
    }
    if (nb < 2) { printf("FAIL: need two backends (got %d)\n", nb); return 1; }
    const char *loosen = getenv("PREFPIPE_PARITY_LOOSEN");
    if (loosen && *loosen) {
        double f = atof(loosen);
        if (!(f >= 1)) { printf("FAIL: PREFPIPE_PARITY_LOOSEN must be >= 1\n"); return 1; }
        for (int t = ELEMENT; t <= MODEL; t++) tier_limit[t] *= f;
    }

    /* the table's size, counted in function pointers from sync on */
    int table_ops = (int)((sizeof(backend) - offsetof(backend, sync)) / sizeof(void (*)(void)));
    if (table_ops != NOPS) {
        printf("FAIL: backend.h has %d ops, this test lists %d: add the new op here\n", table_ops, NOPS);
        failures++;
    }

    const backend *A = open_or_skip(names[0]);
    for (int o = 1; o < nb; o++) {
        const backend *B = open_or_skip(names[o]);
        printf("== %s (reference) vs %s\n", A->name, B->name);
        memset(covered, 0, sizeof covered);
        check("memory", "sync alloc alloc_bytes free upload download upload_bytes download_bytes "
              "zero copy copy_rows zero_rows", BITWISE, c_memory, 0, A, B);
        for (int v = 0; v < 4; v++) {
            check("matmul", "matmul", REDUCE, c_matmul, v, A, B);
            check("matmul_bwd", "matmul_bwd", REDUCE, c_matmul_bwd, v, A, B);
            check("matmul_rows", "matmul_rows", BITWISE, c_matmul_rows, v, A, B);
            check("matmul_rows_n", "matmul_rows_n", BITWISE, c_matmul_rows_n, v, A, B);
            check("matmul_seqs", "matmul_seqs", REDUCE, c_matmul_seqs, v, A, B);
            check("attention_rows", "attention_rows", REDUCE, c_attention_rows, v, A, B);
        }
        check("embed", "embed", BITWISE, c_embed, 0, A, B);
        check("embed_bwd", "embed_bwd", ELEMENT, c_embed_bwd, 0, A, B);
        for (int v = 0; v < 2; v++) {
            check("rmsnorm", "rmsnorm", ELEMENT, c_rmsnorm, v, A, B);
            check("rmsnorm_bwd", "rmsnorm rmsnorm_bwd", REDUCE, c_rmsnorm_bwd, v, A, B);
            check("rope", "rope", ELEMENT, c_rope, v, A, B);
            check("swiglu", "swiglu swiglu_bwd", ELEMENT, c_swiglu, v, A, B);
            check("geglu", "geglu geglu_bwd", ELEMENT, c_geglu, v, A, B);
            check("add_scale", "add scale", BITWISE, c_add_scale, v, A, B);
            check("logprob", "logprob logprob_bwd", REDUCE, c_logprob, v, A, B);
            check("sumsq", "sumsq", REDUCE, c_sumsq, v, A, B);
            check("adamw", "adamw", ELEMENT, c_adamw, v, A, B);
            check("attention_decode", "attention", REDUCE, c_attention_decode, v, A, B);
            check("model", "", MODEL, c_model, v, A, B);
        }
        for (int v = 0; v < ARCH_COUNT - 1; v++) {
            check("family", "", MODEL, c_family, v, A, B);
        }
        for (int v = 0; v < 3; v++) {
            check("attention", "attention attention_bwd", REDUCE, c_attention_train, v, A, B);
            check("attention_seqs", "attention_seqs attention_seqs_bwd", REDUCE, c_attention_seqs, v, A, B);
        }
        for (int i = 0; i < NOPS; i++)
            if (!covered[i]) { printf("FAIL: op %s is not exercised\n", all_ops[i]); failures++; }
    }
    if (failures) { printf("%d failures\n", failures); return 1; }
    printf("all ops agree\n");
    return 0;
}
