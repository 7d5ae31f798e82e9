/*
 * test_dist.c — the seam for ranks (dist.h).
 *  - the single-process engine is rank 0 of 1 and leaves every buffer
 *    bit-for-bit as it was (-0.0, NaN payloads, subnormals, INT64_MIN), so
 *    single-process training is byte-identical to code without the seam;
 *    broadcast from another root is refused;
 *  - an installed engine receives the calls: a "mirror" engine models two
 *    ranks holding identical shards (a sum doubles, max/min keep), and
 *    records every call;
 *  - optim_step all-reduces the whole gradient buffer (F32, SUM,
 *    nparams) BEFORE taking the clipping norm: under the mirror the
 *    returned norm is exactly twice the single-process one;
 *  - ppo_whiten uses the statistics of all ranks: under the mirror (two
 *    copies of {1, 2, 3}) the variance is 4/5, not 1;
 *  - dist_set_world(NULL) restores the single engine;
 *  - dist_share splits n items into contiguous shares, one per rank, that
 *    cover [0, n) exactly once (n below, at and above the rank count), and
 *    the single engine's share is everything;
 *  - ppo_explained_variance is collective: it all-reduces its count and
 *    sums, then its sums of squares (the value of identical copies stays);
 *  - PREFPIPE_DIST_TIMEOUT: unset or empty is 600 s, 0 is "never", a
 *    fraction is kept; dist_untimed sets and clears the exemption.
 */
#include "dist/dist.h"
#include "dist/dist_int.h"
#include "train/optim.h"
#include "rl/ppo.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(c, ...) do { if (!(c)) { printf("FAIL: " __VA_ARGS__); printf("\n"); failures++; } } while (0)

/* ---- the mirror engine ---- */
typedef struct { dist_type type; dist_op op; size_t n; } call;
static call calls[64];
static int ncalls;

static void mirror_allreduce(const dist *d, void *buf, size_t n, dist_type type, dist_op op)
{
    if (ncalls < 64) calls[ncalls++] = (call){type, op, n};
    if (op != DIST_SUM) return;   /* max/min of two equal values */
    for (size_t i = 0; i < n; i++)
        switch (type) {
        case DIST_F32: ((float *)buf)[i] *= 2; break;
        case DIST_F64: ((double *)buf)[i] *= 2; break;
        case DIST_I64: ((int64_t *)buf)[i] *= 2; break;
        }
}
static void mirror_broadcast(const dist *d, void *buf, size_t nbytes, int root) { (void)d; (void)buf; (void)nbytes; (void)root; }
static void mirror_barrier(const dist *d) { (void)d; }
static const dist mirror = {.name = "mirror", .rank = 1, .size = 2, .allreduce = mirror_allreduce,
                            .broadcast = mirror_broadcast, .barrier = mirror_barrier};

static void test_single(void)
{
    CHECK(dist_world() == dist_single() && !strcmp(dist_world()->name, "single"), "default world is single");
    CHECK(dist_rank() == 0 && dist_size() == 1, "rank %d size %d", dist_rank(), dist_size());
    union { float f; uint32_t u; } nanf_ = {.u = 0x7fc12345u};
    float f[4] = {-0.0f, nanf_.f, 1e-40f, 3.25f}, f0[4];
    memcpy(f0, f, sizeof f);
    dist_sum_f32(f, 4);
    CHECK(!memcmp(f, f0, sizeof f), "f32 sum changed bits");
    double d[3] = {-0.0, 4.9e-324, -1.5}, d0[3];
    memcpy(d0, d, sizeof d);
    dist_sum_f64(d, 3);
    dist_max_f64(d, 3);
    CHECK(!memcmp(d, d0, sizeof d), "f64 sum/max changed bits");
    int64_t i[2] = {INT64_MIN, 7}, i0[2];
    memcpy(i0, i, sizeof i);
    dist_sum_i64(i, 2);
    CHECK(!memcmp(i, i0, sizeof i), "i64 sum changed");
    char b[5] = "abcd";
    dist_broadcast(b, 5, 0);
    CHECK(!strcmp(b, "abcd"), "broadcast changed the buffer");
    dist_barrier();
}

static double grad_norm_under(const dist *world, model *m, optim *o)
{
    float *h = xmalloc(sizeof(float) * m->nparams);
    for (size_t i = 0; i < m->nparams; i++) h[i] = (float)((i % 7) - 3) * 1e-3f;
    m->be->upload(m->be, m->grads, h, m->nparams);
    free(h);
    dist_set_world(world);
    ncalls = 0;
    double gn = optim_step(o, m, 1e-3, 1);
    dist_set_world(NULL);
    return gn;
}

static void test_optim_chokepoint(void)
{
    model_config c = {.vocab = 17, .dim = 8, .n_layers = 1, .n_heads = 2, .n_kv_heads = 1,
                      .head_dim = 4, .ffn = 12, .max_pos = 16, .norm_eps = 1e-5,
                      .rope_theta = 10000.0, .tied = 1, .lm_head = 1, .score = 0,
                      .bos_id = -1, .eos_id = -1, .pad_id = -1};
    model *m = model_new(&c, backend_cpu());
    model_init_random(m, 1);
    model_enable_grads(m);
    adamw_hparams hp = adamw_defaults();
    hp.clip = 0;
    optim *o = optim_new(m, hp);
    double g1 = grad_norm_under(dist_single(), m, o);
    double g2 = grad_norm_under(&mirror, m, o);
    CHECK(g1 > 0 && fabs(g2 - 2 * g1) <= 1e-12 * g1, "norm %g under two mirrored ranks, %g alone", g2, g1);
    int seen = 0;
    for (int i = 0; i < ncalls; i++)
        seen |= calls[i].type == DIST_F32 && calls[i].op == DIST_SUM && calls[i].n == m->nparams;
    CHECK(seen, "optim_step did not all-reduce the %zu gradients", m->nparams);
    CHECK(dist_world() == dist_single(), "dist_set_world(NULL) restores single");
    optim_free(o);
    model_free(m);
}

static void test_whiten(void)
{
    double x[3] = {1, 2, 3}, y[3] = {1, 2, 3};
    ppo_whiten(x, 3, 1);                   /* alone: mean 2, variance 1 */
    dist_set_world(&mirror);
    ppo_whiten(y, 3, 1);                   /* two ranks: mean 2, variance 4/5 */
    dist_set_world(NULL);
    double s1 = 1 / sqrt(1 + 1e-8), s2 = 1 / sqrt(0.8 + 1e-8);
    CHECK(fabs(x[0] + s1) < 1e-12 && fabs(x[2] - s1) < 1e-12, "single whiten %g %g", x[0], x[2]);
    CHECK(fabs(y[0] + s2) < 1e-12 && fabs(y[1]) < 1e-12 && fabs(y[2] - s2) < 1e-12,
          "two-rank whiten %g %g %g (want %g)", y[0], y[1], y[2], s2);
}

/* an engine of `size` ranks seen from `rank` (only rank and size matter) */
static void test_share(void)
{
    long lo, hi;
    dist_share(7, &lo, &hi);
    CHECK(lo == 0 && hi == 7, "single share [%ld, %ld)", lo, hi);
    long ns[] = {0, 1, 3, 4, 10, 1000003};
    for (int size = 1; size <= 5; size++)
        for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
            long next = 0;
            for (int r = 0; r < size; r++) {
                dist eng = mirror;
                eng.rank = r, eng.size = size;
                dist_set_world(&eng);
                dist_share(ns[k], &lo, &hi);
                dist_set_world(NULL);
                CHECK(lo == next && hi >= lo && hi - lo <= ns[k] / size + 1,
                      "n %ld, rank %d of %d: share [%ld, %ld), expected to start at %ld", ns[k], r, size, lo, hi, next);
                next = hi;
            }
            CHECK(next == ns[k], "n %ld over %d ranks: shares end at %ld", ns[k], size, next);
        }
}

static void test_explained_variance(void)
{
    /* identical copies on two ranks keep the ratio, so check the calls:
     * (count, sums) then the two sums of squares, both all-reduced */
    double ret[3] = {1, 2, 4}, v[3] = {1, 1, 3};
    double one = ppo_explained_variance(ret, v, 3);
    ncalls = 0;
    dist_set_world(&mirror);
    double two = ppo_explained_variance(ret, v, 3);
    dist_set_world(NULL);
    CHECK(ncalls == 2 && calls[0].type == DIST_F64 && calls[0].op == DIST_SUM && calls[0].n == 3 &&
          calls[1].n == 2, "explained variance: %d all-reduces (want count+sums, then squares)", ncalls);
    CHECK(fabs(two - one) < 1e-12 && fabs(one - (1 - (2.0 / 3) / (14.0 / 3))) < 1e-12,
          "explained variance %g / %g", one, two);
}

static void test_timeout(void)
{
    unsetenv("PREFPIPE_DIST_TIMEOUT");
    CHECK(dist_timeout() == 600, "default timeout %g", dist_timeout());
    setenv("PREFPIPE_DIST_TIMEOUT", "", 1);
    CHECK(dist_timeout() == 600, "empty timeout %g", dist_timeout());
    setenv("PREFPIPE_DIST_TIMEOUT", "0", 1);
    CHECK(dist_timeout() == 0, "0 -> %g", dist_timeout());
    setenv("PREFPIPE_DIST_TIMEOUT", "2.5", 1);
    CHECK(dist_timeout() == 2.5, "2.5 -> %g", dist_timeout());
    unsetenv("PREFPIPE_DIST_TIMEOUT");
    CHECK(!dist_is_untimed(), "timed by default");
    dist_untimed(1);
    CHECK(dist_is_untimed(), "untimed inside the bracket");
    dist_untimed(0);
    CHECK(!dist_is_untimed(), "timed again after it");
}

int main(void)
{
    test_single();
    test_share();
    test_explained_variance();
    test_optim_chokepoint();
    test_whiten();
    test_timeout();
    if (failures) { printf("%d failures\n", failures); return 1; }
    printf("ok\n");
    return 0;
}
