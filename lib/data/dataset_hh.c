/*
 * dataset_hh.c — formats whose prompts are HH-style transcripts:
 * Anthropic HH-RLHF (chosen/rejected are whole transcripts) and Nectar
 * (the prompt is a transcript ending in an empty "Assistant:" turn, the
 * answers are ranked 1..7).  Splitting follows hh_split.h.
 *
 * HH-RLHF: both transcripts are split; the prompt is their common turns
 * and the responses are the first differing turn, which must be an
 * assistant turn on both sides.  Drop reasons: "empty turn" (any turn up
 * to and including the responses is empty), "no assistant reply" (one
 * transcript ends where the other goes on, or the differing turn is a
 * human turn), "identical transcripts".
 */
#include "data/dataset.h"
#include "data/hh_split.h"
#include "base/util.h"

#include <string.h>

static void hh_row(ds_ctx *c, json_t *row)
{
    const char *a, *b, *why;
    size_t na, nb;
    if (ds_str(row, "chosen", &a, &na) != 1 || ds_str(row, "rejected", &b, &nb) != 1) {
        ds_malformed(c, "'chosen' and 'rejected' must be strings");
        return;
    }
    msgs_clear(&c->m1);
    msgs_clear(&c->m2);
    if (hh_split(a, na, &c->m1, &why) < 0 || hh_split(b, nb, &c->m2, &why) < 0) {
        ds_malformed(c, "%s", why);
        return;
    }
    size_t k = msgs_common_prefix(&c->m1, &c->m2);
    if (k == c->m1.n && k == c->m2.n) {
        ds_drop(c, "identical transcripts");
        return;
    }
    if (msgs_any_empty(&c->m1, k + 1) || msgs_any_empty(&c->m2, k + 1)) {
        ds_drop(c, "empty turn");
        return;
    }
    if (k == c->m1.n || k == c->m2.n || c->m1.m[k].role != ROLE_ASSISTANT || c->m2.m[k].role != ROLE_ASSISTANT) {
        ds_drop(c, "no assistant reply");
        return;
    }
    ds_pair p = {.prompt = &c->m1, .nprompt = k, .chosen = c->m1.m[k].s, .clen = c->m1.m[k].n,
                 .rejected = c->m2.m[k].s, .rlen = c->m2.m[k].n};
    ds_emit_pair(c, &p);
}

const ds_format ds_fmt_hh_rlhf = {
    .name = "hh-rlhf", .summary = "Anthropic/hh-rlhf: chosen/rejected \\n\\nHuman:/\\n\\nAssistant: transcripts",
    .required = "chosen rejected", .row = hh_row};

/* ---- nectar ---- */

static void nectar_row(ds_ctx *c, json_t *row)
{
    const char *pr, *why;
    size_t np;
    json_t *answers = json_object_get(row, "answers");
    if (ds_str(row, "prompt", &pr, &np) != 1 || !json_is_array(answers)) {
        ds_malformed(c, "'prompt' must be a string and 'answers' a list");
        return;
    }
    msgs_clear(&c->m1);
    if (hh_split(pr, np, &c->m1, &why) < 0) {
        ds_malformed(c, "%s", why);
        return;
    }
    /* the generation slot: a final empty assistant turn */
    if (c->m1.n > 0 && c->m1.m[c->m1.n - 1].role == ROLE_ASSISTANT && c->m1.m[c->m1.n - 1].n == 0)
        c->m1.n--;
    rated_t *r = &c->rated;
    rated_clear(r);
    size_t i;
    json_t *ans;
    json_array_foreach(answers, i, ans) {
        const char *t, *m;
        size_t nt, nm;
        double rank;
        if (ds_str(ans, "answer", &t, &nt) != 1 || ds_num(ans, "rank", &rank) != 1 || rank < 1) {
            ds_malformed(c, "answer %zu: needs a string 'answer' and a 'rank' >= 1", i + 1);
            return;
        }
        completion_t *cp = rated_add(r, t, nt);
        cp->rank = (long)rank;
        if (ds_str(ans, "model", &m, &nm) == 1) {
            cp->model = m;
            cp->mlen = nm;
        }
    }
    ds_emit_rated(c, NULL, 0, &c->m1, r, NULL, 0);
}

static void nectar_pairs(bin_config *b)
{
    b->score = SCORE_RANK;
    b->rejected = REJ_RANDOM;
}

const ds_format ds_fmt_nectar = {
    .name = "nectar", .summary = "berkeley-nest/Nectar: HH-style prompt, answers ranked 1..7",
    .required = "prompt answers", .rated = 1, .row = nectar_row, .pair_config = nectar_pairs};
