/*
 * synth_tally.c — the gold judge's statistics (see synth_tally.h).  The
 * bootstrap draws every resample's indices from one generator in order,
 * so its intervals are a function of the seed and the records alone.
 */
#include "data/synth_tally.h"

#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void synth_tally_add(synth_tally *t, int cat, const synth_score *s)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 1024;
        t->total = xrealloc(t->total, t->cap * sizeof *t->total);
        t->cat = xrealloc(t->cat, t->cap * sizeof *t->cat);
    }
    t->total[t->n] = s->total;
    t->cat[t->n++] = cat;
    for (int a = 0; a < SYNTH_NASPECT; a++)
        t->aspect_sum[a] += s->aspect[a];
}

double synth_tally_means(const synth_tally *t, const size_t *idx, size_t n, double *mean, long *count)
{
    double sum[SYNTH_NCAT] = {0};
    for (int c = 0; c < SYNTH_NCAT; c++)
        count[c] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = idx ? idx[i] : i;
        sum[t->cat[k]] += t->total[k];
        count[t->cat[k]]++;
    }
    double avg = 0;
    int ncat = 0;
    for (int c = 0; c < SYNTH_NCAT; c++) {
        mean[c] = count[c] ? sum[c] / (double)count[c] : NAN;
        if (count[c]) {
            avg += mean[c];
            ncat++;
        }
    }
    return ncat ? avg / ncat : NAN;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void pack_interval(msgpack_packer *pk, double mean, long n, double *boot, int B)
{
    int m = 0;
    for (int i = 0; i < B; i++)
        if (!isnan(boot[i]))
            boot[m++] = boot[i];
    qsort(boot, (size_t)m, sizeof *boot, cmp_double);
    msgpack_pack_map(pk, 4);
    pack_str(pk, "score");
    msgpack_pack_double(pk, mean);
    pack_str(pk, "lo");
    msgpack_pack_double(pk, m ? boot[(int)floor(0.025 * (m - 1))] : mean);
    pack_str(pk, "hi");
    msgpack_pack_double(pk, m ? boot[(int)ceil(0.975 * (m - 1))] : mean);
    pack_str(pk, "n");
    msgpack_pack_int64(pk, n);
}

void synth_tally_summary(rstream *out, const synth_tally *t, long skipped, const char *model, long step, int B,
                          uint64_t seed, int pairs)
{
    double mean[SYNTH_NCAT];
    long count[SYNTH_NCAT];
    double avg = synth_tally_means(t, NULL, t->n, mean, count);
    double *boot = xcalloc((size_t)B * (SYNTH_NCAT + 1), sizeof *boot);
    size_t *idx = xmalloc((t->n ? t->n : 1) * sizeof *idx);
    rng_t r;
    rng_seed(&r, seed);
    for (int b = 0; b < B && t->n; b++) {
        for (size_t i = 0; i < t->n; i++)
            idx[i] = (size_t)rng_below(&r, t->n);
        double m[SYNTH_NCAT];
        long cnt[SYNTH_NCAT];
        boot[(size_t)b * (SYNTH_NCAT + 1) + SYNTH_NCAT] = synth_tally_means(t, idx, t->n, m, cnt);
        for (int c = 0; c < SYNTH_NCAT; c++)
            boot[(size_t)b * (SYNTH_NCAT + 1) + c] = m[c];
    }
    /* transpose per column for the percentile pick */
    double *col = xmalloc((size_t)(B ? B : 1) * sizeof *col);
    recb rb;
    recb_init(&rb);
    char id[160];
    snprintf(id, sizeof id, "summary:gold-judge%s%s", model ? ":" : "", model ? model : "");
    if (step >= 0)
        snprintf(id + strlen(id), sizeof id - strlen(id), "@%ld", step);
    recb_put_str(&rb, "kind", "summary");
    recb_put_str(&rb, "id", id);
    recb_put_str(&rb, "task", "gold-judge");
    recb_put_str(&rb, "benchmark", "synthetic world");
    if (model)
        recb_put_str(&rb, "model", model);
    if (step >= 0)
        recb_put_i64(&rb, "step", step);
    recb_put_i64(&rb, "n", (int64_t)t->n);
    recb_put_i64(&rb, "skipped", skipped);
    recb_put_f64(&rb, "score", t->n ? avg : 0);
    for (int b = 0; b < B; b++)
        col[b] = boot[(size_t)b * (SYNTH_NCAT + 1) + SYNTH_NCAT];
    pack_interval(recb_begin(&rb, "average"), avg, (long)t->n, col, t->n ? B : 0);
    recb_end(&rb);
    msgpack_packer *pk = recb_begin(&rb, "categories");
    int present = 0;
    for (int c = 0; c < SYNTH_NCAT; c++)
        present += count[c] > 0;
    msgpack_pack_map(pk, (size_t)present);
    for (int c = 0; c < SYNTH_NCAT; c++) {
        if (!count[c])
            continue;
        for (int b = 0; b < B; b++)
            col[b] = boot[(size_t)b * (SYNTH_NCAT + 1) + c];
        pack_str(pk, synth_cat_name((synth_cat)c));
        pack_interval(pk, mean[c], count[c], col, B);
    }
    recb_end(&rb);
    pk = recb_begin(&rb, "aspects");
    msgpack_pack_map(pk, SYNTH_NASPECT);
    for (int a = 0; a < SYNTH_NASPECT; a++) {
        pack_str(pk, synth_aspect_names[a]);
        msgpack_pack_double(pk, t->n ? t->aspect_sum[a] / (double)t->n : 0);
    }
    recb_end(&rb);
    if (pairs) {
        recb_put_i64(&rb, "pairs", t->pairs);
        recb_put_f64(&rb, "gold_agreement", t->pairs ? (double)t->agree / (double)t->pairs : 0);
        recb_put_i64(&rb, "gold_ties", t->ties);
    }
    const char *buf;
    size_t len;
    recb_finish(&rb, &buf, &len);
    rs_write(out, buf, len);
    recb_free(&rb);
    free(col);
    free(idx);
    free(boot);
}

void synth_put_scores(recb *b, const char *key, const synth_score *s)
{
    msgpack_packer *pk = recb_begin(b, key);
    msgpack_pack_map(pk, SYNTH_NASPECT + 2);
    for (int a = 0; a < SYNTH_NASPECT; a++) {
        pack_str(pk, synth_aspect_names[a]);
        msgpack_pack_double(pk, s->aspect[a]);
    }
    pack_str(pk, "total");
    msgpack_pack_double(pk, s->total);
    pack_str(pk, "refused");
    if (s->refused)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
    recb_end(b);
}

void synth_tally_free(synth_tally *t)
{
    free(t->total);
    free(t->cat);
    memset(t, 0, sizeof *t);
}
