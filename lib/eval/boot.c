/*
 * boot.c — percentile bootstrap over a scorer's items (boot.h).
 *
 * The counts of one resample are drawn as n uniform picks (rng_below),
 * which is the multinomial the textbook bootstrap draws; B resamples of
 * 10^3 items cost B * n picks plus B reweighs, milliseconds here.
 */
#include "eval/boot.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void boot_add(boot_items *b, double v, uint32_t stratum)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 256;
        b->v = xrealloc(b->v, b->cap * sizeof *b->v);
        b->stratum = xrealloc(b->stratum, b->cap * sizeof *b->stratum);
    }
    b->v[b->n] = v;
    b->stratum[b->n++] = stratum;
    if (stratum + 1 > b->nstrata)
        b->nstrata = stratum + 1;
}

void boot_free(boot_items *b)
{
    free(b->v);
    free(b->stratum);
    memset(b, 0, sizeof *b);
}

double boot_mean(const boot_items *b, const uint32_t *w)
{
    double s = 0, n = 0;
    for (size_t i = 0; i < b->n; i++)
        s += w[i] * b->v[i], n += w[i];
    return n ? s / n : 0;
}

double boot_strata_mean(const boot_items *b, const uint32_t *w)
{
    double *s = xcalloc(b->nstrata + 1, sizeof *s), *n = xcalloc(b->nstrata + 1, sizeof *n);
    for (size_t i = 0; i < b->n; i++)
        s[b->stratum[i]] += w[i] * b->v[i], n[b->stratum[i]] += w[i];
    double m = 0;
    int k = 0;
    for (uint32_t j = 0; j < b->nstrata; j++)
        if (n[j] > 0)
            m += s[j] / n[j], k++;
    free(s), free(n);
    return k ? m / k : 0;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int boot_fn_interval(size_t n, double (*f)(void *ctx, const uint32_t *w), void *ctx, int B, uint64_t seed,
                     boot_result *out)
{
    if (n < 2 || B < 1)
        return -1;
    uint32_t *w = xmalloc(n * sizeof *w);
    double *vals = xmalloc((size_t)B * sizeof *vals);
    rng_t r;
    rng_seed(&r, seed);
    int bad = 0;
    for (int b = 0; b < B; b++) {
        memset(w, 0, n * sizeof *w);
        for (size_t i = 0; i < n; i++)
            w[rng_below(&r, n)]++;
        vals[b] = f(ctx, w);
        bad |= vals[b] != vals[b];
    }
    if (!bad) {
        qsort(vals, (size_t)B, sizeof *vals, by_value);
        size_t lo = (size_t)floor(0.025 * B), hi = (size_t)ceil(0.975 * B);
        out->lo = vals[lo];
        out->hi = vals[hi ? hi - 1 : 0];
        out->n = n;
    }
    free(w), free(vals);
    return bad ? -1 : 0;
}

int boot_interval(const eval_task *task, void *st, int B, uint64_t seed, boot_result *out)
{
    if (!task->units || !task->reweigh)
        return -1;
    return boot_fn_interval(task->units(st), task->reweigh, st, B, seed, out);
}

void boot_summary(const eval_task *task, void *st, int B, uint64_t seed, kvbuf *m)
{
    boot_result br;
    if (boot_interval(task, st, B, seed, &br) < 0) {
        warnx_("--bootstrap: fewer than 2 items; no interval");
        return;
    }
    kv_f64(m, "ci_low", br.lo);
    kv_f64(m, "ci_high", br.hi);
    kv_i64(m, "ci_units", (int64_t)br.n);
    kv_i64(m, "bootstrap", B);
    kv_i64(m, "bootstrap_seed", (int64_t)seed);
}
