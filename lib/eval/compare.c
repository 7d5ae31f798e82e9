/*
 * compare.c — paired multi-seed comparison and power analysis (the
 * statistics are described in compare.h).
 *
 * Layout: one `run` per (arm, seed) holding its scored prompts; at
 * cmp_run every run is sorted by prompt id, so that within a seed the
 * arms' prompts line up index by index with the baseline's (checked, and
 * an error names the first id that differs).  Bootstrap draws are counts
 * per prompt index, applied to every arm alike: that is what makes the
 * comparison paired.
 */
#include "eval/compare.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *id;
    int cat;
    double x;
} item;

typedef struct {
    int arm, seed;
    item *v;
    size_t n, cap;
} run;

struct cmp_set {
    char **arms, **seeds, **cats;
    int narm, nseed, ncat;
    run *runs;
    size_t nrun;
};

static int intern(char ***names, int *n, const char *s, size_t len)
{
    for (int i = 0; i < *n; i++)
        if (strlen((*names)[i]) == len && memcmp((*names)[i], s, len) == 0)
            return i;
    *names = xrealloc(*names, sizeof **names * (size_t)(*n + 1));
    (*names)[*n] = xstrndup(s, len);
    return (*n)++;
}

cmp_set *cmp_new(void) { return xcalloc(1, sizeof(cmp_set)); }

void cmp_free(cmp_set *s)
{
    if (!s) return;
    for (size_t r = 0; r < s->nrun; r++) {
        for (size_t i = 0; i < s->runs[r].n; i++) free(s->runs[r].v[i].id);
        free(s->runs[r].v);
    }
    for (int i = 0; i < s->narm; i++) free(s->arms[i]);
    for (int i = 0; i < s->nseed; i++) free(s->seeds[i]);
    for (int i = 0; i < s->ncat; i++) free(s->cats[i]);
    free(s->arms), free(s->seeds), free(s->cats), free(s->runs), free(s);
}

static run *find_run(cmp_set *s, int arm, int seed, int create)
{
    for (size_t r = 0; r < s->nrun; r++)
        if (s->runs[r].arm == arm && s->runs[r].seed == seed) return &s->runs[r];
    if (!create) return NULL;
    s->runs = xrealloc(s->runs, sizeof *s->runs * (s->nrun + 1));
    s->runs[s->nrun] = (run){.arm = arm, .seed = seed};
    return &s->runs[s->nrun++];
}

void cmp_add(cmp_set *s, const char *arm, const char *seed, const char *id, size_t idn, const char *cat,
             size_t catn, double score)
{
    int a = intern(&s->arms, &s->narm, arm, strlen(arm));
    int k = intern(&s->seeds, &s->nseed, seed, strlen(seed));
    int c = intern(&s->cats, &s->ncat, cat, catn);
    run *r = find_run(s, a, k, 1);
    if (r->n == r->cap) r->v = xrealloc(r->v, sizeof *r->v * (r->cap = r->cap ? 2 * r->cap : 64));
    r->v[r->n++] = (item){xstrndup(id, idn), c, score};
}

int cmp_arms(const cmp_set *s, const char ***names)
{
    *names = (const char **)s->arms;
    return s->narm;
}

static int by_id(const void *a, const void *b) { return strcmp(((const item *)a)->id, ((const item *)b)->id); }

/* The category-averaged value of n items weighted by w (NULL: all 1). */
static double value(const item *v, size_t n, const uint32_t *w, int ncat, double *sum, double *cnt)
{
    memset(sum, 0, sizeof *sum * (size_t)ncat);
    memset(cnt, 0, sizeof *cnt * (size_t)ncat);
    for (size_t i = 0; i < n; i++) {
        double k = w ? w[i] : 1;
        sum[v[i].cat] += k * v[i].x;
        cnt[v[i].cat] += k;
    }
    double tot = 0;
    int c = 0;
    for (int j = 0; j < ncat; j++)
        if (cnt[j] > 0) tot += sum[j] / cnt[j], c++;
    return c ? tot / c : NAN;
}

/* Var(e_s) of the paired difference's category average for one seed. */
static double diff_var(const item *a, const item *b, size_t n, int ncat)
{
    double *m = xcalloc((size_t)ncat * 3, sizeof *m), *q = m + ncat, *k = q + ncat;
    for (size_t i = 0; i < n; i++) m[a[i].cat] += a[i].x - b[i].x, k[a[i].cat]++;
    for (int j = 0; j < ncat; j++) if (k[j] > 0) m[j] /= k[j];
    for (size_t i = 0; i < n; i++) {
        double d = a[i].x - b[i].x - m[a[i].cat];
        q[a[i].cat] += d * d;
    }
    double v = 0;
    int c = 0;
    for (int j = 0; j < ncat; j++) {
        if (k[j] <= 0) continue;
        c++;
        if (k[j] > 1) v += q[j] / (k[j] - 1) / k[j];
    }
    free(m);
    return c ? v / ((double)c * c) : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double cmp_norm_quantile(double p)
{
    double lo = -40, hi = 40;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (mid == lo || mid == hi) break;
        if (0.5 * erfc(-mid / sqrt(2.0)) < p) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

int cmp_run(cmp_set *s, const char *baseline, int B, uint64_t seed, double delta, double power, cmp_result *res,
            char *err, size_t cap)
{
    if (!s->narm) { snprintf(err, cap, "no scored records"); return -1; }
    int base = 0;
    if (baseline) {
        for (base = 0; base < s->narm && strcmp(s->arms[base], baseline); base++) {}
        if (base == s->narm) { snprintf(err, cap, "baseline arm '%s' has no records", baseline); return -1; }
    }
    int K = s->nseed, A = s->narm, C = s->ncat;
    /* runs[a * K + k], each sorted by id and aligned with the baseline's */
    run **rk = xcalloc((size_t)A * K, sizeof *rk);
    int rc = -1;
    for (size_t r = 0; r < s->nrun; r++) {
        run *x = &s->runs[r];
        qsort(x->v, x->n, sizeof *x->v, by_id);
        for (size_t i = 1; i < x->n; i++)
            if (!strcmp(x->v[i].id, x->v[i - 1].id)) {
                snprintf(err, cap, "arm %s, seed %s: prompt %s scored twice", s->arms[x->arm], s->seeds[x->seed],
                         x->v[i].id);
                goto out;
            }
        rk[x->arm * K + x->seed] = x;
    }
    for (int k = 0; k < K; k++) {
        run *b = rk[base * K + k];
        for (int a = 0; a < A; a++) {
            run *x = rk[a * K + k];
            if (!x || !b) {
                snprintf(err, cap, "seed %s: arm %s has no records (every arm needs every seed)", s->seeds[k],
                         s->arms[x ? base : a]);
                goto out;
            }
            size_t i = 0;
            while (i < x->n && i < b->n && !strcmp(x->v[i].id, b->v[i].id)) i++;
            if (i < x->n || i < b->n) {
                snprintf(err, cap, "seed %s: arm %s and baseline %s scored different prompts (first: %s)",
                         s->seeds[k], s->arms[a], s->arms[base], i < x->n ? x->v[i].id : b->v[i].id);
                goto out;
            }
        }
    }
    double *sum = xmalloc(sizeof *sum * (size_t)C), *cnt = xmalloc(sizeof *cnt * (size_t)C);
    double *val = xmalloc(sizeof *val * (size_t)A * K);   /* per-seed values */
    for (int a = 0; a < A; a++)
        for (int k = 0; k < K; k++) val[a * K + k] = value(rk[a * K + k]->v, rk[a * K + k]->n, NULL, C, sum, cnt);
    double z = cmp_norm_quantile(0.975) + cmp_norm_quantile(power);
    double nbar = 0;
    for (int k = 0; k < K; k++) nbar += (double)rk[base * K + k]->n / K;
    for (int a = 0; a < A; a++) {
        cmp_result *r = &res[a];
        double m = 0, v = 0, dm = 0, dv = 0, ve = 0, si = 0;
        for (int k = 0; k < K; k++) m += val[a * K + k] / K, dm += (val[a * K + k] - val[base * K + k]) / K;
        for (int k = 0; k < K; k++) {
            double e = val[a * K + k] - m, d = val[a * K + k] - val[base * K + k] - dm;
            v += e * e, dv += d * d;
            run *x = rk[a * K + k], *b = rk[base * K + k];
            double vk = diff_var(x->v, b->v, x->n, C);
            ve += vk / K, si += vk * (double)x->n / K;
        }
        *r = (cmp_result){.arm = s->arms[a], .seeds = K, .mean = m, .sd = K > 1 ? sqrt(v / (K - 1)) : NAN,
                          .diff = dm, .diff_sd = K > 1 ? sqrt(dv / (K - 1)) : NAN, .lo = 0, .hi = 0,
                          .sigma_seed = NAN, .sigma_item = NAN, .se = NAN};
        if (a == base) continue;
        double s2 = K > 1 ? dv / (K - 1) - ve : NAN;
        if (s2 < 0) s2 = 0;
        r->sigma_item = sqrt(si);
        if (K > 1) {
            r->sigma_seed = sqrt(s2);
            r->se = sqrt((s2 + si / nbar) / K);
            double t2 = (delta / z) * (delta / z);
            r->seeds_needed = (long)ceil((s2 + si / nbar) / t2);
            if (r->seeds_needed < 2) r->seeds_needed = 2;
            r->items_needed = K * t2 <= s2 ? -1 : (long)ceil(si / (K * t2 - s2));
            if (r->items_needed == 0) r->items_needed = 1;   /* no variation at all: any prompt */
        }
    }
    /* two-stage paired bootstrap: seeds, then prompts within each seed */
    double *bd = xmalloc(sizeof *bd * (size_t)A * (B > 0 ? B : 1)), *acc = xmalloc(sizeof *acc * (size_t)A);
    size_t maxn = 0;
    for (int k = 0; k < K; k++) if (rk[base * K + k]->n > maxn) maxn = rk[base * K + k]->n;
    uint32_t *w = xmalloc(sizeof *w * (maxn ? maxn : 1));
    rng_t g;
    rng_seed(&g, seed);
    for (int b = 0; b < B; b++) {
        memset(acc, 0, sizeof *acc * (size_t)A);
        for (int j = 0; j < K; j++) {
            int k = (int)rng_below(&g, (uint64_t)K);
            size_t n = rk[base * K + k]->n;
            memset(w, 0, sizeof *w * n);
            for (size_t i = 0; i < n; i++) w[rng_below(&g, n)]++;
            for (int a = 0; a < A; a++) acc[a] += value(rk[a * K + k]->v, n, w, C, sum, cnt) / K;
        }
        for (int a = 0; a < A; a++) bd[(size_t)a * B + b] = acc[a] - acc[base];
    }
    for (int a = 0; a < A && B > 0; a++) {
        double *d = bd + (size_t)a * B;
        long le0 = 0;
        for (int b = 0; b < B; b++) le0 += d[b] <= 0;
        qsort(d, (size_t)B, sizeof *d, cmp_double);
        res[a].lo = d[(size_t)floor(0.025 * B)];
        res[a].hi = d[(size_t)ceil(0.975 * B) - 1];
        res[a].p_le0 = a == base ? NAN : (double)le0 / B;
    }
    free(w), free(bd), free(acc), free(val), free(sum), free(cnt);
    rc = 0;
out:
    free(rk);
    return rc;
}
