/*
 * dataset_grouped.c — sources whose rows must be grouped before pairs
 * exist: HelpSteer (one response per row, grouped by prompt) and PRM800K
 * phase 2 (one labelled sample per row, grouped by problem).
 *
 * Rows are reduced to owned copies of just what the conversion needs and
 * kept in a table keyed by the prompt text (open addressing on hash64), so
 * memory is the size of the useful text, not of the parsed JSON.  Groups
 * are emitted in order of first appearance when the input ends, so the
 * summary counts rows as "read" and groups as "written"/"dropped".
 *
 * HelpSteer: a rated record per prompt with the five 0-4 ratings; --pairs:
 * score = mean of the four aspects other than verbosity, chosen = the best
 * (the released conversion code sorted ascending and took the first as
 * chosen, which looks inverted; we take the best), rejected = a random
 * lower one.
 *
 * PRM800K: chosen = the problem's ground-truth solution; rejected = the
 * steps of one sample whose finish_reason is "found_error", chosen
 * uniformly (reservoir sampling seeded by hash64(problem, seed)), joined
 * by newlines.  Each step's text is its chosen_completion, else the human
 * completion, else the first completion rated -1, else the first.
 * Problems with no found_error sample ("no found_error sample") or no
 * ground-truth solution are dropped.
 */
#include "data/dataset.h"
#include "io/jsonconv.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *text;
    size_t n;
    double r[5];
    int valid[5];
} hs_resp;

typedef struct {
    char *key;              /* prompt / problem */
    size_t klen;
    uint64_t h;
    /* helpsteer */
    hs_resp *resp;
    size_t nresp, rcap;
    /* prm800k */
    char *solution, *rejected;
    size_t slen, rlen;
    uint64_t nerr;
    rng_t rng;
} group_t;

typedef struct {
    group_t *g;
    size_t n, cap;
    size_t *slot;           /* open addressing: index+1, 0 empty */
    size_t nslot;
} gtable;

static gtable tab;

static void tab_grow(void)
{
    size_t ns = tab.nslot ? 2 * tab.nslot : 1024;
    size_t *s = xcalloc(ns, sizeof *s);
    for (size_t i = 0; i < tab.n; i++) {
        size_t j = tab.g[i].h & (ns - 1);
        while (s[j])
            j = (j + 1) & (ns - 1);
        s[j] = i + 1;
    }
    free(tab.slot);
    tab.slot = s;
    tab.nslot = ns;
}

static group_t *tab_get(const char *key, size_t n)
{
    if (2 * (tab.n + 1) > tab.nslot)
        tab_grow();
    uint64_t h = hash64(key, n, 0);
    size_t j = h & (tab.nslot - 1);
    while (tab.slot[j]) {
        group_t *g = &tab.g[tab.slot[j] - 1];
        if (g->h == h && g->klen == n && memcmp(g->key, key, n) == 0)
            return g;
        j = (j + 1) & (tab.nslot - 1);
    }
    if (tab.n == tab.cap) {
        tab.cap = tab.cap ? 2 * tab.cap : 256;
        tab.g = xrealloc(tab.g, tab.cap * sizeof *tab.g);
    }
    group_t *g = &tab.g[tab.n];
    memset(g, 0, sizeof *g);
    g->key = xstrndup(key, n);
    g->klen = n;
    g->h = h;
    tab.slot[j] = ++tab.n;
    return g;
}

static void tab_free(void)
{
    for (size_t i = 0; i < tab.n; i++) {
        group_t *g = &tab.g[i];
        for (size_t k = 0; k < g->nresp; k++)
            free(g->resp[k].text);
        free(g->resp);
        free(g->key);
        free(g->solution);
        free(g->rejected);
    }
    free(tab.g);
    free(tab.slot);
    memset(&tab, 0, sizeof tab);
}

/* ---- HelpSteer ---- */

static const char *const hs_aspects[5] = {"helpfulness", "correctness", "coherence", "complexity", "verbosity"};

static void hs_row(ds_ctx *c, json_t *row)
{
    const char *p, *t;
    size_t np, nt;
    if (ds_str(row, "prompt", &p, &np) != 1 || ds_str(row, "response", &t, &nt) != 1) {
        ds_malformed(c, "'prompt' and 'response' must be strings");
        return;
    }
    hs_resp r = {0};
    for (int i = 0; i < 5; i++)
        r.valid[i] = ds_num(row, hs_aspects[i], &r.r[i]) == 1;
    str_strip(&p, &np);
    group_t *g = tab_get(p, np);
    if (g->nresp == g->rcap) {
        g->rcap = g->rcap ? 2 * g->rcap : 4;
        g->resp = xrealloc(g->resp, g->rcap * sizeof *g->resp);
    }
    r.text = xstrndup(t, nt);
    r.n = nt;
    g->resp[g->nresp++] = r;
}

static void hs_finish(ds_ctx *c)
{
    for (size_t i = 0; i < tab.n; i++) {
        group_t *g = &tab.g[i];
        snprintf(c->where, sizeof c->where, "prompt %zu", i + 1);
        msgs_clear(&c->m1);
        msgs_push(&c->m1, ROLE_USER, g->key, g->klen);
        rated_clear(&c->rated);
        for (size_t k = 0; k < g->nresp; k++) {
            rated_add(&c->rated, g->resp[k].text, g->resp[k].n);
            for (int a = 0; a < 5; a++)
                rated_rate(&c->rated, hs_aspects[a], strlen(hs_aspects[a]), g->resp[k].r[a], g->resp[k].valid[a]);
        }
        ds_emit_rated(c, NULL, 0, &c->m1, &c->rated, NULL, 0);
    }
    tab_free();
}

static const char *const hs_exclude[] = {"verbosity"};

static void hs_pairs(bin_config *b)
{
    b->score = SCORE_MEAN_ASPECTS;
    b->exclude = hs_exclude;
    b->nexclude = 1;
    b->rejected = REJ_RANDOM;
}

const ds_format ds_fmt_helpsteer = {
    .name = "helpsteer", .summary = "nvidia/HelpSteer: one response per row with five 0-4 ratings",
    .required = "prompt response helpfulness", .rated = 1, .row = hs_row, .finish = hs_finish,
    .pair_config = hs_pairs};

/* ---- PRM800K ---- */

static const char *step_text(json_t *step, size_t *n)
{
    json_t *comps = json_object_get(step, "completions");
    json_t *cc = json_object_get(step, "chosen_completion");
    json_t *pick = NULL;
    if (json_is_integer(cc))
        pick = json_array_get(comps, (size_t)json_integer_value(cc));
    if (!pick && json_is_object(json_object_get(step, "human_completion")))
        pick = json_object_get(step, "human_completion");
    if (!pick) {
        size_t i;
        json_t *x;
        json_array_foreach(comps, i, x) {
            json_t *r = json_object_get(x, "rating");
            if (json_is_integer(r) && json_integer_value(r) == -1) {
                pick = x;
                break;
            }
        }
    }
    if (!pick)
        pick = json_array_get(comps, 0);
    json_t *t = json_object_get(pick, "text");
    if (!json_is_string(t))
        return NULL;
    *n = json_string_length(t);
    return json_string_value(t);
}

static void prm_row(ds_ctx *c, json_t *row)
{
    json_t *q = json_object_get(row, "question"), *label = json_object_get(row, "label");
    const char *prob, *sol, *fin;
    size_t np, ns, nf;
    if (!json_is_object(q) || ds_str(q, "problem", &prob, &np) != 1) {
        ds_malformed(c, "'question.problem' must be a string");
        return;
    }
    str_strip(&prob, &np);
    group_t *g = tab_get(prob, np);
    if (!g->solution && ds_str(q, "ground_truth_solution", &sol, &ns) == 1) {
        g->solution = xstrndup(sol, ns);
        g->slen = ns;
    }
    if (!json_is_object(label) || ds_str(label, "finish_reason", &fin, &nf) != 1 || nf != 11 ||
        memcmp(fin, "found_error", 11) != 0)
        return;
    json_t *steps = json_object_get(label, "steps");
    if (!json_is_array(steps)) {
        ds_malformed(c, "'label.steps' must be a list");
        return;
    }
    if (g->nerr++ == 0)
        rng_seed(&g->rng, hash64(g->key, g->klen, c->opt.seed));
    if (rng_below(&g->rng, g->nerr) != 0)
        return; /* reservoir: keep the k-th with probability 1/k */
    obuf b = {0};
    size_t i;
    json_t *st;
    json_array_foreach(steps, i, st) {
        size_t n;
        const char *t = step_text(st, &n);
        if (!t)
            continue;
        if (b.n)
            obuf_putc(&b, '\n');
        obuf_put(&b, t, n);
    }
    free(g->rejected);
    g->rejected = b.p ? b.p : xstrdup("");
    g->rlen = b.n;
}

static void prm_finish(ds_ctx *c)
{
    for (size_t i = 0; i < tab.n; i++) {
        group_t *g = &tab.g[i];
        snprintf(c->where, sizeof c->where, "problem %zu", i + 1);
        if (!g->nerr) {
            ds_drop(c, "no found_error sample");
            continue;
        }
        if (!g->solution) {
            ds_drop(c, "no ground-truth solution");
            continue;
        }
        msgs_clear(&c->m1);
        msgs_push(&c->m1, ROLE_USER, g->key, g->klen);
        ds_pair p = {.prompt = &c->m1, .nprompt = 1, .chosen = g->solution, .clen = g->slen,
                     .rejected = g->rejected, .rlen = g->rlen};
        ds_emit_pair(c, &p);
    }
    tab_free();
}

const ds_format ds_fmt_prm800k = {
    .name = "prm800k", .summary = "openai/prm800k phase 2: labelled solution samples, grouped by problem",
    .required = "question label", .row = prm_row, .finish = prm_finish};
