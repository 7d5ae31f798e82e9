/*
 * tasks.c — the table of scorers eval-score knows, plus the generic
 * "mean of a judge's score" scorer used by --task judge (alpaca-eval has
 * its own, alpaca.c).
 *
 * The mean scorer reads scores.KEY (a boolean, or a number) that an
 * external judge wrote (eval-score --judge CMD) or that an earlier stage
 * left in the record; the summary is its mean ("score").
 */
#include "eval/boot.h"
#include "eval/common.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const eval_task eval_task_gsm8k, eval_task_bbh, eval_task_ifeval, eval_task_xstest, eval_task_passk,
    eval_task_alpaca, eval_task_mmlu, eval_task_truthfulqa, eval_task_truthfulqa_mc, eval_task_toxigen;

typedef struct {
    const eval_cfg *cfg;
    double sum;
    uint64_t n;
    boot_items items;
} mean_state;

static void *mean_create(const eval_cfg *cfg)
{
    mean_state *st = xcalloc(1, sizeof *st);
    st->cfg = cfg;
    return st;
}

static int mean_score(void *vst, const msgpack_object *rec, kvbuf *sc, char *err, size_t errcap)
{
    mean_state *st = vst;
    const msgpack_object *s = rec_get(rec, "scores");
    const msgpack_object *v = s && s->type == MSGPACK_OBJECT_MAP ? rec_get(s, st->cfg->judge_key) : NULL;
    double d;
    if (v && v->type == MSGPACK_OBJECT_BOOLEAN)
        d = v->via.boolean;
    else if (!v || !obj_to_f64(v, &d) || d != d) {
        snprintf(err, errcap, "no boolean or number scores.%s (written by the judge)", st->cfg->judge_key);
        return -1;
    }
    st->sum += d;
    st->n++;
    boot_add(&st->items, d, 0);
    return 0;
}

static void mean_finish(void *vst, kvbuf *s)
{
    mean_state *st = vst;
    double m = st->n ? st->sum / (double)st->n : 0;
    kv_f64(s, "score", m);
    kv_f64(s, "mean", m);
    kv_str(s, "key", st->cfg->judge_key, strlen(st->cfg->judge_key));
}

static size_t mean_units(void *vst) { return ((mean_state *)vst)->items.n; }
static double mean_reweigh(void *vst, const uint32_t *w) { return boot_mean(&((mean_state *)vst)->items, w); }
static void mean_destroy(void *vst)
{
    boot_free(&((mean_state *)vst)->items);
    free(vst);
}

static const eval_task eval_task_judge = {"judge",      "judge",    mean_create,  mean_score, mean_finish,
                                          mean_destroy, mean_units, mean_reweigh, NULL};

static const eval_task *const tasks[] = {&eval_task_gsm8k, &eval_task_bbh,   &eval_task_ifeval, &eval_task_xstest,
                                         &eval_task_passk, &eval_task_alpaca, &eval_task_mmlu, &eval_task_truthfulqa,
                                         &eval_task_truthfulqa_mc, &eval_task_toxigen, &eval_task_judge, NULL};

const eval_task *eval_task_find(const char *name)
{
    for (const eval_task *const *t = tasks; *t; t++)
        if (strcmp((*t)->name, name) == 0)
            return *t;
    return NULL;
}

const char *eval_task_judge_key(const eval_task *t)
{
    static const char *const keys[][2] = {{"xstest", "refusal"}, {"alpaca-eval", "win"}, {"toxigen", "toxic"},
                                          {"truthfulqa", "truth"}, {"judge", "score"}};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (strcmp(t->name, keys[i][0]) == 0)
            return keys[i][1];
    return NULL;
}

const char *eval_task_names(void) { return "gsm8k, bbh, ifeval, xstest, pass-at-k, alpaca-eval, mmlu, truthfulqa, truthfulqa-mc, toxigen, judge";
}
