/*
 * test_rows.c — the row-independent products of the CPU backend
 * (matmul_rows, attention_rows; backend/cpu/cpu_rows_int.h), bit for bit:
 *  - matmul_rows on every instruction set this CPU has (AVX-512, AVX2,
 *    plain C) equals the reference backend's written-out order exactly,
 *    over row counts 1-9 and 17, lengths with and without a tail of 16
 *    (1, 5, 16, 37, 64, 577), output counts off the tile sizes, = and +=;
 *  - a row's result is the same alone, in any row count, and with one or
 *    two threads;
 *  - matmul_rows_n (decoding's q/k/v in one pass) gives each product the
 *    bits of matmul_rows on it, on every instruction set, with one or two
 *    threads, also where a thread's share of the outputs spans products;
 *  - attention_rows: a query's output and log-sum-exp are the same bits
 *    alone, beside other rows, with its keys moved right behind padding,
 *    with masked holes between them, and on every instruction set; it
 *    equals the reference's up to exp's last bits (1e-6).
 */
#include "backend/backend.h"
#include "backend/cpu/cpu_rows_int.h"
#include "base/util.h"
#include "check.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

static rng_t rng;
static const char *const isas[] = {"avx512", "avx2", "c"};

static float *rnd(size_t n)
{
    float *x = xmalloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) x[i] = (float)(rng_uniform(&rng) * 2 - 1);
    return x;
}

static void test_matmul(const backend *cpu, const backend *ref)
{
    static const int ns[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 17}, ks[] = {1, 5, 16, 37, 64, 577}, outs[] = {1, 7, 45};
    for (size_t a = 0; a < sizeof isas / sizeof *isas; a++) {
        if (!rows_use(isas[a])) { printf("test_rows: no %s on this CPU\n", isas[a]); continue; }
        int bad = 0, badrow = 0;
        for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++)
            for (size_t oi = 0; oi < sizeof outs / sizeof *outs; oi++)
                for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++)
                    for (int acc = 0; acc < 2; acc++) {
                        int n = ns[ni], K = ks[ki], out = outs[oi];
                        float *x = rnd((size_t)n * K), *w = rnd((size_t)out * K), *y0 = rnd((size_t)n * out);
                        float *y1 = xmalloc(sizeof(float) * n * out), *y2 = xmalloc(sizeof(float) * n * out);
                        memcpy(y1, y0, sizeof(float) * n * out);
                        memcpy(y2, y0, sizeof(float) * n * out);
                        ref->matmul_rows(ref, y1, x, w, n, K, out, acc);
                        cpu->matmul_rows(cpu, y2, x, w, n, K, out, acc);
                        bad += memcmp(y1, y2, sizeof(float) * n * out) != 0;
                        for (int i = 0; i < n; i++) {   /* the row alone */
                            float *r = xmalloc(sizeof(float) * out);
                            memcpy(r, y0 + (size_t)i * out, sizeof(float) * out);
                            cpu->matmul_rows(cpu, r, x + (size_t)i * K, w, 1, K, out, acc);
                            badrow += memcmp(r, y2 + (size_t)i * out, sizeof(float) * out) != 0;
                            free(r);
                        }
                        free(x); free(w); free(y0); free(y1); free(y2);
                    }
        printf("test_rows: matmul_rows %s: %d shapes differ from ref, %d rows differ alone\n", isas[a], bad, badrow);
        CHECK(bad == 0);
        CHECK(badrow == 0);
    }
    (void)(rows_use("avx512") || rows_use("avx2"));
    /* big enough for the team: 1 and 2 threads give the same bits */
    int n = 5, K = 576, out = 1536;
    float *x = rnd((size_t)n * K), *w = rnd((size_t)out * K);
    float *y1 = xmalloc(sizeof(float) * n * out), *y2 = xmalloc(sizeof(float) * n * out);
    int nt = omp_get_max_threads();
    omp_set_num_threads(1);
    cpu->matmul_rows(cpu, y1, x, w, n, K, out, 0);
    omp_set_num_threads(2);
    cpu->matmul_rows(cpu, y2, x, w, n, K, out, 0);
    omp_set_num_threads(nt);
    CHECK(!memcmp(y1, y2, sizeof(float) * n * out));
    free(x); free(w); free(y1); free(y2);
}

/* matmul_rows_n = one matmul_rows per product, bit for bit */
static void test_matmul_n(const backend *cpu)
{
    /* {n, K, q, k, v}: the last is the 135M model's q/k/v at one row, big
     * enough for the team, where thread 1's share starts inside q */
    static const int shapes[][5] = {{1, 37, 45, 7, 17}, {3, 577, 16, 1, 33}, {5, 64, 9, 9, 9}, {1, 576, 576, 192, 192}};
    int nt = omp_get_max_threads(), bad = 0, runs = 0;
    for (size_t a = 0; a < sizeof isas / sizeof *isas; a++) {
        if (!rows_use(isas[a])) continue;
        for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++)
            for (int thr = 1; thr <= 2; thr++)
                for (int acc = 0; acc < 2; acc++) {
                    int n = shapes[si][0], K = shapes[si][1];
                    float *x = rnd((size_t)n * K);
                    rows_prod p[3];
                    float *want[3];
                    for (int j = 0; j < 3; j++) {
                        int out = shapes[si][2 + j];
                        p[j].out = out;
                        p[j].w = rnd((size_t)out * K);
                        p[j].y = rnd((size_t)n * out);
                        want[j] = xmalloc(sizeof(float) * n * out);
                        memcpy(want[j], p[j].y, sizeof(float) * n * out);
                        cpu->matmul_rows(cpu, want[j], x, p[j].w, n, K, out, acc);
                    }
                    omp_set_num_threads(thr);
                    cpu->matmul_rows_n(cpu, p, 3, x, n, K, acc);
                    omp_set_num_threads(nt);
                    for (int j = 0; j < 3; j++) {
                        bad += memcmp(want[j], p[j].y, sizeof(float) * n * p[j].out) != 0;
                        free(want[j]); free(p[j].y); free((void *)p[j].w);
                    }
                    free(x);
                    runs++;
                }
    }
    (void)(rows_use("avx512") || rows_use("avx2"));
    printf("test_rows: matmul_rows_n: %d of %d runs differ from matmul_rows per product\n", bad, runs);
    CHECK(runs > 0);
    CHECK(bad == 0);
}

/* One row's queries (Tq of them, H heads, KV key heads) against nkeys keys
 * placed in a cache of B rows x ks slots at row `at`, starting at slot
 * `off`, with a masked hole after every `hole` keys (0: none); other rows
 * and slots are random junk (masked).  Returns out [Tq, H*hd] then lse [H,
 * Tq] of that row. */
static float *att_place(const backend *be, const float *q, const float *k, const float *v, int nkeys, int Tq,
                        int H, int KV, int hd, int B, int at, int off, int hole)
{
    int kd = KV * hd, qd = H * hd, slots = off + nkeys + (hole ? (nkeys - 1) / hole : 0);
    int ks = slots + 3, q0 = slots - Tq;
    float *K = rnd((size_t)B * ks * kd), *V = rnd((size_t)B * ks * kd), *Q = rnd((size_t)B * Tq * qd);
    uint8_t *vm = xmalloc((size_t)B * ks);
    for (size_t i = 0; i < (size_t)B * ks; i++) vm[i] = rng_uniform(&rng) < 0.7;
    memset(vm + (size_t)at * ks, 0, ks);
    int s = off;
    for (int j = 0; j < nkeys; j++) {
        if (hole && j && j % hole == 0) s++;   /* leave slot s masked */
        memcpy(K + ((size_t)at * ks + s) * kd, k + (size_t)j * kd, sizeof(float) * kd);
        memcpy(V + ((size_t)at * ks + s) * kd, v + (size_t)j * kd, sizeof(float) * kd);
        vm[(size_t)at * ks + s] = 1;
        s++;
    }
    /* the queries are the last Tq keys' slots: the layout must end there */
    if (s != slots) die(EX_SOFTWARE, "test layout: %d slots, want %d", s, slots);
    memcpy(Q + (size_t)at * Tq * qd, q, sizeof(float) * Tq * qd);
    float *out = xmalloc(sizeof(float) * (size_t)B * Tq * qd), *lse = xmalloc(sizeof(float) * (size_t)B * H * Tq);
    be->attention_rows(be, out, lse, Q, K, V, vm, B, Tq, q0, ks, H, KV, hd);
    float *r = xmalloc(sizeof(float) * ((size_t)Tq * qd + (size_t)H * Tq));
    memcpy(r, out + (size_t)at * Tq * qd, sizeof(float) * Tq * qd);
    memcpy(r + (size_t)Tq * qd, lse + (size_t)at * H * Tq, sizeof(float) * H * Tq);
    free(K); free(V); free(Q); free(vm); free(out); free(lse);
    return r;
}

static void test_attention(const backend *cpu, const backend *ref)
{
    static const int shapes[][5] = {{9, 3, 64, 1, 20}, {4, 4, 20, 3, 11}, {2, 1, 8, 1, 40}};   /* H KV hd Tq nkeys */
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++) {
        int H = shapes[si][0], KV = shapes[si][1], hd = shapes[si][2], Tq = shapes[si][3], nk = shapes[si][4];
        size_t nr = (size_t)Tq * H * hd + (size_t)H * Tq;
        float *q = rnd((size_t)Tq * H * hd), *k = rnd((size_t)nk * KV * hd), *v = rnd((size_t)nk * KV * hd);
        (void)(rows_use("avx512") || rows_use("avx2"));
        float *alone = att_place(cpu, q, k, v, nk, Tq, H, KV, hd, 1, 0, 0, 0);
        float *mid = att_place(cpu, q, k, v, nk, Tq, H, KV, hd, 3, 1, 0, 0);
        float *pad = att_place(cpu, q, k, v, nk, Tq, H, KV, hd, 3, 2, 7, 0);
        float *holes = att_place(cpu, q, k, v, nk, Tq, H, KV, hd, 2, 0, 3, 4);
        CHECK(!memcmp(alone, mid, sizeof(float) * nr));
        CHECK(!memcmp(alone, pad, sizeof(float) * nr));
        /* the last hole comes before the last Tq keys (the queries' slots),
         * so every query sees the same keys */
        CHECK(!memcmp(alone, holes, sizeof(float) * nr));
        for (size_t a = 1; a < sizeof isas / sizeof *isas; a++) {
            if (!rows_use(isas[a])) continue;
            float *o = att_place(cpu, q, k, v, nk, Tq, H, KV, hd, 3, 2, 7, 0);
            CHECK(!memcmp(alone, o, sizeof(float) * nr));
            free(o);
        }
        float *r = att_place(ref, q, k, v, nk, Tq, H, KV, hd, 3, 2, 7, 0);
        double worst = 0;
        for (size_t i = 0; i < nr; i++) worst = fmax(worst, fabs(r[i] - alone[i]) / (fabs(r[i]) + 1e-3));
        printf("test_rows: attention_rows shape %zu: worst relative difference to ref %.2e\n", si, worst);
        CHECK(worst <= 1e-5);
        free(q); free(k); free(v); free(alone); free(mid); free(pad); free(holes); free(r);
    }
    (void)(rows_use("avx512") || rows_use("avx2"));
}

int main(void)
{
    rng_seed(&rng, 21);
    const backend *cpu = backend_cpu(), *ref = backend_by_name("ref", NULL);
    test_matmul(cpu, ref);
    test_matmul_n(cpu);
    test_attention(cpu, ref);
    return check_done("test_rows");
}
