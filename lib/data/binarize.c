/*
 * binarize.c — pair selection from rated completions (rules in binarize.h).
 */
#include "data/binarize.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rated_init(rated_t *r) { memset(r, 0, sizeof *r); }

void rated_free(rated_t *r)
{
    free(r->c);
    free(r->r);
    memset(r, 0, sizeof *r);
}

void rated_clear(rated_t *r) { r->n = r->nr = 0; }

completion_t *rated_add(rated_t *r, const char *text, size_t tlen)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 8;
        r->c = xrealloc(r->c, r->cap * sizeof *r->c);
    }
    completion_t *c = &r->c[r->n++];
    memset(c, 0, sizeof *c);
    c->text = text;
    c->tlen = tlen;
    c->r0 = r->nr;
    return c;
}

void rated_rate(rated_t *r, const char *name, size_t nlen, double v, int valid)
{
    if (r->n == 0)
        return;
    if (r->nr == r->rcap) {
        r->rcap = r->rcap ? 2 * r->rcap : 16;
        r->r = xrealloc(r->r, r->rcap * sizeof *r->r);
    }
    r->r[r->nr++] = (rating_t){name, nlen, v, valid};
    r->c[r->n - 1].rn++;
}

void bin_config_default(bin_config *c)
{
    memset(c, 0, sizeof *c);
    c->score = SCORE_OVERALL;
    c->rejected = REJ_RANDOM;
    c->pairs_per_prompt = 1;
}

int bin_parse_score(const char *s, bin_config *c)
{
    if (strcmp(s, "overall") == 0)
        c->score = SCORE_OVERALL;
    else if (strcmp(s, "mean-aspects") == 0 || strcmp(s, "fine-grained") == 0)
        c->score = SCORE_MEAN_ASPECTS;
    else if (strcmp(s, "rank") == 0)
        c->score = SCORE_RANK;
    else if (strncmp(s, "aspect:", 7) == 0 && s[7]) {
        c->score = SCORE_ASPECT;
        c->aspect = s + 7;
    } else
        return -1;
    return 0;
}

int bin_parse_rejected(const char *s)
{
    if (strcmp(s, "random") == 0)
        return REJ_RANDOM;
    if (strcmp(s, "worst") == 0)
        return REJ_WORST;
    if (strcmp(s, "next-best") == 0)
        return REJ_NEXT_BEST;
    return -1;
}

static int name_in(const char *s, size_t n, const char *const *list, size_t k)
{
    for (size_t i = 0; i < k; i++)
        if (strlen(list[i]) == n && memcmp(list[i], s, n) == 0)
            return 1;
    return 0;
}

/* The completion's score under cfg; 0 when it has none. */
static int score_of(const bin_config *cfg, const rated_t *r, const completion_t *c, double *out, bin_stats *st)
{
    switch (cfg->score) {
    case SCORE_OVERALL:
        if (c->overall_na)
            st->na_ratings++;
        if (!c->has_overall)
            return 0;
        *out = c->overall;
        return 1;
    case SCORE_RANK:
        if (c->rank <= 0)
            return 0;
        *out = -(double)c->rank;
        return 1;
    case SCORE_ASPECT:
        for (size_t i = c->r0; i < c->r0 + c->rn; i++) {
            const rating_t *a = &r->r[i];
            if (strlen(cfg->aspect) == a->nlen && memcmp(cfg->aspect, a->name, a->nlen) == 0) {
                if (!a->valid) {
                    st->na_ratings++;
                    return 0;
                }
                *out = a->v;
                return 1;
            }
        }
        return 0;
    default: {
        double sum = 0;
        int k = 0;
        for (size_t i = c->r0; i < c->r0 + c->rn; i++) {
            const rating_t *a = &r->r[i];
            if (name_in(a->name, a->nlen, cfg->exclude, cfg->nexclude))
                continue;
            if (!a->valid) {
                st->na_ratings++;
                continue;
            }
            sum += a->v;
            k++;
        }
        if (k == 0)
            return 0;
        *out = sum / k;
        return 1;
    }
    }
}

typedef struct {
    size_t idx;
    double score;
} scored_t;

/* Pick the j-th rejected candidate (cand[0..nc) not yet used). */
static size_t pick(const bin_config *cfg, scored_t *cand, size_t nc, rng_t *rng)
{
    size_t at = 0;
    switch (cfg->rejected) {
    case REJ_RANDOM: at = (size_t)rng_below(rng, nc); break;
    case REJ_WORST:
        for (size_t i = 1; i < nc; i++)
            if (cand[i].score < cand[at].score)
                at = i;
        break;
    default:
        for (size_t i = 1; i < nc; i++)
            if (cand[i].score > cand[at].score)
                at = i;
        break;
    }
    return at;
}

size_t binarize(const bin_config *cfg, const rated_t *r, const char *id, size_t idlen, bin_pair *out,
                bin_stats *st)
{
    st->prompts++;
    scored_t small[32];
    scored_t *sc = r->n <= 16 ? small : xmalloc(2 * r->n * sizeof *sc);
    scored_t *cand = sc + r->n;
    size_t ns = 0, k = 0;
    for (size_t i = 0; i < r->n; i++) {
        const completion_t *c = &r->c[i];
        if (cfg->models && !(c->model && name_in(c->model, c->mlen, cfg->models, cfg->nmodels))) {
            st->model_filtered++;
            continue;
        }
        double s;
        if (!score_of(cfg, r, c, &s, st)) {
            st->unscored++;
            continue;
        }
        sc[ns++] = (scored_t){i, s};
    }
    if (ns < 2) {
        st->too_few++;
        goto done;
    }
    size_t best = 0;
    for (size_t i = 1; i < ns; i++)
        if (sc[i].score > sc[best].score)
            best = i;
    size_t nc = 0, lower = 0;
    for (size_t i = 0; i < ns; i++) {
        if (i == best)
            continue;
        double m = sc[best].score - sc[i].score;
        if (m > 0)
            lower++;
        if (m == 0 && !cfg->keep_ties)
            continue;
        if (cfg->min_margin > 0 && m < cfg->min_margin)
            continue;
        cand[nc++] = sc[i];
    }
    if (nc == 0) {
        if (lower == 0 && !cfg->keep_ties)
            st->all_tied++;
        else
            st->below_margin++;
        goto done;
    }
    rng_t rng;
    rng_seed(&rng, hash64(id, idlen, cfg->seed));
    size_t want = cfg->pairs_per_prompt ? cfg->pairs_per_prompt : 1;
    while (k < want && nc > 0) {
        size_t at = pick(cfg, cand, nc, &rng);
        out[k].chosen = sc[best].idx;
        out[k].rejected = cand[at].idx;
        out[k].margin = sc[best].score - cand[at].score;
        k++;
        memmove(&cand[at], &cand[at + 1], (nc - at - 1) * sizeof *cand);
        nc--;
    }
    st->pairs += k;
done:
    if (sc != small)
        free(sc);
    return k;
}

void bin_stats_print(const bin_stats *st, const char *prefix)
{
    fprintf(stderr, "%s%llu prompts -> %llu pairs", prefix, (unsigned long long)st->prompts,
            (unsigned long long)st->pairs);
    fprintf(stderr, "; prompts dropped: %llu with < 2 scored completions, %llu all tied, %llu below the margin",
            (unsigned long long)st->too_few, (unsigned long long)st->all_tied,
            (unsigned long long)st->below_margin);
    fprintf(stderr, "; completions: %llu unscored, %llu outside --models; %llu N/A ratings excluded\n",
            (unsigned long long)st->unscored, (unsigned long long)st->model_filtered,
            (unsigned long long)st->na_ratings);
}
