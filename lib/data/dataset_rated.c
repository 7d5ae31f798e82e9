/*
 * dataset_rated.c — pointwise-rated sources read one row at a time:
 * UltraFeedback (openbmb/UltraFeedback: per-aspect GPT-4 annotations and
 * an overall score per completion) and Stack Exchange (HuggingFaceH4/
 * stack-exchange-preferences: answers with pm_score; or the paired
 * derivative lvwerra/stack-exchange-paired, which is already pairwise and
 * always writes pairs).
 *
 * They write `rated` records by default; --pairs applies the paper's
 * conversion through binarize (UltraFeedback: mean of the aspect ratings,
 * N/A excluded, best chosen, a random lower one rejected; Stack Exchange:
 * pm_score, same selection, equal scores dropped).
 *
 * UltraFeedback prompts whose source is TruthfulQA are dropped
 * ("TruthfulQA prompt"), as in the cleaned release the paper used, unless
 * --keep-truthfulqa (App. E has a TruthfulQA-prompts subset).  The prompt
 * source is kept as meta.prompt_source for App. E's per-source subsets.
 */
#include "data/dataset.h"
#include "base/util.h"

#include <string.h>

/* ---- UltraFeedback ---- */

/* The "Rating" of one aspect annotation: an object, or a list of them. */
static void add_aspect(ds_ctx *c, rated_t *r, const char *name, json_t *ann)
{
    if (json_is_array(ann))
        ann = json_array_get(ann, 0);
    json_t *v = json_is_object(ann) ? json_object_get(ann, "Rating") : ann;
    double d;
    int ok = ds_num_value(v, &d) == 1;
    (void)c;
    rated_rate(r, name, strlen(name), ok ? d : 0, ok);
}

static void uf_row(ds_ctx *c, json_t *row)
{
    const char *ins, *src = NULL;
    size_t ni, ns = 0;
    json_t *comps = json_object_get(row, "completions");
    if (ds_str(row, "instruction", &ins, &ni) != 1 || !json_is_array(comps)) {
        ds_malformed(c, "'instruction' must be a string and 'completions' a list");
        return;
    }
    if (ds_str(row, "source", &src, &ns) != 1)
        src = NULL;
    if (src && !c->opt.keep_truthfulqa && ns == 11 && memcmp(src, "truthful_qa", 11) == 0) {
        ds_drop(c, "TruthfulQA prompt");
        return;
    }
    msgs_clear(&c->m1);
    msgs_push(&c->m1, ROLE_USER, ins, ni);
    rated_t *r = &c->rated;
    rated_clear(r);
    size_t i;
    json_t *cp;
    json_array_foreach(comps, i, cp) {
        const char *t, *m;
        size_t nt, nm;
        if (ds_str(cp, "response", &t, &nt) != 1) {
            ds_malformed(c, "completion %zu: 'response' must be a string", i + 1);
            return;
        }
        completion_t *x = rated_add(r, t, nt);
        if (ds_str(cp, "model", &m, &nm) == 1) {
            x->model = m;
            x->mlen = nm;
        }
        json_t *ov = json_object_get(cp, "overall_score");
        int k = ds_num_value(ov, &x->overall);
        x->has_overall = k == 1;
        x->overall_na = ov && k != 1;
        json_t *ann = json_object_get(cp, "annotations");
        if (json_is_object(ann)) {
            const char *key;
            json_t *v;
            json_object_foreach(ann, key, v) add_aspect(c, r, key, v);
        }
    }
    ds_emit_rated(c, NULL, 0, &c->m1, r, src, ns);
}

static void uf_pairs(bin_config *b)
{
    b->score = SCORE_MEAN_ASPECTS;
    b->rejected = REJ_RANDOM;
}

/* long texts the conversion never reads (json_elide.h) */
static const char *const uf_elide[] = {"Rationale", "Rationale For Rating", "critique", "custom_system_prompt",
                                       NULL};

const ds_format ds_fmt_ultrafeedback = {
    .name = "ultrafeedback", .summary = "openbmb/UltraFeedback: completions with per-aspect ratings and overall_score",
    .required = "instruction completions", .rated = 1, .row = uf_row, .pair_config = uf_pairs, .elide = uf_elide};

/* ---- Stack Exchange ---- */

static void se_paired_row(ds_ctx *c, json_t *row)
{
    const char *q, *j, *k;
    size_t nq, nj, nk;
    if (ds_str(row, "question", &q, &nq) != 1 || ds_str(row, "response_j", &j, &nj) != 1 ||
        ds_str(row, "response_k", &k, &nk) != 1) {
        ds_malformed(c, "'question', 'response_j' and 'response_k' must be strings");
        return;
    }
    msgs_clear(&c->m1);
    msgs_push(&c->m1, ROLE_USER, q, nq);
    ds_pair p = {.prompt = &c->m1, .nprompt = 1, .chosen = j, .clen = nj, .rejected = k, .rlen = nk};
    int saved = c->emit;
    if (c->emit == EMIT_RATED)
        c->emit = EMIT_PAIR;
    ds_emit_pair(c, &p);
    c->emit = saved;
}

static void se_row(ds_ctx *c, json_t *row)
{
    if (json_object_get(row, "response_j")) {
        se_paired_row(c, row);
        return;
    }
    const char *q;
    size_t nq;
    json_t *answers = json_object_get(row, "answers");
    if (ds_str(row, "question", &q, &nq) != 1 || !json_is_array(answers)) {
        ds_malformed(c, "'question' must be a string and 'answers' a list");
        return;
    }
    msgs_clear(&c->m1);
    msgs_push(&c->m1, ROLE_USER, q, nq);
    rated_t *r = &c->rated;
    rated_clear(r);
    size_t i;
    json_t *a;
    json_array_foreach(answers, i, a) {
        const char *t;
        size_t nt;
        double s;
        if (ds_str(a, "text", &t, &nt) != 1) {
            ds_malformed(c, "answer %zu: 'text' must be a string", i + 1);
            return;
        }
        completion_t *x = rated_add(r, t, nt);
        int k = ds_num(a, "pm_score", &s);
        x->has_overall = k == 1;
        x->overall = k == 1 ? s : 0;
        x->overall_na = k < 0;
    }
    char buf[32];
    size_t idlen = 0;
    const char *id = ds_id(row, "qid", buf, sizeof buf, &idlen);
    ds_emit_rated(c, id, idlen, &c->m1, r, NULL, 0);
}

static void se_pairs(bin_config *b)
{
    b->score = SCORE_OVERALL;
    b->rejected = REJ_RANDOM;
}

const ds_format ds_fmt_stack_exchange = {
    .name = "stack-exchange",
    .summary = "HuggingFaceH4/stack-exchange-preferences (answers, pm_score) or lvwerra/stack-exchange-paired",
    .required = "question answers|question response_j response_k", .rated = 1, .row = se_row,
    .pair_config = se_pairs};
