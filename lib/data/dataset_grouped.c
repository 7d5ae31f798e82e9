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
 * PRM800K phase 2 (App. B): each row is one model generation of a problem
 * (question.pre_generated_steps, its answer pre_generated_answer) with a
 * human's step labels.  The paper "consider[s] prompts where the model
 * generations achieved the correct answer once and failed to find the
 * right answer once" and "randomly choose[s] one correct and one incorrect
 * generation as chosen and rejected".  So: a generation is correct when
 * its answer equals question.ground_truth_answer after removing
 * whitespace and one pair of surrounding '$' (PRM800K's own grader also
 * accepts mathematically equal forms — "1/2" vs "\frac{1}{2}" — which a
 * string compare cannot: such a generation counts as incorrect); a row
 * without both answers falls back to its label: finish_reason "solution"
 * correct, "found_error" incorrect, anything else unused.  Its text is
 * pre_generated_steps joined by newlines (else the labelled steps'
 * texts).  Several labellers rate the same generation: each distinct text
 * counts once.  chosen and rejected are drawn uniformly among the
 * distinct correct / incorrect generations (reservoir sampling seeded by
 * hash64(problem, seed)); problems without both are dropped ("no correct
 * generation", "no incorrect generation").
 *
 * --chosen-ground-truth keeps prefpipe's earlier rule: chosen = the
 * problem's ground_truth_solution; rejected = the steps of one sample whose
 * finish_reason is "found_error", chosen uniformly, joined by newlines.
 * Each step's text is its chosen_completion, else the human completion,
 * else the first completion rated -1, else the first.  Problems with no
 * found_error sample ("no found_error sample") or no ground-truth solution
 * are dropped.
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
    /* prm800k, the paper's rule: one reservoir per side, distinct generations */
    char *good, *bad;
    size_t glen, blen;
    uint64_t ngood, nbad;
    uint64_t *seen;
    size_t nseen, seencap;
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
        free(g->good);
        free(g->bad);
        free(g->seen);
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

/* The answer with whitespace removed and one pair of surrounding '$'. */
static size_t answer_norm(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < cap; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            out[k++] = s[i];
    if (k >= 2 && out[0] == '$' && out[k - 1] == '$') {
        memmove(out, out + 1, k - 2);
        k -= 2;
    }
    return k;
}

/* 1 correct, 0 incorrect, -1 unknown (see the top of the file). */
static int prm_correct(json_t *q, json_t *label)
{
    const char *a, *g, *fin;
    size_t na, ng, nf;
    if (ds_str(q, "pre_generated_answer", &a, &na) == 1 && ds_str(q, "ground_truth_answer", &g, &ng) == 1) {
        char x[512], y[512];
        if (na < sizeof x && ng < sizeof y) {
            size_t kx = answer_norm(a, na, x, sizeof x), ky = answer_norm(g, ng, y, sizeof y);
            return kx == ky && memcmp(x, y, kx) == 0;
        }
        return na == ng && memcmp(a, g, na) == 0;
    }
    if (!json_is_object(label) || ds_str(label, "finish_reason", &fin, &nf) != 1)
        return -1;
    if (nf == 8 && memcmp(fin, "solution", 8) == 0)
        return 1;
    if (nf == 11 && memcmp(fin, "found_error", 11) == 0)
        return 0;
    return -1;
}

/* The generation's text: pre_generated_steps, else the labelled steps. */
static int prm_generation(json_t *q, json_t *label, obuf *b)
{
    json_t *steps = json_object_get(q, "pre_generated_steps");
    size_t i;
    json_t *st;
    b->n = 0;
    if (json_is_array(steps) && json_array_size(steps) > 0) {
        json_array_foreach(steps, i, st) {
            if (!json_is_string(st))
                return -1;
            if (i)
                obuf_putc(b, '\n');
            obuf_put(b, json_string_value(st), json_string_length(st));
        }
        return 0;
    }
    steps = json_object_get(label, "steps");
    if (!json_is_array(steps))
        return -1;
    json_array_foreach(steps, i, st) {
        size_t n;
        const char *t = step_text(st, &n);
        if (!t)
            continue;
        if (b->n)
            obuf_putc(b, '\n');
        obuf_put(b, t, n);
    }
    return 0;
}

static void reservoir_put(rng_t *r, uint64_t *count, char **slot, size_t *slen, const char *t, size_t n)
{
    if (rng_below(r, ++*count) != 0)
        return; /* keep the k-th with probability 1/k */
    free(*slot);
    *slot = xstrndup(t, n);
    *slen = n;
}

static obuf gen;

static void prm_row_paper(ds_ctx *c, json_t *row, json_t *q, json_t *label, group_t *g)
{
    int ok = prm_correct(q, label);
    if (ok < 0)
        return;
    if (prm_generation(q, label, &gen) < 0) {
        ds_malformed(c, "'question.pre_generated_steps' must be a list of strings");
        return;
    }
    (void)row;
    uint64_t h = hash64(gen.p ? gen.p : "", gen.n, 0x9e11);
    for (size_t i = 0; i < g->nseen; i++)
        if (g->seen[i] == h)
            return; /* the same generation, labelled again */
    if (g->nseen == g->seencap) {
        g->seencap = g->seencap ? 2 * g->seencap : 4;
        g->seen = xrealloc(g->seen, g->seencap * sizeof *g->seen);
    }
    g->seen[g->nseen++] = h;
    if (g->ngood + g->nbad == 0)
        rng_seed(&g->rng, hash64(g->key, g->klen, c->opt.seed));
    if (ok)
        reservoir_put(&g->rng, &g->ngood, &g->good, &g->glen, gen.p ? gen.p : "", gen.n);
    else
        reservoir_put(&g->rng, &g->nbad, &g->bad, &g->blen, gen.p ? gen.p : "", gen.n);
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
    if (!c->opt.chosen_ground_truth) {
        prm_row_paper(c, row, q, label, g);
        return;
    }
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
        if (!c->opt.chosen_ground_truth) {
            if (!g->ngood || !g->nbad) {
                ds_drop(c, !g->ngood ? "no correct generation" : "no incorrect generation");
                continue;
            }
            msgs_clear(&c->m1);
            msgs_push(&c->m1, ROLE_USER, g->key, g->klen);
            ds_pair p = {.prompt = &c->m1, .nprompt = 1, .chosen = g->good, .clen = g->glen,
                         .rejected = g->bad, .rlen = g->blen};
            ds_emit_pair(c, &p);
            continue;
        }
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
    obuf_free(&gen);
}

const ds_format ds_fmt_prm800k = {
    .name = "prm800k", .summary = "openai/prm800k phase 2: labelled solution samples, grouped by problem",
    .required = "question label", .row = prm_row, .finish = prm_finish};
